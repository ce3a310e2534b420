/*
 * Differential-test driver: runs wait-ctx scripts inside real OpenSSL ASYNC_JOBs and prints a
 * normalized trace that OpenSslDifferentialTest compares with the Java port's trace.
 *
 * Input (stdin): one script per line; blank lines and lines starting with '#' are ignored.
 * A script is a whitespace-separated list of ops, executed in order by the job:
 *   set K     ASYNC_WAIT_CTX_set_wait_fd(ctx, &keys[K], <read end of a fresh pipe>, rec, cleanup)
 *   clear K   ASYNC_WAIT_CTX_clear_fd(ctx, &keys[K])
 *   getfd K   ASYNC_WAIT_CTX_get_fd(ctx, &keys[K], &fd, &custom)
 *   dup K     ASYNC_WAIT_CTX_set_wait_fd(ctx, &keys[K], <read end of the newest pipe>, NULL, NULL):
 *             the same fd under a second entry, no custom data, no cleanup (a "set" if no pipe yet)
 *   list      get_all_fds + get_changed_fds, seen from inside the job
 *   pause     ASYNC_pause_job()
 *   newjob    the job returns; the caller starts a new job on the same ctx for the rest
 *   mset K, mclear K, mgetfd K, mlist, mdup K
 *             the same calls made by the caller ("main"): before each ASYNC_start_job the caller
 *             runs the m-ops found at the script position (so those right after a pause or a
 *             newjob, or at the start); an m-op met by a running job is run by the job
 * K is a key index 0..9. The job returns the number of ops it executed.
 *
 * Output: for each script
 *   script <ops, normalized>
 *   <one line per op as it runs: in the job; prefixed "main " when run by the caller>
 *   start -> PAUSE|FINISH ret=N all=[..] added=[..] deleted=[..]    (after each ASYNC_start_job)
 *   free cleanups=[..]                                               (ASYNC_WAIT_CTX_free)
 *   end
 * File descriptors are printed as labels "K.n": the pipe made by the n-th "set K" of the script.
 * Label lists are in the order the calls return them, cleanups in the order they ran (OpenSSL:
 * newest entry first; the Java port keeps that order, and the test holds it to it).
 *
 * Build: gcc -O1 -o wait_ctx_script wait_ctx_script.c -lcrypto
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/async.h>
#include <openssl/crypto.h>

#define MAXKEYS 10
#define MAXOPS 1024
#define MAXPIPES 1024
#define LABELLEN 16

enum {
    OP_SET, OP_CLEAR, OP_GETFD, OP_LIST, OP_DUP, OP_PAUSE, OP_NEWJOB,
    OP_MSET, OP_MCLEAR, OP_MGETFD, OP_MLIST, OP_MDUP /* same order as the first five */
};

#define IS_MAIN_OP(kind) ((kind) >= OP_MSET)
/* the ctx call an op makes: mset -> set, etc. */
#define BASE_KIND(kind) (IS_MAIN_OP(kind) ? (kind) - OP_MSET : (kind))

struct op {
    int kind;
    int key;
};

struct pipe_rec {
    int rfd;
    int wfd;
    int key;
    int cleanups; /* times the cleanup ran for this pipe */
    int closed;
    char label[LABELLEN];
};

static int keys[MAXKEYS];
static struct op ops[MAXOPS];
static int nops;
static int pc;
static int want_new_job;
static struct pipe_rec pipes[MAXPIPES];
static int npipes;
static int setcount[MAXKEYS];
static char cleaned[MAXPIPES][LABELLEN + 16];
static int ncleaned;

static const char *label_of_fd(OSSL_ASYNC_FD fd)
{
    static char unknown[32];
    int i;

    for (i = 0; i < npipes; i++)
        if (!pipes[i].closed && pipes[i].rfd == fd)
            return pipes[i].label;
    snprintf(unknown, sizeof(unknown), "?fd%d", (int)fd);
    return unknown;
}

/* Prints "name=[a,b,c]" with the labels of fds, in the given order. */
static void print_fds(const char *name, OSSL_ASYNC_FD *fds, size_t n)
{
    size_t i;

    printf("%s=[", name);
    for (i = 0; i < n; i++)
        printf("%s%s", i == 0 ? "" : ",", label_of_fd(fds[i]));
    printf("]");
}

static void print_ctx_state(ASYNC_WAIT_CTX *ctx)
{
    OSSL_ASYNC_FD *all, *added, *deleted;
    size_t nall = 0, nadded = 0, ndeleted = 0;

    if (!ASYNC_WAIT_CTX_get_all_fds(ctx, NULL, &nall)
            || !ASYNC_WAIT_CTX_get_changed_fds(ctx, NULL, &nadded, NULL, &ndeleted)) {
        printf(" error");
        return;
    }
    all = calloc(nall + 1, sizeof(*all));
    added = calloc(nadded + 1, sizeof(*added));
    deleted = calloc(ndeleted + 1, sizeof(*deleted));
    if (all == NULL || added == NULL || deleted == NULL) {
        printf(" oom\n");
        exit(2);
    }
    ASYNC_WAIT_CTX_get_all_fds(ctx, all, &nall);
    ASYNC_WAIT_CTX_get_changed_fds(ctx, added, &nadded, deleted, &ndeleted);
    printf(" ");
    print_fds("all", all, nall);
    printf(" ");
    print_fds("added", added, nadded);
    printf(" ");
    print_fds("deleted", deleted, ndeleted);
    free(all);
    free(added);
    free(deleted);
}

static void cleanup(ASYNC_WAIT_CTX *ctx, const void *key, OSSL_ASYNC_FD r, void *custom)
{
    struct pipe_rec *rec = custom;
    int keyidx = (int)((const int *)key - keys);

    (void)ctx;
    /* a mismatch between what was set and what the cleanup receives shows up in the label */
    snprintf(cleaned[ncleaned++ % MAXPIPES], LABELLEN + 16, "%s%s%s", rec->label,
             keyidx == rec->key ? "" : "!key", r == rec->rfd ? "" : "!fd");
    rec->cleanups++;
    if (!rec->closed) {
        close(rec->rfd);
        close(rec->wfd);
        rec->closed = 1;
    }
}

/* set / clear / getfd / list on ctx; prefix is "" in the job, "main " in the caller */
static void exec_ctx_op(ASYNC_WAIT_CTX *ctx, const struct op *o, const char *prefix)
{
    const void *key = &keys[o->key];

    switch (BASE_KIND(o->kind)) {
    case OP_DUP:
        if (npipes > 0) {
            struct pipe_rec *rec = &pipes[npipes - 1];

            printf("%sdup %d -> %d %s\n", prefix, o->key,
                   ASYNC_WAIT_CTX_set_wait_fd(ctx, key, rec->rfd, NULL, NULL), rec->label);
            break;
        }
        /* no pipe yet: a plain set */
        /* fall through */
    case OP_SET: {
        int fds[2];
        struct pipe_rec *rec;
        int rc;

        if (npipes >= MAXPIPES || pipe(fds) != 0) {
            printf("%sset %d -> pipe failed\n", prefix, o->key);
            exit(2);
        }
        rec = &pipes[npipes++];
        rec->rfd = fds[0];
        rec->wfd = fds[1];
        rec->key = o->key;
        rec->cleanups = 0;
        rec->closed = 0;
        snprintf(rec->label, LABELLEN, "%d.%d", o->key, ++setcount[o->key]);
        rc = ASYNC_WAIT_CTX_set_wait_fd(ctx, key, rec->rfd, rec, cleanup);
        printf("%sset %d -> %d %s\n", prefix, o->key, rc, rec->label);
        break;
    }
    case OP_CLEAR:
        printf("%sclear %d -> %d\n", prefix, o->key, ASYNC_WAIT_CTX_clear_fd(ctx, key));
        break;
    case OP_GETFD: {
        OSSL_ASYNC_FD fd = -1;
        void *custom = NULL;

        if (ASYNC_WAIT_CTX_get_fd(ctx, key, &fd, &custom))
            printf("%sgetfd %d -> %s custom=%s\n", prefix, o->key, label_of_fd(fd),
                   custom == NULL ? "null" : ((struct pipe_rec *)custom)->label);
        else
            printf("%sgetfd %d -> none\n", prefix, o->key);
        break;
    }
    case OP_LIST:
        printf("%slist", prefix);
        print_ctx_state(ctx);
        printf("\n");
        break;
    }
}

static int jobfunc(void *arg)
{
    ASYNC_JOB *job = ASYNC_get_current_job();
    ASYNC_WAIT_CTX *ctx;
    int executed = 0;

    (void)arg;
    if (job == NULL) {
        printf("no current job\n");
        return -1;
    }
    ctx = ASYNC_get_wait_ctx(job);
    while (pc < nops) {
        struct op *o = &ops[pc++];

        executed++;
        switch (o->kind) {
        case OP_PAUSE:
            printf("pause\n");
            printf("resumed %d\n", ASYNC_pause_job());
            break;
        case OP_NEWJOB:
            printf("newjob\n");
            want_new_job = 1;
            return executed;
        default:
            exec_ctx_op(ctx, o, "");
        }
    }
    return executed;
}

static const char *op_name(int kind)
{
    switch (kind) {
    case OP_SET: return "set";
    case OP_CLEAR: return "clear";
    case OP_GETFD: return "getfd";
    case OP_LIST: return "list";
    case OP_PAUSE: return "pause";
    case OP_NEWJOB: return "newjob";
    case OP_MSET: return "mset";
    case OP_MCLEAR: return "mclear";
    case OP_MGETFD: return "mgetfd";
    case OP_MLIST: return "mlist";
    case OP_DUP: return "dup";
    case OP_MDUP: return "mdup";
    }
    return "?";
}

/* Returns 0 when the line holds a script, -1 for a syntax error (message printed). */
static int parse(char *line)
{
    char *tok = strtok(line, " \t\r\n");

    nops = 0;
    while (tok != NULL) {
        struct op o;
        int takes_key = 1;

        if (strcmp(tok, "set") == 0) {
            o.kind = OP_SET;
        } else if (strcmp(tok, "clear") == 0) {
            o.kind = OP_CLEAR;
        } else if (strcmp(tok, "getfd") == 0) {
            o.kind = OP_GETFD;
        } else if (strcmp(tok, "list") == 0) {
            o.kind = OP_LIST;
            takes_key = 0;
        } else if (strcmp(tok, "pause") == 0) {
            o.kind = OP_PAUSE;
            takes_key = 0;
        } else if (strcmp(tok, "newjob") == 0) {
            o.kind = OP_NEWJOB;
            takes_key = 0;
        } else if (strcmp(tok, "mset") == 0) {
            o.kind = OP_MSET;
        } else if (strcmp(tok, "mclear") == 0) {
            o.kind = OP_MCLEAR;
        } else if (strcmp(tok, "mgetfd") == 0) {
            o.kind = OP_MGETFD;
        } else if (strcmp(tok, "dup") == 0) {
            o.kind = OP_DUP;
        } else if (strcmp(tok, "mdup") == 0) {
            o.kind = OP_MDUP;
        } else if (strcmp(tok, "mlist") == 0) {
            o.kind = OP_MLIST;
            takes_key = 0;
        } else {
            printf("syntax error: unknown op '%s'\n", tok);
            return -1;
        }
        o.key = 0;
        if (takes_key) {
            char *end;
            long k;

            tok = strtok(NULL, " \t\r\n");
            if (tok == NULL) {
                printf("syntax error: %s needs a key\n", op_name(o.kind));
                return -1;
            }
            k = strtol(tok, &end, 10);
            if (*end != '\0' || k < 0 || k >= MAXKEYS) {
                printf("syntax error: bad key '%s'\n", tok);
                return -1;
            }
            o.key = (int)k;
        }
        if (nops >= MAXOPS) {
            printf("syntax error: too many ops\n");
            return -1;
        }
        ops[nops++] = o;
        tok = strtok(NULL, " \t\r\n");
    }
    return 0;
}

static void run_script(void)
{
    ASYNC_WAIT_CTX *ctx = ASYNC_WAIT_CTX_new();
    ASYNC_JOB *job = NULL;
    int i;

    printf("script");
    for (i = 0; i < nops; i++) {
        printf(" %s", op_name(ops[i].kind));
        int base = BASE_KIND(ops[i].kind);

        if (base == OP_SET || base == OP_CLEAR || base == OP_GETFD || base == OP_DUP)
            printf(" %d", ops[i].key);
    }
    printf("\n");
    if (ctx == NULL) {
        printf("ASYNC_WAIT_CTX_new failed\n");
        exit(2);
    }
    pc = 0;
    npipes = 0;
    ncleaned = 0;
    memset(setcount, 0, sizeof(setcount));

    for (;;) {
        int ret = 0;
        int rc;

        while (pc < nops && IS_MAIN_OP(ops[pc].kind))
            exec_ctx_op(ctx, &ops[pc++], "main ");
        want_new_job = 0;
        rc = ASYNC_start_job(&job, ctx, &ret, jobfunc, NULL, 0);
        switch (rc) {
        case ASYNC_PAUSE:
            printf("start -> PAUSE");
            break;
        case ASYNC_FINISH:
            printf("start -> FINISH ret=%d", ret);
            break;
        case ASYNC_ERR:
            printf("start -> ERR");
            break;
        case ASYNC_NO_JOBS:
            printf("start -> NO_JOBS");
            break;
        default:
            printf("start -> %d", rc);
        }
        print_ctx_state(ctx);
        printf("\n");
        if (rc == ASYNC_PAUSE)
            continue;
        if (rc == ASYNC_FINISH && want_new_job) {
            job = NULL;
            continue;
        }
        break;
    }

    ASYNC_WAIT_CTX_free(ctx);
    printf("free cleanups=[");
    for (i = 0; i < ncleaned && i < MAXPIPES; i++)
        printf("%s%s", i == 0 ? "" : ",", cleaned[i]);
    printf("]\n");
    /* cleared entries never get their cleanup: close their pipes here */
    for (i = 0; i < npipes; i++) {
        if (!pipes[i].closed) {
            close(pipes[i].rfd);
            close(pipes[i].wfd);
            pipes[i].closed = 1;
        }
    }
    printf("end\n");
}

int main(void)
{
    static char line[65536];
    int i;

    for (i = 0; i < MAXKEYS; i++)
        keys[i] = i;
    while (fgets(line, sizeof(line), stdin) != NULL) {
        char *p = line;

        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#' || *p == '\n' || *p == '\r' || *p == '\0')
            continue;
        if (parse(p) != 0)
            return 1;
        run_script();
    }
    fflush(stdout);
    ASYNC_cleanup_thread();
    return 0;
}
