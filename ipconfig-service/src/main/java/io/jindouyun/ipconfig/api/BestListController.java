package io.jindouyun.ipconfig.api;

import io.jindouyun.ipconfig.config.Durations;
import io.jindouyun.ipconfig.config.IpconfigProperties;
import io.jindouyun.ipconfig.config.RankingConfig;
import io.jindouyun.ipconfig.ranking.BestListPublisher;
import io.jindouyun.ipconfig.ranking.BestLists;
import io.jindouyun.ipconfig.ranking.RankingState;
import io.jindouyun.ipconfig.ranking.RoutingOverride;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The best-list API.
 *
 * <ul>
 *   <li>{@code GET /v1/best/{service}}: the service's list with {@code ETag: "<version>"}; {@code
 *       If-None-Match} with the current ETag answers 304; with {@code ?wait=30s} the answer waits
 *       until the version differs from {@code If-None-Match} (200 with the new list) or the wait
 *       ends (304). Waits are cut to {@code long-poll.max-wait}; beyond {@code
 *       long-poll.max-waiters} waiting requests the answer is 503.
 *   <li>{@code GET /v1/best}: every service, ETag on the global version, same rules.
 *   <li>{@code GET /v1/scores/{service}}: every member's score explained.
 *   <li>{@code GET /v1/ping}: a trivial answer (benchmark baseline, liveness).
 * </ul>
 */
@RestController
class BestListController {

  private static final CacheControl NO_CACHE = CacheControl.noCache();

  private final BestListPublisher publisher;
  private final RankingState state;
  private final RankingConfig config;
  private final Duration maxWait;

  BestListController(
      BestListPublisher publisher,
      RankingState state,
      RankingConfig config,
      IpconfigProperties properties) {
    this.publisher = publisher;
    this.state = state;
    this.config = config;
    this.maxWait = properties.longPoll().maxWait();
  }

  @GetMapping("/v1/best/{service}")
  Mono<ResponseEntity<Object>> best(
      @PathVariable String service,
      @RequestParam(required = false) String wait,
      @RequestHeader(name = "If-None-Match", required = false) String ifNoneMatch) {
    if (!state.isConfigured(service)) {
      return Mono.just(Problems.unknownService(service));
    }
    Function<BestLists, String> etag =
        lists -> {
          BestLists.ServiceList list = lists.services().get(service);
          return list == null ? null : etag(list.version());
        };
    return answer(wait, ifNoneMatch, etag, lists -> BestListBody.of(lists.services().get(service)));
  }

  @GetMapping("/v1/best")
  Mono<ResponseEntity<Object>> all(
      @RequestParam(required = false) String wait,
      @RequestHeader(name = "If-None-Match", required = false) String ifNoneMatch) {
    List<String> order = state.serviceNames();
    return answer(
        wait,
        ifNoneMatch,
        lists -> lists.version() == 0 ? null : etag(lists.version()),
        lists -> BestListBody.All.of(lists, order));
  }

  @GetMapping("/v1/scores/{service}")
  Mono<ResponseEntity<Object>> scores(@PathVariable String service) {
    if (!state.isConfigured(service)) {
      return Mono.just(Problems.unknownService(service));
    }
    return Mono.fromCallable(
            () -> {
              var explanations = state.explain(service).orElseThrow();
              RoutingOverride override = state.override(service).orElse(RoutingOverride.NONE);
              Object body =
                  ScoresBody.of(
                      service,
                      override,
                      config.policy(),
                      explanations,
                      publisher.current().services().get(service));
              return ResponseEntity.ok().cacheControl(NO_CACHE).body(body);
            })
        .subscribeOn(Schedulers.boundedElastic());
  }

  @GetMapping("/v1/ping")
  Mono<String> ping() {
    return Mono.just("pong");
  }

  private Mono<ResponseEntity<Object>> answer(
      String wait,
      String ifNoneMatch,
      Function<BestLists, String> etag,
      Function<BestLists, Object> body) {
    BestLists current = publisher.current();
    String currentTag = etag.apply(current);
    if (currentTag == null) {
      return Mono.just(
          Problems.of(
              HttpStatus.SERVICE_UNAVAILABLE,
              Problems.NOT_READY,
              "Not ready",
              "the first best list has not been computed yet"));
    }
    boolean unchanged = ifNoneMatch != null && matches(ifNoneMatch, currentTag);
    if (!unchanged) {
      return Mono.just(ok(currentTag, body.apply(current)));
    }
    if (wait == null) {
      return Mono.just(notModified(currentTag));
    }
    Duration timeout;
    try {
      timeout = Durations.parse(wait);
    } catch (IllegalArgumentException e) {
      return Mono.just(
          Problems.of(
              HttpStatus.BAD_REQUEST, Problems.INVALID_WAIT, "Invalid wait", e.getMessage()));
    }
    if (timeout.compareTo(maxWait) > 0) {
      timeout = maxWait;
    }
    Predicate<BestLists> changed =
        lists -> {
          String tag = etag.apply(lists);
          return tag != null && !matches(ifNoneMatch, tag);
        };
    return publisher
        .awaitChange(changed)
        .timeout(timeout, Mono.empty())
        .map(lists -> ok(etag.apply(lists), body.apply(lists)))
        .defaultIfEmpty(notModified(currentTag))
        .onErrorResume(
            BestListPublisher.TooManyWaitersException.class,
            e ->
                Mono.just(
                    Problems.of(
                        HttpStatus.SERVICE_UNAVAILABLE,
                        Problems.TOO_MANY_WAITERS,
                        "Too many waiting requests",
                        e.getMessage())));
  }

  private static ResponseEntity<Object> ok(String etag, Object body) {
    return ResponseEntity.ok().eTag(etag).cacheControl(NO_CACHE).body(body);
  }

  private static ResponseEntity<Object> notModified(String etag) {
    return ResponseEntity.status(HttpStatus.NOT_MODIFIED).eTag(etag).cacheControl(NO_CACHE).build();
  }

  static String etag(long version) {
    return "\"" + version + "\"";
  }

  /** True when the If-None-Match list names {@code etag} (weak or strong) or is {@code *}. */
  static boolean matches(String ifNoneMatch, String etag) {
    for (String candidate : ifNoneMatch.split(",")) {
      String c = candidate.trim();
      if (c.startsWith("W/")) {
        c = c.substring(2);
      }
      if (c.equals(etag) || c.equals("*")) {
        return true;
      }
    }
    return false;
  }
}
