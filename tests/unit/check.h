/* check.h -- the tiny assertion kit every unit test uses.
 * CHECK(cond) counts a pass or prints file:line and counts a failure;
 * CHECK_DONE() prints "N passed, N failed" and returns the exit status. */
#ifndef ACAR_CHECK_H
#define ACAR_CHECK_H
#include <stdio.h>
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

#endif
