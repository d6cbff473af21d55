package io.jindouyun.ipconfig.ranking;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recomputes the best lists and publishes them: {@code coalesce} after a change (many changes in
 * that time make one recompute), and every {@code interval} in any case (scores move as windows
 * slide and metrics go stale).
 *
 * <p>Threads: one scheduler thread ({@code ipconfig-rank}) runs every recompute, so {@link
 * BestListPublisher#publish} has a single caller. {@link #requestRefresh()} may be called from any
 * thread and never blocks. Timers: the periodic task plus at most one pending coalesced task. A
 * failing recompute is logged and does not stop the timer.
 */
public final class BestListRefresher implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(BestListRefresher.class);

  private final BestListPublisher publisher;
  private final Duration coalesce;
  private final Duration interval;
  private final Consumer<Map<String, RankedList>> onRanked;
  private final AtomicBoolean pending = new AtomicBoolean();
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "ipconfig-rank");
            t.setDaemon(true);
            return t;
          });
  private volatile RankingState state;
  private volatile BooleanSupplier stale = () -> true;

  /**
   * @param coalesce delay between a change and its recompute
   * @param interval period of the unconditional recompute
   * @param onRanked sees every recompute's lists (for metrics); runs on the recompute thread
   */
  public BestListRefresher(
      BestListPublisher publisher,
      Duration coalesce,
      Duration interval,
      Consumer<Map<String, RankedList>> onRanked) {
    this.publisher = publisher;
    this.coalesce = coalesce;
    this.interval = interval;
    this.onRanked = onRanked;
  }

  /** Starts recomputing {@code state}; {@code stale} says whether the source is unreachable. */
  public void start(RankingState state, BooleanSupplier stale) {
    this.state = state;
    this.stale = stale;
    scheduler.execute(this::refresh);
    scheduler.scheduleWithFixedDelay(
        this::refresh, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Asks for a recompute within {@code coalesce}; cheap, non-blocking, any thread. */
  public void requestRefresh() {
    if (state != null && pending.compareAndSet(false, true)) {
      scheduler.schedule(this::refresh, coalesce.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private void refresh() {
    pending.set(false);
    try {
      Map<String, RankedList> lists = state.rankAll();
      publisher.publish(lists, stale.getAsBoolean());
      onRanked.accept(lists);
    } catch (RuntimeException e) {
      log.error("recomputing the best lists failed; the previous lists stay", e);
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
