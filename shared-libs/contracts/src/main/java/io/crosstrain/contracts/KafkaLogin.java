package io.crosstrain.contracts;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;

/**
 * One Kafka principal's SASL/SCRAM-SHA-512 login and the client settings that use it. Every broker of a CrossTrain
 * stack takes only such logins (docs/architecture.md §10); what each principal may touch is its ACLs.
 */
public record KafkaLogin(String username, String password) {

    public static final String MECHANISM = "SCRAM-SHA-512";
    public static final String PROTOCOL = "SASL_PLAINTEXT";

    public KafkaLogin {
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(password, "password");
        // both go inside a quoted JAAS option: refuse what would end the quote
        if (username.isBlank() || !username.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("Kafka username must be letters, digits, '.', '_' or '-': " + username);
        }
        if (password.isEmpty() || password.contains("\"") || password.contains("\\")) {
            throw new IllegalArgumentException("Kafka password of " + username + " is empty or holds a quote or "
                    + "backslash");
        }
    }

    /** A login with a fresh random password (32 bytes, URL-safe base64). */
    public static KafkaLogin generate(String username) {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        return new KafkaLogin(username, Base64.getUrlEncoder().withoutPadding().encodeToString(random));
    }

    /** The {@code sasl.jaas.config} value a client logs in with. */
    public String jaasConfig() {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + username
                + "\" password=\"" + password + "\";";
    }

    /** Settings to add to any Kafka client (producer, consumer, admin) for it to log in as this principal. */
    public Map<String, Object> clientProperties() {
        return Map.of("security.protocol", PROTOCOL, "sasl.mechanism", MECHANISM, "sasl.jaas.config", jaasConfig());
    }

    /** The same settings as a client properties file's text (console tools' {@code --command-config}). */
    public String propertiesFile() {
        return "security.protocol=" + PROTOCOL + "\nsasl.mechanism=" + MECHANISM + "\nsasl.jaas.config="
                + jaasConfig() + "\n";
    }

    /** The same login as a librdkafka configuration (kcat's {@code -F}). */
    public String librdkafkaFile() {
        return "security.protocol=" + PROTOCOL.toLowerCase(java.util.Locale.ROOT) + "\nsasl.mechanisms=" + MECHANISM
                + "\nsasl.username=" + username + "\nsasl.password=" + password + "\n";
    }

    @Override
    public String toString() {
        return "KafkaLogin[" + username + "]";
    }
}
