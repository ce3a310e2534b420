package dev.asyncjobs.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asyncjobs.testsupport.Threads;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link JobOptions} and {@link JobLoopGroup}: defaults, builders, validation, loop identity. */
@Timeout(60)
class JobOptionsAndLoopGroupTest {

    @Test
    void defaultOptions() {
        JobOptions d = JobOptions.defaults();
        assertThat(JobOptions.defaults()).isSameAs(d);
        assertThat(d.placement()).as("the caller's default loops or scheduler").isNull();
        assertThat(d.onNoJobs()).isEqualTo(NoJobsPolicy.WAIT);
        assertThat(d.loopsOrNull("x")).as("the caller's default, made only when needed").isNull();
        assertThat(d.confinedSelector()).isSameAs(AsyncSelector.shared());
        assertThat(d.confinedPoolSize()).isZero();
    }

    @Test
    void builderAndToBuilderMakeIndependentImmutableOptions() {
        try (JobLoopGroup g = JobLoopGroup.builder().threads(1).name(CoreTestSupport.uniqueName("opts")).build();
                AsyncSelector sel = AsyncSelector.open(CoreTestSupport.uniqueName("opts-sel"))) {
            JobOptions.Builder b = JobOptions.builder().placement(JobPlacement.confined(sel, 7)).onNoJobs(NoJobsPolicy.FAIL);
            JobOptions o = b.build();
            b.loops(g).onNoJobs(NoJobsPolicy.WAIT);
            assertThat(o.placement().selector()).isSameAs(sel);
            assertThat(o.placement().poolSize()).as("built options do not follow the builder").isEqualTo(7);
            assertThat(o.placement().onLoops()).isFalse();
            assertThat(o.placement().loops()).isNull();
            assertThat(o.onNoJobs()).isEqualTo(NoJobsPolicy.FAIL);
            JobOptions copy = o.toBuilder().loops(g).build();
            assertThat(copy.placement().loops()).isSameAs(g);
            assertThat(copy.placement().onLoops()).isTrue();
            assertThat(copy.placement().selector()).as("loops watch with their own selectors").isNull();
            assertThat(copy.placement().poolSize()).as("loops are sized by their group").isZero();
            assertThat(copy.onNoJobs()).isEqualTo(NoJobsPolicy.FAIL);
            assertThat(o.placement().poolSize()).isEqualTo(7);
        }
    }

    /** A placement that cannot apply to the call is refused, never silently ignored. */
    @Test
    void aPlacementThatContradictsTheCallIsRefused() {
        try (JobLoopGroup g = JobLoopGroup.builder().threads(1).name(CoreTestSupport.uniqueName("opts-refuse")).build()) {
            JobOptions confined = JobOptions.builder().placement(JobPlacement.confined(AsyncSelector.shared(), 3)).build();
            JobOptions onLoops = JobOptions.builder().loops(g).build();
            RecordingObserver<String> o = new RecordingObserver<>();
            assertThatThrownBy(() -> AsyncJobs.launch(() -> "x", confined, o))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("runs jobs on job loops").hasMessageContaining("poolSize 3");
            assertThatThrownBy(() -> AsyncJobs.launch(() -> "x", onLoops, Runnable::run, o))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("runs jobs on the confined scheduler or executor given");
            assertThat(g.liveJobs()).isZero();
            assertThat(o.calls).as("the observer is told nothing: the call threw").isEmpty();
        }
    }

    @Test
    void badSizesAreRefusedWithTheValueInTheMessage() {
        assertThatThrownBy(() -> JobPlacement.confined(AsyncSelector.shared(), -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
        assertThatThrownBy(() -> JobLoopGroup.builder().threads(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0");
        assertThatThrownBy(() -> JobLoopGroup.builder().maxJobsPerLoop(-2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-2");
        assertThat(JobPlacement.confined(AsyncSelector.shared(), 0).poolSize()).isZero();
    }

    @Test
    void loopsHaveNamedThreadsRoundRobinAndKnowWhereTheyRun() {
        String name = CoreTestSupport.uniqueName("group-id");
        try (JobLoopGroup g = JobLoopGroup.builder().threads(3).name(name).maxJobsPerLoop(5).build()) {
            assertThat(g.size()).isEqualTo(3);
            Set<JobLoop> seen = new HashSet<>();
            JobLoop first = g.next();
            seen.add(first);
            seen.add(g.next());
            seen.add(g.next());
            assertThat(seen).as("round robin over all loops").hasSize(3);
            assertThat(g.next()).as("and around again").isSameAs(first);
            for (int i = 0; i < 3; i++) {
                JobLoop l = g.loop(i);
                assertThat(l.name()).isEqualTo(name + "-" + i);
                assertThat(l.group()).isSameAs(g);
                assertThat(l.inLoop()).isFalse();
                assertThat(CoreTestSupport.onLoop(l, l::inLoop)).isTrue();
                assertThat(CoreTestSupport.onLoop(l, g::current)).isSameAs(l);
                assertThat(CoreTestSupport.onLoop(l, () -> Thread.currentThread().getName())).isEqualTo(name + "-" + i);
                assertThat(CoreTestSupport.onLoop(l, () -> CoreTestSupport.pool().max))
                        .as("each loop's pool has maxJobsPerLoop").isEqualTo(5);
                assertThat(l.liveJobs()).isZero();
            }
            assertThat(g.current()).as("not on a loop").isNull();
            assertThat(Threads.named(name)).hasSize(3).allMatch(Thread::isDaemon);
        }
        CoreTestSupport.assertNoThreadsLeft(name);
    }
}
