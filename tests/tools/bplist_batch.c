/*
 * bplist_batch.c -- test driver for binary plists: many inputs through the
 * library in one process (one process per case is far too slow under the
 * sanitizers).  Requests come on stdin, answers go to stdout, flushed after
 * each one, so a test that sees the process die knows which case did it.
 *
 * All integers little-endian.
 *
 * Request (16-byte header, then the input):
 *   u32 from     0: the input is a binary plist, 1: a pickle
 *   u32 flags    bit 0: read with ACAR_READ_BORROW
 *   u64 len      bytes of input that follow
 *
 * Answer:
 *   u32 magic    "ACRB" (0x42524341)
 *   u32 code     acar_read's error code (0: read ok)
 *   u64 offset   error offset
 *   u64 leaked   bytes still held through the doc's allocator after acar_doc_free
 *   u32 msglen, msg   the read error message (empty when ok)
 *   u32 nout     sections that follow (0 when the read failed), in order:
 *                repr, then bplist with (sort_keys, skipkeys) = (True, False),
 *                (False, False), (True, True), (False, True)
 *     u32 code   acar_write's code (0: ok)
 *     u64 len, data    the output, or the error message when code != 0
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
static void *count_malloc(void *ctx, size_t size) {
    void *p = malloc(size ? size : 1);
    if (p) *(size_t *)ctx += size;
    return p;
}

static void *count_realloc(void *ctx, void *ptr, size_t old_size, size_t new_size) {
    void *p = realloc(ptr, new_size ? new_size : 1);
    if (p) *(size_t *)ctx += new_size - old_size;
    return p;
}

static void count_free(void *ctx, void *ptr, size_t size) {
    if (!ptr) return;
    free(ptr);
    *(size_t *)ctx -= size;
}

/* Length of a message in a fixed buffer (C11 has no strnlen). */
static size_t msg_len(const char *m, size_t cap) {
    const char *z = memchr(m, 0, cap);
    return z ? (size_t)(z - m) : cap;
}

static void run_case(uint32_t from, uint32_t flags, const unsigned char *input, size_t len) {
    size_t held = 0;
    acar_alloc alloc = {count_malloc, count_realloc, count_free, &held};
    acar_doc_opts dopts;
    memset(&dopts, 0, sizeof dopts);
    dopts.alloc = &alloc;
    dopts.limits.max_memory = (size_t)1 << 30;
    acar_doc *doc = acar_doc_new(&dopts);
    acar_read_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.format = from == 1 ? ACAR_FORMAT_PICKLE : ACAR_FORMAT_BPLIST;
    if (flags & 1) ro.flags |= ACAR_READ_BORROW;
    acar_err err;
    memset(&err, 0, sizeof err);
    acar_val *root = doc ? acar_read(doc, input, len, &ro, &err) : NULL;
    if (!doc) {
        err.code = ACAR_ERR_NOMEM;
        snprintf(err.msg, sizeof err.msg, "bplist_batch: acar_doc_new failed");
    } else if (!root && err.code == ACAR_OK) {
        err.code = ACAR_ERR_ARG;
        snprintf(err.msg, sizeof err.msg, "bplist_batch: acar_read returned NULL with no error");
    }
    put32(0x42524341u);
    put32(root ? 0 : (uint32_t)err.code);
    put64(root ? 0 : err.offset);
    /* The leak count comes before the sections, so the outputs are made
     * and the doc freed before anything of the answer body is sent. */
    if (!root) {
        acar_doc_free(doc);
        put64(held);
        size_t n = msg_len(err.msg, sizeof err.msg);
        put32((uint32_t)n);
        fwrite(err.msg, 1, n, stdout);
        put32(0);
    } else {
        static const uint32_t flags_of[4] = {
            0, ACAR_WRITE_NO_SORT_KEYS, ACAR_WRITE_SKIPKEYS, ACAR_WRITE_NO_SORT_KEYS | ACAR_WRITE_SKIPKEYS};
        acar_buf outs[5];
        acar_err werr[5];
        int rcs[5];
        acar_write_opts wo;
        memset(&wo, 0, sizeof wo);
        memset(outs, 0, sizeof outs);
        rcs[0] = acar_write(root, ACAR_FORMAT_REPR, &wo, &outs[0], &werr[0]);
        for (int i = 0; i < 4; i++) {
            wo.flags = flags_of[i];
            rcs[i + 1] = acar_write(root, ACAR_FORMAT_BPLIST, &wo, &outs[i + 1], &werr[i + 1]);
        }
        acar_doc_free(doc);
        put64(held);
        put32(0);
        put32(5);
        for (int i = 0; i < 5; i++) {
            if (rcs[i] == 0) {
                put32(0);
                put64(outs[i].len);
                if (outs[i].len) fwrite(outs[i].data, 1, outs[i].len, stdout);
            } else {
                size_t n = msg_len(werr[i].msg, sizeof werr[i].msg);
                put32(werr[i].code ? (uint32_t)werr[i].code : (uint32_t)ACAR_ERR_ARG);
                put64(n);
                fwrite(werr[i].msg, 1, n, stdout);
            }
            acar_buf_free(&outs[i]);
        }
    }
    fflush(stdout);
}

int main(void) {
    unsigned char hdr[16];
#ifdef _WIN32
    _setmode(_fileno(stdin), _O_BINARY);
    _setmode(_fileno(stdout), _O_BINARY);
#endif
    for (;;) {
        size_t got = fread(hdr, 1, sizeof hdr, stdin);
        if (got == 0 && feof(stdin)) return 0;
        if (got != sizeof hdr) {
            fprintf(stderr, "bplist_batch: short request header\n");
            return 3;
        }
        uint64_t len = get64(hdr + 8);
        if (len > ((uint64_t)1 << 31)) {
            fprintf(stderr, "bplist_batch: request too large\n");
            return 3;
        }
        /* An exact-size buffer per case, so ASan sees any read past the end. */
        unsigned char *input = malloc(len ? (size_t)len : 1);
        if (!input || (len && fread(input, 1, (size_t)len, stdin) != len)) {
            fprintf(stderr, "bplist_batch: short request body\n");
            free(input);
            return 3;
        }
        run_case(get32(hdr), get32(hdr + 4), input, (size_t)len);
        free(input);
    }
}
