package dev.tandem.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Objects;

/**
 * An in-order queue of device work. Every method that enqueues returns at once; the work runs later, after
 * everything enqueued before it on this stream. Streams are ordered against each other only through
 * {@link Event}s ({@link #record()}, {@link #waitEvent(Event)}) or {@link #waitStream(Stream)}.
 *
 * <p>Several threads may enqueue on one stream; each enqueue is atomic. If an operation fails while running,
 * the stream becomes failed: {@link #synchronize()} and every later enqueue throw
 * {@link StreamFailedException} naming that operation.
 *
 * <p>Host memory handed to an asynchronous copy must stay valid and unchanged until the copy has run
 * (synchronize, or wait on an event recorded after it). The Java-array methods snapshot their input at
 * enqueue time; the array-reading methods fill the array only once the stream reaches them.
 *
 * <p>The name is the CUDA/ACL one. It is also a name in {@code java.util.stream}: where {@code java.base} is imported
 * as a module too (as compact source files do), import this type by name ({@code import dev.tandem.runtime.Stream;}),
 * which wins over both module imports.
 */
public interface Stream extends AutoCloseable {

    String name();

    StreamRole role();

    int priority();

    Device device();

    /** Copies all of {@code source} (host memory) into {@code target} starting at byte {@code targetOffset}. */
    void copyFromHost(MemorySegment source, DeviceBuffer target, long targetOffset);

    /** Copies {@code target.byteSize()} bytes from {@code source} starting at {@code sourceOffset} into host memory. */
    void copyToHost(DeviceBuffer source, long sourceOffset, MemorySegment target);

    /** Device-to-device copy of {@code bytes} bytes; the buffers may belong to different devices of one runtime. */
    void copy(DeviceBuffer source, long sourceOffset, DeviceBuffer target, long targetOffset, long bytes);

    /** Sets {@code bytes} bytes of {@code target} from {@code offset} to {@code value}. */
    void memset(DeviceBuffer target, long offset, long bytes, byte value);

    /** Captures the work enqueued so far in {@code event}, replacing any earlier capture. */
    void record(Event event);

    /** Creates a new event on this device, records it here and returns it; the caller closes it. */
    Event record();

    /**
     * Later work on this stream waits for the work {@code event} captured at its most recent record before this
     * call. Waiting on an event that was never recorded does nothing.
     */
    void waitEvent(Event event);

    /** Later work on this stream waits for everything enqueued on {@code other} so far. */
    void waitStream(Stream other);

    /**
     * Runs {@code callback} on a backend-owned thread once all earlier work on this stream has finished; later work
     * waits for it. An exception from the callback fails the stream.
     */
    void hostCallback(Runnable callback);

    /** Blocks until all work enqueued so far has finished; throws the stream's failure, if any. */
    void synchronize();

    /** As {@link #synchronize()}, but throws {@link StreamTimeoutException} when {@code timeout} passes first. */
    void synchronize(Duration timeout);

    /** True when every enqueued operation has finished. */
    boolean isIdle();

    /**
     * Sets the tag that traces attach to operations enqueued from now on (e.g. {@code "mb0"}); null clears it.
     * Returns the previous tag.
     */
    String traceTag(String tag);

    /** True once {@link #close()} has begun. */
    boolean isClosed();

    /**
     * Aborts the stream and releases it; idempotent and thread-safe. Work not started yet is dropped and fails
     * with {@link HandleClosedException} (events recorded after it and streams waiting on them see that failure);
     * the running operation is interrupted. A host callback that ignores the interrupt is reported with
     * {@link StreamTimeoutException} once the backend's bound passes (host backend: property
     * {@code host.closeGraceMillis}, default 5000). Synchronize first to let queued work finish. The Ascend backend
     * cannot abort native work that is already queued: it drains it.
     */
    @Override
    void close();

    // ---- typed copies of Java arrays (contiguous tensors only) ----

    /** Copies {@code values} into {@code target}, converting to its dtype (F32, BF16 or F16). */
    default void upload(float[] values, Tensor target) {
        TensorCopies.checkHostCopy(target, values.length, true);
        MemorySegment staging = TensorCopies.encodeFloats(values, target.dtype());
        copyFromHost(staging, target.buffer(), target.byteOffset());
    }

    /** Copies {@code values} into an I32 tensor. */
    default void upload(int[] values, Tensor target) {
        TensorCopies.checkHostCopy(target, values.length, DType.I32);
        copyFromHost(MemorySegment.ofArray(values.clone()), target.buffer(), target.byteOffset());
    }

    /** Copies {@code values} into an I64 tensor. */
    default void upload(long[] values, Tensor target) {
        TensorCopies.checkHostCopy(target, values.length, DType.I64);
        copyFromHost(MemorySegment.ofArray(values.clone()), target.buffer(), target.byteOffset());
    }

    /** Copies {@code source} into {@code values} (converted to F32) once the stream reaches this point. */
    default void download(Tensor source, float[] values) {
        TensorCopies.checkHostCopy(source, values.length, true);
        // An automatic arena: the staging memory goes with the garbage collector, so no stream pays for a close.
        MemorySegment staging = Arena.ofAuto().allocate(source.byteSize(), 8);
        copyToHost(source.buffer(), source.byteOffset(), staging);
        DType dtype = source.dtype();
        hostCallback(() -> TensorCopies.decodeFloats(staging, dtype, values));
    }

    /** Copies an I32 tensor into {@code values} once the stream reaches this point. */
    default void download(Tensor source, int[] values) {
        TensorCopies.checkHostCopy(source, values.length, DType.I32);
        MemorySegment staging = Arena.ofAuto().allocate(source.byteSize(), 8);
        copyToHost(source.buffer(), source.byteOffset(), staging);
        hostCallback(() -> MemorySegment.copy(staging, ValueLayout.JAVA_INT, 0, values, 0, values.length));
    }

    /** Copies an I64 tensor into {@code values} once the stream reaches this point. */
    default void download(Tensor source, long[] values) {
        TensorCopies.checkHostCopy(source, values.length, DType.I64);
        MemorySegment staging = Arena.ofAuto().allocate(source.byteSize(), 8);
        copyToHost(source.buffer(), source.byteOffset(), staging);
        hostCallback(() -> MemorySegment.copy(staging, ValueLayout.JAVA_LONG, 0, values, 0, values.length));
    }

    /** Downloads and waits: a convenience for tests, examples and small results. */
    default float[] readFloats(Tensor source) {
        Objects.requireNonNull(source, "source");
        float[] values = new float[Math.toIntExact(source.numel())];
        download(source, values);
        synchronize();
        return values;
    }
}
