/*
 * json_write_batch.c -- test driver: many values through acar's JSON writer
 * in one process (one process per case is far too slow under sanitizers).
 *
 * Reads requests from stdin, each a pickle and the option sets to write it
 * with; answers each on stdout and flushes (a test that sees the process die
 * knows the case: the first one unanswered).  Integers are little-endian.
 *
 * Request:
 *   u32 nsets       option sets that follow the input; bit 31 set: the
 *                   input is JSON (read by acar's JSON reader), else a pickle
 *   u64 len, data   the value
 *   nsets times:
 *     u32 flags     acar_write_opts.flags
 *     u32 mode      bit 0 indent given, bit 1 item_sep given, bit 2 key_sep
 *                   given, bit 3 write JSON Lines
 *     u32 max_depth, u32 max_int_digits   (0: defaults)
 *     u32 ilen, u32 islen, u32 kslen      then that many bytes of indent,
 *                                         item_sep, key_sep
 * Answer:
 *   u32 magic       "ACJW" (0x574a4341)
 *   u32 code        acar_read's code (0: ok), u32 msglen, msg
 *   u32 nsets       (0 when the read failed), then each:
 *     u32 code      acar_write's code (0: ok)
 *     u64 len, data the JSON, or the error message when code != 0
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

#define MAX_INPUT ((uint64_t)1 << 31)

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

static size_t msg_len(const char *m) {
    const char *z = memchr(m, 0, ACAR_ERR_MSG_MAX);
    return z ? (size_t)(z - m) : ACAR_ERR_MSG_MAX;
}

/* Reads n bytes into a fresh exact-size buffer (ASan sees overreads), or NULL. */
static unsigned char *read_exact(size_t n, int *bad) {
    unsigned char *p = malloc(n ? n : 1);
    if (!p || (n && fread(p, 1, n, stdin) != n)) {
        free(p);
        *bad = 1;
        return NULL;
    }
    return p;
}

/* A NUL-terminated copy of n bytes read from stdin. */
static char *read_text(uint32_t n, int *bad) {
    char *p = malloc((size_t)n + 1);
    if (!p || (n && fread(p, 1, n, stdin) != n)) {
        free(p);
        *bad = 1;
        return NULL;
    }
    p[n] = 0;
    return p;
}

int main(void) {
    unsigned char hdr[12];
#ifdef _WIN32
    _setmode(_fileno(stdin), _O_BINARY);
    _setmode(_fileno(stdout), _O_BINARY);
#endif
    for (;;) {
        size_t got = fread(hdr, 1, sizeof hdr, stdin);
        if (got == 0 && feof(stdin)) return 0;
        if (got != sizeof hdr) break;
        uint32_t nsets = get32(hdr) & 0x7fffffffu;
        int from_json = (get32(hdr) >> 31) != 0;
        uint64_t len = (uint64_t)get32(hdr + 4) | (uint64_t)get32(hdr + 8) << 32;
        if (len > MAX_INPUT || nsets > 4096) break;
        int bad = 0;
        unsigned char *input = read_exact((size_t)len, &bad);
        if (bad) break;

        acar_doc *doc = acar_doc_new(NULL);
        acar_read_opts ro;
        acar_err err;
        memset(&ro, 0, sizeof ro);
        memset(&err, 0, sizeof err);
        ro.format = from_json ? ACAR_FORMAT_JSON : ACAR_FORMAT_PICKLE;
        acar_val *root = doc ? acar_read(doc, input, (size_t)len, &ro, &err) : NULL;
        if (!doc) {
            err.code = ACAR_ERR_NOMEM;
            snprintf(err.msg, sizeof err.msg, "json_write_batch: acar_doc_new failed");
        }
        free(input);
        put32(0x574a4341u);
        put32(root ? 0 : (uint32_t)err.code);
        size_t mlen = root ? 0 : msg_len(err.msg);
        put32((uint32_t)mlen);
        fwrite(err.msg, 1, mlen, stdout);
        put32(root ? nsets : 0);
        for (uint32_t k = 0; k < nsets && !bad; k++) {
            unsigned char s[28];
            if (fread(s, 1, sizeof s, stdin) != sizeof s) { bad = 1; break; }
            acar_write_opts wo;
            memset(&wo, 0, sizeof wo);
            wo.flags = get32(s);
            uint32_t mode = get32(s + 4);
            wo.max_depth = get32(s + 8);
            wo.max_int_digits = get32(s + 12);
            char *ind = read_text(get32(s + 16), &bad);
            char *isep = bad ? NULL : read_text(get32(s + 20), &bad);
            char *ksep = bad ? NULL : read_text(get32(s + 24), &bad);
            if (!bad && root) {
                wo.indent = (mode & 1) ? ind : NULL;
                wo.item_sep = (mode & 2) ? isep : NULL;
                wo.key_sep = (mode & 4) ? ksep : NULL;
                acar_buf out = {0};
                acar_err werr;
                int rc = acar_write(root, (mode & 8) ? ACAR_FORMAT_JSONL : ACAR_FORMAT_JSON, &wo,
                                    &out, &werr);
                if (rc == 0) {
                    put32(0);
                    put64(out.len);
                    if (out.len) fwrite(out.data, 1, out.len, stdout);
                } else {
                    size_t n = msg_len(werr.msg);
                    put32(werr.code ? (uint32_t)werr.code : 99u);
                    put64(n);
                    fwrite(werr.msg, 1, n, stdout);
                }
                acar_buf_free(&out);
            }
            free(ind);
            free(isep);
            free(ksep);
        }
        acar_doc_free(doc);
        fflush(stdout);
        if (bad) break;
    }
    fprintf(stderr, "json_write_batch: malformed request\n");
    return 3;
}
