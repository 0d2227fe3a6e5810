package io.crosstrain.auth;

import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

/**
 * Caller tokens: short-lived HS256 JWTs that carry a {@link CallerScope} from the gateway (or a calling service) to a
 * service. The key id travels in the header so that several keys can verify at once ({@link ServiceKeys}).
 */
public final class CallerTokens {

    /** Long enough for a request to reach its service, short enough that a leaked token is soon worthless. */
    public static final Duration DEFAULT_TTL = Duration.ofSeconds(60);

    static final String ISSUER = "crosstrain";
    /** Clocks of the machines of a stack may differ a little. */
    static final Duration SKEW = Duration.ofSeconds(10);
    /** A verifier refuses tokens made to live longer than this, whoever signed them. */
    public static final Duration MAX_TTL = Duration.ofMinutes(10);

    private final ServiceKeys keys;
    private final Clock clock;
    private final Duration ttl;

    public CallerTokens(ServiceKeys keys, Clock clock, Duration ttl) {
        if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_TTL) > 0) {
            throw new IllegalArgumentException("a caller token lives more than 0 and at most " + MAX_TTL);
        }
        this.keys = keys;
        this.clock = clock;
        this.ttl = ttl;
    }

    public CallerTokens(ServiceKeys keys) {
        this(keys, Clock.systemUTC(), DEFAULT_TTL);
    }

    public String sign(CallerScope caller) {
        ServiceKeys.Key key = keys.signing();
        Instant now = clock.instant();
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(ISSUER)
                .subject(caller.principal())
                .claim("tenant", caller.tenant())
                .claim("role", caller.role().wire())
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(ttl)))
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(key.id()).build(), claims);
        try {
            jwt.sign(new MACSigner(key.secret()));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a caller token with key " + key.id(), e);
        }
        return jwt.serialize();
    }

    /** The caller a token stands for; throws when it is not a current token signed by one of our keys. */
    public CallerScope verify(String token) {
        return verify(token, clock.instant());
    }

    /** Whether this is a JWT that names one of our keys (rather than, say, an API key or a user's JWT). */
    public boolean signedHere(String token) {
        try {
            String keyId = SignedJWT.parse(token.strip()).getHeader().getKeyID();
            return keyId != null && keys.find(keyId).isPresent();
        } catch (ParseException | RuntimeException e) {
            return false;
        }
    }

    /**
     * As {@link #verify(String)}, but current at {@code at}: a durable message (a Kafka command) is judged by when it
     * was sent, not by when it is read.
     */
    public CallerScope verify(String token, Instant at) {
        if (token == null || token.isBlank()) {
            throw new InvalidCallerTokenException("no caller token");
        }
        SignedJWT jwt;
        try {
            jwt = SignedJWT.parse(token.strip());
        } catch (ParseException e) {
            throw new InvalidCallerTokenException("the caller token is not a signed JWT");
        }
        if (!JWSAlgorithm.HS256.equals(jwt.getHeader().getAlgorithm())) {
            throw new InvalidCallerTokenException("caller tokens are signed with HS256");
        }
        String keyId = jwt.getHeader().getKeyID();
        ServiceKeys.Key key = keyId == null ? null : keys.find(keyId).orElse(null);
        if (key == null) {
            throw new InvalidCallerTokenException("the caller token names no key this service knows");
        }
        try {
            if (!jwt.verify(new MACVerifier(key.secret()))) {
                throw new InvalidCallerTokenException("the caller token's signature does not match");
            }
            return scopeOf(jwt.getJWTClaimsSet(), at);
        } catch (JOSEException | ParseException e) {
            throw new InvalidCallerTokenException("the caller token cannot be verified", e);
        }
    }

    private CallerScope scopeOf(JWTClaimsSet claims, Instant now) throws ParseException {
        Date exp = claims.getExpirationTime();
        Date iat = claims.getIssueTime();
        if (exp == null || !exp.toInstant().plus(SKEW).isAfter(now)) {
            throw new InvalidCallerTokenException("the caller token has expired");
        }
        if (iat == null || iat.toInstant().minus(SKEW).isAfter(now)) {
            throw new InvalidCallerTokenException("the caller token is issued in the future");
        }
        if (Duration.between(iat.toInstant(), exp.toInstant()).compareTo(MAX_TTL) > 0) {
            throw new InvalidCallerTokenException("the caller token lives longer than " + MAX_TTL);
        }
        if (!ISSUER.equals(claims.getIssuer())) {
            throw new InvalidCallerTokenException("the caller token is not issued by " + ISSUER);
        }
        try {
            return new CallerScope(claims.getSubject(), claims.getStringClaim("tenant"),
                    CallerScope.Role.ofWire(claims.getStringClaim("role")));
        } catch (IllegalArgumentException e) {
            throw new InvalidCallerTokenException("the caller token's claims are incomplete: " + e.getMessage());
        }
    }
}
