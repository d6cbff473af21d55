package io.jindouyun.gateway.stream;

import java.util.Locale;

/**
 * What applying one chunk to a {@link Generation} did, for the map to act on.
 *
 * @param applied text was added to the buffer (this chunk, maybe with held ones it released)
 * @param reset a higher attempt cleared the buffer
 * @param finished the generation ended (last chunk, error chunk or a bound)
 * @param overflow it ended on a bound (bytes per stream, chunks held): cancel it upstream
 * @param awaitingGap chunks are held behind a missing one: the gap deadline must run
 * @param dropped why the chunk was dropped, or null if it was not
 */
record ApplyResult(
    boolean applied,
    boolean reset,
    boolean finished,
    boolean overflow,
    boolean awaitingGap,
    Drop dropped) {

  /** Why a chunk was dropped; the name in lower case is the reason given to listeners. */
  enum Drop {
    /** The generation has ended. */
    STALE,
    /** The seq was applied or is held already. */
    DUPLICATE,
    /** A lower attempt than the one being applied. */
    ZOMBIE;

    /** The reason as listeners name it. */
    String reason() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  static final ApplyResult STALE = dropped(Drop.STALE, false);
  static final ApplyResult ZOMBIE = dropped(Drop.ZOMBIE, false);

  /** A dropped chunk; {@code reset} if it reset the buffer before. */
  static ApplyResult dropped(Drop why, boolean reset) {
    return new ApplyResult(false, reset, false, false, false, why);
  }

  /** Whether readers have something new: text, a reset or the end. */
  boolean wakesReaders() {
    return applied || reset || finished;
  }
}
