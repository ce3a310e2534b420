package dev.asyncjobs.spring.boot;

import java.io.Serial;

/**
 * {@code asyncjobs.placement=event-loop} without async-netty on the class path. Thrown when the
 * options are made, so the application does not start (and {@link EventLoopPlacementFailureAnalyzer}
 * says what to do) instead of quietly running its jobs on the job loops.
 */
final class EventLoopPlacementUnavailableException extends IllegalStateException {
    /** The artifact that holds the event-loop placement. */
    static final String ARTIFACT = "dev.asyncjobs:async-netty";
    /** Its class the starter looks for. */
    static final String CLASS = "dev.asyncjobs.netty.NettyJobs";

    @Serial
    private static final long serialVersionUID = 1L;

    EventLoopPlacementUnavailableException() {
        super("asyncjobs.placement=event-loop runs jobs on Netty's event loops, which needs " + ARTIFACT
                + " on the class path (" + CLASS + " was not found): add that dependency, or set"
                + " asyncjobs.placement=loops for the job loops");
    }
}
