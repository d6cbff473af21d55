package io.jindouyun.support.metrics;

import java.lang.management.GarbageCollectorMXBean;
import java.util.List;

/**
 * GC pause time of this JVM so far, from the {@link GarbageCollectorMXBean}s' accumulated
 * collection times.
 *
 * <p>An approximation: a bean's collection time is the time of its collections, not strictly of the
 * stop-the-world pauses. For the stop-the-world collectors (Serial, Parallel, and G1's young and
 * mixed/full beans) the two coincide closely. Beans that time concurrent work are left out: those
 * whose name contains {@code "Concurrent"} (G1's {@code "G1 Concurrent GC"}, which also counts its
 * short remark and cleanup pauses, so those are missed) and the {@code "… Cycles"} beans of ZGC and
 * Shenandoah (whose {@code "… Pauses"} beans are counted instead). A collector whose only bean
 * times whole concurrent cycles (ZGC before JDK 17, CMS's old bean) overstates the pauses.
 * Stateless.
 */
public final class GcPauses {

  private GcPauses() {}

  /** Milliseconds of pause so far across {@code beans}; negative when none reports a time. */
  public static long millis(List<GarbageCollectorMXBean> beans) {
    long total = 0;
    boolean any = false;
    for (GarbageCollectorMXBean bean : beans) {
      long time = bean.getCollectionTime();
      if (counts(bean.getName()) && time >= 0) {
        total += time;
        any = true;
      }
    }
    return any ? total : -1;
  }

  /** True for a bean whose collection time is pause time (see the class comment). */
  static boolean counts(String beanName) {
    return !beanName.contains("Concurrent") && !beanName.endsWith("Cycles");
  }
}
