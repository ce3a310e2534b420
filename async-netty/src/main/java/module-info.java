/**
 * asyncjobs on Netty's event loops: a job launched on an event loop starts there, inline, and is
 * resumed there ({@link dev.asyncjobs.netty.NettyJobs}). Needs Netty 4.2 (its I/O handle API).
 */
module dev.asyncjobs.netty {
    requires transitive dev.asyncjobs.core;
    requires transitive io.netty.transport;
    requires io.netty.common;
    requires static org.jspecify;

    exports dev.asyncjobs.netty;
}
