/*
 * bench_xml.c -- times acar's XML-RPC and XML plist readers and writers
 * against CPython (xmlrpc.client, plistlib) and the C libraries that do
 * the same job: xmlrpc-c (HAVE_XMLRPC_C) and libplist (HAVE_LIBPLIST),
 * both optional and bench-only.
 *
 *   bench_xml [--python PY] [--repeat N] [--min-time S] [--cpu N] [--json]
 *             xmlrpc|plist FILE...
 *
 * xmlrpc-c is found by xmlrpc-c-config (Debian: apt-get install
 * libxmlrpc-core-c3-dev), libplist by pkg-config (libplist-dev); the
 * library itself never links either.
 *
 * Each FILE is a document CPython wrote (xmlrpc.client.dumps /
 * plistlib.dumps; docs/xml.md says how the benchmark files are made).
 * With the public API only it measures
 *   read   acar_doc_new + acar_read + acar_doc_free
 *   write  acar_write of the document read into a fresh acar_buf (freed)
 * and checks that the bytes written equal the file.  The others:
 *   CPython   (--python PY) xmlrpc.client.loads(d, use_builtin_types=True)
 *             and dumps(params, methodresponse=..., methodname=...,
 *             allow_none=True); plistlib.loads(d) and plistlib.dumps(v)
 *   xmlrpc-c  xmlrpc_parse_response2 / xmlrpc_parse_call + free, and
 *             xmlrpc_serialize_response / xmlrpc_serialize_call into a
 *             fresh memory block (its size and nesting limits raised)
 *   libplist  plist_from_xml + plist_free, plist_to_xml + free
 *   expat     the parser alone: a fresh XML_Parser with empty start, end
 *             and character-data handlers over the whole file (the floor
 *             under acar's readers, and under CPython's)
 * Each C measurement runs batches of `number` calls, number grown 1, 2, 5,
 * 10, ... until a batch takes --min-time seconds; the result is the
 * fastest of --repeat batches divided by number.  Times are CPU time of
 * the calling thread (CPython's: timeit with time.process_time, gc off),
 * so a busy machine skews the ratios less than wall time would.
 *
 * Output: a table (times in ms; the x columns say how many times slower
 * the other side is than acar, or CPython than expat alone), or with
 * --json one object per file.  Exit status 1 when a file does not read or write back the same, 2 on
 * usage or I/O errors.
 */
/* POSIX, and sched_setaffinity: Linux (bench_child.h). */
#define _GNU_SOURCE

#include "acar.h"
#include "bench_child.h"
#include "bench_file.h"

#include <expat.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef HAVE_LIBPLIST
#include <plist/plist.h>
#endif
#ifdef HAVE_XMLRPC_C
#include <xmlrpc-c/base.h>
#endif

typedef struct opts {
    int repeat;
    double min_time;
    const char *python;
    int json;
} opts;

static double cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct job {
    acar_format fmt;
    const char *data;
    size_t len;
    acar_val *root;    /* write: the document read once */
    acar_write_opts wo;
    int ok;
#ifdef HAVE_LIBPLIST
    plist_t lp;
#endif
#ifdef HAVE_XMLRPC_C
    xmlrpc_value *xr;  /* the params array (call) or the result (response) */
    const char *xr_method;
#endif
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

static void XMLCALL ex_start(void *ud, const XML_Char *name, const XML_Char **atts) {
    (void)ud, (void)name, (void)atts;
}
static void XMLCALL ex_end(void *ud, const XML_Char *name) { (void)ud, (void)name; }
static void XMLCALL ex_text(void *ud, const XML_Char *s, int len) { (void)ud, (void)s, (void)len; }

static void do_expat(job *j) {
    XML_Parser p = XML_ParserCreate(NULL);
    XML_SetElementHandler(p, ex_start, ex_end);
    XML_SetCharacterDataHandler(p, ex_text);
    if (XML_Parse(p, j->data, (int)j->len, 1) != XML_STATUS_OK) j->ok = 0;
    XML_ParserFree(p);
}

#ifdef HAVE_LIBPLIST
static void do_lp_read(job *j) {
    plist_t p = NULL;
    plist_from_xml(j->data, (uint32_t)j->len, &p);
    if (!p) j->ok = 0;
    plist_free(p);
}

static void do_lp_write(job *j) {
    char *x = NULL;
    uint32_t n = 0;
    plist_to_xml(j->lp, &x, &n);
    if (!x) j->ok = 0;
    free(x);
}
#endif

#ifdef HAVE_XMLRPC_C
/* Parses the file; *v the result or the params.  0, or -1. */
static int xr_parse(job *j, xmlrpc_value **v, const char **method, int verbose) {
    xmlrpc_env env;
    xmlrpc_env_init(&env);
    int rc = -1;
    *v = NULL;
    *method = NULL;
    if (j->wo.method) {
        xmlrpc_parse_call(&env, j->data, j->len, method, v);
    } else {
        int code;
        const char *fault = NULL;
        xmlrpc_parse_response2(&env, j->data, j->len, v, &code, &fault);
        if (!env.fault_occurred && fault) {
            free((char *)fault);  /* malloc'd: xmlrpc_strfree is not in the public headers */
            *v = NULL;
        }
    }
    if (!env.fault_occurred && *v) rc = 0;
    else if (env.fault_occurred && verbose) fprintf(stderr, "bench_xml: xmlrpc-c: %s\n", env.fault_string);
    xmlrpc_env_clean(&env);
    return rc;
}

static void xr_free(xmlrpc_value *v, const char *method) {
    if (v) xmlrpc_DECREF(v);
    if (method) free((char *)method);
}

static void do_xr_read(job *j) {
    xmlrpc_value *v;
    const char *m;
    if (xr_parse(j, &v, &m, 0) < 0) j->ok = 0;
    xr_free(v, m);
}

static void do_xr_write(job *j) {
    xmlrpc_env env;
    xmlrpc_env_init(&env);
    xmlrpc_mem_block *out = XMLRPC_MEMBLOCK_NEW(char, &env, 0);
    if (j->xr_method) xmlrpc_serialize_call(&env, out, j->xr_method, j->xr);
    else xmlrpc_serialize_response(&env, out, j->xr);
    if (env.fault_occurred) j->ok = 0;
    XMLRPC_MEMBLOCK_FREE(char, out);
    xmlrpc_env_clean(&env);
}
#endif

/* Seconds per call: autorange the batch size, then the fastest batch. */
static double best(const opts *o, fn f, job *j) {
    static const long steps[] = {1, 2, 5};
    long number = 1;
    for (int k = 0;; k++) {
        number = steps[k % 3];
        for (int e = 0; e < k / 3; e++) number *= 10;
        double t0 = cpu();
        for (long i = 0; i < number; i++) f(j);
        if (cpu() - t0 >= o->min_time || number >= 100000000L) break;
    }
    double bestt = 1e300;
    for (int r = 0; r < o->repeat; r++) {
        double t0 = cpu();
        for (long i = 0; i < number; i++) f(j);
        double t = (cpu() - t0) / (double)number;
        if (t < bestt) bestt = t;
    }
    return bestt;
}

/* CPython's best seconds per loads and dumps of the file, run by PY. */
static int python_times(const opts *o, const char *path, acar_format fmt, double *rd, double *wr) {
    char cmd[4096];
    const char *setup =
        fmt == ACAR_FORMAT_PLIST
            ? "import plistlib\n"
              "v = plistlib.loads(d)\n"
              "rd = lambda: plistlib.loads(d)\n"
              "wr = lambda: plistlib.dumps(v)\n"
            : "import xmlrpc.client as x\n"
              "v, m = x.loads(d, use_builtin_types=True)\n"
              "r = m is None and d.startswith(b'<?xml')\n"
              "rd = lambda: x.loads(d, use_builtin_types=True)\n"
              "wr = lambda: x.dumps(v, methodname=m, methodresponse=r, allow_none=True)\n";
    int n = snprintf(cmd, sizeof cmd,
                     "%s -c \"import sys, time, timeit\n"
                     "d = open(sys.argv[1], 'rb').read()\n"
                     "%s"
                     "def t(f):\n"
                     "    t = timeit.Timer(f, timer=time.process_time)\n"
                     "    num, _ = t.autorange()\n"
                     "    return min(t.repeat(%d, num)) / num\n"
                     "print(t(rd), t(wr))\n"
                     "\" '%s'",
                     o->python, setup, o->repeat, path);
    if (n < 0 || (size_t)n >= sizeof cmd) return -1;
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    int got = fscanf(p, "%lf %lf", rd, wr);
    int rc = pclose(p);
    return got == 2 && rc == 0 ? 0 : -1;
}

/* other / acar, or "-" when the other side was not timed. */
static void cell_ratio(double other, double mine) {
    if (other > 0 && mine > 0) printf(" %8.1fx", other / mine);
    else printf(" %9s", "-");
}

static void usage(void) {
    fprintf(stderr, "usage: bench_xml [--python PY] [--repeat N] [--min-time S] [--cpu N] [--json] "
                    "xmlrpc|plist FILE...\n");
}

int main(int argc, char **argv) {
    opts o = {5, 0.1, NULL, 0};
    int i = 1, status = 0, cpu = -1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--repeat") && i + 1 < argc) o.repeat = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--min-time") && i + 1 < argc) o.min_time = atof(argv[++i]);
        else if (!strcmp(argv[i], "--python") && i + 1 < argc) o.python = argv[++i];
        else if (!strcmp(argv[i], "--json")) o.json = 1;
        else if (!strcmp(argv[i], "--cpu") && i + 1 < argc) cpu = atoi(argv[++i]);
        else {
            usage();
            return 2;
        }
    }
    if (o.repeat < 1) o.repeat = 1;
    if (bench_child_setup("bench_xml", cpu) == -2) return 2; /* before CPython starts */
    if (i + 1 >= argc) {
        usage();
        return 2;
    }
    acar_format fmt = acar_format_from_name(argv[i++]);
    if (fmt != ACAR_FORMAT_XMLRPC && fmt != ACAR_FORMAT_PLIST) {
        fprintf(stderr, "bench_xml: format must be xmlrpc or plist\n");
        return 2;
    }
#ifdef HAVE_XMLRPC_C
    /* defaults: 512 KiB documents, 64 levels */
    xmlrpc_limit_set(XMLRPC_XML_SIZE_LIMIT_ID, (size_t)1 << 31);
    xmlrpc_limit_set(XMLRPC_NESTING_LIMIT_ID, 100000);
#endif
    const char *clib = fmt == ACAR_FORMAT_PLIST ? "libplist" : "xmlrpc-c";
    if (!o.json) {
        printf("%-36s %8s | %8s %9s %9s | %8s %9s | %8s %9s %9s | %s\n", "file (times in ms)", "KiB",
               "acar rd", "CPython", clib, "expat", "CPython", "acar wr", "CPython", clib, "same");
        printf("%-36s %8s | %8s %9s %9s | %8s %9s | %8s %9s %9s |\n", "", "", "", "/acar", "/acar", "alone",
               "/expat", "", "/acar", "/acar");
    }
    for (; i < argc; i++) {
        job j;
        memset(&j, 0, sizeof j);
        j.fmt = fmt;
        j.ok = 1;
        j.data = bench_read_file(argv[i], &j.len, 1);
        if (!j.data) {
            fprintf(stderr, "bench_xml: cannot read %s\n", argv[i]);
            return 2;
        }
        acar_doc *doc = acar_doc_new(NULL);
        acar_read_opts ro = {0};
        acar_err err;
        ro.format = fmt;
        j.root = acar_read(doc, j.data, j.len, &ro, &err);
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
        double ar = 0, aw = 0, ex = 0, pr = -1, pw = -1, lr = -1, lw = -1;
        if (j.root) {
            ar = best(&o, do_read, &j);
            aw = best(&o, do_write, &j);
            ex = best(&o, do_expat, &j);
        }
        if (!j.root || !same || !j.ok) status = 1;
        if (j.root && o.python && python_times(&o, argv[i], fmt, &pr, &pw) < 0)
            fprintf(stderr, "bench_xml: %s: timing CPython failed\n", argv[i]);
#ifdef HAVE_LIBPLIST
        if (j.root && fmt == ACAR_FORMAT_PLIST) {
            plist_from_xml(j.data, (uint32_t)j.len, &j.lp);
            if (j.lp) {
                lr = best(&o, do_lp_read, &j);
                lw = best(&o, do_lp_write, &j);
                plist_free(j.lp);
            } else {
                fprintf(stderr, "bench_xml: %s: libplist cannot read it\n", argv[i]);
            }
        }
#endif
#ifdef HAVE_XMLRPC_C
        if (j.root && fmt == ACAR_FORMAT_XMLRPC && !(j.wo.flags & ACAR_WRITE_FAULT)) {
            if (xr_parse(&j, &j.xr, &j.xr_method, 1) == 0) {
                lr = best(&o, do_xr_read, &j);
                lw = best(&o, do_xr_write, &j);
            } else {
                fprintf(stderr, "bench_xml: %s: xmlrpc-c cannot read it\n", argv[i]);
            }
            xr_free(j.xr, j.xr_method);
        }
#endif
        const char *base = strrchr(argv[i], '/');
        base = base ? base + 1 : argv[i];
        if (o.json) {
            printf("{\"file\": \"%s\", \"format\": \"%s\", \"bytes\": %zu, \"read_cpu_s\": %.9f, "
                   "\"write_cpu_s\": %.9f, \"expat_cpu_s\": %.9f, \"python_read_cpu_s\": %.9f, "
                   "\"python_write_cpu_s\": %.9f, \"%s_read_cpu_s\": %.9f, \"%s_write_cpu_s\": %.9f, "
                   "\"same_bytes\": %s}\n",
                   base, acar_format_name(fmt), j.len, ar, aw, ex, pr, pw, clib, lr, clib, lw,
                   same ? "true" : "false");
        } else {
            printf("%-36s %8.1f | %8.3f", base, (double)j.len / 1024, ar * 1e3);
            cell_ratio(pr, ar);
            cell_ratio(lr, ar);
            printf(" | %8.3f", ex * 1e3);
            cell_ratio(pr, ex);
            printf(" | %8.3f", aw * 1e3);
            cell_ratio(pw, aw);
            cell_ratio(lw, aw);
            printf(" | %s\n", same ? "yes" : "NO");
        }
        fflush(stdout);
        acar_doc_free(doc);
        free((char *)j.data);
    }
    return status;
}
