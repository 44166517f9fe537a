package dev.tandem.runtime.spi;

import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.OutOfRangeException;
import dev.tandem.runtime.ShapeException;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.WrongDeviceException;

import java.util.Arrays;
import java.util.Objects;

/**
 * Argument checks of {@link Communicator} methods, written once for the backends that implement it, so every
 * backend rejects the same bad input with the same exception and message before enqueuing anything.
 */
public final class CollectiveChecks {
    private CollectiveChecks() {
    }

    /** A tensor of collective {@code name}: non-null, on {@code comm}'s device, contiguous. */
    public static void tensor(Communicator comm, String name, Tensor t) {
        Objects.requireNonNull(t, () -> name + " tensor");
        if (t.device() != comm.device()) {
            throw new WrongDeviceException(name + ": tensor on " + t.device().name() + " passed to rank " + comm.rank()
                    + " on " + comm.device().name());
        }
        if (!t.isContiguous()) {
            throw new ShapeException(name + ": collectives need contiguous tensors, got " + t);
        }
    }

    /** Send and receive tensors of one dtype, each as {@link #tensor}. */
    public static void pair(Communicator comm, String name, Tensor send, Tensor recv) {
        tensor(comm, name, send);
        tensor(comm, name, recv);
        if (send.dtype() != recv.dtype()) {
            throw new ShapeException(name + ": send is " + send.dtype() + " but recv is " + recv.dtype());
        }
    }

    /** A peer rank inside the group; itself only when {@code selfAllowed}. */
    public static void peer(Communicator comm, String name, int peer, boolean selfAllowed) {
        if (peer < 0 || peer >= comm.size()) {
            throw new OutOfRangeException(name + ": rank " + peer + " is outside the group of " + comm.size());
        }
        if (!selfAllowed && peer == comm.rank()) {
            throw new InvalidArgumentException(name + ": rank " + comm.rank() + " cannot address itself");
        }
    }

    /** One count and displacement per rank, each block inside {@code t}. */
    public static void counts(Communicator comm, String name, Tensor t, long[] counts, long[] displs) {
        Objects.requireNonNull(counts, () -> name + " counts");
        Objects.requireNonNull(displs, () -> name + " displacements");
        int size = comm.size();
        if (counts.length != size || displs.length != size) {
            throw new InvalidArgumentException(name + ": counts and displacements need " + size + " entries, got "
                    + counts.length + " and " + displs.length);
        }
        for (int r = 0; r < size; r++) {
            if (counts[r] < 0 || displs[r] < 0) {
                throw new OutOfRangeException(name + ": negative count or displacement for rank " + r + ": count "
                        + counts[r] + ", displacement " + displs[r]);
            }
            if (counts[r] > t.numel() || displs[r] > t.numel() - counts[r]) {
                throw new OutOfRangeException(name + ": rank " + r + "'s range [" + displs[r] + ", " + displs[r]
                        + " + " + counts[r] + ") exceeds the tensor's " + t.numel() + " elements ("
                        + Arrays.toString(counts) + ")");
            }
        }
    }
}
