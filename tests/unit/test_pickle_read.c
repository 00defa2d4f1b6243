/*
 * test_pickle_read.c -- unit tests of the pickle reader (src/pickle/read.c)
 * and of the Python 2 <-> 3 name table (src/pickle/compat.c).
 *
 *   every opcode      the pickles below (made by CPython 3.11 with the
 *                     Python in the comment above each, or by hand and
 *                     checked with pickle.loads) cover all 68 opcodes; a
 *                     walker over them checks that none is missing
 *   errors            every error the reader reports: code, byte offset
 *                     (the opcode that failed) and message, pinned
 *   allocation        the N-th allocation fails, for every N, on pickles
 *                     that use every scratch structure: NOMEM, nothing
 *                     leaked, nothing reachable
 *   limits            max_depth (marks, tuple chains, lists filled later),
 *                     max_items, max_memo, max_int_digits, max_memory
 *   hostile input     100,000-deep nesting, lengths of 2^63 and 2^64 - 1,
 *                     memo indices of 2^32 - 1 and 2^63 - 1: read or
 *                     refused, with little memory
 *   options           find_class, persistent_load, the extension registry,
 *                     out-of-band buffers, borrowing, encodings, raw
 *                     globals, fix_imports, trailing bytes
 */
#include "acar.h"
#include "check.h"
#include "pickle/compat.h"
#include "pickle/opcodes.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- an allocator that counts and fails on request ---- */

typedef struct talloc {
    size_t cur, peak;   /* bytes outstanding, and their peak */
    size_t calls;       /* malloc and realloc calls */
    size_t fail_at;     /* 1-based call to fail; 0: never */
} talloc;

static void *t_malloc(void *ctx, size_t n) {
    talloc *a = ctx;
    if (++a->calls == a->fail_at) return NULL;
    void *p = malloc(n ? n : 1);
    if (p) {
        a->cur += n;
        if (a->cur > a->peak) a->peak = a->cur;
    }
    return p;
}

static void *t_realloc(void *ctx, void *p, size_t old, size_t n) {
    talloc *a = ctx;
    if (++a->calls == a->fail_at) return NULL;
    void *q = realloc(p, n ? n : 1);
    if (q) {
        a->cur = a->cur - old + n;
        if (a->cur > a->peak) a->peak = a->cur;
    }
    return q;
}

static void t_free(void *ctx, void *p, size_t n) {
    talloc *a = ctx;
    if (p) a->cur -= n;
    free(p);
}

static acar_doc *new_doc(talloc *a, const acar_limits *limits) {
    acar_alloc al = {t_malloc, t_realloc, t_free, a};
    acar_doc_opts o;
    memset(&o, 0, sizeof o);
    o.alloc = &al;
    if (limits) o.limits = *limits;
    return acar_doc_new(&o);
}

/* ---- reading and printing ---- */

static acar_val *rd(acar_doc *doc, const void *data, size_t len, acar_read_opts *o, acar_err *e) {
    acar_read_opts zero;
    if (!o) {
        memset(&zero, 0, sizeof zero);
        o = &zero;
    }
    o->format = ACAR_FORMAT_PICKLE;
    return acar_read(doc, data, len, o, e);
}

/* A string literal and its length without the terminator. */
#define LIT(s) s, sizeof s - 1

/* repr of v as a C string (valid until the next call). */
static const char *show(const acar_val *v) {
    static char text[8192];
    acar_buf b = {0};
    acar_err e;
    if (!v) return "(null)";
    if (acar_repr(v, &b, &e) < 0) snprintf(text, sizeof text, "(repr failed: %s)", e.msg);
    else snprintf(text, sizeof text, "%.*s", (int)b.len, b.data);
    acar_buf_free(&b);
    return text;
}

/* ---- callbacks ---- */

/* The extension registry of the tests: 1 -> copy_reg._reconstructor (a
 * Python 2 name, mapped by fix_imports), others -> mod.n<code>; 99 unknown. */
static int ext_registry(void *ctx, int32_t code, const char **module, size_t *mlen,
                        const char **name, size_t *nlen) {
    static char names[8][24];
    static int next;
    (void)ctx;
    if (code == 99) return -1;
    if (code == 1) {
        *module = "copy_reg";
        *name = "_reconstructor";
    } else {
        char *n = names[next++ % 8];
        snprintf(n, sizeof names[0], "n%ld", (long)code);
        *module = "mod";
        *name = n;
    }
    *mlen = strlen(*module);
    *nlen = strlen(*name);
    return 0;
}

typedef struct fc_ctx {
    int calls;
    char seen[256];     /* the last module.name offered */
} fc_ctx;

/* find_class: refuses bad.*, maps m.to_set to builtins.set, keeps the rest. */
static int find_class(void *ctx, const char **module, size_t *mlen, const char **name, size_t *nlen) {
    fc_ctx *c = ctx;
    c->calls++;
    snprintf(c->seen, sizeof c->seen, "%.*s.%.*s", (int)*mlen, *module, (int)*nlen, *name);
    if (*mlen == 3 && memcmp(*module, "bad", 3) == 0) return -1;
    if (*mlen == 1 && **module == 'm' && *nlen == 6 && memcmp(*name, "to_set", 6) == 0) {
        *module = "builtins";
        *mlen = 8;
        *name = "set";
        *nlen = 3;
        return 1;
    }
    return 0;
}

/* persistent_load: "no" fails, anything else becomes the str "<pid repr>!". */
static acar_val *pload(void *ctx, acar_doc *doc, acar_val *pid) {
    char text[64];
    (void)ctx;
    size_t n;
    const char *s = acar_str(pid, &n);
    if (s && n == 2 && memcmp(s, "no", 2) == 0) return NULL;
    snprintf(text, sizeof text, "%.60s!", show(pid)); /* the test pids are short */
    return acar_new_str(doc, text, strlen(text));
}

/* ====================================================================
 * Every opcode
 * ================================================================== */

typedef struct okcase {
    const char *data;
    size_t len;
    const char *repr;
    const char *setup;  /* "", "latin1", "ext", "buffers" */
} okcase;

static const okcase ok_cases[] = {
    /* pickle.dumps(None, 0) */
    {"N.", 2,
     "None", ""},
    /* pickle.dumps([True, False], 2) */
    {"\x80\x02]q\x00(\x88\x89" "e.", 10,
     "[True, False]", ""},
    /* pickle.dumps([0, 255, 256, 65535, 65536, -1, 2**31 - 1], 2) */
    {"\x80\x02]q\x00(K\x00K\xffM\x00\x01M\xff\xffJ\x00\x00\x01\x00J\xff\xff\xff\xffJ\xff\xff\xff"
        "\x7f" "e.", 33,
     "[0, 255, 256, 65535, 65536, -1, 2147483647]", ""},
    /* pickle.dumps([2**63, -2**100], 2) */
    {"\x80\x02]q\x00(\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00\x8a\x0d\x00\x00\x00\x00\x00\x00"
        "\x00\x00\x00\x00\x00\x00\xf0" "e.", 34,
     "[9223372036854775808, -1267650600228229401496703205376]", ""},
    /* pickle.dumps(2**2100 - 1, 2) */
    {"\x80\x02\x8b\x07\x01\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
        "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
        "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
        "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
        "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
        "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
        "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
        "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
        "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
        "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
        "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
        "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
        "\xff\xff\xff\xff\xff\x0f.", 271,
     "145542856500486309361890238449330649728809442059217056345945587654749356876225241259209611218744456911185381599558875746375475103914048669297745718921773427823433158419120765536610198213840157598554853892256499754024901966411683189991501042476088459679727981986945418043202748661248211748339825091903351744676279304293991165443043691726770700206972879550908196640425338921571293316568559870845121133328067132170701239967995835212682384168881471395081720829376174989450825971966494657064899340276140769794081777796371143547287807483740385375334659668424882133140661394443058747655483603144141890006567217223554270198636103730385125375", ""},
    /* pickle.dumps([1, True, 2**70, -5], 0) */
    {"(lp0\x0aI1\x0a" "aI01\x0a" "aL1180591620717411303424L\x0a" "aI-5\x0a" "a.", 46,
     "[1, True, 1180591620717411303424, -5]", ""},
    /* pickle.dumps([1.5, -0.0, 1e300], 0) */
    {"(lp0\x0a" "F1.5\x0a" "aF-0.0\x0a" "aF1e+300\x0a" "a.", 28,
     "[1.5, -0.0, 1e+300]", ""},
    /* pickle.dumps([1.5, -0.0, float('inf')], 1) */
    {"]q\x00(G\x3f\xf8\x00\x00\x00\x00\x00\x00G\x80\x00\x00\x00\x00\x00\x00\x00G\x7f\xf0\x00\x00"
        "\x00\x00\x00\x00" "e.", 33,
     "[1.5, -0.0, inf]", ""},
    /* Python 2.7: cPickle.dumps('ab\xff', 0), read with encoding=latin1 */
    {"S'ab\x5cxff'\x0ap1\x0a.", 14,
     "'ab\xc3\xbf'", "latin1"},
    /* Python 2.7: cPickle.dumps(['ab', 'x' * 300], 1) */
    {"]q\x01(U\x02" "abq\x02T,\x01\x00\x00xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxq\x03" "e.", 319,
     "['ab', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx']", ""},
    /* pickle.dumps([b'abc', b'x' * 300], 3) */
    {"\x80\x03]q\x00(C\x03" "abcq\x01" "B,\x01\x00\x00xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxq\x02" "e.", 322,
     "[b'abc', b'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx']", ""},
    /* handcrafted BINBYTES8 b'ab' (CPython writes it only past 4 GiB) */
    {"\x80\x04\x8e\x02\x00\x00\x00\x00\x00\x00\x00" "ab.", 14,
     "b'ab'", ""},
    /* pickle.dumps(bytearray(b'ab'), 5) */
    {"\x80\x05\x95\x0d\x00\x00\x00\x00\x00\x00\x00\x96\x02\x00\x00\x00\x00\x00\x00\x00" "ab\x94.", 24,
     "bytearray(b'ab')", ""},
    /* pickle.dumps(['\xe9\u20ac\n\\', '\ud800'], 0) */
    {"(lp0\x0aV\xe9\x5cu20ac\x5cu000a\x5cu005c\x0ap1\x0a" "aV\x5cud800\x0ap2\x0a" "a.", 43,
     "['é€\\n\\\\', '\\ud800']", ""},
    /* pickle.dumps(['ab', '\u20ac'], 4) (SHORT_BINUNICODE) */
    {"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x02" "ab\x94\x8c\x03\xe2\x82\xac\x94" "e.", 27,
     "['ab', '€']", ""},
    /* pickle.dumps('ab', 2) (BINUNICODE) */
    {"\x80\x02X\x02\x00\x00\x00" "abq\x00.", 12,
     "'ab'", ""},
    /* handcrafted BINUNICODE8 'ab' */
    {"\x80\x04\x8d\x02\x00\x00\x00\x00\x00\x00\x00" "ab.", 14,
     "'ab'", ""},
    /* pickle.dumps(((), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)), 2) */
    {"\x80\x02()K\x01\x85q\x00K\x01K\x02\x86q\x01K\x01K\x02K\x03\x87q\x02(K\x01K\x02K\x03K\x04tq"
        "\x03tq\x04.", 41,
     "((), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4))", ""},
    /* pickle.dumps(([1, 2], {'a': 1}), 0) (LIST, APPEND, DICT, SETITEM, TUPLE) */
    {"((lp0\x0aI1\x0a" "aI2\x0a" "a(dp1\x0aVa\x0ap2\x0aI1\x0astp3\x0a.", 34,
     "([1, 2], {'a': 1})", ""},
    /* pickle.dumps({'a': 1, 'b': [2, 3]}, 2) (EMPTY_DICT, SETITEMS, APPENDS) */
    {"\x80\x02}q\x00(X\x01\x00\x00\x00" "aq\x01K\x01X\x01\x00\x00\x00" "bq\x02]q\x03(K\x02K\x03" "eu.", 35,
     "{'a': 1, 'b': [2, 3]}", ""},
    /* pickle.dumps(({1, 2}, frozenset({3})), 4) (EMPTY_SET, ADDITEMS, FROZENSET) */
    {"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8f\x94(K\x01K\x02\x90(K\x03\x91\x94\x86\x94.", 27,
     "({1, 2}, frozenset({3}))", ""},
    /* handcrafted POP: K1 K2 POP */
    {"K\x01K\x02" "0.", 6,
     "1", ""},
    /* handcrafted DUP: K1 DUP TUPLE2 */
    {"K\x01" "2\x86.", 5,
     "(1, 1)", ""},
    /* handcrafted POP_MARK: K1 MARK K2 K3 POP_MARK */
    {"K\x01(K\x02K\x03" "1.", 9,
     "1", ""},
    /* l = []; pickle.dumps([l, l], 0) (PUT, GET) */
    {"(lp0\x0a(lp1\x0a" "ag1\x0a" "a.", 16,
     "[[], []]", ""},
    /* l = []; pickle.dumps([l, l], 1) (BINPUT, BINGET) */
    {"]q\x00(]q\x01h\x01" "e.", 11,
     "[[], []]", ""},
    /* handcrafted LONG_BINPUT/LONG_BINGET 65536 */
    {"K\x01r\x00\x00\x01\x00j\x00\x00\x01\x00\x86.", 14,
     "(1, 1)", ""},
    /* l = []; pickle.dumps([l, l], 4) (MEMOIZE, FRAME) */
    {"\x80\x04\x95\x09\x00\x00\x00\x00\x00\x00\x00]\x94(]\x94h\x01" "e.", 20,
     "[[], []]", ""},
    /* pickle.dumps(collections.OrderedDict, 0) (GLOBAL) */
    {"ccollections\x0aOrderedDict\x0ap0\x0a.", 29,
     "collections.OrderedDict", ""},
    /* pickle.dumps(collections.OrderedDict, 4) (STACK_GLOBAL) */
    {"\x80\x04\x95\x1f\x00\x00\x00\x00\x00\x00\x00\x8c\x0b" "collections\x94\x8c\x0bOrderedDict\x94"
        "\x93\x94.", 42,
     "collections.OrderedDict", ""},
    /* pickle.dumps(collections.OrderedDict([('a', 1)]), 2) (REDUCE, SETITEMS on the object) */
    {"\x80\x02" "ccollections\x0aOrderedDict\x0aq\x00)Rq\x01X\x01\x00\x00\x00" "aq\x02K\x01s.", 45,
     "collections.OrderedDict().update({'a': 1})", ""},
    /* class C: x = 1 per instance; pickle.dumps(C(), 2) (NEWOBJ, BUILD) */
    {"\x80\x02" "c__main__\x0a" "C\x0aq\x00)\x81q\x01}q\x02X\x01\x00\x00\x00xq\x03K\x01sb.", 36,
     "__main__.C().__setstate__({'x': 1})", ""},
    /* Python 2.7, old-style class O with o.x = 1: cPickle.dumps(o, 0) (INST) */
    {"(i__main__\x0aO\x0ap1\x0a(dp2\x0aS'x'\x0ap3\x0aI1\x0asb.", 35,
     "__main__.O().__setstate__({'x': 1})", ""},
    /* Python 2.7, old-style class O with o.x = 1: cPickle.dumps(o, 1) (OBJ) */
    {"(c__main__\x0aO\x0aq\x01oq\x02}q\x03U\x01xK\x01sb.", 29,
     "__main__.O().__setstate__({'x': 1})", ""},
    /* class NX with __getnewargs_ex__ -> ((a,), {'k': 2}); pickle.dumps(NX(5), 4) (NEWOBJ_EX) */
    {"\x80\x04\x95,\x00\x00\x00\x00\x00\x00\x00\x8c\x08__main__\x94\x8c\x02NX\x94\x93\x94K\x05"
        "\x85\x94}\x94\x8c\x01k\x94K\x02s\x92\x94}\x94\x8c\x01" "a\x94K\x05sb.", 55,
     "__main__.NX(5, k=2).__setstate__({'a': 5})", ""},
    /* persistent_id 'PID' -> 'key': Pickler(f, 0).dump(['PID']) (PERSID) */
    {"(lp0\x0aPkey\x0a" "a.", 12,
     "[persistent_load('key')]", ""},
    /* persistent_id 'PID' -> 'key': Pickler(f, 1).dump(['PID']) (BINPERSID) */
    {"]q\x00X\x03\x00\x00\x00keyq\x01Qa.", 16,
     "[persistent_load('key')]", ""},
    /* handcrafted EXT1 1, EXT2 0x1234, EXT4 0x12345678 with the test's registry */
    {"\x80\x02\x82\x01\x83" "4\x12\x84xV4\x12\x87.", 14,
     "(copyreg._reconstructor, mod.n4660, mod.n305419896)", "ext"},
    /* pickle.dumps(PickleBuffer(bytearray(b'xy')), 5, buffer_callback=lambda b: False) with PickleBuffer(b'ro') (NEXT_BUFFER, READONLY_BUFFER) */
    {"\x80\x05\x95\x04\x00\x00\x00\x00\x00\x00\x00\x97\x97\x98\x86.", 16,
     "(PickleBuffer(bytearray(b'xy')), PickleBuffer(b'ro'))", "buffers"},
};

/* Marks the opcodes of a pickle, following argument shapes from the table. */
static void walk_opcodes(const uint8_t *p, size_t len, int seen[256]) {
    size_t i = 0;
    while (i < len) {
        uint8_t op = p[i++];
        const acar_pickle_opinfo *info = &acar_pickle_ops[op];
        CHECK_MSG(info->name != NULL, "unknown opcode 0x%02x at %zu", op, i - 1);
        if (!info->name) return;
        seen[op] = 1;
        if (op == ACAR_OP_STOP) return;
        size_t n = 0, w = 0;
        switch ((acar_pickle_arg)info->arg) {
        case ACAR_PA_NONE: break;
        case ACAR_PA_UINT1: n = 1; break;
        case ACAR_PA_UINT2: n = 2; break;
        case ACAR_PA_INT4: case ACAR_PA_UINT4: n = 4; break;
        case ACAR_PA_UINT8: case ACAR_PA_FLOAT8: n = 8; break;
        case ACAR_PA_LONG1: case ACAR_PA_STRING1: case ACAR_PA_BYTES1: case ACAR_PA_UNICODESTRING1: w = 1; break;
        case ACAR_PA_LONG4: case ACAR_PA_STRING4: case ACAR_PA_BYTES4: case ACAR_PA_UNICODESTRING4: w = 4; break;
        case ACAR_PA_BYTES8: case ACAR_PA_BYTEARRAY8: case ACAR_PA_UNICODESTRING8: w = 8; break;
        case ACAR_PA_STRINGNL_NOESCAPE_PAIR:
            while (i < len && p[i] != '\n') i++;
            i++;
            /* fall through */
        default: /* one line */
            while (i < len && p[i] != '\n') i++;
            i++;
            break;
        }
        if (w) {
            size_t k = 0;
            for (size_t b = 0; b < w && i + b < len; b++) k |= (size_t)p[i + b] << (8 * b);
            n = w + k;
        }
        if (op == ACAR_OP_FRAME) n = 8; /* the frame's bytes are opcodes */
        i += n;
    }
}

static void test_opcodes(void) {
    int seen[256] = {0};
    static const acar_bytes bufs[2] = {{"xy", 2}, {"ro", 2}};
    for (size_t i = 0; i < sizeof ok_cases / sizeof *ok_cases; i++) {
        const okcase *c = &ok_cases[i];
        acar_doc *doc = acar_doc_new(NULL);
        acar_read_opts o;
        acar_err e;
        memset(&o, 0, sizeof o);
        if (!strcmp(c->setup, "latin1")) o.encoding = ACAR_ENC_LATIN1;
        if (!strcmp(c->setup, "ext")) o.ext = ext_registry;
        if (!strcmp(c->setup, "buffers")) {
            o.buffers = bufs;
            o.nbuffers = 2;
        }
        acar_val *v = rd(doc, c->data, c->len, &o, &e);
        CHECK_MSG(v != NULL, "case %zu: %s at %zu", i, v ? "" : e.msg, v ? 0 : e.offset);
        if (v) CHECK_MSG(!strcmp(show(v), c->repr), "case %zu: got %s, want %s", i, show(v), c->repr);
        CHECK_MSG(o.consumed == c->len, "case %zu: consumed %zu of %zu", i, o.consumed, c->len);
        CHECK(!v || acar_doc_root(doc) == v);
        walk_opcodes((const uint8_t *)c->data, c->len, seen);
        acar_doc_free(doc);
    }
    int ops = 0;
    for (int op = 0; op < 256; op++) {
        if (!acar_pickle_ops[op].name) continue;
        ops++;
        CHECK_MSG(seen[op], "opcode %s is not covered", acar_pickle_ops[op].name);
    }
    CHECK(ops == 68);
}

/* ====================================================================
 * Errors: code, offset of the opcode that failed, message
 * ================================================================== */

typedef struct errcase {
    const char *data;
    size_t len;
    const char *setup;  /* see setup_opts */
    acar_code code;
    size_t offset;
    const char *msg;    /* the message starts with this */
} errcase;

static const acar_bytes one_buffer[1] = {{"x", 1}};
static fc_ctx the_fc;

/* Options and limits for a named setup of the error and limit tables. */
static void setup_opts(const char *setup, acar_read_opts *o, acar_limits *lim) {
    memset(o, 0, sizeof *o);
    memset(lim, 0, sizeof *lim);
    if (!strcmp(setup, "utf8")) o->encoding = ACAR_ENC_UTF8;
    if (!strcmp(setup, "notrailing")) o->flags = ACAR_READ_NO_TRAILING;
    if (!strcmp(setup, "buffers1")) {
        o->buffers = one_buffer;
        o->nbuffers = 1;
    }
    if (!strcmp(setup, "ext")) o->ext = ext_registry;
    if (!strcmp(setup, "findclass")) {
        o->find_class = find_class;
        o->ctx = &the_fc;
    }
    if (!strcmp(setup, "pload")) o->persistent_load = pload;
    if (!strcmp(setup, "depth10")) lim->max_depth = 10;
    if (!strcmp(setup, "items5")) lim->max_items = 5;
    if (!strcmp(setup, "memo3")) lim->max_memo = 3;
    if (!strcmp(setup, "digits640")) lim->max_int_digits = 640;
    if (!strcmp(setup, "mem64k")) {
        lim->max_memory = 65536;
        lim->max_input = (size_t)1 << 30; /* by default it would be max_memory */
    }
}

/* Reads data expecting an error; checks code, offset and message, that
 * nothing is left as the root and that no scratch memory is held. */
static void expect_error(const char *what, const void *data, size_t len, const char *setup, acar_code code,
                         size_t offset, const char *msg) {
    talloc a = {0};
    acar_read_opts o;
    acar_limits lim;
    acar_err e;
    setup_opts(setup, &o, &lim);
    acar_doc *doc = new_doc(&a, &lim);
    CHECK(doc != NULL);
    if (!doc) return;
    size_t before = a.cur;
    acar_val *v = rd(doc, data, len, &o, &e);
    CHECK_MSG(v == NULL, "%s: accepted", what);
    if (!v) {
        CHECK_MSG(e.code == code, "%s: code %d (%s), want %d", what, (int)e.code, e.msg, (int)code);
        CHECK_MSG(e.offset == offset, "%s: offset %zu, want %zu", what, e.offset, offset);
        CHECK_MSG(!strncmp(e.msg, msg, strlen(msg)), "%s: message \"%s\", want \"%s\"", what, e.msg, msg);
    }
    CHECK_MSG(acar_doc_root(doc) == NULL, "%s: a root was set", what);
    /* The arena may keep what the failed read took; the scratch must be back. */
    CHECK_MSG(a.cur >= before, "%s: memory accounting", what);
    acar_doc_free(doc);
    CHECK_MSG(a.cur == 0, "%s: %zu bytes leaked", what, a.cur);
}

static const errcase err_cases[] = {
    /* empty input.  CPython: EOFError: Ran out of input */
    {"", 0, "", ACAR_ERR_TRUNCATED, 0, "Ran out of input"},
    /* no STOP.  CPython: EOFError: Ran out of input */
    {"N", 1, "", ACAR_ERR_TRUNCATED, 1, "Ran out of input"},
    /* BININT1 without its byte.  CPython: UnpicklingError: pickle data was truncated */
    {"K", 1, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* BININT2 short.  CPython: UnpicklingError: pickle data was truncated */
    {"M\x01", 2, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* BININT short.  CPython: UnpicklingError: pickle data was truncated */
    {"J\x01\x02\x03", 4, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* BINFLOAT short.  CPython: UnpicklingError: pickle data was truncated */
    {"G\x00\x00", 3, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* LONG1 without count.  CPython: UnpicklingError: pickle data was truncated */
    {"\x8a", 1, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* LONG1 short.  CPython: UnpicklingError: pickle data was truncated */
    {"\x8a\x02\x01", 3, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* LONG4 short.  CPython: UnpicklingError: pickle data was truncated */
    {"\x8b\x05\x00\x00\x00" "ab", 7, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* LONG4 declaring 2 GiB.  CPython: UnpicklingError: pickle data was truncated */
    {"\x8b\xff\xff\xff\x7f", 5, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* BINUNICODE short.  CPython: UnpicklingError: pickle data was truncated */
    {"X\x05\x00\x00\x00" "ab", 7, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* BINUNICODE count short.  CPython: UnpicklingError: pickle data was truncated */
    {"X\x05\x00", 3, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* SHORT_BINUNICODE short.  CPython: UnpicklingError: pickle data was truncated */
    {"\x8c\x03" "ab", 4, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* BINUNICODE8 declaring 2^63.  CPython: OverflowError: BINUNICODE exceeds system's maximum size of 9223372036854775807 bytes */
    {"\x8d\x00\x00\x00\x00\x00\x00\x00\x80", 9, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* BINBYTES8 declaring 2^63.  CPython: OverflowError: BINBYTES exceeds system's maximum size of 9223372036854775807 bytes */
    {"\x8e\x00\x00\x00\x00\x00\x00\x00\x80", 9, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* BINBYTES8 declaring 2^64 - 1.  CPython: OverflowError: BINBYTES exceeds system's maximum size of 9223372036854775807 bytes */
    {"\x8e\xff\xff\xff\xff\xff\xff\xff\xff" "ab.", 12, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* BYTEARRAY8 declaring 2^62.  CPython: MemoryError:  */
    {"\x96\x00\x00\x00\x00\x00\x00\x00@.", 10, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* BINBYTES declaring 4 GiB.  CPython: UnpicklingError: pickle data was truncated */
    {"B\xff\xff\xff\xff.", 6, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* SHORT_BINBYTES short.  CPython: UnpicklingError: pickle data was truncated */
    {"C\x02" "a", 3, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* BINSTRING declaring 4 GiB.  CPython: UnpicklingError: pickle data was truncated */
    {"T\xff\xff\xff\xff.", 6, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* SHORT_BINSTRING short.  CPython: UnpicklingError: pickle data was truncated */
    {"U\x02" "a", 3, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* FRAME declaring 2^63.  CPython: OverflowError: FRAME length exceeds system's maximum of 9223372036854775807 bytes */
    {"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x80N.", 13, "", ACAR_ERR_TRUNCATED, 2, "pickle data was truncated"},
    /* FRAME longer than the input.  CPython: UnpicklingError: pickle data was truncated */
    {"\x80\x04\x95" "d\x00\x00\x00\x00\x00\x00\x00N.", 13, "", ACAR_ERR_TRUNCATED, 2, "pickle data was truncated"},
    /* FRAME count short.  CPython: UnpicklingError: pickle data was truncated */
    {"\x80\x04\x95\x01\x00", 5, "", ACAR_ERR_TRUNCATED, 2, "pickle data was truncated"},
    /* PROTO without its byte.  CPython: UnpicklingError: pickle data was truncated */
    {"\x80", 1, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* BINPUT without index.  CPython: UnpicklingError: pickle data was truncated */
    {"Nq", 2, "", ACAR_ERR_TRUNCATED, 1, "pickle data was truncated"},
    /* LONG_BINPUT short.  CPython: UnpicklingError: pickle data was truncated */
    {"Nr\x01\x00", 4, "", ACAR_ERR_TRUNCATED, 1, "pickle data was truncated"},
    /* BINGET without index.  CPython: UnpicklingError: pickle data was truncated */
    {"h", 1, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* LONG_BINGET short.  CPython: UnpicklingError: pickle data was truncated */
    {"j\x01\x00\x00", 4, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* EXT1 short.  CPython: UnpicklingError: pickle data was truncated */
    {"\x82", 1, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* EXT2 short.  CPython: UnpicklingError: pickle data was truncated */
    {"\x83\x01", 2, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* EXT4 short.  CPython: UnpicklingError: pickle data was truncated */
    {"\x84\x01\x00\x00", 4, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* INT without newline.  CPython: UnpicklingError: pickle data was truncated */
    {"I12", 3, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* LONG without newline.  CPython: UnpicklingError: pickle data was truncated */
    {"L12", 3, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* FLOAT without newline.  CPython: UnpicklingError: pickle data was truncated */
    {"F1.5", 4, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* STRING without newline.  CPython: UnpicklingError: pickle data was truncated */
    {"S'a'", 4, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* UNICODE without newline.  CPython: UnpicklingError: pickle data was truncated */
    {"Vab", 3, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* GLOBAL without its second newline.  CPython: UnpicklingError: pickle data was truncated */
    {"cmod\x0aname", 9, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* GLOBAL without newline.  CPython: UnpicklingError: pickle data was truncated */
    {"cmod", 4, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* INST without its second newline.  CPython: UnpicklingError: pickle data was truncated */
    {"(imod\x0aname", 10, "", ACAR_ERR_TRUNCATED, 1, "pickle data was truncated"},
    /* PUT without newline.  CPython: UnpicklingError: pickle data was truncated */
    {"Np1", 3, "", ACAR_ERR_TRUNCATED, 1, "pickle data was truncated"},
    /* GET without newline.  CPython: UnpicklingError: pickle data was truncated */
    {"g1", 2, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* PERSID without newline.  CPython: UnpicklingError: A load persistent id instruction was encountered, */
    {"Pid", 3, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* GLOBAL with an empty module (CPython: truncated).  CPython: UnpicklingError: pickle data was truncated */
    {"c\x0aname\x0a.", 8, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* GLOBAL with an empty name.  CPython: UnpicklingError: pickle data was truncated */
    {"cmod\x0a\x0a.", 7, "", ACAR_ERR_TRUNCATED, 0, "pickle data was truncated"},
    /* LONG4 with a negative count.  CPython: UnpicklingError: LONG pickle has negative byte count */
    {"\x8b\xff\xff\xff\xff.", 6, "", ACAR_ERR_MALFORMED, 0, "LONG pickle has negative byte count"},
    /* INT with an empty line.  CPython: UnpicklingError: pickle data was truncated */
    {"I\x0a.", 3, "", ACAR_ERR_MALFORMED, 0, "INT argument is an empty line"},
    /* INT not an int.  CPython: ValueError: could not convert string to int */
    {"I1.5\x0a.", 6, "", ACAR_ERR_MALFORMED, 0, "could not convert string to int"},
    /* INT 08: strtol stops at 8, int() refuses the leading 0.  CPython: ValueError: could not convert string to int */
    {"I08\x0a.", 5, "", ACAR_ERR_MALFORMED, 0, "could not convert string to int"},
    /* LONG with an empty line.  CPython: UnpicklingError: pickle data was truncated */
    {"L\x0a.", 3, "", ACAR_ERR_MALFORMED, 0, "LONG argument is an empty line"},
    /* LONG 010: int(x, 0) refuses the leading 0.  CPython: ValueError: invalid literal for int() with base 0: '010\n' */
    {"L010\x0a.", 6, "", ACAR_ERR_MALFORMED, 0, "invalid literal for int(): '010'"},
    /* LONG with a double underscore.  CPython: ValueError: invalid literal for int() with base 10: '1__0' */
    {"L1__0L\x0a.", 8, "", ACAR_ERR_MALFORMED, 0, "invalid literal for int(): '1__0'"},
    /* FLOAT with an empty line.  CPython: UnpicklingError: pickle data was truncated */
    {"F\x0a.", 3, "", ACAR_ERR_MALFORMED, 0, "FLOAT argument is an empty line"},
    /* FLOAT with leading space.  CPython: ValueError: could not convert string to float: ' 1.5 */
    {"F 1.5\x0a.", 7, "", ACAR_ERR_MALFORMED, 0, "could not convert string to float: ' 1.5'"},
    /* FLOAT out of range.  CPython: OverflowError: value too large to convert to float: '1e999 */
    {"F1e999\x0a.", 8, "", ACAR_ERR_MALFORMED, 0, "value too large to convert to float: '1e999'"},
    /* STRING not quoted.  CPython: UnpicklingError: the STRING opcode argument must be quoted */
    {"S'ab\x0a.", 6, "", ACAR_ERR_MALFORMED, 0, "the STRING opcode argument must be quoted"},
    /* STRING with a trailing backslash.  CPython: ValueError: Trailing \ in string */
    {"S'a\x5c'\x0a.", 7, "", ACAR_ERR_MALFORMED, 0, "Trailing \\ in string"},
    /* STRING with a bad \x escape.  CPython: ValueError: invalid \x escape at position 0 */
    {"S'\x5cx4g'\x0a.", 9, "", ACAR_ERR_MALFORMED, 0, "invalid \\x escape at position 0"},
    /* STRING not ASCII (default encoding).  CPython: UnicodeDecodeError: 'ascii' codec can't decode byte 0xff in position 0: ordinal not in range(128) */
    {"S'\x5cxff'\x0a.", 9, "", ACAR_ERR_MALFORMED, 0, "'ascii' codec can't decode byte 0xff in position 0: ordinal "},
    /* SHORT_BINSTRING: a surrogate is not UTF-8.  CPython: UnicodeDecodeError: 'ascii' codec can't decode byte 0xed in position 0: ordinal not in range(128) */
    {"U\x03\xed\xa0\x80.", 6, "utf8", ACAR_ERR_MALFORMED, 0, "'utf-8' codec can't decode byte 0xed in position 0"},
    /* UNICODE with a short \u escape.  CPython: UnicodeDecodeError: 'rawunicodeescape' codec can't decode bytes in position 1-4: truncated \uXXXX es */
    {"Va\x5cu12\x0a.", 8, "", ACAR_ERR_MALFORMED, 0, "'rawunicodeescape' codec can't decode bytes in position 1-4:"},
    /* UNICODE past U+10FFFF.  CPython: UnicodeDecodeError: 'rawunicodeescape' codec can't decode bytes in position 0-9: \Uxxxxxxxx out of r */
    {"V\x5cU00110000\x0a.", 13, "", ACAR_ERR_MALFORMED, 0, "'rawunicodeescape' codec can't decode bytes in position 0-9:"},
    /* BINUNICODE not UTF-8.  CPython: UnicodeDecodeError: 'utf-8' codec can't decode byte 0xc3 in position 0: invalid continuation byte */
    {"X\x02\x00\x00\x00\xc3(.", 8, "", ACAR_ERR_MALFORMED, 0, "'utf-8' codec can't decode byte 0xc3 in position 0"},
    /* SHORT_BINUNICODE overlong.  CPython: UnicodeDecodeError: 'utf-8' codec can't decode byte 0xe0 in position 0: invalid continuation byte */
    {"\x8c\x03\xe0\x80\x80.", 6, "", ACAR_ERR_MALFORMED, 0, "'utf-8' codec can't decode byte 0xe0 in position 0"},
    /* GLOBAL module not UTF-8.  CPython: UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff in position 2: invalid start byte */
    {"cmo\xff" "d\x0aname\x0a.", 12, "", ACAR_ERR_MALFORMED, 0, "'utf-8' codec can't decode byte 0xff in position 2"},
    /* GLOBAL name with a surrogate.  CPython: UnicodeDecodeError: 'utf-8' codec can't decode byte 0xed in position 2: invalid continuation byte */
    {"cmod\x0ana\xed\xa0\x80me\x0a.", 14, "", ACAR_ERR_MALFORMED, 0, "'utf-8' codec can't decode byte 0xed in position 2"},
    /* INST name not ASCII.  CPython: UnicodeDecodeError: 'ascii' codec can't decode byte 0xe9 in position 1: ordinal not in range(128) */
    {"(imod\x0an\xe9\x0a.", 10, "", ACAR_ERR_MALFORMED, 1, "'ascii' codec can't decode byte 0xe9 in position 1: ordinal "},
    /* PERSID not ASCII.  CPython: UnpicklingError: A load persistent id instruction was encountered, */
    {"Pk\xe9y\x0a.", 6, "", ACAR_ERR_MALFORMED, 0, "persistent IDs in protocol 0 must be ASCII strings"},
    /* PROTO 6.  CPython: ValueError: unsupported pickle protocol: 6 */
    {"\x80\x06.", 3, "", ACAR_ERR_UNSUPPORTED, 0, "unsupported pickle protocol: 6"},
    /* unknown opcode byte.  CPython: UnpicklingError: invalid load key, '\xff'. */
    {"\xff.", 2, "", ACAR_ERR_MALFORMED, 0, "invalid load key, '\\xff'."},
    /* unknown printable opcode.  CPython: UnpicklingError: invalid load key, 'z'. */
    {"z.", 2, "", ACAR_ERR_MALFORMED, 0, "invalid load key, 'z'."},
    /* STOP on an empty stack.  CPython: UnpicklingError: unpickling stack underflow */
    {".", 1, "", ACAR_ERR_MALFORMED, 0, "unpickling stack underflow"},
    /* STOP just after MARK.  CPython: UnpicklingError: unexpected MARK found */
    {"(.", 2, "", ACAR_ERR_MALFORMED, 1, "unexpected MARK found"},
    /* POP on an empty stack.  CPython: UnpicklingError: unpickling stack underflow */
    {"0.", 2, "", ACAR_ERR_MALFORMED, 0, "unpickling stack underflow"},
    /* DUP on an empty stack.  CPython: UnpicklingError: unpickling stack underflow */
    {"2.", 2, "", ACAR_ERR_MALFORMED, 0, "unpickling stack underflow"},
    /* BUILD with one item.  CPython: UnpicklingError: unpickling stack underflow */
    {"Nb.", 3, "", ACAR_ERR_MALFORMED, 1, "unpickling stack underflow"},
    /* REDUCE with one item.  CPython: UnpicklingError: unpickling stack underflow */
    {"NR.", 3, "", ACAR_ERR_MALFORMED, 1, "unpickling stack underflow"},
    /* NEWOBJ with one item.  CPython: UnpicklingError: unpickling stack underflow */
    {"N\x81.", 3, "", ACAR_ERR_MALFORMED, 1, "unpickling stack underflow"},
    /* NEWOBJ_EX with two items.  CPython: UnpicklingError: unpickling stack underflow */
    {"NN\x92.", 4, "", ACAR_ERR_MALFORMED, 2, "unpickling stack underflow"},
    /* STACK_GLOBAL with one item.  CPython: UnpicklingError: unpickling stack underflow */
    {"\x8c\x01" "a\x93.", 5, "", ACAR_ERR_MALFORMED, 3, "unpickling stack underflow"},
    /* BINPERSID on an empty stack.  CPython: UnpicklingError: A load persistent id instruction was encountered, */
    {"Q.", 2, "", ACAR_ERR_MALFORMED, 0, "unpickling stack underflow"},
    /* APPEND with one item.  CPython: UnpicklingError: unpickling stack underflow */
    {"]a.", 3, "", ACAR_ERR_MALFORMED, 1, "unpickling stack underflow"},
    /* SETITEM with two items.  CPython: UnpicklingError: unpickling stack underflow */
    {"}Ns.", 4, "", ACAR_ERR_MALFORMED, 2, "unpickling stack underflow"},
    /* TUPLE2 with one item.  CPython: UnpicklingError: unpickling stack underflow */
    {"N\x86.", 3, "", ACAR_ERR_MALFORMED, 1, "unpickling stack underflow"},
    /* TUPLE2 across a mark.  CPython: UnpicklingError: unexpected MARK found */
    {"N(N\x86.", 5, "", ACAR_ERR_MALFORMED, 3, "unexpected MARK found"},
    /* BINPUT on an empty stack.  CPython: UnpicklingError: unpickling stack underflow */
    {"q\x00.", 3, "", ACAR_ERR_MALFORMED, 0, "unpickling stack underflow"},
    /* PUT on an empty stack.  CPython: UnpicklingError: unpickling stack underflow */
    {"p0\x0a.", 4, "", ACAR_ERR_MALFORMED, 0, "unpickling stack underflow"},
    /* MEMOIZE on an empty stack.  CPython: UnpicklingError: unpickling stack underflow */
    {"\x94.", 2, "", ACAR_ERR_MALFORMED, 0, "unpickling stack underflow"},
    /* READONLY_BUFFER on an empty stack.  CPython: UnpicklingError: unpickling stack underflow */
    {"\x98.", 2, "", ACAR_ERR_MALFORMED, 0, "unpickling stack underflow"},
    /* OBJ with nothing after the mark.  CPython: UnpicklingError: unpickling stack underflow */
    {"(o.", 3, "", ACAR_ERR_MALFORMED, 1, "unpickling stack underflow"},
    /* ADDITEMS with nothing below the mark.  CPython: UnpicklingError: unpickling stack underflow */
    {"(K\x01\x90.", 5, "", ACAR_ERR_MALFORMED, 3, "unpickling stack underflow"},
    /* APPENDS with nothing below the mark.  CPython: UnpicklingError: unpickling stack underflow */
    {"(K\x01" "e.", 5, "", ACAR_ERR_MALFORMED, 3, "unpickling stack underflow"},
    /* SETITEMS with nothing below the mark.  CPython: UnpicklingError: unpickling stack underflow */
    {"(K\x01K\x02u.", 7, "", ACAR_ERR_MALFORMED, 5, "unpickling stack underflow"},
    /* TUPLE without MARK.  CPython: UnpicklingError: could not find MARK */
    {"Nt.", 3, "", ACAR_ERR_MALFORMED, 1, "could not find MARK"},
    /* LIST without MARK.  CPython: UnpicklingError: could not find MARK */
    {"Nl.", 3, "", ACAR_ERR_MALFORMED, 1, "could not find MARK"},
    /* DICT without MARK.  CPython: UnpicklingError: could not find MARK */
    {"Nd.", 3, "", ACAR_ERR_MALFORMED, 1, "could not find MARK"},
    /* FROZENSET without MARK.  CPython: UnpicklingError: could not find MARK */
    {"N\x91.", 3, "", ACAR_ERR_MALFORMED, 1, "could not find MARK"},
    /* OBJ without MARK.  CPython: UnpicklingError: could not find MARK */
    {"No.", 3, "", ACAR_ERR_MALFORMED, 1, "could not find MARK"},
    /* APPENDS without MARK.  CPython: UnpicklingError: could not find MARK */
    {"Ne.", 3, "", ACAR_ERR_MALFORMED, 1, "could not find MARK"},
    /* SETITEMS without MARK.  CPython: UnpicklingError: could not find MARK */
    {"Nu.", 3, "", ACAR_ERR_MALFORMED, 1, "could not find MARK"},
    /* ADDITEMS without MARK.  CPython: UnpicklingError: could not find MARK */
    {"N\x90.", 3, "", ACAR_ERR_MALFORMED, 1, "could not find MARK"},
    /* POP_MARK without MARK.  CPython: UnpicklingError: could not find MARK */
    {"N1.", 3, "", ACAR_ERR_MALFORMED, 1, "could not find MARK"},
    /* INST without MARK.  CPython: UnpicklingError: could not find MARK */
    {"Nimod\x0aname\x0a.", 12, "", ACAR_ERR_MALFORMED, 1, "could not find MARK"},
    /* DICT with an odd number of items.  CPython: UnpicklingError: odd number of items for DICT */
    {"(K\x01" "d.", 5, "", ACAR_ERR_MALFORMED, 3, "odd number of items for DICT"},
    /* SETITEMS with an odd number of items.  CPython: UnpicklingError: odd number of items for SETITEMS */
    {"}(K\x01u.", 6, "", ACAR_ERR_MALFORMED, 4, "odd number of items for SETITEMS"},
    /* DICT with a list key.  CPython: TypeError: unhashable type: 'list' */
    {"(]K\x01" "d.", 6, "", ACAR_ERR_MALFORMED, 4, "unhashable type: 'list'"},
    /* SETITEMS with a list key.  CPython: TypeError: unhashable type: 'list' */
    {"}(]K\x01u.", 7, "", ACAR_ERR_MALFORMED, 5, "unhashable type: 'list'"},
    /* ADDITEMS of a list.  CPython: TypeError: unhashable type: 'list' */
    {"\x8f(]\x90.", 5, "", ACAR_ERR_MALFORMED, 3, "unhashable type: 'list'"},
    /* FROZENSET of a dict.  CPython: TypeError: unhashable type: 'dict' */
    {"(}\x91.", 4, "", ACAR_ERR_MALFORMED, 2, "unhashable type: 'dict'"},
    /* A tuple holding a list is unhashable too, and CPython names the list.
     * SETITEMS: TypeError: unhashable type: 'list' */
    {"}(]\x85K\x01u.", 8, "", ACAR_ERR_MALFORMED, 6, "unhashable type: 'list'"},
    /* SETITEM with ((list,),) as the key */
    {"}]\x85\x85K\x01s.", 8, "", ACAR_ERR_MALFORMED, 6, "unhashable type: 'list'"},
    /* FROZENSET of ((list,),) */
    {"(]\x85\x85\x91.", 6, "", ACAR_ERR_MALFORMED, 4, "unhashable type: 'list'"},
    /* BINGET of a missing entry.  CPython: UnpicklingError: Memo value not found at index 5 */
    {"h\x05.", 3, "", ACAR_ERR_MALFORMED, 0, "Memo value not found at index 5"},
    /* LONG_BINGET of a missing entry.  CPython: UnpicklingError: Memo value not found at index 4294967295 */
    {"j\xff\xff\xff\xff.", 6, "", ACAR_ERR_MALFORMED, 0, "Memo value not found at index 4294967295"},
    /* GET of a missing entry.  CPython: UnpicklingError: Memo value not found at index 7 */
    {"g7\x0a.", 4, "", ACAR_ERR_MALFORMED, 0, "Memo value not found at index 7"},
    /* GET of a negative index.  CPython: UnpicklingError: Memo value not found at index -1 */
    {"g-1\x0a.", 5, "", ACAR_ERR_MALFORMED, 0, "Memo value not found at index -1"},
    /* PUT of a negative index.  CPython: ValueError: negative PUT argument */
    {"Np-1\x0a.", 6, "", ACAR_ERR_MALFORMED, 1, "negative PUT argument"},
    /* PUT past ssize_t.  CPython: OverflowError: Python int too large to convert to C ssize_t */
    {"Np99999999999999999999\x0a.", 24, "", ACAR_ERR_MALFORMED, 1, "Python int too large to convert to C ssize_t"},
    /* PUT not decimal.  CPython: ValueError: invalid literal for int() with base 10: '0x1\n' */
    {"Np0x1\x0a.", 7, "", ACAR_ERR_MALFORMED, 1, "invalid literal for int() with base 10: '0x1'"},
    /* STACK_GLOBAL of an int.  CPython: UnpicklingError: STACK_GLOBAL requires str */
    {"K\x01\x8c\x01" "b\x93.", 7, "", ACAR_ERR_MALFORMED, 5, "STACK_GLOBAL requires str"},
    /* REDUCE of an int.  CPython: TypeError: 'int' object is not callable */
    {"K\x01)R.", 5, "", ACAR_ERR_MALFORMED, 3, "'int' object is not callable"},
    /* REDUCE with args None.  CPython: TypeError: argument list must be a tuple */
    {"cbuiltins\x0alen\x0aNR.", 17, "", ACAR_ERR_MALFORMED, 15, "argument list must be a tuple"},
    /* NEWOBJ of an int.  CPython: UnpicklingError: NEWOBJ class argument must be a type, not int */
    {"K\x01)\x81.", 5, "", ACAR_ERR_MALFORMED, 3, "NEWOBJ class argument must be a type, not int"},
    /* NEWOBJ with list args.  CPython: UnpicklingError: NEWOBJ args argument must be a tuple, not list */
    {"cbuiltins\x0aobject\x0a]\x81.", 20, "", ACAR_ERR_MALFORMED, 18, "NEWOBJ args argument must be a tuple, not list"},
    /* NEWOBJ_EX with kwargs None.  CPython: UnpicklingError: NEWOBJ_EX kwargs argument must be a dict, not NoneType */
    {"cbuiltins\x0aobject\x0a)N\x92.", 21, "", ACAR_ERR_MALFORMED, 19, "NEWOBJ_EX kwargs argument must be a dict, not NoneType"},
    /* OBJ of an int.  CPython: TypeError: 'int' object is not callable */
    {"(K\x01o.", 5, "", ACAR_ERR_MALFORMED, 3, "'int' object is not callable"},
    /* BUILD of an int state.  CPython: UnpicklingError: state is not a dictionary */
    {"]K\x01" "b.", 5, "", ACAR_ERR_MALFORMED, 3, "state is not a dictionary"},
    /* BUILD of a dict on a list.  CPython: AttributeError: 'list' object has no attribute '__dict__' */
    {"]}b.", 4, "", ACAR_ERR_MALFORMED, 2, "'list' object has no attribute '__dict__'"},
    /* BUILD with a slot state that is not a dict.  CPython: UnpicklingError: slot state is not a dictionary */
    {"]NK\x01\x86" "b.", 7, "", ACAR_ERR_MALFORMED, 5, "slot state is not a dictionary"},
    /* BUILD with a slot state on a list.  CPython: TypeError: attribute name must be string, not 'int' */
    {"]N}K\x01K\x02s\x86" "b.", 11, "", ACAR_ERR_MALFORMED, 9, "'list' object has no attributes to set from slot state"},
    /* second BUILD on an object.  CPython: ModuleNotFoundError: No module named 'mod' */
    {"cmod\x0a" "C\x0a)\x81}b}b.", 14, "", ACAR_ERR_UNSUPPORTED, 12, "second BUILD on the same object"},
    /* BUILD on a global.  CPython: ModuleNotFoundError: No module named 'mod' */
    {"cmod\x0a" "C\x0a}b.", 10, "", ACAR_ERR_UNSUPPORTED, 8, "BUILD on a global"},
    /* APPENDS to an int.  CPython: AttributeError: 'int' object has no attribute 'append' */
    {"K\x01(K\x02" "e.", 7, "", ACAR_ERR_MALFORMED, 5, "'int' object has no attribute 'append'"},
    /* APPENDS to a global.  CPython: ModuleNotFoundError: No module named 'mod' */
    {"cmod\x0a" "C\x0a(K\x02" "e.", 12, "", ACAR_ERR_UNSUPPORTED, 10, "APPENDS to a global"},
    /* SETITEMS on an int.  CPython: TypeError: 'int' object does not support item assignment */
    {"K\x01(K\x02K\x03u.", 9, "", ACAR_ERR_MALFORMED, 7, "'int' object does not support item assignment"},
    /* SETITEM on a list.  CPython: IndexError: list assignment index out of range */
    {"]K\x00K\x01s.", 7, "", ACAR_ERR_UNSUPPORTED, 5, "SETITEMS on a list"},
    /* ADDITEMS to a list.  CPython: AttributeError: 'list' object has no attribute 'add' */
    {"](K\x01\x90.", 6, "", ACAR_ERR_MALFORMED, 4, "'list' object has no attribute 'add'"},
    /* ADDITEMS to an object.  CPython: ModuleNotFoundError: No module named 'mod' */
    {"cmod\x0a" "C\x0a)\x81(K\x01\x90.", 14, "", ACAR_ERR_UNSUPPORTED, 12, "ADDITEMS to an object"},
    /* SETITEMS of a list key on an object.  CPython: ModuleNotFoundError: No module named 'mod' */
    {"cmod\x0a" "C\x0a)\x81(]K\x01u.", 15, "", ACAR_ERR_UNSUPPORTED, 13, "unhashable key of type 'list' set on an object"},
    /* EXT1 0.  CPython: UnpicklingError: EXT specifies code <= 0 */
    {"\x82\x00.", 3, "", ACAR_ERR_MALFORMED, 0, "EXT specifies code <= 0"},
    /* EXT4 -1.  CPython: UnpicklingError: EXT specifies code <= 0 */
    {"\x84\xff\xff\xff\xff.", 6, "", ACAR_ERR_MALFORMED, 0, "EXT specifies code <= 0"},
    /* EXT without a registry.  CPython: ValueError: unregistered extension code 5 */
    {"\x82\x05.", 3, "", ACAR_ERR_UNRESOLVED, 0, "unregistered extension code 5"},
    /* EXT code the registry does not know.  CPython: ValueError: unregistered extension code 99 */
    {"\x82" "c.", 3, "ext", ACAR_ERR_UNRESOLVED, 0, "unregistered extension code 99"},
    /* NEXT_BUFFER without buffers.  CPython: UnpicklingError: pickle stream refers to out-of-band data but no *buffers* argument was given */
    {"\x97.", 2, "", ACAR_ERR_UNRESOLVED, 0, "pickle stream refers to out-of-band data but no *buffers* ar"},
    /* NEXT_BUFFER past the buffers given (CPython, buffers=[b"x"]: not enough out-of-band buffers).  CPython: UnpicklingError: pickle stream refers to out-of-band data but no *buffers* argument was given */
    {"\x97\x97.", 3, "buffers1", ACAR_ERR_UNRESOLVED, 1, "not enough out-of-band buffers"},
    /* READONLY_BUFFER of an int.  CPython: TypeError: memoryview: a bytes-like object is required, not 'int' */
    {"K\x01\x98.", 4, "", ACAR_ERR_MALFORMED, 2, "memoryview: a bytes-like object is required, not 'int'"},
    /* trailing bytes with ACAR_READ_NO_TRAILING.  CPython: None */
    {"N.junk", 6, "notrailing", ACAR_ERR_MALFORMED, 2, "4 bytes of trailing data after STOP"},
    /* find_class refuses.  CPython: ModuleNotFoundError: No module named 'bad' */
    {"cbad\x0ax\x0a.", 8, "findclass", ACAR_ERR_REFUSED, 0, "global 'bad.x' refused by find_class"},
    /* persistent_load fails.  CPython: UnpicklingError: A load persistent id instruction was encountered, */
    {"Pno\x0a.", 5, "pload", ACAR_ERR_REFUSED, 0, "persistent_load failed for a persistent id"},
    /* 12 nested lists, max_depth 10.  CPython: [[[[[[[[[[[[]]]]]]]]]]]] */
    {"](](](](](](](](](](](]eeeeeeeeeee.", 35, "depth10", ACAR_ERR_LIMIT, 21, "nesting deeper than 10 (max_depth)"},
    /* tuple chain of 13, max_depth 10.  CPython: (((((((((((((),),),),),),),),),),),),) */
    {")\x85\x85\x85\x85\x85\x85\x85\x85\x85\x85\x85\x85.", 14, "depth10", ACAR_ERR_LIMIT, 10, "nesting deeper than 10 (max_depth)"},
    /* 11 marks, max_depth 10.  CPython: UnpicklingError: unexpected MARK found */
    {"(((((((((((.", 12, "depth10", ACAR_ERR_LIMIT, 10, "nesting deeper than 10 (max_depth)"},
    /* lists appended to lists 11 deep, max_depth 10.  CPython: [[[[[[[[[[[]]]]]]]]]]] */
    {"]]]]]]]]]]]aaaaaaaaaa.", 22, "depth10", ACAR_ERR_LIMIT, 20, "nesting deeper than 10 (max_depth)"},
    /* APPENDS past max_items 5.  CPython: [1, 2, 3, 4, 5, 6] */
    {"](K\x01K\x02K\x03K\x04K\x05K\x06" "e.", 16, "items5", ACAR_ERR_LIMIT, 14, "container of more than 5 items (max_items)"},
    /* TUPLE of 6, max_items 5.  CPython: (1, 2, 3, 4, 5, 6) */
    {"(K\x01K\x02K\x03K\x04K\x05K\x06t.", 15, "items5", ACAR_ERR_LIMIT, 13, "container of 6 items exceeds max_items"},
    /* dict of 6, max_items 5.  CPython: {0: 0, 1: 0, 2: 0, 3: 0, 4: 0, 5: 0} */
    {"}(K\x00K\x00K\x01K\x00K\x02K\x00K\x03K\x00K\x04K\x00K\x05K\x00u.", 28, "items5", ACAR_ERR_LIMIT, 26, "container of more than 5 items (max_items)"},
    /* a 4th memo entry, max_memo 3.  CPython: None */
    {"Nq\x00q\x00q\x01q\x02q\x03.", 12, "memo3", ACAR_ERR_LIMIT, 9, "more than 3 memo entries (max_memo)"},
};

static void test_errors(void) {
    for (size_t i = 0; i < sizeof err_cases / sizeof *err_cases; i++) {
        const errcase *c = &err_cases[i];
        char what[64];
        snprintf(what, sizeof what, "error case %zu", i);
        expect_error(what, c->data, c->len, c->setup, c->code, c->offset, c->msg);
    }
}

/* Cases too big to spell out: made here. */
static void test_big_errors(void) {
    size_t n = 641 + 3;
    char *p = malloc(100006);
    if (!p) return;
    /* 'L' + 641 digits: max_int_digits 640 */
    p[0] = 'L';
    memset(p + 1, '1', 641);
    memcpy(p + 642, "\n.", 2);
    expect_error("LONG of 641 digits", p, n, "digits640", ACAR_ERR_LIMIT, 0,
                 "Exceeds the limit (640 digits) for integer string conversion");
    p[0] = 'I';
    expect_error("INT of 641 digits", p, n, "digits640", ACAR_ERR_LIMIT, 0,
                 "Exceeds the limit (640 digits) for integer string conversion");
    p[0] = 'g';
    memset(p + 1, '0', 641);
    expect_error("GET of 641 digits", p, n, "digits640", ACAR_ERR_LIMIT, 0,
                 "Exceeds the limit (640 digits) for integer string conversion");
    /* 640 digits are fine, and a hexadecimal LONG has no digit limit */
    {
        acar_read_opts o;
        acar_limits lim;
        acar_err e;
        setup_opts("digits640", &o, &lim);
        acar_doc_opts dopt;
        memset(&dopt, 0, sizeof dopt);
        dopt.limits = lim;
        acar_doc *doc = acar_doc_new(&dopt);
        p[0] = 'L';
        memset(p + 1, '9', 640);
        memcpy(p + 641, "\n.", 2);
        CHECK(rd(doc, p, 643, &o, &e) != NULL);
        memcpy(p, "L0x", 3);
        memset(p + 3, 'f', 2000);
        memcpy(p + 2003, "L\n.", 3);
        acar_val *v = rd(doc, p, 2006, &o, &e);
        int neg;
        const uint32_t *limbs;
        uint32_t tmp[3];
        CHECK(v && acar_int_limbs(v, &neg, &limbs, tmp) == 250 && !neg && limbs[249] == 0xffffffffu);
        acar_doc_free(doc);
    }
    /* 100 kB of bytes with max_memory 64 KiB */
    p[0] = 'B';
    p[1] = (char)0xa0, p[2] = (char)0x86, p[3] = 1, p[4] = 0; /* 100000 */
    memset(p + 5, 'x', 100000);
    p[100005] = '.';
    expect_error("100 kB of bytes", p, 100006, "mem64k", ACAR_ERR_LIMIT, 0,
                 "document memory limit of 65536 bytes exceeded (max_memory)");
    free(p);
}

/* ====================================================================
 * Allocation failures: every allocation in turn
 * ================================================================== */

/* A pickle that takes every scratch path: more than 64 stack slots, 16
 * marks and 64 memo entries, a memo index far away, EXT codes, escaped
 * text, a big dict and set, objects, globals mapped by fix_imports.  It
 * reads as a list of 12 items. */
typedef struct sbuf {
    char *p;
    size_t n;
} sbuf;

static void put(sbuf *b, const void *s, size_t n) {
    memcpy(b->p + b->n, s, n);
    b->n += n;
}
#define PUTS(b, s) put(b, s, sizeof s - 1)

static size_t build_rich(char *p) {
    sbuf b = {p, 0};
    PUTS(&b, "\x80\x02(]q\x00(");
    for (int i = 0; i < 80; i++) {               /* 80 str memoized: memo > 64, stack > 64 */
        char s[12] = {'X', 3, 0, 0, 0, 's', (char)('0' + i / 10), (char)('0' + i % 10), 'r', (char)(i + 1), 0, 0};
        put(&b, s, 12);
        PUTS(&b, "\x00");
    }
    PUTS(&b, "e");
    for (int i = 0; i < 20; i++) PUTS(&b, "(");  /* 20 marks */
    PUTS(&b, "K\x01");
    for (int i = 0; i < 20; i++) PUTS(&b, "\x85"); /* a tuple chain */
    for (int i = 0; i < 20; i++) PUTS(&b, "1");  /* the marks away again */
    PUTS(&b, "r\xff\xff\xff\xff");               /* a far memo index */
    PUTS(&b, "j\xff\xff\xff\xff" "0");
    PUTS(&b, "S'a\\x41\\n'\n");                   /* STRING with escapes */
    PUTS(&b, "Vx\\u20ac\n");                      /* UNICODE with an escape */
    PUTS(&b, "L123456789012345678901234567890L\n");
    PUTS(&b, "\x8a\x0a\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a");
    PUTS(&b, "\x82\x01\x82\x01\x83\x34\x12");    /* EXT, twice the same */
    PUTS(&b, "}(");                              /* a dict of 12 str keys */
    for (int i = 0; i < 12; i++) {
        char s[6] = {'U', 2, 'k', (char)('a' + i), 'K', (char)i};
        put(&b, s, 6);
    }
    PUTS(&b, "u");
    PUTS(&b, "c__builtin__\nset\n](");            /* set(list) by REDUCE */
    for (int i = 0; i < 12; i++) {
        char s[2] = {'K', (char)i};
        put(&b, s, 2);
    }
    PUTS(&b, "e\x85R");
    PUTS(&b, "ccopy_reg\n_reconstructor\n(cmod\nC\nc__builtin__\nobject\nNtR}U\x01xK\x01sb");
    PUTS(&b, "cmod\nC\n)\x81(K\x01K\x02" "e(K\x01K\x02u");
    PUTS(&b, "l.");
    return b.n;
}

static void oom_loop(const char *what, const void *data, size_t len, const acar_read_opts *proto_opts,
                     size_t min_calls) {
    size_t calls = 0;
    for (size_t fail_at = 1; fail_at < 100000; fail_at++) {
        talloc a = {0};
        a.fail_at = fail_at;
        acar_doc *doc = new_doc(&a, NULL);
        if (!doc) {
            CHECK(a.cur == 0);
            continue;
        }
        acar_read_opts o = *proto_opts;
        acar_err e;
        acar_val *v = rd(doc, data, len, &o, &e);
        if (v) {
            CHECK_MSG(a.calls < fail_at, "%s: succeeded although allocation %zu failed", what, fail_at);
            calls = fail_at;
            acar_doc_free(doc);
            CHECK(a.cur == 0);
            break;
        }
        CHECK_MSG(e.code == ACAR_ERR_NOMEM, "%s: allocation %zu failed: code %d (%s) at %zu", what, fail_at,
                  (int)e.code, e.msg, e.offset);
        CHECK(acar_doc_root(doc) == NULL);
        acar_doc_free(doc);
        CHECK_MSG(a.cur == 0, "%s: allocation %zu failed: %zu bytes leaked", what, fail_at, a.cur);
    }
    CHECK_MSG(calls > min_calls, "%s: only %zu allocations", what, calls);
}

static void test_oom(void) {
    static char rich[16384];
    size_t n = build_rich(rich);
    acar_read_opts o;
    memset(&o, 0, sizeof o);
    o.ext = ext_registry;
    {
        acar_doc *doc = acar_doc_new(NULL);
        acar_err e;
        acar_val *v = rd(doc, rich, n, &o, &e);
        CHECK_MSG(v != NULL, "rich pickle: %s at %zu", v ? "" : e.msg, v ? 0 : e.offset);
        CHECK(v && acar_typeof(v) == ACAR_LIST && acar_len(v) == 12);
        CHECK(v && acar_item(v, 5) == acar_item(v, 6)); /* EXT caches its global, as CPython does */
        CHECK(v && !strcmp(show(acar_item(v, 5)), "copyreg._reconstructor"));
        CHECK(v && !strcmp(show(acar_item(v, 9)), "{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}"));
        acar_doc_free(doc);
    }
    oom_loop("rich pickle", rich, n, &o, 10);
    /* The arena takes memory in few big chunks; a max_memory sweep makes it
     * fail in many more places (as LIMIT). */
    int limited = 0, read = 0;
    for (size_t mem = 4096; mem < 300000; mem += mem / 16) {
        talloc a = {0};
        acar_limits lim;
        memset(&lim, 0, sizeof lim);
        lim.max_memory = mem;
        acar_doc *doc = new_doc(&a, &lim);
        if (!doc) continue;
        acar_read_opts ro = o;
        acar_err e;
        acar_val *v = rd(doc, rich, n, &ro, &e);
        if (v) read++;
        else {
            limited++;
            CHECK_MSG(e.code == ACAR_ERR_LIMIT && strstr(e.msg, "max_memory"), "max_memory %zu: %d %s", mem,
                      (int)e.code, e.msg);
            CHECK(acar_doc_root(doc) == NULL);
        }
        acar_doc_free(doc);
        CHECK(a.cur == 0);
    }
    CHECK(limited > 5 && read > 5);
    memset(&o, 0, sizeof o);
    for (size_t i = 0; i < sizeof ok_cases / sizeof *ok_cases; i++) {
        const okcase *c = &ok_cases[i];
        static const acar_bytes bufs[2] = {{"xy", 2}, {"ro", 2}};
        memset(&o, 0, sizeof o);
        if (!strcmp(c->setup, "latin1")) o.encoding = ACAR_ENC_LATIN1;
        if (!strcmp(c->setup, "ext")) o.ext = ext_registry;
        if (!strcmp(c->setup, "buffers")) {
            o.buffers = bufs;
            o.nbuffers = 2;
        }
        oom_loop("ok case", c->data, c->len, &o, 1);
    }
}

/* ====================================================================
 * Hostile input: deep nesting, huge lengths, far memo indices
 * ================================================================== */

/* depth nested lists at protocol 2: ] ( ] ( ... ] e e ... . */
static char *nested_lists(size_t depth, size_t *len) {
    char *p = malloc(3 * depth + 4);
    size_t n = 0;
    p[n++] = '\x80';
    p[n++] = 2;
    for (size_t i = 0; i + 1 < depth; i++) {
        p[n++] = ']';
        p[n++] = '(';
    }
    p[n++] = ']';
    for (size_t i = 0; i + 1 < depth; i++) p[n++] = 'e';
    p[n++] = '.';
    *len = n;
    return p;
}

static void test_deep(void) {
    size_t len;
    acar_err e;
    /* 100,000 deep: read (the default max_depth), and its innermost list is there */
    char *p = nested_lists(100000, &len);
    acar_doc *doc = acar_doc_new(NULL);
    acar_val *v = rd(doc, p, len, NULL, &e);
    CHECK_MSG(v != NULL, "100,000 nested lists: %s", v ? "" : e.msg);
    size_t depth = 0;
    for (acar_val *x = v; x; x = acar_item(x, 0)) depth++;
    CHECK(depth == 100000);
    acar_doc_free(doc);
    free(p);
    /* 100,001 deep: refused by max_depth at the last APPENDS */
    p = nested_lists(100001, &len);
    expect_error("100,001 nested lists", p, len, "", ACAR_ERR_LIMIT, len - 2, "nesting deeper than 100000 (max_depth)");
    free(p);
    /* a tuple chain of a million: refused at the 100,000th TUPLE1; read with max_depth raised */
    size_t n = 1000002;
    p = malloc(n);
    p[0] = ')';
    memset(p + 1, 0x85, n - 2);
    p[n - 1] = '.';
    expect_error("tuple chain of 10^6", p, n, "", ACAR_ERR_LIMIT, 100000, "nesting deeper than 100000 (max_depth)");
    acar_doc_opts dopt;
    memset(&dopt, 0, sizeof dopt);
    dopt.limits.max_depth = 2000000;
    doc = acar_doc_new(&dopt);
    v = rd(doc, p, n, NULL, &e);
    CHECK(v != NULL);
    depth = 0;
    for (acar_val *x = v; x && acar_len(x); x = acar_item(x, 0)) depth++;
    CHECK(depth == 1000000);
    acar_doc_free(doc);
    /* 200,000 marks: refused at the 100,001st */
    memset(p, '(', 200000);
    p[200000] = '.';
    expect_error("200,000 marks", p, 200001, "", ACAR_ERR_LIMIT, 100000, "nesting deeper than 100000 (max_depth)");
    /* 300,000 items on the stack: fine, the stack grows */
    memset(p, 'N', 300000);
    p[300000] = '.';
    doc = acar_doc_new(NULL);
    CHECK(rd(doc, p, 300001, NULL, &e) == acar_new_none(doc));
    acar_doc_free(doc);
    free(p);
}

/* Huge declared sizes fail as truncated without allocating for them. */
static void test_huge_lengths(void) {
    static const struct { const char *data; size_t len; } cases[] = {
        {"\x8e\x00\x00\x00\x00\x00\x00\x00\x80", 9},          /* BINBYTES8 2^63 */
        {"\x8e\xff\xff\xff\xff\xff\xff\xff\xff", 9},          /* BINBYTES8 2^64 - 1 */
        {"\x8d\xff\xff\xff\xff\xff\xff\xff\x7f", 9},          /* BINUNICODE8 2^63 - 1 */
        {"\x96\xff\xff\xff\xff\xff\xff\xff\xff", 9},          /* BYTEARRAY8 2^64 - 1 */
        {"\x95\xff\xff\xff\xff\xff\xff\xff\xff.", 10},        /* FRAME 2^64 - 1 */
        {"\x8b\xff\xff\xff\x7f", 5},                          /* LONG4 2^31 - 1 */
        {"T\xff\xff\xff\xff", 5},                             /* BINSTRING 2^32 - 1 */
        {"X\xff\xff\xff\xff", 5},                             /* BINUNICODE 2^32 - 1 */
        {"B\xff\xff\xff\xff", 5},                             /* BINBYTES 2^32 - 1 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        talloc a = {0};
        acar_doc *doc = new_doc(&a, NULL);
        acar_err e;
        CHECK(rd(doc, cases[i].data, cases[i].len, NULL, &e) == NULL);
        CHECK_MSG(e.code == ACAR_ERR_TRUNCATED && e.offset == 0, "huge length %zu: %d at %zu", i, (int)e.code,
                  e.offset);
        CHECK_MSG(a.peak < 65536, "huge length %zu: %zu bytes allocated", i, a.peak);
        acar_doc_free(doc);
    }
}

/* A read's last chunks are sized by what the rest of the input should
 * take (acar__read_progress), so the arena ends mostly filled.  30,000
 * pairs of floats, (i + 0.5, -i - 0.5), in one list, at protocol 2: 64
 * bytes each (the tuple's node and two pointers, two float nodes: no two
 * are equal, so none is shared), the list's array of 32,768 pointers in a
 * chunk of its own (as it grew: less than an eighth of it is unused, so it
 * is not cut to size), then the document's header, chunk headers and the
 * list's outgrown arrays left in the arena (16 KiB).
 * With chunks of an eighth of the input (64 KiB) to the end, the slack
 * was 110 KiB; now 14 KiB. */
static void test_arena_fill(void) {
    enum { N = 30000 };
    size_t cap = 4 + N * 19 + (N / 1000) * 2 + 1, len = 0;
    unsigned char *p = malloc(cap);
    p[len++] = 0x80;
    p[len++] = 2;
    p[len++] = ']';
    for (int i = 0; i < N; i++) {
        if (i % 1000 == 0) p[len++] = '(';
        for (int half = 0; half < 2; half++) {
            double d = half ? -(double)i - 0.5 : (double)i + 0.5;
            uint64_t bits;
            memcpy(&bits, &d, 8);
            p[len++] = 'G';
            for (int k = 7; k >= 0; k--) p[len++] = (unsigned char)(bits >> (8 * k));
        }
        p[len++] = 0x86; /* TUPLE2 */
        if (i % 1000 == 999) p[len++] = 'e';
    }
    p[len++] = '.';
    CHECK(len <= cap);
    talloc a = {0};
    acar_doc *doc = new_doc(&a, NULL);
    acar_err e;
    acar_val *v = rd(doc, p, len, NULL, &e);
    CHECK_MSG(v && acar_len(v) == N, "%s", v ? "" : e.msg);
    if (v) {
        CHECK(acar_float(acar_item(acar_item(v, N - 1), 1)) == -(double)(N - 1) - 0.5);
        size_t need = (size_t)N * 64 + 32768 * 8 + 16, mem = acar_doc_memory(doc);
        CHECK_MSG(mem >= need && mem - need <= 24 * 1024, "%zu bytes for %zu of nodes and items", mem, need);
    }
    acar_doc_free(doc);
    free(p);
}

/* Memo indices far beyond the entries seen cost nothing like their value. */
static void test_far_memo(void) {
    talloc a = {0};
    acar_err e;
    acar_doc *doc = new_doc(&a, NULL);
    /* LONG_BINPUT/LONG_BINGET 2^32 - 1, PUT/GET 2^63 - 1, BINPUT 5 and MEMOIZE (index 3) */
    static const char p[] = "K\x01r\xff\xff\xff\xffK\x02p9223372036854775807\nK\x03q\x05K\x04\x94"
                            "(j\xff\xff\xff\xffg9223372036854775807\nh\x05h\x03t.";
    acar_val *v = rd(doc, p, sizeof p - 1, NULL, &e);
    CHECK_MSG(v && !strcmp(show(v), "(1, 2, 3, 4)"), "far memo: %s", v ? show(v) : e.msg);
    CHECK(a.peak < 65536);
    acar_doc_free(doc);
    /* 20,000 entries at scattered 32-bit indices */
    size_t n = 0;
    char *q = malloc(20000 * 10 + 16);
    uint32_t x = 12345;
    q[n++] = 'N';
    for (int i = 0; i < 20000; i++) {
        x = x * 1103515245u + 12345u;
        q[n++] = 'r';
        memcpy(q + n, (char[4]){(char)x, (char)(x >> 8), (char)(x >> 16), (char)((x >> 24) | 0x80)}, 4);
        n += 4;
    }
    q[n++] = 'j';
    memcpy(q + n, (char[4]){(char)x, (char)(x >> 8), (char)(x >> 16), (char)((x >> 24) | 0x80)}, 4);
    n += 4;
    q[n++] = '.';
    talloc b = {0};
    doc = new_doc(&b, NULL);
    CHECK(rd(doc, q, n, NULL, &e) == acar_new_none(doc));
    CHECK_MSG(b.peak < 4 * 1024 * 1024, "20,000 far memo entries took %zu bytes", b.peak);
    acar_doc_free(doc);
    free(q);
    /* replacing an entry does not count against max_memo */
    expect_error("max_memo counts entries", "Nq\x00q\x00q\x01q\x02q\x03.", 12, "memo3", ACAR_ERR_LIMIT, 9,
                 "more than 3 memo entries (max_memo)");
}

/* ====================================================================
 * Options and callbacks
 * ================================================================== */

static const char *read_show(const void *data, size_t len, acar_read_opts *o) {
    acar_doc *doc = acar_doc_new(NULL);
    acar_err e;
    static char text[512];
    acar_val *v = rd(doc, data, len, o, &e);
    if (v) snprintf(text, sizeof text, "%s", show(v));
    else snprintf(text, sizeof text, "error %d at %zu: %s", (int)e.code, e.offset, e.msg);
    acar_doc_free(doc);
    return text;
}

#define SHOWS(data, opts, want) do { \
    const char *got_ = read_show(data, sizeof data - 1, opts); \
    CHECK_MSG(!strcmp(got_, want), "%s: got %s, want %s", #data, got_, want); \
} while (0)

static void test_options(void) {
    acar_read_opts o;
    acar_err e;

    /* Python 2 str: the four encodings (CPython's encoding= of pickle.loads) */
    memset(&o, 0, sizeof o);
    SHOWS("U\x02\xc3\xa9.", &o, "error 2 at 0: 'ascii' codec can't decode byte 0xc3 in position 0: ordinal not in range(128)");
    o.encoding = ACAR_ENC_LATIN1;
    SHOWS("U\x02\xc3\xa9.", &o, "'\xc3\x83\xc2\xa9'");
    o.encoding = ACAR_ENC_UTF8;
    SHOWS("U\x02\xc3\xa9.", &o, "'\xc3\xa9'");
    o.encoding = ACAR_ENC_BYTES;
    SHOWS("U\x02\xc3\xa9.", &o, "b'\\xc3\\xa9'");
    SHOWS("S'a\\x00'\n.", &o, "b'a\\x00'");

    /* fix_imports: Python 2 names below protocol 3 only, and not when asked */
    memset(&o, 0, sizeof o);
    SHOWS("c__builtin__\nunicode\n.", &o, "builtins.str");
    SHOWS("\x80\x03" "c__builtin__\nunicode\n.", &o, "__builtin__.unicode");
    SHOWS("\x80\x02\x8c\x0b__builtin__\x8c\x07unicode\x93.", &o, "builtins.str");
    SHOWS("cexceptions\nValueError\n.", &o, "builtins.ValueError");
    o.flags = ACAR_READ_NO_FIX_IMPORTS;
    SHOWS("c__builtin__\nunicode\n.", &o, "__builtin__.unicode");
    SHOWS("c__builtin__\nset\n((lI1\natR.", &o, "__builtin__.set([1])");

    /* well-known globals become native values, unless RAW_GLOBALS */
    memset(&o, 0, sizeof o);
    /* pickle.dumps(({1}, frozenset(), b'\xff', bytearray(b'a'), 1j, Ellipsis, b''), 2) */
    static const char wk[] = "\x80\x02(c__builtin__\x0aset\x0aq\x00]q\x01K\x01"
                             "a\x85q\x02Rq\x03"
                             "c__builtin__\x0a"
                             "frozenset\x0aq\x04]q\x05\x85q\x06Rq\x07"
                             "c_codecs\x0a"
                             "encode\x0aq\x08X\x02\x00\x00\x00\xc3\xbfq\x09X\x06\x00\x00\x00latin1q\x0a\x86q\x0bRq\x0c"
                             "c__builtin__\x0a"
                             "bytearray\x0aq\x0dh\x08X\x01\x00\x00\x00"
                             "aq\x0eh\x0a\x86q\x0fRq\x10\x85q\x11Rq\x12"
                             "c__builtin__\x0a"
                             "complex\x0aq\x13G\x00\x00\x00\x00\x00\x00\x00\x00G\x3f\xf0\x00\x00\x00\x00\x00\x00\x86q\x14Rq"
                             "\x15"
                             "c__builtin__\x0a"
                             "Ellipsis\x0aq\x16"
                             "c__builtin__\x0a"
                             "bytes\x0aq\x17)Rq\x18tq\x19.";
    SHOWS(wk, &o, "({1}, frozenset(), b'\\xff', bytearray(b'a'), 1j, Ellipsis, b'')");
    o.flags = ACAR_READ_RAW_GLOBALS;
    SHOWS(wk, &o, "(builtins.set([1]), builtins.frozenset([]), _codecs.encode('\xc3\xbf', 'latin1'), "
                  "builtins.bytearray(_codecs.encode('a', 'latin1')), builtins.complex(0.0, 1.0), builtins.Ellipsis, "
                  "builtins.bytes())");
    memset(&o, 0, sizeof o);
    /* shapes CPython does not write stay objects: set of an unhashable, latin-1 of a non-latin-1 str */
    SHOWS("cbuiltins\nset\n]]a\x85R.", &o, "builtins.set([[]])");
    /* ... also when the unhashable item is a tuple holding a list (the
     * reader marks such tuples as it makes them; unmarked, two equal ones
     * were merged or not as their addresses hashed) */
    SHOWS("cbuiltins\nset\n](]\x85]\x85" "e\x85R.", &o, "builtins.set([([],), ([],)])");
    SHOWS("c_codecs\nencode\nX\x03\x00\x00\x00\xe2\x82\xacX\x06\x00\x00\x00latin1\x86R.", &o,
          "_codecs.encode('\xe2\x82\xac', 'latin1')");
    /* Python 2's bytearray(unicode, 'latin-1') */
    SHOWS("c__builtin__\nbytearray\n(X\x02\x00\x00\x00\xc3\xbfU\x07latin-1tR.", &o, "bytearray(b'\\xff')");

    /* find_class sees names after fix_imports, may map them or refuse */
    memset(&o, 0, sizeof o);
    o.find_class = find_class;
    o.ctx = &the_fc;
    the_fc.calls = 0;
    SHOWS("c__builtin__\nlong\n.", &o, "builtins.int");
    CHECK(!strcmp(the_fc.seen, "builtins.int"));
    SHOWS("\x80\x04\x8c\x01m\x8c\x06to_set\x93](K\x01K\x01" "e\x85R.", &o, "{1}");
    CHECK(the_fc.calls == 2);
    SHOWS("(ibad\nC\n.", &o, "error 7 at 1: global 'bad.C' refused by find_class");

    /* persistent ids: nodes without a callback, the callback's value with one */
    memset(&o, 0, sizeof o);
    SHOWS("(Pa\nK\x01Qt.", &o, "(persistent_load('a'), persistent_load(1))");
    /* Equal pids are one set member, whatever the set's size: an
     * address-based hash kept both in sets big enough for an index. */
    SHOWS("\x80\x04(\x8c\x01xQK\x01\x8c\x01xQ\x91.", &o, "frozenset({persistent_load('x'), 1})");
    SHOWS("\x80\x04(K\x01K\x02K\x03K\x04K\x05K\x06K\x07K\x08K\x09K\x0a\x8c\x01xQ\x8c\x01xQ\x91.", &o,
          "frozenset({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, persistent_load('x')})");
    SHOWS("\x80\x04(K\x01K\x02K\x03K\x04K\x05K\x06K\x07K\x08K\x09K\x0aK\x01\x85QK\x01\x85Q\x91.", &o,
          "frozenset({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, persistent_load((1,))})");
    o.persistent_load = pload;
    SHOWS("(Pa\nK\x01Qt.", &o, "(\"'a'!\", '1!')");

    /* the extension registry: EXT1/2/4, the same code twice is the same node */
    memset(&o, 0, sizeof o);
    o.ext = ext_registry;
    {
        acar_doc *doc = acar_doc_new(NULL);
        acar_val *v = rd(doc, LIT("\x80\x03\x83\x34\x12\x83\x34\x12\x86."), &o, &e);
        CHECK(v && acar_item(v, 0) == acar_item(v, 1) && !strcmp(show(v), "(mod.n4660, mod.n4660)"));
        acar_doc_free(doc);
    }
    SHOWS("\x80\x03\x82\x01.", &o, "copy_reg._reconstructor"); /* protocol 3: no fix_imports */

    /* buffers: out-of-band (writable, or read-only after READONLY_BUFFER), and a read-only view of a bytearray */
    {
        static const acar_bytes bufs[2] = {{"xy", 2}, {"ro", 2}};
        memset(&o, 0, sizeof o);
        o.buffers = bufs;
        o.nbuffers = 2;
        acar_doc *doc = acar_doc_new(NULL);
        acar_val *v = rd(doc, LIT("\x80\x05(\x97\x97\x98\x96\x01\x00\x00\x00\x00\x00\x00\x00z\x98" "C\x01q\x98t."), &o, &e);
        CHECK_MSG(v != NULL, "buffers: %s", v ? "" : e.msg);
        if (v) {
            size_t n;
            const uint8_t *d = acar_buffer_data(acar_item(v, 0), &n);
            CHECK(d == bufs[0].data && n == 2 && !acar_buffer_readonly(acar_item(v, 0)) &&
                  acar_buffer_oob_index(acar_item(v, 0)) == 0);
            CHECK(acar_buffer_readonly(acar_item(v, 1)) && acar_buffer_oob_index(acar_item(v, 1)) == 1);
            d = acar_buffer_data(acar_item(v, 2), &n);
            CHECK(acar_typeof(acar_item(v, 2)) == ACAR_BUFFER && acar_buffer_readonly(acar_item(v, 2)) &&
                  acar_buffer_oob_index(acar_item(v, 2)) == -1 && n == 1 && d[0] == 'z');
            CHECK(acar_typeof(acar_item(v, 3)) == ACAR_BYTES); /* bytes are read-only already */
        }
        acar_doc_free(doc);
    }

    /* borrowing: str and bytes point into the input */
    {
        static const char in[] = "\x80\x04\x8c\x03" "abcC\x02" "de\x86.";
        memset(&o, 0, sizeof o);
        acar_doc *doc = acar_doc_new(NULL);
        for (int borrow = 0; borrow < 2; borrow++) {
            o.flags = borrow ? ACAR_READ_BORROW : 0;
            acar_val *v = rd(doc, in, sizeof in - 1, &o, &e);
            const char *s1 = acar_str(acar_item(v, 0), NULL), *s2 = acar_str(acar_item(v, 1), NULL);
            int inside = s1 == in + 4 && s2 == in + 9;
            CHECK(v && inside == borrow && !strcmp(show(v), "('abc', b'de')"));
        }
        acar_doc_free(doc);
    }

    /* trailing bytes: ignored as pickle.loads does, consumed tells where STOP ended */
    memset(&o, 0, sizeof o);
    {
        acar_doc *doc = acar_doc_new(NULL);
        CHECK(rd(doc, LIT("N.junk"), &o, &e) == acar_new_none(doc) && o.consumed == 2);
        o.flags = ACAR_READ_ALLOW_TRAILING;
        CHECK(rd(doc, LIT("K\x05.K\x06."), &o, &e) && o.consumed == 3);
        acar_doc_free(doc);
    }
}

/* ====================================================================
 * Values: sharing, duplicates, CPython's odd corners
 * ================================================================== */

static void test_values(void) {
    acar_read_opts o;
    acar_err e;
    memset(&o, 0, sizeof o);

    /* memo identity: GET gives the very node PUT stored; cycles */
    {
        acar_doc *doc = acar_doc_new(NULL);
        /* l = []; pickle.dumps([l, l, 'x', 'x'], 2) with one 'x' object */
        acar_val *v = rd(doc, LIT("\x80\x02]q\x00(]q\x01h\x01X\x01\x00\x00\x00xq\x02h\x02" "e."), &o, &e);
        CHECK(v && acar_item(v, 0) == acar_item(v, 1) && acar_item(v, 2) == acar_item(v, 3));
        /* l = []; l.append(l); pickle.dumps(l, 2) */
        v = rd(doc, LIT("\x80\x02]q\x00h\x00" "a."), &o, &e);
        CHECK(v && acar_item(v, 0) == v && !strcmp(show(v), "[[...]]"));
        acar_doc_free(doc);
    }

    /* duplicate keys: first place, last value (small dicts, big dicts, DICT, mixed numbers) */
    SHOWS("}(U\x01" "aK\x01U\x01" "bK\x02U\x01" "aK\x03u.", &o, "{'a': 3, 'b': 2}");
    SHOWS("}(U\x01" "aK\x01U\x01" "bK\x02U\x01" "cK\x03U\x01" "dK\x04U\x01" "eK\x05U\x01" "fK\x06U\x01" "gK\x07U\x01"
          "hK\x08U\x01" "iK\x09U\x01" "bK\x0au.", &o,
          "{'a': 1, 'b': 10, 'c': 3, 'd': 4, 'e': 5, 'f': 6, 'g': 7, 'h': 8, 'i': 9}");
    /* The reader fills dicts of str keys itself (read.c dict_fill_str): value.c must find every key
     * through the index it made, and go on from there. */
    {
        static const char big[] = "}(U\x01" "aK\x00U\x01" "bK\x01U\x01" "cK\x02U\x01" "dK\x03U\x01" "eK\x04U\x01"
                                  "fK\x05U\x01" "gK\x06U\x01" "hK\x07U\x01" "iK\x08U\x01" "jK\x09U\x01" "kK\x0au.";
        acar_doc *doc = acar_doc_new(NULL);
        acar_val *v = rd(doc, LIT(big), &o, &e);
        CHECK(v && acar_len(v) == 11);
        for (int i = 0; v && i < 11; i++) {
            char k = (char)('a' + i);
            acar_val *x = acar_dict_get_str(v, &k, 1);
            int64_t got = -1;
            CHECK_MSG(x && acar_int_get(x, &got) && got == i, "key %c: %lld", k, (long long)got);
        }
        CHECK(acar_dict_set(doc, v, acar_new_str(doc, "c", 1), acar_new_int(doc, 99)) == 0 && acar_len(v) == 11);
        CHECK(acar_dict_set(doc, v, acar_new_str(doc, "z", 1), acar_new_int(doc, 26)) == 0 && acar_len(v) == 12);
        CHECK(acar_dict_get_str(v, "z", 1) && acar_dict_get_str(v, "k", 1));
        CHECK(!strcmp(show(acar_dict_get_str(v, "c", 1)), "99"));
        acar_doc_free(doc);
    }
    SHOWS("(K\x01U\x01" "aG?\xf0\x00\x00\x00\x00\x00\x00U\x01" "b\x88U\x01" "cd.", &o, "{1: 'c'}");
    SHOWS("}(K\x01U\x01" "au(\x88U\x01" "bu.", &o, "{1: 'b'}");
    SHOWS("\x8f(K\x01\x88G?\xf0\x00\x00\x00\x00\x00\x00K\x02\x90.", &o, "{1, 2}");
    SHOWS("(K\x01\x88K\x02\x91.", &o, "frozenset({1, 2})");

    /* CPython's text ints: strtol with base 0, bools from "00"/"01" */
    SHOWS("(I01\nI00\nI+1\nI010\nI0x1f\nI 7\nI1_0\nI99999999999999999999\nL0b11L\nL-0o7\nl.", &o,
          "[True, False, True, 8, 31, 7, 10, 99999999999999999999, 3, -7]");
    /* text floats, and the NUL that ends C strings */
    SHOWS("(F.5\nF1e-400\nF-inf\nFnan\nF2.5\x00junk\nI12\x00zz\nl.", &o, "[0.5, 0.0, -inf, nan, 2.5, 12]");
    /* STRING escapes and raw-unicode-escape */
    SHOWS("(S'a\\'\\\"\\\\\\101\\x41\\n\\q'\nS\"it's\"\nV\\\\u0041 \\u0041 \\U0001f600 \\\xe9\nl.", &o,
          "['a\\'\"\\\\AA\\n\\\\q', \"it's\", '\\\\\\\\u0041 A \xf0\x9f\x98\x80 \\\\\xc3\xa9']");
    /* lone surrogates survive (UTF-8 surrogatepass) */
    SHOWS("X\x03\x00\x00\x00\xed\xa0\x80.", &o, "'\\ud800'");

    /* leftovers on the stack and open marks do not matter at STOP */
    SHOWS("K\x01K\x02.", &o, "2");
    SHOWS("(K\x01.", &o, "1");
    /* POP takes a mark that sits on top */
    SHOWS("K\x01(0.", &o, "1");
    /* BUILD with no state on a plain value does nothing, as in CPython */
    SHOWS("]Nb.", &o, "[]");
    SHOWS("]N}\x86" "b.", &o, "[]");
    /* APPENDS/SETITEMS/ADDITEMS with nothing to add are fine on anything */
    SHOWS("K\x01(e(u(\x90.", &o, "1");
    /* objects collect what later opcodes do to them */
    SHOWS("cmod\nC\n)\x81(K\x01" "e(U\x01kK\x02u}b.", &o, "mod.C().__setstate__({}).extend([1]).update({'k': 2})");
    SHOWS("cmod\nC\n)}\x92.", &o, "mod.C()");
}

/* ====================================================================
 * The Python 2 <-> 3 name table
 * ================================================================== */

static void check_map(int import, const char *m, const char *n, const char *want_m, const char *want_n) {
    const char *om = NULL, *on = NULL;
    size_t oml = 0, onl = 0;
    int rc = (import ? acar__compat_map_import : acar__compat_map_export)(m, strlen(m), n, strlen(n), &om, &oml, &on,
                                                                           &onl);
    if (!want_m) {
        CHECK_MSG(rc == 0, "%s %s.%s mapped", import ? "import" : "export", m, n);
        return;
    }
    CHECK_MSG(rc == 1 && oml == strlen(want_m) && !memcmp(om, want_m, oml) && onl == strlen(want_n) &&
                  !memcmp(on, want_n, onl),
              "%s %s.%s: %d %.*s.%.*s", import ? "import" : "export", m, n, rc, (int)oml, om ? om : "", (int)onl,
              on ? on : "");
}

static void test_compat(void) {
    /* expectations from Lib/_compat_pickle.py of CPython 3.11 */
    check_map(1, "__builtin__", "set", "builtins", "set");
    check_map(1, "__builtin__", "unicode", "builtins", "str");
    check_map(1, "copy_reg", "_reconstructor", "copyreg", "_reconstructor");
    check_map(1, "exceptions", "StandardError", "builtins", "Exception");
    check_map(1, "exceptions", "ValueError", "builtins", "ValueError");
    check_map(1, "UserDict", "UserDict", "collections", "UserDict");
    check_map(1, "whichdb", "whichdb", "dbm", "whichdb");
    check_map(1, "cStringIO", "StringIO", "io", "StringIO");
    check_map(1, "builtins", "set", NULL, NULL);
    check_map(1, "__builtin_", "set", NULL, NULL);
    check_map(1, "", "", NULL, NULL);
    check_map(0, "builtins", "set", "__builtin__", "set");
    check_map(0, "builtins", "ConnectionError", "exceptions", "OSError");
    check_map(0, "builtins", "Exception", "exceptions", "Exception");
    check_map(0, "_functools", "reduce", "__builtin__", "reduce");
    check_map(0, "copyreg", "_reconstructor", "copy_reg", "_reconstructor");
    check_map(0, "_pickle", "x", "pickle", "x");
    check_map(0, "collections", "UserDict", "UserDict", "IterableUserDict");
    check_map(0, "_socket", "socket", "socket", "_socketobject");
    check_map(0, "pickle", "x", NULL, NULL);
    check_map(0, "socket", "SocketType", NULL, NULL);
}

/* Equal numbers share a node once the reader has made its first progress
 * report (a few hundred bytes in), where a direct-mapped cache still holds
 * the earlier one; a number the pickle memoizes or DUPs gets a node of its
 * own, shared where the pickle says and nowhere else. */
static void test_shared_numbers(void) {
    enum { N = 600 };
    static const unsigned char f15[] = {'G', 0x3f, 0xf8, 0, 0, 0, 0, 0, 0}; /* BINFLOAT 1.5 */
    static const unsigned char i7e4[] = {'J', 0x70, 0x11, 0x01, 0x00};    /* BININT 70000 */
    unsigned char p[4 + N * 14 + 64];
    size_t len = 0;
    p[len++] = 0x80;
    p[len++] = 2;
    p[len++] = ']';
    p[len++] = '(';
    for (int i = 0; i < N; i++) {
        memcpy(p + len, f15, sizeof f15);
        len += sizeof f15;
        memcpy(p + len, i7e4, sizeof i7e4);
        len += sizeof i7e4;
    }
    /* [2 N] 1.5 BINPUT 0, [2 N + 1] BINGET 0, [2 N + 2] 1.5, [2 N + 3] 70000 DUP [2 N + 4] */
    memcpy(p + len, f15, sizeof f15);
    len += sizeof f15;
    memcpy(p + len, "q\x00h\x00", 4);
    len += 4;
    memcpy(p + len, f15, sizeof f15);
    len += sizeof f15;
    memcpy(p + len, i7e4, sizeof i7e4);
    len += sizeof i7e4;
    p[len++] = '2';
    p[len++] = 'e';
    p[len++] = '.';
    acar_doc *doc = acar_doc_new(NULL);
    acar_err e;
    acar_val *v = rd(doc, p, len, NULL, &e);
    CHECK_MSG(v && acar_len(v) == 2 * N + 5, "%s", v ? "" : e.msg);
    if (v && acar_len(v) == 2 * N + 5) {
        size_t bad = 0;
        int64_t x;
        for (size_t i = 0; i < 2 * N + 5; i++) {
            acar_val *it = acar_item(v, i);
            bool isint = i < 2 * N ? i % 2 : i >= 2 * N + 3;
            bad += isint ? !acar_int_get(it, &x) || x != 70000 : acar_typeof(it) != ACAR_FLOAT || acar_float(it) != 1.5;
        }
        CHECK_MSG(bad == 0, "%zu wrong items", bad);
        acar_val *f = acar_item(v, 2 * N - 2), *n = acar_item(v, 2 * N - 1);
        size_t shared = 0;
        for (size_t i = 0; i < 2 * N; i++) shared += acar_item(v, i) == (i % 2 ? n : f);
        /* the first progress report comes len / 16 bytes in (pairs of 14) */
        size_t before = 2 * (len / 16 / 14 + 1);
        CHECK_MSG(shared >= 2 * N - before, "%zu of %d items share a node", shared, 2 * N);
        CHECK(acar_item(v, 2 * N) == acar_item(v, 2 * N + 1));
        CHECK(acar_item(v, 2 * N) != f);
        CHECK(acar_item(v, 2 * N + 2) == f);
        CHECK(acar_item(v, 2 * N + 3) == acar_item(v, 2 * N + 4));
        CHECK(acar_item(v, 2 * N + 3) != n);
        /* less than the nodes alone would take unshared (with the list's
         * array, 24 bytes an item) */
        CHECK_MSG(acar_doc_memory(doc) < 2 * N * 16, "%zu bytes", acar_doc_memory(doc));
    }
    acar_doc_free(doc);
}

int main(void) {
    test_opcodes();
    test_shared_numbers();
    test_errors();
    test_big_errors();
    test_oom();
    test_deep();
    test_huge_lengths();
    test_far_memo();
    test_arena_fill();
    test_options();
    test_values();
    test_compat();
    return CHECK_DONE();
}
