package dev.asyncjobs.examples.webflux;

import dev.asyncjobs.examples.webflux.Api.Error;
import java.nio.charset.StandardCharsets;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.stereotype.Component;
import org.springframework.util.unit.DataSize;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Refuses a body whose {@code Content-Length} is over {@code spring.http.codecs.max-in-memory-size}
 * with a 413, before reading a byte of it. A chunked body has no length up front: the JSON decoder
 * stops at the same limit and {@link ApiErrors} answers 413 then.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
final class BodySizeLimit implements WebFilter {
    private final DataSize limit;

    BodySizeLimit(@Value("${spring.http.codecs.max-in-memory-size:256KB}") DataSize limit) {
        this.limit = limit;
    }

    DataSize limit() {
        return limit;
    }

    static Error error(DataSize limit) {
        return new Error("payload_too_large", "body",
                "the body is larger than " + limit.toBytes() + " bytes");
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        long length = exchange.getRequest().getHeaders().getContentLength();
        if (length <= limit.toBytes()) {
            return chain.filter(exchange);
        }
        ServerHttpResponse response = exchange.getResponse();
        response.setStatusCode(HttpStatus.CONTENT_TOO_LARGE);
        response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
        // the body is not read: let the connection go rather than drain it
        response.getHeaders().set(HttpHeaders.CONNECTION, "close");
        Error e = error(limit);
        String json = "{\"error\":\"" + e.error() + "\",\"field\":\"" + e.field() + "\",\"message\":\"" + e.message() + "\"}";
        DataBuffer body = response.bufferFactory().wrap(json.getBytes(StandardCharsets.UTF_8));
        return response.writeWith(Mono.just(body));
    }
}
