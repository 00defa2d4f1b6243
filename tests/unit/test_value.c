/* test_value.c -- the value model: builders, accessors, equality, limits,
 * sticky builder errors and allocator failure injection. */
#include "acar.h"
#include "check.h"
#include "core/internal.h" /* ACAR_F_EXACT: a reader's list holds exactly its items */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* An allocator that fails the N-th allocation and counts live bytes. */
typedef struct failing {
    long countdown; /* allocations left before failing; < 0: never fail */
    long calls;
    size_t live;
} failing;

static void *f_malloc(void *ctx, size_t size) {
    failing *f = ctx;
    f->calls++;
    if (f->countdown == 0) return NULL;
    if (f->countdown > 0) f->countdown--;
    f->live += size;
    return malloc(size);
}
static void *f_realloc(void *ctx, void *p, size_t old, size_t size) {
    failing *f = ctx;
    f->calls++;
    if (f->countdown == 0) return NULL;
    if (f->countdown > 0) f->countdown--;
    void *q = realloc(p, size);
    if (q) f->live = f->live - old + size;
    return q;
}
static void f_free(void *ctx, void *p, size_t size) {
    failing *f = ctx;
    f->live -= size;
    free(p);
}

static void test_scalars(void) {
    acar_doc *doc = acar_doc_new(NULL);
    CHECK(doc != NULL);
    acar_val *n = acar_new_none(doc);
    CHECK(acar_typeof(n) == ACAR_NONE);
    CHECK(acar_new_none(doc) == n); /* singletons per document */
    CHECK(acar_bool(acar_new_bool(doc, 1)) == 1);
    CHECK(acar_bool(acar_new_bool(doc, 0)) == 0);
    CHECK(acar_typeof(acar_new_ellipsis(doc)) == ACAR_ELLIPSIS);

    int64_t i = 0;
    CHECK(acar_int_get(acar_new_int(doc, INT64_MIN), &i) && i == INT64_MIN);
    acar_val *f = acar_new_float(doc, -0.0);
    CHECK(acar_typeof(f) == ACAR_FLOAT && signbit(acar_float(f)));
    acar_val *c = acar_new_complex(doc, 1.5, -2.0);
    CHECK(acar_complex_real(c) == 1.5 && acar_complex_imag(c) == -2.0);

    /* Big ints normalise: limbs that fit int64 give a small int. */
    uint32_t limbs[3] = {5, 0, 0};
    CHECK(acar_int_get(acar_new_bigint(doc, 1, limbs, 3), &i) && i == -5);
    uint32_t min64[2] = {0, 0x80000000u};
    CHECK(acar_int_get(acar_new_bigint(doc, 1, min64, 2), &i) && i == INT64_MIN);
    CHECK(!acar_int_get(acar_new_bigint(doc, 0, min64, 2), &i));
    acar_val *big = acar_new_bigint(doc, 0, min64, 2);
    int neg;
    const uint32_t *l;
    uint32_t tmp[3];
    CHECK(acar_int_limbs(big, &neg, &l, tmp) == 2 && !neg && l[1] == 0x80000000u);
    CHECK(acar_int_limbs(acar_new_int(doc, -1), &neg, &l, tmp) == 1 && neg && l[0] == 1);
    CHECK(acar_int_limbs(acar_new_int(doc, 0), &neg, &l, tmp) == 0);

    size_t len;
    acar_val *s = acar_new_str(doc, "h\xc3\xa9", 3);
    CHECK(acar_typeof(s) == ACAR_STR && acar_len(s) == 3);
    CHECK(memcmp(acar_str(s, &len), "h\xc3\xa9", 3) == 0 && len == 3);
    /* The ASCII flag (the writers' fast paths trust it) from the one UTF-8
     * check acar_new_str makes; the bytes are the builder's own copy. */
    CHECK(!(ACAR_FLAGS(s) & ACAR_F_ASCII));
    char text[] = "plain ascii text of 29 bytes.";
    acar_val *a = acar_new_str(doc, text, sizeof text - 1);
    CHECK(a && (ACAR_FLAGS(a) & ACAR_F_ASCII) && acar_len(a) == 29);
    text[0] = 'P';
    CHECK(memcmp(acar_str(a, &len), "plain", 5) == 0);
    /* A lone surrogate, as surrogatepass writes it, is a valid str. */
    CHECK(acar_new_str(doc, "\xed\xa0\x80", 3) != NULL);
    CHECK(acar_doc_error(doc) == NULL);
    /* Overlong and truncated UTF-8 are not. */
    CHECK(acar_new_str(doc, "a\xc0\x80", 3) == NULL);
    CHECK(acar_doc_error(doc) && acar_doc_error(doc)->code == ACAR_ERR_MALFORMED);
    acar_doc_free(doc);

    doc = acar_doc_new(NULL);
    CHECK(acar_new_str(doc, "\xe2\x82", 2) == NULL);
    CHECK(acar_new_tuple(doc, (acar_val *[]){NULL}, 1) == NULL);
    /* The first error is the one kept. */
    CHECK(acar_doc_error(doc)->code == ACAR_ERR_MALFORMED && strstr(acar_doc_error(doc)->msg, "UTF-8"));
    acar_doc_free(doc);
}

static void test_int_dec(void) {
    acar_doc *doc = acar_doc_new(NULL);
    int64_t i;
    CHECK(acar_int_get(acar_new_int_dec(doc, "-9223372036854775808", 20), &i) && i == INT64_MIN);
    CHECK(acar_int_get(acar_new_int_dec(doc, "+000123", 7), &i) && i == 123);
    acar_val *b = acar_new_int_dec(doc, "18446744073709551616", 20); /* 2**64 */
    int neg;
    const uint32_t *l;
    uint32_t tmp[3];
    CHECK(acar_int_limbs(b, &neg, &l, tmp) == 3 && l[0] == 0 && l[1] == 0 && l[2] == 1 && !neg);
    CHECK(acar_new_int_dec(doc, "12a", 3) == NULL);
    acar_doc_free(doc);

    /* More digits than max_int_digits is a limit error naming the limit. */
    acar_doc_opts o = {0};
    o.limits.max_int_digits = 10;
    doc = acar_doc_new(&o);
    CHECK(acar_new_int_dec(doc, "12345678901", 11) == NULL);
    const acar_err *e = acar_doc_error(doc);
    CHECK(e && e->code == ACAR_ERR_LIMIT && strstr(e->msg, "max_int_digits"));
    acar_doc_free(doc);
}

static void test_containers(void) {
    acar_doc *doc = acar_doc_new(NULL);
    acar_val *list = acar_new_list(doc);
    for (int k = 0; k < 1000; k++) CHECK(acar_list_append(doc, list, acar_new_int(doc, k)) == 0);
    CHECK(acar_len(list) == 1000);
    int64_t i;
    CHECK(acar_int_get(acar_item(list, 999), &i) && i == 999);
    CHECK(acar_item(list, 1000) == NULL);
    /* A list may contain itself. */
    CHECK(acar_list_append(doc, list, list) == 0);
    CHECK(acar_item(list, 1000) == list);

    acar_val *items[2] = {acar_new_int(doc, 1), acar_new_str(doc, "a", 1)};
    acar_val *t = acar_new_tuple(doc, items, 2);
    CHECK(acar_typeof(t) == ACAR_TUPLE && acar_len(t) == 2 && acar_item(t, 1) == items[1]);

    /* dict: Python semantics, 1 == 1.0 == True, existing keys keep their place. */
    acar_val *d = acar_new_dict(doc);
    CHECK(acar_dict_set(doc, d, acar_new_int(doc, 1), acar_new_str(doc, "one", 3)) == 0);
    CHECK(acar_dict_set(doc, d, acar_new_str(doc, "k", 1), acar_new_none(doc)) == 0);
    CHECK(acar_dict_set(doc, d, acar_new_float(doc, 1.0), acar_new_str(doc, "float", 5)) == 0);
    CHECK(acar_dict_set(doc, d, acar_new_bool(doc, 1), acar_new_str(doc, "bool", 4)) == 0);
    CHECK(acar_len(d) == 2);
    CHECK(acar_int_get(acar_dict_key(d, 0), &i) && i == 1); /* the first key object stays */
    size_t len;
    const char *s = acar_str(acar_dict_value(d, 0), &len);
    CHECK(len == 4 && memcmp(s, "bool", 4) == 0);
    CHECK(acar_dict_get_str(d, "k", 1) == acar_new_none(doc));
    CHECK(acar_dict_get_str(d, "x", 1) == NULL);
    CHECK(acar_dict_get(d, t) == NULL);
    /* Unhashable keys are refused. */
    CHECK(acar_dict_set(doc, d, list, list) < 0);
    CHECK(acar_doc_error(doc)->code == ACAR_ERR_TYPE);
    acar_doc_free(doc);

    /* Many keys: the hash index takes over from the scan. */
    doc = acar_doc_new(NULL);
    d = acar_new_dict(doc);
    char key[32];
    for (int k = 0; k < 5000; k++) {
        int n = snprintf(key, sizeof key, "key%d", k);
        CHECK(acar_dict_set(doc, d, acar_new_str(doc, key, (size_t)n), acar_new_int(doc, k)) == 0);
    }
    for (int k = 0; k < 5000; k += 7) {
        int n = snprintf(key, sizeof key, "key%d", k);
        acar_val *x = acar_dict_get_str(d, key, (size_t)n);
        CHECK(x && acar_int_get(x, &i) && i == k);
    }
    /* Overwrite keeps the count. */
    CHECK(acar_dict_set(doc, d, acar_new_str(doc, "key42", 5), acar_new_int(doc, -1)) == 0);
    CHECK(acar_len(d) == 5000);
    CHECK(acar_int_get(acar_dict_get_str(d, "key42", 5), &i) && i == -1);
    CHECK(acar_int_get(acar_dict_value(d, 42), &i) && i == -1);

    /* Tuple keys compare by value; nan keys only by identity. */
    acar_val *k1[2] = {acar_new_int(doc, 1), acar_new_float(doc, 2.0)};
    acar_val *k2[2] = {acar_new_float(doc, 1.0), acar_new_int(doc, 2)};
    CHECK(acar_dict_set(doc, d, acar_new_tuple(doc, k1, 2), acar_new_none(doc)) == 0);
    CHECK(acar_dict_get(d, acar_new_tuple(doc, k2, 2)) == acar_new_none(doc));
    acar_val *nan = acar_new_float(doc, NAN);
    CHECK(acar_dict_set(doc, d, nan, acar_new_none(doc)) == 0);
    CHECK(acar_dict_get(d, nan) != NULL);
    CHECK(acar_dict_get(d, acar_new_float(doc, NAN)) == NULL);

    acar_val *set = acar_new_set(doc);
    for (int k = 0; k < 100; k++) CHECK(acar_set_add(doc, set, acar_new_int(doc, k % 10)) == 0);
    CHECK(acar_len(set) == 10);
    acar_val *fs_items[3] = {acar_new_int(doc, 3), acar_new_float(doc, 3.0), acar_new_int(doc, 4)};
    acar_val *fs = acar_new_frozenset(doc, fs_items, 3);
    CHECK(acar_len(fs) == 2 && acar_item(fs, 0) == fs_items[0]);
    acar_doc_free(doc);
}

static void test_equal(void) {
    acar_doc *doc = acar_doc_new(NULL);
    uint32_t l70[3] = {0, 0, 64}; /* 2**70 */
    acar_val *big = acar_new_bigint(doc, 0, l70, 3);
    CHECK(acar_equal(big, acar_new_float(doc, ldexp(1.0, 70))));
    CHECK(!acar_equal(big, acar_new_float(doc, ldexp(1.0, 70) + ldexp(1.0, 18))));
    CHECK(acar_equal(acar_new_int(doc, 1), acar_new_complex(doc, 1.0, 0.0)));
    CHECK(!acar_equal(acar_new_str(doc, "a", 1), acar_new_bytes(doc, "a", 1)));
    CHECK(acar_equal(acar_new_bytes(doc, "a", 1), acar_new_bytearray(doc, "a", 1)));
    acar_val *s1 = acar_new_set(doc), *s2 = acar_new_set(doc);
    acar_set_add(doc, s1, acar_new_int(doc, 1));
    acar_set_add(doc, s1, acar_new_int(doc, 2));
    acar_set_add(doc, s2, acar_new_int(doc, 2));
    acar_set_add(doc, s2, acar_new_int(doc, 1));
    CHECK(acar_equal(s1, s2));
    CHECK(acar_hashable(acar_new_tuple(doc, (acar_val *[]){acar_new_int(doc, 1)}, 1)));
    CHECK(!acar_hashable(acar_new_tuple(doc, (acar_val *[]){acar_new_list(doc)}, 1)));
    /* A 100,000-deep tuple is a key like any other, and a tuple DAG that
     * would be 2^60 nodes as a tree hashes and compares in bounded time. */
    acar_val *deep = acar_new_int(doc, 0);
    for (int k = 0; k < 100000; k++) deep = acar_new_tuple(doc, &deep, 1);
    acar_val *dd = acar_new_dict(doc);
    CHECK(acar_dict_set(doc, dd, deep, deep) == 0 && acar_dict_get(dd, deep) == deep);
    acar_val *x = acar_new_int(doc, 1), *y = acar_new_int(doc, 1);
    for (int k = 0; k < 60; k++) {
        acar_val *px[2] = {x, x}, *py[2] = {y, y};
        x = acar_new_tuple(doc, px, 2);
        y = acar_new_tuple(doc, py, 2);
    }
    acar_val *ss = acar_new_set(doc);
    CHECK(acar_set_add(doc, ss, x) == 0 && acar_set_add(doc, ss, y) == 0);
    CHECK(acar_len(ss) >= 1);
    /* Two self-containing lists do not compare forever. */
    acar_val *a = acar_new_list(doc), *b = acar_new_list(doc);
    acar_list_append(doc, a, a);
    acar_list_append(doc, b, b);
    CHECK(!acar_equal(a, b));
    CHECK(acar_equal(a, a));
    acar_doc_free(doc);
}

/* Every hashable kind of value (43), each made twice as distinct nodes: equal
 * values must be one member of a set, with a hash index (past eight
 * members) or without one, and unequal ones two; so a node's hash must
 * follow equality (persistent ids once hashed by address). */
static size_t hashable_values(acar_doc *doc, acar_val **out) {
    size_t n = 0;
    uint32_t l70[3] = {0, 0, 64}, l64p1[3] = {1, 0, 1};
    acar_datetime dt = {2020, 1, 2, 3, 4, 5, 6, 0};
    for (int copy = 0; copy < 2; copy++) {
        out[n++] = acar_new_none(doc);
        out[n++] = acar_new_bool(doc, 0);
        out[n++] = acar_new_bool(doc, 1);
        out[n++] = acar_new_int(doc, 0);
        out[n++] = acar_new_int(doc, 1);
        out[n++] = acar_new_int(doc, -1);
        out[n++] = acar_new_int(doc, 2);
        out[n++] = acar_new_float(doc, 0.0);
        out[n++] = acar_new_float(doc, -0.0);
        out[n++] = acar_new_float(doc, 1.0);
        out[n++] = acar_new_float(doc, 0.5);
        out[n++] = acar_new_bigint(doc, 0, l70, 3);
        out[n++] = acar_new_float(doc, ldexp(1.0, 70));
        out[n++] = acar_new_bigint(doc, 0, l64p1, 3);
        out[n++] = acar_new_float(doc, NAN);
        out[n++] = acar_new_float(doc, INFINITY);
        out[n++] = acar_new_complex(doc, 1.0, 0.0);
        out[n++] = acar_new_complex(doc, 0.0, 1.0);
        out[n++] = acar_new_complex(doc, 1.0, 1.0);
        out[n++] = acar_new_str(doc, "", 0);
        out[n++] = acar_new_str(doc, "a", 1);
        out[n++] = acar_new_str(doc, "ab", 2);
        out[n++] = acar_new_bytes(doc, "", 0);
        out[n++] = acar_new_bytes(doc, "a", 1);
        out[n++] = acar_new_tuple(doc, NULL, 0);
        out[n++] = acar_new_tuple(doc, (acar_val *[]){acar_new_int(doc, 1)}, 1);
        out[n++] = acar_new_tuple(doc, (acar_val *[]){acar_new_float(doc, 1.0)}, 1);
        out[n++] = acar_new_tuple(doc, (acar_val *[]){acar_new_bool(doc, 1)}, 1);
        acar_val *t1 = acar_new_tuple(doc, (acar_val *[]){acar_new_int(doc, 1)}, 1);
        out[n++] = acar_new_tuple(doc, &t1, 1);
        out[n++] = acar_new_frozenset(doc, NULL, 0);
        out[n++] = acar_new_frozenset(doc, (acar_val *[]){acar_new_int(doc, 1)}, 1);
        out[n++] = acar_new_frozenset(doc, (acar_val *[]){acar_new_float(doc, 1.0), acar_new_int(doc, 2)}, 2);
        out[n++] = acar_new_frozenset(doc, (acar_val *[]){acar_new_int(doc, 2), acar_new_int(doc, 1)}, 2);
        out[n++] = acar_new_global(doc, "builtins", 8, "int", 3);
        out[n++] = acar_new_global(doc, "builtins", 8, "float", 5);
        out[n++] = acar_new_ellipsis(doc);
        out[n++] = acar_new_datetime(doc, &dt);
        acar_datetime folded = dt; /* equal to dt, as in Python: fold is not compared */
        folded.fold = 1;
        out[n++] = acar_new_datetime(doc, &folded);
        out[n++] = acar_new_persid(doc, acar_new_str(doc, "x", 1));
        out[n++] = acar_new_persid(doc, acar_new_int(doc, 1));
        out[n++] = acar_new_persid(doc, acar_new_float(doc, 1.0));
        out[n++] = acar_new_persid(doc, t1);
        out[n++] = acar_new_persid(doc, acar_new_frozenset(doc, (acar_val *[]){acar_new_int(doc, 1)}, 1));
    }
    return n;
}

static void test_hash_follows_equal(void) {
    acar_doc *doc = acar_doc_new(NULL);
    acar_val *v[128];
    size_t n = hashable_values(doc, v);
    CHECK(n <= 128);
    for (size_t i = 0; i < n; i++) CHECK_MSG(v[i] != NULL, "value %zu", i);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            int eq = acar_equal(v[i], v[j]);
            for (int fillers = 0; fillers <= 20; fillers += 20) {
                acar_val *set = acar_new_set(doc);
                for (int k = 0; k < fillers; k++) {
                    char name[16];
                    int len = snprintf(name, sizeof name, "filler-%d", k);
                    acar_set_add(doc, set, acar_new_str(doc, name, (size_t)len));
                }
                CHECK(acar_set_add(doc, set, v[i]) == 0 && acar_set_add(doc, set, v[j]) == 0);
                CHECK_MSG(acar_len(set) == (size_t)fillers + (eq ? 1 : 2),
                          "values %zu and %zu (equal %d), %d fillers: %zu members", i, j, eq, fillers,
                          acar_len(set));
            }
        }
    }
    acar_doc_free(doc);
}

static void test_objects(void) {
    acar_doc *doc = acar_doc_new(NULL);
    acar_val *g = acar_new_global(doc, "collections", 11, "OrderedDict", 11);
    size_t len;
    CHECK(memcmp(acar_str(acar_global_module(g), &len), "collections", 11) == 0);
    acar_val *o = acar_new_object(doc, ACAR_BUILD_REDUCE, g, NULL, NULL);
    CHECK(acar_object_build(o) == ACAR_BUILD_REDUCE && acar_object_callable(o) == g);
    CHECK(acar_len(acar_object_args(o)) == 0);
    CHECK(acar_object_setitem(doc, o, acar_new_str(doc, "a", 1), acar_new_int(doc, 1)) == 0);
    CHECK(acar_len(acar_object_dictitems(o)) == 1);
    CHECK(acar_object_append(doc, o, acar_new_int(doc, 1)) == 0);
    CHECK(acar_object_set_state(doc, o, acar_new_dict(doc)) == 0);
    CHECK(acar_new_object(doc, (acar_build)99, g, NULL, NULL) == NULL);
    CHECK(acar_doc_error(doc)->code == ACAR_ERR_ARG);
    acar_doc_free(doc);

    doc = acar_doc_new(NULL);
    acar_val *p = acar_new_persid(doc, acar_new_str(doc, "x", 1));
    CHECK(acar_typeof(acar_persid_pid(p)) == ACAR_STR);
    acar_val *buf = acar_new_buffer(doc, "abc", 3, 1);
    CHECK(acar_buffer_readonly(buf) && acar_buffer_oob_index(buf) == -1);
    CHECK(memcmp(acar_buffer_data(buf, &len), "abc", 3) == 0 && len == 3);
    acar_doc_free(doc);
}

/* The int64 value of an int node (or -1). */
static int64_t int_of(const acar_val *v) {
    int64_t x = -1;
    return acar_int_get(v, &x) ? x : -1;
}

static void test_limits_and_alloc(void) {
    /* max_items */
    acar_doc_opts o = {0};
    o.limits.max_items = 3;
    acar_doc *doc = acar_doc_new(&o);
    acar_val *list = acar_new_list(doc);
    for (int k = 0; k < 3; k++) CHECK(acar_list_append(doc, list, acar_new_none(doc)) == 0);
    CHECK(acar_list_append(doc, list, acar_new_none(doc)) < 0);
    CHECK(acar_doc_error(doc)->code == ACAR_ERR_LIMIT && strstr(acar_doc_error(doc)->msg, "max_items"));
    acar_doc_free(doc);

    /* max_memory */
    memset(&o, 0, sizeof o);
    o.limits.max_memory = 100000;
    doc = acar_doc_new(&o);
    int failed = 0;
    for (int k = 0; k < 100000 && !failed; k++) failed = acar_new_int(doc, k) == NULL;
    CHECK(failed);
    CHECK(acar_doc_error(doc)->code == ACAR_ERR_LIMIT && strstr(acar_doc_error(doc)->msg, "max_memory"));
    CHECK(acar_doc_memory(doc) <= 100000);
    acar_doc_free(doc);

    /* Fail the N-th allocation for every N: each ends in NOMEM or success,
     * and every byte is returned. */
    for (long n = 0; n < 40; n++) {
        failing f = {n, 0, 0};
        acar_alloc a = {f_malloc, f_realloc, f_free, &f};
        memset(&o, 0, sizeof o);
        o.alloc = &a;
        doc = acar_doc_new(&o);
        if (!doc) { CHECK(n == 0 && f.live == 0); continue; }
        acar_val *d = acar_new_dict(doc);
        char key[16];
        for (int k = 0; k < 3000 && d; k++) {
            int len = snprintf(key, sizeof key, "%d", k);
            acar_val *v = acar_new_str(doc, key, (size_t)len);
            if (!v || acar_dict_set(doc, d, v, v) < 0) break;
        }
        const acar_err *e = acar_doc_error(doc);
        CHECK(e == NULL || e->code == ACAR_ERR_NOMEM);
        acar_doc_free(doc);
        CHECK_MSG(f.live == 0, "n=%ld leaked %zu bytes", n, f.live);
    }

    /* A big list: its item array grows in a chunk of its own by realloc
     * (from 64 KiB), so no smaller copy is left behind.  With the N-th
     * allocation failing, then with max_memory, then across a reset. */
    for (long n = 0; n < 80; n += (n < 20 ? 1 : 7)) {
        failing f = {n, 0, 0};
        acar_alloc a = {f_malloc, f_realloc, f_free, &f};
        memset(&o, 0, sizeof o);
        o.alloc = &a;
        doc = acar_doc_new(&o);
        if (!doc) continue;
        acar_val *l = acar_new_list(doc);
        int k = 0;
        for (; k < 200000 && l; k++)
            if (acar_list_append(doc, l, acar_new_int(doc, k)) < 0) break;
        const acar_err *e = acar_doc_error(doc);
        CHECK(e == NULL || e->code == ACAR_ERR_NOMEM);
        if (!e) {
            CHECK(acar_len(l) == 200000 && int_of(acar_item(l, 199999)) == 199999);
            /* 200,000 nodes (3.2 MB in doubling chunks) and one array of
             * 262,144 pointers (2 MB): 6.3 MB.  With every outgrown copy of
             * the array left in the arena it was 8.4 MB. */
            CHECK_MSG(acar_doc_memory(doc) < ((size_t)7 << 20), "memory %zu", acar_doc_memory(doc));
        }
        acar_doc_free(doc);
        CHECK_MSG(f.live == 0, "big list, n=%ld leaked %zu bytes", n, f.live);
    }
    memset(&o, 0, sizeof o);
    o.limits.max_memory = (size_t)1 << 20;
    doc = acar_doc_new(&o);
    list = acar_new_list(doc);
    failed = 0;
    for (int k = 0; k < 200000 && !failed; k++) failed = acar_list_append(doc, list, acar_new_none(doc)) < 0;
    CHECK(failed && acar_doc_error(doc)->code == ACAR_ERR_LIMIT);
    CHECK(acar_doc_memory(doc) <= ((size_t)1 << 20));
    acar_doc_free(doc);
    doc = acar_doc_new(NULL);
    for (int round = 0; round < 3; round++) {
        acar_doc_reset(doc);
        list = acar_new_list(doc);
        for (int k = 0; k < 50000; k++) CHECK_MSG(acar_list_append(doc, list, acar_new_int(doc, k + round)) == 0, "round %d", round);
        CHECK(acar_len(list) == 50000 && int_of(acar_item(list, 49999)) == 49999 + round);
    }
    acar_doc_free(doc);
}

static void test_reset(void) {
    failing f = {-1, 0, 0};
    acar_alloc a = {f_malloc, f_realloc, f_free, &f};
    acar_doc_opts o = {0};
    o.alloc = &a;
    acar_doc *doc = acar_doc_new(&o);
    for (int round = 0; round < 3; round++) {
        acar_val *list = acar_new_list(doc);
        for (int k = 0; k < 20000; k++) acar_list_append(doc, list, acar_new_int(doc, k));
        CHECK(acar_doc_error(doc) == NULL && acar_len(list) == 20000);
        size_t before = acar_doc_memory(doc);
        long calls = f.calls;
        acar_doc_reset(doc);
        CHECK(acar_doc_root(doc) == NULL);
        CHECK(acar_doc_memory(doc) <= before);
        CHECK(f.calls == calls); /* reset frees, never allocates */
    }
    acar_doc_free(doc);
    CHECK(f.live == 0);
}

/* Containers the readers make hold exactly their items (ACAR_F_EXACT); the
 * builders must grow them before they append.  Each case reads a document,
 * appends through the public builders past every size the readers make
 * (and past the dicts' scan limit, which adds a hash index), and checks the
 * repr.  ASan sees any write past an array. */
static void grow_case(acar_format fmt, const char *data, size_t len, int kind, const char *want) {
    acar_doc *doc = acar_doc_new(NULL);
    acar_read_opts ro = {0};
    ro.format = fmt;
    acar_err err;
    acar_val *root = acar_read(doc, data, len, &ro, &err);
    CHECK_MSG(root != NULL, "%s", err.msg);
    if (!root) {
        acar_doc_free(doc);
        return;
    }
    acar_val *c = acar_typeof(root) == ACAR_TUPLE ? acar_item(root, 0) : root;
    for (int i = 0; i < 20; i++) {
        acar_val *x = acar_new_int(doc, 100 + i);
        int rc = kind == 'l' ? acar_list_append(doc, c, x)
               : kind == 'd' ? acar_dict_set(doc, c, x, acar_new_int(doc, i))
                             : acar_set_add(doc, c, x);
        CHECK(rc == 0);
    }
    acar_buf out = {0};
    acar_write_opts wo = {0};
    CHECK(acar_write(root, ACAR_FORMAT_REPR, &wo, &out, &err) == 0);
    size_t n = strlen(want);
    CHECK_MSG(out.len >= n && memcmp(out.data, want, n) == 0, "%.*s", (int)(out.len < 200 ? out.len : 200), out.data);
    acar_buf_free(&out);
    acar_doc_free(doc);
}

static void test_reader_containers_grow(void) {
#define G(fmt, lit, kind, want) grow_case(fmt, lit, sizeof lit - 1, kind, want)
    G(ACAR_FORMAT_PICKLE, "].", 'l', "[100, 101, 102,");
    G(ACAR_FORMAT_PICKLE, "\x80\x02](K\x01K\x02" "e.", 'l', "[1, 2, 100, 101,");
    G(ACAR_FORMAT_PICKLE, "(]K\x01" "a\x85.", 'l', "([1, 100, 101,");
    G(ACAR_FORMAT_PICKLE, "}.", 'd', "{100: 0, 101: 1,");
    G(ACAR_FORMAT_PICKLE, "}(X\x01\x00\x00\x00" "aK\x01X\x01\x00\x00\x00" "aK\x02u.", 'd', "{'a': 2, 100: 0,");
    G(ACAR_FORMAT_PICKLE, "\x80\x04\x8f(K\x01K\x02\x90.", 's', "{1, 2, 100,");
    G(ACAR_FORMAT_JSON, "[]", 'l', "[100, 101,");
    G(ACAR_FORMAT_JSON, "[1,2,3]", 'l', "[1, 2, 3, 100,");
    G(ACAR_FORMAT_JSON, "{}", 'd', "{100: 0,");
    G(ACAR_FORMAT_JSON, "{\"a\":1,\"a\":2}", 'd', "{'a': 2, 100: 0,");
    G(ACAR_FORMAT_JSON, "[[]]", 'l', "[[], 100,");
    G(ACAR_FORMAT_MARSHAL, "[\x00\x00\x00\x00", 'l', "[100, 101,");
    G(ACAR_FORMAT_MARSHAL, "[\x02\x00\x00\x00\xe9\x01\x00\x00\x00\xe9\x02\x00\x00\x00", 'l', "[1, 2, 100,");
    G(ACAR_FORMAT_MARSHAL, "{0", 'd', "{100: 0,");
    G(ACAR_FORMAT_MARSHAL, "{\xda\x01" "a\xe9\x01\x00\x00\x00" "0", 'd', "{'a': 1, 100: 0,");
    G(ACAR_FORMAT_MARSHAL, ")\x01[\x00\x00\x00\x00", 'l', "([100, 101,");
#undef G
}

/* The hash index's slots are one, two or four bytes wide by its size
 * (acar_map_index): dicts of sizes around each step, made by the builders and by
 * every reader that writes the index itself (JSON, pickle, marshal, binary
 * plist), find every key and no other, keep a repeated key's first place,
 * and grow past the step through acar_dict_set. */
static int keys_found(acar_val *d, size_t n, int64_t first) {
    char key[32];
    int64_t x;
    for (size_t k = 0; k < n; k++) {
        int len = snprintf(key, sizeof key, "k%zu", k);
        if (!acar_int_get(acar_dict_get_str(d, key, (size_t)len), &x) || x != (k ? (int64_t)k : first)) return 0;
    }
    return acar_dict_get_str(d, "k-1", 3) == NULL && acar_len(d) == n;
}

static void test_index_widths(void) {
    static const size_t sizes[] = {9, 100, 128, 129, 255, 256, 300, 32767, 32768, 32769, 70000};
    for (size_t t = 0; t < sizeof sizes / sizeof *sizes; t++) {
        size_t n = sizes[t];
        acar_doc *doc = acar_doc_new(NULL);
        acar_val *d = acar_new_dict(doc);
        char key[32];
        for (size_t k = 0; k < n; k++) {
            int len = snprintf(key, sizeof key, "k%zu", k);
            CHECK(acar_dict_set(doc, d, acar_new_str(doc, key, (size_t)len), acar_new_int(doc, (int64_t)k)) == 0);
        }
        CHECK_MSG(keys_found(d, n, 0), "built dict of %zu", n);
        /* JSON with key 0 again at the end: its first place, its last value */
        acar_buf js = {0};
        CHECK(acar_write(d, ACAR_FORMAT_JSON, NULL, &js, NULL) == 0);
        static const char tail[] = ", \"k0\": -5}";
        char *text = malloc(js.len + sizeof tail);
        CHECK(text != NULL && js.len > 1);
        memcpy(text, js.data, js.len - 1); /* all but the closing brace */
        memcpy(text + js.len - 1, tail, sizeof tail);
        acar_read_opts o = {0};
        o.format = ACAR_FORMAT_JSON;
        acar_val *r = acar_read(doc, text, js.len - 1 + sizeof tail - 1, &o, NULL);
        free(text);
        CHECK_MSG(r && keys_found(r, n, -5), "JSON dict of %zu", n);
        size_t klen;
        const char *k0 = acar_str(acar_dict_key(r, 0), &klen);
        CHECK(k0 && klen == 2 && memcmp(k0, "k0", 2) == 0);
        static const acar_format formats[] = {ACAR_FORMAT_PICKLE, ACAR_FORMAT_MARSHAL, ACAR_FORMAT_BPLIST};
        for (size_t f = 0; r && f < 3; f++) {
            acar_buf b = {0};
            CHECK(acar_write(r, formats[f], NULL, &b, NULL) == 0);
            acar_read_opts fo = {0};
            fo.format = formats[f];
            acar_val *x = acar_read(doc, b.data, b.len, &fo, NULL);
            CHECK_MSG(x && keys_found(x, n, -5), "format %d: dict of %zu", (int)formats[f], n);
            /* grown by the builder from the reader's index */
            for (size_t k = n; x && k < n + 200; k++) {
                int len = snprintf(key, sizeof key, "k%zu", k);
                CHECK(acar_dict_set(doc, x, acar_new_str(doc, key, (size_t)len), acar_new_int(doc, (int64_t)k)) == 0);
            }
            CHECK_MSG(x && keys_found(x, n + 200, -5), "format %d: dict of %zu grown", (int)formats[f], n);
            acar_buf_free(&b);
        }
        acar_buf_free(&js);
        acar_doc_free(doc);
    }
}

/* Whether a pickle's list of n items, appended 1000 at a time, ends with
 * an array of exactly its items (the rule of acar__list_extend and
 * acar__shrink): one batch fills an empty list exactly; a last, shorter
 * batch that must grow the array grows it exactly; an array of 16 to 128
 * KiB in a chunk of its own, or a bigger one an eighth or more unused, is
 * shrunk at the last batch or, after full batches only, at STOP (which
 * only the outermost list meets). */
static bool batches_exact(size_t n, int proto, bool nested) {
    if (proto == 0) return n <= 1; /* one APPEND an item */
    if (n <= 1000) return true;
    size_t full = n / 1000 * 1000, rem = n % 1000, cap = 1000;
    if (full > 1000)
        for (cap = 4; cap < full; cap *= 2) {}
    if (rem && full + rem > cap) return true;
    if (!rem && nested) return false;
    if (cap * 8 > (128u << 10)) return cap - n >= cap / 8;
    return cap > n && n * 8 >= (16u << 10);
}

/* A long list a pickle appends in batches of 1000: exact where
 * batches_exact says, its items right, and later appends grow it from
 * there. */
static void test_pickle_list_batches(void) {
    static const size_t sizes[] = {999, 1000, 1001, 2500, 3000, 9007, 12000, 20007, 31000, 70000};
    for (int proto = 0; proto <= 5; proto += 2)
        for (size_t t = 0; t < sizeof sizes / sizeof *sizes; t++) {
            size_t n = sizes[t];
            acar_doc *doc = acar_doc_new(NULL);
            acar_val *list = acar_new_list(doc), *outer = acar_new_list(doc);
            for (size_t i = 0; i < n; i++) CHECK(acar_list_append(doc, list, acar_new_int(doc, (int64_t)i * 3)) == 0);
            for (int k = 0; k < 3; k++) CHECK(acar_list_append(doc, outer, list) == 0);
            acar_write_opts wo = {0};
            wo.version = ACAR_VERSION(proto);
            for (int nested = 0; nested < 2; nested++) {
                acar_buf b = {0};
                CHECK(acar_write(nested ? outer : list, ACAR_FORMAT_PICKLE, &wo, &b, NULL) == 0);
                acar_read_opts ro = {0};
                ro.format = ACAR_FORMAT_PICKLE;
                acar_val *r = acar_read(doc, b.data, b.len, &ro, NULL);
                acar_val *l = nested ? acar_item(r, 0) : r;
                CHECK_MSG(l && acar_len(l) == n, "protocol %d, %zu items", proto, n);
                bool exact = (ACAR_FLAGS(l) >> 0 & ACAR_F_EXACT) != 0;
                bool want = batches_exact(n, proto, nested);
                CHECK_MSG(exact == want, "protocol %d, %zu items, nested %d: exact %d", proto, n, nested, exact);
                for (size_t i = n; l && i < n + 5000; i++) CHECK(acar_list_append(doc, l, acar_new_int(doc, (int64_t)i * 3)) == 0);
                int64_t x;
                size_t bad = 0;
                for (size_t i = 0; l && i < n + 5000; i++)
                    bad += !acar_int_get(acar_item(l, i), &x) || x != (int64_t)i * 3;
                CHECK_MSG(l && bad == 0 && acar_len(l) == n + 5000, "protocol %d, %zu items: %zu wrong", proto, n, bad);
                acar_buf_free(&b);
            }
            acar_doc_free(doc);
        }
}

/* The copy that shrinks a list's array is an allocation that can fail:
 * NOMEM at the opcode that asked for it (STOP after full batches, the last
 * APPENDS otherwise), and no leak.  Only the chunk of exactly that size is
 * refused. */
static size_t refuse_size;
static void *refusing_malloc(void *ctx, size_t n) { (void)ctx; return n == refuse_size ? NULL : malloc(n); }
static void *plain_realloc(void *ctx, void *p, size_t old, size_t n) { (void)ctx; (void)old; return realloc(p, n); }
static void plain_free(void *ctx, void *p, size_t n) { (void)ctx; (void)n; free(p); }

static void test_pickle_shrink_fails(void) {
    static const size_t sizes[] = {3000, 9007};
    for (size_t t = 0; t < 2; t++) {
        size_t n = sizes[t];
        acar_doc *src = acar_doc_new(NULL);
        acar_val *list = acar_new_list(src);
        for (size_t i = 0; i < n; i++) CHECK(acar_list_append(src, list, acar_new_int(src, (int64_t)i)) == 0);
        acar_buf pk = {0};
        acar_write_opts wo = {0};
        wo.version = ACAR_VERSION(4);
        CHECK(acar_write(list, ACAR_FORMAT_PICKLE, &wo, &pk, NULL) == 0);
        acar_doc_free(src);
        refuse_size = sizeof(acar_chunk) + n * sizeof(acar_val *);
        acar_alloc al = {refusing_malloc, plain_realloc, plain_free, NULL};
        acar_doc_opts dopts = {0};
        dopts.alloc = &al;
        acar_doc *doc = acar_doc_new(&dopts);
        acar_read_opts ro = {0};
        ro.format = ACAR_FORMAT_PICKLE;
        acar_err err;
        CHECK(acar_read(doc, pk.data, pk.len, &ro, &err) == NULL);
        /* STOP is the last byte; the last APPENDS the one before it */
        size_t want = t == 0 ? pk.len - 1 : pk.len - 2;
        CHECK_MSG(err.code == ACAR_ERR_NOMEM && err.offset == want, "%zu items: code %d at %zu, want %zu: %s", n,
                  (int)err.code, err.offset, want, err.msg);
        acar_doc_free(doc);
        acar_buf_free(&pk);
    }
}

/* Dicts with the same keys in the same order share one table of keys
 * (ACAR_F_SPLIT, core/internal.h): the pickle reader makes them so from
 * the second dict of a shape on (the first is split then too), and every
 * accessor, lookup, equality and mutation sees an ordinary dict. */
static acar_val *read_text(acar_doc *doc, acar_format fmt, const char *data, size_t len) {
    acar_read_opts ro = {0};
    ro.format = fmt;
    acar_err err;
    acar_val *v = acar_read(doc, data, len, &ro, &err);
    CHECK_MSG(v != NULL, "%s", err.msg);
    return v;
}

/* v written as a pickle (its shared key nodes as GETs) and read into doc. */
static acar_val *via_pickle(acar_doc *doc, const acar_val *v) {
    acar_buf out = {0};
    acar_err err;
    CHECK_MSG(acar_write(v, ACAR_FORMAT_PICKLE, NULL, &out, &err) == 0, "%s", err.msg);
    acar_val *r = read_text(doc, ACAR_FORMAT_PICKLE, out.data, out.len);
    acar_buf_free(&out);
    return r;
}

static int repr_is(const acar_val *v, const char *want) {
    acar_buf out = {0};
    acar_write_opts wo = {0};
    acar_err err;
    int ok = acar_write(v, ACAR_FORMAT_REPR, &wo, &out, &err) == 0 && out.len == strlen(want) &&
             memcmp(out.data, want, out.len) == 0;
    if (!ok) fprintf(stderr, "repr: %.*s\n  want: %s\n", (int)out.len, out.data ? out.data : "", want);
    acar_buf_free(&out);
    return ok;
}

/* A list of rows dicts of nkeys keys k0, k1 ... (one node each, shared by
 * the dicts), key k of row r holding r * 100 + k; the last row's keys in
 * reverse order when reverse_last. */
static acar_val *rows(acar_doc *doc, int nrows, int nkeys, bool reverse_last) {
    acar_val *keys[64], *l = acar_new_list(doc);
    for (int k = 0; k < nkeys; k++) {
        char key[16];
        int n = sprintf(key, "k%d", k);
        keys[k] = acar_new_str(doc, key, (size_t)n);
    }
    for (int r = 0; r < nrows; r++) {
        acar_val *d = acar_new_dict(doc);
        for (int i = 0; i < nkeys; i++) {
            int k = reverse_last && r == nrows - 1 ? nkeys - 1 - i : i;
            acar_dict_set(doc, d, keys[k], acar_new_int(doc, r * 100 + k));
        }
        acar_list_append(doc, l, d);
    }
    return l;
}

/* Every writer writes split dicts (b, in doc db) as the same dicts in
 * pairs (a, in da); XML-RPC as the params (a 1-tuple). */
static void same_writes(acar_doc *da, acar_val *a, acar_doc *db, acar_val *b) {
    static const acar_format fmts[] = {ACAR_FORMAT_PICKLE, ACAR_FORMAT_MARSHAL, ACAR_FORMAT_JSON,
                                       ACAR_FORMAT_PLIST, ACAR_FORMAT_BPLIST, ACAR_FORMAT_XMLRPC,
                                       ACAR_FORMAT_REPR};
    for (size_t i = 0; i < sizeof fmts / sizeof *fmts; i++) {
        for (int sorted = 0; sorted < 2; sorted++) {
            acar_buf x = {0}, y = {0};
            acar_write_opts wo = {0};
            wo.flags = sorted ? ACAR_WRITE_SORT_KEYS : 0;
            acar_err e1, e2;
            const acar_val *va = a, *vb = b;
            if (fmts[i] == ACAR_FORMAT_XMLRPC) {
                va = acar_new_tuple(da, &a, 1);
                vb = acar_new_tuple(db, &b, 1);
            }
            int r1 = acar_write(va, fmts[i], &wo, &x, &e1), r2 = acar_write(vb, fmts[i], &wo, &y, &e2);
            CHECK_MSG(r1 == 0 && r2 == 0 && x.len == y.len && memcmp(x.data, y.data, x.len) == 0,
                      "format %d sorted %d: %d %d (%s %s)", (int)fmts[i], sorted, r1, r2, r1 ? e1.msg : "",
                      r2 ? e2.msg : "");
            acar_buf_free(&x);
            acar_buf_free(&y);
        }
    }
}

static void test_split_dicts(void) {
    acar_doc *src = acar_doc_new(NULL), *doc = acar_doc_new(NULL);
    acar_val *l = via_pickle(doc, rows(src, 4, 2, true));
    if (!l) return;
    acar_val *d0 = acar_item(l, 0), *d1 = acar_item(l, 1), *d2 = acar_item(l, 2), *d3 = acar_item(l, 3);
    CHECK(acar__is_split(d0) && acar__is_split(d1) && acar__is_split(d2) && !acar__is_split(d3));
    CHECK(acar__split_keys(d0) == acar__split_keys(d2) && acar__split_keys(d0)->n == 2);
    int64_t x;
    CHECK(acar_int_get(acar_dict_get_str(d1, "k1", 2), &x) && x == 101);
    CHECK(acar_dict_get_str(d1, "k2", 2) == NULL);
    CHECK(acar_int_get(acar_dict_value(d2, 0), &x) && x == 200);
    CHECK(acar_dict_key(d2, 1) == acar_dict_key(d0, 1) && acar_dict_key(d2, 2) == NULL);
    CHECK(repr_is(l, "[{'k0': 0, 'k1': 1}, {'k0': 100, 'k1': 101}, {'k0': 200, 'k1': 201}, {'k1': 301, 'k0': 300}]"));
    same_writes(src, rows(src, 4, 2, true), doc, l);
    /* equal to a dict of the builders, and not to one of other values */
    acar_val *b = acar_new_dict(doc);
    acar_dict_set(doc, b, acar_new_str(doc, "k1", 2), acar_new_int(doc, 101));
    acar_dict_set(doc, b, acar_new_str(doc, "k0", 2), acar_new_int(doc, 100));
    CHECK(acar_equal(d1, b) && acar_equal(b, d1) && !acar_equal(d0, b));
    /* a value replaced: still split; a new key: pairs of its own */
    CHECK(acar_dict_set(doc, d1, acar_new_str(doc, "k0", 2), acar_new_int(doc, 30)) == 0);
    CHECK(acar__is_split(d1));
    CHECK(acar_dict_set(doc, d2, acar_new_str(doc, "c", 1), acar_new_int(doc, 9)) == 0);
    CHECK(!acar__is_split(d2) && acar_len(d2) == 3);
    CHECK(acar_int_get(acar_dict_get_str(d2, "c", 1), &x) && x == 9);
    CHECK(repr_is(l, "[{'k0': 0, 'k1': 1}, {'k0': 30, 'k1': 101}, {'k0': 200, 'k1': 201, 'c': 9}, {'k1': 301, 'k0': 300}]"));
    acar_doc_reset(src);
    acar_doc_reset(doc);

    /* Over ACAR_MAP_SCAN_MAX keys the table's index serves every dict of
     * the shape, and goes with a dict that takes a new key. */
    acar_val *big = rows(src, 3, 40, false);
    l = via_pickle(doc, big);
    if (!l) return;
    same_writes(src, big, doc, l);
    for (int r = 0; r < 3; r++) {
        acar_val *d = acar_item(l, (size_t)r);
        CHECK(acar__is_split(d) && acar__split_keys(d)->index.cap == 128);
        for (int k = 0; k < 40; k++) {
            char key[16];
            int n = sprintf(key, "k%d", k);
            CHECK(acar_int_get(acar_dict_get_str(d, key, (size_t)n), &x) && x == r * 100 + k);
        }
    }
    acar_val *d = acar_item(l, 1);
    for (int k = 40; k < 100; k++) {
        char key[16];
        int n = sprintf(key, "k%d", k);
        CHECK(acar_dict_set(doc, d, acar_new_str(doc, key, (size_t)n), acar_new_int(doc, k)) == 0);
    }
    CHECK(!acar__is_split(d) && acar_len(d) == 100);
    for (int k = 0; k < 100; k++) {
        char key[16];
        int n = sprintf(key, "k%d", k);
        CHECK(acar_int_get(acar_dict_get_str(d, key, (size_t)n), &x) && x == (k < 40 ? 100 + k : k));
        if (k < 40) CHECK(acar_int_get(acar_dict_get_str(acar_item(l, 2), key, (size_t)n), &x) && x == 200 + k);
    }
    acar_doc_reset(doc);

    /* A pickle whose first dict of a shape takes another key before the
     * second comes (SETITEM on it through the memo): nothing is shared. */
    static const char pk[] = "\x80\x02]q\x00(}q\x01(X\x01\x00\x00\x00" "aq\x02K\x01X\x01\x00\x00\x00" "bq\x03K\x02u"
                             "h\x01X\x01\x00\x00\x00" "cK\x03s}(h\x02K\x04h\x03K\x05ue.";
    l = read_text(doc, ACAR_FORMAT_PICKLE, pk, sizeof pk - 1);
    if (l) {
        CHECK(!acar__is_split(acar_item(l, 0)) && !acar__is_split(acar_item(l, 2)));
        CHECK(repr_is(l, "[{'a': 1, 'b': 2, 'c': 3}, {'a': 1, 'b': 2, 'c': 3}, {'a': 4, 'b': 5}]"));
    }
    /* and a repeated key in a later dict is no shape of an earlier one */
    static const char dup[] = "\x80\x02]q\x00(}q\x01(X\x01\x00\x00\x00" "aq\x02K\x01X\x01\x00\x00\x00" "bq\x03K\x02u"
                              "}(h\x02K\x03h\x02K\x04u}(h\x02K\x05h\x03K\x06ue.";
    acar_doc_reset(doc);
    l = read_text(doc, ACAR_FORMAT_PICKLE, dup, sizeof dup - 1);
    if (l) {
        CHECK(!acar__is_split(acar_item(l, 1)) && acar__is_split(acar_item(l, 2)));
        CHECK(repr_is(l, "[{'a': 1, 'b': 2}, {'a': 4}, {'a': 5, 'b': 6}]"));
    }
    acar_doc_free(doc);
    acar_doc_free(src);
}

int main(void) {
    test_reset();
    test_scalars();
    test_int_dec();
    test_containers();
    test_equal();
    test_hash_follows_equal();
    test_objects();
    test_limits_and_alloc();
    test_reader_containers_grow();
    test_index_widths();
    test_pickle_list_batches();
    test_pickle_shrink_fails();
    test_split_dicts();
    CHECK(strcmp(acar_err_str(ACAR_ERR_LIMIT), "limit exceeded") == 0);
    CHECK(acar_format_from_name("pickle") == ACAR_FORMAT_PICKLE);
    CHECK(acar_format_from_name("nope") == ACAR_FORMAT_AUTO);
    CHECK(strcmp(acar_version(), ACAR_VERSION_STRING) == 0);
    return CHECK_DONE();
}
