package io.jindouyun.consumer.job;

/** How a job run ended, and what follows for its record. */
public enum JobOutcome {
  /** The answer was streamed to the end. Commit. */
  COMPLETED(false, true),
  /** A cancel came from {@code chat.control}. Commit. */
  CANCELLED(false, true),
  /** The job's deadline (or the maximum job duration) passed; an error chunk went out. Commit. */
  EXPIRED(false, true),
  /**
   * A newer job of the same user came (later in the user's partition); a {@code superseded} error
   * chunk went out. Commit.
   */
  SUPERSEDED(false, true),
  /** The user's fleet-wide rate was spent; a {@code rate-limited} error chunk went out. Commit. */
  RATE_LIMITED(false, true),
  /** The record repeats a job already running here. Commit (the running copy answers). */
  DUPLICATE(false, true),
  /** The stream failed after tokens were sent; an error chunk went out. Commit. */
  FAILED_MID_STREAM(false, true),
  /** Transient failures outlasted the retries; an error chunk went out. Dead letter, commit. */
  FAILED_RETRIES_EXHAUSTED(true, true),
  /** A fatal failure (LLM 4xx, bad job); an error chunk went out when possible. Dead letter. */
  FAILED_FATAL(true, true),
  /** Stopped because its partition moved or the process stops. No commit: it is redelivered. */
  ABANDONED(false, false);

  private final boolean deadLetter;
  private final boolean commit;

  JobOutcome(boolean deadLetter, boolean commit) {
    this.deadLetter = deadLetter;
    this.commit = commit;
  }

  /** Whether the record goes to the dead-letter topic. */
  public boolean deadLetter() {
    return deadLetter;
  }

  /** Whether the record's offset may be committed once every earlier one may. */
  public boolean commit() {
    return commit;
  }
}
