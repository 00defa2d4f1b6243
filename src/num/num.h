/*
 * num.h -- numeric text for acar (internal).
 *
 * Floats: shortest round-trip repr exactly as CPython's float.__repr__, and a
 * correctly rounded text -> double parser that never consults the C locale.
 * Big ints: magnitudes are little-endian arrays of 32-bit limbs with no high
 * zero limbs (zero is n == 0); the sign travels separately.  These are the
 * conversions every format needs: decimal text (repr, pickle INT/LONG, JSON),
 * and little-endian two's complement bytes (pickle LONG1/LONG4).
 *
 * Nothing here allocates except where a function takes an acar_num_alloc.
 */
#ifndef ACAR_NUM_H
#define ACAR_NUM_H

#include <float.h>
#include <stddef.h>
#include <stdint.h>

/* Room acar_num_float_repr needs at buf: its longest text is 24 bytes
 * ("-1.2345678901234567e-308"); the rest lets it move digits in copies of
 * a fixed size.  The text is never longer than this. */
#define ACAR_NUM_FLOAT_REPR_MAX 40

/* Writes repr(d) as CPython 3 prints it ("1e+16", "1e-05", "0.0001", "123.0",
 * "-0.0", "nan", "inf", "-inf", "5e-324", "1.7976931348623157e+308") into
 * buf, which has room for ACAR_NUM_FLOAT_REPR_MAX bytes.  Returns the length.
 * No terminator is written. */
size_t acar_num_float_repr(double d, char *buf);

/* Shortest round-trip digits of a finite, non-zero d (its sign is ignored):
 * writes the decimal digits (no leading or trailing zeros, at most 17) to
 * digits and returns their count n; *exp10 receives the exponent of the
 * first digit, d ~= D[0].D[1..n-1] * 10^(*exp10).  Among equally short
 * strings the one closest to d, as repr.  Used by writers that format floats
 * their own way (JSON's repr is the same as Python's). */
int acar_num_float_digits(double d, char digits[17], int *exp10);

/* Parse flags for acar_num_parse_double. */
enum {
    ACAR_NUM_ALLOW_SPECIAL = 1u << 0, /* "inf", "infinity", "nan" (any case, optional sign) */
    ACAR_NUM_ALLOW_LEADING_DOT = 1u << 1, /* ".5" and "5." (Python's float()); JSON forbids them */
};

/* Parses s[0..len) entirely as a decimal floating-point literal
 *   [+-] digits [. digits] [(e|E) [+-] digits]
 * and rounds it correctly (round-half-even, exactly as strtod in the "C"
 * locale), whatever the length of the digit string.  Overflow gives +-inf,
 * underflow +-0.0 or a subnormal, as strtod does.  Returns 0 on success, -1 if
 * the text is not entirely such a literal (no whitespace, no underscores;
 * leading zeros are accepted).  "-nan" keeps its sign bit. */
int acar_num_parse_double(const char *s, size_t len, unsigned flags, double *out);

/* 10^0 .. 10^22, each exactly a double. */
extern const double acar_num_pow10_exact[23];

/* acar_num_decimal_to_double without its first tier: the same result for
 * any w and e10, from the 128-bit approximation (and -1 where only the
 * exact comparison can decide). */
int acar_num_decimal_approx(uint64_t w, int e10, int neg, double *out);

/* w 10^e10 correctly rounded, negated when neg, for callers that have
 * already read the digits (w < 10^19 holding every significant digit, so
 * the value is exact; e10 any exponent).  Returns 0 with *out set when the
 * fast tiers decide it (nearly always), or -1 when only the exact
 * comparison can: the caller then passes the text to acar_num_parse_double.
 * The first tier is inline, for readers that call this per number (the
 * call was a tenth of reading numbers.json): when w is at most 2^53 and
 * |e10| at most 22, both w and 10^|e10| are doubles, so one IEEE
 * multiplication or division rounds w 10^e10 correctly (where the compiler
 * evaluates doubles in double precision: FLT_EVAL_METHOD). */
static inline int acar_num_decimal_to_double(uint64_t w, int e10, int neg, double *out)
{
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
    if (w <= (((uint64_t)1) << 53) && e10 >= -22 && e10 <= 22) {
        double r = (double)w;
        r = e10 < 0 ? r / acar_num_pow10_exact[-e10] : r * acar_num_pow10_exact[e10];
        *out = neg ? -r : r;
        return 0;
    }
#endif
    return acar_num_decimal_approx(w, e10, neg, out);
}

/* Allocation callback used by the big-int functions: returns NULL on failure. */
typedef void *(*acar_num_alloc)(void *ctx, size_t size);

/* Number of decimal digits, at most, of a magnitude of n limbs (an upper
 * bound suitable for sizing a buffer, about 9.7 n; excludes sign). */
size_t acar_num_big_dec_bound(size_t n);

/* Writes the decimal digits of the magnitude (no sign; "0" for n == 0) into
 * out, which holds acar_num_big_dec_bound(n) bytes, and returns the length.
 * scratch is n limbs of working space (the magnitude itself is not changed).
 * Quadratic in n; callers limit the digit count. */
size_t acar_num_big_to_dec(const uint32_t *mag, size_t n, uint32_t *scratch, char *out);

/* Number of limbs needed for a decimal string of ndigits digits (upper bound). */
size_t acar_num_big_limbs_for_digits(size_t ndigits);

/* Parses ndigits ASCII digits (all '0'..'9', caller checked) into mag, which
 * has room for acar_num_big_limbs_for_digits(ndigits) limbs; returns the
 * number of limbs used (high zero limbs stripped). Quadratic. */
size_t acar_num_big_from_dec(const char *digits, size_t ndigits, uint32_t *mag);

/* Little-endian two's complement bytes (pickle LONG1/LONG4; zero is 0 bytes)
 * -> sign and magnitude.  mag has room for (nbytes + 3) / 4 limbs.  Returns
 * the number of limbs used; *neg is set to 1 for negative values. */
size_t acar_num_big_from_le_twos(const uint8_t *bytes, size_t nbytes, uint32_t *mag, int *neg);

/* Bytes acar_num_big_to_le_twos writes for this value: the shortest two's
 * complement encoding, exactly as CPython's pickle encode_long (0 -> 0 bytes,
 * 255 -> ff 00, -1 -> ff, -256 -> 00 ff). */
size_t acar_num_big_le_twos_size(const uint32_t *mag, size_t n, int neg);
void acar_num_big_to_le_twos(const uint32_t *mag, size_t n, int neg, uint8_t *out);

/* Decimal digits of a signed 64-bit value written to buf (room for 20 bytes
 * plus sign); returns the length. */
size_t acar_num_i64_to_dec(int64_t v, char *buf);

/* Leading zero bits of x != 0. */
static inline int acar_num_clz64(uint64_t x)
{
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_clzll(x);
#else
    int n = 0;
    while (!(x >> 63)) {
        x <<= 1;
        n++;
    }
    return n;
#endif
}

/* 10^0 .. 10^19 (defined in float_repr.c). */
extern const uint64_t acar_num_pow10_u64[20];

/* Number of decimal digits of v > 0: 1233 / 4096 approximates log10(2)
 * from below, which leaves one comparison to settle the count (a loop of
 * compares is mispredicted on numbers of varying length). */
static inline int acar_num_dec_len(uint64_t v)
{
    int t = ((64 - acar_num_clz64(v)) * 1233) >> 12;
    return t + (v >= acar_num_pow10_u64[t]);
}

/* Powers of ten shared by the float printer and parser (defined in
 * float_repr.c): entry e - ACAR_NUM_POW10_E_MIN, for e from -343 to 324, is
 * the 128-bit g with (g - 1) 2^(f-125) <= 10^e < g 2^(f-125),
 * f = floor(log2 10^e). */
#define ACAR_NUM_POW10_E_MIN (-343)
extern const uint64_t acar_num_pow10_g[668][2];

#endif
