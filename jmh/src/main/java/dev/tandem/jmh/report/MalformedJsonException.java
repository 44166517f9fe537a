package dev.tandem.jmh.report;

/** JSON text that {@link JsonReader} cannot parse; the message names the line and column. */
public final class MalformedJsonException extends ReportException {
    private static final long serialVersionUID = 1L;

    public MalformedJsonException(String message) {
        super(message);
    }
}
