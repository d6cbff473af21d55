package io.jindouyun.edge;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * An SSE reader as a browser's EventSource reads: when the connection ends without a terminal event
 * (or on a transport error or a 5xx) it comes back after the server's {@code retry:} (1 s unless
 * told) with {@code Last-Event-ID}, at most {@code maxConnects} times. Every event is recorded with
 * its id. A 4xx ends it.
 */
final class ResumingReader {

  /** One SSE event. */
  record Event(String name, String id, String data) {}

  private static final List<String> TERMINAL = List.of("done", "error", "superseded");

  final List<Event> events = new CopyOnWriteArrayList<>();
  final List<Integer> statuses = new CopyOnWriteArrayList<>();
  private final HttpClient http;
  private final URI uri;
  private final String authorization;
  private final int maxConnects;
  private volatile String lastEventId;
  private volatile long retryMs = 1000;

  ResumingReader(HttpClient http, URI uri, String authorization, int maxConnects) {
    this.http = http;
    this.uri = uri;
    this.authorization = authorization;
    this.maxConnects = maxConnects;
  }

  /** The terminal event, or null. */
  Event terminal() {
    return events.stream().filter(e -> TERMINAL.contains(e.name())).findFirst().orElse(null);
  }

  /** The text of the chunks read (their {@code delta}s joined). */
  String text() {
    return events.stream()
        .filter(e -> e.name().equals("chunk"))
        .map(e -> EdgeClient.JSON.readTree(e.data()).path("delta").asString())
        .collect(Collectors.joining());
  }

  /** The id of the last chunk read, or null. */
  String lastChunkId() {
    String id = null;
    for (Event e : events) {
      if (e.name().equals("chunk")) {
        id = e.id();
      }
    }
    return id;
  }

  /** Connections made. */
  int connects() {
    return statuses.size();
  }

  /** Reads until a terminal event, a 4xx, or {@code maxConnects} connections. */
  void run() {
    for (int n = 0; n < maxConnects && terminal() == null; n++) {
      if (n > 0) {
        pause(retryMs);
      }
      try {
        if (!connectOnce()) {
          return;
        }
      } catch (IOException | UncheckedIOException e) {
        statuses.add(-1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** One connection; false when the reader must give up (a 4xx). */
  private boolean connectOnce() throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri)
            .timeout(Duration.ofSeconds(60))
            .header("Authorization", authorization)
            .header("Accept", "text/event-stream");
    if (lastEventId != null) {
      request.header("Last-Event-ID", lastEventId);
    }
    HttpResponse<Stream<String>> response =
        http.send(request.GET().build(), HttpResponse.BodyHandlers.ofLines());
    statuses.add(response.statusCode());
    if (response.statusCode() >= 400 && response.statusCode() < 500) {
      response.body().close();
      return false;
    }
    try (Stream<String> lines = response.body()) {
      String name = null;
      String id = null;
      List<String> data = new ArrayList<>();
      Iterator<String> it = lines.iterator();
      while (it.hasNext()) {
        String line = it.next();
        if (line.isEmpty()) {
          if (name != null) {
            Event event = new Event(name, id, String.join("\n", data));
            events.add(event);
            if (id != null) {
              lastEventId = id;
            }
            if (TERMINAL.contains(name)) {
              return true;
            }
          }
          name = null;
          id = null;
          data.clear();
        } else if (line.startsWith("event:")) {
          name = line.substring(6).trim();
        } else if (line.startsWith("id:")) {
          id = line.substring(3).trim();
        } else if (line.startsWith("data:")) {
          data.add(line.substring(5).stripLeading());
        } else if (line.startsWith("retry:")) {
          retryMs = Long.parseLong(line.substring(6).trim());
        }
      }
    }
    return true;
  }

  private static void pause(long ms) {
    try {
      Thread.sleep(ms); // EventSource's reconnection delay, not a wait for a condition
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
