package io.jindouyun.edge;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.jindouyun.testkit.FreePorts;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in stream-gateway (JDK HTTP server) that speaks the shape of DESIGN §2: handshake answers
 * 202 with a streamId {@code <id>~<random>}; stream/ack/cancel answer only for streams it owns (404
 * otherwise); the stream is SSE with {@code chunks} events {@code chunkInterval} apart after {@code
 * ttft}. Counts every request by kind. Latency is simulated with a scheduler, not by blocking
 * handler threads. {@link #kill()} closes the listener and every connection at once.
 *
 * <p>Thread-safe: counters are concurrent; settings are volatile.
 */
final class StandInGateway implements AutoCloseable {

  static {
    // the JDK server writes headers and body separately: without TCP_NODELAY, Nagle and
    // delayed ACKs add ~40 ms to every keep-alive response
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private final String id;
  private final int port;
  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(4);
  private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
  private volatile Duration handshakeDelay = Duration.ZERO;
  private volatile Duration ttft = Duration.ofMillis(30);
  private volatile Duration chunkInterval = Duration.ofMillis(40);
  private volatile int chunks = 3;

  StandInGateway(String id) {
    this.id = id;
    this.port = FreePorts.next();
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 2048);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.createContext("/v1/chat/", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  String id() {
    return id;
  }

  int port() {
    return port;
  }

  /** Count of requests of a kind: "handshake", "stream", "ack", "cancel", "foreign". */
  int count(String kind) {
    AtomicInteger n = counts.get(kind);
    return n == null ? 0 : n.get();
  }

  void handshakeDelay(Duration delay) {
    this.handshakeDelay = delay;
  }

  void stream(Duration ttft, Duration interval, int chunks) {
    this.ttft = ttft;
    this.chunkInterval = interval;
    this.chunks = chunks;
  }

  /** Closes the listener and all connections now: new connects are refused. */
  void kill() {
    server.stop(0);
    scheduler.shutdownNow();
    executor.shutdownNow();
  }

  @Override
  public void close() {
    kill();
  }

  private void record(String kind) {
    counts.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
  }

  private void handle(HttpExchange exchange) throws IOException {
    exchange.getRequestBody().readAllBytes();
    String path = exchange.getRequestURI().getPath();
    String method = exchange.getRequestMethod();
    if (path.equals("/v1/chat/handshake") && method.equals("POST")) {
      record("handshake");
      long delay = handshakeDelay.toMillis();
      if (delay > 0) {
        scheduler.schedule(() -> answerHandshake(exchange), delay, TimeUnit.MILLISECONDS);
      } else {
        answerHandshake(exchange);
      }
      return;
    }
    String streamId = path.substring(path.lastIndexOf('/') + 1);
    boolean owned = streamId.startsWith(id + "~");
    String kind =
        path.startsWith("/v1/chat/ack/")
            ? "ack"
            : method.equals("DELETE")
                ? "cancel"
                : path.startsWith("/v1/chat/stream/") ? "stream" : "other";
    if (!owned) {
      record("foreign");
      send(exchange, 404, "application/problem+json", "{\"status\":404}");
      return;
    }
    record(kind);
    switch (kind) {
      case "ack" -> {
        exchange.sendResponseHeaders(204, -1);
        exchange.close();
      }
      case "cancel" -> send(exchange, 202, "application/json", "{}");
      case "stream" -> streamEvents(exchange);
      default -> send(exchange, 404, "application/problem+json", "{\"status\":404}");
    }
  }

  private void answerHandshake(HttpExchange exchange) {
    byte[] random = new byte[16];
    ThreadLocalRandom.current().nextBytes(random);
    String streamId = id + "~" + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    try {
      send(
          exchange,
          202,
          "application/json",
          "{\"streamId\":\""
              + streamId
              + "\",\"generation\":1,\"node\":\""
              + id
              + "\",\"ticket\":\"t\",\"expiresAt\":\"2030-01-01T00:00:00Z\"}");
    } catch (IOException e) {
      exchange.close();
    }
  }

  private void streamEvents(HttpExchange exchange) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
    exchange.getResponseHeaders().set("Cache-Control", "no-cache");
    exchange.getResponseHeaders().set("X-Accel-Buffering", "no");
    exchange.sendResponseHeaders(200, 0);
    OutputStream body = exchange.getResponseBody();
    // one event at a time, each scheduled by the previous one: writes never overlap
    scheduleEvent(exchange, body, 0, chunks, ttft.toMillis(), chunkInterval.toMillis());
  }

  private void scheduleEvent(
      HttpExchange exchange, OutputStream body, int seq, int total, long delay, long interval) {
    scheduler.schedule(
        () -> {
          try {
            String event =
                seq < total
                    ? "event: chunk\nid: 1." + seq + "\ndata: {\"delta\":\"t" + seq + "\"}\n\n"
                    : "event: done\ndata: {\"finishReason\":\"stop\"}\n\n";
            body.write(event.getBytes(StandardCharsets.UTF_8));
            body.flush();
            if (seq == total) {
              body.close();
            } else {
              scheduleEvent(exchange, body, seq + 1, total, interval, interval);
            }
          } catch (IOException e) {
            exchange.close();
          }
        },
        delay,
        TimeUnit.MILLISECONDS);
  }

  private static void send(HttpExchange exchange, int status, String type, String text)
      throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
