package dev.asyncjobs.reactor;

import java.util.concurrent.ThreadLocalRandom;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.TestEnvironment.ManualSubscriber;
import org.testng.annotations.Test;

/**
 * The TCK against {@link AsyncMono#fromJob}: each job pauses and is resumed from another thread. A
 * {@code Mono} emits at most one element, so the TCK skips the rules that need more, saying so in
 * each skip; its §3.9 checks are among them and are run here on one element.
 */
abstract class MonoTck extends JobPublisherTck<Integer> {
    MonoTck(String name, boolean direct) {
        super(name, direct);
    }

    @Override
    public Publisher<Integer> createPublisher(long elements) {
        // 0 elements: the job pauses, is resumed and returns null, which completes the Mono empty
        return expose(AsyncMono.fromJob(jobs.pausing(elements, elements == 0 ? null : 1), jobs.options));
    }

    @Override
    public Publisher<Integer> createFailedPublisher() {
        return expose(AsyncMono.fromJob(jobs.failing(1), jobs.options));
    }

    @Override
    public long maxElementsFromPublisher() {
        return 1;
    }

    @Test
    public void required_spec309_requestZeroMustSignalIllegalArgumentException_oneElement() throws Throwable {
        badRequestIsIllegalArgument(0);
    }

    @Test
    public void required_spec309_requestNegativeNumberMustSignalIllegalArgumentException_oneElement()
            throws Throwable {
        badRequestIsIllegalArgument(-ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE));
    }

    /** The body of the TCK's own §3.9 tests, with its environment and subscriber. */
    private void badRequestIsIllegalArgument(long n) throws Throwable {
        activePublisherTest(1, false, pub -> {
            ManualSubscriber<Integer> sub = TckJobs.ENV.newManualSubscriber(pub);
            sub.request(n);
            sub.expectError(IllegalArgumentException.class);
            TckJobs.ENV.verifyNoAsyncErrorsNoDelay();
        });
    }
}
