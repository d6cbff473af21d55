package io.jindouyun.history;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Which earlier turns a job carries: the newest ones whose prompts and answers fit in a budget of
 * characters, oldest first. A turn that does not fit whole is left out with every older one (the
 * oldest go out first), so the model never sees a turn cut in the middle. Pure; thread-safe.
 */
public final class ContextBudget {

  private final int maxChars;

  /** A budget of {@code maxChars} characters (0: no earlier turns). */
  public ContextBudget(int maxChars) {
    if (maxChars < 0) {
      throw new IllegalArgumentException("maxChars must be >= 0: " + maxChars);
    }
    this.maxChars = maxChars;
  }

  /** Whether a turn of {@code chars} characters still fits after {@code used}. */
  public boolean fits(long used, long chars) {
    return used + chars <= maxChars;
  }

  /** Characters of {@code turn} counted against the budget: its prompt and its answer. */
  public static long chars(Turn turn) {
    long chars = turn.answer().length();
    for (Message m : turn.prompt()) {
      chars += m.content().length();
    }
    return chars;
  }

  /** The turns of {@code newestFirst} that fit, oldest first. */
  public List<Turn> select(List<Turn> newestFirst) {
    List<Turn> kept = new ArrayList<>();
    long used = 0;
    for (Turn turn : newestFirst) {
      long chars = chars(turn);
      if (!fits(used, chars)) {
        break;
      }
      used += chars;
      kept.add(turn);
    }
    Collections.reverse(kept);
    return kept;
  }
}
