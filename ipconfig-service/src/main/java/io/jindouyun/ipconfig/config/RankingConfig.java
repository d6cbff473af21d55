package io.jindouyun.ipconfig.config;

import io.jindouyun.ipconfig.ranking.ServiceSpec;
import io.jindouyun.ipconfig.scoring.ScoringPolicy;
import java.util.List;

/**
 * The validated content of {@code ipconfig.yml}.
 *
 * @param policy windows, metric weights, floor, neutral score, stale limit, error penalty
 * @param services the services to rank, in file order
 */
public record RankingConfig(ScoringPolicy policy, List<ServiceSpec> services) {
  public RankingConfig {
    services = List.copyOf(services);
  }
}
