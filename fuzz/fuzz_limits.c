/*
 * fuzz_limits.c -- libFuzzer target for the readers under failing
 * allocations and the opcode limit.
 *
 * Input: byte 0 picks the format (pickle, marshal, JSON, JSONL, XML-RPC,
 * XML plist, binary plist), bytes 1-2 the allocation to fail and byte 3
 * max_ops; the rest is the document.  Each document is read three ways:
 *   - plainly, for the reference repr;
 *   - through an allocator that fails the N-th allocation (arena chunks of
 *     96 bytes, so that most node allocations can be the one): the read
 *     fails with ACAR_ERR_NOMEM and a message, or gives the same repr;
 *     every byte comes back when the document is freed, and realloc/free
 *     are given the sizes the blocks have;
 *   - pickle only: with max_ops below the input's length: the read fails
 *     with ACAR_ERR_LIMIT naming max_ops, fails as the plain read did, or
 *     gives the same repr.
 */
#include "acar.h"
#include "core/internal.h" /* acar_doc.chunk_cap: tiny chunks */
#include "fuzz_fail.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct hook {
    long left;          /* allocations before the failing one */
    size_t live;        /* bytes handed out, not returned */
    bool bad;           /* a realloc/free named a wrong size */
} hook;

/* Each block carries its size in front, to check what free is told. */
#define HEAD 16

static void *h_malloc(void *ctx, size_t n) {
    hook *h = ctx;
    if (h->left-- == 0 || n > SIZE_MAX - HEAD) return NULL;
    char *p = malloc(HEAD + n);
    if (!p) return NULL;
    memcpy(p, &n, sizeof n);
    h->live += n;
    return p + HEAD;
}

static void *h_realloc(void *ctx, void *q, size_t old, size_t n) {
    hook *h = ctx;
    if (!q) return h_malloc(ctx, n);
    if (h->left-- == 0 || n > SIZE_MAX - HEAD) return NULL;
    char *p = (char *)q - HEAD;
    size_t had;
    memcpy(&had, p, sizeof had);
    if (had != old) h->bad = true;
    char *r = realloc(p, HEAD + n);
    if (!r) return NULL;
    memcpy(r, &n, sizeof n);
    h->live = h->live - had + n;
    return r + HEAD;
}

static void h_free(void *ctx, void *q, size_t n) {
    hook *h = ctx;
    if (!q) return;
    char *p = (char *)q - HEAD;
    size_t had;
    memcpy(&had, p, sizeof had);
    if (had != n) h->bad = true;
    h->live -= had;
    free(p);
}

static const acar_format formats[] = {
    ACAR_FORMAT_PICKLE, ACAR_FORMAT_MARSHAL, ACAR_FORMAT_JSON,  ACAR_FORMAT_JSONL,
    ACAR_FORMAT_XMLRPC, ACAR_FORMAT_PLIST,   ACAR_FORMAT_BPLIST,
};

/* repr of a read of data into *out (0), or -1 with *err. */
static int read_repr(acar_doc *doc, acar_format fmt, const uint8_t *d, size_t n, acar_buf *out, acar_err *err) {
    acar_read_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.format = fmt;
    acar_val *v = acar_read(doc, d, n, &ro, err);
    if (!v) return -1;
    acar_write_opts wo;
    memset(&wo, 0, sizeof wo);
    wo.max_output = (size_t)1 << 20;
    acar_err werr;
    if (acar_write(v, ACAR_FORMAT_REPR, &wo, out, &werr) < 0) {
        /* too long or too deep to print: compare nothing */
        acar_buf_free(out);
        out->data = NULL;
    }
    return 0;
}

static bool same(const acar_buf *a, const acar_buf *b) {
    if (!a->data || !b->data) return true;
    return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 4) return 0;
    acar_format fmt = formats[data[0] % (sizeof formats / sizeof *formats)];
    long fail_at = (long)(data[1] | data[2] << 8);
    size_t max_ops = data[3];
    data += 4;
    size -= 4;

    acar_doc_opts o;
    memset(&o, 0, sizeof o);
    o.limits.max_memory = (size_t)64 << 20;
    acar_doc *doc = acar_doc_new(&o);
    if (!doc) return 0;
    acar_buf ref = {0};
    acar_err rerr;
    int rrc = read_repr(doc, fmt, data, size, &ref, &rerr);

    /* the N-th allocation fails */
    hook h = {fail_at, 0, false};
    acar_alloc a = {h_malloc, h_realloc, h_free, &h};
    o.alloc = &a;
    acar_doc *d2 = acar_doc_new(&o);
    if (d2) {
        d2->next_chunk = d2->chunk_cap = 96;
        acar_buf got = {0};
        acar_err err;
        if (read_repr(d2, fmt, data, size, &got, &err) < 0) {
            if (err.code == ACAR_OK || !err.msg[0]) fail("failing allocation: an error without code or message");
            /* a failure of its own, or the one the plain read has */
            if (err.code != ACAR_ERR_NOMEM && (rrc == 0 || err.code != rerr.code)) {
                fprintf(stderr, "plain read: %d %s; this read: %d %s\n", rrc < 0 ? (int)rerr.code : 0,
                        rrc < 0 ? rerr.msg : "", (int)err.code, err.msg);
                fail("failing allocation: an error other than NOMEM or the plain read's");
            }
        } else if (rrc < 0) {
            fprintf(stderr, "plain read: %d %s\n", (int)rerr.code, rerr.msg);
            fail("failing allocation: read where the plain read failed");
        } else if (!same(&ref, &got)) {
            fprintf(stderr, "plain: %.*s\nthis:  %.*s\n", (int)ref.len, ref.data, (int)got.len, got.data);
            fail("failing allocation: another repr than the plain read's");
        }
        acar_buf_free(&got);
        acar_doc_free(d2);
    }
    if (h.live != 0) fail("failing allocation: bytes not given back");
    if (h.bad) fail("failing allocation: realloc or free named another size");

    /* the opcode limit */
    if (fmt == ACAR_FORMAT_PICKLE && max_ops < size) {
        o.alloc = NULL;
        o.limits.max_ops = max_ops ? max_ops : 1;
        acar_doc *d3 = acar_doc_new(&o);
        if (d3) {
            acar_buf got = {0};
            acar_err err;
            if (read_repr(d3, fmt, data, size, &got, &err) < 0) {
                bool limit = err.code == ACAR_ERR_LIMIT && strstr(err.msg, "max_ops") && err.offset < size;
                bool as_plain = rrc < 0 && err.code == rerr.code && err.offset == rerr.offset;
                if (!limit && !as_plain) {
                    fprintf(stderr, "plain read: %d @%zu %s; this read: %d @%zu %s\n", rrc < 0 ? (int)rerr.code : 0,
                            rrc < 0 ? rerr.offset : 0, rrc < 0 ? rerr.msg : "", (int)err.code, err.offset, err.msg);
                    fail("max_ops: an error other than the limit or the plain read's");
                }
            } else if (rrc < 0) {
                fail("max_ops: read where the plain read failed");
            } else if (!same(&ref, &got)) {
                fprintf(stderr, "plain: %.*s\nthis:  %.*s\n", (int)ref.len, ref.data, (int)got.len, got.data);
                fail("max_ops: another repr than the plain read's");
            }
            acar_buf_free(&got);
            acar_doc_free(d3);
        }
    }
    acar_buf_free(&ref);
    acar_doc_free(doc);
    return 0;
}
