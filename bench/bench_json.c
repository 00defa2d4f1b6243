/*
 * bench_json.c -- JSON read speed: acar against the C parsers a user could
 * pick instead (cJSON, jansson, json-c, simdjson's DOM parser) and CPython's
 * json.loads, on the same files in one run.
 *
 *   bench_json [--python PY] [--min-time SECONDS] [--runs N] [--cpu N] [--acar-only] FILE|DIR ...
 *
 * Each parser reads each file into its own tree and frees it, in batches
 * sized as timeit.autorange does (1, 2, 5, 10, ... reads, until a batch
 * takes --min-time, default 0.02 s, of process CPU time: bench_timing.h's
 * bench_best_each); the best of --runs (default 25) rounds is reported as
 * MB/s (10^6 bytes of input per CPU second), and the ratio of each parser
 * to acar.  Each round times
 * every C parser in turn, so that a slow spell of a shared machine falls on
 * all of them alike; a parser's ratio is the median over the rounds of
 * its speed over acar's in the same round (the totals divide the bests).
 * acar reads into one document that
 * acar_doc_reset empties between reads (its documented way to read many
 * inputs), which from its second read on keeps the object keys it met
 * (docs/json.md), as orjson keeps a key cache across calls.  The libraries are found at build time (HAVE_CJSON, ...); the
 * ones missing print "-".  --python times CPython's json.loads, and
 * orjson.loads when that interpreter has orjson, on the same files (bytes
 * in, as acar reads them) in the same rounds, in a child process that
 * reports its own CPU time (bench_pyproc.h).  The driver and that child
 * run on one CPU: --cpu N, or by default the CPU the driver starts on
 * (bench_child.h says why).  --acar-only times
 * acar alone (for perf record, and A/B runs of two builds).  The last
 * column, mem/size, is acar_doc_memory of a new document after one read of
 * the file, over the file's size.
 */
/* fork, pipe, fdopen, opendir: POSIX; sched_setaffinity: Linux. */
#define _GNU_SOURCE
#include "acar.h"
#include "bench_file.h"
#include "bench_pyproc.h"
#include "bench_timing.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#ifdef HAVE_CJSON
#include <cjson/cJSON.h>
#endif
#ifdef HAVE_JANSSON
#include <jansson.h>
#endif
#ifdef HAVE_JSONC
/* bench_json_jsonc.c: json-c parses len bytes n times; 0 ok. */
int bench_jsonc_parse(const char *data, size_t len, long n);
#endif
#ifdef HAVE_SIMDJSON
/* bench_json_simdjson.cpp: parses len bytes (padded buffer) n times; 0 ok. */
int bench_simdjson_parse(const char *data, size_t len, long n);
#endif

#ifndef ACAR_BENCH_FLAGS
#define ACAR_BENCH_FLAGS "?"
#endif

typedef struct file {
    char *path;
    char *data; /* NUL-terminated, 64 bytes of padding after (simdjson) */
    size_t len;
    size_t index; /* in the list of files (the Python child's numbering) */
} file;

typedef int (*parse_fn)(const file *f, void *ctx, long n);

/* acar_doc_memory of a new document after one read of f, over f's size
 * (the memory target: at most 2 on twitter.json); -1 on error. */
static double acar_memory(const file *f) {
    acar_doc *doc = acar_doc_new(NULL);
    acar_read_opts o;
    memset(&o, 0, sizeof o);
    o.format = ACAR_FORMAT_JSON;
    double m = doc && acar_read(doc, f->data, f->len, &o, NULL) ? (double)acar_doc_memory(doc) / (double)f->len : -1;
    acar_doc_free(doc);
    return m;
}

static int parse_acar(const file *f, void *ctx, long n) {
    acar_doc *doc = ctx;
    for (long i = 0; i < n; i++) {
        acar_read_opts o;
        memset(&o, 0, sizeof o);
        o.format = ACAR_FORMAT_JSON;
        acar_doc_reset(doc);
        if (!acar_read(doc, f->data, f->len, &o, NULL)) return -1;
    }
    return 0;
}

#ifdef HAVE_CJSON
static int parse_cjson(const file *f, void *ctx, long n) {
    (void)ctx;
    for (long i = 0; i < n; i++) {
        cJSON *j = cJSON_ParseWithLength(f->data, f->len);
        if (!j) return -1;
        cJSON_Delete(j);
    }
    return 0;
}
#endif

#ifdef HAVE_JANSSON
static int parse_jansson(const file *f, void *ctx, long n) {
    (void)ctx;
    for (long i = 0; i < n; i++) {
        json_error_t e;
        json_t *j = json_loadb(f->data, f->len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
        if (!j) return -1;
        json_decref(j);
    }
    return 0;
}
#endif

#ifdef HAVE_JSONC
static int parse_jsonc(const file *f, void *ctx, long n) {
    (void)ctx;
    return bench_jsonc_parse(f->data, f->len, n);
}
#endif

#ifdef HAVE_SIMDJSON
static int parse_simdjson(const file *f, void *ctx, long n) {
    (void)ctx;
    return bench_simdjson_parse(f->data, f->len, n);
}
#endif

/* One parser of the table on one file, a side of bench_best_each: its
 * batch runs fn n times, or asks the Python child for the seconds of n
 * (timed). */
typedef struct parser {
    parse_fn fn;
    double (*timed)(const file *f, void *ctx, long n);
    void *ctx;
    const file *f;
} parser;

/* Seconds for n parses of its file by the parser ctx, or < 0 when one failed. */
static double parser_batch(void *ctx, size_t n) {
    parser *p = ctx;
    if (p->timed) return p->timed(p->f, p->ctx, (long)n);
    double t0 = bench_now();
    if (p->fn(p->f, p->ctx, (long)n) < 0) return -1;
    return bench_now() - t0;
}

static int add_path(const char *path, file **files, size_t *nfiles) {
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (!d) return -1;
        struct dirent *e;
        char **names = NULL;
        size_t nn = 0;
        while ((e = readdir(d))) {
            size_t l = strlen(e->d_name);
            if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0) continue;
            names = realloc(names, (nn + 1) * sizeof *names);
            names[nn] = malloc(strlen(path) + l + 2);
            sprintf(names[nn], "%s/%s", path, e->d_name);
            nn++;
        }
        closedir(d);
        for (size_t i = 0; i < nn; i++)
            for (size_t j = i + 1; j < nn; j++)
                if (strcmp(names[j], names[i]) < 0) { char *t = names[i]; names[i] = names[j]; names[j] = t; }
        for (size_t i = 0; i < nn; i++) {
            add_path(names[i], files, nfiles);
            free(names[i]);
        }
        free(names);
        return 0;
    }
    file *grown = realloc(*files, (*nfiles + 1) * sizeof **files);
    if (!grown) return -1;
    *files = grown;
    file *f = &grown[*nfiles];
    size_t plen = strlen(path) + 1;
    if (!(f->data = bench_read_file(path, &f->len, 65))) return -1;
    if (!(f->path = malloc(plen))) return -1;
    memcpy(f->path, path, plen);
    (*files)[*nfiles].index = *nfiles;
    (*nfiles)++;
    return 0;
}

/* CPython's side (bench_pyproc.h): a child that holds every file and
 * answers "j I N" (or "o I N") with the CPU seconds json.loads (or
 * orjson.loads) took to parse file I N times.  Its first line says whether
 * it has orjson. */
static const char py_script[] =
    "import json,sys,time\n"
    "try:\n import orjson\nexcept ImportError:\n orjson=None\n"
    "data=[open(p,'rb').read() for p in sys.argv[1:]]\n"
    "print(1 if orjson else 0,flush=True)\n"
    "pt=time.process_time\n"
    "for line in sys.stdin:\n"
    "  w,i,n=line.split()\n"
    "  f=json.loads if w=='j' else orjson.loads\n"
    "  b=data[int(i)];r=range(int(n))\n"
    "  t0=pt()\n"
    "  for _ in r: f(b)\n"
    "  print(pt()-t0,flush=True)\n";

static double py_time(bench_py *pp, char which, const file *f, long n) {
    char req[64];
    snprintf(req, sizeof req, "%c %zu %ld", which, f->index, n);
    return bench_py_ask(pp, req);
}

static double time_json_loads(const file *f, void *ctx, long n) { return py_time(ctx, 'j', f, n); }
static double time_orjson_loads(const file *f, void *ctx, long n) { return py_time(ctx, 'o', f, n); }

/* The parsers acar is compared with, in the table's order: simdjson, cJSON,
 * jansson, json-c, json.loads, orjson.loads. */
#define NOTHER 6

/* MB/s v and its ratio to acar: the paired ratio when given (>= 0), else
 * v over acar's base. */
static void cell(double v, double base, double paired) {
    if (v < 0) printf(" %16s", "-");
    else printf(" %8.0f (%5.3f)", v, paired >= 0 ? paired : base > 0 ? v / base : 0);
}

int main(int argc, char **argv) {
    const char *py = NULL;
    /* short batches, many rounds: the two sides of a paired ratio are
     * milliseconds apart (with 0.1 s batches and 5 rounds, cJSON's ratio on
     * twitter.json was 0.10 in one run and 0.20 in the next on this
     * machine; with these, one file's ratio stayed within 2% over four) */
    double min_time = 0.02;
    int runs = 25;
    bool acar_only = false; /* for perf record and A/B runs of two builds */
    int cpu = -1; /* --cpu: the CPU to run on; by default the one it starts on */
    file *files = NULL;
    size_t nfiles = 0;
    setvbuf(stdout, NULL, _IOLBF, 0); /* rows as they are measured */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--python") == 0 && i + 1 < argc) py = argv[++i];
        else if (strcmp(argv[i], "--min-time") == 0 && i + 1 < argc) min_time = atof(argv[++i]);
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--cpu") == 0 && i + 1 < argc) cpu = atoi(argv[++i]);
        else if (strcmp(argv[i], "--acar-only") == 0) acar_only = true;
        else if (add_path(argv[i], &files, &nfiles) < 0) {
            fprintf(stderr, "bench_json: cannot read %s\n", argv[i]);
            return 2;
        }
    }
    if (runs < 1 || runs > BENCH_MAX_ROUNDS) {
        fprintf(stderr, "bench_json: --runs must be 1 to %d\n", BENCH_MAX_ROUNDS);
        return 2;
    }
    if (!nfiles) {
        fprintf(stderr, "usage: bench_json [--python PY] [--min-time S] [--runs N] [--cpu N] [--acar-only] FILE|DIR ...\n");
        return 2;
    }
    int pinned = bench_child_setup("bench_json", cpu); /* before the child starts */
    if (pinned == -2) return 2;
    bench_py pyp;
    bool have_py = false, have_orjson = false;
    if (py && !acar_only) {
        const char **paths = malloc(nfiles * sizeof *paths);
        char hello[16];
        for (size_t i = 0; paths && i < nfiles; i++) paths[i] = files[i].path;
        have_py = paths && bench_py_start(&pyp, py, py_script, paths, nfiles, hello, sizeof hello);
        have_orjson = have_py && hello[0] == '1';
        free(paths);
    }

    acar_doc *doc = acar_doc_new(NULL);
    printf("acar %s JSON read, MB/s (ratio to acar), best of %d x %.2fs; library built %s; ", acar_version(), runs,
           min_time, ACAR_BENCH_FLAGS);
    if (pinned >= 0) printf("all on CPU %d\n\n", pinned);
    else printf("not pinned to a CPU\n\n");
    printf("%-40s %9s %9s %16s %16s %16s %16s %16s %16s %8s\n", "file", "KB", "acar", "simdjson", "cJSON",
           "jansson", "json-c", "json.loads", "orjson.loads", "mem/size");
    double sum_in = 0, t_acar = 0, t_other[NOTHER] = {0}, in_other[NOTHER] = {0};
    for (size_t i = 0; i < nfiles; i++) {
        const file *f = &files[i];
        double other[NOTHER] = {-1, -1, -1, -1, -1, -1};
        /* acar first, then the C parsers found at build time and the
         * Python child's (slot: their column in other[]) */
        parser ps[1 + NOTHER] = {{.fn = parse_acar, .ctx = doc}};
        int slot[1 + NOTHER] = {-1};
        size_t nt = 1;
        if (!acar_only) {
#ifdef HAVE_SIMDJSON
            slot[nt] = 0;
            ps[nt++] = (parser){.fn = parse_simdjson};
#endif
#ifdef HAVE_CJSON
            slot[nt] = 1;
            ps[nt++] = (parser){.fn = parse_cjson};
#endif
#ifdef HAVE_JANSSON
            slot[nt] = 2;
            ps[nt++] = (parser){.fn = parse_jansson};
#endif
#ifdef HAVE_JSONC
            slot[nt] = 3;
            ps[nt++] = (parser){.fn = parse_jsonc};
#endif
        }
        if (have_py) {
            slot[nt] = 4;
            ps[nt++] = (parser){.timed = time_json_loads, .ctx = &pyp};
            if (have_orjson) {
                slot[nt] = 5;
                ps[nt++] = (parser){.timed = time_orjson_loads, .ctx = &pyp};
            }
        }
        bench_side sides[1 + NOTHER];
        for (size_t k = 0; k < nt; k++) {
            ps[k].f = f;
            sides[k] = (bench_side){.timed = parser_batch, .ctx = &ps[k]};
        }
        bench_best_each(sides, nt, runs, min_time);
        double a = sides[0].best > 0 ? (double)f->len / sides[0].best / 1e6 : -1;
        double paired[NOTHER] = {-1, -1, -1, -1, -1, -1};
        for (size_t k = 1; k < nt; k++) {
            if (sides[k].best <= 0) continue;
            other[slot[k]] = (double)f->len / sides[k].best / 1e6;
            /* acar's time over the other's in the same round: the other's
             * speed over acar's */
            if (a > 0) paired[slot[k]] = bench_median_ratio(sides[0].round, sides[k].round, runs);
        }
        const char *name = strrchr(f->path, '/');
        name = name ? name + 1 : f->path;
        printf("%-40s %9.0f %9.0f", name, (double)f->len / 1e3, a);
        for (int k = 0; k < NOTHER; k++) cell(other[k], a, paired[k]);
        printf(" %8.2f\n", acar_memory(f));
        if (a > 0) {
            sum_in += (double)f->len;
            t_acar += (double)f->len / a;
            for (int k = 0; k < NOTHER; k++)
                if (other[k] > 0) { t_other[k] += (double)f->len / other[k]; in_other[k] += (double)f->len; }
        }
    }
    /* Totals: all bytes over all time, per parser (files it could read). */
    printf("%-40s %9.0f %9.0f", "all files (total bytes / total time)", sum_in / 1e3, sum_in / t_acar);
    for (int k = 0; k < NOTHER; k++) cell(t_other[k] > 0 ? in_other[k] / t_other[k] : -1, sum_in / t_acar, -1);
    printf("\n");
    acar_doc_free(doc);
    if (have_py) bench_py_stop(&pyp);
    return 0;
}
