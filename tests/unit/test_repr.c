/* test_repr.c -- acar's repr printer against CPython 3.11.
 *
 * Every expected string below was printed by CPython 3.11.7 (PYTHONHASHSEED=0
 * for sets) for the Python expression in the comment above it, and pasted in.
 * The builders make the same value in a document; acar_repr must print the
 * same text byte for byte.  Forms CPython cannot make (objects, buffers,
 * persistent ids, self-containing tuples) follow docs/repr.md. */
#include "acar.h"
#include "check.h"
#include "core/internal.h"
#include "core/unicode_db.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>

static acar_doc *D;

#define S(lit) acar_new_str(D, (lit), sizeof(lit) - 1)
#define B(lit) acar_new_bytes(D, (lit), sizeof(lit) - 1)
#define BA(lit) acar_new_bytearray(D, (lit), sizeof(lit) - 1)
#define N() acar_new_none(D)
#define TRUE() acar_new_bool(D, 1)
#define FALSE() acar_new_bool(D, 0)
#define ELL() acar_new_ellipsis(D)
#define STOP() acar_new_stopiteration(D)
#define I(x) acar_new_int(D, (x))
#define F(x) acar_new_float(D, (x))
#define C(re, im) acar_new_complex(D, (re), (im))
#define G(m, n) acar_new_global(D, (m), sizeof(m) - 1, (n), sizeof(n) - 1)

/* Magnitude helpers for big ints: little-endian 32-bit limbs, mag = mag * m + a. */
static size_t limbs_muladd(uint32_t *mag, size_t n, uint32_t m, uint32_t a) {
    uint64_t carry = a;
    for (size_t i = 0; i < n; i++) {
        uint64_t t = (uint64_t)mag[i] * m + carry;
        mag[i] = (uint32_t)t;
        carry = t >> 32;
    }
    if (carry) mag[n++] = (uint32_t)carry;
    return n;
}

/* An int from decimal text (the test's own conversion, not num.h's). */
static acar_val *BIGDEC(const char *s) {
    int neg = *s == '-';
    s += neg;
    size_t len = strlen(s);
    uint32_t *mag = calloc(len / 9 + 2, sizeof *mag);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) n = limbs_muladd(mag, n, 10, (uint32_t)(s[i] - '0'));
    acar_val *v = acar_new_bigint(D, neg, mag, n);
    free(mag);
    return v;
}

/* sign * (base ** e + add) */
static acar_val *BIGPOW(int neg, uint32_t base, size_t e, uint32_t add) {
    uint32_t *mag = calloc(e + 2, sizeof *mag);
    size_t n = 1;
    mag[0] = 1;
    if (base == 2) { /* a shift, not e multiplications */
        n = e / 32 + 1;
        mag[0] = 0;
        mag[e / 32] = 1u << (e % 32);
    } else {
        for (size_t i = 0; i < e; i++) n = limbs_muladd(mag, n, base, 0);
    }
    n = limbs_muladd(mag, n, 1, add);
    acar_val *v = acar_new_bigint(D, neg, mag, n);
    free(mag);
    return v;
}

static acar_val *seq(acar_type t, size_t n, va_list ap) {
    acar_val *items[16];
    for (size_t i = 0; i < n; i++) items[i] = va_arg(ap, acar_val *);
    if (t == ACAR_TUPLE) return acar_new_tuple(D, items, n);
    if (t == ACAR_FROZENSET) return acar_new_frozenset(D, items, n);
    acar_val *v = t == ACAR_LIST ? acar_new_list(D) : acar_new_set(D);
    for (size_t i = 0; i < n; i++) {
        if (t == ACAR_LIST) acar_list_append(D, v, items[i]);
        else acar_set_add(D, v, items[i]);
    }
    return v;
}
static acar_val *L(size_t n, ...) { va_list ap; va_start(ap, n); acar_val *v = seq(ACAR_LIST, n, ap); va_end(ap); return v; }
static acar_val *T(size_t n, ...) { va_list ap; va_start(ap, n); acar_val *v = seq(ACAR_TUPLE, n, ap); va_end(ap); return v; }
static acar_val *SE(size_t n, ...) { va_list ap; va_start(ap, n); acar_val *v = seq(ACAR_SET, n, ap); va_end(ap); return v; }
static acar_val *FS(size_t n, ...) { va_list ap; va_start(ap, n); acar_val *v = seq(ACAR_FROZENSET, n, ap); va_end(ap); return v; }
/* A dict of n pairs: key, value, key, value ... */
static acar_val *DI(size_t n, ...) {
    va_list ap;
    va_start(ap, n);
    acar_val *d = acar_new_dict(D);
    for (size_t i = 0; i < n; i++) {
        acar_val *k = va_arg(ap, acar_val *);
        acar_val *v = va_arg(ap, acar_val *);
        acar_dict_set(D, d, k, v);
    }
    va_end(ap);
    return d;
}

static acar_val *OBJ(acar_build how, acar_val *callable, acar_val *args, acar_val *kwargs) {
    return acar_new_object(D, how, callable, args, kwargs);
}

/* repr(v) with opts; returns the text (malloc'd, NUL-terminated) or NULL
 * with *err filled. */
static char *repr_opts(const acar_val *v, const acar_write_opts *opts, acar_err *err) {
    acar_buf buf = {0};
    if (acar_write(v, ACAR_FORMAT_REPR, opts, &buf, err) < 0) {
        acar_buf_free(&buf);
        return NULL;
    }
    char *s = malloc(buf.len + 1);
    if (buf.len) memcpy(s, buf.data, buf.len);
    s[buf.len] = 0;
    acar_buf_free(&buf);
    return s;
}

static void eq_at(const acar_val *v, const char *want, int line) {
    acar_err err = {0};
    CHECK_MSG(acar_doc_error(D) == NULL, "line %d: builder failed: %s", line, acar_doc_error(D)->msg);
    char *got = repr_opts(v, NULL, &err);
    CHECK_MSG(got && strcmp(got, want) == 0, "line %d: want %s got %s (%s)", line, want,
              got ? got : "NULL", err.msg);
    free(got);
}
#define EQ(v, want) eq_at((v), (want), __LINE__)

/* Expects repr to fail with code (and, when msg is not NULL, that message). */
static void fail_at(const acar_val *v, const acar_write_opts *opts, acar_code code, const char *msg,
                    int line) {
    acar_err err = {0};
    char *got = repr_opts(v, opts, &err);
    CHECK_MSG(!got && err.code == code, "line %d: want error %d got %s (code %d)", line, (int)code,
              got ? got : "NULL", (int)err.code);
    if (msg) CHECK_MSG(strcmp(err.msg, msg) == 0, "line %d: message %s", line, err.msg);
    free(got);
}
#define FAIL(v, opts, code, msg) fail_at((v), (opts), (code), (msg), __LINE__)

/* ---- values CPython writes; the expected text is CPython's ---- */

static void test_cpython_cases(void) {

    /* singletons */
    /* repr(None) */
    EQ(N(), "None");
    /* repr(True) */
    EQ(TRUE(), "True");
    /* repr(False) */
    EQ(FALSE(), "False");
    /* repr(...) */
    EQ(ELL(), "Ellipsis");
    /* repr(StopIteration) */
    EQ(STOP(), "<class 'StopIteration'>");

    /* ints */
    /* repr(0) */
    EQ(I(0LL), "0");
    /* repr(1) */
    EQ(I(1LL), "1");
    /* repr(-1) */
    EQ(I(-1LL), "-1");
    /* repr(2**63 - 1) */
    EQ(I(9223372036854775807LL), "9223372036854775807");
    /* repr(-2**63) */
    EQ(I((-9223372036854775807LL - 1)), "-9223372036854775808");
    /* repr(2**63) */
    EQ(BIGDEC("9223372036854775808"), "9223372036854775808");
    /* repr(-2**63 - 1) */
    EQ(BIGDEC("-9223372036854775809"), "-9223372036854775809");
    /* repr(2**64) */
    EQ(BIGDEC("18446744073709551616"), "18446744073709551616");
    /* repr(-2**64) */
    EQ(BIGDEC("-18446744073709551616"), "-18446744073709551616");
    /* repr(10**30) */
    EQ(BIGDEC("1000000000000000000000000000000"), "1000000000000000000000000000000");
    /* repr(-10**30) */
    EQ(BIGDEC("-1000000000000000000000000000000"), "-1000000000000000000000000000000");
    /* repr(2**100 + 12345) */
    EQ(BIGDEC("1267650600228229401496703217721"), "1267650600228229401496703217721");

    /* floats */
    /* repr(0.0) */
    EQ(F(0.0), "0.0");
    /* repr(-0.0) */
    EQ(F(-0.0), "-0.0");
    /* repr(1.0) */
    EQ(F(1.0), "1.0");
    /* repr(-1.5) */
    EQ(F(-1.5), "-1.5");
    /* repr(0.1) */
    EQ(F(0.1), "0.1");
    /* repr(1e16) */
    EQ(F(1e+16), "1e+16");
    /* repr(1e-05) */
    EQ(F(1e-05), "1e-05");
    /* repr(0.0001) */
    EQ(F(0.0001), "0.0001");
    /* repr(1e22) */
    EQ(F(1e+22), "1e+22");
    /* repr(123456789012345680.0) */
    EQ(F(1.2345678901234568e+17), "1.2345678901234568e+17");
    /* repr(float('nan')) */
    EQ(F(NAN), "nan");
    /* repr(float('inf')) */
    EQ(F(INFINITY), "inf");
    /* repr(float('-inf')) */
    EQ(F(-INFINITY), "-inf");
    /* repr(5e-324) */
    EQ(F(5e-324), "5e-324");
    /* repr(1.7976931348623157e+308) */
    EQ(F(1.7976931348623157e+308), "1.7976931348623157e+308");

    /* complex */
    /* repr(1+2j) */
    EQ(C(1.0, 2.0), "(1+2j)");
    /* repr(1j) */
    EQ(C(0.0, 1.0), "1j");
    /* repr(complex(0.0, -0.0)) */
    EQ(C(0.0, -0.0), "-0j");
    /* repr(-0j) */
    EQ(C(-0.0, -0.0), "(-0-0j)");
    /* repr(complex(float('nan'), float('inf'))) */
    EQ(C(NAN, INFINITY), "(nan+infj)");
    /* repr(complex(1e16, 1)) */
    EQ(C(1e+16, 1.0), "(1e+16+1j)");
    /* repr(0j) */
    EQ(C(0.0, 0.0), "0j");
    /* repr(complex(-0.0, 1)) */
    EQ(C(-0.0, 1.0), "(-0+1j)");
    /* repr(1.5+0j) */
    EQ(C(1.5, 0.0), "(1.5+0j)");
    /* repr(complex(1, float('nan'))) */
    EQ(C(1.0, NAN), "(1+nanj)");
    /* repr(complex(1, -float('nan'))) */
    EQ(C(1.0, -NAN), "(1+nanj)");
    /* repr(complex(0, -float('nan'))) */
    EQ(C(0.0, -NAN), "nanj");
    /* repr(complex(-float('nan'), 1)) */
    EQ(C(-NAN, 1.0), "(nan+1j)");
    /* repr(complex(1, -float('inf'))) */
    EQ(C(1.0, -INFINITY), "(1-infj)");
    /* repr(complex(float('inf'), 0)) */
    EQ(C(INFINITY, 0.0), "(inf+0j)");
    /* repr(1e16j) */
    EQ(C(0.0, 1e+16), "1e+16j");
    /* repr(1e-05j) */
    EQ(C(0.0, 1e-05), "1e-05j");
    /* repr(123j) */
    EQ(C(0.0, 123.0), "123j");
    /* repr(complex(2.5e-300, -1e300)) */
    EQ(C(2.5e-300, -1e+300), "(2.5e-300-1e+300j)");
    /* repr(complex(-1.5, -2.25)) */
    EQ(C(-1.5, -2.25), "(-1.5-2.25j)");
    /* repr(complex(0.1, 0.2)) */
    EQ(C(0.1, 0.2), "(0.1+0.2j)");
    /* repr(complex(1e22, 1e-7)) */
    EQ(C(1e+22, 1e-07), "(1e+22+1e-07j)");

    /* str */
    /* repr('') */
    EQ(S(""), "''");
    /* repr('abc') */
    EQ(S("abc"), "'abc'");
    /* repr("'") */
    EQ(S("'"), "\"'\"");
    /* repr('"') */
    EQ(S("\""), "'\"'");
    /* repr('\'"') */
    EQ(S("'\""), "'\\'\"'");
    /* repr('a\'b"c') */
    EQ(S("a'b\"c"), "'a\\'b\"c'");
    /* repr('\\') */
    EQ(S("\\"), "'\\\\'");
    /* repr('\\\'') */
    EQ(S("\\'"), "\"\\\\'\"");
    /* repr('\t\n\r') */
    EQ(S("\011\012\015"), "'\\t\\n\\r'");
    /* repr('\x00\x01\x1f\x7f') */
    EQ(S("\000\001\037\177"), "'\\x00\\x01\\x1f\\x7f'");
    /* repr('\x80\x9f\xa0\xad\xff') */
    EQ(S("\302\200\302\237\302\240\302\255\303\277"), "'\\x80\\x9f\\xa0\\xad\303\277'");
    /* repr('caf\xe9 \u4e2d\u6587') */
    EQ(S("caf\303\251 \344\270\255\346\226\207"), "'caf\303\251 \344\270\255\346\226\207'");
    /* repr('\u0100\u0378\u2028\u2029\u200b\ufeff') */
    EQ(S("\304\200\315\270\342\200\250\342\200\251\342\200\213\357\273\277"),
       "'\304\200\\u0378\\u2028\\u2029\\u200b\\ufeff'");
    /* repr('\ud800') */
    EQ(S("\355\240\200"), "'\\ud800'");
    /* repr('\udfff') */
    EQ(S("\355\277\277"), "'\\udfff'");
    /* repr('x\udc80y') */
    EQ(S("x\355\262\200y"), "'x\\udc80y'");
    /* repr('\ud83d\ude00') */
    EQ(S("\355\240\275\355\270\200"), "'\\ud83d\\ude00'");
    /* repr('\U0001f600') */
    EQ(S("\360\237\230\200"), "'\360\237\230\200'");
    /* repr('\ue000\uf8ff\ufffe\uffff') */
    EQ(S("\356\200\200\357\243\277\357\277\276\357\277\277"),
       "'\\ue000\\uf8ff\\ufffe\\uffff'");
    /* repr('\U000e0001\U000e0100\U000e01ef\U000e01f0') */
    EQ(S("\363\240\200\201\363\240\204\200\363\240\207\257\363\240\207\260"),
       "'\\U000e0001\363\240\204\200\363\240\207\257\\U000e01f0'");
    /* repr('\U0010ffff\U000f0000\U0001ffff') */
    EQ(S("\364\217\277\277\363\260\200\200\360\237\277\277"),
       "'\\U0010ffff\\U000f0000\\U0001ffff'");
    /* repr('\u3000\u00a0 \u1680') */
    EQ(S("\343\200\200\302\240 \341\232\200"), "'\\u3000\\xa0 \\u1680'");
    /* repr('mixed \'quote\' and \\ and \u00e9 and \x1b[0m') */
    EQ(S("mixed 'quote' and \\ and \303\251 and \033[0m"),
       "\"mixed 'quote' and \\\\ and \303\251 and \\x1b[0m\"");
    /* repr('\'' * 3 + 'a') */
    EQ(S("'''a"), "\"'''a\"");
    /* repr('a' * 100 + '\n' + 'b' * 100) */
    EQ(S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\012bbbbbbbbbbbbbbbbbbbbbbbb"
        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
        "bbbbbbbbbbbb"),
       "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\\nbbbbbbbbbbbbbbbbbbbbbbbb"
       "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
       "bbbbbbbbbbbb'");

    /* bytes */
    /* repr(b'') */
    EQ(B(""), "b''");
    /* repr(b'abc') */
    EQ(B("abc"), "b'abc'");
    /* repr(b"'") */
    EQ(B("'"), "b\"'\"");
    /* repr(b'"') */
    EQ(B("\""), "b'\"'");
    /* repr(b'\'"') */
    EQ(B("'\""), "b'\\'\"'");
    /* repr(b'\\') */
    EQ(B("\\"), "b'\\\\'");
    /* repr(b'\x00\t\n\r\x1f\x7f\x80\xff') */
    EQ(B("\000\011\012\015\037\177\200\377"), "b'\\x00\\t\\n\\r\\x1f\\x7f\\x80\\xff'");
    /* repr(b'a\'b"c\\') */
    EQ(B("a'b\"c\\"), "b'a\\'b\"c\\\\'");
    /* repr(bytes(range(256))) */
    EQ(B("\000\001\002\003\004\005\006\007\010\011\012\013\014\015\016\017"
        "\020\021\022\023\024\025\026\027\030\031\032\033\034\035\036\037"
        " !\"#$%&'()*+,-./0123456789:;<=>\?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\"
        "]^_`abcdefghijklmnopqrstuvwxyz{|}~\177\200\201\202\203\204\205"
        "\206\207\210\211\212\213\214\215\216\217\220\221\222\223\224\225"
        "\226\227\230\231\232\233\234\235\236\237\240\241\242\243\244\245"
        "\246\247\250\251\252\253\254\255\256\257\260\261\262\263\264\265"
        "\266\267\270\271\272\273\274\275\276\277\300\301\302\303\304\305"
        "\306\307\310\311\312\313\314\315\316\317\320\321\322\323\324\325"
        "\326\327\330\331\332\333\334\335\336\337\340\341\342\343\344\345"
        "\346\347\350\351\352\353\354\355\356\357\360\361\362\363\364\365"
        "\366\367\370\371\372\373\374\375\376\377"),
       "b'\\x00\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08\\t\\n\\x0b\\x0c"
       "\\r\\x0e\\x0f\\x10\\x11\\x12\\x13\\x14\\x15\\x16\\x17\\x18\\x19"
       "\\x1a\\x1b\\x1c\\x1d\\x1e\\x1f !\"#$%&\\'()*+,-./0123456789:;<=>"
       "\?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\\\]^_`abcdefghijklmnopqrstuvwxyz"
       "{|}~\\x7f\\x80\\x81\\x82\\x83\\x84\\x85\\x86\\x87\\x88\\x89\\x8a"
       "\\x8b\\x8c\\x8d\\x8e\\x8f\\x90\\x91\\x92\\x93\\x94\\x95\\x96\\x9"
       "7\\x98\\x99\\x9a\\x9b\\x9c\\x9d\\x9e\\x9f\\xa0\\xa1\\xa2\\xa3\\x"
       "a4\\xa5\\xa6\\xa7\\xa8\\xa9\\xaa\\xab\\xac\\xad\\xae\\xaf\\xb0\\"
       "xb1\\xb2\\xb3\\xb4\\xb5\\xb6\\xb7\\xb8\\xb9\\xba\\xbb\\xbc\\xbd"
       "\\xbe\\xbf\\xc0\\xc1\\xc2\\xc3\\xc4\\xc5\\xc6\\xc7\\xc8\\xc9\\xc"
       "a\\xcb\\xcc\\xcd\\xce\\xcf\\xd0\\xd1\\xd2\\xd3\\xd4\\xd5\\xd6\\x"
       "d7\\xd8\\xd9\\xda\\xdb\\xdc\\xdd\\xde\\xdf\\xe0\\xe1\\xe2\\xe3\\"
       "xe4\\xe5\\xe6\\xe7\\xe8\\xe9\\xea\\xeb\\xec\\xed\\xee\\xef\\xf0"
       "\\xf1\\xf2\\xf3\\xf4\\xf5\\xf6\\xf7\\xf8\\xf9\\xfa\\xfb\\xfc\\xf"
       "d\\xfe\\xff'");

    /* bytearray */
    /* repr(bytearray()) */
    EQ(BA(""), "bytearray(b'')");
    /* repr(bytearray(b'abc')) */
    EQ(BA("abc"), "bytearray(b'abc')");
    /* repr(bytearray(b"'")) */
    EQ(BA("'"), "bytearray(b\"\\'\")");
    /* repr(bytearray(b'"')) */
    EQ(BA("\""), "bytearray(b'\"')");
    /* repr(bytearray(b'\'"')) */
    EQ(BA("'\""), "bytearray(b'\\'\"')");
    /* repr(bytearray(b'it\'s \\ \x00\xff')) */
    EQ(BA("it's \\ \000\377"), "bytearray(b\"it\\'s \\\\ \\x00\\xff\")");

    /* tuple */
    /* repr(()) */
    EQ(T(0), "()");
    /* repr((1,)) */
    EQ(T(1, I(1LL)), "(1,)");
    /* repr((1, 2)) */
    EQ(T(2, I(1LL), I(2LL)), "(1, 2)");
    /* repr(((),)) */
    EQ(T(1, T(0)), "((),)");
    /* repr((((1,),),)) */
    EQ(T(1, T(1, T(1, I(1LL)))), "(((1,),),)");
    /* repr(('a', b'b', None, True, 1.5)) */
    EQ(T(5, S("a"), B("b"), N(), TRUE(), F(1.5)), "('a', b'b', None, True, 1.5)");

    /* list */
    /* repr([]) */
    EQ(L(0), "[]");
    /* repr([1]) */
    EQ(L(1, I(1LL)), "[1]");
    /* repr([1, 'a', None]) */
    EQ(L(3, I(1LL), S("a"), N()), "[1, 'a', None]");
    /* repr([[], [[]], ()]) */
    EQ(L(3, L(0), L(1, L(0)), T(0)), "[[], [[]], ()]");

    /* dict */
    /* repr({}) */
    EQ(DI(0), "{}");
    /* repr({1: 2}) */
    EQ(DI(1, I(1LL), I(2LL)), "{1: 2}");
    /* repr({'a': [1, 2], (1,): {}, None: {'x': {}}}) */
    EQ(DI(3, S("a"), L(2, I(1LL), I(2LL)), T(1, I(1LL)), DI(0), N(), DI(1, S("x"), DI(0))),
       "{'a': [1, 2], (1,): {}, None: {'x': {}}}");
    /* repr({1.5: 1j, b'k': bytearray(b'v')}) */
    EQ(DI(2, F(1.5), C(0.0, 1.0), B("k"), BA("v")), "{1.5: 1j, b'k': bytearray(b'v')}");

    /* set and frozenset */
    /* repr(set()) */
    EQ(SE(0), "set()");
    /* repr({1}) */
    EQ(SE(1, I(1LL)), "{1}");
    /* repr({1, 2}) */
    EQ(SE(2, I(1LL), I(2LL)), "{1, 2}");
    /* repr(frozenset()) */
    EQ(FS(0), "frozenset()");
    /* repr(frozenset({1})) */
    EQ(FS(1, I(1LL)), "frozenset({1})");
    /* repr(frozenset({1, 2})) */
    EQ(FS(2, I(1LL), I(2LL)), "frozenset({1, 2})");
    /* repr({frozenset({3}), (1, 2)}) */
    EQ(SE(2, FS(1, I(3LL)), T(2, I(1LL), I(2LL))), "{frozenset({3}), (1, 2)}");
    /* repr(frozenset({frozenset(), ()})) */
    EQ(FS(2, FS(0), T(0)), "frozenset({frozenset(), ()})");
    /* repr([set(), frozenset(), {}, (), []]) */
    EQ(L(5, SE(0), FS(0), DI(0), T(0), L(0)), "[set(), frozenset(), {}, (), []]");
}

/* ---- ints at the digit limit ---- */

static const char limit_4300[] =
    "Exceeds the limit (4300 digits) for integer string conversion; "
    "use sys.set_int_max_str_digits() to increase the limit";
static const char limit_640[] =
    "Exceeds the limit (640 digits) for integer string conversion; "
    "use sys.set_int_max_str_digits() to increase the limit";

/* n copies of c after prefix, NUL-terminated. */
static char *rep(const char *prefix, char c, size_t n) {
    size_t k = strlen(prefix);
    char *s = malloc(k + n + 1);
    memcpy(s, prefix, k);
    memset(s + k, c, n);
    s[k + n] = 0;
    return s;
}

static void test_int_limits(void) {
    char *want;
    acar_write_opts o640 = {0}, o10 = {0};
    o640.max_int_digits = 640;
    o10.max_int_digits = 10;

    /* repr(int('9' * 640)) and repr(-int('9' * 640)): 640 nines */
    want = rep("", '9', 640);
    EQ(BIGDEC(want), want);
    free(want);
    want = rep("-", '9', 640);
    EQ(BIGDEC(want), want);
    free(want);

    /* repr(10**4299): '1' and 4299 zeros; repr(-10**4299) */
    want = rep("1", '0', 4299);
    EQ(BIGPOW(0, 10, 4299, 0), want);
    free(want);
    want = rep("-1", '0', 4299);
    EQ(BIGPOW(1, 10, 4299, 0), want);
    free(want);
    /* repr(10**4300 - 1): 4300 nines, the longest that prints */
    want = rep("", '9', 4300);
    EQ(BIGDEC(want), want);
    free(want);

    /* repr(10**4300) and repr(-10**4300): ValueError, CPython's message */
    FAIL(BIGPOW(0, 10, 4300, 0), NULL, ACAR_ERR_LIMIT, limit_4300);
    FAIL(BIGPOW(1, 10, 4300, 0), NULL, ACAR_ERR_LIMIT, limit_4300);
    /* repr(2**1000000): refused before converting (CPython's pre-check) */
    FAIL(BIGPOW(0, 2, 1000000, 0), NULL, ACAR_ERR_LIMIT, limit_4300);
    /* A big int inside a container fails the whole repr. */
    FAIL(L(2, I(1), BIGPOW(0, 10, 5000, 0)), NULL, ACAR_ERR_LIMIT, limit_4300);

    /* sys.set_int_max_str_digits(640); repr(-10**639): 641 characters */
    want = rep("-1", '0', 639);
    char *got = repr_opts(BIGPOW(1, 10, 639, 0), &o640, NULL);
    CHECK(got && strcmp(got, want) == 0);
    free(got);
    free(want);
    /* ... repr(-10**640) and repr(10**640): ValueError (640 digits) */
    FAIL(BIGPOW(1, 10, 640, 0), &o640, ACAR_ERR_LIMIT, limit_640);
    FAIL(BIGPOW(0, 10, 640, 0), &o640, ACAR_ERR_LIMIT, limit_640);

    /* CPython only checks the limit when the text, sign included, is longer
     * than 640 characters (_PY_LONG_MAX_STR_DIGITS_THRESHOLD), so a limit
     * below that (which CPython itself refuses to set) lets shorter ints
     * through: 10**20 prints with max_int_digits 10, 10**700 does not. */
    got = repr_opts(BIGPOW(0, 10, 20, 0), &o10, NULL);
    CHECK(got && strcmp(got, "100000000000000000000") == 0);
    free(got);
    got = repr_opts(BIGPOW(1, 10, 639, 0), &o10, NULL); /* 641 characters, 640 digits */
    CHECK(got == NULL);
    free(got);
    got = repr_opts(BIGPOW(0, 10, 639, 0), &o10, NULL); /* 640 characters */
    CHECK(got != NULL && strlen(got) == 640);
    free(got);
}

/* ---- cycles: CPython's Py_ReprEnter markers ---- */

static void test_recursion(void) {
    /* l = []; l.append(l); repr(l) */
    acar_val *l = acar_new_list(D);
    acar_list_append(D, l, l);
    EQ(l, "[[...]]");

    /* d = {}; d[1] = d; repr(d) */
    acar_val *d = acar_new_dict(D);
    acar_dict_set(D, d, I(1), d);
    EQ(d, "{1: {...}}");

    /* t = ([],); t[0].append(t); repr(t) */
    acar_val *inner = acar_new_list(D);
    acar_val *t = T(1, inner);
    acar_list_append(D, inner, t);
    EQ(t, "([(...)],)");
    EQ(inner, "[([...],)]"); /* repr(t[0]) */

    /* a = [1]; repr([a, a]): shared, not recursive */
    acar_val *a = L(1, I(1));
    EQ(L(2, a, a), "[[1], [1]]");
    /* d = {'x': []}; d['x'].append(d); repr(d) */
    acar_val *x = acar_new_list(D);
    acar_val *dx = DI(1, S("x"), x);
    acar_list_append(D, x, dx);
    EQ(dx, "{'x': [{...}]}");
    /* l = []; l.append((l, l)); repr(l) */
    acar_val *l2 = acar_new_list(D);
    acar_list_append(D, l2, T(2, l2, l2));
    EQ(l2, "[([...], [...])]");

    /* class X:
     *     def __repr__(self): return repr(s)
     * s = {X()}; repr(s)                           -> '{set(...)}'
     * fs = frozenset({Y()}) likewise; repr(fs)     -> 'frozenset({frozenset(...)})'
     * Here the element is an object whose state is the set. */
    acar_val *cls = G("__main__", "X");
    acar_val *o = OBJ(ACAR_BUILD_NEWOBJ, cls, NULL, NULL);
    acar_val *s = SE(1, o);
    acar_object_set_state(D, o, s);
    EQ(s, "{__main__.X().__setstate__(set(...))}");
    acar_val *o2 = OBJ(ACAR_BUILD_NEWOBJ, cls, NULL, NULL);
    acar_val *fs = FS(1, o2);
    acar_object_set_state(D, o2, fs);
    EQ(fs, "frozenset({__main__.X().__setstate__(frozenset(...))})");

    /* A tuple holding itself (pickle graphs can): '(...)' as for t above. */
    acar_val *self = T(2, I(1), I(2));
    self->u.items[1] = self;
    EQ(self, "(1, (...))");

    /* An object met again inside itself prints '...'. */
    acar_val *n = OBJ(ACAR_BUILD_NEWOBJ, G("__main__", "N"), NULL, NULL);
    acar_object_set_state(D, n, DI(1, S("next"), n));
    EQ(n, "__main__.N().__setstate__({'next': ...})");
    acar_val *r = OBJ(ACAR_BUILD_REDUCE, G("__main__", "R"), NULL, NULL);
    acar_val *rargs = T(1, L(1, r));
    ((acar_object_body *)r->u.p)->args = rargs;
    EQ(r, "__main__.R([...])");
    acar_val *pl = acar_new_list(D);
    acar_val *pid = acar_new_persid(D, pl);
    acar_list_append(D, pl, pid);
    EQ(pid, "persistent_load([...])");
    /* Its args tuple met inside itself: '*(...)'. */
    acar_val *q = OBJ(ACAR_BUILD_REDUCE, G("m", "f"), NULL, NULL);
    acar_val *q2 = OBJ(ACAR_BUILD_REDUCE, G("m", "g"), NULL, NULL);
    acar_val *qargs = T(1, q2);
    ((acar_object_body *)q->u.p)->args = qargs;
    ((acar_object_body *)q2->u.p)->args = qargs;
    EQ(q, "m.f(m.g(*(...)))");
}

/* ---- depth: an explicit stack, and the depth limit ---- */

static char *nested_text(const char *open, const char *mid, const char *close, size_t depth) {
    size_t lo = strlen(open), lm = strlen(mid), lc = strlen(close);
    char *s = malloc(depth * (lo + lc) + lm + 1), *p = s;
    for (size_t i = 0; i < depth; i++, p += lo) memcpy(p, open, lo);
    memcpy(p, mid, lm);
    p += lm;
    for (size_t i = 0; i < depth; i++, p += lc) memcpy(p, close, lc);
    *p = 0;
    return s;
}

static void test_depth(void) {
    /* x = 1
     * for _ in range(100000): x = [x]
     * CPython itself stops with RecursionError; acar prints
     * '[' * 100000 + '1' + ']' * 100000 up to the default depth limit. */
    acar_val *v = I(1);
    for (size_t i = 0; i < 100000; i++) v = L(1, v);
    char *want = nested_text("[", "1", "]", 100000);
    EQ(v, want);
    free(want);
    FAIL(L(1, v), NULL, ACAR_ERR_LIMIT, NULL); /* 100001 levels */

    /* Dicts, tuples and objects nest the same way. */
    acar_val *d = N();
    for (size_t i = 0; i < 50000; i++) d = DI(1, S("a"), T(1, d));
    want = nested_text("{'a': (", "None", ",)}", 50000);
    EQ(d, want);
    free(want);
    acar_val *o = N();
    acar_val *cls = G("m", "C");
    for (size_t i = 0; i < 100000; i++) o = OBJ(ACAR_BUILD_REDUCE, cls, T(1, o), NULL);
    want = nested_text("m.C(", "None", ")", 100000);
    EQ(o, want);
    free(want);

    acar_write_opts o3 = {0};
    o3.max_depth = 3;
    char *got = repr_opts(L(1, L(1, L(1, I(1)))), &o3, NULL);
    CHECK(got && strcmp(got, "[[[1]]]") == 0);
    free(got);
    got = repr_opts(L(1, L(1, L(1, L(0)))), &o3, NULL); /* an empty [] is no level */
    CHECK(got && strcmp(got, "[[[[]]]]") == 0);
    free(got);
    FAIL(L(1, L(1, L(1, L(1, I(1))))), &o3, ACAR_ERR_LIMIT, NULL);
}

/* ---- non-builtin nodes, as docs/repr.md documents them ---- */

static void test_objects(void) {
    EQ(G("builtins", "object"), "builtins.object");
    EQ(G("os", "path.join"), "os.path.join");

    /* class Point: pickled by protocol 2+ as NEWOBJ + BUILD */
    acar_val *p = OBJ(ACAR_BUILD_NEWOBJ, G("__main__", "Point"), NULL, NULL);
    acar_object_set_state(D, p, DI(2, S("x"), I(1), S("y"), I(2)));
    EQ(p, "__main__.Point().__setstate__({'x': 1, 'y': 2})");

    /* protocol 0/1 plain class: copyreg._reconstructor(cls, object, None) */
    acar_val *r = OBJ(ACAR_BUILD_REDUCE, G("copyreg", "_reconstructor"),
                      T(3, G("__main__", "P"), G("builtins", "object"), N()), NULL);
    acar_object_set_state(D, r, DI(1, S("a"), I(1)));
    EQ(r, "copyreg._reconstructor(__main__.P, builtins.object, None).__setstate__({'a': 1})");

    /* NEWOBJ_EX: kwargs as name=value when every key is an identifier */
    acar_val *cls = G("__main__", "C");
    EQ(OBJ(ACAR_BUILD_NEWOBJ_EX, cls, T(1, I(1)), DI(2, S("a"), I(2), S("b_3"), L(0))),
       "__main__.C(1, a=2, b_3=[])");
    EQ(OBJ(ACAR_BUILD_NEWOBJ_EX, cls, NULL, DI(1, S("_"), S("x"))), "__main__.C(_='x')");
    EQ(OBJ(ACAR_BUILD_NEWOBJ_EX, cls, NULL, DI(0)), "__main__.C()");
    EQ(OBJ(ACAR_BUILD_NEWOBJ_EX, cls, NULL, DI(1, S("a b"), I(2))), "__main__.C(**{'a b': 2})");
    EQ(OBJ(ACAR_BUILD_NEWOBJ_EX, cls, T(1, I(1)), DI(2, S("x"), I(2), S("class"), I(1))),
       "__main__.C(1, **{'x': 2, 'class': 1})");
    EQ(OBJ(ACAR_BUILD_NEWOBJ_EX, cls, NULL, DI(1, I(1), I(2))), "__main__.C(**{1: 2})");
    EQ(OBJ(ACAR_BUILD_NEWOBJ_EX, cls, NULL, DI(1, S("9a"), I(2))), "__main__.C(**{'9a': 2})");
    EQ(OBJ(ACAR_BUILD_NEWOBJ_EX, cls, NULL, DI(1, S("\303\251"), I(1))),
       "__main__.C(**{'\303\251': 1})");

    /* SETITEMS / APPENDS on objects */
    acar_val *od = OBJ(ACAR_BUILD_REDUCE, G("collections", "OrderedDict"), NULL, NULL);
    acar_object_setitem(D, od, S("a"), I(1));
    acar_object_setitem(D, od, S("b"), I(2));
    EQ(od, "collections.OrderedDict().update({'a': 1, 'b': 2})");
    acar_val *lo = OBJ(ACAR_BUILD_NEWOBJ, G("__main__", "L"), NULL, NULL);
    acar_object_append(D, lo, I(1));
    acar_object_append(D, lo, I(2));
    EQ(lo, "__main__.L().extend([1, 2])");
    acar_val *all = OBJ(ACAR_BUILD_REDUCE, G("__main__", "X"), T(1, I(1)), NULL);
    acar_object_set_state(D, all, T(2, N(), DI(1, S("s"), I(1))));
    acar_object_append(D, all, I(2));
    acar_object_setitem(D, all, I(3), I(4));
    EQ(all, "__main__.X(1).__setstate__((None, {'s': 1})).extend([2]).update({3: 4})");

    /* The callable may be any value, e.g. another object. */
    acar_val *part = OBJ(ACAR_BUILD_REDUCE, G("functools", "partial"), T(1, G("builtins", "print")), NULL);
    EQ(OBJ(ACAR_BUILD_REDUCE, part, T(1, S("hi")), NULL), "functools.partial(builtins.print)('hi')");
    /* Objects nest in containers like any value. */
    EQ(L(2, p, p), "[__main__.Point().__setstate__({'x': 1, 'y': 2}), "
                   "__main__.Point().__setstate__({'x': 1, 'y': 2})]");

    /* persistent ids */
    EQ(acar_new_persid(D, S("abc")), "persistent_load('abc')");
    EQ(acar_new_persid(D, T(2, S("a"), I(1))), "persistent_load(('a', 1))");

    /* protocol 5 buffers: repr(b'ab\x00'), repr(bytearray(b"it's")) inside */
    EQ(acar_new_buffer(D, "ab\0", 3, 1), "PickleBuffer(b'ab\\x00')");
    EQ(acar_new_buffer(D, "it's", 4, 0), "PickleBuffer(bytearray(b\"it\\'s\"))");
    EQ(acar_new_buffer(D, "", 0, 1), "PickleBuffer(b'')");
    acar_val *oob = acar_new_buffer(D, "", 0, 1);
    acar_buffer_body *body = (acar_buffer_body *)oob->u.p;
    body->data = NULL;
    body->oob = 3;
    EQ(oob, "PickleBuffer(<out-of-band 3>)");

    /* Code objects: CPython's repr without the address.  CPython 3.11 on
     * this fixture: <code object <module> at 0x7fe5d0cac5d0, file
     * "src/all_py3.py", line 1>, and its first code constant
     * <code object f at 0x7fe5d0c91920, file "src/all_py3.py", line 25>. */
    FILE *f = fopen("fixtures/pyc/3.11/all_py3.pyc", "rb");
    CHECK(f != NULL);
    if (f) {
        static unsigned char pyc[1 << 16];
        size_t n = fread(pyc, 1, sizeof pyc, f);
        fclose(f);
        acar_err err;
        acar_val *code = acar_read(D, pyc, n, NULL, &err);
        CHECK_MSG(code != NULL && acar_typeof(code) == ACAR_CODE, "%s", err.msg);
        if (code) {
            EQ(code, "<code object <module>, file \"src/all_py3.py\", line 1>");
            acar_val *consts = acar_code_get(code, ACAR_CO_CONSTS), *first = NULL;
            for (size_t i = 0; i < acar_len(consts) && !first; i++)
                if (acar_typeof(acar_item(consts, i)) == ACAR_CODE) first = acar_item(consts, i);
            CHECK(first != NULL);
            if (first) EQ(first, "<code object f, file \"src/all_py3.py\", line 25>");
        }
    }
}

/* ---- damaged nodes are errors, never reads out of bounds ---- */

static void test_bad_nodes(void) {
    acar_val *l = L(2, I(1), I(2));
    l->u.items[1] = NULL;
    FAIL(l, NULL, ACAR_ERR_ARG, NULL);
    static const char bad[] = {'a', (char)0xe4, (char)0xb8}; /* truncated sequence */
    acar_val *s = acar__node(D, ACAR_TAG(ACAR_STR, 0, sizeof bad));
    s->u.s = bad;
    FAIL(s, NULL, ACAR_ERR_MALFORMED, NULL);
}

/* ---- output: appends, and long text takes the fast path ---- */

static void test_output(void) {
    acar_buf buf = {0};
    acar_err err;
    CHECK(acar_repr(I(1), &buf, &err) == 0);
    CHECK(acar_repr(S("x"), &buf, &err) == 0);
    CHECK(buf.len == 4 && memcmp(buf.data, "1'x'", 4) == 0);
    acar_buf_free(&buf);

    /* 1 MB of ASCII with a quote and a newline in the middle */
    size_t n = 1 << 20;
    char *text = malloc(n);
    for (size_t i = 0; i < n; i++) text[i] = (char)('a' + i % 26);
    text[n / 2] = '\'';
    text[n / 2 + 1] = '\n';
    acar_val *v = acar_new_str(D, text, n);
    CHECK(acar_repr(v, &buf, &err) == 0);
    CHECK(buf.len == n + 3 && buf.data[0] == '"' && buf.data[n + 2] == '"');
    CHECK(memcmp(buf.data + 1, text, n / 2 + 1) == 0);
    CHECK(memcmp(buf.data + n / 2 + 2, "\\n", 2) == 0);
    CHECK(memcmp(buf.data + n / 2 + 4, text + n / 2 + 2, n / 2 - 2) == 0);
    acar_buf_free(&buf);
    free(text);
}

/* ---- the printable table against CPython's str.isprintable() ---- */

static void test_unicode_db(void) {
    /* n = sum(chr(c).isprintable() for c in range(0x110000))  -> 144516
     * ranges of consecutive printable code points               -> 700
     * FNV-1a 64 over the printable code points (h ^= c; h *= 0x100000001b3)
     *                                                           -> 0xef95fc5e3205b70f */
    uint64_t h = 0xcbf29ce484222325ull;
    size_t count = 0, ranges = 0;
    bool prev = false;
    for (uint32_t c = 0; c < 0x110000; c++) {
        bool pr = acar__uni_printable(c);
        if (pr) {
            count++;
            h = (h ^ c) * 0x100000001b3ull;
        }
        if (pr && !prev) ranges++;
        prev = pr;
    }
    CHECK(count == 144516);
    CHECK(ranges == 700);
    CHECK(h == 0xef95fc5e3205b70full);
    CHECK(!acar__uni_printable(0x110000) && !acar__uni_printable(0xffffffffu));
}

int main(void) {
    D = acar_doc_new(NULL);
    test_cpython_cases();
    test_int_limits();
    test_recursion();
    test_depth();
    test_objects();
    test_bad_nodes();
    test_output();
    test_unicode_db();
    CHECK(acar_doc_error(D) == NULL);
    acar_doc_free(D);
    return CHECK_DONE();
}
