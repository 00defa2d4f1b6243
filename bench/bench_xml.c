/*
 * bench_xml.c -- times acar's XML-RPC and XML plist readers and writers.
 *
 *   bench_xml [--repeat N] [--min-time S] xmlrpc|plist FILE...
 *
 * Each FILE is a document CPython wrote (xmlrpc.client.dumps /
 * plistlib.dumps).  With the public API only it measures
 *   read   acar_doc_new + acar_read + acar_doc_free
 *   write  acar_write of the document read into a fresh acar_buf (freed)
 * in batches of `number` calls chosen as timeit.autorange does (a batch
 * takes at least --min-time seconds), the fastest of --repeat batches
 * divided by `number`, on CLOCK_MONOTONIC, and checks that the bytes
 * written equal the file.  Built with libplist (HAVE_LIBPLIST, bench only)
 * it times plist_from_xml + plist_free and plist_to_xml on plist files too.
 *
 * Output: one JSON object per file on stdout.  Exit status 1 when a file
 * does not read or write back the same, 2 on usage or I/O errors.
 */
#define _POSIX_C_SOURCE 200809L

#include "acar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef HAVE_LIBPLIST
#include <plist/plist.h>
#endif

static double clock_s(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double now(void) { return clock_s(CLOCK_MONOTONIC); }
static double cpu(void) { return clock_s(CLOCK_THREAD_CPUTIME_ID); }

typedef struct job {
    acar_format fmt;
    const char *data;
    size_t len;
    acar_doc *doc;     /* write: the document read once */
    acar_val *root;
    acar_write_opts wo;
    int ok;
} job;

typedef void (*fn)(job *j);

static void do_read(job *j) {
    acar_doc *doc = acar_doc_new(NULL);
    acar_read_opts ro = {0};
    acar_err err;
    ro.format = j->fmt;
    if (!acar_read(doc, j->data, j->len, &ro, &err)) j->ok = 0;
    acar_doc_free(doc);
}

static void do_write(job *j) {
    acar_buf b = {0};
    acar_err err;
    if (acar_write(j->root, j->fmt, &j->wo, &b, &err) != 0) j->ok = 0;
    acar_buf_free(&b);
}

#ifdef HAVE_LIBPLIST
static void do_lp_read(job *j) {
    plist_t p = NULL;
    plist_from_xml(j->data, (uint32_t)j->len, &p);
    if (!p) j->ok = 0;
    plist_free(p);
}

static plist_t lp_root;

static void do_lp_write(job *j) {
    char *x = NULL;
    uint32_t n = 0;
    plist_to_xml(lp_root, &x, &n);
    if (!x) j->ok = 0;
    free(x);
}
#endif

/* Seconds per call: fastest batch of `repeat`, batches of >= min_time;
 * *cpu_best: the fastest batch in this thread's CPU time (on a loaded
 * machine wall time runs well above it). */
static double timeit(fn f, job *j, int repeat, double min_time, double *cpu_best) {
    long number = 1;
    for (;;) {
        double t0 = now();
        for (long i = 0; i < number; i++) f(j);
        double t = now() - t0;
        if (t >= min_time) break;
        number *= t > 0 && min_time / t < 10 ? 2 : 10;
    }
    double best = 1e30;
    *cpu_best = 1e30;
    for (int r = 0; r < repeat; r++) {
        double t0 = now(), c0 = cpu();
        for (long i = 0; i < number; i++) f(j);
        double t = (now() - t0) / (double)number, c = (cpu() - c0) / (double)number;
        if (t < best) best = t;
        if (c < *cpu_best) *cpu_best = c;
    }
    return best;
}

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    for (;;) {
        if (!b) break;
        n += fread(b + n, 1, cap - n, f);
        if (n < cap) break;
        char *nb = realloc(b, cap * 2);
        if (!nb) {
            free(b);
            b = NULL;
            break;
        }
        b = nb;
        cap *= 2;
    }
    fclose(f);
    *len = n;
    return b;
}

int main(int argc, char **argv) {
    int repeat = 5, i = 1, status = 0;
    double min_time = 0.2;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--repeat") && i + 1 < argc) repeat = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--min-time") && i + 1 < argc) min_time = atof(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_xml [--repeat N] [--min-time S] xmlrpc|plist FILE...\n");
            return 2;
        }
    }
    if (i + 1 >= argc) {
        fprintf(stderr, "usage: bench_xml [--repeat N] [--min-time S] xmlrpc|plist FILE...\n");
        return 2;
    }
    acar_format fmt = acar_format_from_name(argv[i++]);
    if (fmt != ACAR_FORMAT_XMLRPC && fmt != ACAR_FORMAT_PLIST) {
        fprintf(stderr, "bench_xml: format must be xmlrpc or plist\n");
        return 2;
    }
    for (; i < argc; i++) {
        job j;
        memset(&j, 0, sizeof j);
        j.fmt = fmt;
        j.ok = 1;
        j.data = slurp(argv[i], &j.len);
        if (!j.data) {
            fprintf(stderr, "bench_xml: cannot read %s\n", argv[i]);
            return 2;
        }
        j.doc = acar_doc_new(NULL);
        acar_read_opts ro = {0};
        acar_err err;
        ro.format = fmt;
        j.root = acar_read(j.doc, j.data, j.len, &ro, &err);
        int same = 0;
        if (j.root) {
            if (ro.xmlrpc_kind == ACAR_XMLRPC_CALL) j.wo.method = acar_str(ro.method, NULL);
            if (ro.xmlrpc_kind == ACAR_XMLRPC_RESPONSE && j.len > 6 && !memcmp(j.data, "<?xml", 5))
                j.wo.flags |= ACAR_WRITE_RESPONSE;
            if (ro.xmlrpc_kind == ACAR_XMLRPC_FAULT) j.wo.flags |= ACAR_WRITE_FAULT;
            j.wo.flags |= ACAR_WRITE_ALLOW_NONE;
            acar_buf b = {0};
            if (acar_write(j.root, fmt, &j.wo, &b, &err) == 0)
                same = b.len == j.len && memcmp(b.data, j.data, b.len) == 0;
            else
                fprintf(stderr, "bench_xml: %s: write: %s\n", argv[i], err.msg);
            acar_buf_free(&b);
        } else {
            fprintf(stderr, "bench_xml: %s: offset %zu: %s\n", argv[i], err.offset, err.msg);
        }
        double tr = 0, tw = 0, cr = 0, cw = 0;
        if (j.root) {
            tr = timeit(do_read, &j, repeat, min_time, &cr);
            tw = timeit(do_write, &j, repeat, min_time, &cw);
        }
        if (!j.root || !same || !j.ok) status = 1;
        printf("{\"file\": \"%s\", \"format\": \"%s\", \"bytes\": %zu, \"read_s\": %.9f, \"write_s\": %.9f, "
               "\"read_cpu_s\": %.9f, \"write_cpu_s\": %.9f, \"read_MBps\": %.1f, \"write_MBps\": %.1f, "
               "\"same_bytes\": %s",
               argv[i], acar_format_name(fmt), j.len, tr, tw, cr, cw, tr > 0 ? (double)j.len / tr / 1e6 : 0.0,
               tw > 0 ? (double)j.len / tw / 1e6 : 0.0, same ? "true" : "false");
#ifdef HAVE_LIBPLIST
        if (fmt == ACAR_FORMAT_PLIST) {
            plist_from_xml(j.data, (uint32_t)j.len, &lp_root);
            if (lp_root) {
                double lcr, lcw;
                double lr = timeit(do_lp_read, &j, repeat, min_time, &lcr);
                double lw = timeit(do_lp_write, &j, repeat, min_time, &lcw);
                printf(", \"libplist_read_s\": %.9f, \"libplist_write_s\": %.9f, \"libplist_read_cpu_s\": %.9f, "
                       "\"libplist_write_cpu_s\": %.9f", lr, lw, lcr, lcw);
                plist_free(lp_root);
                lp_root = NULL;
            }
        }
#endif
        printf("}\n");
        fflush(stdout);
        acar_doc_free(j.doc);
        free((char *)j.data);
    }
    return status;
}
