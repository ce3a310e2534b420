package dev.asyncjobs.examples.webflux;

/** A request field is missing or unusable: answered with a 400 naming the field. */
final class InvalidFieldException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String field;

    InvalidFieldException(String field, String message) {
        super(message, null, false, false); // an answer to a client, not a bug: no stack trace
        this.field = field;
    }

    String field() {
        return field;
    }
}
