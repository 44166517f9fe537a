package dev.tandem.deepseek.serving;

/**
 * How a forward is scheduled: sequential, overlapped over a fixed number of micro-batches, or chosen per batch
 * from cost estimates (at most {@code microBatches} micro-batches).
 */
public record ScheduleChoice(Kind kind, int microBatches) {
    public enum Kind {
        SEQUENTIAL,
        OVERLAPPED,
        AUTO
    }

    public ScheduleChoice {
        if (microBatches < 1) {
            throw new IllegalArgumentException("micro-batches must be at least 1, got " + microBatches);
        }
    }

    public static ScheduleChoice sequential() {
        return new ScheduleChoice(Kind.SEQUENTIAL, 1);
    }

    /** Dual-batch overlap for 2; N micro-batches in general. */
    public static ScheduleChoice overlapped(int microBatches) {
        return new ScheduleChoice(Kind.OVERLAPPED, microBatches);
    }

    public static ScheduleChoice auto(int maxMicroBatches) {
        return new ScheduleChoice(Kind.AUTO, maxMicroBatches);
    }

    /** Parses {@code sequential}, {@code dbo} (2 micro-batches unless given) or {@code auto}. */
    public static ScheduleChoice parse(String name, int microBatches) {
        return switch (name) {
            case "sequential" -> sequential();
            case "dbo", "overlapped" -> overlapped(Math.max(2, microBatches));
            case "auto" -> auto(Math.max(2, microBatches));
            default -> throw new IllegalArgumentException("schedule must be sequential, dbo or auto, got '" + name + "'");
        };
    }
}
