/*
 * fuzz_tensor.c -- libFuzzer target for the array views (src/tensor).
 *
 * Input is read as a .npy file when it has the magic, as a PyTorch
 * checkpoint when it is a zip or starts like the legacy format, else as a
 * pickle (borrowing the input); every array or tensor found in the root and
 * one level below it is viewed.  Invariants: a view that succeeds has nbytes equal to the
 * product of its shape times its item size, every element byte is readable
 * (ASan checks the whole range), and a .npy view lies inside the input.
 * The writers too: every array viewed is written again (acar_array_descr,
 * acar_new_ndarray / _objects / acar_new_npscalar, pickled at protocols 2
 * and 5 and read back to the same view; acar_npy_write_array read back
 * by acar_npy_read to the same bytes), and an input starting "DT:" is a
 * dtype string for acar_new_ndarray and acar_npy_write (either both accept
 * it or both refuse it with an error).
 */
#include "safety/scan.h"
#include "tensor/tensor.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint8_t sink;

/* Writes array node v again and checks what comes back. */
static void rewrite(const acar_val *v, const acar_array *a) {
    acar_doc *doc = acar_doc_new(NULL);
    acar_err err;
    acar_buf d = {0}, out = {0};
    if (!doc) return;
    int drc = acar_array_descr(a, &d, &err);
    if (drc < 0 && (err.code == ACAR_OK || !err.msg[0])) abort();
    acar_out o = {&d, false, false, 0};
    acar__out_byte(&o, 0);
    acar_val *w = NULL;
    if (drc == 0 && a->kind == 'O' && !a->scalar && a->objects && acar_typeof(a->objects) == ACAR_LIST)
        w = acar_new_ndarray_objects(doc, a->ndim, a->shape, a->fortran, a->objects);
    else if (drc == 0 && a->kind != 'O' && a->scalar)
        w = acar_new_npscalar(doc, d.data, a->data, a->nbytes);
    else if (drc == 0 && a->kind != 'O')
        w = acar_new_ndarray(doc, d.data, a->ndim, a->shape, a->fortran, a->data, a->nbytes, ACAR_NDARRAY_REDUCE);
    if (drc == 0 && a->kind != 'O' && !w) {
        /* what the reader accepts the writer makes, except dtypes the
         * reader only describes (void dtypes of odd layouts, odd sizes) */
        const acar_err *e = acar_doc_error(doc);
        if (!e || !e->msg[0]) abort();
    }
    for (int proto = 2; w && proto <= 5; proto += 3) {
        acar_write_opts wo;
        memset(&wo, 0, sizeof wo);
        wo.version = ACAR_VERSION(proto);
        out.len = 0;
        if (acar_write(w, ACAR_FORMAT_PICKLE, &wo, &out, &err) < 0) {
            if (a->kind != 'O') abort(); /* object elements may not pickle at 2 */
            continue;
        }
        acar_doc *back = acar_doc_new(NULL);
        acar_read_opts ro;
        memset(&ro, 0, sizeof ro);
        acar_array b;
        acar_val *r = back ? acar_read(back, out.data, out.len, &ro, &err) : NULL;
        if (back && (!r || acar_array_get(r, &b, &err) < 0)) abort();
        if (back && (b.ndim != a->ndim || b.nbytes != a->nbytes || b.kind != a->kind ||
                     memcmp(b.shape, a->shape, (size_t)a->ndim * sizeof *a->shape) != 0 ||
                     (a->data && memcmp(b.data, a->data, a->nbytes) != 0)))
            abort();
        acar_doc_free(back);
    }
    if (!a->scalar) {
        out.len = 0;
        if (acar_npy_write_array(&out, v, &err) == 0) {
            acar_doc *back = acar_doc_new(NULL);
            acar_array b;
            if (back && acar_npy_read(back, out.data, out.len, NULL, &b, &err) < 0) abort();
            if (back && (b.ndim != a->ndim || b.nbytes != a->nbytes || (a->data && memcmp(b.data, a->data, a->nbytes))))
                abort();
            acar_doc_free(back);
        } else if (err.code == ACAR_OK || !err.msg[0]) {
            abort();
        }
    }
    acar_buf_free(&d);
    acar_buf_free(&out);
    acar_doc_free(doc);
}

/* "DT:<dtype string>": acar_new_ndarray and acar_npy_write agree on it. */
static void dtype_string(const uint8_t *data, size_t size) {
    char s[256];
    size_t n = size - 3 < sizeof s - 1 ? size - 3 : sizeof s - 1;
    memcpy(s, data + 3, n);
    s[n] = 0;
    static const uint8_t zeros[4096];
    int64_t shape[1] = {2};
    acar_doc *doc = acar_doc_new(NULL);
    acar_buf out = {0};
    acar_err err;
    if (!doc) return;
    for (size_t items = 0; items <= 2; items += 2) {
        shape[0] = (int64_t)items;
        acar_doc_reset(doc);
        /* find the item size: the writer's error tells nothing, so try */
        for (size_t isz = 0; isz <= 64; isz++) {
            acar_val *v = acar_new_ndarray(doc, s, 1, shape, 0, zeros, items * isz, ACAR_NDARRAY_BUFFER);
            out.len = 0;
            int nrc = acar_npy_write(&out, s, 1, shape, 0, zeros, items * isz, &err);
            if (!v && !acar_doc_error(doc)) abort();
            if (nrc < 0 && (err.code == ACAR_OK || !err.msg[0])) abort();
            if (v) {
                acar_array a;
                if (acar_array_get(v, &a, &err) < 0 || a.nbytes != items * isz) abort();
            }
            if (nrc == 0) {
                acar_doc *back = acar_doc_new(NULL);
                acar_array b;
                if (back && (acar_npy_read(back, out.data, out.len, NULL, &b, &err) < 0 || b.nbytes != items * isz))
                    abort();
                acar_doc_free(back);
            }
            acar_doc_reset(doc);
            if (v || nrc == 0 || items == 0) break;
        }
    }
    acar_buf_free(&out);
    acar_doc_free(doc);
}

static void view(const acar_val *v, const uint8_t *data, size_t size, int npy_in_input) {
    acar_array a;
    acar_err err;
    if (!acar_is_ndarray(v)) return;
    if (acar_array_get(v, &a, &err) < 0) {
        if (err.code == ACAR_OK || !err.msg[0]) abort();
        return;
    }
    uint64_t n = a.itemsize;
    for (int i = 0; i < a.ndim; i++) n *= (uint64_t)a.shape[i];
    if (n != a.nbytes) abort();
    if (a.data) {
        uint8_t x = 0;
        for (size_t i = 0; i < a.nbytes; i++) x ^= ((const uint8_t *)a.data)[i];
        sink = x;
    }
    if (a.nbytes <= ((size_t)1 << 20)) rewrite(v, &a);
    (void)data, (void)size, (void)npy_in_input;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size >= 3 && memcmp(data, "DT:", 3) == 0) {
        dtype_string(data, size);
        return 0;
    }
    acar_doc *doc = acar_doc_new(NULL);
    if (!doc) return 0;
    acar_err err;
    acar_read_opts o;
    memset(&o, 0, sizeof o);
    o.flags = ACAR_READ_BORROW;
    if (acar_torch_is_legacy(data, size) || acar__zip_is(data, size)) {
        acar_torch *t = acar_torch_open(doc, data, size, &err);
        if (!t) {
            if (err.code == ACAR_OK || !err.msg[0]) abort();
        } else {
            acar_val *root = acar_torch_root(t), *items = NULL;
            if (acar_typeof(root) == ACAR_OBJECT) items = acar_object_dictitems(root);
            else if (acar_typeof(root) == ACAR_DICT) items = root;
            for (size_t i = 0; items && i < acar_len(items) && i < 1000; i++) {
                acar_tensor ten;
                if (acar_torch_tensor(t, acar_dict_value(items, i), &ten, &err) < 0) continue;
                /* the whole extent lies in the input: touch first and last element */
                uint64_t last = 0;
                int empty = 0;
                for (int d = 0; d < ten.ndim; d++) {
                    if (ten.shape[d] == 0) empty = 1;
                    else last += (uint64_t)(ten.shape[d] - 1) * (uint64_t)ten.strides[d];
                }
                if (!empty) {
                    const uint8_t *q = (const uint8_t *)ten.data + last * ten.itemsize;
                    if ((const uint8_t *)ten.data < data || q + ten.itemsize > data + size) abort();
                    sink = *(const uint8_t *)ten.data ^ q[ten.itemsize - 1];
                }
            }
        }
    } else if (acar_npy_is(data, size)) {
        acar_array a;
        if (acar_npy_read(doc, data, size, &o, &a, &err) == 0) {
            if (a.data && ((const uint8_t *)a.data < data || a.nbytes > size ||
                           (size_t)((const uint8_t *)a.data - data) > size - a.nbytes))
                abort();
            if (a.data) {
                uint8_t x = 0;
                for (size_t i = 0; i < a.nbytes; i++) x ^= ((const uint8_t *)a.data)[i];
                sink = x;
            }
        } else if (err.code == ACAR_OK || !err.msg[0] || err.offset > size) {
            abort();
        }
    } else {
        acar_val *root = acar_read(doc, data, size, &o, &err);
        if (root) {
            view(root, data, size, 0);
            acar_type t = acar_typeof(root);
            if (t == ACAR_DICT)
                for (size_t i = 0; i < acar_len(root) && i < 1000; i++) view(acar_dict_value(root, i), data, size, 0);
            else if (t == ACAR_LIST || t == ACAR_TUPLE)
                for (size_t i = 0; i < acar_len(root) && i < 1000; i++) view(acar_item(root, i), data, size, 0);
        }
    }
    acar_doc_free(doc);
    return 0;
}
