package io.crosstrain.cli;

import picocli.CommandLine.Option;
import tools.jackson.databind.json.JsonMapper;

/** Where a running stack's gateway is and which key to show it: for commands that talk to `up`. */
final class GatewayOptions {

    @Option(names = "--gateway", defaultValue = "${env:CROSSTRAIN_GATEWAY:-http://127.0.0.1:8080}",
            description = "the gateway of a running stack (default: $CROSSTRAIN_GATEWAY or http://127.0.0.1:8080)")
    String gateway;

    @Option(names = "--key", defaultValue = "${env:CROSSTRAIN_API_KEY:-${env:CROSSTRAIN_ADMIN_KEY}}",
            description = "API key (default: $CROSSTRAIN_API_KEY, else $CROSSTRAIN_ADMIN_KEY; `up` prints the one it "
                    + "generated)")
    String key;

    ApiClient client(JsonMapper mapper) {
        if (key == null || key.isBlank()) {
            throw new IllegalArgumentException("no API key: pass --key or set CROSSTRAIN_API_KEY (`up` prints its "
                    + "admin key when it generates one)");
        }
        return new ApiClient(gateway.replaceAll("/+$", ""), mapper, key);
    }
}
