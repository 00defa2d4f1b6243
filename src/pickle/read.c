/*
 * read.c -- the pickle reader (protocols 0-5).
 *
 * A pickle is a program for a stack machine: one opcode byte, then an
 * argument of a fixed shape (opcodes.h), repeated until STOP, which returns
 * the top of the stack.  MARK pushes a fence on a separate mark stack;
 * opcodes that take "everything since the mark" (TUPLE, LIST, DICT,
 * APPENDS, SETITEMS, ADDITEMS, FROZENSET, OBJ, INST, POP_MARK) pop it.  The
 * memo maps integers to values (PUT/GET and friends); identity is kept:
 * GET pushes the very node PUT stored.  FRAME (protocol 4) only announces
 * how many bytes follow; as in CPython's C unpickler it is checked against
 * what remains and otherwise ignored.  Bytes after STOP are not read, as
 * pickle.loads ignores them (ACAR_READ_NO_TRAILING refuses them);
 * opts->consumed says where STOP ended.
 *
 * What is accepted and rejected is what CPython 3.11's _pickle.c accepts
 * and rejects, down to its quirks (INT goes through strtol with base 0, so
 * "I010\n" is 8; "I01\n" is True); classes and functions are never resolved:
 * GLOBAL makes an inert global node and REDUCE/NEWOBJ/... inert object
 * nodes, except the few globals CPython itself uses for builtin types
 * (set, frozenset, bytes, bytearray, complex before the protocols that have
 * opcodes for them), builtins.Ellipsis and naive datetime.datetime, which
 * become the native nodes.
 *
 * Safety: the value stack, mark stack and memo are explicit arrays grown as
 * values arrive; no length or index read from the input is used to size an
 * allocation before the bytes it promises are known to be there (a memo
 * index far beyond the entries seen goes to a small hash table instead of
 * a huge array).  Nesting as built is counted per stack slot and refused
 * past max_depth.  Errors carry the offset of the opcode that failed.
 *
 * Speed: one switch on the opcode byte; nodes come from the document's
 * arena through an inlined bump allocation, a str or bytes node and its
 * bytes in one block, a list, tuple or dict and its first item array in
 * one block; the commonest opcodes (SHORT_BINUNICODE, memo puts and gets)
 * take inline paths; dicts of str keys are filled in one go (see
 * dict_fill_str).  Each trick carries its measurement where it is.
 */
#include "core/internal.h"
#include "num/num.h"
#include "pickle/compat.h"
#include "pickle/opcodes.h"
#include "safety/scan.h"

#include <math.h>

#if defined(__GNUC__)
#define HOT_INLINE static inline __attribute__((always_inline))
#define NOINLINE __attribute__((noinline))
#else
#define HOT_INLINE static inline
#define NOINLINE
#endif

/* Initial room for the value stack, marks and memo, kept inside the reader
 * so that small pickles cost no scratch allocation at all. */
#define STACK0 64
/* The cache of numbers (shared_number): at most this many entries per
 * type, and the progress reports a pause in probing it lasts */
#define NUMS_BITS 9
#define NUMS ((size_t)1 << NUMS_BITS)
#define NUMS_PAUSE 8u
#define MARKS0 16
#define MEMO0 64

/* A memo index at least this far beyond twice the entries seen goes to the
 * sparse table rather than growing the dense array. */
#define MEMO_SLACK 1024

typedef struct sparse {
    uint64_t *keys;       /* key + 1; 0 is an empty slot */
    acar_val **vals;
    size_t cap, count;    /* cap: power of two or 0 */
} sparse;

typedef struct reader {
    acar_doc *doc;
    const uint8_t *data;
    size_t len;
    acar_read_opts *opts;
    acar_err *err;
    uint32_t flags;
    int proto;
    size_t max_depth, max_memo;

    /* value stack: node and nesting depth per slot */
    acar_val **stk;
    uint32_t *dep;
    size_t sp, scap;
    size_t stk_cap, dep_cap; /* allocated room of each (scap is the smaller) */

    /* mark stack; fence is the top mark (0 without marks) */
    size_t *marks;
    size_t nmarks, mcap, fence;

    /* memo: a dense array plus a sparse table for far indices.  A node
     * taken from the memo counts as depth 1 (containers) or 0: depths
     * stored there would be stale anyway, as CPython memoizes lists and
     * dicts while they are still empty. */
    acar_val **memo;
    size_t mcap_memo;
    size_t memo_count;    /* entries (CPython's memo_len: MEMOIZE's index) */
    size_t memo_fast;     /* indices below this take the inline path */
    sparse far;

    sparse ext;           /* EXT code -> global, as CPython caches them */
    size_t next_buffer;   /* NEXT_BUFFER count */
    acar_val *empty_tuple;
    acar_val *batched;    /* the list the last APPENDS gave a full batch */
    const acar_pickle_hooks *hooks; /* the scanner's hook, NULL otherwise (see emit) */

    uint64_t small_made[4]; /* a bit per entry of small[]: made */
    bool nums_ready;      /* nums[] set up (nums_review) */
    bool nums_on;         /* numbers are looked up in nums[] */
    unsigned nums_shift;  /* 64 - log2 of the entries of nums[] in use */
    uint32_t nums_probes, nums_hits; /* since nums_review last decided */
    uint32_t nums_pause;  /* progress reports before probing again */

    uint8_t *tmp;         /* scratch for decoded text */
    size_t tmp_cap;
    size_t scratch;       /* scratch bytes held, counted against max_memory */

    /* Not cleared on entry: the caches below are set up on first use. */
    acar_val *small[256]; /* BININT1 nodes, where small_made says (clearing
                             them was a fifth of reading a 20-byte pickle) */
    /* the last int and float nodes made by shared_number, by their bits
     * (node NULL: none); set up at the read's first progress report */
    struct { uint64_t bits; acar_val *node; } nums[2][NUMS];
    acar_hash_cache hcache;   /* key hashes (core/internal.h) */
    acar_shapes shapes;       /* dict shapes met, for split dicts (core/internal.h) */
    acar_val *stk0[STACK0];
    uint32_t dep0[STACK0];
    size_t marks0[MARKS0];
    acar_val *memo0[MEMO0];
} reader;

/* ====================================================================
 * Errors.  Messages are set where the error is found; the offset (the
 * opcode that failed) is filled in once, by run().
 * ================================================================== */

static int fail(reader *r, acar_code code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    acar__err_vset(r->err, code, 0, fmt, ap);
    va_end(ap);
    return -1;
}

/* A builder of the document failed (memory, or a limit it checks). */
static int fail_doc(reader *r) {
    const acar_err *e = &r->doc->err;
    if (e->code == ACAR_OK) return fail(r, ACAR_ERR_NOMEM, "out of memory");
    return fail(r, e->code, "%s", e->msg);
}

static int truncated(reader *r) { return fail(r, ACAR_ERR_TRUNCATED, "pickle data was truncated"); }

static int underflow(reader *r) {
    return fail(r, ACAR_ERR_MALFORMED, r->nmarks ? "unexpected MARK found" : "unpickling stack underflow");
}

static int too_deep(reader *r) {
    return fail(r, ACAR_ERR_LIMIT, "nesting deeper than %zu (max_depth)", r->max_depth);
}

/* Python's type name of a node, for messages. */
static const char *tname(const acar_val *v) { return acar_type_name(ACAR_TYPE(v)); }

/* "a" or "an" before a type name. */
static const char *article(const acar_val *v) { return strchr("aeiou", tname(v)[0]) ? "an" : "a"; }

/* ====================================================================
 * Scratch memory (stacks, memo, text): acar__scratch, counted with the
 * document against max_memory.
 * ================================================================== */

static void *scratch_fail(reader *r, acar_code why) {
    if (why == ACAR_ERR_LIMIT)
        fail(r, ACAR_ERR_LIMIT, ACAR_MAX_MEMORY_MSG,
             r->doc->limits.max_memory);
    else
        fail(r, ACAR_ERR_NOMEM, "out of memory");
    return NULL;
}

static void *scratch_alloc(reader *r, size_t size) {
    acar_code why = ACAR_ERR_NOMEM;
    void *q = acar__scratch(r->doc, &r->scratch, NULL, NULL, 0, size, &why);
    return q ? q : scratch_fail(r, why);
}

static void scratch_free(reader *r, void *p, size_t size) {
    acar__scratch_free(r->doc, &r->scratch, p, NULL, size);
}

/* Resizes a block from old to size bytes; a block in the reader itself
 * (p == inl) is copied out.  NULL on failure, the block unchanged. */
static void *scratch_resize(reader *r, void *p, const void *inl, size_t old, size_t size) {
    acar_code why = ACAR_ERR_NOMEM;
    void *q = acar__scratch(r->doc, &r->scratch, p, inl, old, size, &why);
    return q ? q : scratch_fail(r, why);
}

/* Capacity for want entries of elem bytes: doubling from cap, or -1. */
static int next_cap(reader *r, size_t cap, size_t want, size_t elem, size_t *out) {
    size_t c = cap ? cap : 16;
    while (c < want) {
        if (c > SIZE_MAX / 4 / elem) return fail(r, ACAR_ERR_NOMEM, "out of memory");
        c *= 2;
    }
    if (c > SIZE_MAX / 2 / elem) return fail(r, ACAR_ERR_NOMEM, "out of memory");
    *out = c;
    return 0;
}

/* Room for n bytes of decoded text in r->tmp (contents not kept). */
static uint8_t *tmp_buf(reader *r, size_t n) {
    if (n <= r->tmp_cap) return r->tmp;
    size_t cap = 0;
    if (next_cap(r, r->tmp_cap, n, 1, &cap) < 0) return NULL;
    uint8_t *t = scratch_alloc(r, cap);
    if (!t) return NULL;
    scratch_free(r, r->tmp, r->tmp_cap);
    r->tmp = t;
    r->tmp_cap = cap;
    return t;
}

/* ====================================================================
 * The value stack and the mark stack
 * ================================================================== */

static int stack_grow(reader *r) {
    size_t cap = 0;
    if (next_cap(r, r->scap, r->scap + 1, sizeof(acar_val *), &cap) < 0) return -1;
    if (r->stk_cap < cap) {
        acar_val **s = scratch_resize(r, r->stk, r->stk0, r->stk_cap * sizeof *s, cap * sizeof *s);
        if (!s) return -1;
        r->stk = s;
        r->stk_cap = cap;
    }
    uint32_t *d = scratch_resize(r, r->dep, r->dep0, r->dep_cap * sizeof *d, cap * sizeof *d);
    if (!d) return -1;
    r->dep = d;
    r->dep_cap = cap;
    r->scap = cap;
    return 0;
}

static inline int push(reader *r, acar_val *v, uint32_t depth) {
    if (r->sp == r->scap && stack_grow(r) < 0) return -1;
    r->stk[r->sp] = v;
    r->dep[r->sp] = depth;
    r->sp++;
    return 0;
}

/* Pops the mark (CPython's marker()): the stack size when it was set. */
static inline int pop_mark(reader *r, size_t *mark) {
    *mark = 0;
    if (!r->nmarks) return fail(r, ACAR_ERR_MALFORMED, "could not find MARK");
    *mark = r->marks[--r->nmarks];
    r->fence = r->nmarks ? r->marks[r->nmarks - 1] : 0;
    return 0;
}

static int push_mark(reader *r) {
    if (r->nmarks >= r->max_depth) return too_deep(r);
    if (r->nmarks == r->mcap) {
        size_t cap = 0;
        if (next_cap(r, r->mcap, r->mcap + 1, sizeof(size_t), &cap) < 0) return -1;
        size_t *m = scratch_resize(r, r->marks, r->marks0, r->mcap * sizeof *m, cap * sizeof *m);
        if (!m) return -1;
        r->marks = m;
        r->mcap = cap;
    }
    r->marks[r->nmarks++] = r->fence = r->sp;
    return 0;
}

/* 1 + the deepest of n slots from i: the depth of a container of them. */
static inline uint32_t depth_of(const reader *r, size_t i, size_t n) {
    uint32_t d = 0;
    for (size_t k = i; k < i + n; k++)
        if (r->dep[k] > d) d = r->dep[k];
    return d + 1;
}

/* ====================================================================
 * Sparse tables (far memo indices, EXT codes): open addressing on u64,
 * keys and values in one block.
 * ================================================================== */

#define SPARSE_ELEM (sizeof(uint64_t) + sizeof(acar_val *))

static size_t sparse_slot(const sparse *t, uint64_t key) {
    uint64_t h = key * 0x9e3779b97f4a7c15ull;
    size_t mask = t->cap - 1;
    size_t s = (size_t)(h >> 17) & mask;
    while (t->keys[s] && t->keys[s] != key + 1) s = (s + 1) & mask;
    return s;
}

static acar_val *sparse_get(const sparse *t, uint64_t key) {
    if (!t->count) return NULL;
    size_t s = sparse_slot(t, key);
    return t->keys[s] ? t->vals[s] : NULL;
}

static void sparse_free(reader *r, sparse *t) {
    scratch_free(r, t->keys, t->cap * SPARSE_ELEM);
}

/* Sets key; *added tells whether it is new. */
static int sparse_put(reader *r, sparse *t, uint64_t key, acar_val *v, bool *added) {
    if ((t->count + 1) * 2 > t->cap) {
        sparse n = {0};
        if (next_cap(r, t->cap, t->cap * 2 + 1, SPARSE_ELEM, &n.cap) < 0) return -1;
        char *block = scratch_alloc(r, n.cap * SPARSE_ELEM);
        if (!block) return -1;
        n.keys = (uint64_t *)block;
        n.vals = (acar_val **)(block + n.cap * sizeof(uint64_t));
        memset(n.keys, 0, n.cap * sizeof *n.keys);
        for (size_t i = 0; i < t->cap; i++) {
            if (!t->keys[i]) continue;
            size_t s = sparse_slot(&n, t->keys[i] - 1);
            n.keys[s] = t->keys[i];
            n.vals[s] = t->vals[i];
        }
        n.count = t->count;
        sparse_free(r, t);
        *t = n;
    }
    size_t s = sparse_slot(t, key);
    *added = !t->keys[s];
    if (*added) t->count++;
    t->keys[s] = key + 1;
    t->vals[s] = v;
    return 0;
}

/* ====================================================================
 * The memo
 * ================================================================== */

/* Depth of a node met again through the memo (see reader.memo). */
static inline uint32_t memo_depth(const acar_val *v) {
    switch (ACAR_TYPE(v)) {
    case ACAR_LIST: case ACAR_TUPLE: case ACAR_DICT: case ACAR_SET: case ACAR_FROZENSET:
    case ACAR_OBJECT: case ACAR_PERSID:
        return 1;
    default:
        return 0;
    }
}

static void memo_fast_update(reader *r) {
    r->memo_fast = r->far.count || r->memo_count >= r->max_memo ? 0 : r->mcap_memo;
}

/* A node is memoized: sole until a memo reference reaches it, unless it was
 * memoized before (ACAR_F_SOLE and ACAR_F_PUT in core/internal.h). */
static inline void mark_put(acar_val *v) {
    if (!(ACAR_FLAGS(v) & ACAR_F_PUT)) v->tag |= (uint64_t)(ACAR_F_SOLE | ACAR_F_PUT) << 8;
}

static acar_val *memo_get(const reader *r, uint64_t idx) {
    if (idx < r->mcap_memo && r->memo[idx]) return r->memo[idx];
    return sparse_get(&r->far, idx);
}

static int memo_put(reader *r, uint64_t idx, acar_val *v) {
    bool added;
    if (idx >= r->mcap_memo && idx < 2 * (uint64_t)r->memo_count + MEMO_SLACK) {
        size_t cap = 0;
        if (next_cap(r, r->mcap_memo, (size_t)idx + 1, sizeof(acar_val *), &cap) < 0) return -1;
        /* memo0 is cleared 16, 32, 64 entries at a time as it fills (all
         * of it at the start was a tenth of reading a 20-byte pickle) */
        acar_val **m = r->memo;
        if (m != r->memo0 || cap > MEMO0) {
            m = scratch_resize(r, r->memo, r->memo0, r->mcap_memo * sizeof *m, cap * sizeof *m);
            if (!m) return -1;
        }
        memset(m + r->mcap_memo, 0, (cap - r->mcap_memo) * sizeof *m);
        r->memo = m;
        r->mcap_memo = cap;
    }
    mark_put(v);
    if (idx < r->mcap_memo) {
        added = !r->memo[idx];
        /* An index first put in the sparse table is still the same entry. */
        if (added && r->far.count && sparse_get(&r->far, idx)) added = false;
        r->memo[idx] = v;
    } else if (sparse_put(r, &r->far, idx, v, &added) < 0) {
        return -1;
    }
    if (added && ++r->memo_count > r->max_memo)
        return fail(r, ACAR_ERR_LIMIT, "more than %zu memo entries (max_memo)", r->max_memo);
    memo_fast_update(r);
    return 0;
}

/* A number shared by value (shared_number) that the pickle refers to again
 * (PUT, MEMOIZE, DUP): the top of the stack becomes a node of its own, so
 * that it is shared where the pickle says, and nowhere else. */
static NOINLINE int own_top(reader *r) {
    const acar_val *v = r->stk[r->sp - 1];
    acar_val *c = acar__node(r->doc, v->tag & ~((uint64_t)ACAR_F_BYVAL << 8));
    if (!c) return fail_doc(r);
    c->u = v->u;
    r->stk[r->sp - 1] = c;
    return 0;
}

/* PUT/BINPUT/LONG_BINPUT/MEMOIZE: the top of the stack. */
static int memo_put_top(reader *r, uint64_t idx) {
    if (r->sp <= r->fence) return underflow(r);
    if (acar__byval(r->stk[r->sp - 1]) && own_top(r) < 0) return -1;
    return memo_put(r, idx, r->stk[r->sp - 1]);
}

static int memo_push(reader *r, uint64_t idx, bool negative) {
    acar_val *v = negative ? NULL : memo_get(r, idx);
    if (!v) {
        if (negative) return fail(r, ACAR_ERR_MALFORMED, "Memo value not found at index -%llu",
                                  (unsigned long long)idx);
        return fail(r, ACAR_ERR_MALFORMED, "Memo value not found at index %llu", (unsigned long long)idx);
    }
    acar__stored(v);
    return push(r, v, memo_depth(v));
}

/* The common cases inline: a dense index (memo_fast is 0 once there are
 * far entries or max_memo is reached, so those go the long way). */
HOT_INLINE int memo_put_fast(reader *r, uint64_t idx) {
    if (idx < r->memo_fast && r->sp > r->fence && !acar__byval(r->stk[r->sp - 1])) {
        if (!r->memo[idx] && ++r->memo_count >= r->max_memo) r->memo_fast = 0;
        r->memo[idx] = r->stk[r->sp - 1];
        mark_put(r->memo[idx]);
        return 0;
    }
    return memo_put_top(r, idx);
}

HOT_INLINE int memo_push_fast(reader *r, uint64_t idx) {
    acar_val *v;
    if (idx < r->mcap_memo && (v = r->memo[idx]) && r->sp < r->scap) {
        acar__stored(v);
        r->stk[r->sp] = v;
        r->dep[r->sp] = memo_depth(v);
        r->sp++;
        return 0;
    }
    return memo_push(r, idx, false);
}

/* ====================================================================
 * Nodes
 * ================================================================== */

static inline acar_val *node(acar_doc *doc, uint64_t tag) {
    acar_val *v = acar__alloc(doc, sizeof *v);
    if (v) v->tag = tag;
    return v;
}

/* A node for the int or float of the given bits (isfloat 1), shared with
 * the places that got equal numbers before (ACAR_F_BYVAL), as far as a
 * direct-mapped cache of the last ones made remembers them.  A pickle never
 * refers to a number twice but by PUT or DUP (CPython's pickler memoizes
 * no int or float), and those give it a node of its own (own_top).  With
 * 512 entries, mesh's non-small numbers are 63% repeats found in the cache
 * (its indexes and normals), marine_ik's 48%, citm_catalog's 92%: 16 bytes
 * each.  A probe costs more than making the node (reading mesh's pickle
 * takes 4% more instructions and 8-12% more time; a probe without a branch
 * on the hit took 15% more instructions and was no faster), so nums_review
 * stops probing for a while after a stretch of few repeats (random floats,
 * or canada's coordinates: 5%). */
static inline acar_val *shared_number(reader *r, uint64_t bits, unsigned isfloat) {
    acar_type t = isfloat ? ACAR_FLOAT : ACAR_INT;
    acar_val *v;
    /* not a NaN: unequal to itself, so two are two dict keys (CPython's
     * dicts find a key by identity first) */
    if (r->nums_on && (!isfloat || (bits & ~((uint64_t)1 << 63)) <= 0x7ff0000000000000u)) {
        size_t s = (size_t)((bits * 0x9E3779B97F4A7C15u) >> r->nums_shift);
        r->nums_probes++;
        v = r->nums[isfloat][s].node;
        if (v && r->nums[isfloat][s].bits == bits) {
            r->nums_hits++;
            return v;
        }
        v = node(r->doc, ACAR_TAG(t, ACAR_F_BYVAL, 0));
        if (v) {
            r->nums[isfloat][s].bits = bits;
            r->nums[isfloat][s].node = v;
        }
    } else {
        v = node(r->doc, ACAR_TAG(t, 0, 0));
    }
    if (v) v->u.i = (int64_t)bits;
    return v;
}

/* At each progress report (opcode_gate): the first sets up nums[], sized
 * to the input (a 2 KB pickle clears 1 KiB of it, not 16); later ones stop
 * probing it for NUMS_PAUSE reports when fewer than one number in eight
 * since the last decision was a repeat it found. */
static void nums_review(reader *r) {
    if (!r->nums_ready) {
        unsigned bits = 4;
        while (bits < NUMS_BITS && ((size_t)64 << bits) < r->len) bits++;
        for (int i = 0; i < 2; i++) memset(r->nums[i], 0, sizeof r->nums[i][0] << bits);
        r->nums_shift = 64 - bits;
        r->nums_ready = r->nums_on = true;
    } else if (!r->nums_on) {
        if (--r->nums_pause == 0) r->nums_on = true;
    } else if (r->nums_probes >= 64) {
        if (r->nums_hits < r->nums_probes / 8) {
            r->nums_on = false;
            r->nums_pause = NUMS_PAUSE;
        }
        r->nums_probes = r->nums_hits = 0;
    }
}

static inline acar_val *new_int(reader *r, int64_t i) { return shared_number(r, (uint64_t)i, 0); }

/* BININT1 values (0-255) are shared within a read, as CPython shares its
 * small ints; ints are never memoized, so sharing changes nothing else. */
static inline acar_val *small_int(reader *r, uint8_t i) {
    if (acar__bit_get(r->small_made, i)) return r->small[i];
    acar_val *v = node(r->doc, ACAR_TAG(ACAR_INT, 0, 0));
    if (v) {
        v->u.i = i;
        r->small[i] = v;
        acar__bit_set(r->small_made, i);
    }
    return v;
}

/* A str/bytes/bytearray node: node and bytes in one arena block, or the
 * bytes borrowed from the input. */
HOT_INLINE acar_val *new_text(reader *r, acar_type t, const uint8_t *s, size_t len, unsigned flags, bool borrow) {
    if (len > ACAR_MAX_LEN) {
        fail(r, ACAR_ERR_LIMIT, "string of %zu bytes is too long", len);
        return NULL;
    }
    acar_val *v;
    if (borrow) {
        v = node(r->doc, ACAR_TAG(t, flags, len));
        if (v) v->u.s = len ? (const char *)s : "";
    } else {
        char *copy;
        v = acar__alloc_text(r->doc, len, &copy);
        if (v) {
            v->tag = ACAR_TAG(t, flags, len);
            acar__copy_short(copy, s, len);
            v->u.s = copy;
        }
    }
    if (!v) fail_doc(r);
    return v;
}

/* A str node with room for len bytes that the caller fills. */
static acar_val *new_text_buf(reader *r, acar_type t, size_t len, unsigned flags, char **out) {
    if (len > ACAR_MAX_LEN) {
        fail(r, ACAR_ERR_LIMIT, "string of %zu bytes is too long", len);
        return NULL;
    }
    acar_val *v = acar__alloc_text(r->doc, len, out);
    if (!v) {
        fail_doc(r);
        return NULL;
    }
    v->tag = ACAR_TAG(t, flags, len);
    v->u.s = *out;
    return v;
}

static bool borrowing(const reader *r) { return (r->flags & ACAR_READ_BORROW) != 0; }

/* Checks UTF-8 as CPython's surrogatepass decoder accepts it: the offset
 * of the first bad sequence, or len; *ascii when every byte is < 0x80. */
static inline size_t utf8_scan(const uint8_t *s, size_t len, bool *ascii) {
    if (acar__utf8_valid(s, len, ascii)) return len;
    bool bad;
    return acar__utf8_check((const char *)s, len, &bad, ascii);
}

/* 1 when n bytes are all ASCII; words at a time, no branch per byte. */
static inline bool all_ascii(const uint8_t *s, size_t n) {
    uint64_t acc = 0, w;
    size_t i = 0;
    for (; n - i >= 8; i += 8) {
        memcpy(&w, s + i, 8);
        acc |= w;
    }
    if (i < n) {
        if (n >= 8) {
            memcpy(&w, s + n - 8, 8);
            acc |= w;
        } else {
            for (; i < n; i++) acc |= s[i];
        }
    }
    return !(acc & 0x8080808080808080ull);
}

/* all_ascii for short strings with at least 8 readable bytes at s: one
 * masked word instead of a loop whose length the branch predictor cannot
 * guess (27% of reading 100,000 short str). */
HOT_INLINE bool short_ascii(const uint8_t *s, size_t n, size_t avail) {
    static const uint8_t high[16] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80};
    uint64_t w, m, w2;
    if (n > 16 || avail < 8) return all_ascii(s, n);
    memcpy(&w, s, 8);
    if (n <= 8) {
        memcpy(&m, high + 8 - n, 8);
        return !(w & m);
    }
    memcpy(&w2, s + n - 8, 8);
    return !((w | w2) & 0x8080808080808080ull);
}

/* UTF-8 str from the input, validated as surrogatepass decodes it.  Short
 * ASCII strings (the usual dict keys) skip the scanner: measured 24% of
 * reading 100,000 short str before. */
static acar_val *new_str_utf8(reader *r, const uint8_t *s, size_t len) {
    if (len <= 64 && short_ascii(s, len, r->len - (size_t)(s - r->data)))
        return new_text(r, ACAR_STR, s, len, ACAR_F_ASCII, borrowing(r));
    bool ascii;
    size_t at = utf8_scan(s, len, &ascii);
    if (at < len) {
        fail(r, ACAR_ERR_MALFORMED, "'utf-8' codec can't decode byte 0x%02x in position %zu", s[at], at);
        return NULL;
    }
    return new_text(r, ACAR_STR, s, len, ascii ? ACAR_F_ASCII : 0, borrowing(r));
}

/* Appends code point c as UTF-8 (surrogates as three bytes). */
static inline size_t put_utf8(char *o, uint32_t c) {
    if (c < 0x80) { o[0] = (char)c; return 1; }
    if (c < 0x800) { o[0] = (char)(0xc0 | (c >> 6)); o[1] = (char)(0x80 | (c & 0x3f)); return 2; }
    if (c < 0x10000) {
        o[0] = (char)(0xe0 | (c >> 12));
        o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
        o[2] = (char)(0x80 | (c & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (c >> 18));
    o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3f));
    o[3] = (char)(0x80 | (c & 0x3f));
    return 4;
}

/* str from latin-1 bytes. */
static acar_val *new_str_latin1(reader *r, const uint8_t *s, size_t len, bool borrow) {
    size_t high = 0;
    for (size_t i = 0; i < len; i++) high += s[i] >> 7;
    if (!high) return new_text(r, ACAR_STR, s, len, ACAR_F_ASCII, borrow);
    char *o;
    acar_val *v = new_text_buf(r, ACAR_STR, len + high, 0, &o);
    if (!v) return NULL;
    for (size_t i = 0; i < len; i++) o += put_utf8(o, s[i]);
    return v;
}

/* A Python 2 str (STRING, BINSTRING, SHORT_BINSTRING) per opts->encoding. */
static acar_val *new_py2str(reader *r, const uint8_t *s, size_t len, bool borrow) {
    switch (r->opts->encoding) {
    case ACAR_ENC_BYTES:
        return new_text(r, ACAR_BYTES, s, len, 0, borrow);
    case ACAR_ENC_LATIN1:
        return new_str_latin1(r, s, len, borrow);
    case ACAR_ENC_UTF8: {
        bool ascii;
        size_t at = utf8_scan(s, len, &ascii);
        if (at == len && !ascii) at = acar__utf8_find_surrogate(s, len);
        if (at < len) {
            fail(r, ACAR_ERR_MALFORMED, "'utf-8' codec can't decode byte 0x%02x in position %zu", s[at], at);
            return NULL;
        }
        return new_text(r, ACAR_STR, s, len, ascii ? ACAR_F_ASCII : 0, borrow);
    }
    case ACAR_ENC_ASCII:
    default:
        for (size_t i = 0; i < len; i++)
            if (s[i] >= 0x80) {
                fail(r, ACAR_ERR_MALFORMED,
                     "'ascii' codec can't decode byte 0x%02x in position %zu: ordinal not in range(128)",
                     s[i], i);
                return NULL;
            }
        return new_text(r, ACAR_STR, s, len, ACAR_F_ASCII, borrow);
    }
}

/* An int from n bytes of little-endian two's complement (LONG1/LONG4). */
static acar_val *new_int_le(reader *r, const uint8_t *s, size_t n) {
    if (n <= 8) {
        uint64_t u = 0;
        for (size_t i = 0; i < n; i++) u |= (uint64_t)s[i] << (8 * i);
        if (n && n < 8 && (s[n - 1] & 0x80)) u |= ~(uint64_t)0 << (8 * n);
        return new_int(r, (int64_t)u);
    }
    size_t cap = (n + 3) / 4;
    uint32_t *mag = acar__alloc(r->doc, cap * sizeof *mag);
    if (!mag) return NULL;
    int neg;
    size_t used = acar_num_big_from_le_twos(s, n, mag, &neg);
    while (used && mag[used - 1] == 0) used--;
    if (used <= 2) {
        uint64_t m = used ? mag[0] : 0;
        if (used == 2) m |= (uint64_t)mag[1] << 32;
        if (!neg && m <= (uint64_t)INT64_MAX) return new_int(r, (int64_t)m);
        if (neg && m <= (uint64_t)INT64_MAX + 1) return new_int(r, (int64_t)(0 - m));
    }
    acar_val *v = acar__node(r->doc, ACAR_TAG(ACAR_INT, ACAR_F_BIG | (neg ? ACAR_F_NEG : 0), used));
    if (v) v->u.p = mag;
    return v;
}

/* ====================================================================
 * Integer text, as CPython parses it
 * ================================================================== */

static inline bool py_space(uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

static inline int digit_value(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'z') return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    return 99;
}

/* A scanned Python int literal: sign, base, and its digits (with '_'). */
typedef struct pyint {
    bool neg;
    int base;
    const uint8_t *p;     /* first digit */
    size_t span;          /* bytes from p, underscores included */
    size_t ndigits;
} pyint;

/* Scans s[0..n) as PyLong_FromString(s, NULL, base) does (base 0 or 10):
 * whitespace, sign, prefix (base 0), digits with single underscores
 * between them, whitespace, end.  0 if valid. */
static int pyint_scan(const uint8_t *s, size_t n, int base, pyint *out) {
    size_t i = 0;
    bool zero_only = false;
    while (i < n && py_space(s[i])) i++;
    out->neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-')) out->neg = s[i++] == '-';
    if (base == 0) {
        uint8_t c1 = i + 1 < n ? s[i + 1] : 0;
        if (i >= n || s[i] != '0') base = 10;
        else if (c1 == 'x' || c1 == 'X') base = 16;
        else if (c1 == 'o' || c1 == 'O') base = 8;
        else if (c1 == 'b' || c1 == 'B') base = 2;
        else { base = 10; zero_only = true; }
        if (base != 10) {
            i += 2;
            if (i < n && s[i] == '_') i++;
        }
    }
    if (i < n && s[i] == '_') return -1;
    out->base = base;
    out->p = s + i;
    size_t nd = 0;
    uint8_t prev = 0;
    while (i < n && (digit_value(s[i]) < base || s[i] == '_')) {
        if (s[i] == '_' && prev == '_') return -1;
        if (s[i] != '_') {
            if (zero_only && s[i] != '0') return -1;
            nd++;
        }
        prev = s[i++];
    }
    if (prev == '_' || nd == 0) return -1;
    out->span = (size_t)(s + i - out->p);
    out->ndigits = nd;
    while (i < n && py_space(s[i])) i++;
    return i == n ? 0 : -1;
}

/* The value when it fits int64 (1), else 0. */
static int pyint_small(const pyint *pi, int64_t *out) {
    uint64_t m = 0, lim = pi->neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (size_t i = 0; i < pi->span; i++) {
        if (pi->p[i] == '_') continue;
        unsigned d = (unsigned)digit_value(pi->p[i]);
        if (m > (lim - d) / (unsigned)pi->base) return 0;
        m = m * (unsigned)pi->base + d;
    }
    *out = pi->neg ? (int64_t)(0 - m) : (int64_t)m;
    return 1;
}

/* An int node for a scanned literal; decimal literals obey max_int_digits. */
static acar_val *pyint_node(reader *r, const pyint *pi) {
    int64_t small;
    if (pi->base == 10 && pi->ndigits > r->doc->limits.max_int_digits) {
        fail(r, ACAR_ERR_LIMIT,
             "Exceeds the limit (%zu digits) for integer string conversion: value has %zu digits "
             "(max_int_digits)", r->doc->limits.max_int_digits, pi->ndigits);
        return NULL;
    }
    if (pyint_small(pi, &small)) {
        acar_val *v = new_int(r, small);
        if (!v) fail_doc(r);
        return v;
    }
    uint32_t *mag;
    size_t used = 0;
    if (pi->base == 10) {
        /* The digits without underscores, for the decimal converter. */
        uint8_t *d = tmp_buf(r, pi->ndigits);
        if (!d) return NULL;
        size_t k = 0;
        for (size_t i = 0; i < pi->span; i++)
            if (pi->p[i] != '_') d[k++] = pi->p[i];
        mag = acar__alloc(r->doc, acar_num_big_limbs_for_digits(k) * sizeof *mag);
        if (!mag) { fail_doc(r); return NULL; }
        used = acar_num_big_from_dec((const char *)d, k, mag);
    } else {
        unsigned bits = pi->base == 16 ? 4 : pi->base == 8 ? 3 : 1;
        size_t nbits = pi->ndigits * bits;
        size_t cap = nbits / 32 + 1;
        mag = acar__alloc(r->doc, cap * sizeof *mag);
        if (!mag) { fail_doc(r); return NULL; }
        memset(mag, 0, cap * sizeof *mag);
        size_t bit = 0;
        for (size_t i = pi->span; i-- > 0;) {
            if (pi->p[i] == '_') continue;
            uint32_t dv = (uint32_t)digit_value(pi->p[i]);
            mag[bit / 32] |= dv << (bit % 32);
            if (bit % 32 + bits > 32) mag[bit / 32 + 1] |= dv >> (32 - bit % 32);
            bit += bits;
        }
        used = cap;
    }
    while (used && mag[used - 1] == 0) used--;
    acar_val *v = acar__node(r->doc, ACAR_TAG(ACAR_INT, ACAR_F_BIG | (pi->neg ? ACAR_F_NEG : 0), used));
    if (!v) { fail_doc(r); return NULL; }
    v->u.p = mag;
    return v;
}

/* glibc's strtol(s, &end, 0) on s[0..n) (n: up to the NUL or newline):
 * returns the index where it stopped; *overflow set on ERANGE. */
static size_t c_strtol(const uint8_t *s, size_t n, int64_t *value, bool *overflow) {
    size_t i = 0;
    bool neg = false;
    int base = 10;
    *value = 0;
    *overflow = false;
    while (i < n && py_space(s[i])) i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    if (i < n && s[i] == '0') {
        if (i + 2 < n && (s[i + 1] == 'x' || s[i + 1] == 'X') && digit_value(s[i + 2]) < 16) {
            base = 16;
            i += 2;
        } else {
            base = 8;
        }
    }
    size_t start = i;
    uint64_t m = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    while (i < n && digit_value(s[i]) < base) {
        unsigned d = (unsigned)digit_value(s[i]);
        if (m > (lim - d) / (unsigned)base) *overflow = true;
        else m = m * (unsigned)base + d;
        i++;
    }
    if (i == start) return 0; /* no digits: strtol reports the start */
    *value = neg ? (int64_t)(0 - m) : (int64_t)m;
    return i;
}

/* ====================================================================
 * Text arguments
 * ================================================================== */

/* Reads a line argument: [*s, *s + *n) without its newline; p advances. */
static int read_line(reader *r, const uint8_t **p, const uint8_t **s, size_t *n) {
    const uint8_t *end = r->data + r->len;
    const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
    *s = NULL;
    *n = 0;
    if (!nl) return truncated(r);
    *s = *p;
    *n = (size_t)(nl - *p);
    *p = nl + 1;
    return 0;
}

/* The text C code sees in a line copied with a NUL after it: up to the
 * first NUL. */
static size_t c_len(const uint8_t *s, size_t n) {
    const uint8_t *z = memchr(s, 0, n);
    return z ? (size_t)(z - s) : n;
}

/* Decodes the body of a STRING argument (Python's bytes escapes) into
 * r->tmp; returns the decoded length or -1. */
static int decode_escapes(reader *r, const uint8_t *s, size_t n, size_t *out_len) {
    uint8_t *o = tmp_buf(r, n);
    if (!o && n) return -1;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i++];
        if (c != '\\') { o[k++] = c; continue; }
        if (i == n) return fail(r, ACAR_ERR_MALFORMED, "Trailing \\ in string");
        c = s[i++];
        switch (c) {
        case '\n': break;
        case '\\': case '\'': case '"': o[k++] = c; break;
        case 'b': o[k++] = '\b'; break;
        case 'f': o[k++] = '\f'; break;
        case 't': o[k++] = '\t'; break;
        case 'n': o[k++] = '\n'; break;
        case 'r': o[k++] = '\r'; break;
        case 'v': o[k++] = '\v'; break;
        case 'a': o[k++] = '\a'; break;
        case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
            unsigned v = c - '0';
            if (i < n && s[i] >= '0' && s[i] <= '7') {
                v = v * 8 + (s[i++] - '0');
                if (i < n && s[i] >= '0' && s[i] <= '7') v = v * 8 + (s[i++] - '0');
            }
            o[k++] = (uint8_t)v; /* "\777" keeps the low byte, as CPython does */
            break;
        }
        case 'x':
            if (i + 1 < n && digit_value(s[i]) < 16 && digit_value(s[i + 1]) < 16) {
                o[k++] = (uint8_t)(digit_value(s[i]) * 16 + digit_value(s[i + 1]));
                i += 2;
                break;
            }
            return fail(r, ACAR_ERR_MALFORMED, "invalid \\x escape at position %zu", i - 2);
        default:
            /* Unknown escapes stay as they are. */
            o[k++] = '\\';
            i--;
            break;
        }
    }
    *out_len = k;
    return 0;
}

/* UNICODE: raw-unicode-escape, "\uXXXX" and "\UXXXXXXXX" after an odd run
 * of backslashes; other bytes are code points 0-255. */
static acar_val *decode_raw_unicode(reader *r, const uint8_t *s, size_t n) {
    /* Pass 1: validate and size; pass 2: write. */
    size_t out = 0;
    bool ascii = true;
    for (int pass = 0; pass < 2; pass++) {
        char *o = NULL;
        acar_val *v = NULL;
        if (pass == 1) {
            if (ascii && out == n) return new_text(r, ACAR_STR, s, n, ACAR_F_ASCII, borrowing(r));
            v = new_text_buf(r, ACAR_STR, out, ascii ? ACAR_F_ASCII : 0, &o);
            if (!v) return NULL;
        }
        for (size_t i = 0; i < n;) {
            uint8_t c = s[i];
            uint32_t cp = c;
            size_t adv = 1;
            if (c == '\\' && i + 1 < n) {
                uint8_t e = s[i + 1];
                if (e == 'u' || e == 'U') {
                    size_t count = e == 'u' ? 4 : 8;
                    cp = 0;
                    for (size_t k = 0; k < count; k++) {
                        if (i + 2 + k >= n || digit_value(s[i + 2 + k]) >= 16) {
                            fail(r, ACAR_ERR_MALFORMED,
                                 "'rawunicodeescape' codec can't decode bytes in position %zu-%zu: "
                                 "truncated \\%s escape", i, i + 1 + k,
                                 count == 4 ? "uXXXX" : "UXXXXXXXX");
                            return NULL;
                        }
                        cp = cp * 16 + (uint32_t)digit_value(s[i + 2 + k]);
                    }
                    if (cp > 0x10ffff) {
                        fail(r, ACAR_ERR_MALFORMED,
                             "'rawunicodeescape' codec can't decode bytes in position %zu-%zu: "
                             "\\Uxxxxxxxx out of range", i, i + 1 + count);
                        return NULL;
                    }
                    adv = 2 + count;
                } else {
                    /* A backslash and the byte after it are both literal. */
                    if (pass) { o[0] = '\\'; o += 1; }
                    else out += 1;
                    i += 1;
                    c = s[i];
                    cp = c;
                }
            }
            if (pass == 0) {
                out += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
                if (cp >= 0x80) ascii = false;
            } else {
                o += put_utf8(o, cp);
            }
            i += adv;
        }
        if (pass == 1) return v;
    }
    return NULL;
}

/* ====================================================================
 * Globals
 * ================================================================== */

static bool str_is(const acar_val *v, const char *s) {
    size_t n = strlen(s);
    return ACAR_TYPE(v) == ACAR_STR && ACAR_LEN(v) == n && memcmp(v->u.s, s, n) == 0;
}

/* A str node for a name (valid UTF-8), borrowed when allowed. */
static acar_val *name_node(reader *r, const char *s, size_t n, bool borrow) {
    bool ascii;
    (void)utf8_scan((const uint8_t *)s, n, &ascii);
    return new_text(r, ACAR_STR, (const uint8_t *)s, n, ascii ? ACAR_F_ASCII : 0, borrow);
}

/* A global node for module.name after fix_imports and find_class.  The
 * names are valid UTF-8; from_input says they lie in the input (so they may
 * be borrowed); mnode and nnode, when given, are str nodes holding the same
 * text, reused when the name stays. */
static acar_val *new_global(reader *r, const char *m, size_t ml, const char *n, size_t nl,
                            acar_val *mnode, acar_val *nnode, bool from_input) {
    /* Table names are static; input names live as long as a borrowed input. */
    bool mb = from_input && borrowing(r), nb = mb;
    if (r->proto < 3 && !(r->flags & ACAR_READ_NO_FIX_IMPORTS)) {
        const char *m2, *n2;
        size_t ml2, nl2;
        if (acar__compat_map_import(m, ml, n, nl, &m2, &ml2, &n2, &nl2)) {
            if (m2 != m) mnode = NULL, mb = true;
            if (n2 != n) nnode = NULL, nb = true;
            m = m2, ml = ml2, n = n2, nl = nl2;
        }
    }
    if (r->opts->find_class) {
        const char *m2 = m, *n2 = n;
        size_t ml2 = ml, nl2 = nl;
        int rc = r->opts->find_class(r->opts->ctx, &m2, &ml2, &n2, &nl2);
        if (rc < 0) {
            fail(r, ACAR_ERR_REFUSED, "global '%.*s.%.*s' refused by find_class", (int)(ml < 60 ? ml : 60),
                 m, (int)(nl < 60 ? nl : 60), n);
            return NULL;
        }
        if (rc > 0) {
            bool ascii;
            if (!m2 || !n2 || utf8_scan((const uint8_t *)m2, ml2, &ascii) < ml2 ||
                utf8_scan((const uint8_t *)n2, nl2, &ascii) < nl2) {
                fail(r, ACAR_ERR_ARG, "find_class returned a name that is not UTF-8");
                return NULL;
            }
            /* The callback's text lives only until the read ends: copy it. */
            if (m2 != m || ml2 != ml) mnode = NULL, mb = false;
            if (n2 != n || nl2 != nl) nnode = NULL, nb = false;
            m = m2, ml = ml2, n = n2, nl = nl2;
        }
    }
    /* builtins.Ellipsis is how CPython pickles ...: the native singleton. */
    if (!(r->flags & ACAR_READ_RAW_GLOBALS) && ml == 8 && nl == 8 && memcmp(m, "builtins", 8) == 0 &&
        memcmp(n, "Ellipsis", 8) == 0)
        return &r->doc->ellipsis;
    acar_global_body *b = acar__alloc(r->doc, sizeof *b);
    if (!b) { fail_doc(r); return NULL; }
    if (!(b->module = mnode ? mnode : name_node(r, m, ml, mb))) return NULL;
    if (!(b->name = nnode ? nnode : name_node(r, n, nl, nb))) return NULL;
    acar_val *v = acar__node(r->doc, ACAR_TAG(ACAR_GLOBAL, 0, 0));
    if (!v) { fail_doc(r); return NULL; }
    v->u.p = b;
    return v;
}

/* One name line of GLOBAL (UTF-8) or INST (ASCII). */
static int name_line(reader *r, const uint8_t **p, bool ascii_only, const uint8_t **s, size_t *n) {
    if (read_line(r, p, s, n) < 0) return -1;
    if (*n == 0) return truncated(r); /* CPython: an empty name is "truncated" */
    if (ascii_only) {
        for (size_t i = 0; i < *n; i++)
            if ((*s)[i] >= 0x80)
                return fail(r, ACAR_ERR_MALFORMED,
                            "'ascii' codec can't decode byte 0x%02x in position %zu: ordinal not in range(128)",
                            (*s)[i], i);
        return 0;
    }
    bool ascii;
    size_t at = utf8_scan(*s, *n, &ascii);
    if (at == *n && !ascii) at = acar__utf8_find_surrogate(*s, *n);
    if (at < *n)
        return fail(r, ACAR_ERR_MALFORMED, "'utf-8' codec can't decode byte 0x%02x in position %zu", (*s)[at], at);
    return 0;
}

/* GLOBAL and INST: module and name, each on its own line. */
static acar_val *global_from_lines(reader *r, const uint8_t **p, bool ascii_only) {
    const uint8_t *m, *n;
    size_t ml, nl;
    if (name_line(r, p, ascii_only, &m, &ml) < 0 || name_line(r, p, ascii_only, &n, &nl) < 0) return NULL;
    return new_global(r, (const char *)m, ml, (const char *)n, nl, NULL, NULL, true);
}

/* ====================================================================
 * Well-known globals: the builtin types CPython writes through REDUCE
 * ================================================================== */

/* Latin-1 bytes of a str whose code points are all < 256, into r->tmp;
 * 1 if it is such a str, 0 if not, -1 on error. */
static int latin1_of(reader *r, const acar_val *s, size_t *n) {
    size_t len = ACAR_LEN(s);
    const uint8_t *p = (const uint8_t *)s->u.s;
    uint8_t *o = tmp_buf(r, len);
    if (!o && len) return -1;
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = p[i];
        if (c < 0x80) o[k++] = c;
        else if ((c == 0xc2 || c == 0xc3) && i + 1 < len) o[k++] = (uint8_t)(((c & 3) << 6) | (p[++i] & 0x3f));
        else return 0;
    }
    *n = k;
    return 1;
}

static bool all_hashable(acar_val *const *items, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!acar_hashable(items[i])) return false;
    return true;
}

/* A set or frozenset of n hashable items (duplicates dropped). */
HOT_INLINE acar_val *new_map(reader *r, acar_type t);

static acar_val *new_set_of(reader *r, acar_type t, acar_val *const *items, size_t n) {
    acar_val *s = new_map(r, t);
    if (!s) return NULL;
    for (size_t i = 0; i < n; i++)
        if (acar_set_add(r->doc, s, items[i]) < 0) { fail_doc(r); return NULL; }
    return s;
}

/* The native node for callable(*args) when callable is one of the builtin
 * types CPython pickles by reduction and args have the shape CPython
 * writes; *out stays NULL otherwise.  -1 on error. */
static int well_known(reader *r, acar_val *callable, acar_val *args, bool newobj, acar_val **out) {
    *out = NULL;
    if ((r->flags & ACAR_READ_RAW_GLOBALS) || ACAR_TYPE(callable) != ACAR_GLOBAL) return 0;
    const acar_global_body *g = callable->u.p;
    size_t na = ACAR_LEN(args);
    acar_val *const *a = args->u.items;
    size_t n;
    int rc;
    if (str_is(g->module, "builtins")) {
        /* getattr(module.A, 'B') is how protocols 0-3 name a nested
         * qualname: the global module.A.B, as protocol 4 names it.  From
         * protocol 4 on, CPython names those directly, and a getattr in the
         * stream is a method reference that must stay what it is. */
        if (r->proto < 4 && str_is(g->name, "getattr") && !newobj && na == 2 &&
            ACAR_TYPE(a[0]) == ACAR_GLOBAL &&
            ACAR_TYPE(a[1]) == ACAR_STR) {
            const acar_global_body *parent = a[0]->u.p;
            size_t pl = ACAR_LEN(parent->name), bl = ACAR_LEN(a[1]);
            char *q = (char *)tmp_buf(r, pl + 1 + bl);
            if (!q) return -1;
            memcpy(q, parent->name->u.s, pl);
            q[pl] = '.';
            memcpy(q + pl + 1, a[1]->u.s, bl);
            *out = new_global(r, parent->module->u.s, ACAR_LEN(parent->module), q, pl + 1 + bl,
                              NULL, NULL, false);
            return *out ? 0 : -1;
        }
        if (str_is(g->name, "complex")) {
            if (na == 2 && ACAR_TYPE(a[0]) == ACAR_FLOAT && ACAR_TYPE(a[1]) == ACAR_FLOAT) {
                *out = acar_new_complex(r->doc, a[0]->u.f, a[1]->u.f);
                return *out ? 0 : fail_doc(r);
            }
            return 0;
        }
        if (newobj) return 0;
        if (str_is(g->name, "set") || str_is(g->name, "frozenset")) {
            if (na != 1 || ACAR_TYPE(a[0]) != ACAR_LIST) return 0;
            acar_val *list = a[0];
            if (!all_hashable(list->u.items, ACAR_LEN(list))) return 0;
            *out = new_set_of(r, str_is(g->name, "set") ? ACAR_SET : ACAR_FROZENSET, list->u.items,
                              ACAR_LEN(list));
            return *out ? 0 : -1;
        }
        if (str_is(g->name, "bytearray")) {
            if (na == 0) {
                *out = new_text(r, ACAR_BYTEARRAY, NULL, 0, 0, false);
            } else if (na == 1 && ACAR_TYPE(a[0]) == ACAR_BYTES) {
                *out = new_text(r, ACAR_BYTEARRAY, (const uint8_t *)a[0]->u.s, ACAR_LEN(a[0]), 0, false);
            } else if (na == 2 && ACAR_TYPE(a[0]) == ACAR_STR &&
                       (str_is(a[1], "latin-1") || str_is(a[1], "latin1"))) {
                if ((rc = latin1_of(r, a[0], &n)) <= 0) return rc;
                *out = new_text(r, ACAR_BYTEARRAY, r->tmp, n, 0, false);
            } else {
                return 0;
            }
            return *out ? 0 : -1;
        }
        if (str_is(g->name, "bytes")) {
            if (na == 0) {
                *out = new_text(r, ACAR_BYTES, NULL, 0, 0, false);
            } else if (na == 1 && ACAR_TYPE(a[0]) == ACAR_LIST) {
                /* bytes([97, 98]): what Python 3.0-3.3 wrote */
                acar_val *list = a[0];
                size_t len = ACAR_LEN(list);
                uint8_t *o = tmp_buf(r, len);
                if (!o && len) return -1;
                for (size_t i = 0; i < len; i++) {
                    acar_val *x = list->u.items[i];
                    if (ACAR_TYPE(x) != ACAR_INT || (ACAR_FLAGS(x) & ACAR_F_BIG) || x->u.i < 0 || x->u.i > 255)
                        return 0;
                    o[i] = (uint8_t)x->u.i;
                }
                *out = new_text(r, ACAR_BYTES, o, len, 0, false);
            } else {
                return 0;
            }
            return *out ? 0 : -1;
        }
        return 0;
    }
    if (!newobj && str_is(g->module, "datetime") && str_is(g->name, "datetime")) {
        /* datetime.datetime(state): naive ones only (a tzinfo is a second
         * argument) and only states the constructor accepts. */
        acar_datetime dt;
        if (na == 1 && ACAR_TYPE(a[0]) == ACAR_BYTES &&
            acar__datetime_from_state((const uint8_t *)a[0]->u.s, ACAR_LEN(a[0]), &dt) == 0) {
            *out = acar_new_datetime(r->doc, &dt);
            return *out ? 0 : fail_doc(r);
        }
        return 0;
    }
    if (!newobj && str_is(g->module, "_codecs") && str_is(g->name, "encode")) {
        if (na == 2 && ACAR_TYPE(a[0]) == ACAR_STR && (str_is(a[1], "latin1") || str_is(a[1], "latin-1"))) {
            if ((rc = latin1_of(r, a[0], &n)) <= 0) return rc;
            /* A one-character argument was CPython's shared string for that
             * character: the writer must know it to memoize it by value. */
            if (n == 1) a[0]->tag |= (uint64_t)ACAR_F_SINGLETON << 8;
            *out = new_text(r, ACAR_BYTES, r->tmp, n, 0, false);
            return *out ? 0 : -1;
        }
    }
    return 0;
}

/* ====================================================================
 * Objects and the opcodes that change containers
 * ================================================================== */

/* Types that may stand for a class or callable (CPython would call it). */
static bool maybe_callable(const acar_val *v) {
    acar_type t = ACAR_TYPE(v);
    return t == ACAR_GLOBAL || t == ACAR_OBJECT || t == ACAR_PERSID || t == ACAR_STOPITERATION;
}

/* Types whose behaviour is unknown (a class, an instance, a persistent
 * object): what CPython would do with them cannot be told. */
static bool opaque(const acar_val *v) {
    acar_type t = ACAR_TYPE(v);
    return t == ACAR_GLOBAL || t == ACAR_PERSID || t == ACAR_BUFFER || t == ACAR_STOPITERATION;
}

static acar_val *new_object(reader *r, acar_build how, acar_val *callable, acar_val *args, acar_val *kwargs) {
    acar_object_body *b = acar__alloc(r->doc, sizeof *b);
    acar_val *v = b ? acar__node(r->doc, ACAR_TAG(ACAR_OBJECT, how, 0)) : NULL;
    if (!v) { fail_doc(r); return NULL; }
    memset(b, 0, sizeof *b);
    b->callable = callable;
    b->args = args;
    b->kwargs = kwargs;
    v->u.p = b;
    return v;
}

/* A list or tuple of n items from the stack, node and item array (exactly
 * n: ACAR_F_EXACT) in one arena block. */
static acar_val *new_seq(reader *r, acar_type t, size_t start, size_t n) {
    if (n > r->doc->limits.max_items) {
        fail(r, ACAR_ERR_LIMIT, "container of %zu items exceeds max_items", n);
        return NULL;
    }
    acar_val *v = acar__alloc(r->doc, sizeof *v + n * sizeof(acar_val *));
    if (!v) { fail_doc(r); return NULL; }
    unsigned flags = ACAR_F_EXACT;
    if (t == ACAR_TUPLE)
        for (size_t i = 0; i < n && !(flags & ACAR_F_UNHASHABLE); i++)
            if (acar__unhashable(r->stk[start + i])) flags |= ACAR_F_UNHASHABLE;
    v->tag = ACAR_TAG(t, flags, n);
    v->u.items = (acar_val **)(v + 1);
    if (n) memcpy(v->u.items, r->stk + start, n * sizeof(acar_val *));
    return v;
}

static acar_val *tuple_of(reader *r, size_t start, size_t n) {
    if (n == 0 && r->empty_tuple) return r->empty_tuple;
    acar_val *t = new_seq(r, ACAR_TUPLE, start, n);
    if (n == 0) r->empty_tuple = t;
    return t;
}

/* An empty dict or set, no item array yet (ACAR_F_EXACT: SETITEMS makes
 * one as big as it needs). */
HOT_INLINE acar_val *new_map(reader *r, acar_type t) {
    acar_val *v = acar__alloc(r->doc, sizeof *v);
    if (!v) { fail_doc(r); return NULL; }
    v->tag = ACAR_TAG(t, ACAR_F_EXACT, 0);
    v->u.items = (acar_val **)(v + 1); /* no room, but not NULL for memcpy */
    return v;
}

/* Raises the depth of slot i to hold items of depth up to d - 1. */
static int deepen(reader *r, size_t i, uint32_t d) {
    if (d > r->max_depth) return too_deep(r);
    if (d > r->dep[i]) r->dep[i] = d;
    return 0;
}

/* APPEND/APPENDS: items [x, sp) onto the list or object at x - 1. */
static int do_append(reader *r, size_t x) {
    if (x > r->sp || x <= r->fence) return underflow(r);
    size_t n = r->sp - x;
    if (n == 0) return 0;
    acar_val *target = r->stk[x - 1];
    if (deepen(r, x - 1, depth_of(r, x, n)) < 0) return -1;
    switch (ACAR_TYPE(target)) {
    case ACAR_LIST: {
        /* CPython appends a long list's items a full batch at a time and
         * the rest last: that list's array then ends exactly full. */
        bool last = r->batched == target && n < ACAR_PICKLE_BATCH;
        r->batched = n == ACAR_PICKLE_BATCH ? target : NULL;
        if (acar__list_extend(r->doc, target, r->stk + x, n, last) < 0) return fail_doc(r);
        break;
    }
    case ACAR_OBJECT:
        for (size_t i = x; i < r->sp; i++)
            if (acar_object_append(r->doc, target, r->stk[i]) < 0) return fail_doc(r);
        break;
    default:
        if (opaque(target)) return fail(r, ACAR_ERR_UNSUPPORTED, "APPENDS to %s %s", article(target), tname(target));
        return fail(r, ACAR_ERR_MALFORMED, "'%s' object has no attribute 'append'", tname(target));
    }
    r->sp = x;
    return 0;
}

/* The fast way to fill a dict that is still empty from n pairs whose keys
 * are all str, which is how CPython's pickler writes every dict of str keys
 * (measured on twitter.json at protocol 4: 31% of the read went to hashing
 * keys through acar_dict_set, 3 hashes a key with the index rebuilds).
 * acar__str_dict_fill places the pairs (duplicate keys keep their first
 * place and their last value, as acar_dict_set does; each key hashed once
 * into an index made at its final size) in an item array with room for
 * acar__items_cap(dict, 2 * len) pointers.  Returns 1 when done, 0 when the
 * general path must be taken, -1 on error. */

static int deepen(reader *r, size_t i, uint32_t d);

static int dict_fill_str(reader *r, size_t x) {
    acar_val *dict = r->stk[x - 1];
    acar_val *const *kv = r->stk + x;
    size_t n = r->sp - x;
    size_t npairs = n / 2;
    if (ACAR_LEN(dict) || npairs > r->doc->limits.max_items || npairs >= 0xfffffffeu) return 0;
    /* One pass: all keys str (so hashable), and the depth the dict gets. */
    uint32_t d = 0;
    for (size_t i = 0; i < n; i += 2) {
        if (ACAR_TYPE(kv[i]) != ACAR_STR) return 0;
        if (r->dep[x + i + 1] > d) d = r->dep[x + i + 1];
    }
    if (deepen(r, x - 1, d + 1) < 0) return -1;
    /* exactly the pairs when the dict is new_map's (duplicate keys may
     * leave slots unused: the array is then bigger than ACAR_F_EXACT says,
     * which only makes a later append reallocate) */
    size_t need = (ACAR_FLAGS(dict) & ACAR_F_EXACT) ? 2 * npairs : acar__cap(2 * npairs);
    if (acar__str_dict_fill(r->doc, &r->hcache, &r->shapes, dict, need, kv, npairs) == SIZE_MAX) return fail_doc(r);
    r->sp = x;
    return 1;
}

/* SETITEM/SETITEMS: pairs [x, sp) into the dict or object at x - 1. */
static int do_setitems(reader *r, size_t x) {
    if (x > r->sp || x <= r->fence) return underflow(r);
    size_t n = r->sp - x;
    if (n == 0) return 0;
    if (n % 2) return fail(r, ACAR_ERR_MALFORMED, "odd number of items for SETITEMS");
    acar_val *target = r->stk[x - 1];
    acar_type t = ACAR_TYPE(target);
    if (t == ACAR_DICT) {
        int rc = dict_fill_str(r, x);
        if (rc) return rc < 0 ? -1 : 0;
    }
    if (t == ACAR_DICT || t == ACAR_OBJECT) {
        for (size_t i = x; i < r->sp; i += 2) {
            acar_val *k = r->stk[i];
            if (ACAR_TYPE(k) != ACAR_STR && !acar_hashable(k)) {
                if (t == ACAR_OBJECT)
                    return fail(r, ACAR_ERR_UNSUPPORTED, "unhashable key of type '%s' set on an object",
                                tname(k));
                return fail(r, ACAR_ERR_MALFORMED, "unhashable type: '%s'", acar__unhashable_name(k));
            }
        }
        if (deepen(r, x - 1, depth_of(r, x, n)) < 0) return -1;
        for (size_t i = x; i < r->sp; i += 2) {
            int rc = t == ACAR_DICT ? acar_dict_set(r->doc, target, r->stk[i], r->stk[i + 1])
                                    : acar_object_setitem(r->doc, target, r->stk[i], r->stk[i + 1]);
            if (rc < 0) return fail_doc(r);
        }
        r->sp = x;
        return 0;
    }
    if (opaque(target) || t == ACAR_LIST)
        return fail(r, ACAR_ERR_UNSUPPORTED, "SETITEMS on %s %s", article(target), tname(target));
    return fail(r, ACAR_ERR_MALFORMED, "'%s' object does not support item assignment", tname(target));
}

/* ADDITEMS: items [mark, sp) into the set at mark - 1. */
static int do_additems(reader *r, size_t x) {
    if (x > r->sp || x <= r->fence) return underflow(r);
    size_t n = r->sp - x;
    if (n == 0) return 0;
    acar_val *target = r->stk[x - 1];
    if (ACAR_TYPE(target) != ACAR_SET) {
        if (opaque(target) || ACAR_TYPE(target) == ACAR_OBJECT)
            return fail(r, ACAR_ERR_UNSUPPORTED, "ADDITEMS to %s %s", article(target), tname(target));
        return fail(r, ACAR_ERR_MALFORMED, "'%s' object has no attribute 'add'", tname(target));
    }
    for (size_t i = x; i < r->sp; i++)
        if (!acar_hashable(r->stk[i]))
            return fail(r, ACAR_ERR_MALFORMED, "unhashable type: '%s'", acar__unhashable_name(r->stk[i]));
    if (deepen(r, x - 1, depth_of(r, x, n)) < 0) return -1;
    for (size_t i = x; i < r->sp; i++)
        if (acar_set_add(r->doc, target, r->stk[i]) < 0) return fail_doc(r);
    r->sp = x;
    return 0;
}

/* BUILD: the state below the top goes to the object under it. */
static int do_build(reader *r) {
    if (r->sp < r->fence + 2) return underflow(r);
    acar_val *state = r->stk[r->sp - 1];
    uint32_t sdep = r->dep[r->sp - 1];
    acar_val *inst = r->stk[r->sp - 2];
    r->sp--;
    if (ACAR_TYPE(inst) == ACAR_OBJECT) {
        acar_object_body *b = inst->u.p;
        if (b->state) return fail(r, ACAR_ERR_UNSUPPORTED, "second BUILD on the same object");
        if (deepen(r, r->sp - 1, sdep + 1) < 0) return -1;
        b->state = state;
        return 0;
    }
    /* Python's default __setstate__ on a value without one: only "no
     * state" does nothing. */
    acar_val *slot = NULL;
    if (ACAR_TYPE(state) == ACAR_TUPLE && ACAR_LEN(state) == 2) {
        slot = state->u.items[1];
        state = state->u.items[0];
    }
    if (ACAR_TYPE(state) != ACAR_NONE) {
        if (ACAR_TYPE(state) != ACAR_DICT) return fail(r, ACAR_ERR_MALFORMED, "state is not a dictionary");
        if (opaque(inst)) return fail(r, ACAR_ERR_UNSUPPORTED, "BUILD on %s %s", article(inst), tname(inst));
        return fail(r, ACAR_ERR_MALFORMED, "'%s' object has no attribute '__dict__'", tname(inst));
    }
    if (slot) {
        if (ACAR_TYPE(slot) != ACAR_DICT) return fail(r, ACAR_ERR_MALFORMED, "slot state is not a dictionary");
        if (ACAR_LEN(slot)) {
            if (opaque(inst)) return fail(r, ACAR_ERR_UNSUPPORTED, "BUILD on %s %s", article(inst), tname(inst));
            return fail(r, ACAR_ERR_MALFORMED, "'%s' object has no attributes to set from slot state",
                        tname(inst));
        }
    }
    return 0;
}

/* REDUCE, NEWOBJ, NEWOBJ_EX: pops [cls] args [kwargs], pushes the object. */
static int do_reduce(reader *r, acar_build how) {
    size_t need = how == ACAR_BUILD_NEWOBJ_EX ? 3 : 2;
    if (r->sp < r->fence + need) return underflow(r);
    size_t base = r->sp - need;
    acar_val *cls = r->stk[base], *args = r->stk[base + 1];
    acar_val *kwargs = how == ACAR_BUILD_NEWOBJ_EX ? r->stk[base + 2] : NULL;
    uint32_t d = depth_of(r, base, need);
    if (how == ACAR_BUILD_REDUCE) {
        if (ACAR_TYPE(args) != ACAR_TUPLE) return fail(r, ACAR_ERR_MALFORMED, "argument list must be a tuple");
        if (!maybe_callable(cls)) return fail(r, ACAR_ERR_MALFORMED, "'%s' object is not callable", tname(cls));
    } else {
        const char *op = how == ACAR_BUILD_NEWOBJ ? "NEWOBJ" : "NEWOBJ_EX";
        if (!maybe_callable(cls))
            return fail(r, ACAR_ERR_MALFORMED, "%s class argument must be a type, not %s", op, tname(cls));
        if (ACAR_TYPE(args) != ACAR_TUPLE)
            return fail(r, ACAR_ERR_MALFORMED, "%s args argument must be a tuple, not %s", op, tname(args));
        if (kwargs && ACAR_TYPE(kwargs) != ACAR_DICT)
            return fail(r, ACAR_ERR_MALFORMED, "%s kwargs argument must be a dict, not %s", op, tname(kwargs));
    }
    acar_val *v;
    if (how == ACAR_BUILD_NEWOBJ_EX) v = NULL;
    else if (well_known(r, cls, args, how == ACAR_BUILD_NEWOBJ, &v) < 0) return -1;
    if (!v && !(v = new_object(r, how, cls, args, kwargs))) return -1;
    if (d > r->max_depth) return too_deep(r);
    r->sp = base;
    return push(r, v, d);
}

/* TUPLE, LIST, DICT, FROZENSET, OBJ and INST take the items since MARK. */
static int build_from_mark(reader *r, uint8_t opc, const uint8_t **p) {
    size_t mark;
    if (pop_mark(r, &mark) < 0) return -1;
    size_t n = r->sp - mark;
    uint32_t d = depth_of(r, mark, n);
    if (d > r->max_depth) return too_deep(r);
    acar_val *v = NULL;
    switch (opc) {
    case ACAR_OP_TUPLE:
        v = tuple_of(r, mark, n);
        break;
    case ACAR_OP_LIST:
        v = new_seq(r, ACAR_LIST, mark, n);
        break;
    case ACAR_OP_DICT:
        if (n % 2) return fail(r, ACAR_ERR_MALFORMED, "odd number of items for DICT");
        for (size_t i = mark; i < r->sp; i += 2)
            if (!acar_hashable(r->stk[i]))
                return fail(r, ACAR_ERR_MALFORMED, "unhashable type: '%s'", acar__unhashable_name(r->stk[i]));
        if (!(v = new_map(r, ACAR_DICT))) return -1;
        for (size_t i = mark; i < r->sp; i += 2)
            if (acar_dict_set(r->doc, v, r->stk[i], r->stk[i + 1]) < 0) return fail_doc(r);
        break;
    case ACAR_OP_FROZENSET:
        for (size_t i = mark; i < r->sp; i++)
            if (!acar_hashable(r->stk[i]))
                return fail(r, ACAR_ERR_MALFORMED, "unhashable type: '%s'", acar__unhashable_name(r->stk[i]));
        v = new_set_of(r, ACAR_FROZENSET, r->stk + mark, n);
        break;
    case ACAR_OP_OBJ: {
        if (n < 1) return underflow(r);
        acar_val *cls = r->stk[mark];
        if (!maybe_callable(cls)) return fail(r, ACAR_ERR_MALFORMED, "'%s' object is not callable", tname(cls));
        acar_val *args = tuple_of(r, mark + 1, n - 1);
        if (args) v = new_object(r, ACAR_BUILD_OBJ, cls, args, NULL);
        break;
    }
    case ACAR_OP_INST: {
        acar_val *cls = global_from_lines(r, p, true);
        acar_val *args = cls ? tuple_of(r, mark, n) : NULL;
        if (args) v = new_object(r, ACAR_BUILD_INST, cls, args, NULL);
        break;
    }
    default:
        break;
    }
    if (!v) return -1;
    r->sp = mark;
    return push(r, v, d);
}

/* ====================================================================
 * Persistent ids, extensions, buffers
 * ================================================================== */

static int persistent(reader *r, acar_val *pid, uint32_t dep) {
    acar_val *v;
    if (r->opts->persistent_load) {
        v = r->opts->persistent_load(r->opts->ctx, r->doc, pid);
        if (!v) {
            if (r->doc->err.code != ACAR_OK) return fail_doc(r);
            return fail(r, ACAR_ERR_REFUSED, "persistent_load failed for a persistent id");
        }
        acar__stored(v); /* the callback may hand out one node many times */
        dep = 0;
    } else {
        v = acar__node(r->doc, ACAR_TAG(ACAR_PERSID, 0, 0));
        if (!v) return fail_doc(r);
        v->u.p = pid;
        dep++;
    }
    if (dep > r->max_depth) return too_deep(r);
    return push(r, v, dep);
}

static int extension(reader *r, int64_t code) {
    if (code <= 0) return fail(r, ACAR_ERR_MALFORMED, "EXT specifies code <= 0");
    acar_val *v = sparse_get(&r->ext, (uint64_t)code);
    if (!v) {
        const char *m, *n;
        size_t ml, nl;
        if (!r->opts->ext || r->opts->ext(r->opts->ctx, (int32_t)code, &m, &ml, &n, &nl) < 0)
            return fail(r, ACAR_ERR_UNRESOLVED, "unregistered extension code %lld", (long long)code);
        bool ascii;
        if (!m || !n || utf8_scan((const uint8_t *)m, ml, &ascii) < ml || utf8_scan((const uint8_t *)n, nl, &ascii) < nl)
            return fail(r, ACAR_ERR_ARG, "extension registry returned a name that is not UTF-8");
        v = new_global(r, m, ml, n, nl, NULL, NULL, false);
        bool added;
        if (!v || sparse_put(r, &r->ext, (uint64_t)code, v, &added) < 0) return -1;
    } else {
        acar__stored(v); /* the same code again gives the same node */
    }
    return push(r, v, 0);
}

static int next_buffer(reader *r) {
    if (!r->opts->buffers)
        return fail(r, ACAR_ERR_UNRESOLVED,
                    "pickle stream refers to out-of-band data but no *buffers* argument was given");
    if (r->next_buffer >= r->opts->nbuffers)
        return fail(r, ACAR_ERR_UNRESOLVED, "not enough out-of-band buffers");
    const acar_bytes *b = &r->opts->buffers[r->next_buffer];
    acar_buffer_body *body = acar__alloc(r->doc, sizeof *body);
    acar_val *v = body ? acar__node(r->doc, ACAR_TAG(ACAR_BUFFER, 0, 0)) : NULL;
    if (!v) return fail_doc(r);
    body->data = b->data;
    body->len = b->len;
    body->oob = (long)r->next_buffer++;
    v->u.p = body;
    return push(r, v, 0);
}

/* READONLY_BUFFER: a writable buffer becomes a read-only view of it. */
static int readonly_buffer(reader *r) {
    if (r->sp <= r->fence) return underflow(r);
    acar_val *v = r->stk[r->sp - 1];
    acar_type t = ACAR_TYPE(v);
    if (t == ACAR_BYTES || (t == ACAR_BUFFER && (ACAR_FLAGS(v) & ACAR_F_RO))) return 0;
    if (t != ACAR_BUFFER && t != ACAR_BYTEARRAY)
        return fail(r, ACAR_ERR_MALFORMED, "memoryview: a bytes-like object is required, not '%s'", tname(v));
    acar_buffer_body *body = acar__alloc(r->doc, sizeof *body);
    acar_val *ro = body ? acar__node(r->doc, ACAR_TAG(ACAR_BUFFER, ACAR_F_RO, 0)) : NULL;
    if (!ro) return fail_doc(r);
    if (t == ACAR_BUFFER) {
        *body = *(const acar_buffer_body *)v->u.p;
    } else {
        body->data = (const uint8_t *)v->u.s;
        body->len = ACAR_LEN(v);
        body->oob = -1;
    }
    ro->u.p = body;
    r->stk[r->sp - 1] = ro;
    return 0;
}

/* ====================================================================
 * The scanner's hook (src/safety/scan.h).  Only acar__pickle_read_hooked
 * sets r->hooks; each event is one test of it in an opcode that imports or
 * calls (GLOBAL, REDUCE, BUILD, ...), never in the paths of plain data.
 * Events fire where CPython would import or call: after the checks that
 * make CPython fail first, and for BUILD before the reader's own checks
 * (CPython calls __setstate__ whatever the reader then refuses).
 * ================================================================== */

static int emit(reader *r, acar_pev_kind kind, const uint8_t *op, const uint8_t *p, acar_val *a, acar_val *b,
                acar_val *c, int64_t code, size_t *skip) {
    acar_pickle_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.offset = (size_t)(op - r->data);
    ev.next = (size_t)(p - r->data);
    ev.a = a, ev.b = b, ev.c = c;
    ev.code = code;
    if (r->hooks->event(r->hooks->ctx, &ev) < 0)
        return fail(r, ACAR_ERR_REFUSED, "stopped by the scanner");
    if (skip) *skip = ev.skip;
    return 0;
}

/* After REDUCE/NEWOBJ/NEWOBJ_EX/OBJ/INST: the object on top says what was
 * called with what. */
static int emit_call(reader *r, acar_pev_kind kind, const uint8_t *op, const uint8_t *p) {
    acar_val *v = r->stk[r->sp - 1];
    if (ACAR_TYPE(v) != ACAR_OBJECT) return emit(r, kind, op, p, NULL, NULL, NULL, 0, NULL);
    const acar_object_body *b = v->u.p;
    if (kind == ACAR_PEV_INST && emit(r, ACAR_PEV_INST_GLOBAL, op, p, b->callable, NULL, NULL, 0, NULL) < 0)
        return -1;
    return emit(r, kind, op, p, b->callable, b->args, b->kwargs, 0, NULL);
}

/* BUILD with the hook: the event, the reader's BUILD, then the bytes the
 * hook asks to step over. */
static int build_hooked(reader *r, const uint8_t *op, const uint8_t **p) {
    size_t skip = 0;
    if (r->sp >= r->fence + 2 &&
        emit(r, ACAR_PEV_BUILD, op, *p, r->stk[r->sp - 2], r->stk[r->sp - 1], NULL, 0, &skip) < 0)
        return -1;
    if (do_build(r) < 0) return -1;
    if (skip > (size_t)(r->data + r->len - *p)) return truncated(r);
    *p += skip;
    return 0;
}

/* ====================================================================
 * The loop
 * ================================================================== */

static inline uint64_t le(const uint8_t *p, int n) {
    uint64_t x = 0;
    for (int i = 0; i < n; i++) x |= (uint64_t)p[i] << (8 * i);
    return x;
}

/* Written out so that compilers make one load and a byte swap of it. */
static inline uint64_t be64(const uint8_t *p) {
    return (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40 | (uint64_t)p[3] << 32 |
           (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 | (uint64_t)p[6] << 8 | (uint64_t)p[7];
}

static inline acar_val *new_float(reader *r, double d) {
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return shared_number(r, bits, 1);
}

/* Bytes left from p; the argument of n bytes fits? */
#define NEED(n) do { if ((uint64_t)(end - p) < (uint64_t)(n)) { truncated(r); goto fail; } } while (0)
#define TRY(e) do { if ((e) < 0) goto fail; } while (0)
#define PUSH(v, d) do { acar_val *v_ = (v); if (!v_) goto fail; if (r->sp == r->scap) TRY(stack_grow(r)); \
                        r->stk[r->sp] = v_; r->dep[r->sp] = (d); r->sp++; } while (0)
#define PUSH_DOC(v) do { acar_val *w_ = (v); if (!w_) { fail_doc(r); goto fail; } PUSH(w_, 0); } while (0)

/* The opcode loop's slow branch, taken at p when p reaches slow: at the
 * end of the input, at each opcode when max_ops is below the input's
 * length (slow stays the input's start then), else at each progress
 * report (at most len / 256 of them, which ops_left, at least len then,
 * outlasts).  The next slow, or NULL after failing.  Out of line, so that
 * the opcode loop keeps its registers. */
static NOINLINE const uint8_t *opcode_gate(reader *r, const uint8_t *p, const uint8_t *slow, size_t *ops_left) {
    const uint8_t *end = r->data + r->len;
    if (p == end) {
        fail(r, ACAR_ERR_TRUNCATED, "Ran out of input");
        return NULL;
    }
    if ((*ops_left)-- == 0) {
        fail(r, ACAR_ERR_LIMIT, "more than %zu opcodes (max_ops)", r->doc->limits.max_ops);
        return NULL;
    }
    acar__read_progress(r->doc, (size_t)(p - r->data));
    nums_review(r);
    return slow == r->data ? slow : acar__next_report(p, end, r->len);
}

/* Out of line on purpose: when gcc inlined it into its one caller, the
 * opcode loop read list(range(10**6)) 23% slower.  Its body starts 32
 * bytes past a 64-byte line (ACAR_LINE_ALIGNED, ACAR_SKIP_BYTES): at 0,
 * floats_1e5 was read 10% slower and apache_builds 5%. */
ACAR_LINE_ALIGNED static NOINLINE acar_val *run(reader *r) {
    ACAR_SKIP_BYTES(32);
    const uint8_t *p = r->data, *end = r->data + r->len;
    const uint8_t *op = p; /* the opcode being run, for the error offset */
    acar_doc *doc = r->doc;
    /* max_ops: an opcode takes at least one byte, so the count can only
     * pass max_ops when that is below the input's length, and only then
     * are opcodes counted, in the branch that finds the end of the input
     * (slow is the start of the input then).  A counter tested on every
     * opcode cost 6-10% of reading canada and citm_catalog at protocol 4;
     * this costs nothing measurable.  The same branch reports the read's
     * progress to the arena (acar__read_progress), at each opcode when
     * counting them, else every few KiB (slow is the next report then). */
    size_t ops_left = doc->limits.max_ops;
    const uint8_t *slow = ops_left < r->len ? p : acar__next_report(p, end, r->len);
    for (;;) {
        op = p;
        if (p >= slow && !(slow = opcode_gate(r, p, slow, &ops_left))) goto fail;
        uint8_t opc = *p++;
        switch (opc) {
        /* ---- scalars ---- */
        case ACAR_OP_NONE: PUSH(&doc->none, 0); break;
        case ACAR_OP_NEWTRUE: PUSH(&doc->true_, 0); break;
        case ACAR_OP_NEWFALSE: PUSH(&doc->false_, 0); break;
        case ACAR_OP_BININT1:
            NEED(1);
            PUSH_DOC(small_int(r, p[0]));
            p += 1;
            break;
        case ACAR_OP_BININT2:
            NEED(2);
            PUSH_DOC(new_int(r, (int64_t)le(p, 2)));
            p += 2;
            break;
        case ACAR_OP_BININT:
            NEED(4);
            PUSH_DOC(new_int(r, (int32_t)(uint32_t)le(p, 4)));
            p += 4;
            break;
        case ACAR_OP_LONG1:
        case ACAR_OP_LONG4: {
            int w = opc == ACAR_OP_LONG1 ? 1 : 4;
            NEED(w);
            int64_t n = w == 1 ? p[0] : (int32_t)(uint32_t)le(p, 4);
            p += w;
            if (n < 0) { fail(r, ACAR_ERR_MALFORMED, "LONG pickle has negative byte count"); goto fail; }
            NEED(n);
            PUSH_DOC(new_int_le(r, p, (size_t)n));
            p += n;
            break;
        }
        case ACAR_OP_INT: {
            const uint8_t *s = NULL;
            size_t n = 0;
            TRY(read_line(r, &p, &s, &n));
            if (n == 0) { fail(r, ACAR_ERR_MALFORMED, "INT argument is an empty line"); goto fail; }
            size_t k = c_len(s, n);
            int64_t x;
            bool overflow;
            size_t stop = c_strtol(s, k, &x, &overflow);
            if (!overflow && stop == k) {
                if (n == 2 && (x == 0 || x == 1)) PUSH(x ? &doc->true_ : &doc->false_, 0);
                else PUSH_DOC(new_int(r, x));
                break;
            }
            pyint pi;
            if (pyint_scan(s, k, 0, &pi) < 0) { fail(r, ACAR_ERR_MALFORMED, "could not convert string to int"); goto fail; }
            PUSH(pyint_node(r, &pi), 0);
            break;
        }
        case ACAR_OP_LONG: {
            const uint8_t *s = NULL;
            size_t n = 0;
            TRY(read_line(r, &p, &s, &n));
            if (n == 0) { fail(r, ACAR_ERR_MALFORMED, "LONG argument is an empty line"); goto fail; }
            size_t k = c_len(s, n);
            if (s[n - 1] == 'L' && k > n - 1) k = n - 1;
            pyint pi;
            if (pyint_scan(s, k, 0, &pi) < 0) {
                fail(r, ACAR_ERR_MALFORMED, "invalid literal for int(): '%.*s'", (int)(k < 40 ? k : 40), s);
                goto fail;
            }
            PUSH(pyint_node(r, &pi), 0);
            break;
        }
        case ACAR_OP_FLOAT: {
            const uint8_t *s = NULL;
            size_t n = 0;
            TRY(read_line(r, &p, &s, &n));
            if (n == 0) { fail(r, ACAR_ERR_MALFORMED, "FLOAT argument is an empty line"); goto fail; }
            size_t k = c_len(s, n);
            double d;
            if (acar_num_parse_double((const char *)s, k, ACAR_NUM_ALLOW_SPECIAL | ACAR_NUM_ALLOW_LEADING_DOT, &d) < 0) {
                fail(r, ACAR_ERR_MALFORMED, "could not convert string to float: '%.*s'", (int)(k < 40 ? k : 40), s);
                goto fail;
            }
            if (isinf(d)) {
                size_t i = 0;
                while (i < k && (s[i] == '+' || s[i] == '-')) i++;
                if (i == k || (s[i] != 'i' && s[i] != 'I')) {
                    fail(r, ACAR_ERR_MALFORMED, "value too large to convert to float: '%.*s'", (int)(k < 40 ? k : 40), s);
                    goto fail;
                }
            }
            PUSH_DOC(new_float(r, d));
            break;
        }
        case ACAR_OP_BINFLOAT: {
            NEED(8);
            uint64_t bits = be64(p);
            double d;
            memcpy(&d, &bits, 8);
            PUSH_DOC(new_float(r, d));
            p += 8;
            break;
        }

        /* ---- text and bytes ---- */
        case ACAR_OP_SHORT_BINUNICODE: {
            /* The most common opcode of all: short ASCII str inline. */
            NEED(1);
            size_t n = p[0];
            p += 1;
            NEED(n);
            if (short_ascii(p, n, (size_t)(end - p))) PUSH(new_text(r, ACAR_STR, p, n, ACAR_F_ASCII, borrowing(r)), 0);
            else PUSH(new_str_utf8(r, p, n), 0);
            p += n;
            break;
        }
        case ACAR_OP_BINUNICODE:
        case ACAR_OP_BINUNICODE8: {
            int w = opc == ACAR_OP_BINUNICODE ? 4 : 8;
            NEED(w);
            uint64_t n = le(p, w);
            p += w;
            NEED(n);
            PUSH(new_str_utf8(r, p, (size_t)n), 0);
            p += n;
            break;
        }
        case ACAR_OP_SHORT_BINBYTES:
        case ACAR_OP_BINBYTES:
        case ACAR_OP_BINBYTES8:
        case ACAR_OP_BYTEARRAY8: {
            int w = opc == ACAR_OP_SHORT_BINBYTES ? 1 : opc == ACAR_OP_BINBYTES ? 4 : 8;
            NEED(w);
            uint64_t n = le(p, w);
            p += w;
            NEED(n);
            if (opc == ACAR_OP_BYTEARRAY8) PUSH(new_text(r, ACAR_BYTEARRAY, p, (size_t)n, 0, false), 0);
            else PUSH(new_text(r, ACAR_BYTES, p, (size_t)n, 0, borrowing(r)), 0);
            p += n;
            break;
        }
        case ACAR_OP_SHORT_BINSTRING:
        case ACAR_OP_BINSTRING: {
            int w = opc == ACAR_OP_SHORT_BINSTRING ? 1 : 4;
            NEED(w);
            uint64_t n = le(p, w);
            p += w;
            NEED(n);
            PUSH(new_py2str(r, p, (size_t)n, borrowing(r)), 0);
            p += n;
            break;
        }
        case ACAR_OP_STRING: {
            const uint8_t *s = NULL;
            size_t n = 0, k = 0;
            TRY(read_line(r, &p, &s, &n));
            if (n < 2 || s[0] != s[n - 1] || (s[0] != '\'' && s[0] != '"')) {
                fail(r, ACAR_ERR_MALFORMED, "the STRING opcode argument must be quoted");
                goto fail;
            }
            TRY(decode_escapes(r, s + 1, n - 2, &k));
            PUSH(new_py2str(r, r->tmp, k, false), 0);
            break;
        }
        case ACAR_OP_UNICODE: {
            const uint8_t *s = NULL;
            size_t n = 0;
            TRY(read_line(r, &p, &s, &n));
            PUSH(decode_raw_unicode(r, s, n), 0);
            break;
        }

        /* ---- containers ---- */
        case ACAR_OP_EMPTY_TUPLE: PUSH(tuple_of(r, 0, 0), 1); break;
        case ACAR_OP_TUPLE1:
        case ACAR_OP_TUPLE2:
        case ACAR_OP_TUPLE3: {
            size_t n = (size_t)(opc - ACAR_OP_TUPLE1) + 1;
            if (r->sp < n || r->sp - n < r->fence) { underflow(r); goto fail; }
            size_t start = r->sp - n;
            uint32_t d = depth_of(r, start, n);
            if (d > r->max_depth) { too_deep(r); goto fail; }
            acar_val *t = tuple_of(r, start, n);
            if (!t) goto fail;
            r->sp = start;
            PUSH(t, d);
            break;
        }
        case ACAR_OP_EMPTY_LIST: PUSH(new_seq(r, ACAR_LIST, 0, 0), 1); break;
        case ACAR_OP_EMPTY_DICT: PUSH(new_map(r, ACAR_DICT), 1); break;
        case ACAR_OP_EMPTY_SET: PUSH(new_map(r, ACAR_SET), 1); break;
        case ACAR_OP_TUPLE:
        case ACAR_OP_LIST:
        case ACAR_OP_DICT:
        case ACAR_OP_FROZENSET:
            TRY(build_from_mark(r, opc, &p));
            break;
        case ACAR_OP_OBJ:
        case ACAR_OP_INST:
            TRY(build_from_mark(r, opc, &p));
            if (r->hooks) TRY(emit_call(r, opc == ACAR_OP_OBJ ? ACAR_PEV_OBJ : ACAR_PEV_INST, op, p));
            break;
        case ACAR_OP_APPEND:
            if (r->sp < 2 || r->sp - 1 <= r->fence) { underflow(r); goto fail; }
            TRY(do_append(r, r->sp - 1));
            break;
        case ACAR_OP_APPENDS: {
            size_t mark;
            TRY(pop_mark(r, &mark));
            TRY(do_append(r, mark));
            break;
        }
        case ACAR_OP_SETITEM:
            if (r->sp < 2) { underflow(r); goto fail; }
            TRY(do_setitems(r, r->sp - 2));
            break;
        case ACAR_OP_SETITEMS: {
            size_t mark;
            TRY(pop_mark(r, &mark));
            TRY(do_setitems(r, mark));
            break;
        }
        case ACAR_OP_ADDITEMS: {
            size_t mark;
            TRY(pop_mark(r, &mark));
            TRY(do_additems(r, mark));
            break;
        }

        /* ---- stack ---- */
        case ACAR_OP_MARK: TRY(push_mark(r)); break;
        case ACAR_OP_POP:
            if (r->nmarks && r->marks[r->nmarks - 1] == r->sp) {
                size_t m;
                TRY(pop_mark(r, &m));
            } else if (r->sp <= r->fence) {
                underflow(r);
                goto fail;
            } else {
                r->sp--;
            }
            break;
        case ACAR_OP_POP_MARK: {
            size_t mark;
            TRY(pop_mark(r, &mark));
            r->sp = mark;
            break;
        }
        case ACAR_OP_DUP:
            if (r->sp <= r->fence) { underflow(r); goto fail; }
            if (acar__byval(r->stk[r->sp - 1])) TRY(own_top(r));
            acar__stored(r->stk[r->sp - 1]);
            PUSH(r->stk[r->sp - 1], r->dep[r->sp - 1]);
            break;

        /* ---- memo ---- */
        case ACAR_OP_BINPUT:
            NEED(1);
            p += 1;
            TRY(memo_put_fast(r, p[-1]));
            break;
        case ACAR_OP_LONG_BINPUT:
            NEED(4);
            p += 4;
            TRY(memo_put_fast(r, le(p - 4, 4)));
            break;
        case ACAR_OP_MEMOIZE:
            TRY(memo_put_fast(r, r->memo_count));
            break;
        case ACAR_OP_BINGET:
            NEED(1);
            p += 1;
            TRY(memo_push_fast(r, p[-1]));
            break;
        case ACAR_OP_LONG_BINGET:
            NEED(4);
            p += 4;
            TRY(memo_push_fast(r, le(p - 4, 4)));
            break;
        case ACAR_OP_PUT:
        case ACAR_OP_GET: {
            const uint8_t *s = NULL;
            size_t n = 0;
            TRY(read_line(r, &p, &s, &n));
            if (n == 0) { fail(r, ACAR_ERR_MALFORMED, "%s argument is an empty line", opc == ACAR_OP_PUT ? "PUT" : "GET"); goto fail; }
            if (opc == ACAR_OP_PUT && r->sp <= r->fence) { underflow(r); goto fail; }
            size_t k = c_len(s, n);
            pyint pi;
            int64_t idx;
            if (pyint_scan(s, k, 10, &pi) < 0) {
                fail(r, ACAR_ERR_MALFORMED, "invalid literal for int() with base 10: '%.*s'", (int)(k < 40 ? k : 40), s);
                goto fail;
            }
            if (pi.ndigits > doc->limits.max_int_digits) {
                fail(r, ACAR_ERR_LIMIT, "Exceeds the limit (%zu digits) for integer string conversion (max_int_digits)",
                     doc->limits.max_int_digits);
                goto fail;
            }
            if (!pyint_small(&pi, &idx)) { fail(r, ACAR_ERR_MALFORMED, "Python int too large to convert to C ssize_t"); goto fail; }
            if (opc == ACAR_OP_PUT) {
                if (idx < 0) { fail(r, ACAR_ERR_MALFORMED, "negative PUT argument"); goto fail; }
                TRY(memo_put_top(r, (uint64_t)idx));
            } else {
                TRY(memo_push(r, idx < 0 ? (uint64_t)0 - (uint64_t)idx : (uint64_t)idx, idx < 0));
            }
            break;
        }

        /* ---- globals and objects ---- */
        case ACAR_OP_GLOBAL:
            PUSH(global_from_lines(r, &p, false), 0);
            if (r->hooks) TRY(emit(r, ACAR_PEV_GLOBAL, op, p, r->stk[r->sp - 1], NULL, NULL, 0, NULL));
            break;
        case ACAR_OP_STACK_GLOBAL: {
            if (r->sp < r->fence + 2) { underflow(r); goto fail; }
            acar_val *m = r->stk[r->sp - 2], *n = r->stk[r->sp - 1];
            if (ACAR_TYPE(m) != ACAR_STR || ACAR_TYPE(n) != ACAR_STR) {
                fail(r, ACAR_ERR_MALFORMED, "STACK_GLOBAL requires str");
                goto fail;
            }
            acar_val *g = new_global(r, m->u.s, ACAR_LEN(m), n->u.s, ACAR_LEN(n), m, n, false);
            if (!g) goto fail;
            r->sp -= 2;
            PUSH(g, 0);
            if (r->hooks) TRY(emit(r, ACAR_PEV_STACK_GLOBAL, op, p, g, NULL, NULL, 0, NULL));
            break;
        }
        case ACAR_OP_REDUCE:
            TRY(do_reduce(r, ACAR_BUILD_REDUCE));
            if (r->hooks) TRY(emit_call(r, ACAR_PEV_REDUCE, op, p));
            break;
        case ACAR_OP_NEWOBJ:
            TRY(do_reduce(r, ACAR_BUILD_NEWOBJ));
            if (r->hooks) TRY(emit_call(r, ACAR_PEV_NEWOBJ, op, p));
            break;
        case ACAR_OP_NEWOBJ_EX:
            TRY(do_reduce(r, ACAR_BUILD_NEWOBJ_EX));
            if (r->hooks) TRY(emit_call(r, ACAR_PEV_NEWOBJ_EX, op, p));
            break;
        case ACAR_OP_BUILD:
            if (r->hooks) TRY(build_hooked(r, op, &p));
            else TRY(do_build(r));
            break;
        case ACAR_OP_EXT1:
            NEED(1);
            p += 1;
            TRY(extension(r, p[-1]));
            if (r->hooks) TRY(emit(r, ACAR_PEV_EXT, op, p, r->stk[r->sp - 1], NULL, NULL, p[-1], NULL));
            break;
        case ACAR_OP_EXT2:
            NEED(2);
            p += 2;
            TRY(extension(r, (int64_t)le(p - 2, 2)));
            if (r->hooks) TRY(emit(r, ACAR_PEV_EXT, op, p, r->stk[r->sp - 1], NULL, NULL, (int64_t)le(p - 2, 2), NULL));
            break;
        case ACAR_OP_EXT4:
            NEED(4);
            p += 4;
            TRY(extension(r, (int32_t)(uint32_t)le(p - 4, 4)));
            if (r->hooks)
                TRY(emit(r, ACAR_PEV_EXT, op, p, r->stk[r->sp - 1], NULL, NULL, (int32_t)(uint32_t)le(p - 4, 4), NULL));
            break;
        case ACAR_OP_PERSID: {
            const uint8_t *s = NULL;
            size_t n = 0;
            TRY(read_line(r, &p, &s, &n));
            for (size_t i = 0; i < n; i++)
                if (s[i] >= 0x80) {
                    fail(r, ACAR_ERR_MALFORMED, "persistent IDs in protocol 0 must be ASCII strings");
                    goto fail;
                }
            acar_val *pid = new_text(r, ACAR_STR, s, n, ACAR_F_ASCII, borrowing(r));
            if (!pid) goto fail;
            TRY(persistent(r, pid, 0));
            if (r->hooks) TRY(emit(r, ACAR_PEV_PERSID, op, p, pid, NULL, NULL, 0, NULL));
            break;
        }
        case ACAR_OP_BINPERSID: {
            if (r->sp <= r->fence) { underflow(r); goto fail; }
            r->sp--;
            acar_val *pid = r->stk[r->sp];
            TRY(persistent(r, pid, r->dep[r->sp]));
            if (r->hooks) TRY(emit(r, ACAR_PEV_PERSID, op, p, pid, NULL, NULL, 0, NULL));
            break;
        }
        case ACAR_OP_NEXT_BUFFER: TRY(next_buffer(r)); break;
        case ACAR_OP_READONLY_BUFFER: TRY(readonly_buffer(r)); break;

        /* ---- framing and the end ---- */
        case ACAR_OP_PROTO:
            NEED(1);
            if (p[0] > ACAR_PICKLE_HIGHEST_PROTOCOL) {
                fail(r, ACAR_ERR_UNSUPPORTED, "unsupported pickle protocol: %d", p[0]);
                goto fail;
            }
            r->proto = p[0];
            p += 1;
            break;
        case ACAR_OP_FRAME: {
            NEED(8);
            uint64_t n = le(p, 8);
            p += 8;
            NEED(n);
            break;
        }
        case ACAR_OP_STOP:
            if (r->sp <= r->fence) { underflow(r); goto fail; }
            r->opts->consumed = (size_t)(p - r->data);
            r->opts->protocol = r->proto;
            /* pickle.loads ignores what follows STOP; NO_TRAILING does not. */
            if (p != end && (r->flags & ACAR_READ_NO_TRAILING)) {
                op = p;
                fail(r, ACAR_ERR_MALFORMED, "%zu bytes of trailing data after STOP", (size_t)(end - p));
                goto fail;
            }
            /* a list of full batches only (list(range(10**6))) is done too */
            if (r->batched && acar__list_extend(r->doc, r->batched, NULL, 0, true) < 0) {
                fail_doc(r);
                goto fail;
            }
            return r->stk[r->sp - 1];

        default:
            if (opc >= 0x20 && opc <= 0x7e && opc != '\'' && opc != '\\')
                fail(r, ACAR_ERR_MALFORMED, "invalid load key, '%c'.", opc);
            else
                fail(r, ACAR_ERR_MALFORMED, "invalid load key, '\\x%02x'.", opc);
            goto fail;
        }
    }
fail:
    if (r->err) r->err->offset = (size_t)(op - r->data);
    return NULL;
}

acar_val *acar__pickle_read(acar_doc *doc, const uint8_t *data, size_t len, acar_read_opts *opts,
                            acar_err *err) {
    return acar__pickle_read_hooked(doc, data, len, opts, NULL, err);
}

/* The scanner's entry (safety/scan.h): the same read, with events. */
acar_val *acar__pickle_read_hooked(acar_doc *doc, const uint8_t *data, size_t len, acar_read_opts *opts,
                                   const acar_pickle_hooks *hooks, acar_err *err) {
    if (len > doc->limits.max_input) {
        /* acar_read refuses it first; the scanner comes here directly */
        acar__err_set(err, ACAR_ERR_LIMIT, doc->limits.max_input,
                      "input of %zu bytes is longer than %zu bytes (max_input)", len, doc->limits.max_input);
        return NULL;
    }
    reader rd;
    reader *r = &rd;
    memset(r, 0, offsetof(reader, small));
    r->hcache.ready = false; /* the cache itself is cleared on first use */
    memset(r->shapes.used, 0, sizeof r->shapes.used);
    r->doc = doc;
    r->data = data;
    r->len = len;
    r->opts = opts;
    r->err = err;
    r->hooks = hooks && hooks->event ? hooks : NULL;
    r->flags = opts->flags;
    r->max_depth = doc->limits.max_depth;
    r->max_memo = doc->limits.max_memo;
    r->stk = r->stk0;
    r->dep = r->dep0;
    r->scap = r->stk_cap = r->dep_cap = STACK0;
    r->marks = r->marks0;
    r->mcap = MARKS0;
    r->memo = r->memo0; /* with mcap_memo 0: memo_put clears it as it fills */
    memo_fast_update(r);

    acar_val *v = run(r);

    if (r->stk != r->stk0) scratch_free(r, r->stk, r->stk_cap * sizeof *r->stk);
    if (r->dep != r->dep0) scratch_free(r, r->dep, r->dep_cap * sizeof *r->dep);
    if (r->memo != r->memo0) scratch_free(r, r->memo, r->mcap_memo * sizeof *r->memo);
    if (r->marks != r->marks0) scratch_free(r, r->marks, r->mcap * sizeof *r->marks);
    sparse_free(r, &r->far);
    sparse_free(r, &r->ext);
    scratch_free(r, r->tmp, r->tmp_cap);
    return v;
}
