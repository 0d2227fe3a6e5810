package io.crosstrain.inventory.domain;

import java.util.List;
import java.util.Optional;

import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import io.crosstrain.inventory.persistence.DatacenterRepository;
import io.crosstrain.inventory.persistence.LinkRepository;
import io.crosstrain.web.RequestRejectedException;

/** WAN links between datacenters. */
@Service
public class LinkService {

    /** A link as stored, and whether storing it created it. */
    public record Saved(Link link, boolean created) {
    }

    private final LinkRepository links;
    private final DatacenterRepository datacenters;

    public LinkService(LinkRepository links, DatacenterRepository datacenters) {
        this.links = links;
        this.datacenters = datacenters;
    }

    /** Creates the link between two datacenters or updates its figures; either direction names the same link. */
    @Transactional
    public Saved put(String from, String to, Double gbps, Double latencyMs) {
        LinkRequest.Checked ok = LinkRequest.check(from, to, gbps, latencyMs);
        // lock both ends in a fixed order so they cannot vanish meanwhile, without deadlocking a reverse request
        boolean lowExists = datacenters.existsForShare(ok.low());
        boolean highExists = datacenters.existsForShare(ok.high());
        if (!(ok.from().equals(ok.low()) ? lowExists : highExists)) {
            throw RequestRejectedException.unprocessable("from", "datacenter '" + ok.from() + "' is not registered");
        }
        if (!(ok.to().equals(ok.low()) ? lowExists : highExists)) {
            throw RequestRejectedException.unprocessable("to", "datacenter '" + ok.to() + "' is not registered");
        }
        boolean created = links.upsert(ok.low(), ok.high(), ok.gbps(), ok.latencyMs());
        return new Saved(links.find(ok.low(), ok.high()).orElseThrow().from(ok.from()), created);
    }

    /** The link between two datacenters, seen from {@code from}. */
    @Transactional(readOnly = true)
    public Optional<Link> get(String from, String to) {
        if (from == null || from.equals(to)) {
            return Optional.empty();
        }
        return links.find(low(from, to), high(from, to)).map(l -> l.from(from));
    }

    /** All links, or those of one datacenter seen from it. */
    @Transactional(readOnly = true)
    public List<Link> list(String datacenter) {
        List<Link> all = links.findAll(datacenter);
        return datacenter == null ? all : all.stream().map(l -> l.from(datacenter)).toList();
    }

    @Transactional
    public boolean delete(String from, String to) {
        return from != null && !from.equals(to) && links.delete(low(from, to), high(from, to));
    }

    private static String low(String a, String b) {
        return a.compareTo(b) < 0 ? a : b;
    }

    private static String high(String a, String b) {
        return a.compareTo(b) < 0 ? b : a;
    }
}
