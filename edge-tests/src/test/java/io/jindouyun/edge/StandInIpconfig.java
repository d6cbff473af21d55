package io.jindouyun.edge;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.jindouyun.testkit.FreePorts;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A stand-in ipconfig-service: {@code GET /v1/best/stream-gateway} with {@code ETag}, 304 on a
 * matching {@code If-None-Match}, and {@code ?wait=Ns} long-polls until {@link #publish} changes
 * the version (bounded by N). {@link #kill()} closes it for good.
 *
 * <p>Thread-safe: the list and version change under this object's monitor; waiting long-polls are
 * woken by {@code notifyAll}.
 */
final class StandInIpconfig implements AutoCloseable {

  /** One instance of the best list. */
  record Instance(String id, String host, int port, double weight) {
    static Instance of(StandInGateway gateway, double weight) {
      return new Instance(gateway.id(), "127.0.0.1", gateway.port(), weight);
    }
  }

  static {
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private static final Pattern WAIT = Pattern.compile("wait=(\\d+)s");

  private final int port = FreePorts.next();
  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final AtomicInteger requests = new AtomicInteger();
  private long version;
  private String body = null;
  private boolean killed;

  StandInIpconfig() {
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.createContext("/v1/best/stream-gateway", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + port;
  }

  int requests() {
    return requests.get();
  }

  synchronized long version() {
    return version;
  }

  /** Publishes a new list version; a waiting long-poll answers at once. */
  synchronized long publish(String strategy, List<Instance> instances) {
    version++;
    body = json(version, strategy, instances);
    notifyAll();
    return version;
  }

  /** Publishes a raw body under a new version (for invalid lists). */
  synchronized long publishRaw(String text) {
    version++;
    body = text;
    notifyAll();
    return version;
  }

  void kill() {
    synchronized (this) {
      killed = true;
      notifyAll();
    }
    server.stop(0);
    executor.shutdownNow();
  }

  @Override
  public void close() {
    kill();
  }

  static String json(long version, String strategy, List<Instance> instances) {
    String list =
        instances.stream()
            .map(
                i ->
                    String.format(
                        Locale.ROOT,
                        "{\"id\":\"%s\",\"host\":\"%s\",\"port\":%d,\"weight\":%s,\"score\":0.5}",
                        i.id(),
                        i.host(),
                        i.port(),
                        Double.toString(i.weight())))
            .collect(Collectors.joining(","));
    return "{\"service\":\"stream-gateway\",\"version\":"
        + version
        + ",\"strategy\":\""
        + strategy
        + "\",\"stale\":false,\"generatedAt\":\"2026-01-01T00:00:00Z\",\"instances\":["
        + list
        + "]}";
  }

  private void handle(HttpExchange exchange) throws IOException {
    requests.incrementAndGet();
    String query = exchange.getRequestURI().getRawQuery();
    Matcher wait = WAIT.matcher(query == null ? "" : query);
    long waitMillis = wait.find() ? Long.parseLong(wait.group(1)) * 1000 : 0;
    String ifNoneMatch = exchange.getRequestHeaders().getFirst("If-None-Match");
    String answer;
    long answered;
    synchronized (this) {
      long deadline = System.currentTimeMillis() + waitMillis;
      while (!killed
          && (body == null || etag(version).equals(ifNoneMatch))
          && System.currentTimeMillis() < deadline) {
        try {
          wait(Math.max(1, deadline - System.currentTimeMillis()));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          exchange.close();
          return;
        }
      }
      if (killed) {
        exchange.close();
        return;
      }
      answer = body;
      answered = version;
    }
    if (answer == null) {
      exchange.sendResponseHeaders(503, -1);
      exchange.close();
      return;
    }
    exchange.getResponseHeaders().set("ETag", etag(answered));
    if (etag(answered).equals(ifNoneMatch)) {
      exchange.sendResponseHeaders(304, -1);
      exchange.close();
      return;
    }
    byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(200, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static String etag(long version) {
    return "\"" + version + "\"";
  }
}
