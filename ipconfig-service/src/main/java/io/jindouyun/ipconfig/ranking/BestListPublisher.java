package io.jindouyun.ipconfig.ranking;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Holds the current {@link BestLists} and tells long-poll waiters when it changes.
 *
 * <p>A service's list gets a new version only when its routing changes (strategy, members, weights,
 * per-instance stale flags) or the list-level stale flag flips; the scores it carries are those of
 * that moment. This keeps edges from re-downloading a list every second for score noise.
 *
 * <p>Concurrency: {@link #publish} is called by one thread at a time (the recompute task); readers
 * on any thread see a consistent snapshot through a volatile reference. Waiters are bounded by
 * {@code maxWaiters}: {@link #awaitChange} answers {@link Mono#error} with {@link
 * TooManyWaitersException} beyond it.
 */
public final class BestListPublisher {

  private final Clock clock;
  private final int maxWaiters;
  private final AtomicInteger waiters = new AtomicInteger();
  private final Sinks.Many<BestLists> changes = Sinks.many().multicast().directBestEffort();
  private volatile BestLists current = new BestLists(0, Map.of());
  // set by the first publish of lists ranked on etcd's state (not stale); never cleared
  private volatile boolean ranked;

  /** Thrown (as a Mono error) when {@code maxWaiters} long-polls are already waiting. */
  public static final class TooManyWaitersException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TooManyWaitersException(int max) {
      super("more than " + max + " long-poll requests are waiting");
    }
  }

  public BestListPublisher(Clock clock, int maxWaiters) {
    this.clock = clock;
    this.maxWaiters = maxWaiters;
  }

  /** The current snapshot. */
  public BestLists current() {
    return current;
  }

  /**
   * Whether lists ranked on etcd's state have been published: false until the first publish that is
   * not stale (the edges would get an empty or static-only list), then true for good (later stale
   * lists are the last known state, still worth serving).
   */
  public boolean ranked() {
    return ranked;
  }

  /** Number of long-polls waiting now. */
  public int waiters() {
    return waiters.get();
  }

  /**
   * Publishes freshly ranked lists. Only one thread may call this at a time.
   *
   * @return true when anything changed (and a new version was published)
   */
  public boolean publish(Map<String, RankedList> lists, boolean stale) {
    if (!stale) {
      ranked = true;
    }
    BestLists previous = current;
    long version = previous.version() + 1;
    boolean changed = false;
    Map<String, BestLists.ServiceList> next = new LinkedHashMap<>();
    for (Map.Entry<String, RankedList> e : lists.entrySet()) {
      BestLists.ServiceList old = previous.services().get(e.getKey());
      if (old != null && old.stale() == stale && old.list().sameRouting(e.getValue())) {
        next.put(e.getKey(), old);
      } else {
        changed = true;
        next.put(
            e.getKey(),
            new BestLists.ServiceList(e.getKey(), version, stale, clock.instant(), e.getValue()));
      }
    }
    if (!changed && next.size() == previous.services().size()) {
      return false;
    }
    BestLists published = new BestLists(version, next);
    current = published;
    changes.tryEmitNext(published);
    return true;
  }

  /**
   * Emits the first snapshot (the current one or a later one) for which {@code changed} is true, or
   * completes empty when none comes before the caller's timeout/cancel. Counts as a waiter while
   * subscribed.
   */
  public Mono<BestLists> awaitChange(Predicate<BestLists> changed) {
    return Mono.defer(
        () -> {
          if (waiters.incrementAndGet() > maxWaiters) {
            waiters.decrementAndGet();
            return Mono.error(new TooManyWaitersException(maxWaiters));
          }
          // Subscribe to changes before reading the current snapshot, so none is missed.
          return Flux.merge(changes.asFlux(), Mono.fromSupplier(() -> current))
              .filter(changed)
              .next()
              .doFinally(signal -> waiters.decrementAndGet());
        });
  }
}
