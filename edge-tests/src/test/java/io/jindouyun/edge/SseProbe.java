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

  static Result get(int port, String path) throws IOException {
    try (Socket socket = new Socket()) {
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(10_000);
      socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      OutputStream out = socket.getOutputStream();
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8), 256);
      long start = System.nanoTime();
      out.write(
          ("GET "
                  + path
                  + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                  + "Accept-Encoding: gzip\r\nConnection: close\r\n\r\n")
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
        if (line.equals("event: chunk")) {
          chunks.add(System.nanoTime() - start);
        } else if (line.equals("event: done")) {
          done = true;
          break;
        }
      }
      return new Result(headers, chunks, done);
    }
  }
}
