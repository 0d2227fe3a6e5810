package io.crosstrain.jobapi.api;

import org.springframework.core.MethodParameter;
import org.springframework.web.bind.support.WebDataBinderFactory;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.method.support.ModelAndViewContainer;

import io.crosstrain.jobapi.domain.Caller;

/** The caller the gateway authenticated, from the headers it sets (and strips from what clients send). */
final class CallerResolver implements HandlerMethodArgumentResolver {

    static final String TENANT = io.crosstrain.web.CallerScope.TENANT_HEADER;
    static final String ROLE = io.crosstrain.web.CallerScope.ROLE_HEADER;

    @Override
    public boolean supportsParameter(MethodParameter parameter) {
        return parameter.getParameterType() == Caller.class;
    }

    @Override
    public Object resolveArgument(MethodParameter parameter, ModelAndViewContainer mav, NativeWebRequest request,
                                  WebDataBinderFactory binders) {
        return of(request.getHeader(TENANT), request.getHeader(ROLE));
    }

    static Caller of(String tenant, String role) {
        io.crosstrain.web.CallerScope scope = io.crosstrain.web.CallerScope.of(tenant, role);
        return scope == io.crosstrain.web.CallerScope.INTERNAL ? Caller.INTERNAL
                : new Caller(scope.tenant(), scope.admin());
    }
}
