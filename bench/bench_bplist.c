/*
 * bench_bplist.c -- times acar's binary plist reader and writer against
 * CPython's plistlib and (when built with it) libplist.
 *
 *   bench_bplist [--python PY] [--repeat N] [--min-time S] [--cpu N] FILE.bplist...
 *
 * For each file, with the public API only:
 *   read   acar_doc_new + acar_read + acar_doc_free
 *   write  acar_write (sort_keys=True) into a fresh buffer, then free it;
 *          the bytes must equal plistlib.dumps(plistlib.loads(FILE))
 *          (checked when --python is given: the input files are made by
 *          plistlib, so for them the output must equal the input)
 * and the same for libplist (plist_from_bin + plist_free, plist_to_bin +
 * free) when HAVE_LIBPLIST is defined, and for plistlib.loads /
 * plistlib.dumps(fmt=FMT_BINARY) run by PY (timeit's autorange, best of
 * --repeat).  Each C measurement runs batches of `number` calls, number
 * grown 1, 2, 5, 10, ... until a batch takes --min-time seconds; the result
 * is the fastest batch of --repeat divided by number (noise only adds).
 * Every time is the process's CPU time (Python's too: timeit with
 * time.process_time), so a busy machine skews the ratios less.
 *
 * Output: a table on stdout, one line per file, times in microseconds and
 * the ratio of the other reader/writer to acar (above 1: acar is faster).
 * Exit status 1 when a file fails to read or write or acar's bytes differ
 * from the input, 2 on usage or I/O errors.
 */
/* POSIX, and sched_setaffinity: Linux (bench_child.h). */
#define _GNU_SOURCE

#include "acar.h"
#include "bench_child.h"
#include "bench_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef HAVE_LIBPLIST
#include <plist/plist.h>
#endif

typedef struct opts {
    int repeat;
    double min_time;
    const char *python;
} opts;

/* CPU time of this process: on a shared machine wall time mostly measures
 * the other processes. */
static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef int (*bench_fn)(void *ctx);

/* Best seconds per call: autorange the batch size, then the fastest batch. */
static double best(const opts *o, bench_fn fn, void *ctx) {
    static const long steps[] = {1, 2, 5};
    long number = 1;
    for (int k = 0;; k++) {
        number = steps[k % 3];
        for (int e = 0; e < k / 3; e++) number *= 10;
        double t0 = now_s();
        for (long i = 0; i < number; i++)
            if (fn(ctx) != 0) return -1;
        if (now_s() - t0 >= o->min_time || number >= 100000000L) break;
    }
    double bestt = 1e300;
    for (int r = 0; r < o->repeat; r++) {
        double t0 = now_s();
        for (long i = 0; i < number; i++)
            if (fn(ctx) != 0) return -1;
        double t = (now_s() - t0) / (double)number;
        if (t < bestt) bestt = t;
    }
    return bestt;
}

typedef struct input {
    const unsigned char *data;
    size_t len;
    acar_val *root;       /* for the write benchmark */
#ifdef HAVE_LIBPLIST
    plist_t plist;
#endif
} input;

static int acar_read_once(void *ctx) {
    input *in = ctx;
    acar_doc *doc = acar_doc_new(NULL);
    acar_read_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.format = ACAR_FORMAT_BPLIST;
    acar_err err;
    acar_val *v = doc ? acar_read(doc, in->data, in->len, &ro, &err) : NULL;
    acar_doc_free(doc);
    return v ? 0 : -1;
}

static int acar_write_once(void *ctx) {
    input *in = ctx;
    acar_buf out = {0};
    acar_err err;
    int rc = acar_write(in->root, ACAR_FORMAT_BPLIST, NULL, &out, &err);
    acar_buf_free(&out);
    return rc;
}

#ifdef HAVE_LIBPLIST
static int plist_read_once(void *ctx) {
    input *in = ctx;
    plist_t p = NULL;
    plist_from_bin((const char *)in->data, (uint32_t)in->len, &p);
    if (!p) return -1;
    plist_free(p);
    return 0;
}

static int plist_write_once(void *ctx) {
    input *in = ctx;
    char *bin = NULL;
    uint32_t n = 0;
    plist_to_bin(in->plist, &bin, &n);
    if (!bin) return -1;
    free(bin);
    return 0;
}
#endif

/* plistlib's best seconds per loads and dumps, run by python. */
static int python_times(const opts *o, const char *path, double *rd, double *wr) {
    char cmd[4096];
    int n = snprintf(cmd, sizeof cmd,
                     "%s -c \"import plistlib, sys, time, timeit\n"
                     "d = open(sys.argv[1], 'rb').read()\n"
                     "v = plistlib.loads(d)\n"
                     "def t(f):\n"
                     "    t = timeit.Timer(f, timer=time.process_time)\n"
                     "    num, _ = t.autorange()\n"
                     "    return min(t.repeat(%d, num)) / num\n"
                     "print(t(lambda: plistlib.loads(d)), t(lambda: plistlib.dumps(v, fmt=plistlib.FMT_BINARY)))\n"
                     "\" '%s'",
                     o->python, o->repeat, path);
    if (n < 0 || (size_t)n >= sizeof cmd) return -1;
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    int got = fscanf(p, "%lf %lf", rd, wr);
    int rc = pclose(p);
    return got == 2 && rc == 0 ? 0 : -1;
}

static void ratio(double other, double mine) {
    if (other > 0 && mine > 0) printf(" %8.1fx", other / mine);
    else printf(" %9s", "-");
}

int main(int argc, char **argv) {
    opts o = {5, 0.05, NULL};
    int status = 0, first = 1, cpu = -1;
    for (; first < argc && argv[first][0] == '-'; first++) {
        if (strcmp(argv[first], "--python") == 0 && first + 1 < argc) o.python = argv[++first];
        else if (strcmp(argv[first], "--repeat") == 0 && first + 1 < argc) o.repeat = atoi(argv[++first]);
        else if (strcmp(argv[first], "--min-time") == 0 && first + 1 < argc) o.min_time = atof(argv[++first]);
        else if (strcmp(argv[first], "--cpu") == 0 && first + 1 < argc) cpu = atoi(argv[++first]);
        else {
            fprintf(stderr, "usage: bench_bplist [--python PY] [--repeat N] [--min-time S] [--cpu N] FILE...\n");
            return 2;
        }
    }
    if (o.repeat < 1) o.repeat = 1;
    if (bench_child_setup("bench_bplist", cpu) == -2) return 2; /* before CPython starts */
    printf("%-32s %9s | %9s %9s %9s %9s | %9s %9s %9s %9s\n", "file (times in us)", "KiB", "acar rd",
           "plistlib", "libplist", "", "acar wr", "plistlib", "libplist", "");
    printf("%-32s %9s | %9s %9s %9s %9s | %9s %9s %9s %9s\n", "", "", "", "/acar", "/acar", "", "", "/acar",
           "/acar", "");
    for (int i = first; i < argc; i++) {
        const char *path = argv[i];
        input in;
        memset(&in, 0, sizeof in);
        unsigned char *data = (unsigned char *)bench_read_file(path, &in.len, 1);
        if (!data) {
            fprintf(stderr, "bench_bplist: %s: %s\n", path, strerror(errno ? errno : EIO));
            return 2;
        }
        in.data = data;
        acar_doc *doc = acar_doc_new(NULL);
        acar_read_opts ro;
        memset(&ro, 0, sizeof ro);
        ro.format = ACAR_FORMAT_BPLIST;
        acar_err err;
        in.root = doc ? acar_read(doc, in.data, in.len, &ro, &err) : NULL;
        if (!in.root) {
            fprintf(stderr, "bench_bplist: %s: offset %zu: %s\n", path, err.offset, err.msg);
            status = 1;
            acar_doc_free(doc);
            free(data);
            continue;
        }
        acar_buf out = {0};
        if (acar_write(in.root, ACAR_FORMAT_BPLIST, NULL, &out, &err) != 0 || out.len != in.len ||
            memcmp(out.data, in.data, in.len) != 0) {
            fprintf(stderr, "bench_bplist: %s: acar's bytes differ from the input\n", path);
            status = 1;
        }
        acar_buf_free(&out);
        double ar = best(&o, acar_read_once, &in), aw = best(&o, acar_write_once, &in);
        double pr = -1, pw = -1, lr = -1, lw = -1;
        if (o.python && python_times(&o, path, &pr, &pw) < 0)
            fprintf(stderr, "bench_bplist: %s: timing plistlib failed\n", path);
#ifdef HAVE_LIBPLIST
        plist_from_bin((const char *)in.data, (uint32_t)in.len, &in.plist);
        if (in.plist) {
            lr = best(&o, plist_read_once, &in);
            lw = best(&o, plist_write_once, &in);
            plist_free(in.plist);
        }
#endif
        const char *base = strrchr(path, '/');
        printf("%-32s %9.1f | %9.1f", base ? base + 1 : path, (double)in.len / 1024, ar * 1e6);
        ratio(pr, ar);
        ratio(lr, ar);
        printf(" %9s | %9.1f", "", aw * 1e6);
        ratio(pw, aw);
        ratio(lw, aw);
        printf("\n");
        fflush(stdout);
        acar_doc_free(doc);
        free(data);
    }
    return status;
}
