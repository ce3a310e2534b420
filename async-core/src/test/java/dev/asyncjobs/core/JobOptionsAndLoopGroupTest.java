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
        assertThat(d.loops()).isSameAs(JobLoopGroup.shared());
        assertThat(d.selector()).isSameAs(AsyncSelector.shared());
        assertThat(d.poolSize()).isZero();
        assertThat(d.onNoJobs()).isEqualTo(NoJobsPolicy.WAIT);
    }

    @Test
    void builderAndToBuilderMakeIndependentImmutableOptions() {
        try (JobLoopGroup g = JobLoopGroup.builder().threads(1).name(CoreTestSupport.uniqueName("opts")).build();
                AsyncSelector sel = AsyncSelector.open(CoreTestSupport.uniqueName("opts-sel"))) {
            JobOptions.Builder b = JobOptions.builder().loops(g).selector(sel).poolSize(7).onNoJobs(NoJobsPolicy.FAIL);
            JobOptions o = b.build();
            b.poolSize(9).onNoJobs(NoJobsPolicy.WAIT);
            assertThat(o.loops()).isSameAs(g);
            assertThat(o.selector()).isSameAs(sel);
            assertThat(o.poolSize()).as("built options do not follow the builder").isEqualTo(7);
            assertThat(o.onNoJobs()).isEqualTo(NoJobsPolicy.FAIL);
            JobOptions copy = o.toBuilder().poolSize(3).build();
            assertThat(copy.loops()).isSameAs(g);
            assertThat(copy.selector()).isSameAs(sel);
            assertThat(copy.poolSize()).isEqualTo(3);
            assertThat(copy.onNoJobs()).isEqualTo(NoJobsPolicy.FAIL);
            assertThat(o.poolSize()).isEqualTo(7);
        }
    }

    @Test
    void badSizesAreRefusedWithTheValueInTheMessage() {
        assertThatThrownBy(() -> JobOptions.builder().poolSize(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
        assertThatThrownBy(() -> JobLoopGroup.builder().threads(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0");
        assertThatThrownBy(() -> JobLoopGroup.builder().maxJobsPerLoop(-2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-2");
        assertThat(JobOptions.builder().poolSize(0).build().poolSize()).isZero();
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
