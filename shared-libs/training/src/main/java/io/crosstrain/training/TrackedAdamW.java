package io.crosstrain.training;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.training.optimizer.AdamW;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * DJL's AdamW, remembering the moment arrays it creates. DJL detaches them from every manager, so without this
 * they would outlive the trainer in native memory; it also takes them out of any {@link NDScope} that happens to
 * be open at the first update, which would otherwise close them.
 */
final class TrackedAdamW extends AdamW {

    private final Set<NDArray> state = Collections.newSetFromMap(new IdentityHashMap<>());
    /** Per parameter, the state arrays in the order AdamW creates them: first moment, then second moment. */
    private final Map<String, List<NDArray>> moments = new HashMap<>();
    /** Imported moments, installed when AdamW creates the arrays at the parameter's first update. */
    private final Map<String, float[][]> presets = new HashMap<>();
    private final Map<String, Integer> applied = new HashMap<>();

    TrackedAdamW(AdamW.Builder builder) {
        super(builder);
    }

    @Override
    public void update(String parameterId, NDArray weight, NDArray grad) {
        applied.merge(parameterId, 1, Integer::sum);
        super.update(parameterId, weight, grad);
    }

    @Override
    protected NDArray withDefaultState(Map<String, Map<Device, NDArray>> states, String key, Device device,
            Function<String, NDArray> defaultFunction) {
        List<NDArray> known = moments.computeIfAbsent(key, k -> new ArrayList<>());
        int which = known.size();
        float[][] preset = presets.get(key);
        Function<String, NDArray> create = preset == null || which >= preset.length ? defaultFunction : k -> {
            NDArray a = defaultFunction.apply(k);
            a.set(FloatBuffer.wrap(preset[which]));
            return a;
        };
        NDArray array = super.withDefaultState(states, key, device, create);
        if (state.add(array)) {
            NDScope.unregister(array);
            known.add(array);
        }
        return array;
    }

    /** Updates applied (the same for every parameter: each step updates all of them). */
    int updates() {
        return applied.values().stream().mapToInt(Integer::intValue).max().orElse(0);
    }

    float[][] preset(String parameterId) {
        return presets.get(parameterId);
    }

    List<NDArray> moments(String parameterId) {
        return moments.getOrDefault(parameterId, List.of());
    }

    void preset(String parameterId, float[] mean, float[] variance, int updates) {
        presets.put(parameterId, new float[][] {mean, variance});
        for (int i = 0; i < updates; i++) {
            updateCount(parameterId); // DJL's own count drives bias correction and the learning-rate schedule
        }
        applied.put(parameterId, updates);
    }

    void closeState() {
        state.forEach(NDArray::close);
        state.clear();
        moments.clear();
    }
}
