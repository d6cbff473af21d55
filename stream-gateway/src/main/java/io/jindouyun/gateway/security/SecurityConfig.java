package io.jindouyun.gateway.security;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import javax.crypto.spec.SecretKeySpec;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.oauth2.jose.jws.MacAlgorithm;
import org.springframework.security.oauth2.jwt.JwtClaimNames;
import org.springframework.security.oauth2.jwt.MappedJwtClaimSetConverter;
import org.springframework.security.oauth2.jwt.NimbusReactiveJwtDecoder;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.context.NoOpServerSecurityContextRepository;
import tools.jackson.databind.json.JsonMapper;

/**
 * Chat endpoints need a JWT (HS256 user token, or a stream ticket on a stream GET); actuator
 * endpoints are open. Stateless: no session, no CSRF, no login page.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(SecurityProperties.class)
class SecurityConfig {

  @Bean
  ReactiveJwtDecoder jwtDecoder(SecurityProperties props) {
    var key = new SecretKeySpec(props.jwtSecret().getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    NimbusReactiveJwtDecoder decoder =
        NimbusReactiveJwtDecoder.withSecretKey(key).macAlgorithm(MacAlgorithm.HS256).build();
    // "iss" stays the string it is: the default converter tries it as a URL first, and an issuer
    // such as "jindouyun-dev" then costs a thrown and caught exception on every request
    decoder.setClaimSetConverter(
        MappedJwtClaimSetConverter.withDefaults(
            Map.of(JwtClaimNames.ISS, iss -> iss == null ? null : iss.toString())));
    return decoder;
  }

  @Bean
  TicketIssuer ticketIssuer(SecurityProperties props) {
    return new TicketIssuer(props.jwtSecret(), props.ticketTtl(), Clock.systemUTC());
  }

  @Bean
  SecurityWebFilterChain securityWebFilterChain(
      ServerHttpSecurity http, ReactiveJwtDecoder decoder, JsonMapper json) {
    ProblemEntryPoint entryPoint = new ProblemEntryPoint(json);
    return http.csrf(ServerHttpSecurity.CsrfSpec::disable)
        .httpBasic(ServerHttpSecurity.HttpBasicSpec::disable)
        .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
        .logout(ServerHttpSecurity.LogoutSpec::disable)
        .requestCache(ServerHttpSecurity.RequestCacheSpec::disable)
        .securityContextRepository(NoOpServerSecurityContextRepository.getInstance())
        .authorizeExchange(
            a ->
                a.pathMatchers("/actuator/**")
                    .permitAll()
                    .pathMatchers("/v1/chat/**", "/v1/models")
                    .authenticated()
                    .anyExchange()
                    .permitAll())
        .oauth2ResourceServer(
            o ->
                o.bearerTokenConverter(new TicketOrBearerConverter())
                    .authenticationEntryPoint(entryPoint)
                    .jwt(j -> j.jwtDecoder(decoder)))
        .exceptionHandling(e -> e.authenticationEntryPoint(entryPoint))
        .build();
  }
}
