/*
 * utf8.c -- UTF-8 as CPython's surrogatepass codec takes it (no overlong
 * forms, nothing past U+10FFFF, lone surrogates ED A0-BF allowed): the
 * readers' fast validity check and the slower one that says where bad text
 * goes wrong.
 *
 * The fast check runs sixteen bytes at a time with SSSE3 where the CPU has
 * it (chosen at run time: the build targets plain x86-64), after the
 * classification of Keiser and Lemire ("Validating UTF-8 in less than one
 * instruction per byte", 2021): three table lookups per block name what
 * each pair of neighbouring bytes may be, and one more test catches a
 * continuation byte where no lead byte asked for it.  Elsewhere a scalar
 * loop does the same job.
 */
#include "core/internal.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_SSSE3_PATH 1
#include <immintrin.h>
#endif

/* ---- UTF-8 ---- */

/* The rows of acar__utf8_valid's DFA (internal.h): a byte's row holds, for
 * each state (6 bits each), the next state times 6, so a step is one load,
 * one shift and one mask.  States: 0 accept, 1-3 that many continuation
 * bytes to come, 4 after E0 (A0-BF next), 5 after F0 (90-BF next), 6 after
 * F4 (80-8F next), 7 error.  Surrogates (ED A0-BF) are allowed. */
#define U8_T(s, n) ((uint64_t)(n) * 6 << (s) * 6)
/* The next state from each of states 0..6 (7 stays 7). */
#define U8_ROW(n0, n1, n2, n3, n4, n5, n6) \
    (U8_T(0, n0) | U8_T(1, n1) | U8_T(2, n2) | U8_T(3, n3) | U8_T(4, n4) | U8_T(5, n5) | \
     U8_T(6, n6) | U8_T(7, 7))
#define U8_LEAD(n) U8_ROW(n, 7, 7, 7, 7, 7, 7)
#define U8_ROWOF(b) \
    ((b) < 0x80 ? U8_LEAD(0) \
     : (b) < 0x90 ? U8_ROW(7, 0, 1, 2, 7, 7, 2) \
     : (b) < 0xa0 ? U8_ROW(7, 0, 1, 2, 7, 2, 7) \
     : (b) < 0xc0 ? U8_ROW(7, 0, 1, 2, 1, 2, 7) \
     : (b) < 0xc2 ? U8_LEAD(7) : (b) < 0xe0 ? U8_LEAD(1) : (b) == 0xe0 ? U8_LEAD(4) \
     : (b) < 0xf0 ? U8_LEAD(2) : (b) == 0xf0 ? U8_LEAD(5) : (b) < 0xf4 ? U8_LEAD(3) \
     : (b) == 0xf4 ? U8_LEAD(6) : U8_LEAD(7))
#define U8_R4(b) U8_ROWOF(b), U8_ROWOF((b) + 1), U8_ROWOF((b) + 2), U8_ROWOF((b) + 3)
#define U8_R16(b) U8_R4(b), U8_R4((b) + 4), U8_R4((b) + 8), U8_R4((b) + 12)
#define U8_R64(b) U8_R16(b), U8_R16((b) + 16), U8_R16((b) + 32), U8_R16((b) + 48)
const uint64_t acar__u8_rows[256] = {U8_R64(0x00), U8_R64(0x40), U8_R64(0x80), U8_R64(0xc0)};


size_t acar__utf8_check(const char *s, size_t len, bool *bad, bool *ascii) {
    const uint8_t *p = (const uint8_t *)s;
    *bad = false;
    size_t i = acar__ascii_prefix(p, len);
    *ascii = i == len;
    while (i < len) {
        uint8_t c = p[i];
        if (c < 0x80) { i++; continue; }
        size_t n;
        uint32_t cp, min;
        if (c >= 0xc2 && c <= 0xdf) { n = 2; cp = c & 0x1f; min = 0x80; }
        else if (c >= 0xe0 && c <= 0xef) { n = 3; cp = c & 0x0f; min = 0x800; }
        else if (c >= 0xf0 && c <= 0xf4) { n = 4; cp = c & 0x07; min = 0x10000; }
        else { *bad = true; return i; }
        if (len - i < n) { *bad = true; return i; }
        for (size_t k = 1; k < n; k++) {
            if ((p[i + k] & 0xc0) != 0x80) { *bad = true; return i; }
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        /* Surrogates are allowed: CPython's surrogatepass writes them. */
        if (cp < min || cp > 0x10ffff) { *bad = true; return i; }
        i += n;
    }
    return len;
}

bool acar__json_plain(const uint8_t *s, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (acar__json_word_dirty(w, false)) return false;
    }
    for (; i < n; i++)
        if (s[i] == '"' || s[i] == '\\' || s[i] < 0x20) return false;
    return true;
}

/* The check of the rest without SIMD (s[0] >= 0x80 starts a character). */
bool acar__utf8_valid_rest_portable(const uint8_t *s, size_t n) {
    size_t i = 0;
    for (;;) {
        /* A run of non-ASCII characters: two- and three-byte ones whose
         * lead byte decides alone (C2-DF, E1-EF) take one test, the rest
         * the DFA. */
        while (i < n && s[i] >= 0x80) {
            uint8_t c = s[i];
            if (c >= 0xe1 && c <= 0xef) {
                if (n - i >= 3 && (s[i + 1] & 0xc0) == 0x80 && (s[i + 2] & 0xc0) == 0x80) {
                    i += 3;
                    continue;
                }
            } else if (c >= 0xc2 && c <= 0xdf) {
                if (n - i >= 2 && (s[i + 1] & 0xc0) == 0x80) {
                    i += 2;
                    continue;
                }
            }
            uint64_t st = 0;
            do {
                st = acar__u8_rows[s[i++]] >> (st & 63);
            } while (i < n && (st & 63) != 0 && (st & 63) != 42);
            if ((st & 63) != 0) return false;
        }
        i += acar__ascii_prefix(s + i, n - i);
        if (i == n) return true;
    }
}

#ifdef HAVE_SSSE3_PATH
/* What a pair of bytes (first, second) can be wrong with; a pair is bad
 * when the three lookups below (first's high nibble, first's low nibble,
 * second's high nibble) share a bit.  SURROGATE is left out on purpose. */
#define TOO_SHORT 0x01  /* lead byte, then not a continuation */
#define TOO_LONG 0x02   /* ASCII, then a continuation */
#define OVERLONG_3 0x04 /* E0 80-9F */
#define TOO_LARGE 0x08  /* F4 90-BF, F5-FF ... */
#define TOO_LARGE_1000 0x40 /* F5-FF 80-8F */
#define OVERLONG_4 0x40 /* F0 80-8F */
#define OVERLONG_2 0x20 /* C0-C1, then a continuation */
#define TWO_CONTS 0x80  /* continuation, then a continuation */
#define CARRY (TOO_SHORT | TOO_LONG | TWO_CONTS)

__attribute__((target("ssse3"))) static inline __m128i nibble_hi(__m128i x) {
    return _mm_and_si128(_mm_srli_epi16(x, 4), _mm_set1_epi8(0x0f));
}

/* Errors of block `in` whose previous sixteen bytes were `prev`: zero when
 * every byte is what its neighbours allow (the sequence may still run on
 * into the next block). */
__attribute__((target("ssse3"))) static inline __m128i block_errors(__m128i in, __m128i prev) {
    const __m128i first_hi = _mm_setr_epi8(
        TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG,
        TWO_CONTS, TWO_CONTS, TWO_CONTS, TWO_CONTS, TOO_SHORT | OVERLONG_2, TOO_SHORT,
        TOO_SHORT | OVERLONG_3, (char)(TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4));
    const __m128i first_lo = _mm_setr_epi8(
        (char)(CARRY | OVERLONG_3 | OVERLONG_2 | OVERLONG_4), (char)(CARRY | OVERLONG_2),
        (char)CARRY, (char)CARRY, (char)(CARRY | TOO_LARGE),
        (char)(CARRY | TOO_LARGE | TOO_LARGE_1000), (char)(CARRY | TOO_LARGE | TOO_LARGE_1000),
        (char)(CARRY | TOO_LARGE | TOO_LARGE_1000), (char)(CARRY | TOO_LARGE | TOO_LARGE_1000),
        (char)(CARRY | TOO_LARGE | TOO_LARGE_1000), (char)(CARRY | TOO_LARGE | TOO_LARGE_1000),
        (char)(CARRY | TOO_LARGE | TOO_LARGE_1000), (char)(CARRY | TOO_LARGE | TOO_LARGE_1000),
        (char)(CARRY | TOO_LARGE | TOO_LARGE_1000), (char)(CARRY | TOO_LARGE | TOO_LARGE_1000),
        (char)(CARRY | TOO_LARGE | TOO_LARGE_1000));
    const __m128i second_hi = _mm_setr_epi8(
        TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
        (char)(TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE_1000 | OVERLONG_4),
        (char)(TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE),
        (char)(TOO_LONG | OVERLONG_2 | TWO_CONTS | TOO_LARGE),
        (char)(TOO_LONG | OVERLONG_2 | TWO_CONTS | TOO_LARGE),
        TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT);
    __m128i prev1 = _mm_alignr_epi8(in, prev, 15);
    __m128i sc = _mm_and_si128(
        _mm_and_si128(_mm_shuffle_epi8(first_hi, nibble_hi(prev1)),
                      _mm_shuffle_epi8(first_lo, _mm_and_si128(prev1, _mm_set1_epi8(0x0f)))),
        _mm_shuffle_epi8(second_hi, nibble_hi(in)));
    /* The third and fourth bytes of a sequence: two continuations in a row
     * are only right there (TWO_CONTS is 0x80). */
    __m128i prev2 = _mm_alignr_epi8(in, prev, 14);
    __m128i prev3 = _mm_alignr_epi8(in, prev, 13);
    __m128i third = _mm_subs_epu8(prev2, _mm_set1_epi8((char)(0xe0 - 0x80)));
    __m128i fourth = _mm_subs_epu8(prev3, _mm_set1_epi8((char)(0xf0 - 0x80)));
    __m128i must = _mm_and_si128(_mm_or_si128(third, fourth), _mm_set1_epi8((char)0x80));
    return _mm_xor_si128(must, sc);
}

/* Nonzero when the block ends inside a sequence: a lead byte in the last
 * three places that asks for more bytes than are left. */
__attribute__((target("ssse3"))) static inline __m128i block_incomplete(__m128i in) {
    const __m128i max = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                      (char)(0xf0 - 1), (char)(0xe0 - 1), (char)(0xc0 - 1));
    return _mm_subs_epu8(in, max);
}

/* 16 0xff then 16 zeros: the mask that keeps the first k bytes of a block
 * starts at 16 - k. */
static const uint8_t keep_first[32] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

__attribute__((target("ssse3"))) static bool valid_rest_ssse3(const uint8_t *s, size_t n, size_t avail) {
    __m128i prev = _mm_setzero_si128(), err = _mm_setzero_si128(), pending = _mm_setzero_si128();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m128i in = _mm_loadu_si128((const __m128i *)(s + i));
        if (_mm_movemask_epi8(in) == 0) {
            /* ASCII: only a sequence cut off by the block before is wrong */
            err = _mm_or_si128(err, pending);
            pending = _mm_setzero_si128();
        } else {
            err = _mm_or_si128(err, block_errors(in, prev));
            pending = block_incomplete(in);
        }
        prev = in;
    }
    if (i < n) {
        /* The tail padded with NULs, which end any sequence still open:
         * the bytes after it masked off when 16 can be read, else copied
         * (the copy's stores then the block's load stalled: a third of
         * this check on twitter.json's strings, most of them short). */
        __m128i in;
        if (avail - i >= 16) {
            in = _mm_loadu_si128((const __m128i *)(s + i));
            in = _mm_and_si128(in, _mm_loadu_si128((const __m128i *)(keep_first + 16 - (n - i))));
        } else {
            uint8_t tail[16] = {0};
            memcpy(tail, s + i, n - i);
            in = _mm_loadu_si128((const __m128i *)tail);
        }
        err = _mm_or_si128(err, block_errors(in, prev));
        pending = _mm_setzero_si128();
    }
    err = _mm_or_si128(err, pending);
    return _mm_movemask_epi8(_mm_cmpeq_epi8(err, _mm_setzero_si128())) == 0xffff;
}
#endif

bool acar__utf8_valid_rest(const uint8_t *s, size_t n, size_t avail) {
#ifdef HAVE_SSSE3_PATH
    if (__builtin_cpu_supports("ssse3")) return valid_rest_ssse3(s, n, avail);
#else
    (void)avail;
#endif
    return acar__utf8_valid_rest_portable(s, n);
}
