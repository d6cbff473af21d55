package io.jindouyun.gateway.kafka;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.jindouyun.contract.EtcdKeys;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waits for another gateway to publish that it serves a drained gateway's streams. */
final class Handovers {

  private Handovers() {}

  /**
   * Runs {@code release} (which frees {@code node}'s claims) and waits at most {@code max} for a
   * put of {@code handovers/<node>} made after it; true if one came.
   */
  static boolean awaitTaker(Client client, String node, Duration max, Runnable release)
      throws Exception {
    ByteSequence key =
        ByteSequence.from(EtcdKeys.DEFAULT.handoverKey(node), StandardCharsets.UTF_8);
    GetResponse before = client.getKVClient().get(key).get(max.toMillis(), TimeUnit.MILLISECONDS);
    CompletableFuture<Boolean> taken = new CompletableFuture<>();
    WatchOption after =
        WatchOption.builder().withRevision(before.getHeader().getRevision() + 1).build();
    try (Watch.Watcher watcher =
        client
            .getWatchClient()
            .watch(
                key,
                after,
                Watch.listener(
                    response -> {
                      if (response.getEvents().stream()
                          .anyMatch(e -> e.getEventType() == WatchEvent.EventType.PUT)) {
                        taken.complete(true);
                      }
                    },
                    taken::completeExceptionally))) {
      release.run();
      return taken.get(max.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      return false;
    }
  }
}
