package dev.tandem.ascend.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;

/**
 * One aclnn two-phase call: the host-side objects it creates (aclTensor, aclScalar, aclIntArray, aclTensorList),
 * phase 1 ({@code aclnnXxxGetWorkspaceSize}), the workspace, phase 2 ({@code aclnnXxx}), and the destruction of the
 * objects when closed. Destroy failures are thrown (suppressed into a failure already in flight).
 */
public final class AclnnCall implements AutoCloseable {
    /** A checked phase-1 call ({@link Nn}): throws on a failure code. */
    @FunctionalInterface
    public interface Phase1 {
        void call(MemorySegment workspaceSize, MemorySegment executor);
    }

    /** A checked phase-2 call ({@link Nn}): throws on a failure code. */
    @FunctionalInterface
    public interface Phase2 {
        void call(MemorySegment workspace, long workspaceSize, MemorySegment executor, MemorySegment stream);
    }

    private final Arena arena = Arena.ofConfined();
    private final List<MemorySegment> tensors = new ArrayList<>();
    private final List<MemorySegment> scalars = new ArrayList<>();
    private final List<MemorySegment> lists = new ArrayList<>();
    private final List<MemorySegment> arrays = new ArrayList<>();

    /**
     * An aclTensor as op-plugin builds them: view dims and element strides, element offset, 1-D storage of
     * {@code storageElements} at {@code base}, format ND. A rank-0 view is passed as {@code [1]}.
     */
    public MemorySegment tensor(long[] shape, long[] strides, long offset, int dataType, long storageElements,
                                MemorySegment base) {
        MemorySegment dims = arena.allocateFrom(ValueLayout.JAVA_LONG, shape.length == 0 ? new long[]{1} : shape);
        MemorySegment st = arena.allocateFrom(ValueLayout.JAVA_LONG, shape.length == 0 ? new long[]{1} : strides);
        MemorySegment h = Nn.aclCreateTensor(dims, Math.max(1, shape.length), dataType, st, offset,
                Acl.ACL_FORMAT_ND(), arena.allocateFrom(ValueLayout.JAVA_LONG, storageElements), 1, base);
        tensors.add(h);
        return h;
    }

    /** A one-tensor aclTensorList; the list owns that tensor (aclDestroyTensorList destroys both). */
    public MemorySegment list(long[] shape, long[] strides, long offset, int dataType, long storageElements,
                              MemorySegment base) {
        MemorySegment tensor = tensor(shape, strides, offset, dataType, storageElements, base);
        tensors.remove(tensors.size() - 1);
        MemorySegment array = arena.allocate(ValueLayout.ADDRESS);
        array.set(ValueLayout.ADDRESS, 0, tensor);
        MemorySegment h = Nn.Raw.aclCreateTensorList(array, 1);
        if (h.equals(MemorySegment.NULL)) {
            Nn.Raw.aclDestroyTensor(tensor);
        }
        h = Check.aclnnObject("aclCreateTensorList", h);
        lists.add(h);
        return h;
    }

    /** An aclScalar: FLOAT for floating-point operands, INT64 otherwise. */
    public MemorySegment scalar(double value, boolean floating) {
        MemorySegment v = floating ? arena.allocateFrom(ValueLayout.JAVA_FLOAT, (float) value)
                : arena.allocateFrom(ValueLayout.JAVA_LONG, (long) value);
        MemorySegment h = Nn.aclCreateScalar(v, (floating ? AclDataType.FLOAT : AclDataType.INT64).code());
        scalars.add(h);
        return h;
    }

    public MemorySegment intArray(long... values) {
        MemorySegment h = Nn.aclCreateIntArray(arena.allocateFrom(ValueLayout.JAVA_LONG, values), values.length);
        arrays.add(h);
        return h;
    }

    /** Runs phase 1, takes a workspace of the size it asked for from {@code workspace}, then runs phase 2. */
    public void execute(Phase1 phase1, Phase2 phase2, LongFunction<MemorySegment> workspace, MemorySegment stream) {
        MemorySegment wsSize = arena.allocate(ValueLayout.JAVA_LONG);
        MemorySegment exec = arena.allocate(ValueLayout.ADDRESS);
        phase1.call(wsSize, exec);
        long size = wsSize.get(ValueLayout.JAVA_LONG, 0);
        MemorySegment ws = size > 0 ? workspace.apply(size) : MemorySegment.NULL;
        phase2.call(ws, size, exec.get(ValueLayout.ADDRESS, 0), stream);
    }

    /** Destroys every object, then throws the first destroy failure. */
    @Override
    public void close() {
        int first = 0;
        String function = "aclDestroyTensor";
        for (MemorySegment t : tensors) {
            int rc = Nn.Raw.aclDestroyTensor(t);
            if (rc != 0 && first == 0) {
                first = rc;
            }
        }
        for (MemorySegment s : scalars) {
            int rc = Nn.Raw.aclDestroyScalar(s);
            if (rc != 0 && first == 0) {
                first = rc;
                function = "aclDestroyScalar";
            }
        }
        for (MemorySegment l : lists) {
            int rc = Nn.Raw.aclDestroyTensorList(l);
            if (rc != 0 && first == 0) {
                first = rc;
                function = "aclDestroyTensorList";
            }
        }
        for (MemorySegment a : arrays) {
            int rc = Nn.Raw.aclDestroyIntArray(a);
            if (rc != 0 && first == 0) {
                first = rc;
                function = "aclDestroyIntArray";
            }
        }
        arena.close();
        Check.aclnn(function, first);
    }
}
