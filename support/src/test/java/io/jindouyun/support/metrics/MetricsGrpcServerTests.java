package io.jindouyun.support.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.jindouyun.proto.metrics.v1.GetRequest;
import io.jindouyun.proto.metrics.v1.MetricsServiceGrpc;
import io.jindouyun.proto.metrics.v1.MetricsSnapshot;
import io.jindouyun.proto.metrics.v1.WatchRequest;
import io.jindouyun.support.instance.InstanceIdentity;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.core.env.StandardEnvironment;

@Timeout(30)
class MetricsGrpcServerTests {

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final AtomicLong streams = new AtomicLong();
  private final StandardEnvironment environment = new StandardEnvironment();
  private MetricsGrpcServer server;
  private ManagedChannel channel;

  @BeforeEach
  void start() {
    Gauge.builder("jdy.streams.active", streams, AtomicLong::get).register(registry);
    MetricsProperties properties =
        new MetricsProperties(
            true,
            0,
            "127.0.0.1",
            Duration.ofMillis(200),
            Duration.ofMillis(50),
            Duration.ofSeconds(2),
            2,
            Duration.ofSeconds(1));
    SnapshotSource source =
        new SnapshotSource(registry, new ProcessProbe(), () -> "stream-gateway", () -> "gw-1");
    server = new MetricsGrpcServer(properties, source, environment);
    server.start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.stop();
  }

  @Test
  void publishesTheBoundPortInTheEnvironment() {
    assertThat(server.port()).isPositive();
    assertThat(environment.getProperty(InstanceIdentity.GRPC_PORT_PROPERTY, Integer.class))
        .isEqualTo(server.port());
  }

  @Test
  void getAnswersRealProcessFiguresAndTheCurrentGauges() {
    streams.set(7);

    MetricsSnapshot s =
        MetricsServiceGrpc.newBlockingStub(channel)
            .withDeadlineAfter(5, TimeUnit.SECONDS)
            .get(GetRequest.getDefaultInstance());

    assertThat(s.getService()).isEqualTo("stream-gateway");
    assertThat(s.getInstanceId()).isEqualTo("gw-1");
    assertThat(s.getActiveStreams()).isEqualTo(7);
    assertThat(s.getProcessors()).isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(s.getHeapUsedBytes()).isPositive();
    assertThat(s.getHeapMaxBytes()).isGreaterThanOrEqualTo(s.getHeapUsedBytes());
    assertThat(s.getRssBytes()).isGreaterThan(s.getHeapUsedBytes() / 4);
    assertThat(s.getTimestampMs())
        .isCloseTo(System.currentTimeMillis(), org.assertj.core.data.Offset.offset(5000L));
  }

  @Test
  void watchSendsAtOnceThenAtTheClampedIntervalAndFiguresFollowTheMeters() {
    Recorder recorder = watch(1);

    await().atMost(Duration.ofSeconds(5)).until(() -> recorder.snapshots.size() >= 3);
    assertThat(recorder.snapshots.get(0).getIntervalMs()).isZero();
    assertThat(recorder.snapshots.get(2).getIntervalMs()).isBetween(40L, 500L);

    streams.set(42);
    Timer requests = registry.timer("jdy.requests");
    requests.record(Duration.ofMillis(100));
    requests.record(Duration.ofMillis(100));
    // one snapshot's interval holds both requests (or each holds one): its average is 100 ms
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                recorder.snapshots.stream()
                    .anyMatch(s -> s.getActiveStreams() == 42 && s.getAvgLatencyMs() == 100.0));

    // no new request: the next intervals average nothing, while the total stays
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                recorder.last().getAvgLatencyMs() == 0.0
                    && recorder.last().getRequestsTotal() == 2);
    recorder.call.join().cancel("done", null);
  }

  @Test
  void aCancelledWatchLeavesNoScheduledTask() {
    Recorder recorder = watch(50);
    await().atMost(Duration.ofSeconds(5)).until(() -> recorder.snapshots.size() >= 2);
    assertThat(server.service().activeWatchers()).isEqualTo(1);
    assertThat(server.scheduledTasks()).isEqualTo(1);

    recorder.call.join().cancel("client leaves", null);

    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> server.service().activeWatchers() == 0 && server.scheduledTasks() == 0);
  }

  @Test
  void watchersBeyondTheBoundAreRefused() {
    Recorder first = watch(1000);
    Recorder second = watch(1000);
    await().atMost(Duration.ofSeconds(5)).until(() -> server.service().activeWatchers() == 2);

    Recorder third = watch(1000);

    assertThat(third.end.join()).isNotNull();
    assertThat(Status.fromThrowable(third.end.join()).getCode())
        .isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(first.end).isNotDone();
    assertThat(second.end).isNotDone();
  }

  @Test
  void stoppingTheServerCompletesOpenWatches() {
    Recorder recorder = watch(1000);
    await().atMost(Duration.ofSeconds(5)).until(() -> !recorder.snapshots.isEmpty());

    server.stop();

    assertThat(recorder.end.orTimeout(5, TimeUnit.SECONDS).join()).isNull();
    assertThat(server.scheduledTasks()).isZero();
    assertThatThrownBy(
            () ->
                MetricsServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(2, TimeUnit.SECONDS)
                    .get(GetRequest.getDefaultInstance()))
        .isInstanceOf(StatusRuntimeException.class);
  }

  private Recorder watch(long intervalMs) {
    Recorder recorder = new Recorder();
    MetricsServiceGrpc.newStub(channel)
        .watch(WatchRequest.newBuilder().setIntervalMs(intervalMs).build(), recorder);
    return recorder;
  }

  /** Collects a watch stream; {@code end} completes with null (completed) or the error. */
  static final class Recorder implements ClientResponseObserver<WatchRequest, MetricsSnapshot> {
    final List<MetricsSnapshot> snapshots = new CopyOnWriteArrayList<>();
    final CompletableFuture<Throwable> end = new CompletableFuture<>();
    final CompletableFuture<ClientCallStreamObserver<WatchRequest>> call =
        new CompletableFuture<>();

    MetricsSnapshot last() {
      return snapshots.isEmpty()
          ? MetricsSnapshot.getDefaultInstance()
          : snapshots.get(snapshots.size() - 1);
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
      call.complete(requestStream);
    }

    @Override
    public void onNext(MetricsSnapshot value) {
      snapshots.add(value);
    }

    @Override
    public void onError(Throwable t) {
      end.complete(t);
    }

    @Override
    public void onCompleted() {
      end.complete(null);
    }
  }
}
