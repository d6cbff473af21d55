package io.jindouyun.gateway.security;

import java.time.Clock;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import org.springframework.security.oauth2.server.resource.authentication.JwtReactiveAuthenticationManager;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.context.NoOpServerSecurityContextRepository;
import tools.jackson.databind.json.JsonMapper;

/**
 * Chat endpoints need a JWT (a user token, or a stream ticket on a stream GET); actuator endpoints
 * are open. Stateless: no session, no CSRF, no login page. The gateway does not start without a JWT
 * secret of its own unless the {@code dev} profile is on ({@link DevSecretGuard}).
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(SecurityProperties.class)
class SecurityConfig {

  @Bean
  ReactiveJwtDecoder jwtDecoder(SecurityProperties props, Environment env) {
    DevSecretGuard.check(props.jwtSecret(), env.matchesProfiles(DevSecretGuard.DEV_PROFILE));
    return TokenDecoders.of(props);
  }

  @Bean
  TicketIssuer ticketIssuer(SecurityProperties props, ReactiveJwtDecoder checked) {
    // takes the decoder so that the secret is checked before it signs anything
    return new TicketIssuer(
        props.jwtSecret(), props.issuer(), props.audience(), props.ticketTtl(), Clock.systemUTC());
  }

  @Bean
  SecurityWebFilterChain securityWebFilterChain(
      ServerHttpSecurity http, ReactiveJwtDecoder decoder, JsonMapper json) {
    ProblemEntryPoint entryPoint = new ProblemEntryPoint(json);
    var authentication =
        new TicketOnlyAuthentication(new JwtReactiveAuthenticationManager(decoder));
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
                    .pathMatchers(
                        "/v1/chat/**", "/v1/models", "/v1/conversations", "/v1/conversations/**")
                    .authenticated()
                    .anyExchange()
                    .permitAll())
        .oauth2ResourceServer(
            o ->
                o.bearerTokenConverter(new TicketOrBearerConverter())
                    .authenticationEntryPoint(entryPoint)
                    .jwt(j -> j.authenticationManager(authentication)))
        .exceptionHandling(e -> e.authenticationEntryPoint(entryPoint))
        .build();
  }
}
