package io.jindouyun.ipconfig.ranking;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Micrometer view of the ranking: {@code ipconfig.instance.score} and {@code
 * ipconfig.instance.weight} per listed instance (tags backend_service, backend_instance), {@code
 * ipconfig.list.version}, {@code ipconfig.rank.changes} (rank changes over the last minute) and
 * {@code ipconfig.ranking.damped} (1 while damped) per service, {@code ipconfig.longpoll.waiters}.
 * Rows of instances that left the list are removed. {@link #accept} runs on the recompute thread
 * only.
 */
public final class RankingMetrics implements Consumer<Map<String, RankedList>> {

  /** Label of the ranked service: {@code service} and {@code instance} are Prometheus' own. */
  public static final String SERVICE_LABEL = "backend_service";

  /** Label of a listed instance's id. */
  public static final String INSTANCE_LABEL = "backend_instance";

  private final MultiGauge scores;
  private final MultiGauge weights;
  private final MultiGauge versions;
  private final MultiGauge rankChanges;
  private final MultiGauge damped;
  private final BestListPublisher publisher;

  public RankingMetrics(MeterRegistry registry, BestListPublisher publisher) {
    this.publisher = publisher;
    scores =
        MultiGauge.builder("ipconfig.instance.score")
            .description(
                "relative weight of a listed instance, 0..1, before rounding and hysteresis")
            .register(registry);
    weights =
        MultiGauge.builder("ipconfig.instance.weight")
            .description("traffic weight of a listed instance")
            .register(registry);
    versions =
        MultiGauge.builder("ipconfig.list.version")
            .description("version of the served best list")
            .register(registry);
    rankChanges =
        MultiGauge.builder("ipconfig.rank.changes")
            .description("rank changes of a service's list over the last minute")
            .register(registry);
    damped =
        MultiGauge.builder("ipconfig.ranking.damped")
            .description("1 while a service's ranking churns and reads the damped window")
            .register(registry);
    Gauge.builder("ipconfig.longpoll.waiters", publisher, BestListPublisher::waiters)
        .description("long-poll requests waiting for a change")
        .register(registry);
  }

  @Override
  public void accept(Map<String, RankedList> lists) {
    List<MultiGauge.Row<?>> scoreRows = new ArrayList<>();
    List<MultiGauge.Row<?>> weightRows = new ArrayList<>();
    List<MultiGauge.Row<?>> changeRows = new ArrayList<>();
    List<MultiGauge.Row<?>> dampedRows = new ArrayList<>();
    for (Map.Entry<String, RankedList> e : lists.entrySet()) {
      Tags service = Tags.of(SERVICE_LABEL, e.getKey());
      RankedList.Damping damping = e.getValue().damping();
      changeRows.add(MultiGauge.Row.of(service, damping.rankChangesPerMinute()));
      dampedRows.add(MultiGauge.Row.of(service, damping.damped() ? 1 : 0));
      for (RankedList.Entry entry : e.getValue().entries()) {
        Tags tags = Tags.of(SERVICE_LABEL, e.getKey(), INSTANCE_LABEL, entry.instance().id());
        scoreRows.add(MultiGauge.Row.of(tags, entry.score()));
        weightRows.add(MultiGauge.Row.of(tags, entry.weight()));
      }
    }
    scores.register(scoreRows, true);
    weights.register(weightRows, true);
    rankChanges.register(changeRows, true);
    damped.register(dampedRows, true);
    List<MultiGauge.Row<?>> versionRows = new ArrayList<>();
    publisher
        .current()
        .services()
        .forEach(
            (name, list) ->
                versionRows.add(MultiGauge.Row.of(Tags.of(SERVICE_LABEL, name), list.version())));
    versions.register(versionRows, true);
  }
}
