package io.jindouyun.ipconfig.config;

import io.jindouyun.contract.InstanceRecord;
import io.jindouyun.contract.ServiceName;
import io.jindouyun.ipconfig.ranking.ServiceSpec;
import io.jindouyun.ipconfig.scoring.Metric;
import io.jindouyun.ipconfig.scoring.ScoringPolicy;
import io.jindouyun.ipconfig.scoring.ScoringPolicy.MetricSpec;
import io.jindouyun.ipconfig.scoring.ScoringPolicy.WindowSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Reads and validates {@code ipconfig.yml}. Every problem is collected and reported at once, with
 * its path in the file, so one start tells the operator everything that is wrong:
 *
 * <ul>
 *   <li>at least one window; each length &gt; 0, weight &gt; 0, buckets 1..{@value #MAX_BUCKETS}
 *       dividing the length (default {@value #DEFAULT_BUCKETS});
 *   <li>metrics named cpu, memory, inflight, ttft, errors; weights &ge; 0 and not all zero; limits
 *       &gt; 0;
 *   <li>weight-floor and neutral-score in [0,1]; stale-after &gt; 0; error-penalty &ge; 0;
 *   <li>prediction (every field optional, defaults in {@link ScoringPolicy.Prediction#DEFAULTS}):
 *       fast-window and damped-window as windows (their weight is not used), the damped one longer;
 *       forgetting in (0,1]; min-samples &ge; 1; exponent &gt; 0; min-ttft &gt; 0; hysteresis in
 *       [0,1); max-rise-per-second &gt; 0; damp-above-rank-changes-per-minute &gt; 0;
 *   <li>at least one service, unique valid names, list-size &ge; 1, static instances valid and
 *       unique per service.
 * </ul>
 */
public final class RankingConfigLoader {

  /** Buckets per window when not given. */
  public static final int DEFAULT_BUCKETS = 10;

  /** Largest bucket count of one window. */
  public static final int MAX_BUCKETS = 3600;

  static final double DEFAULT_WEIGHT_FLOOR = 0.1;
  static final double DEFAULT_NEUTRAL_SCORE = 0.5;
  static final Duration DEFAULT_STALE_AFTER = Duration.ofSeconds(15);
  static final double DEFAULT_ERROR_PENALTY = 2.0;
  static final int DEFAULT_LIST_SIZE = 10;

  private final YAMLMapper mapper =
      YAMLMapper.builder().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

  /**
   * Parses {@code yaml}.
   *
   * @param origin where it came from, for messages
   * @throws InvalidConfigException listing every problem
   */
  public RankingConfig parse(String yaml, String origin) {
    RankingConfigFile file;
    try {
      file = mapper.readValue(yaml, RankingConfigFile.class);
    } catch (JacksonException e) {
      throw new InvalidConfigException(origin, List.of(e.getOriginalMessage()));
    }
    if (file == null) {
      throw new InvalidConfigException(origin, List.of("the file is empty"));
    }
    List<String> problems = new ArrayList<>();
    List<WindowSpec> windows = windows(file.windows(), problems);
    Map<Metric, MetricSpec> metrics = metrics(file.metrics(), problems);
    double floor = fraction(file.weightFloor(), DEFAULT_WEIGHT_FLOOR, "weight-floor", problems);
    double neutral =
        fraction(file.neutralScore(), DEFAULT_NEUTRAL_SCORE, "neutral-score", problems);
    Duration staleAfter =
        positiveDuration(file.staleAfter(), DEFAULT_STALE_AFTER, "stale-after", problems);
    double penalty = file.errorPenalty() == null ? DEFAULT_ERROR_PENALTY : file.errorPenalty();
    if (!(penalty >= 0) || Double.isInfinite(penalty)) {
      problems.add("error-penalty must be >= 0, got " + penalty);
    }
    int listSize = file.listSize() == null ? DEFAULT_LIST_SIZE : file.listSize();
    if (listSize < 1) {
      problems.add("list-size must be >= 1, got " + listSize);
    }
    ScoringPolicy.Prediction prediction = prediction(file.prediction(), problems);
    List<ServiceSpec> services = services(file.services(), listSize, problems);
    if (!problems.isEmpty()) {
      throw new InvalidConfigException(origin, problems);
    }
    ScoringPolicy policy =
        new ScoringPolicy(
            windows, metrics, floor, neutral, staleAfter.toMillis(), penalty, prediction);
    return new RankingConfig(policy, services);
  }

  private static List<WindowSpec> windows(
      List<RankingConfigFile.Window> raw, List<String> problems) {
    List<WindowSpec> windows = new ArrayList<>();
    if (raw == null || raw.isEmpty()) {
      problems.add("windows: at least one window is required");
      return windows;
    }
    for (int i = 0; i < raw.size(); i++) {
      RankingConfigFile.Window w = raw.get(i);
      String at = "windows[" + i + "]";
      if (w == null) {
        problems.add(at + " is empty");
        continue;
      }
      int before = problems.size();
      Duration length = positiveDuration(w.length(), null, at + ".length", problems);
      double weight = w.weight() == null ? Double.NaN : w.weight();
      if (!(weight > 0) || Double.isInfinite(weight)) {
        problems.add(at + ".weight must be > 0, got " + w.weight());
      }
      int buckets = w.buckets() == null ? DEFAULT_BUCKETS : w.buckets();
      if (buckets < 1 || buckets > MAX_BUCKETS) {
        problems.add(at + ".buckets must be in 1.." + MAX_BUCKETS + ", got " + buckets);
      } else if (length != null && length.toMillis() % buckets != 0) {
        problems.add(
            at + ".length (" + length.toMillis() + " ms) must divide into " + buckets + " buckets");
      }
      if (problems.size() == before) {
        windows.add(new WindowSpec(length.toMillis(), weight, buckets));
      }
    }
    return windows;
  }

  private static ScoringPolicy.Prediction prediction(
      RankingConfigFile.Prediction raw, List<String> problems) {
    ScoringPolicy.Prediction d = ScoringPolicy.Prediction.DEFAULTS;
    if (raw == null) {
      return d;
    }
    int before = problems.size();
    WindowSpec fast = window(raw.fastWindow(), d.fastWindow(), "prediction.fast-window", problems);
    WindowSpec slow =
        window(raw.dampedWindow(), d.dampedWindow(), "prediction.damped-window", problems);
    if (fast != null && slow != null && fast.lengthMillis() >= slow.lengthMillis()) {
      problems.add("prediction.damped-window must be longer than prediction.fast-window");
    }
    double forgetting = raw.forgetting() == null ? d.forgetting() : raw.forgetting();
    if (!(forgetting > 0 && forgetting <= 1)) {
      problems.add("prediction.forgetting must be in (0,1], got " + forgetting);
    }
    int minSamples = raw.minSamples() == null ? d.minSamples() : raw.minSamples();
    if (minSamples < 1) {
      problems.add("prediction.min-samples must be >= 1, got " + minSamples);
    }
    double exponent = positive(raw.exponent(), d.exponent(), "prediction.exponent", problems);
    Duration minTtft =
        positiveDuration(
            raw.minTtft(),
            Duration.ofNanos((long) (d.minTtftMillis() * 1_000_000)),
            "prediction.min-ttft",
            problems);
    double hysteresis = raw.hysteresis() == null ? d.hysteresis() : raw.hysteresis();
    if (!(hysteresis >= 0 && hysteresis < 1)) {
      problems.add("prediction.hysteresis must be in [0,1), got " + hysteresis);
    }
    double rise =
        positive(
            raw.maxRisePerSecond(),
            d.maxRisePerSecond(),
            "prediction.max-rise-per-second",
            problems);
    double dampAbove =
        positive(
            raw.dampAbove(),
            d.dampAboveRankChangesPerMinute(),
            "prediction.damp-above-rank-changes-per-minute",
            problems);
    if (problems.size() != before) {
      return d;
    }
    return new ScoringPolicy.Prediction(
        fast,
        slow,
        forgetting,
        minSamples,
        exponent,
        minTtft.toNanos() / 1e6,
        hysteresis,
        rise,
        dampAbove);
  }

  private static WindowSpec window(
      RankingConfigFile.Window w, WindowSpec def, String at, List<String> problems) {
    if (w == null) {
      return def;
    }
    Duration length = positiveDuration(w.length(), null, at + ".length", problems);
    int buckets = w.buckets() == null ? DEFAULT_BUCKETS : w.buckets();
    if (buckets < 1 || buckets > MAX_BUCKETS) {
      problems.add(at + ".buckets must be in 1.." + MAX_BUCKETS + ", got " + buckets);
      return null;
    }
    if (length == null) {
      return null;
    }
    if (length.toMillis() % buckets != 0) {
      problems.add(
          at + ".length (" + length.toMillis() + " ms) must divide into " + buckets + " buckets");
      return null;
    }
    return new WindowSpec(length.toMillis(), 1, buckets);
  }

  private static double positive(Double value, double def, String name, List<String> problems) {
    double v = value == null ? def : value;
    if (!(v > 0) || Double.isInfinite(v)) {
      problems.add(name + " must be > 0, got " + v);
    }
    return v;
  }

  private static Map<Metric, MetricSpec> metrics(
      Map<String, RankingConfigFile.MetricEntry> raw, List<String> problems) {
    Map<Metric, MetricSpec> metrics = new EnumMap<>(Metric.class);
    if (raw == null || raw.isEmpty()) {
      problems.add("metrics: at least one metric with a weight > 0 is required");
      return metrics;
    }
    double total = 0;
    for (Map.Entry<String, RankingConfigFile.MetricEntry> e : raw.entrySet()) {
      String at = "metrics." + e.getKey();
      Metric metric;
      try {
        metric = Metric.ofKey(e.getKey());
      } catch (IllegalArgumentException ex) {
        problems.add("metrics: " + ex.getMessage());
        continue;
      }
      RankingConfigFile.MetricEntry m = e.getValue();
      if (m == null || m.weight() == null || !(m.weight() >= 0) || m.weight().isInfinite()) {
        problems.add(at + ".weight must be >= 0, got " + (m == null ? null : m.weight()));
        continue;
      }
      double limit = m.limit() == null ? defaultLimit(metric) : m.limit();
      if (!(limit > 0) || Double.isInfinite(limit)) {
        problems.add(at + ".limit must be > 0, got " + m.limit());
        continue;
      }
      total += m.weight();
      metrics.put(metric, new MetricSpec(m.weight(), limit));
    }
    if (total <= 0 && !metrics.isEmpty()) {
      problems.add("metrics: weights must not all be zero");
    }
    return metrics;
  }

  /** The value at which a metric's sub-score reaches 0 when the file gives no limit. */
  static double defaultLimit(Metric metric) {
    return switch (metric) {
      case CPU, MEMORY -> 1.0;
      case INFLIGHT -> 200;
      case TTFT -> 2000;
      case ERRORS -> 0.5;
    };
  }

  private static List<ServiceSpec> services(
      List<RankingConfigFile.Service> raw, int defaultListSize, List<String> problems) {
    List<ServiceSpec> services = new ArrayList<>();
    if (raw == null || raw.isEmpty()) {
      problems.add("services: at least one service is required");
      return services;
    }
    Set<String> names = new HashSet<>();
    for (int i = 0; i < raw.size(); i++) {
      RankingConfigFile.Service s = raw.get(i);
      String at = "services[" + i + "]";
      if (s == null || s.name() == null || !ServiceName.isValid(s.name())) {
        problems.add(at + ".name must match " + ServiceName.PATTERN.pattern());
        continue;
      }
      if (!names.add(s.name())) {
        problems.add(at + ".name '" + s.name() + "' is listed twice");
      }
      int listSize = s.listSize() == null ? defaultListSize : s.listSize();
      if (listSize < 1) {
        problems.add(at + ".list-size must be >= 1, got " + listSize);
      }
      List<InstanceRecord> statics = new ArrayList<>();
      Set<String> ids = new HashSet<>();
      List<RankingConfigFile.StaticInstance> rawStatics =
          s.staticInstances() == null ? List.of() : s.staticInstances();
      for (int j = 0; j < rawStatics.size(); j++) {
        RankingConfigFile.StaticInstance st = rawStatics.get(j);
        String sat = at + ".static-instances[" + j + "]";
        if (st == null) {
          problems.add(sat + " is empty");
          continue;
        }
        InstanceRecord instance =
            new InstanceRecord(
                st.id(),
                s.name(),
                st.host(),
                st.httpPort() == null ? 0 : st.httpPort(),
                st.grpcPort() == null ? 0 : st.grpcPort(),
                st.zone(),
                "static",
                "");
        String problem = instance.validate();
        if (!problem.isEmpty()) {
          problems.add(sat + ": " + problem.replace("httpPort", "http-port"));
        } else if (!ids.add(st.id())) {
          problems.add(sat + ".id '" + st.id() + "' is listed twice");
        } else {
          statics.add(instance);
        }
      }
      services.add(new ServiceSpec(s.name(), listSize, statics));
    }
    return services;
  }

  private static double fraction(Double value, double def, String name, List<String> problems) {
    double v = value == null ? def : value;
    if (!(v >= 0 && v <= 1)) {
      problems.add(name + " must be in [0,1], got " + v);
    }
    return v;
  }

  private static Duration positiveDuration(
      String text, Duration def, String name, List<String> problems) {
    if (text == null) {
      if (def == null) {
        problems.add(name + " is required");
      }
      return def;
    }
    try {
      Duration d = Durations.parse(text);
      if (d.isNegative() || d.isZero() || d.toMillis() == 0) {
        problems.add(name + " must be > 0, got " + text);
        return null;
      }
      return d;
    } catch (IllegalArgumentException e) {
      problems.add(name + ": " + e.getMessage());
      return null;
    }
  }
}
