package io.jindouyun.history;

/** What {@link HistoryStore#store} did with a turn. */
public enum StoreResult {
  /** The turn is stored now. */
  STORED,
  /** A turn with the same (streamId, generation) was stored before: nothing changed. */
  DUPLICATE,
  /** The conversation belongs to another user: nothing stored. */
  FOREIGN,
  /** The conversation holds its maximum of turns: nothing stored. */
  FULL
}
