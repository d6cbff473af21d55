package io.jindouyun.gateway.stream;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Locale;

/**
 * Not a test: prints the heap the stream map really retains against what its {@link ByteBudget}
 * counts, for streams with nothing buffered, answers of Latin-1 and of wider text, and answers with
 * chunks held back out of order, and long answers (whose arrays, under G1, must stay below half a
 * region, or each takes a whole region). Run after {@code mvn -pl stream-gateway test-compile}:
 *
 * <pre>
 * java -Xmx1g -XX:+UseSerialGC -cp "stream-gateway/target/classes:stream-gateway/target/test-classes" \
 *     io.jindouyun.gateway.stream.BudgetFootprint
 * </pre>
 *
 * and with {@code -XX:+UseG1GC} in place of {@code -XX:+UseSerialGC} (the gateway's collector).
 */
public final class BudgetFootprint {

  private static int streams = 4_000;
  private static boolean quiet;
  private static final Deadlines NONE = (d, t) -> {};

  private BudgetFootprint() {}

  public static void main(String[] args) {
    quiet = true;
    measure("warm-up", 0, "", false); // class loading and the first allocations, not reported
    quiet = false;
    System.out.println(
        "| buffers | streams | retained heap per stream | budget per stream | budget / heap |"
            + " answer's UTF-8 bytes, the count before (/ heap) |");
    System.out.println("|---|---|---|---|---|---|");
    measure("none (handshake done, no chunk yet)", 0, "", false);
    measure("ASCII answer, 200 chunks of 40 chars", 200, "a".repeat(39) + " ", false);
    measure(
        "dev-LLM-like answer (CJK, emoji), 200 chunks",
        200,
        "the 筋斗云 streams 🚀 to a gateway, ",
        false);
    measure("ASCII, 200 chunks held back (chunk 0 missing)", 200, "b".repeat(39) + " ", true);
    streams = 200;
    measure("long dev-LLM-like answer: 512 chunks of 512 chars", 512, wide(512), false);
    measure("long answer in 16 chunks of 16,384 chars (the flood's)", 16, wide(16_384), false);
  }

  private static void measure(String label, int chunks, String delta, boolean holdBack) {
    StreamLimits limits =
        new StreamLimits(
            64L << 20,
            1L << 40,
            streams * 2,
            8,
            1024,
            Duration.ofSeconds(5),
            Duration.ofHours(1),
            Duration.ofHours(1),
            Duration.ofHours(1),
            16,
            Duration.ofHours(1));
    String[] ids = new String[streams];
    String[] users = new String[streams];
    for (int i = 0; i < streams; i++) {
      ids[i] = "gw-1~" + String.format(Locale.ROOT, "%022d", i);
      users[i] = "user-" + i;
    }
    StreamMap map =
        new StreamMap(
            limits,
            GenerationClock.system(),
            NONE,
            (s, g, r) -> {},
            StreamMapListener.NONE,
            System::nanoTime,
            System::currentTimeMillis);
    long utf8 = 0;
    long before = usedHeap();
    for (int i = 0; i < streams; i++) {
      Generation g = map.open(users[i], ids[i]).generation();
      for (int seq = 0; seq < chunks; seq++) {
        // held back: chunk 0 never arrives, so every later one waits for it
        long s = holdBack ? seq + 1 : seq;
        map.onChunk(
            new IncomingChunk(
                new String(ids[i].toCharArray()),
                g.number(),
                1,
                s,
                new String(delta.toCharArray()),
                "",
                null,
                null,
                0));
        if (!holdBack) {
          utf8 += Utf8.length(delta);
        }
      }
    }
    long heap = usedHeap() - before;
    long counted = map.bufferedBytes();
    if (quiet) {
      return;
    }
    System.out.printf(
        Locale.ROOT,
        "| %s | %d | %.0f B | %.0f B | %.2f | %.0f B (%.2f) |%n",
        label,
        streams,
        (double) heap / streams,
        (double) counted / streams,
        (double) counted / heap,
        (double) utf8 / streams,
        (double) utf8 / heap);
    sink = map;
    sink = null;
  }

  /** {@code chars} chars of ASCII words with one CJK word, as the dev LLM writes. */
  private static String wide(int chars) {
    StringBuilder b = new StringBuilder("筋斗云 ");
    while (b.length() < chars) {
      b.append("streams tokens to a browser and gateway ");
    }
    b.setLength(chars);
    return b.toString();
  }

  private static long usedHeap() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static volatile Object sink;
}
