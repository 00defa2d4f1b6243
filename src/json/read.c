/*
 * read.c -- the JSON reader (json.loads on bytes) and the JSON Lines reader.
 *
 * The format, as Python's json module reads it (RFC 8259 plus its quirks):
 *   value   = object | array | string | number | true | false | null
 *             | NaN | Infinity | -Infinity
 *   object  = '{' ws [ string ws ':' ws value ws { ',' ws string ws ':' ws value ws } ] '}'
 *   array   = '[' ws [ value ws { ',' ws value ws } ] ']'
 *   number  = [-] (0 | [1-9][0-9]*) [. [0-9]+] [(e|E) [+-] [0-9]+]
 *             an int unless it has a fraction or an exponent
 *   string  = '"' { any char but '"', '\' and U+0000..U+001F | escape } '"'
 *   escape  = \" \\ \/ \b \f \n \r \t | \uXXXX (a high and a low surrogate
 *             escape in a row make one character; lone ones stay lone)
 *   ws      = space, \t, \n, \r only
 * The bytes are decoded first as json.detect_encoding decides: UTF-8 (one
 * BOM allowed), UTF-16 or UTF-32, either endianness, with or without a BOM,
 * surrogates passed through.  UTF-8, by far the common case, is parsed in
 * place; the others are transcoded to UTF-8 first.
 *
 * One pass, no recursion: values wait on a value stack, and a container is
 * made at its closing bracket with one allocation holding the node, its map
 * header and its item array (and the dict's hash index).  Keys are memoized
 * by value for the whole read, as json.loads does, so equal keys are one
 * node: a dict then finds a duplicate key by pointer, the key's hash is
 * computed once per distinct key (and kept in its node: key_hash_of), and
 * sharing matches CPython's objects.
 * Errors carry json.loads' message and position: the byte offset in the
 * input, and line, column and character index as JSONDecodeError counts
 * them (characters of the decoded text).
 *
 * Two builds of this file on x86-64 with gcc or clang (CMake defines
 * ACAR_JSON_DISPATCH): this one, for every x86-64 CPU, and read_avx2.c's,
 * the same source compiled with AVX2, BMI1, BMI2 and POPCNT under other
 * names (acar__json_read_avx2, acar__jsonl_read_avx2).  This build's entry
 * points hand each read to that one where the CPU has those and the
 * environment does not set ACAR_NO_AVX2 (json_avx2), once per process:
 * a document's kept keys (keys_hook) are only ever one build's.  gcc's
 * code for the same source, with three-operand VEX instructions and BMI's
 * shifts, read the 21 benchmark files in 0.971 of the time (apache_builds
 * 0.965, github_events 0.952: docs/json-tuning.md).
 */
#ifdef ACAR_JSON_AVX2
#define acar__json_read acar__json_read_avx2
#define acar__jsonl_read acar__jsonl_read_avx2
#endif
#include "core/internal.h"
#include "num/num.h"

#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(ACAR_JSON_DISPATCH) && !defined(ACAR_JSON_AVX2) && !defined(__STDC_NO_ATOMICS__)
#include <stdatomic.h>
#endif

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Inline room for small inputs: no scratch allocation at all. */
#define VALS0 256
#define FRAMES0 32
#define MEMO0 64 /* a multiple of 64: a word of the memo's bitmap */
#define BUF0 256

/* Whitespace kept to check the next run against (skip_ws_kept): up to 16
 * bytes and a mask of them in memory order; len 0: none kept. */
typedef struct ws_kept {
    uint64_t w[2], mask[2];
    uint8_t len;
} ws_kept;

typedef struct frame {
    size_t base;  /* first item (or key) on the value stack */
    size_t at;    /* text offset of the bracket */
    bool dict;
    /* Dicts: the key met last in this one (KEY_START before the first,
     * KEY_NONE after a key outside the memo), and the first key of the last
     * dict at this depth, kept while the slot is reused: the key predicted
     * first (parse_key). */
    uint32_t prev_key, first_key;
    const struct memo_ent *guess; /* the key predicted next, or NULL */
    /* The whitespace last met at this depth before an item and before the
     * closing bracket: pretty-printed text repeats it, so the next is
     * checked against it at once.  Kept while the slot is reused by the
     * next container at the same depth. */
    ws_kept ws_item, ws_close;
    /* 128 bytes: the innermost frame, found at every value, is then a
     * shift away (at 136, numbers.json and canada.json took 2-3% more
     * instructions) */
    char pad[8];
} frame;

typedef struct memo_ent {
    acar_val *key;
    const uint8_t *bytes; /* the key's, for the prediction (parse_key) */
    uint64_t probe;  /* memo_hash of the text: finds the entry */
    uint32_t next;   /* memo slot + 1 of the key that followed this one in
                        the last dict that had both, or 0 */
    uint32_t plain_len; /* read without escapes (the text is the key's
                           bytes): its length; else 0 (never predicted) */
} memo_ent;

/* frame.prev_key besides memo slot + 1 */
#define KEY_START 0u
#define KEY_NONE UINT32_MAX

/* How the input was decoded, to map text positions back to input bytes. */
typedef enum enc {
    ENC_UTF8 = 0,
    ENC_UTF16LE,
    ENC_UTF16BE,
    ENC_UTF32LE,
    ENC_UTF32BE
} enc;

typedef struct jr {
    acar_doc *doc;
    const uint8_t *text, *end; /* the UTF-8 text being parsed */
    /* where parse_value next reports its progress to the arena, at the
     * opening of a container (end: it does not) */
    const uint8_t *next_report;
    bool strict, allow_control, no_dup, borrow;
    size_t max_depth, max_items, max_int_digits;

    acar_val **vals;     /* values and key, value pairs of open containers */
    size_t nvals, vcap;
    frame *frames;
    size_t nframes, fcap;
    size_t fready;       /* frames set up (open_frame), at most fcap */
    memo_ent *memo;      /* keys met so far, open addressing */
    uint64_t *memo_used; /* a bit per slot of memo: in use */
    size_t memo_n, memo_cap;
    unsigned memo_shift; /* 64 - log2(memo_cap): slots come from the top bits */
    uint8_t *buf;        /* decoded text of a string with escapes */
    size_t buf_cap;
    size_t scratch;      /* scratch bytes held, counted against max_memory */
    struct kept_keys *keys; /* the memo and its keys kept by the document,
                               or NULL: the memo is this read's */
    bool keys_broken;    /* a key of this read is not in them: drop them */

    /* '' and the one-character strs below U+0100 made so far: a bit per
     * slot of single[] (single_made0 and single0, or the kept keys') */
    uint64_t *single_made;
    acar_val **single;
    uint64_t single_made0[5];

    /* The bytes between a key and its value (':', ': ', ' : ', up to 7)
     * as last met where they changed, in a word and a mask of them in
     * memory order; len 1 (':') to start with.  Every key's are checked
     * against them first (after_key). */
    uint64_t colon_w, colon_mask;
    size_t colon_len;

    /* the error, position in text; formatted once at the end */
    acar_code code;
    size_t epos;
    int ekind;           /* EK_* */

    /* Not cleared by jr_init (clearing was half of reading a tiny text):
     * each is written before it is read. */
    char emsg[ACAR_ERR_MSG_MAX];
    /* '' and the one-character strs below U+0100: one node each, as CPython
     * shares its singletons (index 256 is ''); valid where single_made
     * says */
    acar_val *single0[257];
    acar_val *vals0[VALS0];
    frame frames0[FRAMES0];
    memo_ent memo0[MEMO0];  /* the memo's first entries */
    uint64_t memo0_used[MEMO0 / 64]; /* and their bitmap */
    uint8_t buf0[BUF0];
} jr;

enum {
    EK_PY = 1,   /* JSONDecodeError's msg, word for word */
    EK_PLAIN     /* acar's own (limits, strict mode, memory) */
};

/* ---- errors ---- */

#if defined(__GNUC__) || defined(__clang__)
#define COLD __attribute__((cold, noinline))
#define HOT_INLINE inline __attribute__((always_inline))
#define NOINLINE __attribute__((noinline))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define COLD
#define HOT_INLINE inline
#define NOINLINE
#define LIKELY(x) (x)
#define UNLIKELY(x) (x)
#endif

static COLD void *fail_at(jr *r, acar_code code, const uint8_t *at, int kind, const char *fmt, ...) {
    if (r->code == ACAR_OK) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->emsg, sizeof r->emsg, fmt, ap);
        va_end(ap);
        r->code = code;
        r->epos = (size_t)(at - r->text);
        r->ekind = kind;
    }
    return NULL;
}

/* json.loads' own errors; TRUNCATED when the text ended where more was due. */
static COLD void *py_fail(jr *r, const uint8_t *at, const char *msg) {
    return fail_at(r, at >= r->end ? ACAR_ERR_TRUNCATED : ACAR_ERR_MALFORMED, at, EK_PY, "%s", msg);
}

static COLD void *unterminated(jr *r, const uint8_t *open) {
    return fail_at(r, ACAR_ERR_TRUNCATED, open, EK_PY, "Unterminated string starting at");
}

static COLD void *expecting_value(jr *r, const uint8_t *at) { return py_fail(r, at, "Expecting value"); }

/* An arena failure: the doc recorded why (NOMEM, or LIMIT for max_memory). */
static COLD void *fail_doc(jr *r, const uint8_t *at) {
    const acar_err *e = acar_doc_error(r->doc);
    return fail_at(r, e ? e->code : ACAR_ERR_NOMEM, at, EK_PLAIN, "%s", e ? e->msg : "out of memory");
}

/* ---- scratch memory (acar__scratch, counted against max_memory) ---- */

/* Grows (or first allocates) a scratch block of old bytes to size bytes.
 * A block still in the reader's inline storage (p == inl, or NULL) moves
 * out, copying what fits. */
static void *scratch_grow(jr *r, void *p, const void *inl, size_t old, size_t size, const uint8_t *at) {
    acar_code why = ACAR_ERR_NOMEM;
    void *q = acar__scratch(r->doc, &r->scratch, p, inl, old, size, &why);
    if (!q) {
        if (why == ACAR_ERR_LIMIT)
            return fail_at(r, ACAR_ERR_LIMIT, at, EK_PLAIN,
                           "reading needs more than %zu bytes of memory (max_memory)", r->doc->limits.max_memory);
        return fail_at(r, ACAR_ERR_NOMEM, at, EK_PLAIN, "out of memory");
    }
    return q;
}

static inline void scratch_release(jr *r, void *p, void *inline_block, size_t size) {
    acar__scratch_free(r->doc, &r->scratch, p, inline_block, size);
}

static COLD int grow_vals(jr *r, const uint8_t *at) {
    size_t cap = r->vcap * 2;
    if (cap > SIZE_MAX / sizeof(uint64_t)) { fail_at(r, ACAR_ERR_NOMEM, at, EK_PLAIN, "out of memory"); return -1; }
    acar_val **v = scratch_grow(r, r->vals, r->vals0, r->vcap * sizeof *v, cap * sizeof *v, at);
    if (!v) return -1;
    r->vals = v;
    r->vcap = cap;
    return 0;
}

/* The frame of a depth met for the first time (nframes == fready): set
 * up, no key and no whitespace kept, growing the frames first if full.
 * Frames are set up as the text goes deeper, not all at the start: that
 * was a fifth of reading a tiny text. */
static COLD int open_frame(jr *r, const uint8_t *at) {
    if (r->fready == r->fcap) {
        size_t cap = r->fcap * 2;
        frame *f = scratch_grow(r, r->frames, r->frames0, r->fcap * sizeof *f, cap * sizeof *f, at);
        if (!f) return -1;
        r->frames = f;
        r->fcap = cap;
    }
    memset(&r->frames[r->fready++], 0, sizeof *r->frames);
    return 0;
}

/* Room for n more bytes in the string buffer, len bytes of it in use. */
static COLD int grow_buf(jr *r, size_t len, size_t n, const uint8_t *at) {
    size_t cap = r->buf_cap;
    if (n > SIZE_MAX / 4 - len) { fail_at(r, ACAR_ERR_NOMEM, at, EK_PLAIN, "out of memory"); return -1; }
    while (cap < len + n) cap *= 2;
    uint8_t *b = scratch_grow(r, r->buf, r->buf0, r->buf_cap, cap, at);
    if (!b) return -1;
    r->buf = b;
    r->buf_cap = cap;
    return 0;
}

/* ---- scanning ---- */

static inline bool is_ws(uint8_t c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

#if defined(__SSE2__)
static inline unsigned ctz32(uint32_t x) {
#if defined(__GNUC__) || defined(__clang__)
    return (unsigned)__builtin_ctz(x);
#else
    unsigned n = 0;
    while (!(x & 1)) { x >>= 1; n++; }
    return n;
#endif
}
#endif

static inline unsigned ctz64(uint64_t x) {
#if defined(__GNUC__) || defined(__clang__)
    return (unsigned)__builtin_ctzll(x);
#else
    unsigned n = 0;
    while (!(x & 1)) { x >>= 1; n++; }
    return n;
#endif
}

/* Past whitespace at p.  Minified text mostly has none: one test.  A
 * vector scan of indentation measured slower (citm_catalog -15%): the
 * branches of this loop predict well on regular indentation, and a
 * predicted branch does not wait for the scan's result as the next
 * load's address does. */
static inline const uint8_t *skip_ws(const uint8_t *p, const uint8_t *end) {
    if (LIKELY(p < end && *p > ' ')) return p;
    /* one space, as around json.dumps' ': ' and after its ', ' */
    if (end - p >= 2 && *p == ' ' && p[1] > ' ') return p + 1;
    while (p < end && is_ws(*p)) {
        p++;
        /* Indented text: runs of spaces eight at a time, and the rest of
         * the run from the word that ends it (on little-endian machines;
         * byte by byte before, the last few spaces of deep indentation
         * went round the outer loop one each) */
        while (end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            uint64_t x = w ^ 0x2020202020202020ull;
            if (x) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                p += ctz64(x) / 8;
#endif
                break;
            }
            p += 8;
        }
    }
    return p;
}

/* The 16 bytes at p are spaces. */
static inline bool spaces16(const uint8_t *p) {
    uint64_t a, b;
    memcpy(&a, p, 8);
    memcpy(&b, p + 8, 8);
    return ((a ^ 0x2020202020202020ull) | (b ^ 0x2020202020202020ull)) == 0;
}

/* The whitespace at p (at least 17 bytes before the end; p itself
 * whitespace) is k's and ends there.  (With nothing kept the masks are 0
 * and p is no end.)  A run of 17 to 32 bytes is kept as its first 16
 * and a length, the rest spaces (ws_keep): deep indentation, as
 * citm_catalog's at four spaces a level. */
static HOT_INLINE bool ws_kept_at(const ws_kept *k, const uint8_t *p, const uint8_t *end) {
    uint64_t a, b;
    memcpy(&a, p, 8);
    memcpy(&b, p + 8, 8);
    if ((((a ^ k->w[0]) & k->mask[0]) | ((b ^ k->w[1]) & k->mask[1])) != 0) return false;
    if (LIKELY(k->len <= 16)) return p[k->len] > ' ';
    return end - p > 32 && spaces16(p + k->len - 16) && p[k->len] > ' ';
}

/* skip_ws from p (at least 17 bytes before the end), keeping the run in k
 * for ws_kept_at when it is 16 bytes or less, or up to 32 ending in 16
 * spaces. */
static HOT_INLINE const uint8_t *ws_keep(ws_kept *k, const uint8_t *p, const uint8_t *end) {
    const uint8_t *q = skip_ws(p, end);
    size_t n = (size_t)(q - p);
    if (n <= 32 && (n <= 16 || spaces16(q - 16))) {
        uint8_t m[16];
        size_t h = n < 16 ? n : 16;
        memset(m, 0xff, h);
        memset(m + h, 0, 16 - h);
        memcpy(&k->mask[0], m, 8);
        memcpy(&k->mask[1], m + 8, 8);
        memcpy(&k->w[0], p, 8);
        memcpy(&k->w[1], p + 8, 8);
        k->len = (uint8_t)n;
    } else {
        k->len = 0;
    }
    return q;
}

/* skip_ws where the whitespace of the same place at the same depth was
 * last k: before an item of a container (after its bracket or a comma) or
 * before its closing bracket.  Indented text repeats it: when the text
 * matches, no loop runs and the next position does not wait for a scan
 * (measured on apache_builds.json, pretty-printed: the whitespace loop was
 * a quarter of the read). */
static HOT_INLINE const uint8_t *skip_ws_kept(ws_kept *k, const uint8_t *p, const uint8_t *end) {
    if (LIKELY(p < end && *p > ' ')) return p;
    if (end - p <= 16) return skip_ws(p, end);
    /* one space kept (json.dumps' ', '): two byte tests, not the masked
     * compare of two words.  Instructions per read: json.dumps(obj) of
     * canada, citm_catalog, twitter -3.1%, -2.6%, -1.6%, and mesh.json
     * -5.0%; the indented files pay the length test, +0.2% to +1.2% */
    if (k->len == 1 && *p == ' ' && p[1] > ' ') return p + 1;
    if (ws_kept_at(k, p, end)) return p + k->len;
    return ws_keep(k, p, end);
}

/* Past the comma at p (at least 18 bytes before the end) and the
 * whitespace after it, the last of which at this place was k: the comma
 * right after the value, then compact text, json.dumps' ', ' and the kept
 * whitespace of indented text each tested at once, with no test for
 * whitespace before the comma and none of room for each. */
static HOT_INLINE const uint8_t *past_comma(ws_kept *k, const uint8_t *p, const uint8_t *end) {
    if (p[1] > ' ') return p + 1;
    if (p[1] == ' ' && p[2] > ' ') return p + 2;
    if (ws_kept_at(k, p + 1, end)) return p + 1 + k->len;
    return ws_keep(k, p + 1, end);
}

/* The first byte at or after q that is '"', '\\', below 0x20 or above
 * 0x7f, or end.  Sixteen bytes at a time with SSE2 (a signed compare with
 * 0x20 catches both control and non-ASCII bytes), else eight with the
 * has-zero-byte trick; the lowest flagged byte is exact in both. */
#if defined(__SSE2__)
/* A bit for each byte of v that is '"', '\\', below 0x20 or above 0x7f
 * (scan_plain's bytes; str_slow's copy of plain text stops at them too). */
static inline unsigned plain_stops16(__m128i v) {
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), space = _mm_set1_epi8(' ');
    return (unsigned)_mm_movemask_epi8(
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)), _mm_cmplt_epi8(v, space)));
}
#endif

static inline const uint8_t *scan_plain(const uint8_t *q, const uint8_t *end) {
#if defined(__SSE2__)
    while (end - q >= 16) {
        unsigned mask = plain_stops16(_mm_loadu_si128((const __m128i *)(const void *)q));
        if (mask) return q + ctz32(mask);
        q += 16;
    }
#endif
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    while (end - q >= 8) {
        uint64_t w;
        memcpy(&w, q, 8);
        uint64_t xq = w ^ (ones * '"'), xb = w ^ (ones * '\\');
        uint64_t t = ((xq - ones) & ~xq) | ((xb - ones) & ~xb) | ((w - ones * 0x20) & ~w) | w;
        t &= highs;
        if (t) {
            /* Byte order: the lowest address is the lowest byte on little
             * endian machines only; elsewhere find it byte by byte. */
            const uint16_t probe = 1;
            uint8_t le;
            memcpy(&le, &probe, 1);
            if (le) return q + ctz64(t) / 8;
            break;
        }
        q += 8;
    }
    while (q < end && *q != '"' && *q != '\\' && *q >= 0x20 && *q < 0x80) q++;
    return q;
}

/* The first byte at or after q that is '"', '\\' or below 0x20, or end:
 * scan_plain that passes non-ASCII bytes (they are checked as a run by
 * text_run). */
static inline const uint8_t *scan_text(const uint8_t *q, const uint8_t *end) {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), ctl = _mm_set1_epi8(0x1f);
    while (end - q >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)q);
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                                 _mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v));
        unsigned mask = (unsigned)_mm_movemask_epi8(m);
        if (mask) return q + ctz32(mask);
        q += 16;
    }
#endif
    while (q < end && *q != '"' && *q != '\\' && *q >= 0x20) q++;
    return q;
}

/* Length of the UTF-8 sequence at q (lead byte >= 0x80), or 0 when it is
 * not one.  Encoded surrogates pass (json.loads decodes with surrogatepass)
 * unless strict; *sur tells that one was met. */
static inline size_t utf8_len(const uint8_t *q, const uint8_t *end, bool *sur) {
    uint8_t c = q[0];
    size_t avail = (size_t)(end - q);
    if (c < 0xc2) return 0;
    if (c < 0xe0) return avail >= 2 && (q[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c < 0xf0) {
        if (avail < 3 || (q[1] & 0xc0) != 0x80 || (q[2] & 0xc0) != 0x80) return 0;
        if (c == 0xe0 && q[1] < 0xa0) return 0;
        if (c == 0xed && q[1] >= 0xa0) *sur = true;
        return 3;
    }
    if (c < 0xf5) {
        if (avail < 4 || (q[1] & 0xc0) != 0x80 || (q[2] & 0xc0) != 0x80 || (q[3] & 0xc0) != 0x80) return 0;
        if (c == 0xf0 && q[1] < 0x90) return 0;
        if (c == 0xf4 && q[1] >= 0x90) return 0;
        return 4;
    }
    return 0;
}

/* Checks the text from run (a non-ASCII byte) to stop (a quote, backslash
 * or control byte, or the end): valid UTF-8, and no encoded surrogate when
 * strict.  One vector check where it passes; the character walk only to
 * name the bad byte, or when strict. */
static COLD int text_run_slow(jr *r, const uint8_t *run, const uint8_t *stop) {
    for (const uint8_t *q = run; q < stop;) {
        if (*q < 0x80) {
            q++;
            continue;
        }
        bool sur = false;
        size_t k = utf8_len(q, stop, &sur);
        if (k == 0) {
            fail_at(r, ACAR_ERR_MALFORMED, q, EK_PLAIN, "invalid UTF-8");
            return -1;
        }
        if (sur && r->strict) {
            fail_at(r, ACAR_ERR_MALFORMED, q, EK_PLAIN,
                    "lone surrogate in the UTF-8 text (not allowed with ACAR_READ_STRICT)");
            return -1;
        }
        q += k;
    }
    return 0;
}

static inline int text_run(jr *r, const uint8_t *run, const uint8_t *stop) {
    if (LIKELY(!r->strict) && acar__utf8_valid_rest(run, (size_t)(stop - run), (size_t)(r->end - run))) return 0;
    return text_run_slow(r, run, stop);
}

/* From run (a non-ASCII byte) to the next quote, backslash or control
 * byte, or the end: that position, with the bytes before it checked as
 * text_run checks them; NULL on an error.  Text whose non-ASCII bytes are
 * all two-byte sequences (Latin, Greek, Cyrillic, Hebrew, Arabic ...) is
 * checked in the scan's own pass, from masks of the bytes in 16: each lead
 * C2..DF followed by one continuation 80..BF, every continuation after a
 * lead, and no other byte above 7F.  At the first block with anything else
 * the run goes to scan_text and text_run.  (The call to text_run and its
 * lookups were a fifth of reading repeat.json, whose Cyrillic names are 26
 * bytes long.  Three-byte sequences checked here too read twitter.json's
 * Japanese no faster, and repeat.json 3% slower, than text_run does.) */
static inline const uint8_t *text_scan(jr *r, const uint8_t *run, const uint8_t *end) {
    const uint8_t *q = run;
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), ctl = _mm_set1_epi8(0x1f);
    const __m128i c0 = _mm_set1_epi8((char)0xc0), c1 = _mm_set1_epi8((char)0xc1), e0 = _mm_set1_epi8((char)0xe0);
    unsigned carry = 0; /* the last block ended in a lead byte */
    while (end - q >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)q);
        unsigned stop = (unsigned)_mm_movemask_epi8(_mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
            _mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v)));
        /* signed: 80..BF < C0 < C1 < C2..DF < E0 < 00..7F */
        unsigned high = (unsigned)_mm_movemask_epi8(v);
        unsigned cont = (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(v, c0));
        unsigned lead = (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpgt_epi8(v, c1), _mm_cmplt_epi8(v, e0)));
        unsigned keep = stop ? (stop & -stop) - 1 : 0xffffu;
        high &= keep;
        cont &= keep;
        lead &= keep;
        /* a lead just before the stop calls for a continuation that is not
         * there: a bit at or past the stop */
        unsigned want = lead << 1 | carry;
        if (((lead | cont) ^ high) != 0 || (want & (stop ? 0x1ffffu : 0xffffu)) != cont) break;
        if (stop) return q + ctz32(stop);
        carry = want >> 16;
        q += 16;
    }
#endif
    q = scan_text(q, end);
    return text_run(r, run, q) < 0 ? NULL : q;
}

/* A hex digit's value shifted into place for each of the four digits of
 * a \uXXXX escape; 0xffff0000 for any other byte, so that the four ORed
 * are past 0xffff when one is not a digit (four loads and three ORs:
 * with a table of values + 1, subtracted, tested and shifted one by one,
 * the escape took a quarter more instructions) */
#define HEXV(c) ((c) >= '0' && (c) <= '9' ? (c) - '0' : (c) >= 'a' && (c) <= 'f' ? (c) - 'a' + 10 \
                 : (c) >= 'A' && (c) <= 'F' ? (c) - 'A' + 10 : -1)
#define HX1(c, sh) (HEXV(c) < 0 ? 0xffff0000u : (uint32_t)HEXV(c) << (sh))
#define HX4(c, sh) HX1(c, sh), HX1((c) + 1, sh), HX1((c) + 2, sh), HX1((c) + 3, sh)
#define HX16(c, sh) HX4(c, sh), HX4((c) + 4, sh), HX4((c) + 8, sh), HX4((c) + 12, sh)
#define HX64(c, sh) HX16(c, sh), HX16((c) + 16, sh), HX16((c) + 32, sh), HX16((c) + 48, sh)
#define HX256(sh) HX64(0, sh), HX64(64, sh), HX64(128, sh), HX64(192, sh)
static const uint32_t hex_digit[4][256] = {{HX256(12)}, {HX256(8)}, {HX256(4)}, {HX256(0)}};
#undef HX256
#undef HX64
#undef HX16
#undef HX4
#undef HX1
#undef HEXV

/* Four hex digits at q (caller checked there are four), or -1. */
static inline long hex4(const uint8_t *q) {
    uint32_t v = hex_digit[0][q[0]] | hex_digit[1][q[1]] | hex_digit[2][q[2]] | hex_digit[3][q[3]];
    return v > 0xffff ? -1 : (long)v;
}

/* What the two-character escape \e stands for; 0 for \u and bad escapes. */
static const uint8_t unescape[256] = {
    ['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b', ['f'] = '\f', ['n'] = '\n', ['r'] = '\r', ['t'] = '\t'};

static inline size_t put_utf8(uint8_t *o, uint32_t cp) {
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

/* ---- strings ---- */

/* The tag of a str node of n bytes: ASCII or not, and read as it is in the
 * text (such text holds no quote, backslash or control byte: scan_str). */
static inline uint64_t str_tag(bool ascii, bool in_text, size_t n) {
    return ACAR_TAG(ACAR_STR, (ascii ? ACAR_F_ASCII : 0) | (in_text ? ACAR_F_JSON_PLAIN : 0), n);
}

/* A str node over s[0..n): node and bytes in one block, or the node alone
 * pointing into the input when borrowing.  in_text: s is in the input
 * (not the unescaped copy in r->buf).  Inlined into its callers: as a call
 * it read apache_builds.json 10% and repeat.json 7% slower. */
static HOT_INLINE acar_val *str_node(jr *r, const uint8_t *s, size_t n, bool ascii, bool borrow, bool in_text,
                                     const uint8_t *at) {
    if (UNLIKELY(n > ACAR_MAX_LEN)) return fail_at(r, ACAR_ERR_LIMIT, at, EK_PLAIN, "string too long");
    acar_val *v;
    if (borrow || n == 0) {
        v = acar__alloc(r->doc, sizeof *v);
        if (UNLIKELY(!v)) return fail_doc(r, at);
        v->u.s = n ? (const char *)s : "";
    } else if (n <= 32 && in_text && r->end - s >= 32 &&
               (size_t)(r->doc->end - r->doc->cur) >= sizeof *v + 32) {
        /* Text of up to 32 bytes in the input, and room for 32 after the
         * node in the arena's chunk: a fixed 32-byte copy instead of a libc
         * call per string, the bytes past the text left for the next
         * allocation to overwrite (update-center.json +8%, citm_catalog
         * +4%, 1.6% over the 21 files). */
        v = acar__alloc(r->doc, sizeof *v + n);
        memcpy(v + 1, s, 32);
        v->u.s = (const char *)(v + 1);
    } else {
        if (UNLIKELY(n > SIZE_MAX - 2 * sizeof *v)) return fail_at(r, ACAR_ERR_NOMEM, at, EK_PLAIN, "out of memory");
        v = acar__alloc(r->doc, sizeof *v + n);
        if (UNLIKELY(!v)) return fail_doc(r, at);
        memcpy(v + 1, s, n);
        v->u.s = (const char *)(v + 1);
    }
    v->tag = str_tag(ascii, in_text, n);
    return v;
}

/* The rest of a string that has escapes, from q (at a backslash), decoded
 * into r->buf after the n bytes already there.  Returns the end (past the
 * closing quote) or NULL.  On a 64-byte line of its own, as parse_value:
 * where the linker put the two moved twitterescaped.json's read by up to
 * 13% (parse_value at 16 bytes past a line and str_slow at 48) when other
 * code changed.  Over the 21 benchmark files, parse_value's place made
 * less than 1% (four offsets measured). */
ACAR_LINE_ALIGNED static const uint8_t *str_slow(jr *r, const uint8_t *open, const uint8_t *q, size_t *np,
                                                 bool *ascii) {
    const uint8_t *end = r->end;
    size_t n = *np;
    for (;;) {
        /* q is at a backslash, a quote, a control or a non-ASCII byte. */
        if (q >= end) return unterminated(r, open);
        uint8_t c = *q;
        if (c == '"') break;
        if (c == '\\') {
            if (end - q < 2) return unterminated(r, open);
            if (UNLIKELY(r->buf_cap - n < 4) && grow_buf(r, n, 4, q) < 0) return NULL;
            /* tables, not a switch: its jump mispredicted on text that is
             * all escapes (a fifth of reading twitterescaped.json) */
            uint8_t e = q[1], out = unescape[e];
            if (out) {
                r->buf[n++] = out;
                q += 2;
            } else if (e == 'u') {
                long cp;
                /* A run of escapes of characters from U+0080 up, not
                 * surrogates (other scripts as ensure_ascii writes them),
                 * one after another here; the rest, and what ends the run,
                 * below.  (json.loads wants a character after the four
                 * digits: seven bytes.) */
                while (end - q >= 7 && (cp = hex4(q + 2)) >= 0x80 && (cp < 0xd800 || cp > 0xdfff)) {
                    n += put_utf8(r->buf + n, (uint32_t)cp);
                    *ascii = false;
                    q += 6;
                    if (end - q < 2 || q[0] != '\\' || q[1] != 'u' || r->buf_cap - n < 4) goto escaped;
                }
                if (end - q < 7) return py_fail(r, q + 1, "Invalid \\uXXXX escape");
                cp = hex4(q + 2);
                if (cp < 0) return py_fail(r, q + 1, "Invalid \\uXXXX escape");
                const uint8_t *esc = q;
                q += 6;
                if (cp >= 0xd800 && cp <= 0xdbff && end - q >= 7 && q[0] == '\\' && q[1] == 'u') {
                    long lo = hex4(q + 2);
                    if (lo < 0) return py_fail(r, q + 1, "Invalid \\uXXXX escape");
                    if (lo >= 0xdc00 && lo <= 0xdfff) {
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                        q += 6;
                    }
                }
                if (cp >= 0xd800 && cp <= 0xdfff && r->strict)
                    return fail_at(r, ACAR_ERR_MALFORMED, esc, EK_PLAIN,
                                   "lone surrogate \\u%04lx (not allowed with ACAR_READ_STRICT)", cp);
                if (cp >= 0x80) *ascii = false;
                n += put_utf8(r->buf + n, (uint32_t)cp);
            } else {
                return py_fail(r, q, "Invalid \\escape");
            }
        escaped:
            if (q < end && *q == '\\') continue; /* escapes in a row */
        } else if (c < 0x20) {
            if (!r->allow_control) return py_fail(r, q, "Invalid control character at");
            if (UNLIKELY(r->buf_cap - n < 1) && grow_buf(r, n, 1, q) < 0) return NULL;
            r->buf[n++] = c;
            q++;
        } else {
            /* text up to the next quote, backslash or control byte,
             * checked, then copied whole (one by one it was 14% of
             * reading twitter.json: tweets in Japanese with a newline
             * escape early on) */
            const uint8_t *run = q;
            if (!(q = text_scan(r, run, end))) return NULL;
            *ascii = false;
            size_t k = (size_t)(q - run);
            if (UNLIKELY(r->buf_cap - n < k) && grow_buf(r, n, k, run) < 0) return NULL;
            memcpy(r->buf + n, run, k);
            n += k;
        }
#if defined(__SSE2__)
        /* The plain text that follows, copied sixteen bytes at a time as
         * it is scanned (as scan_plain), while sixteen can be read and
         * written.  A scan then a copy of each run between two escapes
         * (twitter_timeline.json's URLs, 'http:\/\/t.co\/...') took
         * a libc call a run: A/B, twitter_timeline 5% and gsoc-2018 4%
         * faster, twitterescaped 3%. */
        for (;;) {
            size_t in = (size_t)(end - q), out = r->buf_cap - n;
            for (size_t room = in < out ? in : out; room >= 16; room -= 16) {
                __m128i v = _mm_loadu_si128((const __m128i *)(const void *)q);
                _mm_storeu_si128((__m128i *)(void *)(r->buf + n), v);
                unsigned mask = plain_stops16(v);
                if (mask) {
                    unsigned k = ctz32(mask);
                    q += k;
                    n += k;
                    goto stop;
                }
                q += 16;
                n += 16;
            }
            break;
        stop:
            /* A two-byte escape ('\/', '\n', ...) decoded here and the
             * copy goes on, rather than round the loop above for each
             * (twitter_timeline.json: 851 a read, most of them '\/' in
             * URLs).  Room for its byte: the copy stopped within 16
             * bytes it had room for. */
            if (*q == '\\' && end - q >= 2 && unescape[q[1]]) {
                r->buf[n++] = unescape[q[1]];
                q += 2;
                continue;
            }
            goto scanned;
        }
#endif
        {
            const uint8_t *s = q;
            q = scan_plain(q, end);
            size_t run = (size_t)(q - s);
            if (run) {
                if (UNLIKELY(r->buf_cap - n < run) && grow_buf(r, n, run, s) < 0) return NULL;
                memcpy(r->buf + n, s, run);
                n += run;
            }
        }
#if defined(__SSE2__)
    scanned:;
#endif
    }
    *np = n;
    return q + 1;
}

/* Scans the string opening at *pp (a quote).  Inlined into both callers
 * (values and keys): twitter.json 1700 -> 1950 MB/s, citm_catalog 2650 ->
 * 2830, update-center 1450 -> 1730.  On success *pp is past its
 * closing quote and the bytes are at *s (the input, or r->buf when it had
 * escapes, *esc then set), *n long. */
static HOT_INLINE int scan_str(jr *r, const uint8_t **pp, const uint8_t **s, size_t *n, bool *ascii,
                           bool *esc) {
    const uint8_t *open = *pp, *start = open + 1, *end = r->end, *q = start;
    *ascii = true;
    *esc = false;
    for (;;) {
        q = scan_plain(q, end);
        if (UNLIKELY(q >= end)) { unterminated(r, open); return -1; }
        uint8_t c = *q;
        if (LIKELY(c == '"')) break;
        if (c >= 0x80) {
            /* Non-ASCII text: on to the next quote, backslash or control
             * byte, checked as one run. */
            if (UNLIKELY(!(q = text_scan(r, q, end)))) return -1;
            *ascii = false;
            continue;
        }
        if (c < 0x20 && !r->allow_control) { py_fail(r, q, "Invalid control character at"); return -1; }
        /* A backslash, or a control byte json.loads(strict=False) takes:
         * the rest goes through the buffer (so that text read as it is
         * never holds a control byte: ACAR_F_JSON_PLAIN). */
        size_t len = (size_t)(q - start);
        if (len > r->buf_cap && grow_buf(r, 0, len, q) < 0) return -1;
        memcpy(r->buf, start, len);
        const uint8_t *after = str_slow(r, open, q, &len, ascii);
        if (!after) return -1;
        *pp = after;
        *s = r->buf;
        *n = len;
        *esc = true;
        return 0;
    }
    *pp = q + 1;
    *s = start;
    *n = (size_t)(q - start);
    return 0;
}

/* The slot of a str that CPython makes a shared singleton ('' and one
 * character below U+0100), or -1. */
static inline int single_slot(const uint8_t *s, size_t n) {
    if (n == 0) return 256;
    if (n == 1) return s[0];
    if (n == 2 && (s[0] == 0xc2 || s[0] == 0xc3)) return (s[0] & 0x1f) << 6 | (s[1] & 0x3f);
    return -1;
}

/* ---- the key memo a document keeps through acar_doc_reset ----
 *
 * A document read into again and again (acar_doc_reset between reads, the
 * documented way to read many inputs) keeps the memo of the keys it met,
 * their nodes and the singleton strs, from its second JSON read on: keys
 * met before are found, and predicted from the keys that followed them
 * last time, instead of each read making its own.  A new key's first
 * meeting, and the key after it, were most of what a read of the 10-15 KB
 * Twitter API files did beyond scanning.  The nodes live in blocks of the
 * kept keys' own (never in the input, whatever ACAR_READ_BORROW says), all
 * counted in acar_doc_memory and against max_memory; past KEYS_MAX_BYTES
 * of blocks or KEYS_MAX_SLOTS memo slots, or when a block cannot be had,
 * they are let go: their memo at the end of the read, their nodes (which
 * the document's values use) at the next acar_doc_reset, and the read
 * after that starts over. */
#define KEYS_BLOCK 16384
#define KEYS_MAX_BYTES ((size_t)1 << 20)
#define KEYS_MAX_SLOTS 16384
#define KEYS_FRAMES 16
_Static_assert(KEYS_FRAMES <= FRAMES0, "kept frames are copied into the inline ones");

typedef struct keys_block {
    struct keys_block *next;
    size_t size;
} keys_block;

typedef struct kept_keys {
    memo_ent *memo; /* memo_bytes(cap) with its bitmap */
    size_t cap, n;
    keys_block *blocks; /* newest first; nodes from cur to end */
    char *cur, *end;
    size_t bytes;       /* of the blocks */
    bool drop;          /* let go at the next acar_doc_reset (memo gone) */
    size_t nframes;     /* of frames */
    size_t vcap;        /* the value stack's size when the last read ended */
    uint64_t single_made[5];
    acar_val *single[257];
    /* The first frames as the last read left them: what they keep from
     * container to container at their depth (the first key, the
     * whitespace) holds from read to read too */
    frame frames[KEYS_FRAMES];
} kept_keys;

static size_t memo_bytes(size_t cap);

/* The memo's probe hash of a key's n bytes, from which its acar__hash
 * (acar__hash_bytes) follows with no second pass over the bytes
 * (key_hash).  Short keys (most are) are acar__hash_short_raw: one or two
 * independent products, the slot from the top bits, ready a few cycles
 * after the text (byte by byte it was 5-9% of reading twitter,
 * citm_catalog and update-center; three products in a row, 8% of
 * twitter; acar__hash with its finaliser on every key, 4%).  Longer keys
 * are acar__hash_long_inline (as a call: twitter.json's 20-30 byte keys
 * 6% slower). */
static inline uint64_t memo_hash(const uint8_t *s, size_t n) {
    if (n <= 16) return acar__hash_short_raw((const char *)s, n);
    return acar__hash_long_inline((const char *)s, n);
}

/* acar__hash of a str key of n bytes whose memo_hash is ph. */
static inline uint64_t key_hash(uint64_t ph, size_t n) {
    return n <= 16 ? acar__mix64(ph) : ph;
}

/* A key's node, and a singleton str's (which may be a key): the str node,
 * then the key's acar__hash, then its bytes (none when borrowed), so that
 * a dict's index is made from its keys alone (key_hash_of), with no stack
 * of hashes beside the values. */
#define KEY_NODE_BYTES (sizeof(acar_val) + sizeof(uint64_t))

static inline uint64_t key_hash_of(const acar_val *k) {
    uint64_t h;
    memcpy(&h, k + 1, sizeof h);
    return h;
}

/* The key node of the n bytes s (copied unless borrowed) at p, which has
 * KEY_NODE_BYTES and, copied, n more; flagged as str_node flags it. */
static acar_val *key_node_at(void *p, const uint8_t *s, size_t n, bool copy, bool ascii, bool in_text,
                             uint64_t h) {
    acar_val *v = p;
    char *b = (char *)(v + 1) + sizeof h;
    bool copied = copy && n; /* (an empty one's bytes are "") */
    memcpy(v + 1, &h, sizeof h);
    if (copied) memcpy(b, s, n);
    v->u.s = !n ? "" : copied ? b : (const char *)s;
    v->tag = str_tag(ascii, in_text, n) | (copied ? (uint64_t)ACAR_F_TAIL << 8 : 0);
    return v;
}

static void keys_free(acar_doc *doc, kept_keys *k) {
    while (k->blocks) {
        keys_block *b = k->blocks;
        k->blocks = b->next;
        acar__kept_block(doc, b, sizeof *b + b->size, 0);
    }
    if (k->memo) acar__kept_block(doc, k->memo, memo_bytes(k->cap), 0);
    acar__kept_block(doc, k, sizeof *k, 0);
}

/* doc->kept_hook of the kept keys: they go with the document, and at a
 * reset when a read let them go. */
static void keys_hook(acar_doc *doc, bool freeing) {
    kept_keys *k = doc->kept;
    if (!freeing && !k->drop) return;
    keys_free(doc, k);
    doc->kept = NULL;
    doc->kept_hook = NULL;
}

/* A key node of the kept keys for the n bytes s (copied), whose hash is
 * h; NULL when it cannot be had. */
static acar_val *keys_str(jr *r, const uint8_t *s, size_t n, bool ascii, bool in_text, uint64_t h) {
    kept_keys *k = r->keys;
    size_t size = (KEY_NODE_BYTES + n + 7) & ~(size_t)7;
    if ((size_t)(k->end - k->cur) < size) {
        /* the block's last ACAR_ARENA_TAIL bytes are given to no key, as
         * the arena's (ACAR_F_TAIL) */
        size_t bsize = size + ACAR_ARENA_TAIL > KEYS_BLOCK ? size + ACAR_ARENA_TAIL : KEYS_BLOCK;
        if (k->bytes + bsize > KEYS_MAX_BYTES) return NULL;
        keys_block *b = acar__kept_block(r->doc, NULL, 0, sizeof *b + bsize);
        if (!b) return NULL;
        b->next = k->blocks;
        b->size = bsize;
        k->blocks = b;
        k->bytes += bsize;
        k->cur = (char *)(b + 1);
        k->end = k->cur + bsize - ACAR_ARENA_TAIL;
    }
    acar_val *v = key_node_at(k->cur, s, n, true, ascii, in_text, h);
    k->cur += size;
    return v;
}

/* A key node for the memo (a key, or a singleton str), whose hash is h:
 * the kept keys' when the read has them, else, and when they cannot give
 * one (they are then let go at the read's end), from the arena. */
static acar_val *memo_str(jr *r, const uint8_t *s, size_t n, bool ascii, bool borrow, bool in_text,
                          uint64_t h, const uint8_t *at) {
    if (r->keys) {
        acar_val *v = keys_str(r, s, n, ascii, in_text, h);
        if (v) return v;
        r->keys_broken = true;
    }
    if (UNLIKELY(n > ACAR_MAX_LEN)) return fail_at(r, ACAR_ERR_LIMIT, at, EK_PLAIN, "string too long");
    void *p = acar__alloc(r->doc, KEY_NODE_BYTES + (borrow ? 0 : n));
    if (UNLIKELY(!p)) return fail_doc(r, at);
    return key_node_at(p, s, n, !borrow, ascii, in_text, h);
}

/* The document's node for a singleton str: json.loads gives the same
 * object for every '' and every 'a', key or value, and the pickle writer
 * then memoizes it once, as pickle.dumps does. */
static COLD acar_val *single_node(jr *r, int slot, const uint8_t *s, size_t n, const uint8_t *at) {
    if (!acar__bit_get(r->single_made, (size_t)slot)) {
        acar_val *v = memo_str(r, s, n, slot < 0x80 || slot == 256, false, false, key_hash(memo_hash(s, n), n), at);
        if (!v) return NULL;
        if (slot < 256) v->tag |= (uint64_t)ACAR_F_SINGLETON << 8;
        if (acar__json_plain(s, n)) v->tag |= (uint64_t)ACAR_F_JSON_PLAIN << 8;
        r->single[slot] = v;
        acar__bit_set(r->single_made, (size_t)slot);
    }
    return r->single[slot];
}

static HOT_INLINE acar_val *parse_str(jr *r, const uint8_t **pp) {
    const uint8_t *s, *at = *pp;
    size_t n;
    bool ascii, esc;
    if (UNLIKELY(scan_str(r, pp, &s, &n, &ascii, &esc) < 0)) return NULL;
    if (n <= 2) {
        int slot = single_slot(s, n);
        if (slot >= 0) return single_node(r, slot, s, n, at);
    }
    return str_node(r, s, n, ascii, r->borrow && !esc, !esc, at);
}

/* A memo block of cap slots (a power of two, at least 64): the entries,
 * then a bit per slot, set when in use.  Only the bits are cleared:
 * clearing the entries was a third of reading a 7-byte text, and 1-2% of
 * the 10-40 KB Twitter files (10 KiB of entries presized). */
static size_t memo_bytes(size_t cap) { return cap * sizeof(memo_ent) + cap / 8; }

/* The bitmap of a memo block of cap slots allocated as one. */
static uint64_t *memo_bits(memo_ent *m, size_t cap) { return (uint64_t *)(void *)(m + cap); }

/* The memo is m with its bitmap used, cap slots, as they are. */
static void memo_set(jr *r, memo_ent *m, uint64_t *used, size_t cap) {
    r->memo = m;
    r->memo_used = used;
    r->memo_cap = cap;
    r->memo_shift = 64;
    for (size_t c = cap; c > 1; c >>= 1) r->memo_shift--;
}

/* The memo is m with its bitmap used, cap slots, all empty. */
static void memo_use(jr *r, memo_ent *m, uint64_t *used, size_t cap) {
    memset(used, 0, cap / 8);
    memo_set(r, m, used, cap);
}

static COLD int grow_memo(jr *r, const uint8_t *at) {
    memo_ent *old = r->memo;
    const uint64_t *old_used = r->memo_used;
    size_t old_cap = r->memo_cap, cap = old_cap * 2;
    if (cap > SIZE_MAX / (2 * sizeof(memo_ent))) { fail_at(r, ACAR_ERR_NOMEM, at, EK_PLAIN, "out of memory"); return -1; }
    kept_keys *k = r->keys;
    memo_ent *m = NULL;
    if (k && !r->keys_broken && cap <= KEYS_MAX_SLOTS) m = acar__kept_block(r->doc, NULL, 0, memo_bytes(cap));
    bool kept = m != NULL;
    if (!m) {
        r->keys_broken = k != NULL;
        m = scratch_grow(r, NULL, NULL, 0, memo_bytes(cap), at);
    }
    if (!m) return -1;
    memo_use(r, m, memo_bits(m, cap), cap);
    for (size_t i = 0; i < old_cap; i++) {
        if (!acar__bit_get(old_used, i)) continue;
        size_t s = (size_t)(old[i].probe >> r->memo_shift);
        while (acar__bit_get(r->memo_used, s)) s = (s + 1) & (cap - 1);
        m[s] = old[i];
        m[s].next = 0;
        acar__bit_set(r->memo_used, s);
    }
    /* The slots moved: the key predictions start over. */
    for (size_t i = 0; i < r->fready; i++) {
        r->frames[i].first_key = 0;
        r->frames[i].prev_key = i < r->nframes ? KEY_NONE : KEY_START;
        r->frames[i].guess = NULL;
    }
    if (k && old == k->memo) {
        acar__kept_block(r->doc, old, memo_bytes(old_cap), 0);
        k->memo = kept ? m : NULL;
        if (kept) k->cap = cap;
    } else {
        scratch_release(r, old, r->memo0, memo_bytes(old_cap));
    }
    return 0;
}

/* An input of at least MEMO_BIG_TEXT bytes starts with a memo of MEMO_BIG
 * slots (128 keys) instead of the reader's own MEMO0: growing it twice,
 * rehashing each time, was 3% of reading the 10-40 KB Twitter files, whose
 * 60-70 keys outgrow MEMO0 (json.loads' files of the benchmark hold 5 to
 * 1263 keys).  If the block cannot be had, the read goes on with MEMO0. */
#define MEMO_BIG_TEXT 8192
#define MEMO_BIG 256

static bool memo_presize(jr *r) {
    acar_code why;
    memo_ent *m = acar__scratch(r->doc, &r->scratch, NULL, NULL, 0, memo_bytes(MEMO_BIG), &why);
    if (m) memo_use(r, m, memo_bits(m, MEMO_BIG), MEMO_BIG);
    return m != NULL;
}

/* n bytes equal; overlapping words from the two ends as memo_hash. */
static inline bool bytes_eq(const uint8_t *a, const uint8_t *b, size_t n) {
    uint64_t x, y;
    if (n >= 8) {
        size_t i = 0;
        for (; i + 8 < n; i += 8) {
            memcpy(&x, a + i, 8);
            memcpy(&y, b + i, 8);
            if (x != y) return false;
        }
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        uint32_t p, q, u, v;
        memcpy(&p, a, 4);
        memcpy(&q, b, 4);
        memcpy(&u, a + n - 4, 4);
        memcpy(&v, b + n - 4, 4);
        return ((p ^ q) | (u ^ v)) == 0;
    }
    while (n--)
        if (*a++ != *b++) return false;
    return true;
}

/* The memo entry of slot + 1 s (frame.first_key, memo_ent.next), or NULL
 * for 0. */
static inline const memo_ent *memo_at(const jr *r, uint32_t s) {
    return s ? &r->memo[s - 1] : NULL;
}

/* Key i of the memo follows f's last key: the prediction for next time. */
static inline void link_key(jr *r, frame *f, size_t i) {
    bool fits = i < KEY_NONE - 1;
    uint32_t to = r->memo[i].plain_len && fits ? (uint32_t)i + 1 : 0;
    if (f->prev_key == KEY_START) f->first_key = to;
    else if (f->prev_key != KEY_NONE) r->memo[f->prev_key - 1].next = to;
    f->prev_key = fits ? (uint32_t)i + 1 : KEY_NONE;
    f->guess = memo_at(r, r->memo[i].next);
}

/* A new key of n bytes at s, whose memo_hash ph took it to the memo's
 * empty slot i: its node, made and memoized.  Out of parse_value's loop,
 * which meets each distinct key once. */
static NOINLINE acar_val *memo_add(jr *r, frame *f, size_t i, const uint8_t *s, size_t n, uint64_t ph,
                                   bool ascii, bool esc, const uint8_t *at) {
    /* a singleton's node is memoized as any key's, so that the keys
     * around it are predicted too ("x", "y" were a sixth of the keys of
     * tree-pretty.json, and each broke the chain for the next key) */
    int slot = n <= 2 ? single_slot(s, n) : -1;
    uint64_t h = key_hash(ph, n);
    acar_val *k =
        slot >= 0 ? single_node(r, slot, s, n, at) : memo_str(r, s, n, ascii, r->borrow && !esc, !esc, h, at);
    if (!k) return NULL;
    assert(h == acar__hash(k) && h == key_hash_of(k));
    r->memo[i].key = k;
    r->memo[i].probe = ph;
    r->memo[i].bytes = (const uint8_t *)k->u.s;
    /* Predicted keys are not scanned again, so a key whose text a strict
     * read refuses (an encoded surrogate, which others pass) is never
     * predicted: a memo kept from a read that passed it may serve a
     * strict one. */
    bool predict = !esc && n < UINT32_MAX && (ascii || acar__utf8_find_surrogate(s, n) == n);
    r->memo[i].plain_len = predict ? (uint32_t)n : 0;
    r->memo[i].next = 0; /* (entries are not cleared: memo_bytes) */
    acar__bit_set(r->memo_used, i);
    link_key(r, f, i);
    if (UNLIKELY(++r->memo_n * 2 > r->memo_cap) && grow_memo(r, at) < 0) return NULL;
    return k;
}

/* The memoized node of the key s[0..n) (scanned by scan_str), or a new
 * one. */
static HOT_INLINE acar_val *memo_key(jr *r, frame *f, const uint8_t *s, size_t n, bool ascii, bool esc,
                                     const uint8_t *at) {
    uint64_t ph = memo_hash(s, n);
    size_t mask = r->memo_cap - 1;
    size_t i = (size_t)(ph >> r->memo_shift);
    for (;; i = (i + 1) & mask) {
        if (!acar__bit_get(r->memo_used, i)) break;
        acar_val *k = r->memo[i].key;
        if (r->memo[i].probe == ph && ACAR_LEN(k) == n && bytes_eq((const uint8_t *)k->u.s, s, n)) {
            link_key(r, f, i);
            return k;
        }
    }
    return memo_add(r, f, i, s, n, ph, ascii, esc, at);
}

/* memo_key for a singleton's text (single_slot), out of parse_value's
 * loop: with the singletons' path inlined too, twitter.json took 2% more
 * instructions to read, and with memo_key out of line for every key 2.4%. */
static NOINLINE acar_val *memo_single(jr *r, frame *f, const uint8_t *s, size_t n, bool esc, const uint8_t *at) {
    return memo_key(r, f, s, n, n < 2 || s[0] < 0x80, esc, at);
}

/* A key of dict f: the memoized node of equal text, or a new one.  Dicts
 * of the same kind repeat their keys in the same order, so the key that
 * followed the last one the last time (or began the last dict at this
 * depth) is tried first: its bytes then a quote in the text are the whole
 * key, with no scan, no hash and no probe.  Only keys read without escapes
 * are predicted: their bytes hold no quote, backslash or (unless allowed)
 * control byte, so equal text is the same string (and none that encodes a
 * surrogate: memo_add). */
static HOT_INLINE acar_val *parse_key(jr *r, frame *f, const uint8_t **pp) {
    const uint8_t *s, *at = *pp;
    size_t n;
    bool ascii, esc;
    const memo_ent *e = f->guess;
    if (e) {
        n = e->plain_len;
        if ((size_t)(r->end - at) > n + 1 && at[n + 1] == '"' && bytes_eq(at + 1, e->bytes, n)) {
            acar_val *k = e->key;
            *pp = at + n + 2;
            f->prev_key = (uint32_t)(e - r->memo) + 1;
            f->guess = memo_at(r, e->next);
            return k;
        }
    }
    if (UNLIKELY(scan_str(r, pp, &s, &n, &ascii, &esc) < 0)) return NULL;
    if (n <= 2 && single_slot(s, n) >= 0) return memo_single(r, f, s, n, esc, at);
    return memo_key(r, f, s, n, ascii, esc, at);
}

/* ---- numbers ---- */

#if (defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) || defined(__x86_64__) || \
    defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
#define DIGITS_SWAR 1
#endif

static const uint64_t pow10_u64[9] = {1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u};

/* The run of digits at q: its length is added to *nd, and while *nd stays
 * at most 19 (so that the value fits) *m becomes *m 10^len + its value.
 * Returns the end of the run.  Eight bytes at a time where eight can be
 * read: the digits are found and converted from the same word (a scan for
 * the end of each run, then a second pass to convert it, read canada.json
 * and marine_ik.json with 8-9% more instructions). */
static inline const uint8_t *read_digits(const uint8_t *q, const uint8_t *end, uint64_t *m, size_t *nd) {
#ifdef DIGITS_SWAR
    while (end - q >= 8) {
        uint64_t w;
        memcpy(&w, q, 8);
        /* a byte's value if it is a digit; the top bit of a byte of t is
         * set where it is not.  A carry out of a byte that is no digit can
         * only mark later bytes, which the lowest mark has already cut. */
        uint64_t x = w ^ 0x3030303030303030ull;
        uint64_t t = (x | (x + 0x7676767676767676ull)) & 0x8080808080808080ull;
        unsigned k = t ? ctz64(t) / 8 : 8;
        if (k == 0) return q;
        if (*nd + k <= 19) {
            /* the k digits, first at the lowest byte, moved to the top of
             * the word (zeros below read as leading zeros): pairs, then
             * quadruples, then the whole, one multiply each */
            uint64_t v = x << (8 * (8 - k));
            v = (v * 10 + (v >> 8)) & 0x00ff00ff00ff00ffull;
            v = (v * 100 + (v >> 16)) & 0x0000ffff0000ffffull;
            v = (v * 10000 + (v >> 32)) & 0xffffffffull;
            *m = *m * pow10_u64[k] + v;
        }
        *nd += k;
        q += k;
        if (k < 8) return q;
    }
#endif
    for (; q < end && (unsigned)(*q - '0') <= 9; q++)
        if (++*nd <= 19) *m = *m * 10 + (uint64_t)(*q - '0');
    return q;
}

static COLD acar_val *int_limit(jr *r, const uint8_t *at, size_t digits) {
    return fail_at(r, ACAR_ERR_LIMIT, at, EK_PLAIN,
                   "Exceeds the limit (%zu digits) for integer string conversion: value has %zu "
                   "digits (max_int_digits)", r->max_int_digits, digits);
}

/* A number at *pp (a '-' or a digit), as json.loads' scanner reads it:
 * an int unless a fraction or an exponent follows; "1." and "1e" end the
 * number before the '.' or 'e' (json.loads then says "Extra data").
 * The digits are read and converted eight at a time (read_digits); with
 * at most 19 digits in all the value is w 10^e exactly and num's fast
 * tiers round it (canada.json 562 -> 1003 MB/s); longer mantissas go to
 * the full parser. */
static inline acar_val *parse_num(jr *r, const uint8_t **pp) {
    const uint8_t *s = *pp, *q = s, *end = r->end;
    bool neg = false;
    if (*q == '-') {
        neg = true;
        if (++q == end) return expecting_value(r, s);
    }
    /* nd digits so far; m their value while nd <= 19 */
    uint64_t m = 0;
    size_t nd = 0;
    if (*q >= '1' && *q <= '9') {
        /* the first two digits one at a time: most ints and the integer
         * parts of most floats are that short */
        m = (uint64_t)(*q++ - '0');
        nd = 1;
        if (q < end && (unsigned)(*q - '0') <= 9) {
            m = m * 10 + (uint64_t)(*q++ - '0');
            nd = 2;
            if (q < end && (unsigned)(*q - '0') <= 9) q = read_digits(q, end, &m, &nd);
        }
    } else if (*q == '0') q++, nd = 1;
    else return expecting_value(r, s);
    const size_t nint = nd;
    size_t nfrac = 0;
    bool isf = false;
    if (end - q >= 2 && q[0] == '.' && (unsigned)(q[1] - '0') <= 9) {
        isf = true;
        q = read_digits(q + 1, end, &m, &nd);
        nfrac = nd - nint;
    }
    int64_t e10 = 0;
    if (end - q >= 2 && (*q == 'e' || *q == 'E')) {
        const uint8_t *es = q++;
        bool eneg = false;
        if (*q == '+' || *q == '-') eneg = *q++ == '-';
        if (q < end && (unsigned)(*q - '0') <= 9) {
            int64_t x = 0;
            do {
                if (x < 100000000) x = x * 10 + (*q - '0');
                q++;
            } while (q < end && (unsigned)(*q - '0') <= 9);
            e10 = eneg ? -x : x;
            isf = true;
        } else {
            q = es;
        }
    }
    *pp = q;
    if (!isf) {
        if (LIKELY(nint <= 18)) {
            acar_val *v = acar__alloc(r->doc, sizeof *v);
            if (UNLIKELY(!v)) return fail_doc(r, s);
            v->tag = ACAR_TAG(ACAR_INT, 0, 0);
            v->u.i = neg ? -(int64_t)m : (int64_t)m;
            return v;
        }
        if (nint > r->max_int_digits) return int_limit(r, s, nint);
        acar_val *b = acar_new_int_dec(r->doc, (const char *)s, (size_t)(q - s));
        return b ? b : fail_doc(r, s);
    }
    double d;
    if (LIKELY(nd <= 19)) {
        /* leading zeros count here, and cost nothing but this check */
        e10 -= (int64_t)nfrac;
        if (e10 < -1000) e10 = -1000;
        if (acar_num_decimal_to_double(m, (int)e10, neg, &d) == 0) goto have;
    }
    if (acar_num_parse_double((const char *)s, (size_t)(q - s), 0, &d) < 0)
        return expecting_value(r, s); /* not reached: the text was checked */
have:;
    acar_val *v = acar__alloc(r->doc, sizeof *v);
    if (UNLIKELY(!v)) return fail_doc(r, s);
    v->tag = ACAR_TAG(ACAR_FLOAT, 0, 0);
    v->u.f = d;
    return v;
}

/* ---- containers ---- */

static COLD acar_val *too_many(jr *r, const uint8_t *at, size_t n) {
    return fail_at(r, ACAR_ERR_LIMIT, at, EK_PLAIN, "container of %zu items exceeds max_items", n);
}

/* The list of the values [base, nvals): node and item array (exactly n
 * items, ACAR_F_EXACT) in one block. */
static acar_val *make_list(jr *r, size_t base, const uint8_t *at) {
    size_t n = r->nvals - base;
    if (UNLIKELY(n > r->max_items)) return too_many(r, at, n);
    if (UNLIKELY(n > (SIZE_MAX - sizeof(acar_val)) / sizeof(acar_val *)))
        return fail_at(r, ACAR_ERR_NOMEM, at, EK_PLAIN, "out of memory");
    acar_val *v = acar__alloc(r->doc, sizeof *v + n * sizeof(acar_val *));
    if (UNLIKELY(!v)) return fail_doc(r, at);
    acar_val **items = (acar_val **)(v + 1);
    if (n) memcpy(items, r->vals + base, n * sizeof *items);
    v->tag = ACAR_TAG(ACAR_LIST, ACAR_F_EXACT, n);
    v->u.items = items;
    r->nvals = base;
    return v;
}

/* place_pairs for one width of index slot (T): the loop is written out
 * per width, so that the slot size is not tested at every probe. */
#define PLACE_PAIRS_LOOP(T)                                                     \
    do {                                                                        \
        T *slot = index;                                                        \
        for (size_t i = 0; i < np; i++) {                                       \
            acar_val *k = kv[2 * i];                                            \
            size_t j;                                                           \
            for (size_t s = (size_t)key_hash_of(k) & mask;; s = (s + 1) & mask) { \
                uint32_t e = slot[s];                                           \
                if (!e) {                                                       \
                    slot[s] = (T)(len + 1);                                     \
                    j = len;                                                    \
                    items[2 * len++] = k;                                       \
                    break;                                                      \
                }                                                               \
                if (items[2 * (size_t)(e - 1)] == k) {                          \
                    if (no_dup) return SIZE_MAX;                                \
                    j = e - 1;                                                  \
                    break;                                                      \
                }                                                               \
            }                                                                   \
            items[2 * j + 1] = kv[2 * i + 1];                                   \
        }                                                                       \
    } while (0)

/* The np pairs kv into items through the index of icap slots (all 0),
 * which the caller has sized by icap (the keys' hashes are in their
 * nodes: key_hash_of).  Returns
 * the pairs placed (a repeated key keeps its first place and takes the
 * last value), or SIZE_MAX at a repeated key when no_dup. */
static size_t place_pairs(acar_val **items, void *index, size_t icap, acar_val *const *kv, size_t np,
                          bool no_dup) {
    size_t mask = icap - 1, len = 0;
    /* the widths of acar__index_get and acar__index_put */
    if (icap <= 256) PLACE_PAIRS_LOOP(uint8_t);
    else if (icap <= 65536) PLACE_PAIRS_LOOP(uint16_t);
    else PLACE_PAIRS_LOOP(uint32_t);
    return len;
}
#undef PLACE_PAIRS_LOOP

/* The dict of the key, value pairs [base, nvals), written in value.c's map
 * layout directly: node, then the index (acar__index_cap: none up to
 * ACAR_MAP_SCAN_MAX pairs) and its header, then items k0 v0 k1 v1 ...
 * with room for exactly 2 np pointers (ACAR_F_EXACT), in one block.  Not
 * acar__str_dict_fill, which the pickle and marshal readers share: here
 * keys are memoized, so equal keys are the same node and compare by
 * address, their hashes are already computed, and ACAR_READ_NO_DUP_KEYS
 * refuses a repeat.  A repeated key keeps its first place and takes the
 * last value, as Python's dict does.  Inlined into parse_value's two
 * places: as a call it read random.json 7-11% and citm_catalog 5-8%
 * slower. */
static HOT_INLINE acar_val *make_dict(jr *r, size_t base, const uint8_t *at) {
    acar_val *const *kv = r->vals + base;
    size_t np = (r->nvals - base) / 2;
    if (UNLIKELY(np > r->max_items || np >= 0xfffffffeu)) return too_many(r, at, np);
    size_t icap = acar__index_cap(np);
    size_t cap = 2 * np; /* exactly (ACAR_F_EXACT); duplicates leave some unused */
    acar_val *v = acar__alloc(r->doc, sizeof(acar_val) + acar__map_head_bytes(icap) + cap * sizeof(acar_val *));
    if (UNLIKELY(!v)) return fail_doc(r, at);
    acar_val **items = acar__map_place((char *)(v + 1), icap);
    void *index = icap ? (void *)(v + 1) : NULL;
    size_t len = 0;
    if (!index) {
        for (size_t i = 0; i < np; i++) {
            acar_val *k = kv[2 * i];
            size_t j = 0;
            while (j < len && items[2 * j] != k) j++;
            if (j == len) items[2 * len++] = k;
            else if (r->no_dup) goto dup;
            items[2 * j + 1] = kv[2 * i + 1];
        }
    } else {
        len = place_pairs(items, index, icap, kv, np, r->no_dup);
        if (len == SIZE_MAX) goto dup;
    }
    v->tag = ACAR_TAG(ACAR_DICT, index ? ACAR_F_EXACT | ACAR_F_INDEXED : ACAR_F_EXACT, len);
    v->u.items = items;
    r->nvals = base;
    return v;
dup:
    return fail_at(r, ACAR_ERR_MALFORMED, at, EK_PY,
                   "Duplicate key in the object starting at (ACAR_READ_NO_DUP_KEYS)");
}

/* ---- the parser ---- */

/* Values and keys go on the value stack; a key's hash is in its node
 * (key_hash_of).  (A stack of hashes beside it took 7 instructions a key
 * to fill; a hash slot beside every value had doubled the scratch memory
 * of list-heavy input.) */
#define PUSH_VAL(v)                                                        \
    do {                                                                   \
        if (UNLIKELY(r->nvals == r->vcap) && grow_vals(r, p) < 0) return NULL; \
        r->vals[r->nvals++] = (v);                                         \
    } while (0)

static COLD acar_val *not_strict(jr *r, const uint8_t *at, const char *what) {
    return fail_at(r, ACAR_ERR_MALFORMED, at, EK_PLAIN, "%s is not JSON (ACAR_READ_STRICT)", what);
}

static COLD acar_val *too_deep(jr *r, const uint8_t *at) {
    return fail_at(r, ACAR_ERR_LIMIT, at, EK_PLAIN, "nesting deeper than %zu (max_depth)", r->max_depth);
}

/* The reader's progress through its text, for the arena to size the last
 * chunks of the read by (acar__read_progress), at the first container that
 * opens past each report's step (acar__next_report).  Without it the last
 * chunk of twitter.json's document stayed 98 KiB unused, 14% of it. */
static COLD void report_progress(jr *r, const uint8_t *p) {
    acar__read_progress(r->doc, (size_t)(p - r->text));
    r->next_report = acar__next_report(p, r->end, (size_t)(r->end - r->text));
}

/* Keeps the n (at most 7) bytes at s, of the 8 there, as the bytes
 * between a key and its value (jr.colon_w). */
static void keep_colon(jr *r, const uint8_t *s, size_t n) {
    uint8_t m[8];
    memset(m, 0xff, n);
    memset(m + n, 0, 8 - n);
    memcpy(&r->colon_w, s, 8);
    memcpy(&r->colon_mask, m, 8);
    r->colon_len = n;
}

/* Where the value after the key that ended at p starts: past whitespace,
 * ':' and whitespace.  A text writes the same bytes there after every key
 * ('"a": 1' from json.dumps, '"a" : 1' from others, '"a":1' compact), so
 * they are checked against the kept ones in one masked compare of a word
 * (where eight bytes are left), and met one by one, then kept, only where
 * they change.  Returns the value's first byte (not whitespace; end when
 * there is none), or NULL with the error set.  Against the two whitespace
 * loops around the colon, two A/B runs over the 21 benchmark files: 5%
 * faster; apache_builds, google_maps_api_response, instruments and
 * tree-pretty (' : ') 14-18%, the files with json.dumps' ': ' 4-12%,
 * compact text within 2% either way (1-2% more instructions), numbers and
 * mesh 3-6% slower with their instructions unchanged.  (With the slow
 * path out of line: 3% slower than this.) */
static inline const uint8_t *after_key(jr *r, const uint8_t *p, const uint8_t *end) {
    if (LIKELY(end - p >= 8)) {
        uint64_t w;
        memcpy(&w, p, 8);
        /* (a longer run than the kept one would be skipped by the
         * value's skip_ws; it goes the slow way instead, to be kept) */
        if (((w ^ r->colon_w) & r->colon_mask) == 0 && p[r->colon_len] > ' ') return p + r->colon_len;
    }
    const uint8_t *k = p;
    p = skip_ws(p, end);
    if (UNLIKELY(p == end || *p != ':')) return py_fail(r, p, "Expecting ':' delimiter");
    p = skip_ws(p + 1, end);
    if (p - k <= 7 && end - k >= 8) keep_colon(r, k, (size_t)(p - k));
    return p;
}

/* One value from *pp (whitespace before it is skipped); *pp is left just
 * past it.  Never recurses: open containers are frames.  On a 64-byte
 * line of its own (str_slow says why). */
ACAR_LINE_ALIGNED static acar_val *parse_value(jr *r, const uint8_t **pp) {
    const uint8_t *p = *pp, *end = r->end;
    acar_val *v;
    size_t stop = r->nframes; /* frames below are not ours (none today) */

value:
    p = skip_ws(p, end);
    if (UNLIKELY(p == end)) return expecting_value(r, p);
    if (*p == '"') {
        /* strings, the commonest values, ahead of the switch's table jump
         * (+1.7% over the 21 files; numbers here too: -6.6%) */
        if (UNLIKELY(!(v = parse_str(r, &p)))) return NULL;
        goto have;
    }
    switch (*p) {
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        if (*p == '-' && end - p >= 9 && memcmp(p, "-Infinity", 9) == 0) {
            if (r->strict) return not_strict(r, p, "-Infinity");
            if (!(v = acar_new_float(r->doc, -HUGE_VAL))) return fail_doc(r, p);
            p += 9;
            break;
        }
        if (UNLIKELY(!(v = parse_num(r, &p)))) return NULL;
        break;
    case '{':
    case '[': {
        if (UNLIKELY(r->nframes - stop >= r->max_depth)) return too_deep(r, p);
        if (UNLIKELY(r->nframes == r->fready) && open_frame(r, p) < 0) return NULL;
        if (UNLIKELY(p >= r->next_report)) report_progress(r, p);
        frame *f = &r->frames[r->nframes++];
        f->base = r->nvals;
        f->at = (size_t)(p - r->text);
        f->dict = *p == '{';
        f->prev_key = KEY_START;
        f->guess = memo_at(r, f->first_key);
        p = skip_ws_kept(&f->ws_item, p + 1, end);
        if (!f->dict) {
            if (p < end && *p == ']') {
                p++;
                r->nframes--;
                if (UNLIKELY(!(v = make_list(r, f->base, r->text + f->at)))) return NULL;
                break;
            }
            goto value;
        }
        if (p < end && *p == '}') {
            p++;
            r->nframes--;
            if (UNLIKELY(!(v = make_dict(r, f->base, r->text + f->at)))) return NULL;
            break;
        }
        goto key;
    }
    case 't':
        if (end - p >= 4 && memcmp(p, "true", 4) == 0) { v = &r->doc->true_; p += 4; break; }
        return expecting_value(r, p);
    case 'f':
        if (end - p >= 5 && memcmp(p, "false", 5) == 0) { v = &r->doc->false_; p += 5; break; }
        return expecting_value(r, p);
    case 'n':
        if (end - p >= 4 && memcmp(p, "null", 4) == 0) { v = &r->doc->none; p += 4; break; }
        return expecting_value(r, p);
    case 'N':
        if (end - p >= 3 && memcmp(p, "NaN", 3) == 0) {
            if (r->strict) return not_strict(r, p, "NaN");
            if (!(v = acar_new_float(r->doc, NAN))) return fail_doc(r, p);
            p += 3;
            break;
        }
        return expecting_value(r, p);
    case 'I':
        if (end - p >= 8 && memcmp(p, "Infinity", 8) == 0) {
            if (r->strict) return not_strict(r, p, "Infinity");
            if (!(v = acar_new_float(r->doc, HUGE_VAL))) return fail_doc(r, p);
            p += 8;
            break;
        }
        return expecting_value(r, p);
    default:
        return expecting_value(r, p);
    }

have:
    /* v is complete: it goes into the innermost open container. */
    if (r->nframes == stop) {
        *pp = p;
        return v;
    }
    PUSH_VAL(v);
    {
        frame *f = &r->frames[r->nframes - 1];
        /* a comma right after the value first (past_comma); the dict and
         * list paths apart, each with its own branches (one test of the
         * comma for both, then of the kind: citm_catalog 8% slower) */
        if (f->dict) {
            if (LIKELY(end - p >= 18 && *p == ',')) {
                p = past_comma(&f->ws_item, p, end);
                goto key;
            }
            p = skip_ws_kept(&f->ws_close, p, end);
            if (LIKELY(p < end && *p == ',')) {
                p = skip_ws_kept(&f->ws_item, p + 1, end);
                goto key;
            }
            if (LIKELY(p < end && *p == '}')) {
                p++;
                r->nframes--;
                if (UNLIKELY(!(v = make_dict(r, f->base, r->text + f->at)))) return NULL;
                goto have;
            }
        } else {
            if (LIKELY(end - p >= 18 && *p == ',')) {
                p = past_comma(&f->ws_item, p, end);
                goto value;
            }
            p = skip_ws_kept(&f->ws_close, p, end);
            if (LIKELY(p < end && *p == ',')) {
                p = skip_ws_kept(&f->ws_item, p + 1, end);
                goto value;
            }
            if (LIKELY(p < end && *p == ']')) {
                p++;
                r->nframes--;
                if (UNLIKELY(!(v = make_list(r, f->base, r->text + f->at)))) return NULL;
                goto have;
            }
        }
        return py_fail(r, p, "Expecting ',' delimiter");
    }

key:
    if (UNLIKELY(p == end || *p != '"'))
        return py_fail(r, p, "Expecting property name enclosed in double quotes");
    if (UNLIKELY(!(v = parse_key(r, &r->frames[r->nframes - 1], &p)))) return NULL;
    PUSH_VAL(v);
    if (UNLIKELY(!(p = after_key(r, p, end)))) return NULL;
    goto value;
}

/* ---- decoding the input ---- */

/* The encoding json.detect_encoding picks, and the BOM it skips. */
static enc detect(const uint8_t *b, size_t len, size_t *bom) {
    *bom = 0;
    if (len >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0xfe && b[3] == 0xff) { *bom = 4; return ENC_UTF32BE; }
    if (len >= 4 && b[0] == 0xff && b[1] == 0xfe && b[2] == 0 && b[3] == 0) { *bom = 4; return ENC_UTF32LE; }
    if (len >= 2 && b[0] == 0xfe && b[1] == 0xff) { *bom = 2; return ENC_UTF16BE; }
    if (len >= 2 && b[0] == 0xff && b[1] == 0xfe) { *bom = 2; return ENC_UTF16LE; }
    if (len >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf) { *bom = 3; return ENC_UTF8; }
    if (len >= 4) {
        if (!b[0]) return b[1] ? ENC_UTF16BE : ENC_UTF32BE;
        if (!b[1]) return b[2] || b[3] ? ENC_UTF16LE : ENC_UTF32LE;
    } else if (len == 2) {
        if (!b[0]) return ENC_UTF16BE;
        if (!b[1]) return ENC_UTF16LE;
    }
    return ENC_UTF8;
}

static const char *enc_name(enc e, size_t bom) {
    switch (e) {
    case ENC_UTF8: return bom ? "utf-8-sig" : "utf-8";
    case ENC_UTF16LE: return bom ? "utf-16" : "utf-16-le";
    case ENC_UTF16BE: return bom ? "utf-16" : "utf-16-be";
    case ENC_UTF32LE: return bom ? "utf-32" : "utf-32-le";
    case ENC_UTF32BE: return bom ? "utf-32" : "utf-32-be";
    }
    return "?";
}

/* UTF-16/32 body [b, b + n) to UTF-8 in out (room for 2 n bytes); lone
 * surrogates pass as CPython's surrogatepass decodes them.  Returns the
 * length, or SIZE_MAX with *bad (offset in the body) and *why set. */
static size_t transcode(enc e, const uint8_t *b, size_t n, uint8_t *out, size_t *bad, const char **why) {
    size_t o = 0, i = 0;
    bool be = e == ENC_UTF16BE || e == ENC_UTF32BE;
    if (e == ENC_UTF16LE || e == ENC_UTF16BE) {
        while (i + 2 <= n) {
            uint32_t u = be ? (uint32_t)(b[i] << 8 | b[i + 1]) : (uint32_t)(b[i + 1] << 8 | b[i]);
            i += 2;
            if (u >= 0xd800 && u <= 0xdbff && i + 2 <= n) {
                uint32_t u2 = be ? (uint32_t)(b[i] << 8 | b[i + 1]) : (uint32_t)(b[i + 1] << 8 | b[i]);
                if (u2 >= 0xdc00 && u2 <= 0xdfff) {
                    u = 0x10000 + ((u - 0xd800) << 10) + (u2 - 0xdc00);
                    i += 2;
                }
            }
            o += put_utf8(out + o, u);
        }
        if (i != n) { *bad = i; *why = "truncated data"; return SIZE_MAX; }
        return o;
    }
    while (i + 4 <= n) {
        uint32_t u = be ? (uint32_t)b[i] << 24 | (uint32_t)b[i + 1] << 16 | (uint32_t)b[i + 2] << 8 | b[i + 3]
                        : (uint32_t)b[i + 3] << 24 | (uint32_t)b[i + 2] << 16 | (uint32_t)b[i + 1] << 8 | b[i];
        if (u > 0x10ffff) { *bad = i; *why = "code point not in range(0x110000)"; return SIZE_MAX; }
        i += 4;
        o += put_utf8(out + o, u);
    }
    if (i != n) { *bad = i; *why = "truncated data"; return SIZE_MAX; }
    return o;
}

/* The first invalid UTF-8 (surrogatepass) in t[0..n): its offset, the
 * bytes CPython's decoder blames (1, or more for an end of data) and the
 * reason, as its UnicodeDecodeError says.  Returns false when all valid. */
static bool utf8_first_bad(const uint8_t *t, size_t n, size_t *at, size_t *blame, const char **why) {
    bool bad, ascii;
    size_t i = acar__utf8_check((const char *)t, n, &bad, &ascii);
    if (!bad) return false;
    *at = i;
    *blame = 1;
    uint8_t c = t[i];
    size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    if (c < 0xc2 || c > 0xf4) { *why = "invalid start byte"; return true; }
    /* CPython blames the valid start of the sequence: up to the byte that
     * does not continue it, or up to the end of the data.  A surrogate
     * (ED A0..BF) only passes whole, so there ED alone is blamed. */
    size_t k = 1;
    for (; k < need && i + k < n; k++) {
        uint8_t d = t[i + k];
        uint8_t lo = 0x80, hi = 0xbf;
        if (k == 1) {
            if (c == 0xe0) lo = 0xa0;
            else if (c == 0xed) hi = 0x9f;
            else if (c == 0xf0) lo = 0x90;
            else if (c == 0xf4) hi = 0x8f;
        }
        if (d < lo || d > hi) { *blame = k; *why = "invalid continuation byte"; return true; }
    }
    *blame = k;
    *why = "unexpected end of data";
    return true;
}

/* ---- the entry points ---- */

/* The document's kept keys for this read (set up at its second JSON
 * read): false when there are none, and the read keeps its own memo. */
static bool keys_take(jr *r) {
    acar_doc *doc = r->doc;
    kept_keys *k = doc->kept_hook == keys_hook ? doc->kept : NULL;
    if (k && k->drop) return false;
    if (!k) {
        /* only far below max_memory: what the keys may take at most
         * (their blocks, the memo) must not be what a read then misses */
        size_t most = KEYS_MAX_BYTES + memo_bytes(KEYS_MAX_SLOTS) + sizeof *k;
        if (!doc->json_read || doc->kept || doc->limits.max_memory / 4 < most ||
            doc->used > doc->limits.max_memory / 4 - most)
            return false;
        if (!(k = acar__kept_block(doc, NULL, 0, sizeof *k))) return false;
        memset(k, 0, offsetof(kept_keys, single));
        if (!(k->memo = acar__kept_block(doc, NULL, 0, memo_bytes(MEMO_BIG)))) {
            acar__kept_block(doc, k, sizeof *k, 0);
            return false;
        }
        k->cap = MEMO_BIG;
        memset(memo_bits(k->memo, k->cap), 0, k->cap / 8);
        doc->kept = k;
        doc->kept_hook = keys_hook;
    }
    r->keys = k;
    memcpy(r->frames, k->frames, k->nframes * sizeof *k->frames);
    r->fready = k->nframes;
    memo_set(r, k->memo, memo_bits(k->memo, k->cap), k->cap);
    r->memo_n = k->n;
    r->single = k->single;
    r->single_made = k->single_made;
    return true;
}

/* The value stack at the size the last read grew it to, from the chunk
 * cache (doubled from the inline one, mesh.json's read copied 0.5 MB of
 * it: 3.5% of its instructions), unless this text cannot fill more than
 * half of it, which the doubling would have had room for (a text of n
 * bytes puts at most n / 2 + 1 values on the stack: "[0,0,0]").  Without
 * the block the read starts inline and grows as ever. */
static void vals_presize(jr *r, size_t input_len) {
    size_t cap = r->keys->vcap;
    if (cap <= r->vcap || cap / 2 >= input_len / 2 + 1) return;
    acar_code why;
    acar_val **v = acar__scratch(r->doc, &r->scratch, NULL, NULL, 0, cap * sizeof *v, &why);
    if (v) {
        r->vals = v;
        r->vcap = cap;
    }
}

static void jr_init(jr *r, acar_doc *doc, const acar_read_opts *opts, size_t input_len) {
    memset(r, 0, offsetof(jr, emsg)); /* the fields before the uncleared ones */
    r->doc = doc;
    unsigned fl = opts->flags;
    r->strict = (fl & ACAR_READ_STRICT) != 0;
    r->allow_control = (fl & ACAR_READ_ALLOW_CONTROL) && !r->strict;
    r->no_dup = (fl & ACAR_READ_NO_DUP_KEYS) != 0;
    r->borrow = (fl & ACAR_READ_BORROW) != 0;
    r->max_depth = doc->limits.max_depth;
    r->max_items = doc->limits.max_items;
    r->max_int_digits = doc->limits.max_int_digits;
    r->vals = r->vals0;
    r->vcap = VALS0;
    r->frames = r->frames0;
    r->fcap = FRAMES0;
    if (keys_take(r)) {
        vals_presize(r, input_len);
    } else {
        if (input_len < MEMO_BIG_TEXT || !memo_presize(r)) memo_use(r, r->memo0, r->memo0_used, MEMO0);
        r->single = r->single0;
        r->single_made = r->single_made0;
    }
    r->buf = r->buf0;
    r->buf_cap = BUF0;
    keep_colon(r, (const uint8_t *)":\0\0\0\0\0\0", 1);
}

static void jr_done(jr *r) {
    kept_keys *k = r->keys;
    bool keep = k && !r->keys_broken;
    if (keep) {
        /* (the frames before their scratch block goes; memo and cap:
         * grow_memo keeps them) */
        k->nframes = r->fready < KEYS_FRAMES ? r->fready : KEYS_FRAMES;
        memcpy(k->frames, r->frames, k->nframes * sizeof *k->frames);
        k->n = r->memo_n;
        k->vcap = r->vcap;
    }
    scratch_release(r, r->vals, r->vals0, r->vcap * sizeof *r->vals);
    scratch_release(r, r->frames, r->frames0, r->fcap * sizeof *r->frames);
    scratch_release(r, r->buf, r->buf0, r->buf_cap);
    if (!keep) {
        if (!k || r->memo != k->memo) scratch_release(r, r->memo, r->memo0, memo_bytes(r->memo_cap));
        if (k) {
            /* the nodes stay: this read's values use them */
            if (k->memo) acar__kept_block(r->doc, k->memo, memo_bytes(k->cap), 0);
            k->memo = NULL;
            k->drop = true;
        }
    }
    r->doc->json_read = true;
}

/* Where a text position is: characters before it (Python's pos), its line
 * and column (JSONDecodeError's lineno and colno), from t[0..n). */
static void text_pos(const uint8_t *t, size_t n, size_t *chars, size_t *line, size_t *col) {
    size_t c = 0, l = 1, last_nl_chars = 0;
    bool seen_nl = false;
    for (size_t i = 0; i < n; i++) {
        if ((t[i] & 0xc0) != 0x80) c++;
        if (t[i] == '\n') { l++; last_nl_chars = c; seen_nl = true; }
    }
    *chars = c;
    *line = l;
    *col = seen_nl ? c - last_nl_chars + 1 : c + 1;
}

/* The input byte offset of the character index k of a transcoded text. */
static size_t input_offset(enc e, const uint8_t *body, size_t n, size_t k) {
    if (e == ENC_UTF32LE || e == ENC_UTF32BE) return k * 4 <= n ? k * 4 : n;
    bool be = e == ENC_UTF16BE;
    size_t i = 0;
    while (k-- > 0 && i + 2 <= n) {
        uint32_t u = be ? (uint32_t)(body[i] << 8 | body[i + 1]) : (uint32_t)(body[i + 1] << 8 | body[i]);
        i += 2;
        if (u >= 0xd800 && u <= 0xdbff && i + 2 <= n) {
            uint32_t u2 = be ? (uint32_t)(body[i] << 8 | body[i + 1]) : (uint32_t)(body[i + 1] << 8 | body[i]);
            if (u2 >= 0xdc00 && u2 <= 0xdfff) i += 2;
        }
    }
    return i;
}

/* Fills err from the reader's error.  base: input offset of text[0];
 * line0: lines before the text (JSON Lines). */
static void report(jr *r, acar_err *err, enc e, const uint8_t *body, size_t body_len, size_t base,
                   size_t line0) {
    if (!err) return;
    size_t chars, line, col;
    text_pos(r->text, r->epos, &chars, &line, &col);
    size_t off = e == ENC_UTF8 ? r->epos : input_offset(e, body, body_len, chars);
    (void)chars;
    acar__err_set(err, r->code, base + off, "%s", r->emsg);
    err->line = line0 + line;
    err->column = col;
}

/* A decode error as CPython's UnicodeDecodeError words it. */
static void decode_error(acar_err *err, const char *codec, const uint8_t *t, size_t at, size_t blame,
                         const char *why, size_t base) {
    if (!err) return;
    if (blame <= 1)
        acar__err_set(err, ACAR_ERR_MALFORMED, base + at,
                      "'%s' codec can't decode byte 0x%02x in position %zu: %s", codec, t[at], at, why);
    else
        acar__err_set(err, ACAR_ERR_MALFORMED, base + at,
                      "'%s' codec can't decode bytes in position %zu-%zu: %s", codec, at, at + blame - 1, why);
}

/* The bytes of a text that failed: when they are not valid UTF-8 anywhere,
 * json.loads would have failed to decode them first, so that is the
 * error.  Returns true when it replaced the error. */
static bool decode_first(acar_err *err, const uint8_t *t, size_t n, size_t base, const char *codec,
                         size_t *line_col_base) {
    size_t at, blame;
    const char *why;
    if (!utf8_first_bad(t, n, &at, &blame, &why)) return false;
    decode_error(err, codec, t, at, blame, why, base);
    if (err) {
        size_t chars, line, col;
        text_pos(t, at, &chars, &line, &col);
        err->line = *line_col_base + line;
        err->column = col;
    }
    return true;
}

#ifndef ACAR_JSON_AVX2
#if defined(ACAR_JSON_DISPATCH) && !defined(__STDC_NO_ATOMICS__)
#define JSON_DISPATCH 1
acar_val *acar__json_read_avx2(acar_doc *doc, const uint8_t *data, size_t len, acar_read_opts *opts,
                               acar_err *err);
acar_val *acar__jsonl_read_avx2(acar_doc *doc, const uint8_t *data, size_t len, acar_read_opts *opts,
                                acar_err *err);

/* Whether reads go to read_avx2.c's build: the CPU's features and the
 * environment, looked at once (a getenv per read would be felt by tiny
 * texts).  Any value of ACAR_NO_AVX2 but "" and "0" keeps this build. */
static bool json_avx2(void) {
    static atomic_int known; /* 0: not yet; 1: this build; 2: AVX2 */
    int k = atomic_load_explicit(&known, memory_order_relaxed);
    if (UNLIKELY(!k)) {
        const char *no = getenv("ACAR_NO_AVX2");
        bool cpu = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
                   __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt");
        k = cpu && !(no && *no && strcmp(no, "0") != 0) ? 2 : 1;
        atomic_store_explicit(&known, k, memory_order_relaxed);
    }
    return k == 2;
}
#endif

const char *acar__json_reader_isa(void) {
#ifdef JSON_DISPATCH
    return json_avx2() ? "avx2" : "baseline";
#else
    return "baseline";
#endif
}
#endif

acar_val *acar__json_read(acar_doc *doc, const uint8_t *data, size_t len, acar_read_opts *opts,
                          acar_err *err) {
#ifdef JSON_DISPATCH
    if (json_avx2()) return acar__json_read_avx2(doc, data, len, opts, err);
#endif
    jr r;
    jr_init(&r, doc, opts, len);
    size_t bom;
    enc e = detect(data, len, &bom);
    const uint8_t *body = data + bom;
    size_t body_len = len - bom;
    uint8_t *tbuf = NULL;
    size_t tcap = 0;
    r.text = body;
    r.end = body + body_len;
    if (e != ENC_UTF8) {
        /* Transcoded text cannot be borrowed from. */
        r.borrow = false;
        tcap = body_len * 2 + 1;
        tbuf = scratch_grow(&r, NULL, NULL, 0, tcap, body);
        if (!tbuf) {
            report(&r, err, ENC_UTF8, NULL, 0, bom, 0);
            jr_done(&r);
            return NULL;
        }
        size_t bad = 0;
        const char *why = "";
        size_t n = transcode(e, body, body_len, tbuf, &bad, &why);
        if (n == SIZE_MAX) {
            decode_error(err, enc_name(e, bom), data, bom + bad, len - bom - bad > 1 ? len - bom - bad : 1,
                         why, 0);
            scratch_release(&r, tbuf, NULL, tcap);
            jr_done(&r);
            return NULL;
        }
        r.text = tbuf;
        r.end = tbuf + n;
    }
    /* progress is reported in the text parsed, which transcoding made */
    r.doc->read_len = (size_t)(r.end - r.text);
    r.next_report = r.text;
    const uint8_t *p = r.text;
    acar_val *v = parse_value(&r, &p);
    if (v) {
        if (e == ENC_UTF8) {
            opts->consumed = bom + (size_t)(p - r.text);
        } else {
            size_t chars, l, c;
            text_pos(r.text, (size_t)(p - r.text), &chars, &l, &c);
            opts->consumed = bom + input_offset(e, body, body_len, chars);
        }
        if (!(opts->flags & ACAR_READ_ALLOW_TRAILING)) {
            const uint8_t *q = skip_ws(p, r.end);
            if (q != r.end) v = py_fail(&r, q, "Extra data");
        }
    }
    if (!v) {
        size_t zero = 0;
        /* json.loads decodes the whole input before it parses. */
        if (e != ENC_UTF8 || !decode_first(err, body, body_len, bom, "utf-8", &zero))
            report(&r, err, e, body, body_len, bom, 0);
    }
    scratch_release(&r, tbuf, NULL, tcap);
    jr_done(&r);
    return v;
}

/* JSON Lines: each line (up to '\n') is read as json.loads reads it, and
 * the document is the list of their values.  Lines of whitespace only are
 * skipped (with ACAR_READ_STRICT they are an error).  The text is UTF-8,
 * one BOM allowed at the start.  Errors give the line of the file and the
 * column in that line. */
acar_val *acar__jsonl_read(acar_doc *doc, const uint8_t *data, size_t len, acar_read_opts *opts,
                           acar_err *err) {
#ifdef JSON_DISPATCH
    if (json_avx2()) return acar__jsonl_read_avx2(doc, data, len, opts, err);
#endif
    jr r;
    jr_init(&r, doc, opts, len);
    size_t bom = len >= 3 && data[0] == 0xef && data[1] == 0xbb && data[2] == 0xbf ? 3 : 0;
    const uint8_t *p = data + bom, *end = data + len;
    size_t line = 0, nitems = 0, icap = 0;
    acar_val **items = NULL;
    acar_val *list = NULL;
    bool ok = true;
    while (ok && p < end) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        const uint8_t *le = nl ? nl : end;
        r.text = p;
        r.end = le;
        r.next_report = le; /* progress by the line instead */
        acar__read_progress(doc, (size_t)(p - data));
        const uint8_t *q = skip_ws(p, le);
        if (q == le) {
            if (r.strict) ok = expecting_value(&r, q) != NULL;
        } else {
            const uint8_t *s = p;
            acar_val *v = parse_value(&r, &s);
            if (v) {
                const uint8_t *t = skip_ws(s, le);
                if (t != le) v = py_fail(&r, t, "Extra data");
            }
            if (v && nitems == icap) {
                size_t ncap = icap ? icap * 2 : 64;
                acar_val **ni = scratch_grow(&r, items, NULL, icap * sizeof *ni, ncap * sizeof *ni, p);
                if (ni) { items = ni; icap = ncap; }
                else v = NULL;
            }
            if (v) items[nitems++] = v;
            else ok = false;
        }
        if (!ok) {
            size_t lines = line;
            if (!decode_first(err, p, (size_t)(le - p), (size_t)(p - data), "utf-8", &lines))
                report(&r, err, ENC_UTF8, NULL, 0, (size_t)(p - data), line);
            break;
        }
        line++;
        p = nl ? nl + 1 : end;
    }
    if (ok) {
        r.text = data;
        r.end = end;
        if (nitems > r.max_items) {
            too_many(&r, data, nitems);
            ok = false;
        } else {
            list = acar__alloc(doc, sizeof *list + nitems * sizeof(acar_val *));
            if (!list) {
                fail_doc(&r, data);
                ok = false;
            } else {
                acar_val **arr = (acar_val **)(list + 1);
                if (nitems) memcpy(arr, items, nitems * sizeof *arr);
                list->tag = ACAR_TAG(ACAR_LIST, ACAR_F_EXACT, nitems);
                list->u.items = arr;
                opts->consumed = len;
            }
        }
        if (!ok) report(&r, err, ENC_UTF8, NULL, 0, 0, 0);
    }
    scratch_release(&r, items, NULL, icap * sizeof *items);
    jr_done(&r);
    return ok ? list : NULL;
}
