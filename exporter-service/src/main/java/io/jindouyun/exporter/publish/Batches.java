package io.jindouyun.exporter.publish;

import java.util.ArrayList;
import java.util.List;

/** Splits a tick's writes into transactions of at most {@code max} operations. Pure. */
final class Batches {

  private Batches() {}

  /** Consecutive slices of {@code items}, each at most {@code max} long, none empty. */
  static <T> List<List<T>> split(List<T> items, int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max must be at least 1");
    }
    List<List<T>> batches = new ArrayList<>((items.size() + max - 1) / max);
    for (int from = 0; from < items.size(); from += max) {
      batches.add(List.copyOf(items.subList(from, Math.min(items.size(), from + max))));
    }
    return batches;
  }
}
