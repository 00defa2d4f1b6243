/*
 * ndarray_write.c -- builds the nodes NumPy pickles for an array, so that
 * acar's pickle writer gives the bytes numpy's pickle.dumps gives and Python
 * loads a real numpy.ndarray.
 *
 * Two forms (see ndarray.c for the reading side):
 *   protocols 2-4:  numpy.core.multiarray._reconstruct(numpy.ndarray, (0,),
 *                   b'b') BUILD (1, shape, dtype, is_fortran, bytes)
 *   protocol 5:     numpy.core.numeric._frombuffer(bytearray, dtype, shape,
 *                   'C' or 'F')
 * CPython memoizes strings by identity, and NumPy's 'numpy' module name is
 * one interned string, so the two globals that name module numpy share one
 * str node (the writer then emits a memo GET for the second, as CPython).
 */
#include "tensor/tensor.h"

#include <stdio.h>

/* A global whose module str node is given (shared). */
static acar_val *global_with(acar_doc *doc, acar_val *module, const char *name) {
    acar_global_body *b = acar__alloc(doc, sizeof *b);
    if (!b || !module) return NULL;
    b->module = module;
    b->name = acar_new_str(doc, name, strlen(name));
    if (!b->name) return NULL;
    acar_val *v = acar__node(doc, ACAR_TAG(ACAR_GLOBAL, 0, 0));
    if (v) v->u.p = b;
    return v;
}

/* numpy.dtype(code, False, True) with state (3, order, None, None, None,
 * elsize, alignment, flags), for the plain kinds b i u f c S U. */
static acar_val *new_dtype(acar_doc *doc, acar_val *np, const char *dtype_str, size_t *itemsize) {
    size_t n = strlen(dtype_str);
    if (n < 3 || n > 12 || !strchr("<>|", dtype_str[0]) || !dtype_str[0])
        return acar__doc_fail(doc, ACAR_ERR_ARG, "acar_new_ndarray: dtype must look like \"<f8\"");
    char kind = dtype_str[1];
    if (!kind || !strchr("biufcSU", kind))
        return acar__doc_fail(doc, ACAR_ERR_UNSUPPORTED, "acar_new_ndarray: dtype kind '%c' not supported yet", kind);
    uint64_t count = 0;
    for (size_t i = 2; i < n; i++) {
        if (dtype_str[i] < '0' || dtype_str[i] > '9')
            return acar__doc_fail(doc, ACAR_ERR_ARG, "acar_new_ndarray: bad dtype \"%s\"", dtype_str);
        count = count * 10 + (uint64_t)(dtype_str[i] - '0');
    }
    if (count == 0 || count > ((uint64_t)1 << 32))
        return acar__doc_fail(doc, ACAR_ERR_ARG, "acar_new_ndarray: bad item size in \"%s\"", dtype_str);
    *itemsize = (size_t)(kind == 'U' ? count * 4 : count);
    char order = dtype_str[0];
    if (*itemsize == 1 || kind == 'S' || kind == 'b') order = '|';
    int64_t elsize = -1, align = -1, flags = 0;
    if (kind == 'S') elsize = (int64_t)count, align = 1;
    if (kind == 'U') elsize = (int64_t)(count * 4), align = 4, flags = 8;
    acar_val *args[3] = {acar_new_str(doc, dtype_str + 1, n - 1), acar_new_bool(doc, 0), acar_new_bool(doc, 1)};
    acar_val *d = acar_new_object(doc, ACAR_BUILD_REDUCE, global_with(doc, np, "dtype"), acar_new_tuple(doc, args, 3), NULL);
    acar_val *st[8] = {acar_new_int(doc, 3), acar_new_str(doc, &order, 1), acar_new_none(doc), acar_new_none(doc),
                       acar_new_none(doc), acar_new_int(doc, elsize), acar_new_int(doc, align), acar_new_int(doc, flags)};
    if (!d || acar_object_set_state(doc, d, acar_new_tuple(doc, st, 8)) < 0) return NULL;
    return d;
}

acar_val *acar_new_ndarray(acar_doc *doc, const char *dtype_str, int ndim, const int64_t *shape, int fortran,
                           const void *data, size_t nbytes, int protocol5) {
    if (!doc) return NULL;
    if (!dtype_str || ndim < 0 || ndim > ACAR_MAX_NDIM || (ndim && !shape) || (nbytes && !data))
        return acar__doc_fail(doc, ACAR_ERR_ARG, "acar_new_ndarray: bad arguments");
    acar_val *np = acar_new_str(doc, "numpy", 5);
    size_t itemsize = 0;
    acar_val *dtype = new_dtype(doc, np, dtype_str, &itemsize);
    if (!dtype) return NULL;
    uint64_t count = 1;
    acar_val *dims[ACAR_MAX_NDIM];
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) return acar__doc_fail(doc, ACAR_ERR_ARG, "acar_new_ndarray: negative dimension");
        if (shape[i] && count > (uint64_t)INT64_MAX / (uint64_t)shape[i]) count = (uint64_t)INT64_MAX;
        else count *= (uint64_t)shape[i];
        dims[i] = acar_new_int(doc, shape[i]);
    }
    if (count > SIZE_MAX / itemsize || count * itemsize != nbytes)
        return acar__doc_fail(doc, ACAR_ERR_ARG, "acar_new_ndarray: %zu data bytes for %llu items of %zu", nbytes,
                              (unsigned long long)count, itemsize);
    acar_val *shp = acar_new_tuple(doc, dims, (size_t)ndim);
    if (protocol5) {
        acar_val *fn = global_with(doc, acar_new_str(doc, "numpy.core.numeric", 18), "_frombuffer");
        acar_val *a[4] = {acar_new_bytearray(doc, data, nbytes), dtype, shp, acar_new_str(doc, fortran ? "F" : "C", 1)};
        return acar_new_object(doc, ACAR_BUILD_REDUCE, fn, acar_new_tuple(doc, a, 4), NULL);
    }
    acar_val *fn = global_with(doc, acar_new_str(doc, "numpy.core.multiarray", 21), "_reconstruct");
    acar_val *zero = acar_new_int(doc, 0);
    acar_val *a[3] = {global_with(doc, np, "ndarray"), acar_new_tuple(doc, &zero, 1), acar_new_bytes(doc, "b", 1)};
    acar_val *arr = acar_new_object(doc, ACAR_BUILD_REDUCE, fn, acar_new_tuple(doc, a, 3), NULL);
    acar_val *st[5] = {acar_new_int(doc, 1), shp, dtype, acar_new_bool(doc, fortran != 0),
                       acar_new_bytes(doc, data, nbytes)};
    if (!arr || acar_object_set_state(doc, arr, acar_new_tuple(doc, st, 5)) < 0) return NULL;
    return arr;
}
