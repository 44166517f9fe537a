package dev.tandem.jmh;

import dev.tandem.runtime.Device;
import dev.tandem.runtime.DeviceBuffer;
import dev.tandem.runtime.Event;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.StreamOptions;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/** Costs of the runtime itself: enqueue, event record + cross-stream wait, synchronize. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class RuntimeBenchmarks {
    private static final int BATCH = 100;

    @Param({"host"})
    public String backend;

    private TandemRuntime runtime;
    private Stream compute;
    private Stream comm;
    private Event event;
    private DeviceBuffer buffer;

    @Setup(Level.Trial)
    public void open() {
        runtime = TandemRuntime.open(RuntimeOptions.defaults().withBackend(backend));
        Device dev = runtime.device(0);
        compute = dev.createStream(StreamOptions.compute("compute"));
        comm = dev.createStream(StreamOptions.comm("comm"));
        event = dev.createEvent();
        buffer = dev.allocate(64, compute);
        comm.waitStream(compute);
        compute.synchronize();
    }

    @TearDown(Level.Trial)
    public void close() {
        runtime.close();
    }

    /** Enqueue cost of a small memset, amortised over a batch that is then synchronised. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void enqueueSmallMemset() {
        for (int i = 0; i < BATCH; i++) {
            compute.memset(buffer, 0, 4, (byte) i);
        }
        compute.synchronize();
    }

    /** Record on one stream, wait on the other, run one operation there and synchronise it. */
    @Benchmark
    public void eventRecordAndCrossStreamWait() {
        compute.memset(buffer, 0, 4, (byte) 1);
        compute.record(event);
        comm.waitEvent(event);
        comm.memset(buffer, 4, 4, (byte) 2);
        comm.synchronize();
    }

    /** Synchronising a stream that is already idle. */
    @Benchmark
    public void synchronizeIdleStream() {
        compute.synchronize();
    }

    /** One small operation's full round trip: enqueue, run on the stream thread, synchronise. */
    @Benchmark
    public void roundTripOneOperation() {
        compute.memset(buffer, 0, 4, (byte) 3);
        compute.synchronize();
    }
}
