package io.jindouyun.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hands out free loopback TCP ports.
 *
 * <p>A port is found by binding port 0 on 127.0.0.1 and closing the socket again; a port handed out
 * once in this JVM is never handed out twice, so two fixtures started in one test do not collide.
 * Thread-safe.
 */
public final class FreePorts {

  private static final int MAX_TRIES = 50;
  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

  private FreePorts() {}

  /** Returns a loopback port that was free a moment ago and was not returned before. */
  public static int next() {
    for (int i = 0; i < MAX_TRIES; i++) {
      try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        socket.setReuseAddress(true);
        int port = socket.getLocalPort();
        if (HANDED_OUT.add(port)) {
          return port;
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot bind a loopback port", e);
      }
    }
    throw new IllegalStateException("no free loopback port after " + MAX_TRIES + " tries");
  }
}
