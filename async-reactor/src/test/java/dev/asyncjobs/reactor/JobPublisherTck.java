package dev.asyncjobs.reactor;

import java.util.Objects;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import org.reactivestreams.tck.PublisherVerification;
import org.testng.annotations.AfterClass;
import reactor.core.CorePublisher;
import reactor.core.CoreSubscriber;
import reactor.util.context.Context;

/**
 * The Reactive Streams TCK's publisher rules for a publisher of jobs ({@link TckJobs}), in one of
 * two ways:
 * <ul>
 *   <li><b>direct:</b> the TCK's subscriber is handed to the publisher as a Reactor
 *       {@link CoreSubscriber}, the way Reactor operators subscribe to each other, so the TCK talks
 *       to our operator's own {@code Subscription} ({@code MonoJob}'s, or {@code mapJobs}'s
 *       outermost stage) and every rule is ours to keep;</li>
 *   <li><b>subscribe:</b> through plain {@link Publisher#subscribe}, as a non-Reactor subscriber
 *       sees it: Reactor then wraps the subscriber in its own {@code StrictSubscriber}, which
 *       enforces some rules (e.g. §3.9) by itself.</li>
 * </ul>
 * After the class, every job must have paused and been resumed and none may be left alive.
 *
 * @param <T> the element type
 */
abstract class JobPublisherTck<T> extends PublisherVerification<T> {
    final TckJobs jobs;
    private final boolean direct;

    JobPublisherTck(String name, boolean direct) {
        super(TckJobs.ENV, TckJobs.GC_TIMEOUT_MILLIS);
        this.jobs = new TckJobs(name);
        this.direct = direct;
    }

    /** The publisher as the TCK should see it (see the class comment). */
    Publisher<T> expose(CorePublisher<T> publisher) {
        if (!direct) {
            return publisher;
        }
        return subscriber -> {
            Objects.requireNonNull(subscriber, "subscriber"); // §1.9, as Flux/Mono.subscribe does
            publisher.subscribe(new Direct<>(subscriber));
        };
    }

    @AfterClass
    public void checkJobs() throws InterruptedException {
        jobs.close();
    }

    /** Passes every signal through; being a CoreSubscriber is all it is for. */
    private record Direct<T>(Subscriber<? super T> subscriber) implements CoreSubscriber<T> {
        @Override
        public Context currentContext() {
            return Context.empty();
        }

        @Override
        public void onSubscribe(Subscription s) {
            subscriber.onSubscribe(s);
        }

        @Override
        public void onNext(T t) {
            subscriber.onNext(t);
        }

        @Override
        public void onError(Throwable t) {
            subscriber.onError(t);
        }

        @Override
        public void onComplete() {
            subscriber.onComplete();
        }
    }
}
