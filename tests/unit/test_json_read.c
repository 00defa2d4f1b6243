/*
 * test_json_read.c -- the JSON and JSON Lines readers, case by case.
 *
 * Errors are pinned by code, byte offset, line, column and message; the
 * table comes from CPython 3.11.7's json.loads (`python3
 * tests/gen/json_cases.py --unit-table` prints it: JSONDecodeError's msg,
 * lineno and colno, its pos turned into a byte offset of the input; a
 * UnicodeDecodeError's text).  Then values and their repr (as CPython
 * prints them), key sharing and duplicate keys, the read flags, JSON
 * Lines, limits (depth, int digits, memory) and every allocation failing
 * in turn.
 */
#include "check.h"
#include "core/internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

static acar_doc *D;

typedef struct err_case {
    const char *in;
    size_t len;
    acar_code code;
    size_t offset, line, column; /* line 0: CPython gives none (decode errors) */
    const char *msg;
} err_case;

static const err_case ERRORS[] = {
    {"", 0, ACAR_ERR_TRUNCATED, 0, 1, 1, "Expecting value"},
    {" ", 1, ACAR_ERR_TRUNCATED, 1, 1, 2, "Expecting value"},
    {"\x0a""\x0a""", 2, ACAR_ERR_TRUNCATED, 2, 3, 1, "Expecting value"},
    {"[", 1, ACAR_ERR_TRUNCATED, 1, 1, 2, "Expecting value"},
    {"[1", 2, ACAR_ERR_TRUNCATED, 2, 1, 3, "Expecting ',' delimiter"},
    {"[1,", 3, ACAR_ERR_TRUNCATED, 3, 1, 4, "Expecting value"},
    {"[1,]", 4, ACAR_ERR_MALFORMED, 3, 1, 4, "Expecting value"},
    {"[1 2]", 5, ACAR_ERR_MALFORMED, 3, 1, 4, "Expecting ',' delimiter"},
    {"{", 1, ACAR_ERR_TRUNCATED, 1, 1, 2, "Expecting property name enclosed in double quotes"},
    {"{\"a\"", 4, ACAR_ERR_TRUNCATED, 4, 1, 5, "Expecting ':' delimiter"},
    {"{\"a\":", 5, ACAR_ERR_TRUNCATED, 5, 1, 6, "Expecting value"},
    {"{\"a\":1", 6, ACAR_ERR_TRUNCATED, 6, 1, 7, "Expecting ',' delimiter"},
    {"{\"a\":1,", 7, ACAR_ERR_TRUNCATED, 7, 1, 8, "Expecting property name enclosed in double quotes"},
    {"{\"a\":1,}", 8, ACAR_ERR_MALFORMED, 7, 1, 8, "Expecting property name enclosed in double quotes"},
    {"{\"a\" 1}", 7, ACAR_ERR_MALFORMED, 5, 1, 6, "Expecting ':' delimiter"},
    {"{1:2}", 5, ACAR_ERR_MALFORMED, 1, 1, 2, "Expecting property name enclosed in double quotes"},
    {"{\"a\":1 \"b\":2}", 13, ACAR_ERR_MALFORMED, 7, 1, 8, "Expecting ',' delimiter"},
    {"]", 1, ACAR_ERR_MALFORMED, 0, 1, 1, "Expecting value"},
    {"}", 1, ACAR_ERR_MALFORMED, 0, 1, 1, "Expecting value"},
    {"x", 1, ACAR_ERR_MALFORMED, 0, 1, 1, "Expecting value"},
    {"-", 1, ACAR_ERR_MALFORMED, 0, 1, 1, "Expecting value"},
    {"-x", 2, ACAR_ERR_MALFORMED, 0, 1, 1, "Expecting value"},
    {"-Inf", 4, ACAR_ERR_MALFORMED, 0, 1, 1, "Expecting value"},
    {"nul", 3, ACAR_ERR_MALFORMED, 0, 1, 1, "Expecting value"},
    {"tru", 3, ACAR_ERR_MALFORMED, 0, 1, 1, "Expecting value"},
    {"fals", 4, ACAR_ERR_MALFORMED, 0, 1, 1, "Expecting value"},
    {"NaNa", 4, ACAR_ERR_MALFORMED, 3, 1, 4, "Extra data"},
    {"1 2", 3, ACAR_ERR_MALFORMED, 2, 1, 3, "Extra data"},
    {"[] x", 4, ACAR_ERR_MALFORMED, 3, 1, 4, "Extra data"},
    {"01", 2, ACAR_ERR_MALFORMED, 1, 1, 2, "Extra data"},
    {"1.", 2, ACAR_ERR_MALFORMED, 1, 1, 2, "Extra data"},
    {"1e", 2, ACAR_ERR_MALFORMED, 1, 1, 2, "Extra data"},
    {"1e+", 3, ACAR_ERR_MALFORMED, 1, 1, 2, "Extra data"},
    {".5", 2, ACAR_ERR_MALFORMED, 0, 1, 1, "Expecting value"},
    {"+1", 2, ACAR_ERR_MALFORMED, 0, 1, 1, "Expecting value"},
    {"\"abc", 4, ACAR_ERR_TRUNCATED, 0, 1, 1, "Unterminated string starting at"},
    {"\"\\", 2, ACAR_ERR_TRUNCATED, 0, 1, 1, "Unterminated string starting at"},
    {"\"\\q\"", 4, ACAR_ERR_MALFORMED, 1, 1, 2, "Invalid \\escape"},
    {"\"\\u12\"", 6, ACAR_ERR_MALFORMED, 2, 1, 3, "Invalid \\uXXXX escape"},
    {"\"\\u12G4\"", 8, ACAR_ERR_MALFORMED, 2, 1, 3, "Invalid \\uXXXX escape"},
    {"\"\\ud800\\u12G4\"", 14, ACAR_ERR_MALFORMED, 8, 1, 9, "Invalid \\uXXXX escape"},
    {"\"\\u0041", 7, ACAR_ERR_MALFORMED, 2, 1, 3, "Invalid \\uXXXX escape"},
    {"\"a\x01""b\"", 5, ACAR_ERR_MALFORMED, 2, 1, 3, "Invalid control character at"},
    {"\"a\x0a""b\"", 5, ACAR_ERR_MALFORMED, 2, 1, 3, "Invalid control character at"},
    {"\"\x1f""\"", 3, ACAR_ERR_MALFORMED, 1, 1, 2, "Invalid control character at"},
    {"[\x0a""  1,\x0a""  2,\x0a""]", 13, ACAR_ERR_MALFORMED, 12, 4, 1, "Expecting value"},
    {"{\x0a""  \"a\": 1\x0a""  \"b\": 2\x0a""}", 21, ACAR_ERR_MALFORMED, 13, 3, 3, "Expecting ',' delimiter"},
    {"\"\xc3""\xa9""\" x", 6, ACAR_ERR_MALFORMED, 5, 1, 5, "Extra data"},
    {"[\"\xf0""\x9f""\x98""\x80""\", x]", 11, ACAR_ERR_MALFORMED, 9, 1, 7, "Expecting value"},
    {"\xef""\xbb""\xbf""[1,]", 7, ACAR_ERR_MALFORMED, 6, 1, 4, "Expecting value"},
    {"\xef""\xbb""\xbf""\xef""\xbb""\xbf""1", 7, ACAR_ERR_MALFORMED, 3, 1, 1, "Expecting value"},
    {"\"\xff""\"", 3, ACAR_ERR_MALFORMED, 1, 0, 0, "'utf-8' codec can't decode byte 0xff in position 1: invalid start byte"},
    {"\"\xc3""\"", 3, ACAR_ERR_MALFORMED, 1, 0, 0, "'utf-8' codec can't decode byte 0xc3 in position 1: invalid continuation byte"},
    {"[1, 2] \xe4""", 8, ACAR_ERR_MALFORMED, 7, 0, 0, "'utf-8' codec can't decode byte 0xe4 in position 7: unexpected end of data"},
    {"\"\xed""\xa0""\"", 4, ACAR_ERR_MALFORMED, 1, 0, 0, "'utf-8' codec can't decode byte 0xed in position 1: invalid continuation byte"},
    {"\"\xe2""\x82""(\"", 5, ACAR_ERR_MALFORMED, 1, 0, 0, "'utf-8' codec can't decode bytes in position 1-2: invalid continuation byte"},
    {"[\x00""1\x00"",\x00""]\x00""", 8, ACAR_ERR_MALFORMED, 6, 1, 4, "Expecting value"},
    {"\xff""\xfe""[\x00""1\x00"",\x00""]\x00""", 10, ACAR_ERR_MALFORMED, 8, 1, 4, "Expecting value"},
    {"\x00""{\x00""\"\xd8""=\xde""\x00""\x00""\"\x00"":\x00"" \x00""x\x00""}", 18, ACAR_ERR_MALFORMED, 14, 1, 7, "Expecting value"},
    {"[\x00""\x00""\x00""1\x00""\x00""\x00"",\x00""\x00""\x00""]\x00""\x00""\x00""", 16, ACAR_ERR_MALFORMED, 12, 1, 4, "Expecting value"},
    {"\xff""\xfe""\x00""\x00""[\x00""\x00""\x00""1\x00""\x00""\x00"",\x00""\x00""\x00""]\x00""\x00""\x00""", 20, ACAR_ERR_MALFORMED, 16, 1, 4, "Expecting value"},
    {"[\x00""\x00""1\x00""", 5, ACAR_ERR_MALFORMED, 4, 0, 0, "'utf-16-le' codec can't decode byte 0x00 in position 4: truncated data"},
    {"\xff""\xfe""1\x00""\x00""\x00""", 6, ACAR_ERR_MALFORMED, 4, 1, 2, "Extra data"},
};

static acar_val *rd(const char *in, size_t len, uint32_t flags, acar_format fmt, acar_err *err,
                    size_t *consumed) {
    acar_read_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.format = fmt;
    ro.flags = flags;
    acar_doc_reset(D);
    acar_val *v = acar_read(D, in, len, &ro, err);
    if (consumed) *consumed = ro.consumed;
    return v;
}

/* repr of reading in (JSON, flags) equals want; NULL want: must fail. */
static void check_repr_f(const char *in, size_t len, uint32_t flags, acar_format fmt, const char *want,
                         int line) {
    acar_err err;
    acar_val *v = rd(in, len, flags, fmt, &err, NULL);
    if (!want) {
        CHECK_MSG(v == NULL, "line %d: %.40s read, should fail", line, in);
        return;
    }
    if (!v) {
        CHECK_MSG(0, "line %d: %.40s: %s", line, in, err.msg);
        return;
    }
    acar_buf out = {0};
    CHECK(acar_repr(v, &out, &err) == 0);
    CHECK_MSG(out.len == strlen(want) && memcmp(out.data, want, out.len) == 0, "line %d: got %.*s want %s",
              line, (int)(out.len > 200 ? 200 : out.len), out.data, want);
    acar_buf_free(&out);
}
#define REPR(in, want) check_repr_f(in, sizeof(in) - 1, 0, ACAR_FORMAT_JSON, want, __LINE__)
#define REPR_F(in, flags, want) check_repr_f(in, sizeof(in) - 1, flags, ACAR_FORMAT_JSON, want, __LINE__)
#define JSONL(in, flags, want) check_repr_f(in, sizeof(in) - 1, flags, ACAR_FORMAT_JSONL, want, __LINE__)

static void test_errors(void) {
    for (size_t i = 0; i < sizeof ERRORS / sizeof *ERRORS; i++) {
        const err_case *c = &ERRORS[i];
        acar_err err;
        acar_val *v = rd(c->in, c->len, 0, ACAR_FORMAT_JSON, &err, NULL);
        CHECK_MSG(v == NULL, "case %zu read", i);
        if (v) continue;
        CHECK_MSG(err.code == c->code, "case %zu: code %d want %d (%s)", i, err.code, c->code, err.msg);
        CHECK_MSG(err.offset == c->offset, "case %zu: offset %zu want %zu (%s)", i, err.offset, c->offset, err.msg);
        CHECK_MSG(strcmp(err.msg, c->msg) == 0, "case %zu: msg '%s' want '%s'", i, err.msg, c->msg);
        if (c->line)
            CHECK_MSG(err.line == c->line && err.column == c->column, "case %zu: line %zu col %zu want %zu %zu",
                      i, err.line, err.column, c->line, c->column);
    }
}

static void test_values(void) {
    /* Reprs as CPython 3.11.7 prints repr(json.loads(...)). */
    REPR("null", "None");
    REPR(" true ", "True");
    REPR("\t\r\nfalse\n", "False");
    REPR("[NaN, Infinity, -Infinity]", "[nan, inf, -inf]");
    REPR("[0, -0, -0.0, 0.0, 1E400, -1e400, 1e-400, 5e-324, 2.5e-324, 4.9e-324]",
         "[0, 0, -0.0, 0.0, inf, -inf, 0.0, 5e-324, 5e-324, 5e-324]");
    REPR("[123456789012345678, 1234567890123456789, 9223372036854775808, -9223372036854775809]",
         "[123456789012345678, 1234567890123456789, 9223372036854775808, -9223372036854775809]");
    REPR("[0.1, 1e22, 1e23, 9007199254740993, 9007199254740993.0, 1.7976931348623159e308]",
         "[0.1, 1e+22, 1e+23, 9007199254740993, 9007199254740992.0, inf]");
    REPR("[3.141592653589793238462643383279, 2.2250738585072011e-308, 123.456e-7]",
         "[3.141592653589793, 2.225073858507201e-308, 1.23456e-05]");
    REPR("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"", "'\" \\\\ / \\x08 \\x0c \\n \\r \\t'");
    REPR("\"\\u00e9\\u4E2D\\ud83d\\ude00\\uFFFF\\u0000\"", "'é中😀\\uffff\\x00'");
    REPR("[\"\\ud800\", \"\\udc00\\ud800\", \"\\ud83dx\", \"\\ud83d\\u0041\"]",
         "['\\ud800', '\\udc00\\ud800', '\\ud83dx', '\\ud83dA']");
    REPR("\"\xed\xa0\xbd\xed\xb8\x80\"", "'\\ud83d\\ude00'"); /* raw surrogates do not pair */
    REPR("{\"a\": 1, \"b\": [], \"a\": 2, \"c\": {}}", "{'a': 2, 'b': [], 'c': {}}");
    REPR("{\"\": 0, \"\": 1}", "{'': 1}");
    REPR("[[], {}, [[]], [{}]]", "[[], {}, [[]], [{}]]");
    REPR("\xef\xbb\xbf[1]", "[1]");
    REPR("[\x00" "1\x00" "]\x00", "[1]"); /* detected as UTF-16-LE without BOM */
}

/* Keys are memoized by value (as json.loads does): equal keys are one node,
 * and dicts past 8 pairs find them through their index. */
static void test_keys(void) {
    acar_err err;
    const char in[] = "[{\"name\": 1, \"id\": 2}, {\"id\": 3, \"name\": 4}]";
    acar_val *v = rd(in, sizeof in - 1, 0, ACAR_FORMAT_JSON, &err, NULL);
    CHECK(v != NULL);
    if (v) {
        acar_val *a = acar_item(v, 0), *b = acar_item(v, 1);
        CHECK(acar_dict_key(a, 0) == acar_dict_key(b, 1));
        CHECK(acar_dict_key(a, 1) == acar_dict_key(b, 0));
    }
    /* 40 pairs, 7 distinct keys: last value at the first place. */
    char big[2048];
    size_t n = 0;
    n += (size_t)snprintf(big + n, sizeof big - n, "{");
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "%s\"k%d\": %d", i ? ", " : "", i % 7, i);
    n += (size_t)snprintf(big + n, sizeof big - n, "}");
    v = rd(big, n, 0, ACAR_FORMAT_JSON, &err, NULL);
    CHECK(v != NULL && acar_len(v) == 7);
    if (v) {
        int64_t x;
        CHECK(acar_int_get(acar_dict_get_str(v, "k0", 2), &x) && x == 35);
        CHECK(acar_int_get(acar_dict_get_str(v, "k6", 2), &x) && x == 34);
        size_t kl;
        const char *k = acar_str(acar_dict_key(v, 3), &kl);
        CHECK(kl == 2 && memcmp(k, "k3", 2) == 0);
        /* the dict still works as a value-model dict */
        CHECK(acar_dict_set(D, v, acar_new_str(D, "k9", 2), acar_new_int(D, 9)) == 0);
        CHECK(acar_len(v) == 8 && acar_dict_get_str(v, "k9", 2) != NULL);
    }
    /* 100 distinct keys */
    n = 0;
    n += (size_t)snprintf(big + n, sizeof big - n, "{");
    for (int i = 0; i < 100; i++) n += (size_t)snprintf(big + n, sizeof big - n, "%s\"%d\":%d", i ? "," : "", i, i);
    n += (size_t)snprintf(big + n, sizeof big - n, "}");
    v = rd(big, n, 0, ACAR_FORMAT_JSON, &err, NULL);
    CHECK(v != NULL && acar_len(v) == 100);
    if (v) {
        int64_t x;
        CHECK(acar_int_get(acar_dict_get_str(v, "57", 2), &x) && x == 57);
    }
    /* Indexes of one-, two- and four-byte slots (more than 128, 32768
     * keys): every key found, and a repeated key takes the last value at
     * its first place. */
    static const int sizes[] = {100, 300, 40000};
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        int nk = sizes[si];
        size_t cap = (size_t)nk * 16 + 64;
        char *text = malloc(cap);
        CHECK(text != NULL);
        if (!text) break;
        n = 0;
        n += (size_t)snprintf(text + n, cap - n, "{");
        for (int i = 0; i < nk; i++) n += (size_t)snprintf(text + n, cap - n, "%s\"k%d\":%d", i ? "," : "", i, i);
        n += (size_t)snprintf(text + n, cap - n, ",\"k5\":-1}");
        v = rd(text, n, 0, ACAR_FORMAT_JSON, &err, NULL);
        CHECK(v != NULL && acar_len(v) == (size_t)nk);
        if (v) {
            int bad = 0;
            for (int i = 0; i < nk; i++) {
                char key[16];
                int kl = snprintf(key, sizeof key, "k%d", i);
                int64_t x;
                if (!acar_int_get(acar_dict_get_str(v, key, (size_t)kl), &x) || x != (i == 5 ? -1 : i)) bad++;
                size_t l;
                const char *k = acar_str(acar_dict_key(v, (size_t)i), &l);
                if (l != (size_t)kl || memcmp(k, key, l) != 0) bad++;
            }
            CHECK(bad == 0);
        }
        v = rd(text, n, ACAR_READ_NO_DUP_KEYS, ACAR_FORMAT_JSON, &err, NULL);
        CHECK(v == NULL && err.code == ACAR_ERR_MALFORMED && err.offset == 0);
        free(text);
    }
    /* NO_DUP_KEYS: an error at the object's brace */
    const char dup[] = "[1, {\"a\": 1, \"a\": 2}]";
    v = rd(dup, sizeof dup - 1, ACAR_READ_NO_DUP_KEYS, ACAR_FORMAT_JSON, &err, NULL);
    CHECK(v == NULL && err.code == ACAR_ERR_MALFORMED && err.offset == 4 && err.column == 5);
    REPR_F("{\"a\": 1, \"b\": {\"a\": 2}}", ACAR_READ_NO_DUP_KEYS, "{'a': 1, 'b': {'a': 2}}");
}

/* parse_key tries the key that followed the last one the last time; the
 * text around a predicted key must still be read as json.loads reads it.
 * Reprs and errors from CPython 3.11.7's json.loads. */
static void test_key_prediction(void) {
    /* one byte more or less, a quote after the key, the key escaped */
    REPR("[{\"ab\":1,\"cd\":2},{\"ab\":3,\"cde\":4},{\"ab\":5,\"c\":6},{\"ab\":7,\"cd\\\"\":8},"
         "{\"ab\":9,\"c\\u0064\":10},{\"ab\":11,\"cd\":12}]",
         "[{'ab': 1, 'cd': 2}, {'ab': 3, 'cde': 4}, {'ab': 5, 'c': 6}, {'ab': 7, 'cd\"': 8}, {'ab': 9, 'cd': 10}, "
         "{'ab': 11, 'cd': 12}]");
    /* keys read from escapes are never predicted */
    REPR("[{\"a\\nb\":1,\"x\\\"y\":2},{\"a\\nb\":3,\"x\\\"y\":4},{\"x\\\"y\":5},{\"x\\\\\":6,\"x\\\"y\":7}]",
         "[{'a\\nb': 1, 'x\"y': 2}, {'a\\nb': 3, 'x\"y': 4}, {'x\"y': 5}, {'x\\\\': 6, 'x\"y': 7}]");
    /* the bytes of a key read from escapes, met as raw text */
    REPR("[{\"a\\\\b\":1},{\"a\\b\":2}]", "[{'a\\\\b': 1}, {'a\\x08': 2}]");
    /* a repeated key predicts itself */
    REPR("[{\"id\":1,\"id\":2,\"nm\":3},{\"id\":4,\"id\":5,\"nm\":6},{\"nm\":7,\"id\":8}]",
         "[{'id': 2, 'nm': 3}, {'id': 5, 'nm': 6}, {'nm': 7, 'id': 8}]");
    /* the text ends in or just after a predicted key */
    static const struct { const char *in; size_t offset; const char *msg; } cut[] = {
        {"[{\"abc\":1},{\"abc", 12, "Unterminated string starting at"},
        {"[{\"abc\":1},{\"abc\"", 17, "Expecting ':' delimiter"},
        {"[{\"abc\":1},{\"abc\"x", 17, "Expecting ':' delimiter"},
        {"[{\"abc\":1},{\"ab", 12, "Unterminated string starting at"},
        {"[{\"x\\\"y\":1},{\"x\"y\":2}]", 16, "Expecting ':' delimiter"},
        {"[{\"a\\nb\":1},{\"a\nb\":2}]", 15, "Invalid control character at"},
        {"[{\"a\\u0001\":1},{\"a\x01\":2}]", 18, "Invalid control character at"},
    };
    for (size_t i = 0; i < sizeof cut / sizeof *cut; i++) {
        acar_err err;
        acar_val *v = rd(cut[i].in, strlen(cut[i].in), 0, ACAR_FORMAT_JSON, &err, NULL);
        CHECK_MSG(v == NULL && err.offset == cut[i].offset && strcmp(err.msg, cut[i].msg) == 0,
                  "cut %zu: offset %zu '%s'", i, err.offset, v ? "" : err.msg);
    }
    /* The key memo grows (past 64 keys) inside a dict whose keys are being
     * predicted: the outer keys after it are still found, and shared. */
    char big[4096];
    size_t n = 0;
    n += (size_t)snprintf(big + n, sizeof big - n, "[");
    for (int d = 0; d < 3; d++) {
        n += (size_t)snprintf(big + n, sizeof big - n, "%s{\"p\":%d,\"a\":{", d ? "," : "", d);
        for (int i = 0; i < 100; i++)
            n += (size_t)snprintf(big + n, sizeof big - n, "%s\"k%d\":%d", i ? "," : "", i, d * 1000 + i);
        n += (size_t)snprintf(big + n, sizeof big - n, "},\"b\":%d}", d);
    }
    n += (size_t)snprintf(big + n, sizeof big - n, "]");
    acar_err err;
    acar_val *v = rd(big, n, 0, ACAR_FORMAT_JSON, &err, NULL);
    CHECK(v != NULL && acar_len(v) == 3);
    for (size_t d = 0; v && d < 3; d++) {
        acar_val *o = acar_item(v, d), *a = acar_dict_get_str(o, "a", 1);
        int64_t x;
        CHECK(acar_len(o) == 3 && acar_int_get(acar_dict_get_str(o, "b", 1), &x) && x == (int64_t)d);
        CHECK(a && acar_len(a) == 100 && acar_int_get(acar_dict_get_str(a, "k99", 3), &x) &&
              x == (int64_t)d * 1000 + 99);
        CHECK(acar_dict_key(o, 2) == acar_dict_key(acar_item(v, 0), 2));
        CHECK(a && acar_dict_key(a, 57) == acar_dict_key(acar_dict_get_str(acar_item(v, 0), "a", 1), 57));
    }
}

static void test_flags(void) {
    acar_err err;
    size_t used;
    /* STRICT: RFC 8259 */
    REPR_F("NaN", ACAR_READ_STRICT, NULL);
    REPR_F("[-Infinity]", ACAR_READ_STRICT, NULL);
    REPR_F("\"\\ud800\"", ACAR_READ_STRICT, NULL);
    REPR_F("\"\xed\xa0\x80\"", ACAR_READ_STRICT, NULL);
    REPR_F("\"\\ud83d\\ude00\"", ACAR_READ_STRICT, "'😀'");
    REPR_F("[1E400]", ACAR_READ_STRICT, "[inf]");
    acar_val *v = rd("[1, NaN]", 8, ACAR_READ_STRICT, ACAR_FORMAT_JSON, &err, NULL);
    CHECK(v == NULL && err.code == ACAR_ERR_MALFORMED && err.offset == 4);
    /* ALLOW_CONTROL: json.loads(strict=False); STRICT wins over it */
    REPR_F("\"a\x01\tb\n\"", ACAR_READ_ALLOW_CONTROL, "'a\\x01\\tb\\n'");
    REPR_F("\"a\x01\"", ACAR_READ_ALLOW_CONTROL | ACAR_READ_STRICT, NULL);
    /* trailing data */
    v = rd("[1] [2]", 7, ACAR_READ_ALLOW_TRAILING, ACAR_FORMAT_JSON, &err, &used);
    CHECK(v != NULL && used == 3);
    v = rd("  {}  ", 6, 0, ACAR_FORMAT_JSON, &err, &used);
    CHECK(v != NULL && used == 4);
    v = rd("1 x", 3, ACAR_READ_NO_TRAILING, ACAR_FORMAT_JSON, &err, NULL);
    CHECK(v == NULL && err.offset == 2);
    v = rd("\xff\xfe" "1\x00 \x00x\x00", 8, ACAR_READ_ALLOW_TRAILING, ACAR_FORMAT_JSON, &err, &used);
    CHECK(v != NULL && used == 4);
    /* BORROW: plain strings point into the input, escaped ones cannot;
     * keys too, in a document's first JSON read (later ones keep theirs) */
    static const char in[] = "[\"plain text\", \"esc\\n\", {\"key\": 1}]";
    acar_doc *fresh = acar_doc_new(NULL);
    acar_read_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.format = ACAR_FORMAT_JSON;
    ro.flags = ACAR_READ_BORROW;
    v = fresh ? acar_read(fresh, in, sizeof in - 1, &ro, &err) : NULL;
    CHECK(v != NULL);
    if (v) {
        CHECK(acar_str(acar_item(v, 0), NULL) == in + 2);
        const char *e = acar_str(acar_item(v, 1), NULL);
        CHECK(!(e >= in && e < in + sizeof in));
        CHECK(acar_str(acar_dict_key(acar_item(v, 2), 0), NULL) == in + 26);
    }
    acar_doc_reset(fresh);
    v = fresh ? acar_read(fresh, in, sizeof in - 1, &ro, &err) : NULL;
    CHECK(v != NULL);
    if (v) {
        const char *k = acar_str(acar_dict_key(acar_item(v, 2), 0), NULL);
        CHECK(acar_str(acar_item(v, 0), NULL) == in + 2);
        CHECK(!(k >= in && k < in + sizeof in) && memcmp(k, "key", 3) == 0);
    }
    acar_doc_free(fresh);
}

/* A document read into again through acar_doc_reset keeps the keys it
 * met (and the singleton strs) from its second JSON read on: the same
 * nodes, read after read, with the values of each read as a new document
 * reads them; past the bound they are let go at the next reset. */
static bool repr_is(const acar_val *v, const char *want) {
    acar_buf out = {0};
    acar_err err;
    bool same = acar_repr(v, &out, &err) == 0 && out.len == strlen(want) && memcmp(out.data, want, out.len) == 0;
    acar_buf_free(&out);
    return same;
}

static void test_kept_keys(void) {
    acar_doc *doc = acar_doc_new(NULL);
    acar_read_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.format = ACAR_FORMAT_JSON;
    acar_err err;
    static const char a[] = "[{\"id\": 1, \"name\": \"x\", \"x\": \"\"}, {\"id\": 2, \"name\": \"y\", \"x\": \"x\"}]";
    static const char b[] = "{\"name\": \"x\", \"other\": [\"id\", {\"x\": 0, \"\": 1}]}";
    static const char *want_a = "[{'id': 1, 'name': 'x', 'x': ''}, {'id': 2, 'name': 'y', 'x': 'x'}]";
    static const char *want_b = "{'name': 'x', 'other': ['id', {'x': 0, '': 1}]}";
    const acar_val *id_key = NULL;
    for (int round = 0; round < 4 && doc; round++) {
        acar_doc_reset(doc);
        acar_val *v = acar_read(doc, a, sizeof a - 1, &ro, &err);
        CHECK_MSG(v && repr_is(v, want_a), "round %d", round);
        if (!v) break;
        const acar_val *d0 = acar_item(v, 0), *d1 = acar_item(v, 1);
        /* one node per key in a read, and 'x' the same node as key and value */
        CHECK(acar_dict_key(d0, 0) == acar_dict_key(d1, 0));
        CHECK(acar_dict_key(d0, 2) == acar_dict_value(d1, 2));
        if (round >= 2) CHECK_MSG(acar_dict_key(d0, 0) == id_key, "round %d: 'id' is not the kept node", round);
        id_key = acar_dict_key(d0, 0);
        acar_doc_reset(doc);
        v = acar_read(doc, b, sizeof b - 1, &ro, &err);
        CHECK_MSG(v && repr_is(v, want_b), "round %d", round);
        if (v && round >= 1) CHECK(acar_item(acar_dict_value(v, 1), 0) != id_key); /* the value 'id': a str of its own */
    }
    /* more keys than are kept: this read's values still hold them, and
     * after the reset the next reads start over */
    size_t n = 20000, len = 0;
    char *big = malloc(n * 16 + 2);
    if (big && doc) {
        big[len++] = '{';
        for (size_t i = 0; i < n; i++) len += (size_t)sprintf(big + len, "%s\"k%zu\": %zu", i ? ", " : "", i, i);
        big[len++] = '}';
        for (int round = 0; round < 3; round++) {
            acar_doc_reset(doc);
            acar_val *v = acar_read(doc, big, len, &ro, &err);
            CHECK_MSG(v && acar_len(v) == n, "round %d", round);
            int64_t x = -1;
            CHECK(v && acar_int_get(acar_dict_get_str(v, "k19999", 6), &x) && x == 19999);
            acar_val *w = acar_read(doc, a, sizeof a - 1, &ro, &err); /* no reset: both stay */
            CHECK(w && repr_is(w, want_a));
            CHECK(v && acar_int_get(acar_dict_get_str(v, "k0", 2), &x) && x == 0);
        }
    }
    free(big);
    /* the value stack starts at the size the last read grew it to, when
     * the text is long enough to need it: long lists read again, deeper
     * than the last time, then short texts */
    size_t nl = 5000, ll = 0;
    char *list = malloc(nl * 24 + 16);
    if (list && doc) {
        ll += (size_t)sprintf(list + ll, "[[");
        for (size_t i = 0; i < nl; i++) ll += (size_t)sprintf(list + ll, "%s%zu", i ? "," : "", i);
        ll += (size_t)sprintf(list + ll, "],[");
        for (size_t i = 0; i < nl; i++) ll += (size_t)sprintf(list + ll, "%s{\"k\":[%zu]}", i ? "," : "", i);
        ll += (size_t)sprintf(list + ll, "]]");
        for (int round = 0; round < 4; round++) {
            acar_doc_reset(doc);
            size_t len_r = round == 1 ? 13 : ll; /* "[[0,1,2,3,4,5" cut: an error, then again */
            acar_val *v = acar_read(doc, list, len_r, &ro, &err);
            if (round == 1) {
                CHECK(!v && err.offset == 13);
                continue;
            }
            CHECK_MSG(v && acar_len(v) == 2 && acar_len(acar_item(v, 0)) == nl && acar_len(acar_item(v, 1)) == nl,
                      "round %d", round);
            int64_t x = -1;
            CHECK(v && acar_int_get(acar_item(acar_item(v, 0), nl - 1), &x) && x == (int64_t)nl - 1);
            CHECK(v && acar_int_get(acar_item(acar_dict_get_str(acar_item(acar_item(v, 1), nl - 1), "k", 1), 0), &x) &&
                  x == (int64_t)nl - 1);
            acar_doc_reset(doc);
            v = acar_read(doc, a, sizeof a - 1, &ro, &err);
            CHECK_MSG(v && repr_is(v, want_a), "round %d", round);
        }
    }
    free(list);
    /* keys a read passed (encoded surrogates) and a strict read refuses:
     * kept from the first reads, they must not be taken as predicted
     * keys by the strict one, first key of a depth or a later one */
    static const char *sur[] = {"{\"\xed\xa0\x80\":1}", "{\"a\":1,\"\xed\xa0\x80\":2}",
                                "[{\"b\":{\"\xed\xb0\x80x\":1}}]"};
    static const size_t sur_at[] = {2, 8, 8}; /* the surrogate's offset */
    for (size_t t = 0; t < sizeof sur / sizeof *sur && doc; t++) {
        size_t slen = strlen(sur[t]);
        for (int round = 0; round < 3; round++) {
            acar_doc_reset(doc);
            ro.flags = 0;
            CHECK_MSG(acar_read(doc, sur[t], slen, &ro, &err), "text %zu round %d", t, round);
        }
        acar_doc_reset(doc);
        ro.flags = ACAR_READ_STRICT;
        CHECK_MSG(!acar_read(doc, sur[t], slen, &ro, &err) && err.code == ACAR_ERR_MALFORMED &&
                      err.offset == sur_at[t] && strstr(err.msg, "lone surrogate"),
                  "text %zu: a strict read after kept reads took it", t);
        ro.flags = 0;
    }
    acar_doc_free(doc);
}

static void test_jsonl(void) {
    JSONL("", 0, "[]");
    JSONL("1\n2\n", 0, "[1, 2]");
    JSONL("1\n\n  \r\n2", 0, "[1, 2]");
    JSONL("1\n\n2", ACAR_READ_STRICT, NULL);
    JSONL("{\"a\": 1}\r\n[\"b\"]\r\n", 0, "[{'a': 1}, ['b']]");
    JSONL("\xef\xbb\xbf" "1\n2", 0, "[1, 2]");
    JSONL("\"a\x01\"\n", ACAR_READ_ALLOW_CONTROL, "['a\\x01']");
    acar_err err;
    const char in[] = "1\n[2,\n3]\n";
    acar_val *v = rd(in, sizeof in - 1, 0, ACAR_FORMAT_JSONL, &err, NULL);
    CHECK(v == NULL && err.code == ACAR_ERR_TRUNCATED && err.line == 2 && err.column == 4 && err.offset == 5);
    const char in2[] = "1\n2\n  x\n";
    v = rd(in2, sizeof in2 - 1, 0, ACAR_FORMAT_JSONL, &err, NULL);
    CHECK(v == NULL && err.code == ACAR_ERR_MALFORMED && err.line == 3 && err.column == 3 && err.offset == 6 &&
          strcmp(err.msg, "Expecting value") == 0);
    const char in3[] = "1\n\"\xff\"\n";
    v = rd(in3, sizeof in3 - 1, 0, ACAR_FORMAT_JSONL, &err, NULL);
    CHECK(v == NULL && err.line == 2 && err.offset == 3 && strstr(err.msg, "codec can't decode") != NULL);
}

static void test_limits(void) {
    acar_err err;
    /* ints: the 4300-digit limit as Python 3.11, and a lower one */
    size_t n = 4301;
    char *big = malloc(n + 2);
    memset(big, '7', n + 2);
    acar_val *v = rd(big, 4300, 0, ACAR_FORMAT_JSON, &err, NULL);
    CHECK(v != NULL && acar_typeof(v) == ACAR_INT);
    v = rd(big, 4301, 0, ACAR_FORMAT_JSON, &err, NULL);
    static const char want[] =
        "Exceeds the limit (4300 digits) for integer string conversion: value has 4301 digits";
    CHECK_MSG(v == NULL && err.code == ACAR_ERR_LIMIT && err.offset == 0 && strncmp(err.msg, want, sizeof want - 1) == 0,
              "%d %zu %s", err.code, err.offset, err.msg);
    big[0] = '-';
    v = rd(big, 4301, 0, ACAR_FORMAT_JSON, &err, NULL);
    CHECK(v != NULL);
    big[0] = '7';
    memcpy(big + 4000, ".5", 2); /* a float of 4000 int digits: no limit */
    v = rd(big, 4301, 0, ACAR_FORMAT_JSON, &err, NULL);
    CHECK(v != NULL && acar_typeof(v) == ACAR_FLOAT && isinf(acar_float(v)));
    free(big);

    acar_doc_opts o;
    memset(&o, 0, sizeof o);
    o.limits.max_int_digits = 20;
    o.limits.max_depth = 3;
    acar_doc *d = acar_doc_new(&o);
    acar_read_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.format = ACAR_FORMAT_JSON;
    CHECK(acar_read(d, "[[[1]]]", 7, &ro, &err) != NULL);
    CHECK(acar_read(d, "[[[[1]]]]", 9, &ro, &err) == NULL && err.code == ACAR_ERR_LIMIT && err.offset == 3);
    CHECK(acar_read(d, "[{\"a\":{\"b\":[]}}]", 16, &ro, &err) == NULL && err.code == ACAR_ERR_LIMIT);
    CHECK(acar_read(d, "123456789012345678901", 21, &ro, &err) == NULL && err.code == ACAR_ERR_LIMIT);
    CHECK(acar_read(d, "12345678901234567890", 20, &ro, &err) != NULL);
    acar_doc_free(d);

    /* 100000-deep nesting reads (no recursion); one more is refused */
    size_t depth = 100000;
    char *deep = malloc(2 * depth + 3);
    memset(deep, '[', depth + 1);
    memset(deep + depth + 1, ']', depth + 1);
    v = rd(deep + 1, 2 * depth, 0, ACAR_FORMAT_JSON, &err, NULL);
    CHECK(v != NULL);
    v = rd(deep, 2 * depth + 2, 0, ACAR_FORMAT_JSON, &err, NULL);
    CHECK(v == NULL && err.code == ACAR_ERR_LIMIT && err.offset == depth);
    free(deep);

    /* max_memory: a big input in a small doc fails cleanly */
    memset(&o, 0, sizeof o);
    o.limits.max_memory = 64 * 1024;
    d = acar_doc_new(&o);
    size_t m = 200000;
    char *arr = malloc(m);
    arr[0] = '[';
    for (size_t i = 1; i + 1 < m; i += 2) { arr[i] = '1'; arr[i + 1] = ','; }
    arr[m - 1] = ']';
    CHECK_MSG(acar_read(d, arr, m, &ro, &err) == NULL && err.code == ACAR_ERR_LIMIT, "%d %s", err.code, err.msg);
    acar_doc_free(d);
    free(arr);
}

/* Every allocation failing in turn: a clean error, never a crash or leak. */
typedef struct budget {
    long left;
    size_t held;
} budget;
static void *b_malloc(void *ctx, size_t n) {
    budget *b = ctx;
    if (b->left-- <= 0) return NULL;
    void *p = malloc(n);
    if (p) b->held += n;
    return p;
}
static void *b_realloc(void *ctx, void *p, size_t old, size_t n) {
    budget *b = ctx;
    if (b->left-- <= 0) return NULL;
    void *q = realloc(p, n);
    if (q) b->held = b->held - old + n;
    return q;
}
static void b_free(void *ctx, void *p, size_t n) {
    budget *b = ctx;
    if (p) { free(p); b->held -= n; }
}

/* in read `reads` times into a document (acar_doc_reset before each)
 * whose allocations fail from the k-th on, for k = 0, 1, ... until every
 * read succeeds: each read succeeds or fails with NOMEM, and nothing is
 * held after acar_doc_free. */
static void alloc_failure_sweep(const char *in, size_t n, int reads) {
    bool done = false;
    for (long k = 0; k < 800 && !done; k++) {
        budget b = {k, 0};
        acar_alloc al = {b_malloc, b_realloc, b_free, &b};
        acar_doc_opts o;
        memset(&o, 0, sizeof o);
        o.alloc = &al;
        acar_doc *d = acar_doc_new(&o);
        int got = 0;
        for (int round = 0; d && round < reads; round++) {
            acar_read_opts ro;
            memset(&ro, 0, sizeof ro);
            ro.format = ACAR_FORMAT_JSON;
            acar_err err;
            acar_doc_reset(d);
            acar_val *v = acar_read(d, in, n, &ro, &err);
            if (v) got++;
            else CHECK_MSG(err.code == ACAR_ERR_NOMEM, "k=%ld round %d: code %d %s", k, round, err.code, err.msg);
            if (v) CHECK(acar_len(v) == 301);
        }
        done = got == reads;
        if (done) CHECK_MSG(k > 0, "%d reads with no allocation", reads);
        acar_doc_free(d);
        CHECK_MSG(b.held == 0, "k=%ld: %zu bytes held after free", k, b.held);
    }
    CHECK_MSG(done, "%d reads never succeeded", reads);
}

static void test_alloc_failures(void) {
    /* enough values, keys, escapes and depth to need every scratch block */
    size_t cap = 64 * 1024, n = 0;
    char *in = malloc(cap);
    n += (size_t)snprintf(in + n, cap - n, "[");
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(in + n, cap - n, "{\"k%d\": [\"v\\n%d\", %d.5, 123456789012345678901234567890], \"x\": [[[[]]]]},",
                              i, i, i);
    for (int i = 0; i < 40; i++) n += (size_t)snprintf(in + n, cap - n, "[");
    n += (size_t)snprintf(in + n, cap - n, "\"%0300d\\t\"", 0);
    for (int i = 0; i < 40; i++) n += (size_t)snprintf(in + n, cap - n, "]");
    n += (size_t)snprintf(in + n, cap - n, "]");
    /* a new document read once, and one read three times (the second and
     * third reads keep their keys) */
    alloc_failure_sweep(in, n, 1);
    alloc_failure_sweep(in, n, 3);
    free(in);
}

/* The JSON reader reports its progress (at containers that open), so the
 * arena sizes the read's last chunks by what the rest of the text should
 * take: the chunk being filled when the read ends is left with little
 * unused.  Lists of 30,000 to 35,000 records of 40-50 bytes (1.3-1.6 MB of
 * text, documents of 3.4-3.9 MB); with chunks of an eighth of the text to
 * the end, the most left unused was 232 KiB; now 19 KiB. */
static void test_arena_fill(void) {
    size_t most = 0;
    for (int n = 30000; n <= 35000; n += 1000) {
        char *text = malloc((size_t)n * 64 + 16), *t = text;
        *t++ = '[';
        for (int i = 0; i < n; i++)
            t += sprintf(t, "%s{\"id\": %d, \"name\": \"n%d\", \"ok\": true}", i ? ", " : "", i * 7, i);
        *t++ = ']';
        /* no cached chunk from the tests before, which may be up to an
         * eighth bigger than asked: the sizing alone is measured */
        acar_release_memory();
        acar_doc *doc = acar_doc_new(NULL);
        acar_read_opts o = {0};
        o.format = ACAR_FORMAT_JSON;
        acar_val *v = acar_read(doc, text, (size_t)(t - text), &o, NULL);
        CHECK(v && acar_len(v) == (size_t)n);
        size_t unused = (size_t)(doc->end - doc->cur);
        if (unused > most) most = unused;
        acar_doc_free(doc);
        free(text);
    }
    CHECK_MSG(most <= 32 * 1024, "%zu bytes of a read's last chunk unused", most);
}

/* The reader build that reads (read.c, read_avx2.c): the AVX2 one where
 * the CPU has it, unless ACAR_NO_AVX2 is set, as ctest sets it for the
 * baseline runs of this test and test_json_read.py. */
static void test_reader_isa(void) {
    const char *isa = acar__json_reader_isa(), *no = getenv("ACAR_NO_AVX2");
    bool want_avx2 = false;
#if defined(ACAR_TEST_JSON_DISPATCH) && (defined(__GNUC__) || defined(__clang__))
    want_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
                __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt") &&
                !(no && *no && strcmp(no, "0") != 0);
#else
    (void)no;
#endif
    CHECK_MSG(strcmp(isa, want_avx2 ? "avx2" : "baseline") == 0, "reader build %s", isa);
    printf("JSON reader build: %s\n", isa);
}

int main(void) {
    test_reader_isa();
    D = acar_doc_new(NULL);
    test_errors();
    test_values();
    test_keys();
    test_key_prediction();
    test_flags();
    test_kept_keys();
    test_jsonl();
    test_limits();
    test_alloc_failures();
    test_arena_fill();
    acar_doc_free(D);
    return CHECK_DONE();
}
