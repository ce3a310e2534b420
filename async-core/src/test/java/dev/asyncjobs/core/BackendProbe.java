package dev.asyncjobs.core;

/** Prints the backend and the unavailability cause; run in a child JVM by the flag tests. */
final class BackendProbe {
    private BackendProbe() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println(AsyncJob.backend());
        System.out.println(AsyncJob.continuationUnavailabilityCause());
        // prove the backend really pauses and resumes in that JVM
        JobHandle<String> h = new JobHandle<>();
        try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
            StartStatus first = AsyncJob.start(h, ctx, () -> {
                AsyncJob.pause();
                return "resumed";
            });
            StartStatus second = AsyncJob.start(h, ctx, null);
            System.out.println(first + " " + second + " " + h.result());
        }
    }
}
