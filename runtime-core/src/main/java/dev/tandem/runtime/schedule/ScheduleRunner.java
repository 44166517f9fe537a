package dev.tandem.runtime.schedule;

import dev.tandem.runtime.Device;
import dev.tandem.runtime.Event;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.StreamRole;
import dev.tandem.runtime.WrongDeviceException;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Issues a {@link Schedule} on one device's compute and communication streams. Every cross-stream dependency
 * becomes an event record on the producer's stream and a wait on the consumer's; nothing synchronises the host
 * except stages that declare {@link Stage#blocksHost()}. Operations are tagged {@code mb<m>/<stage name>} for
 * traces. The runner owns its events (re-recorded on every run) and closes them with {@link #close()}.
 */
public final class ScheduleRunner implements AutoCloseable {
    private final Device device;
    private final Stream compute;
    private final Stream comm;
    private final List<Event> events = new ArrayList<>();

    /**
     * Creates a runner over two streams of one device.
     *
     * @param compute the stream for compute steps
     * @param comm    the stream for communication steps
     * @throws WrongDeviceException if the streams belong to different devices
     * @throws InvalidArgumentException if both are the same stream
     */
    public ScheduleRunner(Stream compute, Stream comm) {
        this.compute = Objects.requireNonNull(compute, "compute");
        this.comm = Objects.requireNonNull(comm, "comm");
        this.device = compute.device();
        if (comm.device() != device) {
            throw new WrongDeviceException("compute and communication streams must belong to one device");
        }
        if (compute == comm) {
            throw new InvalidArgumentException("compute and communication streams must differ; use a sequential schedule "
                    + "to run everything on one stream");
        }
    }

    /**
     * The stream compute steps run on.
     *
     * @return the compute stream
     */
    public Stream computeStream() {
        return compute;
    }

    /**
     * The stream communication steps run on.
     *
     * @return the communication stream
     */
    public Stream commStream() {
        return comm;
    }

    /**
     * Enqueues the whole schedule. {@code microBatches.get(m)} is the state of micro-batch m. Returns once
     * everything is enqueued; the compute stream is then ordered after all of it.
     *
     * @param <S>          the program's per-micro-batch state
     * @param schedule     the schedule to issue
     * @param microBatches the state of each micro-batch, as many as the schedule is for
     * @throws InvalidArgumentException if the number of states does not match the schedule
     */
    public <S> void run(Schedule<S> schedule, List<S> microBatches) {
        if (microBatches.size() != schedule.microBatches()) {
            throw new InvalidArgumentException("schedule " + schedule.name() + " is for " + schedule.microBatches()
                    + " micro-batch(es) but " + microBatches.size() + " states were given");
        }
        List<Step> steps = schedule.steps();
        boolean[] crossStream = new boolean[steps.size()];
        for (int i = 0; i < steps.size(); i++) {
            for (int d : schedule.dependencies(i)) {
                if (steps.get(d).stream() != steps.get(i).stream()) {
                    crossStream[d] = true;
                }
            }
        }
        while (events.size() < steps.size()) {
            events.add(null);
        }
        for (int i = 0; i < steps.size(); i++) {
            Step step = steps.get(i);
            Stream stream = step.stream() == StreamRole.COMM ? comm : compute;
            for (int d : schedule.dependencies(i)) {
                if (steps.get(d).stream() != step.stream()) {
                    stream.waitEvent(events.get(d));
                }
            }
            Stage<S> stage = schedule.program().stage(step.stage());
            String previous = stream.traceTag("mb" + step.microBatch() + "/" + stage.name());
            try {
                stage.issue(microBatches.get(step.microBatch()), stream);
            } finally {
                stream.traceTag(previous);
            }
            if (crossStream[i]) {
                stream.record(event(i));
            }
        }
        if (schedule.usesCommStream()) {
            compute.waitStream(comm);
        }
    }

    private Event event(int position) {
        Event e = events.get(position);
        if (e == null) {
            e = device.createEvent();
            events.set(position, e);
        }
        return e;
    }

    @Override
    /**
     * Closes the events the runner created; the streams stay open.
     */
    public void close() {
        for (Event e : events) {
            if (e != null) {
                e.close();
            }
        }
        events.clear();
    }
}
