/*
 * read_avx2.c -- the JSON reader again, for x86-64 CPUs with AVX2, BMI1,
 * BMI2 and POPCNT: read.c compiled with those (CMakeLists.txt), its entry
 * points renamed.  read.c says when it is the one that reads.
 */
#ifdef ACAR_JSON_DISPATCH
#define ACAR_JSON_AVX2 1
#include "read.c"
#else
/* Not this build (CMake defines ACAR_JSON_DISPATCH on x86-64 with gcc or
 * clang); a translation unit must declare something. */
typedef int acar__json_read_avx2_absent;
#endif
