/*
 * write.c -- the pickle writer: a value graph to the bytes CPython 3.11's C
 * pickler (Modules/_pickle.c, pickle.dumps(obj, protocol=N), fix_imports)
 * writes for the same objects, protocols 0 to 5.
 *
 * A pickle is a program for a stack machine (opcodes.h).  Every value is
 * saved as CPython's save() does it:
 *   - None, bools, ints and floats are written in place and never memoized;
 *   - everything else is looked up in the memo first (a GET when found) and
 *     memoized when written (PUT / BINPUT / LONG_BINPUT, MEMOIZE at 4+).
 *     CPython memoizes by id(); acar by node pointer, with three additions
 *     that mirror CPython object identity: globals are the same object
 *     whenever their module and name are, so they are memoized by (module,
 *     name); the module and name strings STACK_GLOBAL saves are interned in
 *     CPython, so they are memoized by value among themselves; and the
 *     one-character str CPython makes itself (the latin-1 text of a one-byte
 *     bytes before protocol 3, the last part of a dotted name) is always its
 *     latin-1 singleton, memoized by value among themselves and shared with
 *     the data str of that character that is the singleton too: the one
 *     marked ACAR_F_SINGLETON where the value model defines that flag, else
 *     the first one met (loads() gives singletons; an interned 'a' is another
 *     object, but rarer in data).  Data nodes never merge with each other by
 *     value: node identity is the caller's (and a reader's) to give, as
 *     object identity is in Python.  Other objects CPython creates while
 *     saving (the list inside builtins.set(list), args tuples) take a memo
 *     index that nothing ever refers to again.
 *   - containers go out as CPython batches them: MARK ... APPENDS/SETITEMS/
 *     ADDITEMS by 1000 (an exact list or dict of one item: APPEND/SETITEM;
 *     an exact dict or a set whose size is a multiple of 1000 ends with an
 *     empty MARK SETITEMS/ADDITEMS; reduce list/dict items batch as
 *     _pickle.c batch_list/batch_dict do), tuples as TUPLE1-3 or MARK TUPLE,
 *     and a tuple met again inside itself is popped (POP / POP_MARK) and
 *     fetched from the memo.
 *   - types without an opcode at the protocol are written as CPython's
 *     save_reduce would: bytes before 3 as _codecs.encode(str, 'latin1') or
 *     builtins.bytes(), bytearray before 5 as builtins.bytearray(bytes),
 *     datetime.datetime(state bytes) for naive datetimes,
 *     sets before 4 as builtins.set(list), complex as builtins.complex(re,
 *     im); Python 2 names for protocols < 3 through compat.h.
 *   - objects are written as the reduce tuple they came from: REDUCE, NEWOBJ
 *     (copyreg.__newobj__ REDUCE before protocol 2), NEWOBJ_EX
 *     (functools.partial(cls.__new__, ...) at 2-3, copyreg.__newobj_ex__
 *     before 2), INST/OBJ as Python 2 wrote them (INST at protocol 0 when the
 *     class is a global, else OBJ); then memoized, then list items, dict
 *     items and BUILD state.
 * Protocol 4+ output is cut into FRAMEs exactly where _pickle.c cuts it:
 * a frame closes at the first save() that finds 64 KiB or more in it, a
 * frame under 4 bytes loses its header, and a str/bytes/bytearray payload of
 * 64 KiB or more goes out between frames.
 *
 * Nesting is walked with an explicit stack of frames (no recursion on the
 * depth of the value); the output goes through a local cursor into the
 * caller's acar_buf, with a scratch area taking the writes once an
 * allocation has failed (sticky; reported once at the end).
 */
#include "core/internal.h"
#include "num/num.h"
#include "pickle/compat.h"
#include "pickle/opcodes.h"

#include <stddef.h>
#include <stdlib.h>

#define BATCHSIZE ACAR_PICKLE_BATCH
#define FRAME_HEADER 9
#define FRAME_MIN 4
#define FRAME_TARGET ((size_t)ACAR_PICKLE_FRAME_TARGET)
#define NO_FRAME SIZE_MAX
#define MEMO_MAX 0xffffffffu
#define NEED_MAX 512

/* ---- frames of the explicit stack ---- */

enum {
    F_BATCH,  /* list/dict/set items in batches */
    F_SPLIT,  /* a split dict's pairs, one batch (step_split) */
    F_TUPLE,  /* items, then the closing f->open names (CL_*) */
    F_SETRED, /* builtins.set(list) / builtins.frozenset(list): closes after the list */
    F_OBJ,    /* an object, phase by phase */
    F_PERSID  /* the pid, then BINPERSID */
};

/* Batching styles, one per _pickle.c loop. */
enum {
    ST_P0,         /* protocol 0: APPEND / SETITEM after each item */
    ST_EXACT_LIST, /* batch_list_exact */
    ST_EXACT_DICT, /* batch_dict_exact (trailing empty batch) */
    ST_SET,        /* save_set, protocol 4+ (trailing empty batch) */
    ST_GENERIC     /* batch_list / batch_dict on an iterator */
};

/* Closings of F_TUPLE. */
enum { CL_NONE, CL_TUPLE, CL_FROZENSET };

/* How an object is written (see push_object). */
enum {
    M_REDUCE, M_NEWOBJ, M_NEWOBJ_SLICE, M_NEWOBJ_REDUCE, M_NEWOBJEX, M_NEWOBJEX_REDUCE,
    M_PARTIAL, M_INST, M_OBJ
};

typedef struct wframe {
    const acar_val *v;      /* the node saved (memo key), NULL when CPython's object is fresh */
    acar_val *const *items; /* elements still to save */
    acar_val *const *vals;  /* F_SPLIT: the values (items: the table's keys) */
    size_t n;               /* elements */
    size_t j;               /* next element */
    size_t end;             /* batch: end of the open batch; tuple: its length */
    const acar_val *cls, *args, *kwargs; /* objects */
    uint32_t last;          /* batch: units in the last batch */
    uint8_t kind;
    uint8_t phase;
    uint8_t style;          /* batch style, tuple uses-MARK flag, object mode */
    uint8_t op1, opn;       /* batch: opcode after one unit / after a MARKed batch */
    uint8_t op;             /* batch: the one that closes the open batch */
    uint8_t stride;         /* batch: 1 item or 2 (key, value) */
    uint8_t open;           /* batch: a batch is open; tuple: closing kind */
    uint8_t started;        /* batch: a batch was opened before */
    uint8_t deep;           /* counts toward max_depth */
} wframe;

/* Value-keyed memo entries: globals by (module, name), strings by text. */
enum { VK_EMPTY, VK_GLOBAL, VK_STR, VK_STR_FN, VK_FRESH };

typedef struct ventry {
    const char *a, *b;
    size_t alen, blen;
    uint64_t hash;
    uint32_t idx;
    uint8_t kind;
} ventry;

typedef struct tmpblock {
    struct tmpblock *next;
    char data[];
} tmpblock;

/* Memo slots in the writer itself: its first table, as big as the first
 * one from the heap was.  With 32, the one more growth wrote the 7 KB
 * twitter_api_compact_response pickles 6-10% slower; the 2 KiB this clears
 * at the first memoized value cost {'a': 1} 15 ns (76 -> 91 ns). */
#define MEMO0W 256
#define ST0W 16   /* frames in the writer itself */
#define KIDX 64   /* key tables whose memo indexes the writer keeps */
#define KPOOL 1024 /* memo indexes of their keys the writer holds in itself */

typedef struct W {
    uint8_t *p, *end, *base;  /* output cursor over out->buf (or scratch after failure) */
    acar_out *out;
    size_t frame_start;       /* offset of the open frame's header, or NO_FRAME */
    size_t fcut;              /* offset from which the next save() closes the frame, or SIZE_MAX */
    bool framing;             /* protocol 4+ */
    bool need_frame;          /* the next write opens a frame */
    bool failed;              /* an output allocation failed */
    bool fix_imports;
    int proto;
    acar_err *err;
    bool errored;
    size_t depth, max_depth, max_digits, max_output;
    /* memo by node pointer: open addressing, linear probing */
    const void **mkeys;
    uint32_t *mvals;
    size_t mcap, mcount;
    unsigned mshift;
    uint64_t memo_n;          /* memo entries written so far (the next index) */
    /* memo by value */
    ventry *vt;
    size_t vcap, vcount;
    /* CPython's one-character (256: empty) str and one-byte (ACAR_F_SINGLETON;
     * 256: empty) bytes: a bit each when s1[] / b1[] holds its index + 1
     * (s1_get, b1_get), and when a data node took the str singleton of
     * that character (s1_data) */
    uint64_t s1_set[5], b1_set[5], s1_data[5];
    /* the stack */
    wframe *st;
    size_t sp, scap;
    uint64_t kidx_used;       /* slots of kidx[] in use */
    size_t kpool_used;        /* of kpool[] */
    tmpblock *tmp;
    const acar_val *root;     /* always in the table (see sole()) */

    /* Not cleared on entry (a small write then allocates nothing but its
     * output and clears a few hundred bytes: allocating and clearing this
     * writer, its memo and its stack was two thirds of writing {'a': 1}):
     * the tables of singletons, valid where their bits say, */
    uint32_t s1[257];
    uint32_t b1[257];
    /* and the memo's and the stack's first blocks (memo_grow, push): */
    const void *mkeys0[MEMO0W];
    uint32_t mvals0[MEMO0W];
    wframe st0[ST0W];
    uint8_t scratch[2 * NEED_MAX];
    /* the memo indexes of the keys of a split dict's table, once every
     * key of it is memoized: the next dicts of its shape write their keys
     * as GETs without a memo lookup each (key_indexes) */
    struct {
        const acar_keys *keys;
        uint32_t *idx;
    } kidx[KIDX];
    /* where kidx[]'s arrays come from while they fit (a malloc and a free
     * each cost the 7 KB twitter_api pickles' writes 5-10%) */
    uint32_t kpool[KPOOL];
} W;

/* The memo index + 1 of singleton c (0 to 256), or 0. */
static inline uint32_t s1_get(const W *w, int c) { return acar__bit_get(w->s1_set, (size_t)c) ? w->s1[c] : 0; }
static inline uint32_t b1_get(const W *w, int c) { return acar__bit_get(w->b1_set, (size_t)c) ? w->b1[c] : 0; }
static inline void s1_put(W *w, int c, uint32_t idx1) { w->s1[c] = idx1; acar__bit_set(w->s1_set, (size_t)c); }
static inline void b1_put(W *w, int c, uint32_t idx1) { w->b1[c] = idx1; acar__bit_set(w->b1_set, (size_t)c); }

/* ---- errors ---- */

static int fail(W *w, acar_code code, const char *fmt, ...) {
    if (!w->errored) {
        va_list ap;
        va_start(ap, fmt);
        acar__err_vset(w->err, code, 0, fmt, ap);
        va_end(ap);
        w->errored = true;
    }
    return -1;
}

static int nomem(W *w) { return fail(w, ACAR_ERR_NOMEM, "out of memory writing pickle"); }

/* ---- output ---- */

/* Makes room for n bytes at the cursor.  After a failed allocation the
 * cursor moves to the scratch area (writes of up to sizeof scratch bytes
 * stay harmless) and false is returned. */
static bool w_grow(W *w, size_t n) {
    if (!w->failed) {
        acar_buf *b = w->out->buf;
        if (w->base) b->len = (size_t)(w->p - w->base); /* else nothing written yet */
        if (acar__out_reserve(w->out, n)) {
            w->base = (uint8_t *)b->data;
            w->p = w->base + b->len;
            w->end = w->base + b->cap;
            return true;
        }
        w->failed = true;
    }
    w->base = w->p = w->scratch;
    w->end = w->scratch + sizeof w->scratch;
    return n <= sizeof w->scratch;
}

static void open_frame(W *w);

/* Room for n <= NEED_MAX bytes at the cursor, opening a frame when one is
 * due.  (After a failed allocation the scratch area takes them.) */
static inline uint8_t *need(W *w, size_t n) {
    if (w->need_frame) open_frame(w);
    if ((size_t)(w->end - w->p) < n) (void)w_grow(w, n);
    return w->p;
}

static inline void put1(W *w, uint8_t op) {
    uint8_t *q = need(w, 1);
    *q = op;
    w->p = q + 1;
}

static inline void put2(W *w, uint8_t a, uint8_t b) {
    uint8_t *q = need(w, 2);
    q[0] = a;
    q[1] = b;
    w->p = q + 2;
}

/* Bytes of any length, inside the current frame (need() was called). */
static void w_raw(W *w, const void *s, size_t n) {
    if ((size_t)(w->end - w->p) < n && !w_grow(w, n)) return;
    if (n) memcpy(w->p, s, n);
    w->p += n;
}

static void w_bytes(W *w, const void *s, size_t n) {
    if (w->need_frame) open_frame(w);
    w_raw(w, s, n);
}

static inline void le32(uint8_t *q, uint32_t x) {
    q[0] = (uint8_t)x;
    q[1] = (uint8_t)(x >> 8);
    q[2] = (uint8_t)(x >> 16);
    q[3] = (uint8_t)(x >> 24);
}

static inline void le64(uint8_t *q, uint64_t x) {
    for (int i = 0; i < 8; i++) q[i] = (uint8_t)(x >> (8 * i));
}

/* A double as BINFLOAT stores it: IEEE 754 big-endian.  One bswap where the
 * compiler offers it (the byte loop was 40% of writing a list of floats). */
static inline void be_double(uint8_t *q, double d) {
    uint64_t bits;
    memcpy(&bits, &d, 8);
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    bits = __builtin_bswap64(bits);
    memcpy(q, &bits, 8);
#else
    for (int i = 0; i < 8; i++) q[i] = (uint8_t)(bits >> (56 - 8 * i));
#endif
}

/* ---- framing (protocol 4+), as _pickle.c's _Pickler_CommitFrame etc. ---- */

static void open_frame(W *w) {
    w->need_frame = false;
    if ((size_t)(w->end - w->p) < FRAME_HEADER + 64) (void)w_grow(w, FRAME_HEADER + 64);
    w->frame_start = (size_t)(w->p - w->base);
    w->fcut = w->frame_start + FRAME_HEADER + FRAME_TARGET;
    w->p += FRAME_HEADER;
}

static void commit_frame(W *w) {
    if (w->frame_start == NO_FRAME) return;
    if (!w->failed) {
        uint8_t *h = w->base + w->frame_start;
        size_t len = (size_t)(w->p - h) - FRAME_HEADER;
        if (len >= FRAME_MIN) {
            h[0] = ACAR_OP_FRAME;
            le64(h + 1, len);
        } else {
            memmove(h, h + FRAME_HEADER, len);
            w->p -= FRAME_HEADER;
        }
    }
    w->frame_start = NO_FRAME;
    w->fcut = SIZE_MAX;
    w->need_frame = w->framing;
}

/* _Pickler_OpcodeBoundary: called where CPython's save() starts. */
static inline void boundary(W *w) {
    if ((size_t)(w->p - w->base) >= w->fcut) commit_frame(w);
}

/* _Pickler_write_bytes: a header and a payload, the payload outside any
 * frame when it is 64 KiB or more. */
static void write_blob(W *w, const uint8_t *hdr, size_t hlen, const void *data, size_t n) {
    bool bypass = w->framing && n >= FRAME_TARGET;
    if (bypass) {
        commit_frame(w);
        w->need_frame = false;
    }
    uint8_t *q = need(w, hlen);
    memcpy(q, hdr, hlen);
    w->p = q + hlen;
    w_raw(w, data, n);
    if (bypass) w->need_frame = true;
}

/* ---- decimal text ---- */

static void put_dec_line(W *w, uint8_t op, int64_t x) {
    uint8_t *q = need(w, 24);
    q[0] = op;
    size_t n = acar_num_i64_to_dec(x, (char *)q + 1);
    q[1 + n] = '\n';
    w->p = q + n + 2;
}

/* ---- memo by pointer ---- */

/* ACAR_F_SOLE (when the value model defines it) marks a node that exactly
 * one place in its document refers to: the writer meets it once, so it is
 * memoized (a PUT is still written) without entering the table.  The root
 * can be met again through a cycle: it always goes in.  This keeps the
 * table to the shared nodes: on random.json (18,000 memo entries, a few
 * hundred shared) the writer then takes 0.25 ms instead of 1.2 ms, most of
 * the difference being the kernel's page faults for a table it no longer
 * allocates. */
#define SLOT_SOLE (SIZE_MAX - 1)

static inline bool sole(const W *w, const void *key) {
#ifdef ACAR_F_SOLE
    return (ACAR_FLAGS((const acar_val *)key) & ACAR_F_SOLE) && key != w->root;
#else
    (void)w;
    (void)key;
    return false;
#endif
}

static inline size_t mslot(const W *w, const void *key) {
    /* Nodes are 8-byte aligned and the arena hands them out in about the
     * order a writer meets them, so neighbouring keys go to neighbouring
     * slots: the probes walk memory in order instead of missing the cache
     * at random.  The high bits are folded in so that blocks of the arena a
     * table-size apart do not collide. */
    uintptr_t k = (uintptr_t)key >> 3;
    return (size_t)(k ^ (k >> w->mshift)) & (w->mcap - 1);
}

static bool memo_grow(W *w) {
    /* x4 while small: fewer rehashes of what is mostly still growing.  The
     * first table is the writer's own. */
    size_t ncap = !w->mcap ? MEMO0W : w->mcap < ((size_t)1 << 18) ? w->mcap * 4 : w->mcap * 2;
    unsigned nshift = 0;
    while (((size_t)1 << nshift) < ncap) nshift++;
    if (!w->mcap) {
        memset(w->mkeys0, 0, sizeof w->mkeys0);
        w->mkeys = w->mkeys0;
        w->mvals = w->mvals0;
        w->mcap = ncap;
        w->mshift = nshift;
        return true;
    }
    const void **nk = calloc(ncap, sizeof *nk);
    uint32_t *nv = malloc(ncap * sizeof *nv);
    if (!nk || !nv) {
        free(nk);
        free(nv);
        return false;
    }
    const void **ok = w->mkeys;
    uint32_t *ov = w->mvals;
    size_t ocap = w->mcap;
    w->mkeys = nk;
    w->mvals = nv;
    w->mcap = ncap;
    w->mshift = nshift;
    for (size_t i = 0; i < ocap; i++) {
        if (!ok[i]) continue;
        size_t s = mslot(w, ok[i]);
        while (nk[s]) s = (s + 1) & (ncap - 1);
        nk[s] = ok[i];
        nv[s] = ov[i];
    }
    if (ok != w->mkeys0) {
        free(ok);
        free(ov);
    }
    return true;
}

/* Looks key up.  Returns true with *idx when present; else false with
 * *slot where it can be inserted (valid until the next insertion).  Keeps
 * the table at most half full, so an insertion never needs to grow it. */
static inline bool memo_find(W *w, const void *key, size_t *slot, uint32_t *idx) {
    if (sole(w, key)) {
        *slot = SLOT_SOLE;
        return false;
    }
    if (w->mcount * 2 >= w->mcap && !memo_grow(w)) {
        *slot = SIZE_MAX;
        return false;
    }
    size_t mask = w->mcap - 1, s = mslot(w, key);
    for (;;) {
        const void *k = w->mkeys[s];
        if (k == key) {
            *idx = w->mvals[s];
            return true;
        }
        if (!k) {
            *slot = s;
            return false;
        }
        s = (s + 1) & mask;
    }
}

static inline bool memo_has(W *w, const void *key, uint32_t *idx) {
    if (!w->mcount || sole(w, key)) return false;
    size_t mask = w->mcap - 1, s = mslot(w, key);
    for (;;) {
        const void *k = w->mkeys[s];
        if (k == key) {
            *idx = w->mvals[s];
            return true;
        }
        if (!k) return false;
        s = (s + 1) & mask;
    }
}

/* An opcode and its 4-byte little-endian argument (LONG_BINPUT/GET). */
static inline void put_op_u32(W *w, uint8_t op, uint32_t x) {
    uint8_t *q = need(w, 5);
    q[0] = op;
    le32(q + 1, x);
    w->p = q + 5;
}

/* put_memo's rare cases: protocol 0's PUT line, or no index left. */
static int put_memo_slow(W *w, uint32_t *out) {
    if (out) *out = 0;
    if (w->memo_n > MEMO_MAX) return fail(w, ACAR_ERR_LIMIT, "memo id too large for LONG_BINPUT");
    uint32_t idx = (uint32_t)w->memo_n++;
    put_dec_line(w, ACAR_OP_PUT, idx);
    if (out) *out = idx;
    return 0;
}

/* Writes the PUT for the next memo index and returns it. */
static inline int put_memo(W *w, uint32_t *out) {
    if (!w->proto || w->memo_n > MEMO_MAX) return put_memo_slow(w, out);
    uint32_t idx = (uint32_t)w->memo_n++;
    if (out) *out = idx;
    if (w->proto >= 4) put1(w, ACAR_OP_MEMOIZE);
    else if (idx < 256) put2(w, ACAR_OP_BINPUT, (uint8_t)idx);
    else put_op_u32(w, ACAR_OP_LONG_BINPUT, idx);
    return 0;
}

static void put_get_slow(W *w, uint32_t idx) {
    if (w->proto == 0) {
        put_dec_line(w, ACAR_OP_GET, idx);
    } else if (idx < 256) {
        put2(w, ACAR_OP_BINGET, (uint8_t)idx);
    } else {
        put_op_u32(w, ACAR_OP_LONG_BINGET, idx);
    }
}

static inline void put_get(W *w, uint32_t idx) {
    if (idx < 256 && w->proto) put2(w, ACAR_OP_BINGET, (uint8_t)idx);
    else put_get_slow(w, idx);
}

/* Writes a GET of key when it was memoized before (true); else false with
 * *slot as memo_find gives it. */
static inline bool put_get_if_met(W *w, const void *key, size_t *slot) {
    uint32_t idx;
    if (!memo_find(w, key, slot, &idx)) return false;
    put_get(w, idx);
    return true;
}

/* Enters key, memoized as idx, at the slot memo_find gave (a sole node
 * is never looked up, so it has no entry). */
static inline void memo_enter(W *w, const void *key, size_t slot, uint32_t idx) {
    if (slot == SLOT_SOLE) return;
    w->mkeys[slot] = key;
    w->mvals[slot] = idx;
    w->mcount++;
}

/* Memoizes key at the slot memo_find gave. */
static int memo_put_slot(W *w, const void *key, size_t slot) {
    uint32_t idx;
    if (slot == SLOT_SOLE) return put_memo(w, NULL);
    if (slot == SIZE_MAX) return nomem(w);
    if (put_memo(w, &idx) < 0) return -1;
    memo_enter(w, key, slot, idx);
    return 0;
}

/* Memoizes key (looked up again: the table may have changed since). */
static int memo_put_key(W *w, const void *key) {
    size_t slot;
    uint32_t idx;
    if (memo_find(w, key, &slot, &idx)) return put_memo(w, NULL); /* cannot happen */
    return memo_put_slot(w, key, slot);
}

static int memo_alias(W *w, const void *key, uint32_t idx) {
    size_t slot;
    uint32_t old;
    if (memo_find(w, key, &slot, &old) || slot == SLOT_SOLE) return 0;
    if (slot == SIZE_MAX) return nomem(w);
    memo_enter(w, key, slot, idx);
    return 0;
}

/* ---- memo by value ---- */

static uint64_t vhash(uint8_t kind, const char *a, size_t alen, const char *b, size_t blen) {
    uint64_t h = 0xcbf29ce484222325ull ^ kind;
    for (size_t i = 0; i < alen; i++) h = (h ^ (uint8_t)a[i]) * 0x100000001b3ull;
    h = (h ^ 0x100) * 0x100000001b3ull;
    for (size_t i = 0; i < blen; i++) h = (h ^ (uint8_t)b[i]) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

static ventry *vt_slot(W *w, uint8_t kind, const char *a, size_t alen, const char *b, size_t blen,
                       uint64_t h) {
    size_t mask = w->vcap - 1, s = (size_t)h & mask;
    for (;;) {
        ventry *e = &w->vt[s];
        if (e->kind == VK_EMPTY) return e;
        if (e->kind == kind && e->hash == h && e->alen == alen && e->blen == blen &&
            (alen == 0 || memcmp(e->a, a, alen) == 0) && (blen == 0 || memcmp(e->b, b, blen) == 0))
            return e;
        s = (s + 1) & mask;
    }
}

static bool vt_get(W *w, uint8_t kind, const char *a, size_t alen, const char *b, size_t blen,
                   uint32_t *idx) {
    if (!w->vcount) return false;
    ventry *e = vt_slot(w, kind, a, alen, b, blen, vhash(kind, a, alen, b, blen));
    if (e->kind == VK_EMPTY) return false;
    *idx = e->idx;
    return true;
}

static int vt_set(W *w, uint8_t kind, const char *a, size_t alen, const char *b, size_t blen,
                  uint32_t idx) {
    if ((w->vcount + 1) * 2 > w->vcap) {
        size_t ncap = w->vcap ? w->vcap * 2 : 64;
        ventry *nt = calloc(ncap, sizeof *nt);
        if (!nt) return nomem(w);
        ventry *ot = w->vt;
        size_t ocap = w->vcap;
        w->vt = nt;
        w->vcap = ncap;
        for (size_t i = 0; i < ocap; i++) {
            if (ot[i].kind == VK_EMPTY) continue;
            size_t s = (size_t)ot[i].hash & (ncap - 1);
            while (nt[s].kind != VK_EMPTY) s = (s + 1) & (ncap - 1);
            nt[s] = ot[i];
        }
        free(ot);
    }
    uint64_t h = vhash(kind, a, alen, b, blen);
    ventry *e = vt_slot(w, kind, a, alen, b, blen, h);
    if (e->kind == VK_EMPTY) {
        e->kind = kind;
        e->a = a;
        e->alen = alen;
        e->b = b ? b : "";
        e->blen = blen;
        e->hash = h;
        w->vcount++;
    }
    e->idx = idx;
    return 0;
}

/* '' and one code point below 256: CPython's singletons.  Returns the code
 * point (256 for ''), or -1. */
static inline int str_single(const uint8_t *s, size_t len) {
    if (len == 0) return 256;
    if (len == 1) return s[0];
    if (len == 2 && (s[0] == 0xc2 || s[0] == 0xc3)) return ((s[0] & 0x1f) << 6) | (s[1] & 0x3f);
    return -1;
}

/* ---- temporary strings (live until the write ends) ---- */

static char *tmp_alloc(W *w, size_t n) {
    tmpblock *t = malloc(sizeof *t + n);
    if (!t) return NULL;
    t->next = w->tmp;
    w->tmp = t;
    return t->data;
}

/* ---- str ---- */

/* Decodes one UTF-8 sequence (valid, surrogates allowed; acar's invariant).
 * Returns its length. */
static inline size_t utf8_cp(const uint8_t *s, size_t avail, uint32_t *cp) {
    uint8_t c = s[0];
    if (c < 0x80) { *cp = c; return 1; }
    if (c < 0xe0 && avail >= 2) { *cp = ((uint32_t)(c & 0x1f) << 6) | (s[1] & 0x3f); return 2; }
    if (c < 0xf0 && avail >= 3) {
        *cp = ((uint32_t)(c & 0x0f) << 12) | ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
        return 3;
    }
    if (avail >= 4) {
        *cp = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3f) << 12) |
              ((uint32_t)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
        return 4;
    }
    *cp = 0xfffd;
    return 1;
}

static const char hexdig[] = "0123456789abcdef";

/* Code points below 256 that _pickle.c's raw_unicode_escape escapes. */
static inline bool rue_escaped(uint32_t cp) {
    return cp == '\\' || cp == 0 || cp == '\n' || cp == '\r' || cp == 0x1a;
}

/* Protocol 0 UNICODE: 'V', raw-unicode-escape as _pickle.c does it (code
 * points below 256 as one byte, except \ NUL LF CR and ^Z; others \uXXXX or
 * \UXXXXXXXX), '\n'.  latin1: the input is bytes taken as latin-1. */
static void write_unicode_text(W *w, const uint8_t *s, size_t len, bool latin1) {
    put1(w, ACAR_OP_UNICODE);
    size_t i = 0;
    while (i < len) {
        /* At most 10 output bytes per input byte (a 4-byte sequence gives
         * \UXXXXXXXX, a 1-byte one \uXXXX): chunks of 1024 input bytes. */
        size_t chunk = len - i < 1024 ? len - i : 1024;
        if ((size_t)(w->end - w->p) < chunk * 10 + 16 && !w_grow(w, chunk * 10 + 16)) return;
        uint8_t *q = w->p;
        size_t stop = i + chunk;
        while (i < stop) {
            uint32_t cp;
            if (latin1 || s[i] < 0x80) {
                cp = s[i++];
            } else {
                size_t k = utf8_cp(s + i, len - i, &cp);
                i += k;
                if (i > stop) stop = i; /* a sequence across the chunk end: room was reserved */
            }
            if (cp < 256 && !rue_escaped(cp)) {
                *q++ = (uint8_t)cp;
            } else if (cp >= 0x10000) {
                *q++ = '\\';
                *q++ = 'U';
                for (int sh = 28; sh >= 0; sh -= 4) *q++ = (uint8_t)hexdig[(cp >> sh) & 0xf];
            } else {
                *q++ = '\\';
                *q++ = 'u';
                for (int sh = 12; sh >= 0; sh -= 4) *q++ = (uint8_t)hexdig[(cp >> sh) & 0xf];
            }
        }
        w->p = q;
    }
    put1(w, '\n');
}

/* A str of UTF-8 bytes at protocols 1+. */
static int write_str_bin(W *w, const uint8_t *s, size_t len) {
    uint8_t hdr[9];
    size_t hl;
    if (len <= 0xff && w->proto >= 4) {
        /* The common case inline: short strings never leave the frame. */
        uint8_t *q = need(w, 2);
        q[0] = ACAR_OP_SHORT_BINUNICODE;
        q[1] = (uint8_t)len;
        w->p = q + 2;
        w_raw(w, s, len);
        return 0;
    }
    if (w->proto < 4 && len <= 0xffffffffu) {
        /* no frames below protocol 4: the header, then the text */
        uint8_t *q = need(w, 5);
        q[0] = ACAR_OP_BINUNICODE;
        le32(q + 1, (uint32_t)len);
        w->p = q + 5;
        w_raw(w, s, len);
        return 0;
    }
    if (len <= 0xffffffffu) {
        hdr[0] = ACAR_OP_BINUNICODE;
        le32(hdr + 1, (uint32_t)len);
        hl = 5;
    } else if (w->proto >= 4) {
        hdr[0] = ACAR_OP_BINUNICODE8;
        le64(hdr + 1, len);
        hl = 9;
    } else {
        return fail(w, ACAR_ERR_TYPE,
                    "serializing a string larger than 4 GiB requires pickle protocol 4 or higher");
    }
    write_blob(w, hdr, hl, s, len);
    return 0;
}

static int write_str(W *w, const uint8_t *s, size_t len) {
    if (w->proto == 0) {
        write_unicode_text(w, s, len, false);
        return 0;
    }
    return write_str_bin(w, s, len);
}

/* The str of _codecs.encode(str, 'latin1'): the bytes decoded as latin-1. */
static int write_latin1_str(W *w, const uint8_t *s, size_t len) {
    if (w->proto == 0) {
        write_unicode_text(w, s, len, true);
        return 0;
    }
    size_t hi = 0;
    for (size_t i = 0; i < len; i++) hi += s[i] >> 7;
    size_t ulen = len + hi;
    if (ulen > 0xffffffffu || ulen < len)
        return fail(w, ACAR_ERR_TYPE,
                    "serializing a string larger than 4 GiB requires pickle protocol 4 or higher");
    uint8_t *q = need(w, 5);
    q[0] = ACAR_OP_BINUNICODE;
    le32(q + 1, (uint32_t)ulen);
    w->p = q + 5;
    for (size_t i = 0; i < len;) {
        size_t chunk = len - i < 4096 ? len - i : 4096;
        if ((size_t)(w->end - w->p) < chunk * 2 && !w_grow(w, chunk * 2)) return 0;
        uint8_t *o = w->p;
        for (size_t k = 0; k < chunk; k++) {
            uint8_t c = s[i + k];
            if (c < 0x80) {
                *o++ = c;
            } else {
                *o++ = (uint8_t)(0xc0 | (c >> 6));
                *o++ = (uint8_t)(0x80 | (c & 0x3f));
            }
        }
        w->p = o;
        i += chunk;
    }
    return 0;
}

/* Is the data str key (one character below 256) CPython's singleton?  The
 * reader knows for the strs it met inside _codecs.encode(str, 'latin1') and
 * can mark them; without the mark, the first data node of the character is
 * taken for it (s1_data). */
static inline bool data_singleton(const W *w, const acar_val *key, int c) {
#ifdef ACAR_F_SINGLETON
    (void)w;
    (void)c;
    return (ACAR_FLAGS(key) & ACAR_F_SINGLETON) != 0;
#else
    (void)key;
    return !acar__bit_get(w->s1_data, (size_t)c);
#endif
}

/* Saves a str given by its text.  key: the data node (memoized by pointer),
 * or NULL for a str CPython creates while saving, which is fresh unless it
 * is one character below 256 (or empty): then CPython's singleton. */
static int save_text(W *w, const acar_val *key, const uint8_t *s, size_t len) {
    int c = str_single(s, len);
    uint32_t idx;
    if (c >= 0 && !key) {
        uint32_t got = s1_get(w, c);
        if (got) {
            put_get(w, got - 1);
            return 0;
        }
        if (write_str(w, s, len) < 0 || put_memo(w, &idx) < 0) return -1;
        s1_put(w, c, idx + 1);
        return 0;
    }
    if (!key) {
        if (write_str(w, s, len) < 0) return -1;
        return put_memo(w, NULL);
    }
    size_t slot;
    if (put_get_if_met(w, key, &slot)) return 0;
    /* CPython has exactly one empty str, so every empty data str is it. */
    if (c == 256 || (c >= 0 && data_singleton(w, key, c))) {
        acar__bit_set(w->s1_data, (size_t)c);
        uint32_t got = s1_get(w, c);
        if (got) {
            put_get(w, got - 1);
            return memo_alias(w, key, got - 1);
        }
        if (write_str(w, s, len) < 0 || memo_put_slot(w, key, slot) < 0) return -1;
        s1_put(w, c, (uint32_t)w->memo_n); /* index + 1 of the put just made */
        return 0;
    }
    if (write_str(w, s, len) < 0) return -1;
    return memo_put_slot(w, key, slot);
}

/* A module or name string of STACK_GLOBAL (a save() of its own).  kind:
 * VK_STR, or VK_STR_FN for the module of a builtin function, which CPython
 * holds as a str object apart from the interned "builtins" of the types, or
 * VK_FRESH for a str never memoized by value. */
static int save_gstr(W *w, const acar_val *node, const char *s, size_t len, uint8_t kind) {
    uint32_t idx;
    boundary(w);
    if (str_single((const uint8_t *)s, len) >= 0) {
        /* CPython's own one-character (or empty) str, the name's or the
         * module's node standing for it */
        if (node && memo_has(w, node, &idx)) {
            put_get(w, idx);
            return 0;
        }
        if (save_text(w, NULL, (const uint8_t *)s, len) < 0) return -1;
        int c = str_single((const uint8_t *)s, len);
        return node ? memo_alias(w, node, s1_get(w, c) - 1) : 0;
    }
    if (kind == VK_FRESH) {
        /* the __qualname__ of a C type: a new str object every time */
        if (write_str(w, (const uint8_t *)s, len) < 0) return -1;
        return put_memo(w, NULL);
    }
    if (node && memo_has(w, node, &idx)) {
        put_get(w, idx);
        uint32_t old;
        if (!vt_get(w, kind, s, len, NULL, 0, &old)) return vt_set(w, kind, s, len, NULL, 0, idx);
        return 0;
    }
    if (vt_get(w, kind, s, len, NULL, 0, &idx)) {
        put_get(w, idx);
        return node ? memo_alias(w, node, idx) : 0;
    }
    if (write_str(w, (const uint8_t *)s, len) < 0 || put_memo(w, &idx) < 0) return -1;
    if (node && memo_alias(w, node, idx) < 0) return -1;
    return vt_set(w, kind, s, len, NULL, 0, idx);
}

/* ---- bytes ---- */

static int write_bytes_bin(W *w, const uint8_t *s, size_t len) {
    uint8_t hdr[9];
    size_t hl;
    if (len <= 0xff) {
        uint8_t *q = need(w, 2);
        q[0] = ACAR_OP_SHORT_BINBYTES;
        q[1] = (uint8_t)len;
        w->p = q + 2;
        w_raw(w, s, len);
        return 0;
    }
    if (len <= 0xffffffffu) {
        hdr[0] = ACAR_OP_BINBYTES;
        le32(hdr + 1, (uint32_t)len);
        hl = 5;
    } else if (w->proto >= 4) {
        hdr[0] = ACAR_OP_BINBYTES8;
        le64(hdr + 1, len);
        hl = 9;
    } else {
        return fail(w, ACAR_ERR_TYPE,
                    "serializing a bytes object larger than 4 GiB requires pickle protocol 4 or higher");
    }
    write_blob(w, hdr, hl, s, len);
    return 0;
}

static void write_bytearray8(W *w, const uint8_t *s, size_t len) {
    uint8_t hdr[9];
    hdr[0] = ACAR_OP_BYTEARRAY8;
    le64(hdr + 1, len);
    write_blob(w, hdr, 9, s, len);
}

/* ---- globals ---- */

static const char S_BUILTINS[] = "builtins";

static bool has_nl(const char *s, size_t n) { return memchr(s, '\n', n) != NULL; }

static bool is_ascii(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if ((uint8_t)s[i] >= 0x80) return false;
    return true;
}

/* The functions of module builtins (3.11), whose __module__ is not the
 * interned "builtins" str that the builtin types and sys.modules share. */
static const char *const builtin_functions[] = {
    "__build_class__", "__import__", "abs", "aiter", "all", "anext", "any", "ascii", "bin",
    "breakpoint", "callable", "chr", "compile", "delattr", "dir", "divmod", "eval", "exec",
    "format", "getattr", "globals", "hasattr", "hash", "hex", "id", "input", "isinstance",
    "issubclass", "iter", "len", "locals", "max", "min", "next", "oct", "ord", "pow", "print",
    "repr", "round", "setattr", "sorted", "sum", "vars"
};

static bool builtin_function(const char *n, size_t nl) {
    size_t lo = 0, hi = sizeof builtin_functions / sizeof *builtin_functions;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *f = builtin_functions[mid];
        size_t fl = strlen(f);
        int c = memcmp(n, f, nl < fl ? nl : fl);
        if (c == 0) c = nl < fl ? -1 : nl > fl;
        if (c == 0) return true;
        if (c < 0) hi = mid;
        else lo = mid + 1;
    }
    return false;
}

/* One "text\n" of GLOBAL / INST, checked as save_global encodes it. */
static int check_ident(W *w, const char *what, const char *s, size_t n) {
    /* An empty line is no name to CPython's reader ("pickle data was
     * truncated"), so it could not be read back. */
    bool ok = n > 0 && !has_nl(s, n) &&
              (w->proto < 3 ? is_ascii(s, n) : acar__utf8_find_surrogate((const uint8_t *)s, n) == n);
    if (!ok)
        return fail(w, ACAR_ERR_TYPE, "can't pickle %s identifier '%.*s' using pickle protocol %d",
                    what, (int)(n > 60 ? 60 : n), s, w->proto);
    return 0;
}

/* Writes op ("c" GLOBAL or "i" INST) module\nname\n, with the Python 2
 * names for protocols < 3 under fix_imports. */
/* The names a global is written under: Python 2's below protocol 3 under
 * fix_imports. */
static void export_names(const W *w, const char **m, size_t *ml, const char **n, size_t *nl) {
    if (w->proto < 3 && w->fix_imports) {
        const char *om = *m, *on = *n;
        size_t oml = *ml, onl = *nl;
        if (acar__compat_map_export(*m, *ml, *n, *nl, &om, &oml, &on, &onl)) {
            *m = om;
            *ml = oml;
            *n = on;
            *nl = onl;
        }
    }
}

/* Writes op with names already passed through export_names. */
static int write_global_text(W *w, uint8_t op, const char *m, size_t ml, const char *n, size_t nl) {
    if (check_ident(w, "module", m, ml) < 0 || check_ident(w, "global", n, nl) < 0) return -1;
    put1(w, op);
    w_bytes(w, m, ml);
    put1(w, '\n');
    w_bytes(w, n, nl);
    put1(w, '\n');
    return 0;
}

/* A global without dots (or any global at protocol 4+), memo checked. */
static int save_global_flat_kind(W *w, const acar_val *mnode, const acar_val *nnode,
                                 const char *m, size_t ml, const char *n, size_t nl, uint8_t nkind) {
    uint32_t idx;
    /* Memoized under the names written: builtins.set and a literal
     * __builtin__.set are one object to CPython's reader below protocol 3. */
    export_names(w, &m, &ml, &n, &nl);
    if (vt_get(w, VK_GLOBAL, m, ml, n, nl, &idx)) {
        put_get(w, idx);
        return 0;
    }
    if (w->proto >= 4) {
        uint8_t mk = ml == 8 && memcmp(m, S_BUILTINS, 8) == 0 && builtin_function(n, nl) ? VK_STR_FN : VK_STR;
        if (save_gstr(w, mnode, m, ml, mk) < 0 || save_gstr(w, nnode, n, nl, nkind) < 0) return -1;
        put1(w, ACAR_OP_STACK_GLOBAL);
    } else if (write_global_text(w, ACAR_OP_GLOBAL, m, ml, n, nl) < 0) {
        return -1;
    }
    if (put_memo(w, &idx) < 0) return -1;
    return vt_set(w, VK_GLOBAL, m, ml, n, nl, idx);
}

static int save_global_flat(W *w, const acar_val *mnode, const acar_val *nnode,
                            const char *m, size_t ml, const char *n, size_t nl) {
    return save_global_flat_kind(w, mnode, nnode, m, ml, n, nl, VK_STR);
}

static int save_getattr(W *w) {
    boundary(w);
    return save_global_flat(w, NULL, NULL, S_BUILTINS, 8, "getattr", 7);
}

/* save_global.  Below protocol 4 a dotted qualname A.B.C is written as
 * getattr(getattr(A, 'B'), 'C'), each level memoized as the object it
 * names; this walks the levels without recursion. */
static int save_global(W *w, const acar_val *mnode, const acar_val *nnode,
                       const char *m, size_t ml, const char *n, size_t nl) {
    if (w->proto >= 4 || !memchr(n, '.', nl)) return save_global_flat(w, mnode, nnode, m, ml, n, nl);
    uint32_t idx;
    if (vt_get(w, VK_GLOBAL, m, ml, n, nl, &idx)) {
        put_get(w, idx);
        return 0;
    }
    /* Level L is the prefix up to the L-th dot (level k: the whole name). */
    size_t k = 0;
    for (size_t i = 0; i < nl; i++) k += n[i] == '.';
    size_t *ends = malloc((k + 1) * sizeof *ends);
    if (!ends) return nomem(w);
    for (size_t i = 0, l = 0; i < nl; i++)
        if (n[i] == '.') ends[l++] = i;
    ends[k] = nl;
    /* The deepest level below k that is already memoized, else level 0. */
    size_t j = 0;
    bool have = false;
    for (size_t l = k; l-- > 0;) {
        if (vt_get(w, VK_GLOBAL, m, ml, n, ends[l], &idx)) {
            j = l;
            have = true;
            break;
        }
    }
    int rc = -1;
    for (size_t l = k; l > j; l--) {
        if (save_getattr(w) < 0) goto done;
        boundary(w);                 /* the (parent, name) tuple */
        if (w->proto < 2) put1(w, ACAR_OP_MARK);
        boundary(w);                 /* the parent */
    }
    if (have) put_get(w, idx);
    else if (save_global_flat(w, NULL, NULL, m, ml, n, ends[0]) < 0) goto done;
    for (size_t l = j + 1; l <= k; l++) {
        boundary(w);                 /* the last name, a fresh str */
        const uint8_t *part = (const uint8_t *)n + ends[l - 1] + 1;
        if (save_text(w, NULL, part, ends[l] - ends[l - 1] - 1) < 0) goto done;
        put1(w, w->proto >= 2 ? ACAR_OP_TUPLE2 : ACAR_OP_TUPLE);
        if (put_memo(w, NULL) < 0) goto done;
        put1(w, ACAR_OP_REDUCE);
        if (put_memo(w, &idx) < 0 || vt_set(w, VK_GLOBAL, m, ml, n, ends[l], idx) < 0) goto done;
    }
    rc = 0;
done:
    free(ends);
    return rc;
}

/* A well-known global of CPython's own reductions (builtins.set, ...). */
static int save_builtin_global(W *w, const char *m, const char *n) {
    boundary(w);
    return save_global(w, NULL, NULL, m, strlen(m), n, strlen(n));
}

static int global_parts(W *w, const acar_val *g, const acar_val **mn, const acar_val **nn) {
    const acar_global_body *b = g->u.p;
    *mn = b->module;
    *nn = b->name;
    if (!*mn || !*nn || ACAR_TYPE(*mn) != ACAR_STR || ACAR_TYPE(*nn) != ACAR_STR)
        return fail(w, ACAR_ERR_TYPE, "global module and name must be str");
    return 0;
}

static int save_global_node(W *w, const acar_val *g) {
    const acar_val *mn, *nn;
    if (global_parts(w, g, &mn, &nn) < 0) return -1;
    return save_global(w, mn, nn, mn->u.s, ACAR_LEN(mn), nn->u.s, ACAR_LEN(nn));
}

/* ---- ints and floats ---- */

static void save_small_int(W *w, int64_t x) {
    if (x >= INT32_MIN && x <= INT32_MAX) {
        if (w->proto == 0) {
            put_dec_line(w, ACAR_OP_INT, x);
        } else if (x >= 0 && x <= 0xff) {
            put2(w, ACAR_OP_BININT1, (uint8_t)x);
        } else if (x >= 0 && x <= 0xffff) {
            uint8_t *q = need(w, 3);
            q[0] = ACAR_OP_BININT2;
            q[1] = (uint8_t)x;
            q[2] = (uint8_t)(x >> 8);
            w->p = q + 3;
        } else {
            uint8_t *q = need(w, 5);
            q[0] = ACAR_OP_BININT;
            le32(q + 1, (uint32_t)x);
            w->p = q + 5;
        }
        return;
    }
    if (w->proto >= 2) {
        /* LONG1 with the shortest two's complement (encode_long). */
        size_t nb = 1;
        while (nb < 8) {
            int64_t lim = (int64_t)1 << (8 * nb - 1);
            if (x >= -lim && x < lim) break;
            nb++;
        }
        uint8_t *q = need(w, 10);
        q[0] = ACAR_OP_LONG1;
        q[1] = (uint8_t)nb;
        le64(q + 2, (uint64_t)x);
        w->p = q + 2 + nb;
        return;
    }
    uint8_t *q = need(w, 26);
    q[0] = ACAR_OP_LONG;
    size_t n = acar_num_i64_to_dec(x, (char *)q + 1);
    q[1 + n] = 'L';
    q[2 + n] = '\n';
    w->p = q + n + 3;
}

static int save_big_int(W *w, const acar_val *v) {
    const uint32_t *mag = v->u.p;
    size_t n = ACAR_LEN(v);
    int neg = (ACAR_FLAGS(v) & ACAR_F_NEG) != 0;
    if (w->proto >= 2) {
        size_t nb = acar_num_big_le_twos_size(mag, n, neg);
        if (nb > 0x7fffffff) return fail(w, ACAR_ERR_TYPE, "int too large to pickle");
        uint8_t *bytes = malloc(nb ? nb : 1);
        if (!bytes) return nomem(w);
        acar_num_big_to_le_twos(mag, n, neg, bytes);
        uint8_t *q;
        if (nb < 256) {
            q = need(w, 2);
            q[0] = ACAR_OP_LONG1;
            q[1] = (uint8_t)nb;
            w->p = q + 2;
        } else {
            q = need(w, 5);
            q[0] = ACAR_OP_LONG4;
            le32(q + 1, (uint32_t)nb);
            w->p = q + 5;
        }
        w_raw(w, bytes, nb);
        free(bytes);
        return 0;
    }
    /* repr(int) + "L": the int-digits limit applies as in CPython. */
    size_t bound = acar_num_big_dec_bound(n);
    /* 32 bits hold at least 9 decimal digits: anything of more limbs than
     * the limit allows is too long before converting. */
    if (n > 1 && (n - 1) * 9 > w->max_digits)
        return fail(w, ACAR_ERR_LIMIT,
                    "Exceeds the limit (%zu digits) for integer string conversion (max_int_digits)",
                    w->max_digits);
    char *dec = malloc(bound + 1);
    uint32_t *scratch = malloc(n * sizeof *scratch);
    if (!dec || !scratch) {
        free(dec);
        free(scratch);
        return nomem(w);
    }
    size_t len = acar_num_big_to_dec(mag, n, scratch, dec);
    int rc = 0;
    if (len > w->max_digits) {
        rc = fail(w, ACAR_ERR_LIMIT,
                  "Exceeds the limit (%zu digits) for integer string conversion (max_int_digits)",
                  w->max_digits);
    } else {
        put1(w, ACAR_OP_LONG);
        if (neg) put1(w, '-');
        w_bytes(w, dec, len);
        put2(w, 'L', '\n');
    }
    free(dec);
    free(scratch);
    return rc;
}

static void save_float(W *w, double d) {
    if (w->proto == 0) {
        uint8_t *q = need(w, ACAR_NUM_FLOAT_REPR_MAX + 2);
        q[0] = ACAR_OP_FLOAT;
        size_t n = acar_num_float_repr(d, (char *)q + 1);
        q[1 + n] = '\n';
        w->p = q + n + 2;
        return;
    }
    uint8_t *q = need(w, 9);
    q[0] = ACAR_OP_BINFLOAT;
    be_double(q + 1, d);
    w->p = q + 9;
}

/* ---- the stack ---- */

/* A container or object one level deeper than the open ones: an empty one
 * counts too, though it needs no frame. */
static inline int enter(W *w) {
    if (w->depth >= w->max_depth)
        return fail(w, ACAR_ERR_LIMIT, "nesting deeper than %zu (max_depth)", w->max_depth);
    return 0;
}

static wframe *push(W *w, uint8_t kind, const acar_val *v, bool deep) {
    if (w->sp == w->scap) {
        size_t ncap = w->scap * 2;
        wframe *ns = ncap <= SIZE_MAX / sizeof *ns
                         ? acar__regrow(w->st, w->st0, w->scap * sizeof *ns, ncap * sizeof *ns) : NULL;
        if (!ns) {
            nomem(w);
            return NULL;
        }
        w->st = ns;
        w->scap = ncap;
    }
    wframe *f = &w->st[w->sp++];
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->v = v;
    f->deep = deep;
    w->depth += deep;
    return f;
}

static int pop(W *w) {
    w->depth -= w->st[--w->sp].deep;
    return 0;
}

/* step_batch and step_tuple return DONE when their frame is finished. */
#define DONE 2
static int step_batch(W *w, wframe *f);
static int step_tuple(W *w, wframe *f);

/* Types save() writes whole, never pushing a frame (PERSID does at 1+). */
#define FLAT_TYPES ((1u << ACAR_NONE) | (1u << ACAR_BOOL) | (1u << ACAR_ELLIPSIS) | \
                    (1u << ACAR_STOPITERATION) | (1u << ACAR_INT) | (1u << ACAR_FLOAT) | \
                    (1u << ACAR_COMPLEX) | (1u << ACAR_STR) | (1u << ACAR_BYTES) | \
                    (1u << ACAR_BYTEARRAY) | (1u << ACAR_GLOBAL) | (1u << ACAR_BUFFER) | \
                    (1u << ACAR_CODE) | (1u << ACAR_DATETIME))

/* A container of flat items is written right away with a frame on the C
 * stack instead of one on ours: most containers of real data are flat
 * (canada.json: 111,000 lists of two floats), and a push, a pop and a trip
 * through the main loop cost as much as writing two floats.  Only up to a
 * batch of items is looked at: past that the frame costs nothing beside
 * the items, and the look went over every node of a long list one more
 * time (list(range(10**6)): 16 MB of nodes read twice). */
static bool all_flat(acar_val *const *items, size_t n) {
    if (n > BATCHSIZE) return false;
    for (size_t i = 0; i < n; i++)
        if (!items[i] || !((FLAT_TYPES >> ACAR_TYPE(items[i])) & 1u)) return false;
    return true;
}

static void batch_init(wframe *f, const acar_val *v, acar_val *const *items, size_t n,
                       uint8_t stride, uint8_t style, uint8_t op1, uint8_t opn) {
    f->kind = F_BATCH;
    f->v = v;
    f->items = items;
    f->n = n;
    f->j = 0;
    f->stride = stride;
    f->style = style;
    f->op1 = op1;
    f->opn = opn;
    f->open = 0;
    f->started = 0;
    f->last = 0;
}

/* Items saved in batches; n elements (stride per unit). */
static int push_batch(W *w, const acar_val *v, acar_val *const *items, size_t n, uint8_t stride,
                      uint8_t style, uint8_t op1, uint8_t opn, bool deep) {
    if (all_flat(items, n)) {
        wframe t;
        batch_init(&t, v, items, n, stride, style, op1, opn);
        return step_batch(w, &t) < 0 ? -1 : 0;
    }
    wframe *f = push(w, F_BATCH, v, deep);
    if (!f) return -1;
    batch_init(f, v, items, n, stride, style, op1, opn);
    return 1;
}

static void tuple_init(wframe *f, const acar_val *v, acar_val *const *items, size_t n,
                       size_t count, bool mark, uint8_t close) {
    f->kind = F_TUPLE;
    f->v = v;
    f->items = items;
    f->n = n;
    f->j = 0;
    f->end = count;
    f->style = mark;
    f->open = close;
}

/* Items of a tuple (or a tuple-like run of saves) of total length count,
 * closed as close says.  mark: the tuple opened with MARK. */
static int push_tuple(W *w, const acar_val *v, acar_val *const *items, size_t n, size_t count,
                      bool mark, uint8_t close, bool deep) {
    if (all_flat(items, n)) {
        wframe t;
        tuple_init(&t, v, items, n, count, mark, close);
        return step_tuple(w, &t) < 0 ? -1 : 0;
    }
    wframe *f = push(w, F_TUPLE, v, deep);
    if (!f) return -1;
    tuple_init(f, v, items, n, count, mark, close);
    return 1;
}

static acar_val *const *map_items(const acar_val *v) { return v->u.items; }

/* The pairs of dict d saved in batches (SETITEM, SETITEMS) for node v,
 * as push_batch saves a list's items; either form of dict.  A split
 * dict's pairs are first laid out key, value ... in a block of the write
 * (tmp_alloc): this path takes the dicts save_small_dict does not (1000
 * pairs or more, protocol 0, an object's dict items). */
static int push_pairs(W *w, const acar_val *v, const acar_val *d, uint8_t style, bool deep) {
    size_t n = ACAR_LEN(d);
    acar_val **items = d->u.items;
    if (acar__is_split(d)) {
        acar_val *const *keys = acar__split_keys(d)->key, *const *vals = d->u.items;
        if (n > SIZE_MAX / 2 / sizeof *items) return nomem(w);
        items = (acar_val **)(void *)tmp_alloc(w, 2 * n * sizeof *items);
        if (!items) return nomem(w);
        for (size_t i = 0; i < n; i++) {
            items[2 * i] = keys[i];
            items[2 * i + 1] = vals[i];
        }
    }
    return push_batch(w, v, items, 2 * n, 2, style, ACAR_OP_SETITEM, ACAR_OP_SETITEMS, deep);
}

/* Opens a tuple of count items: MARK unless TUPLE1-3 will close it. */
static bool tuple_mark(W *w, size_t count) {
    bool mark = !(w->proto >= 2 && count <= 3);
    if (mark) put1(w, ACAR_OP_MARK);
    return mark;
}

static void tuple_close(W *w, size_t count, bool mark) {
    if (mark) put1(w, ACAR_OP_TUPLE);
    else put1(w, (uint8_t)(ACAR_OP_TUPLE1 + count - 1));
}

static void empty_tuple(W *w) {
    if (w->proto) put1(w, ACAR_OP_EMPTY_TUPLE);
    else put2(w, ACAR_OP_MARK, ACAR_OP_TUPLE);
}

/* ---- values that CPython writes through a reduction of its own ---- */

/* bytes below protocol 3: _codecs.encode(latin-1 str, 'latin1') or
 * builtins.bytes(); everything but the final memo put. */
static int write_bytes_reduce(W *w, const uint8_t *s, size_t len) {
    if (len == 0) {
        if (save_builtin_global(w, S_BUILTINS, "bytes") < 0) return -1;
        boundary(w);
        empty_tuple(w);
        put1(w, ACAR_OP_REDUCE);
        return 0;
    }
    if (save_builtin_global(w, "_codecs", "encode") < 0) return -1;
    boundary(w);
    bool mark = tuple_mark(w, 2);
    boundary(w);
    int c = len == 1 ? s[0] : -1;  /* the decoded one-character str is CPython's singleton */
    uint32_t got = c >= 0 ? s1_get(w, c) : 0;
    if (got) {
        put_get(w, got - 1);
    } else {
        uint32_t idx;
        if (write_latin1_str(w, s, len) < 0 || put_memo(w, &idx) < 0) return -1;
        if (c >= 0) s1_put(w, c, idx + 1);
    }
    boundary(w);
    uint32_t idx;
    if (vt_get(w, VK_STR, "latin1", 6, NULL, 0, &idx)) {
        put_get(w, idx);
    } else {
        if (write_str(w, (const uint8_t *)"latin1", 6) < 0 || put_memo(w, &idx) < 0) return -1;
        if (vt_set(w, VK_STR, "latin1", 6, NULL, 0, idx) < 0) return -1;
    }
    tuple_close(w, 2, mark);
    if (put_memo(w, NULL) < 0) return -1;
    put1(w, ACAR_OP_REDUCE);
    return 0;
}

/* A bytes value CPython creates fresh (bytearray's reduction). */
static int save_fresh_bytes(W *w, const uint8_t *s, size_t len) {
    boundary(w);
    if (w->proto >= 3) {
        if (write_bytes_bin(w, s, len) < 0) return -1;
    } else if (write_bytes_reduce(w, s, len) < 0) {
        return -1;
    }
    return put_memo(w, NULL);
}

/* ---- persistent ids ---- */

static int save_persid_text(W *w, const acar_val *pid) {
    acar_buf tmp = {0};
    const char *s;
    size_t n;
    int rc = 0;
    if (ACAR_TYPE(pid) == ACAR_STR) {
        s = pid->u.s;
        n = ACAR_LEN(pid);
    } else {
        /* str(pid): the repr of everything acar holds but str, in the room
         * the output has left.  (With all of max_output each, every long
         * repr of a list of persistent ids was made before the output was
         * refused: shared nodes print exponentially, and a fuzzed pickle
         * of such ids took seconds to write at protocol 0.) */
        if (w->failed) return nomem(w); /* the output is lost already */
        size_t have = w->base ? (size_t)(w->p - w->base) : w->out->buf->len;
        size_t cap = w->out->limit ? w->out->limit : w->max_output ? w->max_output : ACAR_DEFAULT_MAX_OUTPUT;
        acar_out o = {.buf = &tmp, .limit = cap > have + 1 ? cap - have : 1};
        acar_err e;
        acar_write_opts ro = {0};
        ro.max_depth = w->max_depth;
        ro.max_int_digits = w->max_digits;
        if (acar__repr_write(pid, &ro, &o, &e) < 0 || o.failed) {
            acar_buf_free(&tmp);
            if (o.over_limit)
                return fail(w, ACAR_ERR_LIMIT, "persistent id: str(pid) takes the output past %zu bytes (max_output)",
                            cap);
            if (o.failed) return nomem(w);
            return fail(w, e.code, "persistent id: %s", e.msg);
        }
        s = tmp.data;
        n = tmp.len;
    }
    if (!is_ascii(s, n))
        rc = fail(w, ACAR_ERR_TYPE, "persistent IDs in protocol 0 must be ASCII strings");
    else if (has_nl(s, n))
        rc = fail(w, ACAR_ERR_TYPE, "persistent IDs in protocol 0 cannot hold a newline");
    if (rc == 0) {
        put1(w, ACAR_OP_PERSID);
        w_bytes(w, s, n);
        put1(w, '\n');
    }
    acar_buf_free(&tmp);
    return rc;
}

/* ---- objects ---- */

/* The last part of a global's name ("__newobj__" of "copyreg.__newobj__"). */
static bool global_is(const acar_val *g, const char *last) {
    if (!g || ACAR_TYPE(g) != ACAR_GLOBAL) return false;
    const acar_val *nn = ((const acar_global_body *)g->u.p)->name;
    if (!nn || ACAR_TYPE(nn) != ACAR_STR) return false;
    size_t len = ACAR_LEN(nn), ll = strlen(last);
    const char *s = nn->u.s;
    const char *dot = NULL;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '.') dot = s + i;
    if (dot) {
        len -= (size_t)(dot + 1 - s);
        s = dot + 1;
    }
    return len == ll && memcmp(s, last, ll) == 0;
}

static bool is_type(const acar_val *v, acar_type t) { return v && ACAR_TYPE(v) == t; }

/* Picks how to write an object (save_reduce's choices) and pushes its frame. */
static int push_object(W *w, const acar_val *v) {
    const acar_object_body *b = v->u.p;
    const acar_val *c = b->callable, *a = b->args, *k = b->kwargs;
    if (!c) return fail(w, ACAR_ERR_ARG, "object without a callable");
    if (!is_type(a, ACAR_TUPLE)) return fail(w, ACAR_ERR_TYPE, "object args must be a tuple");
    if (k && !is_type(k, ACAR_DICT)) return fail(w, ACAR_ERR_TYPE, "object kwargs must be a dict");
    uint8_t mode;
    const acar_val *cls = c, *args = a, *kwargs = k;
    switch ((acar_build)(ACAR_FLAGS(v) & 0x07u)) { /* other flag bits may mark the node */
    case ACAR_BUILD_REDUCE:
        mode = M_REDUCE;
        if (w->proto >= 2 && global_is(c, "__newobj_ex__")) {
            if (ACAR_LEN(a) != 3)
                return fail(w, ACAR_ERR_TYPE,
                            "length of the NEWOBJ_EX argument tuple must be exactly 3, not %zu",
                            ACAR_LEN(a));
            cls = a->u.items[0];
            args = a->u.items[1];
            kwargs = a->u.items[2];
            if (!is_type(args, ACAR_TUPLE) || !is_type(kwargs, ACAR_DICT))
                return fail(w, ACAR_ERR_TYPE, "NEWOBJ_EX arguments must be a class, a tuple and a dict");
            mode = w->proto >= 4 ? M_NEWOBJEX : M_PARTIAL;
        } else if (w->proto >= 2 && global_is(c, "__newobj__")) {
            if (ACAR_LEN(a) < 1) return fail(w, ACAR_ERR_TYPE, "__newobj__ arglist is empty");
            cls = a->u.items[0];
            mode = M_NEWOBJ_SLICE;
        }
        break;
    case ACAR_BUILD_NEWOBJ:
        mode = w->proto >= 2 ? M_NEWOBJ : M_NEWOBJ_REDUCE;
        break;
    case ACAR_BUILD_NEWOBJ_EX:
        mode = w->proto >= 4 ? M_NEWOBJEX : w->proto >= 2 ? M_PARTIAL : M_NEWOBJEX_REDUCE;
        break;
    case ACAR_BUILD_INST:
    case ACAR_BUILD_OBJ:
        mode = w->proto == 0 && is_type(c, ACAR_GLOBAL) ? M_INST : M_OBJ;
        break;
    default:
        return fail(w, ACAR_ERR_TYPE, "object of an unknown build kind");
    }
    if (mode == M_PARTIAL && !is_type(cls, ACAR_GLOBAL))
        return fail(w, ACAR_ERR_TYPE,
                    "cannot pickle a NEWOBJ_EX object whose class is not a global below protocol 4");
    wframe *f = push(w, F_OBJ, v, true);
    if (!f) return -1;
    f->style = mode;
    f->cls = cls;
    f->args = args;
    f->kwargs = kwargs;
    return 1;
}

/* ---- save() ---- */

static int save_buffer(W *w, const acar_val *v, size_t slot) {
    const acar_buffer_body *b = v->u.p;
    if (w->proto < 5)
        return fail(w, ACAR_ERR_TYPE, "cannot pickle 'PickleBuffer' object: PickleBuffer needs protocol 5");
    if (b->oob >= 0) {
        /* Out-of-band: never memoized, as CPython. */
        put1(w, ACAR_OP_NEXT_BUFFER);
        if (ACAR_FLAGS(v) & ACAR_F_RO) put1(w, ACAR_OP_READONLY_BUFFER);
        return 0;
    }
    if (ACAR_FLAGS(v) & ACAR_F_RO) {
        if (write_bytes_bin(w, b->data, b->len) < 0) return -1;
    } else {
        write_bytearray8(w, b->data, b->len);
    }
    return memo_put_slot(w, v, slot);
}

/* Saves v.  Returns 0 when v is written whole, 1 when a frame was pushed
 * to finish it, -1 on error. */
static int save(W *w, const acar_val *v) {
    boundary(w);
    if (!v) return fail(w, ACAR_ERR_ARG, "NULL node");
    acar_type t = ACAR_TYPE(v);
    switch (t) {
    case ACAR_NONE:
        put1(w, ACAR_OP_NONE);
        return 0;
    case ACAR_BOOL:
        if (w->proto >= 2) {
            put1(w, v->u.i ? ACAR_OP_NEWTRUE : ACAR_OP_NEWFALSE);
        } else {
            uint8_t *q = need(w, 4);
            memcpy(q, v->u.i ? "I01\n" : "I00\n", 4);
            w->p = q + 4;
        }
        return 0;
    case ACAR_INT:
        if (ACAR_FLAGS(v) & ACAR_F_BIG) return save_big_int(w, v);
        save_small_int(w, v->u.i);
        return 0;
    case ACAR_FLOAT:
        save_float(w, v->u.f);
        return 0;
    case ACAR_STR:
        return save_text(w, v, (const uint8_t *)v->u.s, ACAR_LEN(v));
    case ACAR_GLOBAL:
        return save_global_node(w, v);
    case ACAR_ELLIPSIS:
        return save_global(w, NULL, NULL, S_BUILTINS, 8, "Ellipsis", 8);
    case ACAR_STOPITERATION:
        return save_global(w, NULL, NULL, S_BUILTINS, 8, "StopIteration", 13);
    case ACAR_PERSID: {
        const acar_val *pid = v->u.p;
        if (!pid) return fail(w, ACAR_ERR_ARG, "persistent id without a pid");
        if (w->proto == 0) return save_persid_text(w, pid);
        if (enter(w) < 0) return -1;
        return push(w, F_PERSID, v, true) ? 1 : -1;
    }
    case ACAR_CODE:
        return fail(w, ACAR_ERR_TYPE, "cannot pickle 'code' object");
    default:
        break;
    }

    /* Everything else is memoized by pointer. */
    size_t slot;
    if (put_get_if_met(w, v, &slot)) return 0;
    /* The empty tuple is an atom (never memoized), as the reader counts it. */
    if (t == ACAR_LIST || t == ACAR_DICT || (t == ACAR_TUPLE && ACAR_LEN(v)) || t == ACAR_SET ||
        t == ACAR_FROZENSET || t == ACAR_OBJECT) {
        if (enter(w) < 0) return -1;
    }
    switch (t) {
    case ACAR_BYTES: {
        /* CPython has one empty bytes object, and a one-byte bytes marked
         * ACAR_F_SINGLETON is its shared object for that byte: both are
         * memoized by value. */
        size_t n = ACAR_LEN(v);
        int c = n == 0 ? 256 : n == 1 && (ACAR_FLAGS(v) & ACAR_F_SINGLETON) ? (uint8_t)v->u.s[0] : -1;
        uint32_t got = c >= 0 ? b1_get(w, c) : 0;
        if (got) {
            put_get(w, got - 1);
            return memo_alias(w, v, got - 1);
        }
        int r;
        if (w->proto >= 3) {
            if (write_bytes_bin(w, (const uint8_t *)v->u.s, ACAR_LEN(v)) < 0) return -1;
            r = memo_put_slot(w, v, slot);
        } else {
            if (write_bytes_reduce(w, (const uint8_t *)v->u.s, ACAR_LEN(v)) < 0) return -1;
            r = memo_put_key(w, v); /* the table may have grown meanwhile */
        }
        if (r == 0 && c >= 0) b1_put(w, c, (uint32_t)w->memo_n); /* index + 1 of the put just made */
        return r;
    }
    case ACAR_LIST: {
        size_t n = ACAR_LEN(v);
        if (w->proto) put1(w, ACAR_OP_EMPTY_LIST);
        else put2(w, ACAR_OP_MARK, ACAR_OP_LIST);
        if (memo_put_slot(w, v, slot) < 0) return -1;
        if (!n) return 0;
        return push_batch(w, v, v->u.items, n, 1, w->proto ? ST_EXACT_LIST : ST_P0,
                          ACAR_OP_APPEND, ACAR_OP_APPENDS, true);
    }
    case ACAR_DICT: {
        size_t n = ACAR_LEN(v);
        if (w->proto) put1(w, ACAR_OP_EMPTY_DICT);
        else put2(w, ACAR_OP_MARK, ACAR_OP_DICT);
        if (memo_put_slot(w, v, slot) < 0) return -1;
        if (!n) return 0;
        return push_pairs(w, v, v, w->proto ? ST_EXACT_DICT : ST_P0, true);
    }
    case ACAR_TUPLE: {
        size_t n = ACAR_LEN(v);
        if (!n) {
            empty_tuple(w);
            return 0;
        }
        bool mark = tuple_mark(w, n);
        return push_tuple(w, v, v->u.items, n, n, mark, CL_TUPLE, true);
    }
    case ACAR_SET:
    case ACAR_FROZENSET: {
        size_t n = ACAR_LEN(v);
        if (w->proto >= 4) {
            if (t == ACAR_SET) {
                put1(w, ACAR_OP_EMPTY_SET);
                if (memo_put_slot(w, v, slot) < 0) return -1;
                if (!n) return 0;
                return push_batch(w, v, map_items(v), n, 1, ST_SET, ACAR_OP_ADDITEMS,
                                  ACAR_OP_ADDITEMS, true);
            }
            put1(w, ACAR_OP_MARK);
            return push_tuple(w, v, map_items(v), n, n, true, CL_FROZENSET, true);
        }
        /* builtins.set([items]) / builtins.frozenset([items]) */
        if (save_builtin_global(w, S_BUILTINS, t == ACAR_SET ? "set" : "frozenset") < 0) return -1;
        boundary(w);
        if (w->proto < 2) put1(w, ACAR_OP_MARK);
        boundary(w);
        if (w->proto) put1(w, ACAR_OP_EMPTY_LIST);
        else put2(w, ACAR_OP_MARK, ACAR_OP_LIST);
        if (put_memo(w, NULL) < 0) return -1;
        if (!push(w, F_SETRED, v, true)) return -1;
        if (!n) return 1;
        /* The SETRED frame closes after the items, done here or not. */
        return push_batch(w, NULL, map_items(v), n, 1, w->proto ? ST_EXACT_LIST : ST_P0,
                          ACAR_OP_APPEND, ACAR_OP_APPENDS, false) < 0 ? -1 : 1;
    }
    case ACAR_BYTEARRAY: {
        size_t len = ACAR_LEN(v);
        if (w->proto >= 5) {
            write_bytearray8(w, (const uint8_t *)v->u.s, len);
            return memo_put_slot(w, v, slot);
        }
        if (save_builtin_global(w, S_BUILTINS, "bytearray") < 0) return -1;
        boundary(w);
        if (len == 0) {
            empty_tuple(w);
        } else {
            bool mark = tuple_mark(w, 1);
            if (save_fresh_bytes(w, (const uint8_t *)v->u.s, len) < 0) return -1;
            tuple_close(w, 1, mark);
            if (put_memo(w, NULL) < 0) return -1;
        }
        put1(w, ACAR_OP_REDUCE);
        return memo_put_key(w, v);
    }
    case ACAR_COMPLEX: {
        const double *d = v->u.p;
        if (save_builtin_global(w, S_BUILTINS, "complex") < 0) return -1;
        boundary(w);
        bool mark = tuple_mark(w, 2);
        boundary(w);
        save_float(w, d[0]);
        boundary(w);
        save_float(w, d[1]);
        tuple_close(w, 2, mark);
        if (put_memo(w, NULL) < 0) return -1;
        put1(w, ACAR_OP_REDUCE);
        return memo_put_key(w, v);
    }
    case ACAR_DATETIME: {
        /* datetime.datetime(state): fold travels in the state from 4 on */
        uint8_t st[10];
        acar__datetime_state(v, st, w->proto >= 4);
        /* the module name is interned, the qualname of the C type is not */
        boundary(w);
        if (save_global_flat_kind(w, NULL, NULL, "datetime", 8, "datetime", 8, VK_FRESH) < 0) return -1;
        boundary(w);
        bool mark = tuple_mark(w, 1);
        if (save_fresh_bytes(w, st, sizeof st) < 0) return -1;
        tuple_close(w, 1, mark);
        if (put_memo(w, NULL) < 0) return -1;
        put1(w, ACAR_OP_REDUCE);
        return memo_put_key(w, v);
    }
    case ACAR_BUFFER:
        return save_buffer(w, v, slot);
    case ACAR_OBJECT:
        return push_object(w, v);
    default:
        return fail(w, ACAR_ERR_TYPE, "cannot pickle '%s' object", acar_type_name(t));
    }
}

/* ---- continuing frames ---- */

/* save() with what containers mostly hold inline: None, bools, small ints,
 * floats, str met before, and new str of 3 to 255 bytes (shorter ones may be
 * singletons; 4 KiB below protocol 4): a function call and a type switch
 * less per item.  Always inlined into its two loops: where gcc chose not
 * to, writing instruments.json's pickle took 14% longer. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int save_item(W *w, const acar_val *v) {
    uint64_t tag = v->tag;
    acar_type t = (acar_type)(tag & 0xff);
    if (t == ACAR_INT && !((tag >> 8) & ACAR_F_BIG)) {
        boundary(w);
        /* BININT1 here: a call per small int was 13% of writing
         * instruments.json's pickle */
        if ((uint64_t)v->u.i <= 0xff && w->proto >= 1) put2(w, ACAR_OP_BININT1, (uint8_t)v->u.i);
        else save_small_int(w, v->u.i);
        return 0;
    }
    if (t == ACAR_FLOAT && w->proto >= 1) {
        boundary(w);
        uint8_t *q = need(w, 9);
        q[0] = ACAR_OP_BINFLOAT;
        be_double(q + 1, v->u.f);
        w->p = q + 9;
        return 0;
    }
    if (t == ACAR_NONE || (t == ACAR_BOOL && w->proto >= 2)) {
        boundary(w);
        put1(w, t == ACAR_NONE ? ACAR_OP_NONE : v->u.i ? ACAR_OP_NEWTRUE : ACAR_OP_NEWFALSE);
        return 0;
    }
    if (t == ACAR_STR && w->proto >= 1) {
        /* A str met before is a GET whatever its length; a new one of 3 to
         * 255 bytes (4 KiB below protocol 4, which has no frames to respect)
         * is no singleton and is written here with its memo opcode. */
        size_t len = (size_t)(tag >> 16);
        size_t slot;
        boundary(w);
        if (put_get_if_met(w, v, &slot)) return 0;
        if (slot == SIZE_MAX) return nomem(w);
        if (len >= 3 && w->memo_n < MEMO_MAX) {
            uint8_t *q;
            if (w->proto >= 4) {
                if (len > 255) return save(w, v);
                q = need(w, len + 3);
                q[0] = ACAR_OP_SHORT_BINUNICODE;
                q[1] = (uint8_t)len;
                acar__copy_short(q + 2, v->u.s, len);
                q[2 + len] = ACAR_OP_MEMOIZE;
                q += 3 + len;
            } else {
                if (len > 4096) return save(w, v);
                q = need(w, len + 10);
                q[0] = ACAR_OP_BINUNICODE;
                le32(q + 1, (uint32_t)len);
                acar__copy_short(q + 5, v->u.s, len);
                q += 5 + len;
                if (w->memo_n < 256) {
                    q[0] = ACAR_OP_BINPUT;
                    q[1] = (uint8_t)w->memo_n;
                    q += 2;
                } else {
                    q[0] = ACAR_OP_LONG_BINPUT;
                    le32(q + 1, (uint32_t)w->memo_n);
                    q += 5;
                }
            }
            w->p = q;
            memo_enter(w, v, slot, (uint32_t)w->memo_n++);
            return 0;
        }
    }
    return save(w, v);
}

/* A node's type and flags but ACAR_F_BYVAL (which a shared number may
 * carry): ACAR_INT only for an int that fits int64, since a big int has a
 * flag. */
static inline unsigned number_type(uint64_t tag) {
    return (unsigned)(tag & 0xffff & ~((uint64_t)ACAR_F_BYVAL << 8));
}

/* Worth a try with write_numbers (which checks the rest). */
static inline bool number_like(const acar_val *x) {
    unsigned t = number_type(x->tag);
    return t == ACAR_INT || t == ACAR_FLOAT || t == ACAR_NONE || t == ACAR_BOOL;
}

/* Writes items[j..end) for as long as they are None, bools, small ints or
 * floats (protocol 1+), with the cursor in a register: the byte stores
 * would otherwise make the compiler reload it for every item.  Returns the
 * first index not written.  (list(range(10**6)): 3.6 -> 1.5 ms.) */
/* On a 64-byte line (ACAR_LINE_ALIGNED), so that the loop sits where it
 * was measured whatever else the library holds: at the four offsets of 16
 * bytes it wrote ints_1e6 in 1.46-1.55 ms, where the switch it replaced
 * took 1.28-1.95 by the offset the linker gave it. */
ACAR_LINE_ALIGNED static size_t write_numbers(W *w, acar_val *const *items, size_t j, size_t end) {
    if (!w->proto || j >= end) return j;
    boundary(w);
    uint8_t *q = need(w, 16);
    /* Room for one more number without growing, and without crossing the
     * point where CPython would close the frame before the next item. */
    uint8_t *safe = w->end - 16;
    if ((size_t)(safe - w->base) > w->fcut) safe = w->base + w->fcut;
    bool bin2 = w->proto >= 2;
    for (; j < end; j++) {
        const acar_val *x = items[j];
        uint64_t tag = x->tag;
        if (q >= safe) {
            w->p = q;
            boundary(w);
            q = need(w, 16);
            safe = w->end - 16;
            if ((size_t)(safe - w->base) > w->fcut) safe = w->base + w->fcut;
            if (q >= safe) break; /* after a failed allocation */
        }
        /* an if chain, ints first: the switch's compare tree put seven
         * branches ahead of an int, and the loop then ran 1.3-1.9 ms on
         * ints_1e6 by where it started against a 64-byte line */
        unsigned type = number_type(tag);
        if (type == ACAR_INT) {
            int64_t i = x->u.i;
            if ((uint64_t)i <= 0xff) {
                q[0] = ACAR_OP_BININT1;
                q[1] = (uint8_t)i;
                q += 2;
            } else if ((uint64_t)i <= 0xffff) {
                q[0] = ACAR_OP_BININT2;
                q[1] = (uint8_t)i;
                q[2] = (uint8_t)(i >> 8);
                q += 3;
            } else if (i >= INT32_MIN && i <= INT32_MAX) {
                q[0] = ACAR_OP_BININT;
                le32(q + 1, (uint32_t)i);
                q += 5;
            } else {
                break;
            }
        } else if (type == ACAR_FLOAT) {
            q[0] = ACAR_OP_BINFLOAT;
            be_double(q + 1, x->u.f);
            q += 9;
        } else if (type == ACAR_NONE) {
            *q++ = ACAR_OP_NONE;
        } else if (type == ACAR_BOOL && bin2) {
            *q++ = x->u.i ? ACAR_OP_NEWTRUE : ACAR_OP_NEWFALSE;
        } else {
            break;
        }
    }
    w->p = q;
    return j;
}

/* A dict of 1 to BATCHSIZE pairs (one batch) as save() would write it
 * (EMPTY_DICT, its memo, then SETITEM or MARK ... SETITEMS), with flat
 * items written here without a frame or the batch bookkeeping, which cost
 * more than the items of the small dicts most documents are made of
 * (repeat.json's pickle: 35% of the write).  Returns 0 when written, 1
 * when a frame was pushed for items that are not flat, -1 on error,
 * NOT_SMALL when v is not such a dict. */
#define NOT_SMALL 2

/* What save() writes first for a list or dict: a GET when it was met
 * before (returns 1: nothing more to write), else its empty opcode and its
 * memo (0); -1 on error. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int open_small(W *w, const acar_val *v, uint8_t empty_op) {
    size_t slot;
    boundary(w);
    if (put_get_if_met(w, v, &slot)) return 1;
    if (enter(w) < 0) return -1;
    put1(w, empty_op);
    return memo_put_slot(w, v, slot) < 0 ? -1 : 0;
}

/* The slot of table t in kidx[]. */
static inline size_t kidx_slot(const acar_keys *t) { return ((uintptr_t)t >> 3) % KIDX; }

/* The memo indexes of the keys of table t, kept by note_key_indexes, or
 * NULL (none yet, or none to keep). */
static inline const uint32_t *key_indexes(const W *w, const acar_keys *t) {
    size_t s = kidx_slot(t);
    return ((w->kidx_used >> s) & 1) && w->kidx[s].keys == t ? w->kidx[s].idx : NULL;
}

/* Frees a kidx[] array unless it is in the writer's pool (or NULL). */
static void free_kidx(W *w, uint32_t *idx) {
    uintptr_t p = (uintptr_t)idx, pool = (uintptr_t)w->kpool;
    if (p - pool >= sizeof w->kpool) free(idx);
}

/* After a split dict's keys are written: keeps their memo indexes when
 * every one has an entry (none sole, none a singleton memoized by value),
 * so that a GET of each is what writing it again gives; else keeps that
 * there are none to keep, so that the next dicts of the shape do not look
 * again.  (Nothing kept when out of memory: the keys are then looked up
 * as any others.) */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void note_key_indexes(W *w, const acar_keys *t) {
    size_t s = kidx_slot(t);
    if (((w->kidx_used >> s) & 1) && w->kidx[s].keys == t) return; /* none to keep */
    bool pooled = t->n <= KPOOL - w->kpool_used;
    uint32_t *idx = pooled ? w->kpool + w->kpool_used : malloc(t->n * sizeof *idx);
    if (!idx) return;
    for (size_t i = 0; i < t->n; i++) {
        size_t slot;
        if (!memo_find(w, t->key[i], &slot, &idx[i])) {
            if (!pooled) free(idx);
            idx = NULL;
            break;
        }
    }
    if (idx && pooled) w->kpool_used += t->n;
    if ((w->kidx_used >> s) & 1) free_kidx(w, w->kidx[s].idx);
    w->kidx[s].keys = t;
    w->kidx[s].idx = idx;
    w->kidx_used |= (uint64_t)1 << s;
}

/* save_small_dict's split dict v of n pairs, opened: its keys (the
 * table's) as GETs of their memo indexes once the table's keys are all
 * memoized (key_indexes), else as save_item writes them.  Out of line,
 * so that save_small_dict stays what step_batch inlines for dicts of
 * pairs (with this inline, the pickles of instruments and citm_catalog
 * were written 5% slower). */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static int save_small_split(W *w, const acar_val *v, size_t n) {
    const acar_keys *t = acar__split_keys(v);
    acar_val *const *keys = t->key, *const *vals = v->u.items;
    if (n > 1) put1(w, ACAR_OP_MARK);
    /* the values first: a container there ends the look soonest */
    if (!all_flat(vals, n) || !all_flat(keys, n)) {
        wframe *f = push(w, F_SPLIT, v, true);
        if (!f) return -1;
        f->items = keys;
        f->vals = vals;
        f->n = 2 * n;
        f->j = 0;
        return 1;
    }
    const uint32_t *ki = key_indexes(w, t);
    if (ki) {
        for (size_t i = 0; i < n; i++) {
            boundary(w);
            put_get(w, ki[i]);
            if (save_item(w, vals[i]) < 0) return -1;
        }
    } else {
        for (size_t i = 0; i < n; i++)
            if (save_item(w, keys[i]) < 0 || save_item(w, vals[i]) < 0) return -1;
        note_key_indexes(w, t);
    }
    put1(w, n > 1 ? ACAR_OP_SETITEMS : ACAR_OP_SETITEM);
    return w->failed ? nomem(w) : 0;
}

static int save_small_dict(W *w, const acar_val *v) {
    size_t n = ACAR_LEN(v);
    /* not BATCHSIZE: CPython follows a full batch of a dict with an empty
     * one (MARK SETITEMS), which step_batch writes */
    if (n == 0 || n >= BATCHSIZE || w->proto == 0) return NOT_SMALL;
    int o = open_small(w, v, ACAR_OP_EMPTY_DICT);
    if (o) return o > 0 ? 0 : -1;
    if (acar__is_split(v)) return save_small_split(w, v, n);
    acar_val *const *items = map_items(v);
    if (!all_flat(items, 2 * n)) {
        /* push_batch's frame, without its second look at the items */
        wframe *f = push(w, F_BATCH, v, true);
        if (!f) return -1;
        batch_init(f, v, items, 2 * n, 2, ST_EXACT_DICT, ACAR_OP_SETITEM, ACAR_OP_SETITEMS);
        return 1;
    }
    if (n > 1) put1(w, ACAR_OP_MARK);
    for (size_t i = 0; i < 2 * n; i++)
        if (save_item(w, items[i]) < 0) return -1;
    put1(w, n > 1 ? ACAR_OP_SETITEMS : ACAR_OP_SETITEM);
    return w->failed ? nomem(w) : 0;
}

/* The same for a list of up to BATCHSIZE items: EMPTY_LIST, its memo,
 * then nothing, APPEND, or MARK ... APPENDS, with runs of numbers written
 * by write_numbers. */
static int save_small_list(W *w, const acar_val *v) {
    size_t n = ACAR_LEN(v);
    if (n > BATCHSIZE || w->proto == 0) return NOT_SMALL;
    acar_val *const *items = v->u.items;
    int o = open_small(w, v, ACAR_OP_EMPTY_LIST);
    if (o) return o > 0 ? 0 : -1;
    if (n == 0) return 0;
    if (!all_flat(items, n)) {
        wframe *f = push(w, F_BATCH, v, true);
        if (!f) return -1;
        batch_init(f, v, items, n, 1, ST_EXACT_LIST, ACAR_OP_APPEND, ACAR_OP_APPENDS);
        return 1;
    }
    if (n > 1) put1(w, ACAR_OP_MARK);
    for (size_t j = 0; j < n;) {
        if (number_like(items[j])) {
            size_t k = write_numbers(w, items, j, n);
            if (k != j) {
                j = k;
                continue;
            }
        }
        if (save_item(w, items[j++]) < 0) return -1;
    }
    put1(w, n > 1 ? ACAR_OP_APPENDS : ACAR_OP_APPEND);
    return w->failed ? nomem(w) : 0;
}

/* An element of a batch or of a split dict: a small dict or list written
 * whole (or its frame pushed), anything else by save_item.  0 when done;
 * else what the caller returns (1: a frame was pushed, and the caller's
 * frame may have moved; -1: failed). */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int save_elem(W *w, const acar_val *x) {
    if (x && (ACAR_TYPE(x) == ACAR_DICT || ACAR_TYPE(x) == ACAR_LIST)) {
        int r = ACAR_TYPE(x) == ACAR_DICT ? save_small_dict(w, x) : save_small_list(w, x);
        if (r != NOT_SMALL) return r;
    }
    return save_item(w, x);
}

static int step_batch(W *w, wframe *f) {
    for (;;) {
        if (f->open) {
            /* Runs of numbers only in lists: a dict's values sit between
             * keys, where a run is one long and the run's setup cost more
             * than the number (instruments.json's pickle). */
            bool runs = f->stride == 1;
            while (f->j < f->end) {
                const acar_val *x = f->items[f->j];
                if (runs && x && number_like(x)) {
                    size_t j = write_numbers(w, f->items, f->j, f->end);
                    if (j != f->j) {
                        f->j = j;
                        continue;
                    }
                }
                f->j++;
                int r = save_elem(w, x);
                if (r) return r; /* pushed (f may have moved) or failed */
            }
            put1(w, f->op);
            f->open = 0;
            if (w->failed) return nomem(w);
        }
        size_t left = (f->n - f->j) / f->stride, k;
        bool single = false;
        switch (f->style) {
        case ST_P0:
            if (!left) return DONE;
            single = true;
            break;
        case ST_EXACT_LIST:
            if (!left) return DONE;
            single = !f->started && f->n == f->stride;
            break;
        case ST_EXACT_DICT:
            if (f->started && f->last < BATCHSIZE) return DONE;
            single = !f->started && f->n == f->stride;
            break;
        case ST_SET:
            if (f->started && f->last < BATCHSIZE) return DONE;
            break;
        default: /* ST_GENERIC */
            if ((f->started && f->last < BATCHSIZE) || !left) return DONE;
            single = left == 1;
            break;
        }
        if (single) {
            k = 1;
            f->op = f->op1;
        } else {
            k = left < BATCHSIZE ? left : BATCHSIZE;
            f->op = f->opn;
            put1(w, ACAR_OP_MARK);
        }
        f->started = 1;
        f->last = (uint32_t)k;
        f->end = f->j + k * f->stride;
        f->open = 1;
    }
}

/* A split dict's pairs as save_small_dict writes a dict of pairs that is
 * not flat (after its MARK, for n > 1): key j / 2 of the table for even j,
 * value j / 2 for odd j, then SETITEMS (SETITEM for one pair).  A frame
 * kind of its own, so that step_batch's loop over a plain array is as it
 * was: copying the pairs out for it, or a choice between keys and values
 * in it, wrote the JSON-derived pickles of dicts in pairs 1-7% slower. */
static int step_split(W *w, wframe *f) {
    const acar_keys *t = acar__split_keys(f->v);
    while (f->j < f->n) {
        size_t j = f->j++;
        if (!(j & 1)) {
            /* A key whose memo index is known, looked up at each key: the
             * values written since may have put another table in t's
             * slot of kidx[] and freed t's indexes.  Without them the key
             * is written as any other, which gives the same GET. */
            const uint32_t *ki = key_indexes(w, t);
            if (ki) {
                boundary(w);
                put_get(w, ki[j >> 1]);
                continue;
            }
        }
        const acar_val *x = (j & 1) ? f->vals[j >> 1] : f->items[j >> 1];
        int r = save_elem(w, x);
        if (r) return r; /* pushed (f may have moved) or failed */
    }
    put1(w, f->n > 2 ? ACAR_OP_SETITEMS : ACAR_OP_SETITEM);
    note_key_indexes(w, t);
    return w->failed ? nomem(w) : DONE;
}

static int step_tuple(W *w, wframe *f) {
    while (f->j < f->n) {
        const acar_val *x = f->items[f->j];
        if (x && number_like(x)) {
            size_t j = write_numbers(w, f->items, f->j, f->n);
            if (j != f->j) {
                f->j = j;
                continue;
            }
        }
        f->j++;
        int r = save_item(w, x);
        if (r) return r;
    }
    const acar_val *v = f->v;
    size_t count = f->end;
    bool mark = f->style;
    uint32_t idx;
    switch (f->open) {
    case CL_TUPLE:
        if (v && memo_has(w, v, &idx)) {
            /* The tuple is inside itself: drop what was pushed, fetch it. */
            if (!mark) {
                for (size_t i = 0; i < count; i++) put1(w, ACAR_OP_POP);
            } else if (w->proto) {
                put1(w, ACAR_OP_POP_MARK);
            } else {
                for (size_t i = 0; i <= count; i++) put1(w, ACAR_OP_POP);
            }
            put_get(w, idx);
            return DONE;
        }
        tuple_close(w, count, mark);
        return (v ? memo_put_key(w, v) : put_memo(w, NULL)) < 0 ? -1 : DONE;
    case CL_FROZENSET:
        if (memo_has(w, v, &idx)) {
            put1(w, ACAR_OP_POP_MARK);
            put_get(w, idx);
            return DONE;
        }
        put1(w, ACAR_OP_FROZENSET);
        return memo_put_key(w, v) < 0 ? -1 : DONE;
    default:
        return DONE;
    }
}

/* The end of save_reduce: obj in the memo already (it was reached from its
 * own arguments) -> POP and GET; else memoize it. */
static int reduce_memo(W *w, const acar_val *v, bool *done) {
    uint32_t idx;
    *done = false;
    if (memo_has(w, v, &idx)) {
        put1(w, ACAR_OP_POP);
        put_get(w, idx);
        *done = true;
        return 0;
    }
    return memo_put_key(w, v);
}

static int step_setred(W *w, wframe *f) {
    const acar_val *v = f->v;
    tuple_close(w, 1, w->proto < 2);
    if (put_memo(w, NULL) < 0) return -1;
    put1(w, ACAR_OP_REDUCE);
    pop(w);
    bool done;
    return reduce_memo(w, v, &done);
}

/* A fresh empty dict, then the pairs of d (NULL: none) as an exact dict. */
static int save_fresh_dict(W *w, const acar_val *d) {
    boundary(w);
    if (w->proto) put1(w, ACAR_OP_EMPTY_DICT);
    else put2(w, ACAR_OP_MARK, ACAR_OP_DICT);
    if (put_memo(w, NULL) < 0) return -1;
    if (!d || !ACAR_LEN(d)) return 0;
    return push_pairs(w, NULL, d, w->proto ? ST_EXACT_DICT : ST_P0, false);
}

/* Object phases. */
enum {
    P_START, P_ARGS, P_ARGS_DONE, P_KWARGS, P_KWARGS_DONE,
    P_PARTIAL_CLS, P_PARTIAL_ARGS, P_PARTIAL_KW, P_PARTIAL_END,
    P_OBJ_ARGS, P_OBJ_ITEMS,
    P_POST, P_DICTITEMS, P_STATE, P_BUILD
};

#define SAVE_THEN(next, x) do { f->phase = (next); int r_ = save(w, (x)); if (r_) return r_; } while (0)

static int step_obj(W *w, wframe *f) {
    const acar_val *v = f->v;
    const acar_object_body *b = v->u.p;
    switch (f->phase) {
    case P_START:
        switch (f->style) {
        case M_REDUCE:
            SAVE_THEN(P_ARGS, f->cls);
            goto args;
        case M_NEWOBJ:
        case M_NEWOBJ_SLICE:
        case M_NEWOBJEX:
            SAVE_THEN(P_ARGS, f->cls);
            goto args;
        case M_NEWOBJ_REDUCE:
        case M_NEWOBJEX_REDUCE:
            if (save_builtin_global(w, "copyreg", f->style == M_NEWOBJ_REDUCE ? "__newobj__" : "__newobj_ex__") < 0)
                return -1;
            boundary(w);
            put1(w, ACAR_OP_MARK);
            SAVE_THEN(P_ARGS, f->cls);
            goto args;
        case M_PARTIAL: {
            /* functools.partial(cls.__new__, cls, *args, **kwargs)() */
            const acar_val *mn, *nn;
            if (save_builtin_global(w, "functools", "partial") < 0) return -1;
            if (global_parts(w, f->cls, &mn, &nn) < 0) return -1;
            size_t nl = ACAR_LEN(nn);
            char *fn = tmp_alloc(w, nl + 8);
            if (!fn) return nomem(w);
            memcpy(fn, nn->u.s, nl);
            memcpy(fn + nl, ".__new__", 8);
            boundary(w); /* the (func,) tuple */
            boundary(w); /* func */
            if (save_global(w, NULL, NULL, mn->u.s, ACAR_LEN(mn), fn, nl + 8) < 0) return -1;
            tuple_close(w, 1, false);
            if (put_memo(w, NULL) < 0) return -1;
            put1(w, ACAR_OP_REDUCE);
            if (put_memo(w, NULL) < 0) return -1;   /* the partial object */
            boundary(w);                             /* its state tuple */
            put1(w, ACAR_OP_MARK);
            boundary(w);
            if (save_global(w, NULL, NULL, mn->u.s, ACAR_LEN(mn), fn, nl + 8) < 0) return -1;
            boundary(w);                             /* (cls, *args) */
            f->open = tuple_mark(w, 1 + ACAR_LEN(f->args));
            SAVE_THEN(P_PARTIAL_CLS, f->cls);
            goto partial_cls;
        }
        case M_INST:
            put1(w, ACAR_OP_MARK);
            goto obj_args;
        case M_OBJ:
            put1(w, ACAR_OP_MARK);
            SAVE_THEN(P_OBJ_ARGS, f->cls);
            goto obj_args;
        }
        return fail(w, ACAR_ERR_TYPE, "bad object mode");

    obj_args:
    case P_OBJ_ARGS:
        f->phase = P_OBJ_ITEMS;
        return push_tuple(w, NULL, f->args->u.items, ACAR_LEN(f->args), 0, false, CL_NONE, false);

    partial_cls:
    case P_PARTIAL_CLS:
        f->phase = P_PARTIAL_ARGS;
        return push_tuple(w, NULL, f->args->u.items, ACAR_LEN(f->args), 1 + ACAR_LEN(f->args),
                          f->open, CL_TUPLE, false);
    case P_PARTIAL_ARGS: {
        f->phase = P_PARTIAL_KW;
        int r = save_fresh_dict(w, f->kwargs);
        if (r) return r;
    }
    /* fallthrough */
    case P_PARTIAL_KW:
        boundary(w);
        put1(w, ACAR_OP_NONE);
        put1(w, ACAR_OP_TUPLE);
        if (put_memo(w, NULL) < 0) return -1;
        put1(w, ACAR_OP_BUILD);
        boundary(w);
        put1(w, ACAR_OP_EMPTY_TUPLE);
        put1(w, ACAR_OP_REDUCE);
        goto post;

    case P_OBJ_ITEMS:
        if (f->style == M_INST) {
            const acar_val *mn, *nn;
            if (global_parts(w, f->cls, &mn, &nn) < 0) return -1;
            const char *im = mn->u.s, *in = nn->u.s;
            size_t iml = ACAR_LEN(mn), inl = ACAR_LEN(nn);
            export_names(w, &im, &iml, &in, &inl);
            if (write_global_text(w, ACAR_OP_INST, im, iml, in, inl) < 0)
                return -1;
        } else {
            put1(w, ACAR_OP_OBJ);
        }
        goto post;

    args:
    case P_ARGS:
        switch (f->style) {
        case M_REDUCE:
        case M_NEWOBJ:
        case M_NEWOBJEX:
            SAVE_THEN(P_KWARGS, f->args);
            goto kwargs;
        case M_NEWOBJ_SLICE: {
            /* args[1:], a fresh tuple */
            size_t n = ACAR_LEN(f->args) - 1;
            boundary(w);
            f->phase = P_ARGS_DONE;
            if (!n) {
                empty_tuple(w);
                goto args_done;
            }
            bool mark = tuple_mark(w, n);
            return push_tuple(w, NULL, f->args->u.items + 1, n, n, mark, CL_TUPLE, false);
        }
        case M_NEWOBJ_REDUCE:
            /* (cls, *args), a fresh tuple opened by MARK above */
            f->phase = P_ARGS_DONE;
            return push_tuple(w, NULL, f->args->u.items, ACAR_LEN(f->args), 1 + ACAR_LEN(f->args),
                              true, CL_TUPLE, false);
        case M_NEWOBJEX_REDUCE:
            SAVE_THEN(P_KWARGS, f->args);
            goto kwargs;
        }
        return fail(w, ACAR_ERR_TYPE, "bad object mode");

    args_done:
    case P_ARGS_DONE:
        put1(w, f->style == M_NEWOBJ_SLICE ? ACAR_OP_NEWOBJ : ACAR_OP_REDUCE);
        goto post;

    kwargs:
    case P_KWARGS:
        if (f->style == M_NEWOBJEX || f->style == M_NEWOBJEX_REDUCE) {
            f->phase = P_KWARGS_DONE;
            if (f->kwargs) {
                SAVE_THEN(P_KWARGS_DONE, f->kwargs);
            } else {
                int r = save_fresh_dict(w, NULL);
                if (r) return r;
            }
        }
        /* fallthrough */
    case P_KWARGS_DONE:
        switch (f->style) {
        case M_REDUCE: put1(w, ACAR_OP_REDUCE); break;
        case M_NEWOBJ: put1(w, ACAR_OP_NEWOBJ); break;
        case M_NEWOBJEX: put1(w, ACAR_OP_NEWOBJ_EX); break;
        default: /* M_NEWOBJEX_REDUCE */
            put1(w, ACAR_OP_TUPLE);
            if (put_memo(w, NULL) < 0) return -1;
            put1(w, ACAR_OP_REDUCE);
            break;
        }
        goto post;

    post:
    case P_POST: {
        bool done;
        if (reduce_memo(w, v, &done) < 0) return -1;
        if (done) return pop(w);
        f->phase = P_DICTITEMS;
        const acar_val *li = b->listitems;
        if (li && !is_type(li, ACAR_LIST)) return fail(w, ACAR_ERR_TYPE, "object list items must be a list");
        if (li && ACAR_LEN(li)) {
            return push_batch(w, NULL, li->u.items, ACAR_LEN(li), 1, w->proto ? ST_GENERIC : ST_P0,
                              ACAR_OP_APPEND, ACAR_OP_APPENDS, false);
        }
    }
    /* fallthrough */
    case P_DICTITEMS: {
        f->phase = P_STATE;
        const acar_val *di = b->dictitems;
        if (di && !is_type(di, ACAR_DICT)) return fail(w, ACAR_ERR_TYPE, "object dict items must be a dict");
        if (di && ACAR_LEN(di)) {
            return push_pairs(w, NULL, di, w->proto ? ST_GENERIC : ST_P0, false);
        }
    }
    /* fallthrough */
    case P_STATE:
        /* save_reduce drops a None state. */
        if (b->state && ACAR_TYPE(b->state) != ACAR_NONE) SAVE_THEN(P_BUILD, b->state);
        else return pop(w);
        /* fallthrough */
    case P_BUILD:
        put1(w, ACAR_OP_BUILD);
        return pop(w);
    }
    return fail(w, ACAR_ERR_TYPE, "bad object phase");
}

static int step(W *w) {
    wframe *f = &w->st[w->sp - 1];
    switch (f->kind) {
    case F_BATCH: {
        int r = step_batch(w, f);
        return r == DONE ? pop(w) : r;
    }
    case F_SPLIT: {
        int r = step_split(w, f);
        return r == DONE ? pop(w) : r;
    }
    case F_TUPLE: {
        int r = step_tuple(w, f);
        return r == DONE ? pop(w) : r;
    }
    case F_SETRED: return step_setred(w, f);
    case F_OBJ: return step_obj(w, f);
    default: /* F_PERSID */
        if (f->phase == 0) {
            f->phase = 1;
            int r = save(w, f->v->u.p);
            if (r) return r;
        }
        put1(w, ACAR_OP_BINPERSID);
        return pop(w);
    }
}

/* ---- entry point ---- */

int acar__pickle_write(const acar_val *v, const acar_write_opts *opts, acar_out *out, acar_err *err) {
    acar_write_opts zero = {0};
    if (!opts) opts = &zero;
    int proto;
    if (opts->version == 0) proto = 4;
    else if ((opts->version & ~0xffu) == 0x100u && (opts->version & 0xffu) <= ACAR_PICKLE_HIGHEST_PROTOCOL)
        proto = (int)(opts->version & 0xffu);
    else {
        acar__err_set(err, ACAR_ERR_ARG, 0, "pickle protocol must be ACAR_VERSION(0..5) or 0, not 0x%x",
                      opts->version);
        return -1;
    }
    if (!v || !out || !out->buf) {
        acar__err_set(err, ACAR_ERR_ARG, 0, "acar__pickle_write needs a value and a buffer");
        return -1;
    }
    W wv;
    W *w = &wv;
    memset(w, 0, offsetof(W, s1));
    w->st = w->st0;
    w->scap = ST0W;
    w->out = out;
    w->err = err;
    w->root = v;
    w->proto = proto;
    w->fix_imports = !(opts->flags & ACAR_WRITE_NO_FIX_IMPORTS);
    w->max_depth = opts->max_depth ? opts->max_depth : ACAR_DEFAULT_MAX_DEPTH;
    w->max_digits = opts->max_int_digits ? opts->max_int_digits : ACAR_DEFAULT_MAX_INT_DIGITS;
    w->max_output = opts->max_output;
    w->frame_start = NO_FRAME;
    w->fcut = SIZE_MAX;
    w->failed = out->failed;
    if (w->failed) {
        w->base = w->p = w->scratch;
        w->end = w->scratch + sizeof w->scratch;
    } else {
        acar_buf *b = out->buf;
        if (b->data) {
            w->base = (uint8_t *)b->data;
            w->p = w->base + b->len;
            w->end = w->base + b->cap;
        }
        if (b->cap - b->len < 256) (void)w_grow(w, 256);
    }

    if (proto >= 2) put2(w, ACAR_OP_PROTO, (uint8_t)proto);
    w->framing = proto >= 4;
    w->need_frame = w->framing;

    int r = save(w, v);
    while (r >= 0 && w->sp) r = step(w);
    if (r >= 0) {
        put1(w, ACAR_OP_STOP);
        commit_frame(w);
    }
    if (!w->failed) out->buf->len = (size_t)(w->p - w->base);
    else out->failed = true;

    int rc = 0;
    if (w->errored) rc = -1;
    else if (w->failed) rc = nomem(w);

    while (w->tmp) {
        tmpblock *t = w->tmp;
        w->tmp = t->next;
        free(t);
    }
    if (w->mkeys != w->mkeys0) {
        free(w->mkeys);
        free(w->mvals);
    }
    free(w->vt);
    for (size_t i = 0; i < KIDX && w->kidx_used >> i; i++)
        if ((w->kidx_used >> i) & 1) free_kidx(w, w->kidx[i].idx);
    if (w->st != w->st0) free(w->st);
    return rc;
}
