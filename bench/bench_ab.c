/*
 * bench_ab.c -- two builds of libacar in one process, timed in turns on
 * the same inputs: is change B faster than A, and by how much?
 *
 * Built and run by bench/ab.sh, which links each build's libacar.a into one
 * relocatable object with every symbol but the few used here made local,
 * and those renamed A_... and B_....  Both sides read (or write) each file
 * in batches of about 2 ms of CPU time, in turns (the order swapped every
 * round), and B's time over A's in the same round is kept; the median over
 * the rounds is printed.  A shared machine whose speed moves from one
 * second to the next moves both sides of a round alike.
 *
 *   bench_ab [--write | --write-default] ROUNDS FILE...
 *
 * --write times acar_write of each side's own document of the file (read
 * once as JSON) in the compact form (separators ',' and ':', UTF-8 kept);
 * --write-default in json.dumps' default form (', ', ': ', ensure_ascii);
 * otherwise acar_read of the file as JSON into a document reset each time.
 * Output, a line per file: its name, the median ratio B/A and the
 * quartiles.  Exit 1 if a side fails to read or write a file.
 */
#define _POSIX_C_SOURCE 200809L

#include "acar.h"
#include "bench_file.h"
#include "bench_timing.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIDE_DECLS(P)                                                                          \
    acar_doc *P##_acar_doc_new(const acar_doc_opts *);                                       \
    void P##_acar_doc_free(acar_doc *);                                                       \
    void P##_acar_doc_reset(acar_doc *);                                                      \
    acar_val *P##_acar_read(acar_doc *, const void *, size_t, const acar_read_opts *, acar_err *); \
    int P##_acar_write(const acar_val *, acar_format, const acar_write_opts *, acar_buf *, acar_err *); \
    void P##_acar_buf_free(acar_buf *);
SIDE_DECLS(A)
SIDE_DECLS(B)

typedef struct side {
    acar_doc *(*doc_new)(const acar_doc_opts *);
    void (*doc_free)(acar_doc *);
    void (*doc_reset)(acar_doc *);
    acar_val *(*read)(acar_doc *, const void *, size_t, const acar_read_opts *, acar_err *);
    int (*write)(const acar_val *, acar_format, const acar_write_opts *, acar_buf *, acar_err *);
    void (*buf_free)(acar_buf *);
    acar_doc *doc;
    acar_val *val; /* --write: the document written */
} side;

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One batch of n reads or writes by s; its CPU time, or -1 on failure. */
static double batch(side *s, bool write, bool compact, const char *text, size_t len, long n) {
    acar_read_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.format = ACAR_FORMAT_JSON;
    acar_write_opts wo;
    memset(&wo, 0, sizeof wo);
    if (compact) {
        wo.flags = ACAR_WRITE_NO_ENSURE_ASCII;
        wo.item_sep = ",";
        wo.key_sep = ":";
    }
    acar_err e;
    double t0 = bench_now();
    for (long i = 0; i < n; i++) {
        if (write) {
            acar_buf out = {0};
            int rc = s->write(s->val, ACAR_FORMAT_JSON, &wo, &out, &e);
            s->buf_free(&out);
            if (rc != 0) return -1;
        } else {
            s->doc_reset(s->doc);
            if (!s->read(s->doc, text, len, &ro, &e)) return -1;
        }
    }
    return bench_now() - t0;
}

int main(int argc, char **argv) {
    int a = 1;
    bool write = false, compact = true;
    if (a < argc && strcmp(argv[a], "--write") == 0) {
        write = true;
        a++;
    } else if (a < argc && strcmp(argv[a], "--write-default") == 0) {
        write = true;
        compact = false;
        a++;
    }
    if (argc - a < 2 || atoi(argv[a]) < 1) {
        fprintf(stderr, "usage: bench_ab [--write | --write-default] ROUNDS FILE...\n");
        return 2;
    }
    int rounds = atoi(argv[a++]);
    side sides[2] = {
        {A_acar_doc_new, A_acar_doc_free, A_acar_doc_reset, A_acar_read, A_acar_write, A_acar_buf_free, NULL, NULL},
        {B_acar_doc_new, B_acar_doc_free, B_acar_doc_reset, B_acar_read, B_acar_write, B_acar_buf_free, NULL, NULL},
    };
    double *ratio = malloc(sizeof *ratio * (size_t)rounds);
    if (!ratio) return 2;
    for (; a < argc; a++) {
        size_t len;
        char *text = bench_read_file(argv[a], &len, 1);
        if (!text) {
            fprintf(stderr, "bench_ab: cannot read %s\n", argv[a]);
            return 2;
        }
        for (int k = 0; k < 2; k++) {
            sides[k].doc = sides[k].doc_new(NULL);
            acar_read_opts ro;
            memset(&ro, 0, sizeof ro);
            ro.format = ACAR_FORMAT_JSON;
            acar_err e;
            if (!sides[k].doc || !(sides[k].val = sides[k].read(sides[k].doc, text, len, &ro, &e))) {
                fprintf(stderr, "bench_ab: side %c cannot read %s\n", "AB"[k], argv[a]);
                return 1;
            }
        }
        /* batches of about 2 ms, sized on side A */
        long n = 1;
        for (;;) {
            double t = batch(&sides[0], write, compact, text, len, n);
            if (t < 0) return 1;
            if (t >= 0.002 || n >= (1L << 30)) break;
            n *= 2;
        }
        for (int r = 0; r < rounds; r++) {
            double t[2];
            for (int i = 0; i < 2; i++) {
                int k = i ^ (r & 1);
                t[k] = batch(&sides[k], write, compact, text, len, n);
                if (t[k] <= 0) {
                    fprintf(stderr, "bench_ab: side %c failed on %s\n", "AB"[k], argv[a]);
                    return 1;
                }
            }
            ratio[r] = t[1] / t[0];
        }
        qsort(ratio, (size_t)rounds, sizeof *ratio, cmp_double);
        const char *name = strrchr(argv[a], '/');
        printf("%s %.4f %.4f %.4f\n", name ? name + 1 : argv[a], ratio[rounds / 2], ratio[rounds / 4],
               ratio[(3 * rounds) / 4]);
        fflush(stdout);
        for (int k = 0; k < 2; k++) sides[k].doc_free(sides[k].doc);
        free(text);
    }
    free(ratio);
    return 0;
}
