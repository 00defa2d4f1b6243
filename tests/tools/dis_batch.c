/*
 * dis_batch.c -- test driver: many pickles through acar_dis in one process.
 *
 * Speaks the request/answer framing of batch.c (so tests/py/pyvalues.py's
 * Batch runs it), with these meanings:
 *
 * Request (32-byte header, then the input; integers little-endian):
 *   u32 annotate     acar_dis_opts.annotate (two's complement)
 *   u32 indentlevel  acar_dis_opts.indentlevel (two's complement)
 *   u64 0, u32 0, u32 0
 *   u64 len          bytes of input that follow
 *
 * Answer:
 *   u32 magic "ACRB", u32 code (acar_dis's error code, 0: ok), u64 offset,
 *   u64 0, u64 0, u64 0, u64 nanos, u64 0, u32 msglen, msg,
 *   u32 1, then one section: u32 0, u32 code, u64 len, the listing (what
 *   acar_dis appended to its buffer, also when it failed).
 *
 * Exit status: 0 at a clean end of input, 3 on a malformed request.
 */
#include "acar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#endif

#define MAX_INPUT ((uint64_t)1 << 31)

static uint32_t get32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p) {
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
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

static uint64_t now_ns(void) {
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(void) {
#ifdef _WIN32
    _setmode(_fileno(stdin), _O_BINARY);
    _setmode(_fileno(stdout), _O_BINARY);
#endif
    unsigned char hdr[32];
    for (;;) {
        size_t got = fread(hdr, 1, sizeof hdr, stdin);
        if (got == 0 && feof(stdin)) return 0;
        if (got != sizeof hdr) return 3;
        uint64_t len = get64(hdr + 24);
        if (len > MAX_INPUT) return 3;
        unsigned char *data = malloc(len ? (size_t)len : 1);
        if (!data || fread(data, 1, (size_t)len, stdin) != len) return 3;
        acar_dis_opts opts;
        opts.annotate = (int)(int32_t)get32(hdr);
        opts.indentlevel = (int)(int32_t)get32(hdr + 4);
        acar_buf out = {0};
        acar_err err;
        memset(&err, 0, sizeof err);
        uint64_t t0 = now_ns();
        int rc = acar_dis(data, (size_t)len, &opts, &out, &err);
        uint64_t t1 = now_ns();
        uint32_t code = rc < 0 ? (uint32_t)err.code : 0;
        const char *msg = rc < 0 ? err.msg : "";
        size_t mlen = strlen(msg);
        put32(0x42524341u);
        put32(code);
        put64(rc < 0 ? err.offset : 0);
        put64(0);
        put64(0);
        put64(0);
        put64(t1 - t0);
        put64(0);
        put32((uint32_t)mlen);
        fwrite(msg, 1, mlen, stdout);
        put32(1);
        put32(0);
        put32(code);
        put64(out.len);
        if (out.len) fwrite(out.data, 1, out.len, stdout);
        fflush(stdout);
        acar_buf_free(&out);
        free(data);
    }
}
