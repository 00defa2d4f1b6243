/*
 * test_pickle_write.c -- the pickle writer against CPython 3.11.
 *
 * Each case builds a value with the builder API and writes it at every
 * protocol; the expected bytes are what CPython 3.11.7's
 * pickle.dumps(value, N) gives for the Python expression in the comment
 * above the case (outputs over 600 bytes are pinned by length and FNV-1a
 * 64).  The Python side of the cases used these module globals:
 *
 *     m1:  class X; class A: class B: class C; def f(*a);
 *          class P: def __init__(s, x=1): s.x = x
 *          class L(list); class D(dict)
 *          class K: defines __new__ and __getnewargs_ex__ -> ((1,), {'k': 2})
 *          class R: __reduce__ -> (f, (1, 2))
 *          class Q: __reduce__ -> (copyreg.__newobj__, (Q, 5))
 *     m2:  class X
 *     'm\xe9': def f\xe9()
 *     PID(x): a persistent_id() that returns x
 *
 * Then errors (codes and messages), limits, out-of-memory, appending to a
 * buffer, and Python 2 INST/OBJ objects (no CPython 3 oracle: the bytes
 * Python 2's pickle.py writes, with UNICODE for its str).
 */
#include "check.h"
#include "core/internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>

static acar_doc *D;

/* ---- builders ---- */

static acar_val *NONE(void) { return acar_new_none(D); }
static acar_val *TRUE(void) { return acar_new_bool(D, 1); }
static acar_val *FALSE(void) { return acar_new_bool(D, 0); }
static acar_val *ELL(void) { return acar_new_ellipsis(D); }
static acar_val *STOPI(void) { return acar_new_stopiteration(D); }
static acar_val *I(int64_t x) { return acar_new_int(D, x); }
static acar_val *BIG(const char *dec) { return acar_new_int_dec(D, dec, strlen(dec)); }
static acar_val *F(double d) { return acar_new_float(D, d); }
static acar_val *CPX(double re, double im) { return acar_new_complex(D, re, im); }
static acar_val *S(const char *s) { return acar_new_str(D, s, strlen(s)); }
static acar_val *SN(const char *s, size_t n) { return acar_new_str(D, s, n); }
static acar_val *Y(const char *s, size_t n) { return acar_new_bytes(D, s, n); }
static acar_val *BA(const char *s, size_t n) { return acar_new_bytearray(D, s, n); }
static acar_val *G(const char *m, const char *n) { return acar_new_global(D, m, strlen(m), n, strlen(n)); }
static acar_val *PERS(acar_val *pid) { return acar_new_persid(D, pid); }
static acar_val *OBJ(acar_build how, acar_val *c, acar_val *args, acar_val *kwargs) {
    return acar_new_object(D, how, c, args, kwargs);
}

static acar_val *LIST(int n, ...) {
    acar_val *l = acar_new_list(D);
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) acar_list_append(D, l, va_arg(ap, acar_val *));
    va_end(ap);
    return l;
}

static acar_val *TUP(int n, ...) {
    acar_val *items[8];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) items[i] = va_arg(ap, acar_val *);
    va_end(ap);
    return acar_new_tuple(D, items, (size_t)n);
}

static acar_val *DICT(int n, ...) {
    acar_val *d = acar_new_dict(D);
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        acar_val *k = va_arg(ap, acar_val *);
        acar_dict_set(D, d, k, va_arg(ap, acar_val *));
    }
    va_end(ap);
    return d;
}

static acar_val *SET(int n, ...) {
    acar_val *s = acar_new_set(D);
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) acar_set_add(D, s, va_arg(ap, acar_val *));
    va_end(ap);
    return s;
}

static acar_val *FSET(int n, ...) {
    acar_val *items[8];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) items[i] = va_arg(ap, acar_val *);
    va_end(ap);
    return acar_new_frozenset(D, items, (size_t)n);
}

static acar_val *range_list(int n) {
    acar_val *l = acar_new_list(D);
    for (int i = 0; i < n; i++) acar_list_append(D, l, I(i));
    return l;
}

static acar_val *range_dict(int n) {
    acar_val *d = acar_new_dict(D);
    for (int i = 0; i < n; i++) acar_dict_set(D, d, I(i), I(i));
    return d;
}

static acar_val *range_set(int n) {
    acar_val *s = acar_new_set(D);
    for (int i = 0; i < n; i++) acar_set_add(D, s, I(i));
    return s;
}

static acar_val *range_fset(int n) {
    acar_val **items = malloc((size_t)n * sizeof *items);
    for (int i = 0; i < n; i++) items[i] = I(i);
    acar_val *f = acar_new_frozenset(D, items, (size_t)n);
    free(items);
    return f;
}

/* [x, x, y, y]: two nodes, each twice */
static acar_val *same_twice(acar_val *x, acar_val *y) { return LIST(4, x, x, y, y); }

static acar_val *shared_str(void) {
    acar_val *s = S("ab");
    return LIST(3, s, s, S("ab"));
}

static acar_val *shared_list(void) {
    acar_val *l = LIST(0);
    return LIST(4, l, l, TUP(1, l), DICT(1, I(1), l));
}

static acar_val *self_list(void) {
    acar_val *l = LIST(0);
    acar_list_append(D, l, l);
    return l;
}

static acar_val *self_dict(void) {
    acar_val *d = DICT(0);
    acar_dict_set(D, d, S("me"), d);
    return d;
}

/* l = []; t = (l,) or (1, 2, 3, l); l.append(t); t */
static acar_val *rec_tuple(int n) {
    acar_val *l = LIST(0);
    acar_val *t = n == 1 ? TUP(1, l) : TUP(4, I(1), I(2), I(3), l);
    acar_list_append(D, l, t);
    return t;
}

static acar_val *shared_complex(void) {
    acar_val *c = CPX(0, 1);
    return LIST(2, c, c);
}

/* copyreg._reconstructor(m1.P, object, None) with state {'x': 1} */
static acar_val *p_obj(void) {
    acar_val *o = OBJ(ACAR_BUILD_REDUCE, G("copyreg", "_reconstructor"),
                      TUP(3, G("m1", "P"), G("builtins", "object"), NONE()), NULL);
    acar_object_set_state(D, o, DICT(1, S("x"), I(1)));
    return o;
}

static acar_val *p_newobj(void) {
    acar_val *o = OBJ(ACAR_BUILD_NEWOBJ, G("m1", "P"), NULL, NULL);
    acar_object_set_state(D, o, DICT(1, S("x"), I(1)));
    return o;
}

static acar_val *l_obj(void) {
    acar_val *o = OBJ(ACAR_BUILD_NEWOBJ, G("m1", "L"), NULL, NULL);
    for (int i = 1; i <= 3; i++) acar_object_append(D, o, I(i));
    acar_object_set_state(D, o, DICT(1, S("y"), I(1)));
    return o;
}

static acar_val *d_obj(void) {
    acar_val *o = OBJ(ACAR_BUILD_NEWOBJ, G("m1", "D"), NULL, NULL);
    acar_object_setitem(D, o, S("a"), I(1));
    return o;
}

static acar_val *self_obj(void) {
    acar_val *o = OBJ(ACAR_BUILD_NEWOBJ, G("m1", "P"), NULL, NULL);
    acar_object_set_state(D, o, DICT(1, S("x"), o));
    return o;
}

static acar_val *set_obj_cycle(void) {
    acar_val *s = SET(0);
    acar_val *o = OBJ(ACAR_BUILD_NEWOBJ, G("m1", "P"), NULL, NULL);
    acar_object_set_state(D, o, DICT(1, S("x"), s));
    acar_set_add(D, s, o);
    return s;
}

static acar_val *BUF(const char *s, size_t n, int ro) { return acar_new_buffer(D, s, n, ro); }

static acar_val *OOB(int ro, long idx) {
    acar_val *b = acar_new_buffer(D, NULL, 0, ro);
    ((acar_buffer_body *)b->u.p)->oob = idx;
    return b;
}

static acar_val *buffers_inband(void) {
    acar_val *pb = BUF("abc", 3, 1);
    return LIST(3, pb, BUF("xy", 2, 0), pb);
}

static acar_val *buffers_oob(void) { return LIST(2, OOB(1, 0), OOB(0, 1)); }

static acar_val *frame_strs(void) {
    acar_val *l = acar_new_list(D);
    char s[24]; /* room for any int, which gcc's -Wformat-truncation asks at -O1 */
    for (int i = 0; i < 10000; i++) {
        snprintf(s, sizeof s, "abcdefgh%05d", i);
        acar_list_append(D, l, S(s));
    }
    return l;
}

static acar_val *filled(acar_val *(*mk)(acar_doc *, const void *, size_t), char c, size_t n) {
    char *b = malloc(n);
    memset(b, c, n);
    acar_val *v = mk(D, b, n);
    free(b);
    return v;
}

static acar_val *new_str_(acar_doc *d, const void *s, size_t n) { return acar_new_str(d, s, n); }
static acar_val *new_bytes_(acar_doc *d, const void *s, size_t n) { return acar_new_bytes(d, s, n); }
static acar_val *new_bytearray_(acar_doc *d, const void *s, size_t n) { return acar_new_bytearray(d, s, n); }

static acar_val *big_bytes(size_t n) { return filled(new_bytes_, 'x', n); }

static acar_val *frame_big(void) {
    return LIST(6, filled(new_bytes_, 'a', 10), filled(new_bytes_, 'x', 70000),
                filled(new_str_, 'y', 65536), filled(new_str_, 'z', 65535),
                filled(new_bytearray_, 'q', 70000), I(1));
}

/* "1" and 4299 zeros: 10 ** 4299, 4300 digits */
static char DIGITS_4300[4301];

/* ---- checks ---- */

static int write_p(const acar_val *v, int proto, bool fix, acar_buf *out, acar_err *err) {
    acar_write_opts o = {0};
    o.version = ACAR_VERSION(proto);
    if (!fix) o.flags = ACAR_WRITE_NO_FIX_IMPORTS;
    return acar_write(v, ACAR_FORMAT_PICKLE, &o, out, err);
}

static void expect_(int line, const acar_val *v, int proto, bool fix, const char *exp, size_t len) {
    acar_buf out = {0};
    acar_err err;
    int rc = write_p(v, proto, fix, &out, &err);
    size_t i = 0;
    if (rc == 0)
        while (i < len && i < out.len && out.data[i] == exp[i]) i++;
    CHECK_MSG(rc == 0 && out.len == len && i == len,
              "line %d protocol %d: rc %d (%s), %zu bytes, expected %zu, first difference at %zu",
              line, proto, rc, rc ? err.msg : "", out.len, len, i);
    acar_buf_free(&out);
}
#define expect(v, proto, fix, exp, len) expect_(__LINE__, v, proto, fix, exp, len)

static uint64_t fnv1a(const char *s, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 0x100000001b3ull;
    return h;
}

static void expect_hash(const acar_val *v, int proto, bool fix, size_t len, uint64_t hash, const char *what) {
    acar_buf out = {0};
    acar_err err;
    int rc = write_p(v, proto, fix, &out, &err);
    CHECK_MSG(rc == 0 && out.len == len && fnv1a(out.data, out.len) == hash,
              "%s protocol %d: rc %d (%s), %zu bytes, expected %zu", what, proto, rc,
              rc ? err.msg : "", out.len, len);
    acar_buf_free(&out);
}

static void expect_err_(int line, const acar_val *v, int proto, acar_code code, const char *msg_part) {
    acar_buf out = {0};
    acar_err err;
    int rc = write_p(v, proto, true, &out, &err);
    CHECK_MSG(rc == -1 && err.code == code && (!msg_part || strstr(err.msg, msg_part)),
              "line %d protocol %d: rc %d code %d (%s), expected code %d", line, proto, rc,
              rc ? (int)err.code : 0, rc ? err.msg : "", (int)code);
    acar_buf_free(&out);
}
#define expect_err(v, proto, code, msg) expect_err_(__LINE__, v, proto, code, msg)

/* ---- the cases CPython gave ---- */

static void test_cpython_cases(void) {
    /* ---- atoms ---- */
    /* None */
    {
        acar_val *v = NONE();
        expect(v, 0, true, "N.", 2);
        expect(v, 1, true, "N.", 2);
        expect(v, 2, true, "\200\002N.", 4);
        expect(v, 3, true, "\200\003N.", 4);
        expect(v, 4, true, "\200\004N.", 4);
        expect(v, 5, true, "\200\005N.", 4);
    }
    /* True */
    {
        acar_val *v = TRUE();
        expect(v, 0, true, "I01\012.", 5);
        expect(v, 1, true, "I01\012.", 5);
        expect(v, 2, true, "\200\002\210.", 4);
        expect(v, 3, true, "\200\003\210.", 4);
        expect(v, 4, true, "\200\004\210.", 4);
        expect(v, 5, true, "\200\005\210.", 4);
    }
    /* False */
    {
        acar_val *v = FALSE();
        expect(v, 0, true, "I00\012.", 5);
        expect(v, 1, true, "I00\012.", 5);
        expect(v, 2, true, "\200\002\211.", 4);
        expect(v, 3, true, "\200\003\211.", 4);
        expect(v, 4, true, "\200\004\211.", 4);
        expect(v, 5, true, "\200\005\211.", 4);
    }
    /* 0 */
    {
        acar_val *v = I(0ll);
        expect(v, 0, true, "I0\012.", 4);
        expect(v, 1, true, "K\000.", 3);
        expect(v, 2, true, "\200\002K\000.", 5);
        expect(v, 3, true, "\200\003K\000.", 5);
        expect(v, 4, true, "\200\004K\000.", 5);
        expect(v, 5, true, "\200\005K\000.", 5);
    }
    /* 1 */
    {
        acar_val *v = I(1ll);
        expect(v, 0, true, "I1\012.", 4);
        expect(v, 1, true, "K\001.", 3);
        expect(v, 2, true, "\200\002K\001.", 5);
        expect(v, 3, true, "\200\003K\001.", 5);
        expect(v, 4, true, "\200\004K\001.", 5);
        expect(v, 5, true, "\200\005K\001.", 5);
    }
    /* 255 */
    {
        acar_val *v = I(255ll);
        expect(v, 0, true, "I255\012.", 6);
        expect(v, 1, true, "K\377.", 3);
        expect(v, 2, true, "\200\002K\377.", 5);
        expect(v, 3, true, "\200\003K\377.", 5);
        expect(v, 4, true, "\200\004K\377.", 5);
        expect(v, 5, true, "\200\005K\377.", 5);
    }
    /* 256 */
    {
        acar_val *v = I(256ll);
        expect(v, 0, true, "I256\012.", 6);
        expect(v, 1, true, "M\000\001.", 4);
        expect(v, 2, true, "\200\002M\000\001.", 6);
        expect(v, 3, true, "\200\003M\000\001.", 6);
        expect(v, 4, true, "\200\004\225\004\000\000\000\000\000\000\000M\000\001.", 15);
        expect(v, 5, true, "\200\005\225\004\000\000\000\000\000\000\000M\000\001.", 15);
    }
    /* 65535 */
    {
        acar_val *v = I(65535ll);
        expect(v, 0, true, "I65535\012.", 8);
        expect(v, 1, true, "M\377\377.", 4);
        expect(v, 2, true, "\200\002M\377\377.", 6);
        expect(v, 3, true, "\200\003M\377\377.", 6);
        expect(v, 4, true, "\200\004\225\004\000\000\000\000\000\000\000M\377\377.", 15);
        expect(v, 5, true, "\200\005\225\004\000\000\000\000\000\000\000M\377\377.", 15);
    }
    /* 65536 */
    {
        acar_val *v = I(65536ll);
        expect(v, 0, true, "I65536\012.", 8);
        expect(v, 1, true, "J\000\000\001\000.", 6);
        expect(v, 2, true, "\200\002J\000\000\001\000.", 8);
        expect(v, 3, true, "\200\003J\000\000\001\000.", 8);
        expect(v, 4, true, "\200\004\225\006\000\000\000\000\000\000\000J\000\000\001\000.", 17);
        expect(v, 5, true, "\200\005\225\006\000\000\000\000\000\000\000J\000\000\001\000.", 17);
    }
    /* -1 */
    {
        acar_val *v = I(-1ll);
        expect(v, 0, true, "I-1\012.", 5);
        expect(v, 1, true, "J\377\377\377\377.", 6);
        expect(v, 2, true, "\200\002J\377\377\377\377.", 8);
        expect(v, 3, true, "\200\003J\377\377\377\377.", 8);
        expect(v, 4, true, "\200\004\225\006\000\000\000\000\000\000\000J\377\377\377\377.", 17);
        expect(v, 5, true, "\200\005\225\006\000\000\000\000\000\000\000J\377\377\377\377.", 17);
    }
    /* -256 */
    {
        acar_val *v = I(-256ll);
        expect(v, 0, true, "I-256\012.", 7);
        expect(v, 1, true, "J\000\377\377\377.", 6);
        expect(v, 2, true, "\200\002J\000\377\377\377.", 8);
        expect(v, 3, true, "\200\003J\000\377\377\377.", 8);
        expect(v, 4, true, "\200\004\225\006\000\000\000\000\000\000\000J\000\377\377\377.", 17);
        expect(v, 5, true, "\200\005\225\006\000\000\000\000\000\000\000J\000\377\377\377.", 17);
    }
    /* 2147483647 */
    {
        acar_val *v = I(2147483647ll);
        expect(v, 0, true, "I2147483647\012.", 13);
        expect(v, 1, true, "J\377\377\377\177.", 6);
        expect(v, 2, true, "\200\002J\377\377\377\177.", 8);
        expect(v, 3, true, "\200\003J\377\377\377\177.", 8);
        expect(v, 4, true, "\200\004\225\006\000\000\000\000\000\000\000J\377\377\377\177.", 17);
        expect(v, 5, true, "\200\005\225\006\000\000\000\000\000\000\000J\377\377\377\177.", 17);
    }
    /* 2147483648 */
    {
        acar_val *v = I(2147483648ll);
        expect(v, 0, true, "L2147483648L\012.", 14);
        expect(v, 1, true, "L2147483648L\012.", 14);
        expect(v, 2, true, "\200\002\212\005\000\000\000\200\000.", 10);
        expect(v, 3, true, "\200\003\212\005\000\000\000\200\000.", 10);
        expect(v, 4, true, "\200\004\225\010\000\000\000\000\000\000\000\212\005\000\000\000\200\000"
        ".", 19);
        expect(v, 5, true, "\200\005\225\010\000\000\000\000\000\000\000\212\005\000\000\000\200\000"
        ".", 19);
    }
    /* -2147483648 */
    {
        acar_val *v = I(-2147483648ll);
        expect(v, 0, true, "I-2147483648\012.", 14);
        expect(v, 1, true, "J\000\000\000\200.", 6);
        expect(v, 2, true, "\200\002J\000\000\000\200.", 8);
        expect(v, 3, true, "\200\003J\000\000\000\200.", 8);
        expect(v, 4, true, "\200\004\225\006\000\000\000\000\000\000\000J\000\000\000\200.", 17);
        expect(v, 5, true, "\200\005\225\006\000\000\000\000\000\000\000J\000\000\000\200.", 17);
    }
    /* -2147483649 */
    {
        acar_val *v = I(-2147483649ll);
        expect(v, 0, true, "L-2147483649L\012.", 15);
        expect(v, 1, true, "L-2147483649L\012.", 15);
        expect(v, 2, true, "\200\002\212\005\377\377\377\177\377.", 10);
        expect(v, 3, true, "\200\003\212\005\377\377\377\177\377.", 10);
        expect(v, 4, true, "\200\004\225\010\000\000\000\000\000\000\000\212\005\377\377\377\177\377"
        ".", 19);
        expect(v, 5, true, "\200\005\225\010\000\000\000\000\000\000\000\212\005\377\377\377\177\377"
        ".", 19);
    }
    /* 9223372036854775807 */
    {
        acar_val *v = I(9223372036854775807ll);
        expect(v, 0, true, "L9223372036854775807L\012.", 23);
        expect(v, 1, true, "L9223372036854775807L\012.", 23);
        expect(v, 2, true, "\200\002\212\010\377\377\377\377\377\377\377\177.", 13);
        expect(v, 3, true, "\200\003\212\010\377\377\377\377\377\377\377\177.", 13);
        expect(v, 4, true, "\200\004\225\013\000\000\000\000\000\000\000\212\010\377\377\377\377\377"
        "\377\377\177.", 22);
        expect(v, 5, true, "\200\005\225\013\000\000\000\000\000\000\000\212\010\377\377\377\377\377"
        "\377\377\177.", 22);
    }
    /* -9223372036854775808 */
    {
        acar_val *v = I(INT64_MIN);
        expect(v, 0, true, "L-9223372036854775808L\012.", 24);
        expect(v, 1, true, "L-9223372036854775808L\012.", 24);
        expect(v, 2, true, "\200\002\212\010\000\000\000\000\000\000\000\200.", 13);
        expect(v, 3, true, "\200\003\212\010\000\000\000\000\000\000\000\200.", 13);
        expect(v, 4, true, "\200\004\225\013\000\000\000\000\000\000\000\212\010\000\000\000\000\000"
        "\000\000\200.", 22);
        expect(v, 5, true, "\200\005\225\013\000\000\000\000\000\000\000\212\010\000\000\000\000\000"
        "\000\000\200.", 22);
    }
    /* 2**63 */
    {
        acar_val *v = BIG("9223372036854775808");
        expect(v, 0, true, "L9223372036854775808L\012.", 23);
        expect(v, 1, true, "L9223372036854775808L\012.", 23);
        expect(v, 2, true, "\200\002\212\011\000\000\000\000\000\000\000\200\000.", 14);
        expect(v, 3, true, "\200\003\212\011\000\000\000\000\000\000\000\200\000.", 14);
        expect(v, 4, true, "\200\004\225\014\000\000\000\000\000\000\000\212\011\000\000\000\000\000"
        "\000\000\200\000.", 23);
        expect(v, 5, true, "\200\005\225\014\000\000\000\000\000\000\000\212\011\000\000\000\000\000"
        "\000\000\200\000.", 23);
    }
    /* -2**63-1 */
    {
        acar_val *v = BIG("-9223372036854775809");
        expect(v, 0, true, "L-9223372036854775809L\012.", 24);
        expect(v, 1, true, "L-9223372036854775809L\012.", 24);
        expect(v, 2, true, "\200\002\212\011\377\377\377\377\377\377\377\177\377.", 14);
        expect(v, 3, true, "\200\003\212\011\377\377\377\377\377\377\377\177\377.", 14);
        expect(v, 4, true, "\200\004\225\014\000\000\000\000\000\000\000\212\011\377\377\377\377\377"
        "\377\377\177\377.", 23);
        expect(v, 5, true, "\200\005\225\014\000\000\000\000\000\000\000\212\011\377\377\377\377\377"
        "\377\377\177\377.", 23);
    }
    /* 2**64 */
    {
        acar_val *v = BIG("18446744073709551616");
        expect(v, 0, true, "L18446744073709551616L\012.", 24);
        expect(v, 1, true, "L18446744073709551616L\012.", 24);
        expect(v, 2, true, "\200\002\212\011\000\000\000\000\000\000\000\000\001.", 14);
        expect(v, 3, true, "\200\003\212\011\000\000\000\000\000\000\000\000\001.", 14);
        expect(v, 4, true, "\200\004\225\014\000\000\000\000\000\000\000\212\011\000\000\000\000\000"
        "\000\000\000\001.", 23);
        expect(v, 5, true, "\200\005\225\014\000\000\000\000\000\000\000\212\011\000\000\000\000\000"
        "\000\000\000\001.", 23);
    }
    /* 10**30 */
    {
        acar_val *v = BIG("1000000000000000000000000000000");
        expect(v, 0, true, "L1000000000000000000000000000000L\012.", 35);
        expect(v, 1, true, "L1000000000000000000000000000000L\012.", 35);
        expect(v, 2, true, "\200\002\212\015\000\000\000@\352\355tF\320\234,\237\014.", 18);
        expect(v, 3, true, "\200\003\212\015\000\000\000@\352\355tF\320\234,\237\014.", 18);
        expect(v, 4, true, "\200\004\225\020\000\000\000\000\000\000\000\212\015\000\000\000@\352"
        "\355tF\320\234,\237\014.", 27);
        expect(v, 5, true, "\200\005\225\020\000\000\000\000\000\000\000\212\015\000\000\000@\352"
        "\355tF\320\234,\237\014.", 27);
    }
    /* -(2**255) */
    {
        acar_val *v = BIG("-57896044618658097711785492504343953926634992332820282019728792003956564819968");
        expect(v, 0, true, "L-5789604461865809771178549250434395392663499233282028201972879200395656"
        "4819968L\012.", 82);
        expect(v, 1, true, "L-5789604461865809771178549250434395392663499233282028201972879200395656"
        "4819968L\012.", 82);
        expect(v, 2, true, "\200\002\212 \000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\200"
        ".", 37);
        expect(v, 3, true, "\200\003\212 \000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\200"
        ".", 37);
        expect(v, 4, true, "\200\004\225#\000\000\000\000\000\000\000\212 \000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\200.", 46);
        expect(v, 5, true, "\200\005\225#\000\000\000\000\000\000\000\212 \000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\200.", 46);
    }
    /* 2**2047 */
    {
        acar_val *v = BIG("16158503035655503650357438344334975980222051334857742016065172713762327569433945446598600705761456731844358980460949009747059779575245460547544076193224141560315438683650498045875098875194826053398028819192033784138396109321309878080919047169238085235290822926018152521443787945770532904303776199561965192760957166694834171210342487393282284747428088017663161029038902829665513096354230157075129296432088558362971801859230928678799175576150822952201848806616643615613562842355410104862578550863465661734839271290328348967522998634176499319107762583194718667771801067716614802322659239302476074096777926805529798115328");
        expect_hash(v, 0, true, 621, 0x12ce88676e0140b1ull, "2**2047");
        expect_hash(v, 1, true, 621, 0x12ce88676e0140b1ull, "2**2047");
        expect(v, 2, true, "\200\002\213\001\001\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\200\000.", 265);
        expect(v, 3, true, "\200\003\213\001\001\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\200\000.", 265);
        expect(v, 4, true, "\200\004\225\007\001\000\000\000\000\000\000\213\001\001\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\200\000.", 274);
        expect(v, 5, true, "\200\005\225\007\001\000\000\000\000\000\000\213\001\001\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
        "\000\200\000.", 274);
    }
    /* 1.5 */
    {
        acar_val *v = F(1.5);
        expect(v, 0, true, "F1.5\012.", 6);
        expect(v, 1, true, "G\077\370\000\000\000\000\000\000.", 10);
        expect(v, 2, true, "\200\002G\077\370\000\000\000\000\000\000.", 12);
        expect(v, 3, true, "\200\003G\077\370\000\000\000\000\000\000.", 12);
        expect(v, 4, true, "\200\004\225\012\000\000\000\000\000\000\000G\077\370\000\000\000\000"
        "\000\000.", 21);
        expect(v, 5, true, "\200\005\225\012\000\000\000\000\000\000\000G\077\370\000\000\000\000"
        "\000\000.", 21);
    }
    /* -0.0 */
    {
        acar_val *v = F(-0.0);
        expect(v, 0, true, "F-0.0\012.", 7);
        expect(v, 1, true, "G\200\000\000\000\000\000\000\000.", 10);
        expect(v, 2, true, "\200\002G\200\000\000\000\000\000\000\000.", 12);
        expect(v, 3, true, "\200\003G\200\000\000\000\000\000\000\000.", 12);
        expect(v, 4, true, "\200\004\225\012\000\000\000\000\000\000\000G\200\000\000\000\000\000"
        "\000\000.", 21);
        expect(v, 5, true, "\200\005\225\012\000\000\000\000\000\000\000G\200\000\000\000\000\000"
        "\000\000.", 21);
    }
    /* float('nan') */
    {
        acar_val *v = F(NAN);
        expect(v, 0, true, "Fnan\012.", 6);
        expect(v, 1, true, "G\177\370\000\000\000\000\000\000.", 10);
        expect(v, 2, true, "\200\002G\177\370\000\000\000\000\000\000.", 12);
        expect(v, 3, true, "\200\003G\177\370\000\000\000\000\000\000.", 12);
        expect(v, 4, true, "\200\004\225\012\000\000\000\000\000\000\000G\177\370\000\000\000\000"
        "\000\000.", 21);
        expect(v, 5, true, "\200\005\225\012\000\000\000\000\000\000\000G\177\370\000\000\000\000"
        "\000\000.", 21);
    }
    /* float('inf') */
    {
        acar_val *v = F(INFINITY);
        expect(v, 0, true, "Finf\012.", 6);
        expect(v, 1, true, "G\177\360\000\000\000\000\000\000.", 10);
        expect(v, 2, true, "\200\002G\177\360\000\000\000\000\000\000.", 12);
        expect(v, 3, true, "\200\003G\177\360\000\000\000\000\000\000.", 12);
        expect(v, 4, true, "\200\004\225\012\000\000\000\000\000\000\000G\177\360\000\000\000\000"
        "\000\000.", 21);
        expect(v, 5, true, "\200\005\225\012\000\000\000\000\000\000\000G\177\360\000\000\000\000"
        "\000\000.", 21);
    }
    /* 1e16 */
    {
        acar_val *v = F(1e16);
        expect(v, 0, true, "F1e+16\012.", 8);
        expect(v, 1, true, "GCA\303y7\340\200\000.", 10);
        expect(v, 2, true, "\200\002GCA\303y7\340\200\000.", 12);
        expect(v, 3, true, "\200\003GCA\303y7\340\200\000.", 12);
        expect(v, 4, true, "\200\004\225\012\000\000\000\000\000\000\000GCA\303y7\340\200\000.", 21);
        expect(v, 5, true, "\200\005\225\012\000\000\000\000\000\000\000GCA\303y7\340\200\000.", 21);
    }
    /* 1e-05 */
    {
        acar_val *v = F(1e-05);
        expect(v, 0, true, "F1e-05\012.", 8);
        expect(v, 1, true, "G>\344\370\265\210\343h\361.", 10);
        expect(v, 2, true, "\200\002G>\344\370\265\210\343h\361.", 12);
        expect(v, 3, true, "\200\003G>\344\370\265\210\343h\361.", 12);
        expect(v, 4, true, "\200\004\225\012\000\000\000\000\000\000\000G>\344\370\265\210\343h\361.", 21);
        expect(v, 5, true, "\200\005\225\012\000\000\000\000\000\000\000G>\344\370\265\210\343h\361.", 21);
    }
    /* 0.1 */
    {
        acar_val *v = F(0.1);
        expect(v, 0, true, "F0.1\012.", 6);
        expect(v, 1, true, "G\077\271\231\231\231\231\231\232.", 10);
        expect(v, 2, true, "\200\002G\077\271\231\231\231\231\231\232.", 12);
        expect(v, 3, true, "\200\003G\077\271\231\231\231\231\231\232.", 12);
        expect(v, 4, true, "\200\004\225\012\000\000\000\000\000\000\000G\077\271\231\231\231\231"
        "\231\232.", 21);
        expect(v, 5, true, "\200\005\225\012\000\000\000\000\000\000\000G\077\271\231\231\231\231"
        "\231\232.", 21);
    }
    /* complex(1, 2) */
    {
        acar_val *v = CPX(1, 2);
        expect(v, 0, true, "c__builtin__\012complex\012p0\012(F1.0\012F2.0\012tp1\012Rp2\012.", 44);
        expect(v, 1, true, "c__builtin__\012complex\012q\000(G\077\360\000\000\000\000\000\000G@\000"
        "\000\000\000\000\000\000tq\001Rq\002.", 49);
        expect(v, 2, true, "\200\002c__builtin__\012complex\012q\000G\077\360\000\000\000\000\000"
        "\000G@\000\000\000\000\000\000\000\206q\001Rq\002.", 50);
        expect(v, 3, true, "\200\003cbuiltins\012complex\012q\000G\077\360\000\000\000\000\000\000G@"
        "\000\000\000\000\000\000\000\206q\001Rq\002.", 47);
        expect(v, 4, true, "\200\004\225.\000\000\000\000\000\000\000\214\010builtins\224\214\007com"
        "plex\224\223\224G\077\360\000\000\000\000\000\000G@\000\000\000\000\000"
        "\000\000\206\224R\224.", 57);
        expect(v, 5, true, "\200\005\225.\000\000\000\000\000\000\000\214\010builtins\224\214\007com"
        "plex\224\223\224G\077\360\000\000\000\000\000\000G@\000\000\000\000\000"
        "\000\000\206\224R\224.", 57);
    }
    /* complex(-0.0, float("inf")) */
    {
        acar_val *v = CPX(-0.0, INFINITY);
        expect(v, 0, true, "c__builtin__\012complex\012p0\012(F-0.0\012Finf\012tp1\012Rp2\012.", 45);
        expect(v, 1, true, "c__builtin__\012complex\012q\000(G\200\000\000\000\000\000\000\000G\177"
        "\360\000\000\000\000\000\000tq\001Rq\002.", 49);
        expect(v, 2, true, "\200\002c__builtin__\012complex\012q\000G\200\000\000\000\000\000\000"
        "\000G\177\360\000\000\000\000\000\000\206q\001Rq\002.", 50);
        expect(v, 3, true, "\200\003cbuiltins\012complex\012q\000G\200\000\000\000\000\000\000\000G"
        "\177\360\000\000\000\000\000\000\206q\001Rq\002.", 47);
        expect(v, 4, true, "\200\004\225.\000\000\000\000\000\000\000\214\010builtins\224\214\007com"
        "plex\224\223\224G\200\000\000\000\000\000\000\000G\177\360\000\000\000"
        "\000\000\000\206\224R\224.", 57);
        expect(v, 5, true, "\200\005\225.\000\000\000\000\000\000\000\214\010builtins\224\214\007com"
        "plex\224\223\224G\200\000\000\000\000\000\000\000G\177\360\000\000\000"
        "\000\000\000\206\224R\224.", 57);
    }
    /* ---- str ---- */
    /* '' */
    {
        acar_val *v = SN("", 0);
        expect(v, 0, true, "V\012p0\012.", 6);
        expect(v, 1, true, "X\000\000\000\000q\000.", 8);
        expect(v, 2, true, "\200\002X\000\000\000\000q\000.", 10);
        expect(v, 3, true, "\200\003X\000\000\000\000q\000.", 10);
        expect(v, 4, true, "\200\004\225\004\000\000\000\000\000\000\000\214\000\224.", 15);
        expect(v, 5, true, "\200\005\225\004\000\000\000\000\000\000\000\214\000\224.", 15);
    }
    /* 'a' */
    {
        acar_val *v = SN("a", 1);
        expect(v, 0, true, "Va\012p0\012.", 7);
        expect(v, 1, true, "X\001\000\000\000aq\000.", 9);
        expect(v, 2, true, "\200\002X\001\000\000\000aq\000.", 11);
        expect(v, 3, true, "\200\003X\001\000\000\000aq\000.", 11);
        expect(v, 4, true, "\200\004\225\005\000\000\000\000\000\000\000\214\001a\224.", 16);
        expect(v, 5, true, "\200\005\225\005\000\000\000\000\000\000\000\214\001a\224.", 16);
    }
    /* 'abc' */
    {
        acar_val *v = SN("abc", 3);
        expect(v, 0, true, "Vabc\012p0\012.", 9);
        expect(v, 1, true, "X\003\000\000\000abcq\000.", 11);
        expect(v, 2, true, "\200\002X\003\000\000\000abcq\000.", 13);
        expect(v, 3, true, "\200\003X\003\000\000\000abcq\000.", 13);
        expect(v, 4, true, "\200\004\225\007\000\000\000\000\000\000\000\214\003abc\224.", 18);
        expect(v, 5, true, "\200\005\225\007\000\000\000\000\000\000\000\214\003abc\224.", 18);
    }
    /* 'é' */
    {
        acar_val *v = SN("\303\251", 2);
        expect(v, 0, true, "V\351\012p0\012.", 7);
        expect(v, 1, true, "X\002\000\000\000\303\251q\000.", 10);
        expect(v, 2, true, "\200\002X\002\000\000\000\303\251q\000.", 12);
        expect(v, 3, true, "\200\003X\002\000\000\000\303\251q\000.", 12);
        expect(v, 4, true, "\200\004\225\006\000\000\000\000\000\000\000\214\002\303\251\224.", 17);
        expect(v, 5, true, "\200\005\225\006\000\000\000\000\000\000\000\214\002\303\251\224.", 17);
    }
    /* '€' */
    {
        acar_val *v = SN("\342\202\254", 3);
        expect(v, 0, true, "V\134u20ac\012p0\012.", 12);
        expect(v, 1, true, "X\003\000\000\000\342\202\254q\000.", 11);
        expect(v, 2, true, "\200\002X\003\000\000\000\342\202\254q\000.", 13);
        expect(v, 3, true, "\200\003X\003\000\000\000\342\202\254q\000.", 13);
        expect(v, 4, true, "\200\004\225\007\000\000\000\000\000\000\000\214\003\342\202\254\224.", 18);
        expect(v, 5, true, "\200\005\225\007\000\000\000\000\000\000\000\214\003\342\202\254\224.", 18);
    }
    /* '😀' */
    {
        acar_val *v = SN("\360\237\230\200", 4);
        expect(v, 0, true, "V\134U0001f600\012p0\012.", 16);
        expect(v, 1, true, "X\004\000\000\000\360\237\230\200q\000.", 12);
        expect(v, 2, true, "\200\002X\004\000\000\000\360\237\230\200q\000.", 14);
        expect(v, 3, true, "\200\003X\004\000\000\000\360\237\230\200q\000.", 14);
        expect(v, 4, true, "\200\004\225\010\000\000\000\000\000\000\000\214\004\360\237\230\200\224"
        ".", 19);
        expect(v, 5, true, "\200\005\225\010\000\000\000\000\000\000\000\214\004\360\237\230\200\224"
        ".", 19);
    }
    /* '\ud800' */
    {
        acar_val *v = SN("\355\240\200", 3);
        expect(v, 0, true, "V\134ud800\012p0\012.", 12);
        expect(v, 1, true, "X\003\000\000\000\355\240\200q\000.", 11);
        expect(v, 2, true, "\200\002X\003\000\000\000\355\240\200q\000.", 13);
        expect(v, 3, true, "\200\003X\003\000\000\000\355\240\200q\000.", 13);
        expect(v, 4, true, "\200\004\225\007\000\000\000\000\000\000\000\214\003\355\240\200\224.", 18);
        expect(v, 5, true, "\200\005\225\007\000\000\000\000\000\000\000\214\003\355\240\200\224.", 18);
    }
    /* 'a\\b\nc\r\x00\x1a\x7f\x80' */
    {
        acar_val *v = SN("a\134b\012c\015\000\032\177\302\200", 11);
        expect(v, 0, true, "Va\134u005cb\134u000ac\134u000d\134u0000\134u001a\177\200\012p0\012.", 41);
        expect(v, 1, true, "X\013\000\000\000a\134b\012c\015\000\032\177\302\200q\000.", 19);
        expect(v, 2, true, "\200\002X\013\000\000\000a\134b\012c\015\000\032\177\302\200q\000.", 21);
        expect(v, 3, true, "\200\003X\013\000\000\000a\134b\012c\015\000\032\177\302\200q\000.", 21);
        expect(v, 4, true, "\200\004\225\017\000\000\000\000\000\000\000\214\013a\134b\012c\015\000"
        "\032\177\302\200\224.", 26);
        expect(v, 5, true, "\200\005\225\017\000\000\000\000\000\000\000\214\013a\134b\012c\015\000"
        "\032\177\302\200\224.", 26);
    }
    /* 'x' * 300 */
    {
        acar_val *v = SN("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxx", 300);
        expect(v, 0, true, "Vxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxx\012p0\012.", 306);
        expect(v, 1, true, "X,\001\000\000xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxq\000.", 308);
        expect(v, 2, true, "\200\002X,\001\000\000xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxq\000.", 310);
        expect(v, 3, true, "\200\003X,\001\000\000xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxq\000.", 310);
        expect(v, 4, true, "\200\004\2253\001\000\000\000\000\000\000X,\001\000\000xxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\224.", 318);
        expect(v, 5, true, "\200\005\2253\001\000\000\000\000\000\000X,\001\000\000xxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\224.", 318);
    }
    /* ---- bytes, bytearray ---- */
    /* b'' */
    {
        acar_val *v = Y("", 0);
        expect(v, 0, true, "c__builtin__\012bytes\012p0\012(tRp1\012.", 29);
        expect(v, 1, true, "c__builtin__\012bytes\012q\000)Rq\001.", 26);
        expect(v, 2, true, "\200\002c__builtin__\012bytes\012q\000)Rq\001.", 28);
        expect(v, 3, true, "\200\003C\000q\000.", 7);
        expect(v, 4, true, "\200\004\225\004\000\000\000\000\000\000\000C\000\224.", 15);
        expect(v, 5, true, "\200\005\225\004\000\000\000\000\000\000\000C\000\224.", 15);
    }
    /* b'a' */
    {
        acar_val *v = Y("a", 1);
        expect(v, 0, true, "c_codecs\012encode\012p0\012(Va\012p1\012Vlatin1\012p2\012tp3\012Rp4\012"
        ".", 46);
        expect(v, 1, true, "c_codecs\012encode\012q\000(X\001\000\000\000aq\001X\006\000\000\000lati"
        "n1q\002tq\003Rq\004.", 47);
        expect(v, 2, true, "\200\002c_codecs\012encode\012q\000X\001\000\000\000aq\001X\006\000\000"
        "\000latin1q\002\206q\003Rq\004.", 48);
        expect(v, 3, true, "\200\003C\001aq\000.", 8);
        expect(v, 4, true, "\200\004\225\005\000\000\000\000\000\000\000C\001a\224.", 16);
        expect(v, 5, true, "\200\005\225\005\000\000\000\000\000\000\000C\001a\224.", 16);
    }
    /* b'\xe9' */
    {
        acar_val *v = Y("\351", 1);
        expect(v, 0, true, "c_codecs\012encode\012p0\012(V\351\012p1\012Vlatin1\012p2\012tp3\012Rp4"
        "\012.", 46);
        expect(v, 1, true, "c_codecs\012encode\012q\000(X\002\000\000\000\303\251q\001X\006\000\000"
        "\000latin1q\002tq\003Rq\004.", 48);
        expect(v, 2, true, "\200\002c_codecs\012encode\012q\000X\002\000\000\000\303\251q\001X\006"
        "\000\000\000latin1q\002\206q\003Rq\004.", 49);
        expect(v, 3, true, "\200\003C\001\351q\000.", 8);
        expect(v, 4, true, "\200\004\225\005\000\000\000\000\000\000\000C\001\351\224.", 16);
        expect(v, 5, true, "\200\005\225\005\000\000\000\000\000\000\000C\001\351\224.", 16);
    }
    /* b'ab' */
    {
        acar_val *v = Y("ab", 2);
        expect(v, 0, true, "c_codecs\012encode\012p0\012(Vab\012p1\012Vlatin1\012p2\012tp3\012Rp4"
        "\012.", 47);
        expect(v, 1, true, "c_codecs\012encode\012q\000(X\002\000\000\000abq\001X\006\000\000\000lat"
        "in1q\002tq\003Rq\004.", 48);
        expect(v, 2, true, "\200\002c_codecs\012encode\012q\000X\002\000\000\000abq\001X\006\000\000"
        "\000latin1q\002\206q\003Rq\004.", 49);
        expect(v, 3, true, "\200\003C\002abq\000.", 9);
        expect(v, 4, true, "\200\004\225\006\000\000\000\000\000\000\000C\002ab\224.", 17);
        expect(v, 5, true, "\200\005\225\006\000\000\000\000\000\000\000C\002ab\224.", 17);
    }
    /* b'\xff\x00\\\n' */
    {
        acar_val *v = Y("\377\000\134\012", 4);
        expect(v, 0, true, "c_codecs\012encode\012p0\012(V\377\134u0000\134u005c\134u000a\012p1\012V"
        "latin1\012p2\012tp3\012Rp4\012.", 64);
        expect(v, 1, true, "c_codecs\012encode\012q\000(X\005\000\000\000\303\277\000\134\012q\001X"
        "\006\000\000\000latin1q\002tq\003Rq\004.", 51);
        expect(v, 2, true, "\200\002c_codecs\012encode\012q\000X\005\000\000\000\303\277\000\134\012"
        "q\001X\006\000\000\000latin1q\002\206q\003Rq\004.", 52);
        expect(v, 3, true, "\200\003C\004\377\000\134\012q\000.", 11);
        expect(v, 4, true, "\200\004\225\010\000\000\000\000\000\000\000C\004\377\000\134\012\224.", 19);
        expect(v, 5, true, "\200\005\225\010\000\000\000\000\000\000\000C\004\377\000\134\012\224.", 19);
    }
    /* b'q' * 300 */
    {
        acar_val *v = Y("qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
        "qqqqqqqqqqqq", 300);
        expect(v, 0, true, "c_codecs\012encode\012p0\012(Vqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq\012p1\012Vlatin1\012p2\012tp3"
        "\012Rp4\012.", 345);
        expect(v, 1, true, "c_codecs\012encode\012q\000(X,\001\000\000qqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq\001X\006\000\000"
        "\000latin1q\002tq\003Rq\004.", 346);
        expect(v, 2, true, "\200\002c_codecs\012encode\012q\000X,\001\000\000qqqqqqqqqqqqqqqqqqqqqqq"
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq\001X\006"
        "\000\000\000latin1q\002\206q\003Rq\004.", 347);
        expect(v, 3, true, "\200\003B,\001\000\000qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq\000.", 310);
        expect(v, 4, true, "\200\004\2253\001\000\000\000\000\000\000B,\001\000\000qqqqqqqqqqqqqqqqq"
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq\224.", 318);
        expect(v, 5, true, "\200\005\2253\001\000\000\000\000\000\000B,\001\000\000qqqqqqqqqqqqqqqqq"
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
        "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq\224.", 318);
    }
    /* bytearray(b'') */
    {
        acar_val *v = BA("", 0);
        expect(v, 0, true, "c__builtin__\012bytearray\012p0\012(tRp1\012.", 33);
        expect(v, 1, true, "c__builtin__\012bytearray\012q\000)Rq\001.", 30);
        expect(v, 2, true, "\200\002c__builtin__\012bytearray\012q\000)Rq\001.", 32);
        expect(v, 3, true, "\200\003cbuiltins\012bytearray\012q\000)Rq\001.", 29);
        expect(v, 4, true, "\200\004\225\035\000\000\000\000\000\000\000\214\010builtins\224\214\011"
        "bytearray\224\223\224)R\224.", 40);
        expect(v, 5, true, "\200\005\225\013\000\000\000\000\000\000\000\226\000\000\000\000\000\000"
        "\000\000\224.", 22);
    }
    /* bytearray(b'a') */
    {
        acar_val *v = BA("a", 1);
        expect(v, 0, true, "c__builtin__\012bytearray\012p0\012(c_codecs\012encode\012p1\012(Va\012p"
        "2\012Vlatin1\012p3\012tp4\012Rp5\012tp6\012Rp7\012.", 81);
        expect(v, 1, true, "c__builtin__\012bytearray\012q\000(c_codecs\012encode\012q\001(X\001\000"
        "\000\000aq\002X\006\000\000\000latin1q\003tq\004Rq\005tq\006Rq\007.", 79);
        expect(v, 2, true, "\200\002c__builtin__\012bytearray\012q\000c_codecs\012encode\012q\001X"
        "\001\000\000\000aq\002X\006\000\000\000latin1q\003\206q\004Rq\005\205q"
        "\006Rq\007.", 79);
        expect(v, 3, true, "\200\003cbuiltins\012bytearray\012q\000C\001aq\001\205q\002Rq\003.", 36);
        expect(v, 4, true, "\200\004\225\042\000\000\000\000\000\000\000\214\010builtins\224\214\011"
        "bytearray\224\223\224C\001a\224\205\224R\224.", 45);
        expect(v, 5, true, "\200\005\225\014\000\000\000\000\000\000\000\226\001\000\000\000\000\000"
        "\000\000a\224.", 23);
    }
    /* bytearray(b'ab\xe9') */
    {
        acar_val *v = BA("ab\351", 3);
        expect(v, 0, true, "c__builtin__\012bytearray\012p0\012(c_codecs\012encode\012p1\012(Vab\351"
        "\012p2\012Vlatin1\012p3\012tp4\012Rp5\012tp6\012Rp7\012.", 83);
        expect(v, 1, true, "c__builtin__\012bytearray\012q\000(c_codecs\012encode\012q\001(X\004\000"
        "\000\000ab\303\251q\002X\006\000\000\000latin1q\003tq\004Rq\005tq\006Rq"
        "\007.", 82);
        expect(v, 2, true, "\200\002c__builtin__\012bytearray\012q\000c_codecs\012encode\012q\001X"
        "\004\000\000\000ab\303\251q\002X\006\000\000\000latin1q\003\206q\004Rq"
        "\005\205q\006Rq\007.", 82);
        expect(v, 3, true, "\200\003cbuiltins\012bytearray\012q\000C\003ab\351q\001\205q\002Rq\003.", 38);
        expect(v, 4, true, "\200\004\225$\000\000\000\000\000\000\000\214\010builtins\224\214\011byt"
        "earray\224\223\224C\003ab\351\224\205\224R\224.", 47);
        expect(v, 5, true, "\200\005\225\016\000\000\000\000\000\000\000\226\003\000\000\000\000\000"
        "\000\000ab\351\224.", 25);
    }
    /* ---- containers ---- */
    /* [] */
    {
        acar_val *v = LIST(0);
        expect(v, 0, true, "(lp0\012.", 6);
        expect(v, 1, true, "]q\000.", 4);
        expect(v, 2, true, "\200\002]q\000.", 6);
        expect(v, 3, true, "\200\003]q\000.", 6);
        expect(v, 4, true, "\200\004]\224.", 5);
        expect(v, 5, true, "\200\005]\224.", 5);
    }
    /* [1] */
    {
        acar_val *v = LIST(1, I(1));
        expect(v, 0, true, "(lp0\012I1\012a.", 10);
        expect(v, 1, true, "]q\000K\001a.", 7);
        expect(v, 2, true, "\200\002]q\000K\001a.", 9);
        expect(v, 3, true, "\200\003]q\000K\001a.", 9);
        expect(v, 4, true, "\200\004\225\006\000\000\000\000\000\000\000]\224K\001a.", 17);
        expect(v, 5, true, "\200\005\225\006\000\000\000\000\000\000\000]\224K\001a.", 17);
    }
    /* [1, 2, 3] */
    {
        acar_val *v = LIST(3, I(1), I(2), I(3));
        expect(v, 0, true, "(lp0\012I1\012aI2\012aI3\012a.", 18);
        expect(v, 1, true, "]q\000(K\001K\002K\003e.", 12);
        expect(v, 2, true, "\200\002]q\000(K\001K\002K\003e.", 14);
        expect(v, 3, true, "\200\003]q\000(K\001K\002K\003e.", 14);
        expect(v, 4, true, "\200\004\225\013\000\000\000\000\000\000\000]\224(K\001K\002K\003e.", 22);
        expect(v, 5, true, "\200\005\225\013\000\000\000\000\000\000\000]\224(K\001K\002K\003e.", 22);
    }
    /* [[1], [2, []]] */
    {
        acar_val *v = LIST(2, LIST(1, I(1)), LIST(2, I(2), LIST(0)));
        expect(v, 0, true, "(lp0\012(lp1\012I1\012aa(lp2\012I2\012a(lp3\012aa.", 32);
        expect(v, 1, true, "]q\000(]q\001K\001a]q\002(K\002]q\003ee.", 22);
        expect(v, 2, true, "\200\002]q\000(]q\001K\001a]q\002(K\002]q\003ee.", 24);
        expect(v, 3, true, "\200\003]q\000(]q\001K\001a]q\002(K\002]q\003ee.", 24);
        expect(v, 4, true, "\200\004\225\022\000\000\000\000\000\000\000]\224(]\224K\001a]\224(K\002"
        "]\224ee.", 29);
        expect(v, 5, true, "\200\005\225\022\000\000\000\000\000\000\000]\224(]\224K\001a]\224(K\002"
        "]\224ee.", 29);
    }
    /* () */
    {
        acar_val *v = TUP(0);
        expect(v, 0, true, "(t.", 3);
        expect(v, 1, true, ").", 2);
        expect(v, 2, true, "\200\002).", 4);
        expect(v, 3, true, "\200\003).", 4);
        expect(v, 4, true, "\200\004).", 4);
        expect(v, 5, true, "\200\005).", 4);
    }
    /* (1,) */
    {
        acar_val *v = TUP(1, I(1));
        expect(v, 0, true, "(I1\012tp0\012.", 9);
        expect(v, 1, true, "(K\001tq\000.", 7);
        expect(v, 2, true, "\200\002K\001\205q\000.", 8);
        expect(v, 3, true, "\200\003K\001\205q\000.", 8);
        expect(v, 4, true, "\200\004\225\005\000\000\000\000\000\000\000K\001\205\224.", 16);
        expect(v, 5, true, "\200\005\225\005\000\000\000\000\000\000\000K\001\205\224.", 16);
    }
    /* (1, 2) */
    {
        acar_val *v = TUP(2, I(1), I(2));
        expect(v, 0, true, "(I1\012I2\012tp0\012.", 12);
        expect(v, 1, true, "(K\001K\002tq\000.", 9);
        expect(v, 2, true, "\200\002K\001K\002\206q\000.", 10);
        expect(v, 3, true, "\200\003K\001K\002\206q\000.", 10);
        expect(v, 4, true, "\200\004\225\007\000\000\000\000\000\000\000K\001K\002\206\224.", 18);
        expect(v, 5, true, "\200\005\225\007\000\000\000\000\000\000\000K\001K\002\206\224.", 18);
    }
    /* (1, 2, 3) */
    {
        acar_val *v = TUP(3, I(1), I(2), I(3));
        expect(v, 0, true, "(I1\012I2\012I3\012tp0\012.", 15);
        expect(v, 1, true, "(K\001K\002K\003tq\000.", 11);
        expect(v, 2, true, "\200\002K\001K\002K\003\207q\000.", 12);
        expect(v, 3, true, "\200\003K\001K\002K\003\207q\000.", 12);
        expect(v, 4, true, "\200\004\225\011\000\000\000\000\000\000\000K\001K\002K\003\207\224.", 20);
        expect(v, 5, true, "\200\005\225\011\000\000\000\000\000\000\000K\001K\002K\003\207\224.", 20);
    }
    /* (1, 2, 3, 4) */
    {
        acar_val *v = TUP(4, I(1), I(2), I(3), I(4));
        expect(v, 0, true, "(I1\012I2\012I3\012I4\012tp0\012.", 18);
        expect(v, 1, true, "(K\001K\002K\003K\004tq\000.", 13);
        expect(v, 2, true, "\200\002(K\001K\002K\003K\004tq\000.", 15);
        expect(v, 3, true, "\200\003(K\001K\002K\003K\004tq\000.", 15);
        expect(v, 4, true, "\200\004\225\014\000\000\000\000\000\000\000(K\001K\002K\003K\004t\224.", 23);
        expect(v, 5, true, "\200\005\225\014\000\000\000\000\000\000\000(K\001K\002K\003K\004t\224.", 23);
    }
    /* ((), ((),)) */
    {
        acar_val *v = TUP(2, TUP(0), TUP(1, TUP(0)));
        expect(v, 0, true, "((t((ttp0\012tp1\012.", 15);
        expect(v, 1, true, "()()tq\000tq\001.", 11);
        expect(v, 2, true, "\200\002))\205q\000\206q\001.", 11);
        expect(v, 3, true, "\200\003))\205q\000\206q\001.", 11);
        expect(v, 4, true, "\200\004\225\007\000\000\000\000\000\000\000))\205\224\206\224.", 18);
        expect(v, 5, true, "\200\005\225\007\000\000\000\000\000\000\000))\205\224\206\224.", 18);
    }
    /* {} */
    {
        acar_val *v = DICT(0);
        expect(v, 0, true, "(dp0\012.", 6);
        expect(v, 1, true, "}q\000.", 4);
        expect(v, 2, true, "\200\002}q\000.", 6);
        expect(v, 3, true, "\200\003}q\000.", 6);
        expect(v, 4, true, "\200\004}\224.", 5);
        expect(v, 5, true, "\200\005}\224.", 5);
    }
    /* {'a': 1} */
    {
        acar_val *v = DICT(1, S("a"), I(1));
        expect(v, 0, true, "(dp0\012Va\012p1\012I1\012s.", 16);
        expect(v, 1, true, "}q\000X\001\000\000\000aq\001K\001s.", 15);
        expect(v, 2, true, "\200\002}q\000X\001\000\000\000aq\001K\001s.", 17);
        expect(v, 3, true, "\200\003}q\000X\001\000\000\000aq\001K\001s.", 17);
        expect(v, 4, true, "\200\004\225\012\000\000\000\000\000\000\000}\224\214\001a\224K\001s.", 21);
        expect(v, 5, true, "\200\005\225\012\000\000\000\000\000\000\000}\224\214\001a\224K\001s.", 21);
    }
    /* {'a': 1, 'b': [2]} */
    {
        acar_val *v = DICT(2, S("a"), I(1), S("b"), LIST(1, I(2)));
        expect(v, 0, true, "(dp0\012Va\012p1\012I1\012sVb\012p2\012(lp3\012I2\012as.", 32);
        expect(v, 1, true, "}q\000(X\001\000\000\000aq\001K\001X\001\000\000\000bq\002]q\003K\002au.", 30);
        expect(v, 2, true, "\200\002}q\000(X\001\000\000\000aq\001K\001X\001\000\000\000bq\002]q\003"
        "K\002au.", 32);
        expect(v, 3, true, "\200\003}q\000(X\001\000\000\000aq\001K\001X\001\000\000\000bq\002]q\003"
        "K\002au.", 32);
        expect(v, 4, true, "\200\004\225\024\000\000\000\000\000\000\000}\224(\214\001a\224K\001\214"
        "\001b\224]\224K\002au.", 31);
        expect(v, 5, true, "\200\005\225\024\000\000\000\000\000\000\000}\224(\214\001a\224K\001\214"
        "\001b\224]\224K\002au.", 31);
    }
    /* {(1, 2): None, 3.5: b"x"} */
    {
        acar_val *v = DICT(2, TUP(2, I(1), I(2)), NONE(), F(3.5), Y("x", 1));
        expect(v, 0, true, "(dp0\012(I1\012I2\012tp1\012NsF3.5\012c_codecs\012encode\012p2\012(Vx"
        "\012p3\012Vlatin1\012p4\012tp5\012Rp6\012s.", 70);
        expect(v, 1, true, "}q\000((K\001K\002tq\001NG@\014\000\000\000\000\000\000c_codecs\012encod"
        "e\012q\002(X\001\000\000\000xq\003X\006\000\000\000latin1q\004tq\005Rq"
        "\006u.", 70);
        expect(v, 2, true, "\200\002}q\000(K\001K\002\206q\001NG@\014\000\000\000\000\000\000c_codec"
        "s\012encode\012q\002X\001\000\000\000xq\003X\006\000\000\000latin1q\004"
        "\206q\005Rq\006u.", 70);
        expect(v, 3, true, "\200\003}q\000(K\001K\002\206q\001NG@\014\000\000\000\000\000\000C\001xq"
        "\002u.", 30);
        expect(v, 4, true, "\200\004\225\031\000\000\000\000\000\000\000}\224(K\001K\002\206\224NG@"
        "\014\000\000\000\000\000\000C\001x\224u.", 36);
        expect(v, 5, true, "\200\005\225\031\000\000\000\000\000\000\000}\224(K\001K\002\206\224NG@"
        "\014\000\000\000\000\000\000C\001x\224u.", 36);
    }
    /* set() */
    {
        acar_val *v = SET(0);
        expect(v, 0, true, "c__builtin__\012set\012p0\012((lp1\012tp2\012Rp3\012.", 35);
        expect(v, 1, true, "c__builtin__\012set\012q\000(]q\001tq\002Rq\003.", 30);
        expect(v, 2, true, "\200\002c__builtin__\012set\012q\000]q\001\205q\002Rq\003.", 31);
        expect(v, 3, true, "\200\003cbuiltins\012set\012q\000]q\001\205q\002Rq\003.", 28);
        expect(v, 4, true, "\200\004\217\224.", 5);
        expect(v, 5, true, "\200\005\217\224.", 5);
    }
    /* {1, 2, 3} */
    {
        acar_val *v = SET(3, I(1), I(2), I(3));
        expect(v, 0, true, "c__builtin__\012set\012p0\012((lp1\012I1\012aI2\012aI3\012atp2\012Rp3"
        "\012.", 47);
        expect(v, 1, true, "c__builtin__\012set\012q\000(]q\001(K\001K\002K\003etq\002Rq\003.", 38);
        expect(v, 2, true, "\200\002c__builtin__\012set\012q\000]q\001(K\001K\002K\003e\205q\002Rq"
        "\003.", 39);
        expect(v, 3, true, "\200\003cbuiltins\012set\012q\000]q\001(K\001K\002K\003e\205q\002Rq\003.", 36);
        expect(v, 4, true, "\200\004\225\013\000\000\000\000\000\000\000\217\224(K\001K\002K\003\220"
        ".", 22);
        expect(v, 5, true, "\200\005\225\013\000\000\000\000\000\000\000\217\224(K\001K\002K\003\220"
        ".", 22);
    }
    /* frozenset() */
    {
        acar_val *v = FSET(0);
        expect(v, 0, true, "c__builtin__\012frozenset\012p0\012((lp1\012tp2\012Rp3\012.", 41);
        expect(v, 1, true, "c__builtin__\012frozenset\012q\000(]q\001tq\002Rq\003.", 36);
        expect(v, 2, true, "\200\002c__builtin__\012frozenset\012q\000]q\001\205q\002Rq\003.", 37);
        expect(v, 3, true, "\200\003cbuiltins\012frozenset\012q\000]q\001\205q\002Rq\003.", 34);
        expect(v, 4, true, "\200\004\225\004\000\000\000\000\000\000\000(\221\224.", 15);
        expect(v, 5, true, "\200\005\225\004\000\000\000\000\000\000\000(\221\224.", 15);
    }
    /* frozenset({1, 2}) */
    {
        acar_val *v = FSET(2, I(1), I(2));
        expect(v, 0, true, "c__builtin__\012frozenset\012p0\012((lp1\012I1\012aI2\012atp2\012Rp3\012"
        ".", 49);
        expect(v, 1, true, "c__builtin__\012frozenset\012q\000(]q\001(K\001K\002etq\002Rq\003.", 42);
        expect(v, 2, true, "\200\002c__builtin__\012frozenset\012q\000]q\001(K\001K\002e\205q\002Rq"
        "\003.", 43);
        expect(v, 3, true, "\200\003cbuiltins\012frozenset\012q\000]q\001(K\001K\002e\205q\002Rq\003"
        ".", 40);
        expect(v, 4, true, "\200\004\225\010\000\000\000\000\000\000\000(K\001K\002\221\224.", 19);
        expect(v, 5, true, "\200\005\225\010\000\000\000\000\000\000\000(K\001K\002\221\224.", 19);
    }
    /* [frozenset(), frozenset()] */
    {
        acar_val *v = LIST(2, FSET(0), FSET(0));
        expect(v, 0, true, "(lp0\012c__builtin__\012frozenset\012p1\012((lp2\012tp3\012Rp4\012ag1"
        "\012((lp5\012tp6\012Rp7\012a.", 65);
        expect(v, 1, true, "]q\000(c__builtin__\012frozenset\012q\001(]q\002tq\003Rq\004h\001(]q\005"
        "tq\006Rq\007e.", 53);
        expect(v, 2, true, "\200\002]q\000(c__builtin__\012frozenset\012q\001]q\002\205q\003Rq\004h"
        "\001]q\005\205q\006Rq\007e.", 53);
        expect(v, 3, true, "\200\003]q\000(cbuiltins\012frozenset\012q\001]q\002\205q\003Rq\004h\001"
        "]q\005\205q\006Rq\007e.", 50);
        expect(v, 4, true, "\200\004\225\013\000\000\000\000\000\000\000]\224((\221\224(\221\224e.", 22);
        expect(v, 5, true, "\200\005\225\013\000\000\000\000\000\000\000]\224((\221\224(\221\224e.", 22);
    }
    /* list(range(1001)) */
    {
        acar_val *v = range_list(1001);
        expect_hash(v, 0, true, 5903, 0x3d940f3bf4ed27bcull, "list(range(1001))");
        expect_hash(v, 1, true, 2755, 0xe5770446b1c87203ull, "list(range(1001))");
        expect_hash(v, 2, true, 2757, 0x8a7ec131f0161e09ull, "list(range(1001))");
        expect_hash(v, 3, true, 2757, 0x59cb2435df60ddd8ull, "list(range(1001))");
        expect_hash(v, 4, true, 2765, 0x1e984cce983312abull, "list(range(1001))");
        expect_hash(v, 5, true, 2765, 0x9856c4018edb3a46ull, "list(range(1001))");
    }
    /* list(range(2000)) */
    {
        acar_val *v = range_list(2000);
        expect_hash(v, 0, true, 12896, 0x2ca04dba35e5c7cbull, "list(range(2000))");
        expect_hash(v, 1, true, 5752, 0xaecfce561181d7c5ull, "list(range(2000))");
        expect_hash(v, 2, true, 5754, 0x625132879ae1a4b3ull, "list(range(2000))");
        expect_hash(v, 3, true, 5754, 0x52bcfb7dd051fcd4ull, "list(range(2000))");
        expect_hash(v, 4, true, 5762, 0x782cea1c7dcfb94eull, "list(range(2000))");
        expect_hash(v, 5, true, 5762, 0x8bcada3117e5c079ull, "list(range(2000))");
    }
    /* {i: i for i in range(1000)} */
    {
        acar_val *v = range_dict(1000);
        expect_hash(v, 0, true, 10786, 0x8b58ae1827491857ull, "{i: i for i in range(1000)}");
        expect_hash(v, 1, true, 5496, 0x8cb4159ed41c8dc5ull, "{i: i for i in range(1000)}");
        expect_hash(v, 2, true, 5498, 0xa767f4a1bc24b273ull, "{i: i for i in range(1000)}");
        expect_hash(v, 3, true, 5498, 0x229ba9bc53df9c74ull, "{i: i for i in range(1000)}");
        expect_hash(v, 4, true, 5506, 0xdf0600007b8964b9ull, "{i: i for i in range(1000)}");
        expect_hash(v, 5, true, 5506, 0x0d688b3bf4f043aeull, "{i: i for i in range(1000)}");
    }
    /* {i: i for i in range(1001)} */
    {
        acar_val *v = range_dict(1001);
        expect_hash(v, 0, true, 10799, 0xa4b9779cbf73ed82ull, "{i: i for i in range(1001)}");
        expect_hash(v, 1, true, 5502, 0x60e399fee6e48801ull, "{i: i for i in range(1001)}");
        expect_hash(v, 2, true, 5504, 0x773246ae431883bfull, "{i: i for i in range(1001)}");
        expect_hash(v, 3, true, 5504, 0xcb9646f74eddb9bcull, "{i: i for i in range(1001)}");
        expect_hash(v, 4, true, 5512, 0xe894ba154d55fc63ull, "{i: i for i in range(1001)}");
        expect_hash(v, 5, true, 5512, 0xd5a1b01291f64784ull, "{i: i for i in range(1001)}");
    }
    /* set(range(1000)) */
    {
        acar_val *v = range_set(1000);
        expect_hash(v, 0, true, 5925, 0x6845f801e142140dull, "set(range(1000))");
        expect_hash(v, 1, true, 2776, 0xed548ebc141fcb73ull, "set(range(1000))");
        expect_hash(v, 2, true, 2777, 0xf9e73fbd9ec0f812ull, "set(range(1000))");
        expect_hash(v, 3, true, 2774, 0x437b4c6c12860d68ull, "set(range(1000))");
        expect_hash(v, 4, true, 2762, 0x5b481156df14c904ull, "set(range(1000))");
        expect_hash(v, 5, true, 2762, 0x81f01ae4985ae43full, "set(range(1000))");
    }
    /* frozenset(range(1001)) */
    {
        acar_val *v = range_fset(1001);
        expect_hash(v, 0, true, 5938, 0x7b77bcdc38e2dc26ull, "frozenset(range(1001))");
        expect_hash(v, 1, true, 2787, 0xb2e361712c9698aeull, "frozenset(range(1001))");
        expect_hash(v, 2, true, 2788, 0xab4da18056e89ec3ull, "frozenset(range(1001))");
        expect_hash(v, 3, true, 2785, 0x8189ea4074301805ull, "frozenset(range(1001))");
        expect_hash(v, 4, true, 2762, 0x2fd9ae928b18cebcull, "frozenset(range(1001))");
        expect_hash(v, 5, true, 2762, 0x60874195df4e475bull, "frozenset(range(1001))");
    }
    /* ---- sharing and cycles ---- */
    /* s = 'ab' (one object); [s, s, 'ab' (another)] */
    {
        acar_val *v = shared_str();
        expect(v, 0, true, "(lp0\012Vab\012p1\012ag1\012aVab\012p2\012a.", 26);
        expect(v, 1, true, "]q\000(X\002\000\000\000abq\001h\001X\002\000\000\000abq\002e.", 26);
        expect(v, 2, true, "\200\002]q\000(X\002\000\000\000abq\001h\001X\002\000\000\000abq\002e.", 28);
        expect(v, 3, true, "\200\003]q\000(X\002\000\000\000abq\001h\001X\002\000\000\000abq\002e.", 28);
        expect(v, 4, true, "\200\004\225\021\000\000\000\000\000\000\000]\224(\214\002ab\224h\001"
        "\214\002ab\224e.", 28);
        expect(v, 5, true, "\200\005\225\021\000\000\000\000\000\000\000]\224(\214\002ab\224h\001"
        "\214\002ab\224e.", 28);
    }
    /* [chr(97), chr(97), '', str()]  (one object each: one node each) */
    {
        acar_val *v = same_twice(S("a"), S(""));
        expect(v, 0, true, "(lp0\012Va\012p1\012ag1\012aV\012p2\012ag2\012a.", 27);
        expect(v, 1, true, "]q\000(X\001\000\000\000aq\001h\001X\000\000\000\000q\002h\002e.", 25);
        expect(v, 2, true, "\200\002]q\000(X\001\000\000\000aq\001h\001X\000\000\000\000q\002h\002e.", 27);
        expect(v, 3, true, "\200\003]q\000(X\001\000\000\000aq\001h\001X\000\000\000\000q\002h\002e.", 27);
        expect(v, 4, true, "\200\004\225\020\000\000\000\000\000\000\000]\224(\214\001a\224h\001\214"
        "\000\224h\002e.", 27);
        expect(v, 5, true, "\200\005\225\020\000\000\000\000\000\000\000]\224(\214\001a\224h\001\214"
        "\000\224h\002e.", 27);
    }
    /* ['a', chr(97)]  (an interned 'a' is not the singleton 'a') */
    {
        acar_val *v = LIST(2, S("a"), S("a"));
        expect(v, 0, true, "(lp0\012Va\012p1\012aVa\012p2\012a.", 20);
        expect(v, 1, true, "]q\000(X\001\000\000\000aq\001X\001\000\000\000aq\002e.", 22);
        expect(v, 2, true, "\200\002]q\000(X\001\000\000\000aq\001X\001\000\000\000aq\002e.", 24);
        expect(v, 3, true, "\200\003]q\000(X\001\000\000\000aq\001X\001\000\000\000aq\002e.", 24);
        expect(v, 4, true, "\200\004\225\015\000\000\000\000\000\000\000]\224(\214\001a\224\214\001a"
        "\224e.", 24);
        expect(v, 5, true, "\200\005\225\015\000\000\000\000\000\000\000]\224(\214\001a\224\214\001a"
        "\224e.", 24);
    }
    /* [[b'a', bytes([97]), b'', bytes()], [b'ab', b'ab' (another)]] */
    {
        acar_val *v = LIST(2, same_twice(Y("a", 1), Y("", 0)), LIST(2, Y("ab", 2), Y("ab", 2)));
        expect(v, 0, true, "(lp0\012(lp1\012c_codecs\012encode\012p2\012(Va\012p3\012Vlatin1\012p4"
        "\012tp5\012Rp6\012ag6\012ac__builtin__\012bytes\012p7\012(tRp8\012ag8"
        "\012aa(lp9\012g2\012(Vab\012p10\012g4\012tp11\012Rp12\012ag2\012(Vab\012"
        "p13\012g4\012tp14\012Rp15\012aa.", 153);
        expect(v, 1, true, "]q\000(]q\001(c_codecs\012encode\012q\002(X\001\000\000\000aq\003X\006"
        "\000\000\000latin1q\004tq\005Rq\006h\006c__builtin__\012bytes\012q\007)R"
        "q\010h\010e]q\011(h\002(X\002\000\000\000abq\012h\004tq\013Rq\014h\002(X"
        "\002\000\000\000abq\015h\004tq\016Rq\017ee.", 131);
        expect(v, 2, true, "\200\002]q\000(]q\001(c_codecs\012encode\012q\002X\001\000\000\000aq\003"
        "X\006\000\000\000latin1q\004\206q\005Rq\006h\006c__builtin__\012bytes"
        "\012q\007)Rq\010h\010e]q\011(h\002X\002\000\000\000abq\012h\004\206q\013"
        "Rq\014h\002X\002\000\000\000abq\015h\004\206q\016Rq\017ee.", 130);
        expect(v, 3, true, "\200\003]q\000(]q\001(C\001aq\002h\002C\000q\003h\003e]q\004(C\002abq"
        "\005C\002abq\006ee.", 43);
        expect(v, 4, true, "\200\004\225\042\000\000\000\000\000\000\000]\224(]\224(C\001a\224h\002C"
        "\000\224h\003e]\224(C\002ab\224C\002ab\224ee.", 45);
        expect(v, 5, true, "\200\005\225\042\000\000\000\000\000\000\000]\224(]\224(C\001a\224h\002C"
        "\000\224h\003e]\224(C\002ab\224C\002ab\224ee.", 45);
    }
    /* [b'a', bytes(bytearray(b'a'))]  (another object) */
    {
        acar_val *v = LIST(2, Y("a", 1), Y("a", 1));
        expect(v, 0, true, "(lp0\012c_codecs\012encode\012p1\012(Va\012p2\012Vlatin1\012p3\012tp4"
        "\012Rp5\012ag1\012(g2\012g3\012tp6\012Rp7\012a.", 71);
        expect(v, 1, true, "]q\000(c_codecs\012encode\012q\001(X\001\000\000\000aq\002X\006\000\000"
        "\000latin1q\003tq\004Rq\005h\001(h\002h\003tq\006Rq\007e.", 65);
        expect(v, 2, true, "\200\002]q\000(c_codecs\012encode\012q\001X\001\000\000\000aq\002X\006"
        "\000\000\000latin1q\003\206q\004Rq\005h\001h\002h\003\206q\006Rq\007e.", 65);
        expect(v, 3, true, "\200\003]q\000(C\001aq\001C\001aq\002e.", 18);
        expect(v, 4, true, "\200\004\225\015\000\000\000\000\000\000\000]\224(C\001a\224C\001a\224e.", 24);
        expect(v, 5, true, "\200\005\225\015\000\000\000\000\000\000\000]\224(C\001a\224C\001a\224e.", 24);
    }
    /* [b'\xe9', b'\xe9' (another), 'x\xe9']  (latin-1 text of one byte: CPython's singleton str) */
    {
        acar_val *v = LIST(3, Y("\351", 1), Y("\351", 1), S("x\303\251"));
        expect(v, 0, true, "(lp0\012c_codecs\012encode\012p1\012(V\351\012p2\012Vlatin1\012p3\012tp4"
        "\012Rp5\012ag1\012(g2\012g3\012tp6\012Rp7\012aVx\351\012p8\012a.", 79);
        expect(v, 1, true, "]q\000(c_codecs\012encode\012q\001(X\002\000\000\000\303\251q\002X\006"
        "\000\000\000latin1q\003tq\004Rq\005h\001(h\002h\003tq\006Rq\007X\003\000"
        "\000\000x\303\251q\010e.", 76);
        expect(v, 2, true, "\200\002]q\000(c_codecs\012encode\012q\001X\002\000\000\000\303\251q\002"
        "X\006\000\000\000latin1q\003\206q\004Rq\005h\001h\002h\003\206q\006Rq"
        "\007X\003\000\000\000x\303\251q\010e.", 76);
        expect(v, 3, true, "\200\003]q\000(C\001\351q\001C\001\351q\002X\003\000\000\000x\303\251q"
        "\003e.", 28);
        expect(v, 4, true, "\200\004\225\023\000\000\000\000\000\000\000]\224(C\001\351\224C\001\351"
        "\224\214\003x\303\251\224e.", 30);
        expect(v, 5, true, "\200\005\225\023\000\000\000\000\000\000\000]\224(C\001\351\224C\001\351"
        "\224\214\003x\303\251\224e.", 30);
    }
    /* l = []; [l, l, (l,), {1: l}] */
    {
        acar_val *v = shared_list();
        expect(v, 0, true, "(lp0\012(lp1\012ag1\012a(g1\012tp2\012a(dp3\012I1\012g1\012sa.", 38);
        expect(v, 1, true, "]q\000(]q\001h\001(h\001tq\002}q\003K\001h\001se.", 25);
        expect(v, 2, true, "\200\002]q\000(]q\001h\001h\001\205q\002}q\003K\001h\001se.", 26);
        expect(v, 3, true, "\200\003]q\000(]q\001h\001h\001\205q\002}q\003K\001h\001se.", 26);
        expect(v, 4, true, "\200\004\225\024\000\000\000\000\000\000\000]\224(]\224h\001h\001\205"
        "\224}\224K\001h\001se.", 31);
        expect(v, 5, true, "\200\005\225\024\000\000\000\000\000\000\000]\224(]\224h\001h\001\205"
        "\224}\224K\001h\001se.", 31);
    }
    /* l = []; l.append(l); l */
    {
        acar_val *v = self_list();
        expect(v, 0, true, "(lp0\012g0\012a.", 10);
        expect(v, 1, true, "]q\000h\000a.", 7);
        expect(v, 2, true, "\200\002]q\000h\000a.", 9);
        expect(v, 3, true, "\200\003]q\000h\000a.", 9);
        expect(v, 4, true, "\200\004\225\006\000\000\000\000\000\000\000]\224h\000a.", 17);
        expect(v, 5, true, "\200\005\225\006\000\000\000\000\000\000\000]\224h\000a.", 17);
    }
    /* d = {}; d['me'] = d; d */
    {
        acar_val *v = self_dict();
        expect(v, 0, true, "(dp0\012Vme\012p1\012g0\012s.", 17);
        expect(v, 1, true, "}q\000X\002\000\000\000meq\001h\000s.", 16);
        expect(v, 2, true, "\200\002}q\000X\002\000\000\000meq\001h\000s.", 18);
        expect(v, 3, true, "\200\003}q\000X\002\000\000\000meq\001h\000s.", 18);
        expect(v, 4, true, "\200\004\225\013\000\000\000\000\000\000\000}\224\214\002me\224h\000s.", 22);
        expect(v, 5, true, "\200\005\225\013\000\000\000\000\000\000\000}\224\214\002me\224h\000s.", 22);
    }
    /* l = []; t = (l,); l.append(t); t */
    {
        acar_val *v = rec_tuple(1);
        expect(v, 0, true, "((lp0\012(g0\012tp1\012a00g1\012.", 21);
        expect(v, 1, true, "(]q\000(h\000tq\001a1h\001.", 15);
        expect(v, 2, true, "\200\002]q\000h\000\205q\001a0h\001.", 15);
        expect(v, 3, true, "\200\003]q\000h\000\205q\001a0h\001.", 15);
        expect(v, 4, true, "\200\004\225\013\000\000\000\000\000\000\000]\224h\000\205\224a0h\001.", 22);
        expect(v, 5, true, "\200\005\225\013\000\000\000\000\000\000\000]\224h\000\205\224a0h\001.", 22);
    }
    /* l = []; t = (1, 2, 3, l); l.append(t); t */
    {
        acar_val *v = rec_tuple(4);
        expect(v, 0, true, "(I1\012I2\012I3\012(lp0\012(I1\012I2\012I3\012g0\012tp1\012a00000g1\012.", 42);
        expect(v, 1, true, "(K\001K\002K\003]q\000(K\001K\002K\003h\000tq\001a1h\001.", 27);
        expect(v, 2, true, "\200\002(K\001K\002K\003]q\000(K\001K\002K\003h\000tq\001a1h\001.", 29);
        expect(v, 3, true, "\200\003(K\001K\002K\003]q\000(K\001K\002K\003h\000tq\001a1h\001.", 29);
        expect(v, 4, true, "\200\004\225\031\000\000\000\000\000\000\000(K\001K\002K\003]\224(K\001K"
        "\002K\003h\000t\224a1h\001.", 36);
        expect(v, 5, true, "\200\005\225\031\000\000\000\000\000\000\000(K\001K\002K\003]\224(K\001K"
        "\002K\003h\000t\224a1h\001.", 36);
    }
    /* c = 1j; [c, c] */
    {
        acar_val *v = shared_complex();
        expect(v, 0, true, "(lp0\012c__builtin__\012complex\012p1\012(F0.0\012F1.0\012tp2\012Rp3\012"
        "ag3\012a.", 54);
        expect(v, 1, true, "]q\000(c__builtin__\012complex\012q\001(G\000\000\000\000\000\000\000"
        "\000G\077\360\000\000\000\000\000\000tq\002Rq\003h\003e.", 56);
        expect(v, 2, true, "\200\002]q\000(c__builtin__\012complex\012q\001G\000\000\000\000\000\000"
        "\000\000G\077\360\000\000\000\000\000\000\206q\002Rq\003h\003e.", 57);
        expect(v, 3, true, "\200\003]q\000(cbuiltins\012complex\012q\001G\000\000\000\000\000\000"
        "\000\000G\077\360\000\000\000\000\000\000\206q\002Rq\003h\003e.", 54);
        expect(v, 4, true, "\200\004\2254\000\000\000\000\000\000\000]\224(\214\010builtins\224\214"
        "\007complex\224\223\224G\000\000\000\000\000\000\000\000G\077\360\000"
        "\000\000\000\000\000\206\224R\224h\005e.", 63);
        expect(v, 5, true, "\200\005\2254\000\000\000\000\000\000\000]\224(\214\010builtins\224\214"
        "\007complex\224\223\224G\000\000\000\000\000\000\000\000G\077\360\000"
        "\000\000\000\000\000\206\224R\224h\005e.", 63);
    }
    /* ---- globals ---- */
    /* m1.X */
    {
        acar_val *v = G("m1", "X");
        expect(v, 0, true, "cm1\012X\012p0\012.", 10);
        expect(v, 1, true, "cm1\012X\012q\000.", 9);
        expect(v, 2, true, "\200\002cm1\012X\012q\000.", 11);
        expect(v, 3, true, "\200\003cm1\012X\012q\000.", 11);
        expect(v, 4, true, "\200\004\225\014\000\000\000\000\000\000\000\214\002m1\224\214\001X\224"
        "\223\224.", 23);
        expect(v, 5, true, "\200\005\225\014\000\000\000\000\000\000\000\214\002m1\224\214\001X\224"
        "\223\224.", 23);
    }
    /* [m1.X, m2.X, m1.f, m1.X] */
    {
        acar_val *v = LIST(4, G("m1", "X"), G("m2", "X"), G("m1", "f"), G("m1", "X"));
        expect(v, 0, true, "(lp0\012cm1\012X\012p1\012acm2\012X\012p2\012acm1\012f\012p3\012ag1\012a"
        ".", 40);
        expect(v, 1, true, "]q\000(cm1\012X\012q\001cm2\012X\012q\002cm1\012f\012q\003h\001e.", 32);
        expect(v, 2, true, "\200\002]q\000(cm1\012X\012q\001cm2\012X\012q\002cm1\012f\012q\003h\001e"
        ".", 34);
        expect(v, 3, true, "\200\003]q\000(cm1\012X\012q\001cm2\012X\012q\002cm1\012f\012q\003h\001e"
        ".", 34);
        expect(v, 4, true, "\200\004\225#\000\000\000\000\000\000\000]\224(\214\002m1\224\214\001X"
        "\224\223\224\214\002m2\224h\002\223\224h\001\214\001f\224\223\224h\003e.", 46);
        expect(v, 5, true, "\200\005\225#\000\000\000\000\000\000\000]\224(\214\002m1\224\214\001X"
        "\224\223\224\214\002m2\224h\002\223\224h\001\214\001f\224\223\224h\003e.", 46);
    }
    /* m1.A.B.C */
    {
        acar_val *v = G("m1", "A.B.C");
        expect(v, 0, true, "c__builtin__\012getattr\012p0\012(g0\012(cm1\012A\012p1\012VB\012p2\012t"
        "p3\012Rp4\012VC\012p5\012tp6\012Rp7\012.", 67);
        expect(v, 1, true, "c__builtin__\012getattr\012q\000(h\000(cm1\012A\012q\001X\001\000\000"
        "\000Bq\002tq\003Rq\004X\001\000\000\000Cq\005tq\006Rq\007.", 64);
        expect(v, 2, true, "\200\002c__builtin__\012getattr\012q\000h\000cm1\012A\012q\001X\001\000"
        "\000\000Bq\002\206q\003Rq\004X\001\000\000\000Cq\005\206q\006Rq\007.", 64);
        expect(v, 3, true, "\200\003cbuiltins\012getattr\012q\000h\000cm1\012A\012q\001X\001\000\000"
        "\000Bq\002\206q\003Rq\004X\001\000\000\000Cq\005\206q\006Rq\007.", 61);
        expect(v, 4, true, "\200\004\225\020\000\000\000\000\000\000\000\214\002m1\224\214\005A.B.C"
        "\224\223\224.", 27);
        expect(v, 5, true, "\200\005\225\020\000\000\000\000\000\000\000\214\002m1\224\214\005A.B.C"
        "\224\223\224.", 27);
    }
    /* [m1.A.B, m1.A.B.C] */
    {
        acar_val *v = LIST(2, G("m1", "A.B"), G("m1", "A.B.C"));
        expect(v, 0, true, "(lp0\012c__builtin__\012getattr\012p1\012(cm1\012A\012p2\012VB\012p3\012"
        "tp4\012Rp5\012ag1\012(g5\012VC\012p6\012tp7\012Rp8\012a.", 77);
        expect(v, 1, true, "]q\000(c__builtin__\012getattr\012q\001(cm1\012A\012q\002X\001\000\000"
        "\000Bq\003tq\004Rq\005h\001(h\005X\001\000\000\000Cq\006tq\007Rq\010e.", 71);
        expect(v, 2, true, "\200\002]q\000(c__builtin__\012getattr\012q\001cm1\012A\012q\002X\001"
        "\000\000\000Bq\003\206q\004Rq\005h\001h\005X\001\000\000\000Cq\006\206q"
        "\007Rq\010e.", 71);
        expect(v, 3, true, "\200\003]q\000(cbuiltins\012getattr\012q\001cm1\012A\012q\002X\001\000"
        "\000\000Bq\003\206q\004Rq\005h\001h\005X\001\000\000\000Cq\006\206q\007R"
        "q\010e.", 68);
        expect(v, 4, true, "\200\004\225\036\000\000\000\000\000\000\000]\224(\214\002m1\224\214\003"
        "A.B\224\223\224h\001\214\005A.B.C\224\223\224e.", 41);
        expect(v, 5, true, "\200\005\225\036\000\000\000\000\000\000\000]\224(\214\002m1\224\214\003"
        "A.B\224\223\224h\001\214\005A.B.C\224\223\224e.", 41);
    }
    /* [range, len, getattr, set, {1}, ...] */
    {
        acar_val *v = LIST(6, G("builtins", "range"), G("builtins", "len"), G("builtins", "getattr"), G("builtins", "set"), SET(1, I(1)), ELL());
        expect(v, 0, true, "(lp0\012c__builtin__\012xrange\012p1\012ac__builtin__\012len\012p2\012ac"
        "__builtin__\012getattr\012p3\012ac__builtin__\012set\012p4\012ag4\012((l"
        "p5\012I1\012atp6\012Rp7\012ac__builtin__\012Ellipsis\012p8\012a.", 145);
        expect(v, 1, true, "]q\000(c__builtin__\012xrange\012q\001c__builtin__\012len\012q\002c__bui"
        "ltin__\012getattr\012q\003c__builtin__\012set\012q\004h\004(]q\005K\001a"
        "tq\006Rq\007c__builtin__\012Ellipsis\012q\010e.", 128);
        expect(v, 2, true, "\200\002]q\000(c__builtin__\012xrange\012q\001c__builtin__\012len\012q"
        "\002c__builtin__\012getattr\012q\003c__builtin__\012set\012q\004h\004]q"
        "\005K\001a\205q\006Rq\007c__builtin__\012Ellipsis\012q\010e.", 129);
        expect(v, 3, true, "\200\003]q\000(cbuiltins\012range\012q\001cbuiltins\012len\012q\002cbuil"
        "tins\012getattr\012q\003cbuiltins\012set\012q\004h\004]q\005K\001a\205q"
        "\006Rq\007cbuiltins\012Ellipsis\012q\010e.", 113);
        expect(v, 4, true, "\200\004\225Z\000\000\000\000\000\000\000]\224(\214\010builtins\224\214"
        "\005range\224\223\224\214\010builtins\224\214\003len\224\223\224h\004"
        "\214\007getattr\224\223\224h\001\214\003set\224\223\224\217\224(K\001"
        "\220h\001\214\010Ellipsis\224\223\224e.", 101);
        expect(v, 5, true, "\200\005\225Z\000\000\000\000\000\000\000]\224(\214\010builtins\224\214"
        "\005range\224\223\224\214\010builtins\224\214\003len\224\223\224h\004"
        "\214\007getattr\224\223\224h\001\214\003set\224\223\224\217\224(K\001"
        "\220h\001\214\010Ellipsis\224\223\224e.", 101);
    }
    /* [StopIteration, ..., ...] */
    {
        acar_val *v = LIST(3, STOPI(), ELL(), ELL());
        expect(v, 0, true, "(lp0\012cexceptions\012StopIteration\012p1\012ac__builtin__\012Ellipsis"
        "\012p2\012ag2\012a.", 66);
        expect(v, 1, true, "]q\000(cexceptions\012StopIteration\012q\001c__builtin__\012Ellipsis\012"
        "q\002h\002e.", 60);
        expect(v, 2, true, "\200\002]q\000(cexceptions\012StopIteration\012q\001c__builtin__\012Elli"
        "psis\012q\002h\002e.", 62);
        expect(v, 3, true, "\200\003]q\000(cbuiltins\012StopIteration\012q\001cbuiltins\012Ellipsis"
        "\012q\002h\002e.", 57);
        expect(v, 4, true, "\200\004\2253\000\000\000\000\000\000\000]\224(\214\010builtins\224\214"
        "\015StopIteration\224\223\224h\001\214\010Ellipsis\224\223\224h\005e.", 62);
        expect(v, 5, true, "\200\005\2253\000\000\000\000\000\000\000]\224(\214\010builtins\224\214"
        "\015StopIteration\224\223\224h\001\214\010Ellipsis\224\223\224h\005e.", 62);
    }
    /* [copyreg._reconstructor, copyreg.__newobj__] */
    {
        acar_val *v = LIST(2, G("copyreg", "_reconstructor"), G("copyreg", "__newobj__"));
        expect(v, 0, true, "(lp0\012ccopy_reg\012_reconstructor\012p1\012accopy_reg\012__newobj__"
        "\012p2\012a.", 60);
        expect(v, 1, true, "]q\000(ccopy_reg\012_reconstructor\012q\001ccopy_reg\012__newobj__\012q"
        "\002e.", 56);
        expect(v, 2, true, "\200\002]q\000(ccopy_reg\012_reconstructor\012q\001ccopy_reg\012__newobj"
        "__\012q\002e.", 58);
        expect(v, 3, true, "\200\003]q\000(ccopyreg\012_reconstructor\012q\001ccopyreg\012__newobj__"
        "\012q\002e.", 56);
        expect(v, 4, true, "\200\004\2253\000\000\000\000\000\000\000]\224(\214\007copyreg\224\214"
        "\016_reconstructor\224\223\224h\001\214\012__newobj__\224\223\224e.", 62);
        expect(v, 5, true, "\200\005\2253\000\000\000\000\000\000\000]\224(\214\007copyreg\224\214"
        "\016_reconstructor\224\223\224h\001\214\012__newobj__\224\223\224e.", 62);
    }
    /* [collections.UserDict, functools.reduce] (fix_imports=False) */
    {
        acar_val *v = LIST(2, G("collections", "UserDict"), G("_functools", "reduce"));
        expect(v, 0, false, "(lp0\012ccollections\012UserDict\012p1\012ac_functools\012reduce\012p2"
        "\012a.", 55);
        expect(v, 1, false, "]q\000(ccollections\012UserDict\012q\001c_functools\012reduce\012q\002e.", 51);
        expect(v, 2, false, "\200\002]q\000(ccollections\012UserDict\012q\001c_functools\012reduce"
        "\012q\002e.", 53);
    }
    /* [collections.UserDict, functools.reduce] */
    {
        acar_val *v = LIST(2, G("collections", "UserDict"), G("_functools", "reduce"));
        expect(v, 0, true, "(lp0\012cUserDict\012IterableUserDict\012p1\012ac__builtin__\012reduce"
        "\012p2\012a.", 61);
        expect(v, 1, true, "]q\000(cUserDict\012IterableUserDict\012q\001c__builtin__\012reduce\012q"
        "\002e.", 57);
        expect(v, 2, true, "\200\002]q\000(cUserDict\012IterableUserDict\012q\001c__builtin__\012red"
        "uce\012q\002e.", 59);
        expect(v, 3, true, "\200\003]q\000(ccollections\012UserDict\012q\001c_functools\012reduce"
        "\012q\002e.", 53);
        expect(v, 4, true, "\200\004\2258\000\000\000\000\000\000\000]\224(\214\013collections\224"
        "\214\010UserDict\224\223\224\214\012_functools\224\214\006reduce\224\223"
        "\224e.", 67);
        expect(v, 5, true, "\200\005\2258\000\000\000\000\000\000\000]\224(\214\013collections\224"
        "\214\010UserDict\224\223\224\214\012_functools\224\214\006reduce\224\223"
        "\224e.", 67);
    }
    /* ---- objects ---- */
    /* m1.R()  # __reduce__ -> (m1.f, (1, 2)) */
    {
        acar_val *v = OBJ(ACAR_BUILD_REDUCE, G("m1", "f"), TUP(2, I(1), I(2)), NULL);
        expect(v, 0, true, "cm1\012f\012p0\012(I1\012I2\012tp1\012Rp2\012.", 25);
        expect(v, 1, true, "cm1\012f\012q\000(K\001K\002tq\001Rq\002.", 20);
        expect(v, 2, true, "\200\002cm1\012f\012q\000K\001K\002\206q\001Rq\002.", 21);
        expect(v, 3, true, "\200\003cm1\012f\012q\000K\001K\002\206q\001Rq\002.", 21);
        expect(v, 4, true, "\200\004\225\024\000\000\000\000\000\000\000\214\002m1\224\214\001f\224"
        "\223\224K\001K\002\206\224R\224.", 31);
        expect(v, 5, true, "\200\005\225\024\000\000\000\000\000\000\000\214\002m1\224\214\001f\224"
        "\223\224K\001K\002\206\224R\224.", 31);
    }
    /* m1.P()  # copyreg._reconstructor / NEWOBJ with state */
    {
        acar_val *v = p_obj();
        expect(v, 0, true, "ccopy_reg\012_reconstructor\012p0\012(cm1\012P\012p1\012c__builtin__\012"
        "object\012p2\012Ntp3\012Rp4\012(dp5\012Vx\012p6\012I1\012sb.", 87);
        expect(v, 1, true, "ccopy_reg\012_reconstructor\012q\000(cm1\012P\012q\001c__builtin__\012ob"
        "ject\012q\002Ntq\003Rq\004}q\005X\001\000\000\000xq\006K\001sb.", 81);
    }
    /* m1.P() */
    {
        acar_val *v = p_newobj();
        expect(v, 2, true, "\200\002cm1\012P\012q\000)\201q\001}q\002X\001\000\000\000xq\003K\001sb.", 30);
        expect(v, 3, true, "\200\003cm1\012P\012q\000)\201q\001}q\002X\001\000\000\000xq\003K\001sb.", 30);
        expect(v, 4, true, "\200\004\225\031\000\000\000\000\000\000\000\214\002m1\224\214\001P\224"
        "\223\224)\201\224}\224\214\001x\224K\001sb.", 36);
        expect(v, 5, true, "\200\005\225\031\000\000\000\000\000\000\000\214\002m1\224\214\001P\224"
        "\223\224)\201\224}\224\214\001x\224K\001sb.", 36);
    }
    /* m1.Q()  # __reduce__ -> (copyreg.__newobj__, (Q, 5)) */
    {
        acar_val *v = OBJ(ACAR_BUILD_NEWOBJ, G("m1", "Q"), TUP(1, I(5)), NULL);
        expect(v, 0, true, "ccopy_reg\012__newobj__\012p0\012(cm1\012Q\012p1\012I5\012tp2\012Rp3\012"
        ".", 46);
        expect(v, 1, true, "ccopy_reg\012__newobj__\012q\000(cm1\012Q\012q\001K\005tq\002Rq\003.", 41);
        expect(v, 2, true, "\200\002cm1\012Q\012q\000K\005\205q\001\201q\002.", 19);
        expect(v, 3, true, "\200\003cm1\012Q\012q\000K\005\205q\001\201q\002.", 19);
        expect(v, 4, true, "\200\004\225\022\000\000\000\000\000\000\000\214\002m1\224\214\001Q\224"
        "\223\224K\005\205\224\201\224.", 29);
        expect(v, 5, true, "\200\005\225\022\000\000\000\000\000\000\000\214\002m1\224\214\001Q\224"
        "\223\224K\005\205\224\201\224.", 29);
    }
    /* m1.Q()  as REDUCE(copyreg.__newobj__, (m1.Q, 5)) */
    {
        acar_val *v = OBJ(ACAR_BUILD_REDUCE, G("copyreg", "__newobj__"), TUP(2, G("m1", "Q"), I(5)), NULL);
        expect(v, 0, true, "ccopy_reg\012__newobj__\012p0\012(cm1\012Q\012p1\012I5\012tp2\012Rp3\012"
        ".", 46);
        expect(v, 1, true, "ccopy_reg\012__newobj__\012q\000(cm1\012Q\012q\001K\005tq\002Rq\003.", 41);
        expect(v, 2, true, "\200\002cm1\012Q\012q\000K\005\205q\001\201q\002.", 19);
        expect(v, 3, true, "\200\003cm1\012Q\012q\000K\005\205q\001\201q\002.", 19);
        expect(v, 4, true, "\200\004\225\022\000\000\000\000\000\000\000\214\002m1\224\214\001Q\224"
        "\223\224K\005\205\224\201\224.", 29);
        expect(v, 5, true, "\200\005\225\022\000\000\000\000\000\000\000\214\002m1\224\214\001Q\224"
        "\223\224K\005\205\224\201\224.", 29);
    }
    /* m1.K()  # __getnewargs_ex__ -> ((1,), {"k": 2}) */
    {
        acar_val *v = OBJ(ACAR_BUILD_NEWOBJ_EX, G("m1", "K"), TUP(1, I(1)), DICT(1, S("k"), I(2)));
        expect(v, 2, true, "\200\002cfunctools\012partial\012q\000c__builtin__\012getattr\012q\001cm"
        "1\012K\012q\002X\007\000\000\000__new__q\003\206q\004Rq\005\205q\006Rq"
        "\007(h\005h\002K\001\206q\010}q\011X\001\000\000\000kq\012K\002sNtq\013b"
        ")Rq\014.", 114);
        expect(v, 3, true, "\200\003cfunctools\012partial\012q\000cbuiltins\012getattr\012q\001cm1"
        "\012K\012q\002X\007\000\000\000__new__q\003\206q\004Rq\005\205q\006Rq"
        "\007(h\005h\002K\001\206q\010}q\011X\001\000\000\000kq\012K\002sNtq\013b"
        ")Rq\014.", 111);
        expect(v, 4, true, "\200\004\225\033\000\000\000\000\000\000\000\214\002m1\224\214\001K\224"
        "\223\224K\001\205\224}\224\214\001k\224K\002s\222\224.", 38);
        expect(v, 5, true, "\200\005\225\033\000\000\000\000\000\000\000\214\002m1\224\214\001K\224"
        "\223\224K\001\205\224}\224\214\001k\224K\002s\222\224.", 38);
    }
    /* l = m1.L([1, 2, 3]); l.y = 1; l */
    {
        acar_val *v = l_obj();
        expect(v, 2, true, "\200\002cm1\012L\012q\000)\201q\001(K\001K\002K\003e}q\002X\001\000\000"
        "\000yq\003K\001sb.", 38);
        expect(v, 3, true, "\200\003cm1\012L\012q\000)\201q\001(K\001K\002K\003e}q\002X\001\000\000"
        "\000yq\003K\001sb.", 38);
        expect(v, 4, true, "\200\004\225!\000\000\000\000\000\000\000\214\002m1\224\214\001L\224\223"
        "\224)\201\224(K\001K\002K\003e}\224\214\001y\224K\001sb.", 44);
        expect(v, 5, true, "\200\005\225!\000\000\000\000\000\000\000\214\002m1\224\214\001L\224\223"
        "\224)\201\224(K\001K\002K\003e}\224\214\001y\224K\001sb.", 44);
    }
    /* m1.D(a=1) */
    {
        acar_val *v = d_obj();
        expect(v, 2, true, "\200\002cm1\012D\012q\000)\201q\001X\001\000\000\000aq\002K\001s.", 26);
        expect(v, 3, true, "\200\003cm1\012D\012q\000)\201q\001X\001\000\000\000aq\002K\001s.", 26);
        expect(v, 4, true, "\200\004\225\026\000\000\000\000\000\000\000\214\002m1\224\214\001D\224"
        "\223\224)\201\224\214\001a\224K\001s.", 33);
        expect(v, 5, true, "\200\005\225\026\000\000\000\000\000\000\000\214\002m1\224\214\001D\224"
        "\223\224)\201\224\214\001a\224K\001s.", 33);
    }
    /* o = m1.P(); o.x = o; o */
    {
        acar_val *v = self_obj();
        expect(v, 2, true, "\200\002cm1\012P\012q\000)\201q\001}q\002X\001\000\000\000xq\003h\001sb.", 30);
        expect(v, 3, true, "\200\003cm1\012P\012q\000)\201q\001}q\002X\001\000\000\000xq\003h\001sb.", 30);
        expect(v, 4, true, "\200\004\225\031\000\000\000\000\000\000\000\214\002m1\224\214\001P\224"
        "\223\224)\201\224}\224\214\001x\224h\003sb.", 36);
        expect(v, 5, true, "\200\005\225\031\000\000\000\000\000\000\000\214\002m1\224\214\001P\224"
        "\223\224)\201\224}\224\214\001x\224h\003sb.", 36);
    }
    /* s = set(); o = m1.P(); o.x = s; s.add(o); s */
    {
        acar_val *v = set_obj_cycle();
        expect(v, 2, true, "\200\002c__builtin__\012set\012q\000]q\001cm1\012P\012q\002)\201q\003}q"
        "\004X\001\000\000\000xq\005h\000]q\006h\003a\205q\007Rq\010sba\205q\011R"
        "0h\010.", 72);
        expect(v, 3, true, "\200\003cbuiltins\012set\012q\000]q\001cm1\012P\012q\002)\201q\003}q\004"
        "X\001\000\000\000xq\005h\000]q\006h\003a\205q\007Rq\010sba\205q\011R0h"
        "\010.", 69);
        expect(v, 4, true, "\200\004\225\035\000\000\000\000\000\000\000\217\224(\214\002m1\224\214"
        "\001P\224\223\224)\201\224}\224\214\001x\224h\000sb\220.", 40);
        expect(v, 5, true, "\200\005\225\035\000\000\000\000\000\000\000\217\224(\214\002m1\224\214"
        "\001P\224\223\224)\201\224}\224\214\001x\224h\000sb\220.", 40);
    }
    /* ---- persistent ids ---- */
    /* [PID('abc'), PID(('t', 1)), PID(78)] */
    {
        acar_val *v = LIST(3, PERS(S("abc")), PERS(TUP(2, S("t"), I(1))), PERS(I(78)));
        expect(v, 0, true, "(lp0\012Pabc\012aP('t', 1)\012aP78\012a.", 28);
        expect(v, 1, true, "]q\000(X\003\000\000\000abcq\001Q(X\001\000\000\000tq\002K\001tq\003QKNQ"
        "e.", 35);
        expect(v, 2, true, "\200\002]q\000(X\003\000\000\000abcq\001QX\001\000\000\000tq\002K\001"
        "\206q\003QKNQe.", 36);
        expect(v, 3, true, "\200\003]q\000(X\003\000\000\000abcq\001QX\001\000\000\000tq\002K\001"
        "\206q\003QKNQe.", 36);
        expect(v, 4, true, "\200\004\225\030\000\000\000\000\000\000\000]\224(\214\003abc\224Q\214"
        "\001t\224K\001\206\224QKNQe.", 35);
        expect(v, 5, true, "\200\005\225\030\000\000\000\000\000\000\000]\224(\214\003abc\224Q\214"
        "\001t\224K\001\206\224QKNQe.", 35);
    }
    /* ---- protocol 5 buffers ---- */
    /* pb = PickleBuffer(b'abc'); [pb, PickleBuffer(bytearray(b'xy')), pb] */
    {
        acar_val *v = buffers_inband();
        /* protocol 0: CPython raises PicklingError */
        /* protocol 1: CPython raises PicklingError */
        /* protocol 2: CPython raises PicklingError */
        /* protocol 3: CPython raises PicklingError */
        /* protocol 4: CPython raises PicklingError */
        expect(v, 5, true, "\200\005\225\031\000\000\000\000\000\000\000]\224(C\003abc\224\226\002"
        "\000\000\000\000\000\000\000xy\224h\001e.", 36);
    }
    /* [PickleBuffer(b'ro'), PickleBuffer(bytearray(b'rw'))] out of band */
    {
        acar_val *v = buffers_oob();
        expect(v, 5, true, "\200\005\225\010\000\000\000\000\000\000\000]\224(\227\230\227e.", 19);
    }
    /* ---- framing ---- */
    /* ['abcdefgh%05d' % i for i in range(10000)] */
    {
        acar_val *v = frame_strs();
        expect_hash(v, 0, true, 218900, 0xf8ab07b6a585c9deull, "['abcdefgh%05d' % i for i in range(10000)]");
        expect_hash(v, 1, true, 229259, 0x196bf769f5461721ull, "['abcdefgh%05d' % i for i in range(10000)]");
        expect_hash(v, 2, true, 229261, 0x24cc3f67fd5eba83ull, "['abcdefgh%05d' % i for i in range(10000)]");
        expect_hash(v, 3, true, 229261, 0xa2917ec10cc82c2aull, "['abcdefgh%05d' % i for i in range(10000)]");
        expect_hash(v, 4, true, 160052, 0xd4623948d7e5db45ull, "['abcdefgh%05d' % i for i in range(10000)]");
        expect_hash(v, 5, true, 160052, 0x27923cb6641468aaull, "['abcdefgh%05d' % i for i in range(10000)]");
    }
    /* [b'a' * 10, b'x' * 70000, 'y' * 65536, 'z' * 65535, bytearray(b'q' * 70000), 1] */
    {
        acar_val *v = frame_big();
        expect_hash(v, 0, true, 271232, 0x830171a62ac115f7ull, "[b'a' * 10, b'x' * 70000, 'y' * 65536, 'z' * 65535, bytearra");
        expect_hash(v, 1, true, 271216, 0xa9d6ad265f3c8bf0ull, "[b'a' * 10, b'x' * 70000, 'y' * 65536, 'z' * 65535, bytearra");
        expect_hash(v, 2, true, 271214, 0x9d179302c4c2e92bull, "[b'a' * 10, b'x' * 70000, 'y' * 65536, 'z' * 65535, bytearra");
        expect_hash(v, 3, true, 271151, 0x1965e59b69ddf150ull, "[b'a' * 10, b'x' * 70000, 'y' * 65536, 'z' * 65535, bytearra");
        expect_hash(v, 4, true, 271182, 0x6d3a912100da9d36ull, "[b'a' * 10, b'x' * 70000, 'y' * 65536, 'z' * 65535, bytearra");
        expect_hash(v, 5, true, 271148, 0x4102065d7755001bull, "[b'a' * 10, b'x' * 70000, 'y' * 65536, 'z' * 65535, bytearra");
    }
    /* [b'x' * 65536] */
    {
        acar_val *v = LIST(1, big_bytes(65536));
        expect_hash(v, 0, true, 65587, 0x9282441cb2c3048full, "[b'x' * 65536]");
        expect_hash(v, 1, true, 65586, 0x7f6fb78eb84f78b1ull, "[b'x' * 65536]");
        expect_hash(v, 2, true, 65587, 0x6bd942b708edd3e9ull, "[b'x' * 65536]");
        expect_hash(v, 3, true, 65550, 0xe9e02d85f5a67358ull, "[b'x' * 65536]");
        expect_hash(v, 4, true, 65548, 0xc58b8cdcd8a995eaull, "[b'x' * 65536]");
        expect_hash(v, 5, true, 65548, 0x4acfbf7e011c7c01ull, "[b'x' * 65536]");
    }
    /* b'x' * 65536 */
    {
        acar_val *v = big_bytes(65536);
        expect_hash(v, 0, true, 65581, 0x6cacacd3bbdb5f21ull, "b'x' * 65536");
        expect_hash(v, 1, true, 65582, 0x0ed847250b5c3c53ull, "b'x' * 65536");
        expect_hash(v, 2, true, 65583, 0xa73c4b69e9c09885ull, "b'x' * 65536");
        expect_hash(v, 3, true, 65546, 0x0e99dd1c73ce290cull, "b'x' * 65536");
        expect_hash(v, 4, true, 65545, 0x9e445f009f34fab6ull, "b'x' * 65536");
        expect_hash(v, 5, true, 65545, 0x6718e985acbd5e4full, "b'x' * 65536");
    }
    /* 10 ** 4299 */
    {
        acar_val *v = BIG(DIGITS_4300);
        expect_hash(v, 0, true, 4304, 0xecfc479827512c32ull, "10 ** 4299");
        expect_hash(v, 1, true, 4304, 0xecfc479827512c32ull, "10 ** 4299");
        expect_hash(v, 2, true, 1794, 0x3fb0537f29b45f12ull, "10 ** 4299");
        expect_hash(v, 3, true, 1794, 0x6ca83f239b8892f5ull, "10 ** 4299");
        expect_hash(v, 4, true, 1803, 0xb99229a565666c74ull, "10 ** 4299");
        expect_hash(v, 5, true, 1803, 0xd3bf6ec144102a3dull, "10 ** 4299");
    }
    /* ---- non-ASCII global (protocols 0-2 refuse it) ---- */
    /* sys.modules['m\xe9'].f\xe9 */
    {
        acar_val *v = G("m\303\251", "f\303\251");
        /* protocol 0: CPython raises PicklingError */
        /* protocol 1: CPython raises PicklingError */
        /* protocol 2: CPython raises PicklingError */
        expect(v, 3, true, "\200\003cm\303\251\012f\303\251\012q\000.", 14);
        expect(v, 4, true, "\200\004\225\017\000\000\000\000\000\000\000\214\003m\303\251\224\214"
        "\003f\303\251\224\223\224.", 26);
        expect(v, 5, true, "\200\005\225\017\000\000\000\000\000\000\000\214\003m\303\251\224\214"
        "\003f\303\251\224\223\224.", 26);
    }
}

/* ---- errors ---- */

static void test_errors(void) {
    acar_buf out = {0};
    acar_err err;
    acar_write_opts o = {0};
    acar_val *v = I(1);

    /* Protocol numbers: only 0 (default 4) and ACAR_VERSION(0..5). */
    unsigned bad[] = {5, 0x105 + 1, 0x200 | 4, 0xffffffffu};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        o.version = bad[i];
        CHECK(acar_write(v, ACAR_FORMAT_PICKLE, &o, &out, &err) == -1 && err.code == ACAR_ERR_ARG);
    }
    o.version = 0;
    CHECK(acar_write(v, ACAR_FORMAT_PICKLE, &o, &out, &err) == 0 && out.len == 5 &&
          memcmp(out.data, "\200\004K\001.", 5) == 0);
    acar_buf_free(&out);
    CHECK(acar_write(v, ACAR_FORMAT_PICKLE, NULL, &out, &err) == 0 && out.len == 5);
    acar_buf_free(&out);

    /* Things no protocol (or not this one) can hold. */
    acar_val *code = acar__node(D, ACAR_TAG(ACAR_CODE, 0, 0));
    for (int p = 0; p <= 5; p++) expect_err(code, p, ACAR_ERR_TYPE, "cannot pickle 'code' object");
    expect_err(LIST(2, I(1), code), 4, ACAR_ERR_TYPE, "'code'");
    acar_val *buf = BUF("abc", 3, 1);
    for (int p = 0; p <= 4; p++) expect_err(LIST(1, buf), p, ACAR_ERR_TYPE, "PickleBuffer");
    acar_val *ug = G("m\303\251", "f\303\251");
    for (int p = 0; p <= 2; p++) expect_err(ug, p, ACAR_ERR_TYPE, "can't pickle module identifier");
    acar_val *ug2 = G("m", "f\303\251");
    for (int p = 0; p <= 2; p++) expect_err(ug2, p, ACAR_ERR_TYPE, "can't pickle global identifier");
    /* A newline would end the GLOBAL line early: refused below protocol 4. */
    acar_val *nl = G("m", "a\nb");
    for (int p = 0; p <= 3; p++) expect_err(nl, p, ACAR_ERR_TYPE, "identifier");
    expect(nl, 4, true, "\200\004\225\015\000\000\000\000\000\000\000\214\001m\224\214\003a\012b\224\223\224.", 24);
    /* A lone surrogate cannot be UTF-8 encoded for protocol 3's GLOBAL. */
    expect_err(G("m", "\355\240\200"), 3, ACAR_ERR_TYPE, "identifier");

    /* Persistent ids at protocol 0 are str() of the pid, ASCII, one line. */
    expect_err(PERS(S("\303\251")), 0, ACAR_ERR_TYPE, "ASCII");
    expect_err(PERS(S("a\nb")), 0, ACAR_ERR_TYPE, "newline");
    expect(PERS(F(1.5)), 0, true, "P1.5\012.", 6);
    /* Each str(pid) gets the room the output has left: of 40 pids whose
     * repr is 262,140 bytes (a tuple of two of the same tuple, 15 deep,
     * prints 2^15 of (1,)), the third is refused under a max_output of
     * 600,000 as the pid that passes it.  (Each repr had all of
     * max_output: every one was made before the output was refused.) */
    acar_val *wide = TUP(1, I(1));
    for (int k = 0; k < 15; k++) wide = TUP(2, wide, wide);
    acar_val *pids = LIST(0);
    for (int k = 0; k < 40; k++) acar_list_append(D, pids, PERS(wide));
    o.version = ACAR_VERSION(0);
    o.max_output = 600000;
    CHECK(acar_write(pids, ACAR_FORMAT_PICKLE, &o, &out, &err) == -1 && err.code == ACAR_ERR_LIMIT &&
          strstr(err.msg, "str(pid) takes the output past 600000 bytes"));
    acar_buf_free(&out);
    o.max_output = 0;
    o.version = 0;

    /* pickle.dumps(10 ** 4300, 0): ValueError, int-digits limit. */
    char *d4301 = malloc(4302);
    d4301[0] = '1';
    memset(d4301 + 1, '0', 4300);
    d4301[4301] = 0;
    acar_doc_opts dopts = {0};
    dopts.limits.max_int_digits = 10000;
    acar_doc *big = acar_doc_new(&dopts);
    acar_val *b4301 = acar_new_int_dec(big, d4301, 4301);
    CHECK(b4301 != NULL);
    expect_err(b4301, 0, ACAR_ERR_LIMIT, "max_int_digits");
    expect_err(b4301, 1, ACAR_ERR_LIMIT, "max_int_digits");
    o.version = ACAR_VERSION(0);
    o.max_int_digits = 5000;
    CHECK(acar_write(b4301, ACAR_FORMAT_PICKLE, &o, &out, &err) == 0 && out.len == 4301 + 4 &&
          memcmp(out.data, "L1000", 5) == 0 && memcmp(out.data + 4302, "L\n.", 3) == 0);
    acar_buf_free(&out);
    o.max_int_digits = 0;
    for (int p = 2; p <= 5; p++) {
        o.version = ACAR_VERSION(p);
        CHECK(acar_write(b4301, ACAR_FORMAT_PICKLE, &o, &out, &err) == 0);
        acar_buf_free(&out);
    }
    acar_doc_free(big);
    free(d4301);

    /* Objects CPython's save_reduce refuses. */
    expect_err(OBJ(ACAR_BUILD_REDUCE, G("copyreg", "__newobj__"), NULL, NULL), 2, ACAR_ERR_TYPE,
               "__newobj__ arglist is empty");
    expect_err(OBJ(ACAR_BUILD_REDUCE, G("copyreg", "__newobj_ex__"), TUP(1, I(1)), NULL), 4,
               ACAR_ERR_TYPE, "exactly 3");
    acar_val *nex = OBJ(ACAR_BUILD_NEWOBJ_EX, LIST(0), NULL, NULL);
    expect_err(nex, 2, ACAR_ERR_TYPE, "not a global");
    /* ... but writes what it can: below protocol 2 the copyreg form. */
    expect(OBJ(ACAR_BUILD_REDUCE, G("copyreg", "__newobj__"), NULL, NULL), 1, true,
           "ccopy_reg\012__newobj__\012q\000)Rq\001.", 28);
}

/* ---- limits: depth ---- */

static acar_val *nest_lists(size_t depth) {
    acar_val *inner = LIST(0), *outer = inner;
    for (size_t i = 1; i < depth; i++) outer = LIST(1, outer);
    return outer;
}

static void test_depth(void) {
    acar_buf out = {0};
    acar_err err;
    acar_write_opts o = {0};

    /* 100,000 nested lists: written (CPython would hit its recursion limit). */
    acar_val *deep = nest_lists(100000);
    CHECK(acar_write(deep, ACAR_FORMAT_PICKLE, &o, &out, &err) == 0);
    CHECK(out.len > 200000 && out.data[out.len - 1] == '.');
    acar_buf_free(&out);
    /* One more is refused with the limit named. */
    acar_val *deeper = LIST(1, deep);
    CHECK(acar_write(deeper, ACAR_FORMAT_PICKLE, &o, &out, &err) == -1 && err.code == ACAR_ERR_LIMIT &&
          strstr(err.msg, "max_depth"));
    acar_buf_free(&out);

    /* A caller's limit, in every kind of nesting. */
    o.max_depth = 10;
    CHECK(acar_write(nest_lists(10), ACAR_FORMAT_PICKLE, &o, &out, &err) == 0);
    acar_buf_free(&out);
    CHECK(acar_write(nest_lists(11), ACAR_FORMAT_PICKLE, &o, &out, &err) == -1 && err.code == ACAR_ERR_LIMIT);
    acar_buf_free(&out);
    acar_val *t = TUP(0), *d = DICT(0), *ob = NONE(), *pid = I(0);
    for (int i = 0; i < 11; i++) {
        t = TUP(1, t);
        d = DICT(1, I(i), d);
        acar_val *x = OBJ(ACAR_BUILD_REDUCE, G("m", "f"), NULL, NULL);
        acar_object_set_state(D, x, ob);
        ob = x;
        pid = PERS(pid);
    }
    acar_val *many[] = {t, d, ob, pid};
    for (int p = 0; p <= 5; p++) {
        /* (protocol 0 writes a persistent id as the text of its pid) */
        for (size_t i = 0; i < (p ? 4u : 3u); i++) {
            o.version = ACAR_VERSION(p);
            CHECK_MSG(acar_write(many[i], ACAR_FORMAT_PICKLE, &o, &out, &err) == -1 &&
                      err.code == ACAR_ERR_LIMIT, "protocol %d kind %zu", p, i);
            acar_buf_free(&out);
        }
    }
    /* Cycles are no depth at all: they go through the memo. */
    o.max_depth = 2;
    o.version = 0;
    CHECK(acar_write(self_list(), ACAR_FORMAT_PICKLE, &o, &out, &err) == 0);
    acar_buf_free(&out);
}

/* ---- out of memory: acar_out's sticky failure ---- */

static void test_nomem(void) {
    acar_val *v = range_list(3000);
    acar_err err;
    acar_write_opts o = {0};
    for (int p = 0; p <= 5; p++) {
        /* A buffer that already failed. */
        acar_buf buf = {0};
        acar_out out = {&buf, true, false, 0};
        o.version = ACAR_VERSION(p);
        err.code = ACAR_OK;
        CHECK(acar__pickle_write(v, &o, &out, &err) == -1 && err.code == ACAR_ERR_NOMEM);
        CHECK(buf.len == 0 && buf.data == NULL);
        /* A buffer that cannot grow (reserve refuses sizes past SIZE_MAX / 2):
         * nothing is written through its data pointer. */
        char one;
        acar_buf huge = {&one, SIZE_MAX / 2 - 8, SIZE_MAX / 2 - 8};
        acar_out hout = {&huge, false, false, 0};
        CHECK(acar__pickle_write(v, &o, &hout, &err) == -1 && err.code == ACAR_ERR_NOMEM && hout.failed);
        CHECK(huge.len == SIZE_MAX / 2 - 8);
        /* Through the public entry point too. */
        CHECK(acar_write(v, ACAR_FORMAT_PICKLE, &o, &huge, &err) == -1 && err.code == ACAR_ERR_NOMEM);
    }
}

/* ---- appending to a buffer that holds data (frame offsets are relative) ---- */

static void test_append(void) {
    acar_buf out = {0};
    acar_err err;
    acar_val *v = frame_strs();
    CHECK(acar_write(v, ACAR_FORMAT_PICKLE, NULL, &out, &err) == 0);
    size_t one = out.len;
    CHECK(acar_write(v, ACAR_FORMAT_PICKLE, NULL, &out, &err) == 0);
    CHECK(out.len == 2 * one && memcmp(out.data, out.data + one, one) == 0);
    /* ['abcdefgh%05d' % i for i in range(10000)], protocol 4 */
    CHECK(one == 160052 && fnv1a(out.data, one) == fnv1a(out.data + one, one));
    acar_buf_free(&out);
}

/* ---- Python 2 instances (INST / OBJ) ---- */

static void test_inst_obj(void) {
    /* Python 2: class O: def __init__(s): s.a = 1 -- pickle.dumps(O(), 0) */
    acar_val *o = OBJ(ACAR_BUILD_INST, G("old", "O"), NULL, NULL);
    acar_object_set_state(D, o, DICT(1, S("a"), I(1)));
    expect(o, 0, true, "(iold\012O\012p0\012(dp1\012Va\012p2\012I1\012sb.", 28);
    expect(o, 1, true, "(cold\012O\012q\000oq\001}q\002X\001\000\000\000aq\003K\001sb.", 29);
    expect(o, 2, true, "\200\002(cold\012O\012q\000oq\001}q\002X\001\000\000\000aq\003K\001sb.", 31);
    expect(o, 4, true, "\200\004\225\032\000\000\000\000\000\000\000(\214\003old\224\214\001O\224\223"
                       "\224o\224}\224\214\001a\224K\001sb.", 37);
    /* class OA with __getinitargs__ -> (5, 2), read back as OBJ */
    acar_val *oa = OBJ(ACAR_BUILD_OBJ, G("old", "OA"), TUP(2, I(5), I(2)), NULL);
    expect(oa, 0, true, "(I5\012I2\012iold\012OA\012p0\012.", 19);
    expect(oa, 2, true, "\200\002(cold\012OA\012q\000K\005K\002oq\001.", 21);
    /* Python 2 names go back under fix_imports like GLOBAL's. */
    acar_val *ex = OBJ(ACAR_BUILD_INST, G("builtins", "range"), NULL, NULL);
    expect(ex, 0, true, "(i__builtin__\012xrange\012p0\012.", 25);
    /* A class that is no global cannot be an INST line: OBJ. */
    acar_val *weird = OBJ(ACAR_BUILD_INST, TUP(0), NULL, NULL);
    expect(weird, 0, true, "((top0\012.", 8);
}

int main(void) {
    D = acar_doc_new(NULL);
    DIGITS_4300[0] = '1';
    memset(DIGITS_4300 + 1, '0', 4299);
    test_cpython_cases();
    test_errors();
    test_depth();
    test_nomem();
    test_append();
    test_inst_obj();
    acar_doc_free(D);
    return CHECK_DONE();
}
