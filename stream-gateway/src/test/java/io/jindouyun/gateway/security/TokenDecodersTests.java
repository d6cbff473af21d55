package io.jindouyun.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jindouyun.testkit.JwksServer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtValidationException;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;

/** The decoders against a JWK Set and OpenID discovery served by the test kit. */
class TokenDecodersTests {

  private static final String SECRET = "a-secret-of-this-test-0123456789-0123456789";
  private static final Duration WAIT = Duration.ofSeconds(10);

  private static JwksServer idp;

  @BeforeAll
  static void identityProvider() {
    idp = JwksServer.start();
  }

  @AfterAll
  static void stop() {
    idp.close();
  }

  private static SecurityProperties props(String audience, String issuerUri, String jwkSetUri) {
    return new SecurityProperties(
        SECRET, Duration.ofMinutes(5), "jindouyun-test", audience, issuerUri, jwkSetUri);
  }

  private static String claims(String iss, String aud, boolean exp) {
    long now = Instant.now().getEpochSecond();
    return "{\"sub\":\"kim\""
        + (iss == null ? "" : ",\"iss\":\"" + iss + "\"")
        + (aud == null ? "" : ",\"aud\":\"" + aud + "\"")
        + ",\"iat\":"
        + now
        + (exp ? ",\"exp\":" + (now + 300) : "")
        + "}";
  }

  private static Jwt decode(ReactiveJwtDecoder decoder, String token) {
    return decoder.decode(token).block(WAIT);
  }

  private static String refusal(ReactiveJwtDecoder decoder, String token) {
    try {
      decode(decoder, token);
    } catch (JwtValidationException e) {
      return e.getErrors().iterator().next().getDescription();
    } catch (BadJwtException e) {
      return "bad: " + e.getMessage();
    }
    throw new AssertionError("the token was accepted");
  }

  @Test
  void anIssuerUriFindsTheKeysThroughDiscoveryAndChecksTheIssuer() {
    ReactiveJwtDecoder decoder = TokenDecoders.of(props("", idp.issuer(), ""));
    assertThat(decode(decoder, idp.sign(claims(idp.issuer(), null, true))).getSubject())
        .isEqualTo("kim");
    assertThat(refusal(decoder, idp.sign(claims("https://elsewhere.example", null, true))))
        .contains("is not the configured issuer");
    assertThat(refusal(decoder, idp.sign(claims(idp.issuer(), null, false))))
        .isEqualTo("the token has no exp claim: tokens must expire");
    assertThat(refusal(decoder, idp.signWithUnknownKey(claims(idp.issuer(), null, true))))
        .startsWith("bad: ");
  }

  @Test
  void aJwkSetUriAloneChecksTheConfiguredIssuerAndTheAudience() {
    ReactiveJwtDecoder decoder = TokenDecoders.of(props("chat-api", "", idp.jwkSetUri()));
    assertThat(decode(decoder, idp.sign(claims("jindouyun-test", "chat-api", true))).getSubject())
        .isEqualTo("kim");
    assertThat(refusal(decoder, idp.sign(claims("jindouyun-test", "other-api", true))))
        .isEqualTo("the token's aud does not contain \"chat-api\"");
    assertThat(refusal(decoder, idp.sign(claims(null, "chat-api", true))))
        .contains("has no iss claim");
  }

  @Test
  void withAnIdentityProviderHs256TokensAreAcceptedAsStreamTicketsOnly() {
    ReactiveJwtDecoder decoder = TokenDecoders.of(props("", idp.issuer(), ""));
    TicketIssuer tickets =
        new TicketIssuer(SECRET, "jindouyun-test", "", Duration.ofMinutes(5), Clock.systemUTC());
    Jwt ticket = decode(decoder, tickets.issue("kim", "gw-1~s1").token());
    assertThat(ticket.getClaimAsString(Caller.STREAM_CLAIM)).isEqualTo("gw-1~s1");
    String userToken = Hs256.sign(SECRET, claims("jindouyun-test", null, true));
    assertThat(refusal(decoder, userToken)).contains("an HS256 token must be a ticket");
    assertThat(decode(TokenDecoders.of(props("", "", "")), userToken).getSubject())
        .as("without an identity provider, HS256 user tokens are the user tokens")
        .isEqualTo("kim");
  }

  @Test
  void ticketsCarryTheConfiguredAudience() {
    SecurityProperties props = props("chat-api", "", "");
    TicketIssuer tickets =
        new TicketIssuer(
            SECRET, "jindouyun-test", "chat-api", Duration.ofMinutes(5), Clock.systemUTC());
    assertThat(decode(TokenDecoders.of(props), tickets.issue("kim", "s").token()).getAudience())
        .containsExactly("chat-api");
    assertThatThrownBy(
            () ->
                decode(
                    TokenDecoders.of(props),
                    Hs256.sign(SECRET, claims("jindouyun-test", null, true))))
        .isInstanceOf(JwtValidationException.class);
  }
}
