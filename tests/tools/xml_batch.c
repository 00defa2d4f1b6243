/*
 * xml_batch.c -- test driver for the XML formats: many cases through the
 * library in one process (one process per case is far too slow under the
 * sanitizers).  Reads requests on stdin, answers each on stdout and
 * flushes, so a test that sees the process die knows which case killed it.
 *
 * All integers little-endian.
 *
 * Request (24-byte header, then the method name, then the input):
 *   u32 op          1 read xmlrpc, 2 read plist: answer the repr of the root
 *                   3 read pickle, write xmlrpc; 4 read pickle, write plist:
 *                     answer the bytes written
 *   u32 flags       acar_write_opts.flags (ops 3, 4)
 *   u32 mlen        bytes of method name (op 3; 0: none)
 *   u32 max_depth   doc limit (0: default)
 *   u64 len         bytes of input
 *
 * Answer:
 *   u32 magic "ACRX", u32 code (0 ok), u64 offset, u32 line, u32 column,
 *   u32 kind (xmlrpc read: acar_xmlrpc_kind), u32 n + method name (xmlrpc
 *   read of a call), u64 leaked (bytes still held through the doc's
 *   allocator after acar_doc_free), u32 n + message, u64 n + output (repr
 *   or written bytes).
 *
 * Exit status: 0 at a clean end of input, 3 on a malformed request.
 */
#include "acar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#endif

static uint32_t get32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint32_t v) {
    unsigned char b[4];
    for (int i = 0; i < 4; i++) b[i] = (unsigned char)(v >> (8 * i));
    fwrite(b, 1, 4, stdout);
}

static void put64(uint64_t v) {
    put32((uint32_t)v);
    put32((uint32_t)(v >> 32));
}

typedef struct counter {
    size_t held;
} counter;

static void *c_malloc(void *ctx, size_t size) {
    void *p = malloc(size ? size : 1);
    if (p) ((counter *)ctx)->held += size;
    return p;
}

static void *c_realloc(void *ctx, void *ptr, size_t old, size_t size) {
    void *p = realloc(ptr, size ? size : 1);
    if (p) ((counter *)ctx)->held += size - old;
    return p;
}

static void c_free(void *ctx, void *ptr, size_t size) {
    if (!ptr) return;
    free(ptr);
    ((counter *)ctx)->held -= size;
}

static void run(uint32_t op, uint32_t flags, const char *method, uint32_t max_depth,
                const unsigned char *in, size_t len) {
    counter cnt = {0};
    acar_alloc alloc = {c_malloc, c_realloc, c_free, &cnt};
    acar_doc_opts dopts;
    memset(&dopts, 0, sizeof dopts);
    dopts.alloc = &alloc;
    dopts.limits.max_depth = max_depth;
    acar_doc *doc = acar_doc_new(&dopts);
    acar_read_opts ro;
    acar_err err;
    acar_buf out = {0};
    memset(&ro, 0, sizeof ro);
    memset(&err, 0, sizeof err);
    const char *mname = NULL;
    size_t mlen = 0;
    if (!doc) {
        err.code = ACAR_ERR_NOMEM;
        snprintf(err.msg, sizeof err.msg, "acar_doc_new failed");
    } else {
        ro.format = op == 1 ? ACAR_FORMAT_XMLRPC : op == 2 ? ACAR_FORMAT_PLIST : ACAR_FORMAT_PICKLE;
        acar_val *root = acar_read(doc, in, len, &ro, &err);
        if (root && op <= 2) {
            if (acar_repr(root, &out, &err) != 0) out.len = 0;
            if (ro.method) mname = acar_str(ro.method, &mlen);
        } else if (root) {
            acar_write_opts wo;
            memset(&wo, 0, sizeof wo);
            wo.flags = flags;
            wo.method = method;
            if (acar_write(root, op == 3 ? ACAR_FORMAT_XMLRPC : ACAR_FORMAT_PLIST, &wo, &out, &err) != 0)
                out.len = 0;
        }
    }
    put32(0x58524341u);
    put32((uint32_t)err.code);
    put64(err.offset);
    put32((uint32_t)err.line);
    put32((uint32_t)err.column);
    put32((uint32_t)ro.xmlrpc_kind);
    put32((uint32_t)mlen);
    if (mlen) fwrite(mname, 1, mlen, stdout);
    acar_doc_free(doc);
    put64(cnt.held);
    size_t ml = err.code ? strlen(err.msg) : 0;
    put32((uint32_t)ml);
    fwrite(err.msg, 1, ml, stdout);
    put64(out.len);
    if (out.len) fwrite(out.data, 1, out.len, stdout);
    fflush(stdout);
    acar_buf_free(&out);
}

int main(void) {
#ifdef _WIN32
    _setmode(_fileno(stdin), _O_BINARY);
    _setmode(_fileno(stdout), _O_BINARY);
#endif
    unsigned char hdr[24];
    for (;;) {
        size_t got = fread(hdr, 1, sizeof hdr, stdin);
        if (got == 0) return 0;
        if (got != sizeof hdr) return 3;
        uint32_t op = get32(hdr), flags = get32(hdr + 4), mlen = get32(hdr + 8), depth = get32(hdr + 12);
        uint64_t len = (uint64_t)get32(hdr + 16) | (uint64_t)get32(hdr + 20) << 32;
        if (op < 1 || op > 4 || len > ((uint64_t)1 << 31) || mlen > (1u << 20)) return 3;
        char *method = malloc((size_t)mlen + 1);
        unsigned char *in = malloc(len ? (size_t)len : 1);
        if (!method || !in) return 3;
        if (fread(method, 1, mlen, stdin) != mlen || fread(in, 1, (size_t)len, stdin) != len) return 3;
        method[mlen] = 0;
        run(op, flags, mlen ? method : NULL, depth, in, (size_t)len);
        free(method);
        free(in);
    }
}
