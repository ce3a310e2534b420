package dev.asyncjobs.examples.webflux;

import dev.asyncjobs.examples.webflux.Api.Error;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.util.unit.DataSize;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.server.ContentTooLargeException;
import org.springframework.web.server.ServerWebInputException;

/** Maps bad requests to JSON errors that name the field at fault. */
@RestControllerAdvice
final class ApiErrors {
    private final DataSize limit;

    ApiErrors(BodySizeLimit bodySizeLimit) {
        this.limit = bodySizeLimit.limit();
    }

    @ExceptionHandler(InvalidFieldException.class)
    ResponseEntity<Error> invalidField(InvalidFieldException e) {
        return ResponseEntity.badRequest().body(new Error("invalid_field", e.field(), e.getMessage()));
    }

    /**
     * A body that is not JSON, or not the expected shape; or one that outgrew the codecs' buffer
     * limit while being read (a chunked body announces no length for {@link BodySizeLimit} to check).
     */
    @ExceptionHandler({ServerWebInputException.class, DataBufferLimitException.class})
    ResponseEntity<Error> unreadableBody(Exception e) {
        if (tooLarge(e)) {
            return tooLarge();
        }
        return ResponseEntity.badRequest().body(new Error("malformed_body", "body",
                "the body is not a JSON object of the expected shape"));
    }

    ResponseEntity<Error> tooLarge() {
        return ResponseEntity.status(HttpStatus.CONTENT_TOO_LARGE).body(BodySizeLimit.error(limit));
    }

    private static boolean tooLarge(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof DataBufferLimitException || t instanceof ContentTooLargeException) {
                return true;
            }
        }
        return false;
    }
}
