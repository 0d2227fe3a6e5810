package io.crosstrain.testsupport;

/** A database created for one test JVM. */
public record FreshDatabase(String jdbcUrl, String username, String password, String name) {
}
