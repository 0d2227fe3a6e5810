package io.crosstrain.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import io.crosstrain.auth.CallerScope;
import io.crosstrain.auth.CallerTokens;
import io.crosstrain.auth.ServiceKeys;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./crosstrain service-token}: a short-lived caller token of a service identity, signed with the keys of the
 * stack {@code up} runs, for calling a service's own port (a worker's controls) on this machine.
 */
@Command(name = "service-token", description = "Print a caller token (60 s) for a service's own port, signed with "
        + "the running stack's service keys.")
final class ServiceTokenCommand implements Callable<Integer> {

    @Option(names = "--home", defaultValue = "${sys:crosstrain.home:-.}",
            description = "repository root of the running stack")
    Path home;

    @Option(names = "--as", defaultValue = "cli", description = "the service identity to sign for (default: cli)")
    String identity;

    @Override
    public Integer call() {
        Path keys = LocalStack.serviceKeysFile(home.toAbsolutePath().normalize().resolve(".crosstrain"));
        if (!Files.isReadable(keys)) {
            throw new IllegalStateException("no service keys at " + keys + ": is `./crosstrain up` running here?");
        }
        System.out.println(new CallerTokens(ServiceKeys.fromFile(keys)).sign(CallerScope.service(identity)));
        return 0;
    }
}
