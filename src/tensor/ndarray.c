/*
 * ndarray.c -- NumPy arrays inside pickles, recognised and exposed as views.
 *
 * NumPy pickles an array in one of three shapes (the reader keeps each as
 * inert object nodes; this file only looks at them):
 *
 *   _reconstruct(ndarray, (0,), b'b')  BUILD (version, shape, dtype,
 *       is_fortran, data)      -- protocols 0-4, and 5 for non-contiguous
 *       data: bytes (C or Fortran order as is_fortran says), or for object
 *       dtype a list of the elements
 *   _frombuffer(buf, dtype, shape, order)         -- protocol 5, contiguous;
 *       buf a bytes/bytearray (in band) or a PickleBuffer (out of band)
 *   scalar(dtype, data)                            -- numpy scalars
 *
 * under numpy.core.multiarray / numpy.core.numeric (NumPy 1) or numpy._core.*
 * (NumPy 2).  A dtype is numpy.dtype(code, align, copy) with the BUILD state
 * (version, byteorder, subarray, names, fields, elsize, alignment, flags
 * [, metadata]); version 4 adds datetime metadata ({}, (unit, count, 1, 1)).
 */
#include "tensor/tensor.h"

#include <stdio.h>

static int str_eq(const acar_val *v, const char *s) {
    size_t n;
    const char *p;
    if (!v || acar_typeof(v) != ACAR_STR) return 0;
    p = acar_str(v, &n);
    return n == strlen(s) && memcmp(p, s, n) == 0;
}

/* The global's module is numpy.core.<sub> or numpy._core.<sub>, name is name. */
static int is_np_global(const acar_val *g, const char *sub, const char *name) {
    if (!g || acar_typeof(g) != ACAR_GLOBAL || !str_eq(acar_global_name(g), name)) return 0;
    char a[64], b[64];
    snprintf(a, sizeof a, "numpy.core.%s", sub);
    snprintf(b, sizeof b, "numpy._core.%s", sub);
    const acar_val *m = acar_global_module(g);
    return str_eq(m, a) || str_eq(m, b);
}

static int is_global(const acar_val *g, const char *module, const char *name) {
    return g && acar_typeof(g) == ACAR_GLOBAL && str_eq(acar_global_module(g), module) &&
           str_eq(acar_global_name(g), name);
}

enum { K_NONE, K_RECONSTRUCT, K_FROMBUFFER, K_SCALAR };

static int array_kind(const acar_val *v) {
    if (!v || acar_typeof(v) != ACAR_OBJECT || acar_object_build(v) != ACAR_BUILD_REDUCE) return K_NONE;
    const acar_val *c = acar_object_callable(v);
    if (is_np_global(c, "multiarray", "_reconstruct")) return K_RECONSTRUCT;
    if (is_np_global(c, "numeric", "_frombuffer")) return K_FROMBUFFER;
    if (is_np_global(c, "multiarray", "scalar")) return K_SCALAR;
    return K_NONE;
}

int acar_is_ndarray(const acar_val *v) { return array_kind(v) != K_NONE; }

static int fail(acar_err *err, acar_code code, const char *msg) {
    acar__err_set(err, code, 0, "%s", msg);
    return -1;
}

static int get_int(const acar_val *v, int64_t *out) {
    if (!v) return 0;
    if (acar_typeof(v) == ACAR_BOOL) {
        *out = acar_bool(v);
        return 1;
    }
    return acar_typeof(v) == ACAR_INT && acar_int_get(v, out);
}

int acar_dtype_get(const acar_val *d, acar_array *out, acar_err *err) {
    if (!d || acar_typeof(d) != ACAR_OBJECT || !is_global(acar_object_callable(d), "numpy", "dtype"))
        return fail(err, ACAR_ERR_TYPE, "numpy: not a numpy.dtype");
    const acar_val *args = acar_object_args(d), *state = acar_object_state(d);
    const acar_val *code = acar_item(args, 0);
    size_t n;
    const char *s;
    if (!code || acar_typeof(code) != ACAR_STR || !(s = acar_str(code, &n)) || n == 0 || n > 12)
        return fail(err, ACAR_ERR_MALFORMED, "numpy: dtype without a type code");
    char kind = s[0];
    if (!strchr("biufcmMOSUV", kind) || kind == 0)
        return fail(err, ACAR_ERR_UNSUPPORTED, "numpy: unknown dtype kind");
    uint64_t size = 0;
    size_t i = 1;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) size = size * 10 + (uint64_t)(s[i] - '0');
    if (i != n || (n == 1 && kind != 'O'))
        return fail(err, ACAR_ERR_UNSUPPORTED, "numpy: unknown dtype code");
    char bo = '|';
    const acar_val *bov = NULL, *meta = NULL;
    int64_t ver = 0, elsize = -1;
    if (state) {
        if (acar_typeof(state) != ACAR_TUPLE || acar_len(state) < 8 || !get_int(acar_item(state, 0), &ver))
            return fail(err, ACAR_ERR_MALFORMED, "numpy: bad dtype state");
        bov = acar_item(state, 1);
        size_t bl;
        const char *b = bov && acar_typeof(bov) == ACAR_STR ? acar_str(bov, &bl) : NULL;
        if (!b || bl != 1 || !strchr("<>|=", b[0]))
            return fail(err, ACAR_ERR_MALFORMED, "numpy: bad dtype byte order");
        bo = b[0];
        if (!get_int(acar_item(state, 5), &elsize))
            return fail(err, ACAR_ERR_MALFORMED, "numpy: bad dtype element size");
        if (ver >= 4 && acar_len(state) >= 9) meta = acar_item(state, 8);
    }
    /* '=' is the writer's native order; every machine that writes pickles
     * NumPy reads is little-endian in practice, and acar says so. */
    if (bo == '=') bo = '<';
    /* 'O', 'O8' and 'O4' (a 32-bit writer) are NumPy's object dtype, of
     * the loading machine's pointer size; 'O5' is no dtype */
    if (kind == 'O' && size != 0 && size != 4 && size != 8)
        return fail(err, ACAR_ERR_UNSUPPORTED, "numpy: object dtype of an odd size");
    if (kind == 'O') size = sizeof(void *);
    if ((kind == 'U' || kind == 'S' || kind == 'V') && elsize >= 0) size = (uint64_t)elsize;
    if (size == 0 && !(kind == 'S' || kind == 'U' || kind == 'V'))
        return fail(err, ACAR_ERR_UNSUPPORTED, "numpy: dtype of size 0");
    if (size > ((uint64_t)1 << 40)) return fail(err, ACAR_ERR_MALFORMED, "numpy: dtype too large");
    if (size == 1 || kind == 'O' || kind == 'S' || kind == 'V' || kind == 'b') bo = '|';
    out->kind = kind;
    out->byteorder = bo;
    out->itemsize = (size_t)size;
    out->dtype = (acar_val *)d;
    if (kind == 'O')
        snprintf(out->dtype_str, sizeof out->dtype_str, "|O");
    else if (kind == 'U')
        snprintf(out->dtype_str, sizeof out->dtype_str, "%cU%llu", bo, (unsigned long long)(size / 4));
    else
        snprintf(out->dtype_str, sizeof out->dtype_str, "%c%c%llu", bo, kind, (unsigned long long)size);
    if ((kind == 'M' || kind == 'm') && meta && acar_typeof(meta) == ACAR_TUPLE && acar_len(meta) >= 2) {
        const acar_val *u = acar_item(meta, 1), *unit = acar_item(u, 0);
        int64_t count = 1;
        size_t ul;
        const char *us;
        if (u && acar_typeof(u) == ACAR_TUPLE && unit &&
            (acar_typeof(unit) == ACAR_BYTES || acar_typeof(unit) == ACAR_STR) && (us = acar_str(unit, &ul)) &&
            ul > 0 && ul < 8 && get_int(acar_item(u, 1), &count) && strncmp(us, "generic", ul) != 0) {
            size_t k = strlen(out->dtype_str);
            if (count != 1)
                snprintf(out->dtype_str + k, sizeof out->dtype_str - k, "[%lld%.*s]", (long long)count, (int)ul, us);
            else
                snprintf(out->dtype_str + k, sizeof out->dtype_str - k, "[%.*s]", (int)ul, us);
        }
    }
    return 0;
}

/* Shape from a tuple of ints, elements counted without overflow. */
static int get_shape(const acar_val *t, acar_array *out, uint64_t *count, acar_err *err) {
    if (!t || (acar_typeof(t) != ACAR_TUPLE && acar_typeof(t) != ACAR_LIST))
        return fail(err, ACAR_ERR_MALFORMED, "numpy: shape is not a tuple");
    size_t n = acar_len(t);
    if (n > ACAR_MAX_NDIM) return fail(err, ACAR_ERR_UNSUPPORTED, "numpy: more than 64 dimensions");
    uint64_t c = 1;
    int zero = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t d;
        if (!get_int(acar_item(t, i), &d) || d < 0)
            return fail(err, ACAR_ERR_MALFORMED, "numpy: negative or non-integer dimension");
        out->shape[i] = d;
        if (d == 0) zero = 1;
        else if (c > (uint64_t)INT64_MAX / (uint64_t)d) c = (uint64_t)INT64_MAX + 1; /* too large */
        else c *= (uint64_t)d;
    }
    out->ndim = (int)n;
    *count = zero ? 0 : c;
    if (*count > (uint64_t)INT64_MAX) return fail(err, ACAR_ERR_MALFORMED, "numpy: shape too large");
    return 0;
}

/* Strides of a contiguous array, as NumPy fills them (a 0 dimension does
 * not multiply).  -1 when a stride would pass INT64_MAX: NumPy refuses such
 * arrays ("array is too big") even when a 0 dimension makes them empty. */
int acar__array_fill_strides(acar_array *a) {
    uint64_t s = a->itemsize;
    for (int k = 0; k < a->ndim; k++) {
        int i = a->fortran ? k : a->ndim - 1 - k;
        if (s > (uint64_t)INT64_MAX) return -1;
        a->strides[i] = (int64_t)s;
        uint64_t d = (uint64_t)a->shape[i];
        if (d && s > (uint64_t)INT64_MAX / d) s = (uint64_t)INT64_MAX + 1;
        else if (d) s *= d;
    }
    return s > (uint64_t)INT64_MAX ? -1 : 0;
}

static int fill_strides(acar_array *a, acar_err *err) {
    if (acar__array_fill_strides(a) == 0) return 0;
    return fail(err, ACAR_ERR_MALFORMED, "numpy: array is too big (shape times item size overflows)");
}

static int set_bytes(acar_array *a, const acar_val *data, uint64_t count, acar_err *err) {
    const uint8_t *p = NULL;
    size_t len = 0;
    acar_type t = data ? acar_typeof(data) : ACAR_NONE;
    if (t == ACAR_BYTES || t == ACAR_BYTEARRAY || t == ACAR_STR) {
        /* STR: a protocol 0/1 latin-1 text that the reader did not turn into bytes */
        p = (const uint8_t *)acar_str(data, &len);
        if (t == ACAR_STR) return fail(err, ACAR_ERR_UNSUPPORTED, "numpy: array data given as str");
    } else if (t == ACAR_BUFFER) {
        p = acar_buffer_data(data, &len);
        a->oob_index = acar_buffer_oob_index(data);
    } else {
        return fail(err, ACAR_ERR_MALFORMED, "numpy: array data is not bytes");
    }
    if (a->itemsize && count > (uint64_t)SIZE_MAX / a->itemsize)
        return fail(err, ACAR_ERR_MALFORMED, "numpy: shape times item size overflows");
    uint64_t need = count * a->itemsize;
    if (need != len) return fail(err, ACAR_ERR_MALFORMED, "numpy: data size does not match shape and dtype");
    a->data = p;
    a->nbytes = (size_t)need;
    return 0;
}

int acar_array_get(const acar_val *v, acar_array *out, acar_err *err) {
    memset(out, 0, sizeof *out);
    out->oob_index = -1;
    int k = array_kind(v);
    const acar_val *args = k ? acar_object_args(v) : NULL;
    uint64_t count = 0;
    if (k == K_NONE) return fail(err, ACAR_ERR_TYPE, "numpy: not a NumPy array");
    if (k == K_SCALAR) {
        if (acar_len(args) < 1 || acar_dtype_get(acar_item(args, 0), out, err) < 0) {
            if (acar_len(args) < 1) fail(err, ACAR_ERR_MALFORMED, "numpy: scalar without a dtype");
            return -1;
        }
        out->scalar = 1;
        out->ndim = 0;
        if (out->kind == 'O') {
            out->objects = acar_item(args, 1);
            out->nbytes = out->itemsize; /* NumPy: one pointer */
            return 0;
        }
        return set_bytes(out, acar_item(args, 1), 1, err);
    }
    if (k == K_FROMBUFFER) {
        if (acar_len(args) != 4) return fail(err, ACAR_ERR_MALFORMED, "numpy: _frombuffer takes 4 arguments");
        if (acar_dtype_get(acar_item(args, 1), out, err) < 0) return -1;
        if (get_shape(acar_item(args, 2), out, &count, err) < 0) return -1;
        const acar_val *order = acar_item(args, 3);
        if (str_eq(order, "F")) out->fortran = 1;
        else if (!str_eq(order, "C")) return fail(err, ACAR_ERR_MALFORMED, "numpy: order is not 'C' or 'F'");
        if (out->kind == 'O') return fail(err, ACAR_ERR_MALFORMED, "numpy: object array in a buffer");
        if (fill_strides(out, err) < 0) return -1;
        return set_bytes(out, acar_item(args, 0), count, err);
    }
    /* _reconstruct(ndarray, (0,), b'b') then BUILD */
    const acar_val *state = acar_object_state(v);
    if (!is_global(acar_item(args, 0), "numpy", "ndarray") && !is_global(acar_item(args, 0), "numpy", "matrix") &&
        !is_global(acar_item(args, 0), "numpy.ma.core", "MaskedArray"))
        return fail(err, ACAR_ERR_UNSUPPORTED, "numpy: _reconstruct of a class other than ndarray");
    if (!state || acar_typeof(state) != ACAR_TUPLE)
        return fail(err, ACAR_ERR_MALFORMED, "numpy: array without its state");
    size_t sn = acar_len(state), base = 0;
    int64_t ver;
    if (sn == 5 && get_int(acar_item(state, 0), &ver)) base = 1; /* (version, shape, ...) */
    else if (sn != 4) return fail(err, ACAR_ERR_MALFORMED, "numpy: array state of a wrong length");
    if (get_shape(acar_item(state, base), out, &count, err) < 0) return -1;
    if (acar_dtype_get(acar_item(state, base + 1), out, err) < 0) return -1;
    const acar_val *f = acar_item(state, base + 2);
    if (!f || acar_typeof(f) != ACAR_BOOL) return fail(err, ACAR_ERR_MALFORMED, "numpy: is_fortran is not a bool");
    out->fortran = acar_bool(f);
    if (fill_strides(out, err) < 0) return -1;
    const acar_val *data = acar_item(state, base + 3);
    if (out->kind == 'O') {
        if (!data || acar_typeof(data) != ACAR_LIST || (uint64_t)acar_len(data) != count)
            return fail(err, ACAR_ERR_MALFORMED, "numpy: object array without a list of its elements");
        out->objects = (acar_val *)data;
        out->nbytes = (size_t)count * out->itemsize;
        return 0;
    }
    return set_bytes(out, data, count, err);
}
