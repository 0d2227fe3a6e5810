package io.crosstrain.inventory.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.net.URI;
import java.util.List;

import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.crosstrain.inventory.domain.ChipService;
import io.crosstrain.planner.ChipSpec;
import io.crosstrain.web.RequestRejectedException;

/**
 * The chip catalogue with the source of every figure, so users can judge how far to trust it: the built-in chips
 * plus those defined here.
 */
@RestController
@RequestMapping("/api/v1/chips")
@Tag(name = "chips", description = "The chip catalogue: built-in chips with cited figures, and custom chips")
class ChipController {

    private final ChipService chips;

    ChipController(ChipService chips) {
        this.chips = chips;
    }

    /** @param builtIn true for the chips shipped with CrossTrain, which cannot be replaced */
    record ChipView(String name, double tflops, double memoryGb, double memBandwidthTBps, boolean unverified,
                    String source, boolean builtIn) {
        static ChipView of(ChipSpec c, boolean builtIn) {
            return new ChipView(c.name(), c.tflops(), c.memoryGb(), c.memBandwidthTBps(), c.unverified(), c.source(),
                    builtIn);
        }
    }

    @Operation(summary = "List every chip of the catalogue")
    @GetMapping
    List<ChipView> list() {
        return chips.catalogue().all().stream().map(this::view).toList();
    }

    @Operation(summary = "Get one chip by name")
    @GetMapping("/{name}")
    ChipView get(@PathVariable String name) {
        return chips.find(name).map(this::view)
                .orElseThrow(() -> RequestRejectedException.notFound("chip '" + name + "' is not in the catalogue"));
    }

    /** Adds a chip (201) or updates one added earlier (200); built-in chips are refused with 409. */
    @Operation(summary = "Add a custom chip (a source is required)")
    @PostMapping
    ResponseEntity<ChipView> define(@RequestBody Requests.DefineChip body) {
        ChipService.Saved saved = chips.define(body.name(), body.tflops(), body.memoryGb(), body.memBandwidthTBps(),
                body.unverified(), body.source());
        ChipView view = ChipView.of(saved.chip(), false);
        if (saved.created()) {
            return ResponseEntity.created(URI.create("/api/v1/chips/" + view.name())).body(view);
        }
        return ResponseEntity.ok(view);
    }

    private ChipView view(ChipSpec c) {
        return ChipView.of(c, chips.isBuiltIn(c.name()));
    }
}
