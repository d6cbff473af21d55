package io.jindouyun.consumer.job;

import io.jindouyun.consumer.llm.LlmHttpException;
import io.jindouyun.consumer.llm.LlmProtocolException;
import io.jindouyun.consumer.llm.LlmStreamException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * Sorts failures of an upstream call into transient (retried with backoff, before the first token
 * only) and fatal (never retried; the job goes to the dead-letter topic).
 *
 * <p>Fatal: the types in {@link #FATAL_TYPES} and an {@link LlmHttpException} with a 4xx status
 * other than 408 and 429. Transient: an {@link LlmHttpException} with 408, 429 or 5xx, and the
 * types in {@link #TRANSIENT_TYPES} (connection refused or reset, timeouts, a stream that broke or
 * reported an error before its first token) plus the connection failures of the LLM client's
 * transport, which the client names (here they are only types, so this class stays free of the
 * transport). Anything else is fatal: an unknown failure is more likely a bug than weather. Causes
 * are searched too. Immutable.
 */
public final class FailureClassifier {

  /** Never retried. */
  public static final List<Class<? extends Throwable>> FATAL_TYPES =
      List.of(
          InvalidJobException.class,
          LlmProtocolException.class,
          IllegalArgumentException.class,
          NullPointerException.class,
          ClassCastException.class);

  /** Retried before the first token. */
  public static final List<Class<? extends Throwable>> TRANSIENT_TYPES =
      List.of(LlmStreamException.class, IOException.class, TimeoutException.class);

  private final List<Class<? extends Throwable>> transientTypes;

  /**
   * @param transportFailures the transient failures of the LLM client's transport (connection
   *     failures), retried like {@link #TRANSIENT_TYPES}
   */
  public FailureClassifier(List<Class<? extends Throwable>> transportFailures) {
    List<Class<? extends Throwable>> types = new ArrayList<>(TRANSIENT_TYPES);
    types.addAll(transportFailures);
    this.transientTypes = List.copyOf(types);
  }

  /** Whether retrying {@code failure} may help. */
  public boolean isTransient(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof LlmHttpException http) {
        int status = http.status();
        return status == 408 || status == 429 || status >= 500;
      }
      if (matches(FATAL_TYPES, t)) {
        return false;
      }
      if (matches(transientTypes, t)) {
        return true;
      }
    }
    return false;
  }

  private static boolean matches(List<Class<? extends Throwable>> types, Throwable t) {
    for (Class<? extends Throwable> type : types) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }
}
