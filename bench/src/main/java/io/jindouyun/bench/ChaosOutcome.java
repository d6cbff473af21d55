package io.jindouyun.bench;

/**
 * How one chat of the chaos bench ended, judged from its handshake and its stream alone.
 *
 * <ul>
 *   <li>{@link #EXACT}: done, with the LLM's exact text and no event id twice.
 *   <li>{@link #DUPLICATED}: done, but an event id came twice (after the last {@code reset}) or the
 *       text is longer than the LLM's (a chunk delivered twice).
 *   <li>{@link #GARBLED}: done, with another text than the LLM's (not longer: missing or wrong).
 *   <li>{@link #LOST}: the handshake was accepted (202) but the stream never reached {@code done}
 *       (an error, a 4xx, more than the allowed reconnections, or the chat timeout).
 *   <li>{@link #FAILED_HANDSHAKE}: the handshake did not answer 202 (or could not connect): the
 *       client was told at once and nothing was accepted, so nothing was lost.
 * </ul>
 */
enum ChaosOutcome {
  EXACT,
  DUPLICATED,
  GARBLED,
  LOST,
  FAILED_HANDSHAKE;

  /** The outcome of a chat that reached {@code done} with {@code text}. */
  static ChaosOutcome ofDone(String text, String expected, boolean repeatedId) {
    if (repeatedId || text.length() > expected.length()) {
      return DUPLICATED;
    }
    return text.equals(expected) ? EXACT : GARBLED;
  }
}
