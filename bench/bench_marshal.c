/*
 * bench_marshal.c -- times acar's marshal reader and writer against
 * CPython's marshal.loads / marshal.dumps on the same bytes.
 *
 * Inputs, made by the Python under test (--python, default python3) in a
 * subprocess:
 *   stdlib-pyc  the bodies of every .pyc of that Python's standard library
 *               for its own cache tag (compiled first if missing: compileall
 *               into --work), read as one batch of files
 *   NAME        marshal.dumps(json.load(f)) for each NAME.json in --data
 *               (default ../shared/bench-data/json next to the source tree)
 * For each input it measures, in one run:
 *   read   acar: acar_doc_new + acar_read(ACAR_FORMAT_MARSHAL) + acar_doc_free
 *          CPython: marshal.loads (which also builds and then drops objects)
 *   write  acar: acar_write(ACAR_FORMAT_MARSHAL, version 4) into a fresh
 *          buffer, then free; CPython: marshal.dumps(obj) (version 4)
 * each in batches of `number` calls (1, 2, 5, 10, ... until a batch takes
 * --min-time seconds, as timeit's autorange), the fastest of --repeat
 * batches, on CLOCK_MONOTONIC (--clock cpu: the thread's CPU time, for a
 * busy machine; time.thread_time in Python); CPython the same way through
 * timeit.  It
 * also checks that acar writes the input back byte for byte.
 *
 * The driver and the CPython it starts run on one CPU (--cpu N, by default
 * the one the driver starts on), with glibc's malloc keeping what is freed
 * (bench_child.h says why); stderr names the CPU.
 *
 * Output: a Markdown table (throughput in MB/s of marshal bytes, and acar's
 * speed as a multiple of CPython's) on stdout.  Exit status 1 when an input
 * failed to read or write or came back different, 2 on usage errors.
 */
/* POSIX, and sched_setaffinity: Linux. */
#define _GNU_SOURCE

#include "acar.h"
#include "bench_child.h"
#include "bench_file.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct input {
    char name[128];
    char **paths;          /* files of the input */
    size_t npaths;
    size_t offset;         /* bytes to skip in each (the .pyc header) */
    uint8_t **data;
    size_t *len;
    size_t bytes;          /* marshal bytes in all */
} input;

/* --clock cpu: this thread's CPU time (for a busy machine), else wall. */
static clockid_t clock_id = CLOCK_MONOTONIC;

static double now(void) {
    struct timespec ts;
    clock_gettime(clock_id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The helper every CPython step runs in: prepare inputs, or time them. */
static const char *const PY_HELPER =
    "import compileall, glob, json, marshal, os, sys, sysconfig, time, timeit\n"
    "mode, work = sys.argv[1], sys.argv[2]\n"
    "if mode == 'prepare':\n"
    "    data = sys.argv[3]\n"
    "    lib = sysconfig.get_paths()['stdlib']\n"
    "    tag = sys.implementation.cache_tag\n"
    "    def find():\n"
    "        return sorted(p for p in glob.glob(os.path.join(lib, '**', '__pycache__', '*.%s.pyc' % tag), recursive=True)\n"
    "                      if 'site-packages' not in p)\n"
    "    pycs = find()\n"
    "    if not pycs:\n"
    "        compileall.compile_dir(lib, quiet=2, legacy=False, ddir=lib, workers=1)\n"
    "        pycs = find()\n"
    "    print('stdlib-pyc\\t16\\t' + '\\t'.join(pycs))\n"
    "    for f in sorted(glob.glob(os.path.join(data, '*.json'))):\n"
    "        name = os.path.basename(f)[:-5]\n"
    "        out = os.path.join(work, name + '.marshal')\n"
    "        with open(f, 'rb') as fh:\n"
    "            v = json.loads(fh.read())\n"
    "        with open(out, 'wb') as fh:\n"
    "            fh.write(marshal.dumps(v, 4))\n"
    "        print(name + '\\t0\\t' + out)\n"
    "else:\n"
    "    repeat, min_time = int(sys.argv[3]), float(sys.argv[4])\n"
    "    clock = time.thread_time if sys.argv[5] == 'cpu' else time.perf_counter\n"
    "    for line in sys.stdin:\n"
    "        name, off, *paths = line.rstrip('\\n').split('\\t')\n"
    "        datas = []\n"
    "        for p in paths:\n"
    "            with open(p, 'rb') as fh:\n"
    "                datas.append(fh.read()[int(off):])\n"
    "        objs = [marshal.loads(d) for d in datas]\n"
    "        loads, dumps = marshal.loads, marshal.dumps\n"
    "        def rd():\n"
    "            for d in datas: loads(d)\n"
    "        def wr():\n"
    "            for o in objs: dumps(o, 4)\n"
    "        res = []\n"
    "        for fn in (rd, wr):\n"
    "            t = timeit.Timer(fn, timer=clock)\n"
    "            n = 1\n"
    "            while True:\n"
    "                if t.timeit(n) >= min_time: break\n"
    "                n *= 10 if n < 10 else 2\n"
    "            res.append(min(t.repeat(repeat, n)) / n)\n"
    "        print('%s\\t%.9g\\t%.9g' % (name, res[0], res[1]), flush=True)\n";

/* Runs python -c PY_HELPER args, feeding stdin_text; returns its stdout. */
static char *run_python(const char *python, const char *args, const char *stdin_path) {
    char helper[] = "/tmp/acar_bench_marshal_XXXXXX";
    int fd = mkstemp(helper);
    if (fd < 0) return NULL;
    FILE *h = fdopen(fd, "w");
    fputs(PY_HELPER, h);
    fclose(h);
    size_t cmdlen = strlen(python) + strlen(args) + strlen(helper) + (stdin_path ? strlen(stdin_path) : 0) + 64;
    char *cmd = malloc(cmdlen);
    snprintf(cmd, cmdlen, "%s %s %s%s%s", python, helper, args, stdin_path ? " < " : "",
             stdin_path ? stdin_path : "");
    FILE *p = popen(cmd, "r");
    free(cmd);
    if (!p) { remove(helper); return NULL; }
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap);
    size_t got;
    while ((got = fread(out + n, 1, cap - n - 1, p)) > 0) {
        n += got;
        if (n + 1 == cap) out = realloc(out, cap *= 2);
    }
    out[n] = 0;
    int rc = pclose(p);
    remove(helper);
    if (rc != 0) { free(out); return NULL; }
    return out;
}

/* ---- acar timing ---- */

typedef struct job {
    input *in;
    acar_doc **docs;       /* for writing: the documents read once */
    acar_val **roots;
} job;

static int do_read(job *j) {
    for (size_t i = 0; i < j->in->npaths; i++) {
        acar_doc *doc = acar_doc_new(NULL);
        acar_read_opts ro = {0};
        ro.format = ACAR_FORMAT_MARSHAL;
        acar_err err;
        if (!acar_read(doc, j->in->data[i], j->in->len[i], &ro, &err)) {
            fprintf(stderr, "%s: %s: offset %zu: %s\n", j->in->name, j->in->paths[i], err.offset, err.msg);
            acar_doc_free(doc);
            return -1;
        }
        acar_doc_free(doc);
    }
    return 0;
}

static int do_write(job *j) {
    acar_write_opts wo = {0};
    wo.version = ACAR_VERSION(4);
    for (size_t i = 0; i < j->in->npaths; i++) {
        acar_buf out = {0};
        acar_err err;
        if (acar_write(j->roots[i], ACAR_FORMAT_MARSHAL, &wo, &out, &err) < 0) {
            fprintf(stderr, "%s: write: %s\n", j->in->name, err.msg);
            acar_buf_free(&out);
            return -1;
        }
        acar_buf_free(&out);
    }
    return 0;
}

/* autorange + best of repeat; -1 on failure */
static double best(int (*fn)(job *), job *j, int repeat, double min_time) {
    size_t number = 1;
    for (;;) {
        double t0 = now();
        for (size_t k = 0; k < number; k++)
            if (fn(j) < 0) return -1;
        if (now() - t0 >= min_time) break;
        number *= number < 10 ? 10 : 2;
    }
    double b = INFINITY;
    for (int r = 0; r < repeat; r++) {
        double t0 = now();
        for (size_t k = 0; k < number; k++) fn(j);
        double t = (now() - t0) / (double)number;
        if (t < b) b = t;
    }
    return b;
}

static void usage(void) {
    fprintf(stderr, "usage: bench_marshal [--python PY] [--data DIR] [--work DIR] [--repeat N] "
                    "[--min-time S] [--only NAME] [--clock wall|cpu] [--cpu N] [--acar-only]\n");
}

int main(int argc, char **argv) {
    const char *python = "python3", *data = NULL, *work = "/tmp/acar_bench_marshal", *only = NULL;
    int repeat = 5, acar_only = 0, cpu = -1;
    double min_time = 0.2;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--python") == 0) python = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--data") == 0) data = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--work") == 0) work = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--repeat") == 0) repeat = atoi(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--min-time") == 0) min_time = atof(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--only") == 0) only = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--cpu") == 0) cpu = atoi(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--clock") == 0) {
            const char *c = argv[++i];
            if (strcmp(c, "cpu") == 0) clock_id = CLOCK_THREAD_CPUTIME_ID;
            else if (strcmp(c, "wall") != 0) { usage(); return 2; }
        }
        else if (strcmp(argv[i], "--acar-only") == 0) acar_only = 1;
        else { usage(); return 2; }
    }
    if (!data) data = "../shared/bench-data/json";
    if (bench_child_setup("bench_marshal", cpu) == -2) return 2; /* before CPython starts */
    char args[4096];
    snprintf(args, sizeof args, "prepare '%s' '%s'", work, data);
    char mk[4200];
    snprintf(mk, sizeof mk, "mkdir -p '%s'", work);
    if (system(mk) != 0) return 2;
    char *manifest = run_python(python, args, NULL);
    if (!manifest) { fprintf(stderr, "bench_marshal: %s failed to prepare the inputs\n", python); return 2; }

    /* Parse the manifest: name \t offset \t path \t path ... */
    input *ins = NULL;
    size_t nins = 0;
    for (char *line = strtok(manifest, "\n"); line; line = strtok(NULL, "\n")) {
        if (only && strncmp(line, only, strlen(only)) != 0) continue;
        ins = realloc(ins, (nins + 1) * sizeof *ins);
        input *in = &ins[nins++];
        memset(in, 0, sizeof *in);
        char *save, *tok = strtok_r(line, "\t", &save);
        snprintf(in->name, sizeof in->name, "%s", tok);
        in->offset = (size_t)atoi(strtok_r(NULL, "\t", &save));
        while ((tok = strtok_r(NULL, "\t", &save))) {
            in->paths = realloc(in->paths, (in->npaths + 1) * sizeof *in->paths);
            in->paths[in->npaths++] = strdup(tok);
        }
    }
    /* Load the bytes and the timing list for CPython. */
    char listpath[4200];
    snprintf(listpath, sizeof listpath, "%s/inputs.txt", work);
    FILE *lf = fopen(listpath, "w");
    if (!lf) return 2;
    int status = 0;
    for (size_t k = 0; k < nins; k++) {
        input *in = &ins[k];
        in->data = calloc(in->npaths, sizeof *in->data);
        in->len = calloc(in->npaths, sizeof *in->len);
        fprintf(lf, "%s\t%zu", in->name, in->offset);
        for (size_t i = 0; i < in->npaths; i++) {
            size_t n;
            uint8_t *p = (uint8_t *)bench_read_file(in->paths[i], &n, 1);
            if (!p || n < in->offset) { fprintf(stderr, "cannot read %s\n", in->paths[i]); return 2; }
            memmove(p, p + in->offset, n - in->offset);
            in->data[i] = p;
            in->len[i] = n - in->offset;
            in->bytes += in->len[i];
            fprintf(lf, "\t%s", in->paths[i]);
        }
        fprintf(lf, "\n");
    }
    fclose(lf);
    snprintf(args, sizeof args, "time '%s' %d %g %s", work, repeat, min_time,
             clock_id == CLOCK_MONOTONIC ? "wall" : "cpu");
    char *cpy = acar_only ? NULL : run_python(python, args, listpath);
    if (acar_only) {
        /* For profilers: acar's side alone. */
        for (size_t k = 0; k < nins; k++) {
            input *in = &ins[k];
            job j = {in, calloc(in->npaths, sizeof(acar_doc *)), calloc(in->npaths, sizeof(acar_val *))};
            for (size_t i = 0; i < in->npaths; i++) {
                j.docs[i] = acar_doc_new(NULL);
                acar_read_opts ro = {0};
                ro.format = ACAR_FORMAT_MARSHAL;
                j.roots[i] = acar_read(j.docs[i], in->data[i], in->len[i], &ro, NULL);
                acar_buf out = {0};
                acar_write_opts wo = {0};
                wo.version = ACAR_VERSION(4);
                if (!j.roots[i] || acar_write(j.roots[i], ACAR_FORMAT_MARSHAL, &wo, &out, NULL) < 0 ||
                    out.len != in->len[i] || memcmp(out.data, in->data[i], out.len) != 0) {
                    fprintf(stderr, "%s: %s: not read and written back byte for byte\n", in->name,
                            in->paths[i]);
                    status = 1;
                }
                acar_buf_free(&out);
            }
            if (status) return status;
            double tr = best(do_read, &j, repeat, min_time), tw = best(do_write, &j, repeat, min_time);
            printf("%s: read %.0f MB/s, write %.0f MB/s\n", in->name, (double)in->bytes / 1e6 / tr,
                   (double)in->bytes / 1e6 / tw);
            for (size_t i = 0; i < in->npaths; i++) acar_doc_free(j.docs[i]);
            free(j.docs);
            free(j.roots);
        }
        return status;
    }
    if (!cpy) { fprintf(stderr, "bench_marshal: %s failed to time marshal\n", python); return 2; }

    printf("| input | files | MB | acar read MB/s | CPython loads MB/s | read ×CPython | acar write MB/s | CPython dumps MB/s | write ×CPython | same bytes |\n");
    printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    double lr = 0, lw = 0;
    int nr = 0;
    char *cl = cpy;
    for (size_t k = 0; k < nins; k++) {
        input *in = &ins[k];
        job j = {in, calloc(in->npaths, sizeof(acar_doc *)), calloc(in->npaths, sizeof(acar_val *))};
        int same = 1;
        for (size_t i = 0; i < in->npaths; i++) {
            j.docs[i] = acar_doc_new(NULL);
            acar_read_opts ro = {0};
            ro.format = ACAR_FORMAT_MARSHAL;
            acar_err err;
            j.roots[i] = acar_read(j.docs[i], in->data[i], in->len[i], &ro, &err);
            if (!j.roots[i]) { fprintf(stderr, "%s: %s\n", in->paths[i], err.msg); status = 1; same = 0; break; }
            acar_buf out = {0};
            acar_write_opts wo = {0};
            wo.version = ACAR_VERSION(4);
            if (acar_write(j.roots[i], ACAR_FORMAT_MARSHAL, &wo, &out, &err) < 0 || out.len != in->len[i] ||
                memcmp(out.data, in->data[i], out.len) != 0) {
                fprintf(stderr, "%s: %s: not written back byte for byte\n", in->name, in->paths[i]);
                same = 0;
                status = 1;
            }
            acar_buf_free(&out);
        }
        double tr = same ? best(do_read, &j, repeat, min_time) : -1;
        double tw = same ? best(do_write, &j, repeat, min_time) : -1;
        double cr = 0, cw = 0;
        char *nl = strchr(cl, '\n');
        if (nl) *nl = 0;
        char cname[256];
        if (sscanf(cl, "%255[^\t]\t%lf\t%lf", cname, &cr, &cw) != 3 || strcmp(cname, in->name) != 0) {
            fprintf(stderr, "bench_marshal: CPython's answer out of step at %s\n", in->name);
            return 2;
        }
        cl = nl ? nl + 1 : cl + strlen(cl);
        double mb = (double)in->bytes / 1e6;
        if (tr > 0 && tw > 0) {
            printf("| %s | %zu | %.2f | %.0f | %.0f | %.2f | %.0f | %.0f | %.2f | %s |\n", in->name, in->npaths, mb,
                   mb / tr, mb / cr, cr / tr, mb / tw, mb / cw, cw / tw, same ? "yes" : "NO");
            lr += log(cr / tr);
            lw += log(cw / tw);
            nr++;
        }
        fflush(stdout);
        for (size_t i = 0; i < in->npaths; i++) acar_doc_free(j.docs[i]);
        free(j.docs);
        free(j.roots);
    }
    if (nr)
        printf("\nGeometric mean over %d inputs: read %.2f× CPython, write %.2f× CPython.\n", nr,
               exp(lr / nr), exp(lw / nr));
    for (size_t k = 0; k < nins; k++) {
        for (size_t i = 0; i < ins[k].npaths; i++) {
            free(ins[k].paths[i]);
            free(ins[k].data[i]);
        }
        free(ins[k].paths);
        free(ins[k].data);
        free(ins[k].len);
    }
    free(ins);
    free(manifest);
    free(cpy);
    return status;
}
