package io.jindouyun.devllm;

import java.util.ArrayDeque;
import java.util.List;

/**
 * The messages of the last {@value #CAPACITY} chat requests received, oldest first, for tests that
 * check what a client sent (for example the earlier turns of a conversation). Thread-safe.
 */
final class ReceivedRequests {

  static final int CAPACITY = 64;

  private final ArrayDeque<List<DevLlmServer.ReceivedMessage>> requests = new ArrayDeque<>();

  synchronized void add(ChatRequest request) {
    if (requests.size() == CAPACITY) {
      requests.removeFirst();
    }
    requests.addLast(
        request.messages().stream()
            .map(m -> new DevLlmServer.ReceivedMessage(m.role(), m.content()))
            .toList());
  }

  synchronized List<List<DevLlmServer.ReceivedMessage>> snapshot() {
    return List.copyOf(requests);
  }
}
