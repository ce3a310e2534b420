package dev.asyncjobs.reactor;

import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;

/**
 * The TCK against {@link AsyncFlux#mapJobs}: one job per element, each pausing and resumed from
 * another thread, up to four in flight.
 */
abstract class FluxTck extends JobPublisherTck<Long> {
    FluxTck(String name, boolean direct) {
        super(name, direct);
    }

    @Override
    public Publisher<Long> createPublisher(long elements) {
        return expose(AsyncFlux.mapJobs(upTo(elements), n -> jobs.pausing(n, n), 4, jobs.options));
    }

    @Override
    public Publisher<Long> createFailedPublisher() {
        // the first job fails after its pause; mapJobs asks its source for work without a request
        return expose(AsyncFlux.mapJobs(upTo(3), jobs::<Long>failing, 4, jobs.options));
    }

    /** 0, 1, ... {@code elements - 1}, lazily (the TCK asks for up to Long.MAX_VALUE - 1). */
    private static Flux<Long> upTo(long elements) {
        return Flux.generate(() -> 0L, (n, sink) -> {
            if (n < elements) {
                sink.next(n);
            } else {
                sink.complete();
            }
            return n + 1;
        });
    }
}
