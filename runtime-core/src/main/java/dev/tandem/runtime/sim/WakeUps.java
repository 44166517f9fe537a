package dev.tandem.runtime.sim;

import java.util.SplittableRandom;

/**
 * Wake-up latencies drawn around a measured mean ({@link HardwareProfile#hostWakeMicros()},
 * {@link HardwareProfile#streamWakeMicros()}), exponentially distributed: on a CPU that the devices keep busy, a
 * woken thread gets a core at once or only at a later scheduler tick (the host profile's samples on the VM this was
 * built on: a quarter within 0.2 ms, most at one 4 ms tick, some at two), and each rank draws its own, so ranks reach
 * a collective at different times, as they do on the host. One seeded sequence per simulated thread (a device's host
 * thread, a stream), so a simulation is reproducible whatever the order in which its threads run.
 */
final class WakeUps {
    private final SplittableRandom random;

    WakeUps(long seed) {
        random = new SplittableRandom(seed);
    }

    /** The sequence of device {@code device}'s host thread. */
    static WakeUps ofHost(int device) {
        return new WakeUps(0x5EED0000L + device);
    }

    /** The sequence of the stream named {@code name} on device {@code device}. */
    static WakeUps ofStream(int device, String name) {
        return new WakeUps(((long) device << 32) ^ name.hashCode());
    }

    /** One wake-up of mean {@code meanMicros}, in nanoseconds; 0 (nothing drawn) for a mean of 0. */
    long nanos(double meanMicros) {
        if (meanMicros <= 0) {
            return 0;
        }
        return Math.round(-meanMicros * 1e3 * Math.log(1 - random.nextDouble()));
    }
}
