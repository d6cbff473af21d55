package io.jindouyun.edge;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads one SSE stream over a plain socket and notes when each line arrived (nanoTime relative to
 * sending the request), so buffering anywhere on the way shows up as bunched arrival times.
 */
final class SseProbe {

  /** What arrived: response headers (lowercase) and the arrival time of every chunk event. */
  record Result(List<String> headers, List<Long> chunkNanos, boolean done) {
    long ttftNanos() {
      return chunkNanos.get(0);
    }
  }

  private SseProbe() {}

  /** Reads {@code path} unauthenticated; chunk arrivals are relative to sending the request. */
  static Result get(int port, String path) throws IOException {
    return read(port, path, null, null);
  }

  /**
   * Reads {@code path} with the {@code Authorization} header {@code authorization}; chunk arrivals
   * are relative to {@code startNanos}, a {@link System#nanoTime()} taken by the caller (e.g.
   * before the handshake).
   */
  static Result get(int port, String path, String authorization, long startNanos)
      throws IOException {
    return read(port, path, authorization, startNanos);
  }

  /**
   * Sends {@code GET path} (with {@code authorization} unless null) and reads the headers, then the
   * events until {@code event: done} (done) or {@code event: error} or the end of the stream (not
   * done). Chunk arrivals are relative to {@code startNanos}, or to sending the request when null.
   */
  private static Result read(int port, String path, String authorization, Long startNanos)
      throws IOException {
    try (Socket socket = new Socket()) {
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(10_000);
      socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      OutputStream out = socket.getOutputStream();
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8), 256);
      long start = startNanos != null ? startNanos : System.nanoTime();
      out.write(
          ("GET "
                  + path
                  + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                  + "Accept-Encoding: gzip\r\n"
                  + (authorization == null ? "" : "Authorization: " + authorization + "\r\n")
                  + "Connection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      List<String> headers = new ArrayList<>();
      String line;
      while ((line = in.readLine()) != null && !line.isEmpty()) {
        headers.add(line.toLowerCase(Locale.ROOT));
      }
      List<Long> chunks = new ArrayList<>();
      boolean done = false;
      while ((line = in.readLine()) != null) {
        // Spring writes "event:chunk", the stand-ins "event: chunk"
        String event = line.startsWith("event:") ? line.substring(6).trim() : "";
        if (event.equals("chunk")) {
          chunks.add(System.nanoTime() - start);
        } else if (event.equals("done") || event.equals("error")) {
          done = event.equals("done");
          break;
        }
      }
      return new Result(headers, chunks, done);
    }
  }
}
