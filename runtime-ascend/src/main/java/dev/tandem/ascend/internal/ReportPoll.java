package dev.tandem.ascend.internal;

/** What one {@link Acl#processReport} call found; failures are thrown instead. */
public enum ReportPoll {
    /** Callbacks ran, or none were due before the timeout (CANN's 507012 / the older 100035-style idle codes). */
    IDLE_OR_DELIVERED,
    /** The calling thread is not (or no longer) subscribed to any stream (107012 and the older equivalent). */
    NOT_SUBSCRIBED
}
