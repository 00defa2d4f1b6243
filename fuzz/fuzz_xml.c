/*
 * fuzz_xml.c -- libFuzzer target for the XML-RPC and XML plist readers,
 * with round trips through both writers.
 *
 * The first byte picks the reader (bit 0: plist, else XML-RPC) and write
 * options (bit 1: allow_none / no sort keys, bit 2: method call / skipkeys);
 * the rest is the document.  Whatever reads must print; what either writer
 * writes must read back; a plist written, read and written again must give
 * the same bytes (unless skipkeys dropped keys).  An error must carry a
 * code, a message and an offset inside the input.
 */
#include "acar.h"
#include "fuzz_fail.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const acar_buf *a, const acar_buf *b) {
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* Writes v as fmt, reads it back; for plists writes again and compares. */
static void round_trip(const acar_val *v, acar_format fmt, const acar_write_opts *wo,
                       const acar_doc_opts *o) {
    acar_buf out = {0}, out2 = {0};
    acar_err err;
    if (acar_write(v, fmt, wo, &out, &err) != 0) {
        if (err.code == ACAR_OK || err.msg[0] == '\0') fail("write error without code or message");
        acar_buf_free(&out);
        return;
    }
    acar_doc *doc2 = acar_doc_new(o);
    acar_read_opts ro = {0};
    ro.format = fmt;
    acar_val *v2 = doc2 ? acar_read(doc2, out.data, out.len, &ro, &err) : NULL;
    if (doc2 && !v2 && err.code != ACAR_ERR_NOMEM && err.code != ACAR_ERR_LIMIT)
        fail("acar cannot read what it wrote");
    /* skipkeys drops keys, so a dict can come back empty: <dict/> then */
    if (v2 && fmt == ACAR_FORMAT_PLIST && !(wo->flags & ACAR_WRITE_SKIPKEYS)) {
        if (acar_write(v2, fmt, wo, &out2, &err) != 0) fail("cannot write what was read back");
        if (!same(&out, &out2)) fail("plist changed on a second round trip");
    }
    acar_buf_free(&out2);
    acar_buf_free(&out);
    acar_doc_free(doc2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    unsigned sel = data[0];
    data++;
    size--;
    acar_doc_opts o = {0};
    o.limits.max_memory = (size_t)256 << 20;
    acar_doc *doc = acar_doc_new(&o);
    if (!doc) return 0;
    acar_read_opts ro = {0};
    ro.format = (sel & 1) ? ACAR_FORMAT_PLIST : ACAR_FORMAT_XMLRPC;
    acar_err err;
    memset(&err, 0, sizeof err);
    acar_val *v = acar_read(doc, data, size, &ro, &err);
    if (!v) {
        if (err.code == ACAR_OK || err.msg[0] == '\0') fail("error without code or message");
        if (err.offset > size) fail("error offset past the input");
        acar_doc_free(doc);
        return 0;
    }
    if (ro.consumed != size) fail("consumed is not the whole document");
    if (ro.format == ACAR_FORMAT_XMLRPC && !ro.xmlrpc_kind) fail("no kind");
    acar_buf repr = {0};
    if (acar_repr(v, &repr, &err) != 0 && err.code != ACAR_ERR_LIMIT) fail("repr failed");
    acar_buf_free(&repr);

    acar_write_opts wo = {0};
    if (sel & 2) wo.flags |= ACAR_WRITE_NO_SORT_KEYS;
    if (sel & 4) wo.flags |= ACAR_WRITE_SKIPKEYS;
    round_trip(v, ACAR_FORMAT_PLIST, &wo, &o);

    memset(&wo, 0, sizeof wo);
    if (sel & 2) wo.flags |= ACAR_WRITE_ALLOW_NONE;
    if (sel & 4) wo.method = "fuzz.method";
    if (ro.xmlrpc_kind == ACAR_XMLRPC_FAULT) wo.flags |= ACAR_WRITE_FAULT;
    if (acar_typeof(v) == ACAR_TUPLE || (wo.flags & ACAR_WRITE_FAULT)) round_trip(v, ACAR_FORMAT_XMLRPC, &wo, &o);
    acar_doc_free(doc);
    return 0;
}
