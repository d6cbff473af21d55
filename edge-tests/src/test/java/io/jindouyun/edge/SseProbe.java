package io.jindouyun.edge;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
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
      InputStream raw = new BufferedInputStream(socket.getInputStream(), 256);
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
      while ((line = asciiLine(raw)) != null && !line.isEmpty()) {
        headers.add(line.toLowerCase(Locale.ROOT));
      }
      // the body as the server wrote it: a transfer chunk may end anywhere, even inside a line
      InputStream body = headers.contains("transfer-encoding: chunked") ? new Dechunked(raw) : raw;
      BufferedReader in =
          new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8), 256);
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

  /** One CRLF- or LF-ended ASCII line without its end, or null at the end of the stream. */
  private static String asciiLine(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    int b;
    while ((b = in.read()) != -1) {
      if (b == '\n') {
        int n = line.length();
        return n > 0 && line.charAt(n - 1) == '\r' ? line.substring(0, n - 1) : line.toString();
      }
      line.append((char) b);
    }
    return line.length() == 0 ? null : line.toString();
  }

  /**
   * The payload of an HTTP/1.1 chunked body (RFC 9112 §7.1): chunk-size lines and the CRLF after
   * each chunk are dropped; a zero-size chunk ends it. A read returns what one chunk has arrived
   * of, so arrival times are kept.
   */
  private static final class Dechunked extends InputStream {
    private final InputStream in;
    private long left;
    private boolean ended;

    Dechunked(InputStream in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      if (left == 0 && !nextChunk()) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n == -1) {
        throw new IOException("the stream ended inside a chunk");
      }
      left -= n;
      if (left == 0) {
        asciiLine(in); // the CRLF after the chunk's data
      }
      return n;
    }

    private boolean nextChunk() throws IOException {
      if (ended) {
        return false;
      }
      String size = asciiLine(in);
      if (size == null) {
        throw new IOException("the stream ended before the last chunk");
      }
      int ext = size.indexOf(';');
      left = Long.parseLong((ext >= 0 ? size.substring(0, ext) : size).trim(), 16);
      if (left == 0) {
        ended = true;
        return false;
      }
      return true;
    }
  }
}
