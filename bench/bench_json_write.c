/*
 * bench_json_write.c -- times acar's JSON writer against the C JSON
 * libraries a user could pick instead, and against CPython's json.dumps and
 * orjson, on the same documents, in one run.
 *
 *   bench_json_write [--python PY | --no-python] [--repeat N] [--min-time S] [--cpu N] FILE.json...
 *
 * Each FILE is parsed with jansson (it keeps ints and floats apart and keeps
 * key order), and the tree is copied into an acar document with the public
 * builders and into a json-c tree (json-c's own parser keeps the text of
 * each number and prints that text back, which would time no number
 * formatting at all); cJSON parses its own tree.  Timed, each producing a
 * fresh string that is then freed:
 *   acar         acar_write(ACAR_FORMAT_JSON) with default options: exactly
 *                json.dumps(obj) (', ' ': ', ensure_ascii)
 *   acar-compact separators (',', ':') and ensure_ascii=False: the same
 *                work the C libraries do (their compact form, UTF-8 kept)
 *   cJSON        cJSON_PrintUnformatted
 *   jansson      json_dumps(JSON_COMPACT)
 *   json-c       json_object_to_json_string_ext(PLAIN | NOSLASHESCAPE)
 *   simdjson     simdjson::to_string of its DOM (minified), when built with
 *                HAVE_SIMDJSON and bench_json_simdjson.cpp
 *   python       json.dumps(obj), and json.dumps(obj, separators=(',', ':'),
 *                ensure_ascii=False), and orjson.dumps(obj) when installed
 *                (a child interpreter that times its own batches,
 *                bench_pyproc.h)
 * Batches of `number` calls, `number` grown (1, 2, 5, 10, ...) until a batch
 * takes --min-time seconds (default 0.02), as timeit.autorange does; the
 * result is the fastest of --repeat (default 25) batches divided by
 * `number`.  Every writer's batches, Python's too, are timed in turn, one
 * of each per round (bench_best_each), so that a slow spell of a shared
 * machine falls on all of them alike, and each ratio is the median over
 * the rounds of the two times in the same round (bench_paired): against
 * acar-compact for the C libraries, simdjson, the compact json.dumps and
 * orjson, against acar for json.dumps.  acar's default output is checked
 * against json.dumps's bytes.
 *
 * Every side is timed in process CPU time (Python's with time.process_time),
 * and all on one CPU: --cpu N, or by default the CPU the driver starts on
 * (bench_child.h says why); stderr names it.
 *
 * Output: a Markdown table (MB/s of output written; the ratio of each to
 * acar's time in brackets, > 1 means acar is faster).  Exit 1 when acar's
 * bytes differ from Python's or a write failed; 2 on usage or I/O errors.
 */
/* POSIX, and sched_setaffinity: Linux. */
#define _GNU_SOURCE

#include "acar.h"
#include "bench_file.h"
#include "bench_pyproc.h"
#include "bench_timing.h"

#include <cjson/cJSON.h>
#include <jansson.h>

/* json-c's header and jansson's declare the same names (json_object, ...),
 * so the json-c functions used here are declared by hand. */
struct json_object;
extern const char *json_object_to_json_string_length(struct json_object *obj, int flags,
                                                     size_t *length);
extern int json_object_put(struct json_object *obj);
extern struct json_object *json_object_new_object(void);
extern struct json_object *json_object_new_array(void);
extern int json_object_array_add(struct json_object *obj, struct json_object *val);
extern int json_object_object_add(struct json_object *obj, const char *key, struct json_object *val);
extern struct json_object *json_object_new_string_len(const char *s, int len);
extern struct json_object *json_object_new_int64(int64_t i);
extern struct json_object *json_object_new_double(double d);
extern struct json_object *json_object_new_boolean(int b);
#define JSONC_TO_STRING_PLAIN 0
#define JSONC_TO_STRING_NOSLASHESCAPE (1 << 4)

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef HAVE_SIMDJSON
/* bench_json_simdjson.cpp: a parsed simdjson DOM and its minified writer. */
void *bench_simdjson_doc_new(const char *data, size_t len);
size_t bench_simdjson_write(void *doc);
void bench_simdjson_doc_free(void *doc);
#endif

static int repeat = 25;     /* many short rounds: see bench_json.c */
static double min_time = 0.02;


/* ---- jansson tree -> acar document (recursive: bench inputs are shallow
 * files of the corpus; the library itself never recurses) ---- */

static acar_val *to_acar(acar_doc *doc, json_t *j) {
    switch (json_typeof(j)) {
    case JSON_NULL: return acar_new_none(doc);
    case JSON_TRUE: return acar_new_bool(doc, 1);
    case JSON_FALSE: return acar_new_bool(doc, 0);
    case JSON_INTEGER: return acar_new_int(doc, (int64_t)json_integer_value(j));
    case JSON_REAL: return acar_new_float(doc, json_real_value(j));
    case JSON_STRING: return acar_new_str(doc, json_string_value(j), json_string_length(j));
    case JSON_ARRAY: {
        acar_val *l = acar_new_list(doc);
        for (size_t i = 0; i < json_array_size(j); i++)
            acar_list_append(doc, l, to_acar(doc, json_array_get(j, i)));
        return l;
    }
    case JSON_OBJECT: {
        acar_val *d = acar_new_dict(doc);
        const char *key;
        json_t *val;
        json_object_foreach(j, key, val) {
            acar_dict_set(doc, d, acar_new_str(doc, key, strlen(key)), to_acar(doc, val));
        }
        return d;
    }
    }
    return NULL;
}

static struct json_object *to_jsonc(json_t *j) {
    switch (json_typeof(j)) {
    case JSON_NULL: return NULL;
    case JSON_TRUE: return json_object_new_boolean(1);
    case JSON_FALSE: return json_object_new_boolean(0);
    case JSON_INTEGER: return json_object_new_int64((int64_t)json_integer_value(j));
    case JSON_REAL: return json_object_new_double(json_real_value(j));
    case JSON_STRING: return json_object_new_string_len(json_string_value(j), (int)json_string_length(j));
    case JSON_ARRAY: {
        struct json_object *a = json_object_new_array();
        for (size_t i = 0; i < json_array_size(j); i++) json_object_array_add(a, to_jsonc(json_array_get(j, i)));
        return a;
    }
    case JSON_OBJECT: {
        struct json_object *o = json_object_new_object();
        const char *key;
        json_t *val;
        json_object_foreach(j, key, val) { json_object_object_add(o, key, to_jsonc(val)); }
        return o;
    }
    }
    return NULL;
}

/* ---- the writers ---- */

typedef struct acar_ctx {
    acar_val *root;
    acar_write_opts opts;
    int failed;
} acar_ctx;

static size_t run_acar(void *p) {
    acar_ctx *c = p;
    acar_buf out = {0};
    acar_err err;
    if (acar_write(c->root, ACAR_FORMAT_JSON, &c->opts, &out, &err) != 0) c->failed = 1;
    size_t n = out.len;
    acar_buf_free(&out);
    return n;
}

static size_t run_cjson(void *p) {
    char *s = cJSON_PrintUnformatted(p);
    size_t n = s ? strlen(s) : 0;
    cJSON_free(s);
    return n;
}

static size_t run_jansson(void *p) {
    char *s = json_dumps(p, JSON_COMPACT);
    size_t n = s ? strlen(s) : 0;
    free(s);
    return n;
}

static size_t run_jsonc(void *p) {
    size_t n = 0;
    const char *s = json_object_to_json_string_length(
        p, JSONC_TO_STRING_PLAIN | JSONC_TO_STRING_NOSLASHESCAPE, &n);
    return s ? n : 0;
}

/* Python's side (bench_pyproc.h): a child that reads every file with
 * json.load, writes json.dumps's bytes for file i to OUTDIR/i.json (for the
 * check of acar's), prints whether it has orjson, then answers "d I N"
 * (json.dumps), "c I N" (compact, raw UTF-8) or "o I N" (orjson.dumps)
 * with the CPU seconds of N calls on file I's object. */
static const char *PY_SCRIPT =
    "import json, sys, time\n"
    "try:\n import orjson\nexcept ImportError:\n orjson = None\n"
    "outdir, objs = sys.argv[1], []\n"
    "for i, path in enumerate(sys.argv[2:]):\n"
    " obj = json.load(open(path, encoding='utf-8'))\n"
    " open('%s/%d.json' % (outdir, i), 'wb').write(json.dumps(obj).encode('utf-8', 'surrogatepass'))\n"
    " objs.append(obj)\n"
    "print(1 if orjson else 0, flush=True)\n"
    "fs = {'d': lambda o: json.dumps(o),\n"
    "      'c': lambda o: json.dumps(o, separators=(',', ':'), ensure_ascii=False),\n"
    "      'o': lambda o: orjson.dumps(o)}\n"
    "pt = time.process_time\n"
    "for line in sys.stdin:\n"
    " w, i, n = line.split()\n"
    " f, o, r = fs[w], objs[int(i)], range(int(n))\n"
    " t0 = pt()\n"
    " for _ in r: f(o)\n"
    " print(pt() - t0, flush=True)\n";

/* One Python side of one file: which call, on which file's object. */
typedef struct py_side {
    bench_py *py;
    char which; /* 'd', 'c' or 'o' */
    int file;
} py_side;

static double py_timed(void *ctx, size_t number) {
    const py_side *ps = ctx;
    char req[64];
    snprintf(req, sizeof req, "%c %d %zu", ps->which, ps->file, number);
    return bench_py_ask(ps->py, req);
}

int main(int argc, char **argv) {
    const char *python = "python3";
    int nfiles = 0, cpu = -1;
    const char **files = calloc((size_t)argc, sizeof *files);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--python") == 0 && i + 1 < argc) python = argv[++i];
        else if (strcmp(argv[i], "--no-python") == 0) python = NULL;
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) repeat = atoi(argv[++i]);
        else if (strcmp(argv[i], "--min-time") == 0 && i + 1 < argc) min_time = atof(argv[++i]);
        else if (strcmp(argv[i], "--cpu") == 0 && i + 1 < argc) cpu = atoi(argv[++i]);
        else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: bench_json_write [--python PY | --no-python] [--repeat N] "
                            "[--min-time S] [--cpu N] FILE.json...\n");
            return 2;
        } else files[nfiles++] = argv[i];
    }
    if (repeat < 1 || repeat > BENCH_MAX_ROUNDS) {
        fprintf(stderr, "bench_json_write: --repeat must be 1 to %d\n", BENCH_MAX_ROUNDS);
        return 2;
    }
    if (!nfiles) {
        fprintf(stderr, "bench_json_write: no files\n");
        return 2;
    }
    if (bench_child_setup("bench_json_write", cpu) == -2) return 2; /* before the child starts */
    /* Python starts first: it writes json.dumps's bytes for the check. */
    char outdir[] = "/tmp/acar-bench-jsonw-XXXXXX";
    bench_py pyp;
    bool have_py = false, have_orjson = false;
    if (python && mkdtemp(outdir)) {
        const char **args = calloc((size_t)nfiles + 1, sizeof *args);
        char hello[16];
        if (args) {
            args[0] = outdir;
            for (int i = 0; i < nfiles; i++) args[1 + i] = files[i];
            have_py = bench_py_start(&pyp, python, PY_SCRIPT, args, (size_t)nfiles + 1, hello, sizeof hello);
            have_orjson = have_py && hello[0] == '1';
            free(args);
        }
    }
    int status = 0;
#ifdef HAVE_SIMDJSON
    const char *sj_head = " simdjson |", *sj_rule = "---:|";
#else
    const char *sj_head = "", *sj_rule = "";
#endif
    printf("| file | KB out | acar MB/s | acar-compact MB/s |%s cJSON | jansson | json-c |%s\n", sj_head,
           have_py ? " json.dumps | json.dumps compact | orjson |" : "");
    printf("|---|---:|---:|---:|%s---:|---:|---:|%s\n", sj_rule, have_py ? "---:|---:|---:|" : "");
    for (int i = 0; i < nfiles; i++) {
        size_t len;
        char *text = bench_read_file(files[i], &len, 1);
        if (!text) {
            fprintf(stderr, "bench_json_write: cannot read %s\n", files[i]);
            return 2;
        }
        json_error_t jerr;
        json_t *jt = json_loadb(text, len, 0, &jerr);
        cJSON *ct = cJSON_ParseWithLength(text, len);
        struct json_object *jc = jt ? to_jsonc(jt) : NULL;
        if (!jt || !ct || !jc) {
            fprintf(stderr, "bench_json_write: %s: a library cannot parse it (%s)\n", files[i],
                    jt ? "" : jerr.text);
            status = 1;
            continue;
        }
        acar_doc *doc = acar_doc_new(NULL);
        acar_ctx ac = {to_acar(doc, jt), {0}, 0};
        if (acar_doc_error(doc)) {
            fprintf(stderr, "%s: building the document: %s\n", files[i], acar_doc_error(doc)->msg);
            status = 1;
            continue;
        }
        acar_ctx cc = ac;
        cc.opts.flags = ACAR_WRITE_NO_ENSURE_ASCII;
        cc.opts.item_sep = ",";
        cc.opts.key_sep = ":";

        /* acar's bytes against json.dumps's */
        if (have_py) {
            char path[64];
            snprintf(path, sizeof path, "%s/%d.json", outdir, i);
            size_t plen = 0;
            char *want = bench_read_file(path, &plen, 1);
            acar_buf out = {0};
            acar_err err;
            int rc = acar_write(ac.root, ACAR_FORMAT_JSON, NULL, &out, &err);
            if (rc != 0 || !want || plen != out.len || memcmp(want, out.data, plen) != 0) {
                fprintf(stderr, "%s: acar's output differs from json.dumps (%zu vs %zu bytes)%s%s\n",
                        files[i], out.len, plen, rc ? ": " : "", rc ? err.msg : "");
                status = 1;
            }
            acar_buf_free(&out);
            free(want);
            remove(path);
        }
        /* every writer timed in turn, round by round (bench_best_each):
         * sides 0-4 always, then simdjson's and Python's when there */
        bench_side sides[9] = {{.run = run_acar, .ctx = &ac}, {.run = run_acar, .ctx = &cc},
                               {.run = run_cjson, .ctx = ct}, {.run = run_jansson, .ctx = jt},
                               {.run = run_jsonc, .ctx = jc}};
        size_t nsides = 5;
        int py_first = -1;
#ifdef HAVE_SIMDJSON
        int sj_side = -1;
        void *sj = bench_simdjson_doc_new(text, len);
        if (sj) {
            sj_side = (int)nsides;
            sides[nsides++] = (bench_side){.run = bench_simdjson_write, .ctx = sj};
        }
#endif
        py_side pys[3] = {{&pyp, 'd', i}, {&pyp, 'c', i}, {&pyp, 'o', i}};
        if (have_py) {
            py_first = (int)nsides;
            for (int k = 0; k < (have_orjson ? 3 : 2); k++)
                sides[nsides++] = (bench_side){.timed = py_timed, .ctx = &pys[k]};
        }
        bench_best_each(sides, nsides, repeat, min_time);
        size_t n_a = sides[0].last, n_c = sides[1].last, n_cj = sides[2].last, n_ja = sides[3].last,
               n_jc = sides[4].last;
        double t_a = sides[0].best, t_c = sides[1].best, t_cj = sides[2].best, t_ja = sides[3].best,
               t_jc = sides[4].best;
        if (ac.failed || cc.failed) status = 1;
        const char *base = strrchr(files[i], '/');
        base = base ? base + 1 : files[i];
        /* ratios against acar-compact for the C libraries (same work), against
         * acar (same bytes) for json.dumps */
        printf("| %s | %zu | %.0f | %.0f |", base, n_a / 1024, n_a / t_a / 1e6, n_c / t_c / 1e6);
#ifdef HAVE_SIMDJSON
        if (sj) {
            size_t n_sj = sides[sj_side].last;
            double t_sj = sides[sj_side].best;
            printf(" %.0f (%.2fx) |", n_sj / t_sj / 1e6, bench_paired(&sides[sj_side], &sides[1], repeat));
            bench_simdjson_doc_free(sj);
        } else {
            printf(" - |");
        }
#endif
        printf(" %.0f (%.2fx) | %.0f (%.2fx) | %.0f (%.2fx) |", n_cj / t_cj / 1e6,
               bench_paired(&sides[2], &sides[1], repeat), n_ja / t_ja / 1e6,
               bench_paired(&sides[3], &sides[1], repeat), n_jc / t_jc / 1e6,
               bench_paired(&sides[4], &sides[1], repeat));
        if (have_py) {
            /* json.dumps against acar (the same bytes), the compact form and
             * orjson against acar-compact; MB/s of acar's bytes */
            for (int k = 0; k < 3; k++) {
                const bench_side *ps = &sides[py_first + k];
                if (k == 2 && !have_orjson) printf(" - |");
                else if (ps->best < 0) printf(" failed |");
                else printf(" %.0f (%.2fx) |", (double)(k ? n_c : n_a) / ps->best / 1e6,
                            bench_paired(ps, &sides[k ? 1 : 0], repeat));
            }
        }
        printf("\n");
        fflush(stdout);
        acar_doc_free(doc);
        json_decref(jt);
        cJSON_Delete(ct);
        json_object_put(jc);
        free(text);
    }
    if (have_py) bench_py_stop(&pyp);
    if (python) remove(outdir); /* the check removed its files */
    free(files);
    return status;
}
