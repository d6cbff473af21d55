package io.jindouyun.consumer.kafka;

import io.jindouyun.consumer.job.FlowControl;
import io.jindouyun.consumer.job.JobKey;
import io.jindouyun.consumer.job.JobMetrics;
import io.jindouyun.consumer.job.JobOutcome;
import io.jindouyun.consumer.job.JobResult;
import io.jindouyun.consumer.job.JobRunner;
import io.jindouyun.consumer.job.OffsetTracker;
import io.jindouyun.consumer.job.UserOrder;
import io.jindouyun.consumer.job.UserRates;
import io.jindouyun.proto.chat.v1.ChatJob;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.listener.AcknowledgingConsumerAwareMessageListener;
import org.springframework.kafka.listener.ConsumerAwareRebalanceListener;
import org.springframework.kafka.listener.MessageListenerContainer;
import org.springframework.kafka.support.Acknowledgment;

/**
 * The listener of ONE job consumer (one Kafka consumer, one container): starts a job per record and
 * commits in order as jobs finish out of order.
 *
 * <h2>Commits</h2>
 *
 * Every record is registered in an {@link OffsetTracker} when it arrives; when its job ends, the
 * tracker says which record (if any) now ends the finished prefix of its partition, and only that
 * record is acknowledged (manual ack mode: the container commits its offset + 1 on the consumer
 * thread). A job that is abandoned (partition revoked, process stopping) is never acknowledged, so
 * it is redelivered. A dead-lettered job is acknowledged once the dead letter is in Kafka.
 *
 * <h2>Flow control, without head-of-line blocking</h2>
 *
 * Finished jobs behind a running one stay tracked (their partition cannot commit past the running
 * one), but they do not count against the consumer's job budget: {@link FlowControl} pauses only
 * the partition whose tracked records reach {@code maxUncommitted}, and the whole consumer only
 * when {@code maxInProgress} jobs run. One long job thus holds one job slot and, in its own
 * partition, a window of at most {@code maxUncommitted} records; every other job, on any partition,
 * starts as soon as it is polled. Pause requests go to the container, which applies them on the
 * consumer thread before its next poll.
 *
 * <h2>Threads</h2>
 *
 * {@code onMessage} and the rebalance callbacks run on the consumer thread; job completions on the
 * jobs' workers. Shared state is the tracker (thread-safe), the running map (concurrent) and the
 * flow control (thread-safe).
 */
final class JobListener
    implements AcknowledgingConsumerAwareMessageListener<String, byte[]>,
        ConsumerAwareRebalanceListener {

  private static final Logger log = LoggerFactory.getLogger(JobListener.class);

  private final JobRunner runner;
  private final DeadLetters deadLetters;
  private final JobMetrics metrics;
  private final OffsetTracker<TopicPartition, Acknowledgment> tracker = new OffsetTracker<>();
  private final Map<JobRunner.Handle, TopicPartition> running = new ConcurrentHashMap<>();
  private final FlowControl<TopicPartition> flow;
  private final UserOrder<JobRunner.Handle> order;
  private final UserRates rates;
  private volatile MessageListenerContainer container;

  JobListener(
      JobRunner runner,
      DeadLetters deadLetters,
      JobMetrics metrics,
      FlowControl.Limits limits,
      UserOrder<JobRunner.Handle> order,
      UserRates rates) {
    this.runner = runner;
    this.order = order;
    this.rates = rates;
    this.deadLetters = deadLetters;
    this.metrics = metrics;
    this.flow = new FlowControl<>(limits, running::size, tracker::tracked, new ContainerValve());
  }

  void attach(MessageListenerContainer container) {
    this.container = container;
  }

  /** Records tracked: running or finished behind a running one. */
  int tracked() {
    return tracker.tracked();
  }

  /** Jobs running. */
  int running() {
    return running.size();
  }

  /** Stops every running job without committing it (it is redelivered). */
  void abandonAll() {
    running.keySet().forEach(handle -> handle.stop(JobOutcome.ABANDONED));
  }

  @Override
  public void onMessage(
      ConsumerRecord<String, byte[]> record, Acknowledgment ack, Consumer<?, ?> consumer) {
    TopicPartition partition = new TopicPartition(record.topic(), record.partition());
    OffsetTracker.Ticket<TopicPartition> ticket = tracker.received(partition, record.offset(), ack);
    JobRunner.Handle handle;
    try {
      handle = admit(record);
    } catch (RuntimeException e) {
      // never leave a tracked offset unfinished: that would stop the partition's commits
      log.error("Could not start the job at {}@{}", partition, record.offset(), e);
      metrics.error("internal");
      handle = JobRunner.failed(e);
    }
    JobRunner.Handle started = handle;
    running.put(started, partition);
    flow.update(partition);
    started
        .result()
        .thenCompose(result -> afterJob(record, result))
        .whenComplete(
            (result, failure) -> {
              running.remove(started);
              if (record.key() != null) {
                order.ended(record.key(), started);
              }
              if (failure != null) {
                log.error("Job at {}@{} ended badly", partition, record.offset(), failure);
                metrics.error("internal");
              }
              if (failure != null || result.outcome().commit()) {
                // in the tracker's lock: a partition's acks go out in offset order
                tracker.finished(ticket, Acknowledgment::acknowledge);
              }
              flow.update(partition);
            });
  }

  /**
   * Starts the record's job in the user's fleet-wide order (see {@link UserOrder}): a job older
   * than one already seen for its user ends as superseded without running; one over the user's
   * fleet-wide rate ends as rate-limited; any other job runs, after the user's older running job
   * (from whichever gateway) has been superseded. An independent job (an OpenAI-compatible API
   * request) stays outside the order: it only pays the user's rate. A record without a key or a job
   * is run as before (the runner refuses what it cannot use).
   */
  private JobRunner.Handle admit(ConsumerRecord<String, byte[]> record) {
    String user = record.key();
    ChatJob job = runner.parse(record.value());
    if (user == null || job == null) {
      return runner.start(record.value(), record.timestamp());
    }
    JobKey key = new JobKey(job.getStreamId(), job.getGeneration());
    if (job.getIndependent()) {
      // an API request: outside the user's order (it supersedes nothing and nothing supersedes
      // it), still charged to the user's fleet-wide rate
      long at = record.timestamp() >= 0 ? record.timestamp() : System.currentTimeMillis();
      return rates.tryTake(user, at)
          ? runner.start(job, record.timestamp())
          : runner.refuse(job, JobOutcome.RATE_LIMITED);
    }
    if (order.stale(user, record.partition(), record.offset())) {
      log.debug(
          "Job {} at {}@{} is older than its user's newest: superseded",
          key,
          record.partition(),
          record.offset());
      return runner.refuse(job, JobOutcome.SUPERSEDED);
    }
    long at = record.timestamp() >= 0 ? record.timestamp() : System.currentTimeMillis();
    if (!order.admitted(user, record.partition(), record.offset()) && !rates.tryTake(user, at)) {
      return runner.refuse(job, JobOutcome.RATE_LIMITED);
    }
    UserOrder.Admission<JobRunner.Handle> admission =
        order.arrive(user, record.partition(), record.offset(), key);
    if (admission.verdict() == UserOrder.Verdict.STALE) {
      return runner.refuse(job, JobOutcome.SUPERSEDED);
    }
    if (admission.supersede() != null) {
      log.debug("Job {} supersedes its user's older job", key);
      admission.supersede().stop(JobOutcome.SUPERSEDED);
    }
    JobRunner.Handle handle = runner.start(job, record.timestamp());
    if (!handle.result().isDone()) { // a duplicate or cancelled job never ran: keep the running one
      order.started(user, record.partition(), record.offset(), key, handle);
    }
    return handle;
  }

  private CompletableFuture<JobResult> afterJob(
      ConsumerRecord<String, byte[]> record, JobResult result) {
    if (!result.outcome().deadLetter()) {
      return CompletableFuture.completedFuture(result);
    }
    Throwable failure =
        result.failure() != null
            ? result.failure()
            : new IllegalStateException("job failed: " + result.outcome());
    return deadLetters
        .publish(record, failure)
        .handle(
            (ok, dltFailure) -> {
              if (dltFailure != null) {
                metrics.error("dead-letter");
                log.error(
                    "Could not dead-letter {}@{}: committing anyway",
                    record.partition(),
                    record.offset(),
                    dltFailure);
              }
              return result;
            });
  }

  /** Pauses for good (shutdown drain); later completions do not resume. */
  void hold() {
    flow.hold();
  }

  @Override
  public void onPartitionsRevokedBeforeCommit(
      Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
    forget(partitions);
  }

  @Override
  public void onPartitionsLost(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
    forget(partitions);
  }

  private void forget(Collection<TopicPartition> partitions) {
    if (partitions.isEmpty()) {
      return;
    }
    partitions.forEach(tracker::revoke);
    running.forEach(
        (handle, partition) -> {
          if (partitions.contains(partition)) {
            handle.stop(JobOutcome.ABANDONED);
          }
        });
    log.info("Partitions {} left this consumer; their running jobs are abandoned", partitions);
    flow.forget(partitions);
  }

  /** Pause and resume requests to the container (it applies them on the consumer thread). */
  private final class ContainerValve implements FlowControl.Valve<TopicPartition> {

    @Override
    public void pauseAll() {
      MessageListenerContainer target = container;
      if (target != null) {
        target.pause();
      }
    }

    @Override
    public void resumeAll() {
      MessageListenerContainer target = container;
      if (target != null) {
        target.resume();
      }
    }

    @Override
    public void pause(TopicPartition partition) {
      MessageListenerContainer target = container;
      if (target != null) {
        log.info(
            "Pausing {}: its oldest job still runs and {} records are uncommitted",
            partition,
            tracker.tracked(partition));
        target.pausePartition(partition);
      }
    }

    @Override
    public void resume(TopicPartition partition) {
      MessageListenerContainer target = container;
      if (target != null) {
        log.info("Resuming {}", partition);
        target.resumePartition(partition);
      }
    }
  }
}
