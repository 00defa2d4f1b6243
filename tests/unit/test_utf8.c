/* test_utf8.c -- the readers' UTF-8 check (SIMD where the CPU has it, and
 * the portable loop) against a reference written from the table of
 * well-formed byte sequences in the Unicode standard (3.9, table 3-7) with
 * surrogates allowed, as CPython's surrogatepass decoder allows them; and
 * acar__utf8_check, which must agree and name the same first bad byte;
 * and acar__json_plain (ACAR_F_JSON_PLAIN). */
#include "acar.h"
#include "check.h"
#include "core/internal.h"

#include <stdint.h>
#include <stdlib.h>

/* Length of the well-formed sequence at s, or 0. */
static size_t ref_seq(const uint8_t *s, size_t n) {
    uint8_t c = s[0];
    size_t len;
    uint8_t lo = 0x80, hi = 0xbf; /* range of the second byte */
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) len = 2;
    else if (c == 0xe0) { len = 3; lo = 0xa0; }
    else if (c >= 0xe1 && c <= 0xef) len = 3; /* ED A0-BF: surrogates, allowed */
    else if (c == 0xf0) { len = 4; lo = 0x90; }
    else if (c >= 0xf1 && c <= 0xf3) len = 4;
    else if (c == 0xf4) { len = 4; hi = 0x8f; }
    else return 0;
    if (n < len || s[1] < lo || s[1] > hi) return 0;
    for (size_t k = 2; k < len; k++)
        if (s[k] < 0x80 || s[k] > 0xbf) return 0;
    return len;
}

/* Offset of the first byte that does not start a well-formed sequence, or n. */
static size_t ref_first_bad(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        size_t k = ref_seq(s + i, n - i);
        if (!k) return i;
        i += k;
    }
    return n;
}

static unsigned long cases;

static void check_text(const uint8_t *s, size_t n) {
    size_t want = ref_first_bad(s, n);
    bool ok = want == n, ascii = true, ascii2, bad;
    for (size_t i = 0; i < n; i++) ascii &= s[i] < 0x80;
    bool got = acar__utf8_valid(s, n, &ascii2);
    size_t at = acar__utf8_check((const char *)s, n, &bad, &ascii2);
    /* the rest-of-text checks start at the first non-ASCII byte */
    size_t first = 0;
    while (first < n && s[first] < 0x80) first++;
    bool fast = first == n || acar__utf8_valid_rest(s + first, n - first, n - first);
    /* again with 16 more bytes readable after the text: continuation
     * bytes, which would complete a sequence cut off at its end */
    bool fast_more = fast;
    if (first < n) {
        uint8_t *t = malloc(n - first + 16);
        if (t) {
            memcpy(t, s + first, n - first);
            memset(t + n - first, 0x80 + (int)(n % 64), 16);
            fast_more = acar__utf8_valid_rest(t, n - first, n - first + 16);
            free(t);
        }
    }
    bool portable = first == n || acar__utf8_valid_rest_portable(s + first, n - first);
    cases++;
    if (got != ok || fast != ok || fast_more != ok || portable != ok || at != want || bad == ok ||
        (ok && ascii2 != ascii)) {
        check_failed++;
        fprintf(stderr, "utf8: want %s (bad at %zu), valid %d rest %d %d portable %d check %zu:",
                ok ? "valid" : "invalid", want, got, fast, fast_more, portable, at);
        for (size_t i = 0; i < n && i < 80; i++) fprintf(stderr, " %02x", s[i]);
        fputc('\n', stderr);
    } else {
        check_passed++;
    }
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

/* A random character as UTF-8: every length, the edges of each range. */
static size_t rand_char(uint8_t *o) {
    static const uint32_t edges[] = {0x0, 0x7f, 0x80, 0x7ff, 0x800, 0xfff, 0x1000, 0xd7ff, 0xd800,
                                     0xdbff, 0xdc00, 0xdfff, 0xe000, 0xffff, 0x10000, 0x3ffff,
                                     0x40000, 0xfffff, 0x100000, 0x10ffff};
    uint32_t cp;
    switch (rnd() % 6) {
    case 0: cp = rnd() % 0x80; break;
    case 1: cp = 0x80 + rnd() % 0x780; break;
    case 2: cp = 0x800 + rnd() % 0xf800; break;
    case 3: cp = 0x10000 + rnd() % 0x100000; break;
    case 4: cp = edges[rnd() % (sizeof edges / sizeof edges[0])]; break;
    default: cp = 0x400 + rnd() % 0x100; break; /* Cyrillic: two-byte runs */
    }
    if (cp < 0x80) { o[0] = (uint8_t)cp; return 1; }
    if (cp < 0x800) { o[0] = (uint8_t)(0xc0 | cp >> 6); o[1] = (uint8_t)(0x80 | (cp & 0x3f)); return 2; }
    if (cp < 0x10000) {
        o[0] = (uint8_t)(0xe0 | cp >> 12);
        o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (uint8_t)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (uint8_t)(0xf0 | cp >> 18);
    o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (uint8_t)(0x80 | (cp & 0x3f));
    return 4;
}

/* acar__json_plain against the rule byte by byte: every byte value at
 * every place of texts 1-19 bytes long (the word loop and the tail), with
 * neighbours below and above it, where a borrow from one byte's test could
 * reach the next. */
static void check_json_plain(void) {
    static const uint8_t fill[] = {' ', 'a', 0x21, 0x7f, 0x80, 0xff, 0x1f, '"'};
    uint8_t t[19];
    for (size_t n = 1; n <= sizeof t; n++)
        for (size_t at = 0; at < n; at++)
            for (unsigned c = 0; c < 256; c++)
                for (size_t f = 0; f < sizeof fill; f++) {
                    /* fill the rest with one neighbour class (only the first
                     * six are plain themselves) */
                    memset(t, fill[f], n);
                    t[at] = (uint8_t)c;
                    bool want = true;
                    for (size_t k = 0; k < n; k++)
                        if (t[k] == '"' || t[k] == '\\' || t[k] < 0x20) want = false;
                    CHECK(acar__json_plain(t, n) == want);
                    cases++;
                }
    CHECK(acar__json_plain(NULL, 0));
}

int main(void) {
    uint8_t buf[300];

    check_json_plain();

    /* Every sequence of one to three bytes, after 0-17 ASCII bytes so that
     * it falls at every place of a sixteen-byte block, and before ASCII or
     * nothing. */
    for (uint32_t x = 0; x < (1u << 24); x++) {
        uint8_t b0 = (uint8_t)(x >> 16), b1 = (uint8_t)(x >> 8), b2 = (uint8_t)x;
        if (b0 < 0x80 && x >= 256) continue; /* an ASCII lead: nothing new */
        size_t lead = (b0 * 7u + b1 * 3u + b2) % 18, n = lead;
        memset(buf, 'a', lead);
        buf[n++] = b0;
        if (x >= 256) buf[n++] = b1;
        buf[n++] = b2;
        if (x & 0x100000) buf[n++] = 'z';
        if (b0 >= 0x80 || x < 256) check_text(buf, n);
    }
    /* Every four-byte sequence with a lead F0-F7 and any second byte, the
     * last two from a set that covers every class. */
    static const uint8_t tails[] = {0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xe0, 0xed, 0xf0, 0xf4, 0xff};
    for (unsigned b0 = 0xf0; b0 <= 0xf7; b0++)
        for (unsigned b1 = 0; b1 < 256; b1++)
            for (size_t i = 0; i < sizeof tails; i++)
                for (size_t j = 0; j < sizeof tails; j++) {
                    size_t lead = (b0 + b1 + i * 5 + j) % 17, n = lead;
                    memset(buf, ' ', lead);
                    buf[n++] = (uint8_t)b0;
                    buf[n++] = (uint8_t)b1;
                    buf[n++] = tails[i];
                    buf[n++] = tails[j];
                    check_text(buf, n);
                }
    /* Random text of valid characters, then with one byte changed, cut, or
     * a byte inserted: lengths across several blocks. */
    for (int round = 0; round < 200000; round++) {
        size_t want = rnd() % 120, n = 0;
        while (n < want) n += rand_char(buf + n);
        check_text(buf, n);
        size_t m = n;
        switch (rnd() % 4) {
        case 0: if (n) buf[rnd() % n] = (uint8_t)rnd(); break;
        case 1: if (n) m = rnd() % n; break;
        case 2:
            if (n) {
                size_t at = rnd() % n;
                memmove(buf + at + 1, buf + at, n - at);
                buf[at] = (uint8_t)(0x80 + rnd() % 0x80);
                m = n + 1;
            }
            break;
        default: if (n) buf[rnd() % n] ^= (uint8_t)(1u << (rnd() % 8)); break;
        }
        check_text(buf, m);
    }
    printf("%lu texts\n", cases);
    return CHECK_DONE();
}
