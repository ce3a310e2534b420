package dev.asyncjobs.spring.boot;

import dev.asyncjobs.spring.boot.AsyncJobsProperties.Placement;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches when {@code asyncjobs.placement} is {@code event-loop}, bound as the enum the properties
 * bind (so every spelling Spring accepts for it matches, as {@code event-loop}, {@code EVENT_LOOP} or
 * {@code eventLoop}; a string compare in {@code @ConditionalOnProperty} would miss some).
 */
final class OnEventLoopPlacement extends SpringBootCondition {

    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
        Placement p = Binder.get(context.getEnvironment()).bind("asyncjobs.placement", Placement.class)
                .orElse(Placement.LOOPS);
        return p == Placement.EVENT_LOOP ? ConditionOutcome.match("asyncjobs.placement is event-loop")
                : ConditionOutcome.noMatch("asyncjobs.placement is " + p);
    }
}
