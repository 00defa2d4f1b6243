/*
 * fuzz_marshal.c -- libFuzzer target for the marshal reader and the .pyc
 * layer, with round trips through the writers.
 *
 * The first byte picks the mode (when the build lets this file see
 * src/marshal/marshal.h; else Python 3 marshal always) and the rest is the
 * input:
 *   bits 0-1 = 0  Python 3 marshal (code objects in 3.11's layout): what
 *                 reads must print and must write at every version 0..5
 *                 (below 3 a cycle or a blow-up of shared values may be
 *                 refused with a clear code); what acar writes must read
 *                 back to a value with the same repr, and writing that
 *                 again at the same version must give the same bytes.
 *            = 1  Python 2 marshal (code objects of 2.7): the same with
 *                 the Python 2 writer at versions 0..2.
 *            = 2, 3  a .pyc file of any version: what reads must print
 *                 (repr and acar_code_show), write as a .pyc, read back,
 *                 and write again the same.
 * In every mode, what reads is also disassembled (acar_code_dis, offsets
 * shown when bit 2 of the mode byte is set): a listing, or an error with a
 * code and a message (malformed bytecode, no code object), never a crash.
 */
#include "acar.h"
#include "fuzz_fail.h"

#if defined(__has_include)
#if __has_include("marshal/marshal.h")
#include "marshal/marshal.h"
#define HAVE_DIALECTS 1
#endif
#endif

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const acar_buf *a, const acar_buf *b) {
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* acar_code_dis on whatever was read: 0, or -1 with a code and message. */
static void check_dis(const acar_val *v, int offsets) {
    acar_code_dis_opts dopts = {offsets};
    acar_buf listing = {0};
    acar_err err;
    memset(&err, 0, sizeof err);
    if (acar_code_dis(v, &dopts, &listing, &err) != 0 && (err.code == ACAR_OK || err.msg[0] == '\0'))
        fail("dis error without code or message");
    acar_buf_free(&listing);
}

static acar_doc_opts doc_opts(void) {
    acar_doc_opts o = {0};
    o.limits.max_memory = (size_t)256 << 20;
    return o;
}

/* Reads data in mode (0: Python 3, 1: Python 2 marshal). */
static acar_val *read_mode(acar_doc *doc, const uint8_t *data, size_t size, int mode,
                           acar_read_opts *ro, acar_err *err) {
    memset(ro, 0, sizeof *ro);
    ro->format = ACAR_FORMAT_MARSHAL;
#ifdef HAVE_DIALECTS
    return acar__marshal_read_ex(doc, data, size, ro, mode ? ACAR_MARSHAL_PY2 : ACAR_MARSHAL_PY3, err);
#else
    (void)mode;
    return acar_read(doc, data, size, ro, err);
#endif
}

static int write_mode(const acar_val *v, unsigned version, int mode, acar_buf *out, acar_err *err) {
    acar_write_opts wo = {0};
    wo.version = ACAR_VERSION(version);
#ifdef HAVE_DIALECTS
    acar_out o = {out, false, false, 0};
    int rc = acar__marshal_write_ex(v, &wo, mode ? ACAR_MARSHAL_PY2 : ACAR_MARSHAL_PY3, &o, err);
    if (rc == 0 && o.failed) {
        err->code = ACAR_ERR_NOMEM;
        return -1;
    }
    return rc;
#else
    (void)mode;
    return acar_write(v, ACAR_FORMAT_MARSHAL, &wo, out, err);
#endif
}

#ifdef HAVE_DIALECTS
static void fuzz_pyc(const uint8_t *data, size_t size, int offsets) {
    acar_doc_opts o = doc_opts();
    acar_doc *doc = acar_doc_new(&o);
    if (!doc) return;
    acar_read_opts ro = {0};
    ro.format = ACAR_FORMAT_PYC;
    acar_err err;
    memset(&err, 0, sizeof err);
    acar_val *v = acar__pyc_read(doc, data, size, &ro, &err);
    if (!v) {
        if (err.code == ACAR_OK || err.msg[0] == '\0') fail("error without code or message");
        if (err.offset > size) fail("error offset past the input");
        acar_doc_free(doc);
        return;
    }
    if (ro.consumed == 0 || ro.consumed > size) fail("consumed out of range");
    check_dis(v, offsets);
    acar_buf repr1 = {0}, out = {0};
    /* (UNSUPPORTED until the repr printer knows code objects) */
    if (acar_repr(v, &repr1, &err) != 0 && err.code != ACAR_ERR_LIMIT && err.code != ACAR_ERR_UNSUPPORTED)
        fail("cannot print");
    acar_buf shown = {0};
    if (acar_code_show(v, &shown, &err) != 0 && err.code != ACAR_ERR_NOMEM) fail("cannot show");
    acar_buf_free(&shown);
    if (acar_pyc_write(v, NULL, &out, &err) == 0) {
        acar_doc *doc2 = acar_doc_new(&o);
        acar_read_opts ro2 = {0};
        acar_val *v2 = doc2 ? acar__pyc_read(doc2, (const uint8_t *)out.data, out.len, &ro2, &err) : NULL;
        if (doc2 && !v2 && err.code != ACAR_ERR_NOMEM && err.code != ACAR_ERR_LIMIT)
            fail("acar cannot read the .pyc it wrote");
        if (v2 && ro2.consumed != out.len) fail("acar wrote bytes after the code object");
        if (v2) {
            acar_buf again = {0};
            if (acar_pyc_write(v2, NULL, &again, &err) == 0 && !same(&out, &again))
                fail("second .pyc write differs");
            acar_buf_free(&again);
        }
        acar_doc_free(doc2);
    } else if (err.code != ACAR_ERR_LIMIT && err.code != ACAR_ERR_NOMEM) {
        fail("a code object read from a .pyc cannot be written");
    }
    acar_buf_free(&out);
    acar_buf_free(&repr1);
    acar_doc_free(doc);
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    int mode = data[0] & 3, offsets = (data[0] >> 2) & 1;
    data++;
    size--;
#ifdef HAVE_DIALECTS
    if (mode >= 2) {
        fuzz_pyc(data, size, offsets);
        return 0;
    }
#else
    mode = 0;
    (void)offsets;
#endif
    acar_doc_opts o = doc_opts();
    acar_doc *doc = acar_doc_new(&o);
    if (!doc) return 0;
    acar_read_opts ro;
    acar_err err;
    memset(&err, 0, sizeof err);
    acar_val *v = read_mode(doc, data, size, mode, &ro, &err);
    if (!v) {
        if (err.code == ACAR_OK || err.msg[0] == '\0') fail("error without code or message");
        if (err.offset > size) fail("error offset past the input");
        acar_doc_free(doc);
        return 0;
    }
    if (ro.consumed == 0 || ro.consumed > size) fail("consumed out of range");
    check_dis(v, offsets);
    acar_buf repr1 = {0};
    int repr_ok = acar_repr(v, &repr1, &err) == 0;
    unsigned vmax = mode ? 2 : 5;
    for (unsigned version = 0; version <= vmax; version++) {
        acar_buf out = {0};
        if (write_mode(v, version, mode, &out, &err) == 0) {
            acar_doc *doc2 = acar_doc_new(&o);
            acar_read_opts ro2;
            acar_val *v2 = doc2 ? read_mode(doc2, (const uint8_t *)out.data, out.len, mode, &ro2, &err) : NULL;
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
                if (write_mode(v2, version, mode, &again, &err) == 0 && !same(&out, &again))
                    fail("second write differs");
                acar_buf_free(&again);
            }
            acar_doc_free(doc2);
        } else if (err.code != ACAR_ERR_LIMIT && err.code != ACAR_ERR_NOMEM &&
                   !((version < 3 || mode) && err.code == ACAR_ERR_TYPE)) {
            fail("a value read from marshal cannot be written");
        }
        acar_buf_free(&out);
    }
    acar_buf_free(&repr1);
    acar_doc_free(doc);
    return 0;
}
