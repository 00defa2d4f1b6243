/*
 * fuzz_pickle.c -- libFuzzer target for the pickle reader, with a round trip.
 *
 * Whatever reads must print, and must write at every protocol that can hold
 * it; what acar writes must read back to a value with the same repr.
 */
#include "acar.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Where needle occurs in hay[0..n), or NULL (memmem is not C11). */
static const char *memmem_s(const char *hay, size_t n, const char *needle) {
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(hay + i, needle, k) == 0) return hay + i;
    return NULL;
}

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
    /* The value must survive a write at the input's own protocol (as its PROTO
     * opcode declares it, or protocol 1 without one).  Other protocols express some
     * values differently (getattr for nested names below 4, copyreg.__newobj__
     * below 2, str(pid) at 0), as CPython's own writer does, so there acar
     * only has to read back what it wrote. */
    unsigned in_proto = ro.protocol ? ro.protocol : 1;
    acar_buf repr1 = {0};
    int repr_ok = acar_repr(v, &repr1, &err) == 0;
    for (unsigned proto = 0; proto <= 5; proto++) {
        acar_buf out = {0};
        acar_write_opts wo = {0};
        wo.version = ACAR_VERSION(proto);
        if (acar_write(v, ACAR_FORMAT_PICKLE, &wo, &out, &err) == 0) {
            acar_doc *doc2 = acar_doc_new(&o);
            acar_read_opts ro2 = {0};
            ro2.format = ACAR_FORMAT_PICKLE;
            ro2.buffers = ro.buffers;
            acar_val *v2 = doc2 ? acar_read(doc2, out.data, out.len, &ro2, &err) : NULL;
            if (doc2 && !v2 && err.code != ACAR_ERR_NOMEM && err.code != ACAR_ERR_LIMIT &&
                err.code != ACAR_ERR_UNRESOLVED)
                fail("acar cannot read what it wrote");
            /* Protocol 0 writes a persistent id as str(pid), as CPython does,
             * so a value holding one with another pid comes back changed. */
            bool lossy = proto == 0 && repr_ok &&
                         memmem_s(repr1.data, repr1.len, "persistent_load(") != NULL;
            if (v2 && repr_ok && !lossy && proto == in_proto) {
                acar_buf repr2 = {0};
                if (acar_repr(v2, &repr2, &err) == 0 &&
                    (repr2.len != repr1.len || memcmp(repr1.data, repr2.data, repr1.len) != 0))
                    fail("value changed on a round trip");
                acar_buf_free(&repr2);
            }
            acar_doc_free(doc2);
        }
        acar_buf_free(&out);
    }
    acar_buf_free(&repr1);
    acar_doc_free(doc);
    return 0;
}
