package io.jindouyun.support.etcd;

import java.util.List;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/** Matches when {@code jindouyun.etcd.endpoints} names at least one endpoint (list or CSV). */
class OnEtcdEndpointsCondition extends SpringBootCondition {

  @Override
  public ConditionOutcome getMatchOutcome(
      ConditionContext context, AnnotatedTypeMetadata metadata) {
    List<String> endpoints =
        Binder.get(context.getEnvironment())
            .bind("jindouyun.etcd.endpoints", Bindable.listOf(String.class))
            .orElse(List.of());
    return endpoints.stream().anyMatch(e -> !e.isBlank())
        ? ConditionOutcome.match("jindouyun.etcd.endpoints " + endpoints)
        : ConditionOutcome.noMatch("jindouyun.etcd.endpoints is empty");
  }
}
