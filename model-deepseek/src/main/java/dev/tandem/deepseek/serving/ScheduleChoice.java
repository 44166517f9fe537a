package dev.tandem.deepseek.serving;

/**
 * How a forward is scheduled: sequential, overlapped over a fixed number of micro-batches, or chosen per batch
 * from cost estimates (at most {@code microBatches} micro-batches).
 * @param kind         sequential, overlapped or auto
 * @param microBatches micro-batches (overlapped) or their maximum (auto), at least 1; 1 for sequential
 */
public record ScheduleChoice(Kind kind, int microBatches) {
    /** The kind of schedule. */
    public enum Kind {
        /** Every micro-batch stage on the compute stream, one micro-batch. */
        SEQUENTIAL,
        /** Overlapped over a fixed number of micro-batches. */
        OVERLAPPED,
        /** Sequential or overlapped, chosen per batch from cost estimates. */
        AUTO
    }

    /**
     * Validates the micro-batch count.
     *
     * @throws IllegalArgumentException if {@code microBatches < 1}
     */
    public ScheduleChoice {
        if (microBatches < 1) {
            throw new IllegalArgumentException("micro-batches must be at least 1, got " + microBatches);
        }
    }

    /** {@return the sequential schedule} */
    public static ScheduleChoice sequential() {
        return new ScheduleChoice(Kind.SEQUENTIAL, 1);
    }

    /**
     * Dual-batch overlap for 2; N micro-batches in general.
     *
     * @param microBatches the number of micro-batches, at least 1
     * @return the choice
     */
    public static ScheduleChoice overlapped(int microBatches) {
        return new ScheduleChoice(Kind.OVERLAPPED, microBatches);
    }

    /**
     * Chosen per batch from cost estimates.
     *
     * @param maxMicroBatches the most micro-batches to use, at least 1
     * @return the choice
     */
    public static ScheduleChoice auto(int maxMicroBatches) {
        return new ScheduleChoice(Kind.AUTO, maxMicroBatches);
    }

    /**
     * Parses {@code sequential}, {@code dbo} (2 micro-batches unless given) or {@code auto}.
     *
     * @param name         the schedule name ({@code overlapped} is a synonym of {@code dbo})
     * @param microBatches the requested micro-batches; at least 2 are used for dbo and auto
     * @return the choice
     * @throws IllegalArgumentException if the name is unknown
     */
    public static ScheduleChoice parse(String name, int microBatches) {
        return switch (name) {
            case "sequential" -> sequential();
            case "dbo", "overlapped" -> overlapped(Math.max(2, microBatches));
            case "auto" -> auto(Math.max(2, microBatches));
            default -> throw new IllegalArgumentException("schedule must be sequential, dbo or auto, got '" + name + "'");
        };
    }
}
