package io.jindouyun.exporter.publish;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BatchesTests {

  @Test
  void writesAreSplitIntoTransactionsOfAtMostMaxOps() {
    List<Integer> writes = IntStream.range(0, 300).boxed().toList();

    List<List<Integer>> batches = Batches.split(writes, 128);

    assertThat(batches).extracting(List::size).containsExactly(128, 128, 44);
    assertThat(batches.stream().flatMap(List::stream).toList()).isEqualTo(writes);
  }

  @Test
  void nothingToWriteMeansNoTransaction() {
    assertThat(Batches.split(List.of(), 128)).isEmpty();
  }

  @Test
  void oneOpPerBatchIsUnbatched() {
    assertThat(Batches.split(List.of(1, 2, 3), 1)).hasSize(3);
  }
}
