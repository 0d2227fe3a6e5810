package io.crosstrain.inventory.persistence;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import io.crosstrain.inventory.domain.ChipProfile;
import io.crosstrain.inventory.domain.DeviceProfile;
import io.crosstrain.inventory.domain.SpeedSample;

/** Measured speed samples and the profiles summarising them. */
@Repository
public class ProfileRepository {

    private final JdbcClient jdbc;

    public ProfileRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** @return false when this step of this device was recorded before (a redelivered metric) */
    public boolean insertSample(SpeedSample s) {
        return jdbc.sql("""
                        insert into inventory.speed_samples
                               (job_id, plan_version, device_id, step, chip, model_key, micro_batch,
                                samples_per_sec, measured_at)
                        values (:job, :version, :device, :step, :chip, :model, :mb, :speed, :at)
                        on conflict do nothing""")
                .param("job", s.jobId()).param("version", s.planVersion()).param("device", s.deviceId())
                .param("step", s.step()).param("chip", s.chip()).param("model", s.modelKey())
                .param("mb", s.microBatch()).param("speed", s.samplesPerSec()).param("at", ts(s.measuredAt()))
                .update() == 1;
    }

    /**
     * Counts one more sample for the chip profile, creating it if needed. The row stays locked until commit, so
     * concurrent recorders of the same profile take turns and each re-reads the samples the previous one added.
     */
    public void countChipSample(String chip, String model, int microBatch, double speed, Instant at) {
        jdbc.sql("""
                        insert into inventory.chip_profiles
                               (chip, model_key, micro_batch, samples_per_sec, samples, updated_at)
                        values (:chip, :model, :mb, :speed, 1, :at)
                        on conflict (chip, model_key, micro_batch) do update
                           set samples = chip_profiles.samples + 1, updated_at = excluded.updated_at""")
                .param("chip", chip).param("model", model).param("mb", microBatch).param("speed", speed)
                .param("at", ts(at)).update();
    }

    public void countDeviceSample(String deviceId, String model, double speed, Instant at) {
        jdbc.sql("""
                        insert into inventory.device_profiles (device_id, model_key, samples_per_sec, samples, updated_at)
                        values (:device, :model, :speed, 1, :at)
                        on conflict (device_id, model_key) do update
                           set samples = device_profiles.samples + 1, updated_at = excluded.updated_at""")
                .param("device", deviceId).param("model", model).param("speed", speed).param("at", ts(at))
                .update();
    }

    /** The newest {@code limit} speeds measured for a chip profile. */
    public double[] recentChipSpeeds(String chip, String model, int microBatch, int limit) {
        return jdbc.sql("""
                        select samples_per_sec from inventory.speed_samples
                         where chip = :chip and model_key = :model and micro_batch = :mb
                         order by measured_at desc, step desc limit :limit""")
                .param("chip", chip).param("model", model).param("mb", microBatch).param("limit", limit)
                .query(Double.class).list().stream().mapToDouble(Double::doubleValue).toArray();
    }

    public double[] recentDeviceSpeeds(String deviceId, String model, int limit) {
        return jdbc.sql("""
                        select samples_per_sec from inventory.speed_samples
                         where device_id = :device and model_key = :model
                         order by measured_at desc, step desc limit :limit""")
                .param("device", deviceId).param("model", model).param("limit", limit)
                .query(Double.class).list().stream().mapToDouble(Double::doubleValue).toArray();
    }

    public void setChipSpeed(String chip, String model, int microBatch, double speed) {
        jdbc.sql("""
                        update inventory.chip_profiles set samples_per_sec = :speed
                         where chip = :chip and model_key = :model and micro_batch = :mb""")
                .param("chip", chip).param("model", model).param("mb", microBatch).param("speed", speed).update();
    }

    public void setDeviceSpeed(String deviceId, String model, double speed) {
        jdbc.sql("""
                        update inventory.device_profiles set samples_per_sec = :speed
                         where device_id = :device and model_key = :model""")
                .param("device", deviceId).param("model", model).param("speed", speed).update();
    }

    /** Chip profiles, optionally only of one chip (ignoring case) and/or one model. */
    public List<ChipProfile> chipProfiles(String chip, String model) {
        return jdbc.sql("""
                        select chip, model_key, micro_batch, samples_per_sec, samples, updated_at
                          from inventory.chip_profiles
                         where (cast(:chip as text) is null or lower(chip) = lower(cast(:chip as text)))
                           and (cast(:model as text) is null or model_key = cast(:model as text))
                         order by chip, model_key, micro_batch""")
                .param("chip", chip).param("model", model)
                .query((rs, n) -> new ChipProfile(rs.getString("chip"), rs.getString("model_key"),
                        rs.getInt("micro_batch"), rs.getDouble("samples_per_sec"), rs.getLong("samples"),
                        instant(rs, "updated_at")))
                .list();
    }

    public List<DeviceProfile> deviceProfiles(String deviceId) {
        return jdbc.sql("""
                        select device_id, model_key, samples_per_sec, samples, updated_at
                          from inventory.device_profiles where device_id = :device order by model_key""")
                .param("device", deviceId)
                .query((rs, n) -> new DeviceProfile(rs.getString("device_id"), rs.getString("model_key"),
                        rs.getDouble("samples_per_sec"), rs.getLong("samples"), instant(rs, "updated_at")))
                .list();
    }

    /** deviceId → (model → speed) for the devices of a datacenter, or of all when {@code datacenter} is null. */
    public Map<String, Map<String, Double>> deviceSpeeds(String datacenter) {
        Map<String, Map<String, Double>> speeds = new LinkedHashMap<>();
        jdbc.sql("""
                        select p.device_id, p.model_key, p.samples_per_sec
                          from inventory.device_profiles p join inventory.devices d on d.id = p.device_id
                         where cast(:dc as text) is null or d.datacenter_id = cast(:dc as text)
                         order by p.device_id, p.model_key""")
                .param("dc", datacenter)
                .query(rs -> {
                    speeds.computeIfAbsent(rs.getString("device_id"), k -> new LinkedHashMap<>())
                            .put(rs.getString("model_key"), rs.getDouble("samples_per_sec"));
                });
        return speeds;
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        return rs.getObject(column, OffsetDateTime.class).toInstant();
    }

    private static OffsetDateTime ts(Instant at) {
        return at.atOffset(ZoneOffset.UTC);
    }
}
