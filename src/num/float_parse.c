/*
 * float_parse.c -- decimal text -> correctly rounded double, without locale.
 *
 * Three tiers, each exact where it answers:
 *  1. Clinger's fast path: at most 2^53 as the significand and a power of
 *     ten that is itself a double (10^0..10^22): one IEEE multiplication or
 *     division, correctly rounded by the hardware.
 *  2. Eisel-Lemire-style: the first 19 significant digits w, shifted to
 *     64 bits, times a 126-bit upper approximation g of 10^e (the table of
 *     float_repr.c), exactly, in 192 bits.  That product exceeds the true one
 *     by less than 2^64 units, so unless the bits below the 53-bit
 *     significand sit within 2^64 units above the halfway point, the rounding
 *     is decided.  With more than 19 digits the value lies between w and
 *     w + 1 (times 10^e): both are tried and must agree.
 *  3. Exact comparison: the result is then the truncated candidate m or
 *     m + 1; the decimal (at most 800 significant digits, plus a sticky '1'
 *     standing for any non-zero digits beyond) is compared with the halfway
 *     point (2m + 1) 2^(b-1) in big-integer arithmetic on the stack.  800
 *     digits suffice: every binary64 halfway point has at most 768
 *     significant digits, so the truncation can never hide which side of it
 *     the input lies on.
 * Nothing is allocated; the input needs no terminator.
 */
#include "num.h"

#include <float.h>
#include <string.h>


#define MAX_DIGITS 800  /* significant digits kept for the exact tier */
#define BIG_LIMBS 128   /* 4096 bits; the exact tier needs < 2700 */

#if defined(__SIZEOF_INT128__) && !defined(ACAR_NO_INT128)
__extension__ typedef unsigned __int128 u128;
static inline uint64_t mul_full(uint64_t a, uint64_t b, uint64_t *hi)
{
    u128 p = (u128)a * b;
    *hi = (uint64_t)(p >> 64);
    return (uint64_t)p;
}
#else
static inline uint64_t mul_full(uint64_t a, uint64_t b, uint64_t *hi)
{
    uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
    return (mid << 32) | (uint32_t)p00;
}
#endif

/* floor(e log2 10) for |e| <= 1200; biased so that the shift sees a
 * non-negative operand. */
static inline int flog2_pow10(int e)
{
    return (int)((uint64_t)((int64_t)e * 913124641741 + ((int64_t)1 << 52)) >> 38) - (1 << 14);
}

static double from_bits(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

#define INF_BITS 0x7ff0000000000000u
#define SIGN_BIT 0x8000000000000000u

/* ---- tier 2 ---------------------------------------------------------------- */

/* Binary approximation of w 10^e10 (w > 0, -343 <= e10 <= 324):
 * m 2^b truncated to 53 bits (or to the subnormal grid), whether the
 * discarded part is above one half, and whether that cannot be told. */
typedef struct {
    uint64_t m;
    int b;
    int up;
    int ambiguous;
} approx_t;

static approx_t approx(uint64_t w, int e10)
{
    approx_t r;
    const int lz = acar_num_clz64(w);
    const uint64_t wn = w << lz;
    const uint64_t *g = acar_num_pow10_g[e10 - ACAR_NUM_POW10_E_MIN];
    /* P = wn * g, exactly, in three limbs; 2^188 <= P < 2^190. */
    uint64_t a1, b1;
    const uint64_t p0 = mul_full(wn, g[1], &a1);
    const uint64_t b0 = mul_full(wn, g[0], &b1);
    const uint64_t p1 = b0 + a1;
    const uint64_t p2 = b1 + (p1 < b0);
    int s = 136 + (int)(p2 >> 61); /* bits below a 53-bit significand */
    int b = s + flog2_pow10(e10) - 125 - lz;
    if (b < -1074) { /* subnormal: fewer significant bits */
        s += -1074 - b;
        b = -1074;
        if (s > 190) { /* below half of the smallest subnormal */
            r.m = 0;
            r.b = b;
            r.up = r.ambiguous = 0;
            return r;
        }
    }
    const int sh = s - 128; /* 8..62: the significand and the half bit are in p2 */
    const uint64_t half = ((uint64_t)1) << (sh - 1);
    const uint64_t rem = p2 & ((((uint64_t)1) << sh) - 1);
    r.m = p2 >> sh;
    r.b = b;
    /* The exact product lies in [P - 2^64, P). */
    r.ambiguous = rem == half && (p1 == 0 || (p1 == 1 && p0 == 0));
    r.up = rem > half || (rem == half && (p1 > 1 || (p1 == 1 && p0 != 0)));
    return r;
}

/* Bits of the double m 2^b after rounding (m may be 2^53 or 0). */
static uint64_t pack(uint64_t m, int b)
{
    if (m >> 53) {
        m >>= 1;
        b++;
    }
    if (b > 971)
        return INF_BITS;
    if (m < (((uint64_t)1) << 52)) /* subnormal (b is -1074) or zero */
        return m;
    return ((uint64_t)(b + 1075) << 52) | (m & ((((uint64_t)1) << 52) - 1));
}

/* ---- tier 3 ---------------------------------------------------------------- */

typedef struct {
    size_t n; /* limbs in use, no high zero limb */
    uint32_t d[BIG_LIMBS];
} big_t;

static void big_set(big_t *a, uint64_t v)
{
    a->n = 0;
    while (v) {
        a->d[a->n++] = (uint32_t)v;
        v >>= 32;
    }
}

/* a = a * m + add.  Sizes are bounded by the analysis at the top of this
 * file; the guard only keeps a broken bound from writing out of bounds. */
static void big_mul_add(big_t *a, uint32_t m, uint32_t add)
{
    uint64_t carry = add;
    for (size_t i = 0; i < a->n; i++) {
        uint64_t t = (uint64_t)a->d[i] * m + carry;
        a->d[i] = (uint32_t)t;
        carry = t >> 32;
    }
    if (carry && a->n < BIG_LIMBS)
        a->d[a->n++] = (uint32_t)carry;
}

static void big_mul_pow5(big_t *a, unsigned n)
{
    static const uint32_t pow5[14] = {1u, 5u, 25u, 125u, 625u, 3125u, 15625u, 78125u,
                                      390625u, 1953125u, 9765625u, 48828125u,
                                      244140625u, 1220703125u};
    while (n >= 13) {
        big_mul_add(a, pow5[13], 0);
        n -= 13;
    }
    if (n)
        big_mul_add(a, pow5[n], 0);
}

static void big_shl(big_t *a, unsigned bits)
{
    if (a->n == 0)
        return;
    const size_t limbs = bits / 32;
    const unsigned r = bits % 32;
    if (a->n + limbs + 1 > BIG_LIMBS)
        return; /* cannot happen, see BIG_LIMBS */
    if (r) {
        a->d[a->n] = 0;
        for (size_t i = a->n; i > 0; i--)
            a->d[i + limbs] = (a->d[i] << r) | (a->d[i - 1] >> (32 - r));
        a->d[limbs] = a->d[0] << r;
        a->n += limbs + 1;
    } else {
        for (size_t i = a->n; i > 0; i--)
            a->d[i - 1 + limbs] = a->d[i - 1];
        a->n += limbs;
    }
    for (size_t i = 0; i < limbs; i++)
        a->d[i] = 0;
    while (a->n && a->d[a->n - 1] == 0)
        a->n--;
}

static int big_cmp(const big_t *a, const big_t *b)
{
    if (a->n != b->n)
        return a->n < b->n ? -1 : 1;
    for (size_t i = a->n; i > 0; i--)
        if (a->d[i - 1] != b->d[i - 1])
            return a->d[i - 1] < b->d[i - 1] ? -1 : 1;
    return 0;
}

/* Sign of D 10^e - h 2^k, where D is the decimal significand of the input
 * (digits in mant[0..mlen) with the point and leading zeros skipped), kept
 * to MAX_DIGITS digits plus a sticky 1, and e the exponent of its last
 * digit as given by dp (the number of significant digits before the point)
 * and exp. */
static int cmp_halfway(const char *mant, size_t mlen, int64_t dp, int64_t exp, uint64_t h, int k)
{
    big_t x, y;
    size_t used = 0;
    uint32_t chunk = 0, scale = 1;
    int sticky = 0;
    x.n = 0;
    for (size_t i = 0; i < mlen; i++) {
        const unsigned c = (unsigned char)mant[i] - '0';
        if (c > 9 || (used == 0 && c == 0))
            continue; /* the point, or a leading zero */
        if (used == MAX_DIGITS) {
            if (c) {
                sticky = 1;
                break;
            }
            continue;
        }
        chunk = chunk * 10 + c;
        scale *= 10;
        used++;
        if (scale == 1000000000) {
            big_mul_add(&x, scale, chunk);
            chunk = 0;
            scale = 1;
        }
    }
    if (sticky) {
        chunk = chunk * 10 + 1;
        scale *= 10;
        used++;
    }
    if (scale > 1)
        big_mul_add(&x, scale, chunk);
    /* D 10^e = D 5^e 2^e against h 2^k: clear the denominators. */
    const int e = (int)(dp - (int64_t)used + exp);
    big_set(&y, h);
    if (e >= 0)
        big_mul_pow5(&x, (unsigned)e);
    else
        big_mul_pow5(&y, (unsigned)-e);
    if (e >= k)
        big_shl(&x, (unsigned)(e - k));
    else
        big_shl(&y, (unsigned)(k - e));
    return big_cmp(&x, &y);
}

/* ---- syntax ------------------------------------------------------------------ */

static int lower_eq(const char *s, size_t len, const char *word)
{
    size_t i = 0;
    for (; i < len && word[i]; i++)
        if ((s[i] | 0x20) != word[i])
            return 0;
    return i == len && word[i] == 0;
}

const double acar_num_pow10_exact[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static const uint64_t POW10_U64[16] = {
    1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u,
    1000000000u, 10000000000u, 100000000000u, 1000000000000u, 10000000000000u,
    100000000000000u, 1000000000000000u,
};

int acar_num_parse_double(const char *s, size_t len, unsigned flags, double *out)
{
    const char *p = s, *const end = s + len;
    uint64_t sign = 0;
    if (p < end && (*p == '+' || *p == '-')) {
        sign = *p == '-' ? SIGN_BIT : 0;
        p++;
    }
    if (p == end)
        return -1;
    if (*p != '.' && (unsigned)(*p - '0') > 9) {
        if (!(flags & ACAR_NUM_ALLOW_SPECIAL))
            return -1;
        const size_t rest = (size_t)(end - p);
        if (lower_eq(p, rest, "inf") || lower_eq(p, rest, "infinity"))
            *out = from_bits(sign | INF_BITS);
        else if (lower_eq(p, rest, "nan"))
            *out = from_bits(sign | 0x7ff8000000000000u);
        else
            return -1;
        return 0;
    }

    /* Significand: w gets the first 19 significant digits, nd counts them
     * all, dp is the position of the point relative to the first one. */
    const char *const mant = p;
    uint64_t w = 0;
    int64_t nd = 0, dp = 0;
    int tail = 0; /* a non-zero digit beyond the 19th */
    size_t nint = 0, nfrac = 0;
    for (; p < end && (unsigned)(*p - '0') <= 9; p++, nint++) {
        const unsigned c = (unsigned)(*p - '0');
        if (nd < 19) {
            if (nd == 0 && c == 0)
                continue;
            w = w * 10 + c;
        } else {
            tail |= c != 0;
        }
        nd++;
        dp++;
    }
    if (p < end && *p == '.') {
        p++;
        for (; p < end && (unsigned)(*p - '0') <= 9; p++, nfrac++) {
            const unsigned c = (unsigned)(*p - '0');
            if (nd < 19) {
                if (nd == 0 && c == 0) {
                    dp--;
                    continue;
                }
                w = w * 10 + c;
            } else {
                tail |= c != 0;
            }
            nd++;
        }
        if (!(flags & ACAR_NUM_ALLOW_LEADING_DOT) && (nint == 0 || nfrac == 0))
            return -1;
    }
    if (nint + nfrac == 0)
        return -1;
    const size_t mlen = (size_t)(p - mant);
    int64_t exp = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        int eneg = 0;
        if (p < end && (*p == '+' || *p == '-')) {
            eneg = *p == '-';
            p++;
        }
        if (p == end || (unsigned)(*p - '0') > 9)
            return -1;
        for (; p < end && (unsigned)(*p - '0') <= 9; p++)
            if (exp < 100000000000000000) /* saturate: far beyond any decision */
                exp = exp * 10 + (*p - '0');
        if (eneg)
            exp = -exp;
    }
    if (p != end)
        return -1;

    if (nd == 0) {
        *out = from_bits(sign);
        return 0;
    }
    /* The value is in [10^E1, 10^(E1+1)); outside (-326, 309) it is
     * certainly zero or infinite. */
    const int64_t e1 = dp - 1 + exp;
    if (e1 >= 309) {
        *out = from_bits(sign | INF_BITS);
        return 0;
    }
    if (e1 < -325) {
        *out = from_bits(sign);
        return 0;
    }
    const int nw = nd < 19 ? (int)nd : 19;
    const int e10 = (int)e1 - nw + 1; /* exponent of w's last digit: -343..308 */
    const int inexact = nd > 19 && tail;

#if FLT_EVAL_METHOD == 0
    /* Tier 1.  Python floats such as 0.1, 123.45 and small integers land here. */
    if (!inexact && w <= (((uint64_t)1) << 53) && e10 >= -22) {
        if (e10 <= 22) /* num.h's inline first tier, which decides it */
            return acar_num_decimal_to_double(w, e10, sign != 0, out);
        if (e10 <= 22 + 15) { /* 1.5e30: move zeros into w while it stays exact */
            const uint64_t m = POW10_U64[e10 - 22];
            if (w <= (((uint64_t)1) << 53) / m) {
                const double r = (double)(w * m) * 1e22;
                *out = sign ? -r : r;
                return 0;
            }
        }
    }
#endif

    /* Tier 2. */
    const approx_t a = approx(w, e10);
    if (a.b > 971) { /* truncated already past the largest double */
        *out = from_bits(sign | INF_BITS);
        return 0;
    }
    if (!a.ambiguous) {
        const uint64_t bits = pack(a.m + (uint64_t)a.up, a.b);
        if (!inexact) {
            *out = from_bits(sign | bits);
            return 0;
        }
        const approx_t a2 = approx(w + 1, e10);
        if (!a2.ambiguous && pack(a2.m + (uint64_t)a2.up, a2.b) == bits) {
            *out = from_bits(sign | bits);
            return 0;
        }
    }

    /* Tier 3: the answer is a.m or a.m + 1. */
    const int c = cmp_halfway(mant, mlen, dp, exp, 2 * a.m + 1, a.b - 1);
    const uint64_t m = a.m + (c > 0 || (c == 0 && (a.m & 1)));
    *out = from_bits(sign | pack(m, a.b));
    return 0;
}

int acar_num_decimal_approx(uint64_t w, int e10, int neg, double *out)
{
    const uint64_t sign = neg ? SIGN_BIT : 0;
    if (w == 0 || e10 < ACAR_NUM_POW10_E_MIN) { /* below 10^-324: zero */
        *out = from_bits(sign);
        return 0;
    }
    if (e10 > 308) {
        *out = from_bits(sign | INF_BITS);
        return 0;
    }
    const approx_t a = approx(w, e10);
    if (a.b > 971) {
        *out = from_bits(sign | INF_BITS);
        return 0;
    }
    if (a.ambiguous)
        return -1;
    *out = from_bits(sign | pack(a.m + (uint64_t)a.up, a.b));
    return 0;
}
