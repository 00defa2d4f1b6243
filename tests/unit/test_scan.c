/* test_scan.c -- the pickle scanner: verdicts, kinds and offsets pinned on
 * hand-made pickles (offsets counted by hand and checked with
 * pickletools.dis), the reader's hook, the table, the zip reader. */
#include "check.h"
#include "safety/scan.h"

#include <stdlib.h>

#define S(lit) (const uint8_t *)(lit), sizeof(lit) - 1

static acar_scan_report rep;

static int scan_bytes(const uint8_t *data, size_t len, unsigned flags) {
    acar_scan_opts o;
    memset(&o, 0, sizeof o);
    o.flags = flags;
    acar_err err;
    acar_scan_report_free(&rep);
    return acar_scan(data, len, &o, &rep, &err);
}

/* The finding of kind for module.name (where ""), or NULL. */
static const acar_scan_finding *find(acar_scan_kind kind, const char *module, const char *name) {
    for (size_t i = 0; i < rep.nfindings; i++) {
        const acar_scan_finding *f = &rep.findings[i];
        if (f->kind == kind && strcmp(f->module, module) == 0 && strcmp(f->name, name) == 0) return f;
    }
    return NULL;
}

static const acar_scan_finding *find_kind(acar_scan_kind kind) {
    for (size_t i = 0; i < rep.nfindings; i++)
        if (rep.findings[i].kind == kind) return &rep.findings[i];
    return NULL;
}

static void test_classic(void) {
    /* 0: c posix system, 14: (, 15: S'id', 21: t, 22: R, 23: . */
    CHECK(scan_bytes(S("cposix\nsystem\n(S'id'\ntR."), 0) == 0);
    CHECK(rep.verdict == ACAR_SCAN_DANGEROUS && !rep.malformed && !rep.incomplete);
    const acar_scan_finding *f = find(ACAR_SCAN_IMPORT, "posix", "system");
    CHECK(f && f->offset == 0 && f->severity == ACAR_SCAN_DANGEROUS && f->where[0] == '\0');
    f = find(ACAR_SCAN_CALL, "posix", "system");
    CHECK(f && f->offset == 22);
    CHECK(rep.npickles == 1);

    /* INST: 0 (, 1 S'id', 7 i os system (import and call at 7) */
    CHECK(scan_bytes(S("(S'id'\nios\nsystem\n."), 0) == 0);
    CHECK(rep.verdict == ACAR_SCAN_DANGEROUS);
    f = find(ACAR_SCAN_IMPORT, "os", "system");
    CHECK(f && f->offset == 7);
    f = find(ACAR_SCAN_CALL, "os", "system");
    CHECK(f && f->offset == 7);

    /* OBJ: 0 (, 1 c os system, 12 S'x', 17 o */
    CHECK(scan_bytes(S("(cos\nsystem\nS'x'\no."), 0) == 0);
    f = find(ACAR_SCAN_CALL, "os", "system");
    CHECK(f && f->offset == 17);

    /* protocol 4 STACK_GLOBAL from the memo: 0 PROTO, 2 ] 3 MEMOIZE 4 ( 5 'os' 9 MEMOIZE
     * 10 'system' 18 MEMOIZE 19 e 20 POP 21 h1 23 h2 25 STACK_GLOBAL 26 ) 27 R */
    CHECK(scan_bytes(S("\x80\x04]\x94(\x8c\x02os\x94\x8c\x06system\x94" "e0h\x01h\x02\x93)R."), 0) == 0);
    CHECK(rep.verdict == ACAR_SCAN_DANGEROUS);
    f = find(ACAR_SCAN_IMPORT, "os", "system");
    CHECK(f && f->offset == 25);
    f = find(ACAR_SCAN_CALL, "os", "system");
    CHECK(f && f->offset == 27);
}

static void test_benign(void) {
    CHECK(scan_bytes(S("\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01K\x02\x8c\x01x\x94" "e."), 0) == 0);
    CHECK(rep.verdict == ACAR_SCAN_SAFE && rep.nfindings == 0 && !rep.malformed);
    /* set, bytes and complex the way protocol 2 writes them */
    CHECK(scan_bytes(S("\x80\x02" "c__builtin__\nset\n]K\x01" "a\x85R" "c_codecs\nencode\nX\x01\x00\x00\x00" "aX\x06\x00\x00\x00latin1\x86R"
                       "\x86."), 0) == 0);
    CHECK(rep.verdict == ACAR_SCAN_SAFE);
    /* all findings: the safe imports are listed with their offsets */
    CHECK(scan_bytes(S("\x80\x02" "ccollections\nOrderedDict\n)R."), ACAR_SCAN_ALL_FINDINGS) == 0);
    const acar_scan_finding *f = find(ACAR_SCAN_IMPORT, "collections", "OrderedDict");
    CHECK(rep.verdict == ACAR_SCAN_SAFE && f && f->offset == 2 && f->severity == ACAR_SCAN_SAFE);
    /* an unknown class */
    CHECK(scan_bytes(S("\x80\x02" "cmymod\nThing\n)\x81."), 0) == 0);
    f = find(ACAR_SCAN_IMPORT, "mymod", "Thing");
    CHECK(rep.verdict == ACAR_SCAN_UNKNOWN && f && f->offset == 2 && f->severity == ACAR_SCAN_UNKNOWN);
    /* getattr(G, 'a') names G.a: safe getattr, the global judged */
    CHECK(scan_bytes(S("\x80\x02" "cbuiltins\ngetattr\ncmymod\nOuter\nX\x05\x00\x00\x00Inner\x86R."), 0) == 0);
    f = find(ACAR_SCAN_IMPORT, "mymod", "Outer.Inner");
    CHECK(rep.verdict == ACAR_SCAN_UNKNOWN && f && f->offset == 44);
    CHECK(!find(ACAR_SCAN_IMPORT, "builtins", "getattr"));
    /* getattr handed on as a value (here to partial) is dangerous */
    CHECK(scan_bytes(S("\x80\x02" "cfunctools\npartial\ncbuiltins\ngetattr\nccollections\nOrderedDict\n\x86R."), 0) == 0);
    f = find(ACAR_SCAN_IMPORT, "builtins", "getattr");
    CHECK(rep.verdict == ACAR_SCAN_DANGEROUS && f && f->offset == 21);
}

static void test_broken(void) {
    /* a dangerous call, then garbage: the call counts */
    CHECK(scan_bytes(S("cposix\nsystem\n(S'id'\ntR\xff"), 0) == 0);
    CHECK(rep.verdict == ACAR_SCAN_DANGEROUS && rep.malformed);
    const acar_scan_finding *f = find_kind(ACAR_SCAN_MALFORMED);
    CHECK(f && f->offset == 23);
    /* garbage first: nothing after it counts */
    CHECK(scan_bytes(S("\x80\x02]\xff" "cposix\nsystem\n(S'id'\ntR."), 0) == 0);
    CHECK(rep.verdict == ACAR_SCAN_SAFE && rep.malformed);
    f = find_kind(ACAR_SCAN_MALFORMED);
    CHECK(f && f->offset == 3);
    /* empty input */
    CHECK(scan_bytes((const uint8_t *)"", 0, 0) == 0);
    CHECK(rep.malformed && rep.verdict == ACAR_SCAN_SAFE);
    /* a second BUILD: the reader stops where CPython goes on: incomplete */
    CHECK(scan_bytes(S("ccollections\nOrderedDict\n)R}bNb."), 0) == 0);
    CHECK(rep.incomplete && rep.verdict == ACAR_SCAN_UNKNOWN);
}

static void test_streams(void) {
    /* two pickles: offsets count from the start of the file */
    CHECK(scan_bytes(S("K\x01.\x80\x02" "cposix\nsystem\n)R."), 0) == 0);
    CHECK(rep.verdict == ACAR_SCAN_DANGEROUS && rep.npickles == 2);
    const acar_scan_finding *f = find(ACAR_SCAN_CALL, "posix", "system");
    CHECK(f && f->offset == 20);
    /* trailing bytes that are no pickle: a note, still safe */
    CHECK(scan_bytes(S("K\x01.\xff\xfe"), 0) == 0);
    CHECK(rep.verdict == ACAR_SCAN_SAFE && !rep.malformed && find_kind(ACAR_SCAN_NOTE));
    /* a later pickle the reader cannot follow (a second BUILD) is
     * incomplete, not trailing data */
    CHECK(scan_bytes(S("K\x01.ccollections\nOrderedDict\n)R}bNbcos\nsystem\n."), 0) == 0);
    CHECK(rep.incomplete && rep.verdict == ACAR_SCAN_UNKNOWN);
    /* EXT: unknown, and the scan goes on past it */
    CHECK(scan_bytes(S("\x80\x02\x82\x07)Rcos\nsystem\n."), 0) == 0);
    f = find_kind(ACAR_SCAN_EXT);
    CHECK(f && f->offset == 2 && f->code == 7);
    CHECK(rep.verdict == ACAR_SCAN_DANGEROUS && find(ACAR_SCAN_IMPORT, "os", "system"));
    /* nested pickle.loads(b'...'): the inner pickle's findings say where */
    CHECK(scan_bytes(S("\x80\x03" "cpickle\nloads\nC\x11" "cposix\nsystem\n)R." "\x85R."), 0) == 0);
    f = find(ACAR_SCAN_CALL, "posix", "system");
    CHECK(f && f->offset == 15 && strcmp(f->where, "nested pickle at offset 36") == 0);
    f = find(ACAR_SCAN_CALL, "pickle", "loads");
    CHECK(f && f->offset == 36 && f->where[0] == '\0');
}

static void test_table(void) {
    const char *why;
    CHECK(acar__scan_classify("os", 2, "system", 6, &why) == ACAR_SCAN_DANGEROUS && why);
    CHECK(acar__scan_classify("os.path", 7, "join", 4, &why) == ACAR_SCAN_DANGEROUS);
    CHECK(acar__scan_classify("osx", 3, "thing", 5, &why) == ACAR_SCAN_UNKNOWN);
    CHECK(acar__scan_classify("builtins", 8, "set", 3, &why) == ACAR_SCAN_SAFE);
    CHECK(acar__scan_classify("builtins", 8, "eval.__call__", 13, &why) == ACAR_SCAN_DANGEROUS);
    CHECK(acar__scan_classify("builtins", 8, "dict.__class__", 14, &why) == ACAR_SCAN_DANGEROUS);
    CHECK(acar__scan_classify("builtins", 8, "dict.fromkeys", 13, &why) == ACAR_SCAN_UNKNOWN);
    CHECK(acar__scan_classify("torch._utils", 12, "_rebuild_tensor_v2", 18, &why) == ACAR_SCAN_SAFE);
    CHECK(acar__scan_is_loads("_pickle", 7, "loads", 5));
    CHECK(!acar__scan_is_loads("json", 4, "loads", 5));
}

/* A stored zip of one member, by hand: local header, data, central
 * directory, end record. */
static size_t make_zip(uint8_t *out, const char *name, const uint8_t *data, size_t n) {
    size_t nl = strlen(name), p = 0;
    uint8_t *o = out;
#define U16(v) (o[p++] = (uint8_t)(v), o[p++] = (uint8_t)((v) >> 8))
#define U32(v) (U16((v) & 0xffff), U16(((v) >> 16) & 0xffff))
    U32(0x04034b50u); U16(20); U16(0); U16(0); U16(0); U16(0); U32(0); U32(n); U32(n); U16(nl); U16(0);
    memcpy(o + p, name, nl), p += nl;
    memcpy(o + p, data, n), p += n;
    size_t cd = p;
    U32(0x02014b50u); U16(20); U16(20); U16(0); U16(0); U16(0); U16(0); U32(0); U32(n); U32(n); U16(nl); U16(0);
    U16(0); U16(0); U16(0); U32(0); U32(0);
    memcpy(o + p, name, nl), p += nl;
    size_t cds = p - cd;
    U32(0x06054b50u); U16(0); U16(0); U16(1); U16(1); U32(cds); U32(cd); U16(0);
#undef U16
#undef U32
    return p;
}

static void test_zip(void) {
    uint8_t buf[512];
    static const uint8_t evil[] = "\x80\x02" "cposix\nsystem\n)R.";
    size_t n = make_zip(buf, "archive/data.pkl", evil, sizeof evil - 1);
    CHECK(scan_bytes(buf, n, 0) == 0);
    const acar_scan_finding *f = find(ACAR_SCAN_CALL, "posix", "system");
    CHECK(rep.verdict == ACAR_SCAN_DANGEROUS && f && f->offset == 17 && strcmp(f->where, "archive/data.pkl") == 0);
    CHECK(rep.container && strcmp(rep.container, "zip") == 0);
    /* every truncation of the archive is an error or a verdict, never a crash */
    for (size_t k = 0; k < n; k++) {
        int rc = scan_bytes(buf, k, 0);
        CHECK(rc == 0 || rc == -1);
    }
    /* a central directory pointing outside the file */
    buf[n - 6] = 0xff;
    acar_err err;
    acar_zip_entry *es;
    size_t ne;
    CHECK(acar__zip_list(buf, n, &es, &ne, &err) == -1 && err.code == ACAR_ERR_MALFORMED);
    /* acar_scan then reads the bytes as a pickle stream, and says so */
    CHECK(scan_bytes(buf, n, 0) == 0 && rep.incomplete && rep.verdict == ACAR_SCAN_UNKNOWN &&
          strcmp(rep.container, "pickle") == 0);
    /* --raw: the same bytes are a (broken) pickle */
    CHECK(scan_bytes(buf, n, ACAR_SCAN_RAW) == 0 && rep.malformed);
}

static int events;
static int count_events(void *ctx, acar_pickle_event *ev) {
    (void)ctx;
    (void)ev;
    events++;
    return 0;
}

static void test_hook(void) {
    /* the hooked read gives the very value the plain read gives */
    static const uint8_t p[] = "\x80\x02" "cposix\nsystem\n(K\x01tRq\x00" "b.";
    acar_doc *d1 = acar_doc_new(NULL), *d2 = acar_doc_new(NULL);
    acar_read_opts o1, o2;
    memset(&o1, 0, sizeof o1);
    memset(&o2, 0, sizeof o2);
    acar_err e1, e2;
    acar_val *v1 = acar__pickle_read(d1, p, sizeof p - 1, &o1, &e1);
    acar_pickle_hooks h = {count_events, NULL};
    acar_val *v2 = acar__pickle_read_hooked(d2, p, sizeof p - 1, &o2, &h, &e2);
    CHECK(!v1 && !v2 && e1.code == e2.code && e1.offset == e2.offset && strcmp(e1.msg, e2.msg) == 0);
    CHECK(events == 2); /* GLOBAL, REDUCE (BUILD finds one item: underflow) */
    acar_doc_free(d1);
    acar_doc_free(d2);
}

int main(void) {
    test_classic();
    test_benign();
    test_broken();
    test_streams();
    test_table();
    test_zip();
    test_hook();
    acar_scan_report_free(&rep);
    return CHECK_DONE();
}
