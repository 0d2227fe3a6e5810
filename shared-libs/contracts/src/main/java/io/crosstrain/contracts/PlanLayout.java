package io.crosstrain.contracts;

import java.util.List;

/**
 * How a plan lays out one datacenter (docs/architecture.md §11).
 *
 * @param stages         pipeline stages per replica; 1 = every device a whole replica
 * @param replicas       replicas in the datacenter
 * @param microBatchSize largest micro-batch (0 for whole replicas)
 * @param stepSeconds    the slowest replica's step in chip seconds
 * @param bubbleFraction of that replica: the share of its step the bottleneck stage waits
 * @param eta            the datacenter's samples/s ÷ its devices' whole-model speeds
 * @param idle           devices of the datacenter the layout leaves out
 * @param equalLayersEta η of the same replicas with the blocks split evenly; null when not pipelined or when that
 *                       split does not fit (then {@code equalLayersProblem})
 * @param dataParallelEta η with every device a whole replica; null when the model fits no device alone
 */
public record PlanLayout(
        String datacenter,
        int stages,
        int replicas,
        int microBatchSize,
        double stepSeconds,
        double bubbleFraction,
        double eta,
        List<String> idle,
        Double equalLayersEta,
        String equalLayersProblem,
        Double dataParallelEta,
        String dataParallelProblem) {

    public PlanLayout {
        idle = idle == null ? List.of() : List.copyOf(idle);
    }
}
