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

import io.crosstrain.contracts.Heartbeat;
import io.crosstrain.inventory.persistence.DatacenterRepository;
import io.crosstrain.inventory.persistence.DeviceRepository;
import io.crosstrain.inventory.persistence.DeviceRepository.HeartbeatResult;
import io.crosstrain.planner.ChipCatalogue;
import io.crosstrain.web.RequestRejectedException;

/** Registration of datacenters and devices, and heartbeat bookkeeping. */
@Service
public class InventoryService {

    private static final Logger log = LoggerFactory.getLogger(InventoryService.class);

    private final DatacenterRepository datacenters;
    private final DeviceRepository devices;
    private final ChipCatalogue catalogue;
    private final Clock clock;

    public InventoryService(DatacenterRepository datacenters, DeviceRepository devices, ChipCatalogue catalogue,
                            Clock clock) {
        this.datacenters = datacenters;
        this.devices = devices;
        this.catalogue = catalogue;
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
    public Device registerDevice(String id, String nodeId, String datacenter, String chip,
                                 Map<String, String> labels) {
        DeviceRegistration.Checked ok = DeviceRegistration.check(id, nodeId, datacenter, chip, labels, catalogue);
        if (!datacenters.existsForShare(ok.datacenter())) {
            throw RequestRejectedException.unprocessable("datacenter",
                    "datacenter '" + ok.datacenter() + "' is not registered");
        }
        String nodeDc = devices.ensureNode(ok.nodeId(), ok.datacenter());
        if (!nodeDc.equals(ok.datacenter())) {
            throw RequestRejectedException.unprocessable("nodeId",
                    "node '" + ok.nodeId() + "' belongs to datacenter '" + nodeDc + "'");
        }
        if (!devices.insert(ok.id(), ok.nodeId(), ok.datacenter(), ok.chip().name(), ok.labels())) {
            throw RequestRejectedException.conflict("id", "device '" + ok.id() + "' already exists");
        }
        return devices.find(ok.id()).orElseThrow();
    }

    @Transactional(readOnly = true)
    public Optional<Device> device(String id) {
        return devices.find(id);
    }

    @Transactional(readOnly = true)
    public List<Device> devices(String datacenter) {
        return devices.findAll(datacenter);
    }

    /**
     * Applies a heartbeat to a registered device. The heartbeat's own time is used (so a replayed old record is
     * recognised as old), but never later than our clock, so a fast worker clock cannot keep a device alive.
     */
    @Transactional
    public HeartbeatResult heartbeat(Heartbeat hb) {
        Instant now = clock.instant();
        Instant at = hb.at() == null || hb.at().isAfter(now) ? now : hb.at();
        HeartbeatResult result = devices.applyHeartbeat(hb.deviceId(), at, hb.mode(), hb.cpuFlopsPerSec(),
                hb.hostCores());
        if (result == HeartbeatResult.UNKNOWN_DEVICE) {
            log.debug("heartbeat from unregistered device {} ignored", hb.deviceId());
        } else if (result == HeartbeatResult.STALE) {
            log.debug("stale heartbeat of {} at {} ignored", hb.deviceId(), at);
        }
        return result;
    }
}
