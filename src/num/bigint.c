/*
 * bigint.c -- big-int magnitudes <-> decimal text and two's complement bytes,
 * and int64 -> decimal.
 *
 * A magnitude is little-endian 32-bit limbs without high zero limbs (zero is
 * n == 0).  Decimal conversions go through base 10^9, the largest power of
 * ten below 2^32, so each limb step is one 64-by-32-bit operation; they are
 * quadratic, which is why callers cap the digit count.  Two's complement
 * bytes are little-endian and minimal, as pickle's LONG1/LONG4 carry them
 * (0 -> no bytes, 127 -> 7f, 128 -> 80 00, -128 -> 80, -129 -> 7f ff).
 */
#include "num.h"

#include <string.h>

#define BASE 1000000000u /* 10^9 */

static const char DIGITS2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Writes the decimal digits of v to the end of a buffer ending at end,
 * right to left, exactly `width` of them if width > 0 (leading zeros), else
 * as many as needed; returns the new start. */
static char *put_u32(char *end, uint32_t v, int width)
{
    char *q = end;
    while (v >= 100) {
        q -= 2;
        memcpy(q, DIGITS2 + 2 * (v % 100), 2);
        v /= 100;
    }
    if (v >= 10) {
        q -= 2;
        memcpy(q, DIGITS2 + 2 * v, 2);
    } else {
        *--q = (char)('0' + v);
    }
    while (end - q < width)
        *--q = '0';
    return q;
}

size_t acar_num_big_dec_bound(size_t n)
{
    /* 32 n log10(2) = 9.633 n < 9 n + 2 floor(n / 3) + 3 - 1 */
    return n * 9 + n / 3 * 2 + 3;
}

size_t acar_num_big_to_dec(const uint32_t *mag, size_t n, uint32_t *scratch, char *out)
{
    if (n == 0) {
        out[0] = '0';
        return 1;
    }
    const size_t bound = acar_num_big_dec_bound(n);
    char *const end = out + bound;
    char *q = end;
    memcpy(scratch, mag, n * sizeof *scratch);
    /* Peel off base-10^9 digits from the bottom, writing them right to left
     * at the end of out, then move the text to the front. */
    while (n > 0) {
        uint64_t rem = 0;
        for (size_t i = n; i > 0; i--) {
            const uint64_t cur = (rem << 32) | scratch[i - 1];
            scratch[i - 1] = (uint32_t)(cur / BASE);
            rem = cur % BASE;
        }
        while (n > 0 && scratch[n - 1] == 0)
            n--;
        q = put_u32(q, (uint32_t)rem, n > 0 ? 9 : 0);
    }
    const size_t len = (size_t)(end - q);
    memmove(out, q, len);
    return len;
}

size_t acar_num_big_limbs_for_digits(size_t ndigits)
{
    /* Nine digits are below 2^30, so each group of nine needs under a limb. */
    return ndigits / 9 + 1;
}

size_t acar_num_big_from_dec(const char *digits, size_t ndigits, uint32_t *mag)
{
    static const uint32_t pow10[10] = {1u, 10u, 100u, 1000u, 10000u, 100000u,
                                       1000000u, 10000000u, 100000000u, 1000000000u};
    size_t n = 0;
    size_t i = 0;
    /* The first group takes the odd digits so that the rest are full. */
    size_t group = ndigits % 9 ? ndigits % 9 : 9;
    while (i < ndigits) {
        uint32_t chunk = 0;
        for (size_t j = 0; j < group; j++)
            chunk = chunk * 10 + (uint32_t)(digits[i + j] - '0');
        uint64_t carry = chunk;
        const uint32_t m = pow10[group];
        for (size_t k = 0; k < n; k++) {
            const uint64_t t = (uint64_t)mag[k] * m + carry;
            mag[k] = (uint32_t)t;
            carry = t >> 32;
        }
        if (carry)
            mag[n++] = (uint32_t)carry;
        i += group;
        group = 9;
    }
    return n;
}

size_t acar_num_big_from_le_twos(const uint8_t *bytes, size_t nbytes, uint32_t *mag, int *neg)
{
    const size_t n = (nbytes + 3) / 4;
    const int negative = nbytes > 0 && (bytes[nbytes - 1] & 0x80);
    const uint32_t fill = negative ? 0xffu : 0u; /* sign extension */
    for (size_t j = 0; j < n; j++) {
        uint32_t limb = 0;
        for (size_t b = 4; b > 0; b--) {
            const size_t i = 4 * j + b - 1;
            limb = (limb << 8) | (i < nbytes ? bytes[i] : fill);
        }
        mag[j] = limb;
    }
    if (negative) { /* magnitude = ~x + 1 over the sign-extended limbs */
        uint32_t carry = 1;
        for (size_t j = 0; j < n; j++) {
            mag[j] = ~mag[j] + carry;
            carry = carry && mag[j] == 0;
        }
    }
    size_t used = n;
    while (used > 0 && mag[used - 1] == 0)
        used--;
    *neg = negative;
    return used;
}

size_t acar_num_big_le_twos_size(const uint32_t *mag, size_t n, int neg)
{
    if (n == 0)
        return 0;
    uint32_t top = mag[n - 1];
    size_t topbits = 0;
    while (top) {
        topbits++;
        top >>= 1;
    }
    const size_t bits = 32 * (n - 1) + topbits;
    /* A value needs bits + 1 bits with its sign, except -2^(bits-1): a
     * negative power of two fits in bits bits. */
    if (neg && mag[n - 1] == (uint32_t)1 << (topbits - 1)) {
        size_t j = 0;
        while (j < n - 1 && mag[j] == 0)
            j++;
        if (j == n - 1)
            return (bits + 7) / 8;
    }
    return bits / 8 + 1;
}

void acar_num_big_to_le_twos(const uint32_t *mag, size_t n, int neg, uint8_t *out)
{
    const size_t size = acar_num_big_le_twos_size(mag, n, neg);
    uint32_t carry = 1;
    for (size_t i = 0; i < size; i += 4) {
        uint32_t limb = i / 4 < n ? mag[i / 4] : 0;
        if (neg) {
            limb = ~limb + carry;
            carry = carry && limb == 0;
        }
        for (size_t b = 0; b < 4 && i + b < size; b++)
            out[i + b] = (uint8_t)(limb >> (8 * b));
    }
}

size_t acar_num_i64_to_dec(int64_t v, char *buf)
{
    char tmp[20];
    char *const end = tmp + sizeof tmp;
    char *p = buf;
    uint64_t u = (uint64_t)v;
    if (v < 0) {
        *p++ = '-';
        u = 0 - u; /* also right for INT64_MIN */
    }
    char *q = end;
    if (u >= BASE) {
        const uint64_t hi = u / BASE;
        q = put_u32(q, (uint32_t)(u % BASE), 9);
        if (hi >= BASE) {
            q = put_u32(q, (uint32_t)(hi % BASE), 9);
            q = put_u32(q, (uint32_t)(hi / BASE), 0);
        } else {
            q = put_u32(q, (uint32_t)hi, 0);
        }
    } else {
        q = put_u32(q, (uint32_t)u, 0);
    }
    const size_t len = (size_t)(end - q);
    memcpy(p, q, len);
    return (size_t)(p - buf) + len;
}
