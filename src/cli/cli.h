/*
 * cli.h -- what the acar command's files share.
 */
#ifndef ACAR_CLI_H
#define ACAR_CLI_H

#include <stddef.h>

/* Called as a file is read: bytes so far, and its size (0 when unknown). */
typedef void (*acar_cli_progress_fn)(const char *name, size_t done, size_t total);

/* Reads the whole file path ("-": standard input) into a malloc'd buffer.
 * A regular file is read into one buffer of its size.  Returns 0, or -1
 * with errno set (fopen's errno, ENOMEM, or EIO for a read error) and
 * nothing allocated.  progress may be NULL. */
int acar_cli_read_file(const char *path, unsigned char **data, size_t *len,
                       acar_cli_progress_fn progress);

#endif
