package dev.asyncjobs.core;

import dev.asyncjobs.engine.OffloadEngine;
import java.security.SignatureException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import reactor.blockhound.BlockHound;

/**
 * Run in a JVM of its own by {@link OffloadEngineBlockHoundTest} (BlockHound needs JVM flags):
 * installs BlockHound with the ServiceLoader integrations, drives the engine from job loops
 * through every job-side path (queue, full device and room waiting, spurious wakes, cancel,
 * failures, close) and exits 0 only if nothing blocking ran on a job-loop thread, and if a control
 * job that does park on a loop thread is caught.
 */
final class OffloadEngineBlockHoundCheck {
    private OffloadEngineBlockHoundCheck() {
    }

    public static void main(String[] args) throws Exception {
        // Core's backend probe logs through System.getLogger in a static initializer, which reads
        // logging.properties from disk on the thread that starts the first job (reported to the
        // lead): initialize it first, so what is checked below is the engine's job side.
        AsyncJob.backend();
        List<String> reports = new CopyOnWriteArrayList<>();
        BlockHound.builder().loadIntegrations()
                .blockingMethodCallback(m -> {
                    java.io.StringWriter trace = new java.io.StringWriter();
                    new Throwable().printStackTrace(new java.io.PrintWriter(trace));
                    reports.add(Thread.currentThread().getName() + ": " + m + "\n" + trace);
                })
                .install();
        int failures = 0;
        try (JobLoopGroup loops = JobLoopGroup.builder().threads(2).name("asyncjobs-loop-bh").build()) {
            JobOptions options = JobOptions.builder().loops(loops).build();
            OffloadEngine engine = OffloadEngine.builder().name("bh-engine").threads(1).queueCapacity(1).build();
            List<CompletableFuture<Object>> all = new ArrayList<>();
            List<JobTicket> tickets = new ArrayList<>();
            for (int i = 0; i < 2_000; i++) {
                int n = i;
                CompletableFuture<Object> f = new CompletableFuture<>();
                all.add(f);
                tickets.add(AsyncJobs.launch(() -> {
                    int sum = 0;
                    for (int k = 0; k < 3; k++) {
                        sum += engine.call(() -> {
                            LockSupport.parkNanos(20_000); // the device may block: it is the device
                            return n;
                        });
                    }
                    if (n % 50 == 0) {
                        AsyncWaitCtx ctx = AsyncJob.current().waitCtx();
                        ctx.getCallback().onWake(ctx.getCallbackArg()); // a spurious wake-up
                        engine.call(() -> {
                            throw new SignatureException("expected");
                        });
                    }
                    return sum;
                }, options, observer(f)));
            }
            for (int i = 0; i < tickets.size(); i += 7) {
                tickets.get(i).cancel();
            }
            for (CompletableFuture<Object> f : all) {
                try {
                    f.get(60, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof SignatureException)) {
                        failures++;
                        e.printStackTrace();
                    }
                }
            }
            // close with jobs queued and waiting for room
            List<CompletableFuture<Object>> late = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                CompletableFuture<Object> f = new CompletableFuture<>();
                late.add(f);
                AsyncJobs.launch(() -> engine.call(() -> {
                    LockSupport.parkNanos(1_000_000);
                    return 0;
                }), options, observer(f));
            }
            engine.close();
            for (CompletableFuture<Object> f : late) {
                try {
                    f.get(60, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof java.util.concurrent.RejectedExecutionException)) {
                        failures++;
                        e.printStackTrace();
                    }
                }
            }
            // contention: two device threads taking tiny calls as fast as two loops submit them
            OffloadEngine busy = OffloadEngine.builder().name("bh-busy").threads(2).queueCapacity(2).build();
            List<CompletableFuture<Object>> fast = new ArrayList<>();
            for (int i = 0; i < 4_000; i++) {
                int n = i;
                CompletableFuture<Object> f = new CompletableFuture<>();
                fast.add(f);
                AsyncJobs.launch(() -> {
                    int sum = 0;
                    for (int k = 0; k < 5; k++) {
                        sum += busy.call(() -> n);
                    }
                    return sum;
                }, options, observer(f));
            }
            for (int i = 0; i < fast.size(); i++) {
                if (!Integer.valueOf(5 * i).equals(fast.get(i).get(60, TimeUnit.SECONDS))) {
                    failures++;
                }
            }
            busy.close();
            if (!reports.isEmpty() || failures > 0) {
                System.out.println("BLOCKING on job loops (" + reports.size() + "), failures " + failures);
                reports.stream().limit(5).forEach(System.out::println);
                System.exit(1);
            }
            // control: BlockHound is really watching the loops
            CompletableFuture<Object> control = new CompletableFuture<>();
            AsyncJobs.launch(() -> {
                LockSupport.parkNanos(1_000_000);
                return 1;
            }, options, observer(control));
            control.get(60, TimeUnit.SECONDS);
            if (reports.isEmpty()) {
                System.out.println("CONTROL NOT CAUGHT: BlockHound is not active on the job loops");
                System.exit(2);
            }
        }
        System.out.println("OK " + AsyncJob.backend() + ", control caught: " + reports.get(0).lines().findFirst().orElse(""));
        System.exit(0);
    }

    private static JobObserver<Object> observer(CompletableFuture<Object> f) {
        return new JobObserver<>() {
            @Override
            public void onSuccess(@Nullable Object value) {
                f.complete(value);
            }

            @Override
            public void onFailure(Throwable error) {
                f.completeExceptionally(error);
            }

            @Override
            public void onDropped(@Nullable Object value, @Nullable Throwable error) {
                f.complete(null);
            }
        };
    }
}
