/*
 * test_limits.c -- the input and opcode limits (acar_limits.max_input,
 * max_ops) and the memory limit as it covers expat: defaults, the error
 * code, the message naming the limit and the offset where it stopped.
 */
#include "acar.h"
#include "check.h"

#include "alloc_fail_inputs.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* pickle.dumps([1, 2, 3], protocol=2): pickletools.genops gives 9
 * opcodes, PROTO at 0, EMPTY_LIST 2, BINPUT 3, MARK 5, BININT1 6, 8, 10,
 * APPENDS 12, STOP 13. */
static const char p2[] = "\x80\x02]q\x00(K\x01K\x02K\x03" "e.";
#define P2_LEN (sizeof p2 - 1)

static acar_doc *doc_with(size_t max_input, size_t max_ops, size_t max_memory) {
    acar_doc_opts o;
    memset(&o, 0, sizeof o);
    o.limits.max_input = max_input;
    o.limits.max_ops = max_ops;
    o.limits.max_memory = max_memory;
    return acar_doc_new(&o);
}

static void test_defaults(void) {
    acar_doc *d = acar_doc_new(NULL);
    const acar_limits *l = acar_doc_limits(d);
    CHECK(l->max_input == ACAR_DEFAULT_MAX_INPUT);
    CHECK(l->max_input == l->max_memory);
    CHECK(l->max_ops == ACAR_DEFAULT_MAX_OPS);
    acar_doc_free(d);
    /* max_input follows a caller's max_memory */
    d = doc_with(0, 0, 1u << 20);
    CHECK(acar_doc_limits(d)->max_input == 1u << 20);
    acar_doc_free(d);
    d = doc_with(100, 7, 1u << 20);
    CHECK(acar_doc_limits(d)->max_input == 100);
    CHECK(acar_doc_limits(d)->max_ops == 7);
    acar_doc_free(d);
}

static void test_max_input(void) {
    acar_err err;
    /* exactly the limit reads */
    acar_doc *d = doc_with(P2_LEN, 0, 0);
    CHECK(acar_read(d, p2, P2_LEN, NULL, &err) != NULL);
    acar_doc_free(d);
    /* one byte less refuses, before any parsing, at offset max_input */
    d = doc_with(P2_LEN - 1, 0, 0);
    CHECK(acar_read(d, p2, P2_LEN, NULL, &err) == NULL);
    CHECK(err.code == ACAR_ERR_LIMIT);
    CHECK(err.offset == P2_LEN - 1);
    CHECK(strstr(err.msg, "max_input") != NULL);
    /* every format: the check comes before the dispatch */
    static const char json[] = "[1, 2, 3]";
    acar_read_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.format = ACAR_FORMAT_JSON;
    CHECK(acar_read(d, json, sizeof json - 1, &ro, &err) != NULL);
    acar_doc_free(d);
    d = doc_with(4, 0, 0);
    CHECK(acar_read(d, json, sizeof json - 1, &ro, &err) == NULL);
    CHECK(err.code == ACAR_ERR_LIMIT && err.offset == 4 && strstr(err.msg, "max_input"));
    ro.format = ACAR_FORMAT_XMLRPC;
    static const char rpc[] = "<params><param><value><int>1</int></value></param></params>";
    CHECK(acar_read(d, rpc, sizeof rpc - 1, &ro, &err) == NULL && err.code == ACAR_ERR_LIMIT);
    acar_doc_free(d);

    /* .npy (numpy.save of an int32 2x3 array): the header counts, the
     * element bytes do not */
    FILE *f = fopen("fixtures/tensor/i4_2x3_v1.npy", "rb");
    CHECK(f != NULL);
    if (f) {
        unsigned char npy[512];
        size_t npy_len = fread(npy, 1, sizeof npy, f);
        fclose(f);
        size_t hl = (size_t)npy[8] | (size_t)npy[9] << 8;
        CHECK(npy_len == 10 + hl + 24);
        acar_array a;
        d = doc_with(hl, 0, 0);
        CHECK(acar_npy_read(d, npy, npy_len, NULL, &a, &err) == 0);
        CHECK(a.nbytes == 24);
        acar_doc_free(d);
        d = doc_with(hl - 1, 0, 0);
        CHECK(acar_npy_read(d, npy, npy_len, NULL, &a, &err) < 0);
        CHECK(err.code == ACAR_ERR_LIMIT && strstr(err.msg, "max_input") && err.offset == 10 + hl - 1);
        acar_doc_free(d);
    }

    /* the scanner: each pickle read is bounded; a pickle it cannot read
     * whole is never safe */
    acar_scan_opts so;
    memset(&so, 0, sizeof so);
    so.limits.max_input = P2_LEN - 1;
    acar_scan_report rep;
    CHECK(acar_scan(p2, P2_LEN, &so, &rep, &err) == 0);
    CHECK(rep.verdict != ACAR_SCAN_SAFE && rep.incomplete);
    int named = 0;
    for (size_t i = 0; i < rep.nfindings; i++)
        if (strstr(rep.findings[i].message, "max_input")) named = 1;
    CHECK(named);
    acar_scan_report_free(&rep);
    so.limits.max_input = 0;
    CHECK(acar_scan(p2, P2_LEN, &so, &rep, &err) == 0);
    CHECK(rep.verdict == ACAR_SCAN_SAFE && !rep.incomplete);
    acar_scan_report_free(&rep);
}

static void test_max_ops(void) {
    acar_err err;
    acar_doc *d;
    /* 9 opcodes: a limit of 9 reads */
    for (size_t ops = 9; ops <= 20; ops++) {
        d = doc_with(0, ops, 0);
        CHECK(acar_read(d, p2, P2_LEN, NULL, &err) != NULL);
        acar_doc_free(d);
    }
    /* 8: STOP (offset 13) is the ninth */
    d = doc_with(0, 8, 0);
    CHECK(acar_read(d, p2, P2_LEN, NULL, &err) == NULL);
    CHECK(err.code == ACAR_ERR_LIMIT);
    CHECK(err.offset == 13);
    CHECK(strstr(err.msg, "max_ops") != NULL);
    acar_doc_free(d);
    /* 1: EMPTY_LIST (offset 2) is the second */
    d = doc_with(0, 1, 0);
    CHECK(acar_read(d, p2, P2_LEN, NULL, &err) == NULL);
    CHECK(err.code == ACAR_ERR_LIMIT && err.offset == 2);
    acar_doc_free(d);
    /* 5: BININT1 at 8 is the sixth */
    d = doc_with(0, 5, 0);
    CHECK(acar_read(d, p2, P2_LEN, NULL, &err) == NULL);
    CHECK(err.code == ACAR_ERR_LIMIT && err.offset == 8);
    acar_doc_free(d);
    /* a truncated pickle within the limit still says truncated */
    d = doc_with(0, 3, 0);
    CHECK(acar_read(d, p2, 3, NULL, &err) == NULL);
    CHECK(err.code == ACAR_ERR_TRUNCATED);
    acar_doc_free(d);
    /* the scanner */
    acar_scan_opts so;
    memset(&so, 0, sizeof so);
    so.limits.max_ops = 4;
    acar_scan_report rep;
    CHECK(acar_scan(p2, P2_LEN, &so, &rep, &err) == 0);
    CHECK(rep.verdict != ACAR_SCAN_SAFE && rep.incomplete);
    int named = 0;
    for (size_t i = 0; i < rep.nfindings; i++)
        if (strstr(rep.findings[i].message, "max_ops") && rep.findings[i].offset == 6) named = 1;
    CHECK(named);
    acar_scan_report_free(&rep);
}

/* CPython's pickles of tests/unit/alloc_fail_inputs.h: with max_ops the
 * number of opcodes pickletools.genops lists they read; one less stops at
 * STOP, where pickletools says it is. */
static void test_max_ops_cpython(void) {
    for (size_t i = 0; i < sizeof af_pickle_ops / sizeof *af_pickle_ops; i++) {
        const af_ops *o = &af_pickle_ops[i];
        const af_input *in = NULL;
        for (size_t k = 0; k < sizeof af_inputs / sizeof *af_inputs; k++)
            if (!strcmp(af_inputs[k].name, o->name)) in = &af_inputs[k];
        CHECK(in != NULL);
        if (!in) continue;
        acar_err err;
        acar_doc *d = doc_with(0, o->nops, 0);
        CHECK_MSG(acar_read(d, in->data, in->len, NULL, &err) != NULL, "%s: %s", o->name, err.msg);
        acar_doc_free(d);
        d = doc_with(0, o->nops - 1, 0);
        CHECK_MSG(acar_read(d, in->data, in->len, NULL, &err) == NULL && err.code == ACAR_ERR_LIMIT &&
                      err.offset == o->stop,
                  "%s: max_ops %zu: code %d offset %zu (want %zu)", o->name, o->nops - 1, (int)err.code, err.offset,
                  o->stop);
        acar_doc_free(d);
    }
}

/* expat's own memory counts against max_memory: a small limit gives
 * ACAR_ERR_LIMIT naming max_memory, never a bare out-of-memory. */
static void test_xml_memory(void) {
    static const char rpc[] = "<?xml version='1.0'?>\n<methodCall><methodName>m</methodName><params>"
                              "<param><value><string>some text</string></value></param></params></methodCall>\n";
    acar_read_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.format = ACAR_FORMAT_XMLRPC;
    acar_err err;
    int limited = 0;
    for (size_t mem = 4096; mem < (1u << 20); mem += mem / 4) {
        acar_doc *d = doc_with(0, 0, mem);
        acar_val *v = acar_read(d, rpc, sizeof rpc - 1, &ro, &err);
        if (!v) {
            CHECK_MSG(err.code == ACAR_ERR_LIMIT && strstr(err.msg, "max_memory"), "max_memory %zu: %d %s", mem,
                      (int)err.code, err.msg);
            limited = 1;
        }
        acar_doc_free(d);
        if (v) break;
    }
    CHECK(limited);
}

/* A chunk never takes a document past max_memory when what is asked for
 * fits: a read's first chunk (4 KiB at least) shrinks to the room left,
 * so a limit below the chunk size still reads a small input, and the
 * document stays within the limit.  The least limit that reads p2 is
 * found by a scan; every limit from it up reads too. */
static void test_max_memory_small(void) {
    acar_err err;
    size_t least = 0;
    for (size_t mem = 256; mem <= 8192 && !least; mem += 8) {
        acar_doc *d = doc_with(0, 0, mem);
        acar_val *v = acar_read(d, p2, P2_LEN, NULL, &err);
        if (v) {
            least = mem;
            CHECK_MSG(acar_doc_memory(d) <= mem, "max_memory %zu: took %zu", mem, acar_doc_memory(d));
        } else {
            CHECK_MSG(err.code == ACAR_ERR_LIMIT && strstr(err.msg, "max_memory"), "max_memory %zu: %s", mem,
                      err.msg);
        }
        acar_doc_free(d);
    }
    CHECK_MSG(least && least < 4096, "least max_memory that reads [1, 2, 3]: %zu", least);
    for (size_t mem = least; mem <= least + 4096; mem += 40) {
        acar_doc *d = doc_with(0, 0, mem);
        CHECK_MSG(acar_read(d, p2, P2_LEN, NULL, &err) != NULL, "max_memory %zu: %s", mem, err.msg);
        CHECK(acar_doc_memory(d) <= mem);
        acar_doc_free(d);
    }
}

int main(void) {
    test_defaults();
    test_max_memory_small();
    test_max_input();
    test_max_ops();
    test_max_ops_cpython();
    test_xml_memory();
    return CHECK_DONE();
}
