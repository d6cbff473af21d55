package io.jindouyun.consumer.kafka;

import io.jindouyun.consumer.job.FlowControl;
import io.jindouyun.consumer.job.JobMetrics;
import io.jindouyun.consumer.job.JobRunner;
import io.jindouyun.consumer.job.UserOrder;
import io.jindouyun.consumer.job.UserRates;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.KafkaMessageListenerContainer;

/**
 * The job consumers: {@code concurrency} Kafka consumers in one group on the jobs topic, each with
 * its own container, {@link JobListener} and bounds (see {@link FlowControl}: a long job pauses at
 * most its own partition, never the consumer). Registers the {@code jdy.queue.depth} (records in
 * progress) and {@code jdy.consumer.lag} (sum of the consumers' {@code records-lag}) gauges.
 *
 * <p>Stopping drains: the consumers are paused (they keep polling, so commits go on), running jobs
 * get up to {@code drainTimeout} to finish, the rest are abandoned uncommitted (another consumer
 * redoes them, with a higher attempt), then the containers stop and commit what finished.
 *
 * <p>Lifecycle methods are called by Spring, one at a time.
 */
public final class JobConsumers implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(JobConsumers.class);
  private static final Duration ABANDON_WAIT = Duration.ofSeconds(5);
  private static final Duration POLL_STEP = Duration.ofMillis(20);

  private final ConsumerFactory<String, byte[]> consumerFactory;
  private final Settings properties;
  private final JobRunner runner;
  private final DeadLetters deadLetters;
  private final JobMetrics metrics;
  private final List<KafkaMessageListenerContainer<String, byte[]>> containers =
      new CopyOnWriteArrayList<>();
  private final List<JobListener> listeners = new CopyOnWriteArrayList<>();
  private volatile boolean running;

  public JobConsumers(
      ConsumerFactory<String, byte[]> consumerFactory,
      Settings properties,
      JobRunner runner,
      DeadLetters deadLetters,
      JobMetrics metrics) {
    this.consumerFactory = consumerFactory;
    this.properties = properties;
    this.runner = runner;
    this.deadLetters = deadLetters;
    this.metrics = metrics;
    metrics.registry().gauge("jdy.queue.depth", this, JobConsumers::inProgress);
    metrics.registry().gauge("jdy.consumer.lag", this, JobConsumers::lag);
  }

  /**
   * @param jobsTopic the jobs topic
   * @param groupId the consumer group
   * @param concurrency Kafka consumers (threads)
   * @param maxInProgress jobs one consumer runs at most (past it, all its partitions pause)
   * @param maxUncommitted records one partition tracks at most (running, or finished behind an
   *     older running one; past it, that partition alone pauses)
   * @param maxPollRecords records one poll returns at most (the consumer's {@code
   *     max.poll.records})
   * @param pollTimeout longest one poll waits (bounds resume and commit latency)
   * @param drainTimeout how long stopping waits for running jobs
   * @param userMemory users whose newest job one consumer remembers (fleet-wide order)
   * @param rateCapacity jobs a user may start in a burst, fleet-wide
   * @param rateRefill time for one of a user's tokens to come back
   * @param rateUsers users whose bucket one consumer keeps
   */
  public record Settings(
      String jobsTopic,
      String groupId,
      int concurrency,
      int maxInProgress,
      int maxUncommitted,
      int maxPollRecords,
      Duration pollTimeout,
      Duration drainTimeout,
      int userMemory,
      int rateCapacity,
      Duration rateRefill,
      int rateUsers) {}

  @Override
  public void start() {
    for (int i = 0; i < properties.concurrency(); i++) {
      JobListener listener =
          new JobListener(
              runner,
              deadLetters,
              metrics,
              new FlowControl.Limits(
                  properties.maxInProgress(),
                  properties.maxUncommitted(),
                  properties.maxPollRecords()),
              new UserOrder<>(properties.userMemory()),
              new UserRates(
                  properties.rateCapacity(),
                  Math.max(1, properties.rateRefill().toMillis()),
                  properties.rateUsers()));
      ContainerProperties container = new ContainerProperties(properties.jobsTopic());
      container.setGroupId(properties.groupId());
      container.setClientId(properties.groupId() + "-jobs-" + i);
      container.setAckMode(ContainerProperties.AckMode.MANUAL);
      container.setMessageListener(listener);
      container.setConsumerRebalanceListener(listener);
      container.setPollTimeout(properties.pollTimeout().toMillis());
      container.setShutdownTimeout(10_000);
      KafkaMessageListenerContainer<String, byte[]> started =
          new KafkaMessageListenerContainer<>(consumerFactory, container);
      started.setBeanName("jdy-jobs-" + i);
      listener.attach(started);
      started.start();
      containers.add(started);
      listeners.add(listener);
    }
    running = true;
    log.info(
        "Job consumers: {} on {} as group {}",
        properties.concurrency(),
        properties.jobsTopic(),
        properties.groupId());
  }

  @Override
  public void stop() {
    running = false;
    listeners.forEach(JobListener::hold);
    containers.forEach(KafkaMessageListenerContainer::pause);
    if (!waitUntilIdle(properties.drainTimeout())) {
      log.warn("Abandoning {} jobs still running after the drain timeout", runningJobs());
      listeners.forEach(JobListener::abandonAll);
      waitUntilIdle(ABANDON_WAIT);
    }
    containers.forEach(KafkaMessageListenerContainer::stop);
    containers.clear();
    listeners.clear();
  }

  private boolean waitUntilIdle(Duration max) {
    long until = System.nanoTime() + max.toNanos();
    while (runningJobs() > 0) {
      if (System.nanoTime() - until >= 0) {
        return false;
      }
      try {
        Thread.sleep(POLL_STEP.toMillis()); // shutdown thread, not an event loop
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    // Stop before the web server and the producers go away.
    return SmartLifecycle.DEFAULT_PHASE - 100;
  }

  private int runningJobs() {
    return listeners.stream().mapToInt(JobListener::running).sum();
  }

  private double inProgress() {
    return listeners.stream().mapToInt(JobListener::tracked).sum();
  }

  private double lag() {
    double sum = 0;
    for (KafkaMessageListenerContainer<String, byte[]> container : containers) {
      for (Map<MetricName, ? extends Metric> metrics : container.metrics().values()) {
        for (Map.Entry<MetricName, ? extends Metric> entry : metrics.entrySet()) {
          MetricName name = entry.getKey();
          if (name.name().equals("records-lag")
              && name.group().equals("consumer-fetch-manager-metrics")
              && name.tags().containsKey("partition")) {
            Object value = entry.getValue().metricValue();
            if (value instanceof Number number && Double.isFinite(number.doubleValue())) {
              sum += number.doubleValue();
            }
          }
        }
      }
    }
    return sum;
  }
}
