/* fuzz_fail.h -- how a fuzz target stops when a property it checks breaks:
 * it prints where and which property to stderr (libFuzzer shows it above
 * the stack), then aborts so that libFuzzer keeps the input. */
#ifndef ACAR_FUZZ_FAIL_H
#define ACAR_FUZZ_FAIL_H
#include <stdio.h>
#include <stdlib.h>

static void fuzz_fail(const char *file, int line, const char *why) {
    fprintf(stderr, "%s:%d: %s\n", file, line, why);
    abort();
}
#define fail(why) fuzz_fail(__FILE__, __LINE__, why)

#endif
