package io.jindouyun.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.json.JsonMapper;

/**
 * The routing bench's load and measurements (bench/routing/run.sh starts the suite, the front doors
 * and the faults): open-loop Poisson chats through each front door in turn, on the same gateways,
 * while one gateway (the victim) is made sick by a fault hook.
 *
 * <p>First the healthy fleet's capacity: the highest arrival rate at which chats through the
 * capacity door (round robin) keep TTFT p99 at or under a bound with no error and no wrong text
 * ({@link CapacitySearch}). Then, for each load (a fraction of that capacity) and scenario, one
 * round per front door, the doors' order rotating from round to round: a warm healthy phase, the
 * fault, the recovery. Writes results.json, results.csv and results.md to {@code --out}.
 *
 * <pre>
 * java -jar bench/target/bench-*-exec.jar --mode=routing \
 *     --doors=rr=http://127.0.0.1:18480,lc=http://127.0.0.1:18481 --fault-hook=bench/routing/fault.sh
 * </pre>
 */
public final class RoutingBench {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  record Options(
      Map<String, String> doors,
      String llm,
      List<String> gateways,
      String victim,
      List<String> scenarios,
      List<Double> loads,
      double capacity,
      String capacityDoor,
      double capacityStart,
      double capacityMax,
      int capacityBisections,
      Duration capacityTrial,
      double ttftBoundMs,
      Duration warmup,
      Duration warm,
      Duration fault,
      Duration recovery,
      String faultHook,
      int tokens,
      int ttftMs,
      int delayMs,
      int prompts,
      int maxInFlight,
      Duration chatTimeout,
      Duration shareWindow,
      Duration hold,
      int shareMinCount,
      long seed,
      Path out,
      String secret) {

    static Options parse(String[] args) {
      Map<String, String> map = new HashMap<>();
      for (String arg : args) {
        if (!arg.startsWith("--") || !arg.contains("=")) {
          throw new IllegalArgumentException("arguments are --name=value, got: " + arg);
        }
        map.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
      }
      Map<String, String> doors = new LinkedHashMap<>();
      for (String door : list(map.getOrDefault("doors", ""))) {
        String[] kv = door.split("=", 2);
        if (kv.length != 2) {
          throw new IllegalArgumentException("--doors is name=url,…, got: " + door);
        }
        doors.put(kv[0], kv[1]);
      }
      if (doors.isEmpty()) {
        throw new IllegalArgumentException("--doors=name=url,… is needed");
      }
      List<String> gateways = list(map.getOrDefault("gateways", "gw-1,gw-2,gw-3,gw-4"));
      return new Options(
          doors,
          map.getOrDefault("llm", "http://127.0.0.1:8099"),
          gateways,
          map.getOrDefault("victim", gateways.get(gateways.size() - 1)),
          list(map.getOrDefault("scenarios", "none,quota,stop,hog")),
          list(map.getOrDefault("loads", "0.5,0.8")).stream().map(Double::parseDouble).toList(),
          Double.parseDouble(map.getOrDefault("capacity", "0")),
          map.getOrDefault("capacity-door", doors.keySet().iterator().next()),
          Double.parseDouble(map.getOrDefault("capacity-start", "10")),
          Double.parseDouble(map.getOrDefault("capacity-max", "640")),
          Integer.parseInt(map.getOrDefault("capacity-bisections", "3")),
          seconds(map.getOrDefault("capacity-trial-s", "8")),
          Double.parseDouble(map.getOrDefault("ttft-bound-ms", "500")),
          seconds(map.getOrDefault("warmup-s", "10")),
          seconds(map.getOrDefault("warm-s", "5")),
          seconds(map.getOrDefault("fault-s", "20")),
          seconds(map.getOrDefault("recovery-s", "30")),
          map.getOrDefault("fault-hook", ""),
          Integer.parseInt(map.getOrDefault("tokens", "8")),
          Integer.parseInt(map.getOrDefault("ttft-ms", "50")),
          Integer.parseInt(map.getOrDefault("delay-ms", "20")),
          Integer.parseInt(map.getOrDefault("prompts", "16")),
          Integer.parseInt(map.getOrDefault("max-in-flight", "2000")),
          seconds(map.getOrDefault("chat-timeout-s", "30")),
          Duration.ofMillis(Long.parseLong(map.getOrDefault("share-window-ms", "1000"))),
          Duration.ofMillis(Long.parseLong(map.getOrDefault("hold-ms", "3000"))),
          Integer.parseInt(map.getOrDefault("share-min-count", "20")),
          Long.parseLong(map.getOrDefault("seed", "1")),
          Path.of(map.getOrDefault("out", "bench/routing/results/latest")),
          map.getOrDefault(
              "secret",
              System.getenv()
                  .getOrDefault(
                      "JINDOUYUN_JWT_SECRET", "jindouyun-dev-secret-change-me-0123456789abcdef")));
    }

    private static List<String> list(String csv) {
      return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    private static Duration seconds(String value) {
      return Duration.ofMillis(Math.round(Double.parseDouble(value) * 1000));
    }
  }

  /** One capacity trial. */
  record Trial(double rate, int chats, int errors, int wrongText, double p99Ms, boolean passed) {}

  private final Options options;
  private final OpenLoopChats chats;
  private final List<Trial> trials = new ArrayList<>();
  private final List<RoutingRow> rows = new ArrayList<>();
  private long seed;

  RoutingBench(Options options) {
    this.options = options;
    this.seed = options.seed();
    this.chats =
        new OpenLoopChats(
            options.secret(),
            options.tokens(),
            options.ttftMs(),
            options.delayMs(),
            options.prompts(),
            options.maxInFlight(),
            options.chatTimeout());
  }

  public static void main(String[] args) throws Exception {
    RoutingBench bench = new RoutingBench(Options.parse(args));
    bench.run();
    System.exit(0);
  }

  void run() throws Exception {
    chats.loadExpected(options.llm());
    for (Map.Entry<String, String> door : options.doors().entrySet()) {
      OpenLoopChats.Round warmup =
          healthy(door.getValue(), options.capacityStart(), options.warmup());
      System.out.printf(
          Locale.ROOT,
          "warm-up %s: %d chats at %.1f/s, %d errors%n",
          door.getKey(),
          warmup.chats().size(),
          options.capacityStart(),
          warmup.chats().stream().filter(c -> c.error() != null).count());
      printErrors();
    }
    double capacity = options.capacity() > 0 ? options.capacity() : measureCapacity();
    int round = 0;
    List<String> doors = List.copyOf(options.doors().keySet());
    for (double load : options.loads()) {
      double rate = load * capacity;
      for (String scenario : options.scenarios()) {
        for (int k = 0; k < doors.size(); k++) {
          String door = doors.get((round + k) % doors.size());
          RoutingRow row = faultRound(door, scenario, load, rate);
          rows.add(row);
          System.out.println(row.line());
          printErrors();
        }
        round++;
      }
    }
    write(capacity);
  }

  private double measureCapacity() throws Exception {
    String door = options.doors().get(options.capacityDoor());
    if (door == null) {
      throw new IllegalArgumentException("no door named " + options.capacityDoor());
    }
    CapacitySearch search =
        new CapacitySearch(
            options.capacityStart(),
            Math.min(1, options.capacityStart()),
            options.capacityMax(),
            options.capacityBisections());
    for (OptionalDouble next = search.next(); next.isPresent(); next = search.next()) {
      double rate = next.getAsDouble();
      OpenLoopChats.Round round = healthy(door, rate, options.capacityTrial());
      LatencyStats ttft = new LatencyStats();
      int errors = 0;
      int wrong = 0;
      for (OpenLoopChats.Chat chat : round.chats()) {
        errors += chat.error() != null ? 1 : 0;
        wrong += chat.wrongText() ? 1 : 0;
        if (chat.ttftNanos() >= 0) {
          ttft.recordNanos(chat.ttftNanos());
        }
      }
      double p99 = ttft.millisAt(99);
      boolean passed = errors == 0 && wrong == 0 && p99 <= options.ttftBoundMs();
      trials.add(new Trial(rate, round.chats().size(), errors, wrong, p99, passed));
      search.record(rate, passed);
      System.out.printf(
          Locale.ROOT,
          "capacity trial %.1f chats/s through %s: %d chats, %d errors, %d wrong, TTFT p99 %.1f ms: %s%n",
          rate,
          options.capacityDoor(),
          round.chats().size(),
          errors,
          wrong,
          p99,
          passed ? "pass" : "fail");
      printErrors();
    }
    double capacity =
        search
            .capacity()
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "no rate passed (from "
                            + Math.min(1, options.capacityStart())
                            + "/s): lower --capacity-start or raise --ttft-bound-ms"));
    System.out.printf(Locale.ROOT, "capacity: %.1f chats/s%n", capacity);
    return capacity;
  }

  private OpenLoopChats.Round healthy(String door, double rate, Duration length)
      throws InterruptedException {
    long[] schedule = PoissonSchedule.offsetsNanos(rate, length, seed++, 1_000_000);
    return chats.run(door, schedule, length, Duration.ZERO, Duration.ZERO, null, null);
  }

  private RoutingRow faultRound(String door, String scenario, double load, double rate)
      throws InterruptedException {
    boolean faulted = !"none".equals(scenario);
    Duration length =
        options.warm().plus(options.fault()).plus(faulted ? options.recovery() : Duration.ZERO);
    long[] schedule = PoissonSchedule.offsetsNanos(rate, length, seed++, 1_000_000);
    OpenLoopChats.Round round =
        chats.run(
            options.doors().get(door),
            schedule,
            length,
            options.warm(),
            options.fault(),
            faulted ? () -> hook("start", scenario) : null,
            faulted ? () -> hook("stop", scenario) : null);
    return RoutingRow.of(
        door,
        scenario,
        load,
        rate,
        round,
        options.gateways(),
        options.victim(),
        options.shareWindow().toNanos(),
        options.hold().toNanos(),
        options.shareMinCount());
  }

  private void hook(String verb, String scenario) throws IOException, InterruptedException {
    if (options.faultHook().isEmpty()) {
      throw new IllegalStateException("scenario " + scenario + " needs --fault-hook");
    }
    Process process =
        new ProcessBuilder(options.faultHook(), verb, scenario, options.victim())
            .inheritIO()
            .start();
    if (!process.waitFor(15, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException("fault hook timed out: " + verb + " " + scenario);
    }
    if (process.exitValue() != 0) {
      throw new IllegalStateException(
          "fault hook failed (" + process.exitValue() + "): " + verb + " " + scenario);
    }
  }

  private void printErrors() {
    chats
        .drainFirstErrors()
        .forEach((kind, message) -> System.out.println("  first " + kind + ": " + message));
  }

  private void write(double capacity) throws IOException {
    Files.createDirectories(options.out());
    String markdown = RoutingRow.markdown(rows, options.gateways(), options.victim());
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("doors", options.doors());
    settings.put("gateways", options.gateways());
    settings.put("victim", options.victim());
    settings.put("ttftBoundMs", options.ttftBoundMs());
    settings.put("warmS", options.warm().toMillis() / 1000.0);
    settings.put("faultS", options.fault().toMillis() / 1000.0);
    settings.put("recoveryS", options.recovery().toMillis() / 1000.0);
    settings.put("shareWindowMs", options.shareWindow().toMillis());
    settings.put("holdMs", options.hold().toMillis());
    settings.put("shareMinCount", options.shareMinCount());
    Map<String, String> faults = new LinkedHashMap<>();
    for (String name : List.of("QUOTA_PCT", "HOG_QUOTA_PCT", "STOP_MS", "STOP_EVERY_MS")) {
      faults.put(name, System.getenv().getOrDefault(name, "default"));
    }
    settings.put("faultEnvironment", faults);
    settings.put(
        "chat",
        Map.of(
            "tokens", options.tokens(), "ttftMs", options.ttftMs(), "delayMs", options.delayMs()));
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("settings", settings);
    json.put("capacity", capacity);
    json.put("capacityTrials", trials.stream().map(RoutingBench::trialMap).toList());
    json.put("rows", RoutingRow.maps(rows));
    Files.writeString(
        options.out().resolve("results.json"),
        JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json),
        StandardCharsets.UTF_8);
    Files.writeString(
        options.out().resolve("results.csv"),
        RoutingRow.csv(rows, options.gateways()),
        StandardCharsets.UTF_8);
    String header =
        String.format(
            Locale.ROOT,
            "capacity (round robin, TTFT p99 <= %.0f ms, no error): %.1f chats/s%n%n",
            options.ttftBoundMs(),
            capacity);
    Files.writeString(
        options.out().resolve("results.md"), header + markdown, StandardCharsets.UTF_8);
    System.out.println();
    System.out.print(header + markdown);
    System.out.println("results: " + options.out().toAbsolutePath());
  }

  private static Map<String, Object> trialMap(Trial t) {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("rate", t.rate());
    map.put("chats", t.chats());
    map.put("errors", t.errors());
    map.put("wrongText", t.wrongText());
    map.put("ttftP99Ms", t.p99Ms());
    map.put("passed", t.passed());
    return map;
  }
}
