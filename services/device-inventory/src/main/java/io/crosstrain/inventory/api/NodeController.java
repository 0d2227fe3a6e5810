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
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.crosstrain.inventory.domain.InventoryService;
import io.crosstrain.inventory.domain.Node;
import io.crosstrain.web.RequestRejectedException;

/** Nodes can be declared up front; registering a device on an undeclared node creates it as well. */
@RestController
@RequestMapping("/api/v1/nodes")
@Tag(name = "nodes", description = "Nodes: hosts that hold devices")
class NodeController {

    private final InventoryService inventory;

    NodeController(InventoryService inventory) {
        this.inventory = inventory;
    }

    @Operation(summary = "Register a node")
    @PostMapping
    ResponseEntity<Node> create(@RequestBody Requests.CreateNode body) {
        Node node = inventory.createNode(body.id(), body.datacenter());
        return ResponseEntity.created(URI.create("/api/v1/nodes/" + node.id())).body(node);
    }

    @Operation(summary = "List nodes, optionally of one datacenter")
    @GetMapping
    List<Node> list(@RequestParam(required = false) String datacenter) {
        return inventory.nodes(datacenter);
    }

    @Operation(summary = "Get one node")
    @GetMapping("/{id}")
    Node get(@PathVariable String id) {
        return inventory.node(id)
                .orElseThrow(() -> RequestRejectedException.notFound("node '" + id + "' is not registered"));
    }
}
