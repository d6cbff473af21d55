package io.jindouyun.ipconfig.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * The raw shape of {@code ipconfig.yml}, as read by Jackson before validation (see {@link
 * RankingConfigLoader}). Durations are strings such as {@code 10s}.
 */
record RankingConfigFile(
    List<Window> windows,
    Map<String, MetricEntry> metrics,
    @JsonProperty("weight-floor") Double weightFloor,
    @JsonProperty("neutral-score") Double neutralScore,
    @JsonProperty("stale-after") String staleAfter,
    @JsonProperty("error-penalty") Double errorPenalty,
    @JsonProperty("list-size") Integer listSize,
    Prediction prediction,
    List<Service> services) {

  record Prediction(
      @JsonProperty("fast-window") Window fastWindow,
      @JsonProperty("damped-window") Window dampedWindow,
      Double forgetting,
      @JsonProperty("min-samples") Integer minSamples,
      Double exponent,
      @JsonProperty("min-ttft") String minTtft,
      Double hysteresis,
      @JsonProperty("max-rise-per-second") Double maxRisePerSecond,
      @JsonProperty("damp-above-rank-changes-per-minute") Double dampAbove) {}

  record Window(String length, Double weight, Integer buckets) {}

  record MetricEntry(Double weight, Double limit) {}

  record Service(
      String name,
      @JsonProperty("list-size") Integer listSize,
      @JsonProperty("static-instances") List<StaticInstance> staticInstances) {}

  record StaticInstance(
      String id,
      String host,
      @JsonProperty("http-port") Integer httpPort,
      @JsonProperty("grpc-port") Integer grpcPort,
      String zone) {}
}
