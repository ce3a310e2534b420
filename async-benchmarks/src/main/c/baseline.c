/*
 * Native OpenSSL ASYNC_JOB baseline for the asyncjobs benchmark report.
 *
 * Build:  gcc -O2 baseline.c -o target/baseline -lcrypto      (OpenSSL 3, <openssl/async.h>)
 * Run:    target/baseline [--quick|--smoke] [--million] [--no-rss] [--no-pin] [--settle-us N]
 *           --quick      fewer runs/iterations/samples (the whole thing takes ~3 s)
 *           --smoke      tiny counts, only to check the output format (well under a second)
 *           --million    also measure RSS with 1,000,000 paused jobs (~5.5 GB RSS, ~35 GB virtual)
 *           --no-rss     skip the RSS measurements
 *           --no-pin     do not pin the epoll reader and the writer to two different CPUs
 *           --settle-us  busy-wait before each wake-up write once the reader sleeps (default 50)
 *
 * Measures real ASYNC_JOBs (no mocks) and prints one JSON object per line on stdout:
 *   {"type":"env", "openssl_version":..., ...}            first line
 *   {"type":"metric", "metric":..., "unit":..., "median":..., "p25":..., "p75":...,
 *    "min":..., "max":..., "p99":..., "samples":..., ...}  one line per metric
 * Fields that do not apply are null. Progress goes to stderr.
 *
 * Metrics
 *   native.pause_resume_cycle   ns/cycle  one job loops ASYNC_pause_job() N times, the caller loops
 *                                         ASYNC_start_job(); median/spread over several runs.
 *   native.start_finish         ns/job    a job that returns at once, pool pre-initialised with
 *                                         ASYNC_init_thread(); median/spread over several runs.
 *   native.epoll_wake           ns        pipe write -> job resumed: the job registers the pipe's
 *                                         read end as its wait fd and pauses; the main thread sits in
 *                                         epoll_wait, pinned to one CPU; a writer thread pinned to
 *                                         another CPU waits until the main thread is asleep (flag set
 *                                         just before epoll_wait, then /proc/self/task/TID/stat state
 *                                         'S', then a 50 us busy-wait, see settle_us), takes a
 *                                         timestamp and writes one byte; the main thread wakes,
 *                                         resumes the job, and the job takes a timestamp first thing.
 *                                         One sample per wake-up; median and p99 over all samples.
 *   native.rss_per_paused_job_1k / _10k / _100k / _1m
 *                               B/job     VmRSS before and after N jobs are each paused once
 *                                         (in a forked child so each count starts clean).
 *   native.pause_resume_cycle_rr_1k / _10k / _100k / _1m
 *                               ns/cycle  N jobs each loop on ASYNC_pause_job(); the caller resumes
 *                                         them round robin, so each resume touches a cold stack (in
 *                                         a forked child; median/spread over several runs).
 *
 * The raw java.nio.channels.Selector wake latency (the Java-side baseline of the fd-wake target)
 * is not measured here: it is a JMH benchmark in this module; tools/MergeResults.java maps it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/async.h>
#include <openssl/crypto.h>

/* ------------------------------------------------------------------ helpers */

static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "baseline: %s failed: %s\n", what, strerror(errno));
    exit(2);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* nearest-rank percentile of a sorted array, q in [0,1] */
static double pct(const double *sorted, size_t n, double q)
{
    size_t i = (size_t)(q * (double)(n - 1) + 0.5);
    if (i >= n)
        i = n - 1;
    return sorted[i];
}

static void print_num(const char *name, double v, int with_comma)
{
    printf("\"%s\":%.1f%s", name, v, with_comma ? "," : "");
}

/* Prints one metric line from raw values (sorted in place). with_p99: print p99 (else null). */
static void emit(const char *metric, const char *unit, double *v, size_t n, int with_p99,
                 const char *extra_json, const char *description)
{
    qsort(v, n, sizeof(double), cmp_double);
    printf("{\"type\":\"metric\",\"metric\":\"%s\",\"unit\":\"%s\",", metric, unit);
    print_num("median", pct(v, n, 0.5), 1);
    print_num("p25", pct(v, n, 0.25), 1);
    print_num("p75", pct(v, n, 0.75), 1);
    print_num("min", v[0], 1);
    print_num("max", v[n - 1], 1);
    if (with_p99)
        print_num("p99", pct(v, n, 0.99), 1);
    else
        printf("\"p99\":null,");
    printf("\"samples\":%zu,", n);
    if (extra_json != NULL && *extra_json)
        printf("%s,", extra_json);
    printf("\"description\":\"%s\"}\n", description);
    fflush(stdout);
}

static long status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    size_t len = strlen(field);
    long kb = -1;

    if (f == NULL)
        die("fopen /proc/self/status");
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, field, len) == 0 && line[len] == ':') {
            kb = strtol(line + len + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

/* ---------------------------------------------------- pause + resume cycle */

static long cycle_n;

static int pause_loop_job(void *arg)
{
    (void)arg;
    for (long i = 0; i < cycle_n; i++)
        ASYNC_pause_job();
    return 1;
}

static double run_pause_resume(long n)
{
    ASYNC_JOB *job = NULL;
    ASYNC_WAIT_CTX *ctx = ASYNC_WAIT_CTX_new();
    int ret = 0, st;
    uint64_t t0, t1;

    cycle_n = n;
    t0 = now_ns();
    while ((st = ASYNC_start_job(&job, ctx, &ret, pause_loop_job, NULL, 0)) == ASYNC_PAUSE)
        ;
    t1 = now_ns();
    if (st != ASYNC_FINISH || ret != 1) {
        fprintf(stderr, "baseline: pause loop ended with status %d\n", st);
        exit(2);
    }
    ASYNC_WAIT_CTX_free(ctx);
    return (double)(t1 - t0) / (double)n;
}

/* ------------------------------------------------------- start + finish */

static int return_job(void *arg)
{
    (void)arg;
    return 1;
}

static double run_start_finish(long n)
{
    ASYNC_JOB *job = NULL;
    ASYNC_WAIT_CTX *ctx = ASYNC_WAIT_CTX_new();
    int ret = 0;
    uint64_t t0, t1;

    t0 = now_ns();
    for (long i = 0; i < n; i++) {
        if (ASYNC_start_job(&job, ctx, &ret, return_job, NULL, 0) != ASYNC_FINISH) {
            fprintf(stderr, "baseline: start_job did not finish\n");
            exit(2);
        }
    }
    t1 = now_ns();
    ASYNC_WAIT_CTX_free(ctx);
    return (double)(t1 - t0) / (double)n;
}

/* --------------------------------------------- write -> resumed via epoll */

static int wake_rfd, wake_wfd;
static long wake_n;
static uint64_t *t_write, *t_resume;
static _Atomic long armed;          /* i+1 once the main thread is about to epoll_wait for sample i */
static pid_t main_tid;
static int wake_key;                /* its address is the wait-ctx key */
/*
 * Once the reader is asleep the writer busy-waits settle_us more before it writes, so the reader's
 * CPU is really idle. It must busy-wait, not sleep: a writer that wakes from nanosleep() makes the
 * scheduler place the woken reader on the writer's CPU (wake-affine) and preempt the writer, which
 * measures a same-CPU switch (~3 us here) instead of a wake-up of an idle CPU (~21 us here).
 */
static long settle_us = 50;
static int pin = 1;                 /* reader on one CPU, writer on another (when there are two) */
static int cpu_reader = -1, cpu_writer = -1;
static _Atomic long same_cpu;       /* samples where the job resumed on the writer's CPU */
static int *w_cpu;

static int wake_job(void *arg)
{
    ASYNC_WAIT_CTX *w = ASYNC_get_wait_ctx(ASYNC_get_current_job());
    char buf[64];

    (void)arg;
    if (!ASYNC_WAIT_CTX_set_wait_fd(w, &wake_key, wake_rfd, NULL, NULL))
        return 0;
    for (long i = 0; i < wake_n; i++) {
        ASYNC_pause_job();
        t_resume[i] = now_ns();
        if (sched_getcpu() == w_cpu[i])
            atomic_fetch_add_explicit(&same_cpu, 1, memory_order_relaxed);
        while (read(wake_rfd, buf, sizeof buf) > 0)
            ;
    }
    return 1;
}

/* true when the main thread is in state S (sleeping: it can only be in epoll_wait here) */
static int main_sleeping(int statfd)
{
    char buf[512];
    ssize_t k = pread(statfd, buf, sizeof buf - 1, 0);
    char *p;

    if (k <= 0)
        return 0;
    buf[k] = 0;
    p = strrchr(buf, ')');
    return p != NULL && p[1] == ' ' && p[2] == 'S';
}

static void *writer_thread(void *arg)
{
    char path[64];
    int statfd;

    (void)arg;
    if (cpu_writer >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu_writer, &set);
        if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0)
            fprintf(stderr, "baseline: could not pin the writer to CPU %d\n", cpu_writer);
    }
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)main_tid);
    statfd = open(path, O_RDONLY);
    if (statfd < 0)
        die("open task stat");
    for (long i = 0; i < wake_n; i++) {
        while (atomic_load_explicit(&armed, memory_order_acquire) != i + 1)
            ;
        while (!main_sleeping(statfd))
            ;
        if (settle_us > 0) {
            uint64_t until = now_ns() + (uint64_t)settle_us * 1000u;
            while (now_ns() < until)
                ;
        }
        w_cpu[i] = sched_getcpu();
        t_write[i] = now_ns();
        if (write(wake_wfd, "x", 1) != 1)
            die("write");
    }
    close(statfd);
    return NULL;
}

static void run_epoll_wake(long n)
{
    ASYNC_JOB *job = NULL;
    ASYNC_WAIT_CTX *ctx = ASYNC_WAIT_CTX_new();
    int ret = 0, st, ep, p[2];
    size_t nfds = 0, ndel = 0;
    OSSL_ASYNC_FD fds[4], dels[4];
    struct epoll_event ev, evs[4];
    pthread_t writer;
    double *lat;
    char extra[256];
    cpu_set_t saved, set;

    /* pin: the wake-up must cross CPUs, as a completion from another thread/device does; left to
     * the scheduler the reader sometimes shares the writer's CPU and the figure drops to ~3 us */
    sched_getaffinity(0, sizeof saved, &saved);
    if (pin && CPU_COUNT(&saved) >= 2) {
        for (int c = 0; c < CPU_SETSIZE; c++) {
            if (!CPU_ISSET(c, &saved))
                continue;
            if (cpu_reader < 0)
                cpu_reader = c;
            else if (cpu_writer < 0)
                cpu_writer = c;
        }
        CPU_ZERO(&set);
        CPU_SET(cpu_reader, &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0)
            cpu_reader = cpu_writer = -1;
    }

    if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0)
        die("pipe2");
    wake_rfd = p[0];
    wake_wfd = p[1];
    wake_n = n;
    t_write = calloc((size_t)n, sizeof(uint64_t));
    t_resume = calloc((size_t)n, sizeof(uint64_t));
    lat = calloc((size_t)n, sizeof(double));
    w_cpu = calloc((size_t)n, sizeof(int));
    if (t_write == NULL || t_resume == NULL || lat == NULL || w_cpu == NULL)
        die("calloc");
    main_tid = (pid_t)syscall(SYS_gettid);
    atomic_store(&armed, 0);

    st = ASYNC_start_job(&job, ctx, &ret, wake_job, NULL, 0);
    if (st != ASYNC_PAUSE) {
        fprintf(stderr, "baseline: wake job did not pause (%d)\n", st);
        exit(2);
    }
    /* the loop an application runs: watch the fds the job added (nginx/HAProxy style) */
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        die("epoll_create1");
    if (!ASYNC_WAIT_CTX_get_changed_fds(ctx, NULL, &nfds, NULL, &ndel) || nfds == 0 || nfds > 4
        || ndel > 4 || !ASYNC_WAIT_CTX_get_changed_fds(ctx, fds, &nfds, dels, &ndel)) {
        fprintf(stderr, "baseline: job set no wait fd\n");
        exit(2);
    }
    for (size_t i = 0; i < nfds; i++) {
        memset(&ev, 0, sizeof ev);
        ev.events = EPOLLIN;
        ev.data.fd = fds[i];
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) != 0)
            die("epoll_ctl");
    }

    if (pthread_create(&writer, NULL, writer_thread, NULL) != 0)
        die("pthread_create");
    for (long i = 0; i < n; i++) {
        int k;

        atomic_store_explicit(&armed, i + 1, memory_order_release);
        do {
            k = epoll_wait(ep, evs, 4, -1);
        } while (k < 0 && errno == EINTR);
        if (k <= 0)
            die("epoll_wait");
        st = ASYNC_start_job(&job, ctx, &ret, wake_job, NULL, 0);
        if (st != (i + 1 == n ? ASYNC_FINISH : ASYNC_PAUSE)) {
            fprintf(stderr, "baseline: wake job resumed with status %d at %ld\n", st, i);
            exit(2);
        }
    }
    pthread_join(writer, NULL);

    for (long i = 0; i < n; i++)
        lat[i] = (double)(t_resume[i] - t_write[i]);
    snprintf(extra, sizeof extra,
             "\"fd\":\"pipe\",\"waiter\":\"epoll_wait (level-triggered)\",\"settle_us\":%ld,"
             "\"reader_cpu\":%d,\"writer_cpu\":%d,\"same_cpu_samples\":%ld",
             settle_us, cpu_reader, cpu_writer, atomic_load(&same_cpu));
    emit("native.epoll_wake", "ns", lat, (size_t)n, 1, extra,
         "pipe write -> paused ASYNC_JOB resumed by a thread blocked in epoll_wait");

    close(ep);
    close(p[0]);
    close(p[1]);
    ASYNC_WAIT_CTX_free(ctx);
    free(t_write);
    free(t_resume);
    free(lat);
    free(w_cpu);
    if (cpu_reader >= 0)
        sched_setaffinity(0, sizeof saved, &saved);
}

/* ------------------------------------------------ RSS per paused job */

static int pause_once_job(void *arg)
{
    (void)arg;
    ASYNC_pause_job();
    return 1;
}

/* runs in a forked child; writes "rss_bytes_per_job virt_bytes_per_job seconds" to fd */
static void rss_child(long n, int outfd)
{
    ASYNC_JOB **jobs = calloc((size_t)n, sizeof(ASYNC_JOB *));
    /* one wait ctx shared by all jobs: OpenSSL 3.0's ASYNC_pause_job() resets the counts of the
       job's wait ctx after the resume without a NULL check, so a job started with a NULL ctx crashes
       when it is resumed */
    ASYNC_WAIT_CTX *wctx = ASYNC_WAIT_CTX_new();
    int ret;
    long rss0, rss1, vm0, vm1;
    uint64_t t0, t1;
    char msg[128];
    int len;

    if (jobs == NULL || wctx == NULL)
        die("calloc jobs");
    memset(jobs, 0, (size_t)n * sizeof(ASYNC_JOB *)); /* touch it before the first count */
    if (!ASYNC_init_thread(0, 0)) {                    /* unlimited pool */
        fprintf(stderr, "baseline: ASYNC_init_thread(0,0) failed\n");
        _exit(3);
    }
    /* one job started and finished first so one-time per-thread state is not counted */
    {
        ASYNC_JOB *j = NULL;
        ASYNC_start_job(&j, wctx, &ret, return_job, NULL, 0);
    }
    rss0 = status_kb("VmRSS");
    vm0 = status_kb("VmSize");
    t0 = now_ns();
    for (long i = 0; i < n; i++) {
        if (ASYNC_start_job(&jobs[i], wctx, &ret, pause_once_job, NULL, 0) != ASYNC_PAUSE) {
            fprintf(stderr, "baseline: job %ld did not pause\n", i);
            _exit(3);
        }
    }
    t1 = now_ns();
    rss1 = status_kb("VmRSS");
    vm1 = status_kb("VmSize");
    len = snprintf(msg, sizeof msg, "%.1f %.1f %.3f\n",
                   (double)(rss1 - rss0) * 1024.0 / (double)n,
                   (double)(vm1 - vm0) * 1024.0 / (double)n, (double)(t1 - t0) / 1e9);
    if (write(outfd, msg, (size_t)len) != len)
        _exit(4);
    /* resume every job to its end so nothing is abandoned, then free the pool */
    for (long i = 0; i < n; i++)
        if (ASYNC_start_job(&jobs[i], wctx, &ret, pause_once_job, NULL, 0) != ASYNC_FINISH)
            _exit(5);
    ASYNC_cleanup_thread();
    ASYNC_WAIT_CTX_free(wctx);
    _exit(0);
}

static void run_rss(long n, const char *metric)
{
    int p[2], status;
    pid_t pid;
    char buf[128] = {0};
    ssize_t k, got = 0;
    double rss, virt, secs, v[1];
    char extra[160];

    fflush(stdout);
    fflush(stderr);
    if (pipe(p) != 0)
        die("pipe");
    pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(p[0]);
        rss_child(n, p[1]);
    }
    close(p[1]);
    while ((k = read(p[0], buf + got, sizeof buf - 1 - (size_t)got)) > 0)
        got += k;
    close(p[0]);
    waitpid(pid, &status, 0);
    if (got <= 0 || sscanf(buf, "%lf %lf %lf", &rss, &virt, &secs) != 3 || !WIFEXITED(status)
        || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "baseline: RSS child for %ld jobs failed (status %d)\n", n, status);
        return;
    }
    v[0] = rss;
    snprintf(extra, sizeof extra, "\"jobs\":%ld,\"virt_bytes_per_job\":%.1f,\"create_seconds\":%.3f",
             n, virt, secs);
    emit(metric, "B/job", v, 1, 0, extra,
         "VmRSS growth / jobs, each job paused once (fresh forked process, one shared wait ctx)");
}


/* ------------------------------------------- round robin over N paused jobs */

static volatile int rr_stop;

static int rr_loop_job(void *arg)
{
    (void)arg;
    while (!rr_stop)
        ASYNC_pause_job();
    return 1;
}

/* runs in a forked child; writes one "ns_per_cycle" line per run to fd */
static void rr_child(long n, long cycles, int runs, int outfd)
{
    ASYNC_JOB **jobs = calloc((size_t)n, sizeof(ASYNC_JOB *));
    ASYNC_WAIT_CTX *wctx = ASYNC_WAIT_CTX_new(); /* shared, as in rss_child */
    int ret;
    long i = 0;
    char msg[64];
    int len;

    if (jobs == NULL || wctx == NULL || !ASYNC_init_thread(0, 0))
        _exit(3);
    for (long k = 0; k < n; k++) {
        if (ASYNC_start_job(&jobs[k], wctx, &ret, rr_loop_job, NULL, 0) != ASYNC_PAUSE)
            _exit(3);
    }
    for (long k = 0; k < n; k++) /* warm-up: one pass over every job */
        if (ASYNC_start_job(&jobs[k], wctx, &ret, rr_loop_job, NULL, 0) != ASYNC_PAUSE)
            _exit(3);
    for (int r = 0; r < runs; r++) {
        uint64_t t0 = now_ns(), t1;

        for (long c = 0; c < cycles; c++) {
            if (ASYNC_start_job(&jobs[i], wctx, &ret, rr_loop_job, NULL, 0) != ASYNC_PAUSE)
                _exit(3);
            i = i + 1 == n ? 0 : i + 1;
        }
        t1 = now_ns();
        len = snprintf(msg, sizeof msg, "%.3f\n", (double)(t1 - t0) / (double)cycles);
        if (write(outfd, msg, (size_t)len) != len)
            _exit(4);
    }
    rr_stop = 1;
    for (long k = 0; k < n; k++)
        if (ASYNC_start_job(&jobs[k], wctx, &ret, rr_loop_job, NULL, 0) != ASYNC_FINISH)
            _exit(3);
    ASYNC_cleanup_thread();
    ASYNC_WAIT_CTX_free(wctx);
    _exit(0);
}

static void run_rr(long n, long cycles, int runs, const char *metric)
{
    int p[2], status;
    pid_t pid;
    char buf[4096] = {0};
    ssize_t k, got = 0;
    double v[64];
    int nv = 0;
    char extra[128], *line, *save = NULL;

    if (runs > 64)
        runs = 64;
    fflush(stdout);
    fflush(stderr);
    if (pipe(p) != 0)
        die("pipe");
    pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(p[0]);
        rr_child(n, cycles, runs, p[1]);
    }
    close(p[1]);
    while ((k = read(p[0], buf + got, sizeof buf - 1 - (size_t)got)) > 0)
        got += k;
    close(p[0]);
    waitpid(pid, &status, 0);
    for (line = strtok_r(buf, "\n", &save); line != NULL && nv < runs; line = strtok_r(NULL, "\n", &save))
        v[nv++] = atof(line);
    if (nv != runs || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "baseline: round-robin child for %ld jobs failed (status %d)\n", n, status);
        return;
    }
    snprintf(extra, sizeof extra, "\"jobs\":%ld,\"iterations_per_sample\":%ld", n, cycles);
    emit(metric, "ns/cycle", v, (size_t)nv, 0, extra,
         "resume of N paused ASYNC_JOBs round robin (each pauses again); one sample = mean over one run");
}

/* ----------------------------------------------------------------- main */

int main(int argc, char **argv)
{
    int quick = 0, smoke = 0, million = 0, rss = 1;
    int runs;
    long cycles, starts, wakes;
    double *v;
    char extra[128];

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            quick = 1;
        else if (strcmp(argv[i], "--smoke") == 0)
            quick = smoke = 1;
        else if (strcmp(argv[i], "--million") == 0)
            million = 1;
        else if (strcmp(argv[i], "--no-rss") == 0)
            rss = 0;
        else if (strcmp(argv[i], "--no-pin") == 0)
            pin = 0;
        else if (strcmp(argv[i], "--settle-us") == 0 && i + 1 < argc)
            settle_us = atol(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--quick|--smoke] [--million] [--no-rss] [--no-pin] [--settle-us N]\n", argv[0]);
            return 1;
        }
    }
    runs = smoke ? 3 : quick ? 7 : 15;
    cycles = smoke ? 20000 : quick ? 500000 : 2000000;
    starts = smoke ? 20000 : quick ? 500000 : 2000000;
    wakes = smoke ? 200 : quick ? 5000 : 20000;
    if (smoke)
        million = 0;

    printf("{\"type\":\"env\",\"openssl_version\":\"%s\",\"openssl_build_version\":\"%s\","
           "\"compiler\":\"gcc %s\",\"quick\":%s,\"async_capable\":%s}\n",
           OpenSSL_version(OPENSSL_VERSION), OPENSSL_VERSION_TEXT, __VERSION__,
           quick ? "true" : "false", ASYNC_is_capable() ? "true" : "false");
    fflush(stdout);
    if (!ASYNC_is_capable()) {
        fprintf(stderr, "baseline: ASYNC_is_capable() is 0 on this platform\n");
        return 2;
    }

    /* RSS first, in forked children, before this process has grown. */
    if (rss) {
        fprintf(stderr, "baseline: RSS per paused job, 1k/10k/100k jobs\n");
        run_rss(1000, "native.rss_per_paused_job_1k");
        if (!smoke) {
            run_rss(10000, "native.rss_per_paused_job_10k");
            run_rss(100000, "native.rss_per_paused_job_100k");
        }
        if (million) {
            fprintf(stderr, "baseline: RSS per paused job, 1M jobs (~5.5 GB)\n");
            run_rss(1000000, "native.rss_per_paused_job_1m");
        }
    }

    /* round robin over N paused jobs, also in forked children (each needs an unlimited pool) */
    {
        static const long ns[] = {1000, 10000, 100000, 1000000};
        static const char *names[] = {"native.pause_resume_cycle_rr_1k", "native.pause_resume_cycle_rr_10k",
                                      "native.pause_resume_cycle_rr_100k", "native.pause_resume_cycle_rr_1m"};
        int count = smoke ? 1 : million ? 4 : 3;
        for (int k = 0; k < count; k++) {
            long c = smoke ? 20000 : quick ? 300000 : ns[k] > 1000000 / 2 ? 2 * ns[k] : 1000000;
            fprintf(stderr, "baseline: round robin over %ld paused jobs, %d runs x %ld cycles\n", ns[k],
                    quick ? 3 : 7, c);
            run_rr(ns[k], c, quick ? 3 : 7, names[k]);
        }
    }

    if (!ASYNC_init_thread(4, 4)) {
        fprintf(stderr, "baseline: ASYNC_init_thread(4,4) failed\n");
        return 2;
    }
    v = calloc((size_t)runs, sizeof(double));

    fprintf(stderr, "baseline: pause+resume, %d runs x %ld cycles\n", runs, cycles);
    run_pause_resume(cycles); /* warm-up */
    for (int r = 0; r < runs; r++)
        v[r] = run_pause_resume(cycles);
    snprintf(extra, sizeof extra, "\"iterations_per_sample\":%ld", cycles);
    emit("native.pause_resume_cycle", "ns/cycle", v, (size_t)runs, 0, extra,
         "ASYNC_pause_job + ASYNC_start_job(resume); one sample = mean over one run");

    fprintf(stderr, "baseline: start+finish, %d runs x %ld jobs\n", runs, starts);
    run_start_finish(starts); /* warm-up */
    for (int r = 0; r < runs; r++)
        v[r] = run_start_finish(starts);
    snprintf(extra, sizeof extra, "\"iterations_per_sample\":%ld", starts);
    emit("native.start_finish", "ns/job", v, (size_t)runs, 0, extra,
         "ASYNC_start_job of a job that returns at once, pool from ASYNC_init_thread(4,4); "
         "one sample = mean over one run");

    fprintf(stderr, "baseline: write -> resumed via epoll, %ld samples\n", wakes);
    run_epoll_wake(wakes);

    free(v);
    ASYNC_cleanup_thread();
    return 0;
}
