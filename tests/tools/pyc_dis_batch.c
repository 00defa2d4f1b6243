/*
 * pyc_dis_batch.c -- test driver: the bytecode of many .pyc files in one
 * process (tests/py/test_pyc_dis.py).
 *
 * Reads paths, one per line, from standard input.  For each file it
 * prints "== PATH", then either "! MESSAGE" (acar cannot read it, or
 * acar_code_dis fails on it) or one line per code object, in the order
 * dis lists them (each code object, then the ones in its co_consts, depth
 * first): the instructions as NAME or NAME:ARG, separated by blanks, from
 * the same walk acar_code_dis makes.  Every file also goes through
 * acar_code_dis in full (its listing is thrown away: the Python test
 * compares listings of a sample as text).  The last line is
 * "# FILES INSTRUCTIONS LISTING_BYTES".
 */
#include "acar.h"
#include "marshal/bytecode.h"
#include "marshal/marshal.h"
#include "num/num.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    unsigned char *p = malloc(cap);
    for (;;) {
        if (!p) break;
        if (n == cap) {
            unsigned char *q = realloc(p, cap *= 2);
            if (!q) {
                free(p);
                p = NULL;
                break;
            }
            p = q;
        }
        size_t k = fread(p + n, 1, cap - n, f);
        n += k;
        if (k == 0) break;
    }
    fclose(f);
    *len = n;
    return p;
}

static unsigned long long instructions;

/* ":ARG": printf twice per instruction was most of the time of the
 * 55,000-file sweep (21 million instructions for 3.11 alone). */
static void put_arg(int64_t arg) {
    char b[24];
    b[0] = ':';
    fwrite(b, 1, 1 + acar_num_i64_to_dec(arg, b + 1), stdout);
}

/* One line of instructions for code object c. */
static void list_one(const acar_val *c) {
    const acar_opset *s = acar__opset(acar_code_version(c));
    const acar_val *cv = acar_code_get(c, ACAR_CO_CODE);
    size_t len = 0;
    const uint8_t *code = (const uint8_t *)acar_str(cv, &len);
    acar_bcstate st = {0, 0, false};
    acar_instr in;
    const char *msg;
    int rc, first = 1;
    while (s && (rc = acar__bytecode_next(s, code, len, &st, &in, &msg)) != 0) {
        if (rc == -1) break;
        if (!first) putchar(' ');
        fputs(in.info->name, stdout);
        if (in.has_arg) put_arg(in.arg);
        first = 0;
        instructions++;
        if (rc == -2) break;
    }
    putchar('\n');
}

int main(void) {
    char path[4096];
    unsigned long long files = 0, bytes = 0;
    size_t cap = 64;
    const acar_val **stack = malloc(cap * sizeof *stack);
    if (!stack) return 2;
    while (fgets(path, sizeof path, stdin)) {
        path[strcspn(path, "\n")] = '\0';
        if (!path[0]) continue;
        printf("== %s\n", path);
        size_t len;
        unsigned char *data = slurp(path, &len);
        if (!data) {
            printf("! cannot read\n");
            continue;
        }
        acar_doc *doc = acar_doc_new(NULL);
        acar_read_opts ro = {0};
        acar_err err;
        acar_val *v = doc ? acar_read(doc, data, len, &ro, &err) : NULL;
        if (!v) {
            printf("! %s\n", doc ? err.msg : "out of memory");
        } else {
            acar_buf out = {0};
            if (acar_code_dis(v, NULL, &out, &err) < 0) {
                printf("! %s\n", err.msg);
            } else {
                files++;
                bytes += out.len;
                size_t top = 0;
                stack[top++] = v;
                while (top) {
                    const acar_val *c = stack[--top];
                    list_one(c);
                    const acar_val *consts = acar_code_get(c, ACAR_CO_CONSTS);
                    size_t n = acar_len(consts);
                    for (size_t i = n; i-- > 0;) {
                        const acar_val *x = acar_item(consts, i);
                        if (acar_typeof(x) != ACAR_CODE) continue;
                        if (top == cap) {
                            const acar_val **q = realloc(stack, 2 * cap * sizeof *q);
                            if (!q) return 2;
                            stack = q;
                            cap *= 2;
                        }
                        stack[top++] = x;
                    }
                }
            }
            acar_buf_free(&out);
        }
        acar_doc_free(doc);
        free(data);
    }
    printf("# %llu %llu %llu\n", files, instructions, bytes);
    free(stack);
    return 0;
}
