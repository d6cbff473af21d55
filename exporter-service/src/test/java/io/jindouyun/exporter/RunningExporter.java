package io.jindouyun.exporter;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.jindouyun.contract.EtcdKeys;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The real exporter application on a free port, with test timings, plus etcd read helpers. */
final class RunningExporter implements AutoCloseable {

  static final Duration INTERVAL = Duration.ofMillis(500);
  static final Duration LEASE_TTL = Duration.ofSeconds(2);
  static final JsonMapper JSON = JsonMapper.builder().build();

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  final ConfigurableApplicationContext context;

  /**
   * @param extra more {@code name=value} settings; one that names a default above replaces it
   */
  RunningExporter(String etcdEndpoint, String id, String... extra) {
    Map<String, String> properties = new LinkedHashMap<>();
    Stream.concat(
            Stream.of(
                "server.port=0",
                "jindouyun.etcd.endpoints=" + etcdEndpoint,
                "jindouyun.instance.id=" + id,
                "jindouyun.exporter.interval=" + INTERVAL.toMillis() + "ms",
                "jindouyun.exporter.lease-ttl=" + LEASE_TTL.toSeconds() + "s",
                "jindouyun.exporter.retry-initial=100ms",
                "jindouyun.exporter.retry-max=1s",
                "jindouyun.exporter.connect-timeout=1500ms"),
            Stream.of(extra))
        .forEach(p -> properties.put(p.substring(0, p.indexOf('=')), p));
    context =
        new SpringApplicationBuilder(ExporterApplication.class)
            .run(properties.values().stream().map(p -> "--" + p).toArray(String[]::new));
  }

  int port() {
    return context.getEnvironment().getProperty("local.server.port", Integer.class);
  }

  boolean leading() {
    return context.getBean(MeterRegistry.class).get("jdy.exporter.leader").gauge().value() == 1;
  }

  double counter(String name, String... tags) {
    var counter = context.getBean(MeterRegistry.class).find(name).tags(tags).counter();
    return counter == null ? 0 : counter.count();
  }

  /** Kills the exporter's etcd session like a crash would: no resign, no revoke. */
  void killEtcdSession() {
    context.getBean(Client.class).close();
  }

  String scrape() throws Exception {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port() + "/actuator/prometheus"))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return response.body();
  }

  @Override
  public void close() {
    context.close();
  }

  static KeyValue read(Client client, String key) throws Exception {
    List<KeyValue> kvs =
        client.getKVClient().get(ByteSequence.from(key, UTF_8)).get(5, TimeUnit.SECONDS).getKvs();
    return kvs.isEmpty() ? null : kvs.get(0);
  }

  static JsonNode metrics(Client client, String service, String id) throws Exception {
    KeyValue kv = read(client, EtcdKeys.DEFAULT.metricsKey(service, id));
    return kv == null ? null : JSON.readTree(kv.getValue().toString(UTF_8));
  }
}
