package dev.asyncjobs.crypto;

import dev.asyncjobs.engine.OffloadEngine;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.Signature;
import java.util.EnumMap;
import java.util.HashMap;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import org.jspecify.annotations.Nullable;

/**
 * JCA instances kept per device thread, borrowed for one operation and given back only if it
 * succeeded (an instance left in an odd state by a failure is dropped). {@code getInstance} is a
 * provider lookup plus a reflective construction, a few microseconds: as much as a 16 KiB AES-GCM
 * encryption. Off a device thread (a call outside a job runs in the caller) every operation gets
 * fresh instances: the cache lives in a {@link ThreadLocal} of device threads only, never of a
 * job's or a caller's thread.
 */
final class DeviceJca {
    static final String AES_GCM = "AES/GCM/NoPadding";
    static final String RSA_OAEP = "RSA/ECB/OAEPPadding";
    static final String HMAC_SHA256 = "HmacSHA256";
    static final String X25519 = "X25519";

    private static final ThreadLocal<DeviceJca> LOCAL = ThreadLocal.withInitial(DeviceJca::new);

    private final EnumMap<SignatureScheme, Signature> signatures = new EnumMap<>(SignatureScheme.class);
    private final HashMap<String, MessageDigest> digests = new HashMap<>();
    private final HashMap<String, Cipher> ciphers = new HashMap<>();
    private @Nullable Mac hmacSha256;
    private @Nullable KeyAgreement x25519;

    private DeviceJca() {
    }

    private static @Nullable DeviceJca here() {
        return OffloadEngine.isDeviceThread() ? LOCAL.get() : null;
    }

    static Signature signature(SignatureScheme scheme) throws GeneralSecurityException {
        DeviceJca d = here();
        Signature s = d == null ? null : d.signatures.remove(scheme);
        return s != null ? s : Signature.getInstance(scheme.algorithm());
    }

    static void giveBack(SignatureScheme scheme, Signature s) {
        DeviceJca d = here();
        if (d != null) {
            d.signatures.put(scheme, s);
        }
    }

    static MessageDigest digest(String algorithm) throws GeneralSecurityException {
        DeviceJca d = here();
        MessageDigest md = d == null ? null : d.digests.remove(algorithm);
        return md != null ? md : MessageDigest.getInstance(algorithm);
    }

    static void giveBack(String algorithm, MessageDigest md) {
        DeviceJca d = here();
        if (d != null) {
            d.digests.put(algorithm, md);
        }
    }

    static Cipher cipher(String transformation) throws GeneralSecurityException {
        DeviceJca d = here();
        Cipher c = d == null ? null : d.ciphers.remove(transformation);
        return c != null ? c : Cipher.getInstance(transformation);
    }

    static void giveBack(String transformation, Cipher c) {
        DeviceJca d = here();
        if (d != null) {
            d.ciphers.put(transformation, c);
        }
    }

    static Mac hmacSha256() throws GeneralSecurityException {
        DeviceJca d = here();
        Mac m = null;
        if (d != null) {
            m = d.hmacSha256;
            d.hmacSha256 = null;
        }
        return m != null ? m : Mac.getInstance(HMAC_SHA256);
    }

    static void giveBack(Mac m) {
        DeviceJca d = here();
        if (d != null) {
            d.hmacSha256 = m;
        }
    }

    static KeyAgreement x25519() throws GeneralSecurityException {
        DeviceJca d = here();
        KeyAgreement k = null;
        if (d != null) {
            k = d.x25519;
            d.x25519 = null;
        }
        return k != null ? k : KeyAgreement.getInstance(X25519);
    }

    static void giveBack(KeyAgreement k) {
        DeviceJca d = here();
        if (d != null) {
            d.x25519 = k;
        }
    }
}
