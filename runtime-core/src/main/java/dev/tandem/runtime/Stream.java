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

    /**
     * The stream's label, from its {@link StreamOptions}.
     *
     * @return the name
     */
    String name();

    /**
     * What the stream is for.
     *
     * @return the role
     */
    StreamRole role();

    /**
     * The stream's priority; larger runs first where the backend supports priorities.
     *
     * @return the priority, 0 for normal
     */
    int priority();

    /**
     * The device the stream enqueues on.
     *
     * @return the device
     */
    Device device();

    /**
     * Copies all of {@code source} (host memory) into {@code target} starting at byte {@code targetOffset}.
     *
     * @param source       host memory; must stay valid and unchanged until the copy has run
     * @param target       the device buffer written
     * @param targetOffset first byte of {@code target} written
     */
    void copyFromHost(MemorySegment source, DeviceBuffer target, long targetOffset);

    /**
     * Copies {@code target.byteSize()} bytes from {@code source} starting at {@code sourceOffset} into host memory.
     *
     * @param source       the device buffer read
     * @param sourceOffset first byte of {@code source} read
     * @param target       host memory filled once the stream reaches the copy
     */
    void copyToHost(DeviceBuffer source, long sourceOffset, MemorySegment target);

    /**
     * Device-to-device copy of {@code bytes} bytes; the buffers may belong to different devices of one runtime.
     *
     * @param source       the buffer read
     * @param sourceOffset first byte of {@code source} read
     * @param target       the buffer written
     * @param targetOffset first byte of {@code target} written
     * @param bytes        bytes copied
     */
    void copy(DeviceBuffer source, long sourceOffset, DeviceBuffer target, long targetOffset, long bytes);

    /**
     * Sets {@code bytes} bytes of {@code target} from {@code offset} to {@code value}.
     *
     * @param target the buffer written
     * @param offset first byte set
     * @param bytes  bytes set
     * @param value  the byte written
     */
    void memset(DeviceBuffer target, long offset, long bytes, byte value);

    /**
     * Captures the work enqueued so far in {@code event}, replacing any earlier capture.
     *
     * @param event an open event of this stream's device
     */
    void record(Event event);

    /**
     * Creates a new event on this device, records it here and returns it; the caller closes it.
     *
     * @return the recorded event
     */
    Event record();

    /**
     * Later work on this stream waits for the work {@code event} captured at its most recent record before this
     * call. Waiting on an event that was never recorded does nothing.
     *
     * @param event an open event of this stream's device
     */
    void waitEvent(Event event);

    /**
     * Later work on this stream waits for everything enqueued on {@code other} so far.
     *
     * @param other a stream of the same device
     */
    void waitStream(Stream other);

    /**
     * Runs {@code callback} on a backend-owned thread once all earlier work on this stream has finished; later work
     * waits for it. An exception from the callback fails the stream.
     *
     * @param callback the host code to run
     */
    void hostCallback(Runnable callback);

    /** Blocks until all work enqueued so far has finished; throws the stream's failure, if any. */
    void synchronize();

    /**
     * As {@link #synchronize()}, but throws {@link StreamTimeoutException} when {@code timeout} passes first.
     *
     * @param timeout the longest time to wait
     */
    void synchronize(Duration timeout);

    /**
     * True when every enqueued operation has finished.
     *
     * @return whether the stream is idle; never blocks
     */
    boolean isIdle();

    /**
     * Sets the tag that traces attach to operations enqueued from now on (e.g. {@code "mb0"}); null clears it.
     * Returns the previous tag.
     *
     * @param tag the new tag, or null for none
     * @return the previous tag, or null
     */
    String traceTag(String tag);

    /**
     * True once {@link #close()} has begun.
     *
     * @return whether the stream is closing or closed
     */
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

    /**
     * Copies {@code values} into {@code target}, converting to its dtype (F32, BF16 or F16).
     *
     * @param values the values, one per element of {@code target}; snapshotted now
     * @param target a contiguous floating-point tensor
     */
    default void upload(float[] values, Tensor target) {
        TensorCopies.checkHostCopy(target, values.length, true);
        MemorySegment staging = TensorCopies.encodeFloats(values, target.dtype());
        copyFromHost(staging, target.buffer(), target.byteOffset());
    }

    /**
     * Copies {@code values} into an I32 tensor.
     *
     * @param values the values, one per element of {@code target}; snapshotted now
     * @param target a contiguous I32 tensor
     */
    default void upload(int[] values, Tensor target) {
        TensorCopies.checkHostCopy(target, values.length, DType.I32);
        copyFromHost(MemorySegment.ofArray(values.clone()), target.buffer(), target.byteOffset());
    }

    /**
     * Copies {@code values} into an I64 tensor.
     *
     * @param values the values, one per element of {@code target}; snapshotted now
     * @param target a contiguous I64 tensor
     */
    default void upload(long[] values, Tensor target) {
        TensorCopies.checkHostCopy(target, values.length, DType.I64);
        copyFromHost(MemorySegment.ofArray(values.clone()), target.buffer(), target.byteOffset());
    }

    /**
     * Copies {@code source} into {@code values} (converted to F32) once the stream reaches this point.
     *
     * @param source a contiguous floating-point tensor
     * @param values filled later, one value per element of {@code source}
     */
    default void download(Tensor source, float[] values) {
        TensorCopies.checkHostCopy(source, values.length, true);
        // An automatic arena: the staging memory goes with the garbage collector, so no stream pays for a close.
        MemorySegment staging = Arena.ofAuto().allocate(source.byteSize(), 8);
        copyToHost(source.buffer(), source.byteOffset(), staging);
        DType dtype = source.dtype();
        hostCallback(() -> TensorCopies.decodeFloats(staging, dtype, values));
    }

    /**
     * Copies an I32 tensor into {@code values} once the stream reaches this point.
     *
     * @param source a contiguous I32 tensor
     * @param values filled later, one value per element of {@code source}
     */
    default void download(Tensor source, int[] values) {
        TensorCopies.checkHostCopy(source, values.length, DType.I32);
        MemorySegment staging = Arena.ofAuto().allocate(source.byteSize(), 8);
        copyToHost(source.buffer(), source.byteOffset(), staging);
        hostCallback(() -> MemorySegment.copy(staging, ValueLayout.JAVA_INT, 0, values, 0, values.length));
    }

    /**
     * Copies an I64 tensor into {@code values} once the stream reaches this point.
     *
     * @param source a contiguous I64 tensor
     * @param values filled later, one value per element of {@code source}
     */
    default void download(Tensor source, long[] values) {
        TensorCopies.checkHostCopy(source, values.length, DType.I64);
        MemorySegment staging = Arena.ofAuto().allocate(source.byteSize(), 8);
        copyToHost(source.buffer(), source.byteOffset(), staging);
        hostCallback(() -> MemorySegment.copy(staging, ValueLayout.JAVA_LONG, 0, values, 0, values.length));
    }

    /**
     * Downloads and waits: a convenience for tests, examples and small results.
     *
     * @param source a contiguous floating-point tensor
     * @return its values as F32, after the stream has drained
     */
    default float[] readFloats(Tensor source) {
        Objects.requireNonNull(source, "source");
        float[] values = new float[Math.toIntExact(source.numel())];
        download(source, values);
        synchronize();
        return values;
    }
}
