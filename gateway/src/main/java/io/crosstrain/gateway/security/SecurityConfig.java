package io.crosstrain.gateway.security;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import javax.crypto.spec.SecretKeySpec;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.ProviderManager;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.jose.jws.MacAlgorithm;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtClaimNames;
import org.springframework.security.oauth2.jwt.JwtClaimValidator;
import org.springframework.security.oauth2.jwt.JwtValidators;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationProvider;
import org.springframework.security.oauth2.server.resource.web.authentication.BearerTokenAuthenticationFilter;
import org.springframework.security.web.SecurityFilterChain;

import io.crosstrain.auth.CallerScope;
import io.crosstrain.gateway.domain.ApiKeys;
import io.crosstrain.gateway.persistence.ApiKeyRepository;
import tools.jackson.databind.json.JsonMapper;

/**
 * Who may do what. Every {@code /api/**} request needs {@code Authorization: Bearer} with an API key or an HS256 JWT;
 * reading the cluster needs any role, jobs need {@code user} or {@code admin} (the job API scopes them to the caller's
 * tenant), everything else that changes state needs {@code admin}. The UI, the OpenAPI documents and health stay
 * open: they show nothing a caller could not read from the repository.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(SecurityProperties.class)
class SecurityConfig {

    private static final Logger log = LoggerFactory.getLogger(SecurityConfig.class);

    /** The one place credentials are checked: REST requests here, and job commands job-api brings (Credentials). */
    @Bean
    CallerAuthenticator callerAuthenticator(SecurityProperties props, ApiKeyRepository keys) {
        return new CallerAuthenticator(new ProviderManager(providers(props, keys)));
    }

    /**
     * Service-to-service routes of the gateway itself: no user credential here; each checks the calling service's
     * caller token.
     */
    @Bean
    @Order(0)
    SecurityFilterChain internal(HttpSecurity http) throws Exception {
        http.securityMatcher("/internal/**")
                .csrf(c -> c.disable())
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .authorizeHttpRequests(a -> a.anyRequest().permitAll());
        return http.build();
    }

    @Bean
    @Order(1)
    SecurityFilterChain api(HttpSecurity http, SecurityProperties props, CallerAuthenticator callers,
                            JsonMapper mapper) throws Exception {
        Problems problems = new Problems(mapper);
        ProviderManager manager = callers.manager();
        http.csrf(c -> c.disable()) // bearer tokens only, no cookies, so there is no ambient credential to forge
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .authorizeHttpRequests(a -> a
                        .requestMatchers("/api/v1/tenants", "/api/v1/tenants/**").hasRole("ADMIN")
                        .requestMatchers("/api/v1/jobs", "/api/v1/jobs/**", "/api/v1/datasets",
                                "/api/v1/datasets/**").hasAnyRole("ADMIN", "USER")
                        .requestMatchers(HttpMethod.GET, "/api/**").authenticated()
                        .requestMatchers("/api/**").hasRole("ADMIN")
                        .anyRequest().permitAll())
                .oauth2ResourceServer(o -> o.authenticationManagerResolver(request -> manager)
                        .authenticationEntryPoint(problems)
                        .accessDeniedHandler(problems))
                .exceptionHandling(e -> e.authenticationEntryPoint(problems).accessDeniedHandler(problems))
                .addFilterAfter(new RateLimitFilter(props.rateLimit(), problems), BearerTokenAuthenticationFilter.class);
        return http.build();
    }

    private static List<AuthenticationProvider> providers(SecurityProperties props, ApiKeyRepository keys) {
        List<AuthenticationProvider> providers = new ArrayList<>();
        providers.add(new ApiKeyAuthenticationProvider(keys, props));
        if (props.jwtEnabled()) {
            providers.add(jwtProvider(props.jwtSecret()));
        }
        if (!props.hasAdminKey()) {
            log.warn("CROSSTRAIN_ADMIN_KEY is not set: no bootstrap admin key; admin access only by JWT"
                    + (props.jwtEnabled() ? "" : ", and JWTs are off (CROSSTRAIN_JWT_SECRET unset)"));
        }
        return providers;
    }

    /** HS256 JWTs with {@code exp}, {@code sub}, {@code tenant} and {@code role} ({@code admin} or {@code user}). */
    static JwtAuthenticationProvider jwtProvider(String secret) {
        byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
        if (bytes.length < 32) {
            throw new IllegalStateException("CROSSTRAIN_JWT_SECRET must be at least 32 bytes for HS256");
        }
        NimbusJwtDecoder decoder = NimbusJwtDecoder.withSecretKey(new SecretKeySpec(bytes, "HmacSHA256"))
                .macAlgorithm(MacAlgorithm.HS256).build();
        decoder.setJwtValidator(new DelegatingOAuth2TokenValidator<>(JwtValidators.createDefault(),
                new JwtClaimValidator<>(JwtClaimNames.EXP, Objects::nonNull),
                new JwtClaimValidator<>(JwtClaimNames.SUB, Objects::nonNull)));
        JwtAuthenticationProvider provider = new JwtAuthenticationProvider(decoder);
        provider.setJwtAuthenticationConverter(SecurityConfig::callerOf);
        return provider;
    }

    static CallerAuthentication callerOf(Jwt jwt) {
        String tenant = jwt.getClaimAsString("tenant");
        if (tenant == null || !ApiKeys.TENANT.matcher(tenant).matches()) {
            throw new BadCredentialsException("the JWT needs a 'tenant' claim of lowercase letters, digits and '-'");
        }
        CallerScope.Role role;
        try {
            role = CallerScope.Role.ofCredential(Objects.requireNonNullElse(jwt.getClaimAsString("role"), "user"));
        } catch (IllegalArgumentException e) {
            throw new BadCredentialsException("the JWT's 'role' claim must be 'admin' or 'user'");
        }
        return new CallerAuthentication(new CallerScope("jwt:" + jwt.getSubject(), tenant, role));
    }
}
