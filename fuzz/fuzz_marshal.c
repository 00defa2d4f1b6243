/*
 * fuzz_marshal.c -- libFuzzer target for the marshal reader, with round
 * trips through the writer.
 *
 * The first byte picks the dialect (bit 0: Python 2, when the build lets
 * this file see src/marshal/marshal.h; else Python 3 always) and the rest
 * is the input.  Whatever reads must print and must write at every version that can
 * hold it (below 3 a cycle or a blow-up of shared values may be refused with
 * a clear code); what acar writes must read back to a value with the same
 * repr, and writing that again at the same version must give the same bytes.
 */
#include "acar.h"

#if defined(__has_include)
#if __has_include("marshal/marshal.h")
#include "marshal/marshal.h"
#define HAVE_DIALECTS 1
#endif
#endif

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *why) {
    (void)why;
    abort();
}

static int same(const acar_buf *a, const acar_buf *b) {
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    int py2 = data[0] & 1;
    data++;
    size--;
    acar_doc_opts o = {0};
    o.limits.max_memory = (size_t)256 << 20;
    acar_doc *doc = acar_doc_new(&o);
    if (!doc) return 0;
    acar_read_opts ro = {0};
    ro.format = ACAR_FORMAT_MARSHAL;
    acar_err err;
    memset(&err, 0, sizeof err);
#ifdef HAVE_DIALECTS
    acar_val *v = acar__marshal_read_ex(doc, data, size, &ro, py2 ? ACAR_MARSHAL_PY2 : ACAR_MARSHAL_PY3, &err);
#else
    (void)py2;
    acar_val *v = acar_read(doc, data, size, &ro, &err);
#endif
    if (!v) {
        if (err.code == ACAR_OK || err.msg[0] == '\0') fail("error without code or message");
        if (err.offset > size) fail("error offset past the input");
        acar_doc_free(doc);
        return 0;
    }
    if (ro.consumed == 0 || ro.consumed > size) fail("consumed out of range");
    acar_buf repr1 = {0};
    int repr_ok = acar_repr(v, &repr1, &err) == 0;
    for (unsigned version = 0; version <= 5; version++) {
        acar_buf out = {0};
        acar_write_opts wo = {0};
        wo.version = ACAR_VERSION(version);
        if (acar_write(v, ACAR_FORMAT_MARSHAL, &wo, &out, &err) == 0) {
            acar_doc *doc2 = acar_doc_new(&o);
            acar_read_opts ro2 = {0};
            ro2.format = ACAR_FORMAT_MARSHAL;
            acar_val *v2 = doc2 ? acar_read(doc2, out.data, out.len, &ro2, &err) : NULL;
            if (doc2 && !v2 && err.code != ACAR_ERR_NOMEM && err.code != ACAR_ERR_LIMIT)
                fail("acar cannot read what it wrote");
            if (v2 && ro2.consumed != out.len) fail("acar wrote bytes after the value");
            if (v2 && repr_ok) {
                acar_buf repr2 = {0};
                if (acar_repr(v2, &repr2, &err) == 0 && !same(&repr1, &repr2))
                    fail("value changed on a round trip");
                acar_buf_free(&repr2);
            }
            if (v2) {
                /* What acar wrote and read, it writes again the same. */
                acar_buf again = {0};
                if (acar_write(v2, ACAR_FORMAT_MARSHAL, &wo, &again, &err) == 0 && !same(&out, &again))
                    fail("second write differs");
                acar_buf_free(&again);
            }
            acar_doc_free(doc2);
        } else if (err.code != ACAR_ERR_LIMIT && err.code != ACAR_ERR_NOMEM &&
                   !(version < 3 && err.code == ACAR_ERR_TYPE)) {
            fail("a value read from marshal cannot be written");
        }
        acar_buf_free(&out);
    }
    acar_buf_free(&repr1);
    acar_doc_free(doc);
    return 0;
}
