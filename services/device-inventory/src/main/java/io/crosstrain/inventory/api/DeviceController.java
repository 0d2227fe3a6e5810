package io.crosstrain.inventory.api;

import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.List;

import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.crosstrain.inventory.domain.Device;
import io.crosstrain.inventory.domain.HealthPolicy;
import io.crosstrain.inventory.domain.InventoryService;
import io.crosstrain.planner.ChipCatalogue;
import io.crosstrain.web.RequestRejectedException;

@RestController
@RequestMapping("/api/v1/devices")
class DeviceController {

    private final InventoryService inventory;
    private final HealthPolicy health;
    private final ChipCatalogue catalogue;
    private final Clock clock;

    DeviceController(InventoryService inventory, HealthPolicy health, ChipCatalogue catalogue, Clock clock) {
        this.inventory = inventory;
        this.health = health;
        this.catalogue = catalogue;
        this.clock = clock;
    }

    @PostMapping
    ResponseEntity<DeviceView> register(@RequestBody Requests.RegisterDevice body) {
        Device device = inventory.registerDevice(body.id(), body.nodeId(), body.datacenter(), body.chip(),
                body.labels());
        return ResponseEntity.created(URI.create("/api/v1/devices/" + device.id()))
                .body(view(device, clock.instant()));
    }

    @GetMapping
    List<DeviceView> list(@RequestParam(required = false) String datacenter) {
        Instant now = clock.instant();
        return inventory.devices(datacenter).stream().map(d -> view(d, now)).toList();
    }

    @GetMapping("/{id}")
    DeviceView get(@PathVariable String id) {
        return inventory.device(id).map(d -> view(d, clock.instant()))
                .orElseThrow(() -> RequestRejectedException.notFound("device '" + id + "' is not registered"));
    }

    private DeviceView view(Device d, Instant now) {
        return DeviceView.of(d, health.status(d.lastHeartbeat(), now), catalogue.find(d.chip()).orElse(null));
    }
}
