package dev.asyncjobs.soak;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.soak.Ledger.Expect;
import dev.asyncjobs.soak.Ledger.Outcome;
import dev.asyncjobs.soak.Ledger.Rec;
import dev.asyncjobs.soak.Ledger.Route;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The soak's books must not invent failures: a value that races the soak's own cancel of its job is
 * allowed (Reactive Streams §1.8), and must never be counted a duplicate, however the two threads
 * interleave.
 */
final class LedgerTest {

    @Test
    void aSignalRacingTheSoaksOwnCancelIsLateNeverADuplicate() throws Exception {
        Ledger ledger = new Ledger();
        int rounds = 100_000;
        Rec[] recs = new Rec[rounds];
        for (int i = 0; i < rounds; i++) {
            recs[i] = ledger.open(Route.MONO);
        }
        CyclicBarrier barrier = new CyclicBarrier(2);
        AtomicInteger firsts = new AtomicInteger();
        Thread canceller = Thread.ofPlatform().start(() -> {
            for (Rec r : recs) {
                await(barrier);
                if (ledger.cancelledByUs(r)) {
                    firsts.incrementAndGet();
                }
            }
        });
        for (Rec r : recs) {
            await(barrier);
            if (ledger.success(r, r.id)) {
                firsts.incrementAndGet();
            }
        }
        canceller.join();

        assertThat(firsts).hasValue(rounds);
        assertThat(ledger.duplicates.sum()).isZero();
        assertThat(ledger.completed.sum() + ledger.cancelled.sum()).isEqualTo(rounds);
        assertThat(ledger.lateAfterCancel.sum()).isEqualTo(ledger.cancelled.sum());
        assertThat(ledger.live).isEmpty();
    }

    @Test
    void aSecondSignalFromTheSubscriberIsADuplicateWithItsDetails() {
        Ledger ledger = new Ledger();
        Rec r = ledger.open(Route.SINGLE);

        assertThat(ledger.success(r, r.id)).isTrue();
        assertThat(ledger.signal(r, Outcome.FAILED)).isFalse();

        assertThat(ledger.duplicates.sum()).isEqualTo(1);
        assertThat(ledger.duplicateDetails).singleElement().asString()
                .contains("job#" + r.id, "SINGLE", "COMPLETED then FAILED");
        assertThat(ledger.wrongValues.sum()).isZero();
    }

    @Test
    void aSignalAfterTheSoakSettledTheJobIsNotADuplicateButAWrongValueStillCounts() {
        Ledger ledger = new Ledger();
        Rec r = ledger.open(Route.FLUX);

        assertThat(ledger.cancelledByUs(r)).isTrue();
        assertThat(ledger.success(r, r.id + 1)).isFalse();

        assertThat(ledger.duplicates.sum()).isZero();
        assertThat(ledger.lateAfterCancel.sum()).isEqualTo(1);
        assertThat(ledger.wrongValues.sum()).isEqualTo(1);
    }

    @Test
    void aJobThatMustEndWithItsValueIsAWrongOutcomeWhenItFails() {
        Ledger ledger = new Ledger();
        Rec a = ledger.open(Route.INLINE_WAKE);
        a.expect = Expect.VALUE;
        Rec b = ledger.open(Route.INLINE_WAKE);
        b.expect = Expect.VALUE;

        assertThat(ledger.failure(a, new IllegalStateException("ERR on resume"))).isTrue();
        assertThat(ledger.success(b, b.id)).isTrue();

        assertThat(ledger.wrongOutcomes.sum()).isEqualTo(1);
        assertThat(ledger.wrongOutcomeDetails).singleElement().asString()
                .contains("job#" + a.id, "own value", "ERR on resume");
        assertThat(ledger.failed.sum()).isEqualTo(1);
        assertThat(ledger.completed.sum()).isEqualTo(1);
    }

    @Test
    void aNonReadableFdMustFailTheJobWithSetWaitFdsRefusalAndNothingElse() {
        Ledger ledger = new Ledger();
        Rec refused = ledger.open(Route.NOT_READABLE);
        Rec otherError = ledger.open(Route.NOT_READABLE);
        Rec completed = ledger.open(Route.NOT_READABLE);
        Rec cancelled = ledger.open(Route.NOT_READABLE);
        for (Rec r : new Rec[] {refused, otherError, completed, cancelled}) {
            r.expect = Expect.NOT_READABLE_REFUSED;
        }

        ledger.failure(refused, new IllegalArgumentException("the channel is not selectable for reading"));
        ledger.failure(otherError, new IllegalArgumentException("Invalid operation"));
        ledger.success(completed, completed.id);
        ledger.signal(cancelled, Outcome.CANCELLED);

        assertThat(ledger.notReadableRefused.sum()).isEqualTo(1);
        assertThat(ledger.wrongOutcomes.sum()).isEqualTo(2);
        assertThat(ledger.wrongOutcomeDetails).anySatisfy(d -> assertThat(d).contains("job#" + otherError.id))
                .anySatisfy(d -> assertThat(d).contains("job#" + completed.id));
        assertThat(ledger.wrongValues.sum()).isZero();
    }

    @Test
    void aJobWithoutAnExpectationMayFailAnyWay() {
        Ledger ledger = new Ledger();
        Rec r = ledger.open(Route.LOOP);

        assertThat(ledger.failure(r, new IllegalArgumentException("not selectable for reading"))).isTrue();

        assertThat(ledger.wrongOutcomes.sum()).isZero();
        assertThat(ledger.notReadableRefused.sum()).isZero();
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
