package io.crosstrain.gateway.security;

import java.util.List;

import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;

import io.crosstrain.auth.CallerScope;

/** An authenticated {@link Caller}, whichever credential (API key or JWT) it came with. Holds no credential. */
public final class CallerAuthentication extends AbstractAuthenticationToken {

    private final CallerScope caller;

    public CallerAuthentication(CallerScope caller) {
        super(List.of(new SimpleGrantedAuthority("ROLE_" + caller.role().name())));
        this.caller = caller;
        setAuthenticated(true);
    }

    public CallerScope caller() {
        return caller;
    }

    @Override
    public Object getCredentials() {
        return null;
    }

    @Override
    public Object getPrincipal() {
        return caller;
    }

    @Override
    public String getName() {
        return caller.principal();
    }

    /** The caller of the request on this thread, if it authenticated. */
    public static CallerScope current() {
        Authentication a = SecurityContextHolder.getContext().getAuthentication();
        return a instanceof CallerAuthentication c ? c.caller() : null;
    }
}
