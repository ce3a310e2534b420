package dev.asyncjobs.spring.boot;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Says what to do when {@code asyncjobs.placement=event-loop} is set without async-netty: Spring
 * Boot prints it instead of the stack trace ({@code META-INF/spring.factories}).
 */
final class EventLoopPlacementFailureAnalyzer extends AbstractFailureAnalyzer<EventLoopPlacementUnavailableException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, EventLoopPlacementUnavailableException cause) {
        return new FailureAnalysis("asyncjobs.placement is event-loop: jobs should run on the Netty event loop"
                + " that took the request, but async-netty is not on the class path ("
                + EventLoopPlacementUnavailableException.CLASS + " was not found).",
                "Add the dependency " + EventLoopPlacementUnavailableException.ARTIFACT
                        + " (version managed by dev.asyncjobs:asyncjobs-bom), or set asyncjobs.placement=loops"
                        + " to run the jobs on the starter's job loops.",
                cause);
    }
}
