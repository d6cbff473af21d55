package io.jindouyun.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import org.junit.jupiter.api.Test;
import org.springframework.boot.diagnostics.FailureAnalysis;

class DevSecretGuardTests {

  private static final String OWN = "a-secret-of-our-own-0123456789-0123456789";

  @Test
  void theDevelopmentSecretIsRefusedOutsideTheDevProfileSayingWhatToSet() {
    assertThatThrownBy(() -> DevSecretGuard.check(DevSecretGuard.DEV_SECRET, false))
        .isInstanceOf(DevSecretGuard.Refused.class)
        .hasMessageContaining("development secret")
        .hasMessageContaining("JINDOUYUN_SECURITY_JWTSECRET")
        .hasMessageContaining("--spring.profiles.active=dev");
  }

  @Test
  void aMissingSecretIsRefusedEvenInTheDevProfile() {
    assertThatThrownBy(() -> DevSecretGuard.check(null, true))
        .hasMessageContaining("no JWT secret")
        .hasMessageContaining("JINDOUYUN_SECURITY_JWTSECRET");
    assertThatThrownBy(() -> DevSecretGuard.check(" ", false))
        .isInstanceOf(DevSecretGuard.Refused.class);
  }

  @Test
  void theDevProfileAllowsTheDevelopmentSecretAndAnOwnSecretNeedsNoProfile() {
    assertThatCode(() -> DevSecretGuard.check(DevSecretGuard.DEV_SECRET, true))
        .doesNotThrowAnyException();
    assertThatCode(() -> DevSecretGuard.check(OWN, false)).doesNotThrowAnyException();
  }

  @Test
  void theStartFailureReportSplitsTheProblemFromWhatToSet() {
    var refused =
        catchThrowableOfType(
            DevSecretGuard.Refused.class,
            () -> DevSecretGuard.check(DevSecretGuard.DEV_SECRET, false));
    FailureAnalysis analysis =
        new DevSecretFailureAnalyzer().analyze(new IllegalStateException(refused));
    assertThat(analysis.getDescription()).endsWith("and the dev profile is off");
    assertThat(analysis.getAction()).startsWith("Set JINDOUYUN_SECURITY_JWTSECRET");
  }
}
