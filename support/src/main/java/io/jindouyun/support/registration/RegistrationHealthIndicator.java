package io.jindouyun.support.registration;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Health {@code registration}: UP when registered or when registration is off (with the reason),
 * UNKNOWN before the first attempt, DOWN while the lease is lost and being re-acquired,
 * OUT_OF_SERVICE once deregistered.
 */
final class RegistrationHealthIndicator implements HealthIndicator {

  private final SelfRegistration registration;

  RegistrationHealthIndicator(SelfRegistration registration) {
    this.registration = registration;
  }

  @Override
  public Health health() {
    if (!registration.enabled()) {
      return Health.up()
          .withDetail("state", "OFF")
          .withDetail("reason", registration.offReason())
          .build();
    }
    Registrar registrar = registration.registrar();
    if (registrar == null) {
      return Health.unknown().withDetail("state", "NEW").build();
    }
    Health.Builder builder =
        switch (registrar.state()) {
          case REGISTERED -> Health.up();
          case RETRYING -> Health.down();
          case STOPPED -> Health.outOfService();
          case NEW -> Health.unknown();
        };
    builder
        .withDetail("state", registrar.state().name())
        .withDetail("key", registrar.key())
        .withDetail("since", registrar.since().toString());
    if (registrar.leaseId() != 0) {
      builder.withDetail("lease", Long.toHexString(registrar.leaseId()));
    }
    if (!registrar.lastError().isEmpty()) {
      builder.withDetail("lastError", registrar.lastError());
    }
    return builder.build();
  }
}
