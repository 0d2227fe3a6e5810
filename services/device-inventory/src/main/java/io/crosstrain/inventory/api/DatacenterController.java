package io.crosstrain.inventory.api;

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
class DatacenterController {

    private final InventoryService inventory;

    DatacenterController(InventoryService inventory) {
        this.inventory = inventory;
    }

    @PostMapping
    ResponseEntity<Datacenter> create(@RequestBody Requests.CreateDatacenter body) {
        Datacenter dc = inventory.createDatacenter(body.id(), body.name(), body.region());
        return ResponseEntity.created(URI.create("/api/v1/datacenters/" + dc.id())).body(dc);
    }

    @GetMapping
    List<Datacenter> list() {
        return inventory.datacenters();
    }

    @GetMapping("/{id}")
    Datacenter get(@PathVariable String id) {
        return inventory.datacenter(id)
                .orElseThrow(() -> RequestRejectedException.notFound("datacenter '" + id + "' is not registered"));
    }
}
