package io.crosstrain.inventory.domain;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import io.crosstrain.inventory.persistence.ProfileRepository;

/** Throughput profiles from measured step speeds, per (chip, model, micro-batch) and per (device, model). */
@Service
public class ProfileService {

    private final ProfileRepository profiles;
    private final Clock clock;

    public ProfileService(ProfileRepository profiles, Clock clock) {
        this.profiles = profiles;
        this.clock = clock;
    }

    /**
     * Records one measured step and refreshes both profiles it belongs to.
     *
     * @return false when the step was recorded before (a redelivery), which then changes nothing
     */
    @Transactional
    public boolean record(SpeedSample sample) {
        if (!profiles.insertSample(sample)) {
            return false;
        }
        Instant now = clock.instant();
        // always chip profile first, then device profile: a fixed lock order between concurrent recorders
        profiles.countChipSample(sample.chip(), sample.modelKey(), sample.microBatch(), sample.samplesPerSec(), now);
        profiles.setChipSpeed(sample.chip(), sample.modelKey(), sample.microBatch(), RobustSpeed.estimate(
                profiles.recentChipSpeeds(sample.chip(), sample.modelKey(), sample.microBatch(), RobustSpeed.WINDOW)));
        profiles.countDeviceSample(sample.deviceId(), sample.modelKey(), sample.samplesPerSec(), now);
        profiles.setDeviceSpeed(sample.deviceId(), sample.modelKey(), RobustSpeed.estimate(
                profiles.recentDeviceSpeeds(sample.deviceId(), sample.modelKey(), RobustSpeed.WINDOW)));
        return true;
    }

    @Transactional(readOnly = true)
    public List<ChipProfile> chipProfiles(String chip, String model) {
        return profiles.chipProfiles(blankToNull(chip), blankToNull(model));
    }

    @Transactional(readOnly = true)
    public List<DeviceProfile> deviceProfiles(String deviceId) {
        return profiles.deviceProfiles(deviceId);
    }

    /** deviceId → (model → robust speed), for the devices of a datacenter or of all when it is null. */
    @Transactional(readOnly = true)
    public Map<String, Map<String, Double>> deviceSpeeds(String datacenter) {
        return profiles.deviceSpeeds(datacenter);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
