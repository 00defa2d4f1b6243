/*
 * batch.c -- test driver: many inputs through the library in one process.
 * Pickle by default; `batch --marshal` reads and writes marshal instead.
 *
 * The Python tests send thousands of cases; one process per case is far too
 * slow under the sanitizers, so this program reads requests from stdin and
 * answers each one on stdout, flushing after every answer (a test that sees
 * the process die knows which case killed it: the first one unanswered).
 *
 * All integers are little-endian.
 *
 * Request (32-byte header, then the input):
 *   u32 want        bits 0..5: write pickle protocol (marshal version) 0..5
 *                   bit 8:     write repr
 *                   bit 9:     write with the format's default version (0)
 *   u32 read        bits 0..7: acar_read_opts.flags
 *                   bits 8..11: acar_read_opts.encoding
 *                   bit 16:    --marshal: read as Python 2 marshal (ACAR_MARSHAL_PY2)
 *                   bit 17:    --marshal: the input is a pickle (values with no marshal marks)
 *   u64 max_memory  doc limit, 0 for the default
 *   u32 max_depth   doc limit, 0 for the default
 *   u32 reserved    0
 *   u64 len         bytes of input that follow
 *
 * Answer:
 *   u32 magic       "ACRB" (0x42524341): keeps the stream in step
 *   u32 code        acar_read's error code (0: read ok)
 *   u64 offset      error offset
 *   u64 memory      acar_doc_memory after the read (ok or failed)
 *   u64 peak        most bytes held at once through the doc's allocator
 *                   (reading and writing), counted by a wrapping allocator
 *   u64 leaked      bytes still held through it after acar_doc_free
 *   u64 nanos       time spent reading and writing
 *   u64 consumed    acar_read_opts.consumed (bytes the read used)
 *   u32 msglen, msg the read error message (empty when ok)
 *   u32 nout        sections that follow (0 when the read failed)
 *   nout times:
 *     u32 what      0x100 repr, 0x200 default version, else the version
 *     u32 code      acar_write's code (0: ok)
 *     u64 len, data the output, or the error message when code != 0
 *
 * Exit status: 0 at a clean end of input, 3 on a malformed request.
 */
#include "acar.h"
#include "marshal/marshal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#endif

#define WANT_REPR 0x100u
#define WANT_DEFAULT 0x200u
#define MAX_INPUT ((uint64_t)1 << 31) /* a test never sends more; guards a bad stream */
#define READ_PY2 (1u << 16)
#define READ_PICKLE (1u << 17)

/* The format written (and read, unless READ_PICKLE): --marshal or pickle. */
static acar_format format = ACAR_FORMAT_PICKLE;

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

static uint64_t now_nanos(void) {
    struct timespec ts;
    if (timespec_get(&ts, TIME_UTC) != TIME_UTC) return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The doc's allocator: the C library's, counting what it holds.  realloc
 * and free receive the old size (acar_alloc's contract), so no header is
 * needed; a wrong size from the library shows up as a nonzero 'leaked'. */
typedef struct counter {
    size_t held, peak;
} counter;

static void count_add(counter *c, size_t add, size_t sub) {
    c->held = c->held - sub + add;
    if (c->held > c->peak) c->peak = c->held;
}

static void *count_malloc(void *ctx, size_t size) {
    void *p = malloc(size ? size : 1);
    if (p) count_add(ctx, size, 0);
    return p;
}

static void *count_realloc(void *ctx, void *ptr, size_t old_size, size_t new_size) {
    void *p = realloc(ptr, new_size ? new_size : 1);
    if (p) count_add(ctx, new_size, old_size);
    return p;
}

static void count_free(void *ctx, void *ptr, size_t size) {
    if (!ptr) return;
    free(ptr);
    count_add(ctx, 0, size);
}

/* One finished output section, kept until the answer header is out. */
typedef struct section {
    uint32_t what;
    uint32_t code;
    acar_buf buf;
} section;

static void section_run(section *s, const acar_val *root, uint32_t what) {
    acar_err err;
    acar_write_opts wo;
    int rc;
    memset(&wo, 0, sizeof wo);
    memset(&s->buf, 0, sizeof s->buf);
    s->what = what;
    if (what == WANT_REPR) {
        rc = acar_write(root, ACAR_FORMAT_REPR, &wo, &s->buf, &err);
    } else {
        wo.version = what == WANT_DEFAULT ? 0 : ACAR_VERSION(what);
        rc = acar_write(root, format, &wo, &s->buf, &err);
    }
    s->code = rc == 0 ? 0 : (uint32_t)(err.code ? err.code : ACAR_ERR_ARG);
    if (rc != 0) {
        /* The partial output is of no use: replace it with the message. */
        size_t n = strlen(err.msg);
        s->buf.len = 0;
        if (s->buf.cap < n) {
            acar_buf_free(&s->buf);
            s->buf.data = malloc(n ? n : 1);
            s->buf.cap = s->buf.data ? n : 0;
        }
        if (s->buf.data) {
            memcpy(s->buf.data, err.msg, n);
            s->buf.len = n;
        }
    }
}

/* Runs one request and writes its answer. */
static void run_case(const unsigned char *hdr, const unsigned char *input, size_t len) {
    uint32_t want = get32(hdr), rd = get32(hdr + 4);
    acar_doc_opts dopts;
    acar_read_opts ropts;
    acar_err err;
    section secs[8];
    size_t nsec = 0;
    memset(&dopts, 0, sizeof dopts);
    memset(&ropts, 0, sizeof ropts);
    memset(&err, 0, sizeof err);
    counter cnt = {0, 0};
    acar_alloc alloc = {count_malloc, count_realloc, count_free, &cnt};
    dopts.alloc = &alloc;
    dopts.limits.max_memory = (size_t)get64(hdr + 8);
    dopts.limits.max_depth = get32(hdr + 16);
    ropts.flags = rd & 0xffu;
    ropts.encoding = (acar_str_encoding)((rd >> 8) & 0xfu);
    ropts.format = format == ACAR_FORMAT_MARSHAL && !(rd & READ_PICKLE) ? ACAR_FORMAT_MARSHAL
                                                                         : ACAR_FORMAT_PICKLE;

    uint64_t t0 = now_nanos();
    acar_doc *doc = acar_doc_new(&dopts);
    acar_val *root = NULL;
    if (!doc) {
        err.code = ACAR_ERR_NOMEM;
        snprintf(err.msg, sizeof err.msg, "batch: acar_doc_new failed");
    } else {
        if (format == ACAR_FORMAT_MARSHAL && (rd & READ_PY2)) {
            memset(&err, 0, sizeof err);
            root = acar__marshal_read_ex(doc, input, len, &ropts, ACAR_MARSHAL_PY2, &err);
            if (root) acar_doc_set_root(doc, root);
        } else {
            root = acar_read(doc, input, len, &ropts, &err);
        }
        if (!root && err.code == ACAR_OK) {
            err.code = ACAR_ERR_ARG;
            snprintf(err.msg, sizeof err.msg, "batch: acar_read returned NULL with no error");
        }
    }
    size_t memory = doc ? acar_doc_memory(doc) : 0;
    if (root) {
        if (want & WANT_REPR) section_run(&secs[nsec++], root, WANT_REPR);
        for (uint32_t p = 0; p <= 5; p++)
            if (want & (1u << p)) section_run(&secs[nsec++], root, p);
        if (want & WANT_DEFAULT) section_run(&secs[nsec++], root, WANT_DEFAULT);
    }
    uint64_t t1 = now_nanos();

    const char *nul = memchr(err.msg, 0, sizeof err.msg);
    size_t mlen = root ? 0 : nul ? (size_t)(nul - err.msg) : sizeof err.msg;
    put32(0x42524341u);
    put32(root ? 0 : (uint32_t)err.code);
    put64(root ? 0 : err.offset);
    put64(memory);
    put64(cnt.peak);
    acar_doc_free(doc);
    put64(cnt.held);
    put64(t1 - t0);
    put64(ropts.consumed);
    put32((uint32_t)mlen);
    fwrite(err.msg, 1, mlen, stdout);
    put32((uint32_t)nsec);
    for (size_t i = 0; i < nsec; i++) {
        put32(secs[i].what);
        put32(secs[i].code);
        put64(secs[i].buf.len);
        if (secs[i].buf.len) fwrite(secs[i].buf.data, 1, secs[i].buf.len, stdout);
        acar_buf_free(&secs[i].buf);
    }
    fflush(stdout);
}

int main(int argc, char **argv) {
    unsigned char hdr[32];
    int status = 0;
    if (argc > 1 && strcmp(argv[1], "--marshal") == 0) format = ACAR_FORMAT_MARSHAL;
#ifdef _WIN32
    _setmode(_fileno(stdin), _O_BINARY);
    _setmode(_fileno(stdout), _O_BINARY);
#endif
    for (;;) {
        size_t got = fread(hdr, 1, sizeof hdr, stdin);
        if (got == 0 && feof(stdin)) break;
        if (got != sizeof hdr) {
            fprintf(stderr, "batch: short request header\n");
            status = 3;
            break;
        }
        uint64_t len = get64(hdr + 24);
        if (len > MAX_INPUT) {
            fprintf(stderr, "batch: request length %llu too large\n", (unsigned long long)len);
            status = 3;
            break;
        }
        /* An exact-size buffer per case, so ASan sees any read past the end. */
        unsigned char *input = malloc(len ? (size_t)len : 1);
        if (!input) {
            fprintf(stderr, "batch: out of memory for a %llu-byte input\n",
                    (unsigned long long)len);
            status = 3;
            break;
        }
        if (len && fread(input, 1, (size_t)len, stdin) != len) {
            fprintf(stderr, "batch: short request body\n");
            free(input);
            status = 3;
            break;
        }
        run_case(hdr, input, (size_t)len);
        free(input);
    }
    return status;
}
