/*
 * bench_file.h -- a whole file read into memory, for every bench driver.
 *
 * bench_read_file(path, &len, pad): a malloc'd block of the file's len
 * bytes followed by pad zero bytes (at least one, so the text is also a C
 * string; simdjson's parser wants 64 readable bytes past the end), or NULL
 * with errno set.  Read until end of file, so a pipe works too.
 */
#ifndef ACAR_BENCH_FILE_H
#define ACAR_BENCH_FILE_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline char *bench_read_file(const char *path, size_t *len, size_t pad) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    if (pad == 0) pad = 1;
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap + pad);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n < cap) continue;
        char *b = cap <= SIZE_MAX / 4 ? realloc(buf, 2 * cap + pad) : NULL;
        if (!b) free(buf);
        buf = b;
        cap *= 2;
    }
    int failed = ferror(f);
    fclose(f);
    if (buf && failed) {
        free(buf);
        buf = NULL;
        errno = EIO;
    }
    if (!buf) return NULL;
    memset(buf + n, 0, pad);
    *len = n;
    return buf;
}

#endif
