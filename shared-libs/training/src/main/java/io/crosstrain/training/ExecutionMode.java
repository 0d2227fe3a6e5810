package io.crosstrain.training;

import ai.djl.Device;
import io.crosstrain.contracts.Plan;

/**
 * Which label a figure may carry follows the device the math ran on, never what the host happens to have: only
 * PyTorch's CPU native library ships, so every trainer computes on {@link #COMPUTE_DEVICE} and paces itself to its
 * emulated chip. A run is {@code measured-on-device} only once trainers really run on an accelerator.
 */
public final class ExecutionMode {

    /** The device every {@link DeviceTrainer} allocates its tensors on. */
    public static final Device COMPUTE_DEVICE = Device.cpu();

    private ExecutionMode() {
    }

    /** {@code measured-on-device} for math run on an accelerator, {@code emulated} for a chip paced on the CPU. */
    public static String of(Device device) {
        return device.isGpu() ? Plan.MEASURED : Plan.EMULATED;
    }

    /** The label of this build's trainers. */
    public static String current() {
        return of(COMPUTE_DEVICE);
    }
}
