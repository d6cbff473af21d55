package io.jindouyun.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.PutResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(60)
class EtcdExtensionIntegrationTests {

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();

  private static ByteSequence bytes(String text) {
    return ByteSequence.from(text, UTF_8);
  }

  @Test
  void keyPutWithLeaseIsDeletedWhenTheLeaseExpires() throws Exception {
    Client client = etcd.client();
    long lease = client.getLeaseClient().grant(1).get(5, TimeUnit.SECONDS).getID();
    client
        .getKVClient()
        .put(bytes("/t/lease/a"), bytes("v"), PutOption.builder().withLeaseId(lease).build())
        .get(5, TimeUnit.SECONDS);

    var stored = client.getKVClient().get(bytes("/t/lease/a")).get(5, TimeUnit.SECONDS).getKvs();
    assertThat(stored).singleElement().satisfies(kv -> assertThat(kv.getLease()).isEqualTo(lease));

    await()
        .atMost(Duration.ofSeconds(4))
        .until(
            () ->
                client.getKVClient().get(bytes("/t/lease/a")).get(5, TimeUnit.SECONDS).getCount()
                    == 0);
  }

  @Test
  void prefixWatchFromARevisionReplaysEveryLaterChange() throws Exception {
    Client client = etcd.client();
    PutResponse first =
        client.getKVClient().put(bytes("/t/watch/1"), bytes("one")).get(5, TimeUnit.SECONDS);
    long fromRevision = first.getHeader().getRevision() + 1;
    client.getKVClient().put(bytes("/t/watch/2"), bytes("two")).get(5, TimeUnit.SECONDS);
    client.getKVClient().put(bytes("/t/other"), bytes("x")).get(5, TimeUnit.SECONDS);
    client.getKVClient().delete(bytes("/t/watch/1")).get(5, TimeUnit.SECONDS);

    List<String> seen = new CopyOnWriteArrayList<>();
    WatchOption option = WatchOption.builder().isPrefix(true).withRevision(fromRevision).build();
    try (Watch.Watcher watcher =
        client
            .getWatchClient()
            .watch(
                bytes("/t/watch/"),
                option,
                response -> {
                  for (WatchEvent event : response.getEvents()) {
                    seen.add(
                        event.getEventType() + " " + event.getKeyValue().getKey().toString(UTF_8));
                  }
                })) {
      client.getKVClient().put(bytes("/t/watch/3"), bytes("three")).get(5, TimeUnit.SECONDS);
      await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(
              () ->
                  assertThat(seen)
                      .containsExactly("PUT /t/watch/2", "DELETE /t/watch/1", "PUT /t/watch/3"));
    }
  }

  @Test
  void restartKeepsTheDataOnTheSamePort() throws Exception {
    Client client = etcd.client();
    client.getKVClient().put(bytes("/t/restart"), bytes("kept")).get(5, TimeUnit.SECONDS);
    int port = etcd.port();

    etcd.stop();
    assertThat(etcd.isRunning()).isFalse();
    etcd.start();

    assertThat(etcd.port()).isEqualTo(port);
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(
                        client
                            .getKVClient()
                            .get(bytes("/t/restart"), GetOption.DEFAULT)
                            .get(2, TimeUnit.SECONDS)
                            .getKvs())
                    .singleElement()
                    .satisfies(kv -> assertThat(kv.getValue().toString(UTF_8)).isEqualTo("kept")));
  }
}
