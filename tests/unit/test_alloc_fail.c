/*
 * test_alloc_fail.c -- allocation-failure sweeps over every reader and
 * writer.
 *
 * A hook counts allocations and fails the N-th one; for N = 0, 1, 2, ...
 * each call runs again until it makes it through without meeting the
 * failure.  Every run must either fail with ACAR_ERR_NOMEM and a message,
 * or succeed with the same result as a run without failures; and once
 * everything is freed, every byte the hook handed out must have come back
 * (realloc and free must also name the size the block was given).
 *
 * Two routes are hooked: a document's allocator (acar_doc_opts.alloc:
 * nodes, reader scratch, expat's memory), and, on Linux with GNU ld or lld,
 * the C library's malloc/calloc/realloc/free as the library calls them
 * (tests/CMakeLists.txt links this test with --wrap): writers' output
 * buffers and scratch tables, the scanner's report, dis.  Both count
 * through one counter, so "the N-th allocation" is the N-th of the call,
 * whatever route it takes.
 *
 * Inputs: tests/unit/alloc_fail_inputs.h (made by CPython with
 * tests/gen/gen_alloc_fail_inputs.py) and committed fixtures of
 * tests/fixtures (NumPy, PyTorch and scanner files).  The counts of
 * allocation points per call are printed; docs/FUZZING.md records them.
 */
#include "acar.h"
#include "check.h"
#include "core/internal.h" /* acar_doc's chunk sizes, made tiny below */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_fail_inputs.h"

/* ====================================================================
 * The hook
 * ================================================================== */

#ifdef ACAR_TEST_WRAP_LIBC
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
#define RAW_MALLOC __real_malloc
#define RAW_CALLOC __real_calloc
#define RAW_REALLOC __real_realloc
#define RAW_FREE __real_free
#else
#define RAW_MALLOC malloc
#define RAW_CALLOC calloc
#define RAW_REALLOC realloc
#define RAW_FREE free
#endif

typedef struct ent {
    void *p;
    size_t size;
} ent;

static struct {
    bool armed;
    long count;          /* allocations since arming */
    long fail_at;        /* the one to fail */
    bool injected;       /* it was failed */
    bool sticky;         /* fail every allocation from fail_at on */
    long libc;           /* allocations through the C library's malloc while armed */
    ent *tab;            /* blocks handed out while armed: open addressing */
    size_t cap, n;
    size_t live;         /* their bytes */
    unsigned long bad_size;  /* realloc/free named a wrong old size */
} H;

static size_t slot_of(const void *p) { return (size_t)(((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ull) & (H.cap - 1); }

static void track_add(void *p, size_t size) {
    if (H.n + 1 > H.cap / 2) {
        size_t oc = H.cap;
        ent *ot = H.tab;
        H.cap = oc ? oc * 2 : 1024;
        H.tab = RAW_CALLOC(H.cap, sizeof *H.tab);
        if (!H.tab) abort();
        H.n = 0;
        for (size_t i = 0; i < oc; i++)
            if (ot[i].p) {
                size_t s = slot_of(ot[i].p);
                while (H.tab[s].p) s = (s + 1) & (H.cap - 1);
                H.tab[s] = ot[i];
                H.n++;
            }
        RAW_FREE(ot);
    }
    size_t s = slot_of(p);
    while (H.tab[s].p) s = (s + 1) & (H.cap - 1);
    H.tab[s].p = p;
    H.tab[s].size = size;
    H.n++;
    H.live += size;
}

/* Removes p; returns 1 and its size if it was tracked. */
static int track_del(void *p, size_t *size) {
    if (!H.cap || !p) return 0;
    size_t s = slot_of(p);
    while (H.tab[s].p && H.tab[s].p != p) s = (s + 1) & (H.cap - 1);
    if (!H.tab[s].p) return 0;
    *size = H.tab[s].size;
    H.live -= *size;
    H.n--;
    /* backward-shift deletion */
    size_t i = s;
    for (;;) {
        H.tab[i].p = NULL;
        size_t j = i;
        for (;;) {
            j = (j + 1) & (H.cap - 1);
            if (!H.tab[j].p) return 1;
            size_t k = slot_of(H.tab[j].p);
            if ((i <= j) ? (i < k && k <= j) : (i < k || k <= j)) continue;
            break;
        }
        H.tab[i] = H.tab[j];
        i = j;
    }
}

static bool inject(void) {
    if (!H.armed) return false;
    long k = H.count++;
    if (k == H.fail_at || (H.sticky && k > H.fail_at)) {
        H.injected = true;
        return true;
    }
    return false;
}

static void *af_malloc(size_t n) {
    if (inject()) return NULL;
    void *p = RAW_MALLOC(n ? n : 1);
    if (p && H.armed) track_add(p, n);
    return p;
}

static void *af_calloc(size_t n, size_t m) {
    if (inject()) return NULL;
    void *p = RAW_CALLOC(n ? n : 1, m ? m : 1);
    if (p && H.armed) track_add(p, n * m);
    return p;
}

/* known: the caller named the old size (a document's allocator). */
static void *af_realloc(void *p, size_t old, size_t n, bool known) {
    if (!p) return af_malloc(n);
    if (inject()) return NULL;
    size_t had = 0;
    int tracked = track_del(p, &had);
    if (tracked && known && had != old) H.bad_size++;
    void *q = RAW_REALLOC(p, n ? n : 1);
    if (!q) {
        if (tracked) track_add(p, had);
        return NULL;
    }
    /* a block of the C library from before arming stays untracked */
    if (tracked || (H.armed && known)) track_add(q, n);
    return q;
}

static void af_free(void *p, size_t size, bool known) {
    if (!p) return;
    size_t had = 0;
    if (track_del(p, &had) && known && had != size) H.bad_size++;
    RAW_FREE(p);
}

#ifdef ACAR_TEST_WRAP_LIBC
void *__wrap_malloc(size_t n) {
    H.libc += H.armed;
    return af_malloc(n);
}
void *__wrap_calloc(size_t n, size_t m) {
    H.libc += H.armed;
    return af_calloc(n, m);
}
void *__wrap_realloc(void *p, size_t n) {
    H.libc += H.armed;
    return af_realloc(p, 0, n, false);
}
void __wrap_free(void *p) { af_free(p, 0, false); }
#endif

static void *h_malloc(void *ctx, size_t n) {
    (void)ctx;
    return af_malloc(n);
}
static void *h_realloc(void *ctx, void *p, size_t old, size_t n) {
    (void)ctx;
    return af_realloc(p, old, n, true);
}
static void h_free(void *ctx, void *p, size_t n) {
    (void)ctx;
    af_free(p, n, true);
}
static const acar_alloc hook_alloc = {h_malloc, h_realloc, h_free, NULL};

/* ====================================================================
 * The sweep
 * ================================================================== */

/* One call under test.  run is called armed and returns 0 or -1 with err
 * filled; finish is called disarmed: when out is not NULL it appends a
 * canonical text of the successful result, and it frees everything. */
typedef struct sweep_case sweep_case;
struct sweep_case {
    const char *name;
    int (*run)(sweep_case *c, acar_err *err);
    void (*finish)(sweep_case *c, acar_buf *out);
    /* inputs */
    const void *data;
    size_t len;
    acar_format format;
    unsigned version;
    uint32_t flags;
    const char *indent;
    const char *method;
    const acar_val *value;   /* writers: the value to write */
    /* state of one run */
    acar_doc *doc;
    acar_val *root;
    acar_buf buf;
    acar_array arr;
    acar_torch *torch;
    acar_scan_report rep;
    int rc;
};

static long total_points, total_runs;

/* Sweeps c, failing the N-th allocation alone (sticky false: the call
 * goes on with allocations that succeed again) or every allocation from
 * the N-th on (sticky true: cleanup paths that allocate fail too).
 * Returns the number of allocation points. */
static long sweep_mode(sweep_case *c, bool sticky) {
    acar_err err;
    acar_buf base = {0};
    memset(&err, 0, sizeof err);
    int rc = c->run(c, &err);
    CHECK_MSG(rc == 0, "%s: the call fails without failures: %s", c->name, err.msg);
    c->finish(c, rc == 0 ? &base : NULL);
    acar_release_memory();
    if (rc != 0) return 0;
    long n = 0;
    for (;; n++) {
        memset(&err, 0, sizeof err);
        H.armed = true;
        H.count = 0;
        H.fail_at = n;
        H.injected = false;
        H.bad_size = 0;
        H.sticky = sticky;
        rc = c->run(c, &err);
        H.armed = false;
        acar_buf got = {0};
        c->finish(c, rc == 0 ? &got : NULL);
        bool same = got.len == base.len && (got.len == 0 || memcmp(got.data, base.data, got.len) == 0);
        if (rc == 0 && !same && getenv("AF_VERBOSE")) {
            size_t d = 0;
            while (d < got.len && d < base.len && got.data[d] == base.data[d]) d++;
            fprintf(stderr, "--- %s: %zu and %zu bytes, first difference at %zu:\n", c->name, base.len, got.len, d);
            for (int w = 0; w < 2; w++) {
                const acar_buf *b = w ? &got : &base;
                for (size_t i = d > 20 ? d - 20 : 0; i < b->len && i < d + 40; i++) {
                    unsigned char ch = (unsigned char)b->data[i];
                    if (ch >= 32 && ch < 127) fputc(ch, stderr);
                    else fprintf(stderr, "\\x%02x", ch);
                }
                fputc('\n', stderr);
            }
        }
        acar_buf_free(&got);
        acar_release_memory();
        total_runs++;
        CHECK_MSG(H.n == 0 && H.live == 0, "%s: failing allocation %ld: %zu blocks (%zu bytes) not returned",
                  c->name, n, H.n, H.live);
        CHECK_MSG(H.bad_size == 0, "%s: failing allocation %ld: realloc/free given a wrong old size",
                  c->name, n);
        if (H.n) {
            /* forget them, so that the next run counts its own */
            memset(H.tab, 0, H.cap * sizeof *H.tab);
            H.n = 0;
            H.live = 0;
        }
        if (rc != 0) {
            CHECK_MSG(H.injected, "%s: run %ld failed without an injected failure: %s", c->name, n, err.msg);
            CHECK_MSG(err.code == ACAR_ERR_NOMEM, "%s: failing allocation %ld: code %d (%s), not NOMEM",
                      c->name, n, (int)err.code, err.msg);
            CHECK_MSG(err.msg[0] != 0, "%s: failing allocation %ld: no message", c->name, n);
        } else {
            CHECK_MSG(same, "%s: failing allocation %ld: succeeded with a different result", c->name, n);
        }
        if (!H.injected) break;
        if (n > 100000) {
            CHECK_MSG(0, "%s: more than 100000 allocations", c->name);
            break;
        }
    }
    acar_buf_free(&base);
    return n;
}

/* Both sweeps; prints the count. */
static long sweep(sweep_case *c) {
    long n = sweep_mode(c, false);
    long m = sweep_mode(c, true);
    CHECK_MSG(n == m, "%s: %ld allocation points, %ld with sticky failures", c->name, n, m);
    printf("  %-34s %5ld allocation points\n", c->name, n);
    total_points += n;
    return n;
}

/* ---- readers ---- */

/* Arena chunks of this many bytes that never grow (0: the library's 4 KiB
 * doubling).  A failure can only meet a node when its chunk is taken, so
 * tiny chunks make most node allocations of a read a failure point. */
static size_t chunk_size;

static acar_doc *hook_doc(void) {
    acar_doc_opts o;
    memset(&o, 0, sizeof o);
    o.alloc = &hook_alloc;
    acar_doc *d = acar_doc_new(&o);
    if (d && chunk_size) d->next_chunk = d->chunk_cap = chunk_size;
    return d;
}

static int no_doc(acar_err *err) {
    memset(err, 0, sizeof *err);
    err->code = ACAR_ERR_NOMEM;
    snprintf(err->msg, sizeof err->msg, "acar_doc_new: out of memory");
    return -1;
}

static void canon_value(const acar_val *v, acar_buf *out) {
    acar_err err;
    if (acar_typeof(v) == ACAR_CODE) {
        acar_write(v, ACAR_FORMAT_MARSHAL, NULL, out, &err);
        return;
    }
    if (acar_repr(v, out, &err) < 0) CHECK_MSG(0, "repr: %s", err.msg);
}

static int read_run(sweep_case *c, acar_err *err) {
    c->doc = hook_doc();
    if (!c->doc) return no_doc(err);
    acar_read_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.format = c->format;
    ro.flags = c->flags;
    c->root = acar_read(c->doc, c->data, c->len, &ro, err);
    return c->root ? 0 : -1;
}

static void read_finish(sweep_case *c, acar_buf *out) {
    if (out) canon_value(c->root, out);
    acar_doc_free(c->doc);
    c->doc = NULL;
    c->root = NULL;
}

/* ---- writers ---- */

static int write_run(sweep_case *c, acar_err *err) {
    acar_write_opts wo;
    memset(&wo, 0, sizeof wo);
    wo.version = c->version;
    wo.flags = c->flags;
    wo.indent = c->indent;
    wo.method = c->method;
    return acar_write(c->value, c->format, &wo, &c->buf, err);
}

static void buf_finish(sweep_case *c, acar_buf *out) {
    if (out) {
        out->data = c->buf.data;
        out->len = c->buf.len;
        out->cap = c->buf.cap;
        memset(&c->buf, 0, sizeof c->buf);
    }
    acar_buf_free(&c->buf);
}

static int pyc_write_run(sweep_case *c, acar_err *err) { return acar_pyc_write(c->value, NULL, &c->buf, err); }
static int code_show_run(sweep_case *c, acar_err *err) { return acar_code_show(c->value, &c->buf, err); }

/* ---- .npy, checkpoints, arrays built ---- */

static int npy_run(sweep_case *c, acar_err *err) {
    c->doc = hook_doc();
    if (!c->doc) return no_doc(err);
    return acar_npy_read(c->doc, c->data, c->len, NULL, &c->arr, err);
}

static void npy_finish(sweep_case *c, acar_buf *out) {
    if (out) {
        char line[256];
        int n = snprintf(line, sizeof line, "%s ndim %d nbytes %zu data %p ", c->arr.dtype_str, c->arr.ndim,
                         c->arr.nbytes, c->arr.data);
        acar_buf b = *out;
        b.data = realloc(b.data, (size_t)n + 1);
        memcpy(b.data, line, (size_t)n);
        b.len = (size_t)n;
        b.cap = (size_t)n + 1;
        *out = b;
        if (c->arr.objects) canon_value(c->arr.objects, out);
    }
    acar_doc_free(c->doc);
    c->doc = NULL;
}

static int torch_run(sweep_case *c, acar_err *err) {
    c->doc = hook_doc();
    if (!c->doc) return no_doc(err);
    c->torch = acar_torch_open(c->doc, c->data, c->len, err);
    return c->torch ? 0 : -1;
}

static void torch_finish(sweep_case *c, acar_buf *out) {
    if (out) canon_value(acar_torch_root(c->torch), out);
    acar_doc_free(c->doc);
    c->doc = NULL;
    c->torch = NULL;
}

static int ndarray_run(sweep_case *c, acar_err *err) {
    c->doc = hook_doc();
    if (!c->doc) return no_doc(err);
    static const double data[6] = {1, 2, 3, 4, 5, 6};
    static const int64_t shape[2] = {2, 3};
    acar_val *v = acar_new_ndarray(c->doc, "<f8", 2, shape, 0, data, sizeof data, (int)c->version);
    if (!v) {
        const acar_err *e = acar_doc_error(c->doc);
        if (e) *err = *e;
        else CHECK_MSG(0, "acar_new_ndarray failed without an error");
        return -1;
    }
    acar_write_opts wo;
    memset(&wo, 0, sizeof wo);
    wo.version = c->version ? ACAR_VERSION(5) : ACAR_VERSION(2);
    return acar_write(v, ACAR_FORMAT_PICKLE, &wo, &c->buf, err);
}

static void ndarray_finish(sweep_case *c, acar_buf *out) {
    buf_finish(c, out);
    acar_doc_free(c->doc);
    c->doc = NULL;
}

/* ---- scan and dis ---- */

static int scan_run(sweep_case *c, acar_err *err) { return acar_scan(c->data, c->len, NULL, &c->rep, err); }

static void scan_finish(sweep_case *c, acar_buf *out) {
    if (out) {
        acar_buf b = {0};
        char line[64];
        snprintf(line, sizeof line, "%d %d %d %zu\n", (int)c->rep.verdict, c->rep.malformed, c->rep.incomplete,
                 c->rep.npickles);
        size_t total = strlen(line);
        for (size_t i = 0; i < c->rep.nfindings; i++) {
            const acar_scan_finding *f = &c->rep.findings[i];
            total += f->module_len + f->name_len + strlen(f->where) + strlen(f->message) + 64;
        }
        b.data = malloc(total + 1);
        b.cap = total + 1;
        b.len = (size_t)snprintf(b.data, b.cap, "%s", line);
        for (size_t i = 0; i < c->rep.nfindings; i++) {
            const acar_scan_finding *f = &c->rep.findings[i];
            b.len += (size_t)snprintf(b.data + b.len, b.cap - b.len, "%d %d %.*s %.*s %zu %s %s\n", (int)f->kind,
                                      (int)f->severity, (int)f->module_len, f->module, (int)f->name_len, f->name,
                                      f->offset, f->where, f->message);
        }
        *out = b;
    }
    acar_scan_report_free(&c->rep);
}

static int dis_run(sweep_case *c, acar_err *err) { return acar_dis(c->data, c->len, NULL, &c->buf, err); }

/* ====================================================================
 * Inputs
 * ================================================================== */

static const af_input *input(const char *name) {
    for (size_t i = 0; i < sizeof af_inputs / sizeof *af_inputs; i++)
        if (strcmp(af_inputs[i].name, name) == 0) return &af_inputs[i];
    fprintf(stderr, "no input %s\n", name);
    exit(2);
}

/* A document read without the hook, for the writers. */
static acar_doc *plain_docs[64];
static size_t nplain;

static const acar_val *value_of(const char *name) {
    const af_input *in = input(name);
    acar_doc *doc = acar_doc_new(NULL);
    acar_read_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.format = in->format;
    acar_err err;
    acar_val *v = acar_read(doc, in->data, in->len, &ro, &err);
    if (!v) {
        fprintf(stderr, "%s: %s\n", name, err.msg);
        exit(2);
    }
    plain_docs[nplain++] = doc;
    return v;
}

static long sweep_read(const char *name, uint32_t flags, const char *label) {
    const af_input *in = input(name);
    sweep_case c;
    memset(&c, 0, sizeof c);
    c.name = label ? label : name;
    c.run = read_run;
    c.finish = read_finish;
    c.data = in->data;
    c.len = in->len;
    c.format = in->format;
    c.flags = flags;
#ifdef ACAR_TEST_WRAP_LIBC
    /* a read takes all its memory from the document's allocator */
    acar_err err;
    H.libc = 0;
    H.fail_at = -1;
    H.sticky = false;
    H.armed = true;
    int rc = c.run(&c, &err);
    H.armed = false;
    c.finish(&c, NULL);
    CHECK_MSG(rc == 0 && H.libc == 0, "%s: %ld allocations from the C library", c.name, H.libc);
#endif
    return sweep(&c);
}

static long sweep_write(const char *label, const char *from, acar_format fmt, unsigned version, uint32_t flags,
                        const char *indent, const char *method) {
    sweep_case c;
    memset(&c, 0, sizeof c);
    c.name = label;
    c.run = write_run;
    c.finish = buf_finish;
    c.value = value_of(from);
    c.format = fmt;
    c.version = version;
    c.flags = flags;
    c.indent = indent;
    c.method = method;
    return sweep(&c);
}

static long sweep_file(const char *label, const char *path, int (*run)(sweep_case *, acar_err *),
                       void (*finish)(sweep_case *, acar_buf *)) {
    sweep_case c;
    memset(&c, 0, sizeof c);
    c.name = label;
    c.run = run;
    c.finish = finish;
    void *data = check_read_file(path, &c.len);
    if (!data) exit(2);
    c.data = data;
    long n = sweep(&c);
    free(data);
    return n;
}

static long sweep_bytes(const char *label, const char *name, int (*run)(sweep_case *, acar_err *),
                        void (*finish)(sweep_case *, acar_buf *)) {
    const af_input *in = input(name);
    sweep_case c;
    memset(&c, 0, sizeof c);
    c.name = label;
    c.run = run;
    c.finish = finish;
    c.data = in->data;
    c.len = in->len;
    return sweep(&c);
}

int main(void) {
#ifdef ACAR_TEST_WRAP_LIBC
    printf("allocation-failure sweeps (document allocator and C library)\n");
#else
    printf("allocation-failure sweeps (document allocator only)\n");
#endif
    /* readers three times: arena chunks as the library makes them, then
     * 64 and 232 bytes (so that chunks end at other nodes) */
    static const size_t chunks[3] = {0, 64, 232};
    for (int k = 0; k < 3; k++) {
        chunk_size = chunks[k];
        printf("readers, arena chunks of %s bytes:\n", k ? (k == 1 ? "64" : "232") : "4096 and up");
        for (size_t i = 0; i < sizeof af_inputs / sizeof *af_inputs; i++) {
            long n = sweep_read(af_inputs[i].name, 0, NULL);
            CHECK_MSG(n > 0, "%s: no allocation point", af_inputs[i].name);
        }
        sweep_read("pickle_p4", ACAR_READ_BORROW | ACAR_READ_RAW_GLOBALS, "pickle_p4 borrow raw_globals");
        sweep_read("pickle_p2", ACAR_READ_BORROW, "pickle_p2 borrow");
    }
    chunk_size = 64;

    printf("writers:\n");
    char label[64];
    for (unsigned p = 0; p <= 5; p++) {
        char from[16];
        snprintf(from, sizeof from, "pickle_p%u", p);
        snprintf(label, sizeof label, "write pickle %u", p);
        sweep_write(label, from, ACAR_FORMAT_PICKLE, ACAR_VERSION(p), 0, NULL, NULL);
    }
    sweep_write("write pickle 5 buffers", "pickle_p5_buffers", ACAR_FORMAT_PICKLE, ACAR_VERSION(5), 0, NULL, NULL);
    sweep_write("write pickle 2 memo", "pickle_memo", ACAR_FORMAT_PICKLE, ACAR_VERSION(2), 0, NULL, NULL);
    sweep_write("write pickle 0 of protocol 4", "pickle_p4", ACAR_FORMAT_PICKLE, ACAR_VERSION(0), 0, NULL, NULL);
    sweep_write("write pickle 0 deep", "pickle_deep_p0", ACAR_FORMAT_PICKLE, ACAR_VERSION(0), 0, NULL, NULL);
    sweep_write("write pickle 4 deep", "pickle_deep_p4", ACAR_FORMAT_PICKLE, ACAR_VERSION(4), 0, NULL, NULL);
    sweep_write("write pickle 4 many", "pickle_many_p4", ACAR_FORMAT_PICKLE, ACAR_VERSION(4), 0, NULL, NULL);
    sweep_write("write pickle 1 many", "pickle_many_p4", ACAR_FORMAT_PICKLE, ACAR_VERSION(1), 0, NULL, NULL);
    sweep_write("write pickle 0 escapes", "pickle_escapes_p0", ACAR_FORMAT_PICKLE, ACAR_VERSION(0), 0, NULL, NULL);
    sweep_write("write marshal deep", "marshal_deep", ACAR_FORMAT_MARSHAL, 0, 0, NULL, NULL);
    sweep_write("write marshal many", "marshal_many", ACAR_FORMAT_MARSHAL, 0, 0, NULL, NULL);
    sweep_write("write json deep", "json_deep", ACAR_FORMAT_JSON, 0, 0, NULL, NULL);
    sweep_write("write json many sorted", "json_many", ACAR_FORMAT_JSON, 0, ACAR_WRITE_SORT_KEYS, " ", NULL);
    sweep_write("write json escapes", "json_escapes", ACAR_FORMAT_JSON, 0, 0, NULL, NULL);
    sweep_write("write repr deep", "pickle_deep_p4", ACAR_FORMAT_REPR, 0, 0, NULL, NULL);
    sweep_write("write xmlrpc deep", "xmlrpc_deep", ACAR_FORMAT_XMLRPC, 0, 0, NULL, "d");
    sweep_write("write plist deep", "plist_deep", ACAR_FORMAT_PLIST, 0, 0, NULL, NULL);
    sweep_write("write bplist many", "bplist_many", ACAR_FORMAT_BPLIST, 0, 0, NULL, NULL);
    sweep_write("write marshal 4", "marshal", ACAR_FORMAT_MARSHAL, 0, 0, NULL, NULL);
    sweep_write("write marshal 2", "marshal_v2", ACAR_FORMAT_MARSHAL, ACAR_VERSION(2), 0, NULL, NULL);
    sweep_write("write marshal code", "marshal_code", ACAR_FORMAT_MARSHAL, 0, 0, NULL, NULL);
    sweep_write("write pyc", "pyc", ACAR_FORMAT_PYC, 0, 0, NULL, NULL);
    sweep_write("write json", "json", ACAR_FORMAT_JSON, 0, 0, NULL, NULL);
    sweep_write("write json indent sort", "json_indent", ACAR_FORMAT_JSON, 0,
                ACAR_WRITE_SORT_KEYS | ACAR_WRITE_NO_ENSURE_ASCII, "  ", NULL);
    sweep_write("write jsonl", "jsonl", ACAR_FORMAT_JSONL, 0, 0, NULL, NULL);
    sweep_write("write repr pickle", "pickle_p4", ACAR_FORMAT_REPR, 0, 0, NULL, NULL);
    sweep_write("write repr json", "json", ACAR_FORMAT_REPR, 0, 0, NULL, NULL);
    sweep_write("write repr code", "marshal_code", ACAR_FORMAT_REPR, 0, 0, NULL, NULL);
    sweep_write("write xmlrpc call", "xmlrpc_call", ACAR_FORMAT_XMLRPC, 0, ACAR_WRITE_ALLOW_NONE, NULL, "m.f");
    sweep_write("write xmlrpc fault", "xmlrpc_fault", ACAR_FORMAT_XMLRPC, 0, ACAR_WRITE_FAULT, NULL, NULL);
    sweep_write("write plist", "plist", ACAR_FORMAT_PLIST, 0, 0, NULL, NULL);
    sweep_write("write plist unsorted", "plist", ACAR_FORMAT_PLIST, 0, ACAR_WRITE_NO_SORT_KEYS, NULL, NULL);
    sweep_write("write bplist", "bplist", ACAR_FORMAT_BPLIST, 0, 0, NULL, NULL);
    sweep_write("write bplist of xml plist", "plist", ACAR_FORMAT_BPLIST, 0, 0, NULL, NULL);
    {
        sweep_case c;
        memset(&c, 0, sizeof c);
        c.value = value_of("pyc");
        c.name = "acar_pyc_write";
        c.run = pyc_write_run;
        c.finish = buf_finish;
        sweep(&c);
        c.name = "acar_code_show";
        c.run = code_show_run;
        sweep(&c);
        c.name = "acar_new_ndarray + write 2";
        c.run = ndarray_run;
        c.finish = ndarray_finish;
        c.version = 0;
        sweep(&c);
        c.name = "acar_new_ndarray + write 5";
        c.version = 1;
        sweep(&c);
    }

    printf("arrays and checkpoints:\n");
    sweep_file("npy i4 2x3", "fixtures/tensor/i4_2x3_v1.npy", npy_run, npy_finish);
    sweep_file("npy struct v3", "fixtures/tensor/struct_v3.npy", npy_run, npy_finish);
    sweep_file("npy object", "fixtures/tensor/obj_v1.npy", npy_run, npy_finish);
    sweep_file("torch state_dict.pt", "fixtures/tensor/state_dict.pt", torch_run, torch_finish);
    sweep_file("torch legacy.pt", "fixtures/tensor/legacy.pt", torch_run, torch_finish);

    printf("scan and dis:\n");
    sweep_bytes("scan pickle_p4", "pickle_p4", scan_run, scan_finish);
    sweep_file("scan nested loads", "fixtures/scan/d_nested_loads_p2.pkl", scan_run, scan_finish);
    sweep_file("scan memo stack_global", "fixtures/scan/d_memo_stack_global.pkl", scan_run, scan_finish);
    sweep_file("scan torch exploit", "fixtures/scan/d_torch_exploit.pt", scan_run, scan_finish);
    sweep_file("scan npz exploit", "fixtures/scan/d_npz_exploit.npz", scan_run, scan_finish);
    sweep_file("scan joblib zlib", "fixtures/scan/d_joblib_zlib.joblib", scan_run, scan_finish);
    sweep_file("scan joblib array", "fixtures/scan/s_joblib_array.joblib", scan_run, scan_finish);
    sweep_file("scan npy object", "fixtures/scan/d_npy_object.npy", scan_run, scan_finish);
    sweep_file("scan state_dict.pt", "fixtures/tensor/state_dict.pt", scan_run, scan_finish);
    sweep_bytes("dis pickle_p0", "pickle_p0", dis_run, buf_finish);
    sweep_bytes("dis pickle_p2", "pickle_p2", dis_run, buf_finish);
    sweep_bytes("dis pickle_p4", "pickle_p4", dis_run, buf_finish);
    sweep_bytes("dis pickle_p5_buffers", "pickle_p5_buffers", dis_run, buf_finish);
    sweep_bytes("dis pickle_memo", "pickle_memo", dis_run, buf_finish);
    sweep_bytes("dis pickle_deep_p0", "pickle_deep_p0", dis_run, buf_finish);
    sweep_bytes("scan pickle_deep_p4", "pickle_deep_p4", scan_run, scan_finish);

    for (size_t i = 0; i < nplain; i++) acar_doc_free(plain_docs[i]);
    acar_release_memory();
    RAW_FREE(H.tab);
    printf("%ld allocation points, %ld runs\n", total_points, total_runs);
    return CHECK_DONE();
}
