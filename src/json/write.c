/*
 * write.c -- JSON as Python 3.11's json.dumps writes it, and JSON Lines.
 *
 * Output, byte for byte what json.dumps(obj, indent=, separators=,
 * sort_keys=, ensure_ascii=, allow_nan=, skipkeys=) returns (encoded as
 * UTF-8 with surrogatepass, acar's str model):
 *   None true false  null true false
 *   int              int.__repr__: decimal, any size, the int-digits limit
 *                    checked as str(int) checks it
 *   float            float.__repr__; NaN Infinity -Infinity (an error
 *                    without allow_nan)
 *   str              "..." with \" \\ \n \r \t \b \f, other C0 controls as
 *                    \u00XX; with ensure_ascii also DEL and every non-ASCII
 *                    code point as \uXXXX (astral ones as a surrogate pair,
 *                    lone surrogates as themselves), lowercase hex
 *   list, tuple      [a, b]
 *   dict             {"k": v}; keys: str as is, float by floatstr, True
 *                    False None as "true" "false" "null", int by int.__repr__;
 *                    other key types are an error unless skipkeys drops them
 * With indent (a string; Python's indent=N is N spaces) every item goes on
 * its own line: '\n' + indent * level before it and before the closing
 * bracket; empty containers stay [] and {}.  Separators default to ', ' and
 * ': ', and ',' and ': ' with indent.
 *
 * sort_keys sorts the pairs as sorted(d.items()) does: by the original keys
 * (values only break ties between identical keys), with Python's '<' between
 * keys (numbers by exact value, str by code point, tuples element-wise,
 * frozensets by inclusion), before coercion, with the algorithm of CPython
 * 3.11's list.sort (runs, binary insertion, powersort merges with
 * galloping), comparison for comparison: mixed key types fail with the same
 * message and partial orders (NaN or frozenset keys) come out the same.
 *
 * Python has two encoders: without indent json.dumps runs the C one,
 * with indent the Python one.  For acar's values they differ only in
 * messages: the allow_nan one (the Python encoder appends ": nan") and how
 * a bad key's type is named (tp_name "datetime.datetime" against __name__
 * "datetime"); acar says what the encoder json.dumps would run says.
 *
 * Errors (what Python raises, with the path to the value in front):
 *   ACAR_ERR_TYPE   Object of type bytes is not JSON serializable;
 *                   Circular reference detected; keys must be str, int,
 *                   float, bool or None, not tuple; '<' not supported
 *                   between instances of 'str' and 'int' (sort_keys); Out
 *                   of range float values are not JSON compliant
 *   ACAR_ERR_LIMIT  Exceeds the limit (4300 digits) for integer string
 *                   conversion; nesting deeper than max_depth
 * e.g. "$.users[3].avatar: Object of type bytes is not JSON serializable".
 *
 * Nesting is walked with an explicit stack of frames, never recursion:
 * 100000-deep lists are written (CPython raises RecursionError there).
 * Scalars are written straight into the output buffer after one reserve;
 * in the item loops the common ones (and the separators) go through a
 * cursor held in locals (see step).  Strings are copied sixteen bytes at
 * a time (SSE2, else eight) while no byte needs escaping, and short keys
 * in one test of both ends.
 */
#include "core/internal.h"
#include "num/num.h"

#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* CPython's _PY_LONG_MAX_STR_DIGITS_THRESHOLD: the digit limit is only
 * checked when the decimal text (sign included) is longer than this. */
#define INT_DIGITS_THRESHOLD 640u

enum { FR_LIST, FR_DICT };

typedef struct frame {
    const acar_val *v;
    acar_val *const *items;  /* list: items; dict: key i at items[i << shift] */
    acar_val *const *vals;   /* dict: value i at vals[i << shift] (acar__pairs) */
    unsigned shift;          /* dict: 1 in pairs, 0 split */
    size_t *order;           /* sorted dict: pair indices in order (owned) */
    size_t i, n;             /* next item or pair, and how many */
    size_t written;          /* pairs written (skipkeys drops some) */
    size_t cur;              /* dict: the pair being written */
    int kind;
} frame;

#define ST0 16   /* frames in the writer itself */
#define SEP0 64  /* bytes of separators in the writer itself (grow_sep) */

typedef struct writer {
    acar_out *out;
    acar_err *err;
    bool ascii, allow_nan, sort, skip, pyenc;
    uint64_t plain_tag;      /* the tag bit of strs written as they are (0: none) */
    const char *indent;
    size_t indent_len;
    const char *isep, *ksep;
    size_t isep_len, ksep_len;
    char *sep;               /* see grow_sep */
    size_t sep_levels;
    char ksep_pad[32];       /* key_sep when at most 16 bytes, zero padded */
    bool short_seps;         /* no indent, both separators at most 16 bytes: */
    uint64_t seps[4];        /* item_sep and key_sep as two words each */
    frame *st;
    size_t top, cap;
    const acar_val **set;    /* containers being written below SCAN_FRAMES */
    size_t set_cap, set_n;
    unsigned set_shift;
    size_t filter[64];       /* open containers per filter_slot */
    size_t max_depth, max_digits;
    size_t line;             /* JSON Lines: the item being written, else SIZE_MAX */
    /* Not cleared by run (each is written before it is read): the first
     * frames and the separators of a write that needs no more, so that a
     * small write allocates nothing (two mallocs and frees were a third of
     * writing {"a": 1} into a kept buffer). */
    frame st0[ST0];
    char sep0[SEP0];
} writer;

#if defined(__GNUC__) || defined(__clang__)
#define NOINLINE __attribute__((noinline))
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define NOINLINE
#define ALWAYS_INLINE inline
#endif

/* ---- output ---- */

static inline void put(writer *w, const char *s, size_t n) {
    acar_buf *b = w->out->buf;
    if (n <= b->cap - b->len) {
        if (n) memcpy(b->data + b->len, s, n);
        b->len += n;
    } else {
        acar__out_write(w->out, s, n);
    }
}
#define PUT_LIT(w, lit) put((w), (lit), sizeof(lit) - 1)

static inline void put_byte(writer *w, char c) { acar__out_byte(w->out, c); }

/* Room for n bytes at the end of the output (NULL after a failure, which
 * the buffer remembers); the caller adds what it wrote to len. */
static inline char *reserve(writer *w, size_t n) {
    acar_buf *b = w->out->buf;
    if (n <= b->cap - b->len) return b->data + b->len;
    return acar__out_reserve(w->out, n);
}

/* ---- errors with the path to the value ---- */

#define NAME_MAX_LEN 64
static const char *class_name(const acar_val *v, char buf[NAME_MAX_LEN]);

/* A name as Python's type(o).__name__ says it. */
static const char *py_type_name(const acar_val *v, char buf[NAME_MAX_LEN]) {
    switch (ACAR_TYPE(v)) {
    case ACAR_STOPITERATION: return "type";  /* the class StopIteration itself */
    case ACAR_GLOBAL: return "type";         /* pickled globals are mostly classes */
    case ACAR_OBJECT: return class_name(v, buf);
    default: return acar_type_name(ACAR_TYPE(v));
    }
}

/* Python's type(o).__qualname__ with its module as the C level names the
 * type (tp_name): what the C encoder's key message and every '<' failure
 * say.  It differs from __name__ only for types of C modules. */
static const char *py_tp_name(const acar_val *v, char buf[NAME_MAX_LEN]) {
    switch (ACAR_TYPE(v)) {
    case ACAR_DATETIME: return "datetime.datetime";
    case ACAR_BUFFER: return "pickle.PickleBuffer";
    default: return py_type_name(v, buf);
    }
}

/* The last dotted part of a str node, or NULL. */
static const char *last_part(const acar_val *s, size_t *len) {
    if (!s || ACAR_TYPE(s) != ACAR_STR) return NULL;
    const char *p = s->u.s, *e = p + ACAR_LEN(s), *q = e;
    while (q > p && q[-1] != '.') q--;
    *len = (size_t)(e - q);
    return q;
}

/* An object's class name: the class a NEWOBJ/INST/OBJ names, the first
 * argument of copyreg._reconstructor, else the callable REDUCE called. */
static const char *class_name(const acar_val *v, char buf[NAME_MAX_LEN]) {
    const acar_object_body *o = v->u.p;
    const acar_val *c = o->callable;
    if (acar_object_build(v) == ACAR_BUILD_REDUCE && c && ACAR_TYPE(c) == ACAR_GLOBAL) {
        size_t n;
        const char *nm = last_part(((const acar_global_body *)c->u.p)->name, &n);
        if (nm && n == 14 && memcmp(nm, "_reconstructor", 14) == 0 && o->args &&
            ACAR_TYPE(o->args) == ACAR_TUPLE && ACAR_LEN(o->args) >= 1)
            c = o->args->u.items[0];
    }
    size_t n = 0;
    const char *nm = c && ACAR_TYPE(c) == ACAR_GLOBAL
                         ? last_part(((const acar_global_body *)c->u.p)->name, &n) : NULL;
    if (!nm) return "object";
    if (n >= NAME_MAX_LEN) n = NAME_MAX_LEN - 1;
    memcpy(buf, nm, n);
    buf[n] = 0;
    return buf;
}

static bool is_ident(const char *s, size_t n) {
    if (n == 0 || (s[0] >= '0' && s[0] <= '9')) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

/* One step of a path into buf (at most 36 bytes): [3] for a list item,
 * .name or ["key"] for a dict value. */
static size_t step_text(const frame *f, char *buf) {
    if (f->kind == FR_LIST) {
        char num[24];
        size_t n = acar_num_i64_to_dec((int64_t)(f->i ? f->i - 1 : 0), num);
        buf[0] = '[';
        memcpy(buf + 1, num, n);
        buf[n + 1] = ']';
        return n + 2;
    }
    const acar_val *k = f->items[f->cur << f->shift];
    char tmp[ACAR_NUM_FLOAT_REPR_MAX + 2];
    const char *s;
    size_t n;
    switch (ACAR_TYPE(k)) {
    case ACAR_STR: s = k->u.s; n = ACAR_LEN(k); break;
    case ACAR_FLOAT:
        if (isfinite(k->u.f)) { s = tmp; n = acar_num_float_repr(k->u.f, tmp); }
        else { s = isnan(k->u.f) ? "NaN" : k->u.f > 0 ? "Infinity" : "-Infinity"; n = strlen(s); }
        break;
    case ACAR_BOOL: s = k->u.i ? "true" : "false"; n = strlen(s); break;
    case ACAR_NONE: s = "null"; n = 4; break;
    case ACAR_INT:
        if (!(ACAR_FLAGS(k) & ACAR_F_BIG)) { s = tmp; n = acar_num_i64_to_dec(k->u.i, tmp); break; }
        /* fall through */
    default: s = "..."; n = 3; break;
    }
    if (is_ident(s, n) && n <= 32) {
        buf[0] = '.';
        memcpy(buf + 1, s, n);
        return n + 1;
    }
    size_t o = 0, lim = n > 28 ? 24 : n;
    buf[o++] = '[';
    buf[o++] = '"';
    for (size_t i = 0; i < lim; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[o++] = c < 0x20 || c == '"' || c == '\\' ? '?' : (char)c;
    }
    if (lim < n) {
        /* do not cut a UTF-8 sequence in half */
        while (o > 2 && ((unsigned char)buf[o - 1] & 0xc0) == 0x80) o--;
        if (o > 2 && (unsigned char)buf[o - 1] >= 0xc0) o--;
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o++] = '"';
    buf[o++] = ']';
    return o;
}

/* Fills err with "PATH: text"; the path of the first nframes frames (each
 * at its current item), its head cut to "$..." when long. */
static int fail(writer *w, size_t nframes, acar_code code, const char *fmt, ...) {
    char text[ACAR_ERR_MSG_MAX], path[ACAR_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    size_t tlen = strlen(text);
    size_t budget = ACAR_ERR_MSG_MAX - 1 > tlen + 2 + 24 ? ACAR_ERR_MSG_MAX - 1 - tlen - 2 : 24;
    /* Built backwards from the innermost step. */
    size_t start = sizeof path - 1, k = nframes;
    path[start] = 0;
    bool cut = false;
    while (k > 0) {
        char piece[48];
        size_t n = step_text(&w->st[k - 1], piece);
        if (sizeof path - 1 - start + n + 4 > budget) { cut = true; break; }
        start -= n;
        memcpy(path + start, piece, n);
        k--;
    }
    if (!cut && w->line != SIZE_MAX) {
        char piece[32];
        int n = snprintf(piece, sizeof piece, "[%zu]", w->line);
        if (n > 0 && sizeof path - 1 - start + (size_t)n + 4 <= budget) {
            start -= (size_t)n;
            memcpy(path + start, piece, (size_t)n);
        } else {
            cut = true;
        }
    }
    if (cut) {
        start -= 3;
        memcpy(path + start, "...", 3);
    }
    path[--start] = '$';
    acar__err_set(w->err, code, 0, "%s: %s", path + start, text);
    return -1;
}

static int fail_nomem(writer *w) {
    acar__err_set(w->err, ACAR_ERR_NOMEM, 0, "out of memory writing json");
    return -1;
}

/* ---- the set of containers being written ---- */

static inline size_t set_slot(const writer *w, const acar_val *v) {
    /* Fibonacci hashing spreads the pointer's middle bits into the top ones. */
    return (size_t)(((uint64_t)(uintptr_t)v * 0x9E3779B97F4A7C15ull) >> w->set_shift);
}

static bool set_has(const writer *w, const acar_val *v) {
    if (!w->set_n) return false;
    size_t mask = w->set_cap - 1;
    for (size_t i = set_slot(w, v);; i = (i + 1) & mask) {
        if (w->set[i] == v) return true;
        if (!w->set[i]) return false;
    }
}

static void set_put_raw(writer *w, const acar_val *v) {
    size_t mask = w->set_cap - 1, i = set_slot(w, v);
    while (w->set[i]) i = (i + 1) & mask;
    w->set[i] = v;
    w->set_n++;
}

static int set_add(writer *w, const acar_val *v) {
    if ((w->set_n + 1) * 2 > w->set_cap) {
        size_t ncap = w->set_cap ? w->set_cap * 2 : 64;
        const acar_val **old = w->set, **nset = calloc(ncap, sizeof *nset);
        if (!nset) return fail_nomem(w);
        size_t ocap = w->set_cap;
        w->set = nset;
        w->set_cap = ncap;
        w->set_n = 0;
        w->set_shift = 64;
        for (size_t c = ncap; c > 1; c >>= 1) w->set_shift--;
        for (size_t i = 0; i < ocap; i++)
            if (old[i]) set_put_raw(w, old[i]);
        free(old);
    }
    set_put_raw(w, v);
    return 0;
}

/* Removes v, moving later members of its probe run back (no tombstones). */
static void set_del(writer *w, const acar_val *v) {
    size_t mask = w->set_cap - 1, i = set_slot(w, v);
    while (w->set[i] != v) i = (i + 1) & mask;
    w->set[i] = NULL;
    w->set_n--;
    for (size_t j = (i + 1) & mask; w->set[j]; j = (j + 1) & mask) {
        size_t home = set_slot(w, w->set[j]);
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            w->set[i] = w->set[j];
            w->set[j] = NULL;
            i = j;
        }
    }
}

/* Outer frames are scanned in place; only deeper ones go into the hash set,
 * so ordinary documents never hash. */
#define SCAN_FRAMES 16u

static inline unsigned filter_slot(const acar_val *v) {
    return (unsigned)(((uint64_t)(uintptr_t)v * 0x9E3779B97F4A7C15ull) >> 58);
}

/* Whether v is being written by an enclosing frame.  A counting filter of
 * 64 buckets over the open containers answers "no" for most nodes with one
 * load: the scan it saves was 25 instructions per container of
 * citm_catalog (5% of the write). */
static ALWAYS_INLINE bool active(const writer *w, const acar_val *v) {
    if (!w->filter[filter_slot(v)]) return false;
    size_t k = w->top < SCAN_FRAMES ? w->top : SCAN_FRAMES;
    for (size_t j = 0; j < k; j++)
        if (w->st[j].v == v) return true;
    return w->top > SCAN_FRAMES && set_has(w, v);
}

static ALWAYS_INLINE frame *push(writer *w, const acar_val *v, int kind, acar_val *const *items,
                                 size_t n) {
    if (w->top >= w->max_depth) {
        fail(w, w->top, ACAR_ERR_LIMIT, "nesting deeper than the depth limit (%zu)", w->max_depth);
        return NULL;
    }
    if (w->top == w->cap) {
        size_t ncap = w->cap * 2;
        frame *nst = ncap <= SIZE_MAX / sizeof *nst
                         ? acar__regrow(w->st, w->st0, w->cap * sizeof *nst, ncap * sizeof *nst) : NULL;
        if (!nst) { fail_nomem(w); return NULL; }
        w->st = nst;
        w->cap = ncap;
    }
    if (w->top >= SCAN_FRAMES && set_add(w, v) < 0) return NULL;
    w->filter[filter_slot(v)]++;
    frame *f = &w->st[w->top++];
    f->v = v;
    f->items = items;
    f->order = NULL;
    f->i = f->written = f->cur = 0;
    f->n = n;
    f->kind = kind;
    return f;
}

static ALWAYS_INLINE void pop(writer *w) {
    frame *f = &w->st[--w->top];
    if (f->order) free(f->order);
    w->filter[filter_slot(f->v)]--;
    if (w->top >= SCAN_FRAMES) set_del(w, f->v);
}

/* Separators come from one buffer, w->sep: item_sep, then (with indent)
 * "\n" + indent * sep_levels, then SEP_PAD spare bytes, so that the item
 * separator at level L is its first isep_len + 1 + L * indent_len bytes and
 * the newline before a closing bracket starts at isep_len.  The spare bytes
 * let short pieces go out as one fixed 16- or 32-byte copy (a memcpy call
 * per line was 6% of writing citm_catalog with indent=2). */
#define SEP_PAD 32u

static int grow_sep(writer *w, size_t level) {
    size_t want = w->sep_levels * 2 > level ? w->sep_levels * 2 : level + 8;
    if (!w->indent) want = 0;
    if (w->indent_len && want > (SIZE_MAX / 2) / w->indent_len) return fail_nomem(w);
    size_t size = w->isep_len + 1 + want * w->indent_len + SEP_PAD;
    /* rebuilt whole: nothing to keep from the old buffer */
    char *nl = size <= SEP0 ? w->sep0 : w->sep == w->sep0 || !w->sep ? malloc(size) : realloc(w->sep, size);
    if (!nl) return fail_nomem(w);
    memset(nl, 0, size);
    memcpy(nl, w->isep, w->isep_len);
    nl[w->isep_len] = '\n';
    for (size_t k = 0; k < want; k++)
        memcpy(nl + w->isep_len + 1 + k * w->indent_len, w->indent, w->indent_len);
    w->sep = nl;
    w->sep_levels = want;
    return 0;
}

/* Writes n <= 16 bytes of a padded buffer (s + 16 readable). */
static inline void put_padded(writer *w, const char *s, size_t n) {
    acar_buf *b = w->out->buf;
    if (b->cap - b->len >= 16) {
        memcpy(b->data + b->len, s, 16);
        b->len += n;
    } else {
        put(w, s, n);
    }
}

/* Writes n bytes of the separator buffer from s (32 readable past s). */
static inline void put_sep_bytes(writer *w, const char *s, size_t n) {
    acar_buf *b = w->out->buf;
    if (n <= 32 && b->cap - b->len >= 32) {
        memcpy(b->data + b->len, s, 32);
        b->len += n;
    } else {
        put(w, s, n);
    }
}

static NOINLINE int put_sep_indent(writer *w, size_t level) {
    if (level > w->sep_levels && grow_sep(w, level) < 0) return -1;
    put_sep_bytes(w, w->sep, w->isep_len + 1 + level * w->indent_len);
    return 0;
}

/* The separator before an item at nesting level (frames open) level.
 * Inline for compact output (the compiler would not inline it whole:
 * 27 instructions a call, 8% of the instructions writing update-center.json). */
static ALWAYS_INLINE int put_sep(writer *w, size_t level) {
    if (!w->indent) {
        if (w->isep_len <= 16) put_padded(w, w->sep, w->isep_len);
        else put(w, w->sep, w->isep_len);
        return 0;
    }
    return put_sep_indent(w, level);
}

/* "\n" + indent * level (indent only). */
static inline int put_newline(writer *w, size_t level) {
    if (level > w->sep_levels && grow_sep(w, level) < 0) return -1;
    put_sep_bytes(w, w->sep + w->isep_len, 1 + level * w->indent_len);
    return 0;
}

/* ---- strings ---- */

/* What follows the backslash for each ASCII byte: 0 copy it, 'u' \u00XX. */
static const char esc_table[128] = {
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'b', 't', 'n', 'u', 'f', 'r', 'u', 'u',
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
    0, 0, '"', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '\\', 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* "00" "01" ... "ff": a byte as two lowercase hex digits. */
static const char hex2[513] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
    "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
    "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
    "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

/* The escapes of the code points a two-byte UTF-8 sequence holds (below
 * U+0800), eight bytes each for one store: "\\u0416" and two spare bytes
 * that the next write covers. */
#define HX(n) ((char)((n) < 10 ? '0' + (n) : 'a' - 10 + (n)))
#define U4(c) {'\\', 'u', '0', HX(((c) >> 8) & 15), HX(((c) >> 4) & 15), HX((c) & 15), 0, 0}
#define U4_4(c) U4(c), U4((c) + 1), U4((c) + 2), U4((c) + 3)
#define U4_16(c) U4_4(c), U4_4((c) + 4), U4_4((c) + 8), U4_4((c) + 12)
#define U4_64(c) U4_16(c), U4_16((c) + 16), U4_16((c) + 32), U4_16((c) + 48)
#define U4_256(c) U4_64(c), U4_64((c) + 64), U4_64((c) + 128), U4_64((c) + 192)
static const char u4_two[2048][8] = {
    U4_256(0), U4_256(256), U4_256(512), U4_256(768),
    U4_256(1024), U4_256(1280), U4_256(1536), U4_256(1792),
};
#undef U4_256
#undef U4_64
#undef U4_16
#undef U4_4
#undef U4
#undef HX

static inline char *put_u4(char *d, unsigned cp) {
    d[0] = '\\';
    d[1] = 'u';
    memcpy(d + 2, hex2 + 2 * ((cp >> 8) & 0xff), 2);
    memcpy(d + 4, hex2 + 2 * (cp & 0xff), 2);
    return d + 6;
}

/* The largest piece of text escaped per reserve: output is at most 6 bytes
 * per input byte, plus one character that crosses the piece's end. */
#define STR_PIECE 8192u

/* Bytes copied as they are: 1.  Without ensure_ascii every byte from 0x80
 * up is copied too. */
#define R16(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
#define ASCII_CLEAN \
    R16(0), R16(0), \
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, \
    R16(1), R16(1), \
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, \
    R16(1), \
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
static const uint8_t clean_ascii[256] = {ASCII_CLEAN, 0, R16(0), R16(0), R16(0), R16(0),
                                         R16(0), R16(0), R16(0), R16(0)};
static const uint8_t clean_raw[256] = {ASCII_CLEAN, 1, R16(1), R16(1), R16(1), R16(1),
                                       R16(1), R16(1), R16(1), R16(1)};
#undef ASCII_CLEAN
#undef R16

/* Writes one code point >= 0x80 of s[0..avail) as \uXXXX (a surrogate pair
 * above the BMP); returns the bytes it took, 0 when s is not UTF-8 (the
 * builders validated it, so only a broken node gets there). */
static size_t put_escaped_cp(const unsigned char *s, size_t avail, char **dp) {
    unsigned c = s[0];
    uint32_t cp;
    size_t n;
    if (c >= 0xc2 && c <= 0xdf && avail >= 2) {
        cp = (c & 0x1fu) << 6 | (s[1] & 0x3fu);
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef && avail >= 3) {
        cp = (c & 0x0fu) << 12 | (s[1] & 0x3fu) << 6 | (s[2] & 0x3fu);
        n = 3;
    } else if (c >= 0xf0 && c <= 0xf4 && avail >= 4) {
        cp = (c & 0x07u) << 18 | (s[1] & 0x3fu) << 12 | (s[2] & 0x3fu) << 6 | (s[3] & 0x3fu);
        n = 4;
    } else {
        return 0;
    }
    if (cp >= 0x10000) {
        cp -= 0x10000;
        *dp = put_u4(*dp, 0xd800 | (cp >> 10));
        *dp = put_u4(*dp, 0xdc00 | (cp & 0x3ff));
    } else {
        *dp = put_u4(*dp, cp);
    }
    return n;
}

#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#include <emmintrin.h>
#define HAVE_SSE2 1

/* Bit k set when byte k of v needs a look (as acar__json_word_dirty). */
static inline unsigned dirty16(__m128i v, bool ascii) {
    __m128i m = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                             _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
    if (ascii)  /* signed: bytes >= 0x80 are below 0x20 too */
        m = _mm_or_si128(m, _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                                         _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f))));
    else  /* unsigned v <= 0x1f */
        m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x1f)), _mm_set1_epi8(0x1f)));
    return (unsigned)_mm_movemask_epi8(m);
}

static inline unsigned first_bit(unsigned m) {
#if defined(__GNUC__) || defined(__clang__)
    return (unsigned)__builtin_ctz(m);
#else
    unsigned k = 0;
    while (!(m & 1u)) { m >>= 1; k++; }
    return k;
#endif
}
#endif

/* Whether any of the 16 bytes a, b needs a look. */
static inline bool pair_dirty(uint64_t a, uint64_t b, bool ascii) {
#ifdef HAVE_SSE2
    return dirty16(_mm_set_epi64x((long long)b, (long long)a), ascii) != 0;
#else
    return acar__json_word_dirty(a, ascii) || acar__json_word_dirty(b, ascii);
#endif
}

/* Escapes s[*ip..stop), a piece of the string s[0..len), at d, which has
 * room for 6 bytes per input byte of the piece plus 32; a character that
 * crosses stop is taken whole.  Clean runs go sixteen bytes at a time with
 * SSE2 (the first byte needing a look found with one bit scan), else eight
 * at a time; then clean bytes one by one up to the next byte that needs a
 * look.  Returns the end of the output, NULL when s is not UTF-8 (the
 * builders validated it, so only a broken node gets there). */
static char *escape_piece(bool ascii, const unsigned char *s, size_t len, size_t *ip, size_t stop,
                          char *d) {
    const uint8_t *clean = ascii ? clean_ascii : clean_raw;
    size_t i = *ip;
    while (i < stop) {
#ifdef HAVE_SSE2
        while (stop - i >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            unsigned m = dirty16(v, ascii);
            /* output never outgrows input before i: there is room */
            _mm_storeu_si128((__m128i *)(void *)d, v);
            if (m) {
                unsigned k = first_bit(m);
                d += k;
                i += k;
                goto look;  /* s[i] needs a look: no word test can pass */
            }
            d += 16;
            i += 16;
        }
#endif
        while (stop - i >= 8) {
            uint64_t x;
            memcpy(&x, s + i, 8);
            if (acar__json_word_dirty(x, ascii)) break;
            memcpy(d, &x, 8);
            d += 8;
            i += 8;
        }
        /* a clean tail of the whole string: one overlapping word */
        if (stop == len && len - i < 8 && len >= 8) {
            uint64_t x;
            memcpy(&x, s + len - 8, 8);
            if (!acar__json_word_dirty(x, ascii)) {
                memcpy(d + (len - i) - 8, &x, 8);
                d += len - i;
                i = len;
                break;
            }
        }
    look:
        while (i < stop && clean[s[i]]) *d++ = (char)s[i++];
        if (i >= stop) break;
        unsigned c = s[i];
        if (c < 0x80) {
            char e = esc_table[c];
            if (e && e != 'u') {
                d[0] = '\\';
                d[1] = e;
                d += 2;
            } else {
                d = put_u4(d, c);  /* C0 controls, and DEL with ensure_ascii */
            }
            i++;
            /* text that is all escapes (CJK with ensure_ascii) skips the
             * word tests that would fail: 14% fewer instructions for twitter.json */
            if (i < stop && !clean[s[i]]) goto look;
            continue;
        }
        /* only ensure_ascii stops at bytes >= 0x80; runs of two- and
         * three-byte characters (Cyrillic, CJK) in loops of their own
         * (twitter.json 2950 -> 3460 MB/s) */
        if ((c & 0xf0) == 0xe0 && len - i >= 3) {
            do {
                d = put_u4(d, (s[i] & 0x0fu) << 12 | (s[i + 1] & 0x3fu) << 6 | (s[i + 2] & 0x3fu));
                i += 3;
            } while (i < stop && (s[i] & 0xf0) == 0xe0 && len - i >= 3);
            if (i < stop && !clean[s[i]]) goto look;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf && len - i >= 2) {
            /* a lead byte before last2 has its second byte in the string */
            size_t last2 = stop < len - 1 ? stop : len - 1;
            for (;;) {
                /* room for 6 bytes an input byte: the spare two fit */
                memcpy(d, u4_two[(s[i] & 0x1fu) << 6 | (s[i + 1] & 0x3fu)], 8);
                d += 6;
                i += 2;
                if (i >= last2) break;
                if ((unsigned)(s[i] - 0xc2) <= 0xdf - 0xc2) continue;
                /* one space between words of such text (names in Cyrillic)
                 * stays in this loop */
                if (s[i] == ' ' && i + 1 < last2 && (unsigned)(s[i + 1] - 0xc2) <= 0xdf - 0xc2) {
                    *d++ = ' ';
                    i++;
                    continue;
                }
                break;
            }
            if (i < stop && !clean[s[i]]) goto look;
            continue;
        }
        size_t n = put_escaped_cp(s + i, len - i, &d);
        if (!n) {
            *ip = i;
            return NULL;
        }
        i += n;
        if (i < stop && !clean[s[i]]) goto look;
    }
    *ip = i;
    return d;
}

static NOINLINE int bad_utf8(writer *w) {
    acar__err_set(w->err, ACAR_ERR_MALFORMED, 0, "json: str holds invalid UTF-8");
    return -1;
}

/* The general case: text of any length, escapes, in pieces of at most
 * STR_PIECE input bytes per reserve. */
static int put_str_any(writer *w, const unsigned char *s, size_t len) {
    size_t i = 0, piece = len < STR_PIECE ? len : STR_PIECE;
    char *d = reserve(w, 6 * piece + 32), *d0 = d;
    if (!d) return 0;  /* the buffer's failure is reported at the end */
    *d++ = '"';
    for (;;) {
        d = escape_piece(w->ascii, s, len, &i, i + piece, d);
        if (!d) return bad_utf8(w);
        if (i >= len) break;
        w->out->buf->len += (size_t)(d - d0);
        piece = len - i < STR_PIECE ? len - i : STR_PIECE;
        d = d0 = reserve(w, 6 * piece + 32);
        if (!d) return 0;
    }
    *d++ = '"';
    w->out->buf->len += (size_t)(d - d0);
    return 0;
}

/* The whole string quoted and escaped at *dp, which has room for 6 bytes
 * per input byte plus 34: 0, or 2 when it is not UTF-8 (for the general
 * path to report). */
static NOINLINE int put_str_at(bool ascii, const unsigned char *s, size_t len, char **dp) {
    char *d = *dp;
    size_t i = 0;
    d[0] = '"';
    d = escape_piece(ascii, s, len, &i, len, d + 1);
    if (!d) return 2;
    *d = '"';
    *dp = d + 1;
    return 0;
}

/* The bytes of a str of len 1-3 are s[0], s[len / 2] and s[len - 1]
 * (some of them the same byte): three loads and no loop, whose exit
 * mispredicted as the lengths changed (update-center.json has 3,000 such
 * strs and keys). */
static ALWAYS_INLINE void copy_1to3(char *d, const unsigned char *s, size_t len) {
    d[0] = (char)s[0];
    d[len / 2] = (char)s[len / 2];
    d[len - 1] = (char)s[len - 1];
}

/* A string of at most 16 bytes that needs no escaping: under 4 bytes by
 * the tables, else as two overlapping words from its two ends (*a, *b),
 * tested together, never reading outside the string. */
static ALWAYS_INLINE bool short_clean(const writer *w, const unsigned char *s, size_t len, uint64_t *a,
                                      uint64_t *b) {
    if (len < 4) {
        const uint8_t *clean = w->ascii ? clean_ascii : clean_raw;
        *a = *b = 0;
        return len == 0 || (clean[s[0]] & clean[s[len / 2]] & clean[s[len - 1]]);
    }
    if (len >= 8) {
        memcpy(a, s, 8);
        memcpy(b, s + len - 8, 8);
    } else {
        uint32_t x, y;
        memcpy(&x, s, 4);
        memcpy(&y, s + len - 4, 4);
        *a = *b = x | (uint64_t)y << 32;  /* no zero padding: it would test dirty */
    }
    return !pair_dirty(*a, *b, w->ascii);
}

/* Writes the string short_clean passed, quoted, at d (18 bytes of room). */
static ALWAYS_INLINE void short_copy(char *d, const unsigned char *s, size_t len, uint64_t a, uint64_t b) {
    d[0] = '"';
    if (len < 4) {
        if (len) copy_1to3(d + 1, s, len);
    } else if (len >= 8) {
        memcpy(d + 1, &a, 8);
        memcpy(d + 1 + len - 8, &b, 8);
    } else {
        uint32_t x = (uint32_t)a, y = (uint32_t)(a >> 32);
        memcpy(d + 1, &x, 4);
        memcpy(d + 1 + len - 4, &y, 4);
    }
    d[len + 1] = '"';
}

/* Keys and short values (up to 16 bytes) that need no escape go out
 * inline, ahead of the general case: citm_catalog's keys went from 136 to
 * about 50 instructions each. */
static ALWAYS_INLINE int put_str(writer *w, const unsigned char *s, size_t len) {
    uint64_t a, b;
    if (len <= 16 && short_clean(w, s, len, &a, &b)) {
        char *d = reserve(w, 18);
        if (!d) return 0;
        short_copy(d, s, len, a, b);
        w->out->buf->len += len + 2;
        return 0;
    }
    return put_str_any(w, s, len);
}

/* ---- numbers ---- */

/* Out of range floats as floatstr writes them, or the allow_nan error. */
static int put_special(writer *w, double d, bool quoted, size_t nframes) {
    const char *t = isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
    if (!w->allow_nan) {
        if (w->pyenc)
            return fail(w, nframes, ACAR_ERR_TYPE,
                        "Out of range float values are not JSON compliant: %s",
                        isnan(d) ? "nan" : d > 0 ? "inf" : "-inf");
        return fail(w, nframes, ACAR_ERR_TYPE, "Out of range float values are not JSON compliant");
    }
    if (quoted) put_byte(w, '"');
    put(w, t, strlen(t));
    if (quoted) put_byte(w, '"');
    return 0;
}

static int put_float(writer *w, double d, bool quoted, size_t nframes) {
    if (!isfinite(d)) return put_special(w, d, quoted, nframes);
    char *p = reserve(w, ACAR_NUM_FLOAT_REPR_MAX + 2);
    if (!p) return 0;
    size_t n;
    if (quoted) {
        p[0] = '"';
        n = acar_num_float_repr(d, p + 1) + 1;
        p[n++] = '"';
    } else {
        n = acar_num_float_repr(d, p);
    }
    w->out->buf->len += n;
    return 0;
}

static const char digits2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Decimal digits of u at p (room for 20); returns the end.  Two digits per
 * division, written in place: acar_num_i64_to_dec (nine-digit chunks into a
 * temporary, then a copy) was 9% of writing citm_catalog (14,000 ints). */
static inline char *put_u64(char *p, uint64_t u) {
    if (u < 100) {  /* small ints first (instruments.json: 9% of its write) */
        if (u < 10) {
            *p = (char)('0' + u);
            return p + 1;
        }
        memcpy(p, digits2 + u * 2, 2);
        return p + 2;
    }
    size_t n = (size_t)acar_num_dec_len(u);
    char *e = p + n;
    while (u > UINT32_MAX) {
        e -= 2;
        memcpy(e, digits2 + (u % 100) * 2, 2);
        u /= 100;
    }
    uint32_t v = (uint32_t)u;  /* the rest in 32-bit arithmetic */
    while (v >= 100) {
        e -= 2;
        memcpy(e, digits2 + (v % 100) * 2, 2);
        v /= 100;
    }
    if (v >= 10) {
        e -= 2;
        memcpy(e, digits2 + v * 2, 2);
    } else {
        *--e = (char)('0' + v);
    }
    return p + n;
}

static inline void put_i64(writer *w, int64_t i, bool quoted) {
    char *p = reserve(w, 24), *q = p;
    if (!p) return;
    if (quoted) *q++ = '"';
    uint64_t u = (uint64_t)i;
    if (i < 0) {
        *q++ = '-';
        u = 0 - u;  /* also right for INT64_MIN */
    }
    q = put_u64(q, u);
    if (quoted) *q++ = '"';
    w->out->buf->len += (size_t)(q - p);
}

static int put_bigint(writer *w, const acar_val *v, bool quoted, size_t nframes) {
    const uint32_t *mag = (const uint32_t *)v->u.p;
    size_t n = ACAR_LEN(v);
    size_t neg = (ACAR_FLAGS(v) & ACAR_F_NEG) && n ? 1 : 0;
    if (n == 0) {
        put_i64(w, 0, quoted);
        return 0;
    }
    /* Refuse before the quadratic conversion when a lower bound of the
     * digit count, floor((bits - 1) * log10 2) + 1, is already over. */
    uint64_t bits = (uint64_t)(n - 1) * 32;
    for (uint32_t top = mag[n - 1]; top; top >>= 1) bits++;
    uint64_t lo = (bits - 1) / 1000 * 301 + (bits - 1) % 1000 * 301 / 1000 + 1;
    if (lo + neg > INT_DIGITS_THRESHOLD && lo > w->max_digits) goto limit;
    if (n > SIZE_MAX / sizeof(uint32_t)) return fail_nomem(w);
    uint32_t *scratch = malloc(n * sizeof *scratch);
    char *text = malloc(acar_num_big_dec_bound(n));
    if (!scratch || !text) {
        free(scratch);
        free(text);
        return fail_nomem(w);
    }
    size_t digits = acar_num_big_to_dec(mag, n, scratch, text);
    free(scratch);
    if (digits + neg > INT_DIGITS_THRESHOLD && digits > w->max_digits) {
        free(text);
        goto limit;
    }
    if (quoted) put_byte(w, '"');
    if (neg) put_byte(w, '-');
    put(w, text, digits);
    if (quoted) put_byte(w, '"');
    free(text);
    return 0;
limit:
    return fail(w, nframes, ACAR_ERR_LIMIT,
                "Exceeds the limit (%zu digits) for integer string conversion", w->max_digits);
}

/* ---- Python's '<' between dict keys (sort_keys) ---- */

static bool is_num(acar_type t) { return t == ACAR_INT || t == ACAR_BOOL || t == ACAR_FLOAT; }

/* Sign and magnitude of an int or bool. */
static size_t int_mag(const acar_val *v, int *neg, const uint32_t **l, uint32_t tmp[3]) {
    if (ACAR_TYPE(v) == ACAR_BOOL) {
        *neg = 0;
        tmp[0] = v->u.i ? 1 : 0;
        *l = tmp;
        return tmp[0];
    }
    return acar_int_limbs(v, neg, l, tmp);
}

static int mag_cmp(const uint32_t *a, size_t na, const uint32_t *b, size_t nb) {
    if (na != nb) return na < nb ? -1 : 1;
    while (na--)
        if (a[na] != b[na]) return a[na] < b[na] ? -1 : 1;
    return 0;
}

/* x <=> d exactly, for an int (or bool) x and a double d that is no NaN. */
static int int_cmp_double(const acar_val *x, double d) {
    if (isinf(d)) return d > 0 ? -1 : 1;
    int neg;
    const uint32_t *l;
    uint32_t tmp[3];
    size_t n = int_mag(x, &neg, &l, tmp);
    int xs = n == 0 ? 0 : neg ? -1 : 1, ds = d > 0 ? 1 : d < 0 ? -1 : 0;
    if (xs != ds) return xs < ds ? -1 : 1;
    if (xs == 0) return 0;
    double ad = fabs(d), fl = floor(ad);
    /* floor(|d|) as limbs: a 53-bit mantissa shifted left */
    uint32_t dl[36] = {0};
    size_t dn;
    if (fl < 18446744073709551616.0) {
        uint64_t u = (uint64_t)fl;
        dl[0] = (uint32_t)u;
        dl[1] = (uint32_t)(u >> 32);
        dn = u == 0 ? 0 : dl[1] ? 2 : 1;
    } else {
        int e;
        double m = frexp(fl, &e);
        uint64_t mant = (uint64_t)ldexp(m, 53);
        unsigned shift = (unsigned)(e - 53), li = shift / 32, bi = shift % 32;
        dl[li] = (uint32_t)(mant << bi);
        dl[li + 1] = (uint32_t)((mant << bi) >> 32);
        dl[li + 2] = bi ? (uint32_t)(mant >> (64 - bi)) : 0;
        dn = li + 3;
        while (dn && !dl[dn - 1]) dn--;
    }
    int c = mag_cmp(l, n, dl, dn);
    if (c == 0 && ad != fl) c = -1;
    return xs > 0 ? c : -c;
}

/* a < b for numbers (bool, int, float; NaN compares false). */
static bool num_lt(const acar_val *a, const acar_val *b) {
    bool af = ACAR_TYPE(a) == ACAR_FLOAT, bf = ACAR_TYPE(b) == ACAR_FLOAT;
    if (af && bf) return a->u.f < b->u.f;
    if (af) return !isnan(a->u.f) && int_cmp_double(b, a->u.f) > 0;
    if (bf) return !isnan(b->u.f) && int_cmp_double(a, b->u.f) < 0;
    int an, bn;
    const uint32_t *al, *bl;
    uint32_t at[3], bt[3];
    size_t na = int_mag(a, &an, &al, at), nb = int_mag(b, &bn, &bl, bt);
    if (!na) an = 0;
    if (!nb) bn = 0;
    if (an != bn) return an;
    int c = mag_cmp(al, na, bl, nb);
    return an ? c > 0 : c < 0;
}

static bool eq(const acar_val *a, const acar_val *b) { return a == b || acar_equal(a, b); }

/* Whether every item of set a is in set b. */
static bool subset(const acar_val *a, const acar_val *b) {
    for (size_t i = 0; i < ACAR_LEN(a); i++) {
        bool found = false;
        for (size_t j = 0; j < ACAR_LEN(b) && !found; j++) found = eq(a->u.items[i], b->u.items[j]);
        if (!found) return false;
    }
    return true;
}

typedef struct sorter {
    writer *w;
    acar_pairs p;            /* the dict's */
    bool strs;               /* every key a str: plain byte order, no failure */
    const char *ta, *tb;     /* the operand types of a failed '<' */
    char ta_buf[NAME_MAX_LEN], tb_buf[NAME_MAX_LEN];
} sorter;

/* Python's a < b: 1 or 0, or -1 with the operand types in s. Tuples are
 * compared element-wise as a loop (keys can nest deeply). */
static int py_lt(sorter *s, const acar_val *a, const acar_val *b) {
    for (;;) {
        acar_type ta = ACAR_TYPE(a), tb = ACAR_TYPE(b);
        if (is_num(ta) && is_num(tb)) return num_lt(a, b);
        if (ta == ACAR_STR && tb == ACAR_STR) {
            size_t la = ACAR_LEN(a), lb = ACAR_LEN(b);
            int c = memcmp(a->u.s, b->u.s, la < lb ? la : lb);
            return c ? c < 0 : la < lb;  /* UTF-8 byte order is code point order */
        }
        if ((ta == ACAR_BYTES || ta == ACAR_BYTEARRAY) && (tb == ACAR_BYTES || tb == ACAR_BYTEARRAY)) {
            size_t la = ACAR_LEN(a), lb = ACAR_LEN(b);
            int c = memcmp(a->u.s, b->u.s, la < lb ? la : lb);
            return c ? c < 0 : la < lb;
        }
        if ((ta == ACAR_TUPLE && tb == ACAR_TUPLE) || (ta == ACAR_LIST && tb == ACAR_LIST)) {
            size_t la = ACAR_LEN(a), lb = ACAR_LEN(b), i = 0;
            while (i < la && i < lb && eq(a->u.items[i], b->u.items[i])) i++;
            if (i >= la || i >= lb) return la < lb;
            a = a->u.items[i];
            b = b->u.items[i];
            continue;
        }
        if ((ta == ACAR_SET || ta == ACAR_FROZENSET) && (tb == ACAR_SET || tb == ACAR_FROZENSET))
            return ACAR_LEN(a) < ACAR_LEN(b) && subset(a, b);
        if (ta == ACAR_DATETIME && tb == ACAR_DATETIME)
            return (uint64_t)a->u.i < (uint64_t)b->u.i;  /* fields packed year first */
        s->ta = py_tp_name(a, s->ta_buf);
        s->tb = py_tp_name(b, s->tb_buf);
        return -1;
    }
}

/* sorted(d.items()): (k1, v1) < (k2, v2) compares keys unless they are equal. */
static inline int pair_lt(sorter *s, size_t x, size_t y) {
    const acar_val *kx = s->p.keys[x * s->p.stride], *ky = s->p.keys[y * s->p.stride];
    if (s->strs) {
        size_t la = ACAR_LEN(kx), lb = ACAR_LEN(ky);
        int c = memcmp(kx->u.s, ky->u.s, la < lb ? la : lb);
        return c ? c < 0 : la < lb;
    }
    if (eq(kx, ky)) return py_lt(s, s->p.vals[x * s->p.stride], s->p.vals[y * s->p.stride]);
    return py_lt(s, kx, ky);
}

/* The run at the front of o[0..n): its length; a strictly descending run is
 * reversed in place (as list.sort does). */
static ptrdiff_t count_run(sorter *s, size_t *o, size_t n) {
    if (n == 1) return 1;
    int lt = pair_lt(s, o[1], o[0]);
    if (lt < 0) return -1;
    size_t k = 2;
    if (lt) {
        for (; k < n; k++) {
            lt = pair_lt(s, o[k], o[k - 1]);
            if (lt < 0) return -1;
            if (!lt) break;
        }
        for (size_t a = 0, b = k - 1; a < b; a++, b--) {
            size_t t = o[a];
            o[a] = o[b];
            o[b] = t;
        }
    } else {
        for (; k < n; k++) {
            lt = pair_lt(s, o[k], o[k - 1]);
            if (lt < 0) return -1;
            if (lt) break;
        }
    }
    return (ptrdiff_t)k;
}

/* Binary insertion of o[start..n) into the sorted o[0..start). */
static int binarysort(sorter *s, size_t *o, size_t n, size_t start) {
    if (start == 0) start = 1;
    for (; start < n; start++) {
        size_t l = 0, r = start, pivot = o[start];
        do {
            size_t p = l + ((r - l) >> 1);
            int lt = pair_lt(s, pivot, o[p]);
            if (lt < 0) return -1;
            if (lt) r = p;
            else l = p + 1;
        } while (l < r);
        memmove(o + l + 1, o + l, (start - l) * sizeof *o);
        o[l] = pivot;
    }
    return 0;
}

/* list.sort's minimum run length for n items. */
static size_t minrun(size_t n) {
    size_t r = 0;
    while (n >= 64) {
        r |= n & 1;
        n >>= 1;
    }
    return n + r;
}

/* From 64 pairs on, list.sort merges runs of at least minrun pairs
 * (powersort run stack, galloping merges); below, one run extended by
 * binary insertion is all.  The same comparisons in the same order as
 * CPython 3.11, so that partial orders (NaN keys, frozenset keys) and failing
 * comparisons come out as there (checked against it on dicts of up to 5000
 * NaN, frozenset and nearly sorted keys). */
#define MIN_GALLOP 7
#define MAX_PENDING 128

typedef struct pending {
    size_t base, len;
    int power;
} pending;

typedef struct merger {
    sorter *s;
    size_t *o, n;
    size_t *tmp;             /* n slots */
    size_t min_gallop;
    pending run[MAX_PENDING];
    size_t nrun;
} merger;

/* Where key goes in the sorted a[0..n): k with a[k-1] < key <= a[k],
 * searched from hint outwards.  -1 on a failed comparison. */
static ptrdiff_t gallop_left(sorter *s, size_t key, const size_t *a, ptrdiff_t n, ptrdiff_t hint) {
    const size_t *ah = a + hint;
    ptrdiff_t ofs = 1, last = 0;
    int k = pair_lt(s, ah[0], key);
    if (k < 0) return -1;
    if (k) {
        ptrdiff_t maxofs = n - hint;
        while (ofs < maxofs) {
            if ((k = pair_lt(s, ah[ofs], key)) < 0) return -1;
            if (!k) break;
            last = ofs;
            ofs = (ofs << 1) + 1;
        }
        if (ofs > maxofs) ofs = maxofs;
        last += hint;
        ofs += hint;
    } else {
        ptrdiff_t maxofs = hint + 1;
        while (ofs < maxofs) {
            if ((k = pair_lt(s, ah[-ofs], key)) < 0) return -1;
            if (k) break;
            last = ofs;
            ofs = (ofs << 1) + 1;
        }
        if (ofs > maxofs) ofs = maxofs;
        ptrdiff_t t = last;
        last = hint - ofs;
        ofs = hint - t;
    }
    for (++last; last < ofs;) {
        ptrdiff_t m = last + ((ofs - last) >> 1);
        if ((k = pair_lt(s, a[m], key)) < 0) return -1;
        if (k) last = m + 1;
        else ofs = m;
    }
    return ofs;
}

/* As gallop_left, but k with a[k-1] <= key < a[k]. */
static ptrdiff_t gallop_right(sorter *s, size_t key, const size_t *a, ptrdiff_t n, ptrdiff_t hint) {
    const size_t *ah = a + hint;
    ptrdiff_t ofs = 1, last = 0;
    int k = pair_lt(s, key, ah[0]);
    if (k < 0) return -1;
    if (k) {
        ptrdiff_t maxofs = hint + 1;
        while (ofs < maxofs) {
            if ((k = pair_lt(s, key, ah[-ofs])) < 0) return -1;
            if (!k) break;
            last = ofs;
            ofs = (ofs << 1) + 1;
        }
        if (ofs > maxofs) ofs = maxofs;
        ptrdiff_t t = last;
        last = hint - ofs;
        ofs = hint - t;
    } else {
        ptrdiff_t maxofs = n - hint;
        while (ofs < maxofs) {
            if ((k = pair_lt(s, key, ah[ofs])) < 0) return -1;
            if (k) break;
            last = ofs;
            ofs = (ofs << 1) + 1;
        }
        if (ofs > maxofs) ofs = maxofs;
        last += hint;
        ofs += hint;
    }
    for (++last; last < ofs;) {
        ptrdiff_t m = last + ((ofs - last) >> 1);
        if ((k = pair_lt(s, key, a[m])) < 0) return -1;
        if (k) ofs = m;
        else last = m + 1;
    }
    return ofs;
}

#define SZ sizeof(size_t)

/* Merges a[0..na) and b[0..nb) (b follows a) with a copy of a, na <= nb;
 * the caller has trimmed both ends, so b[0] goes first and a's last item
 * last. */
static int merge_lo(merger *m, size_t *pa, ptrdiff_t na, size_t *pb, ptrdiff_t nb) {
    sorter *s = m->s;
    size_t *a = m->tmp, *b = pb, *dest = pa;
    ptrdiff_t acount, bcount, g;
    int k;
    memcpy(a, pa, (size_t)na * SZ);
    *dest++ = *b++;
    if (--nb == 0) goto done;
    if (na == 1) goto copy_b;
    size_t min_gallop = m->min_gallop;
    for (;;) {
        acount = bcount = 0;
        for (;;) {
            if ((k = pair_lt(s, b[0], a[0])) < 0) return -1;
            if (k) {
                *dest++ = *b++;
                ++bcount;
                acount = 0;
                if (--nb == 0) goto done;
                if ((size_t)bcount >= min_gallop) break;
            } else {
                *dest++ = *a++;
                ++acount;
                bcount = 0;
                if (--na == 1) goto copy_b;
                if ((size_t)acount >= min_gallop) break;
            }
        }
        ++min_gallop;
        do {
            min_gallop -= min_gallop > 1;
            m->min_gallop = min_gallop;
            g = gallop_right(s, b[0], a, na, 0);
            if (g < 0) return -1;
            acount = g;
            if (g) {
                memcpy(dest, a, (size_t)g * SZ);
                dest += g;
                a += g;
                na -= g;
                if (na == 1) goto copy_b;
                if (na == 0) goto done;
            }
            *dest++ = *b++;
            if (--nb == 0) goto done;
            g = gallop_left(s, a[0], b, nb, 0);
            if (g < 0) return -1;
            bcount = g;
            if (g) {
                memmove(dest, b, (size_t)g * SZ);
                dest += g;
                b += g;
                nb -= g;
                if (nb == 0) goto done;
            }
            *dest++ = *a++;
            if (--na == 1) goto copy_b;
        } while (acount >= MIN_GALLOP || bcount >= MIN_GALLOP);
        ++min_gallop;
        m->min_gallop = min_gallop;
    }
done:
    if (na) memcpy(dest, a, (size_t)na * SZ);
    return 0;
copy_b:
    memmove(dest, b, (size_t)nb * SZ);
    dest[nb] = a[0];
    return 0;
}

/* The mirror image: merges from the right with a copy of b, na >= nb. */
static int merge_hi(merger *m, size_t *pa, ptrdiff_t na, size_t *pb, ptrdiff_t nb) {
    sorter *s = m->s;
    size_t *basea = pa, *baseb = m->tmp;
    size_t *dest = pb + nb - 1, *a = pa + na - 1, *b = baseb + nb - 1;
    ptrdiff_t acount, bcount, g;
    int k;
    memcpy(baseb, pb, (size_t)nb * SZ);
    *dest-- = *a--;
    if (--na == 0) goto done;
    if (nb == 1) goto copy_a;
    size_t min_gallop = m->min_gallop;
    for (;;) {
        acount = bcount = 0;
        for (;;) {
            if ((k = pair_lt(s, b[0], a[0])) < 0) return -1;
            if (k) {
                *dest-- = *a--;
                ++acount;
                bcount = 0;
                if (--na == 0) goto done;
                if ((size_t)acount >= min_gallop) break;
            } else {
                *dest-- = *b--;
                ++bcount;
                acount = 0;
                if (--nb == 1) goto copy_a;
                if ((size_t)bcount >= min_gallop) break;
            }
        }
        ++min_gallop;
        do {
            min_gallop -= min_gallop > 1;
            m->min_gallop = min_gallop;
            g = gallop_right(s, b[0], basea, na, na - 1);
            if (g < 0) return -1;
            g = na - g;
            acount = g;
            if (g) {
                dest -= g;
                a -= g;
                memmove(dest + 1, a + 1, (size_t)g * SZ);
                na -= g;
                if (na == 0) goto done;
            }
            *dest-- = *b--;
            if (--nb == 1) goto copy_a;
            g = gallop_left(s, a[0], baseb, nb, nb - 1);
            if (g < 0) return -1;
            g = nb - g;
            bcount = g;
            if (g) {
                dest -= g;
                b -= g;
                memcpy(dest + 1, b + 1, (size_t)g * SZ);
                nb -= g;
                if (nb == 1) goto copy_a;
                if (nb == 0) goto done;
            }
            *dest-- = *a--;
            if (--na == 0) goto done;
        } while (acount >= MIN_GALLOP || bcount >= MIN_GALLOP);
        ++min_gallop;
        m->min_gallop = min_gallop;
    }
done:
    if (nb) memcpy(dest - (nb - 1), baseb, (size_t)nb * SZ);
    return 0;
copy_a:
    memmove(dest + 1 - na, a + 1 - na, (size_t)na * SZ);
    dest -= na;
    *dest = b[0];
    return 0;
}

/* Merges the runs at stack indices i and i + 1. */
static int merge_at(merger *m, size_t i) {
    size_t *pa = m->o + m->run[i].base, *pb = m->o + m->run[i + 1].base;
    ptrdiff_t na = (ptrdiff_t)m->run[i].len, nb = (ptrdiff_t)m->run[i + 1].len;
    m->run[i].len = (size_t)(na + nb);
    if (i + 3 == m->nrun) m->run[i + 1] = m->run[i + 2];
    m->nrun--;
    /* elements of a before where b[0] goes, and of b after where a's last
     * goes, are in place already */
    ptrdiff_t k = gallop_right(m->s, pb[0], pa, na, 0);
    if (k < 0) return -1;
    pa += k;
    na -= k;
    if (na == 0) return 0;
    nb = gallop_left(m->s, pa[na - 1], pb, nb, nb - 1);
    if (nb <= 0) return (int)nb;
    return na <= nb ? merge_lo(m, pa, na, pb, nb) : merge_hi(m, pa, na, pb, nb);
}

/* Depth in the powersort merge tree of the run s1[0..n1) next to n2 more. */
static int powerloop(size_t s1, size_t n1, size_t n2, size_t n) {
    int result = 0;
    size_t a = 2 * s1 + n1, b = a + n1 + n2;
    for (;;) {
        ++result;
        if (a >= n) {
            a -= n;
            b -= n;
        } else if (b >= n) {
            break;
        }
        a <<= 1;
        b <<= 1;
    }
    return result;
}

/* Sorts pair indices as sorted(d.items()) orders them, with list.sort's
 * algorithm; -1 on a failed '<' (types in s) or out of memory (s->ta NULL). */
static int sort_pairs(sorter *s, size_t *o, size_t n) {
    if (n < 2) return 0;
    merger *m = NULL;
    size_t mr = minrun(n), lo = 0, rem = n;
    int rc = -1;
    if (n >= 64) {
        m = malloc(sizeof *m);
        if (!m || !(m->tmp = malloc(n * SZ))) {
            free(m);
            return -1;
        }
        m->s = s;
        m->o = o;
        m->n = n;
        m->min_gallop = MIN_GALLOP;
        m->nrun = 0;
    }
    do {
        ptrdiff_t k = count_run(s, o + lo, rem);
        if (k < 0) goto out;
        if ((size_t)k < mr) {
            size_t force = rem <= mr ? rem : mr;
            if (binarysort(s, o + lo, force, (size_t)k) < 0) goto out;
            k = (ptrdiff_t)force;
        }
        if (m) {
            if (m->nrun) {
                pending *top = &m->run[m->nrun - 1];
                int power = powerloop(top->base, top->len, (size_t)k, n);
                while (m->nrun > 1 && m->run[m->nrun - 2].power > power)
                    if (merge_at(m, m->nrun - 2) < 0) goto out;
                m->run[m->nrun - 1].power = power;
            }
            m->run[m->nrun].base = lo;
            m->run[m->nrun].len = (size_t)k;
            m->nrun++;
        }
        lo += (size_t)k;
        rem -= (size_t)k;
    } while (rem);
    while (m && m->nrun > 1) {
        size_t i = m->nrun - 2;
        if (i > 0 && m->run[i - 1].len < m->run[i + 1].len) --i;
        if (merge_at(m, i) < 0) goto out;
    }
    rc = 0;
out:
    if (m) free(m->tmp);
    free(m);
    return rc;
}

/* ---- values ---- */

static int put_key(writer *w, const acar_val *k, size_t nframes) {
    switch (ACAR_TYPE(k)) {
    case ACAR_STR: return put_str(w, (const unsigned char *)k->u.s, ACAR_LEN(k));
    case ACAR_FLOAT: return put_float(w, k->u.f, true, nframes);
    case ACAR_BOOL:
        if (k->u.i) PUT_LIT(w, "\"true\"");
        else PUT_LIT(w, "\"false\"");
        return 0;
    case ACAR_NONE: PUT_LIT(w, "\"null\""); return 0;
    case ACAR_INT:
        if (ACAR_FLAGS(k) & ACAR_F_BIG) return put_bigint(w, k, true, nframes);
        put_i64(w, k->u.i, true);
        return 0;
    default: return 0;
    }
}

static bool key_ok(const acar_val *k) {
    acar_type t = ACAR_TYPE(k);
    return t == ACAR_STR || t == ACAR_FLOAT || t == ACAR_BOOL || t == ACAR_NONE || t == ACAR_INT;
}

/* Opens a dict: sort, the frame, '{'.  Returns 1 (a frame was pushed) or -1. */
static int open_dict(writer *w, const acar_val *v, size_t n) {
    acar_pairs pairs = acar__pairs(v);
    size_t *order = NULL;
    if (w->sort && n > 1) {
        order = malloc(n * sizeof *order);
        if (!order) return fail_nomem(w);
        sorter s = {.w = w, .p = pairs, .strs = true};
        for (size_t i = 0; i < n; i++) {
            order[i] = i;
            if (ACAR_TYPE(pairs.keys[i * pairs.stride]) != ACAR_STR) s.strs = false;
        }
        if (sort_pairs(&s, order, n) < 0) {
            free(order);
            if (!s.ta) return fail_nomem(w);
            return fail(w, w->top, ACAR_ERR_TYPE, "'<' not supported between instances of '%s' and '%s'",
                        s.ta, s.tb);
        }
    }
    frame *f = push(w, v, FR_DICT, pairs.keys, n);
    if (!f) {
        free(order);
        return -1;
    }
    f->vals = pairs.vals;
    f->shift = pairs.stride == 2;
    f->order = order;
    put_byte(w, '{');
    if (w->indent && put_newline(w, w->top) < 0) return -1;
    return 1;
}

/* The common scalars, inline in the item loops: 0 written, -1 error, 2 not
 * one of them (emit does the rest).  A call of emit per item cost 25
 * instructions in saving and restoring registers (citm_catalog). */
static ALWAYS_INLINE int emit_scalar(writer *w, const acar_val *v) {
    switch (ACAR_TYPE(v)) {
    case ACAR_STR: return put_str(w, (const unsigned char *)v->u.s, ACAR_LEN(v));
    case ACAR_INT:
        if (ACAR_FLAGS(v) & ACAR_F_BIG) return 2;
        put_i64(w, v->u.i, false);
        return 0;
    case ACAR_FLOAT:
        if (!isfinite(v->u.f)) return 2;
        {
            char *p = reserve(w, ACAR_NUM_FLOAT_REPR_MAX);
            if (p) w->out->buf->len += acar_num_float_repr(v->u.f, p);
        }
        return 0;
    case ACAR_NONE: PUT_LIT(w, "null"); return 0;
    case ACAR_BOOL:
        if (v->u.i) PUT_LIT(w, "true");
        else PUT_LIT(w, "false");
        return 0;
    default: return 2;
    }
}

/* Writes a scalar whole (0), or opens a container and pushes its frame (1);
 * -1 on error. */
static NOINLINE int emit(writer *w, const acar_val *v) {
    size_t n;
    switch (ACAR_TYPE(v)) {
    case ACAR_STR: return put_str(w, (const unsigned char *)v->u.s, ACAR_LEN(v));
    case ACAR_INT:
        if (ACAR_FLAGS(v) & ACAR_F_BIG) return put_bigint(w, v, false, w->top);
        put_i64(w, v->u.i, false);
        return 0;
    case ACAR_FLOAT: return put_float(w, v->u.f, false, w->top);
    case ACAR_NONE: PUT_LIT(w, "null"); return 0;
    case ACAR_BOOL:
        if (v->u.i) PUT_LIT(w, "true");
        else PUT_LIT(w, "false");
        return 0;
    case ACAR_LIST: case ACAR_TUPLE:
        n = ACAR_LEN(v);
        if (!n) { PUT_LIT(w, "[]"); return 0; }
        if (active(w, v)) return fail(w, w->top, ACAR_ERR_TYPE, "Circular reference detected");
        if (!push(w, v, FR_LIST, v->u.items, n)) return -1;
        put_byte(w, '[');
        if (w->indent && put_newline(w, w->top) < 0) return -1;
        return 1;
    case ACAR_DICT:
        n = ACAR_LEN(v);
        if (!n) { PUT_LIT(w, "{}"); return 0; }
        if (active(w, v)) return fail(w, w->top, ACAR_ERR_TYPE, "Circular reference detected");
        return open_dict(w, v, n);
    default: {
        char name[NAME_MAX_LEN];
        return fail(w, w->top, ACAR_ERR_TYPE, "Object of type %s is not JSON serializable",
                    py_type_name(v, name));
    }
    }
}

/* len bytes s at d: up to 32 by two fixed copies from the two ends,
 * which overlap, never reading outside s. */
static ALWAYS_INLINE void plain_copy(char *d, const unsigned char *s, size_t len) {
    if (len <= 16) {
        if (len >= 8) {
            uint64_t a, b;
            memcpy(&a, s, 8);
            memcpy(&b, s + len - 8, 8);
            memcpy(d, &a, 8);
            memcpy(d + len - 8, &b, 8);
        } else if (len >= 4) {
            uint32_t a, b;
            memcpy(&a, s, 4);
            memcpy(&b, s + len - 4, 4);
            memcpy(d, &a, 4);
            memcpy(d + len - 4, &b, 4);
        } else if (len) {
            copy_1to3(d, s, len);
        }
    } else if (len <= 32) {
        char a[16], b[16];
        memcpy(a, s, 16);
        memcpy(b, s + len - 16, 16);
        memcpy(d, a, 16);
        memcpy(d + len - 16, b, 16);
    } else {
        memcpy(d, s, len);
    }
}

/* fast_scalar's case of a str v: keys, known to be strs, come here
 * without the switch over the type (its jump mispredicted between keys and
 * values). */
static ALWAYS_INLINE int fast_str(const writer *w, const acar_val *v, char **dp, char *lim) {
    char *d = *dp;
    size_t room = (size_t)(lim - d);
    const unsigned char *s = (const unsigned char *)v->u.s;
    size_t len = ACAR_LEN(v);
    if (room < 34) return 2;
    if (v->tag & w->plain_tag) {
        /* nothing to escape (ACAR_F_JSON_PLAIN): copied, with no test; up
         * to 32 bytes by one fixed copy, which may read past the end
         * (acar__str_tail), with no branch on the length: the branches of
         * plain_copy mispredicted as the lengths changed (update-center's
         * compact write: half the mispredictions) */
        if (len <= 32 && acar__str_tail(v))
            memcpy(d + 1, s, 32);
        else if (room >= len + 2)
            plain_copy(d + 1, s, len);
        else
            return 2;
        d[0] = '"';
        d[len + 1] = '"';
        *dp = d + len + 2;
        return 0;
    }
    if (len <= 16) {
        uint64_t a, b;
        if (short_clean(w, s, len, &a, &b)) {
            short_copy(d, s, len, a, b);
            *dp = d + len + 2;
            return 0;
        }
    }
#ifdef HAVE_SSE2
    else if (len <= 256 && room >= len + 2) {
        /* longer clean text sixteen bytes at a time, the last sixteen
         * overlapping; a byte that needs a look sends the string to
         * the escaping copy below (nothing is committed before) */
        d[0] = '"';
        for (size_t k = 0; k + 16 < len; k += 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + k));
            if (dirty16(x, w->ascii)) goto escape;
            _mm_storeu_si128((__m128i *)(void *)(d + 1 + k), x);
        }
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + len - 16));
        if (dirty16(x, w->ascii)) goto escape;
        _mm_storeu_si128((__m128i *)(void *)(d + 1 + len - 16), x);
        d[len + 1] = '"';
        *dp = d + len + 2;
        return 0;
    }
escape:
#endif
    /* text with escapes, when its worst case fits: giving up here sent
     * a flat dict of Cyrillic names (ensure_ascii) to the general path,
     * which wrote the dict a second time */
    if (len > STR_PIECE || room < 6 * len + 34) return 2;
    return put_str_at(w->ascii, s, len, dp);
}

/* The common scalars and empty containers written at *dp, a cursor into
 * the output buffer kept in a local of step() (see there), when they fit
 * before lim: 0 written, 2 not (no room, or not one of them: the caller
 * takes the general path).  Strings only when short and clean, as
 * put_str's inline cases. */
static ALWAYS_INLINE int fast_scalar(const writer *w, const acar_val *v, char **dp, char *lim) {
    char *d = *dp;
    size_t room = (size_t)(lim - d);
    switch (ACAR_TYPE(v)) {
    case ACAR_STR:
        return fast_str(w, v, dp, lim);
    case ACAR_INT: {
        if ((ACAR_FLAGS(v) & ACAR_F_BIG) || room < 24) return 2;
        int64_t i = v->u.i;
        uint64_t u = (uint64_t)i;
        if (i < 0) {
            *d++ = '-';
            u = 0 - u;  /* also right for INT64_MIN */
        }
        *dp = put_u64(d, u);
        return 0;
    }
    case ACAR_FLOAT:
        if (!isfinite(v->u.f) || room < ACAR_NUM_FLOAT_REPR_MAX) return 2;
        *dp = d + acar_num_float_repr(v->u.f, d);
        return 0;
    case ACAR_NONE:
        if (room < 4) return 2;
        memcpy(d, "null", 4);
        *dp = d + 4;
        return 0;
    case ACAR_BOOL:
        if (room < 5) return 2;
        if (v->u.i) {
            memcpy(d, "true", 4);
            *dp = d + 4;
        } else {
            memcpy(d, "false", 5);
            *dp = d + 5;
        }
        return 0;
    case ACAR_LIST: case ACAR_TUPLE: case ACAR_DICT:
        /* empty ones (citm_catalog.json has 8,700 empty lists) */
        if (ACAR_LEN(v) || room < 2) return 2;
        memcpy(d, ACAR_TYPE(v) == ACAR_DICT ? "{}" : "[]", 2);
        *dp = d + 2;
        return 0;
    default:
        return 2;
    }
}

/* A separator of up to 16 bytes (its padded copy in two words) at d, where
 * there are 16 bytes of room: one fixed-size store instead of a copy of n
 * bytes.  Returns the end of the n bytes. */
static ALWAYS_INLINE char *put_sep16(char *d, uint64_t s0, uint64_t s1, size_t n) {
    memcpy(d, &s0, 8);
    memcpy(d + 8, &s1, 8);
    return d + n;
}

static inline bool is_container(const acar_val *v) {
    acar_type t = ACAR_TYPE(v);
    return t == ACAR_LIST || t == ACAR_TUPLE || t == ACAR_DICT;
}

/* Whether x is a scalar fast_scalar may take, or an empty container. */
static inline bool flat_item(const acar_val *x) {
    acar_type t = ACAR_TYPE(x);
    if (t == ACAR_LIST || t == ACAR_TUPLE || t == ACAR_DICT) return ACAR_LEN(x) == 0;
    return t == ACAR_STR || t == ACAR_INT || t == ACAR_FLOAT || t == ACAR_NONE || t == ACAR_BOOL;
}

/* Whether every item of the non-empty container v is a flat_item (and
 * every key a str). */
static inline bool items_flat(const acar_val *v) {
    size_t n = ACAR_LEN(v);
    if (ACAR_TYPE(v) == ACAR_DICT) {
        if (acar__is_split(v)) return false; /* (see fast_flat) */
        acar_val *const *items = v->u.items;
        for (size_t i = 0; i < n; i++)
            if (ACAR_TYPE(items[2 * i]) != ACAR_STR || !flat_item(items[2 * i + 1])) return false;
    } else {
        for (size_t i = 0; i < n; i++)
            if (!flat_item(v->u.items[i])) return false;
    }
    return true;
}

/* Whether x is a flat_item, or (deep) a non-empty container of at most
 * TREE_ITEMS_MAX of them that fast_flat may write: no sort_keys for a dict
 * of more than one pair.  The bound keeps the look at the types short
 * where it fails (twitter.json's users, 40 pairs with containers at the
 * end: scanning them first was 8% of its write). */
#define TREE_ITEMS_MAX 16
static ALWAYS_INLINE bool tree_item(const writer *w, const acar_val *x, bool deep) {
    if (deep && ACAR_LEN(x) && is_container(x)) {
        if (ACAR_LEN(x) > TREE_ITEMS_MAX || (w->sort && ACAR_TYPE(x) == ACAR_DICT && ACAR_LEN(x) > 1))
            return false;
        return items_flat(x);
    }
    return flat_item(x);
}

static NOINLINE int put_flat_leaf(const writer *w, const acar_val *v, char **dp, char *lim);

/* The non-empty container v, whose items tree_item(deep) passed, written
 * whole at *dp: 0, or 2 with *dp unchanged (no room, or a string that
 * fast_scalar does not take).  Containers among the items (deep only) go
 * to put_flat_leaf.  Inlined with deep constant in the two functions
 * below. */
static ALWAYS_INLINE int put_flat(const writer *w, const acar_val *v, char **dp, char *lim, bool deep) {
    size_t n = ACAR_LEN(v);
    char *d = *dp;
    const uint64_t is0 = w->seps[0], is1 = w->seps[1], ks0 = w->seps[2], ks1 = w->seps[3];
    const size_t isl = w->isep_len, ksl = w->ksep_len;
#define PUT_ITEM(x) \
    ((deep && ACAR_LEN(x) && is_container(x)) ? put_flat_leaf(w, (x), &d, lim) : fast_scalar(w, (x), &d, lim))
    if (ACAR_TYPE(v) == ACAR_DICT) {
        acar_val *const *items = v->u.items; /* in pairs: looked at before */
        if (lim - d < 1) return 2;
        *d++ = '{';
        for (size_t i = 0; i < n; i++) {
            const acar_val *k = items[2 * i]; /* a str: looked at before */
            if (i) {
                if (lim - d < 16) return 2;
                d = put_sep16(d, is0, is1, isl);
            }
            if (fast_str(w, k, &d, lim) != 0 || lim - d < 16) return 2;
            d = put_sep16(d, ks0, ks1, ksl);
            if (PUT_ITEM(items[2 * i + 1]) != 0) return 2;
        }
        if (lim - d < 1) return 2;
        *d++ = '}';
    } else {
        acar_val *const *items = v->u.items;
        if (lim - d < 1) return 2;
        *d++ = '[';
        for (size_t i = 0; i < n; i++) {
            if (i) {
                if (lim - d < 16) return 2;
                d = put_sep16(d, is0, is1, isl);
            }
            if (PUT_ITEM(items[i]) != 0) return 2;
        }
        if (lim - d < 1) return 2;
        *d++ = ']';
    }
#undef PUT_ITEM
    *dp = d;
    return 0;
}

static NOINLINE int put_flat_leaf(const writer *w, const acar_val *v, char **dp, char *lim) {
    return put_flat(w, v, dp, lim, false);
}

static NOINLINE int put_flat_deep(const writer *w, const acar_val *v, char **dp, char *lim) {
    return put_flat(w, v, dp, lim, true);
}

/* A non-empty list, tuple or dict of what fast_scalar writes, or of
 * non-empty containers of those (str keys, no sort_keys for more than one
 * pair), without indent: written whole at *dp, without frames, 0; else 2
 * with nothing committed (*dp unchanged), for the general path.  The types
 * are looked at first: a nested container found halfway wasted the half
 * written (twitter.json -5%).  v cannot hold itself, nor can a container
 * inside be open already (it would hold v), so the one cycle to rule out
 * is v's being open; errors cannot arise inside, so no frame is needed to
 * name a path.  The second level saves a frame for each of the Google Maps
 * files' elements and citm_catalog's events. */
/* Longer containers take the general path, which writes scalars in its
 * loop too: the look at every item first read each node of a long list
 * twice (mesh.json's and marine_ik.json's lists of floats: 8% and 11%
 * faster without it). */
#define FLAT_ITEMS_MAX 1024
static int fast_flat(const writer *w, const acar_val *v, char **dp, char *lim) {
    size_t n = ACAR_LEN(v);
    if (w->indent || !w->short_seps || n == 0 || n > FLAT_ITEMS_MAX || w->top >= w->max_depth) return 2;
    if (w->sort && n > 1 && ACAR_TYPE(v) == ACAR_DICT) return 2;
    const bool deep = n <= TREE_ITEMS_MAX && w->top + 1 < w->max_depth;
    if (ACAR_TYPE(v) == ACAR_DICT) {
        /* Dicts in pairs only: split ones (shared key tables, which only
         * the pickle reader makes) take the general path, so that these
         * loops over pairs are as they were (with the view of either form,
         * citm_catalog's write took 5% more instructions) */
        if (acar__is_split(v)) return 2;
        acar_val *const *items = v->u.items;
        for (size_t i = 0; i < n; i++)
            if (ACAR_TYPE(items[2 * i]) != ACAR_STR || !tree_item(w, items[2 * i + 1], deep)) return 2;
    } else {
        for (size_t i = 0; i < n; i++)
            if (!tree_item(w, v->u.items[i], deep)) return 2;
    }
    if (active(w, v)) return 2;
    return deep ? put_flat_deep(w, v, dp, lim) : put_flat_leaf(w, v, dp, lim);
}

/* Writes the top frame's items until one opens a container (its frame is
 * pushed) or the frame ends (it is closed).  Scalars stay in this loop:
 * a call per item was 15% of writing citm_catalog.  The end of the output
 * is kept in a local cursor d (with lim, the end of the buffer's room)
 * while the common pieces are written: through the buffer's fields, every
 * byte stored could alias them, so each piece reloaded and stored the
 * length, a chain of dependent memory operations through the whole
 * output.  Everything else first stores the cursor back (SYNC) and reloads
 * it after (RELOAD).  The item index and count are locals for the same
 * reason; the frame gets them back before anything that can push. */
#define SYNC() (b->len = (size_t)(d - b->data))
#define RELOAD() (d = b->data + b->len, lim = b->data + b->cap)
static int step(writer *w) {
    frame *f = &w->st[w->top - 1];
    size_t level = w->top;
    acar_buf *b = w->out->buf;
    if (!b->data) {  /* nothing reserved yet: have some room */
        if (!reserve(w, 64)) return 0;
    }
    char *d, *lim;
    RELOAD();
    const bool short_seps = w->short_seps;
    const uint64_t is0 = w->seps[0], is1 = w->seps[1], ks0 = w->seps[2], ks1 = w->seps[3];
    const size_t isl = w->isep_len, ksl = w->ksep_len;
    acar_val *const *items = f->items;
    acar_val *const *vals = f->vals;
    const unsigned shift = f->shift;
    const size_t *order = f->order;
    size_t i = f->i, n = f->n, written = f->written;
    int rc;
    if (f->kind == FR_LIST) {
        while (i < n) {
            if (i) {
                if (short_seps && lim - d >= 16) {
                    d = put_sep16(d, is0, is1, isl);
                } else {
                    SYNC();
                    if (put_sep(w, level) < 0) return -1;
                    RELOAD();
                }
            }
            const acar_val *v = items[i++];
            if (fast_scalar(w, v, &d, lim) == 0) continue;
            if (is_container(v) && fast_flat(w, v, &d, lim) == 0) continue;
            SYNC();
            f->i = i;
            /* emit may grow the frame stack: f is not used after a push */
            if ((rc = emit_scalar(w, v)) == 2) rc = emit(w, v);
            if (rc) return rc < 0 ? -1 : 0;
            RELOAD();
        }
    } else {
        while (i < n) {
            size_t p = order ? order[i] : i;
            i++;
            const acar_val *k = items[p << shift];
            if (ACAR_TYPE(k) == ACAR_STR) {
                if (written) {
                    if (short_seps && lim - d >= 16) {
                        d = put_sep16(d, is0, is1, isl);
                    } else {
                        SYNC();
                        if (put_sep(w, level) < 0) return -1;
                        RELOAD();
                    }
                }
                written++;
                if (fast_str(w, k, &d, lim) != 0) {
                    SYNC();
                    f->i = i;
                    f->cur = p;
                    f->written = written;
                    if (put_str(w, (const unsigned char *)k->u.s, ACAR_LEN(k)) < 0) return -1;
                    RELOAD();
                }
            } else {
                SYNC();
                f->i = i;
                f->cur = p;
                f->written = written;
                if (!key_ok(k)) {
                    char name[NAME_MAX_LEN];
                    if (w->skip) {
                        RELOAD();
                        continue;
                    }
                    /* the C encoder names the type by tp_name, the Python one by __name__ */
                    return fail(w, w->top - 1, ACAR_ERR_TYPE,
                                "keys must be str, int, float, bool or None, not %s",
                                w->pyenc ? py_type_name(k, name) : py_tp_name(k, name));
                }
                if (written && put_sep(w, level) < 0) return -1;
                f->written = ++written;
                /* a key that fails (NaN, a huge int) names the dict, not itself */
                if (put_key(w, k, w->top - 1) < 0) return -1;
                RELOAD();
            }
            if (short_seps && lim - d >= 16) {
                d = put_sep16(d, ks0, ks1, ksl);
            } else {
                SYNC();
                if (w->ksep_len <= 16) put_padded(w, w->ksep_pad, w->ksep_len);
                else put(w, w->ksep, w->ksep_len);
                RELOAD();
            }
            const acar_val *v = vals[p << shift];
            if (fast_scalar(w, v, &d, lim) == 0) continue;
            if (is_container(v) && fast_flat(w, v, &d, lim) == 0) continue;
            SYNC();
            f->i = i;
            f->cur = p;
            f->written = written;
            if ((rc = emit_scalar(w, v)) == 2) rc = emit(w, v);
            if (rc) return rc < 0 ? -1 : 0;
            RELOAD();
        }
    }
    SYNC();
    f->i = i;
    f->written = written;
    if (w->indent && put_newline(w, w->top - 1) < 0) return -1;
    put_byte(w, f->kind == FR_LIST ? ']' : '}');
    pop(w);
    return 0;
}
#undef SYNC
#undef RELOAD

static int write_one(writer *w, const acar_val *v) {
    int rc = emit(w, v);
    if (rc > 0) rc = 0;
    while (rc == 0 && w->top > 0) {
        if (w->out->failed) break;
        rc = step(w);
    }
    while (w->top > 0) pop(w);  /* after an error: free what open frames own */
    return rc;
}

static int run(const acar_val *v, const acar_write_opts *opts, acar_out *out, acar_err *err,
               bool lines) {
    writer w;
    memset(&w, 0, offsetof(writer, st0));
    w.st = w.st0;
    w.cap = ST0;
    w.out = out;
    w.err = err;
    w.line = SIZE_MAX;
    unsigned fl = opts ? opts->flags : 0;
    w.ascii = !(fl & ACAR_WRITE_NO_ENSURE_ASCII);
    /* ensure_ascii escapes DEL and non-ASCII text, which the flag allows */
    w.plain_tag = w.ascii ? 0 : (uint64_t)ACAR_F_JSON_PLAIN << 8;
    w.allow_nan = !(fl & ACAR_WRITE_NO_ALLOW_NAN);
    w.sort = (fl & ACAR_WRITE_SORT_KEYS) != 0;
    w.skip = (fl & ACAR_WRITE_SKIPKEYS) != 0;
    w.indent = opts ? opts->indent : NULL;
    w.pyenc = w.indent != NULL;
    w.indent_len = w.indent ? strlen(w.indent) : 0;
    w.isep = opts && opts->item_sep ? opts->item_sep : w.indent ? "," : ", ";
    w.ksep = opts && opts->key_sep ? opts->key_sep : ": ";
    w.isep_len = strlen(w.isep);
    w.ksep_len = strlen(w.ksep);
    if (w.ksep_len <= 16) memcpy(w.ksep_pad, w.ksep, w.ksep_len);
    w.max_depth = opts && opts->max_depth ? opts->max_depth : ACAR_DEFAULT_MAX_DEPTH;
    w.max_digits = opts && opts->max_int_digits ? opts->max_int_digits : ACAR_DEFAULT_MAX_INT_DIGITS;
    int rc = grow_sep(&w, 0);
    w.short_seps = rc == 0 && !w.indent && w.isep_len <= 16 && w.ksep_len <= 16;
    if (w.short_seps) {
        memcpy(&w.seps[0], w.sep, 8);
        memcpy(&w.seps[1], w.sep + 8, 8);
        memcpy(&w.seps[2], w.ksep_pad, 8);
        memcpy(&w.seps[3], w.ksep_pad + 8, 8);
    }
    if (rc < 0) {
        /* out of memory: err filled */
    } else if (!v) {
        acar__err_set(err, ACAR_ERR_ARG, 0, "json: NULL node");
        rc = -1;
    } else if (!lines) {
        rc = write_one(&w, v);
    } else if (ACAR_TYPE(v) != ACAR_LIST && ACAR_TYPE(v) != ACAR_TUPLE) {
        char name[NAME_MAX_LEN];
        acar__err_set(err, ACAR_ERR_TYPE, 0,
                      "jsonl: the value must be a list or tuple of lines, not %s",
                      py_type_name(v, name));
        rc = -1;
    } else {
        for (size_t i = 0; i < ACAR_LEN(v) && rc == 0 && !out->failed; i++) {
            w.line = i;
            rc = write_one(&w, v->u.items[i]);
            put_byte(&w, '\n');
        }
    }
    if (rc == 0 && out->failed) rc = fail_nomem(&w);
    if (w.st != w.st0) free(w.st);
    free(w.set);
    if (w.sep != w.sep0) free(w.sep);
    return rc;
}

int acar__json_write(const acar_val *v, const acar_write_opts *opts, acar_out *out, acar_err *err) {
    return run(v, opts, out, err, false);
}

int acar__jsonl_write(const acar_val *v, const acar_write_opts *opts, acar_out *out, acar_err *err) {
    return run(v, opts, out, err, true);
}
