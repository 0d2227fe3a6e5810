package io.crosstrain.planner;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The synchronous part of one step across datacenters, once each datacenter's compute is known: the inner step is
 * the slowest datacenter's compute plus its intra-datacenter all-reduce, and a WAN exchange waits for the slowest
 * link between the datacenters that hold samples.
 *
 * @param participants datacenters with samples, in id order
 * @param innerSeconds {@code max_d (C_d + I_d)} over the participants
 * @param maxIntraSync {@code max_d I_d}
 * @param missingPair  two participants no link joins (only when some links were given), else null
 * @param pairLinks    the links between every pair of participants
 */
record SyncModel(List<String> participants, double innerSeconds, double maxIntraSync, String missingPair,
                 List<ClusterPlanner.Link> pairLinks) {

    /**
     * @param ids     datacenters in id order
     * @param compute per datacenter, the slowest unit's step
     * @param intra   per datacenter, its all-reduce
     * @param batch   per datacenter, samples per step
     */
    static SyncModel of(List<String> ids, double[] compute, double[] intra, int[] batch,
                        Map<String, ClusterPlanner.Link> links) {
        List<String> participants = new ArrayList<>();
        double inner = 0;
        double maxSync = 0;
        for (int d = 0; d < ids.size(); d++) {
            if (batch[d] > 0) {
                participants.add(ids.get(d));
                inner = Math.max(inner, compute[d] + intra[d]);
                maxSync = Math.max(maxSync, intra[d]);
            }
        }
        List<ClusterPlanner.Link> pairLinks = new ArrayList<>();
        String missing = null;
        if (!links.isEmpty()) {
            for (int a = 0; a < participants.size() && missing == null; a++) {
                for (int b = a + 1; b < participants.size(); b++) {
                    ClusterPlanner.Link l = links.get(ClusterInputs.pair(participants.get(a), participants.get(b)));
                    if (l == null) {
                        missing = participants.get(a) + " and " + participants.get(b);
                        break;
                    }
                    pairLinks.add(l);
                }
            }
        }
        return new SyncModel(List.copyOf(participants), inner, maxSync, missing, List.copyOf(pairLinks));
    }

    /** The slowest participating pair decides: bytes over its bandwidth plus its latency. */
    double wanSeconds(double bytes) {
        double worst = 0;
        for (ClusterPlanner.Link l : pairLinks) {
            worst = Math.max(worst, transfer(l, bytes));
        }
        return worst;
    }

    ClusterPlanner.Link slowest(double bytes) {
        return pairLinks.stream().max(Comparator.comparingDouble(l -> transfer(l, bytes))).orElseThrow();
    }

    static double transfer(ClusterPlanner.Link l, double bytes) {
        return bytes * 8 / (l.gbps() * 1e9) + l.latencyMs() / 1000.0;
    }

    /** A ring all-reduce of {@code bytes} among {@code members}: {@code 2(n−1)/n · bytes} over the bandwidth. */
    static double ring(int members, double bytes, double gbps) {
        return members <= 1 ? 0.0 : 2.0 * (members - 1) / members * bytes * 8 / (gbps * 1e9);
    }
}
