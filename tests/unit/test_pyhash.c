/* test_pyhash.c -- CPython 3.11's hash() and set iteration order
 * (src/core/pyhash.c) against values from tests/gen/gen_pyhash_cases.py:
 * hash cases parsed from prefix text, set cases rebuilt with the same
 * splitmix64 value generator the script uses, plus the values whose hash
 * is not deterministic, deep nesting and the work budget. */
#include "acar.h"
#include "check.h"
#include "core/pyhash.h"
#include "pyhash_cases.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define NCASES(a) (sizeof(a) / sizeof((a)[0]))

/* ---- prefix text -> nodes (test data only: recursion is fine here) ---- */

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

static uint64_t hex64(const char **p) {
    uint64_t v = 0;
    for (int k = 0; k < 16; k++) v = (v << 4) | (uint64_t)hexval(*(*p)++);
    return v;
}

static double bits_double(uint64_t u) {
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* Hex digits up to ';' as bytes; returns the count. */
static size_t hexbytes(const char **p, unsigned char *out) {
    size_t n = 0;
    while (**p != ';') {
        out[n++] = (unsigned char)(hexval((*p)[0]) * 16 + hexval((*p)[1]));
        *p += 2;
    }
    (*p)++;
    return n;
}

static acar_val *parse(acar_doc *doc, const char **p) {
    static unsigned char buf[4096];
    char c = *(*p)++;
    switch (c) {
    case 'B':
        return acar_new_bool(doc, *(*p)++ == '1');
    case 'i': {
        int neg = 0;
        if (**p == '-') { neg = 1; (*p)++; }
        const char *start = *p;
        while (**p != ';') (*p)++;
        size_t nd = (size_t)(*p - start);
        uint32_t limbs[1100] = {0};
        for (size_t k = 0; k < nd; k++) {
            size_t bit = 4 * (nd - 1 - k);
            limbs[bit / 32] |= (uint32_t)hexval(start[k]) << (bit % 32);
        }
        (*p)++;
        return acar_new_bigint(doc, neg, limbs, (nd * 4 + 31) / 32);
    }
    case 'f':
        return acar_new_float(doc, bits_double(hex64(p)));
    case 'c': {
        double re = bits_double(hex64(p));
        double im = bits_double(hex64(p));
        return acar_new_complex(doc, re, im);
    }
    case 's': {
        size_t n = hexbytes(p, buf);
        return acar_new_str(doc, (const char *)buf, n);
    }
    case 'y': {
        size_t n = hexbytes(p, buf);
        return acar_new_bytes(doc, buf, n);
    }
    case 'T':
    case 'F': {
        size_t n = (size_t)strtoul(*p, (char **)p, 10);
        (*p)++; /* ':' */
        acar_val **items = malloc((n ? n : 1) * sizeof *items);
        for (size_t k = 0; k < n; k++) items[k] = parse(doc, p);
        acar_val *v = c == 'T' ? acar_new_tuple(doc, items, n) : acar_new_frozenset(doc, items, n);
        free(items);
        return v;
    }
    }
    return NULL;
}

static void test_hash_cases(void) {
    acar_doc *doc = acar_doc_new(NULL);
    size_t bad = 0;
    for (size_t i = 0; i < NCASES(pyhash_cases); i++) {
        const char *p = pyhash_cases[i].enc;
        acar_val *v = parse(doc, &p);
        int64_t h = 0;
        int rc = v ? acar__py_hash(v, &h) : -2;
        if (rc != 0 || h != pyhash_cases[i].hash) {
            if (bad++ < 20)
                fprintf(stderr, "hash case %zu %.60s: rc %d, %lld, want %lld\n", i, pyhash_cases[i].enc,
                        rc, (long long)h, (long long)pyhash_cases[i].hash);
        }
    }
    CHECK_MSG(bad == 0, "%zu of %zu hash cases wrong", bad, NCASES(pyhash_cases));
    CHECK(acar_doc_error(doc) == NULL);
    acar_doc_free(doc);
}

/* ---- the script's value generator, step for step ---- */

typedef struct rng { uint64_t s; } rng;

static uint64_t rnext(rng *r) {
    r->s += 0x9E3779B97F4A7C15ull;
    uint64_t z = r->s;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t below(rng *r, uint64_t n) { return rnext(r) % n; }

static acar_val *g_smallint(acar_doc *doc, rng *r) {
    return acar_new_int(doc, (int64_t)below(r, 2000) - 500);
}

static acar_val *g_int(acar_doc *doc, rng *r) {
    switch (below(r, 4)) {
    case 0: return acar_new_int(doc, (int64_t)below(r, 65536) - 32768);
    case 1: return acar_new_int(doc, (int64_t)rnext(r));
    case 2: {
        uint32_t limbs[6];
        size_t n = 1 + (size_t)below(r, 6);
        for (size_t j = 0; j < n; j++) limbs[j] = (uint32_t)rnext(r);
        int neg = below(r, 2) != 0;
        return acar_new_bigint(doc, neg, limbs, n);
    }
    default: {
        int64_t m = (int64_t)below(r, 4);
        int64_t d = (int64_t)below(r, 5) - 2;
        int64_t v = m * (int64_t)(((uint64_t)1 << 61) - 1) + d;
        return acar_new_int(doc, below(r, 2) ? -v : v);
    }
    }
}

static size_t put_utf8(uint32_t c, char *out) {
    if (c < 0x80) { out[0] = (char)c; return 1; }
    if (c < 0x800) {
        out[0] = (char)(0xc0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c < 0x10000) { /* surrogates too, as surrogatepass writes them */
        out[0] = (char)(0xe0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
        out[2] = (char)(0x80 | (c & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
    out[3] = (char)(0x80 | (c & 0x3f));
    return 4;
}

static acar_val *g_str(acar_doc *doc, rng *r) {
    char buf[64];
    size_t len = 0;
    uint64_t n = below(r, 12), a = below(r, 5);
    for (uint64_t k = 0; k < n; k++) {
        uint32_t c;
        if (a == 0) c = 0x20 + (uint32_t)below(r, 95);
        else if (a == 1) c = (uint32_t)below(r, 256);
        else if (a == 2) c = (uint32_t)below(r, 0x10000);
        else if (a == 3) c = below(r, 3) == 0 ? 0x10000 + (uint32_t)below(r, 0x100000) : (uint32_t)below(r, 0x800);
        else c = (uint32_t)below(r, 0x110000);
        len += put_utf8(c, buf + len);
    }
    return acar_new_str(doc, buf, len);
}

static double g_double(rng *r) {
    static const double special[10] = {0.0, -0.0, INFINITY, -INFINITY, 1e308, 5e-324, -5e-324,
                                       2305843009213693952.0, 4611686018427387904.0, 1.5e-300};
    switch (below(r, 4)) {
    case 0: {
        uint64_t u = rnext(r);
        double d = bits_double(u);
        return isnan(d) ? (double)(u >> 11) : d;
    }
    case 1: return (double)((int64_t)below(r, 2001) - 1000) / 8.0;
    case 2: return (double)((int64_t)below(r, 2001) - 1000);
    default: return special[below(r, 10)];
    }
}

static acar_val *g_tuple(acar_doc *doc, rng *r, int depth) {
    acar_val *items[4];
    size_t n = (size_t)below(r, 4);
    for (size_t k = 0; k < n; k++) {
        switch (below(r, depth < 3 ? 4 : 3)) {
        case 0: items[k] = g_smallint(doc, r); break;
        case 1: items[k] = g_str(doc, r); break;
        case 2: items[k] = acar_new_float(doc, g_double(r)); break;
        default: items[k] = g_tuple(doc, r, depth + 1); break;
        }
    }
    return acar_new_tuple(doc, items, n);
}

static acar_val *g_bytes(acar_doc *doc, rng *r) {
    unsigned char buf[10];
    size_t n = (size_t)below(r, 10);
    for (size_t k = 0; k < n; k++) buf[k] = (unsigned char)below(r, 256);
    return acar_new_bytes(doc, buf, n);
}

static acar_val *g_frozenset(acar_doc *doc, rng *r) {
    acar_val *items[5];
    size_t n = (size_t)below(r, 5);
    for (size_t k = 0; k < n; k++) items[k] = below(r, 2) == 0 ? g_smallint(doc, r) : g_str(doc, r);
    return acar_new_frozenset(doc, items, n);
}

static acar_val *g_mixed(acar_doc *doc, rng *r) {
    switch (below(r, 9)) {
    case 0: return g_smallint(doc, r);
    case 1: return g_int(doc, r);
    case 2: return g_str(doc, r);
    case 3: return acar_new_float(doc, g_double(r));
    case 4: return g_tuple(doc, r, 0);
    case 5: return g_bytes(doc, r);
    case 6: {
        double re = g_double(r);
        double im = g_double(r);
        return acar_new_complex(doc, re, im);
    }
    case 7: return acar_new_bool(doc, below(r, 2) == 1);
    default: return g_frozenset(doc, r);
    }
}

static acar_val *g_flavor(acar_doc *doc, rng *r, unsigned flavor) {
    switch (flavor) {
    case 0: return g_smallint(doc, r);
    case 1: return g_int(doc, r);
    case 2: return g_str(doc, r);
    case 3: return acar_new_float(doc, g_double(r));
    case 4: return g_tuple(doc, r, 0);
    default: return g_mixed(doc, r);
    }
}

static uint64_t fnv(const size_t *idx, size_t n) {
    uint64_t h = 0xCBF29CE484222325ull;
    for (size_t k = 0; k < n; k++) h = (h ^ (uint64_t)idx[k]) * 0x100000001B3ull;
    return h;
}

static void test_set_cases(void) {
    size_t bad_len = 0, bad_hash = 0, bad1 = 0, bad2 = 0, failed = 0;
    for (size_t i = 0; i < NCASES(pyhash_set_cases); i++) {
        acar_doc *doc = acar_doc_new(NULL);
        rng r = {pyhash_set_cases[i].seed};
        acar_type type = i % 2 ? ACAR_FROZENSET : ACAR_SET;
        acar_val *set = acar_new_set(doc);
        for (unsigned k = 0; k < pyhash_set_cases[i].ncand; k++)
            acar_set_add(doc, set, g_flavor(doc, &r, pyhash_set_cases[i].flavor));
        size_t n = acar_len(set);
        if (acar_doc_error(doc) || n != pyhash_set_cases[i].len) {
            if (bad_len++ < 10)
                fprintf(stderr, "set case %zu: %zu items, want %u (%s)\n", i, n, pyhash_set_cases[i].len,
                        acar_doc_error(doc) ? acar_doc_error(doc)->msg : "dedupe differs");
            acar_doc_free(doc);
            continue;
        }
        acar_val **items = malloc((n ? n : 1) * sizeof *items);
        size_t *order = malloc((n ? n : 1) * sizeof *order);
        uint64_t sum = 0;
        for (size_t k = 0; k < n; k++) {
            int64_t h = 0;
            items[k] = acar_item(set, k);
            if (acar__py_hash(items[k], &h) < 0) failed++;
            sum += (uint64_t)h;
        }
        if (sum != pyhash_set_cases[i].hash_sum && bad_hash++ < 10)
            fprintf(stderr, "set case %zu: item hashes differ (generator out of step?)\n", i);
        /* The stored order is L; as a frozenset half the time. */
        acar_val *s1 = type == ACAR_SET ? set : acar_new_frozenset(doc, items, n);
        if (acar__py_set_order(s1, order) < 0) failed++;
        if (fnv(order, n) != pyhash_set_cases[i].order1 && bad1++ < 10)
            fprintf(stderr, "set case %zu (flavor %u, %zu items): order of set(L) differs\n", i,
                    pyhash_set_cases[i].flavor, n);
        /* What a pickle of that set stores, and the order loads gives. */
        acar_val *s2 = acar_new_set(doc);
        for (size_t k = 0; k < n; k++) acar_set_add(doc, s2, items[order[k]]);
        if (acar__py_set_order(s2, order) < 0) failed++;
        if (fnv(order, n) != pyhash_set_cases[i].order2 && bad2++ < 10)
            fprintf(stderr, "set case %zu (flavor %u, %zu items): order after loads differs\n", i,
                    pyhash_set_cases[i].flavor, n);
        free(items);
        free(order);
        acar_doc_free(doc);
    }
    size_t total = NCASES(pyhash_set_cases);
    CHECK_MSG(bad_len == 0, "%zu of %zu set cases built a different set", bad_len, total);
    CHECK_MSG(bad_hash == 0, "%zu of %zu set cases with other item hashes", bad_hash, total);
    CHECK_MSG(failed == 0, "%zu hash/order calls failed", failed);
    CHECK_MSG(bad1 == 0, "%zu of %zu set(L) orders wrong", bad1, total);
    CHECK_MSG(bad2 == 0, "%zu of %zu loaded orders wrong", bad2, total);
}

/* ---- values without a deterministic hash, odd inputs ---- */

static void test_not_deterministic(void) {
    acar_doc *doc = acar_doc_new(NULL);
    int64_t h = 12345;
    CHECK(acar__py_hash(acar_new_none(doc), &h) == -1);
    CHECK(acar__py_hash(acar_new_ellipsis(doc), &h) == -1);
    CHECK(acar__py_hash(acar_new_stopiteration(doc), &h) == -1);
    CHECK(acar__py_hash(acar_new_float(doc, NAN), &h) == -1);
    CHECK(acar__py_hash(acar_new_float(doc, -NAN), &h) == -1);
    CHECK(acar__py_hash(acar_new_complex(doc, 1.0, NAN), &h) == -1);
    CHECK(acar__py_hash(acar_new_complex(doc, NAN, 0.0), &h) == -1);
    CHECK(acar__py_hash(acar_new_global(doc, "m", 1, "f", 1), &h) == -1);
    CHECK(acar__py_hash(acar_new_list(doc), &h) == -1);
    CHECK(acar__py_hash(acar_new_dict(doc), &h) == -1);
    CHECK(acar__py_hash(acar_new_set(doc), &h) == -1);
    CHECK(acar__py_hash(acar_new_bytearray(doc, "x", 1), &h) == -1);
    CHECK(acar__py_hash(NULL, &h) == -1);
    CHECK(h == 12345); /* untouched on failure */

    /* Deep inside a tuple or frozenset, one None spoils the whole hash. */
    acar_val *items[3] = {acar_new_int(doc, 1), acar_new_none(doc), acar_new_str(doc, "a", 1)};
    acar_val *t = acar_new_tuple(doc, items, 3);
    acar_val *inner[2] = {acar_new_int(doc, 2), t};
    CHECK(acar__py_hash(acar_new_tuple(doc, inner, 2), &h) == -1);
    acar_val *fs[2] = {acar_new_int(doc, 2), acar_new_float(doc, NAN)};
    CHECK(acar__py_hash(acar_new_frozenset(doc, fs, 2), &h) == -1);

    /* A set with such an item keeps its stored order. */
    acar_val *set = acar_new_set(doc);
    for (int k = 20; k > 0; k--) acar_set_add(doc, set, acar_new_int(doc, k));
    acar_set_add(doc, set, acar_new_none(doc));
    size_t order[21];
    CHECK(acar__py_set_order(set, order) == -1);
    int ident = 1;
    for (size_t k = 0; k < 21; k++) ident &= order[k] == k;
    CHECK(ident);
    /* Not a set at all. */
    size_t o2[1] = {7};
    CHECK(acar__py_set_order(acar_new_list(doc), o2) == -1);
    /* 0 and 1 items are always in order, whatever the item. */
    acar_val *one = acar_new_set(doc);
    acar_set_add(doc, one, acar_new_none(doc));
    CHECK(acar__py_set_order(one, o2) == 0 && o2[0] == 0);
    CHECK(acar__py_set_order(acar_new_set(doc), o2) == 0);
    CHECK(acar_doc_error(doc) == NULL);
    acar_doc_free(doc);
}

/* A few orders spelled out (CPython 3.11, PYTHONHASHSEED=0). */
static void test_small_orders(void) {
    acar_doc *doc = acar_doc_new(NULL);
    acar_val *set = acar_new_set(doc);
    for (int k = 20; k > 0; k--) acar_set_add(doc, set, acar_new_int(doc, k));
    size_t order[20];
    CHECK(acar__py_set_order(set, order) == 0);
    int sorted = 1;
    for (size_t k = 0; k < 20; k++) sorted &= order[k] == 19 - k;
    CHECK(sorted);
    /* -1 and -2 both hash to -2, so the first one added takes the slot:
     * list({-2, -1}) == [-2, -1] and list({-1, -2}) == [-1, -2]. */
    acar_val *s = acar_new_set(doc);
    acar_set_add(doc, s, acar_new_int(doc, -2));
    acar_set_add(doc, s, acar_new_int(doc, -1));
    CHECK(acar__py_set_order(s, order) == 0 && order[0] == 0 && order[1] == 1);
    /* Lone surrogates: list({'\ud800', 'a', '\udfff', 'b'}) under
     * PYTHONHASHSEED=0 is ['\udfff', '\ud800', 'a', 'b']. */
    acar_val *u = acar_new_set(doc);
    acar_set_add(doc, u, acar_new_str(doc, "\xed\xa0\x80", 3));
    acar_set_add(doc, u, acar_new_str(doc, "a", 1));
    acar_set_add(doc, u, acar_new_str(doc, "\xed\xbf\xbf", 3));
    acar_set_add(doc, u, acar_new_str(doc, "b", 1));
    CHECK(acar__py_set_order(u, order) == 0);
    CHECK(order[0] == 2 && order[1] == 0 && order[2] == 1 && order[3] == 3);
    CHECK(acar_doc_error(doc) == NULL);
    acar_doc_free(doc);
}

/* Nesting far deeper than the inline stack, and the work budget. */
static void test_deep_and_budget(void) {
    acar_doc *doc = acar_doc_new(NULL);
    /* t = (); 100000 times t = (t, 1): hash from CPython 3.11,
     *   t = ()
     *   for _ in range(100000): t = (t, 1)
     *   hash(t) == PYHASH_DEEP */
    acar_val *t = acar_new_tuple(doc, NULL, 0);
    acar_val *one = acar_new_int(doc, 1);
    for (int k = 0; k < 100000; k++) {
        acar_val *pair[2] = {t, one};
        t = acar_new_tuple(doc, pair, 2);
    }
    int64_t h = 0;
    CHECK(acar__py_hash(t, &h) == 0);
    CHECK_MSG(h == PYHASH_DEEP, "deep tuple hash %lld", (long long)h);
    /* Frozensets nest too: f = frozenset(); 1000 times f = frozenset({f, 1}). */
    acar_val *f = acar_new_frozenset(doc, NULL, 0);
    for (int k = 0; k < 1000; k++) {
        acar_val *pair[2] = {f, one};
        f = acar_new_frozenset(doc, pair, 2);
    }
    CHECK(acar__py_hash(f, &h) == 0);
    CHECK_MSG(h == PYHASH_DEEP_FROZENSET, "deep frozenset hash %lld", (long long)h);

    /* A shared tuple doubled 40 times stands for 2^40 item hashes: refused. */
    acar_val *d = acar_new_tuple(doc, &one, 1);
    for (int k = 0; k < 40; k++) {
        acar_val *pair[2] = {d, d};
        d = acar_new_tuple(doc, pair, 2);
    }
    CHECK(acar__py_hash(d, &h) == -1);
    /* Doubled 20 times it is 2^21 visits: fine, and CPython agrees. */
    acar_val *e = acar_new_tuple(doc, &one, 1);
    for (int k = 0; k < 20; k++) {
        acar_val *pair[2] = {e, e};
        e = acar_new_tuple(doc, pair, 2);
    }
    CHECK(acar__py_hash(e, &h) == 0);
    CHECK_MSG(h == PYHASH_DOUBLED20, "doubled tuple hash %lld", (long long)h);
    CHECK(acar_doc_error(doc) == NULL);
    acar_doc_free(doc);
}

int main(void) {
    test_hash_cases();
    test_set_cases();
    test_not_deterministic();
    test_small_orders();
    test_deep_and_budget();
    return CHECK_DONE();
}
