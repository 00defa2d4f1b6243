/*
 * pyhash.c -- CPython 3.11's hash() and set iteration order, for repr.
 *
 * The hashes, as a 64-bit CPython 3.11 computes them with PYTHONHASHSEED=0
 * (P = 2^61 - 1, arithmetic on unsigned 64-bit words, and a result of -1
 * always turned into -2 because -1 means "error" in C):
 *   int        sign * (|x| mod P)
 *   float      the same for the exact rational value m * 2^e: |m| mod P
 *              rotated left by e mod 61 inside 61 bits; +-inf is +-314159;
 *              NaN hashes by address (not deterministic)
 *   complex    hash(real) + 1000003 * hash(imag)
 *   str        siphash13, key all zero, over the PEP 393 form: 1 byte per
 *              code point when all are < 256, else 2 (all < 65536), else 4,
 *              little-endian; the empty string hashes to 0.  bytes: the same
 *              over the bytes.
 *   tuple      xxHash-like: acc = PRIME5; per item acc += h * PRIME2,
 *              rotate left 31, acc *= PRIME1; then acc += len ^ (PRIME5 ^
 *              3527539); -1 becomes 1546275796
 *   frozenset  xor of shuffle(h) = ((h ^ 89869747) ^ (h << 16)) * 3644798167
 *              over the items, then xor (len + 1) * 1927868237, then
 *              h ^= (h >> 11) ^ (h >> 25); h = h * 69069 + 907133923;
 *              -1 becomes 590923713
 *   None, Ellipsis, classes, other objects: by address (not deterministic).
 *
 * The set table (Objects/setobject.c): 8 slots to start; an item goes to
 * slot hash & mask, else to the first free slot among the next
 * LINEAR_PROBES (9) slots when they are all inside the table, else the probe
 * jumps to i = (i * 5 + 1 + perturb) & mask with perturb >>= 5 first
 * (perturb starts as the hash).  After an insert that fills a fresh slot,
 * fill * 5 >= mask * 3 resizes to the smallest power of two above used * 4
 * (used * 2 beyond 50000 items), re-inserting the items in old slot order.
 * Iteration walks the slots in order.
 */
#include "core/pyhash.h"

#include <math.h>
#include <stdlib.h>

#define PY_MOD (((uint64_t)1 << 61) - 1)
#define PY_BITS 61
#define PY_INF 314159
#define PY_IMAG 1000003u

#define XXPRIME_1 11400714785074694791ull
#define XXPRIME_2 14029467366897019727ull
#define XXPRIME_5 2870177450012600261ull

#define LINEAR_PROBES 9u
#define PERTURB_SHIFT 5
#define SET_MINSIZE 8u

/* ---- siphash13, all-zero key, fed in pieces ---- */

typedef struct sip {
    uint64_t v0, v1, v2, v3;
    uint64_t tail;  /* pending bytes, little-endian */
    unsigned ntail;
    uint64_t total; /* bytes fed (only the low 8 bits reach the hash) */
} sip;

#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

static void sip_round(sip *s) {
    s->v0 += s->v1; s->v2 += s->v3;
    s->v1 = ROTL(s->v1, 13) ^ s->v0;
    s->v3 = ROTL(s->v3, 16) ^ s->v2;
    s->v0 = ROTL(s->v0, 32);
    s->v2 += s->v1; s->v0 += s->v3;
    s->v1 = ROTL(s->v1, 17) ^ s->v2;
    s->v3 = ROTL(s->v3, 21) ^ s->v0;
    s->v2 = ROTL(s->v2, 32);
}

static void sip_init(sip *s) {
    s->v0 = 0x736f6d6570736575ull;
    s->v1 = 0x646f72616e646f6dull;
    s->v2 = 0x6c7967656e657261ull;
    s->v3 = 0x7465646279746573ull;
    s->tail = 0;
    s->ntail = 0;
    s->total = 0;
}

static void sip_word(sip *s, uint64_t m) {
    s->v3 ^= m;
    sip_round(s);
    s->v0 ^= m;
}

static void sip_feed(sip *s, const uint8_t *p, size_t n) {
    s->total += n;
    while (n && s->ntail) {
        s->tail |= (uint64_t)*p++ << (8 * s->ntail);
        n--;
        if (++s->ntail == 8) {
            sip_word(s, s->tail);
            s->tail = 0;
            s->ntail = 0;
        }
    }
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t m = 0;
        for (unsigned k = 0; k < 8; k++) m |= (uint64_t)p[k] << (8 * k);
        sip_word(s, m);
    }
    for (; n; n--) s->tail |= (uint64_t)*p++ << (8 * s->ntail++);
}

static uint64_t sip_final(sip *s) {
    uint64_t b = (s->total << 56) | s->tail;
    sip_word(s, b);
    s->v2 ^= 0xff;
    sip_round(s);
    sip_round(s);
    sip_round(s);
    return (s->v0 ^ s->v1) ^ (s->v2 ^ s->v3);
}

/* _Py_HashBytes: 0 for no bytes, -1 becomes -2. */
static uint64_t fix_hash(uint64_t h) { return h == UINT64_MAX ? (uint64_t)-2 : h; }

static uint64_t hash_bytes(const uint8_t *p, size_t n) {
    if (!n) return 0;
    sip s;
    sip_init(&s);
    sip_feed(&s, p, n);
    return fix_hash(sip_final(&s));
}

/* One code point from UTF-8 as acar stores it (surrogates as their 3-byte
 * form).  Returns the bytes used, or 0 on a sequence that runs past the end
 * or is not UTF-8 (builders validate, so only a corrupt node gets here). */
static size_t utf8_next(const uint8_t *p, size_t n, uint32_t *cp) {
    uint8_t c = p[0];
    size_t len;
    uint32_t v;
    if (c < 0x80) { *cp = c; return 1; }
    if (c >= 0xc2 && c < 0xe0) { len = 2; v = c & 0x1fu; }
    else if (c >= 0xe0 && c < 0xf0) { len = 3; v = c & 0x0fu; }
    else if (c >= 0xf0 && c < 0xf5) { len = 4; v = c & 0x07u; }
    else return 0;
    if (len > n) return 0;
    for (size_t k = 1; k < len; k++) {
        if ((p[k] & 0xc0) != 0x80) return 0;
        v = (v << 6) | (p[k] & 0x3fu);
    }
    *cp = v;
    return len;
}

/* str hash over the PEP 393 representation.  Returns -1 on corrupt UTF-8. */
static int hash_str(const acar_val *v, uint64_t *out) {
    const uint8_t *p = (const uint8_t *)v->u.s;
    size_t n = ACAR_LEN(v);
    if (ACAR_FLAGS(v) & ACAR_F_ASCII) { *out = hash_bytes(p, n); return 0; }
    uint32_t maxcp = 0, cp;
    bool ascii = true;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_next(p + i, n - i, &cp);
        if (!k) return -1;
        if (cp > maxcp) maxcp = cp;
        if (k > 1) ascii = false;
        i += k;
    }
    if (ascii) { *out = hash_bytes(p, n); return 0; }
    unsigned kind = maxcp < 0x100 ? 1 : maxcp < 0x10000 ? 2 : 4;
    /* Code points go through a small buffer to feed siphash in runs. */
    uint8_t buf[256];
    size_t nb = 0;
    sip s;
    sip_init(&s);
    for (size_t i = 0; i < n;) {
        i += utf8_next(p + i, n - i, &cp);
        for (unsigned k = 0; k < kind; k++) buf[nb++] = (uint8_t)(cp >> (8 * k));
        if (nb > sizeof buf - 4) { sip_feed(&s, buf, nb); nb = 0; }
    }
    sip_feed(&s, buf, nb);
    *out = fix_hash(sip_final(&s));
    return 0;
}

/* ---- numbers ---- */

/* x * 2^k mod P for x < P and 0 <= k < 61: a rotation inside 61 bits. */
static uint64_t rot61(uint64_t x, unsigned k) {
    if (!k) return x;
    return ((x << k) & PY_MOD) | (x >> (PY_BITS - k));
}

static uint64_t signed_hash(uint64_t mag_mod, bool neg) {
    uint64_t h = neg ? (uint64_t)0 - mag_mod : mag_mod;
    return fix_hash(h);
}

static uint64_t hash_int(const acar_val *v) {
    int64_t i;
    if (acar_int_get(v, &i)) {
        bool neg = i < 0;
        uint64_t mag = neg ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
        return signed_hash(mag % PY_MOD, neg);
    }
    int neg;
    const uint32_t *limbs;
    uint32_t tmp[3];
    size_t n = acar_int_limbs(v, &neg, &limbs, tmp);
    uint64_t x = 0;
    while (n--) {
        x = rot61(x, 32) + limbs[n];
        if (x >= PY_MOD) x -= PY_MOD;
    }
    return signed_hash(x, neg != 0);
}

/* Finite or infinite d (NaN is the caller's business). */
static uint64_t hash_double(double d) {
    if (isinf(d)) return d > 0 ? (uint64_t)PY_INF : (uint64_t)0 - PY_INF;
    int e;
    double m = frexp(d, &e);
    bool neg = m < 0;
    if (neg) m = -m;
    /* m * 2^53 is the exact 53-bit significand (subnormals have fewer bits). */
    uint64_t sig = (uint64_t)ldexp(m, 53);
    int ex = e - 53;
    int r = ex % PY_BITS;
    if (r < 0) r += PY_BITS;
    return signed_hash(rot61(sig, (unsigned)r), neg);
}

/* ---- tuples and frozensets, with an explicit stack ---- */

typedef struct frame {
    const acar_val *v;
    size_t i;      /* index of the item being hashed */
    uint64_t acc;
} frame;

typedef struct hasher {
    size_t budget; /* node visits left */
    frame *stack;
    size_t cap, sp;
    bool oom;      /* a failure was malloc's, not the value's */
    frame inline_stack[32];
} hasher;

static void hasher_init(hasher *h, size_t budget) {
    h->budget = budget;
    h->stack = h->inline_stack;
    h->cap = sizeof h->inline_stack / sizeof h->inline_stack[0];
    h->sp = 0;
    h->oom = false;
}

static void hasher_free(hasher *h) {
    if (h->stack != h->inline_stack) free(h->stack);
}

/* A tuple that holds itself has no hash (CPython cannot hash it either);
 * followed round its cycle it would eat the whole budget (a fuzz finding:
 * 14 s under ASan for each print of one small marshal set).  Every
 * CYCLE_CHECK levels the node being entered is looked for on the path:
 * on an endless path every node that deep lies on the cycle, so the
 * first check past one lap finds it, and honest nesting 100,000 deep costs
 * depth^2 / CYCLE_CHECK steps. */
#define CYCLE_CHECK 4096

static int hasher_push(hasher *h, const acar_val *v, uint64_t acc) {
    if (h->sp && h->sp % CYCLE_CHECK == 0)
        for (size_t i = 0; i < h->sp; i++)
            if (h->stack[i].v == v) return -1;
    if (h->sp == h->cap) {
        if (h->cap > SIZE_MAX / 2 / sizeof(frame)) return -1;
        frame *bigger = malloc(2 * h->cap * sizeof(frame));
        if (!bigger) {
            h->oom = true;
            return -1;
        }
        memcpy(bigger, h->stack, h->sp * sizeof(frame));
        hasher_free(h);
        h->stack = bigger;
        h->cap *= 2;
    }
    h->stack[h->sp++] = (frame){v, 0, acc};
    return 0;
}

static const acar_val *const *container_items(const acar_val *v) {
    return ACAR_TYPE(v) == ACAR_TUPLE ? (const acar_val *const *)v->u.items
                                      : (const acar_val *const *)v->u.items;
}

static uint64_t tuple_final(uint64_t acc, size_t len) {
    acc += (uint64_t)len ^ (XXPRIME_5 ^ 3527539u);
    return acc == UINT64_MAX ? 1546275796u : acc;
}

static uint64_t shuffle_bits(uint64_t h) {
    return ((h ^ 89869747u) ^ (h << 16)) * 3644798167u;
}

static uint64_t frozenset_final(uint64_t acc, size_t len) {
    acc ^= ((uint64_t)len + 1) * 1927868237u;
    acc ^= (acc >> 11) ^ (acc >> 25);
    acc = acc * 69069u + 907133923u;
    return acc == UINT64_MAX ? 590923713u : acc;
}

/* The hash of a node that holds no other node; -1 when it has none. */
static int hash_leaf(const acar_val *v, uint64_t *out) {
    switch (ACAR_TYPE(v)) {
    case ACAR_BOOL:
        *out = acar_bool(v) ? 1 : 0;
        return 0;
    case ACAR_INT:
        *out = hash_int(v);
        return 0;
    case ACAR_FLOAT:
        if (isnan(v->u.f)) return -1;
        *out = hash_double(v->u.f);
        return 0;
    case ACAR_COMPLEX: {
        const double *c = (const double *)v->u.p;
        if (isnan(c[0]) || isnan(c[1])) return -1;
        *out = fix_hash(hash_double(c[0]) + PY_IMAG * hash_double(c[1]));
        return 0;
    }
    case ACAR_STR:
        return hash_str(v, out);
    case ACAR_BYTES:
        *out = hash_bytes((const uint8_t *)v->u.s, ACAR_LEN(v));
        return 0;
    case ACAR_DATETIME: {
        /* A naive datetime hashes its state bytes, fold cleared. */
        uint8_t st[10];
        acar__datetime_state(v, st, false);
        *out = hash_bytes(st, sizeof st);
        return 0;
    }
    default:
        /* None (3.11 hashes it by address; 3.12 made it constant),
         * Ellipsis, globals, objects, unhashable containers. */
        return -1;
    }
}

static int hasher_run(hasher *h, const acar_val *v, uint64_t *out) {
    uint64_t x = 0;
    int rc = -1;
    h->sp = 0;
    for (;;) {
        /* Descend: hash v, or open a frame for it and go to its first item. */
        if (!h->budget) goto done;
        h->budget--;
        acar_type t = ACAR_TYPE(v);
        if (t == ACAR_TUPLE || t == ACAR_FROZENSET) {
            size_t n = ACAR_LEN(v);
            uint64_t acc0 = t == ACAR_TUPLE ? XXPRIME_5 : 0;
            if (n) {
                if (hasher_push(h, v, acc0) < 0) goto done;
                v = container_items(v)[0];
                continue;
            }
            x = t == ACAR_TUPLE ? tuple_final(acc0, 0) : frozenset_final(acc0, 0);
        } else if (hash_leaf(v, &x) < 0) {
            goto done;
        }
        /* Ascend: give x to the open frames until one has items left. */
        while (h->sp) {
            frame *f = &h->stack[h->sp - 1];
            size_t n = ACAR_LEN(f->v);
            if (ACAR_TYPE(f->v) == ACAR_TUPLE) {
                f->acc += x * XXPRIME_2;
                f->acc = ROTL(f->acc, 31);
                f->acc *= XXPRIME_1;
            } else {
                f->acc ^= shuffle_bits(x);
            }
            if (++f->i < n) break;
            x = ACAR_TYPE(f->v) == ACAR_TUPLE ? tuple_final(f->acc, n) : frozenset_final(f->acc, n);
            h->sp--;
        }
        if (!h->sp) break;
        frame *f = &h->stack[h->sp - 1];
        v = container_items(f->v)[f->i];
    }
    *out = x;
    rc = 0;
done:
    return rc;
}

int acar__py_hash(const acar_val *v, int64_t *out) {
    if (!v) return -1;
    hasher h;
    hasher_init(&h, ACAR_PYHASH_BUDGET);
    uint64_t x;
    int rc = hasher_run(&h, v, &x);
    hasher_free(&h);
    if (rc == 0 && out) *out = (int64_t)x;
    return rc;
}

/* ---- the set table ---- */

#define EMPTY SIZE_MAX

/* The first free slot on hash's probe path: set_add_entry and
 * set_insert_clean walk the same path when no item equals the new one. */
static size_t probe(const size_t *table, uint64_t mask, uint64_t hash) {
    uint64_t perturb = hash;
    uint64_t i = hash & mask;
    for (;;) {
        if (table[i] == EMPTY) return (size_t)i;
        if (i + LINEAR_PROBES <= mask) {
            for (unsigned j = 1; j <= LINEAR_PROBES; j++)
                if (table[i + j] == EMPTY) return (size_t)(i + j);
        }
        perturb >>= PERTURB_SHIFT;
        i = (i * 5 + 1 + perturb) & mask;
    }
}

static size_t *table_new(size_t slots) {
    if (slots > SIZE_MAX / sizeof(size_t)) return NULL;
    size_t *t = malloc(slots * sizeof *t);
    if (t)
        for (size_t k = 0; k < slots; k++) t[k] = EMPTY;
    return t;
}

int acar__py_set_order(const acar_val *set, size_t *order) {
    size_t n = set ? ACAR_LEN(set) : 0;
    for (size_t k = 0; k < n; k++) order[k] = k;
    if (!set || (ACAR_TYPE(set) != ACAR_SET && ACAR_TYPE(set) != ACAR_FROZENSET)) return -1;
    if (n < 2) return 0;

    acar_val *const *items = set->u.items;
    uint64_t *hashes = NULL;
    size_t *table = NULL, *old = NULL;
    size_t slots = SET_MINSIZE, fill = 0, out = 0;
    int rc = -1;
    hasher h;
    hasher_init(&h, ACAR_PYHASH_BUDGET);
    if (n > (SIZE_MAX - ACAR_PYHASH_BUDGET) / 256 || n > SIZE_MAX / sizeof *hashes) goto done;
    h.budget += 256 * n;

    hashes = malloc(n * sizeof *hashes);
    if (!hashes) goto nomem;
    for (size_t k = 0; k < n; k++)
        if (hasher_run(&h, items[k], &hashes[k]) < 0) {
            if (h.oom) goto nomem;
            goto done;
        }

    table = table_new(slots);
    if (!table) goto nomem;
    for (size_t k = 0; k < n; k++) {
        uint64_t mask = slots - 1;
        table[probe(table, mask, hashes[k])] = k;
        fill++;
        if ((uint64_t)fill * 5 < mask * 3) continue;
        /* set_table_resize(used > 50000 ? used * 2 : used * 4); no deletions,
         * so used == fill and the rebuild needs no dummy handling. */
        uint64_t minused = fill > 50000 ? (uint64_t)fill * 2 : (uint64_t)fill * 4;
        size_t newslots = SET_MINSIZE;
        while (newslots <= minused) {
            if (newslots > SIZE_MAX / 2) goto done;
            newslots <<= 1;
        }
        old = table;
        table = table_new(newslots);
        if (!table) goto nomem;
        for (size_t s = 0; s < slots; s++)
            if (old[s] != EMPTY) table[probe(table, newslots - 1, hashes[old[s]])] = old[s];
        free(old);
        old = NULL;
        slots = newslots;
    }
    for (size_t s = 0; s < slots; s++)
        if (table[s] != EMPTY) order[out++] = table[s];
    rc = 0;
    goto done;
nomem:
    rc = -2;
    for (size_t k = 0; k < n; k++) order[k] = k;
done:
    hasher_free(&h);
    free(old);
    free(table);
    free(hashes);
    return rc;
}
