package dev.asyncjobs.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.engine.OffloadEngine;
import dev.asyncjobs.reactor.AsyncMono;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * A real WebFlux application (reactor-netty) on the starter with {@code asyncjobs.placement=event-loop}:
 * the job a handler launches starts on the reactor-http event loop that took the request, pauses
 * on a device call, and is resumed and signals on that same event loop; the job loops run none of
 * it. With the default placement the same handler's jobs run on the job loops (the control that
 * shows the test can tell the two apart).
 */
@Timeout(120)
class EventLoopWebFluxTest {
    private static final boolean CONTINUATION = AsyncJob.backend().equals("continuation");
    private static final int REQUESTS = 64;

    /** What one request's job saw. */
    static final class Trace {
        volatile @Nullable Thread took;
        volatile @Nullable Thread startedOn;
        volatile @Nullable Thread device;
        volatile @Nullable Thread resumedOn;
        volatile @Nullable Thread signalledOn;
    }

    /** The traces by request id. */
    static final class Traces {
        final Map<Integer, Trace> byId = new ConcurrentHashMap<>();
    }

    /** The application: one handler that launches a job which pauses on the engine. */
    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class App {
        @Bean
        Traces traces() {
            return new Traces();
        }

        @Bean
        RouterFunction<ServerResponse> jobRoute(JobOptions options, OffloadEngine engine, Traces traces) {
            return RouterFunctions.route().GET("/job/{id}", request -> {
                Trace t = new Trace();
                t.took = Thread.currentThread();
                traces.byId.put(Integer.valueOf(request.pathVariable("id")), t);
                return AsyncMono.fromJob(() -> {
                    t.startedOn = Thread.currentThread();
                    t.device = engine.call(Thread::currentThread); // pauses until a device thread ran it
                    t.resumedOn = Thread.currentThread();
                    return "done";
                }, options).flatMap(v -> {
                    t.signalledOn = Thread.currentThread();
                    return ServerResponse.ok().bodyValue(v);
                });
            }).build();
        }
    }

    @Test
    void aJobLaunchedByAHandlerStartsAndResumesOnTheEventLoopThatTookTheRequest() throws Exception {
        try (ConfigurableApplicationContext ctx = start("asyncjobs.placement=event-loop",
                "asyncjobs.event-loop.max-jobs=16")) {
            Map<Integer, Trace> traces = run(ctx);
            JobLoopGroup loops = ctx.getBean(JobLoopGroup.class);
            for (Map.Entry<Integer, Trace> e : traces.entrySet()) {
                Trace t = e.getValue();
                String job = "job " + e.getKey();
                assertThat(t.took.getName()).as(job + ": the handler ran on an event loop").startsWith("reactor-http-");
                assertThat(t.device.getName()).as(job + ": the device call ran on a device thread")
                        .startsWith("asyncjobs-engine-wf-");
                assertThat(t.signalledOn).as(job + ": the resumed job finished and signalled on the event loop"
                        + " that took the request").isSameAs(t.took);
                assertThat(t.resumedOn).as(job + ": the job's thread after the pause").isSameAs(t.startedOn);
                if (CONTINUATION) {
                    // the body itself runs on the loop thread (on the virtual-thread backend it runs
                    // on the job's own virtual thread, which the loop thread waits for)
                    assertThat(t.startedOn).as(job + " started on").isSameAs(t.took);
                    assertThat(t.resumedOn).as(job + " resumed on").isSameAs(t.took);
                } else {
                    assertThat(t.startedOn.isVirtual()).as(job + ": a job's virtual thread").isTrue();
                }
            }
            assertThat(loops.stats().jobsStarted()).as("jobs started on the job loops").isZero();
            assertThat(ctx.getBean(OffloadEngine.class).stats().callsSubmitted()).isEqualTo(REQUESTS);
        }
    }

    @Test
    void withTheDefaultPlacementTheSameJobsRunOnTheJobLoops() throws Exception {
        try (ConfigurableApplicationContext ctx = start()) {
            Map<Integer, Trace> traces = run(ctx);
            for (Trace t : traces.values()) {
                assertThat(t.took.getName()).startsWith("reactor-http-");
                assertThat(t.signalledOn.getName()).startsWith("asyncjobs-loop-wf-");
            }
            assertThat(ctx.getBean(JobLoopGroup.class).stats().jobsStarted()).isEqualTo(REQUESTS);
        }
    }

    private static ConfigurableApplicationContext start(String... properties) {
        List<String> all = new ArrayList<>(List.of("server.port=0", "spring.main.banner-mode=off",
                "asyncjobs.loops.threads=2", "asyncjobs.loops.name=asyncjobs-loop-wf",
                "asyncjobs.engine.threads=2", "asyncjobs.engine.name=asyncjobs-engine-wf"));
        all.addAll(List.of(properties));
        return new SpringApplicationBuilder(App.class).properties(all.toArray(String[]::new)).run();
    }

    /** {@link #REQUESTS} requests, 16 at a time, each answered "done"; returns their traces. */
    private static Map<Integer, Trace> run(ConfigurableApplicationContext ctx) throws Exception {
        int port = ((WebServerApplicationContext) ctx).getWebServer().getPort();
        Map<Integer, Trace> traces = ctx.getBean(Traces.class).byId;
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            for (int wave = 0; wave < REQUESTS / 16; wave++) {
                List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
                for (int i = 0; i < 16; i++) {
                    int id = wave * 16 + i;
                    answers.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/job/" + id))
                            .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString()));
                }
                for (CompletableFuture<HttpResponse<String>> a : answers) {
                    HttpResponse<String> r = a.get(60, TimeUnit.SECONDS);
                    assertThat(r.statusCode()).isEqualTo(200);
                    assertThat(r.body()).isEqualTo("done");
                }
            }
        }
        assertThat(traces).hasSize(REQUESTS);
        return traces;
    }
}
