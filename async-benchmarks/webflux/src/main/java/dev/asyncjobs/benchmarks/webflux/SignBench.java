package dev.asyncjobs.benchmarks.webflux;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.engine.OffloadEngine;
import dev.asyncjobs.crypto.AsyncCrypto;
import dev.asyncjobs.crypto.SignatureScheme;
import dev.asyncjobs.netty.NettyJobs;
import dev.asyncjobs.reactor.AsyncMono;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * One service, every way to sign, side by side in one JVM:
 * <ul>
 *   <li>{@code /sign/inline}: on the Netty event loop that took the request (blocks it while it signs);</li>
 *   <li>{@code /sign/elastic}: {@code Mono.fromCallable(sign).subscribeOn(boundedElastic)} on platform
 *       threads (Reactor's defaults: 10 x cores threads);</li>
 *   <li>{@code /sign/vt}: the same on Reactor's virtual-thread boundedElastic
 *       ({@code reactor.schedulers.defaultBoundedElasticOnVirtualThreads=true}, set by {@link #main});</li>
 *   <li>{@code /sign/loops}: asyncjobs, {@code AsyncMono} on the job loops, signing on the offload
 *       engine's device threads (as the WebFlux example does);</li>
 *   <li>{@code /sign/eventloop}: the same job on the event loop that took the request
 *       ({@link NettyJobs#preferEventLoop}).</li>
 * </ul>
 * {@code /hello} is the cheap GET. Thread names let run.sh charge CPU to each group from /proc.
 */
@SpringBootApplication(proxyBeanMethods = false)
public class SignBench {
    private static final byte[] MESSAGE = "asyncjobs webflux benchmark: sign me".getBytes(StandardCharsets.UTF_8);
    private static final ThreadLocal<Signature> SIGNATURES = ThreadLocal.withInitial(() -> {
        try {
            return Signature.getInstance(SignatureScheme.ECDSA_P256_SHA256.algorithm());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    });

    /**
     * Starts the service.
     *
     * @param args Spring Boot arguments
     */
    public static void main(String[] args) {
        // /sign/vt uses Reactor's own virtual-thread boundedElastic; /sign/elastic a platform one
        // built with the same defaults
        System.setProperty("reactor.schedulers.defaultBoundedElasticOnVirtualThreads", "true");
        // -Dbench.provider=accp: ACCP first in the JCA list, so every mode signs with it (the plain
        // Signature.getInstance of inline/elastic/vt, and AsyncCrypto's fastest-provider policy)
        if ("accp".equals(System.getProperty("bench.provider"))) {
            AmazonCorrettoCryptoProvider.install();
            AmazonCorrettoCryptoProvider.INSTANCE.assertHealthy();
        }
        SpringApplication.run(SignBench.class, args);
    }

    @Bean(destroyMethod = "close")
    JobLoopGroup benchLoops() {
        return JobLoopGroup.builder().name("asyncjobs-loop-bench").build();
    }

    @Bean(destroyMethod = "close")
    OffloadEngine benchEngine() {
        // as the WebFlux example: one device thread per core (-Dbench.deviceThreads=N, -Dbench.queueCapacity=N to try others)
        int threads = Integer.getInteger("bench.deviceThreads", Runtime.getRuntime().availableProcessors());
        OffloadEngine.Builder b = OffloadEngine.builder().name("bench-device").threads(threads);
        Integer capacity = Integer.getInteger("bench.queueCapacity"); // default: the engine's, 256 per device thread
        return (capacity != null ? b.queueCapacity(capacity) : b).build();
    }

    @Bean(destroyMethod = "dispose")
    Scheduler platformElastic() {
        return Schedulers.newBoundedElastic(Schedulers.DEFAULT_BOUNDED_ELASTIC_SIZE,
                Schedulers.DEFAULT_BOUNDED_ELASTIC_QUEUESIZE, "elastic");
    }

    @Bean
    KeyPair benchKey() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    @Bean
    RouterFunction<ServerResponse> routes(JobLoopGroup benchLoops, OffloadEngine benchEngine, Scheduler platformElastic,
            KeyPair benchKey) {
        AsyncCrypto crypto = new AsyncCrypto(benchEngine);
        JobOptions onLoops = JobOptions.builder().loops(benchLoops).build();
        // each event loop's pool unbounded, like the job loops' (the group sets no maxJobsPerLoop)
        JobOptions onEventLoop = NettyJobs.preferEventLoop(onLoops, 0);
        Scheduler virtualElastic = Schedulers.boundedElastic();
        SignatureScheme ecdsa = SignatureScheme.ECDSA_P256_SHA256;
        // the run's label must match what really signs: both sides' providers, once, in the log
        System.out.println("bench providers: plain JCA " + SIGNATURES.get().getProvider().getName()
                + ", key " + benchKey.getPrivate().getClass().getName() + ", asyncjobs " + crypto);
        return RouterFunctions.route()
                .GET("/hello", r -> ServerResponse.ok().bodyValue("hello"))
                .GET("/sign/inline", r -> reply(Mono.fromCallable(() -> sign(benchKey))))
                .GET("/sign/elastic", r -> reply(Mono.fromCallable(() -> sign(benchKey)).subscribeOn(platformElastic)))
                .GET("/sign/vt", r -> reply(Mono.fromCallable(() -> sign(benchKey)).subscribeOn(virtualElastic)))
                .GET("/sign/loops", r -> reply(AsyncMono.fromJob(
                        () -> crypto.sign(ecdsa, benchKey.getPrivate(), MESSAGE), onLoops)))
                .GET("/sign/eventloop", r -> reply(AsyncMono.fromJob(
                        () -> crypto.sign(ecdsa, benchKey.getPrivate(), MESSAGE), onEventLoop)))
                .build();
    }

    private static byte[] sign(KeyPair key) throws GeneralSecurityException {
        Signature s = SIGNATURES.get();
        s.initSign(key.getPrivate());
        s.update(MESSAGE);
        return s.sign();
    }

    private static Mono<ServerResponse> reply(Mono<byte[]> signature) {
        return signature.flatMap(sig -> ServerResponse.ok().bodyValue(Base64.getEncoder().encodeToString(sig)));
    }
}
