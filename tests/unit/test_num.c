/* test_num.c -- the numeric-text layer against CPython's values (num_cases.h,
 * made by tests/gen/gen_num_cases.py) and against the C library (printf and
 * strtod, correctly rounded in glibc and the "C" locale) on millions of
 * doubles and decimal strings.
 *
 * ACAR_NUM_TEST_SCALE=<factor> scales the random counts (default 1; builds
 * with sanitizers default to 0.5 so the run stays well under 20 seconds). */
#include "check.h"
#include "num/num.h"
#include "num_cases.h"

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void) /* splitmix64: fast, and enough for test data */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static unsigned rnd_below(unsigned n) { return (unsigned)(rnd() % n); }

static uint64_t bits_of(double d)
{
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

static double double_of(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

static double scale = 1.0;

static unsigned long scaled(unsigned long n)
{
    double v = (double)n * scale;
    return v < 1 ? 1 : (unsigned long)v;
}

/* acar's parse with all syntax allowed, for round trips. */
static uint64_t parse_bits(const char *s, size_t len, int *ok)
{
    double d = 0;
    *ok = acar_num_parse_double(s, len, ACAR_NUM_ALLOW_SPECIAL | ACAR_NUM_ALLOW_LEADING_DOT, &d) == 0;
    return bits_of(d);
}

/* The libc reference: strtod on a terminated copy. */
static uint64_t strtod_bits(const char *s)
{
    return bits_of(strtod(s, NULL));
}

/* repr built from the digits by the rules alone, independently of
 * acar_num_float_repr's code. */
static void repr_ref(char *out, int neg, const char *dig, int n, int x)
{
    char *p = out;
    if (neg)
        *p++ = '-';
    if (x < -4 || x >= 16) {
        *p++ = dig[0];
        if (n > 1) {
            *p++ = '.';
            memcpy(p, dig + 1, (size_t)n - 1);
            p += n - 1;
        }
        sprintf(p, "e%+03d", x);
        return;
    }
    if (x < 0) {
        p += sprintf(p, "0.");
        for (int i = 0; i < -x - 1; i++)
            *p++ = '0';
        memcpy(p, dig, (size_t)n);
        p[n] = 0;
        return;
    }
    for (int i = 0; i <= x; i++)
        *p++ = i < n ? dig[i] : '0';
    *p++ = '.';
    if (n > x + 1) {
        memcpy(p, dig + x + 1, (size_t)(n - x - 1));
        p += n - x - 1;
    } else {
        *p++ = '0';
    }
    *p = 0;
}

/* Digits and exponent from printf("%.*e"), into dig (no point). */
static int printf_digits(double d, int ndig, char *dig, int *x)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.*e", ndig - 1, d);
    int n = 0;
    const char *p = buf;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            dig[n++] = *p;
    *x = atoi(p + 1);
    return n;
}

static int printf_roundtrips(double d, int ndig)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.*e", ndig - 1, d);
    return strtod_bits(buf) == bits_of(d);
}

/* The fewest printf digits that read back as d. */
static int printf_shortest(double d)
{
    for (int p = 1; p <= 17; p++)
        if (printf_roundtrips(d, p))
            return p;
    return 99;
}

/* printf's closest ndig-digit decimal to d as an integer D and the exponent
 * of its last digit. */
static uint64_t printf_int(double d, int ndig, int *elast)
{
    char dig[32];
    int x;
    const int n = printf_digits(d, ndig, dig, &x);
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (uint64_t)(dig[i] - '0');
    *elast = x - (n - 1);
    return v;
}

static int int_roundtrips(uint64_t v, int elast, double d)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%" PRIu64 "e%d", v, elast);
    return v && strtod_bits(buf) == bits_of(d);
}

/* At a power of two the gap below d is half the gap above, so the closest
 * n digits may miss the interval while a farther n-digit decimal above d
 * hits it, and printf's "fewest digits that round-trip" can overcount
 * (2^-25 = 5.960464477539063e-08 has 16 digits; printf needs 17).  Shortest
 * then means: neither neighbour with n - 1 digits reads back, and acar's
 * digits are the closest n-digit decimal that does. */
static int pow2_shortest_ok(double d, const char *dig, int n, int x)
{
    int el;
    uint64_t v;
    if (n > 1) {
        v = printf_int(d, n - 1, &el);
        if (int_roundtrips(v - 1, el, d) || int_roundtrips(v, el, d) || int_roundtrips(v + 1, el, d))
            return 0;
    }
    v = printf_int(d, n, &el);
    if (!int_roundtrips(v, el, d))
        v = int_roundtrips(v + 1, el, d) ? v + 1 : v - 1;
    uint64_t f = 0;
    for (int i = 0; i < n; i++)
        f = f * 10 + (uint64_t)(dig[i] - '0');
    int fe = x - (n - 1);
    while (v && v % 10 == 0) {
        v /= 10;
        el++;
    }
    return int_roundtrips(v, el, d) && v == f && el == fe;
}

/* ---- float repr ------------------------------------------------------------ */

static unsigned long repr_checked;

/* Checks everything about one finite double: round trip, shortest length,
 * closest digits, and the repr layout.  full_oracle runs the printf loop
 * 1..17 instead of the equivalent two-step check. */
static void check_double(double d, int full_oracle)
{
    char buf[ACAR_NUM_FLOAT_REPR_MAX + 1], ref[64], dig[17], pdig[32];
    const uint64_t b = bits_of(d);
    size_t len = acar_num_float_repr(d, buf);
    buf[len] = 0;
    int ok;
    CHECK_MSG(parse_bits(buf, len, &ok) == b && ok, "round trip of %016" PRIx64 " via %s", b, buf);
    repr_checked++;
    if ((b << 1) == 0)
        return;
    int x, px;
    const int n = acar_num_float_digits(fabs(d), dig, &x);
    repr_ref(ref, (int)(b >> 63), dig, n, x);
    CHECK_MSG(strcmp(buf, ref) == 0, "%016" PRIx64 ": repr %s, rules say %s", b, buf, ref);
    CHECK_MSG(n >= 1 && n <= 17 && dig[0] != '0' && dig[n - 1] != '0', "%016" PRIx64 ": %d digits", b, n);
    if ((b & 0x000fffffffffffffu) == 0) { /* power of two: asymmetric interval */
        CHECK_MSG(pow2_shortest_ok(fabs(d), dig, n, x), "%016" PRIx64 " (%s): not shortest", b, buf);
        return;
    }
    if (full_oracle) {
        CHECK_MSG(printf_shortest(d) == n, "%016" PRIx64 " (%s): printf shortest %d, acar %d", b, buf,
                  printf_shortest(d), n);
    } else {
        CHECK_MSG(n == 1 || !printf_roundtrips(d, n - 1), "%016" PRIx64 " (%s): %d digits also round-trip",
                  b, buf, n - 1);
    }
    const int pn = printf_digits(fabs(d), n, pdig, &px);
    CHECK_MSG(pn == n && memcmp(pdig, dig, (size_t)n) == 0 && px == x,
              "%016" PRIx64 " (%s): not the closest %d digits (printf %.*s e%d)", b, buf, n, pn, pdig, px);
}

static void test_repr_cases(void)
{
    char buf[ACAR_NUM_FLOAT_REPR_MAX + 1];
    for (size_t i = 0; i < ARRAY_LEN(num_repr_cases); i++) {
        const double d = double_of(num_repr_cases[i].bits);
        const char *want = num_repr_cases[i].repr;
        size_t len = acar_num_float_repr(d, buf);
        buf[len] = 0;
        CHECK_MSG(strcmp(buf, want) == 0, "%016" PRIx64 ": got %s, CPython %s", num_repr_cases[i].bits, buf,
                  want);
        int ok;
        const uint64_t back = parse_bits(want, strlen(want), &ok);
        CHECK_MSG(ok && (isnan(d) ? isnan(double_of(back)) : back == num_repr_cases[i].bits),
                  "parse %s", want);
        if (isfinite(d))
            check_double(d, 1);
    }
}

static void test_repr_fixed(void)
{
    static const struct {
        double d;
        const char *s;
    } t[] = {
        {1e16, "1e+16"}, {1e-5, "1e-05"}, {1.5e-5, "1.5e-05"}, {1e-4, "0.0001"}, {123.0, "123.0"},
        {0.0, "0.0"}, {-0.0, "-0.0"}, {5e-324, "5e-324"}, {1.7976931348623157e308, "1.7976931348623157e+308"},
        {9999999999999998.0, "9999999999999998.0"}, {0.1, "0.1"}, {-2.5, "-2.5"}, {1e100, "1e+100"},
        {2.2250738585072014e-308, "2.2250738585072014e-308"}, {123456789.125, "123456789.125"},
        {0.30000000000000004, "0.30000000000000004"}, {1e23, "1e+23"}, {-1e-300, "-1e-300"},
    };
    char buf[ACAR_NUM_FLOAT_REPR_MAX + 1];
    for (size_t i = 0; i < ARRAY_LEN(t); i++) {
        size_t len = acar_num_float_repr(t[i].d, buf);
        buf[len] = 0;
        CHECK_MSG(strcmp(buf, t[i].s) == 0, "repr: got %s want %s", buf, t[i].s);
    }
    size_t len = acar_num_float_repr(double_of(0x7ff8000000000000u), buf);
    CHECK(len == 3 && memcmp(buf, "nan", 3) == 0);
    len = acar_num_float_repr(double_of(0xfff8000000000001u), buf);
    CHECK(len == 3 && memcmp(buf, "nan", 3) == 0);
    len = acar_num_float_repr(double_of(0x7ff0000000000000u), buf);
    CHECK(len == 3 && memcmp(buf, "inf", 3) == 0);
    len = acar_num_float_repr(double_of(0xfff0000000000000u), buf);
    CHECK(len == 4 && memcmp(buf, "-inf", 4) == 0);
    /* The longest outputs fit. */
    len = acar_num_float_repr(-2.2250738585072014e-308, buf);
    CHECK(len == 24 && len <= ACAR_NUM_FLOAT_REPR_MAX);
    len = acar_num_float_repr(-0.00012345678901234567, buf);
    CHECK(len <= ACAR_NUM_FLOAT_REPR_MAX);
}

static void test_repr_random(void)
{
    /* Every power of two and its neighbours. */
    for (uint64_t e = 0; e < 2047; e++)
        for (int k = -1; k <= 1; k++) {
            const uint64_t b = (e << 52) + (uint64_t)(int64_t)k;
            if (b && b < 0x7ff0000000000000u)
                check_double(double_of(b), 1);
        }
    /* The format switches (1e16, 1e-4) and their neighbourhoods. */
    static const double sw[] = {1e16, 1e-4, 1e-5, 1e15, 9999999999999998.0, 1e17};
    for (size_t i = 0; i < ARRAY_LEN(sw); i++)
        for (int k = -200; k <= 200; k++)
            check_double(double_of(bits_of(sw[i]) + (uint64_t)(int64_t)k), 1);
    /* The smallest subnormals and the largest doubles. */
    for (uint64_t c = 1; c <= 3000; c++) {
        check_double(double_of(c), 1);
        check_double(double_of(0x7ff0000000000000u - c), 0);
    }
    const unsigned long n = scaled(1000000);
    for (unsigned long i = 0; i < n; i++) {
        uint64_t b;
        switch (i % 8) {
        case 0: case 1: case 2: case 3: /* any bit pattern */
            b = rnd() & 0x7fffffffffffffffu;
            if (b >= 0x7ff0000000000000u)
                continue;
            break;
        case 4: { /* a short decimal, as people write them */
            char s[40];
            uint64_t m = rnd() % 1000000000000u;
            m >>= rnd_below(40);
            const int e = (int)rnd_below(640) - 330;
            snprintf(s, sizeof s, "%" PRIu64 "e%d", m, e);
            b = strtod_bits(s);
            if (b == 0 || b >= 0x7ff0000000000000u)
                continue;
            break;
        }
        case 5: /* subnormal */
            b = rnd();
            b >>= 12 + rnd_below(52);
            if (b == 0)
                continue;
            break;
        case 6: /* an integer */
            b = rnd();
            b = bits_of((double)(b >> rnd_below(64)));
            if (b == 0)
                continue;
            break;
        default: { /* between 1e-7 and 1e18, where both layouts meet */
            const double m = 1.0 + (double)(rnd() >> 12) / 4503599627370496.0;
            b = bits_of(ldexp(m, (int)rnd_below(84) - 24));
            break;
        }
        }
        const double d = double_of(b | (rnd() & 0x8000000000000000u));
        check_double(d, (i & 63) == 0);
    }
}

/* ---- parse ------------------------------------------------------------------- */

static void test_parse_syntax(void)
{
    enum { S = ACAR_NUM_ALLOW_SPECIAL, D = ACAR_NUM_ALLOW_LEADING_DOT };
    static const struct {
        const char *s;
        unsigned flags;
        int ok;
        double v;
    } t[] = {
        {"0", 0, 1, 0.0}, {"-0", 0, 1, -0.0}, {"+1", 0, 1, 1.0}, {"1.5", 0, 1, 1.5}, {"-1.5e3", 0, 1, -1500.0},
        {"1E-3", 0, 1, 0.001}, {"1e+3", 0, 1, 1000.0}, {"007", 0, 1, 7.0}, {"0.000", 0, 1, 0.0},
        {"1e400", 0, 1, INFINITY}, {"-1e400", 0, 1, -INFINITY}, {"1e-400", 0, 1, 0.0}, {"-1e-400", 0, 1, -0.0},
        {"1e99999999999999999999999999", 0, 1, INFINITY}, {"1e-99999999999999999999999999", 0, 1, 0.0},
        {"0e99999999999999999999", 0, 1, 0.0}, {"123456789012345678901234567890", 0, 1, 1.2345678901234568e29},
        {"", 0, 0, 0}, {"-", 0, 0, 0}, {"+", 0, 0, 0}, {".", 0, 0, 0}, {".", D, 0, 0}, {"e5", 0, 0, 0},
        {"1e", 0, 0, 0}, {"1e+", 0, 0, 0}, {"1e-", 0, 0, 0}, {"1.5.3", 0, 0, 0}, {"1 ", 0, 0, 0}, {" 1", 0, 0, 0},
        {"0x10", 0, 0, 0}, {"1,5", 0, 0, 0}, {"1_0", 0, 0, 0}, {"--1", 0, 0, 0}, {"1e5.0", 0, 0, 0},
        {".5", 0, 0, 0}, {"5.", 0, 0, 0}, {".5", D, 1, 0.5}, {"5.", D, 1, 5.0}, {"-.5e1", D, 1, -5.0},
        {".e1", D, 0, 0}, {"inf", 0, 0, 0}, {"nan", 0, 0, 0}, {"inf", S, 1, INFINITY},
        {"-Infinity", S, 1, -INFINITY}, {"+INF", S, 1, INFINITY}, {"infinit", S, 0, 0},
        {"infinityy", S, 0, 0}, {"in", S, 0, 0}, {"-", S, 0, 0}, {"nana", S, 0, 0}, {"1inf", S, 0, 0},
    };
    for (size_t i = 0; i < ARRAY_LEN(t); i++) {
        double d = 12345.0;
        const int rc = acar_num_parse_double(t[i].s, strlen(t[i].s), t[i].flags, &d);
        CHECK_MSG((rc == 0) == t[i].ok, "parse \"%s\": rc %d", t[i].s, rc);
        if (t[i].ok && rc == 0)
            CHECK_MSG(bits_of(d) == bits_of(t[i].v), "parse \"%s\": %.17g", t[i].s, d);
    }
    double d;
    CHECK(acar_num_parse_double("NaN", 3, S, &d) == 0 && isnan(d) && !signbit(d));
    CHECK(acar_num_parse_double("-nan", 4, S, &d) == 0 && isnan(d) && signbit(d));
    /* The length is honoured: no terminator is needed or read. */
    CHECK(acar_num_parse_double("1.25xyz", 4, 0, &d) == 0 && d == 1.25);
    CHECK(acar_num_parse_double("1e5", 2, 0, &d) == -1);
}

/* acar against strtod; acar reads an unterminated heap copy, so that a
 * sanitizer build catches any read past the length. */
static void check_parse(const char *s)
{
    int ok;
    const size_t len = strlen(s);
    char *copy = malloc(len ? len : 1);
    memcpy(copy, s, len);
    const uint64_t got = parse_bits(copy, len, &ok), want = strtod_bits(s);
    free(copy);
    CHECK_MSG(ok && got == want, "parse %s: %016" PRIx64 ", strtod %016" PRIx64, s, got, want);
}

/* Random digit strings: 1-40 digits, a point anywhere or nowhere, and
 * exponents that cover the whole range and beyond. */
static void test_parse_random(void)
{
    char s[128];
    const unsigned long n = scaled(1500000);
    for (unsigned long i = 0; i < n; i++) {
        char *p = s;
        if (rnd() & 1)
            *p++ = '-';
        const unsigned nd = 1 + rnd_below(i % 4 == 0 ? 40 : 20);
        const unsigned point = rnd_below(nd + 2); /* nd + 1: no point */
        const unsigned kind = rnd_below(8);
        for (unsigned k = 0; k < nd; k++) {
            if (k == point && k > 0)
                *p++ = '.';
            unsigned c = rnd_below(10);
            if (kind == 0) /* runs of 9s and 0s, near carries and halfway points */
                c = rnd_below(3) ? 9 : 0;
            else if (kind == 1 && k > 0)
                c = rnd_below(4) ? 0 : c;
            *p++ = (char)('0' + c);
        }
        int exp;
        if (rnd_below(16) == 0) {
            exp = (int)rnd_below(800) - 400;
        } else {
            /* aim the value at [1e-330, 1e310] */
            const int lead = point <= nd ? (int)point : (int)nd;
            exp = (int)rnd_below(640) - 330 - lead + 1;
        }
        if (rnd() & 1)
            p += sprintf(p, "%c%d", (rnd() & 1) ? 'e' : 'E', exp);
        *p = 0;
        check_parse(s);
    }
}

/* 1-17 digit decimals and their printf neighbourhood: the JSON reader's
 * daily bread, which mostly takes the fast tiers. */
static void test_parse_nice(void)
{
    char s[64];
    const unsigned long n = scaled(500000);
    for (unsigned long i = 0; i < n; i++) {
        const double d = double_of(rnd() & 0x7fefffffffffffffu);
        snprintf(s, sizeof s, "%.*g", 1 + (int)rnd_below(17), d);
        check_parse(s);
        uint64_t ip = rnd();
        ip >>= rnd_below(64);
        const int width = (int)rnd_below(8);
        snprintf(s, sizeof s, "%" PRIu64 ".%0*u", ip, width, rnd_below(1000000));
        check_parse(s);
    }
}

/* Multiplies a magnitude by a small number in place; returns the new size. */
static size_t mag_mul(uint32_t *a, size_t n, uint32_t m)
{
    uint64_t carry = 0;
    for (size_t i = 0; i < n; i++) {
        const uint64_t t = (uint64_t)a[i] * m + carry;
        a[i] = (uint32_t)t;
        carry = t >> 32;
    }
    if (carry)
        a[n++] = (uint32_t)carry;
    return n;
}

/* The exact decimal digits D and exponent e (value D 10^e) of h 2^k. */
static size_t exact_decimal(uint64_t h, int k, char *out, int *e)
{
    uint32_t mag[200], scratch[200];
    size_t n = 0;
    for (uint64_t v = h; v; v >>= 32)
        mag[n++] = (uint32_t)v;
    if (k >= 0) {
        for (int i = 0; i < k; i++)
            n = mag_mul(mag, n, 2);
        *e = 0;
    } else {
        for (int i = 0; i < -k; i++)
            n = mag_mul(mag, n, 5);
        *e = k;
    }
    return acar_num_big_to_dec(mag, n, scratch, out);
}

/* Strings that sit exactly on, or within 10^-1000 of, the midpoint of two
 * neighbouring doubles: only an exact comparison gets these right. */
static void test_parse_halfway(void)
{
    static char dig[4096], s[8192];
    const unsigned long n = scaled(6000);
    static const uint64_t edges[] = {0, 1, 2, 3, 0x000fffffffffffffu, 0x0010000000000000u,
                                     0x0010000000000001u, 0x7fefffffffffffffu, 0x7feffffffffffffeu,
                                     0x3ff0000000000000u, 0x433fffffffffffffu, 0x4340000000000000u};
    for (unsigned long i = 0; i < n + ARRAY_LEN(edges); i++) {
        uint64_t b;
        switch (i < ARRAY_LEN(edges) ? 4 : i % 4) {
        case 4: b = edges[i]; break;
        case 0: b = rnd() % 0x7ff0000000000000u; break;
        case 1: b = rnd(); b >>= 12 + rnd_below(52); break; /* subnormal */
        case 2: b = 0x7fefffffffffffffu - rnd_below(4); break;
        default: b = (uint64_t)rnd_below(2046) << 52; b |= rnd() >> 52; break;
        }
        /* The double b as m 2^q and its upper midpoint (2m + 1) 2^(q-1). */
        const unsigned field = (unsigned)(b >> 52);
        const uint64_t m = field ? (b & 0x000fffffffffffffu) | ((uint64_t)1 << 52) : b;
        const int q = field ? (int)field - 1075 : -1074;
        int e;
        const size_t nd = exact_decimal(2 * m + 1, q - 1, dig, &e);
        const int pad = 1000 + (int)rnd_below(500);
        /* exactly halfway */
        snprintf(s, sizeof s, "%.*se%d", (int)nd, dig, e);
        check_parse(s);
        /* a hair above: ...5000...0001 */
        char *p = s + sprintf(s, "%.*s", (int)nd, dig);
        memset(p, '0', (size_t)pad);
        p += pad;
        p += sprintf(p, "1e%d", e - pad - 1);
        check_parse(s);
        /* a hair below: D - 1 followed by nines (D ends in 5 when e < 0) */
        p = s + sprintf(s, "%.*s", (int)nd, dig);
        for (char *t = p - 1; t >= s; t--) {
            if (*t != '0') {
                (*t)--;
                break;
            }
            *t = '9';
        }
        memset(p, '9', (size_t)pad);
        p += pad;
        sprintf(p, "e%d", e - pad);
        check_parse(s + (s[0] == '0' && nd > 1));
        /* the halfway digits written with a point, leading zeros and trailing zeros */
        if (e < 0 && (size_t)-e >= nd) {
            p = s + sprintf(s, "0.");
            memset(p, '0', (size_t)(-e) - nd);
            p += (size_t)(-e) - nd;
            p += sprintf(p, "%.*s", (int)nd, dig);
            memset(p, '0', 300);
            p[300] = 0;
            check_parse(s);
        }
    }
    /* Thousands of zeros before or after the digits that matter. */
    memset(s, '0', 5001);
    s[0] = '1';
    sprintf(s + 5001, "e-5000");
    check_parse(s); /* 1.0 */
    memset(s, '9', 5000);
    sprintf(s + 5000, "e-5000");
    check_parse(s); /* rounds to 1.0 */
    memcpy(s, "0.", 2);
    memset(s + 2, '0', 4999);
    sprintf(s + 5001, "1e5000");
    check_parse(s); /* 1.0 */
    sprintf(s + 5001, "0e99999");
    check_parse(s); /* 0.0 */
    sprintf(s + 5001, "17976931348623158e5308");
    check_parse(s); /* halfway past the largest double: inf */
    sprintf(s + 5001, "17976931348623157e5308");
    check_parse(s);
    sprintf(s + 5001, "24703282292062328e-4340");
    check_parse(s); /* a little above half the smallest subnormal */
    /* Long random strings: thousands of digits, of any value. */
    const unsigned long n2 = scaled(3000);
    for (unsigned long i = 0; i < n2; i++) {
        const unsigned nd = 20 + rnd_below(3000);
        char *p = s;
        *p++ = (char)('1' + rnd_below(9));
        for (unsigned k = 1; k < nd; k++)
            *p++ = (char)('0' + (rnd_below(4) ? rnd_below(10) : (i & 1) * 9));
        sprintf(p, "e%d", (int)rnd_below(700) - 340 - (int)nd);
        check_parse(s);
    }
}

/* ---- big ints ---------------------------------------------------------------- */

static int hexval(char c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

static void test_big_cases(void)
{
    static uint32_t mag[2000], mag2[2000], scratch[2000];
    static char dec[20000];
    static uint8_t want[8000], got[8000];
    for (size_t i = 0; i < ARRAY_LEN(num_int_cases); i++) {
        const char *s = num_int_cases[i].dec;
        const int neg = s[0] == '-';
        const char *digits = s + neg;
        const size_t nd = strlen(digits);
        const size_t limbs = acar_num_big_limbs_for_digits(nd);
        CHECK(limbs <= ARRAY_LEN(mag));
        const size_t n = acar_num_big_from_dec(digits, nd, mag);
        CHECK_MSG(n <= limbs && (n == 0 || mag[n - 1] != 0), "from_dec %s: %zu limbs", s, n);
        CHECK(acar_num_big_dec_bound(n) <= sizeof dec);
        const size_t len = acar_num_big_to_dec(mag, n, scratch, dec);
        CHECK_MSG(len == nd && len <= acar_num_big_dec_bound(n) && memcmp(dec, digits, nd) == 0,
                  "to_dec of %.40s", s);
        const char *hex = num_int_cases[i].twos_hex;
        const size_t nb = strlen(hex) / 2;
        for (size_t k = 0; k < nb; k++)
            want[k] = (uint8_t)(hexval(hex[2 * k]) * 16 + hexval(hex[2 * k + 1]));
        const size_t size = acar_num_big_le_twos_size(mag, n, neg);
        CHECK_MSG(size == nb, "le_twos_size of %.40s: %zu, pickle %zu", s, size, nb);
        if (size == nb) {
            memset(got, 0xaa, nb + 1);
            acar_num_big_to_le_twos(mag, n, neg, got);
            CHECK_MSG(memcmp(got, want, nb) == 0 && got[nb] == 0xaa, "to_le_twos of %.40s", s);
        }
        int neg2 = -1;
        const size_t n2 = acar_num_big_from_le_twos(want, nb, mag2, &neg2);
        CHECK_MSG(n2 == n && memcmp(mag2, mag, n * sizeof *mag) == 0 && neg2 == (neg && n > 0),
                  "from_le_twos of %.40s", s);
    }
}

static void test_big_random(void)
{
    static uint32_t mag[700], mag2[700], scratch[700];
    static char dec[8000];
    static uint8_t bytes[3000], out[3000];
    /* The decimal bound is tight enough to be exact for all-ones magnitudes. */
    for (size_t n = 1; n <= 300; n++) {
        for (size_t k = 0; k < n; k++)
            mag[k] = 0xffffffffu;
        const size_t len = acar_num_big_to_dec(mag, n, scratch, dec);
        CHECK_MSG(len <= acar_num_big_dec_bound(n), "dec bound for %zu limbs", n);
    }
    const unsigned long rounds = scaled(3000);
    for (unsigned long i = 0; i < rounds; i++) {
        /* limbs -> decimal -> limbs */
        size_t n = 1 + rnd_below(i % 16 == 0 ? 600 : 20);
        for (size_t k = 0; k < n; k++) {
            const uint64_t r = rnd();
            mag[k] = (uint32_t)(r >> rnd_below(2) * 40);
        }
        while (n && mag[n - 1] == 0)
            n--;
        const size_t len = acar_num_big_to_dec(mag, n, scratch, dec);
        CHECK(len >= 1 && len <= acar_num_big_dec_bound(n) && (len == 1 || dec[0] != '0'));
        CHECK(acar_num_big_limbs_for_digits(len) >= n);
        const size_t n2 = acar_num_big_from_dec(dec, len, mag2);
        CHECK_MSG(n2 == n && memcmp(mag, mag2, n * sizeof *mag) == 0, "dec round trip, %zu limbs", n);
        /* leading zeros in the text change nothing */
        char z[64];
        memset(z, '0', 40);
        memcpy(z + 40, "123", 3);
        CHECK(acar_num_big_from_dec(z, 43, mag2) == 1 && mag2[0] == 123);
        CHECK(acar_num_big_from_dec(z, 40, mag2) == 0);
        /* bytes -> (sign, magnitude) -> minimal bytes: a prefix of the input */
        const size_t nb = rnd_below(i % 16 == 0 ? 2000 : 24);
        for (size_t k = 0; k < nb; k++)
            bytes[k] = (uint8_t)rnd();
        if (nb && rnd_below(4) == 0) /* make redundant sign bytes likely */
            for (size_t k = nb - 1 - rnd_below((unsigned)nb); k < nb; k++)
                bytes[k] = bytes[nb - 1] & 0x80 ? 0xff : 0;
        int neg;
        const size_t nm = acar_num_big_from_le_twos(bytes, nb, mag, &neg);
        CHECK(nm <= (nb + 3) / 4 && (nm == 0 || mag[nm - 1] != 0));
        const size_t size = acar_num_big_le_twos_size(mag, nm, neg);
        acar_num_big_to_le_twos(mag, nm, neg, out);
        CHECK(size <= nb && memcmp(out, bytes, size) == 0);
        int redundant = 1; /* the dropped bytes were sign extension */
        for (size_t k = size; k < nb; k++)
            redundant &= bytes[k] == (neg ? 0xff : 0);
        CHECK(redundant);
        /* minimal: dropping one more byte would change the value */
        CHECK(size == 0 || (size == 1 ? out[0] != 0 :
              !((out[size - 1] == 0 && !(out[size - 2] & 0x80)) ||
                (out[size - 1] == 0xff && (out[size - 2] & 0x80)))));
    }
}

static void check_i64(int64_t v)
{
    char buf[24], ref[32];
    const size_t len = acar_num_i64_to_dec(v, buf);
    snprintf(ref, sizeof ref, "%" PRId64, v);
    CHECK_MSG(len == strlen(ref) && memcmp(buf, ref, len) == 0, "i64 %s", ref);
    /* and the same value through the big-int encoder */
    uint32_t mag[2];
    const uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    size_t n = 0;
    if (u)
        mag[n++] = (uint32_t)u;
    if (u >> 32)
        mag[n++] = (uint32_t)(u >> 32);
    const size_t size = acar_num_big_le_twos_size(mag, n, v < 0);
    size_t want = v != 0; /* minimal two's complement length of v */
    while (want && want < 8 && !(v >= -((int64_t)1 << (8 * want - 1)) && v < ((int64_t)1 << (8 * want - 1))))
        want++;
    CHECK_MSG(size == want, "twos size of %s: %zu want %zu", ref, size, want);
    uint8_t out[9];
    acar_num_big_to_le_twos(mag, n, v < 0, out);
    int same = 1;
    for (size_t k = 0; k < size; k++)
        same &= out[k] == (uint8_t)((uint64_t)v >> (8 * k));
    CHECK_MSG(same, "twos bytes of %s", ref);
}

static void test_i64(void)
{
    static const int64_t t[] = {0, 1, -1, 9, 10, -10, 99, 100, 127, 128, -128, -129, 255, 256,
                                999999999, 1000000000, -1000000000, 4294967295, 4294967296,
                                999999999999999999, 1000000000000000000, INT64_MAX, INT64_MIN,
                                INT64_MIN + 1, INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < ARRAY_LEN(t); i++)
        check_i64(t[i]);
    for (int k = 0; k < 63; k++) {
        check_i64((int64_t)1 << k);
        check_i64(-((int64_t)1 << k));
        check_i64(((int64_t)1 << k) - 1);
    }
    const unsigned long n = scaled(200000);
    for (unsigned long i = 0; i < n; i++) {
        uint64_t r = rnd();
        r >>= rnd_below(64);
        const int64_t v = (int64_t)(r >> 1);
        check_i64((i & 1) ? -v - 1 : v);
    }
}

/* ---- main ------------------------------------------------------------------ */

/* acar_num_decimal_to_double (readers that scanned the digits already)
 * against strtod on the same decimal: every answer it gives must be the
 * correctly rounded one; it may decline (-1) only rarely. */
static void check_decimal(uint64_t w, int e10, int neg, unsigned long *declined)
{
    char s[64];
    snprintf(s, sizeof s, "%s%" PRIu64 "e%d", neg ? "-" : "", w, e10);
    double d = 0;
    if (acar_num_decimal_to_double(w, e10, neg, &d) < 0) {
        (*declined)++;
        return;
    }
    const uint64_t want = strtod_bits(s);
    CHECK_MSG(bits_of(d) == want, "decimal %s: %016" PRIx64 ", strtod %016" PRIx64, s, bits_of(d), want);
}

static void test_decimal_random(void)
{
    static const uint64_t p10[20] = {1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u,
                                     100000000u, 1000000000u, 10000000000u, 100000000000u,
                                     1000000000000u, 10000000000000u, 100000000000000u,
                                     1000000000000000u, 10000000000000000u, 100000000000000000u,
                                     1000000000000000000u, 10000000000000000000u};
    unsigned long declined = 0, total = 0;
    const unsigned long n = scaled(1000000);
    char s[64], dig[32];
    for (unsigned long i = 0; i < n; i++) {
        /* random significands of 1-19 digits at any exponent */
        const unsigned nd = 1 + rnd_below(19);
        uint64_t w = rnd() % p10[nd];
        int e10 = rnd_below(8) == 0 ? (int)rnd_below(820) - 410 : (int)rnd_below(660) - 345 - (int)nd;
        check_decimal(w, e10, (int)(rnd() & 1), &declined);
        /* the digits of a random double printed to 1-19 places (what JSON
         * files hold: canada.json's 17-digit coordinates) */
        const double d = double_of(rnd() & 0x7fefffffffffffffu);
        const int places = 1 + (int)rnd_below(19);
        snprintf(s, sizeof s, "%.*e", places - 1, d);
        int x = atoi(strchr(s, 'e') + 1), k = 0;
        for (const char *c = s; *c && *c != 'e'; c++)
            if (*c >= '0' && *c <= '9') dig[k++] = *c;
        dig[k] = 0;
        check_decimal(strtoull(dig, NULL, 10), x - (k - 1), 0, &declined);
        /* small exponents, the fast tier's edges */
        check_decimal(rnd() % p10[1 + rnd_below(19)], (int)rnd_below(60) - 30, 1, &declined);
        total += 3;
    }
    check_decimal(0, 5, 1, &declined);
    check_decimal(1, 309, 0, &declined);
    check_decimal(9999999999999999999u, -343, 0, &declined);
    check_decimal(1, -400, 0, &declined);
    check_decimal(17976931348623157u, 292, 0, &declined);
    check_decimal(17976931348623159u, 292, 0, &declined);
    check_decimal(24703282292062328u, -340, 0, &declined);
    check_decimal(24703282292062327u, -340, 0, &declined);
    check_decimal(9007199254740993u, 0, 0, &declined);
    CHECK_MSG(declined * 1000 < total, "acar_num_decimal_to_double declined %lu of %lu", declined, total);
}

static double now(void)
{
    return (double)clock() / CLOCKS_PER_SEC;
}

int main(void)
{
    const char *env = getenv("ACAR_NUM_TEST_SCALE");
    scale = env ? atof(env) : (SANITIZED ? 0.5 : 1.0);
    const double t0 = now();
    test_repr_fixed();
    test_repr_cases();
    test_repr_random();
    const double t1 = now();
    test_parse_syntax();
    test_parse_random();
    test_parse_nice();
    test_parse_halfway();
    test_decimal_random();
    const double t2 = now();
    test_big_cases();
    test_big_random();
    test_i64();
    const double t3 = now();
    printf("scale %.2f: %lu doubles through repr (%.1fs), parse (%.1fs), big ints (%.1fs)\n", scale,
           repr_checked, t1 - t0, t2 - t1, t3 - t2);
    return CHECK_DONE();
}
