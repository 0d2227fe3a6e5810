package io.crosstrain.inventory.domain;

import java.util.regex.Pattern;

/** Identifiers of datacenters, nodes and devices: DNS-label-like, so they fit topic names and URLs unescaped. */
public final class Ids {

    public static final String PATTERN = "^[a-z0-9][a-z0-9-]{0,62}$";
    private static final Pattern ID = Pattern.compile(PATTERN);

    private Ids() {
    }

    public static boolean valid(String id) {
        return id != null && ID.matcher(id).matches();
    }
}
