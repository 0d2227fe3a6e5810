package io.crosstrain.inventory.domain;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import io.crosstrain.contracts.DeviceEvent;
import io.crosstrain.contracts.Heartbeat;
import io.crosstrain.inventory.persistence.DatacenterRepository;
import io.crosstrain.inventory.persistence.DeviceEventRepository;
import io.crosstrain.inventory.persistence.DeviceRepository;
import io.crosstrain.inventory.persistence.DeviceRepository.HeartbeatResult;
import io.crosstrain.inventory.persistence.NodeRepository;
import io.crosstrain.web.FieldError;
import io.crosstrain.web.RequestRejectedException;

/** Registration of datacenters, nodes and devices, and heartbeat bookkeeping. */
@Service
public class InventoryService {

    private static final Logger log = LoggerFactory.getLogger(InventoryService.class);
    static final int MAX_EVENTS = 1000;

    private final DatacenterRepository datacenters;
    private final NodeRepository nodes;
    private final DeviceRepository devices;
    private final DeviceEventRepository events;
    private final ChipService chips;
    private final HealthTracker health;
    private final Clock clock;

    public InventoryService(DatacenterRepository datacenters, NodeRepository nodes, DeviceRepository devices,
                            DeviceEventRepository events, ChipService chips, HealthTracker health, Clock clock) {
        this.datacenters = datacenters;
        this.nodes = nodes;
        this.devices = devices;
        this.events = events;
        this.chips = chips;
        this.health = health;
        this.clock = clock;
    }

    @Transactional
    public Datacenter createDatacenter(String id, String name, String region) {
        DeviceRegistration.checkDatacenter(id, name, region);
        if (!datacenters.insert(id, name, region)) {
            throw RequestRejectedException.conflict("id", "datacenter '" + id + "' already exists");
        }
        return datacenters.find(id).orElseThrow();
    }

    @Transactional(readOnly = true)
    public List<Datacenter> datacenters() {
        return datacenters.findAll();
    }

    @Transactional(readOnly = true)
    public Optional<Datacenter> datacenter(String id) {
        return datacenters.find(id);
    }

    @Transactional
    public Node createNode(String id, String datacenter) {
        DeviceRegistration.checkNode(id, datacenter);
        if (!datacenters.existsForShare(datacenter)) {
            throw RequestRejectedException.unprocessable("datacenter",
                    "datacenter '" + datacenter + "' is not registered");
        }
        if (!nodes.insert(id, datacenter)) {
            throw RequestRejectedException.conflict("id", "node '" + id + "' already exists");
        }
        return nodes.find(id).orElseThrow();
    }

    @Transactional(readOnly = true)
    public Optional<Node> node(String id) {
        return nodes.find(id);
    }

    @Transactional(readOnly = true)
    public List<Node> nodes(String datacenter) {
        return nodes.findAll(datacenter);
    }

    /** Registers a device, creating its node on first use (workers register devices of nodes nobody declared). */
    @Transactional
    public Device registerDevice(String id, String nodeId, String datacenter, String chip, Double memoryGb,
                                 Map<String, String> labels) {
        DeviceRegistration.Checked ok = DeviceRegistration.check(id, nodeId, datacenter, chip, memoryGb, labels,
                chips.catalogue());
        if (!datacenters.existsForShare(ok.datacenter())) {
            throw RequestRejectedException.unprocessable("datacenter",
                    "datacenter '" + ok.datacenter() + "' is not registered");
        }
        String nodeDc = nodes.ensure(ok.nodeId(), ok.datacenter());
        if (!nodeDc.equals(ok.datacenter())) {
            throw RequestRejectedException.unprocessable("nodeId",
                    "node '" + ok.nodeId() + "' belongs to datacenter '" + nodeDc + "'");
        }
        if (!devices.insert(ok.id(), ok.nodeId(), ok.datacenter(), ok.chip().name(), ok.memoryGb(), ok.labels())) {
            throw RequestRejectedException.conflict("id", "device '" + ok.id() + "' already exists");
        }
        return devices.find(ok.id()).orElseThrow();
    }

    /** Replaces every label of a device. */
    @Transactional
    public Device replaceLabels(String id, Map<String, ?> labels) {
        Map<String, String> clean = DeviceRegistration.checkLabels(labels);
        if (!devices.replaceLabels(id, clean)) {
            throw RequestRejectedException.notFound("device '" + id + "' is not registered");
        }
        return devices.find(id).orElseThrow();
    }

    @Transactional(readOnly = true)
    public Optional<Device> device(String id) {
        return devices.find(id);
    }

    @Transactional(readOnly = true)
    public List<Device> devices(String datacenter) {
        return devices.findAll(datacenter);
    }

    /** The newest {@code limit} health events of a device, oldest first; empty when the device is unknown. */
    @Transactional(readOnly = true)
    public Optional<List<DeviceEvent>> events(String id, int limit) {
        if (limit < 1 || limit > MAX_EVENTS) {
            throw RequestRejectedException.invalid(List.of(
                    new FieldError("limit", "must be between 1 and " + MAX_EVENTS)));
        }
        if (!devices.exists(id)) {
            return Optional.empty();
        }
        return Optional.of(events.history(id, limit));
    }

    /**
     * Applies a heartbeat to a registered device and records a health change it causes. The heartbeat's own time is
     * used (so a replayed old record is recognised as old), but never later than our clock, so a fast worker clock
     * cannot keep a device alive.
     */
    @Transactional
    public HeartbeatResult heartbeat(Heartbeat hb) {
        Instant now = clock.instant();
        Instant at = hb.at() == null || hb.at().isAfter(now) ? now : hb.at();
        HeartbeatResult result = devices.applyHeartbeat(hb.deviceId(), at, hb.mode(), hb.cpuFlopsPerSec(),
                hb.hostCores());
        if (result == HeartbeatResult.APPLIED) {
            health.evaluate(hb.deviceId());
        } else if (result == HeartbeatResult.UNKNOWN_DEVICE) {
            log.debug("heartbeat from unregistered device {} ignored", hb.deviceId());
        } else {
            log.debug("stale heartbeat of {} at {} ignored", hb.deviceId(), at);
        }
        return result;
    }
}
