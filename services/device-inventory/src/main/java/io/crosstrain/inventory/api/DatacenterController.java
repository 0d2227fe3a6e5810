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

import io.crosstrain.inventory.domain.Datacenter;
import io.crosstrain.inventory.domain.InventoryService;
import io.crosstrain.web.RequestRejectedException;

@RestController
@RequestMapping("/api/v1/datacenters")
@Tag(name = "datacenters", description = "Datacenters")
class DatacenterController {

    private final InventoryService inventory;

    DatacenterController(InventoryService inventory) {
        this.inventory = inventory;
    }

    @Operation(summary = "Register a datacenter")
    @PostMapping
    ResponseEntity<Datacenter> create(@RequestBody Requests.CreateDatacenter body) {
        Datacenter dc = inventory.createDatacenter(body.id(), body.name(), body.region());
        return ResponseEntity.created(URI.create("/api/v1/datacenters/" + dc.id())).body(dc);
    }

    @Operation(summary = "List datacenters")
    @GetMapping
    List<Datacenter> list() {
        return inventory.datacenters();
    }

    @Operation(summary = "Get one datacenter")
    @GetMapping("/{id}")
    Datacenter get(@PathVariable String id) {
        return inventory.datacenter(id)
                .orElseThrow(() -> RequestRejectedException.notFound("datacenter '" + id + "' is not registered"));
    }
}
