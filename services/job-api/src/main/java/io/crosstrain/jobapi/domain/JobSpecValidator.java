package io.crosstrain.jobapi.domain;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import io.crosstrain.contracts.CheckpointSpec;
import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.OptimizerSpec;
import io.crosstrain.contracts.Placement;
import io.crosstrain.contracts.SyncSpec;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.web.FieldError;
import io.crosstrain.web.RequestRejectedException;
import io.crosstrain.web.TextInput;

/**
 * Checks a submitted {@link JobSpec} and fills in defaults. Every field at fault is reported at once, named by its
 * JSON path, so a client can fix a request in one round trip. Framework-free so the same rules apply to REST and
 * to Kafka {@code submit} commands.
 */
public final class JobSpecValidator {

    /** Emulated memory may be shrunk freely, and grown up to this factor (a bigger chip than any listed). */
    static final double MAX_MEMORY_SCALE = 1000;

    public static final int DEFAULT_HASH_EVERY = 10;
    static final Pattern DEVICE_ID = Pattern.compile("^[a-z0-9][a-z0-9-]{0,62}$");
    static final int MAX_DEVICES = 1024;

    private JobSpecValidator() {
    }

    /**
     * @param jobExists tells whether a job id is known (for {@code baselineFor})
     * @return the spec with defaults applied: strategy {@code sync-dp}, allocation {@code balanced},
     *         hashEvery 10 when 0, bundled dataset name {@code grammar-en}, devices an empty list when absent
     * @throws RequestRejectedException 400 listing every field at fault
     */
    public static JobSpec validate(JobSpec spec, Predicate<UUID> jobExists) {
        List<FieldError> errors = new ArrayList<>();
        if (spec == null) {
            throw RequestRejectedException.invalid(List.of(new FieldError("spec", "a job specification is required")));
        }
        String name = spec.name();
        // the REST mapper already refuses NUL and the like; a name is one line, so no tab or line break either
        String nameProblem = name == null ? null : TextInput.nameProblem(name);
        if (name == null || name.isBlank()) {
            errors.add(new FieldError("name", "is required"));
        } else if (name.length() > 100) {
            errors.add(new FieldError("name", "must be 1-100 characters"));
        } else if (nameProblem != null) {
            errors.add(new FieldError("name", nameProblem));
        }

        ModelSpec model = spec.model();
        if (model == null) {
            errors.add(new FieldError("model", "is required"));
        } else {
            range(errors, "model.layers", model.layers(), 1, 8);
            range(errors, "model.dModel", model.dModel(), 16, 512);
            range(errors, "model.heads", model.heads(), 1, 16);
            range(errors, "model.seqLen", model.seqLen(), 8, 512);
            // only meaningful once both are in range; otherwise the range errors say enough
            boolean inRange = model.heads() >= 1 && model.heads() <= 16 && model.dModel() >= 16
                    && model.dModel() <= 512;
            if (inRange && model.dModel() % model.heads() != 0) {
                errors.add(new FieldError("model.dModel", "must be divisible by model.heads"));
            }
            if (model.vocabSize() < 0) {
                errors.add(new FieldError("model.vocabSize", "must be 0 (derive from the corpus) or positive"));
            }
        }

        DatasetSpec dataset = normaliseDataset(spec.dataset(), errors);
        range(errors, "steps", spec.steps(), 1, 100_000);
        range(errors, "globalBatch", spec.globalBatch(), 1, 1_000_000);
        double lr = spec.learningRate();
        if (!(lr > 0 && lr <= 1)) {
            errors.add(new FieldError("learningRate", "must be in (0, 1]"));
        }

        String strategy = spec.strategy() == null ? JobSpec.SYNC_DP : spec.strategy();
        if (!JobSpec.SYNC_DP.equals(strategy) && !JobSpec.DILOCO.equals(strategy) && !JobSpec.AUTO.equals(strategy)) {
            errors.add(new FieldError("strategy", "must be \"" + JobSpec.AUTO + "\", \"" + JobSpec.SYNC_DP + "\" or \""
                    + JobSpec.DILOCO + "\""));
        }
        // auto may become DiLoCo (when the plan spans datacenters), so it may carry DiLoCo's settings
        SyncSpec sync = JobSpec.AUTO.equals(strategy) && spec.sync() == null ? null
                : sync(spec.sync(), spec.steps(), !JobSpec.SYNC_DP.equals(strategy), errors);
        String allocation = spec.allocation() == null ? JobSpec.BALANCED : spec.allocation();
        if (!JobSpec.BALANCED.equals(allocation) && !JobSpec.EQUAL.equals(allocation)) {
            errors.add(new FieldError("allocation", "must be \"balanced\" or \"equal\""));
        }
        int hashEvery = spec.hashEvery() == 0 ? DEFAULT_HASH_EVERY : spec.hashEvery();
        if (hashEvery < 1) {
            errors.add(new FieldError("hashEvery", "must be at least 1 (0 means the default, 10)"));
        }

        List<String> devices = spec.devices() == null ? List.of() : spec.devices();
        if (devices.size() > MAX_DEVICES) {
            errors.add(new FieldError("devices", "at most " + MAX_DEVICES + " devices"));
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < devices.size(); i++) {
            String id = devices.get(i);
            if (id == null || !DEVICE_ID.matcher(id).matches()) {
                errors.add(new FieldError("devices[" + i + "]", "must be a device id matching " + DEVICE_ID));
            } else if (!seen.add(id)) {
                errors.add(new FieldError("devices[" + i + "]", "device '" + id + "' is listed twice"));
            }
        }

        Double timeScale = spec.timeScale();
        if (timeScale != null && !(timeScale > 0 && !timeScale.isInfinite())) {
            errors.add(new FieldError("timeScale", "must be positive (or absent to calibrate automatically)"));
        }
        Double memoryScale = spec.memoryScale();
        if (memoryScale != null && !(memoryScale > 0 && memoryScale <= MAX_MEMORY_SCALE)) {
            errors.add(new FieldError("memoryScale", "must be positive and at most " + (int) MAX_MEMORY_SCALE
                    + " (emulated memory = the chip's memory × memoryScale), or absent for 1"));
        }
        if (spec.baselineFor() != null && !jobExists.test(spec.baselineFor())) {
            errors.add(new FieldError("baselineFor", "no job with id " + spec.baselineFor()));
        }

        String tenant = spec.tenant() == null ? JobSpec.DEFAULT_TENANT : spec.tenant();
        if (!DEVICE_ID.matcher(tenant).matches()) {
            errors.add(new FieldError("tenant", "must match " + DEVICE_ID));
        }
        range(errors, "priority", spec.priorityOrDefault(), -1000, 1000);
        Placement placement = placement(spec.placement(), errors);
        OptimizerSpec optimizer = optimizer(spec.optimizer(), errors);
        CheckpointSpec checkpoint = spec.checkpoint();
        if (checkpoint != null && checkpoint.every() != null) {
            range(errors, "checkpoint.every", checkpoint.every(), 1, 100_000);
        }
        if (checkpoint != null && checkpoint.keep() != null) {
            range(errors, "checkpoint.keep", checkpoint.keep(), 1, CheckpointSpec.MAX_KEEP);
        }

        if (!errors.isEmpty()) {
            throw RequestRejectedException.invalid(errors);
        }
        return new JobSpec(name.strip(), model, dataset, spec.steps(), spec.globalBatch(), lr, spec.seed(), strategy,
                allocation, List.copyOf(devices), spec.baselineFor(), timeScale, hashEvery, tenant, spec.priorityOrDefault(),
                placement, sync, optimizer, memoryScale, checkpoint);
    }

    /** The inner optimizer with its defaults filled in. */
    private static OptimizerSpec optimizer(OptimizerSpec o, List<FieldError> errors) {
        if (o == null) {
            return OptimizerSpec.defaults();
        }
        if (o.name() != null && !OptimizerSpec.NAMES.contains(o.name())) {
            errors.add(new FieldError("optimizer.name", "must be one of " + new java.util.TreeSet<>(OptimizerSpec.NAMES)));
        }
        if (OptimizerSpec.ADAM.equals(o.name()) && o.weightDecay() != null && o.weightDecay() != 0) {
            errors.add(new FieldError("optimizer.weightDecay", "Adam has no weight decay: use \"adamw\""));
        }
        if (o.weightDecay() != null && !(o.weightDecay() >= 0 && o.weightDecay() <= 1)) {
            errors.add(new FieldError("optimizer.weightDecay", "must be in [0, 1]"));
        }
        if (o.warmupSteps() != null && (o.warmupSteps() < 0 || o.warmupSteps() > 100_000)) {
            errors.add(new FieldError("optimizer.warmupSteps", "must be between 0 and 100000"));
        }
        return o.resolved();
    }

    /** DiLoCo's settings with defaults filled in; null for sync DP, which must not carry any. */
    private static SyncSpec sync(SyncSpec s, int steps, boolean diloco, List<FieldError> errors) {
        if (!diloco) {
            if (s != null) {
                errors.add(new FieldError("sync", "only applies to strategy \"" + JobSpec.DILOCO + "\" or \""
                        + JobSpec.AUTO + "\""));
            }
            return null;
        }
        SyncSpec r = s == null ? SyncSpec.defaults() : s.resolved();
        if (r.h() < 1 || r.h() > 100_000) {
            errors.add(new FieldError("sync.h", "must be 1-100000 inner steps"));
        } else if (steps >= 1 && r.h() > steps) {
            errors.add(new FieldError("sync.h", "must not exceed steps (" + steps + ")"));
        }
        if (!SyncSpec.CODECS.contains(r.codec())) {
            errors.add(new FieldError("sync.codec", "must be one of " + new java.util.TreeSet<>(SyncSpec.CODECS)));
        }
        if (!(r.outerLr() > 0 && r.outerLr() <= 10)) {
            errors.add(new FieldError("sync.outerLr", "must be in (0, 10]"));
        }
        if (!(r.outerMomentum() >= 0 && r.outerMomentum() < 1)) {
            errors.add(new FieldError("sync.outerMomentum", "must be in [0, 1)"));
        }
        return r;
    }

    /** Checks the constraints and fills absent lists with empty ones. */
    private static Placement placement(Placement p, List<FieldError> errors) {
        if (p == null) {
            return Placement.none();
        }
        List<String> dcs = p.datacenters() == null ? List.of() : p.datacenters();
        List<String> chips = p.chips() == null ? List.of() : p.chips();
        Map<String, String> labels = p.labels() == null ? Map.of() : p.labels();
        for (int i = 0; i < dcs.size(); i++) {
            if (dcs.get(i) == null || dcs.get(i).isBlank()) {
                errors.add(new FieldError("placement.datacenters[" + i + "]", "must be a datacenter id"));
            }
        }
        for (int i = 0; i < chips.size(); i++) {
            if (chips.get(i) == null || chips.get(i).isBlank()) {
                errors.add(new FieldError("placement.chips[" + i + "]", "must be a chip name"));
            }
        }
        if (dcs.size() > 64 || chips.size() > 64 || labels.size() > 64) {
            errors.add(new FieldError("placement", "at most 64 datacenters, chips and labels each"));
        }
        if (p.minMemoryGb() != null && !(p.minMemoryGb() > 0 && p.minMemoryGb() < 1e6)) {
            errors.add(new FieldError("placement.minMemoryGb", "must be positive"));
        }
        if (p.minDevices() != null && (p.minDevices() < 1 || p.minDevices() > MAX_DEVICES)) {
            errors.add(new FieldError("placement.minDevices", "must be between 1 and " + MAX_DEVICES));
        }
        if (p.maxDevices() != null && (p.maxDevices() < 1 || p.maxDevices() > MAX_DEVICES)) {
            errors.add(new FieldError("placement.maxDevices", "must be between 1 and " + MAX_DEVICES));
        }
        if (p.minDevices() != null && p.maxDevices() != null && p.minDevices() > p.maxDevices()) {
            errors.add(new FieldError("placement.minDevices", "must not exceed placement.maxDevices"));
        }
        return new Placement(List.copyOf(dcs), List.copyOf(chips), Map.copyOf(labels), p.minMemoryGb(),
                p.minDevices(), p.maxDevices());
    }

    private static DatasetSpec normaliseDataset(DatasetSpec dataset, List<FieldError> errors) {
        if (dataset == null) {
            errors.add(new FieldError("dataset", "is required"));
            return null;
        }
        if (DatasetSpec.BUNDLED.equals(dataset.kind())) {
            String name = dataset.name() == null ? DatasetSpec.DEFAULT_CORPUS : dataset.name();
            if (!DatasetSpec.DEFAULT_CORPUS.equals(name)) {
                errors.add(new FieldError("dataset.name", "the only bundled corpus is \""
                        + DatasetSpec.DEFAULT_CORPUS + "\""));
            }
            if (dataset.path() != null) {
                errors.add(new FieldError("dataset.path", "must be absent for a bundled dataset"));
            }
            return new DatasetSpec(DatasetSpec.BUNDLED, name, null);
        }
        if (DatasetSpec.PATH.equals(dataset.kind())) {
            if (dataset.path() == null || dataset.path().isBlank()) {
                errors.add(new FieldError("dataset.path", "is required for a dataset of kind \"path\""));
            } else if (!confined(dataset.path())) {
                errors.add(new FieldError("dataset.path", "must be a relative path inside the workers' data "
                        + "directory (no leading '/', no '..', at most " + MAX_PATH + " characters)"));
            }
            return dataset;
        }
        errors.add(new FieldError("dataset.kind", "must be \"bundled\" or \"path\""));
        return dataset;
    }

    static final int MAX_PATH = 500;

    /** Workers resolve the path against their data directory (and check again); it must not climb out of it. */
    static boolean confined(String path) {
        if (path.length() > MAX_PATH || path.startsWith("/") || path.startsWith("\\") || path.contains("\0")
                || path.contains(":")) {
            return false;
        }
        for (String part : path.split("[/\\\\]")) {
            if (part.equals("..")) {
                return false;
            }
        }
        return true;
    }

    private static void range(List<FieldError> errors, String field, int value, int min, int max) {
        if (value < min || value > max) {
            errors.add(new FieldError(field, "must be between " + min + " and " + max));
        }
    }
}
