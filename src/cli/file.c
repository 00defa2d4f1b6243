/*
 * file.c -- reading whole input files for the acar command's subcommands.
 */
#define _POSIX_C_SOURCE 200809L /* stat */
#include "cli/cli.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int acar_cli_read_file(const char *path, unsigned char **data, size_t *len,
                       acar_cli_progress_fn progress) {
    int is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "<stdin>" : path;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    *data = NULL;
    *len = 0;
    if (!f) return -1;
    size_t total = 0;
    struct stat st;
    if (!is_stdin && stat(path, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size < SIZE_MAX / 2)
        total = (size_t)st.st_size;
    /* a regular file's size is known: one buffer of that size (+1 to see EOF) */
    size_t cap = total ? total + 1 : (size_t)1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    int err = buf ? 0 : ENOMEM;
    while (buf) {
        if (n == cap) {
            unsigned char *b = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
            if (!b) {
                err = ENOMEM;
                break;
            }
            buf = b;
            cap *= 2;
        }
        /* at most 4 MiB at a time, so that progress moves */
        size_t want = cap - n < ((size_t)4 << 20) ? cap - n : (size_t)4 << 20;
        size_t got = fread(buf + n, 1, want, f);
        n += got;
        if (got == 0) break;
        if (progress) progress(name, n, total);
    }
    if (!err && ferror(f)) err = EIO;
    if (!is_stdin) fclose(f);
    if (err) {
        free(buf);
        errno = err;
        return -1;
    }
    *data = buf;
    *len = n;
    return 0;
}
