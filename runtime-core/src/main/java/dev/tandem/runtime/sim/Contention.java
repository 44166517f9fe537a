package dev.tandem.runtime.sim;

import java.util.HashMap;
import java.util.Map;

/**
 * Compute slowed by communication on the same device, inside virtual time (profiles with
 * {@link HardwareProfile#commSlowdown()} {@code k > 0}; without it the engine ends every operation eagerly).
 *
 * <p>A device communicates during the [arrival, end] of its collectives, point-to-point transfers and copies to
 * other devices, on any of its streams (a rank waiting for its peers occupies its cores too). A kernel (an
 * operation launched through {@code Kernels}; host copies, copies and memsets within the device, waits and
 * callbacks are not slowed: they use copy engines or no cores) progresses at rate {@code 1 / (1 + k)} while its
 * device communicates and at rate 1 otherwise; its end integrates over the device's communication, so everything
 * after it (its stream, events, other ranks' collectives, the step end) moves with it.
 *
 * <p>A kernel's end is final only once all communication of its device before that end is known. The time before
 * which it is known (the horizon) is the least, over the device's other streams, of when their queued work can
 * start communicating (a collective that arrived runs at least its own cost; a kernel ends no earlier than the
 * communication known now makes it; a wait on the kernel's own stream never ends before the kernel), and of when
 * the host can issue more: its host clock, or, while the thread that issues for the device is blocked on virtual
 * time (synchronize, event synchronize, blocking downloads), the least end of what it waits for, since it issues
 * nothing before it wakes. Kernels whose end is not final yet are deferred and retried whenever anything changes.
 * When the host thread of every device is blocked and nothing can resolve, nothing unknown can start before the
 * earliest deferred end, so that kernel ends with what is known. Every end is therefore exact, and the timeline
 * does not depend on thread timing.
 *
 * <p>The assumptions: one host thread issues for a device at a time (as {@code SimulatedForward} does, one per
 * rank); the thread that issued or waited last for a device (its host thread) is the one that issues next, or,
 * once it ended, nobody before the device's queued work ends; a thread's wait advances the host clock of every
 * device it is the host thread of. Polls ({@code Event.isDone}, {@code Stream.isIdle}) block for their duration,
 * so a polling loop progresses, and one that returns {@code true} moves the host clock to the polled time as a
 * wait does; a poll that returns {@code false}, followed by communication issued before the end of kernels that
 * poll let end, misses that slow-down. When a program outside the assumptions leaves the engine without any issue
 * or wait for {@link #STALL_NANOS} (real time) while a thread waits, its earliest deferred kernel ends with what is
 * known, so it cannot hang; only such a program's times may depend on thread timing.
 *
 * <p>Frees (stream-ordered releases in host callbacks) resolve late in real time while kernels are deferred, so the
 * host issues further allocations first; the peak memory is therefore taken in virtual time
 * ({@link MemoryTimeline}), where each free counts at the virtual time it took effect.
 */
final class Contention {
    /** Real time without any activity in the engine after which a waiting thread ends a deferred kernel anyway. */
    static final long STALL_NANOS = 3_000_000_000L;

    private final SimRuntime runtime;
    private final double slow;
    private final Map<Thread, Wait> blocked = new HashMap<>();
    private int deferred;

    /** What a blocked host thread waits for. */
    private record Wait(SimStream stream, long position) {
    }

    Contention(SimRuntime runtime, double slowdown) {
        this.runtime = runtime;
        this.slow = 1 + slowdown;
    }

    /**
     * The end of the kernel of {@code cost} at the head of {@code stream} that starts at {@code start}, or -1 while
     * communication that could slow it is not known yet; with {@code force}, the end with what is known.
     */
    long kernelEnd(SimStream stream, long start, double cost, boolean force) {
        SimDevice device = stream.device();
        long host = hostBound(device, stream);
        long[] open = {Long.MAX_VALUE};
        long known = host;
        for (SimStream other : device.engineStreams()) {
            if (other != stream) {
                known = Math.min(known, other.commKnownUntil(stream, host, open));
            }
        }
        CommActivity activity = device.commActivity();
        if (activity.size() > 256) {
            activity.forgetBefore(device.floor());
        }
        long end = activity.end(start, cost, slow, open[0]);
        return force || known >= end ? end : -1;
    }

    /** The earliest time the host can issue more for {@code device}. */
    private long hostBound(SimDevice device, SimStream kernel) {
        Thread issuer = device.issuer();
        Wait w = issuer == null ? null : blocked.get(issuer);
        long host = device.hostClock();
        if (w == null) {
            // a host thread that ended issues nothing more
            return issuer != null && !issuer.isAlive() ? Long.MAX_VALUE : host;
        }
        return Math.max(host, w.stream().endBound(w.position(), kernel, 0));
    }

    /** {@code 1 + k}: how many times longer a kernel takes while its device communicates. */
    double slow() {
        return slow;
    }

    void deferred(int delta) {
        deferred += delta;
    }

    /**
     * {@code thread} blocks until {@code position} of {@code stream} is reached; it is now the host thread of that
     * stream's device.
     */
    void block(Thread thread, SimStream stream, long position) {
        runtime.active();
        blocked.put(thread, new Wait(stream, position));
        stream.device().claim(thread);
    }

    void unblock(Thread thread) {
        blocked.remove(thread);
    }

    /** {@code thread} woke at virtual {@code time}: it issues no earlier on any device it issues for. */
    void hostWaited(Thread thread, long time) {
        for (SimDevice d : runtime.simDevices()) {
            if (d.issuer() == thread) {
                d.hostWaitedUntil(time, null);
            }
        }
    }

    /**
     * When kernels are deferred and every device's issuing thread is blocked on virtual time, nothing
     * unknown can start before the earliest deferred end: ends that kernel. Returns whether one ended.
     */
    boolean forceIfClosed() {
        if (deferred == 0) {
            return false;
        }
        for (SimDevice d : runtime.simDevices()) {
            if (!closed(d)) {
                return false;
            }
        }
        return forceEarliest();
    }

    /**
     * Whether nothing more can be issued for {@code device} before something resolves: its host thread is blocked on
     * virtual time, or ended leaving work queued. A device nothing was issued for yet, or whose thread ended with
     * nothing queued (a thread per task: the next one may not have started), may still join the collectives others
     * wait in unless it is in no communicator.
     */
    private boolean closed(SimDevice device) {
        Thread t = device.issuer();
        if (t != null && t.isAlive()) {
            // a thread whose position was reached is woken (or about to be): it issues again at that time
            Wait w = blocked.get(t);
            return w != null && !w.stream().resolvedThrough(w.position());
        }
        if (device.rank() < 0) {
            return true;
        }
        if (t != null) {
            for (SimStream s : device.engineStreams()) {
                if (!s.isEmptyQueue()) {
                    return true;
                }
            }
        }
        return false;
    }

    /** A waiting thread saw no activity for {@link #STALL_NANOS}: ends the earliest deferred kernel anyway. */
    void forceStalled() {
        if (deferred > 0 && forceEarliest()) {
            runtime.pump(null);
        }
    }

    private boolean forceEarliest() {
        SimStream best = null;
        long bestEnd = Long.MAX_VALUE;
        for (SimStream s : runtime.engineStreams()) {
            if (s.headDeferred()) {
                long end = kernelEnd(s, s.headStart(), s.headCost(), true);
                if (end < bestEnd) {
                    bestEnd = end;
                    best = s;
                }
            }
        }
        return best != null && best.forceHead();
    }
}
