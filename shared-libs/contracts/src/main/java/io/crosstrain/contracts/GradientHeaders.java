package io.crosstrain.contracts;

/** Kafka record keys of gradient chunks (ARCHITECTURE.md §3). */
public final class GradientHeaders {
    private GradientHeaders() {
    }

    public static String upKey(Object jobId, long round, String worker, int chunk) {
        return jobId + ":" + round + ":" + worker + ":" + chunk;
    }

    public static String wanKey(Object jobId, long round, String datacenter, int chunk) {
        return jobId + ":" + round + ":" + datacenter + ":" + chunk;
    }

    public static String downKey(Object jobId, long round, int chunk) {
        return jobId + ":" + round + ":" + chunk;
    }
}
