/**
 * asyncjobs for RxJava 3: a pausable job becomes a {@code Single}, {@code Maybe}, {@code
 * Completable} or a {@code Flowable} stage, and the job loops become an RxJava {@code Scheduler}.
 * A thin shell over {@code dev.asyncjobs.core.AsyncJobs#launch}.
 */
module dev.asyncjobs.rxjava {
    requires transitive dev.asyncjobs.core;
    requires transitive io.reactivex.rxjava3;
    requires static transitive org.jspecify; // @Nullable is part of the exported signatures

    exports dev.asyncjobs.rxjava;
}
