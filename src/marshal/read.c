/*
 * read.c -- the marshal reader: every type code of Python 2.7 and 3.x,
 * code objects in the layout of the Python that wrote them (code.c).
 *
 * Wire format (types.h has the table): one value is a type code byte and a
 * body; tuples, lists, sets and frozensets give a count and then that many
 * values, dicts give key/value pairs until a NULL ('0') key.  Integers are
 * little-endian.  With FLAG_REF (0x80) in its code a value is appended to
 * the reference list when it is made -- containers before their items, so a
 * list (or a tuple: CPython 3 registers it before filling it) can contain
 * itself -- except frozensets and code objects, whose slot is reserved first and
 * filled when complete; a REF to a reserved slot is an error, as in CPython.
 * REF 'r' + int32 yields the very node of that slot.
 *
 * What is accepted and rejected is what CPython 3.11's marshal.loads
 * accepts and rejects, quirks included: a NULL in place of a dict value
 * ends the dict and drops the key; 'a'/'z' text is Latin-1 (bytes >= 0x80
 * are accepted); float text stops at a NUL byte; bytes after the value are
 * not read (opts->consumed says where it ended).  Python 2 data
 * (ACAR_MARSHAL_PY2): 't' is an interned byte string added to a list that
 * STRINGREF 'R' indexes, and FLAG_REF, 'r', 'a', 'z', ')' are unknown.
 *
 * Marks for a byte-exact rewrite (internal.h): ACAR_F_MREF on every node
 * read with FLAG_REF, ACAR_F_MINTERN on interned strings, ACAR_F_MLONG on
 * TYPE_LONG ints that fit int64, ACAR_F_MORDER on every set (the writer
 * keeps their order).
 *
 * Safety: no recursion -- open containers are frames on an explicit stack
 * and finished list/tuple items wait on a value stack, so a count is never
 * used to size an allocation: it is only checked against the bytes that
 * remain (every value takes at least one byte) and against max_items.
 * Nesting deeper than max_depth is refused.  Errors carry the offset of the
 * type code of the value that failed (the input length when a value is
 * missing at the end).
 */
#include "marshal/marshal.h"
#include "marshal/types.h"
#include "num/num.h"

#include <stdio.h>

#define NO_REF UINT32_MAX
#define REFS_MAX 0x7ffffffeu   /* CPython: "index list too large" */
#define SIZE32_MAX 0x7fffffffu

/* Initial room inside the reader, so small inputs need no scratch blocks. */
#define FRAMES0 32
#define VALS0 64
#define REFS0 64
typedef struct frame {
    acar_val *node;     /* the container being filled */
    size_t at;          /* offset of its type code */
    size_t left;        /* items still to come (not dicts) */
    size_t base;        /* dicts: first key on the value stack */
    size_t filled;      /* lists, tuples: items in place */
    acar_val *key;      /* dict: the key waiting for its value */
    uint32_t ref;       /* reserved reference slot (frozensets) or NO_REF */
    uint8_t type;       /* type code without FLAG_REF */
} frame;

typedef struct reader {
    acar_doc *doc;
    const uint8_t *data;
    size_t len, pos;
    acar_err *err;
    bool borrow, py2;
    unsigned pyver;        /* code objects: this Python's layout */
    const acar_code_field *layout;
    size_t nlayout, nobjfields; /* fields; those that are marshal values */
    size_t max_depth, max_items;
    size_t at;             /* offset of the type code being read */

    frame *frames;
    size_t nframes, fcap;
    acar_val **vals;       /* key, value pairs of open dicts */
    size_t nvals, vcap;
    size_t pending;        /* items that open counted containers still expect */
    acar_val *pool, *pool_end; /* nodes taken from the arena in blocks */
    acar_val **refs;       /* FLAG_REF list; NULL marks a reserved slot */
    size_t nrefs, rcap;
    acar_val **strs;       /* Python 2 interned strings (STRINGREF) */
    size_t nstrs, scap;
    size_t scratch;        /* scratch bytes held, counted against max_memory */

    acar_hash_cache hcache;   /* key hashes (core/internal.h) */
    frame frames0[FRAMES0];
    acar_val *vals0[VALS0];
    acar_val *refs0[REFS0];
} reader;

/* ====================================================================
 * Errors
 * ================================================================== */

static int fail_at(reader *r, acar_code code, size_t at, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    acar__err_vset(r->err, code, at, fmt, ap);
    va_end(ap);
    return -1;
}

#define FAIL(r, code, ...) fail_at((r), (code), (r)->at, __VA_ARGS__)

/* A builder of the document failed: memory, a limit, an unhashable key. */
static int fail_doc(reader *r, size_t at) {
    const acar_err *e = &r->doc->err;
    if (e->code == ACAR_OK) return fail_at(r, ACAR_ERR_NOMEM, at, "out of memory");
    acar_code code = e->code == ACAR_ERR_TYPE ? ACAR_ERR_MALFORMED : e->code;
    return fail_at(r, code, at, "%s", e->msg);
}

static int truncated(reader *r) { return FAIL(r, ACAR_ERR_TRUNCATED, "marshal data too short"); }

/* ====================================================================
 * Scratch memory: acar__scratch, counted against max_memory.
 * ================================================================== */

static void scratch_free(reader *r, void *p, size_t size, const void *inline_buf) {
    acar__scratch_free(r->doc, &r->scratch, p, inline_buf, size);
}

/* Doubles an array of elem-byte entries (held inline or in scratch). */
static int grow(reader *r, void **arr, size_t *cap, size_t elem, const void *inline_buf) {
    if (*cap > SIZE_MAX / 4 / elem) return FAIL(r, ACAR_ERR_NOMEM, "out of memory");
    size_t ncap = *cap ? *cap * 2 : 16;
    acar_code why = ACAR_ERR_NOMEM;
    void *n = acar__scratch(r->doc, &r->scratch, *arr, inline_buf, *cap * elem, ncap * elem, &why);
    if (!n) {
        if (why == ACAR_ERR_LIMIT)
            return FAIL(r, ACAR_ERR_LIMIT, ACAR_MAX_MEMORY_MSG,
                        r->doc->limits.max_memory);
        return FAIL(r, ACAR_ERR_NOMEM, "out of memory");
    }
    *arr = n;
    *cap = ncap;
    return 0;
}

/* ====================================================================
 * Little helpers
 * ================================================================== */

static inline int32_t get_i32(const uint8_t *p) {
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24);
}

static inline uint64_t get_u64(const uint8_t *p) {
    return (uint64_t)(uint32_t)get_i32(p) | (uint64_t)(uint32_t)get_i32(p + 4) << 32;
}

static inline size_t remaining(const reader *r) { return r->len - r->pos; }

static inline void mark(acar_val *v, unsigned flags) { v->tag |= (uint64_t)flags << 8; }

/* Every node starts sole (ACAR_F_SOLE): one place refers to it, until a
 * REF reaches it again. */
#define POOL 64 /* nodes per arena block: one allocation call per 64 nodes */

static acar_val *new_node(reader *r, uint64_t tag) {
    if (r->pool == r->pool_end) {
        acar_val *b = acar__alloc(r->doc, POOL * sizeof *b);
        if (!b) { fail_doc(r, r->at); return NULL; }
        r->pool = b;
        r->pool_end = b + POOL;
    }
    acar_val *v = r->pool++;
    v->tag = tag | (uint64_t)ACAR_F_SOLE << 8;
    v->u.i = 0;
    return v;
}

static acar_val *new_int(reader *r, int64_t i) {
    acar_val *v = new_node(r, ACAR_TAG(ACAR_INT, 0, 0));
    if (v) v->u.i = i;
    return v;
}

static acar_val *new_float(reader *r, double d) {
    acar_val *v = new_node(r, ACAR_TAG(ACAR_FLOAT, 0, 0));
    if (v) v->u.f = d;
    return v;
}

static acar_val *new_complex(reader *r, double re, double im) {
    double *d = acar__alloc(r->doc, 2 * sizeof *d);
    if (!d) { fail_doc(r, r->at); return NULL; }
    d[0] = re;
    d[1] = im;
    acar_val *v = new_node(r, ACAR_TAG(ACAR_COMPLEX, 0, 0));
    if (v) v->u.p = d;
    return v;
}

/* A str/bytes node over n bytes of the input (copied unless borrowing). */
static acar_val *new_text(reader *r, acar_type t, const uint8_t *s, size_t n, unsigned flags) {
    acar_val *v = new_node(r, ACAR_TAG(t, flags, n));
    if (!v) return NULL;
    if (n == 0) {
        v->u.s = "";
    } else if (r->borrow) {
        v->u.s = (const char *)s;
    } else {
        char *copy = acar__alloc(r->doc, n);
        if (!copy) { fail_doc(r, r->at); return NULL; }
        /* Short strings (most keys and values) in overlapping moves
         * rather than a call. */
        if (n >= 8 && n <= 32) {
            uint64_t a, b, c, d;
            if (n > 16) {
                memcpy(&a, s, 8);
                memcpy(&b, s + 8, 8);
                memcpy(&c, s + n - 16, 8);
                memcpy(&d, s + n - 8, 8);
                memcpy(copy, &a, 8);
                memcpy(copy + 8, &b, 8);
                memcpy(copy + n - 16, &c, 8);
                memcpy(copy + n - 8, &d, 8);
            } else {
                memcpy(&a, s, 8);
                memcpy(&b, s + n - 8, 8);
                memcpy(copy, &a, 8);
                memcpy(copy + n - 8, &b, 8);
            }
        } else if (n >= 4 && n < 8) {
            uint32_t a, b;
            memcpy(&a, s, 4);
            memcpy(&b, s + n - 4, 4);
            memcpy(copy, &a, 4);
            memcpy(copy + n - 4, &b, 4);
        } else if (n < 4) {
            copy[0] = (char)s[0];
            copy[n / 2] = (char)s[n / 2];
            copy[n - 1] = (char)s[n - 1];
        } else {
            memcpy(copy, s, n);
        }
        v->u.s = copy;
    }
    return v;
}

/* A str node from UTF-8 in the input (surrogatepass, as CPython decodes). */
static acar_val *new_utf8(reader *r, const uint8_t *s, size_t n) {
    bool ascii;
    if (!acar__utf8_valid(s, n, &ascii)) {
        bool bad;
        size_t at = acar__utf8_check((const char *)s, n, &bad, &ascii);
        FAIL(r, ACAR_ERR_MALFORMED, "'utf-8' codec can't decode byte 0x%02x in position %zu",
             s[at < n ? at : n - 1], at);
        return NULL;
    }
    return new_text(r, ACAR_STR, s, n, ascii ? ACAR_F_ASCII : 0);
}

/* A str node from 'a'/'z' text: ASCII in practice, Latin-1 by CPython's rule. */
static acar_val *new_latin1(reader *r, const uint8_t *s, size_t n);

/* The same for 1..16 bytes, copied: the ASCII test and the copy share
 * their loads (most keys and values of JSON-like data are this short). */
static inline acar_val *new_latin1_short(reader *r, const uint8_t *s, size_t n) {
    uint64_t a, b;
    if (n >= 8) {
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
    } else if (n >= 4) {
        uint32_t a4, b4;
        memcpy(&a4, s, 4);
        memcpy(&b4, s + n - 4, 4);
        a = a4;
        b = b4;
    } else {
        a = (uint64_t)s[0] | (uint64_t)s[n / 2] << 8;
        b = s[n - 1];
    }
    if ((a | b) & 0x8080808080808080ull) return new_latin1(r, s, n);
    acar_val *v = new_node(r, ACAR_TAG(ACAR_STR, ACAR_F_ASCII, n));
    if (!v) return NULL;
    char *copy = acar__alloc(r->doc, n);
    if (!copy) { fail_doc(r, r->at); return NULL; }
    if (n >= 8) {
        memcpy(copy, &a, 8);
        memcpy(copy + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a4 = (uint32_t)a, b4 = (uint32_t)b;
        memcpy(copy, &a4, 4);
        memcpy(copy + n - 4, &b4, 4);
    } else {
        copy[0] = (char)s[0];
        copy[n / 2] = (char)s[n / 2];
        copy[n - 1] = (char)s[n - 1];
    }
    v->u.s = copy;
    return v;
}

static acar_val *new_latin1(reader *r, const uint8_t *s, size_t n) {
    /* Eight bytes at a time: the byte loop was a third of reading
     * apache_builds.json's marshal. */
    uint64_t any = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        any |= w;
    }
    for (; i < n; i++) any |= s[i];
    if (!(any & 0x8080808080808080ull)) return new_text(r, ACAR_STR, s, n, ACAR_F_ASCII);
    size_t high = 0;
    for (i = 0; i < n; i++) high += s[i] >> 7;
    size_t m = n + high;
    char *out = acar__alloc(r->doc, m);
    if (!out) { fail_doc(r, r->at); return NULL; }
    size_t k = 0;
    for (i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c < 0x80) {
            out[k++] = (char)c;
        } else {
            out[k++] = (char)(0xc0 | (c >> 6));
            out[k++] = (char)(0x80 | (c & 0x3f));
        }
    }
    acar_val *v = new_node(r, ACAR_TAG(ACAR_STR, 0, m));
    if (v) v->u.s = out;
    return v;
}

/* ====================================================================
 * Numbers
 * ================================================================== */

/* TYPE_FLOAT text: uint8 n, then n bytes that PyOS_string_to_double must
 * take whole (up to a NUL, as CPython copies them into a C string). */
static int read_float_text(reader *r, double *out) {
    if (remaining(r) < 1) return truncated(r);
    size_t n = r->data[r->pos++];
    if (remaining(r) < n) return truncated(r);
    const uint8_t *s = r->data + r->pos;
    r->pos += n;
    const uint8_t *nul = memchr(s, 0, n);
    size_t m = nul ? (size_t)(nul - s) : n;
    if (acar_num_parse_double((const char *)s, m, ACAR_NUM_ALLOW_SPECIAL | ACAR_NUM_ALLOW_LEADING_DOT,
                              out) < 0)
        return FAIL(r, ACAR_ERR_MALFORMED, "could not convert string to float: '%.*s'",
                    (int)(m > 40 ? 40 : m), (const char *)s);
    return 0;
}

static double get_double(const uint8_t *p) {
    uint64_t bits = get_u64(p);
    double d;
    memcpy(&d, &bits, 8);
    return d;
}

/* TYPE_LONG: int32 n (its sign is the value's), |n| digits of 15 bits. */
static acar_val *read_long(reader *r) {
    if (remaining(r) < 4) { truncated(r); return NULL; }
    int32_t n = get_i32(r->data + r->pos);
    r->pos += 4;
    if (n == 0) {
        acar_val *v = new_int(r, 0);
        if (v) mark(v, ACAR_F_MLONG);
        return v;
    }
    if (n < -(int32_t)SIZE32_MAX) {
        FAIL(r, ACAR_ERR_MALFORMED, "bad marshal data (long size out of range)");
        return NULL;
    }
    bool neg = n < 0;
    size_t nd = neg ? (size_t)-(int64_t)n : (size_t)n;
    if (remaining(r) / 2 < nd) { truncated(r); return NULL; }
    const uint8_t *p = r->data + r->pos;
    r->pos += 2 * nd;
    if (p[2 * nd - 1] == 0 && p[2 * nd - 2] == 0) {
        FAIL(r, ACAR_ERR_MALFORMED, "bad marshal data (unnormalized long data)");
        return NULL;
    }
    for (size_t i = 0; i < nd; i++)
        if (p[2 * i + 1] & 0x80) {
            FAIL(r, ACAR_ERR_MALFORMED, "bad marshal data (digit out of range in long)");
            return NULL;
        }
    if (nd <= 4) {
        /* At most 60 bits: an int64 node. */
        uint64_t m = 0;
        for (size_t i = nd; i-- > 0;) m = m << 15 | (uint64_t)(p[2 * i] | p[2 * i + 1] << 8);
        acar_val *v = new_int(r, neg ? -(int64_t)m : (int64_t)m);
        if (v) mark(v, ACAR_F_MLONG);
        return v;
    }
    size_t nl = (nd * 15 + 31) / 32;
    if (nl > ACAR_MAX_LEN) {
        FAIL(r, ACAR_ERR_LIMIT, "int too large");
        return NULL;
    }
    uint32_t *limbs = acar__alloc(r->doc, nl * sizeof *limbs);
    if (!limbs) { fail_doc(r, r->at); return NULL; }
    memset(limbs, 0, nl * sizeof *limbs);
    size_t bit = 0;
    for (size_t i = 0; i < nd; i++, bit += 15) {
        uint64_t d = (uint64_t)(p[2 * i] | p[2 * i + 1] << 8) << (bit & 31);
        limbs[bit >> 5] |= (uint32_t)d;
        if (d >> 32) limbs[(bit >> 5) + 1] |= (uint32_t)(d >> 32);
    }
    while (nl && limbs[nl - 1] == 0) nl--;
    /* Values that fit int64 are inline nodes, whatever their encoding. */
    if (nl <= 2) {
        uint64_t m = limbs[0] | (nl == 2 ? (uint64_t)limbs[1] << 32 : 0);
        if (m <= (uint64_t)INT64_MAX || (neg && m == (uint64_t)INT64_MAX + 1)) {
            acar_val *v = new_int(r, neg ? (int64_t)(0 - m) : (int64_t)m);
            if (v) mark(v, ACAR_F_MLONG);
            return v;
        }
    }
    acar_val *v = new_node(r, ACAR_TAG(ACAR_INT, ACAR_F_BIG | (neg ? ACAR_F_NEG : 0), nl));
    if (v) v->u.p = limbs;
    return v;
}

/* ====================================================================
 * References
 * ================================================================== */

static int ref_push(reader *r, acar_val *v) {
    if (r->nrefs >= REFS_MAX)
        return FAIL(r, ACAR_ERR_LIMIT, "bad marshal data (index list too large)");
    if (r->nrefs == r->rcap &&
        grow(r, (void **)&r->refs, &r->rcap, sizeof *r->refs, r->refs0) < 0)
        return -1;
    r->refs[r->nrefs++] = v;
    return 0;
}

/* Registers v when its code had FLAG_REF, and marks it. */
static inline int ref_add(reader *r, acar_val *v, unsigned flag) {
    if (!flag) return 0;
    mark(v, ACAR_F_MREF);
    return ref_push(r, v);
}

/* ====================================================================
 * Containers
 * ================================================================== */

/* Every container, empty or not, is one level of nesting. */
static inline int check_depth(reader *r) {
    if (r->nframes >= r->max_depth)
        return FAIL(r, ACAR_ERR_LIMIT, "nesting deeper than %zu (max_depth)", r->max_depth);
    return 0;
}

static inline int open_frame(reader *r, acar_val *node, uint8_t type, size_t left, uint32_t ref) {
    if (check_depth(r) < 0) return -1;
    if (r->nframes == r->fcap &&
        grow(r, (void **)&r->frames, &r->fcap, sizeof *r->frames, r->frames0) < 0)
        return -1;
    frame *f = &r->frames[r->nframes++];
    f->node = node;
    f->at = r->at;
    f->left = left;
    f->base = r->nvals;
    f->filled = 0;
    f->key = NULL;
    f->ref = ref;
    f->type = type;
    return 0;
}

/* Count of a container: int32 (or uint8 for SMALL_TUPLE).  Every item
 * takes at least one byte, and the items that the open containers still
 * expect lie after this point, each in bytes of its own: so n may not exceed
 * the bytes left less those claims.  This bounds the item arrays allocated
 * for open containers, together, by the input left. */
static inline int read_count(reader *r, bool one_byte, const char *what, size_t *out) {
    size_t n;
    if (one_byte) {
        if (remaining(r) < 1) return truncated(r);
        n = r->data[r->pos++];
    } else {
        if (remaining(r) < 4) return truncated(r);
        int32_t c = get_i32(r->data + r->pos);
        r->pos += 4;
        if (c < 0) return FAIL(r, ACAR_ERR_MALFORMED, "bad marshal data (%s size out of range)", what);
        n = (size_t)c;
    }
    if (r->pending > remaining(r) || n > remaining(r) - r->pending)
        return FAIL(r, ACAR_ERR_TRUNCATED, "marshal data too short for %zu more items (%zu bytes left)",
                    n + r->pending, remaining(r));
    if (n > r->max_items)
        return FAIL(r, ACAR_ERR_LIMIT, "container of %zu items exceeds max_items", n);
    *out = n;
    return 0;
}

/* The public builders clear ACAR_F_SOLE on what they store (an API
 * caller may store a node twice); the reader stores each node once. */
static inline unsigned sole_of(const acar_val *v) { return ACAR_FLAGS(v) & ACAR_F_SOLE; }

/* A list or tuple of n items (n > 0): its item array (exactly n, the node
 * is ACAR_F_EXACT) is made now, the items go straight in. */
static int open_seq(reader *r, acar_val *v, uint8_t type, size_t n) {
    acar_val **items = acar__alloc(r->doc, n * sizeof *items);
    if (!items) return fail_doc(r, r->at);
    v->u.items = items;
    if (open_frame(r, v, type, n, NO_REF) < 0) return -1;
    r->pending += n;
    return 0;
}

/* Completes a list or tuple: its length becomes the items in place. */
static void finish_seq(frame *f) {
    acar__set_len(f->node, f->filled);
}

/* A dict is made when it ends, from the pairs waiting on the value stack:
 * until then its node (which a REF inside it may already name) holds this
 * empty item array, never written. */
static acar_val *const no_items[1];

/* Fills a dict whose keys are all str from the pairs on the value stack,
 * in one pass through acar__str_dict_fill (measured on twitter.json: keys
 * through acar_dict_set took 30% of the read, hashing each key three times
 * over the index rebuilds).  Returns 1 when done, 0 when the keys are not
 * all str, -1 on error. */
static int dict_fill_str(reader *r, frame *f, acar_val *const *kv, size_t npairs) {
    acar_val *dict = f->node;
    for (size_t i = 0; i < npairs; i++)
        if (ACAR_TYPE(kv[2 * i]) != ACAR_STR) return 0;
    if (npairs > r->max_items || npairs >= 0xfffffffeu)
        return fail_at(r, ACAR_ERR_LIMIT, f->at, "container of %zu items exceeds max_items", npairs);
    /* exactly 2 npairs pointers */
    mark(dict, ACAR_F_EXACT);
    /* no shared key tables (split dicts): marshal's writer, whose speed
     * is measured on what this reader makes, writes a dict of pairs in
     * one run of its items, and a split one at 7-9% more instructions */
    if (acar__str_dict_fill(r->doc, &r->hcache, NULL, dict, 2 * npairs, kv, npairs) == SIZE_MAX)
        return fail_doc(r, f->at);
    return 1;
}

/* Completes a dict from the pairs on the value stack. */
static int make_dict(reader *r, frame *f) {
    acar_val *const *kv = r->vals + f->base;
    size_t npairs = (r->nvals - f->base) / 2;
    int rc = dict_fill_str(r, f, kv, npairs);
    if (rc == 0) {
        /* Other keys: through acar_dict_set, from an empty map. */
        mark(f->node, ACAR_F_EXACT); /* no items yet */
        for (size_t i = 0; i < npairs; i++) {
            /* acar_dict_set clears ACAR_F_SOLE: the reader stores each node once. */
            unsigned ks = sole_of(kv[2 * i]), vs = sole_of(kv[2 * i + 1]);
            if (acar_dict_set(r->doc, f->node, kv[2 * i], kv[2 * i + 1]) < 0) return fail_doc(r, f->at);
            mark(kv[2 * i], ks);
            mark(kv[2 * i + 1], vs);
        }
    }
    if (rc < 0) return -1;
    r->nvals = f->base;
    return 0;
}

static const char *frame_what(uint8_t type) {
    switch (type) {
    case ACAR_MT_LIST: return "list";
    case ACAR_MT_TUPLE: case ACAR_MT_SMALL_TUPLE: return "tuple";
    case ACAR_MT_SET: case ACAR_MT_FROZENSET: return "set";
    case ACAR_MT_CODE: return "code object";
    default: return "dict";
    }
}

/* Hands a finished value to the innermost open set, tuple or code object
 * (read_value fills lists and dicts itself).  Returns 1 when that container
 * is complete, 0 when it wants more, -1 on error. */
static int deliver(reader *r, frame *f, acar_val *v, size_t at) {
    switch (f->type) {
    case ACAR_MT_SET: case ACAR_MT_FROZENSET: {
        unsigned vs = sole_of(v);
        if (acar_set_add(r->doc, f->node, v) < 0) return fail_doc(r, at);
        mark(v, vs);
        break;
    }
    case ACAR_MT_LIST:
        f->node->u.items[f->filled++] = v;
        break;
    case ACAR_MT_CODE: {
        acar_code_body *b = f->node->u.p;
        b->f[f->filled++] = v;
        return f->filled == r->nlayout;
    }
    default: /* tuples */
        f->node->u.items[f->filled++] = v;
        if (acar__unhashable(v)) mark(f->node, ACAR_F_UNHASHABLE);
        break;
    }
    return --f->left == 0;
}

/* Completes the innermost container and pops it; returns its node. */
static inline acar_val *finish(reader *r) {
    frame *f = &r->frames[r->nframes - 1];
    acar_val *v = f->node;
    if (f->type == ACAR_MT_DICT) {
        if (make_dict(r, f) < 0) return NULL;
    } else if (f->type == ACAR_MT_CODE) {
        char msg[ACAR_ERR_MSG_MAX - 20];
        if (acar__code_check(v->u.p, msg, sizeof msg) < 0) {
            fail_at(r, ACAR_ERR_MALFORMED, f->at, "bad marshal data (%s)", msg);
            return NULL;
        }
    } else if (f->type != ACAR_MT_SET && f->type != ACAR_MT_FROZENSET) {
        finish_seq(f);
    }
    if (f->ref != NO_REF) r->refs[f->ref] = v;
    r->nframes--;
    return v;
}

/* ====================================================================
 * Code objects: a frame whose items are the fields of r->layout; the raw
 * int32 fields are read when the frame is on top (code_ints), the others
 * arrive as values.  As in CPython its reference slot is reserved first
 * and filled when it is complete (a REF inside it to it is an error).
 * ================================================================== */

static int open_code(reader *r, unsigned flag) {
    if (!r->layout) {
        char ver[16];
        return FAIL(r, ACAR_ERR_UNSUPPORTED, "code objects of %s are not supported",
                    acar__pyver_str(r->pyver, ver));
    }
    if (check_depth(r) < 0) return -1;
    if (r->pending > remaining(r) || r->nobjfields > remaining(r) - r->pending)
        return truncated(r);
    acar_code_body *b = acar__alloc(r->doc, sizeof *b + r->nlayout * sizeof(acar_val *));
    if (!b) return fail_doc(r, r->at);
    b->pyver = (uint16_t)r->pyver;
    b->nfields = (uint16_t)r->nlayout;
    b->pyc = NULL;
    acar_val *v = new_node(r, ACAR_TAG(ACAR_CODE, 0, r->nlayout));
    if (!v) return -1;
    v->u.p = b;
    uint32_t ref = NO_REF;
    if (flag) {
        mark(v, ACAR_F_MREF);
        ref = (uint32_t)r->nrefs;
        if (ref_push(r, NULL) < 0) return -1;
    }
    if (open_frame(r, v, ACAR_MT_CODE, r->nobjfields, ref) < 0) return -1;
    r->pending += r->nobjfields;
    return 0;
}

/* Reads the raw int32 fields that come next in the code object of f. */
static int code_ints(reader *r, frame *f) {
    acar_code_body *b = f->node->u.p;
    while (f->filled < r->nlayout && acar__code_int_field(r->layout[f->filled])) {
        r->at = r->pos;
        if (remaining(r) < 4) return truncated(r);
        acar_val *v = new_int(r, get_i32(r->data + r->pos));
        if (!v) return -1;
        r->pos += 4;
        b->f[f->filled++] = v;
    }
    return 0;
}

/* ====================================================================
 * The loop
 * ================================================================== */

/* Reads a string body: int32 (or uint8) length and the bytes. */
static const uint8_t *read_sized(reader *r, bool one_byte, const char *what, size_t *n) {
    if (one_byte) {
        if (remaining(r) < 1) { truncated(r); return NULL; }
        *n = r->data[r->pos++];
    } else {
        if (remaining(r) < 4) { truncated(r); return NULL; }
        int32_t c = get_i32(r->data + r->pos);
        r->pos += 4;
        if (c < 0) {
            FAIL(r, ACAR_ERR_MALFORMED, "bad marshal data (%s size out of range)", what);
            return NULL;
        }
        *n = (size_t)c;
    }
    if (remaining(r) < *n) { truncated(r); return NULL; }
    const uint8_t *p = r->data + r->pos;
    r->pos += *n;
    return p;
}

/* A NULL code: ends a dict, else is an error in its place. */
static int read_null(reader *r, acar_val **out) {
    frame *f = r->nframes ? &r->frames[r->nframes - 1] : NULL;
    if (!f || f->type != ACAR_MT_DICT)
        return FAIL(r, ACAR_ERR_MALFORMED, "NULL object in marshal data for %s",
                    f ? frame_what(f->type) : "object");
    /* As a key it ends the dict; as a value too, and the key is dropped
     * (CPython stops reading the dict without an error). */
    *out = finish(r);
    return *out ? 0 : -1;
}

/* Where a dict wants its next key: a str key named by REF, the commonest
 * value of JSON-like data, taken without the general dispatch (7% of the
 * instructions reading citm_catalog).  Anything else (another code, a bad
 * index, a key that is no str, Python 2 data, where 'r' is no code) is
 * left to the general path. */
static inline void ref_key(reader *r, frame *f) {
    if (r->py2 || r->len - r->pos < 5 || r->data[r->pos] != ACAR_MT_REF) return;
    int32_t i = get_i32(r->data + r->pos + 1);
    acar_val *k;
    if (i >= 0 && (size_t)i < r->nrefs && (k = r->refs[i]) && ACAR_TYPE(k) == ACAR_STR) {
        r->pos += 5;
        acar__stored(k);
        f->key = k;
    }
}

/* The innermost open container (f, NULL at the top level) and its type
 * code (ft, 0 at the top level), kept in locals: re-read from the frame
 * stack on every value they cost a tenth of reading citm_catalog. */
#define TOP() (f = r->nframes ? &r->frames[r->nframes - 1] : NULL, ft = f ? f->type : 0)

static acar_val *read_value(reader *r) {
    acar_doc *doc = r->doc;
    frame *f = NULL;
    unsigned ft = 0;
    for (;;) {
        size_t n;
        const uint8_t *p;
        acar_val *v = NULL;
        if (ft == ACAR_MT_CODE && code_ints(r, f) < 0) return NULL;
        r->at = r->pos;
        if (r->pos >= r->len) {
            FAIL(r, ACAR_ERR_TRUNCATED, "EOF read where object expected");
            return NULL;
        }
        unsigned code = r->data[r->pos++];
        if (ft && ft != ACAR_MT_DICT) r->pending--;
        unsigned flag = code & ACAR_MARSHAL_FLAG_REF;
        unsigned type = code & 0x7fu;
        if (flag && r->py2) type = 0x80; /* Python 2 knows no FLAG_REF */

        switch (type) {
        case ACAR_MT_NULL:
            if (read_null(r, &v) < 0) return NULL;
            r->at = r->frames[r->nframes].at; /* the dict just ended */
            TOP();
            break;
        case ACAR_MT_NONE: v = &doc->none; break;
        case ACAR_MT_TRUE: v = &doc->true_; break;
        case ACAR_MT_FALSE: v = &doc->false_; break;
        case ACAR_MT_ELLIPSIS: v = &doc->ellipsis; break;
        case ACAR_MT_STOPITER: v = &doc->stopiter; break;

        case ACAR_MT_INT:
            if (remaining(r) < 4) { truncated(r); return NULL; }
            v = new_int(r, get_i32(r->data + r->pos));
            r->pos += 4;
            if (!v || ref_add(r, v, flag) < 0) return NULL;
            break;
        case ACAR_MT_INT64:
            if (remaining(r) < 8) { truncated(r); return NULL; }
            v = new_int(r, (int64_t)get_u64(r->data + r->pos));
            r->pos += 8;
            if (!v || ref_add(r, v, flag) < 0) return NULL;
            break;
        case ACAR_MT_LONG:
            v = read_long(r);
            if (!v || ref_add(r, v, flag) < 0) return NULL;
            break;

        case ACAR_MT_BINARY_FLOAT:
            if (remaining(r) < 8) { truncated(r); return NULL; }
            v = new_float(r, get_double(r->data + r->pos));
            r->pos += 8;
            if (!v || ref_add(r, v, flag) < 0) return NULL;
            break;
        case ACAR_MT_FLOAT: {
            double d;
            if (read_float_text(r, &d) < 0) return NULL;
            v = new_float(r, d);
            if (!v || ref_add(r, v, flag) < 0) return NULL;
            break;
        }
        case ACAR_MT_BINARY_COMPLEX:
            if (remaining(r) < 16) { truncated(r); return NULL; }
            v = new_complex(r, get_double(r->data + r->pos), get_double(r->data + r->pos + 8));
            r->pos += 16;
            if (!v || ref_add(r, v, flag) < 0) return NULL;
            break;
        case ACAR_MT_COMPLEX: {
            double re, im;
            if (read_float_text(r, &re) < 0 || read_float_text(r, &im) < 0) return NULL;
            v = new_complex(r, re, im);
            if (!v || ref_add(r, v, flag) < 0) return NULL;
            break;
        }

        case ACAR_MT_STRING:
            if (!(p = read_sized(r, false, "bytes object", &n))) return NULL;
            v = new_text(r, ACAR_BYTES, p, n, 0);
            if (!v || ref_add(r, v, flag) < 0) return NULL;
            break;
        case ACAR_MT_INTERNED:
            if (r->py2) {
                if (!(p = read_sized(r, false, "string", &n))) return NULL;
                v = new_text(r, ACAR_BYTES, p, n, ACAR_F_MINTERN);
                if (!v) return NULL;
                if (r->nstrs == r->scap &&
                    grow(r, (void **)&r->strs, &r->scap, sizeof *r->strs, NULL) < 0)
                    return NULL;
                r->strs[r->nstrs++] = v;
                break;
            }
            /* fall through */
        case ACAR_MT_UNICODE:
            if (!(p = read_sized(r, false, "string", &n))) return NULL;
            v = new_utf8(r, p, n);
            if (!v) return NULL;
            if (type == ACAR_MT_INTERNED) mark(v, ACAR_F_MINTERN);
            if (ref_add(r, v, flag) < 0) return NULL;
            break;
        case ACAR_MT_SHORT_ASCII: case ACAR_MT_SHORT_ASCII_INTERNED:
            /* The commonest code of JSON-like data: inline. */
            if (r->py2) goto unknown;
            if (r->pos >= r->len) { truncated(r); return NULL; }
            n = r->data[r->pos];
            if (r->len - r->pos - 1 < n) { r->pos++; truncated(r); return NULL; }
            p = r->data + r->pos + 1;
            r->pos += 1 + n;
            v = n - 1 < 16 && !r->borrow ? new_latin1_short(r, p, n) : new_latin1(r, p, n);
            if (!v) return NULL;
            if (type == ACAR_MT_SHORT_ASCII_INTERNED) mark(v, ACAR_F_MINTERN);
            if (ref_add(r, v, flag) < 0) return NULL;
            break;
        case ACAR_MT_ASCII: case ACAR_MT_ASCII_INTERNED:
            if (r->py2) goto unknown;
            p = read_sized(r, false, "string", &n);
            if (!p || !(v = new_latin1(r, p, n))) return NULL;
            if (type == ACAR_MT_ASCII_INTERNED || type == ACAR_MT_SHORT_ASCII_INTERNED)
                mark(v, ACAR_F_MINTERN);
            if (ref_add(r, v, flag) < 0) return NULL;
            break;

        case ACAR_MT_SMALL_TUPLE:
            if (r->py2) goto unknown;
            /* fall through */
        case ACAR_MT_TUPLE: case ACAR_MT_LIST: {
            const char *what = type == ACAR_MT_LIST ? "list" : "tuple";
            if (check_depth(r) < 0 || read_count(r, type == ACAR_MT_SMALL_TUPLE, what, &n) < 0)
                return NULL;
            v = new_node(r, ACAR_TAG(type == ACAR_MT_LIST ? ACAR_LIST : ACAR_TUPLE, ACAR_F_EXACT, 0));
            if (!v || ref_add(r, v, flag) < 0) return NULL;
            if (n == 0) {
                v->u.items = (acar_val **)no_items; /* no room: an append allocates */
                break;
            }
            if (open_seq(r, v, (uint8_t)type, n) < 0) return NULL;
            TOP();
            continue;
        }
        case ACAR_MT_DICT:
            if (check_depth(r) < 0) return NULL;
            v = new_node(r, ACAR_TAG(ACAR_DICT, 0, 0));
            if (!v) return NULL;
            v->u.items = (acar_val **)no_items;
            if (ref_add(r, v, flag) < 0 || open_frame(r, v, (uint8_t)type, 0, NO_REF) < 0)
                return NULL;
            TOP();
            ref_key(r, f);
            continue;
        case ACAR_MT_SET: case ACAR_MT_FROZENSET: {
            if (check_depth(r) < 0 || read_count(r, false, "set", &n) < 0) return NULL;
            bool frozen = type == ACAR_MT_FROZENSET;
            v = acar__map(doc, frozen ? ACAR_FROZENSET : ACAR_SET);
            if (!v) { fail_doc(r, r->at); return NULL; }
            mark(v, ACAR_F_MORDER | ACAR_F_SOLE);
            uint32_t ref = NO_REF;
            if (frozen && n && flag) {
                /* Registered once complete: a REF inside it is an error. */
                mark(v, ACAR_F_MREF);
                ref = (uint32_t)r->nrefs;
                if (ref_push(r, NULL) < 0) return NULL;
            } else if (ref_add(r, v, flag) < 0) {
                return NULL;
            }
            if (n == 0) break;
            if (open_frame(r, v, (uint8_t)type, n, ref) < 0) return NULL;
            r->pending += n;
            TOP();
            continue;
        }

        case ACAR_MT_REF: {
            if (r->py2) goto unknown;
            if (remaining(r) < 4) { truncated(r); return NULL; }
            int32_t i = get_i32(r->data + r->pos);
            r->pos += 4;
            if (i < 0 || (size_t)i >= r->nrefs || !r->refs[i]) {
                FAIL(r, ACAR_ERR_MALFORMED, "bad marshal data (invalid reference)");
                return NULL;
            }
            v = r->refs[i];
            acar__stored(v);
            break;
        }
        case ACAR_MT_STRINGREF: {
            if (!r->py2) goto unknown;
            if (remaining(r) < 4) { truncated(r); return NULL; }
            int32_t i = get_i32(r->data + r->pos);
            r->pos += 4;
            if (i < 0 || (size_t)i >= r->nstrs) {
                FAIL(r, ACAR_ERR_MALFORMED, "bad marshal data (string ref out of range)");
                return NULL;
            }
            v = r->strs[i];
            acar__stored(v);
            break;
        }

        case ACAR_MT_CODE:
            if (open_code(r, flag) < 0) return NULL;
            TOP();
            continue;
        case ACAR_MT_SLICE:
            if (r->py2) goto unknown;
            FAIL(r, ACAR_ERR_UNSUPPORTED, "slice objects (marshal version 5) are not supported");
            return NULL;
        case ACAR_MT_FROZENDICT:
            if (r->py2) goto unknown;
            FAIL(r, ACAR_ERR_UNSUPPORTED, "frozendict objects (marshal version 6) are not supported");
            return NULL;
        default:
        unknown:
            FAIL(r, ACAR_ERR_MALFORMED, "bad marshal data (unknown type code 0x%02x)", code);
            return NULL;
        }

        /* v is finished: hand it up through every container it completes
         * (lists, tuples and dicts inline, the rest through deliver). */
        size_t at = r->at;
        for (;;) {
            if (!f) return v;
            if (ft == ACAR_MT_LIST) {
                f->node->u.items[f->filled++] = v;
                if (--f->left) break;
            } else if (ft == ACAR_MT_DICT) {
                /* Pairs wait on the value stack until the dict ends
                 * (make_dict); a key that cannot be one fails here, where
                 * CPython fails. */
                if (!f->key) {
                    if (ACAR_TYPE(v) != ACAR_STR && !acar_hashable(v)) {
                        fail_at(r, ACAR_ERR_MALFORMED, at, "unhashable type: '%s'",
                                acar__unhashable_name(v));
                        return NULL;
                    }
                    f->key = v;
                    break;
                }
                if (r->nvals + 2 > r->vcap &&
                    grow(r, (void **)&r->vals, &r->vcap, sizeof *r->vals, r->vals0) < 0)
                    return NULL;
                r->vals[r->nvals++] = f->key;
                r->vals[r->nvals++] = v;
                f->key = NULL;
                ref_key(r, f);
                break;
            } else {
                int done = deliver(r, f, v, at);
                if (done < 0) return NULL;
                if (!done) break;
            }
            at = f->at;
            if (!(v = finish(r))) return NULL;
            TOP();
        }
    }
}

static acar_val *read_main(acar_doc *doc, const uint8_t *data, size_t len,
                           acar_read_opts *opts, acar_marshal_dialect dialect, unsigned pyver,
                           acar_err *err) {
    /* on the stack, as the pickle reader's: from the allocator, it was 40%
     * of reading marshal.dumps(7) */
    reader rd;
    reader *r = &rd;
    r->doc = doc;
    r->data = data;
    r->len = len;
    r->pos = 0;
    r->err = err;
    r->borrow = (opts->flags & ACAR_READ_BORROW) != 0;
    r->py2 = dialect == ACAR_MARSHAL_PY2;
    r->pyver = pyver;
    r->nlayout = acar_code_layout(pyver, &r->layout);
    r->nobjfields = 0;
    for (size_t i = 0; i < r->nlayout; i++)
        r->nobjfields += !acar__code_int_field(r->layout[i]);
    r->max_depth = doc->limits.max_depth;
    r->max_items = doc->limits.max_items;
    r->at = 0;
    r->frames = r->frames0;
    r->fcap = FRAMES0;
    r->nframes = 0;
    r->vals = r->vals0;
    r->vcap = VALS0;
    r->nvals = 0;
    r->pending = 0;
    r->pool = r->pool_end = NULL;
    r->refs = r->refs0;
    r->rcap = REFS0;
    r->nrefs = 0;
    r->strs = NULL;
    r->scap = r->nstrs = 0;
    r->scratch = 0;
    r->hcache.ready = false;

    acar_val *v = read_value(r);
    if (v && r->pos != len && (opts->flags & ACAR_READ_NO_TRAILING)) {
        /* marshal.loads ignores them; NO_TRAILING does not */
        acar__err_set(err, ACAR_ERR_MALFORMED, r->pos, "%zu bytes after the marshal value",
                      len - r->pos);
        v = NULL;
    }
    if (v) opts->consumed = r->pos;

    scratch_free(r, r->frames, r->fcap * sizeof *r->frames, r->frames0);
    scratch_free(r, r->vals, r->vcap * sizeof *r->vals, r->vals0);
    scratch_free(r, r->refs, r->rcap * sizeof *r->refs, r->refs0);
    scratch_free(r, r->strs, r->scap * sizeof *r->strs, NULL);
    return v;
}

acar_val *acar__marshal_read_ex(acar_doc *doc, const uint8_t *data, size_t len,
                                acar_read_opts *opts, acar_marshal_dialect dialect,
                                acar_err *err) {
    return read_main(doc, data, len, opts, dialect,
                     dialect == ACAR_MARSHAL_PY2 ? ACAR_PYVER(2, 7) : ACAR_PYVER(3, 11), err);
}

acar_val *acar__marshal_read_py(acar_doc *doc, const uint8_t *data, size_t len,
                                acar_read_opts *opts, unsigned pyver, acar_err *err) {
    return read_main(doc, data, len, opts,
                     pyver < ACAR_PYVER(3, 0) ? ACAR_MARSHAL_PY2 : ACAR_MARSHAL_PY3, pyver, err);
}

acar_val *acar__marshal_read(acar_doc *doc, const uint8_t *data, size_t len,
                             acar_read_opts *opts, acar_err *err) {
    return read_main(doc, data, len, opts, ACAR_MARSHAL_PY3, ACAR_PYVER(3, 11), err);
}
