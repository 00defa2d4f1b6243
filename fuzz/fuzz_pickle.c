/*
 * fuzz_pickle.c -- libFuzzer target for the pickle reader, with a round trip.
 *
 * Whatever reads must print and write at every protocol that can hold it;
 * what acar writes must read back and write again to the same bytes.
 */
#include "acar.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *why) {
    (void)why;
    abort();
}

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
     * for NEWOBJ_EX below 4), as CPython's own writer does, so a value need
     * not keep its shape across protocols.  What must hold: what acar writes
     * at protocol P it reads back, and writing that again at P gives the
     * same bytes (reader and writer agree on every form they use). */
    acar_buf repr1 = {0};
    if (acar_repr(v, &repr1, &err) != 0 && err.code != ACAR_ERR_LIMIT && err.code != ACAR_ERR_UNSUPPORTED &&
        err.code != ACAR_ERR_NOMEM)
        fail("a value that reads does not print");
    for (unsigned proto = 0; proto <= 5; proto++) {
        acar_buf out = {0}, again = {0};
        acar_write_opts wo = {0};
        wo.version = ACAR_VERSION(proto);
        if (acar_write(v, ACAR_FORMAT_PICKLE, &wo, &out, &err) == 0) {
            acar_doc *doc2 = acar_doc_new(&o);
            acar_read_opts ro2 = {0};
            ro2.format = ACAR_FORMAT_PICKLE;
            acar_val *v2 = doc2 ? acar_read(doc2, out.data, out.len, &ro2, &err) : NULL;
            if (doc2 && !v2 && err.code != ACAR_ERR_NOMEM && err.code != ACAR_ERR_LIMIT &&
                err.code != ACAR_ERR_UNRESOLVED)
                fail("acar cannot read what it wrote");
            if (v2 && acar_write(v2, ACAR_FORMAT_PICKLE, &wo, &again, &err) == 0 &&
                (again.len != out.len || memcmp(again.data, out.data, out.len) != 0))
                fail("writing what acar wrote and read back gives other bytes");
            acar_buf_free(&again);
            acar_doc_free(doc2);
        }
        acar_buf_free(&out);
    }
    acar_buf_free(&repr1);
    acar_doc_free(doc);
    return 0;
}
