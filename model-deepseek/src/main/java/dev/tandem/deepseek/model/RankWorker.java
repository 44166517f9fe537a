package dev.tandem.deepseek.model;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.model.DecoderRunner.Request;
import dev.tandem.deepseek.model.DecoderRunner.Scheduling;
import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.schedule.Schedule;
import dev.tandem.runtime.schedule.ScheduleRunner;
import dev.tandem.runtime.schedule.Schedules;
import dev.tandem.runtime.schedule.StageProgram;
import dev.tandem.runtime.spi.Closer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One rank of a {@link DecoderRunner}: its context, device layers, stage program, schedule runner and the KV
 * caches of the requests it runs. Driven by one host thread per step; it issues the rank's part of a step, and
 * can undo a failed one.
 */
final class RankWorker implements AutoCloseable {
    private final DeepSeekConfig config;
    private final RankContext rc;
    private final int firstLayer;
    private final int endLayer;
    private final List<DeviceLayer> layers;
    private final StageProgram<DecoderMicroBatch> program;
    private ScheduleRunner scheduleRunner;
    private final Map<Long, RankSequence> sequences = new HashMap<>();
    private final Map<String, Schedule<DecoderMicroBatch>> schedules = new ConcurrentHashMap<>();

    RankWorker(DeepSeekConfig config, RankContext rc, List<DeviceLayer> layers, int firstLayer, int endLayer) {
        this.config = config;
        this.rc = rc;
        this.layers = List.copyOf(layers);
        this.firstLayer = firstLayer;
        this.endLayer = endLayer;
        this.program = DecoderLayers.program(rc, this.layers);
        this.scheduleRunner = new ScheduleRunner(rc.computeStream(), rc.commStream());
    }

    /** Loads layers {@code [first, end)} of this rank (its experts only) onto its device. */
    /** {@return this rank's context} */
    RankContext context() {
        return rc;
    }

    static List<DeviceLayer> load(RankContext rc, WeightSource weights, int first, int end) {
        List<DeviceLayer> ls = new ArrayList<>();
        try {
            for (int l = first; l < end; l++) {
                var hostWeights = weights.load(l, rc.expertStart(), rc.expertEnd());
                ls.add(new DeviceLayer(rc, hostWeights, rc.computeStream()));
            }
            rc.computeStream().synchronize();
            return ls;
        } catch (RuntimeException | Error e) {
            ls.forEach(DeviceLayer::close);
            throw e;
        }
    }

    StageProgram<DecoderMicroBatch> program() {
        return program;
    }

    Schedule<DecoderMicroBatch> schedule(int microBatches, Scheduling scheduling) {
        return schedules.computeIfAbsent(microBatches + "/" + scheduling, k ->
                scheduling == Scheduling.OVERLAPPED
                        ? Schedules.overlapped(program, microBatches)
                        : Schedules.sequential(program, microBatches));
    }

    /** Cached tokens of request {@code id} in the first layer (0 if it has none here). */
    int cachedTokens(long id) {
        RankSequence s = sequences.get(id);
        return s == null ? 0 : s.length(firstLayer);
    }

    void release(long id) {
        RankSequence s = sequences.remove(id);
        if (s != null) {
            s.close();
        }
    }

    /** Device bytes that {@code extra} more tokens of request {@code id} would add to its caches here. */
    long growthBytes(long id, int extra) {
        RankSequence s = sequences.get(id);
        if (s != null) {
            return s.growthBytes(firstLayer, endLayer, extra);
        }
        return (long) (endLayer - firstLayer)
                * KvCache.growthBytes(0, extra, config.kvLoraRank() + config.qkRopeHeadDim());
    }

    long cacheBytes(long id) {
        RankSequence s = sequences.get(id);
        return s == null ? 0 : s.bytes();
    }

    long cacheBytes() {
        long total = 0;
        for (RankSequence s : sequences.values()) {
            total += s.bytes();
        }
        return total;
    }

    /** Cache lengths of the given requests before a step (null for a request without a cache here). */
    Map<Long, Map<Integer, Integer>> snapshot(List<Request> requests, List<Integer> mine) {
        Map<Long, Map<Integer, Integer>> out = new HashMap<>();
        for (int i : mine) {
            long id = requests.get(i).id();
            RankSequence s = sequences.get(id);
            out.putIfAbsent(id, s == null ? null : s.lengths());
        }
        return out;
    }

    /** Undoes a failed step: caches back to {@code snapshot}, caches it created freed. */
    void restore(Map<Long, Map<Integer, Integer>> snapshot) {
        List<Runnable> frees = new ArrayList<>();
        for (var e : snapshot.entrySet()) {
            RankSequence s = sequences.get(e.getKey());
            if (s == null) {
                continue;
            }
            if (e.getValue() == null) {
                sequences.remove(e.getKey());
                frees.add(s::close);
            } else {
                s.restore(e.getValue());
            }
        }
        Closer.runAll(frees);
    }

    /** After a failed step: fresh streams and a communicator of a fresh group. */
    void renew(Communicator fresh) {
        try {
            scheduleRunner.close();
        } catch (RuntimeException ignored) {
            // its events belong to the failed streams; the step's failure is what the caller sees
        }
        rc.renew(fresh);
        scheduleRunner = new ScheduleRunner(rc.computeStream(), rc.commStream());
    }

    /**
     * Runs this rank's part of a step: requests {@code mine} (indices into {@code requests}) in {@code mbs}
     * micro-batches, and, when {@code writesOutput}, their output rows into {@code out} at {@code rowOf}. On failure
     * the rank's communicator is closed, so that peers waiting for this rank's collectives fail at once.
     */
    void run(List<Request> requests, List<Integer> mine, int mbs, float[] out, int[] rowOf, boolean writesOutput,
             Scheduling scheduling) {
        Stream s = rc.computeStream();
        int d = config.hiddenSize();
        List<DecoderMicroBatch> batches = new ArrayList<>();
        List<List<Integer>> members = new ArrayList<>();
        try {
            reserve(requests, mine, s);
            for (int m = 0; m < mbs; m++) {
                List<Integer> ids = new ArrayList<>();
                for (int i : mine) {
                    if (requests.get(i).microBatch() == m) {
                        ids.add(i);
                    }
                }
                members.add(ids);
                microBatch(m, requests, ids, s, batches);
            }
            scheduleRunner.run(schedule(mbs, scheduling), batches);
            List<float[]> results = new ArrayList<>();
            for (DecoderMicroBatch mb : batches) {
                float[] res = new float[mb.tokens() * d];
                if (mb.tokens() > 0) {
                    s.download(mb.tensor(DecoderMicroBatch.HIDDEN), res);
                }
                results.add(res);
            }
            s.synchronize();
            rc.commStream().synchronize();
            if (writesOutput) {
                for (int m = 0; m < mbs; m++) {
                    int row = 0;
                    for (int i : members.get(m)) {
                        int n = requests.get(i).tokens();
                        System.arraycopy(results.get(m), row * d, out, rowOf[i] * d, n * d);
                        row += n;
                    }
                }
            }
        } catch (RuntimeException | Error e) {
            // Peers would otherwise wait at their next collective for this rank's work that will never come.
            rc.communicator().close();
            throw e;
        } finally {
            for (DecoderMicroBatch mb : batches) {
                mb.close();
            }
        }
    }

    /** Room in every layer's cache for the step's tokens now, so that a failing step never moves a cache. */
    private void reserve(List<Request> requests, List<Integer> mine, Stream s) {
        Map<Long, Integer> stepTokens = new LinkedHashMap<>();
        for (int i : mine) {
            stepTokens.merge(requests.get(i).id(), requests.get(i).tokens(), Integer::sum);
        }
        for (var e : stepTokens.entrySet()) {
            sequences.computeIfAbsent(e.getKey(),
                            id -> new RankSequence(id, rc.device(), config.kvLoraRank(), config.qkRopeHeadDim()))
                    .reserve(rc.kernels(), s, firstLayer, endLayer, e.getValue());
        }
    }

    /** Builds micro-batch {@code m} into {@code batches} (first, so that it is closed whatever fails next). */
    private void microBatch(int m, List<Request> requests, List<Integer> ids, Stream s, List<DecoderMicroBatch> batches) {
        int d = config.hiddenSize();
        List<Chunk> chunks = new ArrayList<>();
        int t = 0;
        for (int i : ids) {
            Request q = requests.get(i);
            chunks.add(new Chunk(sequences.get(q.id()), t, q.tokens()));
            t += q.tokens();
        }
        int ffnStart = 0;
        int ffnEnd = t;
        int per = t;
        if (rc.mode() == AttentionMode.TP) {
            per = (t + rc.size() - 1) / rc.size();
            ffnStart = Math.min(t, rc.rank() * per);
            ffnEnd = Math.min(t, (rc.rank() + 1) * per);
        }
        DecoderMicroBatch mb = new DecoderMicroBatch(m, chunks, ffnStart, ffnEnd, per);
        batches.add(mb);
        float[] hidden = new float[t * d];
        int[] pos = new int[t];
        int row = 0;
        for (int i : ids) {
            Request q = requests.get(i);
            System.arraycopy(q.hidden(), 0, hidden, row * d, q.hidden().length);
            System.arraycopy(q.positions(), 0, pos, row, q.tokens());
            row += q.tokens();
        }
        Tensor h = Tensor.allocate(rc.device(), s, DType.F32, t, d);
        Tensor p = Tensor.allocate(rc.device(), s, DType.I32, t);
        mb.putCarried(DecoderMicroBatch.HIDDEN, h);
        mb.putCarried(DecoderMicroBatch.POSITIONS, p);
        if (t > 0) {
            s.upload(hidden, h);
            s.upload(pos, p);
        }
    }

    /** Frees caches, weights and streams; best effort after a failed step (frees what it can). */
    @Override
    public void close() {
        List<Runnable> steps = new ArrayList<>();
        for (RankSequence s : sequences.values()) {
            steps.add(s::close);
        }
        for (DeviceLayer l : layers) {
            steps.add(l::close);
        }
        steps.add(scheduleRunner::close);
        steps.add(() -> rc.computeStream().synchronize());
        steps.add(rc::close);
        try {
            Closer.runAll(steps);
        } finally {
            sequences.clear();
        }
    }
}
