package dev.tandem.runtime.conformance;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.Event;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Property test: seeded random programs of copies, memsets and kernels spread over several streams, ordered only
 * by the event records and waits the generator inserts for each data hazard, must leave every buffer bitwise
 * equal to running the same operations in program order on a single stream.
 * {@code -Dtandem.randomPrograms.count=N} and {@code -Dtandem.randomPrograms.seed=S} reproduce or extend a run;
 * a failure prints the seed of the failing program.
 */
public abstract class RandomProgramConformance extends ConformanceBase {
    private static final int STREAMS = 3;
    private static final int BUFFERS = 4;
    private static final int ELEMENTS = 16;

    /** How many programs one run checks; backends with slow enqueues may lower it. */
    protected int programCount() {
        return Integer.getInteger("tandem.randomPrograms.count", 10_000);
    }

    private sealed interface Op permits Upload, Copy, Memset, Add, Scale {
    }

    private record Upload(int target, float[] values) implements Op {
    }

    private record Copy(int source, int sourceElement, int target, int targetElement, int elements) implements Op {
    }

    private record Memset(int target, int element, int elements, byte value) implements Op {
    }

    private record Add(int a, int b, int out) implements Op {
    }

    private record Scale(int a, float alpha, int out) implements Op {
    }

    @Test
    void randomMultiStreamProgramsEqualSequentialExecution() {
        long base = Long.getLong("tandem.randomPrograms.seed", 0x7A9DE3L);
        int count = programCount();
        Device dev = runtime().device(0);
        List<Stream> streams = new ArrayList<>();
        for (int s = 0; s < STREAMS; s++) {
            streams.add(dev.createStream("prog" + s));
        }
        Stream sequential = dev.createStream("sequential");
        List<Event> events = new ArrayList<>();
        for (int e = 0; e < 4; e++) {
            events.add(dev.createEvent());
        }
        try (Arena arena = Arena.ofShared()) {
            MemorySegment parallelOut = arena.allocate((long) BUFFERS * ELEMENTS * 4);
            MemorySegment sequentialOut = arena.allocate((long) BUFFERS * ELEMENTS * 4);
            for (int p = 0; p < count; p++) {
                long seed = base + p;
                try {
                    List<Op> program = generate(new Random(seed));
                    runParallel(dev, streams, events, program, new Random(~seed), parallelOut);
                    runSequential(dev, sequential, program, sequentialOut);
                    if (parallelOut.mismatch(sequentialOut) != -1) {
                        fail("program with seed " + seed + " differs from sequential execution at byte "
                                + parallelOut.mismatch(sequentialOut) + "; program: " + program);
                    }
                } catch (RuntimeException | AssertionError e) {
                    throw new AssertionError("random program with seed " + seed + " failed: " + e, e);
                }
            }
        }
        assertThat(count).isPositive();
    }

    private static List<Op> generate(Random random) {
        List<Op> ops = new ArrayList<>();
        for (int b = 0; b < BUFFERS; b++) {
            ops.add(new Upload(b, randomValues(random)));
        }
        int length = 4 + random.nextInt(12);
        for (int i = 0; i < length; i++) {
            int kind = random.nextInt(10);
            int t = random.nextInt(BUFFERS);
            if (kind < 2) {
                ops.add(new Upload(t, randomValues(random)));
            } else if (kind < 5) {
                int n = 1 + random.nextInt(ELEMENTS);
                ops.add(new Copy(random.nextInt(BUFFERS), random.nextInt(ELEMENTS - n + 1), t,
                        random.nextInt(ELEMENTS - n + 1), n));
            } else if (kind < 6) {
                int n = 1 + random.nextInt(ELEMENTS);
                ops.add(new Memset(t, random.nextInt(ELEMENTS - n + 1), n, (byte) random.nextInt(64)));
            } else if (kind < 8) {
                ops.add(new Add(random.nextInt(BUFFERS), random.nextInt(BUFFERS), t));
            } else {
                ops.add(new Scale(random.nextInt(BUFFERS), random.nextInt(5) - 2.5f, t));
            }
        }
        return ops;
    }

    private static float[] randomValues(Random random) {
        float[] v = new float[ELEMENTS];
        for (int i = 0; i < v.length; i++) {
            v[i] = random.nextInt(200) / 8f - 12f;
        }
        return v;
    }

    /** Issues each op on a random stream, preceded by waits for every hazard on another stream. */
    private static void runParallel(Device dev, List<Stream> streams, List<Event> events, List<Op> program,
                                    Random random, MemorySegment out) {
        Stream first = streams.get(0);
        Tensor[] buffers = allocate(dev, first);
        for (Stream other : streams) {
            other.waitStream(first);   // allocation is ordered on 'first'; other streams must not run ahead of it
        }
        int[] lastWriter = new int[BUFFERS];
        List<Set<Integer>> readers = new ArrayList<>();
        for (int b = 0; b < BUFFERS; b++) {
            lastWriter[b] = 0;
            readers.add(new HashSet<>());
        }
        for (Op op : program) {
            int s = random.nextInt(streams.size());
            Stream stream = streams.get(s);
            Set<Integer> dependsOn = new HashSet<>();
            for (int r : reads(op)) {
                dependsOn.add(lastWriter[r]);
            }
            int w = writes(op);
            dependsOn.add(lastWriter[w]);
            dependsOn.addAll(readers.get(w));
            dependsOn.remove(s);
            for (int other : dependsOn) {
                if (random.nextBoolean()) {
                    Event e = events.get(random.nextInt(events.size()));
                    streams.get(other).record(e);       // re-recording a pooled event is allowed
                    stream.waitEvent(e);
                } else {
                    stream.waitStream(streams.get(other));
                }
            }
            if (random.nextInt(8) == 0) {               // noise: a harmless extra record
                streams.get(random.nextInt(streams.size())).record(events.get(random.nextInt(events.size())));
            }
            issue(dev, stream, op, buffers);
            for (int r : reads(op)) {
                readers.get(r).add(s);
            }
            readers.get(w).clear();
            lastWriter[w] = s;
        }
        for (Stream other : streams) {
            if (other != first) {
                first.waitStream(other);
            }
        }
        download(first, buffers, out);
    }

    private static void runSequential(Device dev, Stream stream, List<Op> program, MemorySegment out) {
        Tensor[] buffers = allocate(dev, stream);
        for (Op op : program) {
            issue(dev, stream, op, buffers);
        }
        download(stream, buffers, out);
    }

    private static Tensor[] allocate(Device dev, Stream stream) {
        Tensor[] buffers = new Tensor[BUFFERS];
        for (int b = 0; b < BUFFERS; b++) {
            buffers[b] = Tensor.allocate(dev, stream, DType.F32, ELEMENTS);
        }
        return buffers;
    }

    private static void download(Stream stream, Tensor[] buffers, MemorySegment out) {
        for (int b = 0; b < BUFFERS; b++) {
            stream.copyToHost(buffers[b].buffer(), 0, out.asSlice((long) b * ELEMENTS * 4, ELEMENTS * 4L));
        }
        stream.synchronize();
        for (Tensor t : buffers) {
            t.buffer().close();   // stream-ordered free after every stream that used it
        }
    }

    private static void issue(Device dev, Stream stream, Op op, Tensor[] buffers) {
        switch (op) {
            case Upload u -> stream.upload(u.values(), buffers[u.target()]);
            case Copy c -> stream.copy(buffers[c.source()].buffer(), c.sourceElement() * 4L,
                    buffers[c.target()].buffer(), c.targetElement() * 4L, c.elements() * 4L);
            case Memset m -> stream.memset(buffers[m.target()].buffer(), m.element() * 4L, m.elements() * 4L, m.value());
            case Add a -> dev.kernels().add(stream, buffers[a.a()], buffers[a.b()], buffers[a.out()]);
            case Scale sc -> dev.kernels().scale(stream, buffers[sc.a()], sc.alpha(), buffers[sc.out()]);
        }
    }

    private static int[] reads(Op op) {
        return switch (op) {
            case Upload u -> new int[0];
            case Copy c -> new int[]{c.source()};
            case Memset m -> new int[0];
            case Add a -> new int[]{a.a(), a.b()};
            case Scale s -> new int[]{s.a()};
        };
    }

    private static int writes(Op op) {
        return switch (op) {
            case Upload u -> u.target();
            case Copy c -> c.target();
            case Memset m -> m.target();
            case Add a -> a.out();
            case Scale s -> s.out();
        };
    }
}
