package io.crosstrain.relay.config;

import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * @param datacenter      the datacenter this relay serves; part of topic names, hence the restricted alphabet
 * @param completedMemory how many completed (job, round, chunk) entries per stage are remembered to recognise late
 *                        duplicates
 * @param maxBuffered     bytes of chunks per stage that may wait for a plan not seen yet; beyond it the oldest are
 *                        dead-lettered
 */
@Validated
@ConfigurationProperties("crosstrain.relay")
public record RelayProperties(
        @NotBlank @Pattern(regexp = "[A-Za-z0-9._-]{1,48}",
                message = "must be 1..48 characters of A-Z a-z 0-9 . _ -") String datacenter,
        @DefaultValue("65536") @Min(1) int completedMemory,
        @DefaultValue("128MB") @NotNull DataSize maxBuffered,
        @DefaultValue("true") boolean replayLedger,
        @DefaultValue @NotNull Deadline deadline) {

    public record Deadline(@DefaultValue("20") @Min(1) int window, @DefaultValue("5") @Min(1) int minSamples,
                           @DefaultValue("4.0") double k, @DefaultValue("250ms") @NotNull java.time.Duration floor) {
    }
}
