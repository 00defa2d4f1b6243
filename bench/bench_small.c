/*
 * bench_small.c -- acar on small values, where the cost of setting up a
 * read or a write is most of the work: against CPython's pickle (protocol
 * 4), marshal and json on the same bytes, and cJSON for JSON, in one run.
 *
 *   bench_small [--python PY] [--repeat N] [--min-time S] [--cpu N]
 *
 * The values are Python expressions (VALUES below): an int, a str, a
 * one-pair dict, a JSON-RPC request, three small records, ten ints.  One
 * interpreter makes each value's pickle.dumps(v, 4), marshal.dumps(v) and
 * json.dumps(v), writes them to a temporary directory and times
 * loads/dumps of each; then acar is timed on the same bytes:
 *   read   acar_doc_reset + acar_read into one document kept for the run
 *          (CPython: pickle.loads / marshal.loads / json.loads)
 *   write  acar_write of the value read into a fresh acar_buf, freed
 *          (CPython: pickle.dumps(v, 4) / marshal.dumps(v) / json.dumps(v))
 * and cJSON_Parse + cJSON_Delete, cJSON_PrintUnformatted + free for JSON.
 * acar's written bytes are checked against CPython's.  Times are process
 * CPU time per call: batches grown 1, 2, 5, 10, ... until one takes
 * --min-time seconds (timeit's autorange), the fastest of --repeat.
 *
 * Output: a Markdown table; x is CPython's time over acar's (> 1: acar is
 * faster).  Exit 1 when acar fails or its bytes differ, 2 on usage errors.
 */
/* POSIX, and sched_setaffinity: Linux (bench_child.h). */
#define _GNU_SOURCE

#include "acar.h"
#include "bench_child.h"
#include "bench_file.h"
#include "bench_timing.h"

#ifdef HAVE_CJSON
#include <cjson/cJSON.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const VALUES[][2] = {
    {"int", "7"},
    {"str", "'hello'"},
    {"dict1", "{'a': 1}"},
    {"rpc", "{'jsonrpc': '2.0', 'method': 'update', 'params': [1, 2.5, 'x'], 'id': 7}"},
    {"records3", "[{'id': i, 'name': 'user%d' % i, 'ok': True} for i in range(3)]"},
    {"ints10", "list(range(10))"},
};
#define NVALUES (sizeof VALUES / sizeof *VALUES)

static const char *const EXT[3] = {"pickle", "marshal", "json"};
static const acar_format FMT[3] = {ACAR_FORMAT_PICKLE, ACAR_FORMAT_MARSHAL, ACAR_FORMAT_JSON};

static int repeat = 5;
static double min_time = 0.1;

typedef struct job {
    acar_format fmt;
    const char *data;
    size_t len;
    acar_doc *doc;
    acar_val *root;
#ifdef HAVE_CJSON
    cJSON *tree;
#endif
    int failed;
} job;

/* Seconds per call of one of the *_once functions below. */
static double best(size_t (*fn)(void *), job *j) { return bench_best(fn, j, repeat, min_time, NULL); }

static size_t acar_read_once(void *p) {
    job *j = p;
    acar_read_opts o;
    memset(&o, 0, sizeof o);
    o.format = j->fmt;
    acar_doc_reset(j->doc);
    if (!acar_read(j->doc, j->data, j->len, &o, NULL)) j->failed = 1;
    return 0;
}

static size_t acar_write_once(void *p) {
    job *j = p;
    acar_buf out = {0};
    if (acar_write(j->root, j->fmt, NULL, &out, NULL) != 0) j->failed = 1;
    acar_buf_free(&out);
    return 0;
}

#ifdef HAVE_CJSON
static size_t cjson_parse_once(void *p) {
    job *j = p;
    cJSON *t = cJSON_ParseWithLength(j->data, j->len);
    if (!t) j->failed = 1;
    cJSON_Delete(t);
    return 0;
}

static size_t cjson_print_once(void *p) {
    job *j = p;
    char *s = cJSON_PrintUnformatted(j->tree);
    if (!s) j->failed = 1;
    free(s);
    return 0;
}
#endif

/* CPython's side: one interpreter writes the bytes and prints, per value,
 * its six times (loads, dumps for pickle, marshal, json), in seconds. */
static const char *PY_SCRIPT =
    "import json, marshal, pickle, sys, time\n"
    "rep, mint, outdir = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]\n"
    BENCH_PY_BEST
    "for i, expr in enumerate(sys.argv[4:]):\n"
    " v = eval(expr)\n"
    " p, m, j = pickle.dumps(v, 4), marshal.dumps(v), json.dumps(v).encode()\n"
    " for ext, b in (('pickle', p), ('marshal', m), ('json', j)):\n"
    "  open('%s/%d.%s' % (outdir, i, ext), 'wb').write(b)\n"
    " ts = [best(lambda: pickle.loads(p)), best(lambda: pickle.dumps(v, 4)),\n"
    "       best(lambda: marshal.loads(m)), best(lambda: marshal.dumps(v)),\n"
    "       best(lambda: json.loads(j)), best(lambda: json.dumps(v))]\n"
    " print(*ts, flush=True)\n";

int main(int argc, char **argv) {
    const char *python = "python3";
    int cpu = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--python") == 0 && i + 1 < argc) python = argv[++i];
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) repeat = atoi(argv[++i]);
        else if (strcmp(argv[i], "--min-time") == 0 && i + 1 < argc) min_time = atof(argv[++i]);
        else if (strcmp(argv[i], "--cpu") == 0 && i + 1 < argc) cpu = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_small [--python PY] [--repeat N] [--min-time S] [--cpu N]\n");
            return 2;
        }
    }
    if (repeat < 1 || min_time <= 0) {
        fprintf(stderr, "bench_small: --repeat and --min-time must be positive\n");
        return 2;
    }
    if (bench_child_setup("bench_small", cpu) == -2) return 2; /* before CPython starts */

    char dir[] = "/tmp/bench_small_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("bench_small: mkdtemp");
        return 2;
    }
    char script[64 + sizeof dir];
    snprintf(script, sizeof script, "%s/run.py", dir);
    FILE *sf = fopen(script, "w");
    if (!sf || fputs(PY_SCRIPT, sf) < 0 || fclose(sf) != 0) {
        fprintf(stderr, "bench_small: cannot write %s\n", script);
        return 2;
    }
    /* the command line: python script repeat min_time dir 'expr' ... */
    size_t cap = 4096;
    char *cmd = malloc(cap);
    if (!cmd) return 2;
    int n = snprintf(cmd, cap, "%s %s %d %g %s", python, script, repeat, min_time, dir);
    for (size_t v = 0; v < NVALUES; v++)
        n += snprintf(cmd + n, cap - (size_t)n, " \"%s\"", VALUES[v][1]);
    fprintf(stderr, "timing python ...\n");
    FILE *py = popen(cmd, "r");
    double pyt[NVALUES][6];
    for (size_t v = 0; v < NVALUES; v++) {
        if (!py || fscanf(py, "%lf %lf %lf %lf %lf %lf", &pyt[v][0], &pyt[v][1], &pyt[v][2], &pyt[v][3],
                          &pyt[v][4], &pyt[v][5]) != 6) {
            fprintf(stderr, "bench_small: %s gave no times\n", python);
            return 2;
        }
    }
    if (pclose(py) != 0) {
        fprintf(stderr, "bench_small: %s failed\n", python);
        return 2;
    }
    free(cmd);

    printf("| value | format | bytes | read acar ns | read CPython ns | read x | write acar ns "
           "| write CPython ns | write x | cJSON parse ns | cJSON print ns | bytes as CPython's |\n");
    printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|\n");
    int status = 0;
    for (size_t v = 0; v < NVALUES; v++) {
        for (int f = 0; f < 3; f++) {
            char path[128 + sizeof dir];
            snprintf(path, sizeof path, "%s/%zu.%s", dir, v, EXT[f]);
            job j;
            memset(&j, 0, sizeof j);
            j.fmt = FMT[f];
            j.data = bench_read_file(path, &j.len, 1);
            j.doc = acar_doc_new(NULL);
            if (!j.data || !j.doc) return 2;
            acar_read_once(&j);
            j.root = acar_doc_root(j.doc);
            double r = j.failed ? 0 : best(acar_read_once, &j);
            acar_read_once(&j);
            j.root = acar_doc_root(j.doc);
            acar_buf out = {0};
            int same = !j.failed && acar_write(j.root, j.fmt, NULL, &out, NULL) == 0 &&
                       out.len == j.len && memcmp(out.data, j.data, j.len) == 0;
            acar_buf_free(&out);
            double w = j.failed ? 0 : best(acar_write_once, &j);
            char cj[64] = "—";
#ifdef HAVE_CJSON
            if (FMT[f] == ACAR_FORMAT_JSON) {
                j.tree = cJSON_ParseWithLength(j.data, j.len);
                if (j.tree) {
                    double cp = best(cjson_parse_once, &j), cw = best(cjson_print_once, &j);
                    snprintf(cj, sizeof cj, "%.0f | %.0f", cp * 1e9, cw * 1e9);
                    cJSON_Delete(j.tree);
                } else {
                    snprintf(cj, sizeof cj, "— | —");
                }
            } else {
                snprintf(cj, sizeof cj, "— | —");
            }
#else
            snprintf(cj, sizeof cj, "— | —");
#endif
            if (j.failed || !same) status = 1;
            double pr = pyt[v][2 * f], pw = pyt[v][2 * f + 1];
            printf("| %s | %s | %zu | %.0f | %.0f | %.2f | %.0f | %.0f | %.2f | %s | %s |\n", VALUES[v][0], EXT[f],
                   j.len, r * 1e9, pr * 1e9, r > 0 ? pr / r : 0, w * 1e9, pw * 1e9, w > 0 ? pw / w : 0, cj,
                   j.failed ? "read failed" : same ? "yes" : "**no**");
            acar_doc_free(j.doc);
            free((void *)j.data);
            remove(path);
        }
    }
    remove(script);
    rmdir(dir);
    return status;
}
