/*
 * json_batch.c -- test driver: many JSON inputs through the reader in one
 * process (one process per case is far too slow under the sanitizers).
 *
 * All integers little-endian.  Request (24-byte header, then the input):
 *   u32 flags       acar_read_opts.flags
 *   u32 mode        bit 0: JSON Lines; bit 8: answer the repr;
 *                   bit 9: answer a pickle (protocol 4) of the value
 *   u32 max_depth   doc limit, 0 for the default
 *   u32 max_digits  doc limit max_int_digits, 0 for the default
 *   u64 len         bytes of input that follow
 * Answer:
 *   u32 magic "ACRJ" (0x4a524341), u32 code, u64 offset, u64 line,
 *   u64 column, u64 consumed, u32 msglen + msg,
 *   u32 nout, then nout times: u32 what (1 repr, 2 pickle), u32 code,
 *   u64 len + data (the output, or the error message when code != 0),
 *   u64 leaked: bytes the doc's allocator still held after acar_doc_free.
 * Each input with the default limits is also read into one document kept
 * for the whole run and emptied by acar_doc_reset before each read (the
 * documented way to read many inputs): it must read as the new document
 * did, to the same error and offset or the same repr and pickle.
 * Exit status: 0 at a clean end of input, 3 on a malformed request, 4 when
 * the reused document read an input differently (said on stderr).
 */
#include "acar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t get32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const unsigned char *p) { return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32; }
static void put32(uint32_t v) {
    unsigned char b[4];
    for (int i = 0; i < 4; i++) b[i] = (unsigned char)(v >> (8 * i));
    fwrite(b, 1, 4, stdout);
}
static void put64(uint64_t v) {
    put32((uint32_t)v);
    put32((uint32_t)(v >> 32));
}

/* The C library's allocator, counting what the doc holds. */
static size_t held;
static void *c_malloc(void *ctx, size_t n) {
    (void)ctx;
    void *p = malloc(n ? n : 1);
    if (p) held += n;
    return p;
}
static void *c_realloc(void *ctx, void *p, size_t old, size_t n) {
    (void)ctx;
    void *q = realloc(p, n ? n : 1);
    if (q) held = held - old + n;
    return q;
}
static void c_free(void *ctx, void *p, size_t n) {
    (void)ctx;
    if (p) { free(p); held -= n; }
}

/* acar_write of v in fmt (pickle: protocol 4) into *out: 0, or the
 * error's code with *out empty. */
static int write_as(const acar_val *v, acar_format fmt, acar_buf *out, acar_err *err) {
    acar_write_opts wo;
    memset(&wo, 0, sizeof wo);
    if (fmt == ACAR_FORMAT_PICKLE) wo.version = ACAR_VERSION(4);
    int rc = acar_write(v, fmt, &wo, out, err);
    if (rc != 0) acar_buf_free(out);
    return rc;
}

static void section(uint32_t what, const acar_val *v, acar_format fmt) {
    acar_buf out = {0};
    acar_err err;
    int rc = write_as(v, fmt, &out, &err);
    put32(what);
    put32(rc == 0 ? 0 : (uint32_t)err.code);
    if (rc == 0) {
        put64(out.len);
        fwrite(out.data, 1, out.len, stdout);
    } else {
        put64(strlen(err.msg));
        fwrite(err.msg, 1, strlen(err.msg), stdout);
    }
    acar_buf_free(&out);
}

/* Whether a and b write the same bytes in fmt (both failing counts as the same). */
static int same_output(const acar_val *a, const acar_val *b, acar_format fmt) {
    acar_buf x = {0}, y = {0};
    acar_err err;
    int rx = write_as(a, fmt, &x, &err), ry = write_as(b, fmt, &y, &err);
    int same = (rx == 0) == (ry == 0) && x.len == y.len && (x.len == 0 || memcmp(x.data, y.data, x.len) == 0);
    acar_buf_free(&x);
    acar_buf_free(&y);
    return same;
}

/* in read into the reused document as the new one read it (v, or err). */
static void check_reused(acar_doc *reused, const unsigned char *in, size_t len, const acar_read_opts *ro,
                         const acar_val *v, const acar_err *err, unsigned long long n) {
    acar_read_opts o = *ro;
    acar_err e;
    acar_doc_reset(reused);
    acar_val *w = acar_read(reused, in, len, &o, &e);
    int same = (v != NULL) == (w != NULL);
    if (same && !v) same = e.code == err->code && e.offset == err->offset;
    if (same && v) same = same_output(v, w, ACAR_FORMAT_REPR) && same_output(v, w, ACAR_FORMAT_PICKLE);
    if (!same) {
        fprintf(stderr, "json_batch: request %llu: a document reused through acar_doc_reset read it differently\n", n);
        exit(4);
    }
}

int main(void) {
    acar_doc *reused = acar_doc_new(NULL);
    unsigned long long n = 0;
    if (!reused) return 3;
    unsigned char hdr[24];
    for (;;) {
        size_t got = fread(hdr, 1, sizeof hdr, stdin);
        if (got == 0 && feof(stdin)) {
            acar_doc_free(reused);
            return 0;
        }
        if (got != sizeof hdr) return 3;
        uint64_t len = get64(hdr + 16);
        if (len > ((uint64_t)1 << 31)) return 3;
        unsigned char *in = malloc(len ? (size_t)len : 1); /* exact size: ASan sees overreads */
        if (!in) return 3;
        if (len && fread(in, 1, (size_t)len, stdin) != len) return 3;
        uint32_t mode = get32(hdr + 4);
        acar_alloc al = {c_malloc, c_realloc, c_free, NULL};
        acar_doc_opts dopts;
        memset(&dopts, 0, sizeof dopts);
        dopts.alloc = &al;
        dopts.limits.max_depth = get32(hdr + 8);
        dopts.limits.max_int_digits = get32(hdr + 12);
        held = 0;
        acar_doc *doc = acar_doc_new(&dopts);
        acar_read_opts ro;
        memset(&ro, 0, sizeof ro);
        ro.flags = get32(hdr);
        ro.format = (mode & 1) ? ACAR_FORMAT_JSONL : ACAR_FORMAT_JSON;
        acar_err err;
        memset(&err, 0, sizeof err);
        acar_val *v = doc ? acar_read(doc, in, (size_t)len, &ro, &err) : NULL;
        put32(0x4a524341u);
        put32(v ? 0 : (uint32_t)(err.code ? err.code : 99));
        put64(v ? 0 : err.offset);
        put64(v ? 0 : err.line);
        put64(v ? 0 : err.column);
        put64(ro.consumed);
        uint32_t nout = v ? ((mode >> 8) & 1) + ((mode >> 9) & 1) : 0;
        const char *m = v ? "" : err.msg;
        const char *nul = memchr(m, 0, sizeof err.msg);
        size_t ml = v ? 0 : nul ? (size_t)(nul - m) : sizeof err.msg;
        put32((uint32_t)ml);
        fwrite(m, 1, ml, stdout);
        put32(nout);
        if (v && (mode & 0x100)) section(1, v, ACAR_FORMAT_REPR);
        if (v && (mode & 0x200)) section(2, v, ACAR_FORMAT_PICKLE);
        if (doc && !dopts.limits.max_depth && !dopts.limits.max_int_digits)
            check_reused(reused, in, (size_t)len, &ro, v, &err, n);
        n++;
        acar_doc_free(doc);
        put64(held);
        fflush(stdout);
        free(in);
    }
}
