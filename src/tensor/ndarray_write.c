/*
 * ndarray_write.c -- builds the nodes NumPy pickles for an array or a NumPy
 * scalar, so that acar's pickle writer gives the bytes numpy's pickle.dumps
 * gives and Python loads a real numpy.ndarray.
 *
 * Forms (see ndarray.c for the reading side):
 *   protocols 2-4, and object arrays at any protocol:
 *       numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), b'b')
 *       BUILD (1, shape, dtype, is_fortran, bytes or list of the elements)
 *   protocol 5:  numpy.core.numeric._frombuffer(buf, dtype, shape, 'C'/'F'),
 *       buf a bytearray in band or a PickleBuffer out of band
 *   scalars:     numpy.core.multiarray.scalar(dtype, bytes)
 * A dtype is numpy.dtype(code, False, True) BUILD (3, order, subarray,
 * names, fields, elsize, alignment, flags); datetimes are version 4 with
 * ({}, (unit, count, 1, 1)) appended; structured dtypes are 'V<size>' with
 * names and a fields dict {name: (dtype, offset)} (the same str nodes),
 * subarray fields 'V<size>' with (base dtype, shape).
 * CPython shares its one-character strings (latin-1 singletons: the byte
 * orders '<' '>' '|' and the order 'C' / 'F' NumPy makes), so those nodes
 * carry ACAR_F_SINGLETON and the pickle writer memoizes them by value, as
 * CPython by identity.  Field names are not: NumPy keeps the caller's
 * (interned) strings, which are other objects.
 */
#include "tensor/tensor.h"

#include <stdio.h>

/* A str node; one ASCII character is CPython's shared singleton. */
static acar_val *sstr(acar_doc *doc, const char *s, size_t n) {
    acar_val *v = acar_new_str(doc, s, n);
    if (v && n == 1 && (unsigned char)s[0] < 0x80) v->tag |= (uint64_t)ACAR_F_SINGLETON << 8;
    return v;
}

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

int acar__np_plain(const char *s, size_t n, acar__np_dtype *p) {
    memset(p, 0, sizeof *p);
    size_t i = 0;
    p->order = '|';
    if (n && strchr("<>|=", s[0]) && s[0]) p->order = s[i++];
    if (p->order == '=') p->order = '<';
    if (i >= n || !s[i] || !strchr("biufcSUVOMm", s[i])) return -1;
    p->kind = s[i++];
    size_t d0 = i;
    while (i < n && s[i] >= '0' && s[i] <= '9' && i - d0 < 12) p->count = p->count * 10 + (uint64_t)(s[i++] - '0');
    if (p->kind == 'O' && i == d0) p->count = 8;
    if (p->kind == 'M' || p->kind == 'm') {
        if (i == d0) p->count = 8;
        snprintf(p->unit, sizeof p->unit, "generic");
        p->unit_count = 1;
        if (i < n && s[i] == '[') {
            size_t j = ++i;
            int64_t c = 0;
            while (j < n && s[j] >= '0' && s[j] <= '9' && j - i < 12) c = c * 10 + (s[j++] - '0');
            size_t u = j;
            while (j < n && ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z'))) j++;
            if (j >= n || s[j] != ']' || j == u || j - u >= sizeof p->unit || j + 1 != n) return -1;
            snprintf(p->unit, sizeof p->unit, "%.*s", (int)(j - u), s + u);
            static const char *const units[] = {"Y", "M", "W", "D", "h", "m", "s", "ms", "us",
                                                "ns", "ps", "fs", "as", "generic"};
            int known = 0;
            for (size_t k = 0; k < sizeof units / sizeof *units; k++) known |= strcmp(p->unit, units[k]) == 0;
            if (!known) return -1;
            p->unit_count = j > i && u > i ? c : 1;
            if (p->unit_count <= 0) return -1;
            i = n;
        }
    }
    if (i != n || p->count == 0 || p->count > ((uint64_t)1 << 32)) return -1;
    p->itemsize = (size_t)(p->kind == 'U' ? p->count * 4 : p->count);
    p->elsize = p->align = 0;
    switch (p->kind) {
    case 'b': case 'i': case 'u': case 'f':
        if (p->kind == 'b' ? p->count != 1 : !(p->count == 1 || p->count == 2 || p->count == 4 || p->count == 8 ||
                                               (p->kind == 'f' && p->count == 16)))
            return -1;
        p->align = p->itemsize;
        break;
    case 'c':
        if (p->count != 8 && p->count != 16 && p->count != 32) return -1;
        p->align = p->itemsize / 2;
        break;
    case 'M': case 'm':
        if (p->count != 8) return -1;
        p->align = 8;
        break;
    case 'O':
        if (p->count != 8 && p->count != 4) return -1; /* 'O4': a 32-bit writer's name for it */
        p->count = 8;
        p->itemsize = 8;
        p->align = 8;
        p->flags = 63;
        break;
    case 'S': case 'V':
        p->elsize = (int64_t)p->itemsize;
        p->align = 1;
        break;
    case 'U':
        p->elsize = (int64_t)p->itemsize;
        p->align = 4;
        p->flags = 8;
        break;
    }
    if (!p->elsize) p->elsize = -1;
    if (p->itemsize == 1 || strchr("SVOb", p->kind)) p->order = '|';
    else if (p->order == '|') p->order = '<';
    return 0;
}

/* numpy.dtype(code, False, True) with its state.  subarray: (base, shape)
 * or NULL; names/fields NULL unless structured. */
static acar_val *dtype_node(acar_doc *doc, acar_val *np, const char *code, char order, acar_val *subarray,
                            acar_val *names, acar_val *fields, int64_t elsize, int64_t align, int64_t flags,
                            const acar__np_dtype *dt) {
    acar_val *args[3] = {acar_new_str(doc, code, strlen(code)), acar_new_bool(doc, 0), acar_new_bool(doc, 1)};
    acar_val *d = acar_new_object(doc, ACAR_BUILD_REDUCE, global_with(doc, np, "dtype"), acar_new_tuple(doc, args, 3), NULL);
    int dtime = dt && (dt->kind == 'M' || dt->kind == 'm');
    acar_val *st[9] = {acar_new_int(doc, dtime ? 4 : 3), sstr(doc, &order, 1),
                       subarray ? subarray : acar_new_none(doc), names ? names : acar_new_none(doc),
                       fields ? fields : acar_new_none(doc), acar_new_int(doc, elsize), acar_new_int(doc, align),
                       acar_new_int(doc, flags), NULL};
    if (dtime) {
        acar_val *u[4] = {acar_new_bytes(doc, dt->unit, strlen(dt->unit)), acar_new_int(doc, dt->unit_count),
                          acar_new_int(doc, 1), acar_new_int(doc, 1)};
        acar_val *m[2] = {acar_new_dict(doc), acar_new_tuple(doc, u, 4)};
        st[8] = acar_new_tuple(doc, m, 2);
    }
    if (!d || acar_object_set_state(doc, d, acar_new_tuple(doc, st, dtime ? 9 : 8)) < 0) return NULL;
    return d;
}

static acar_val *plain_dtype(acar_doc *doc, acar_val *np, const acar__np_dtype *p) {
    char code[24];
    snprintf(code, sizeof code, "%c%llu", p->kind, (unsigned long long)p->count);
    return dtype_node(doc, np, code, p->order, NULL, NULL, NULL, p->elsize, p->kind == 'S' || p->kind == 'U' ||
                      p->kind == 'V' ? (int64_t)p->align : -1, p->flags, p);
}

/* The dtype node for dtype_str, which is NumPy's dtype.str or, for a
 * structured dtype, its descr list "[('a', '<i2'), ('b', '>f8', (2,))]"
 * (one level: fields are plain dtypes or subarrays of them). */
static acar_val *new_dtype(acar_doc *doc, acar_val *np, const char *dtype_str, size_t *itemsize, int *is_object,
                           const char *who) {
    size_t n = strlen(dtype_str);
    acar__np_dtype p;
    *is_object = 0;
    if (n && dtype_str[0] != '[') {
        if (acar__np_plain(dtype_str, n, &p) < 0)
            return acar__doc_fail(doc, ACAR_ERR_ARG, "%s: bad dtype \"%.40s\"", who, dtype_str);
        *itemsize = p.itemsize;
        *is_object = p.kind == 'O';
        return plain_dtype(doc, np, &p);
    }
    acar_err err;
    acar_val *l = n ? acar__npy_literal(doc, dtype_str, n, 0, &err) : NULL;
    if (!l || acar_typeof(l) != ACAR_LIST || acar_len(l) == 0)
        return acar__doc_fail(doc, ACAR_ERR_ARG, "%s: bad structured dtype \"%.40s\"", who, dtype_str);
    size_t nf = acar_len(l);
    acar_val *names = acar_new_list(doc), *fields = acar_new_dict(doc);
    uint64_t off = 0;
    int64_t flags = 16;
    for (size_t k = 0; k < nf; k++) {
        const acar_val *f = acar_item(l, k), *nm = acar_item(f, 0), *ds = acar_item(f, 1), *sh = acar_item(f, 2);
        size_t nl, dl;
        const char *ns, *dss;
        if (!f || acar_typeof(f) != ACAR_TUPLE || acar_len(f) < 2 || acar_len(f) > 3 || acar_typeof(nm) != ACAR_STR ||
            acar_typeof(ds) != ACAR_STR || (sh && acar_typeof(sh) != ACAR_TUPLE))
            return acar__doc_fail(doc, ACAR_ERR_ARG, "%s: field %zu is not (name, dtype[, shape])", who, k);
        ns = acar_str(nm, &nl);
        dss = acar_str(ds, &dl);
        if (nl == 0) return acar__doc_fail(doc, ACAR_ERR_UNSUPPORTED, "%s: unnamed (padding) fields", who);
        if (acar_dict_get(fields, nm))
            return acar__doc_fail(doc, ACAR_ERR_ARG, "%s: field name '%.*s' twice", who, (int)(nl > 40 ? 40 : nl), ns);
        if (acar__np_plain(dss, dl, &p) < 0 || p.kind == 'O')
            return acar__doc_fail(doc, ACAR_ERR_UNSUPPORTED, "%s: field dtype \"%.*s\" (plain, non-object dtypes only)",
                                  who, (int)(dl > 40 ? 40 : dl), dss);
        acar_val *fd = plain_dtype(doc, np, &p);
        uint64_t fsize = p.itemsize;
        if (sh) { /* a subarray field: 'V<size>' with (base, shape) */
            acar_val *dims[ACAR_MAX_NDIM];
            size_t sn = acar_len(sh);
            if (sn == 0 || sn > ACAR_MAX_NDIM) return acar__doc_fail(doc, ACAR_ERR_ARG, "%s: bad field shape", who);
            for (size_t d = 0; d < sn; d++) {
                int64_t x;
                if (!acar_int_get(acar_item(sh, d), &x) || x < 0 || (x && fsize > ((uint64_t)1 << 40) / (uint64_t)x))
                    return acar__doc_fail(doc, ACAR_ERR_ARG, "%s: bad field shape", who);
                fsize *= (uint64_t)x;
                dims[d] = acar_new_int(doc, x);
            }
            acar_val *sub[2] = {fd, acar_new_tuple(doc, dims, sn)};
            char code[24];
            snprintf(code, sizeof code, "V%llu", (unsigned long long)fsize);
            fd = dtype_node(doc, np, code, '|', acar_new_tuple(doc, sub, 2), NULL, NULL, (int64_t)fsize,
                            (int64_t)p.align, p.flags, NULL);
        }
        flags |= p.flags & 0x1b; /* the flags a structured dtype takes from its fields */
        /* one node in names and fields, as NumPy; not a singleton even of
         * one character (names come from the caller's source, interned) */
        acar_val *name = acar_new_str(doc, ns, nl);
        acar_val *fv[2] = {fd, acar_new_int(doc, (int64_t)off)};
        if (acar_list_append(doc, names, name) < 0 || acar_dict_set(doc, fields, name, acar_new_tuple(doc, fv, 2)) < 0)
            return NULL;
        off += fsize;
        if (off > ((uint64_t)1 << 40)) return acar__doc_fail(doc, ACAR_ERR_ARG, "%s: dtype too large", who);
    }
    char code[24];
    snprintf(code, sizeof code, "V%llu", (unsigned long long)off);
    *itemsize = (size_t)off;
    acar_val *nt = names ? acar_new_tuple(doc, names->u.items, nf) : NULL;
    return dtype_node(doc, np, code, '|', NULL, nt, fields, (int64_t)off, 1, flags, NULL);
}

/* Shape tuple and element count; -1 after recording an error. */
static acar_val *shape_tuple(acar_doc *doc, int ndim, const int64_t *shape, uint64_t *count, const char *who) {
    acar_val *dims[ACAR_MAX_NDIM];
    uint64_t c = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) return acar__doc_fail(doc, ACAR_ERR_ARG, "%s: negative dimension", who);
        if (shape[i] && c > (uint64_t)INT64_MAX / (uint64_t)shape[i]) c = (uint64_t)INT64_MAX;
        else c *= (uint64_t)shape[i];
        dims[i] = acar_new_int(doc, shape[i]);
    }
    *count = c;
    return acar_new_tuple(doc, dims, (size_t)ndim);
}

/* _reconstruct(ndarray, (0,), b'b') with state (1, shape, dtype, is_fortran, data) */
static acar_val *reconstruct(acar_doc *doc, acar_val *np, acar_val *shp, acar_val *dtype, int fortran, acar_val *data) {
    acar_val *fn = global_with(doc, acar_new_str(doc, "numpy.core.multiarray", 21), "_reconstruct");
    acar_val *zero = acar_new_int(doc, 0);
    acar_val *b = acar_new_bytes(doc, "b", 1);
    /* CPython's one-byte bytes are singletons too: shared by every array of
     * a pickle (honoured by a pickle writer that memoizes such bytes by
     * value) */
    if (b) b->tag |= (uint64_t)ACAR_F_SINGLETON << 8;
    acar_val *a[3] = {global_with(doc, np, "ndarray"), acar_new_tuple(doc, &zero, 1), b};
    acar_val *arr = acar_new_object(doc, ACAR_BUILD_REDUCE, fn, acar_new_tuple(doc, a, 3), NULL);
    acar_val *st[5] = {acar_new_int(doc, 1), shp, dtype, acar_new_bool(doc, fortran != 0), data};
    if (!arr || acar_object_set_state(doc, arr, acar_new_tuple(doc, st, 5)) < 0) return NULL;
    return arr;
}

/* An out-of-band buffer node over the caller's bytes (not copied). */
static acar_val *oob_buffer(acar_doc *doc, const void *data, size_t len) {
    acar_buffer_body *b = acar__alloc(doc, sizeof *b);
    if (!b) return NULL;
    b->data = data;
    b->len = len;
    b->oob = 0;
    acar_val *v = acar__node(doc, ACAR_TAG(ACAR_BUFFER, 0, 0));
    if (v) v->u.p = b;
    return v;
}

acar_val *acar_new_ndarray(acar_doc *doc, const char *dtype_str, int ndim, const int64_t *shape, int fortran,
                           const void *data, size_t nbytes, int form) {
    static const char who[] = "acar_new_ndarray";
    if (!doc) return NULL;
    if (!dtype_str || ndim < 0 || ndim > ACAR_MAX_NDIM || (ndim && !shape) || (nbytes && !data) || form < 0 ||
        form > ACAR_NDARRAY_OOB)
        return acar__doc_fail(doc, ACAR_ERR_ARG, "%s: bad arguments", who);
    acar_val *np = acar_new_str(doc, "numpy", 5);
    size_t itemsize = 0;
    int is_object;
    acar_val *dtype = new_dtype(doc, np, dtype_str, &itemsize, &is_object, who);
    if (!dtype) return NULL;
    if (is_object)
        return acar__doc_fail(doc, ACAR_ERR_ARG, "%s: object arrays hold nodes: use acar_new_ndarray_objects", who);
    uint64_t count;
    acar_val *shp = shape_tuple(doc, ndim, shape, &count, who);
    if (!shp) return NULL;
    if (count > SIZE_MAX / itemsize || count * itemsize != nbytes)
        return acar__doc_fail(doc, ACAR_ERR_ARG, "%s: %zu data bytes for %llu items of %zu", who, nbytes,
                              (unsigned long long)count, itemsize);
    if (form != ACAR_NDARRAY_REDUCE) {
        acar_val *fn = global_with(doc, acar_new_str(doc, "numpy.core.numeric", 18), "_frombuffer");
        acar_val *buf = form == ACAR_NDARRAY_OOB ? oob_buffer(doc, data, nbytes) : acar_new_bytearray(doc, data, nbytes);
        acar_val *a[4] = {buf, dtype, shp, sstr(doc, fortran ? "F" : "C", 1)};
        return acar_new_object(doc, ACAR_BUILD_REDUCE, fn, acar_new_tuple(doc, a, 4), NULL);
    }
    return reconstruct(doc, np, shp, dtype, fortran, acar_new_bytes(doc, data, nbytes));
}

acar_val *acar_new_ndarray_objects(acar_doc *doc, int ndim, const int64_t *shape, int fortran, acar_val *elements) {
    static const char who[] = "acar_new_ndarray_objects";
    if (!doc) return NULL;
    if (ndim < 0 || ndim > ACAR_MAX_NDIM || (ndim && !shape) || !elements || acar_typeof(elements) != ACAR_LIST)
        return acar__doc_fail(doc, ACAR_ERR_ARG, "%s: bad arguments", who);
    acar_val *np = acar_new_str(doc, "numpy", 5);
    size_t itemsize;
    int is_object;
    acar_val *dtype = new_dtype(doc, np, "|O", &itemsize, &is_object, who);
    uint64_t count;
    acar_val *shp = shape_tuple(doc, ndim, shape, &count, who);
    if (!dtype || !shp) return NULL;
    if (count != (uint64_t)acar_len(elements))
        return acar__doc_fail(doc, ACAR_ERR_ARG, "%s: %zu elements for a shape of %llu", who, acar_len(elements),
                              (unsigned long long)count);
    acar__stored(elements);
    return reconstruct(doc, np, shp, dtype, fortran, elements);
}

acar_val *acar_new_npscalar(acar_doc *doc, const char *dtype_str, const void *data, size_t nbytes) {
    static const char who[] = "acar_new_npscalar";
    if (!doc) return NULL;
    if (!dtype_str || (nbytes && !data)) return acar__doc_fail(doc, ACAR_ERR_ARG, "%s: bad arguments", who);
    acar_val *np = acar_new_str(doc, "numpy", 5);
    size_t itemsize = 0;
    int is_object;
    acar_val *dtype = new_dtype(doc, np, dtype_str, &itemsize, &is_object, who);
    if (!dtype) return NULL;
    if (is_object) return acar__doc_fail(doc, ACAR_ERR_ARG, "%s: object scalars are the object itself", who);
    if (nbytes != itemsize)
        return acar__doc_fail(doc, ACAR_ERR_ARG, "%s: %zu data bytes for an item of %zu", who, nbytes, itemsize);
    acar_val *fn = global_with(doc, acar_new_str(doc, "numpy.core.multiarray", 21), "scalar");
    acar_val *a[2] = {dtype, acar_new_bytes(doc, data, nbytes)};
    return acar_new_object(doc, ACAR_BUILD_REDUCE, fn, acar_new_tuple(doc, a, 2), NULL);
}
