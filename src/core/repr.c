/*
 * repr.c -- Python's repr() of a value, exactly as CPython 3.11 prints it.
 *
 * Builtin types follow CPython's own repr functions:
 *   str        unicode_repr: single quotes unless the text holds ' and no ";
 *              \\ \t \n \r and the chosen quote escaped, other C0 controls
 *              and DEL as \xNN, non-printable code points (unicode_db.h) as
 *              \xNN / \uNNNN / \UNNNNNNNN, printable ones raw.  Lone
 *              surrogates are never printable, so they print as \udXXX.
 *   bytes      bytes_repr: same quote rule; \t \n \r \\ and the chosen quote
 *              escaped, bytes < 0x20 or >= 0x7f as \xNN.
 *   bytearray  bytearray(b'...'): the same, except that ' is escaped even
 *              inside double quotes (bytearray(b"\'")).
 *   int        decimal; more digits than the int-digits limit is an error,
 *              checked as long_to_decimal_string does (only when the text,
 *              sign included, is longer than 640 characters).
 *   float      shortest repr (num.h).  complex: complex_repr's 'r' format,
 *              no ".0", real part left out when it is +0.0, "+nan" for a
 *              NaN imaginary part whatever its sign.
 *   containers [..] (..,) {k: v} {..} frozenset({..}) set() frozenset();
 *              a container met again inside itself prints [...] (...) {...}
 *              set(...) frozenset(...) as Py_ReprEnter does.
 * Non-builtin nodes print in the form docs/repr.md describes.
 *
 * Nesting is walked with an explicit stack of frames, never recursion.  The
 * recursion test ("is this node being printed by an enclosing frame?")
 * scans the outermost frames and asks a pointer hash set about deeper ones,
 * so it stays O(1) at any depth.  Text is scanned eight bytes at a time for
 * bytes that need escaping; ASCII str (ACAR_F_ASCII) never reaches the
 * UTF-8 decoder.  Output goes straight into the caller's buffer.
 */
#include "core/internal.h"
#include "core/pyhash.h"
#include "core/unicode_db.h"
#include "marshal/marshal.h"
#include "tensor/tensor.h"
#include "num/num.h"

#include <stdio.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* CPython's _PY_LONG_MAX_STR_DIGITS_THRESHOLD: the digit limit is only
 * checked when the decimal text (sign included) is longer than this. */
#define INT_DIGITS_THRESHOLD 640u

enum frame_kind {
    FR_LIST, FR_TUPLE, FR_DICT, FR_SET, FR_FROZENSET,
    FR_PERSID, FR_OBJECT,
    FR_ARGS,   /* an object's args tuple, items without parentheses */
    FR_KWARGS  /* an object's kwargs dict as key=value */
};

typedef struct frame {
    const acar_val *v;  /* the node this frame prints */
    acar_val *const *items; /* dicts: the keys (acar__pairs) */
    acar_val *const *vals;  /* dicts: the values */
    size_t i, n;        /* next step, steps (dicts: 2 per pair) */
    uint8_t kind;
    uint8_t phase;      /* objects: which part comes next */
    uint8_t owned;      /* items is a malloc'd array this frame frees */
    uint8_t stride;     /* dicts: pair i at items[i * stride], vals[i * stride] */
} frame;

typedef struct printer {
    acar_out *out;
    acar_err *err;
    frame *st;
    size_t top, cap;
    const acar_val **set;  /* open addressing, linear probing, NULL = empty */
    size_t set_cap, set_n; /* set_cap a power of two */
    unsigned set_shift;    /* 64 - log2(set_cap) */
    size_t depth, max_depth, max_digits;
} printer;

/* ---- output helpers ---- */

/* acar__out_write with the common case inline: most pieces are a few bytes. */
static inline void put(printer *p, const char *s, size_t n) {
    acar_buf *b = p->out->buf;
    if (n <= b->cap - b->len) {
        if (n) memcpy(b->data + b->len, s, n);
        b->len += n;
    } else {
        acar__out_write(p->out, s, n);
    }
}
#define PUT_LIT(p, lit) put((p), (lit), sizeof(lit) - 1)

static const char hexdig[] = "0123456789abcdef";

/* ---- the set of nodes being printed ---- */

static inline size_t set_slot(const printer *p, const acar_val *v) {
    /* Fibonacci hashing: the multiply spreads the pointer's middle bits
     * (arena nodes share their low and high bits) into the top ones. */
    return (size_t)(((uint64_t)(uintptr_t)v * 0x9E3779B97F4A7C15ull) >> p->set_shift);
}

static bool set_has(const printer *p, const acar_val *v) {
    if (!p->set_n) return false;
    size_t mask = p->set_cap - 1;
    for (size_t i = set_slot(p, v);; i = (i + 1) & mask) {
        if (p->set[i] == v) return true;
        if (!p->set[i]) return false;
    }
}

static void set_put_raw(printer *p, const acar_val *v) {
    size_t mask = p->set_cap - 1, i = set_slot(p, v);
    while (p->set[i]) i = (i + 1) & mask;
    p->set[i] = v;
    p->set_n++;
}

static int set_add(printer *p, const acar_val *v) {
    if ((p->set_n + 1) * 2 > p->set_cap) {
        size_t ncap = p->set_cap ? p->set_cap * 2 : 64;
        if (ncap > SIZE_MAX / sizeof(*p->set)) goto nomem;
        const acar_val **old = p->set;
        size_t ocap = p->set_cap;
        p->set = calloc(ncap, sizeof(*p->set));
        if (!p->set) { p->set = old; goto nomem; }
        p->set_cap = ncap;
        p->set_n = 0;
        p->set_shift = 64;
        for (size_t c = ncap; c > 1; c >>= 1) p->set_shift--;
        for (size_t i = 0; i < ocap; i++)
            if (old[i]) set_put_raw(p, old[i]);
        free(old);
    }
    set_put_raw(p, v);
    return 0;
nomem:
    acar__err_set(p->err, ACAR_ERR_NOMEM, 0, "out of memory while printing repr");
    return -1;
}

/* Removes v, shifting later members of its probe run back (no tombstones). */
static void set_del(printer *p, const acar_val *v) {
    size_t mask = p->set_cap - 1, i = set_slot(p, v);
    while (p->set[i] != v) i = (i + 1) & mask;
    p->set[i] = NULL;
    p->set_n--;
    for (size_t j = (i + 1) & mask; p->set[j]; j = (j + 1) & mask) {
        size_t home = set_slot(p, p->set[j]);
        /* Move j's member into the hole unless its home lies cyclically
         * in (i, j], where the hole does not break its probe run. */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            p->set[i] = p->set[j];
            p->set[j] = NULL;
            i = j;
        }
    }
}

/* ---- frames ---- */

/* Whether v is being printed by an enclosing frame.  The outermost
 * SCAN_FRAMES frames are scanned in place and only deeper ones enter the
 * hash set, so shallow data (the common case) never hashes (a few percent
 * on a list of a million small dicts). */
#define SCAN_FRAMES 16u

static bool active(const printer *p, const acar_val *v) {
    size_t k = p->top < SCAN_FRAMES ? p->top : SCAN_FRAMES;
    for (size_t j = 0; j < k; j++)
        if (p->st[j].v == v) return true;
    return p->top > SCAN_FRAMES && set_has(p, v);
}

/* Pushes a frame printing v, registers v as being printed.  counts: whether
 * the frame is a nesting level for max_depth. */
static frame *push(printer *p, const acar_val *v, enum frame_kind kind, acar_val *const *items,
                   size_t n, bool counts) {
    if (counts && p->depth >= p->max_depth) {
        acar__err_set(p->err, ACAR_ERR_LIMIT, 0,
                      "repr: nesting deeper than the depth limit (%zu)", p->max_depth);
        return NULL;
    }
    if (p->top == p->cap) {
        size_t ncap = p->cap ? p->cap * 2 : 64;
        frame *nst = ncap <= SIZE_MAX / sizeof(*nst) ? realloc(p->st, ncap * sizeof(*nst)) : NULL;
        if (!nst) {
            acar__err_set(p->err, ACAR_ERR_NOMEM, 0, "out of memory while printing repr");
            return NULL;
        }
        p->st = nst;
        p->cap = ncap;
    }
    if (p->top >= SCAN_FRAMES && set_add(p, v) < 0) return NULL;
    frame *f = &p->st[p->top++];
    f->v = v;
    f->items = items;
    f->vals = NULL;
    f->stride = 0;
    f->i = 0;
    f->n = n;
    f->kind = (uint8_t)kind;
    f->phase = 0;
    f->owned = 0;
    if (counts) p->depth++;
    return f;
}

static void pop(printer *p) {
    frame *f = &p->st[--p->top];
    if (f->owned) free((void *)f->items);
    if (p->top >= SCAN_FRAMES) set_del(p, f->v);
    if (f->kind != FR_ARGS && f->kind != FR_KWARGS) p->depth--;
}

/* Pushes a frame printing dict v (FR_DICT: 2 steps per pair; FR_KWARGS:
 * one), in either form. */
static int push_dict(printer *p, const acar_val *v, enum frame_kind kind, size_t n, bool counts) {
    acar_pairs pr = acar__pairs(v);
    frame *f = push(p, v, kind, pr.keys, n, counts);
    if (!f) return -1;
    f->vals = pr.vals;
    f->stride = (uint8_t)pr.stride;
    return 0;
}

/* Pushes a set or frozenset of n >= 1 items, in the order CPython iterates
 * the set that loading it builds (PYTHONHASHSEED=0): acar keeps the order
 * read, which a writer needs, and CPython's repr shows its table order. */
static int push_set(printer *p, const acar_val *v, enum frame_kind kind, size_t n) {
    acar_val *const *stored = v->u.items;
    if (n < 2) return push(p, v, kind, stored, n, true) ? 0 : -1;
    size_t *order = n <= SIZE_MAX / sizeof *order ? malloc(n * sizeof *order) : NULL;
    acar_val **perm = order ? malloc(n * sizeof *perm) : NULL;
    if (!perm) {
        free(order);
        acar__err_set(p->err, ACAR_ERR_NOMEM, 0, "out of memory while printing repr");
        return -1;
    }
    /* -1 (an item without a fixed hash, such as None) leaves the stored
     * order; -2 is out of memory */
    if (acar__py_set_order(v, order) == -2) {
        free(order);
        free(perm);
        acar__err_set(p->err, ACAR_ERR_NOMEM, 0, "out of memory while printing repr");
        return -1;
    }
    for (size_t k = 0; k < n; k++) perm[k] = stored[order[k]];
    free(order);
    frame *f = push(p, v, kind, perm, n, true);
    if (!f) { free(perm); return -1; }
    f->owned = 1;
    return 0;
}

/* ---- str and bytes ---- */

/* Byte classes: 1 C0 control, DEL or backslash; 2 the ' quote; 4 the "
 * quote; 8 not ASCII.  A byte is copied as it is when (class & mask) == 0. */
#define C_CTL 1u
#define C_SQ 2u
#define C_DQ 4u
#define C_HI 8u
#define R16(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
static const uint8_t byte_class[256] = {
    R16(C_CTL), R16(C_CTL),
    0, 0, C_DQ, 0, 0, 0, 0, C_SQ, 0, 0, 0, 0, 0, 0, 0, 0,
    R16(0), R16(0),
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, C_CTL, 0, 0, 0,
    R16(0),
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, C_CTL,
    R16(C_HI), R16(C_HI), R16(C_HI), R16(C_HI), R16(C_HI), R16(C_HI), R16(C_HI), R16(C_HI),
};
#undef R16

/* Eight bytes at a time: skips words with no byte < 0x20, no DEL, no byte
 * >= 0x80, no backslash and no quote (qq: the quote in every byte), the
 * usual case: 4.5 GB/s instead of 1.9 GB/s on long ASCII text.  The bit
 * tricks detect "some byte is zero / less than n" without false positives
 * when there is none. */
#define ONES8 0x0101010101010101ull
#define HIGHS8 0x8080808080808080ull
#define REP8(c) (ONES8 * (unsigned char)(c))
static inline size_t skip_clean(const unsigned char *s, size_t i, size_t len, uint64_t qq) {
    while (len - i >= 8) {
        uint64_t w, x, t;
        memcpy(&w, s + i, 8);
        t = w | ((w - REP8(0x20)) & ~w);
        x = w ^ REP8('\\');
        t |= (x - ONES8) & ~x;
        x = w ^ qq;
        t |= (x - ONES8) & ~x;
        x = w ^ REP8(0x7f);
        t |= (x - ONES8) & ~x;
        if (t & HIGHS8) break;
        i += 8;
    }
    return i;
}

/* CPython's quote choice for str and bytes: ' unless there is a ' and no ". */
static char pick_quote(const char *s, size_t len) {
    return memchr(s, '\'', len) && !memchr(s, '"', len) ? '"' : '\'';
}

/* Escapes of ASCII code points (and bytes): \\ \' \" \t \n \r \xNN. */
static void put_ascii_escape(printer *p, unsigned c) {
    char e[4] = {'\\', 0, 0, 0};
    size_t n = 2;
    switch (c) {
    case '\t': e[1] = 't'; break;
    case '\n': e[1] = 'n'; break;
    case '\r': e[1] = 'r'; break;
    case '\\': case '\'': case '"': e[1] = (char)c; break;
    default:
        e[1] = 'x';
        e[2] = hexdig[(c >> 4) & 15];
        e[3] = hexdig[c & 15];
        n = 4;
    }
    put(p, e, n);
}

static void put_cp_escape(printer *p, uint32_t cp) {
    char e[10];
    size_t n;
    if (cp <= 0xff) {
        e[1] = 'x';
        n = 4;
    } else if (cp <= 0xffff) {
        e[1] = 'u';
        n = 6;
    } else {
        e[1] = 'U';
        n = 10;
    }
    e[0] = '\\';
    for (size_t k = n; k > 2; k--, cp >>= 4) e[k - 1] = hexdig[cp & 15];
    put(p, e, n);
}

/* Decodes the non-ASCII sequence at s[0..avail): its code point and length,
 * or 0 when it is not UTF-8 (builders validate; this only keeps the read in
 * bounds).  Surrogates (ED A0..BF xx) decode like any 3-byte sequence. */
static size_t utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp) {
    unsigned c = s[0];
    size_t n;
    uint32_t v;
    if (c >= 0xc2 && c <= 0xdf) { n = 2; v = c & 0x1f; }
    else if (c >= 0xe0 && c <= 0xef) { n = 3; v = c & 0x0f; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 4; v = c & 0x07; }
    else return 0;
    if (n > avail) return 0;
    for (size_t k = 1; k < n; k++) {
        if ((s[k] & 0xc0) != 0x80) return 0;
        v = (v << 6) | (s[k] & 0x3fu);
    }
    *cp = v;
    return n;
}

/* The end of a byte-by-byte stint: the next try of skip_clean comes after
 * eight bytes that needed a look, so text where every word needs one (CJK,
 * binary bytes) does not pay for a failed word test at each character. */
static inline size_t stint_end(size_t i, size_t len) { return len - i > 8 ? i + 8 : len; }

static int put_str(printer *p, const acar_val *v) {
    const unsigned char *s = (const unsigned char *)v->u.s;
    size_t len = ACAR_LEN(v), i = 0, run = 0;
    char q = len ? pick_quote((const char *)s, len) : '\'';
    unsigned mask = C_CTL | C_HI | (q == '\'' ? C_SQ : C_DQ);
    uint64_t qq = REP8(q);
    acar__out_byte(p->out, q);
    /* Runs of bytes that print as they are go out in one write. */
    while (i < len) {
        i = skip_clean(s, i, len, qq);
        for (size_t stop = stint_end(i, len); i < stop;) {
            unsigned c = s[i];
            if (!(byte_class[c] & mask)) {
                i++;
                continue;
            }
            if (c < 0x80) {
                put(p, (const char *)s + run, i - run);
                put_ascii_escape(p, c);
                run = ++i;
                continue;
            }
            uint32_t cp;
            size_t n = utf8_decode(s + i, len - i, &cp);
            if (!n) {
                acar__err_set(p->err, ACAR_ERR_MALFORMED, 0, "repr: str holds invalid UTF-8");
                return -1;
            }
            if (!acar__uni_printable(cp)) {
                put(p, (const char *)s + run, i - run);
                put_cp_escape(p, cp);
                run = i + n;
            }
            i += n;
            stop = stint_end(i, len);
        }
    }
    put(p, (const char *)s + run, i - run);
    acar__out_byte(p->out, q);
    return 0;
}

/* bytes_repr; with bytearray_quirk the ' is escaped whatever the quote, as
 * bytearray_repr does.  Then the only bytes to escape are the ones C_SQ
 * marks: the chosen quote is " only when the data holds no ". */
static void put_bytes(printer *p, const unsigned char *s, size_t len, bool bytearray_quirk) {
    size_t i = 0, run = 0;
    char q = len ? pick_quote((const char *)s, len) : '\'';
    unsigned mask = C_CTL | C_HI | (q == '\'' || bytearray_quirk ? C_SQ : C_DQ);
    uint64_t qq = REP8(bytearray_quirk ? '\'' : q);
    acar__out_byte(p->out, 'b');
    acar__out_byte(p->out, q);
    while (i < len) {
        i = skip_clean(s, i, len, qq);
        for (size_t stop = stint_end(i, len); i < stop; i++) {
            unsigned c = s[i];
            if (!(byte_class[c] & mask)) continue;
            put(p, (const char *)s + run, i - run);
            put_ascii_escape(p, c);
            run = i + 1;
        }
    }
    put(p, (const char *)s + run, i - run);
    acar__out_byte(p->out, q);
}

/* ---- numbers ---- */

static int put_bigint(printer *p, const acar_val *v) {
    const uint32_t *mag = (const uint32_t *)v->u.p;
    size_t n = ACAR_LEN(v);
    size_t neg = (ACAR_FLAGS(v) & ACAR_F_NEG) && n ? 1 : 0;
    uint32_t *scratch = NULL;
    char *text = NULL;
    int rc = -1;
    if (n == 0) {
        acar__out_byte(p->out, '0');
        return 0;
    }
    /* Refuse without converting (quadratic) when even a lower bound of the
     * digit count is over the limit: digits >= floor((bits - 1) * log10 2) + 1,
     * and 301/1000 < log10 2. */
    uint64_t bits = (uint64_t)(n - 1) * 32;
    for (uint32_t top = mag[n - 1]; top; top >>= 1) bits++;
    uint64_t lo = bits ? (bits - 1) / 1000 * 301 + (bits - 1) % 1000 * 301 / 1000 + 1 : 1;
    if (lo + neg > INT_DIGITS_THRESHOLD && lo > p->max_digits) goto limit;
    size_t bound = acar_num_big_dec_bound(n);
    if (n > SIZE_MAX / sizeof(*scratch)) goto nomem;
    scratch = malloc(n * sizeof(*scratch));
    text = malloc(bound);
    if (!scratch || !text) goto nomem;
    size_t digits = acar_num_big_to_dec(mag, n, scratch, text);
    if (digits + neg > INT_DIGITS_THRESHOLD && digits > p->max_digits) goto limit;
    if (neg) acar__out_byte(p->out, '-');
    put(p, text, digits);
    rc = 0;
    goto done;
limit:
    acar__err_set(p->err, ACAR_ERR_LIMIT, 0,
                  "Exceeds the limit (%zu digits) for integer string conversion; "
                  "use sys.set_int_max_str_digits() to increase the limit", p->max_digits);
    goto done;
nomem:
    acar__err_set(p->err, ACAR_ERR_NOMEM, 0, "out of memory while printing repr");
done:
    free(scratch);
    free(text);
    return rc;
}

/* One part of a complex as PyOS_double_to_string(d, 'r', 0, flags): the
 * float repr without the ".0" that float.__repr__ adds; with sign, a '+'
 * before non-negative values and before every NaN. */
static void put_complex_part(printer *p, double d, bool sign) {
    char buf[ACAR_NUM_FLOAT_REPR_MAX + 1];
    if (isnan(d)) {
        if (sign) PUT_LIT(p, "+nan");
        else PUT_LIT(p, "nan");
        return;
    }
    size_t n = acar_num_float_repr(d, buf + 1);
    if (n >= 2 && buf[n - 1] == '.' && buf[n] == '0') n -= 2;
    char *s = buf + 1;
    if (sign && s[0] != '-') {
        *--s = '+';
        n++;
    }
    put(p, s, n);
}

static void put_complex(printer *p, const acar_val *v) {
    const double *c = (const double *)v->u.p;
    if (c[0] == 0.0 && !signbit(c[0])) {
        put_complex_part(p, c[1], false);
        acar__out_byte(p->out, 'j');
        return;
    }
    acar__out_byte(p->out, '(');
    put_complex_part(p, c[0], false);
    put_complex_part(p, c[1], true);
    PUT_LIT(p, "j)");
}

/* ---- non-builtin helpers ---- */

static void put_text(printer *p, const acar_val *s) {
    if (s && ACAR_TYPE(s) == ACAR_STR) put(p, s->u.s, ACAR_LEN(s));
    else PUT_LIT(p, "?");
}

static bool is_keyword(const char *s, size_t n) {
    static const char *const kw[] = {
        "False", "None", "True", "and", "as", "assert", "async", "await", "break",
        "class", "continue", "def", "del", "elif", "else", "except", "finally", "for",
        "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or",
        "pass", "raise", "return", "try", "while", "with", "yield"};
    for (size_t k = 0; k < sizeof(kw) / sizeof(kw[0]); k++)
        if (strlen(kw[k]) == n && memcmp(kw[k], s, n) == 0) return true;
    return false;
}

/* A key that can stand as name=value in a call: an ASCII identifier that is
 * not a keyword.  (Non-ASCII identifiers take the **{...} form.) */
static bool text_is(const acar_val *v, const char *s) {
    size_t n = strlen(s);
    return ACAR_TYPE(v) == ACAR_STR && ACAR_LEN(v) == n && memcmp(v->u.s, s, n) == 0;
}

/* decimal.Decimal(str) built by REDUCE and nothing more: pickle's form of a
 * Decimal, and how XML-RPC's <bigdecimal> reads. */
static bool is_decimal(const acar_val *v) {
    const acar_object_body *o = (const acar_object_body *)v->u.p;
    if ((ACAR_FLAGS(v) & ACAR_F_BUILD_MASK) != ACAR_BUILD_REDUCE || ACAR_TYPE(o->callable) != ACAR_GLOBAL ||
        o->kwargs || o->state || o->listitems || o->dictitems || !o->args ||
        ACAR_TYPE(o->args) != ACAR_TUPLE || ACAR_LEN(o->args) != 1 ||
        ACAR_TYPE(o->args->u.items[0]) != ACAR_STR)
        return false;
    const acar_global_body *g = (const acar_global_body *)o->callable->u.p;
    return text_is(g->module, "decimal") && text_is(g->name, "Decimal");
}

static bool is_kwarg_name(const acar_val *k) {
    if (!k || ACAR_TYPE(k) != ACAR_STR) return false;
    const char *s = k->u.s;
    size_t n = ACAR_LEN(k);
    if (n == 0 || (s[0] >= '0' && s[0] <= '9')) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return !is_keyword(s, n);
}

/* datetime.datetime(2020, 1, 2, 3, 4[, 5[, 6]][, fold=1]) */
static void put_datetime(printer *p, const acar_val *v) {
    acar_datetime d;
    acar_datetime_get(v, &d);
    char buf[96];
    int n = snprintf(buf, sizeof buf, "datetime.datetime(%d, %d, %d, %d, %d", d.year, d.month,
                     d.day, d.hour, d.minute);
    if (d.second || d.microsecond) n += snprintf(buf + n, sizeof buf - (size_t)n, ", %d", d.second);
    if (d.microsecond) n += snprintf(buf + n, sizeof buf - (size_t)n, ", %d", d.microsecond);
    if (d.fold) n += snprintf(buf + n, sizeof buf - (size_t)n, ", fold=1");
    buf[n++] = ')';
    put(p, buf, (size_t)n);
}

static void put_buffer(printer *p, const acar_val *v) {
    const acar_buffer_body *b = (const acar_buffer_body *)v->u.p;
    PUT_LIT(p, "PickleBuffer(");
    if (!b->data && b->oob >= 0) {
        char num[24];
        PUT_LIT(p, "<out-of-band ");
        put(p, num, acar_num_i64_to_dec((int64_t)b->oob, num));
        acar__out_byte(p->out, '>');
    } else if (ACAR_FLAGS(v) & ACAR_F_RO) {
        put_bytes(p, b->data, b->len, false);
    } else {
        PUT_LIT(p, "bytearray(");
        put_bytes(p, b->data, b->len, true);
        acar__out_byte(p->out, ')');
    }
    acar__out_byte(p->out, ')');
}

/* ---- one value ---- */

/* Prints a scalar whole, or the start of a container and pushes its frame. */
static int emit(printer *p, const acar_val *v) {
    char buf[ACAR_NUM_FLOAT_REPR_MAX];
    if (!v) {
        acar__err_set(p->err, ACAR_ERR_ARG, 0, "repr: NULL node");
        return -1;
    }
    size_t n = ACAR_LEN(v);
    switch (ACAR_TYPE(v)) {
    case ACAR_NONE: PUT_LIT(p, "None"); return 0;
    case ACAR_BOOL:
        if (v->u.i) PUT_LIT(p, "True");
        else PUT_LIT(p, "False");
        return 0;
    case ACAR_ELLIPSIS: PUT_LIT(p, "Ellipsis"); return 0;
    /* marshal's TYPE_STOPITER is the exception class itself */
    case ACAR_STOPITERATION: PUT_LIT(p, "<class 'StopIteration'>"); return 0;
    case ACAR_INT:
        if (ACAR_FLAGS(v) & ACAR_F_BIG) return put_bigint(p, v);
        put(p, buf, acar_num_i64_to_dec(v->u.i, buf));
        return 0;
    case ACAR_FLOAT:
        put(p, buf, acar_num_float_repr(v->u.f, buf));
        return 0;
    case ACAR_COMPLEX: put_complex(p, v); return 0;
    case ACAR_STR: return put_str(p, v);
    case ACAR_BYTES: put_bytes(p, (const unsigned char *)v->u.s, n, false); return 0;
    case ACAR_BYTEARRAY:
        PUT_LIT(p, "bytearray(");
        put_bytes(p, (const unsigned char *)v->u.s, n, true);
        acar__out_byte(p->out, ')');
        return 0;
    case ACAR_LIST:
        if (!n) { PUT_LIT(p, "[]"); return 0; }
        if (active(p, v)) { PUT_LIT(p, "[...]"); return 0; }
        acar__out_byte(p->out, '[');
        return push(p, v, FR_LIST, v->u.items, n, true) ? 0 : -1;
    case ACAR_TUPLE:
        if (!n) { PUT_LIT(p, "()"); return 0; }
        if (active(p, v)) { PUT_LIT(p, "(...)"); return 0; }
        acar__out_byte(p->out, '(');
        return push(p, v, FR_TUPLE, v->u.items, n, true) ? 0 : -1;
    case ACAR_DICT:
        if (!n) { PUT_LIT(p, "{}"); return 0; }
        if (active(p, v)) { PUT_LIT(p, "{...}"); return 0; }
        acar__out_byte(p->out, '{');
        return push_dict(p, v, FR_DICT, 2 * n, true);
    case ACAR_SET:
        if (!n) { PUT_LIT(p, "set()"); return 0; }
        if (active(p, v)) { PUT_LIT(p, "set(...)"); return 0; }
        acar__out_byte(p->out, '{');
        return push_set(p, v, FR_SET, n);
    case ACAR_FROZENSET:
        if (!n) { PUT_LIT(p, "frozenset()"); return 0; }
        if (active(p, v)) { PUT_LIT(p, "frozenset(...)"); return 0; }
        PUT_LIT(p, "frozenset({");
        return push_set(p, v, FR_FROZENSET, n);
    case ACAR_GLOBAL: {
        const acar_global_body *g = (const acar_global_body *)v->u.p;
        put_text(p, g->module);
        acar__out_byte(p->out, '.');
        put_text(p, g->name);
        return 0;
    }
    case ACAR_PERSID:
        if (active(p, v)) { PUT_LIT(p, "..."); return 0; }
        PUT_LIT(p, "persistent_load(");
        return push(p, v, FR_PERSID, NULL, 0, true) ? 0 : -1;
    case ACAR_OBJECT:
        if (acar__tensor_repr(v, p->out)) return 0; /* tensor(float32, (2, 3)) */
        if (is_decimal(v)) {
            /* Decimal('1.50'): the repr CPython gives what it builds */
            PUT_LIT(p, "Decimal(");
            if (put_str(p, ((const acar_object_body *)v->u.p)->args->u.items[0]) < 0) return -1;
            acar__out_byte(p->out, ')');
            return 0;
        }
        if (active(p, v)) { PUT_LIT(p, "..."); return 0; }
        return push(p, v, FR_OBJECT, NULL, 0, true) ? 0 : -1;
    case ACAR_BUFFER: put_buffer(p, v); return 0;
    case ACAR_CODE: acar__code_repr(v, p->out); return 0;
    case ACAR_DATETIME: put_datetime(p, v); return 0;
    }
    acar__err_set(p->err, ACAR_ERR_ARG, 0, "repr: node of unknown type %u", (unsigned)ACAR_TYPE(v));
    return -1;
}

/* The next part of an object: CALLABLE(ARGS, KWARGS).__setstate__(STATE)
 * .extend(LISTITEMS).update(DICTITEMS).  Each phase prints what closes the
 * one before, then starts its own part. */
static int step_object(printer *p, frame *f) {
    const acar_object_body *o = (const acar_object_body *)f->v->u.p;
    const acar_val *a = o->args, *kw = o->kwargs;
    bool has_args = a && !(ACAR_TYPE(a) == ACAR_TUPLE && ACAR_LEN(a) == 0);
    switch (f->phase++) {
    case 0:
        return emit(p, o->callable);
    case 1:
        acar__out_byte(p->out, '(');
        if (!has_args) return 0;
        if (ACAR_TYPE(a) != ACAR_TUPLE) {  /* not what REDUCE takes, but print it */
            acar__out_byte(p->out, '*');
            return emit(p, a);
        }
        if (active(p, a)) { PUT_LIT(p, "*(...)"); return 0; }
        return push(p, a, FR_ARGS, a->u.items, ACAR_LEN(a), false) ? 0 : -1;
    case 2:
        if (!kw || (ACAR_TYPE(kw) == ACAR_DICT && ACAR_LEN(kw) == 0)) return 0;
        if (has_args) PUT_LIT(p, ", ");
        if (ACAR_TYPE(kw) == ACAR_DICT && !active(p, kw)) {
            size_t n = ACAR_LEN(kw);
            acar_pairs pr = acar__pairs(kw);
            bool names = true;
            for (size_t k = 0; k < n && names; k++) names = is_kwarg_name(pr.keys[k * pr.stride]);
            if (names) return push_dict(p, kw, FR_KWARGS, n, false);
        }
        PUT_LIT(p, "**");
        return emit(p, kw);
    case 3:
        acar__out_byte(p->out, ')');
        if (!o->state) return 0;
        PUT_LIT(p, ".__setstate__(");
        return emit(p, o->state);
    case 4:
        if (o->state) acar__out_byte(p->out, ')');
        if (!o->listitems) return 0;
        PUT_LIT(p, ".extend(");
        return emit(p, o->listitems);
    case 5:
        if (o->listitems) acar__out_byte(p->out, ')');
        if (!o->dictitems) return 0;
        PUT_LIT(p, ".update(");
        return emit(p, o->dictitems);
    default:
        if (o->dictitems) acar__out_byte(p->out, ')');
        pop(p);
        return 0;
    }
}

/* Advances the top frame by one child, or closes it. */
static int step(printer *p) {
    frame *f = &p->st[p->top - 1];
    size_t i = f->i;
    switch (f->kind) {
    case FR_OBJECT:
        return step_object(p, f);
    case FR_PERSID:
        if (f->phase++ == 0) return emit(p, (const acar_val *)f->v->u.p);
        acar__out_byte(p->out, ')');
        pop(p);
        return 0;
    case FR_DICT:
        if (i == f->n) break;
        f->i++;
        if (i & 1) {
            PUT_LIT(p, ": ");
            return emit(p, f->vals[(i >> 1) * f->stride]);
        }
        if (i) PUT_LIT(p, ", ");
        return emit(p, f->items[(i >> 1) * f->stride]);
    case FR_KWARGS:
        if (i == f->n) break;
        f->i++;
        if (i) PUT_LIT(p, ", ");
        put_text(p, f->items[i * f->stride]);
        acar__out_byte(p->out, '=');
        return emit(p, f->vals[i * f->stride]);
    default:
        if (i == f->n) break;
        f->i++;
        if (i) PUT_LIT(p, ", ");
        return emit(p, f->items[i]);
    }
    switch (f->kind) {
    case FR_LIST: acar__out_byte(p->out, ']'); break;
    case FR_TUPLE:
        if (f->n == 1) acar__out_byte(p->out, ',');
        acar__out_byte(p->out, ')');
        break;
    case FR_DICT: case FR_SET: acar__out_byte(p->out, '}'); break;
    case FR_FROZENSET: PUT_LIT(p, "})"); break;
    default: break;  /* FR_ARGS, FR_KWARGS: the object closes the call */
    }
    pop(p);
    return 0;
}

int acar__repr_write(const acar_val *v, const acar_write_opts *opts, acar_out *out, acar_err *err) {
    printer p;
    memset(&p, 0, sizeof(p));
    p.out = out;
    p.err = err;
    p.max_depth = opts && opts->max_depth ? opts->max_depth : ACAR_DEFAULT_MAX_DEPTH;
    p.max_digits = opts && opts->max_int_digits ? opts->max_int_digits : ACAR_DEFAULT_MAX_INT_DIGITS;
    /* The caller bounds the output (out->limit): shared nodes print once
     * per use, so a small document can print exponentially long. */
    int rc = emit(&p, v);
    while (rc == 0 && p.top > 0 && !out->failed) rc = step(&p);
    if (rc == 0 && out->failed) {
        acar__err_set(err, ACAR_ERR_NOMEM, 0, "out of memory writing repr");
        rc = -1;
    }
    while (p.top > 0) pop(&p);  /* after an error: free what open frames own */
    free(p.st);
    free(p.set);
    return rc;
}
