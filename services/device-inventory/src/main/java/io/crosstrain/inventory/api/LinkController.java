package io.crosstrain.inventory.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.net.URI;
import java.util.List;

import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.crosstrain.inventory.domain.Link;
import io.crosstrain.inventory.domain.LinkService;
import io.crosstrain.web.RequestRejectedException;

/**
 * WAN links. A link is undirected: {@code /links/bj/sh} and {@code /links/sh/bj} name the same one, shown from the
 * side named first.
 */
@RestController
@RequestMapping("/api/v1/links")
@Tag(name = "links", description = "WAN links between datacenters (bandwidth, latency)")
class LinkController {

    private final LinkService links;

    LinkController(LinkService links) {
        this.links = links;
    }

    /** 201 for a new link, 200 when the pair existed and its figures were updated. */
    @Operation(summary = "Create or replace the link between two datacenters")
    @PostMapping
    ResponseEntity<Link> put(@RequestBody Requests.PutLink body) {
        LinkService.Saved saved = links.put(body.from(), body.to(), body.gbps(), body.latencyMs());
        Link link = saved.link();
        if (saved.created()) {
            return ResponseEntity.created(URI.create("/api/v1/links/" + link.from() + "/" + link.to())).body(link);
        }
        return ResponseEntity.ok(link);
    }

    /** All links; with {@code datacenter}, only its links, each shown from its side. */
    @Operation(summary = "List links, optionally of one datacenter")
    @GetMapping
    List<Link> list(@RequestParam(required = false) String datacenter) {
        return links.list(datacenter);
    }

    @Operation(summary = "Get the link between two datacenters")
    @GetMapping("/{from}/{to}")
    Link get(@PathVariable String from, @PathVariable String to) {
        return links.get(from, to).orElseThrow(() -> missing(from, to));
    }

    @Operation(summary = "Delete the link between two datacenters")
    @DeleteMapping("/{from}/{to}")
    ResponseEntity<Void> delete(@PathVariable String from, @PathVariable String to) {
        if (!links.delete(from, to)) {
            throw missing(from, to);
        }
        return ResponseEntity.noContent().build();
    }

    private static RequestRejectedException missing(String from, String to) {
        return RequestRejectedException.notFound("no link between '" + from + "' and '" + to + "'");
    }
}
