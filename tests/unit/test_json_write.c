/* test_json_write.c -- acar's JSON writer against CPython 3.11's json.dumps.
 *
 * Every expected text below is what CPython 3.11.7 printed for the Python
 * expression in the comment above it (repr of json.dumps(...), or str of the
 * exception it raised), pasted in.  The builders make the same value in a
 * document; acar_write must give the same bytes, or fail with the pinned
 * code and a message that is the path to the value, ": " and Python's words.
 * tests/py/test_json_write.py covers the same ground with generated values. */
#include "acar.h"
#include "check.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

static acar_doc *D;

#define S(lit) acar_new_str(D, (lit), sizeof(lit) - 1)
#define I(x) acar_new_int(D, (x))
#define F(x) acar_new_float(D, (x))

static acar_val *list(int n, ...) {
    va_list ap;
    acar_val *l = acar_new_list(D);
    va_start(ap, n);
    for (int i = 0; i < n; i++) acar_list_append(D, l, va_arg(ap, acar_val *));
    va_end(ap);
    return l;
}

static acar_val *tuple(int n, ...) {
    acar_val *items[16];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) items[i] = va_arg(ap, acar_val *);
    va_end(ap);
    return acar_new_tuple(D, items, (size_t)n);
}

/* dict(k0, v0, k1, v1, ...) */
static acar_val *dict(int npairs, ...) {
    va_list ap;
    acar_val *d = acar_new_dict(D);
    va_start(ap, npairs);
    for (int i = 0; i < npairs; i++) {
        acar_val *k = va_arg(ap, acar_val *);
        acar_val *v = va_arg(ap, acar_val *);
        acar_dict_set(D, d, k, v);
    }
    va_end(ap);
    return d;
}

typedef struct opt {
    uint32_t flags;
    const char *indent, *isep, *ksep;
    size_t max_depth, max_digits;
    acar_format fmt;
} opt;

static acar_buf OUT;
static acar_err ERR;

static int write_with(const acar_val *v, const opt *o) {
    acar_write_opts wo;
    memset(&wo, 0, sizeof wo);
    if (o) {
        wo.flags = o->flags;
        wo.indent = o->indent;
        wo.item_sep = o->isep;
        wo.key_sep = o->ksep;
        wo.max_depth = o->max_depth;
        wo.max_int_digits = o->max_digits;
    }
    OUT.len = 0;
    return acar_write(v, o && o->fmt ? o->fmt : ACAR_FORMAT_JSON, &wo, &OUT, &ERR);
}

static void expect_text(int line, const acar_val *v, const opt *o, const char *want) {
    int rc = write_with(v, o);
    size_t n = strlen(want);
    bool ok = rc == 0 && OUT.len == n && memcmp(OUT.data, want, n) == 0;
    CHECK_MSG(ok, "line %d: rc %d (%s), got %.*s", line, rc, rc ? ERR.msg : "",
              (int)(OUT.len > 300 ? 300 : OUT.len), OUT.data ? OUT.data : "");
}

static void expect_err(int line, const acar_val *v, const opt *o, acar_code code, const char *msg) {
    int rc = write_with(v, o);
    CHECK_MSG(rc == -1 && ERR.code == code && strcmp(ERR.msg, msg) == 0,
              "line %d: rc %d code %d msg '%s', expected code %d '%s'", line, rc, (int)ERR.code,
              ERR.msg, (int)code, msg);
}

/* Variadic: an options argument may be a compound literal with commas. */
#define TEXT(v, ...) expect_text(__LINE__, (v), __VA_ARGS__)
#define ERROR(v, ...) expect_err(__LINE__, (v), __VA_ARGS__)

static const char LIMIT_MSG[] = "Exceeds the limit (4300 digits) for integer string conversion";

/* sign * 10 ** e as a big int (limbs made here, not by num.h). */
static acar_val *pow10_int(int neg, size_t e) {
    size_t cap = e / 9 + 4, n = 1;
    uint32_t *mag = calloc(cap, sizeof *mag);
    mag[0] = 1;
    for (size_t k = 0; k < e; k++) {
        uint64_t carry = 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t t = (uint64_t)mag[i] * 10 + carry;
            mag[i] = (uint32_t)t;
            carry = t >> 32;
        }
        if (carry) mag[n++] = (uint32_t)carry;
    }
    acar_val *v = acar_new_bigint(D, neg, mag, n);
    free(mag);
    return v;
}

static void test_values(void) {
    /* json.dumps({"a": [1, 2.5, None, True, "x\u00e9\U0001f600\ud800\n"]}) */
    acar_val *v = dict(1, S("a"), list(5, I(1), F(2.5), acar_new_none(D), acar_new_bool(D, 1),
                                     S("x\xc3\xa9\xf0\x9f\x98\x80\xed\xa0\x80\n")));
    TEXT(v, NULL, "{\"a\": [1, 2.5, null, true, \"x\\u00e9\\ud83d\\ude00\\ud800\\n\"]}");
    /* json.dumps({"a": [1, "\u00e9\x7f"]}, ensure_ascii=False) */
    v = dict(1, S("a"), list(2, I(1), S("\xc3\xa9\x7f")));
    TEXT(v, &(opt){.flags = ACAR_WRITE_NO_ENSURE_ASCII}, "{\"a\": [1, \"\xc3\xa9\x7f\"]}");
    /* json.dumps({"a": [1, {}], "b": []}, indent=2) */
    v = dict(2, S("a"), list(2, I(1), acar_new_dict(D)), S("b"), acar_new_list(D));
    TEXT(v, &(opt){.indent = "  "}, "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": []\n}");
    /* json.dumps({"a": [1, {"c": 1}]}, indent="\t", separators=(";", "=")) */
    v = dict(1, S("a"), list(2, I(1), dict(1, S("c"), I(1))));
    TEXT(v, &(opt){.indent = "\t", .isep = ";", .ksep = "="},
         "{\n\t\"a\"=[\n\t\t1;\n\t\t{\n\t\t\t\"c\"=1\n\t\t}\n\t]\n}");
    /* json.dumps({1.5: 1, float("nan"): 2, True: 3, None: 4, -7: 5, 1e16: 6}) */
    v = dict(6, F(1.5), I(1), F(NAN), I(2), acar_new_bool(D, 1), I(3), acar_new_none(D), I(4),
             I(-7), I(5), F(1e16), I(6));
    TEXT(v, NULL, "{\"1.5\": 1, \"NaN\": 2, \"true\": 3, \"null\": 4, \"-7\": 5, \"1e+16\": 6}");
    /* json.dumps([-0.0, 1e-7, 5e-324, 1e22, inf, -inf, nan]) */
    v = list(7, F(-0.0), F(1e-7), F(5e-324), F(1e22), F(INFINITY), F(-INFINITY), F(NAN));
    TEXT(v, NULL, "[-0.0, 1e-07, 5e-324, 1e+22, Infinity, -Infinity, NaN]");
    /* json.dumps((1, (2,), [])) */
    TEXT(tuple(3, I(1), tuple(1, I(2)), acar_new_list(D)), NULL, "[1, [2], []]");
    /* json.dumps({2: "a", 10: "b", 1.5: "c", False: "d"}, sort_keys=True) */
    v = dict(4, I(2), S("a"), I(10), S("b"), F(1.5), S("c"), acar_new_bool(D, 0), S("d"));
    TEXT(v, &(opt){.flags = ACAR_WRITE_SORT_KEYS},
         "{\"false\": \"d\", \"1.5\": \"c\", \"2\": \"a\", \"10\": \"b\"}");
    /* json.dumps({"b": 1, (1, 2): 2, "a": 3}, skipkeys=True) */
    acar_val *t12 = tuple(2, I(1), I(2));
    v = dict(3, S("b"), I(1), t12, I(2), S("a"), I(3));
    TEXT(v, &(opt){.flags = ACAR_WRITE_SKIPKEYS}, "{\"b\": 1, \"a\": 3}");
    /* json.dumps({(1, 2): 2}, skipkeys=True) and with indent=2 */
    v = dict(1, t12, I(2));
    TEXT(v, &(opt){.flags = ACAR_WRITE_SKIPKEYS}, "{}");
    TEXT(v, &(opt){.flags = ACAR_WRITE_SKIPKEYS, .indent = "  "}, "{\n  \n}");
    /* json.dumps of two-byte characters with spaces between them (the
     * escape loop keeps one space between such words), as CPython 3.11
     * writes them: "Юрий Титов", "Ю Т", "ЮЮ  Т", "Ю ", "Ю x",
     * 'é é é"é ', and a name of 7 words */
    TEXT(S("\xd0\xae\xd1\x80\xd0\xb8\xd0\xb9 \xd0\xa2\xd0\xb8\xd1\x82\xd0\xbe\xd0\xb2"), NULL,
         "\"\\u042e\\u0440\\u0438\\u0439 \\u0422\\u0438\\u0442\\u043e\\u0432\"");
    TEXT(S("\xd0\xae \xd0\xa2"), NULL, "\"\\u042e \\u0422\"");
    TEXT(S("\xd0\xae\xd0\xae  \xd0\xa2"), NULL, "\"\\u042e\\u042e  \\u0422\"");
    TEXT(S("\xd0\xae "), NULL, "\"\\u042e \"");
    TEXT(S("\xd0\xae x"), NULL, "\"\\u042e x\"");
    TEXT(S("\xc3\xa9 \xc3\xa9 \xc3\xa9\"\xc3\xa9 "), NULL, "\"\\u00e9 \\u00e9 \\u00e9\\\"\\u00e9 \"");
    TEXT(S("\xd0\xae\xd1\x80\xd0\xb8\xd0\xb9 \xd0\xa2\xd0\xb8\xd1\x82\xd0\xbe\xd0\xb2 \xd0\xae\xd1\x80\xd0\xb8\xd0\xb9 "
           "\xd0\xa2\xd0\xb8\xd1\x82\xd0\xbe\xd0\xb2 \xd0\xae\xd1\x80\xd0\xb8\xd0\xb9 \xd0\xa2\xd0\xb8\xd1\x82\xd0\xbe\xd0\xb2 "
           "\xd0\xae\xd1\x80\xd0\xb8\xd0\xb9"),
         NULL,
         "\"\\u042e\\u0440\\u0438\\u0439 \\u0422\\u0438\\u0442\\u043e\\u0432 \\u042e\\u0440\\u0438\\u0439 "
         "\\u0422\\u0438\\u0442\\u043e\\u0432 \\u042e\\u0440\\u0438\\u0439 \\u0422\\u0438\\u0442\\u043e\\u0432 "
         "\\u042e\\u0440\\u0438\\u0439\"");
    /* json.dumps("\x00\x1f\"\\\b\f") */
    TEXT(S("\x00\x1f\"\\\b\f"), NULL, "\"\\u0000\\u001f\\\"\\\\\\b\\f\"");
    /* json.dumps(10**4299) has 4300 digits: allowed */
    v = pow10_int(1, 4299);
    CHECK(write_with(v, NULL) == 0 && OUT.len == 4301 && OUT.data[0] == '-' && OUT.data[1] == '1');
}

static void test_errors(void) {
    /* d = {"users": [{}, {}, {}, {"avatar": b"x"}]}; json.dumps(d)
     * TypeError: Object of type bytes is not JSON serializable */
    acar_val *users = list(4, acar_new_dict(D), acar_new_dict(D), acar_new_dict(D),
                           dict(1, S("avatar"), acar_new_bytes(D, "x", 1)));
    acar_val *v = dict(1, S("users"), users);
    ERROR(v, NULL, ACAR_ERR_TYPE, "$.users[3].avatar: Object of type bytes is not JSON serializable");
    /* json.dumps([1, {"a b": {1, 2}}]): Object of type set is not JSON serializable */
    acar_val *set = acar_new_set(D);
    acar_set_add(D, set, I(1));
    v = list(2, I(1), dict(1, S("a b"), set));
    ERROR(v, NULL, ACAR_ERR_TYPE, "$[1][\"a b\"]: Object of type set is not JSON serializable");
    /* json.dumps(Ellipsis), json.dumps(1j), json.dumps(bytearray()) */
    ERROR(acar_new_ellipsis(D), NULL, ACAR_ERR_TYPE, "$: Object of type ellipsis is not JSON serializable");
    ERROR(acar_new_complex(D, 0, 1), NULL, ACAR_ERR_TYPE, "$: Object of type complex is not JSON serializable");
    ERROR(acar_new_bytearray(D, "", 0), NULL, ACAR_ERR_TYPE,
          "$: Object of type bytearray is not JSON serializable");
    /* d = {"a": []}; d["a"].append(d); json.dumps(d): ValueError: Circular reference detected */
    acar_val *inner = acar_new_list(D);
    v = dict(1, S("a"), inner);
    acar_list_append(D, inner, v);
    ERROR(v, NULL, ACAR_ERR_TYPE, "$.a[0]: Circular reference detected");
    ERROR(v, &(opt){.indent = ""}, ACAR_ERR_TYPE, "$.a[0]: Circular reference detected");
    /* a shared list that is no cycle is written twice: json.dumps([x, x]) with x = [1] */
    acar_val *x = list(1, I(1));
    TEXT(list(2, x, x), NULL, "[[1], [1]]");
    /* json.dumps([nan], allow_nan=False): without indent the C encoder's words,
     * with indent the Python encoder's (": nan") */
    v = list(1, F(NAN));
    ERROR(v, &(opt){.flags = ACAR_WRITE_NO_ALLOW_NAN}, ACAR_ERR_TYPE,
          "$[0]: Out of range float values are not JSON compliant");
    ERROR(v, &(opt){.flags = ACAR_WRITE_NO_ALLOW_NAN, .indent = "  "}, ACAR_ERR_TYPE,
          "$[0]: Out of range float values are not JSON compliant: nan");
    /* json.dumps({"k": {-inf: 1}}, allow_nan=False, indent=1): the key names the dict */
    v = dict(1, S("k"), dict(1, F(-INFINITY), I(1)));
    ERROR(v, &(opt){.flags = ACAR_WRITE_NO_ALLOW_NAN, .indent = " "}, ACAR_ERR_TYPE,
          "$.k: Out of range float values are not JSON compliant: -inf");
    /* json.dumps({"a": {(1, 2): 1}}): TypeError: keys must be str, int, float, bool or None, not tuple */
    v = dict(1, S("a"), dict(1, tuple(2, I(1), I(2)), I(1)));
    ERROR(v, NULL, ACAR_ERR_TYPE, "$.a: keys must be str, int, float, bool or None, not tuple");
    /* dt = datetime.datetime(2020, 1, 1): the C encoder names a key's type
     * by tp_name, the Python one (indent) by __name__, a failed '<' always
     * by tp_name:
     *   json.dumps({dt: 1})            keys must be ..., not datetime.datetime
     *   json.dumps({dt: 1}, indent=1)  keys must be ..., not datetime
     *   json.dumps({dt: 1, "a": 2}, sort_keys=True)
     *     '<' not supported between instances of 'str' and 'datetime.datetime'
     *   json.dumps([dt])               Object of type datetime is not JSON serializable */
    acar_val *dt = acar_new_datetime(D, &(acar_datetime){2020, 1, 1, 0, 0, 0, 0, 0});
    ERROR(dict(1, dt, I(1)), NULL, ACAR_ERR_TYPE,
          "$: keys must be str, int, float, bool or None, not datetime.datetime");
    ERROR(dict(1, dt, I(1)), &(opt){.indent = " "}, ACAR_ERR_TYPE,
          "$: keys must be str, int, float, bool or None, not datetime");
    ERROR(dict(2, dt, I(1), S("a"), I(2)), &(opt){.flags = ACAR_WRITE_SORT_KEYS}, ACAR_ERR_TYPE,
          "$: '<' not supported between instances of 'str' and 'datetime.datetime'");
    ERROR(list(1, dt), NULL, ACAR_ERR_TYPE, "$[0]: Object of type datetime is not JSON serializable");
    /* json.dumps({1: 1, "a": 2}, sort_keys=True): '<' not supported between instances of 'str' and 'int' */
    v = dict(2, I(1), I(1), S("a"), I(2));
    ERROR(v, &(opt){.flags = ACAR_WRITE_SORT_KEYS}, ACAR_ERR_TYPE,
          "$: '<' not supported between instances of 'str' and 'int'");
    /* json.dumps({"a": 1, None: 2}, sort_keys=True) */
    v = dict(2, S("a"), I(1), acar_new_none(D), I(2));
    ERROR(v, &(opt){.flags = ACAR_WRITE_SORT_KEYS | ACAR_WRITE_SKIPKEYS}, ACAR_ERR_TYPE,
          "$: '<' not supported between instances of 'NoneType' and 'str'");
    /* json.dumps([10**4300]) and json.dumps({10**4300: 1}): ValueError: Exceeds the limit
     * (4300 digits) for integer string conversion; use sys.set_int_max_str_digits() ... */
    acar_val *big = pow10_int(0, 4300);
    char msg[200];
    snprintf(msg, sizeof msg, "$[0]: %s", LIMIT_MSG);
    ERROR(list(1, big), NULL, ACAR_ERR_LIMIT, msg);
    snprintf(msg, sizeof msg, "$: %s", LIMIT_MSG);
    ERROR(dict(1, big, I(1)), NULL, ACAR_ERR_LIMIT, msg);
    /* a caller's max_int_digits lifts the limit (sys.set_int_max_str_digits(5000)) */
    CHECK(write_with(list(1, big), &(opt){.max_digits = 5000}) == 0 && OUT.len == 4303);
    /* a global and an object: Python's "Object of type type" and the class name */
    acar_val *g = acar_new_global(D, "collections", 11, "OrderedDict", 11);
    ERROR(g, NULL, ACAR_ERR_TYPE, "$: Object of type type is not JSON serializable");
    acar_val *obj = acar_new_object(D, ACAR_BUILD_NEWOBJ, acar_new_global(D, "m", 1, "a.Point", 7),
                                    NULL, NULL);
    ERROR(dict(1, S("p"), obj), NULL, ACAR_ERR_TYPE, "$.p: Object of type Point is not JSON serializable");
    /* a path too long for the message keeps its tail */
    v = acar_new_bytes(D, "", 0);
    for (int i = 0; i < 60; i++) v = list(1, v);
    write_with(v, NULL);
    CHECK_MSG(ERR.code == ACAR_ERR_TYPE && strncmp(ERR.msg, "$...[0][0]", 10) == 0 &&
                  strstr(ERR.msg, "[0]: Object of type bytes is not JSON serializable"),
              "%s", ERR.msg);
}

static void test_deep(void) {
    /* 100000 nested lists: CPython raises RecursionError; acar writes them */
    size_t n = 100000;
    acar_val *v = acar_new_list(D);
    for (size_t i = 1; i < n; i++) v = list(1, v);
    CHECK(write_with(v, NULL) == 0 && OUT.len == 2 * n && OUT.data[n - 1] == '[' &&
          OUT.data[n] == ']');
    /* the same in dicts */
    acar_val *d = acar_new_dict(D);
    for (size_t i = 1; i < n; i++) d = dict(1, S("a"), d);
    CHECK(write_with(d, &(opt){.flags = ACAR_WRITE_SORT_KEYS}) == 0 && OUT.len == 7 * (n - 1) + 2);
    /* a self-reference 100000 levels down */
    acar_val *top = acar_new_list(D);
    acar_val *cur = top;
    for (size_t i = 1; i < n; i++) {
        acar_val *next = acar_new_list(D);
        acar_list_append(D, cur, next);
        cur = next;
    }
    acar_list_append(D, cur, top);
    CHECK(write_with(top, NULL) == -1 && ERR.code == ACAR_ERR_TYPE &&
          strstr(ERR.msg, "[0]: Circular reference detected"));
    /* max_depth: 1000 levels written, 1001 refused */
    v = acar_new_list(D);
    for (int i = 1; i < 1001; i++) v = list(1, v);
    CHECK(write_with(v, &(opt){.max_depth = 1000}) == 0);
    CHECK(write_with(list(1, v), &(opt){.max_depth = 1000}) == -1 && ERR.code == ACAR_ERR_LIMIT &&
          strstr(ERR.msg, ": nesting deeper than the depth limit (1000)"));
    /* the limit where the last two levels are small enough for the
     * frameless path: depth levels of lists and dicts around [1] and
     * {"k": 1}, written exactly when depth <= max_depth */
    for (size_t lim = 1; lim <= 5; lim++) {
        for (size_t depth = 1; depth <= 6; depth++) {
            acar_val *l = list(1, I(1)), *m = dict(1, S("k"), I(1));
            for (size_t k = 1; k < depth; k++) {
                l = list(2, I(0), l);
                m = dict(1, S("k"), m);
            }
            int want = depth <= lim ? 0 : -1;
            CHECK(write_with(l, &(opt){.max_depth = lim}) == want && (want == 0 || ERR.code == ACAR_ERR_LIMIT));
            CHECK(write_with(m, &(opt){.max_depth = lim}) == want && (want == 0 || ERR.code == ACAR_ERR_LIMIT));
        }
    }
}

static void test_jsonl(void) {
    /* "".join(json.dumps(x) + "\n" for x in [1, {"a": 2}, "s"]) */
    acar_val *v = list(3, I(1), dict(1, S("a"), I(2)), S("s"));
    TEXT(v, &(opt){.fmt = ACAR_FORMAT_JSONL}, "1\n{\"a\": 2}\n\"s\"\n");
    TEXT(tuple(2, I(1), I(2)), &(opt){.fmt = ACAR_FORMAT_JSONL}, "1\n2\n");
    TEXT(acar_new_list(D), &(opt){.fmt = ACAR_FORMAT_JSONL}, "");
    /* each line is a json.dumps of its own: indent applies inside it */
    TEXT(list(1, list(1, I(1))), &(opt){.fmt = ACAR_FORMAT_JSONL, .indent = " "}, "[\n 1\n]\n");
    /* outer = [7, [outer]]: line 1 is json.dumps([outer]), which meets itself
     * again: ValueError: Circular reference detected */
    acar_val *outer = acar_new_list(D);
    acar_list_append(D, outer, I(7));
    acar_list_append(D, outer, list(1, outer));
    ERROR(outer, &(opt){.fmt = ACAR_FORMAT_JSONL}, ACAR_ERR_TYPE,
          "$[1][0][1]: Circular reference detected");
    /* a node shared by two lines is written in each: [x, [x]] with x = [3] */
    acar_val *x = list(1, I(3));
    TEXT(list(2, x, list(1, x)), &(opt){.fmt = ACAR_FORMAT_JSONL}, "[3]\n[[3]]\n");
    /* JSON Lines of anything but a list or tuple */
    ERROR(acar_new_dict(D), &(opt){.fmt = ACAR_FORMAT_JSONL}, ACAR_ERR_TYPE,
          "jsonl: the value must be a list or tuple of lines, not dict");
}

/* Strings written as they are when they carry ACAR_F_JSON_PLAIN (raw
 * form only): built ones of every length up to 40, plain and with a byte
 * to escape at each place, and ones the reader made, with escapes and
 * with control bytes it took under ACAR_READ_ALLOW_CONTROL. */
static void test_plain_strs(void) {
    const opt raw = {.flags = ACAR_WRITE_NO_ENSURE_ASCII, .isep = ",", .ksep = ":"};
    char s[41] = {0}, want[2 * 41 + 3];
    for (size_t n = 0; n <= 40; n++) {
        for (size_t k = 0; k < n; k++) s[k] = (char)('a' + k % 26);
        size_t w = 0;
        want[w++] = '"';
        memcpy(want + w, s, n);
        w += n;
        want[w++] = '"';
        want[w] = 0;
        expect_text(__LINE__, acar_new_str(D, s, n), &raw, want);
        /* a quote, a backslash or a newline at place k: json.dumps
         * escapes it as \", \\ and \n */
        static const char bad[] = "\"\\\n", esc[] = "\"\\n";
        for (size_t k = 0; k < n; k++)
            for (int b = 0; b < 3; b++) {
                char t[41];
                memcpy(t, s, n);
                t[k] = bad[b];
                w = 0;
                want[w++] = '"';
                memcpy(want + w, t, k);
                w += k;
                want[w++] = '\\';
                want[w++] = esc[b];
                memcpy(want + w, t + k + 1, n - k - 1);
                w += n - k - 1;
                want[w++] = '"';
                want[w] = 0;
                expect_text(__LINE__, acar_new_str(D, t, n), &raw, want);
            }
    }
    /* json.dumps(json.loads(TEXT, strict=False), ensure_ascii=False,
     * separators=(',', ':')) with TEXT below */
    static const char text[] =
        "[\"a\tb\", \"x\\\"y\", \"\\u00e9t\", \"plain text of some length, 40 bytes..\", "
        "\"\\u0041\\u0042 and more than thirty-two bytes\\n\", "
        "{\"k\\\"ey\": \"\\\\\", \"key\": \"a\tb\tc\tlong enough to need the loop\"}]";
    acar_read_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.format = ACAR_FORMAT_JSON;
    ro.flags = ACAR_READ_ALLOW_CONTROL;
    acar_val *v = acar_read(D, text, sizeof text - 1, &ro, &ERR);
    CHECK(v != NULL);
    TEXT(v, &raw,
         "[\"a\\tb\",\"x\\\"y\",\"\xc3\xa9t\",\"plain text of some length, 40 bytes..\","
         "\"AB and more than thirty-two bytes\\n\",{\"k\\\"ey\":\"\\\\\","
         "\"key\":\"a\\tb\\tc\\tlong enough to need the loop\"}]");
}

/* strs of up to 32 bytes go out by a 32-byte copy that may read past their
 * end when the bytes are the document's own (ACAR_F_TAIL): the arena keeps
 * the last ACAR_ARENA_TAIL bytes of each chunk for that.  Here each str is
 * the first made in a new document, so its bytes end where its chunk's
 * free space ends; and the same text read with ACAR_READ_BORROW from a
 * block of exactly its size, where the strs must not be read past.  Under
 * AddressSanitizer (the CI build) a read past either is an error.  (The
 * strs are in a list: the copy is the one of items in a container.) */
static void test_strs_at_block_ends(void) {
    const opt raw = {.flags = ACAR_WRITE_NO_ENSURE_ASCII, .isep = ",", .ksep = ":"};
    acar_read_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.format = ACAR_FORMAT_JSON;
    for (size_t n = 1; n <= 33; n++) {
        char s[34], want[40];
        for (size_t k = 0; k < n; k++) s[k] = (char)('A' + k % 26);
        memcpy(want, "[\"", 2);
        memcpy(want + 2, s, n);
        memcpy(want + n + 2, "\"]", 3);
        size_t len = n + 4;
        acar_doc *d = acar_doc_new(NULL);
        acar_val *l = acar_new_list(d);
        CHECK(acar_list_append(d, l, acar_new_str(d, s, n)) == 0);
        expect_text(__LINE__, l, &raw, want);
        acar_doc_free(d);
        for (int borrow = 0; borrow < 2; borrow++) {
            char *text = malloc(len); /* the text alone: ["AB..."] */
            memcpy(text, want, len);
            ro.flags = borrow ? ACAR_READ_BORROW : 0;
            d = acar_doc_new(NULL);
            acar_val *v = acar_read(d, text, len, &ro, &ERR);
            CHECK_MSG(v != NULL, "n %zu: %s", n, ERR.msg);
            if (v) expect_text(__LINE__, v, &raw, want);
            acar_doc_free(d);
            free(text);
        }
    }
}

int main(void) {
    D = acar_doc_new(NULL);
    test_values();
    test_plain_strs();
    test_strs_at_block_ends();
    test_errors();
    test_deep();
    test_jsonl();
    acar_doc_free(D);
    acar_buf_free(&OUT);
    return CHECK_DONE();
}
