/*
 * bench_json_index.c -- what a structural index would cost acar's JSON
 * reader, against what its whole read costs now.
 *
 *   bench_json_index [--rounds N] [--min-time S] FILE.json...
 *
 * simdjson reads in two passes: the first finds, 64 bytes at a time with
 * vector compares, where every structural character, string and scalar
 * starts (the index); the second builds the tree from the index alone.
 * docs/json-tuning.md asks whether acar's reader should be built that
 * way.  This driver answers the first half: it times that first pass by
 * itself, written here with SSE2 (every x86-64) and, where the CPU has it,
 * AVX2 (chosen at run time), against acar_read of the same text into a
 * reused document, in the same rounds (bench_timing.h), and prints the
 * ratio of the two times.  A first pass that takes most of a whole read
 * leaves no room for the second pass, which still has to make every node,
 * key and number that the read makes now.
 *
 * The index is a whole first pass, not an approximation of one: before
 * timing, each file's index is compared with one found byte by byte
 * (index_scalar), and a difference is an error (exit 1).  Its positions:
 * every { } [ ] : , outside strings, every opening quote, and the first
 * byte of every other run of bytes outside strings (numbers, true, false,
 * null), where a byte that follows an odd run of backslashes is escaped (a
 * quote so escaped neither opens nor closes a string).  Bytes up to ' '
 * count as whitespace: JSON allows no other control byte outside strings,
 * and the second pass would reject one there.
 *
 * It is timed as simdjson's first pass would be used: the index of the
 * whole text at once, written to memory, before any node is made.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime (bench_timing.h) */

#include "acar.h"
#include "bench_file.h"
#include "bench_timing.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_X86 1
#endif

/* ---- the index byte by byte: the reference ---- */

static bool is_op(uint8_t c) { return c == '{' || c == '}' || c == '[' || c == ']' || c == ':' || c == ','; }
/* JSON's four whitespace bytes, and the control bytes, which JSON allows
 * nowhere outside strings: one compare where four would be */
static bool is_ws(uint8_t c) { return c <= ' '; }

static size_t index_scalar(const uint8_t *t, size_t n, uint32_t *out) {
    size_t k = 0;
    bool in = false, prev_scalar = false, escaped = false;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = t[i];
        bool escaper = c == '\\' && !escaped; /* an escaped backslash escapes nothing */
        bool quote = c == '"' && !escaped;
        bool scalar = !quote && !is_op(c) && !is_ws(c);
        if (quote) {
            if (!in) out[k++] = (uint32_t)i;
            in = !in;
        } else if (!in && (is_op(c) || (scalar && !prev_scalar))) {
            out[k++] = (uint32_t)i;
        }
        prev_scalar = scalar;
        escaped = escaper;
    }
    return k;
}

/* ---- 64 bytes at a time ---- */

#ifdef HAVE_X86
typedef struct carry {
    uint64_t escaped;   /* 1: the next block's first byte is escaped */
    uint64_t in;        /* all ones: the next block starts inside a string */
    uint64_t scalar;    /* 1: the last byte was part of a scalar run */
} carry;

/* Bytes escaped by a backslash, from the block's backslashes bs.  Adding
 * a bit at the start s of a run of backslashes carries to just past it,
 * s + len; the byte there is escaped when len is odd, which is when s and
 * s + len differ in parity.  A run that reaches the block's end carries
 * out of the sum: of the runs starting at odd positions, its length is
 * odd, and the next block's first byte is escaped. */
static inline uint64_t escaped_bytes(uint64_t bs, uint64_t *cin) {
    const uint64_t even = 0x5555555555555555ull;
    uint64_t c = *cin;
    bs &= ~c; /* an escaped backslash escapes nothing */
    uint64_t starts = bs & ~(bs << 1);
    uint64_t se = starts & even, so = starts & ~even, ae, ao;
    (void)__builtin_add_overflow(bs, se, &ae);
    *cin = __builtin_add_overflow(bs, so, &ao);
    return (ae & ~bs & ~even) | (ao & ~bs & even) | c;
}

static inline uint64_t prefix_xor(uint64_t x) {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

/* The index bits of one block from its masks of backslashes, quotes,
 * whitespace and structural characters. */
static inline uint64_t block_bits(uint64_t bs, uint64_t q, uint64_t ws, uint64_t op, carry *cy) {
    q &= ~escaped_bytes(bs, &cy->escaped);
    uint64_t in = prefix_xor(q) ^ cy->in; /* opening quote in, closing out */
    cy->in = (uint64_t)((int64_t)in >> 63);
    uint64_t scalar = ~(op | ws | q);
    uint64_t starts = scalar & ~(scalar << 1 | cy->scalar);
    cy->scalar = scalar >> 63;
    return ((op | starts) & ~in) | (q & in);
}

/* The positions of bits' set bits, from base, stored at out + k, four a
 * step whatever the count (out has room for three more): one branch per
 * four positions rather than one per position. */
static inline size_t flatten(uint64_t bits, size_t base, uint32_t *out, size_t k) {
    size_t cnt = (size_t)__builtin_popcountll(bits);
    uint32_t *o = out + k;
    for (size_t m = 0; m < cnt; m += 4) {
        for (size_t j = 0; j < 4; j++) {
            o[m + j] = (uint32_t)(base + (bits ? (size_t)__builtin_ctzll(bits) : 0));
            bits &= bits - 1;
        }
    }
    return k + cnt;
}

/* The four masks of a block, made in the vectors and each taken out by
 * one movemask a vector.  '[' and ']' are '{' and '}' with bit 5 clear. */
typedef struct masks {
    uint64_t bs, q, ws, op;
} masks;

static inline masks classify_sse2(const uint8_t *p) {
    masks m = {0, 0, 0, 0};
    const __m128i sp = _mm_set1_epi8(' ');
    for (unsigned j = 0; j < 4; j++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * j));
        __m128i up = _mm_or_si128(v, sp);
        __m128i op = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(up, _mm_set1_epi8('{')), _mm_cmpeq_epi8(up, _mm_set1_epi8('}'))),
            _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(':')), _mm_cmpeq_epi8(v, _mm_set1_epi8(','))));
        __m128i ws = _mm_cmpeq_epi8(_mm_min_epu8(v, sp), v);
        unsigned sh = 16 * j;
        m.bs |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))) << sh;
        m.q |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('"'))) << sh;
        m.ws |= (uint64_t)(uint16_t)_mm_movemask_epi8(ws) << sh;
        m.op |= (uint64_t)(uint16_t)_mm_movemask_epi8(op) << sh;
    }
    return m;
}

__attribute__((target("avx2"))) static inline masks classify_avx2(const uint8_t *p) {
    masks m = {0, 0, 0, 0};
    const __m256i sp = _mm256_set1_epi8(' ');
    for (unsigned j = 0; j < 2; j++) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32 * j));
        __m256i up = _mm256_or_si256(v, sp);
        __m256i op = _mm256_or_si256(
            _mm256_or_si256(_mm256_cmpeq_epi8(up, _mm256_set1_epi8('{')), _mm256_cmpeq_epi8(up, _mm256_set1_epi8('}'))),
            _mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(':')), _mm256_cmpeq_epi8(v, _mm256_set1_epi8(','))));
        __m256i ws = _mm256_cmpeq_epi8(_mm256_min_epu8(v, sp), v);
        unsigned sh = 32 * j;
        m.bs |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('\\'))) << sh;
        m.q |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('"'))) << sh;
        m.ws |= (uint64_t)(uint32_t)_mm256_movemask_epi8(ws) << sh;
        m.op |= (uint64_t)(uint32_t)_mm256_movemask_epi8(op) << sh;
    }
    return m;
}

/* The index of t[0..n) into out (room for n + 4 positions), 64 bytes a
 * step, the last block padded with spaces: one body for both
 * instruction sets. */
#define INDEX_BODY(classify)                                            \
    carry cy = {0, 0, 0};                                               \
    size_t k = 0;                                                       \
    uint8_t last[64];                                                   \
    for (size_t i = 0; i < n; i += 64) {                                \
        const uint8_t *p = t + i;                                       \
        if (n - i < 64) {                                               \
            memset(last, ' ', sizeof last);                             \
            memcpy(last, p, n - i);                                     \
            p = last;                                                   \
        }                                                               \
        masks m = classify(p);                                          \
        k = flatten(block_bits(m.bs, m.q, m.ws, m.op, &cy), i, out, k); \
    }                                                                   \
    return k

static size_t index_sse2(const uint8_t *t, size_t n, uint32_t *out) { INDEX_BODY(classify_sse2); }

__attribute__((target("avx2,bmi,popcnt"))) static size_t index_avx2(const uint8_t *t, size_t n, uint32_t *out) {
    INDEX_BODY(classify_avx2);
}

/* ---- the driver ---- */

typedef struct job {
    const uint8_t *text;
    size_t len;
    uint32_t *out;
    acar_doc *doc;
} job;

static size_t run_sse2(void *ctx) {
    job *j = ctx;
    return index_sse2(j->text, j->len, j->out);
}
static size_t run_avx2(void *ctx) {
    job *j = ctx;
    return index_avx2(j->text, j->len, j->out);
}

static size_t run_read(void *ctx) {
    job *j = ctx;
    acar_read_opts o;
    memset(&o, 0, sizeof o);
    o.format = ACAR_FORMAT_JSON;
    acar_err err;
    acar_doc_reset(j->doc);
    return acar_read(j->doc, j->text, j->len, &o, &err) != NULL;
}
#endif

int main(int argc, char **argv) {
    int rounds = 15, a = 1;
    double min_time = 0.02;
    for (; a < argc && strncmp(argv[a], "--", 2) == 0; a++) {
        if (strcmp(argv[a], "--rounds") == 0 && a + 1 < argc) rounds = atoi(argv[++a]);
        else if (strcmp(argv[a], "--min-time") == 0 && a + 1 < argc) min_time = atof(argv[++a]);
        else {
            fprintf(stderr, "usage: bench_json_index [--rounds N] [--min-time S] FILE.json...\n");
            return 2;
        }
    }
    if (rounds < 1 || rounds > BENCH_MAX_ROUNDS) rounds = 15;
#ifndef HAVE_X86
    fprintf(stderr, "bench_json_index: x86-64 with gcc or clang only\n");
    return 2;
#else
    bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
                __builtin_cpu_supports("popcnt");
    printf("| file | MB | index / byte | acar read MB/s | SSE2 index MB/s | SSE2 index / read time |%s\n",
           avx2 ? " AVX2 index MB/s | AVX2 index / read time |" : "");
    printf("|---|---:|---:|---:|---:|---:|%s\n", avx2 ? "---:|---:|" : "");
    int status = 0;
    for (; a < argc; a++) {
        size_t len;
        char *text = bench_read_file(argv[a], &len, 0);
        if (!text) return 1;
        uint32_t *want = malloc((len + 4) * sizeof *want), *got = malloc((len + 4) * sizeof *got);
        job j = {(const uint8_t *)text, len, got, acar_doc_new(NULL)};
        if (!want || !got || !j.doc) return 1;
        size_t nw = index_scalar(j.text, len, want);
        size_t (*const fn[2])(const uint8_t *, size_t, uint32_t *) = {index_sse2, index_avx2};
        for (int v = 0; v < (avx2 ? 2 : 1); v++) {
            size_t ng = fn[v](j.text, len, got);
            size_t at = 0;
            while (at < nw && at < ng && want[at] == got[at]) at++;
            if (ng != nw || at < nw) {
                fprintf(stderr, "%s: the %s index differs from the reference at entry %zu\n", argv[a],
                        v ? "AVX2" : "SSE2", at);
                status = 1;
            }
        }
        bool timed = run_read(&j);
        if (!timed) {
            fprintf(stderr, "%s: not JSON (acar_read fails): not timed\n", argv[a]);
            status = 1;
        }
        bench_side sides[3] = {{.run = run_read, .ctx = &j}, {.run = run_sse2, .ctx = &j}, {.run = run_avx2, .ctx = &j}};
        if (timed) bench_best_each(sides, avx2 ? 3 : 2, rounds, min_time);
        const char *name = strrchr(argv[a], '/');
        name = name ? name + 1 : argv[a];
        if (!timed) goto next;
        printf("| %s | %.2f | %.3f | %.0f | %.0f | %.2f |", name, len / 1e6, (double)nw / (double)len,
               len / sides[0].best / 1e6, len / sides[1].best / 1e6, bench_paired(&sides[1], &sides[0], rounds));
        if (avx2)
            printf(" %.0f | %.2f |", len / sides[2].best / 1e6, bench_paired(&sides[2], &sides[0], rounds));
        printf("\n");
        fflush(stdout);
    next:
        acar_doc_free(j.doc);
        free(want);
        free(got);
        free(text);
    }
    return status;
#endif
}
