package io.crosstrain.inventory.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.crosstrain.contracts.DeviceEvent;
import io.crosstrain.inventory.domain.ChipService;
import io.crosstrain.inventory.domain.Device;
import io.crosstrain.inventory.domain.DeviceProfile;
import io.crosstrain.inventory.domain.HealthPolicy;
import io.crosstrain.inventory.domain.InventoryService;
import io.crosstrain.inventory.domain.ProfileService;
import io.crosstrain.planner.ChipCatalogue;
import io.crosstrain.web.RequestRejectedException;

@RestController
@RequestMapping("/api/v1/devices")
@Tag(name = "devices", description = "Devices: one accelerator each, with health and measured speed")
class DeviceController {

    private final InventoryService inventory;
    private final ProfileService profiles;
    private final ChipService chips;
    private final HealthPolicy health;
    private final Clock clock;

    DeviceController(InventoryService inventory, ProfileService profiles, ChipService chips, HealthPolicy health,
                     Clock clock) {
        this.inventory = inventory;
        this.profiles = profiles;
        this.chips = chips;
        this.health = health;
        this.clock = clock;
    }

    @Operation(summary = "Register a device")
    @PostMapping
    ResponseEntity<DeviceView> register(@RequestBody Requests.RegisterDevice body) {
        Device device = inventory.registerDevice(body.id(), body.nodeId(), body.datacenter(), body.chip(),
                body.memoryGb(), body.labels());
        return ResponseEntity.created(URI.create("/api/v1/devices/" + device.id())).body(view(device));
    }

    @Operation(summary = "List devices, optionally of one datacenter")
    @GetMapping
    List<DeviceView> list(@RequestParam(required = false) String datacenter) {
        Instant now = clock.instant();
        ChipCatalogue catalogue = chips.catalogue();
        Map<String, Map<String, Double>> speeds = profiles.deviceSpeeds(datacenter);
        return inventory.devices(datacenter).stream()
                .map(d -> view(d, now, catalogue, speeds.get(d.id())))
                .toList();
    }

    @Operation(summary = "Get one device with its health and profile")
    @GetMapping("/{id}")
    DeviceView get(@PathVariable String id) {
        return inventory.device(id).map(this::view).orElseThrow(() -> unknown(id));
    }

    /** Replaces all labels; the body is the complete new label map ({@code {}} removes them all). */
    @Operation(summary = "Replace the labels of a device")
    @PutMapping("/{id}/labels")
    DeviceView replaceLabels(@PathVariable String id, @RequestBody Map<String, Object> labels) {
        return view(inventory.replaceLabels(id, labels));
    }

    /** Health transitions of the device, oldest first (the newest {@code limit}). */
    @Operation(summary = "List the health events of a device")
    @GetMapping("/{id}/events")
    List<DeviceEvent> events(@PathVariable String id, @RequestParam(defaultValue = "100") int limit) {
        return inventory.events(id, limit).orElseThrow(() -> unknown(id));
    }

    @Operation(summary = "List the measured profiles of a device")
    @GetMapping("/{id}/profiles")
    List<DeviceProfile> profiles(@PathVariable String id) {
        if (inventory.device(id).isEmpty()) {
            throw unknown(id);
        }
        return profiles.deviceProfiles(id);
    }

    private DeviceView view(Device d) {
        Map<String, Double> speeds = profiles.deviceProfiles(d.id()).stream()
                .collect(Collectors.toMap(DeviceProfile::model, DeviceProfile::samplesPerSec));
        return view(d, clock.instant(), chips.catalogue(), speeds);
    }

    private DeviceView view(Device d, Instant now, ChipCatalogue catalogue, Map<String, Double> speeds) {
        return DeviceView.of(d, health.status(d.lastHeartbeat(), now), catalogue.find(d.chip()).orElse(null),
                speeds);
    }

    private static RequestRejectedException unknown(String id) {
        return RequestRejectedException.notFound("device '" + id + "' is not registered");
    }
}
