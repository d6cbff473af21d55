package io.jindouyun.gateway.security;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Turns a refused JWT secret into Spring Boot's "APPLICATION FAILED TO START" report. */
public final class DevSecretFailureAnalyzer
    extends AbstractFailureAnalyzer<DevSecretGuard.Refused> {

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, DevSecretGuard.Refused cause) {
    return new FailureAnalysis(cause.description(), cause.action(), cause);
  }
}
