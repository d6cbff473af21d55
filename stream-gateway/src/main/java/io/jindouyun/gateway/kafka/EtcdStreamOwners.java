package io.jindouyun.gateway.kafka;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.jindouyun.contract.EtcdKeys;
import io.jindouyun.contract.HostNetworks;
import io.jindouyun.contract.InstanceRecord;
import io.jindouyun.contract.ServiceInstance;
import io.jindouyun.gateway.sse.StreamOwners;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link StreamOwners} from etcd: {@code handovers/<node>} names the gateway that took the gone
 * gateway's partition over; else a claim {@code replies/<n>} that still names the gateway says it
 * holds its streams (alive, or dead within its lease TTL); its address is its instance record.
 * Every lookup is a few etcd reads, asynchronous, bounded by the client's own deadlines.
 */
public final class EtcdStreamOwners implements StreamOwners {

  private static final String SERVICE = "stream-gateway";

  private static final Logger log = LoggerFactory.getLogger(EtcdStreamOwners.class);

  private final Client client;
  private final String self;
  private final HostNetworks networks;
  private final EtcdKeys keys = EtcdKeys.DEFAULT;

  /**
   * Owners looked up through {@code client} by the gateway {@code self}; a gateway whose instance
   * record's host is outside {@code networks} is not proxied to (logged).
   */
  public EtcdStreamOwners(Client client, String self, HostNetworks networks) {
    this.client = client;
    this.self = self;
    this.networks = networks;
  }

  @Override
  public CompletableFuture<Where> locate(String node) {
    return values(keys.handoverKey(node), false)
        .thenCompose(
            taker -> {
              if (!taker.isEmpty()) {
                return taker.get(0).equals(self)
                    ? CompletableFuture.completedFuture(new Here())
                    : address(taker.get(0));
              }
              if (node.equals(self)) {
                return unknown();
              }
              return values(keys.repliesPrefix(), true)
                  .thenCompose(claims -> claims.contains(node) ? address(node) : unknown());
            });
  }

  private CompletableFuture<Where> address(String node) {
    ServiceInstance instance;
    try {
      instance = new ServiceInstance(SERVICE, node);
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(new Pending());
    }
    return values(keys.instanceKey(instance), false)
        .thenApply(
            found -> {
              if (found.isEmpty()) {
                return new Pending();
              }
              try {
                InstanceRecord record = InstanceRecord.fromJson(instance, found.get(0));
                if (!record.validate().isEmpty()) {
                  return new Pending();
                }
                String refusal = networks.refusal(record);
                if (!refusal.isEmpty()) {
                  log.warn("instance record of {} refused: {}", node, refusal);
                  return new Pending();
                }
                return new ServedAt(node, record.host(), record.httpPort());
              } catch (Exception e) {
                return new Pending();
              }
            });
  }

  private CompletableFuture<List<String>> values(String key, boolean prefix) {
    GetOption option = prefix ? GetOption.builder().isPrefix(true).build() : GetOption.DEFAULT;
    return client
        .getKVClient()
        .get(ByteSequence.from(key, StandardCharsets.UTF_8), option)
        .thenApply(
            response ->
                response.getKvs().stream()
                    .map(KeyValue::getValue)
                    .map(v -> v.toString(StandardCharsets.UTF_8))
                    .toList());
  }

  private static CompletableFuture<Where> unknown() {
    return CompletableFuture.completedFuture(new Unknown());
  }
}
