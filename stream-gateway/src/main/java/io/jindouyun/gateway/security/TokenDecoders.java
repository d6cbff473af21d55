package io.jindouyun.gateway.security;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.util.Base64URL;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.Map;
import javax.crypto.spec.SecretKeySpec;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.jose.jws.MacAlgorithm;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtClaimNames;
import org.springframework.security.oauth2.jwt.JwtTimestampValidator;
import org.springframework.security.oauth2.jwt.MappedJwtClaimSetConverter;
import org.springframework.security.oauth2.jwt.NimbusReactiveJwtDecoder;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import reactor.core.publisher.Mono;

/**
 * The gateway's JWT decoders, all Spring Security's {@link NimbusReactiveJwtDecoder}: HS256 with
 * the gateway's secret (stream tickets, and user tokens unless an identity provider signs them),
 * and — when {@code issuer-uri} or {@code jwk-set-uri} is set — the identity provider's keys from
 * its JWK Set (fetched, cached and refetched on an unknown {@code kid} by the resource server's
 * decoder). Every token must pass {@link ClaimRules} and be unexpired.
 */
final class TokenDecoders {

  private TokenDecoders() {}

  /** The decoder {@code props} call for. */
  static ReactiveJwtDecoder of(SecurityProperties props) {
    ReactiveJwtDecoder own = own(props);
    if (!props.identityProvider()) {
      return own;
    }
    return new ByAlgorithm(own, provider(props));
  }

  private static ReactiveJwtDecoder own(SecurityProperties props) {
    var key = new SecretKeySpec(props.jwtSecret().getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    NimbusReactiveJwtDecoder decoder =
        NimbusReactiveJwtDecoder.withSecretKey(key).macAlgorithm(MacAlgorithm.HS256).build();
    configure(decoder, new ClaimRules(props.issuer(), props.audience(), props.identityProvider()));
    return decoder;
  }

  private static ReactiveJwtDecoder provider(SecurityProperties props) {
    NimbusReactiveJwtDecoder decoder =
        props.jwkSetUri().isBlank()
            ? NimbusReactiveJwtDecoder.withIssuerLocation(props.issuerUri()).build()
            : NimbusReactiveJwtDecoder.withJwkSetUri(props.jwkSetUri()).build();
    configure(decoder, new ClaimRules(props.providerIssuer(), props.audience(), false));
    return decoder;
  }

  private static void configure(NimbusReactiveJwtDecoder decoder, ClaimRules rules) {
    // "iss" stays the string it is: the default converter tries it as a URL first, and an issuer
    // such as "jindouyun-dev" then costs a thrown and caught exception on every request
    decoder.setClaimSetConverter(
        MappedJwtClaimSetConverter.withDefaults(
            Map.of(JwtClaimNames.ISS, iss -> iss == null ? null : iss.toString())));
    // the rules refuse a token without exp; the timestamp validator a past exp or a future nbf
    OAuth2TokenValidator<Jwt> validator =
        new DelegatingOAuth2TokenValidator<>(rules, new JwtTimestampValidator());
    decoder.setJwtValidator(validator);
  }

  /** HS256 tokens to the gateway's own decoder, every other algorithm to the provider's. */
  private static final class ByAlgorithm implements ReactiveJwtDecoder {
    private final ReactiveJwtDecoder own;
    private final ReactiveJwtDecoder provider;

    ByAlgorithm(ReactiveJwtDecoder own, ReactiveJwtDecoder provider) {
      this.own = own;
      this.provider = provider;
    }

    @Override
    public Mono<Jwt> decode(String token) {
      int dot = token.indexOf('.');
      if (dot <= 0) {
        return Mono.error(new BadJwtException("the token is not a JWT"));
      }
      try {
        JWSHeader header = JWSHeader.parse(new Base64URL(token.substring(0, dot)));
        return JWSAlgorithm.HS256.equals(header.getAlgorithm())
            ? own.decode(token)
            : provider.decode(token);
      } catch (ParseException e) {
        return Mono.error(new BadJwtException("the token's header is not a JWS header", e));
      }
    }
  }
}
