package dev.asyncjobs.soak;

import static org.assertj.core.api.Assertions.assertThat;

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

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
