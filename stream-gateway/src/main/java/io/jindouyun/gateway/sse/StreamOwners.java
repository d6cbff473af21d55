package io.jindouyun.gateway.sse;

import java.util.concurrent.CompletableFuture;

/**
 * Where the streams of another gateway are served now, from the fleet's reply-partition claims: the
 * gateway itself while it holds its claim, the gateway that took its partition over once it is
 * gone. Implementations are thread-safe and never block.
 */
@FunctionalInterface
public interface StreamOwners {

  /** What is known of a gateway's streams. */
  sealed interface Where permits ServedAt, Pending, Here, Unknown {}

  /** Served by gateway {@code node} at {@code host:port}. */
  record ServedAt(String node, String host, int port) implements Where {}

  /** The gateway's claim still stands but it cannot be reached: gone and not yet replaced. */
  record Pending() implements Where {}

  /** This gateway took the gone gateway's partition over. */
  record Here() implements Where {}

  /** Nobody holds or took over the gateway's partition (or only this gateway does). */
  record Unknown() implements Where {}

  /** Knows nothing: every stream of another gateway is unknown. */
  StreamOwners NONE = node -> CompletableFuture.completedFuture(new Unknown());

  /**
   * Where the streams named by {@code node} are served. For this gateway's own id only a hand-over
   * counts (a restart under the same id after a survivor took its streams over).
   */
  CompletableFuture<Where> locate(String node);
}
