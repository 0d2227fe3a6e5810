package io.crosstrain.inventory.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.List;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.crosstrain.inventory.domain.ChipProfile;
import io.crosstrain.inventory.domain.ProfileService;

/** Measured throughput per (chip, model, micro-batch); per-device profiles live under {@code /devices/{id}}. */
@RestController
@RequestMapping("/api/v1/profiles")
@Tag(name = "profiles", description = "Measured throughput profiles per chip, model and micro-batch")
class ProfileController {

    private final ProfileService profiles;

    ProfileController(ProfileService profiles) {
        this.profiles = profiles;
    }

    /** @param chip ignoring case; @param model a model key such as {@code tx-L2-d96-h4-s64-v66}; both optional */
    @Operation(summary = "List measured chip profiles")
    @GetMapping
    List<ChipProfile> list(@RequestParam(required = false) String chip,
                           @RequestParam(required = false) String model) {
        return profiles.chipProfiles(chip, model);
    }
}
