/**
 * Test helpers shared by every module's tests, in place of the copies each module used to keep:
 * {@link dev.asyncjobs.testsupport.Fds} (open file descriptors), {@link dev.asyncjobs.testsupport.Threads}
 * (live platform threads), {@link dev.asyncjobs.testsupport.Await} (condition waits with a deadline),
 * {@link dev.asyncjobs.testsupport.Racer} (actions started at the same instant, round after round),
 * {@link dev.asyncjobs.testsupport.Pipes} and {@link dev.asyncjobs.testsupport.Jvms} (a {@code main} in a
 * JVM of its own, with flags of its own).
 *
 * <p>Conventions: plain JDK (no JUnit, no AssertJ, no asyncjobs), so async-core's own tests can use it
 * and so can a module on another JUnit; a failed wait or check throws {@link java.lang.AssertionError}
 * with what was waited for and what was found; every wait has a deadline the caller gives (a test
 * never hangs on a helper); nothing here sleeps a fixed time.
 */
package dev.asyncjobs.testsupport;
