package dev.asyncjobs.examples.webflux;

import dev.asyncjobs.examples.webflux.Api.KeyInfo;
import dev.asyncjobs.examples.webflux.Api.SignRequest;
import dev.asyncjobs.examples.webflux.Api.SignResponse;
import dev.asyncjobs.examples.webflux.Api.VerifyRequest;
import dev.asyncjobs.examples.webflux.Api.VerifyResponse;
import dev.asyncjobs.examples.webflux.KeyRing.SigningKey;
import java.util.Base64;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * The endpoints. Input is checked on the event loop (cheap, bounded by the body limit); the crypto
 * is a job on the offload engine ({@link SigningService}).
 */
@RestController
final class SigningController {
    private final KeyRing keys;
    private final SigningService service;

    SigningController(KeyRing keys, SigningService service) {
        this.keys = keys;
        this.service = service;
    }

    @PostMapping(path = "/sign", consumes = MediaType.APPLICATION_JSON_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
    Mono<SignResponse> sign(@RequestBody SignRequest request) {
        SigningKey key = key(request.keyId());
        byte[] payload = base64("payload", request.payload());
        return service.sign(key, payload)
                .map(sig -> new SignResponse(key.id(), key.scheme().algorithm(), Base64.getEncoder().encodeToString(sig)));
    }

    @PostMapping(path = "/verify", consumes = MediaType.APPLICATION_JSON_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
    Mono<VerifyResponse> verify(@RequestBody VerifyRequest request) {
        SigningKey key = key(request.keyId());
        byte[] payload = base64("payload", request.payload());
        byte[] signature = base64("signature", request.signature());
        return service.verify(key, payload, signature).map(valid -> new VerifyResponse(key.id(), valid));
    }

    @GetMapping(path = "/keys", produces = MediaType.APPLICATION_JSON_VALUE)
    List<KeyInfo> keys() {
        return keys.all().stream()
                .map(k -> new KeyInfo(k.id(), k.scheme().algorithm(),
                        Base64.getEncoder().encodeToString(k.keys().getPublic().getEncoded())))
                .toList();
    }

    private SigningKey key(@Nullable String id) {
        if (id == null || id.isEmpty()) {
            throw new InvalidFieldException("keyId", "keyId is missing");
        }
        SigningKey key = keys.find(id);
        if (key == null) {
            throw new InvalidFieldException("keyId", "unknown key id '" + id + "' (known: " + String.join(", ", keys.ids()) + ")");
        }
        return key;
    }

    private static byte[] base64(String field, @Nullable String value) {
        if (value == null) {
            throw new InvalidFieldException(field, field + " is missing");
        }
        try {
            return Base64.getDecoder().decode(value);
        } catch (IllegalArgumentException e) {
            throw new InvalidFieldException(field, field + " is not valid base64: " + e.getMessage());
        }
    }
}
