package dev.tandem.deepseek.serving;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Percentage;

/** A JFR event per engine step: batch composition, schedule, time (the event's duration) and hidden comm. */
@Name("dev.tandem.EngineStep")
@Label("Tandem Engine Step")
@Category({"Tandem", "Engine"})
@Description("One scheduler step of a DeepSeekEngine")
final class StepEvent extends Event {
    @Label("Sequences")
    int sequences;
    @Label("Prefill Tokens")
    int prefillTokens;
    @Label("Decode Tokens")
    int decodeTokens;
    @Label("Micro-batches")
    int microBatches;
    @Label("Overlapped")
    boolean overlapped;
    @Label("Decision")
    String decision;
    @Label("Hidden Communication")
    @Percentage
    double hidden;
    @Label("Failed")
    boolean failed;

    /** When the step began (not recorded: the event's own start time is what JFR shows). */
    transient long startNanos;

    static StepEvent started() {
        StepEvent e = new StepEvent();
        e.startNanos = System.nanoTime();
        e.begin();
        return e;
    }
}
