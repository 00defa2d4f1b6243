/*
 * bench_pickle.c -- times acar's pickle reader and writer on pickle files.
 *
 * For each FILE (a pickle that opens with PROTO n, or any pickle with
 * --protocol n) it measures, with the public API only:
 *   read   acar_doc_new + acar_read + acar_doc_free (CPython's pickle.loads
 *          also pays for building and dropping its objects)
 *   write  acar_write of the document at the file's protocol into a fresh
 *          acar_buf, then acar_buf_free (pickle.dumps returns a new bytes)
 * Each is run in batches of `number` calls, `number` chosen (1, 2, 5, 10,
 * 20, ...) so that a batch takes at least --min-time seconds, as Python's
 * timeit.autorange does; the result is the fastest of --repeat batches
 * divided by `number`, on CLOCK_MONOTONIC.  The minimum is the least noisy
 * estimate of what the code costs; noise only ever adds time.  The fastest
 * batch in this thread's CPU time is reported too: on a busy machine wall
 * time runs well above it, which tells the reader to distrust the run.
 *
 * --reuse is a what-if, not the default: reads through an allocator that
 * keeps freed blocks, writes into one buffer kept across calls, which shows
 * how much of the time goes to fresh pages from the kernel.
 *
 * It also reports the document's memory after one read (acar_doc_memory:
 * every byte the arena took from its allocator, slack included) and the peak
 * of bytes outstanding through the document's allocator during that read,
 * the least any document of acar's node model takes for the value
 * (model_floor), and whether the written bytes equal the input (they must: the input is
 * CPython's pickle.dumps of the value at that protocol).
 *
 * Output: one JSON object per line on stdout (first a "driver" line, then
 * one per file); progress and errors on stderr.  Exit status 1 when any file
 * failed to read or write or came back different, 2 on usage or I/O errors.
 */
#define _POSIX_C_SOURCE 200809L

#include "acar.h"
#include "bench_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef ACAR_BENCH_FLAGS
#define ACAR_BENCH_FLAGS "unknown"
#endif

typedef struct opts {
    int repeat;
    double min_time;
    int protocol;            /* -1: from the PROTO opcode */
    int borrow;              /* ACAR_READ_BORROW */
    const char *save_dir;    /* where mismatching outputs go, or NULL */
    int only;                /* 0 both, 'r' read only, 'w' write only (for profilers) */
    int reuse;               /* the --reuse what-if (see the top of the file) */
} opts;

static double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}


/* ---- an allocator that counts, for the memory figures ---- */

typedef struct counter {
    size_t cur, peak;
} counter;

static void *count_malloc(void *ctx, size_t size) {
    counter *c = ctx;
    void *p = malloc(size);
    if (p) {
        c->cur += size;
        if (c->cur > c->peak) c->peak = c->cur;
    }
    return p;
}

static void *count_realloc(void *ctx, void *ptr, size_t old_size, size_t new_size) {
    counter *c = ctx;
    void *p = realloc(ptr, new_size);
    if (p) {
        c->cur = c->cur - old_size + new_size;
        if (c->cur > c->peak) c->peak = c->cur;
    }
    return p;
}

static void count_free(void *ctx, void *ptr, size_t size) {
    counter *c = ctx;
    if (ptr) c->cur -= size;
    free(ptr);
}

/* ---- an allocator that keeps freed blocks for reuse (--reuse) ----
 * The arena's chunks have the same sizes on every read of the same input,
 * so exact-size reuse catches them all. */

#define CACHE_SLOTS 64

typedef struct cache {
    void *p[CACHE_SLOTS];
    size_t size[CACHE_SLOTS];
    int n;
} cache;

static void *cache_malloc(void *ctx, size_t size) {
    cache *c = ctx;
    for (int i = 0; i < c->n; i++) {
        if (c->size[i] == size) {
            void *p = c->p[i];
            c->n--;
            c->p[i] = c->p[c->n];
            c->size[i] = c->size[c->n];
            return p;
        }
    }
    return malloc(size);
}

static void *cache_realloc(void *ctx, void *ptr, size_t old_size, size_t new_size) {
    (void)ctx;
    (void)old_size;
    return realloc(ptr, new_size);
}

static void cache_free(void *ctx, void *ptr, size_t size) {
    cache *c = ctx;
    if (!ptr) return;
    if (c->n < CACHE_SLOTS) {
        c->p[c->n] = ptr;
        c->size[c->n] = size;
        c->n++;
        return;
    }
    free(ptr);
}

static void cache_clear(cache *c) {
    while (c->n > 0) free(c->p[--c->n]);
}

/* ---- JSON output ---- */

static void json_str(const char *s) {
    putchar('"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') printf("\\%c", ch);
        else if (ch < 0x20) printf("\\u%04x", ch);
        else putchar(ch);
    }
    putchar('"');
}

static void json_err(const char *what, const acar_err *err) {
    printf(",\"error\":{\"in\":\"%s\",\"code\":\"%s\",\"offset\":%zu,\"msg\":", what,
           acar_err_str(err->code), err->offset);
    json_str(err->msg);
    putchar('}');
}

/* ---- files ---- */

static void save_output(const opts *o, const char *path, const acar_buf *out) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(o->save_dir) + strlen(base) + 16;
    char *name = malloc(n);
    if (!name) return;
    snprintf(name, n, "%s/%s.acar", o->save_dir, base);
    FILE *f = fopen(name, "wb");
    if (f) {
        fwrite(out->data, 1, out->len, f);
        fclose(f);
        fprintf(stderr, "bench_pickle: wrote acar's output to %s\n", name);
    }
    free(name);
}

/* ---- the timed operations ---- */

typedef struct job {
    const unsigned char *data;
    size_t len;
    unsigned flags;
    const acar_doc_opts *dopts; /* timed reads: NULL, or the caching allocator (--reuse) */
    acar_buf *keep;             /* timed writes: NULL for a fresh buffer each, or one kept (--reuse) */
    acar_val *root;             /* the document the writes write */
    acar_write_opts wopts;
    int failed;
} job;

static void run_read(job *j, long number) {
    for (long i = 0; i < number; i++) {
        acar_doc *doc = acar_doc_new(j->dopts);
        acar_read_opts ro = {0};
        ro.flags = j->flags;
        ro.format = ACAR_FORMAT_PICKLE;
        if (!doc || !acar_read(doc, j->data, j->len, &ro, NULL)) j->failed = 1;
        acar_doc_free(doc);
    }
}

static void run_write(job *j, long number) {
    for (long i = 0; i < number; i++) {
        acar_buf fresh = {0};
        acar_buf *out = j->keep ? j->keep : &fresh;
        out->len = 0;
        if (acar_write(j->root, ACAR_FORMAT_PICKLE, &j->wopts, out, NULL) != 0) j->failed = 1;
        acar_buf_free(&fresh);
    }
}

/* One batch of `number` calls: wall seconds (CLOCK_MONOTONIC, the figure
 * reported) and this thread's CPU seconds (a busy machine shows as wall time
 * well above CPU time). */
static double batch(job *j, void (*fn)(job *, long), long number, double *cpu) {
    double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
    double t0 = clock_s(CLOCK_MONOTONIC);
    fn(j, number);
    double t = clock_s(CLOCK_MONOTONIC) - t0;
    *cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
    return t;
}

/* Fastest wall seconds per call over o->repeat batches (see the top of the
 * file); *best_cpu gets the fastest CPU seconds per call. */
static double measure(const opts *o, job *j, void (*fn)(job *, long), long *number_out,
                      double *best_cpu) {
    static const long steps[] = {1, 2, 5};
    long number = 1;
    double t, cpu;
    for (int k = 0;; k++) {
        number = steps[k % 3];
        for (int e = 0; e < k / 3; e++) number *= 10;
        t = batch(j, fn, number, &cpu);
        if (t >= o->min_time || j->failed) break;
    }
    double best = t / (double)number;
    *best_cpu = cpu / (double)number;
    for (int r = 1; r < o->repeat && !j->failed; r++) {
        t = batch(j, fn, number, &cpu);
        if (t / (double)number < best) best = t / (double)number;
        if (cpu / (double)number < *best_cpu) *best_cpu = cpu / (double)number;
    }
    *number_out = number;
    return best;
}

/* Benchmarks one file; prints its JSON line.  Returns 0, 1 on a failure of
 * acar (reported in the line), 2 when the file cannot be used at all. */
/* The least memory a document of acar's node model takes for the value at
 * root, whatever the arena's slack, map headers and hash indexes: 16 bytes
 * a node (each shared node once; None, True and False are the document's
 * own), a pointer a list or tuple item and two a dict pair, and the bytes
 * of each str.  What the JSON-derived inputs hold (containers of other
 * types count as a node each).  0 when out of memory. */
typedef struct seen {
    const acar_val **slot;
    size_t cap, n;
} seen;

static int seen_add(seen *t, const acar_val *v) {
    if (2 * (t->n + 1) > t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 1024;
        const acar_val **s = calloc(cap, sizeof *s);
        if (!s) return -1;
        for (size_t i = 0; i < t->cap; i++) {
            if (!t->slot[i]) continue;
            size_t h = ((uintptr_t)t->slot[i] >> 4) * 0x9e3779b97f4a7c15ull % cap;
            while (s[h]) h = (h + 1) % cap;
            s[h] = t->slot[i];
        }
        free(t->slot);
        t->slot = s;
        t->cap = cap;
    }
    size_t h = ((uintptr_t)v >> 4) * 0x9e3779b97f4a7c15ull % t->cap;
    for (; t->slot[h]; h = (h + 1) % t->cap)
        if (t->slot[h] == v) return 0;
    t->slot[h] = v;
    t->n++;
    return 1;
}

static size_t model_floor(const acar_val *root) {
    seen t = {0};
    size_t bytes = 0, sp = 0, cap = 1024;
    const acar_val **stack = malloc(cap * sizeof *stack);
    if (!stack) return 0;
    stack[sp++] = root;
    while (sp) {
        const acar_val *v = stack[--sp];
        acar_type ty = acar_typeof(v);
        if (ty == ACAR_NONE || ty == ACAR_BOOL) continue;
        int fresh = seen_add(&t, v);
        if (fresh < 0) goto oom;
        if (!fresh) continue;
        bytes += 16;
        size_t n = acar_len(v), len;
        if (ty == ACAR_STR) {
            (void)acar_str(v, &len);
            bytes += len;
            continue;
        }
        if (ty != ACAR_LIST && ty != ACAR_TUPLE && ty != ACAR_DICT) continue;
        size_t k = ty == ACAR_DICT ? 2 : 1;
        bytes += 8 * k * n;
        if (sp + k * n > cap) {
            while (sp + k * n > cap) cap *= 2;
            const acar_val **s = realloc(stack, cap * sizeof *stack);
            if (!s) goto oom;
            stack = s;
        }
        for (size_t i = 0; i < n; i++) {
            if (ty == ACAR_DICT) {
                stack[sp++] = acar_dict_key(v, i);
                stack[sp++] = acar_dict_value(v, i);
            } else {
                stack[sp++] = acar_item(v, i);
            }
        }
    }
    free(stack);
    free(t.slot);
    return bytes;
oom:
    free(stack);
    free(t.slot);
    return 0;
}

static int bench_file(const opts *o, const char *path) {
    unsigned char *data = NULL;
    size_t len = 0;
    int rc = 2;
    acar_doc *doc = NULL;
    acar_buf out = {0};
    counter cnt = {0, 0};
    acar_err err;

    if (!(data = (unsigned char *)bench_read_file(path, &len, 1))) {
        fprintf(stderr, "bench_pickle: %s: %s\n", path, strerror(errno ? errno : EIO));
        return 2;
    }
    int proto = o->protocol;
    if (proto < 0) {
        if (len < 2 || data[0] != 0x80) {
            fprintf(stderr, "bench_pickle: %s: no PROTO opcode; give --protocol\n", path);
            goto done;
        }
        proto = data[1];
    }
    rc = 1;
    printf("{\"file\":");
    json_str(path);
    printf(",\"size\":%zu,\"protocol\":%d", len, proto);

    /* One read through the counting allocator: memory figures and the
     * document the write timings use. */
    acar_alloc al = {count_malloc, count_realloc, count_free, &cnt};
    acar_doc_opts dopts;
    memset(&dopts, 0, sizeof dopts);
    dopts.alloc = &al;
    doc = acar_doc_new(&dopts);
    if (!doc) {
        printf(",\"error\":{\"in\":\"read\",\"code\":\"out of memory\",\"offset\":0,\"msg\":\"acar_doc_new\"}}\n");
        goto done;
    }
    acar_read_opts ro = {0};
    ro.flags = o->borrow ? ACAR_READ_BORROW : 0;
    ro.format = ACAR_FORMAT_PICKLE;
    acar_val *root = acar_read(doc, data, len, &ro, &err);
    if (!root) {
        json_err("read", &err);
        printf("}\n");
        goto done;
    }
    printf(",\"doc_memory\":%zu,\"alloc_peak\":%zu,\"model_floor\":%zu", acar_doc_memory(doc), cnt.peak,
           model_floor(root));

    cache ch;
    ch.n = 0;
    acar_alloc cache_al = {cache_malloc, cache_realloc, cache_free, &ch};
    acar_doc_opts cache_opts;
    memset(&cache_opts, 0, sizeof cache_opts);
    cache_opts.alloc = &cache_al;
    acar_buf kept = {0};
    job j = {data, len, ro.flags, o->reuse ? &cache_opts : NULL, o->reuse ? &kept : NULL, root, {0}, 0};
    j.wopts.version = ACAR_VERSION((unsigned)proto);
    if (acar_write(root, ACAR_FORMAT_PICKLE, &j.wopts, &out, &err) != 0) {
        json_err("write", &err);
        printf("}\n");
        goto done;
    }
    size_t diff = 0;
    while (diff < out.len && diff < len && (unsigned char)out.data[diff] == data[diff]) diff++;
    int equal = out.len == len && diff == len;
    printf(",\"out_size\":%zu,\"equal\":%s", out.len, equal ? "true" : "false");
    if (!equal) {
        printf(",\"first_diff\":%zu", diff);
        if (o->save_dir) save_output(o, path, &out);
    }

    long nread = 0, nwrite = 0;
    double tread = 0, twrite = 0, cread = 0, cwrite = 0;
    if (o->only != 'w') tread = measure(o, &j, run_read, &nread, &cread);
    cache_clear(&ch);
    if (o->only != 'r' && !j.failed) twrite = measure(o, &j, run_write, &nwrite, &cwrite);
    acar_buf_free(&kept);
    if (j.failed) {
        printf(",\"error\":{\"in\":\"timing\",\"code\":\"failed\",\"offset\":0,"
               "\"msg\":\"a timed call failed after the first succeeded\"}}\n");
        goto done;
    }
    printf(",\"read_s\":%.9g,\"read_cpu_s\":%.9g,\"read_number\":%ld,"
           "\"write_s\":%.9g,\"write_cpu_s\":%.9g,\"write_number\":%ld}\n",
           tread, cread, nread, twrite, cwrite, nwrite);
    rc = equal ? 0 : 1;
done:
    fflush(stdout);
    acar_buf_free(&out);
    acar_doc_free(doc);
    free(data);
    return rc;
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: bench_pickle [--repeat N] [--min-time SEC] [--protocol N] [--borrow] [--reuse]\n"
            "                    [--only read|write] [--save-mismatch DIR] FILE...\n"
            "Times acar_read and acar_write on each pickle FILE; prints one JSON line each.\n"
            "  --repeat N          batches per measurement, the fastest counts [7]\n"
            "  --min-time SEC      least duration of one batch [0.05]\n"
            "  --protocol N        protocol to write (default: the file's PROTO opcode)\n"
            "  --borrow            read with ACAR_READ_BORROW\n"
            "  --save-mismatch DIR write acar's output there when it differs from FILE\n"
            "  --only read|write   time one side only (for perf record / callgrind)\n"
            "  --reuse             timed reads through an allocator that keeps freed blocks,\n"
            "                      timed writes into one buffer kept across calls (a what-if:\n"
            "                      the cost of fresh pages from the kernel)\n");
}

int main(int argc, char **argv) {
    opts o = {7, 0.05, -1, 0, NULL, 0, 0};
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
        const char *a = argv[i];
        int has_val = i + 1 < argc;
        if (!strcmp(a, "--")) { i++; break; }
        if (!strcmp(a, "--help")) { usage(stdout); return 0; }
        if (!strcmp(a, "--borrow")) { o.borrow = 1; continue; }
        if (!strcmp(a, "--reuse")) { o.reuse = 1; continue; }
        if (!has_val) { usage(stderr); return 2; }
        if (!strcmp(a, "--repeat")) o.repeat = atoi(argv[++i]);
        else if (!strcmp(a, "--min-time")) o.min_time = atof(argv[++i]);
        else if (!strcmp(a, "--protocol")) o.protocol = atoi(argv[++i]);
        else if (!strcmp(a, "--save-mismatch")) o.save_dir = argv[++i];
        else if (!strcmp(a, "--only")) {
            const char *w = argv[++i];
            if (!strcmp(w, "read")) o.only = 'r';
            else if (!strcmp(w, "write")) o.only = 'w';
            else { usage(stderr); return 2; }
        }
        else { usage(stderr); return 2; }
    }
    if (i >= argc || o.repeat < 1 || o.min_time < 0 || o.protocol > 5) {
        usage(stderr);
        return 2;
    }
#if defined(__clang__)
    const char *compiler = "clang " __VERSION__;
#elif defined(__GNUC__)
    const char *compiler = "gcc " __VERSION__;
#elif defined(__VERSION__)
    const char *compiler = __VERSION__;
#else
    const char *compiler = "unknown";
#endif
#ifdef __OPTIMIZE__
    const char *optimized = "true";
#else
    const char *optimized = "false";
#endif
    printf("{\"driver\":\"bench_pickle\",\"acar\":\"%s\",\"compiler\":", acar_version());
    json_str(compiler);
    printf(",\"flags\":");
    json_str(ACAR_BENCH_FLAGS);
    printf(",\"driver_optimized\":%s,\"repeat\":%d,\"min_time\":%g,\"borrow\":%s,\"reuse\":%s}\n",
           optimized, o.repeat, o.min_time, o.borrow ? "true" : "false", o.reuse ? "true" : "false");
    fflush(stdout);

    int status = 0;
    for (; i < argc; i++) {
        fprintf(stderr, "bench_pickle: %s\n", argv[i]);
        int rc = bench_file(&o, argv[i]);
        if (rc > status) status = rc;
    }
    return status;
}
