package dev.asyncjobs.examples.webflux;

import dev.asyncjobs.crypto.SignatureScheme;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** The service's signing keys, generated once at start-up and kept in memory only. */
public final class KeyRing {
    /**
     * One key.
     *
     * @param id the key id clients name
     * @param scheme its signature scheme
     * @param keys the key pair
     */
    public record SigningKey(String id, SignatureScheme scheme, KeyPair keys) {
    }

    private final Map<String, SigningKey> keys;

    private KeyRing(Map<String, SigningKey> keys) {
        this.keys = keys;
    }

    /**
     * Generates a key pair per entry.
     *
     * @param schemes key id to scheme
     * @return the ring
     * @throws GeneralSecurityException if the JDK cannot make a key
     */
    public static KeyRing generate(Map<String, SignatureScheme> schemes) throws GeneralSecurityException {
        Map<String, SigningKey> m = new LinkedHashMap<>();
        for (Map.Entry<String, SignatureScheme> e : schemes.entrySet()) {
            String id = Objects.requireNonNull(e.getKey(), "key id");
            SignatureScheme scheme = Objects.requireNonNull(e.getValue(), "scheme");
            m.put(id, new SigningKey(id, scheme, scheme.generateKeyPair()));
        }
        return new KeyRing(Map.copyOf(m));
    }

    /**
     * The key with this id.
     *
     * @param id the key id
     * @return the key, or {@code null} if there is none
     */
    public @Nullable SigningKey find(String id) {
        return keys.get(id);
    }

    /**
     * Every key, sorted by id.
     *
     * @return the keys
     */
    public Collection<SigningKey> all() {
        return keys.values().stream().sorted((a, b) -> a.id().compareTo(b.id())).toList();
    }

    /**
     * The key ids, sorted.
     *
     * @return the ids
     */
    public List<String> ids() {
        return keys.keySet().stream().sorted().toList();
    }
}
