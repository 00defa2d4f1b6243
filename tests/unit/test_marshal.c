/*
 * test_marshal.c -- the marshal reader and writer, case by case.
 *
 * Reading: every type code of Python 3 and Python 2 marshal, with the repr
 * CPython 3.11.7 prints for marshal.loads(data) (Python 2 data: the value
 * Python 2.7.18 loads, in Python 3 terms); errors pinned by code and by the
 * offset of the type code that failed.  Writing: values made with the
 * builder API (no marshal marks: the writer's policy of docs/marshal.md)
 * at every version, with the bytes CPython 3.11.7's marshal.dumps gives
 * where its reference counts agree with the policy (noted per case), and
 * read-then-write of CPython's bytes, which must come back unchanged.
 * Then limits, cycles, set order and failing allocations.
 */
#include "check.h"
#include "core/internal.h"
#include "marshal/marshal.h"
#include "marshal/types.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>

#define B(s) (const uint8_t *)(s), sizeof(s) - 1

static acar_doc *D;

/* ---- reading ---- */

static acar_val *read_ex(const uint8_t *data, size_t len, acar_marshal_dialect d, acar_err *err,
                         size_t *consumed) {
    acar_read_opts ro = {0};
    ro.format = ACAR_FORMAT_MARSHAL;
    acar_val *v;
    if (d == ACAR_MARSHAL_PY3) {
        v = acar_read(D, data, len, &ro, err);
    } else {
        memset(err, 0, sizeof *err);
        v = acar__marshal_read_ex(D, data, len, &ro, d, err);
    }
    if (consumed) *consumed = ro.consumed;
    return v;
}

static void check_repr(int line, const acar_val *v, const char *want) {
    acar_buf out = {0};
    acar_err err;
    int rc = acar_repr(v, &out, &err);
    int ok = rc == 0 && out.len == strlen(want) && memcmp(out.data, want, out.len) == 0;
    CHECK_MSG(ok, "line %d: repr %.*s, want %s", line, rc == 0 ? (int)out.len : 5,
              rc == 0 ? out.data : "error", want);
    acar_buf_free(&out);
}

static void rd_(int line, acar_marshal_dialect d, const uint8_t *data, size_t len, const char *want) {
    acar_err err;
    acar_val *v = read_ex(data, len, d, &err, NULL);
    CHECK_MSG(v != NULL, "line %d: read failed: code %d offset %zu: %s", line, err.code,
              err.offset, err.msg);
    if (v) check_repr(line, v, want);
}
#define RD(data, want) rd_(__LINE__, ACAR_MARSHAL_PY3, B(data), want)
#define RD2(data, want) rd_(__LINE__, ACAR_MARSHAL_PY2, B(data), want)

static void err_(int line, acar_marshal_dialect d, const uint8_t *data, size_t len, acar_code code,
                 size_t offset, const char *msg_part) {
    acar_err err;
    acar_val *v = read_ex(data, len, d, &err, NULL);
    CHECK_MSG(!v && err.code == code && err.offset == offset &&
                  (!msg_part || strstr(err.msg, msg_part)),
              "line %d: want code %d at %zu (%s), got %s code %d at %zu: %s", line, code, offset,
              msg_part ? msg_part : "", v ? "a value," : "", err.code, err.offset, err.msg);
}
#define ERR(data, code, offset, msg) err_(__LINE__, ACAR_MARSHAL_PY3, B(data), code, offset, msg)
#define ERR2(data, code, offset, msg) err_(__LINE__, ACAR_MARSHAL_PY2, B(data), code, offset, msg)

/* ---- writing ---- */

static int write_v(const acar_val *v, int version, acar_buf *out, acar_err *err) {
    acar_write_opts wo = {0};
    wo.version = version < 0 ? 0 : ACAR_VERSION(version);
    return acar_write(v, ACAR_FORMAT_MARSHAL, &wo, out, err);
}

static void wr_(int line, const acar_val *v, int version, const uint8_t *want, size_t wlen) {
    acar_buf out = {0};
    acar_err err;
    int rc = write_v(v, version, &out, &err);
    int ok = rc == 0 && out.len == wlen && memcmp(out.data, want, wlen) == 0;
    if (!ok) {
        fprintf(stderr, "line %d: version %d: ", line, version);
        if (rc) fprintf(stderr, "error %d: %s\n", err.code, err.msg);
        for (size_t i = 0; rc == 0 && i < out.len; i++) fprintf(stderr, "\\x%02x", (uint8_t)out.data[i]);
        fputc('\n', stderr);
    }
    CHECK_MSG(ok, "line %d: version %d bytes differ", line, version);
    acar_buf_free(&out);
}
#define WR(v, version, bytes) wr_(__LINE__, v, version, B(bytes))

static void wr_err_(int line, const acar_val *v, int version, acar_code code, const char *msg_part) {
    acar_buf out = {0};
    acar_err err;
    int rc = write_v(v, version, &out, &err);
    CHECK_MSG(rc < 0 && err.code == code && strstr(err.msg, msg_part),
              "line %d: want error %d (%s), got rc %d code %d: %s", line, code, msg_part, rc,
              err.code, rc ? err.msg : "");
    acar_buf_free(&out);
}
#define WR_ERR(v, version, code, msg) wr_err_(__LINE__, v, version, code, msg)

/* Read CPython's bytes, write them back at their version: the same bytes. */
static void same_(int line, const uint8_t *data, size_t len, int version) {
    acar_err err;
    acar_val *v = read_ex(data, len, ACAR_MARSHAL_PY3, &err, NULL);
    CHECK_MSG(v != NULL, "line %d: read failed: %s", line, err.msg);
    if (v) wr_(line, v, version, data, len);
}
#define SAME(data, version) same_(__LINE__, B(data), version)

static acar_val *I(int64_t x) { return acar_new_int(D, x); }
static acar_val *S(const char *s) { return acar_new_str(D, s, strlen(s)); }
static acar_val *F(double d) { return acar_new_float(D, d); }

static acar_val *LIST(int n, ...) {
    acar_val *l = acar_new_list(D);
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) acar_list_append(D, l, va_arg(ap, acar_val *));
    va_end(ap);
    return l;
}

static acar_val *TUPLE(int n, ...) {
    acar_val *items[16];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) items[i] = va_arg(ap, acar_val *);
    va_end(ap);
    return acar_new_tuple(D, items, (size_t)n);
}

static acar_val *FSET(int n, ...) {
    acar_val *items[16];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) items[i] = va_arg(ap, acar_val *);
    va_end(ap);
    return acar_new_frozenset(D, items, (size_t)n);
}

/* ==================================================================== */

static void test_read_scalars(void) {
    RD("N", "None");
    RD("T", "True");
    RD("F", "False");
    RD(".", "Ellipsis");
    RD("S", "<class 'StopIteration'>");
    RD("\xce", "None"); /* FLAG_REF on a singleton: no slot, as in CPython */
    RD("i\x01\x00\x00\x00", "1");
    RD("i\xff\xff\xff\xff", "-1");
    RD("i\x00\x00\x00\x80", "-2147483648");
    RD("\xe9\x05\x00\x00\x00", "5");
    RD("I\x00\x00\x00\x00\x00\x01\x00\x00", "1099511627776");
    RD("I\xff\xff\xff\xff\xff\xff\xff\x7f", "9223372036854775807");
    RD("I\x00\x00\x00\x00\x00\x00\x00\x80", "-9223372036854775808");
    RD("l\x00\x00\x00\x00", "0");
    RD("l\x01\x00\x00\x00\xff\x7f", "32767");
    RD("l\xff\xff\xff\xff\x05\x00", "-5");
    RD("l\x03\x00\x00\x00\x00\x00\x00\x00\x02\x00", "2147483648");
    RD("l\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10\x00", "18446744073709551616");
    RD("l\xfb\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x08\x00", "-9223372036854775808");
    RD("l\x05\x00\x00\x00\xff\x7f\xff\x7f\xff\x7f\xff\x7f\x07\x00", "9223372036854775807");
    RD("l\x09\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00",
       "1329227995784915872903807060280344576");
    RD("g\x00\x00\x00\x00\x00\x00\xf8\x3f", "1.5");
    RD("g\x00\x00\x00\x00\x00\x00\xf8\x7f", "nan");
    RD("g\x00\x00\x00\x00\x00\x00\x00\x80", "-0.0");
    RD("f\x03" "1.5", "1.5");
    RD("f\x02.5", "0.5");
    RD("f\x02" "5.", "5.0");
    RD("f\x03inF", "inf");
    RD("f\x09-Infinity", "-inf");
    RD("f\x04-nan", "nan");
    RD("f\x03" "1\x00" "2", "1.0"); /* CPython reads the text as a C string */
    RD("f\x13" "0.10000000000000001", "0.1");
    RD("x\x03" "1.5\x02-0", "(1.5-0j)");
    RD("y\x00\x00\x00\x00\x00\x00\xf8\x3f\x00\x00\x00\x00\x00\x00\x00\xc0", "(1.5-2j)");
    RD("s\x02\x00\x00\x00" "a\x00", "b'a\\x00'");
    RD("s\x00\x00\x00\x00", "b''");
    RD("u\x03\x00\x00\x00\xe2\x82\xac", "'\xe2\x82\xac'");
    RD("u\x03\x00\x00\x00\xed\xa0\x80", "'\\ud800'"); /* surrogatepass */
    RD("t\x03\x00\x00\x00" "abc", "'abc'");
    RD("a\x03\x00\x00\x00" "abc", "'abc'");
    RD("A\x03\x00\x00\x00" "abc", "'abc'");
    RD("z\x03" "abc", "'abc'");
    RD("Z\x00", "''");
    RD("z\x02\xe9" "a", "'\xc3\xa9" "a'"); /* 'a'/'z' text is Latin-1 to CPython */
    RD("\xda\x01x", "'x'");
}

static void test_read_containers(void) {
    RD(")\x00", "()");
    RD(")\x01N", "(None,)");
    RD("(\x02\x00\x00\x00TF", "(True, False)");
    RD("[\x00\x00\x00\x00", "[]");
    RD("[\x02\x00\x00\x00i\x01\x00\x00\x00z\x01" "a", "[1, 'a']");
    RD("{0", "{}");
    RD("{z\x01" "ai\x01\x00\x00\x00z\x01" "bN0", "{'a': 1, 'b': None}");
    RD("{z\x01" "ai\x01\x00\x00\x00z\x01" "ai\x02\x00\x00\x00" "0", "{'a': 2}"); /* last value wins */
    RD("{N0", "{}");            /* a NULL value ends the dict and drops the key */
    RD("{NN0", "{None: None}");
    RD("[\x02\x00\x00\x00{N0T", "[{}, True]");
    RD("<\x00\x00\x00\x00", "set()");
    RD(">\x00\x00\x00\x00", "frozenset()");
    RD("<\x02\x00\x00\x00NN", "{None}");
    RD(">\x02\x00\x00\x00i\x02\x00\x00\x00i\x01\x00\x00\x00", "frozenset({1, 2})");
    /* References: the very node comes back; containers before their items. */
    RD("[\x02\x00\x00\x00\xe9\x07\x00\x00\x00r\x00\x00\x00\x00", "[7, 7]");
    RD("\xdb\x01\x00\x00\x00r\x00\x00\x00\x00", "[[...]]");
    RD("\xa9\x01r\x00\x00\x00\x00", "((...),)"); /* CPython registers tuples first too */
    RD("\xfb\xe9\x01\x00\x00\x00r\x00\x00\x00\x00" "0", "{1: {...}}");
    RD("\xbe\x00\x00\x00\x00", "frozenset()");
    RD("[\x02\x00\x00\x00\xbe\x01\x00\x00\x00\xe9\x01\x00\x00\x00r\x01\x00\x00\x00",
       "[frozenset({1}), 1]");
    RD("[\x02\x00\x00\x00\xfa\x04r\x00\x00\x00r\x00\x00\x00\x00", "['r\\x00\\x00\\x00', 'r\\x00\\x00\\x00']");
    /* Trailing bytes are not read. */
    {
        acar_err err;
        size_t used = 0;
        acar_val *v = read_ex(B("NNN"), ACAR_MARSHAL_PY3, &err, &used);
        CHECK(v && ACAR_TYPE(v) == ACAR_NONE && used == 1);
        v = read_ex(B("[\x01\x00\x00\x00Tjunk"), ACAR_MARSHAL_PY3, &err, &used);
        CHECK(v && used == 6);
    }
}

static void test_read_errors(void) {
    ERR("", ACAR_ERR_TRUNCATED, 0, "EOF read where object expected");
    ERR("0", ACAR_ERR_MALFORMED, 0, "NULL object in marshal data for object");
    ERR("[\x01\x00\x00\x00" "0", ACAR_ERR_MALFORMED, 5, "NULL object in marshal data for list");
    ERR(")\x02N0", ACAR_ERR_MALFORMED, 3, "for tuple");
    ERR("<\x01\x00\x00\x00" "0", ACAR_ERR_MALFORMED, 5, "for set");
    ERR("?", ACAR_ERR_MALFORMED, 0, "unknown type code");
    ERR("[\x01\x00\x00\x00\x01", ACAR_ERR_MALFORMED, 5, "unknown type code 0x01");
    ERR("R\x00\x00\x00\x00", ACAR_ERR_MALFORMED, 0, "unknown type code"); /* Python 2 only */
    /* code objects (3.11 layout; tests/unit/test_pyc.c has the rest) */
    ERR("c\x00\x00\x00\x00", ACAR_ERR_TRUNCATED, 0, "too short");
    ERR("[\x01\x00\x00\x00\xe3", ACAR_ERR_TRUNCATED, 5, "too short");
    ERR(":NNN", ACAR_ERR_UNSUPPORTED, 0, "slice");
    ERR("}0", ACAR_ERR_UNSUPPORTED, 0, "frozendict");
    ERR("i\x01\x00", ACAR_ERR_TRUNCATED, 0, "marshal data too short");
    ERR("I\x01\x00\x00\x00\x00\x00\x00", ACAR_ERR_TRUNCATED, 0, "too short");
    ERR("g\x00\x00", ACAR_ERR_TRUNCATED, 0, "too short");
    ERR("y\x00\x00\x00\x00\x00\x00\xf8\x3f", ACAR_ERR_TRUNCATED, 0, "too short");
    ERR("f", ACAR_ERR_TRUNCATED, 0, "too short");
    ERR("f\x05" "abc", ACAR_ERR_TRUNCATED, 0, "too short");
    ERR("f\x00", ACAR_ERR_MALFORMED, 0, "could not convert string to float");
    ERR("f\x03 .5", ACAR_ERR_MALFORMED, 0, "could not convert");
    ERR("f\x04" "0x10", ACAR_ERR_MALFORMED, 0, "could not convert");
    ERR("x\x01" "1\x01z", ACAR_ERR_MALFORMED, 0, "could not convert");
    ERR("l\x01\x00\x00\x00\x00\x00", ACAR_ERR_MALFORMED, 0, "unnormalized long data");
    ERR("l\x01\x00\x00\x00\x00\x80", ACAR_ERR_MALFORMED, 0, "digit out of range");
    ERR("l\x00\x00\x00\x80", ACAR_ERR_MALFORMED, 0, "long size out of range");
    ERR("l\x02\x00\x00\x00\x01\x00", ACAR_ERR_TRUNCATED, 0, "too short");
    ERR("l\xff\xff\xff\x7f\x01\x00", ACAR_ERR_TRUNCATED, 0, "too short");
    ERR("s\xff\xff\xff\xff", ACAR_ERR_MALFORMED, 0, "bytes object size out of range");
    ERR("s\xff\xff\xff\x7f" "ab", ACAR_ERR_TRUNCATED, 0, "too short");
    ERR("u\x02\x00\x00\x00\xc3", ACAR_ERR_TRUNCATED, 0, "too short");
    ERR("u\x01\x00\x00\x00\xc3", ACAR_ERR_MALFORMED, 0, "can't decode byte 0xc3 in position 0");
    ERR("u\xff\xff\xff\xff", ACAR_ERR_MALFORMED, 0, "string size out of range");
    ERR("a\x05\x00\x00\x00" "abc", ACAR_ERR_TRUNCATED, 0, "too short");
    ERR("z\x05" "abc", ACAR_ERR_TRUNCATED, 0, "too short");
    ERR("z", ACAR_ERR_TRUNCATED, 0, "too short");
    /* Counts are checked against the bytes left before anything is made. */
    ERR("[\xff\xff\xff\x7fNN", ACAR_ERR_TRUNCATED, 0, "too short");
    ERR("(\xff\xff\xff\x7fNN", ACAR_ERR_TRUNCATED, 0, "too short");
    ERR("<\xff\xff\xff\x7fNN", ACAR_ERR_TRUNCATED, 0, "too short");
    ERR(")\x03NN", ACAR_ERR_TRUNCATED, 0, "too short");
    ERR("(\xff\xff\xff\xff", ACAR_ERR_MALFORMED, 0, "tuple size out of range");
    ERR("[\x00\x00\x00\x80", ACAR_ERR_MALFORMED, 0, "list size out of range");
    ERR(">\xff\xff\xff\xff", ACAR_ERR_MALFORMED, 0, "set size out of range");
    /* The items an outer container still expects count too: the inner list
     * claims 3 of the 3 bytes left, but the outer still wants one more. */
    ERR("[\x02\x00\x00\x00[\x03\x00\x00\x00NNN", ACAR_ERR_TRUNCATED, 5, "too short");
    ERR("[\x02\x00\x00\x00N", ACAR_ERR_TRUNCATED, 0, "too short");
    ERR("[\x01\x00\x00\x00{N", ACAR_ERR_TRUNCATED, 7, "EOF read where object expected");
    ERR("{N", ACAR_ERR_TRUNCATED, 2, "EOF");
    ERR("r\x00\x00\x00\x00", ACAR_ERR_MALFORMED, 0, "invalid reference");
    ERR("[\x01\x00\x00\x00r\xff\xff\xff\xff", ACAR_ERR_MALFORMED, 5, "invalid reference");
    ERR("r\x00\x00", ACAR_ERR_TRUNCATED, 0, "too short");
    /* A frozenset's slot is filled only when it is complete. */
    ERR("\xbe\x01\x00\x00\x00r\x00\x00\x00\x00", ACAR_ERR_MALFORMED, 5, "invalid reference");
    ERR("\xbc\x01\x00\x00\x00r\x00\x00\x00\x00", ACAR_ERR_MALFORMED, 5, "unhashable type: 'set'");
    ERR("{[\x00\x00\x00\x00N0", ACAR_ERR_MALFORMED, 1, "unhashable type: 'list'");
    /* CPython names the list inside the tuple key */
    ERR("{)\x01[\x00\x00\x00\x00N0", ACAR_ERR_MALFORMED, 1, "unhashable type: 'list'");
    ERR(">\x01\x00\x00\x00{0", ACAR_ERR_MALFORMED, 5, "unhashable type: 'dict'");
    /* A set item t = (t, []): unhashable, and the first unhashable item of t
     * is t itself, so naming the culprit must not walk forever (CPython
     * 3.11 crashes on it, recursing in the tuple's hash). */
    ERR("<\x01\x00\x00\x00\xa9\x02r\x00\x00\x00\x00[\x00\x00\x00\x00", ACAR_ERR_MALFORMED, 5,
        "unhashable type: 'tuple'");
    /* Python 3 reads no Python 2 codes, and the other way round. */
    ERR2("\xe9\x01\x00\x00\x00", ACAR_ERR_MALFORMED, 0, "unknown type code 0xe9");
    ERR2("z\x01" "a", ACAR_ERR_MALFORMED, 0, "unknown type code");
    ERR2(")\x00", ACAR_ERR_MALFORMED, 0, "unknown type code");
    ERR2("r\x00\x00\x00\x00", ACAR_ERR_MALFORMED, 0, "unknown type code");
    ERR2("R\x00\x00\x00\x00", ACAR_ERR_MALFORMED, 0, "string ref out of range");
    ERR2("[\x02\x00\x00\x00t\x01\x00\x00\x00" "aR\x01\x00\x00\x00", ACAR_ERR_MALFORMED, 11,
         "string ref out of range");
}

static void test_read_py2(void) {
    RD2("[\x03\x00\x00\x00t\x03\x00\x00\x00" "abcR\x00\x00\x00\x00s\x03\x00\x00\x00xyz",
        "[b'abc', b'abc', b'xyz']");
    RD2("u\x05\x00\x00\x00\xc3\xa9t\xc3\xa9", "'\xc3\xa9t\xc3\xa9'");
    RD2("I\x00\x00\x00\x00\x00\x01\x00\x00", "1099511627776");
    RD2("l\x01\x00\x00\x00\x05\x00", "5");
    RD2("f\x03" "1.5", "1.5");
    RD2("x\x01" "0\x01" "3", "3j");
    RD2("(\x02\x00\x00\x00i\x01\x00\x00\x00i\x02\x00\x00\x00", "(1, 2)");
    RD2("{t\x01\x00\x00\x00" "a[\x04\x00\x00\x00NTF.0", "{b'a': [None, True, False, Ellipsis]}");
    RD2("<\x02\x00\x00\x00i\x01\x00\x00\x00i\x02\x00\x00\x00", "{1, 2}");
    RD2(">\x01\x00\x00\x00t\x01\x00\x00\x00q", "frozenset({b'q'})");
    RD2("S", "<class 'StopIteration'>");
    /* The same node for each STRINGREF. */
    acar_err err;
    acar_val *v = read_ex(B("[\x02\x00\x00\x00t\x01\x00\x00\x00" "aR\x00\x00\x00\x00"), ACAR_MARSHAL_PY2,
                          &err, NULL);
    CHECK(v && acar_item(v, 0) == acar_item(v, 1));
    CHECK(v && (ACAR_FLAGS(acar_item(v, 0)) & ACAR_F_MINTERN));
}

static void test_marks(void) {
    acar_err err;
    /* FLAG_REF, interned, TYPE_LONG and set order marks. */
    acar_val *v = read_ex(B("[\x04\x00\x00\x00\xda\x01" "ar\x00\x00\x00\x00l\x01\x00\x00\x00\x05\x00"
                            ">\x02\x00\x00\x00i\x02\x00\x00\x00i\x01\x00\x00\x00"),
                          ACAR_MARSHAL_PY3, &err, NULL);
    CHECK(v != NULL);
    if (!v) return;
    acar_val *a = acar_item(v, 0), *b = acar_item(v, 1), *l = acar_item(v, 2), *fs = acar_item(v, 3);
    CHECK(a == b);
    CHECK(ACAR_FLAGS(a) & ACAR_F_MREF);
    CHECK(ACAR_FLAGS(a) & ACAR_F_MINTERN);
    CHECK(ACAR_FLAGS(a) & ACAR_F_ASCII);
    CHECK(!(ACAR_FLAGS(a) & ACAR_F_SOLE)); /* reached twice */
    CHECK(ACAR_FLAGS(l) & ACAR_F_MLONG);
    CHECK(ACAR_FLAGS(l) & ACAR_F_SOLE);
    CHECK(ACAR_FLAGS(fs) & ACAR_F_MORDER);
    CHECK(!(ACAR_FLAGS(v) & ACAR_F_MREF));
    /* Equal as values whatever the marks. */
    CHECK(acar_equal(l, I(5)));
    CHECK(acar_equal(a, S("a")));
    /* Written back as read: 'l' for the 5, the set in its order. */
    WR(v, 4, "[\x04\x00\x00\x00\xda\x01" "ar\x00\x00\x00\x00l\x01\x00\x00\x00\x05\x00"
             ">\x02\x00\x00\x00i\x02\x00\x00\x00i\x01\x00\x00\x00");
}

/* CPython 3.11.7's bytes, read and written back at their version. */
static void test_rewrite(void) {
    SAME("[\x02\x00\x00\x00\xe9\x01\x00\x00\x00r\x00\x00\x00\x00", 4);
    SAME(">\x02\x00\x00\x00\xda\x01" "a\xda\x01" "b", 4);
    SAME(">\x02\x00\x00\x00u\x01\x00\x00\x00" "au\x01\x00\x00\x00" "b", 2);
    SAME("\xdb\x01\x00\x00\x00r\x00\x00\x00\x00", 3);
    SAME("\xf5\x03\x00\x00\x00\xe2\x82\xac", 4);
    SAME("\xf3\x01\x00\x00\x00x", 4);
    SAME("{0", 4);
    SAME("\xec\x03\x00\x00\x00\x00\x00\x00\x00\x02\x00", 4);
    SAME("\xe9\x00\x00\x00\x80", 4);
    SAME("\xec\xfb\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x08\x00", 4);
    SAME("\xec\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10\x00", 4);
    SAME("x\x03" "1.5\x02-0", 0);
    SAME("f\x13" "0.10000000000000001", 1);
    SAME("f\x11" "10000000000000000", 1);
    SAME("f\x05" "1e+17", 1);
    SAME("f\x16" "1.0000000000000001e-05", 1);
    SAME("f\x06" "0.0001", 1);
    SAME("f\x07" "123.456", 0);
    SAME("f\x18-2.5000000000000171e-310", 0);
    SAME("f\x17" "1.7976931348623157e+308", 0);
    SAME("f\x17" "4.9406564584124654e-324", 0);
    SAME("f\x15" "1.152921504606847e+18", 0);
    SAME("f\x03" "0.5", 0);
    SAME("f\x03" "100", 0);
    SAME("f\x05" "1e+22", 0);
    SAME("f\x10" "9007199254740992", 0);
    SAME("f\x03nan", 0);
    SAME("f\x04-inf", 1);
    SAME("f\x02-0", 1);
    SAME("\xa9\x01r\x00\x00\x00\x00", 4);
    SAME("\xfb\xe9\x01\x00\x00\x00r\x00\x00\x00\x00" "0", 4);
}

static void test_write_policy(void) {
    acar_val *one = I(1);
    /* Shared node: flagged once, then REF (CPython: the same, small ints
     * being shared objects there). */
    acar_val *l = LIST(2, one, one);
    WR(l, 4, "[\x02\x00\x00\x00\xe9\x01\x00\x00\x00r\x00\x00\x00\x00");
    WR(l, 3, "[\x02\x00\x00\x00\xe9\x01\x00\x00\x00r\x00\x00\x00\x00");
    WR(l, 2, "[\x02\x00\x00\x00i\x01\x00\x00\x00i\x01\x00\x00\x00");
    /* Two equal but distinct nodes: no flags (CPython flags 1, a cached
     * object; acar flags only what occurs twice). */
    WR(LIST(2, I(1), I(1)), 4, "[\x02\x00\x00\x00i\x01\x00\x00\x00i\x01\x00\x00\x00");
    /* Versions: str forms, tuples, floats, complex. */
    acar_val *t = TUPLE(3, S("ab"), S("\xe2\x82\xac"), F(0.5));
    WR(t, 4, ")\x03z\x02" "abu\x03\x00\x00\x00\xe2\x82\xacg\x00\x00\x00\x00\x00\x00\xe0\x3f");
    WR(t, 3, "(\x03\x00\x00\x00u\x02\x00\x00\x00" "abu\x03\x00\x00\x00\xe2\x82\xacg\x00\x00\x00\x00\x00\x00\xe0\x3f");
    WR(t, 1, "(\x03\x00\x00\x00u\x02\x00\x00\x00" "abu\x03\x00\x00\x00\xe2\x82\xac" "f\x03" "0.5");
    WR(t, -1, ")\x03z\x02" "abu\x03\x00\x00\x00\xe2\x82\xacg\x00\x00\x00\x00\x00\x00\xe0\x3f");
    WR(t, 5, ")\x03z\x02" "abu\x03\x00\x00\x00\xe2\x82\xacg\x00\x00\x00\x00\x00\x00\xe0\x3f");
    WR(acar_new_complex(D, 1.5, -0.0), 0, "x\x03" "1.5\x02-0");
    WR(acar_new_complex(D, 1.5, -2.0), 2,
       "y\x00\x00\x00\x00\x00\x00\xf8\x3f\x00\x00\x00\x00\x00\x00\x00\xc0");
    /* Ints: int32 as 'i', beyond as 'l'. */
    WR(I(2147483647), 4, "i\xff\xff\xff\x7f");
    WR(I(-2147483648LL), 4, "i\x00\x00\x00\x80");
    WR(I(2147483648LL), 4, "l\x03\x00\x00\x00\x00\x00\x00\x00\x02\x00");
    WR(I(INT64_MIN), 4, "l\xfb\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x08\x00");
    WR(acar_new_int_dec(D, "18446744073709551616", 20), 4,
       "l\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10\x00");
    WR(acar_new_int_dec(D, "-1267650600228229401496703205376", 32), 4,
       "l\xf9\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04");
    /* Bytes-likes are 's', as CPython writes any buffer. */
    WR(acar_new_bytearray(D, "xy", 2), 4, "s\x02\x00\x00\x00xy");
    WR(acar_new_buffer(D, "xy", 2, 1), 4, "s\x02\x00\x00\x00xy");
    WR(acar_new_stopiteration(D), 4, "S");
    WR(acar_new_ellipsis(D), 4, ".");
    /* Dicts end with NULL. */
    acar_val *d = acar_new_dict(D);
    acar_dict_set(D, d, S("k"), acar_new_none(D));
    WR(d, 4, "{z\x01kN0");
    WR(d, 2, "{u\x01\x00\x00\x00kN0");
    /* Set order: sorted by each item's own marshal bytes, per version
     * (CPython 3.11: the same bytes here, no item being shared). */
    acar_val *fs = FSET(3, S("b"), S("a"), F(1.0));
    WR(fs, 2, ">\x03\x00\x00\x00g\x00\x00\x00\x00\x00\x00\xf0\x3fu\x01\x00\x00\x00" "au\x01\x00\x00\x00" "b");
    WR(fs, 4, ">\x03\x00\x00\x00g\x00\x00\x00\x00\x00\x00\xf0\x3fz\x01" "az\x01" "b");
    WR(fs, 1, ">\x03\x00\x00\x00" "f\x01" "1u\x01\x00\x00\x00" "au\x01\x00\x00\x00" "b");
    /* Nested frozensets: the inner one sorted first, its bytes the key. */
    acar_val *inner = FSET(2, I(3), I(2));
    acar_val *outer = FSET(2, inner, I(1));
    WR(outer, 4, ">\x02\x00\x00\x00>\x02\x00\x00\x00i\x02\x00\x00\x00i\x03\x00\x00\x00i\x01\x00\x00\x00");
    /* A shared item: flagged in the key too, so it sorts after unflagged ones. */
    acar_val *x = S("x");
    acar_val *both = LIST(2, FSET(2, x, S("y")), x);
    WR(both, 4, "[\x02\x00\x00\x00>\x02\x00\x00\x00z\x01y\xfa\x01xr\x00\x00\x00\x00");
    /* Cycles: references from version 3, refused below. */
    acar_val *cyc = acar_new_list(D);
    acar_list_append(D, cyc, cyc);
    WR(cyc, 3, "\xdb\x01\x00\x00\x00r\x00\x00\x00\x00");
    WR_ERR(cyc, 2, ACAR_ERR_TYPE, "cannot write cycles");
    WR_ERR(cyc, 0, ACAR_ERR_TYPE, "cannot write cycles");
    /* Shared below version 3: written out each time. */
    acar_val *sh = LIST(1, S("s"));
    WR(LIST(2, sh, sh), 2, "[\x02\x00\x00\x00[\x01\x00\x00\x00u\x01\x00\x00\x00s[\x01\x00\x00\x00u\x01\x00\x00\x00s");
    WR(LIST(2, sh, sh), 4, "[\x02\x00\x00\x00\xdb\x01\x00\x00\x00z\x01sr\x00\x00\x00\x00");
    /* Values marshal cannot hold. */
    WR_ERR(acar_new_global(D, "m", 1, "n", 1), 4, ACAR_ERR_TYPE, "unmarshallable object: global");
    WR_ERR(LIST(1, acar_new_persid(D, I(1))), 4, ACAR_ERR_TYPE, "unmarshallable object");
    /* Bad versions. */
    acar_buf out = {0};
    acar_err err;
    acar_write_opts wo = {0};
    wo.version = 4;
    CHECK(acar_write(I(1), ACAR_FORMAT_MARSHAL, &wo, &out, &err) < 0 && err.code == ACAR_ERR_ARG);
    wo.version = ACAR_VERSION(6);
    CHECK(acar_write(I(1), ACAR_FORMAT_MARSHAL, &wo, &out, &err) < 0 && err.code == ACAR_ERR_ARG);
    acar_buf_free(&out);
    /* Appends to what the buffer holds. */
    acar_buf pre = {0};
    acar_out po = {&pre, false, false, 0};
    acar__out_write(&po, "XY", 2);
    CHECK(write_v(I(1), 4, &pre, &err) == 0 && pre.len == 7 && memcmp(pre.data, "XYi\x01\x00\x00\x00", 7) == 0);
    acar_buf_free(&pre);
}

/* Deep nesting: as deep as max_depth reads and writes back; one more is a
 * limit error at the type code that goes too deep. */
static void test_depth(void) {
    size_t depth = 100000;
    size_t n = (depth + 1) * 5 + 1;
    uint8_t *buf = malloc(n);
    if (!buf) return;
    for (size_t i = 0; i < depth + 1; i++) memcpy(buf + 5 * i, "[\x01\x00\x00\x00", 5);
    buf[5 * (depth + 1)] = 'N';
    acar_err err;
    /* depth + 1 lists: one too many. */
    acar_val *v = read_ex(buf, n, ACAR_MARSHAL_PY3, &err, NULL);
    CHECK_MSG(!v && err.code == ACAR_ERR_LIMIT && err.offset == 5 * depth, "code %d offset %zu",
              err.code, err.offset);
    /* depth lists. */
    v = read_ex(buf + 5, n - 5, ACAR_MARSHAL_PY3, &err, NULL);
    CHECK_MSG(v != NULL, "%s", err.msg);
    if (v) {
        acar_buf out = {0};
        CHECK(write_v(v, 4, &out, &err) == 0 && out.len == n - 5 && memcmp(out.data, buf + 5, n - 5) == 0);
        acar_buf_free(&out);
        acar_write_opts wo = {0};
        wo.max_depth = 1000;
        CHECK(acar_write(v, ACAR_FORMAT_MARSHAL, &wo, &out, &err) < 0 && err.code == ACAR_ERR_LIMIT);
        acar_buf_free(&out);
    }
    free(buf);
    /* A smaller limit from the document. */
    acar_doc_opts o = {0};
    o.limits.max_depth = 2;
    acar_doc *d2 = acar_doc_new(&o);
    acar_read_opts ro = {0};
    ro.format = ACAR_FORMAT_MARSHAL;
    CHECK(acar_read(d2, B("[\x01\x00\x00\x00[\x00\x00\x00\x00"), &ro, &err) != NULL);
    CHECK(!acar_read(d2, B("[\x01\x00\x00\x00[\x01\x00\x00\x00[\x00\x00\x00\x00"), &ro, &err) &&
          err.code == ACAR_ERR_LIMIT && err.offset == 10);
    acar_doc_free(d2);
    /* max_items. */
    o.limits.max_depth = 0;
    o.limits.max_items = 2;
    d2 = acar_doc_new(&o);
    CHECK(!acar_read(d2, B("[\x03\x00\x00\x00NNN"), &ro, &err) && err.code == ACAR_ERR_LIMIT && err.offset == 0);
    CHECK(!acar_read(d2, B("{NNTTFF0"), &ro, &err) && err.code == ACAR_ERR_LIMIT);
    acar_doc_free(d2);
}

/* ---- failing allocations: the N-th allocation fails, for every N ---- */

typedef struct failer {
    long left;     /* allocations that succeed before one fails; -1: never */
    size_t held;
} failer;

static void *f_malloc(void *ctx, size_t size) {
    failer *f = ctx;
    if (f->left == 0) return NULL;
    if (f->left > 0) f->left--;
    void *p = malloc(size ? size : 1);
    if (p) f->held += size;
    return p;
}
static void *f_realloc(void *ctx, void *p, size_t old, size_t size) {
    failer *f = ctx;
    if (f->left == 0) return NULL;
    if (f->left > 0) f->left--;
    void *q = realloc(p, size ? size : 1);
    if (q) f->held = f->held - old + size;
    return q;
}
static void f_free(void *ctx, void *p, size_t size) {
    failer *f = ctx;
    if (p) f->held -= size;
    free(p);
}

static void test_oom(void) {
    /* Big enough to need scratch blocks (frames, refs) and several chunks. */
    acar_buf in = {0};
    acar_out o = {&in, false, false, 0};
    acar__out_write(&o, "[\x00\x02\x00\x00", 5); /* 512 items */
    for (int i = 0; i < 512; i++) {
        /* a flagged list holding a flagged str "ddd" */
        char item[12] = "\xdb\x01\x00\x00\x00\xfa\x03";
        item[7] = (char)('0' + i / 100);
        item[8] = (char)('0' + i / 10 % 10);
        item[9] = (char)('0' + i % 10);
        acar__out_write(&o, item, 10);
    }
    int completed = 0;
    for (long n = 0; n < 5000 && !completed; n++) {
        failer f = {n, 0};
        acar_alloc a = {f_malloc, f_realloc, f_free, &f};
        acar_doc_opts dopts = {0};
        dopts.alloc = &a;
        acar_doc *d = acar_doc_new(&dopts);
        if (!d) continue;
        acar_read_opts ro = {0};
        ro.format = ACAR_FORMAT_MARSHAL;
        acar_err err;
        acar_val *v = acar_read(d, in.data, in.len, &ro, &err);
        if (v) completed = 1;
        else CHECK_MSG(err.code == ACAR_ERR_NOMEM, "allocation %ld: code %d: %s", n, err.code, err.msg);
        acar_doc_free(d);
        CHECK_MSG(f.held == 0, "allocation %ld: %zu bytes leaked", n, f.held);
    }
    CHECK(completed);
    acar_buf_free(&in);
}

static void test_table(void) {
    /* The table names every code once, by its wire byte. */
    CHECK(strcmp(acar_marshal_types['z'].name, "SHORT_ASCII") == 0);
    CHECK(acar_marshal_types['R'].era == ACAR_ME_PY2);
    CHECK(acar_marshal_types['r'].era == ACAR_ME_PY3);
    CHECK(acar_marshal_types['<'].version == 2);
    CHECK(acar_marshal_types['!'].name == NULL);
    int named = 0;
    for (int i = 0; i < 128; i++) named += acar_marshal_types[i].name != NULL;
    CHECK(named == 32);
}

int main(void) {
    D = acar_doc_new(NULL);
    if (!D) return 1;
    test_table();
    test_read_scalars();
    test_read_containers();
    test_read_errors();
    test_read_py2();
    test_marks();
    test_rewrite();
    test_write_policy();
    test_depth();
    test_oom();
    acar_doc_free(D);
    return CHECK_DONE();
}
