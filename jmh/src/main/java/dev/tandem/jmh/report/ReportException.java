package dev.tandem.jmh.report;

/** A results file that cannot be turned into a report: missing, unreadable, malformed or not JMH's shape. */
public class ReportException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ReportException(String message) {
        super(message);
    }

    public ReportException(String message, Throwable cause) {
        super(message, cause);
    }
}
