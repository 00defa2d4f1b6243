/*
 * fuzz_pickle.c -- libFuzzer target for the pickle reader, with a round trip.
 *
 * Whatever reads must print and write at every protocol that can hold it;
 * what acar writes must read back, and from the second write on, reading
 * and writing again must give the same bytes.
 */
#include "acar.h"
#include "fuzz_fail.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    acar_doc_opts o = {0};
    o.limits.max_memory = (size_t)256 << 20;
    acar_doc *doc = acar_doc_new(&o);
    if (!doc) return 0;
    acar_read_opts ro = {0};
    ro.format = ACAR_FORMAT_PICKLE;
    acar_err err;
    acar_val *v = acar_read(doc, data, size, &ro, &err);
    if (!v) {
        if (err.code == ACAR_OK || err.msg[0] == '\0') fail("error without code or message");
        if (err.offset > size) fail("error offset past the input");
        acar_doc_free(doc);
        return 0;
    }
    /* Protocols express some values differently (getattr for nested names
     * below 4, copyreg.__newobj__ below 2, str(pid) at 0, functools.partial
     * for NEWOBJ_EX below 4), as CPython's own writer does, and a document
     * need not be one CPython could have made (a global named __builtin__.set
     * in a protocol 5 stream turns into builtins.set when written below 3).
     * So the first write may normalise the value; what must hold is that
     * acar reads what it writes and that, from then on, reading and writing
     * at protocol P is a fixpoint: same bytes every time. */
    acar_buf repr1 = {0};
    acar_write_opts ropt = {0};
    ropt.max_output = (size_t)16 << 20; /* shared nodes can print exponentially */
    if (acar_write(v, ACAR_FORMAT_REPR, &ropt, &repr1, &err) != 0 && err.code != ACAR_ERR_LIMIT && err.code != ACAR_ERR_UNSUPPORTED &&
        err.code != ACAR_ERR_NOMEM)
        fail("a value that reads does not print");
    /* Every other writer takes any document: it writes it or refuses it
     * with a code and a message (types the format cannot hold, cycles,
     * the output bound), never more. */
    static const struct { acar_format fmt; uint32_t flags; const char *indent; } others[] = {
        {ACAR_FORMAT_JSON, 0, NULL},
        {ACAR_FORMAT_JSON, ACAR_WRITE_SORT_KEYS | ACAR_WRITE_SKIPKEYS, "  "},
        {ACAR_FORMAT_JSON, ACAR_WRITE_NO_ENSURE_ASCII | ACAR_WRITE_NO_ALLOW_NAN, NULL},
        {ACAR_FORMAT_JSONL, 0, NULL},
        {ACAR_FORMAT_XMLRPC, ACAR_WRITE_ALLOW_NONE, NULL},
        {ACAR_FORMAT_PLIST, 0, NULL},
        {ACAR_FORMAT_PLIST, ACAR_WRITE_NO_SORT_KEYS | ACAR_WRITE_SKIPKEYS, NULL},
        {ACAR_FORMAT_BPLIST, 0, NULL},
        {ACAR_FORMAT_MARSHAL, 0, NULL},
    };
    for (size_t k = 0; k < sizeof others / sizeof *others; k++) {
        acar_write_opts wo = {0};
        wo.flags = others[k].flags;
        wo.indent = others[k].indent;
        wo.max_output = ropt.max_output;
        acar_buf out = {0};
        if (acar_write(v, others[k].fmt, &wo, &out, &err) != 0 && (err.code == ACAR_OK || err.msg[0] == '\0'))
            fail("a write failed without code or message");
        if (out.len > wo.max_output) fail("a write passed max_output");
        acar_buf_free(&out);
    }
    for (unsigned proto = 0; proto <= 5; proto++) {
        acar_write_opts wo = {0};
        wo.version = ACAR_VERSION(proto);
        wo.max_output = ropt.max_output; /* protocol 0 writes str(pid) */
        acar_buf gen[3] = {{0}, {0}, {0}};
        const acar_val *cur = v;
        acar_doc *docs[2] = {NULL, NULL};
        for (int g = 0; g < 3 && cur; g++) {
            if (acar_write(cur, ACAR_FORMAT_PICKLE, &wo, &gen[g], &err) != 0) {
                if (g > 0 && err.code != ACAR_ERR_NOMEM && err.code != ACAR_ERR_LIMIT)
                    fail("acar cannot write again what it read from its own output");
                break;
            }
            if (g == 2) {
                if (gen[2].len != gen[1].len || memcmp(gen[2].data, gen[1].data, gen[1].len) != 0)
                    fail("reading and writing acar's own output is not a fixpoint");
                break;
            }
            docs[g] = acar_doc_new(&o);
            acar_read_opts ro2 = {0};
            ro2.format = ACAR_FORMAT_PICKLE;
            cur = docs[g] ? acar_read(docs[g], gen[g].data, gen[g].len, &ro2, &err) : NULL;
            if (docs[g] && !cur && err.code != ACAR_ERR_NOMEM && err.code != ACAR_ERR_LIMIT &&
                err.code != ACAR_ERR_UNRESOLVED)
                fail("acar cannot read what it wrote");
        }
        for (int g = 0; g < 3; g++) acar_buf_free(&gen[g]);
        acar_doc_free(docs[0]);
        acar_doc_free(docs[1]);
    }
    acar_buf_free(&repr1);
    acar_doc_free(doc);
    return 0;
}
