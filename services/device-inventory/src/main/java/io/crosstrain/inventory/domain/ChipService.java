package io.crosstrain.inventory.domain;

import java.util.Optional;

import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import io.crosstrain.inventory.persistence.ChipRepository;
import io.crosstrain.planner.ChipCatalogue;
import io.crosstrain.planner.ChipSpec;
import io.crosstrain.web.RequestRejectedException;

/**
 * The catalogue this service works with: the built-in chips plus those defined over REST. Read from the database
 * each time, so every instance sees a chip as soon as it is committed.
 */
@Service
public class ChipService {

    /** A chip as stored, and whether storing it created it. */
    public record Saved(ChipSpec chip, boolean created) {
    }

    private final ChipRepository chips;
    private final ChipCatalogue builtIn;

    public ChipService(ChipRepository chips, ChipCatalogue builtIn) {
        this.chips = chips;
        this.builtIn = builtIn;
    }

    @Transactional(readOnly = true)
    public ChipCatalogue catalogue() {
        ChipCatalogue catalogue = builtIn;
        for (ChipSpec custom : chips.findAll()) {
            // a stored chip can never shadow a built-in one (define() refuses), but stay safe if the catalogue grows
            if (builtIn.find(custom.name()).isEmpty()) {
                catalogue = catalogue.with(custom);
            }
        }
        return catalogue;
    }

    @Transactional(readOnly = true)
    public Optional<ChipSpec> find(String name) {
        return catalogue().find(name);
    }

    public boolean isBuiltIn(String name) {
        return builtIn.find(name).isPresent();
    }

    /** Adds a chip, or updates one defined earlier; built-in chips cannot be replaced. */
    @Transactional
    public Saved define(String name, Double tflops, Double memoryGb, Double memBandwidthTBps, Boolean unverified,
                        String source) {
        ChipSpec chip = ChipDefinition.check(name, tflops, memoryGb, memBandwidthTBps, unverified, source);
        if (isBuiltIn(chip.name())) {
            throw RequestRejectedException.conflict("name", "chip '" + chip.name()
                    + "' is built in and cannot be replaced; choose another name");
        }
        return new Saved(chip, chips.upsert(chip));
    }
}
