package io.jindouyun.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/** Bounded polling used while a fixture starts. */
final class Waits {

  private static final Duration POLL = Duration.ofMillis(20);

  private Waits() {}

  /** Polls {@code condition} until it holds or {@code max} passes; then fails with the detail. */
  static void until(BooleanSupplier condition, Duration max, Supplier<String> failure) {
    try {
      Awaitility.await()
          .atMost(max)
          .pollDelay(Duration.ZERO)
          .pollInterval(POLL)
          .until(condition::getAsBoolean);
    } catch (ConditionTimeoutException e) {
      throw new IllegalStateException(
          "not ready within " + max.toMillis() + " ms: " + failure.get(), e);
    }
  }

  static boolean portOpen(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
