package io.jindouyun.consumer.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jindouyun.consumer.job.InFlightJobs;
import io.jindouyun.consumer.job.JobKey;
import io.jindouyun.proto.chat.v1.ChatControl;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The control reader outlives a failing consumer: it restarts it and resumes where it was. */
@Timeout(30)
class ControlReaderTests {

  private static final String TOPIC = "chat.control";
  private static final TopicPartition TP = new TopicPartition(TOPIC, 0);
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final List<Mock> made = new CopyOnWriteArrayList<>();
  private final InFlightJobs inFlight = new InFlightJobs(10, 100);
  private final ControlReader reader =
      new ControlReader(this::newConsumer, TOPIC, Duration.ofMinutes(1), inFlight, () -> 0L);

  @Test
  void aConsumerThatThrowsIsReplacedAfterABackoffAndResumesAfterTheLastRecordRead() {
    reader.start();
    try {
      await().atMost(WAIT).until(() -> !made.get(0).assignment().isEmpty());
      Mock first = made.get(0);
      first.schedulePollTask(() -> first.addRecord(cancel(0, "s-before")));
      first.schedulePollTask(() -> first.setPollException(new KafkaException("injected")));
      await().atMost(WAIT).until(() -> inFlight.cancelled(new JobKey("s-before", 1)));

      await().atMost(WAIT).until(() -> made.size() == 2 && !made.get(1).assignment().isEmpty());
      assertThat(first.closed()).isTrue();
      Mock second = made.get(1);
      assertThat(second.position(TP)).as("resumes after the record read").isEqualTo(1);
      second.schedulePollTask(() -> second.addRecord(cancel(1, "s-after")));
      await().atMost(WAIT).until(() -> inFlight.cancelled(new JobKey("s-after", 1)));
      assertThat(reader.isRunning()).isTrue();
    } finally {
      reader.stop();
    }
    assertThat(made.get(made.size() - 1).closed()).isTrue();
  }

  private Mock newConsumer() {
    Mock mock = new Mock();
    mock.updatePartitions(TOPIC, List.of(new PartitionInfo(TOPIC, 0, null, null, null)));
    mock.updateBeginningOffsets(Map.of(TP, 0L));
    mock.updateEndOffsets(Map.of(TP, 0L));
    made.add(mock);
    return mock;
  }

  private static ConsumerRecord<String, byte[]> cancel(long offset, String streamId) {
    byte[] value =
        ChatControl.newBuilder()
            .setCancel(
                ChatControl.Cancel.newBuilder()
                    .setStreamId(streamId)
                    .setGeneration(1)
                    .setReason("test"))
            .build()
            .toByteArray();
    return new ConsumerRecord<>(TOPIC, 0, offset, streamId, value);
  }

  /** A mock consumer that finds no offset by time (the reader then starts at the end). */
  private static final class Mock extends MockConsumer<String, byte[]> {

    Mock() {
      super("latest");
    }

    @Override
    public synchronized Map<TopicPartition, OffsetAndTimestamp> offsetsForTimes(
        Map<TopicPartition, Long> timestamps) {
      return Map.of();
    }
  }
}
