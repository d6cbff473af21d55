package io.jindouyun.bench;

import io.jindouyun.proto.chat.v1.ChatChunk;
import io.jindouyun.proto.chat.v1.ChatControl;
import io.jindouyun.proto.chat.v1.ChatJob;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code --mode=budget}: floods one gateway with answers nobody reads, at a multiple of its byte
 * budget, and reports whether the budget held: handshakes 202 vs 503, answers ended by the budget,
 * the budget's and the heap's peaks, and whether the gateway is alive and serves again once the
 * buffers are released.
 *
 * <p>It plays the LLM consumer itself: it reads the jobs the gateway puts on {@code chat.jobs} and
 * writes each answer's chunks straight to the job's reply partition, {@code burst} chunks per
 * running answer in turn, so that the answers grow together while new handshakes keep coming at
 * {@code ramp} per second. (The development LLM writes a token of a few bytes per SSE event; the
 * hundreds of megabytes this needs would cost the shared machine minutes of CPU in the LLM and the
 * consumer, which are not what is measured.) The answers' text is mostly ASCII with a CJK word in
 * every chunk, so the gateway holds it as UTF-16, two bytes per char, as it holds the development
 * LLM's answers.
 *
 * <p>Demand: {@code --demand} × the budget in the heap the answers would take if all were held, two
 * bytes per char: {@code streams = demand × budget / (2 × answer-chars)}. The gateway must keep
 * unread streams for the run ({@code claim-timeout} longer than the run; {@code
 * bench/budget-flood.sh} starts it so). Every loop is bounded in count and time.
 *
 * <pre>
 * java -jar bench/target/bench-*-exec.jar --mode=budget --gateway=http://127.0.0.1:PORT \
 *     --kafka=127.0.0.1:KPORT --budget=100663296 --gateway-pid=PID [--demand=2] \
 *     [--answer-chars=262144] [--chunk-chars=16384] [--ramp=25] [--burst=4]
 * </pre>
 */
final class BudgetFlood {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Pattern BUFFERED =
      Pattern.compile("(?m)^jdy_gateway_buffered_bytes(?:\\{[^}]*\\})? ([0-9.eE+-]+)$");
  private static final Pattern HEAP =
      Pattern.compile("(?m)^jvm_memory_used_bytes\\{[^}]*area=\"heap\"[^}]*\\} ([0-9.eE+-]+)$");

  record Options(
      String gateway,
      String kafka,
      long gatewayPid,
      long budget,
      double demand,
      int answerChars,
      int chunkChars,
      int ramp,
      int burst,
      String secret,
      Duration timeout) {

    static Options parse(String[] args) {
      Map<String, String> map = new HashMap<>();
      for (String arg : args) {
        if (!arg.startsWith("--") || !arg.contains("=")) {
          throw new IllegalArgumentException("arguments are --name=value, got: " + arg);
        }
        map.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
      }
      if (!map.containsKey("budget") || !map.containsKey("gateway-pid")) {
        throw new IllegalArgumentException(
            "--mode=budget needs --budget=<the gateway's global-byte-budget in bytes> and"
                + " --gateway-pid=<pid>");
      }
      return new Options(
          map.getOrDefault("gateway", "http://127.0.0.1:8081"),
          map.getOrDefault("kafka", "127.0.0.1:9092"),
          Long.parseLong(map.get("gateway-pid")),
          Long.parseLong(map.get("budget")),
          Double.parseDouble(map.getOrDefault("demand", "2")),
          Integer.parseInt(map.getOrDefault("answer-chars", "262144")),
          Integer.parseInt(map.getOrDefault("chunk-chars", "16384")),
          Integer.parseInt(map.getOrDefault("ramp", "25")),
          Integer.parseInt(map.getOrDefault("burst", "4")),
          map.getOrDefault(
              "secret",
              System.getenv()
                  .getOrDefault(
                      "JINDOUYUN_JWT_SECRET", "jindouyun-dev-secret-change-me-0123456789abcdef")),
          Duration.ofSeconds(Long.parseLong(map.getOrDefault("timeout-s", "180"))));
    }

    int streams() {
      return (int) Math.ceil(demand * budget / (2.0 * answerChars));
    }

    int chunksPerAnswer() {
      return (answerChars + chunkChars - 1) / chunkChars;
    }
  }

  /** The peaks seen by the sampler. */
  private static final class Peaks {
    final AtomicLong buffered = new AtomicLong();
    final AtomicLong heap = new AtomicLong();
    final AtomicInteger samples = new AtomicInteger();
    final AtomicInteger failedSamples = new AtomicInteger();
  }

  private final Options options;
  private final HttpClient http;
  private final String run = Long.toString(System.currentTimeMillis() % 1_000_000, 36);
  private final Set<String> ours = ConcurrentHashMap.newKeySet();
  private final Map<String, String> userOf = new ConcurrentHashMap<>();
  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicInteger refused = new AtomicInteger();
  private final AtomicInteger otherStatus = new AtomicInteger();
  private final Map<String, String> firstOther = new ConcurrentHashMap<>();
  private final AtomicLong chunksSent = new AtomicLong();
  private final AtomicLong bytesSent = new AtomicLong();
  private final Map<String, AtomicInteger> cancels = new ConcurrentHashMap<>();
  private final Peaks peaks = new Peaks();

  BudgetFlood(Options options) {
    this.options = options;
    ConnectionProvider pool =
        ConnectionProvider.builder("flood")
            .maxConnections(64)
            .pendingAcquireMaxCount(options.streams() + 64)
            .pendingAcquireTimeout(Duration.ofSeconds(60))
            .build();
    this.http = HttpClient.create(pool).responseTimeout(Duration.ofSeconds(30));
  }

  static void main(String[] args) throws Exception {
    Options options = Options.parse(args);
    int code = new BudgetFlood(options).flood();
    System.exit(code);
  }

  int flood() throws InterruptedException {
    int streams = options.streams();
    System.out.printf(
        Locale.ROOT,
        "budget %,d bytes; demand %.1fx: %d answers of %,d chars in %d chunks (%,d bytes of heap"
            + " at two bytes per char)%n",
        options.budget(),
        options.demand(),
        streams,
        options.answerChars(),
        options.chunksPerAnswer(),
        2L * streams * options.answerChars());
    AtomicBoolean stop = new AtomicBoolean();
    Thread sampler = new Thread(() -> sample(stop), "sampler");
    sampler.setDaemon(true);
    sampler.start();
    CountDownLatch handshakesDone = new CountDownLatch(1);
    Thread writer;
    try (KafkaProducer<String, byte[]> producer = producer();
        KafkaConsumer<String, byte[]> jobs = assignedAtEnd("chat.jobs");
        KafkaConsumer<String, byte[]> control = assignedAtEnd("chat.control")) {
      writer = new Thread(() -> writeAnswers(jobs, control, producer, handshakesDone), "writer");
      writer.start();
      long start = System.nanoTime();
      handshakes(streams);
      handshakesDone.countDown();
      writer.join(options.timeout().toMillis());
      long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
      drainControl(control); // the gateway applies its backlog of chunks after the writer ends
      boolean aliveAfterFlood = alive();
      int probeFull = aliveAfterFlood ? probe("probe-full") : -1;
      long beforeRelease = buffered();
      long liveFull = aliveAfterFlood ? liveHeap() : -1;
      int released = release();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (buffered() > options.budget() / 2 && System.nanoTime() < deadline) {
        TimeUnit.MILLISECONDS.sleep(200); // bounded poll of the gateway's gauge
      }
      int probeAfter = alive() ? probe("probe-after") : -1;
      long liveReleased = alive() ? liveHeap() : -1;
      stop.set(true);
      sampler.join(2000);
      report(streams, seconds, aliveAfterFlood, probeFull, beforeRelease, released, probeAfter);
      row(
          "live objects (class histogram), budget full / released MB",
          mb(liveFull) + " / " + mb(liveReleased));
      boolean held = aliveAfterFlood && alive() && refused.get() > 0 && probeAfter == 202;
      return held ? 0 : 1;
    }
  }

  private void report(
      int streams,
      long seconds,
      boolean aliveAfterFlood,
      int probeFull,
      long beforeRelease,
      int released,
      int probeAfter) {
    System.out.println();
    System.out.println("| figure | value |");
    System.out.println("|---|---|");
    row("handshakes sent", streams);
    row("202 accepted", accepted.get());
    row("503 refused (budget)", refused.get());
    row("other status", otherStatus.get());
    row("chunks written / MB", chunksSent.get() + " / " + mb(bytesSent.get()));
    row("flood duration s", seconds);
    row("cancels sent upstream by the gateway, by reason", cancels.toString());
    row("budget peak MB (sampled gauge)", mb(peaks.buffered.get()));
    row("budget limit MB", mb(options.budget()));
    row("heap used peak MB (sampled gauge)", mb(peaks.heap.get()));
    row("gauge samples (failed)", peaks.samples.get() + " (" + peaks.failedSamples.get() + ")");
    row("gateway alive after the flood", aliveAfterFlood);
    row("handshake while full", probeFull);
    row("budget before release MB", mb(beforeRelease));
    row("streams cancelled to release", released);
    row("budget after release MB", mb(buffered()));
    row("handshake after release", probeAfter);
    row("gateway alive at the end", alive());
    firstOther.forEach((k, v) -> System.out.println("first " + k + ": " + v));
  }

  private static void row(String name, Object value) {
    System.out.println("| " + name + " | " + value + " |");
  }

  private static String mb(long bytes) {
    return String.format(Locale.ROOT, "%.1f", bytes / 1048576.0);
  }

  /**
   * The gateway's live objects' bytes: the total of {@code jcmd GC.class_histogram}, which collects
   * first and counts only what survives (the heap's "used" figure read after a collection would
   * also count what the gateway allocated in between). -1 if it cannot be read.
   */
  private long liveHeap() {
    try {
      Path out = Files.createTempFile("flood-histogram", ".txt");
      Process jcmd =
          new ProcessBuilder("jcmd", Long.toString(options.gatewayPid()), "GC.class_histogram")
              .redirectErrorStream(true)
              .redirectOutput(out.toFile())
              .start();
      if (!jcmd.waitFor(60, TimeUnit.SECONDS)) {
        jcmd.destroyForcibly();
        return -1;
      }
      List<String> lines = Files.readAllLines(out);
      Files.delete(out);
      for (String line : lines) {
        if (line.startsWith("Total")) {
          String[] parts = line.trim().split("\\s+");
          return Long.parseLong(parts[parts.length - 1]);
        }
      }
      return -1;
    } catch (IOException | RuntimeException e) {
      firstOther.putIfAbsent("jcmd", String.valueOf(e));
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private boolean alive() {
    return ProcessHandle.of(options.gatewayPid()).map(ProcessHandle::isAlive).orElse(false);
  }

  private String user(int i) {
    return "flood-" + run + "-" + i;
  }

  private HttpClient as(String user) {
    String token = DevTokens.issue(options.secret(), user, 3600);
    return http.headers(
        h ->
            h.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token)
                .set(HttpHeaderNames.CONTENT_TYPE, "application/json"));
  }

  /** Sends {@code n} handshakes at the ramp rate; counts 202, 503 and others. */
  private void handshakes(int n) throws InterruptedException {
    long interval = TimeUnit.SECONDS.toNanos(1) / Math.max(1, options.ramp());
    CountDownLatch answered = new CountDownLatch(n);
    long next = System.nanoTime();
    for (int i = 0; i < n; i++) {
      String user = user(i);
      handshake(user)
          .subscribe(
              status -> answered.countDown(),
              e -> {
                otherStatus.incrementAndGet();
                firstOther.putIfAbsent("handshake error", String.valueOf(e));
                answered.countDown();
              });
      next += interval;
      long wait = next - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait); // pacing of the ramp, not a wait for a condition
      }
    }
    answered.await(60, TimeUnit.SECONDS);
  }

  private Mono<Integer> handshake(String user) {
    String body =
        "{\"model\":\""
            + StreamLoad.MODEL
            + "\",\"messages\":[{\"role\":\"user\",\"content\":\"a long answer, please\"}]}";
    return as(user)
        .post()
        .uri(options.gateway() + "/v1/chat/handshake")
        .send(ByteBufFlux.fromString(Mono.just(body)))
        .responseSingle(
            (response, content) ->
                content
                    .asString()
                    .defaultIfEmpty("")
                    .map(
                        text -> {
                          int status = response.status().code();
                          if (status == 202) {
                            String id = JSON.readTree(text).path("streamId").asString();
                            ours.add(id);
                            userOf.put(id, user);
                            accepted.incrementAndGet();
                          } else if (status == 503) {
                            refused.incrementAndGet();
                            firstOther.putIfAbsent("503 body", text);
                          } else {
                            otherStatus.incrementAndGet();
                            firstOther.putIfAbsent("status " + status, text);
                          }
                          return status;
                        }));
  }

  /** One handshake of a fresh user; its status. */
  private int probe(String name) {
    Integer status = handshake(user(0) + "-" + name).block(Duration.ofSeconds(30));
    return status == null ? -1 : status;
  }

  /** Cancels every accepted stream, which releases its buffer; how many were cancelled. */
  private int release() {
    AtomicInteger done = new AtomicInteger();
    List<Mono<Integer>> calls = new ArrayList<>();
    for (String id : ours) {
      calls.add(
          as(userOf.get(id))
              .delete()
              .uri(options.gateway() + "/v1/chat/stream/" + id)
              .responseSingle((r, c) -> Mono.just(r.status().code()))
              .doOnNext(
                  s -> {
                    if (s == 202) {
                      done.incrementAndGet();
                    }
                  })
              .onErrorResume(e -> Mono.empty()));
    }
    reactor.core.publisher.Flux.fromIterable(calls)
        .flatMap(m -> m, 32)
        .blockLast(Duration.ofSeconds(60));
    return done.get();
  }

  /**
   * Reads the jobs of this run's streams and writes their answers, one chunk per running answer in
   * turn, until every accepted answer is written (or the timeout).
   */
  private void writeAnswers(
      KafkaConsumer<String, byte[]> jobs,
      KafkaConsumer<String, byte[]> control,
      KafkaProducer<String, byte[]> producer,
      CountDownLatch handshakesDone) {
    List<ChatJob> running = new ArrayList<>();
    Map<String, Integer> nextSeq = new HashMap<>();
    int finished = 0;
    String chunkText = chunkText(options.chunkChars());
    int chunks = options.chunksPerAnswer();
    long deadline = System.nanoTime() + options.timeout().toNanos();
    try {
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : jobs.poll(Duration.ofMillis(20))) {
          ChatJob job = ChatJob.parseFrom(r.value());
          if (ours.contains(job.getStreamId()) || job.getUserId().startsWith("flood-" + run)) {
            running.add(job);
            nextSeq.put(job.getStreamId(), 0);
          }
        }
        pollControl(control, Duration.ZERO);
        List<ChatJob> still = new ArrayList<>(running.size());
        for (ChatJob job : running) {
          int seq = nextSeq.get(job.getStreamId());
          int until = Math.min(chunks, seq + options.burst());
          for (; seq < until; seq++) {
            send(producer, job, seq, seq == chunks - 1, chunkText);
          }
          if (seq < chunks) {
            nextSeq.put(job.getStreamId(), seq);
            still.add(job);
          } else {
            finished++;
          }
        }
        running = still;
        producer.flush();
        if (handshakesDone.getCount() == 0 && running.isEmpty() && finished >= accepted.get()) {
          return;
        }
      }
    } catch (Exception e) {
      firstOther.putIfAbsent("writer", String.valueOf(e));
    }
  }

  private void send(
      KafkaProducer<String, byte[]> producer, ChatJob job, int seq, boolean last, String text) {
    ChatChunk.Builder chunk =
        ChatChunk.newBuilder()
            .setStreamId(job.getStreamId())
            .setGeneration(job.getGeneration())
            .setAttempt(1)
            .setSeq(seq)
            .setDelta(text)
            .setProducedAtMs(System.currentTimeMillis());
    if (last) {
      chunk.setFinish("stop");
    }
    byte[] value = chunk.build().toByteArray();
    producer.send(
        new ProducerRecord<>(
            job.getReplyTopic(), job.getReplyPartition(), job.getStreamId(), value));
    chunksSent.incrementAndGet();
    bytesSent.addAndGet(value.length);
  }

  /** Counts cancels until none came for 3 s (at most 60 s): the gateway has applied every chunk. */
  private void drainControl(KafkaConsumer<String, byte[]> control) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    int quiet = 0;
    while (quiet < 6 && System.nanoTime() < deadline) {
      int before = cancels.values().stream().mapToInt(AtomicInteger::get).sum();
      pollControl(control, Duration.ofMillis(500));
      int after = cancels.values().stream().mapToInt(AtomicInteger::get).sum();
      quiet = after == before ? quiet + 1 : 0;
    }
  }

  /** Counts the cancels the gateway publishes, by reason. */
  private void pollControl(KafkaConsumer<String, byte[]> control, Duration wait) {
    for (ConsumerRecord<String, byte[]> r : control.poll(wait)) {
      try {
        ChatControl.Cancel cancel = ChatControl.parseFrom(r.value()).getCancel();
        if (ours.contains(cancel.getStreamId())) {
          cancels.computeIfAbsent(cancel.getReason(), k -> new AtomicInteger()).incrementAndGet();
        }
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        firstOther.putIfAbsent("control record", String.valueOf(e));
      }
    }
  }

  /** A chunk of {@code chars} chars: ASCII words with one CJK word, as the dev LLM's mix. */
  static String chunkText(int chars) {
    StringBuilder b = new StringBuilder(chars);
    b.append("筋斗云 ");
    while (b.length() < chars) {
      b.append("streams tokens to a browser and gateway ");
    }
    b.setLength(chars);
    return b.toString();
  }

  /** Samples the gateway's budget gauge and heap every 250 ms until {@code stop}. */
  private void sample(AtomicBoolean stop) {
    while (!stop.get()) {
      try {
        String text =
            http.get()
                .uri(options.gateway() + "/actuator/prometheus")
                .responseSingle((r, c) -> c.asString())
                .block(Duration.ofSeconds(5));
        long buffered = first(BUFFERED, text);
        long heap = sum(HEAP, text);
        peaks.buffered.accumulateAndGet(buffered, Math::max);
        peaks.heap.accumulateAndGet(heap, Math::max);
        peaks.samples.incrementAndGet();
      } catch (RuntimeException e) {
        peaks.failedSamples.incrementAndGet();
      }
      try {
        TimeUnit.MILLISECONDS.sleep(250); // the sampling period
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private long buffered() {
    try {
      String text =
          http.get()
              .uri(options.gateway() + "/actuator/prometheus")
              .responseSingle((r, c) -> c.asString())
              .block(Duration.ofSeconds(5));
      return first(BUFFERED, text);
    } catch (RuntimeException e) {
      return -1;
    }
  }

  private static long first(Pattern p, String text) {
    Matcher m = p.matcher(text == null ? "" : text);
    if (!m.find()) {
      throw new IllegalStateException("no " + p + " in the gateway's metrics");
    }
    return (long) Double.parseDouble(m.group(1));
  }

  private static long sum(Pattern p, String text) {
    Matcher m = p.matcher(text == null ? "" : text);
    long total = 0;
    while (m.find()) {
      total += (long) Double.parseDouble(m.group(1));
    }
    return total;
  }

  private KafkaProducer<String, byte[]> producer() {
    Map<String, Object> config =
        Map.of(
            "bootstrap.servers",
            options.kafka(),
            "acks",
            "1",
            "linger.ms",
            5,
            "batch.size",
            262144,
            "max.request.size",
            4194304);
    return new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
  }

  private KafkaConsumer<String, byte[]> assignedAtEnd(String topic) {
    Map<String, Object> config =
        Map.of("bootstrap.servers", options.kafka(), "enable.auto.commit", false);
    KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
    List<TopicPartition> partitions =
        IntStream.range(0, infos.size()).mapToObj(p -> new TopicPartition(topic, p)).toList();
    consumer.assign(partitions);
    consumer.seekToEnd(partitions);
    partitions.forEach(consumer::position); // fix the start before the first handshake
    return consumer;
  }
}
