package io.crosstrain.inventory.api;

import java.util.List;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.crosstrain.planner.ChipCatalogue;
import io.crosstrain.planner.ChipSpec;
import io.crosstrain.web.RequestRejectedException;

/** The chip catalogue with the source of every figure, so users can judge how far to trust it. */
@RestController
@RequestMapping("/api/v1/chips")
class ChipController {

    private final ChipCatalogue catalogue;

    ChipController(ChipCatalogue catalogue) {
        this.catalogue = catalogue;
    }

    record ChipView(String name, double tflops, double memoryGb, double memBandwidthTBps, boolean unverified,
                    String source) {
        static ChipView of(ChipSpec c) {
            return new ChipView(c.name(), c.tflops(), c.memoryGb(), c.memBandwidthTBps(), c.unverified(), c.source());
        }
    }

    @GetMapping
    List<ChipView> list() {
        return catalogue.all().stream().map(ChipView::of).toList();
    }

    @GetMapping("/{name}")
    ChipView get(@PathVariable String name) {
        return catalogue.find(name).map(ChipView::of)
                .orElseThrow(() -> RequestRejectedException.notFound("chip '" + name + "' is not in the catalogue"));
    }
}
