/*
 * write.c -- the marshal writer: versions 0-5 as CPython 3.11's
 * marshal.dumps, code objects of the Python being written (code.c), and
 * the Python 2.7 dialect (versions 0-2) for 2.7 .pyc files.
 *
 * Wire format: types.h.  What depends on the version, as in CPython 3.11:
 *   0-1  floats and complex numbers as "%.17g" text ('f', 'x')
 *   2+   binary floats ('g', 'y')
 *   3+   FLAG_REF on shared values, REF to their later occurrences;
 *        interned str as 't'
 *   4+   ASCII str as 'z'/'Z' (under 256 bytes) or 'a'/'A'; tuples under
 *        256 items as ')'
 *   5    slices (no acar node holds one, so 5 writes what 4 writes)
 * Ints that fit int32 are 'i', others 'l' with 15-bit digits.  Bytes,
 * bytearrays and in-band buffers are 's' (CPython writes any buffer so).
 *
 * Which values get FLAG_REF: CPython flags every object whose reference
 * count is above one, which no file records.  So a value read from marshal
 * carries ACAR_F_MREF when it had the flag, and is flagged again exactly
 * then; any other value is flagged when it occurs more than once in the
 * graph being written (what a fresh object graph's reference counts would
 * say).  Reference indices are given in the order values are first
 * written, as CPython does, so a REF names the same value as in the input.
 *
 * Set order: CPython 3.11 writes a set's items sorted by their own marshal
 * bytes (each dumped alone at the same version).  Sets read from marshal
 * (ACAR_F_MORDER) keep the order they were read in; others are sorted so,
 * innermost sets first, the sort keys made by this same writer.
 *
 * Passes: a first try writes in one pass, trusting the marks -- a node the
 * document knows to be referenced once (ACAR_F_SOLE) is not flagged, one
 * with ACAR_F_MREF is -- which is all that data read from marshal needs.
 * The first node that needs counting, or set that needs sorting, sends the
 * write to three passes: count occurrences, sort sets, write.
 *
 * Code objects: 'c', then the fields in their version's order (code.c):
 * counts, flags and firstlineno as raw int32, the others as values.  A
 * code object of another Python than the one written is refused.
 *
 * Python 2 (ACAR_MARSHAL_PY2): no FLAG_REF or REF; str is 'u'; bytes read
 * as interned are 't' from version 1, the first time their text is written,
 * and 'R' + the index of that first time after (CPython 2 keys them by
 * value); ints beyond 32 bits are 'I' unless read as 'l' (a Python 2
 * long); sets keep their order.
 *
 * No recursion: frames on an explicit stack; nesting beyond max_depth is an
 * error.  Below version 3 (no references) a cycle is refused when met and
 * shared values are written out in full, up to a budget.
 */
#include "marshal/marshal.h"
#include "marshal/types.h"
#include "num/num.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#define SIZE32_MAX 0x7fffffffu
/* Inlined into the writing loop: the call per value was 12% of writing
 * twitter.json's marshal (callgrind, instructions). */
#if defined(__GNUC__)
#define HOT static inline __attribute__((always_inline))
#define EXPECT(x, v) __builtin_expect((x), (v))
#else
#define HOT static inline
#define EXPECT(x, v) (x)
#endif
/* Sort keys made for set ordering, at most, in one write: nested sets cost
 * the square of their depth, so a pathological input stops here. */
#define KEY_BUDGET ((size_t)1 << 30)

/* ---- pointer tables: open addressing, power-of-two capacity ---- */

typedef struct slot {
    const acar_val *key;
    uint32_t cnt;       /* occurrences (saturating at 2) */
    int32_t idx;        /* reference index, -1 before the first write */
} slot;

typedef struct tab {
    slot *s;
    size_t cap, n;
    int32_t next;       /* next reference index */
    slot *inl;          /* the writer's own first block, not freed */
} tab;

typedef struct perm_slot {
    const acar_val *key;
    uint32_t *perm;
} perm_slot;

typedef struct frame {
    const acar_val *node;
    acar_val *const *items;    /* split dicts: the keys (the table's) */
    acar_val *const *vals;     /* split dicts: the values, else NULL */
    const acar_code_field *co; /* code objects: the layout of the items */
    const uint32_t *perm;
    size_t i, n;        /* next item, items (dicts: 2 per pair) */
    bool dict;
    bool slow;          /* perm, co or vals: items are not simply in order */
} frame;

/* Python 2 interned strings, by content: index for STRINGREF. */
typedef struct sslot {
    const acar_val *s;
    int32_t idx;
} sslot;

#define FR0 16 /* frames in the writer itself */
#define T0 16  /* slots of its reference table in the writer itself */

typedef struct W {
    acar_err *err;
    int version;
    bool py2;           /* Python 2 dialect (see the top of the file) */
    unsigned pyver;     /* the only version of code objects written */
    sslot *ss;          /* Python 2 interned strings written so far */
    size_t sscap, ssn;
    size_t max_depth;
    tab t;              /* every node counted by the first pass; main refs */
    tab kr;             /* refs of one sort key */
    perm_slot *perms;   /* set -> sorted item order */
    size_t pcap, pn;
    frame *fr;
    size_t fcap;
    const acar_val **sets; /* sets to sort, innermost first */
    size_t nsets, scap;
    size_t key_bytes;
    size_t edges;       /* items met by the first pass */
    size_t budget;      /* values left to write below version 3 */
    bool fast;          /* the one-pass try (see the top of the file) */
    bool bail;          /* the fast pass met a value it cannot decide */
    /* Not cleared on entry: the first blocks of the frames and of t, so
     * that a small write allocates nothing but its output (the writer, its
     * frames and its table from malloc were two thirds of writing
     * {'a': 1}). */
    frame fr0[FR0];
    slot t0[T0];
} W;

static int fail(W *w, acar_code code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    acar__err_vset(w->err, code, 0, fmt, ap);
    va_end(ap);
    return -1;
}

static int nomem(W *w) { return fail(w, ACAR_ERR_NOMEM, "out of memory writing marshal"); }

/* Nodes lie 16 bytes apart in arena blocks: the low bits carry nothing,
 * and the product's middle bits alone clustered (4.4 probes per lookup
 * writing tree-pretty.json's marshal; 1.05 with this). */
static inline size_t hash_ptr(const void *p, size_t mask) {
    uint64_t x = ((uint64_t)(uintptr_t)p >> 4) * 0x9e3779b97f4a7c15ull;
    return (size_t)(x >> 32 ^ x >> 48) & mask;
}

static slot *tab_find(const tab *t, const acar_val *k) {
    if (!t->n) return NULL;
    size_t mask = t->cap - 1;
    for (size_t i = hash_ptr(k, mask);; i = (i + 1) & mask) {
        if (t->s[i].key == k) return &t->s[i];
        if (!t->s[i].key) return NULL;
    }
}

static int tab_grow(W *w, tab *t) {
    size_t cap = t->cap ? t->cap * 2 : 64;
    if (cap > SIZE_MAX / 2 / sizeof(slot)) return nomem(w);
    slot *s = calloc(cap, sizeof *s);
    if (!s) return nomem(w);
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->s[i].key) continue;
        size_t j = hash_ptr(t->s[i].key, cap - 1);
        while (s[j].key) j = (j + 1) & (cap - 1);
        s[j] = t->s[i];
    }
    if (t->s != t->inl) free(t->s);
    t->s = s;
    t->cap = cap;
    return 0;
}

/* The slot of k, made (count 0, no index) when absent; NULL on failure. */
static inline slot *tab_get(W *w, tab *t, const acar_val *k) {
    size_t mask = t->cap - 1;
    size_t i = 0;
    if (t->cap) {
        /* Found: no growth check (most lookups of a REF'd value). */
        for (i = hash_ptr(k, mask); t->s[i].key; i = (i + 1) & mask)
            if (t->s[i].key == k) return &t->s[i];
    }
    if ((t->n + 1) * 2 > t->cap) {
        if (tab_grow(w, t) < 0) return NULL;
        mask = t->cap - 1;
        for (i = hash_ptr(k, mask); t->s[i].key; i = (i + 1) & mask) {}
    }
    t->s[i].key = k;
    t->s[i].cnt = 0;
    t->s[i].idx = -1;
    t->n++;
    return &t->s[i];
}

static void tab_clear(tab *t) {
    if (t->n) memset(t->s, 0, t->cap * sizeof *t->s);
    t->n = 0;
    t->next = 0;
}

static const uint32_t *perm_find(const W *w, const acar_val *set) {
    if (!w->pn) return NULL;
    size_t mask = w->pcap - 1;
    for (size_t i = hash_ptr(set, mask);; i = (i + 1) & mask) {
        if (w->perms[i].key == set) return w->perms[i].perm;
        if (!w->perms[i].key) return NULL;
    }
}

static int perm_put(W *w, const acar_val *set, uint32_t *perm) {
    if ((w->pn + 1) * 2 > w->pcap) {
        size_t cap = w->pcap ? w->pcap * 2 : 16;
        perm_slot *s = calloc(cap, sizeof *s);
        if (!s) return nomem(w);
        for (size_t i = 0; i < w->pcap; i++) {
            if (!w->perms[i].key) continue;
            size_t j = hash_ptr(w->perms[i].key, cap - 1);
            while (s[j].key) j = (j + 1) & (cap - 1);
            s[j] = w->perms[i];
        }
        free(w->perms);
        w->perms = s;
        w->pcap = cap;
    }
    size_t mask = w->pcap - 1;
    size_t i = hash_ptr(set, mask);
    while (w->perms[i].key) i = (i + 1) & mask;
    w->perms[i].key = set;
    w->perms[i].perm = perm;
    w->pn++;
    return 0;
}

/* Twice the frames, out of the writer's own first block. */
static int grow_frames(W *w) {
    size_t cap = w->fcap * 2;
    if (cap > SIZE_MAX / sizeof(frame)) return nomem(w);
    frame *f = acar__regrow(w->fr, w->fr0, w->fcap * sizeof *f, cap * sizeof *f);
    if (!f) return nomem(w);
    w->fr = f;
    w->fcap = cap;
    return 0;
}

HOT frame *push_frame(W *w, size_t depth) {
    if (depth >= w->max_depth) {
        fail(w, ACAR_ERR_LIMIT, "nesting deeper than %zu (max_depth)", w->max_depth);
        return NULL;
    }
    if (depth == w->fcap && grow_frames(w) < 0) return NULL;
    return &w->fr[depth];
}

/* ---- node shapes ---- */

static inline bool is_singleton(acar_type t) {
    return t == ACAR_NONE || t == ACAR_BOOL || t == ACAR_ELLIPSIS || t == ACAR_STOPITERATION;
}

static inline bool is_container(acar_type t) {
    return t == ACAR_LIST || t == ACAR_TUPLE || t == ACAR_DICT || t == ACAR_SET ||
           t == ACAR_FROZENSET || t == ACAR_CODE;
}

/* A split dict's keys (its values: vals_of), any other container's
 * items. */
static inline acar_val *const *items_of(const acar_val *v) {
    acar_type t = ACAR_TYPE(v);
    if (t == ACAR_LIST || t == ACAR_TUPLE) return v->u.items;
    if (t == ACAR_CODE) return ((const acar_code_body *)v->u.p)->f;
    if (t == ACAR_DICT && acar__is_split(v)) return acar__split_keys(v)->key;
    return v->u.items;
}

/* A split dict's values, NULL for other nodes. */
static inline acar_val *const *vals_of(const acar_val *v) {
    return ACAR_TYPE(v) == ACAR_DICT && acar__is_split(v) ? v->u.items : NULL;
}

/* The layout of a code node's items, NULL for other nodes. */
static inline const acar_code_field *layout_of(const acar_val *v) {
    if (ACAR_TYPE(v) != ACAR_CODE) return NULL;
    const acar_code_field *l;
    acar_code_layout(((const acar_code_body *)v->u.p)->pyver, &l);
    return l;
}

/* Items to visit: 2 per dict pair. */
static inline size_t nitems_of(const acar_val *v) {
    return ACAR_TYPE(v) == ACAR_DICT ? 2 * ACAR_LEN(v) : ACAR_LEN(v);
}

/* Python 2 writes sets in hash table order, which no file records: acar
 * keeps their order there. */
static inline bool needs_sort(const W *w, const acar_val *v) {
    acar_type t = ACAR_TYPE(v);
    return !w->py2 && (t == ACAR_SET || t == ACAR_FROZENSET) && ACAR_LEN(v) > 1 &&
           !(ACAR_FLAGS(v) & ACAR_F_MORDER);
}

/* ====================================================================
 * First pass: count occurrences (version 3+) and list the sets to sort,
 * each after every set inside it.
 * ================================================================== */

static int note_set(W *w, const acar_val *v) {
    if (w->nsets == w->scap) {
        size_t cap = w->scap ? w->scap * 2 : 16;
        const acar_val **s = realloc(w->sets, cap * sizeof *s);
        if (!s) return nomem(w);
        w->sets = s;
        w->scap = cap;
    }
    w->sets[w->nsets++] = v;
    return 0;
}

/* Whether the document says one place refers to v (ACAR_F_SOLE), or that
 * each place refers to a value of its own (ACAR_F_BYVAL): then it needs no
 * counting. */
static inline bool sole(const acar_val *v) { return (ACAR_FLAGS(v) & ACAR_F_SOLE) || acar__byval(v); }

/* Counts v; returns 1 when its items are to be visited (first meeting of a
 * container), 0 when not, -1 on failure. */
static int count(W *w, const acar_val *v) {
    acar_type t = ACAR_TYPE(v);
    if (is_singleton(t)) return 0;
    bool cont = is_container(t);
    if (sole(v)) return cont;
    if (!cont && (w->version < 3 || (ACAR_FLAGS(v) & ACAR_F_MREF))) return 0;
    slot *s = tab_get(w, &w->t, v);
    if (!s) return -1;
    if (s->cnt < 2) s->cnt++;
    return cont && s->cnt == 1;
}

static int first_pass(W *w, const acar_val *root) {
    int rc = count(w, root);
    if (rc <= 0) return rc;
    size_t depth = 0;
    frame *f = push_frame(w, depth);
    if (!f) return -1;
    f->node = root;
    f->co = layout_of(root);
    f->items = items_of(root);
    f->vals = vals_of(root);
    f->i = 0;
    f->n = nitems_of(root);
    depth = 1;
    while (depth) {
        f = &w->fr[depth - 1];
        if (f->i == f->n) {
            if (needs_sort(w, f->node) && note_set(w, f->node) < 0) return -1;
            depth--;
            continue;
        }
        size_t i = f->i++;
        if (f->co && acar__code_int_field(f->co[i])) continue; /* raw int32 */
        /* a split dict's item i: key or value i / 2 */
        const acar_val *c = !f->vals ? f->items[i] : (i & 1) ? f->vals[i >> 1] : f->items[i >> 1];
        w->edges++;
        rc = count(w, c);
        if (rc < 0) return -1;
        if (rc == 0) continue;
        frame *g = push_frame(w, depth);
        if (!g) return -1;
        g->node = c;
        g->co = layout_of(c);
        g->items = items_of(c);
        g->vals = vals_of(c);
        g->i = 0;
        g->n = nitems_of(c);
        depth++;
    }
    return 0;
}

/* ====================================================================
 * Output
 * ================================================================== */

static inline void put32(uint8_t *q, uint32_t x) {
    q[0] = (uint8_t)x;
    q[1] = (uint8_t)(x >> 8);
    q[2] = (uint8_t)(x >> 16);
    q[3] = (uint8_t)(x >> 24);
}

static inline void put_double(uint8_t *q, double d) {
    uint64_t bits;
    memcpy(&bits, &d, 8);
    put32(q, (uint32_t)bits);
    put32(q + 4, (uint32_t)(bits >> 32));
}

/* The output as the writer sees it: a cursor into the acar_out's buffer,
 * kept apart from it because every byte stored may alias the buffer's
 * fields for the compiler (reloading them per value was a tenth of
 * writing github_events).  o->buf->len is brought up to date by
 * sink_sync, after every emit.  base is NULL until the buffer has
 * storage (cur and lim then point at the sink itself, with no room). */
typedef struct sink {
    uint8_t *cur, *lim, *base;
    acar_out *o;
} sink;

static void sink_load(sink *s) {
    acar_buf *b = s->o->buf;
    if (!b->data) {
        s->base = NULL;
        s->cur = s->lim = (uint8_t *)s;
        return;
    }
    size_t cap = b->cap;
    /* never room past the limit, so that writing past it takes the slow path */
    if (s->o->limit && cap > s->o->limit) cap = s->o->limit < b->len ? b->len : s->o->limit;
    s->base = (uint8_t *)b->data;
    s->cur = s->base + b->len;
    s->lim = s->base + cap;
}

static void sink_open(sink *s, acar_out *o) {
    s->o = o;
    sink_load(s);
}

static void sink_sync(sink *s) {
    if (s->base) s->o->buf->len = (size_t)(s->cur - s->base);
}

static uint8_t *reserve_slow(sink *s, size_t n) {
    sink_sync(s);
    if (!acar__out_reserve(s->o, n)) return NULL; /* sticky: reported at the end */
    sink_load(s);
    return s->cur;
}

static inline uint8_t *reserve(sink *s, size_t n) {
    if (n <= (size_t)(s->lim - s->cur)) return s->cur;
    return reserve_slow(s, n);
}
static inline void commit(sink *s, uint8_t *end) { s->cur = end; }

static inline void out_byte(sink *s, char c) {
    uint8_t *q = reserve(s, 1);
    if (q) {
        *q = (uint8_t)c;
        s->cur = q + 1;
    }
}

/* "%.17g" exactly as CPython's PyOS_double_to_string(d, 'g', 17, 0): the
 * exact decimal value of d rounded half-even to 17 digits, trailing zeros
 * dropped, exponent form below 1e-4 and from 1e17.  Returns the length
 * (at most 24); -1 when out of memory. */
static int format_g17(double d, char *buf) {
    if (isnan(d)) { memcpy(buf, "nan", 3); return 3; }
    size_t k = 0;
    if (signbit(d)) buf[k++] = '-';
    if (isinf(d)) { memcpy(buf + k, "inf", 3); return (int)k + 3; }
    if (d == 0) { buf[k++] = '0'; return (int)k; }
    int e2;
    double fr = frexp(fabs(d), &e2);        /* |d| = fr * 2^e2, fr in [0.5, 1) */
    uint64_t mant = (uint64_t)ldexp(fr, 53);
    e2 -= 53;                               /* |d| = mant * 2^e2 exactly */
    while (!(mant & 1)) { mant >>= 1; e2++; }
    /* N = mant * 2^e2 (e2 >= 0) or mant * 5^-e2 (then |d| = N / 10^-e2). */
    size_t cap = 4 + (size_t)(e2 >= 0 ? e2 : -e2 * 3) / 32 + 2;
    uint32_t *n = calloc(2 * cap, sizeof *n);
    if (!n) return -1;
    size_t nl = 2;
    n[0] = (uint32_t)mant;
    n[1] = (uint32_t)(mant >> 32);
    int pow10 = 0;
    if (e2 >= 0) {
        for (int s = e2; s > 0;) {
            int step = s > 31 ? 31 : s;
            uint32_t carry = 0;
            for (size_t i = 0; i < nl; i++) {
                uint64_t x = ((uint64_t)n[i] << step) | carry;
                n[i] = (uint32_t)x;
                carry = (uint32_t)(x >> 32);
            }
            if (carry) n[nl++] = carry;
            s -= step;
        }
    } else {
        pow10 = e2;
        for (int s = -e2; s > 0;) {
            int step = s > 13 ? 13 : s;
            uint32_t m = 1;
            for (int i = 0; i < step; i++) m *= 5;
            uint64_t carry = 0;
            for (size_t i = 0; i < nl; i++) {
                uint64_t x = (uint64_t)n[i] * m + carry;
                n[i] = (uint32_t)x;
                carry = x >> 32;
            }
            if (carry) n[nl++] = (uint32_t)carry;
            s -= step;
        }
    }
    while (nl && !n[nl - 1]) nl--;
    size_t bound = acar_num_big_dec_bound(nl);
    char *dec = malloc(bound + 1);
    if (!dec) { free(n); return -1; }
    size_t len = acar_num_big_to_dec(n, nl, n + cap, dec);
    free(n);
    /* value = 0.dec * 10^(len + pow10); first digit's exponent: */
    int x = (int)len - 1 + pow10;
    char dig[18];
    size_t nd = len < 17 ? len : 17;
    memcpy(dig, dec, nd);
    if (len > 17) {
        int up = dec[17] > '5';
        if (dec[17] == '5') {
            up = 0;
            for (size_t i = 18; i < len; i++)
                if (dec[i] != '0') { up = 1; break; }
            if (!up) up = (dig[16] - '0') & 1;   /* a tie: to even */
        }
        if (up) {
            size_t i = 17;
            while (i > 0 && dig[i - 1] == '9') dig[--i] = '0';
            if (i == 0) { dig[0] = '1'; x++; }  /* 99..9 -> 100..0 */
            else dig[i - 1]++;
        }
    }
    free(dec);
    while (nd > 1 && dig[nd - 1] == '0') nd--;
    if (x >= -4 && x < 17) {
        if (x < 0) {
            buf[k++] = '0';
            buf[k++] = '.';
            for (int i = -1; i > x; i--) buf[k++] = '0';
            memcpy(buf + k, dig, nd);
            k += nd;
        } else {
            for (int i = 0; i <= x; i++) buf[k++] = (size_t)i < nd ? dig[i] : '0';
            if (nd > (size_t)x + 1) {
                buf[k++] = '.';
                memcpy(buf + k, dig + x + 1, nd - (size_t)x - 1);
                k += nd - (size_t)x - 1;
            }
        }
    } else {
        buf[k++] = dig[0];
        if (nd > 1) {
            buf[k++] = '.';
            memcpy(buf + k, dig + 1, nd - 1);
            k += nd - 1;
        }
        buf[k++] = 'e';
        buf[k++] = x < 0 ? '-' : '+';
        int ax = x < 0 ? -x : x;
        if (ax >= 100) buf[k++] = (char)('0' + ax / 100);
        buf[k++] = (char)('0' + ax / 10 % 10);
        buf[k++] = (char)('0' + ax % 10);
    }
    return (int)k;
}

static int put_float_text(W *w, sink *o, double d) {
    char text[32];
    int n = format_g17(d, text);
    if (n < 0) return nomem(w);
    uint8_t *q = reserve(o, 1 + (size_t)n);
    if (!q) return 0; /* sticky: reported at the end */
    q[0] = (uint8_t)n;
    memcpy(q + 1, text, (size_t)n);
    commit(o, q + 1 + n);
    return 0;
}

/* TYPE_LONG: int32 count of 15-bit digits (negative for a negative value),
 * then the digits, low first. */
static int put_long(W *w, sink *o, uint8_t code, int neg, const uint32_t *limbs, size_t nl) {
    size_t bits = 0;
    if (nl) {
        uint32_t top = limbs[nl - 1];
        bits = 32 * (nl - 1);
        while (top) { bits++; top >>= 1; }
    }
    size_t nd = (bits + 14) / 15;
    if (nd > SIZE32_MAX) return fail(w, ACAR_ERR_TYPE, "int too large to marshal");
    uint8_t *q = reserve(o, 5 + 2 * nd);
    if (!q) return 0;
    q[0] = code;
    put32(q + 1, neg ? (uint32_t)0 - (uint32_t)nd : (uint32_t)nd);
    q += 5;
    size_t bit = 0;
    for (size_t i = 0; i < nd; i++, bit += 15) {
        size_t li = bit >> 5, sh = bit & 31;
        uint64_t x = limbs[li] >> sh;
        if (sh > 17 && li + 1 < nl) x |= (uint64_t)limbs[li + 1] << (32 - sh);
        unsigned dgt = (unsigned)(x & 0x7fff);
        q[0] = (uint8_t)dgt;
        q[1] = (uint8_t)(dgt >> 8);
        q += 2;
    }
    commit(o, q);
    return 0;
}

static int put_sized(W *w, sink *o, uint8_t code, const char *s, size_t n) {
    if (n > SIZE32_MAX) return fail(w, ACAR_ERR_TYPE, "object of %zu bytes too large to marshal", n);
    uint8_t *q = reserve(o, 5 + n);
    if (!q) return 0;
    q[0] = code;
    put32(q + 1, (uint32_t)n);
    acar__copy_short(q + 5, s, n);
    commit(o, q + 5 + n);
    return 0;
}

/* ====================================================================
 * Writing one value (and its items, through frames)
 * ================================================================== */

/* A code object's count, flags or firstlineno: a raw int32. */
static int put_raw_int(W *w, sink *o, const acar_val *v, acar_code_field f) {
    if (ACAR_TYPE(v) != ACAR_INT || (ACAR_FLAGS(v) & ACAR_F_BIG) || v->u.i < INT32_MIN ||
        v->u.i > INT32_MAX)
        return fail(w, ACAR_ERR_TYPE, "code object field %s must be an int32",
                    acar_code_field_name(f));
    uint8_t *q = reserve(o, 4);
    if (!q) return 0;
    put32(q, (uint32_t)(int32_t)v->u.i);
    commit(o, q + 4);
    return 0;
}

static inline uint64_t hash_text(const char *s, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 0x100000001b3ull;
    return h;
}

/* Python 2 interned string: STRINGREF to an equal one written before, else
 * INTERNED, which takes the next index (the writer keys them by value). */
static int put_py2_interned(W *w, sink *o, const acar_val *v) {
    size_t n = ACAR_LEN(v);
    if ((w->ssn + 1) * 2 > w->sscap) {
        size_t cap = w->sscap ? w->sscap * 2 : 64;
        sslot *ns = calloc(cap, sizeof *ns);
        if (!ns) return nomem(w);
        for (size_t i = 0; i < w->sscap; i++) {
            if (!w->ss[i].s) continue;
            size_t j = (size_t)hash_text(w->ss[i].s->u.s, ACAR_LEN(w->ss[i].s)) & (cap - 1);
            while (ns[j].s) j = (j + 1) & (cap - 1);
            ns[j] = w->ss[i];
        }
        free(w->ss);
        w->ss = ns;
        w->sscap = cap;
    }
    size_t mask = w->sscap - 1;
    size_t j = (size_t)hash_text(v->u.s, n) & mask;
    for (; w->ss[j].s; j = (j + 1) & mask) {
        const acar_val *e = w->ss[j].s;
        if (ACAR_LEN(e) == n && (n == 0 || memcmp(e->u.s, v->u.s, n) == 0)) {
            uint8_t *q = reserve(o, 5);
            if (q) {
                q[0] = ACAR_MT_STRINGREF;
                put32(q + 1, (uint32_t)w->ss[j].idx);
                commit(o, q + 5);
            }
            return 0;
        }
    }
    if (w->ssn >= SIZE32_MAX) return fail(w, ACAR_ERR_LIMIT, "too many interned strings to marshal");
    w->ss[j].s = v;
    w->ss[j].idx = (int32_t)w->ssn++;
    return put_sized(w, o, ACAR_MT_INTERNED, v->u.s, n);
}

/* The FLAG_REF decision for v (not a singleton): 0x80 when flagged, 0 when
 * not, 1 when a REF was written instead, -1 on failure. */
HOT int ref_flag(W *w, tab *refs, sink *o, const acar_val *v, bool v2) {
    if (v2) return 0;
    unsigned fl = ACAR_FLAGS(v) & (ACAR_F_MREF | ACAR_F_SOLE);
    /* The commonest case first: referred to once, not flagged. */
    if (EXPECT(fl == ACAR_F_SOLE, 1)) return 0;
    if (acar__byval(v)) return 0; /* a number of each place's own (never read from marshal) */
    if (fl == (ACAR_F_MREF | ACAR_F_SOLE)) {
        /* Flagged, and met only here: it takes the next index, but no REF
         * can name it, so it needs no slot (most flagged values of a .pyc:
         * CPython flags what its reference counts share, not what the
         * stream refers to again). */
        if (refs->next == INT32_MAX) return fail(w, ACAR_ERR_LIMIT, "too many objects to marshal");
        refs->next++;
        return ACAR_MARSHAL_FLAG_REF;
    }
    if (!fl) {
        if (w->fast) { w->bail = true; return -1; }
        const slot *s = tab_find(&w->t, v);
        if (!s || s->cnt < 2) return 0;
    }
    slot *e = tab_get(w, refs, v);
    if (!e) return -1;
    if (e->idx >= 0) {
        uint8_t *q = reserve(o, 5);
        if (q) {
            q[0] = ACAR_MT_REF;
            put32(q + 1, (uint32_t)e->idx);
            commit(o, q + 5);
        }
        return 1;
    }
    if (refs->next == INT32_MAX) return fail(w, ACAR_ERR_LIMIT, "too many objects to marshal");
    e->idx = refs->next++;
    return ACAR_MARSHAL_FLAG_REF;
}

/* Writes v's type code and body; for a container with items, fills *f and
 * returns 2 (its items follow), else 0; -1 on failure. */
HOT int put_head(W *w, sink *o, const acar_val *v, tab *refs, frame *f, bool v2) {
    acar_type t = ACAR_TYPE(v);
    uint8_t *q;
    if ((unsigned)t - ACAR_NONE <= (unsigned)(ACAR_STOPITERATION - ACAR_NONE)) {
        /* None, bools, Ellipsis, StopIteration: one byte, never a REF. */
        char c = t == ACAR_NONE ? ACAR_MT_NONE : t == ACAR_BOOL ? (v->u.i ? ACAR_MT_TRUE : ACAR_MT_FALSE)
               : t == ACAR_ELLIPSIS ? ACAR_MT_ELLIPSIS : ACAR_MT_STOPITER;
        out_byte(o, c);
        return 0;
    }
    int flag = ref_flag(w, refs, o, v, v2);
    if (flag < 0) return -1;
    if (flag == 1) return 0;
    unsigned fl = ACAR_FLAGS(v);
    switch (t) {
    case ACAR_INT:
        if (w->py2 && !(fl & (ACAR_F_BIG | ACAR_F_MLONG)) &&
            (v->u.i < INT32_MIN || v->u.i > INT32_MAX)) {
            /* A Python 2 int beyond 32 bits (a long is 'l'). */
            if (!(q = reserve(o, 9))) return 0;
            q[0] = ACAR_MT_INT64;
            put32(q + 1, (uint32_t)(uint64_t)v->u.i);
            put32(q + 5, (uint32_t)((uint64_t)v->u.i >> 32));
            commit(o, q + 9);
            return 0;
        }
        if (fl & ACAR_F_BIG)
            return put_long(w, o, (uint8_t)(ACAR_MT_LONG | flag), (fl & ACAR_F_NEG) != 0, v->u.p,
                            ACAR_LEN(v));
        if (!(fl & ACAR_F_MLONG) && v->u.i >= INT32_MIN && v->u.i <= INT32_MAX) {
            if (!(q = reserve(o, 5))) return 0;
            q[0] = (uint8_t)(ACAR_MT_INT | flag);
            put32(q + 1, (uint32_t)(int32_t)v->u.i);
            commit(o, q + 5);
            return 0;
        } else {
            int64_t i = v->u.i;
            uint64_t m = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
            uint32_t limbs[2] = {(uint32_t)m, (uint32_t)(m >> 32)};
            return put_long(w, o, (uint8_t)(ACAR_MT_LONG | flag), i < 0, limbs,
                            m == 0 ? 0 : limbs[1] ? 2 : 1);
        }
    case ACAR_FLOAT:
        if (w->version > 1) {
            if (!(q = reserve(o, 9))) return 0;
            q[0] = (uint8_t)(ACAR_MT_BINARY_FLOAT | flag);
            put_double(q + 1, v->u.f);
            commit(o, q + 9);
            return 0;
        }
        out_byte(o, (char)(ACAR_MT_FLOAT | flag));
        return put_float_text(w, o, v->u.f);
    case ACAR_COMPLEX: {
        const double *d = v->u.p;
        if (w->version > 1) {
            if (!(q = reserve(o, 17))) return 0;
            q[0] = (uint8_t)(ACAR_MT_BINARY_COMPLEX | flag);
            put_double(q + 1, d[0]);
            put_double(q + 9, d[1]);
            commit(o, q + 17);
            return 0;
        }
        out_byte(o, (char)(ACAR_MT_COMPLEX | flag));
        if (put_float_text(w, o, d[0]) < 0) return -1;
        return put_float_text(w, o, d[1]);
    }
    case ACAR_STR: {
        size_t n = ACAR_LEN(v);
        bool interned = (fl & ACAR_F_MINTERN) != 0;
        if (w->version >= 4 && (fl & ACAR_F_ASCII)) {
            if (n < 256) {
                if (!(q = reserve(o, 2 + n))) return 0;
                q[0] = (uint8_t)((interned ? ACAR_MT_SHORT_ASCII_INTERNED : ACAR_MT_SHORT_ASCII) | flag);
                q[1] = (uint8_t)n;
                acar__copy_short(q + 2, v->u.s, n);
                commit(o, q + 2 + n);
                return 0;
            }
            return put_sized(w, o, (uint8_t)((interned ? ACAR_MT_ASCII_INTERNED : ACAR_MT_ASCII) | flag),
                             v->u.s, n);
        }
        return put_sized(w, o,
                         (uint8_t)((w->version >= 3 && interned ? ACAR_MT_INTERNED : ACAR_MT_UNICODE) | flag),
                         v->u.s, n);
    }
    case ACAR_BYTES: case ACAR_BYTEARRAY:
        if (w->py2 && t == ACAR_BYTES && (fl & ACAR_F_MINTERN) && w->version >= 1)
            return put_py2_interned(w, o, v);
        return put_sized(w, o, (uint8_t)(ACAR_MT_STRING | flag), v->u.s, ACAR_LEN(v));
    case ACAR_BUFFER: {
        size_t n;
        const uint8_t *data = acar_buffer_data(v, &n);
        if (!data && n) return fail(w, ACAR_ERR_TYPE, "unmarshallable object: out-of-band buffer");
        return put_sized(w, o, (uint8_t)(ACAR_MT_STRING | flag), (const char *)data, n);
    }
    case ACAR_TUPLE: case ACAR_LIST: case ACAR_SET: case ACAR_FROZENSET: {
        size_t n = ACAR_LEN(v);
        if (n > SIZE32_MAX) return fail(w, ACAR_ERR_TYPE, "%s of %zu items too large to marshal",
                                        acar_type_name(t), n);
        if (t == ACAR_TUPLE && w->version >= 4 && n < 256) {
            if (!(q = reserve(o, 2))) return 0;
            q[0] = (uint8_t)(ACAR_MT_SMALL_TUPLE | flag);
            q[1] = (uint8_t)n;
            commit(o, q + 2);
        } else {
            uint8_t code = t == ACAR_TUPLE ? ACAR_MT_TUPLE : t == ACAR_LIST ? ACAR_MT_LIST
                         : t == ACAR_SET ? ACAR_MT_SET : ACAR_MT_FROZENSET;
            if (!(q = reserve(o, 5))) return 0;
            q[0] = (uint8_t)(code | flag);
            put32(q + 1, (uint32_t)n);
            commit(o, q + 5);
        }
        if (n == 0) return 0;
        f->perm = NULL;
        f->co = NULL;
        if (needs_sort(w, v)) {
            if (w->fast) { w->bail = true; return -1; }
            f->perm = perm_find(w, v);
        }
        f->node = v;
        f->items = items_of(v);
        f->vals = NULL;
        f->i = 0;
        f->n = n;
        f->dict = false;
        f->slow = f->perm != NULL;
        return 2;
    }
    case ACAR_DICT:
        out_byte(o, (char)(ACAR_MT_DICT | flag));
        f->node = v;
        f->perm = NULL;
        f->co = NULL;
        f->i = 0;
        f->n = 2 * ACAR_LEN(v);
        f->dict = true;
        f->items = items_of(v);
        f->vals = vals_of(v);
        f->slow = f->vals != NULL;
        return 2;
    case ACAR_CODE: {
        const acar_code_body *b = v->u.p;
        char have[16], want[16];
        if (b->pyver != w->pyver)
            return fail(w, ACAR_ERR_TYPE, "a code object of %s cannot be written as %s marshal "
                        "(code objects are written only as their own Python's)",
                        acar__pyver_str(b->pyver, have), acar__pyver_str(w->pyver, want));
        const acar_code_field *l;
        if (acar_code_layout(b->pyver, &l) != b->nfields)
            return fail(w, ACAR_ERR_TYPE, "code object with a broken layout");
        out_byte(o, (char)(ACAR_MT_CODE | flag));
        f->node = v;
        f->items = b->f;
        f->vals = NULL;
        f->co = l;
        f->perm = NULL;
        f->i = 0;
        f->n = b->nfields;
        f->dict = false;
        f->slow = true;
        return 2;
    }
    default:
        return fail(w, ACAR_ERR_TYPE, "unmarshallable object: %s", acar_type_name(t));
    }
}

/* Below version 3 every occurrence of a shared value is written out in
 * full, as CPython does; a cycle can never end and is refused when met
 * (a container met again while it is open: its slot's index is -2 while
 * open), and exponential sharing ends at the budget. */
static int enter_v2(W *w, const acar_val *v) {
    if (w->fast) {
        /* Containers met once each make a tree: nothing to refuse. */
        if (is_container(ACAR_TYPE(v)) && !(ACAR_FLAGS(v) & ACAR_F_SOLE)) {
            w->bail = true;
            return -1;
        }
        return 0;
    }
    if (w->budget == 0)
        return fail(w, ACAR_ERR_LIMIT, "shared values expand beyond the write budget "
                                       "(marshal versions below 3 write each occurrence in full)");
    w->budget--;
    if (!is_container(ACAR_TYPE(v))) return 0;
    slot *s = tab_find(&w->t, v);
    if (!s) return 0;
    if (s->idx == -2)
        return fail(w, ACAR_ERR_TYPE, "a %s contains itself: marshal versions below 3 cannot "
                                      "write cycles", acar_type_name(ACAR_TYPE(v)));
    s->idx = -2;
    return 0;
}

static void leave_v2(W *w, const acar_val *v) {
    slot *s = tab_find(&w->t, v);
    if (s) s->idx = -1;
}

/* Room for frame w->fr[depth] (no depth check: the caller makes it). */
static int ensure_frame(W *w, size_t depth) {
    if (depth < w->fcap) return 0;
    return grow_frames(w);
}

/* Writes root and everything in it to o, with reference table refs.  The
 * innermost frame stays in a local and put_head fills the next one in
 * place (re-reading the frame stack per item, and copying a frame built
 * on the side, were a fifth of writing citm_catalog). */
HOT int emit_as(W *w, const acar_val *root, tab *refs, sink *o, const bool v2) {
    if (v2 && enter_v2(w, root) < 0) return -1;
    if (ensure_frame(w, 0) < 0) return -1;
    int rc = put_head(w, o, root, refs, &w->fr[0], v2);
    if (rc <= 0) {
        if (v2) leave_v2(w, root);
        return rc;
    }
    size_t depth = 1;
    const size_t max_depth = w->max_depth;
    /* The innermost frame's cursor in locals: every byte stored into the
     * output may alias the frame stack for the compiler. */
    frame *f = &w->fr[0];
    acar_val *const *items = f->items, *const *vals = f->vals;
    size_t i = 0, n = f->n;
    bool slow = f->slow;
    for (;;) {
        if (i == n) {
            if (f->dict) out_byte(o, ACAR_MT_NULL);
            if (v2) leave_v2(w, f->node);
            if (--depth == 0) return 0;
            f = &w->fr[depth - 1];
            items = f->items;
            vals = f->vals;
            i = f->i;
            n = f->n;
            slow = f->slow;
            continue;
        }
        const acar_val *c;
        if (!slow) {
            c = items[i++];
        } else if (vals) {
            /* split dict: key i / 2 from the table, value i / 2 from vals */
            c = (i & 1) ? vals[i >> 1] : items[i >> 1];
            i++;
        } else {
            c = items[f->perm ? f->perm[i] : i];
            if (f->co && acar__code_int_field(f->co[i])) {
                if (put_raw_int(w, o, c, f->co[i]) < 0) return -1;
                i++;
                continue;
            }
            i++;
        }
        /* Empty containers count as a level too, as the reader counts them. */
        if (depth >= max_depth && is_container(ACAR_TYPE(c)))
            return fail(w, ACAR_ERR_LIMIT, "nesting deeper than %zu (max_depth)", max_depth);
        if (v2 && enter_v2(w, c) < 0) return -1;
        if (depth == w->fcap) {
            if (ensure_frame(w, depth) < 0) return -1;
            f = &w->fr[depth - 1];
        }
        frame *g = &w->fr[depth];
        rc = put_head(w, o, c, refs, g, v2);
        if (rc < 0) return -1;
        if (rc == 0) {
            if (v2) leave_v2(w, c);
            continue;
        }
        f->i = i;
        f = g;
        depth++;
        items = f->items;
        vals = f->vals;
        i = 0;
        n = f->n;
        slow = f->slow;
    }
}

/* One copy of the loop per case (v2: version below 3, no references), so
 * that neither tests the version per value. */
static int emit(W *w, const acar_val *root, tab *refs, acar_out *out) {
    sink o;
    sink_open(&o, out);
    int rc = w->version < 3 ? emit_as(w, root, refs, &o, true) : emit_as(w, root, refs, &o, false);
    sink_sync(&o);
    return rc;
}

/* ====================================================================
 * Set order: items sorted by their own marshal bytes (stable)
 * ================================================================== */

typedef struct keys {
    const uint8_t *bytes;
    const size_t *off;  /* key i is bytes[off[i] .. off[i + 1]) */
} keys;

static int key_cmp(const keys *k, uint32_t a, uint32_t b) {
    size_t la = k->off[a + 1] - k->off[a], lb = k->off[b + 1] - k->off[b];
    int c = memcmp(k->bytes + k->off[a], k->bytes + k->off[b], la < lb ? la : lb);
    if (c) return c;
    return la < lb ? -1 : la > lb ? 1 : 0;
}

/* Bottom-up merge sort of p[0..n) (stable), tmp the same size. */
static void sort_perm(const keys *k, uint32_t *p, uint32_t *tmp, size_t n) {
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, o = lo;
            while (i < mid && j < hi) tmp[o++] = key_cmp(k, p[j], p[i]) < 0 ? p[j++] : p[i++];
            while (i < mid) tmp[o++] = p[i++];
            while (j < hi) tmp[o++] = p[j++];
        }
        memcpy(p, tmp, n * sizeof *p);
    }
}

static int order_set(W *w, const acar_val *set, acar_buf *kb) {
    size_t n = ACAR_LEN(set);
    acar_val *const *items = items_of(set);
    size_t *off = malloc((n + 1) * sizeof *off);
    uint32_t *perm = malloc(n * sizeof *perm);
    uint32_t *tmp = malloc(n * sizeof *tmp);
    int rc = -1;
    if (!off || !perm || !tmp) { nomem(w); goto done; }
    acar_out ko = {.buf = kb};
    kb->len = 0;
    off[0] = 0;
    for (size_t i = 0; i < n; i++) {
        tab_clear(&w->kr);
        if (emit(w, items[i], &w->kr, &ko) < 0) goto done;
        if (ko.failed) { nomem(w); goto done; }
        off[i + 1] = kb->len;
        perm[i] = (uint32_t)i;
    }
    w->key_bytes += kb->len;
    if (w->key_bytes > KEY_BUDGET) {
        fail(w, ACAR_ERR_LIMIT, "ordering nested sets needs more than %zu bytes of sort keys",
             KEY_BUDGET);
        goto done;
    }
    keys k = {(const uint8_t *)kb->data, off};
    sort_perm(&k, perm, tmp, n);
    if (perm_put(w, set, perm) < 0) goto done;
    perm = NULL;
    rc = 0;
done:
    free(off);
    free(perm);
    free(tmp);
    return rc;
}

/* ====================================================================
 * Entry points
 * ================================================================== */

static int write_main(const acar_val *v, const acar_write_opts *opts, unsigned pyver,
                      acar_out *out, acar_err *err) {
    acar_write_opts zero = {0};
    if (!opts) opts = &zero;
    bool py2 = pyver < ACAR_PYVER(3, 0);
    int version;
    int vmax = py2 ? 2 : ACAR_MARSHAL_VERSION_MAX;
    if (opts->version == 0) {
        version = py2 ? 2 : ACAR_MARSHAL_VERSION_DEFAULT;
    } else if ((opts->version & ~0xffu) == 0x100u && (int)(opts->version & 0xffu) <= vmax) {
        version = (int)(opts->version & 0xffu);
    } else {
        acar__err_set(err, ACAR_ERR_ARG, 0, "%s marshal version must be ACAR_VERSION(0..%d) or 0, not 0x%x",
                      py2 ? "Python 2" : "Python 3", vmax, opts->version);
        return -1;
    }
    if (!v || !out || !out->buf) {
        acar__err_set(err, ACAR_ERR_ARG, 0, "acar__marshal_write needs a value and a buffer");
        return -1;
    }
    W wv;
    W *w = &wv;
    memset(w, 0, offsetof(W, fr0));
    w->fr = w->fr0;
    w->fcap = FR0;
    memset(w->t0, 0, sizeof w->t0);
    w->t.s = w->t.inl = w->t0;
    w->t.cap = T0;
    w->err = err;
    w->version = version;
    w->py2 = py2;
    w->pyver = pyver;
    w->max_depth = opts->max_depth ? opts->max_depth : ACAR_DEFAULT_MAX_DEPTH;
    acar_buf kb = {0};
    /* First try one pass that trusts the marks: a value read from marshal
     * (or any value the document knows to be sole) decides its FLAG_REF
     * alone, and sets read from marshal keep their order.  The first value
     * that needs counting or sorting sends the write to the two passes. */
    size_t start = out->buf->len;
    w->fast = true;
    w->budget = SIZE_MAX;
    int rc = emit(w, v, &w->t, out);
    if (rc < 0 && w->bail) {
        out->buf->len = start;
        tab_clear(&w->t);
        if (w->ssn) memset(w->ss, 0, w->sscap * sizeof *w->ss);
        w->ssn = 0;
        w->fast = w->bail = false;
        rc = first_pass(w, v);
        /* Room for any tree-shaped graph many times over; only nested
         * sharing (2^depth occurrences) runs out. */
        w->budget = w->edges > (SIZE_MAX - ((size_t)1 << 24)) / 256 ? SIZE_MAX
                  : 256 * w->edges + ((size_t)1 << 24);
        for (size_t i = 0; rc == 0 && i < w->nsets; i++) rc = order_set(w, w->sets[i], &kb);
        if (rc == 0) rc = emit(w, v, &w->t, out);
    }
    acar_buf_free(&kb);
    for (size_t i = 0; i < w->pcap; i++) free(w->perms[i].perm);
    free(w->perms);
    if (w->t.s != w->t0) free(w->t.s);
    free(w->kr.s);
    if (w->fr != w->fr0) free(w->fr);
    free(w->sets);
    free(w->ss);
    return rc;
}

int acar__marshal_write_ex(const acar_val *v, const acar_write_opts *opts,
                           acar_marshal_dialect dialect, acar_out *out, acar_err *err) {
    return write_main(v, opts, dialect == ACAR_MARSHAL_PY2 ? ACAR_PYVER(2, 7) : ACAR_PYVER(3, 11),
                      out, err);
}

int acar__marshal_write_py(const acar_val *v, const acar_write_opts *opts, unsigned pyver,
                           acar_out *out, acar_err *err) {
    return write_main(v, opts, pyver, out, err);
}

int acar__marshal_write(const acar_val *v, const acar_write_opts *opts, acar_out *out, acar_err *err) {
    return write_main(v, opts, ACAR_PYVER(3, 11), out, err);
}
