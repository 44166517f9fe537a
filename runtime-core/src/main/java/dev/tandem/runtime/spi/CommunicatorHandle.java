package dev.tandem.runtime.spi;

import dev.tandem.runtime.Communicator;
import dev.tandem.runtime.Device;

/**
 * The base of every backend's communicator: a {@link Handle} that knows its rank, the group size and its device.
 *
 * @param <D> the backend's device type
 */
public abstract class CommunicatorHandle<D extends Device> extends Handle implements Communicator {
    private final D device;
    private final int rank;
    private final int size;

    /**
     * Registers the communicator of one rank.
     *
     * @param device the rank's device
     * @param rank   the rank, from 0 to {@code size - 1}
     * @param size   the number of ranks in the group
     */
    protected CommunicatorHandle(D device, int rank, int size) {
        super("communicator rank " + rank + "/" + size + " on " + device.name());
        this.device = device;
        this.rank = rank;
        this.size = size;
    }

    @Override
    public final int rank() {
        return rank;
    }

    @Override
    public final int size() {
        return size;
    }

    @Override
    public final D device() {
        return device;
    }
}
