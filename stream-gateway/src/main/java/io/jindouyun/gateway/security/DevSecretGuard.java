package io.jindouyun.gateway.security;

/**
 * Keeps a gateway from starting without a JWT secret of its own: no secret at all, or the
 * development secret (printed in the README) while the {@code dev} profile is off, is refused with
 * what to set.
 */
final class DevSecretGuard {

  /** The development secret: the {@code dev} profile's, {@code ./jdy}'s and the tests'. */
  static final String DEV_SECRET = "jindouyun-dev-secret-change-me-0123456789abcdef";

  /** The profile that allows {@link #DEV_SECRET}. */
  static final String DEV_PROFILE = "dev";

  private static final String WHAT_TO_SET =
      "Set JINDOUYUN_SECURITY_JWTSECRET (the setting jindouyun.security.jwt-secret) to a secret of"
          + " your own of at least 32 bytes, for example `openssl rand -base64 48`, or turn the"
          + " development profile on (SPRING_PROFILES_ACTIVE=dev or --spring.profiles.active=dev;"
          + " ./jdy up does) to run with the development secret.";

  private DevSecretGuard() {}

  /**
   * Checks {@code secret}.
   *
   * @throws Refused when it is missing, or is the development secret and {@code devProfile} is off
   */
  static void check(String secret, boolean devProfile) {
    if (secret == null || secret.isBlank()) {
      throw new Refused("The gateway has no JWT secret (jindouyun.security.jwt-secret)");
    }
    if (DEV_SECRET.equals(secret) && !devProfile) {
      throw new Refused(
          "The gateway's JWT secret is the development secret printed in the README, and the"
              + " dev profile is off");
    }
  }

  /** A refused secret; {@link #action()} says what to set. */
  static final class Refused extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final String description;

    Refused(String description) {
      super(description + ". " + WHAT_TO_SET);
      this.description = description;
    }

    /** The problem alone. */
    String description() {
      return description;
    }

    /** What to set. */
    String action() {
      return WHAT_TO_SET;
    }
  }
}
