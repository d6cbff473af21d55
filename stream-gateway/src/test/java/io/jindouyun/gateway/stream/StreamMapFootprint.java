package io.jindouyun.gateway.stream;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Not a test: prints the stream map's heap per idle stream and per buffered chunk, and its CPU per
 * chunk, each next to a baseline measured in the same run. Run after {@code mvn -pl stream-gateway
 * test-compile}:
 *
 * <pre>
 * java -Xmx1g -XX:+UseSerialGC -cp "stream-gateway/target/classes:stream-gateway/target/test-classes" \
 *     io.jindouyun.gateway.stream.StreamMapFootprint
 * </pre>
 */
public final class StreamMapFootprint {

  private static final int STREAMS = 20_000;
  private static final int CHUNKS = 200_000;
  private static final String DELTA = "token12 "; // 8 chars, like a coalesced chunk of ~2 tokens

  private StreamMapFootprint() {}

  public static void main(String[] args) {
    StreamLimits limits =
        new StreamLimits(
            64L << 20,
            1L << 40,
            STREAMS * 2,
            8,
            1024,
            Duration.ofSeconds(5),
            Duration.ofHours(1),
            Duration.ofHours(1),
            Duration.ofHours(1),
            16,
            Duration.ofHours(1));
    Deadlines none = (d, t) -> {};

    // 1. idle streams: a generation with one attached reader and nothing buffered
    List<String> ids = new ArrayList<>(STREAMS);
    for (int i = 0; i < STREAMS; i++) {
      ids.add("gw-1~" + String.format("%022d", i));
    }
    long before = usedHeap();
    StreamMap map = newMap(limits, none);
    List<Cursor> cursors = new ArrayList<>(STREAMS);
    for (int i = 0; i < STREAMS; i++) {
      map.open("user-" + i, ids.get(i));
      cursors.add(map.attach("user-" + i, ids.get(i), null, () -> {}));
    }
    long idle = usedHeap() - before;
    System.out.printf(
        "idle stream (slot + generation + index entry + cursor + user id): %.0f bytes each%n",
        (double) idle / STREAMS);
    long baseBefore = usedHeap();
    java.util.concurrent.ConcurrentHashMap<String, Object> bare =
        new java.util.concurrent.ConcurrentHashMap<>();
    for (int i = 0; i < STREAMS; i++) {
      bare.put("user-" + i, ids.get(i));
    }
    long base = usedHeap() - baseBefore;
    System.out.printf(
        "baseline, one ConcurrentHashMap entry userId -> streamId: %.0f bytes each (ratio %.1fx)%n",
        (double) base / STREAMS, (double) idle / base);
    cursors.forEach(Cursor::close);
    // keep the cursors too: once the JIT finds the local dead, they could be collected during
    // section 2 and make its figure look smaller than the buffer is
    keep(map, bare, cursors);

    // 2. buffered chunks: one text + int offsets vs one String per chunk
    StreamMap one = newMap(limits, none);
    Generation g = one.open("u", "gw-1~big").generation();
    long b0 = usedHeap();
    for (int seq = 0; seq < CHUNKS; seq++) {
      one.onChunk(new IncomingChunk("gw-1~big", g.number(), 1, seq, DELTA, "", null, null, 0));
    }
    long buffered = usedHeap() - b0;
    long l0 = usedHeap();
    List<String> perToken = new ArrayList<>();
    for (int seq = 0; seq < CHUNKS; seq++) {
      perToken.add(new String(DELTA.toCharArray()));
    }
    long list = usedHeap() - l0;
    System.out.printf(
        "buffer: %.1f bytes per %d-char chunk; baseline ArrayList<String>: %.1f bytes (%.1fx less)%n",
        (double) buffered / CHUNKS,
        DELTA.length(),
        (double) list / CHUNKS,
        (double) list / buffered);
    keep(one, perToken);

    // 3. CPU: apply + one reader's poll per chunk, vs list add + iterate
    for (int round = 0; round < 5; round++) {
      StreamMap m = newMap(limits, none);
      Generation gen = m.open("u", "gw-1~cpu").generation();
      Cursor c = m.attach("u", "gw-1~cpu", null, () -> {});
      long t0 = System.nanoTime();
      long seen = 0;
      for (int seq = 0; seq < CHUNKS; seq++) {
        m.onChunk(new IncomingChunk("gw-1~cpu", gen.number(), 1, seq, DELTA, "", null, null, 0));
        seen += c.poll().size();
      }
      long mapNs = System.nanoTime() - t0;
      long t1 = System.nanoTime();
      List<String> l = new ArrayList<>();
      long seen2 = 0;
      for (int seq = 0; seq < CHUNKS; seq++) {
        l.add(DELTA);
        seen2 += List.copyOf(l.subList(l.size() - 1, l.size())).size();
      }
      long listNs = System.nanoTime() - t1;
      if (round == 4) {
        System.out.printf(
            "cpu: %.0f ns per chunk applied and read; baseline list add + copy: %.0f ns (%.1fx) [%d %d]%n",
            (double) mapNs / CHUNKS,
            (double) listNs / CHUNKS,
            (double) mapNs / listNs,
            seen,
            seen2);
      }
    }
  }

  private static StreamMap newMap(StreamLimits limits, Deadlines deadlines) {
    return new StreamMap(
        limits,
        GenerationClock.system(),
        deadlines,
        (s, g, r) -> {},
        StreamMapListener.NONE,
        System::nanoTime,
        System::currentTimeMillis);
  }

  private static long usedHeap() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static volatile Object sink;

  private static void keep(Object... things) {
    sink = things;
  }
}
