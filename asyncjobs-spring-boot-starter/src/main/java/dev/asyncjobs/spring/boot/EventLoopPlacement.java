package dev.asyncjobs.spring.boot;

import dev.asyncjobs.core.JobOptions;

/**
 * Turns the starter's options on the job loops into options on the event loop that subscribes,
 * else those loops: {@code NettyJobs::preferEventLoop}. A type of the starter's own, so that the
 * classes that refer to it load without async-netty.
 */
@FunctionalInterface
interface EventLoopPlacement {
    /**
     * {@code onLoops} with jobs on the current event loop.
     *
     * @param onLoops the options on the starter's job loops (the fallback) and the policy
     * @param maxJobs the pool size of each event loop, 0 for no limit
     * @return the new options
     */
    JobOptions preferEventLoop(JobOptions onLoops, int maxJobs);
}
