/* check.h -- the tiny assertion kit every unit test uses.
 * CHECK(cond) counts a pass or prints file:line and counts a failure;
 * CHECK_DONE() prints "N passed, N failed" and returns the exit status. */
#ifndef ACAR_CHECK_H
#define ACAR_CHECK_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long check_passed, check_failed;

#define CHECK(cond) do { \
    if (cond) check_passed++; \
    else { check_failed++; fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_MSG(cond, ...) do { \
    if (cond) check_passed++; \
    else { check_failed++; fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
           fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } \
} while (0)

#define CHECK_DONE() ( printf("%lu passed, %lu failed\n", check_passed, check_failed), check_failed ? 1 : 0 )

/* The whole of the file at path (relative paths from tests/, where ctest
 * runs the unit tests), malloc'd, its length in *len; NULL (said on
 * stderr) when it cannot be read. */
static inline void *check_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    size_t cap = 1 << 16, n = 0, got;
    unsigned char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n < cap) continue;
        unsigned char *b = realloc(buf, cap *= 2);
        if (!b) free(buf);
        buf = b;
    }
    fclose(f);
    if (!buf) fprintf(stderr, "out of memory reading %s\n", path);
    *len = n;
    return buf;
}

#endif
