/*
 * fuzz_tensor.c -- libFuzzer target for the array views (src/tensor).
 *
 * Input is read as a .npy file when it has the magic, as a PyTorch
 * checkpoint when it is a zip or starts like the legacy format, else as a
 * pickle (borrowing the input); every array or tensor found in the root and
 * one level below it is viewed.  Invariants: a view that succeeds has nbytes equal to the
 * product of its shape times its item size, every element byte is readable
 * (ASan checks the whole range), and a .npy view lies inside the input.
 */
#include "safety/scan.h"
#include "tensor/tensor.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint8_t sink;

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
    (void)data, (void)size, (void)npy_in_input;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
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
