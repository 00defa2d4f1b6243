/*
 * fuzz_bplist.c -- libFuzzer target for the binary plist reader, with round
 * trips through the writer.
 *
 * The input is read as a binary plist (borrowing its bytes when the first
 * byte is odd, to exercise both paths).  Whatever reads must print (or stop
 * at the repr size limit) and must write with sort_keys True and False,
 * unless it holds what plistlib cannot write either (a dict key that is not
 * a str, an int of 2**64 or more: ACAR_ERR_TYPE).  What acar writes must
 * read back, and writing that again must give the same bytes.
 */
#include "acar.h"
#include "fuzz_fail.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const acar_buf *a, const acar_buf *b) {
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    acar_doc_opts o = {0};
    o.limits.max_memory = (size_t)256 << 20;
    acar_doc *doc = acar_doc_new(&o);
    if (!doc) return 0;
    acar_read_opts ro = {0};
    ro.format = ACAR_FORMAT_BPLIST;
    if (size && (data[0] & 1)) ro.flags = ACAR_READ_BORROW;
    acar_err err;
    memset(&err, 0, sizeof err);
    acar_val *v = acar_read(doc, data, size, &ro, &err);
    if (!v) {
        if (err.code == ACAR_OK || err.msg[0] == '\0') fail("error without code or message");
        if (err.offset > size) fail("error offset past the input");
        acar_doc_free(doc);
        return 0;
    }
    if (ro.consumed != size) fail("consumed is not the input size");
    acar_write_opts po = {0};
    po.max_output = (size_t)1 << 20;
    acar_buf repr = {0};
    if (acar_write(v, ACAR_FORMAT_REPR, &po, &repr, &err) != 0 && err.code != ACAR_ERR_LIMIT)
        fail("cannot print what was read");
    acar_buf_free(&repr);
    for (int nosort = 0; nosort <= 1; nosort++) {
        acar_write_opts wo = {0};
        wo.flags = nosort ? ACAR_WRITE_NO_SORT_KEYS : 0;
        acar_buf out = {0};
        if (acar_write(v, ACAR_FORMAT_BPLIST, &wo, &out, &err) != 0) {
            if (err.code != ACAR_ERR_TYPE && err.code != ACAR_ERR_LIMIT && err.code != ACAR_ERR_NOMEM)
                fail("a value read from a bplist cannot be written");
            acar_buf_free(&out);
            continue;
        }
        acar_doc *doc2 = acar_doc_new(&o);
        acar_read_opts ro2 = {0};
        ro2.format = ACAR_FORMAT_BPLIST;
        acar_val *v2 = doc2 ? acar_read(doc2, out.data, out.len, &ro2, &err) : NULL;
        if (doc2 && !v2 && err.code != ACAR_ERR_NOMEM && err.code != ACAR_ERR_LIMIT)
            fail("acar cannot read what it wrote");
        if (v2) {
            acar_buf again = {0};
            if (acar_write(v2, ACAR_FORMAT_BPLIST, &wo, &again, &err) != 0) fail("rewrite failed");
            else if (!same(&out, &again)) fail("second write differs");
            acar_buf_free(&again);
        }
        acar_doc_free(doc2);
        acar_buf_free(&out);
    }
    acar_doc_free(doc);
    return 0;
}
