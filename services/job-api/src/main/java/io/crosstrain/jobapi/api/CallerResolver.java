package io.crosstrain.jobapi.api;

import java.util.List;

import jakarta.servlet.http.HttpServletRequest;
import org.springframework.core.MethodParameter;
import org.springframework.web.bind.support.WebDataBinderFactory;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.method.support.ModelAndViewContainer;

import io.crosstrain.auth.CallerScope;
import io.crosstrain.jobapi.domain.Caller;
import io.crosstrain.web.CallerTokenFilter;
import io.crosstrain.web.FieldError;
import io.crosstrain.web.RequestRejectedException;

/** The caller named by the verified caller token of the request (the gateway signs one for every user). */
final class CallerResolver implements HandlerMethodArgumentResolver {

    @Override
    public boolean supportsParameter(MethodParameter parameter) {
        return parameter.getParameterType() == Caller.class;
    }

    @Override
    public Object resolveArgument(MethodParameter parameter, ModelAndViewContainer mav, NativeWebRequest request,
                                  WebDataBinderFactory binders) {
        return of(CallerTokenFilter.callerOf(request.getNativeRequest(HttpServletRequest.class)));
    }

    /** A service identity is nobody's tenant: jobs are for users and admins, so it gets 403. */
    static Caller of(CallerScope scope) {
        if (scope.role() == CallerScope.Role.SERVICE) {
            throw new RequestRejectedException(403, scope.principal() + " is a service identity; jobs, datasets and "
                    + "models are for users and admins", List.of(new FieldError("Authorization",
                    "a service identity has no tenant")));
        }
        return new Caller(scope.tenant(), scope.admin());
    }
}
