/*
 * test_dis.c -- unit tests of the pickle disassembler (src/pickle/dis.c) and
 * of the dis columns of the opcode table (src/pickle/opcodes.c).
 *
 *   listings   pickles and the exact text CPython 3.11's pickletools.dis
 *              printed for them (pasted from `pickletools.dis(data,
 *              out=StringIO(), ...)`, the Python that made each pickle in
 *              the comment above it): protocols 0 and 4, annotate and
 *              indentlevel;
 *   errors     code, byte offset and message pinned, with the text printed
 *              before the error (also pickletools' output);
 *   limit      the listing's bound: annotate or indentlevel 2^31 - 1 stop
 *              with ACAR_ERR_LIMIT after the offset (pickletools would
 *              print 2^31 blanks);
 *   api        NULL arguments, NULL options, output appended to what the
 *              buffer holds, indentlevel -1;
 *   table      every opcode has stack effects with known letters, a
 *              description and, when it takes an argument, a shape name.
 * The differential test against pickletools on ~50,000 inputs is
 * tests/py/test_dis.py.
 */
#include "acar.h"
#include "check.h"
#include "pickle/opcodes.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int dis(const char *data, size_t len, int annotate, int indent, acar_buf *out, acar_err *err) {
    acar_dis_opts o;
    o.annotate = annotate;
    o.indentlevel = indent;
    out->len = 0;
    memset(err, 0, sizeof(*err));
    return acar_dis(data, len, &o, out, err);
}

#define DATA(lit) (lit), (sizeof(lit) - 1)

static void check_listing(const char *data, size_t len, int annotate, int indent, const char *want,
                          int line) {
    acar_buf out = {0};
    acar_err err;
    int rc = dis(data, len, annotate, indent, &out, &err);
    CHECK_MSG(rc == 0, "line %d: rc %d: %s", line, rc, err.msg);
    CHECK_MSG(out.len == strlen(want) && memcmp(out.data, want, out.len) == 0,
              "line %d: got\n%.*s\nwant\n%s", line, (int)out.len, out.data ? out.data : "", want);
    acar_buf_free(&out);
}

static void check_error(const char *data, size_t len, acar_code code, size_t offset, const char *msg,
                        const char *printed, int line) {
    acar_buf out = {0};
    acar_err err;
    int rc = dis(data, len, 0, 0, &out, &err);
    CHECK_MSG(rc == -1, "line %d: rc %d", line, rc);
    CHECK_MSG(err.code == code, "line %d: code %d, want %d (%s)", line, err.code, code, err.msg);
    CHECK_MSG(err.offset == offset, "line %d: offset %zu, want %zu", line, err.offset, offset);
    CHECK_MSG(strcmp(err.msg, msg) == 0, "line %d: message '%s', want '%s'", line, err.msg, msg);
    CHECK_MSG(out.len == strlen(printed) && (out.len == 0 || memcmp(out.data, printed, out.len) == 0),
              "line %d: printed\n%.*s\nwant\n%s", line, (int)out.len, out.data ? out.data : "", printed);
    acar_buf_free(&out);
}

static void test_listings(void) {
    /* pickle.dumps([1, (2, 'x')], 0) */
    check_listing(DATA("(lp0\nI1\na(I2\nVx\np1\ntp2\na."), 0, 0,
                  "    0: (    MARK\n"
                  "    1: l        LIST       (MARK at 0)\n"
                  "    2: p    PUT        0\n"
                  "    5: I    INT        1\n"
                  "    8: a    APPEND\n"
                  "    9: (    MARK\n"
                  "   10: I        INT        2\n"
                  "   13: V        UNICODE    'x'\n"
                  "   16: p        PUT        1\n"
                  "   19: t        TUPLE      (MARK at 9)\n"
                  "   20: p    PUT        2\n"
                  "   23: a    APPEND\n"
                  "   24: .    STOP\n"
                  "highest protocol among opcodes = 0\n",
                  __LINE__);
    /* pickle.dumps({'a': [1.5, b'\x00']}, 4) */
    check_listing(DATA("\x80\x04\x95\x19\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01" "a\x94]\x94(G?\xf8"
                       "\x00\x00\x00\x00\x00\x00" "C\x01\x00\x94" "es."),
                  0, 0,
                  "    0: \\x80 PROTO      4\n"
                  "    2: \\x95 FRAME      25\n"
                  "   11: }    EMPTY_DICT\n"
                  "   12: \\x94 MEMOIZE    (as 0)\n"
                  "   13: \\x8c SHORT_BINUNICODE 'a'\n"
                  "   16: \\x94 MEMOIZE    (as 1)\n"
                  "   17: ]    EMPTY_LIST\n"
                  "   18: \\x94 MEMOIZE    (as 2)\n"
                  "   19: (    MARK\n"
                  "   20: G        BINFLOAT   1.5\n"
                  "   29: C        SHORT_BINBYTES b'\\x00'\n"
                  "   32: \\x94     MEMOIZE    (as 3)\n"
                  "   33: e        APPENDS    (MARK at 19)\n"
                  "   34: s    SETITEM\n"
                  "   35: .    STOP\n"
                  "highest protocol among opcodes = 4\n",
                  __LINE__);
    /* pickle.dumps([1, (2, 'x')], 1) with annotate=20, indentlevel=2 */
    check_listing(DATA("]q\x00(K\x01(K\x02X\x01\x00\x00\x00xq\x01tq\x02" "e."), 20, 2,
                  "    0: ]    EMPTY_LIST      Push an empty list.\n"
                  "    1: q    BINPUT     0    Store the stack top into the memo.  The stack is not popped.\n"
                  "    3: (    MARK            Push markobject onto the stack.\n"
                  "    4: K      BININT1    1  Push a one-byte unsigned integer.\n"
                  "    6: (      MARK          Push markobject onto the stack.\n"
                  "    7: K        BININT1    2 Push a one-byte unsigned integer.\n"
                  "    9: X        BINUNICODE 'x' Push a Python Unicode string object.\n"
                  "   15: q        BINPUT     1   Store the stack top into the memo.  The stack is not popped.\n"
                  "   17: t        TUPLE      (MARK at 6) Build a tuple out of the topmost stack slice, after markobject.\n"
                  "   18: q      BINPUT     2             Store the stack top into the memo.  The stack is not popped.\n"
                  "   20: e      APPENDS    (MARK at 3)   Extend a list by a slice of stack objects.\n"
                  "   21: .    STOP                       Stop the unpickling machine.\n"
                  "highest protocol among opcodes = 1\n",
                  __LINE__);
    /* hand-made; pickletools indentlevel=0 is acar's -1 */
    check_listing(DATA("(K\x01(K\x02tt."), 0, -1,
                  "    0: (    MARK\n"
                  "    1: K    BININT1    1\n"
                  "    3: (    MARK\n"
                  "    4: K    BININT1    2\n"
                  "    6: t    TUPLE      (MARK at 3)\n"
                  "    7: t    TUPLE      (MARK at 0)\n"
                  "    8: .    STOP\n"
                  "highest protocol among opcodes = 1\n",
                  __LINE__);
    /* MEMOIZE's index is the memo's size, whatever keys PUT used */
    check_listing(DATA("\x80\x04Nq\x00\x94."), 0, 0,
                  "    0: \\x80 PROTO      4\n"
                  "    2: N    NONE\n"
                  "    3: q    BINPUT     0\n"
                  "    5: \\x94 MEMOIZE    (as 1)\n"
                  "    6: .    STOP\n"
                  "highest protocol among opcodes = 4\n",
                  __LINE__);
}

static void test_errors(void) {
    check_error(DATA(""), ACAR_ERR_TRUNCATED, 0, "pickle exhausted before seeing STOP", "", __LINE__);
    check_error(DATA("K\x01"), ACAR_ERR_TRUNCATED, 2, "pickle exhausted before seeing STOP",
                "    0: K    BININT1    1\n", __LINE__);
    check_error(DATA("K\x01\xff."), ACAR_ERR_MALFORMED, 2, "at position 2, opcode b'\\xff' unknown",
                "    0: K    BININT1    1\n", __LINE__);
    check_error(DATA("K\x01t."), ACAR_ERR_MALFORMED, 2, "no MARK exists on stack",
                "    0: K    BININT1    1\n    2: t    TUPLE      no MARK exists on stack\n", __LINE__);
    check_error(DATA("C\x05" "ab"), ACAR_ERR_TRUNCATED, 0, "expected 5 bytes in a bytes1, but only 2 remain",
                "", __LINE__);
    check_error(DATA("(2t."), ACAR_ERR_MALFORMED, 2, "list index out of range",
                "    0: (    MARK\n    1: 2        DUP\n    2: ", __LINE__);
    check_error(DATA("NN."), ACAR_ERR_MALFORMED, 2, "stack not empty after STOP: [None]",
                "    0: N    NONE\n    1: N    NONE\n    2: .    STOP\nhighest protocol among opcodes = 0\n",
                __LINE__);
    check_error(DATA("h\x05."), ACAR_ERR_MALFORMED, 0, "memo key 5 has never been stored into",
                "    0: h    BINGET     5\n", __LINE__);
    check_error(DATA("q\x00N."), ACAR_ERR_MALFORMED, 0, "stack is empty -- can't store into memo",
                "    0: q    BINPUT     0\n", __LINE__);
    check_error(DATA("K\x01" "a."), ACAR_ERR_MALFORMED, 2, "tries to pop 2 items from stack with only 1 items",
                "    0: K    BININT1    1\n    2: a    APPEND\n", __LINE__);
    check_error(DATA("I1x\n."), ACAR_ERR_MALFORMED, 0, "invalid literal for int() with base 10: b'1x'", "",
                __LINE__);
    check_error(DATA("S'\\x4'\n."), ACAR_ERR_MALFORMED, 0, "invalid \\x escape at position 0", "", __LINE__);
    check_error(DATA("\x8c\x02\xc3" "a."), ACAR_ERR_MALFORMED, 0,
                "'utf-8' codec can't decode byte 0xc3 in position 0: invalid continuation byte", "", __LINE__);
    check_error(DATA("\x8e\xff\xff\xff\xff\xff\xff\xff\xff"), ACAR_ERR_MALFORMED, 0,
                "bytes8 byte count > sys.maxsize: 18446744073709551615", "", __LINE__);
}

/* ints too long to print: the offset prefix stays printed, as pickletools
 * leaves it; and ints too long to parse */
static void test_int_limit(void) {
    size_t n = 2000;
    char *p = malloc(n + 6);
    p[0] = (char)0x8b;
    p[1] = (char)(n & 0xff);
    p[2] = (char)(n >> 8);
    p[3] = p[4] = 0;
    memset(p + 5, 1, n);
    p[5 + n] = '.';
    check_error(p, n + 6, ACAR_ERR_LIMIT, 0,
                "Exceeds the limit (4300 digits) for integer string conversion; use "
                "sys.set_int_max_str_digits() to increase the limit",
                "    0: ", __LINE__);
    free(p);
    p = malloc(4304);
    p[0] = 'I';
    memset(p + 1, '7', 4301);
    p[4302] = '\n';
    p[4303] = '.';
    check_error(p, 4304, ACAR_ERR_LIMIT, 0,
                "Exceeds the limit (4300 digits) for integer string conversion: value has 4301 digits; "
                "use sys.set_int_max_str_digits() to increase the limit",
                "", __LINE__);
    free(p);
}

/* The listing is bounded (ACAR_DEFAULT_MAX_OUTPUT): pickletools would print
 * 2^31 blanks here, acar stops with a limit error after the offset. */
static void test_output_limit(void) {
    acar_buf out = {0};
    acar_err err;
    CHECK(dis("N.", 2, 0x7fffffff, 0, &out, &err) == -1);
    CHECK(err.code == ACAR_ERR_LIMIT && err.offset == 0 && strstr(err.msg, "dis listing longer than"));
    CHECK(out.len == 7 && memcmp(out.data, "    0: ", 7) == 0);
    CHECK(dis("((t.", 4, 0, 0x7fffffff, &out, &err) == -1);
    CHECK(err.code == ACAR_ERR_LIMIT && err.offset == 1);
    CHECK(out.len == 24 && memcmp(out.data, "    0: (    MARK\n    1: ", 24) == 0);
    acar_buf_free(&out);
}

static void test_api(void) {
    acar_buf out = {0};
    acar_err err;
    CHECK(acar_dis(NULL, 5, NULL, &out, &err) == -1 && err.code == ACAR_ERR_ARG);
    CHECK(acar_dis("N.", 2, NULL, NULL, &err) == -1 && err.code == ACAR_ERR_ARG);
    CHECK(acar_dis(NULL, 0, NULL, &out, &err) == -1 && err.code == ACAR_ERR_TRUNCATED);
    CHECK(acar_dis("NN.", 3, NULL, &out, NULL) == -1);  /* err may be NULL */
    /* NULL options: pickletools' defaults; output is appended */
    acar_buf_free(&out);
    {
        acar_buf o2 = {0};
        acar_dis("(N\x85t.", 5, NULL, &o2, &err);  /* fills something first */
        size_t before = o2.len;
        CHECK(before > 0);
        CHECK(acar_dis("(K\x01t0N.", 7, NULL, &o2, &err) == 0);
        const char *want = "    0: (    MARK\n"
                           "    1: K        BININT1    1\n"
                           "    3: t        TUPLE      (MARK at 0)\n"
                           "    4: 0    POP\n"
                           "    5: N    NONE\n"
                           "    6: .    STOP\n"
                           "highest protocol among opcodes = 1\n";
        CHECK(o2.len == before + strlen(want) && memcmp(o2.data + before, want, strlen(want)) == 0);
        acar_buf_free(&o2);
    }
}

static void test_table(void) {
    int n = 0;
    for (int op = 0; op < 256; op++) {
        const acar_pickle_opinfo *info = &acar_pickle_ops[op];
        if (!info->name) continue;
        n++;
        CHECK_MSG(info->before && info->after && info->doc && info->doc[0], "opcode %s", info->name);
        for (const char *s = info->before; s && *s; s++)
            CHECK_MSG(acar_pickle_stack_name(*s) != NULL, "opcode %s before '%c'", info->name, *s);
        for (const char *s = info->after; s && *s; s++)
            CHECK_MSG(acar_pickle_stack_name(*s) != NULL && *s != ACAR_SO_STACKSLICE,
                      "opcode %s after '%c'", info->name, *s);
        /* a stack slice always sits right above its mark */
        const char *sl = strchr(info->before, ACAR_SO_STACKSLICE);
        if (sl) CHECK_MSG(sl[1] == 0 && strchr(info->before, ACAR_SO_MARK), "opcode %s", info->name);
        CHECK_MSG((info->arg == ACAR_PA_NONE) == (acar_pickle_arg_name((acar_pickle_arg)info->arg)[0] == 0),
                  "opcode %s arg name", info->name);
    }
    CHECK(n == 68);
    CHECK(strcmp(acar_pickle_stack_name(ACAR_SO_INT_OR_BOOL), "int_or_bool") == 0);
    CHECK(acar_pickle_stack_name('?') == NULL);
    CHECK(strcmp(acar_pickle_arg_name(ACAR_PA_STRINGNL_NOESCAPE_PAIR), "stringnl_noescape_pair") == 0);
}

int main(void) {
    test_listings();
    test_errors();
    test_int_limit();
    test_output_limit();
    test_api();
    test_table();
    return CHECK_DONE();
}
