package io.jindouyun.ipconfig.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SlidingWindowsTests {

  private static final long[] BUCKET_MILLIS = {250, 1_000, 7_000};
  private static final int[] BUCKETS = {8, 3, 5};

  @Test
  void everyWindowMatchesANaiveWindowOverRandomTimelines() {
    SlidingWindows windows =
        new SlidingWindows(new SlidingWindows.Shape(BUCKET_MILLIS, BUCKETS, 2));
    SplittableRandom random = new SplittableRandom(11);
    List<long[]> samples = new ArrayList<>(); // {time, series, value}
    long[] newest = {Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE};
    long now = 5_000;
    for (int step = 0; step < 10_000; step++) {
      int kind = random.nextInt(10);
      now += kind == 0 ? random.nextLong(30_000) : random.nextLong(400);
      long at = kind == 1 ? now - random.nextLong(20_000) : now;
      int series = random.nextInt(2);
      long value = random.nextLong(100);
      for (int w = 0; w < 3; w++) {
        newest[w] = Math.max(newest[w], Math.floorDiv(at, BUCKET_MILLIS[w]));
      }
      windows.add(at, series, value, 1);
      samples.add(new long[] {at, series, value});
      for (int w = 0; w < 3; w++) {
        newest[w] = Math.max(newest[w], Math.floorDiv(now, BUCKET_MILLIS[w]));
        for (int s = 0; s < 2; s++) {
          double sum = 0;
          int count = 0;
          for (long[] sample : samples) {
            if (sample[1] == s
                && Math.floorDiv(sample[0], BUCKET_MILLIS[w]) > newest[w] - BUCKETS[w]) {
              sum += sample[2];
              count++;
            }
          }
          double actual = windows.average(w, now, s);
          if (count == 0) {
            assertThat(actual).as("window %d series %d step %d", w, s, step).isNaN();
          } else {
            assertThat(actual)
                .as("window %d series %d step %d", w, s, step)
                .isCloseTo(sum / count, within(1e-9));
          }
        }
      }
      long horizon = now - 7_000 * 6;
      samples.removeIf(sample -> sample[0] < horizon);
    }
  }
}
