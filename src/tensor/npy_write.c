/*
 * npy_write.c -- NumPy's .npy files and .npz archives written from C.
 *
 * A .npy file is what numpy.save writes, byte for byte: "\x93NUMPY", the
 * version (1.0, or 2.0 when the header passes 65535 bytes), the header
 * length, then the header dict "{'descr': D, 'fortran_order': B, 'shape':
 * S, }" followed by room for the first (Fortran: last) dimension to grow to
 * 21 digits, padded with spaces so that the data starts at a multiple of 64
 * bytes, and a newline; then the element bytes, or for object arrays a
 * protocol 3 pickle of the array.  D is dtype.str, or for a structured
 * dtype its descr list.  NumPy calls an array Fortran-ordered only when it
 * is not C-contiguous too, so fortran_order is False for 0-d and 1-d
 * arrays, arrays with at most one dimension above 1 and empty arrays.
 *
 * A .npz is a zip archive of NAME.npy members, stored (not deflated), with
 * a central directory.  Past 4 GiB (a member, or an offset) or 65535
 * members the archive is zip64, as Python's zipfile writes it: extra field
 * 0x0001 with the sizes (local header) and the sizes and offset that do not
 * fit (central directory), then a zip64 end of central directory record and
 * its locator before the classic one.
 */
#include "tensor/tensor.h"

#include <stdio.h>
#include <stdlib.h>

static int werr(acar_err *err, acar_code code, const char *msg) {
    acar__err_set(err, code, 0, "npy: %s", msg);
    return -1;
}

static void put(acar_out *o, const char *s) { acar__out_str(o, s); }

static void put_int(acar_out *o, long long x) {
    char t[32];
    snprintf(t, sizeof t, "%lld", x);
    put(o, t);
}

/* repr of a tuple of ints */
static void put_tuple(acar_out *o, int n, const int64_t *v) {
    acar__out_byte(o, '(');
    for (int i = 0; i < n; i++) {
        if (i) put(o, ", ");
        put_int(o, v[i]);
    }
    put(o, n == 1 ? ",)" : ")");
}

/* NumPy's dtype.str of a parsed plain dtype. */
static void put_plain(acar_out *o, const acar__np_dtype *p) {
    char t[48];
    if (p->kind == 'O') snprintf(t, sizeof t, "|O");
    else if ((p->kind == 'M' || p->kind == 'm') && strcmp(p->unit, "generic") == 0)
        snprintf(t, sizeof t, "%c%c8", p->order, p->kind);
    else if (p->kind == 'M' || p->kind == 'm') {
        if (p->unit_count != 1)
            snprintf(t, sizeof t, "%c%c8[%lld%s]", p->order, p->kind, (long long)p->unit_count, p->unit);
        else
            snprintf(t, sizeof t, "%c%c8[%s]", p->order, p->kind, p->unit);
    } else
        snprintf(t, sizeof t, "%c%c%llu", p->order, p->kind, (unsigned long long)p->count);
    put(o, t);
}

/* One field of a structured descr, as NumPy's header writes it:
 * ('name', '<f8') or ('name', '<f8', (2, 3)), after ", " unless first. */
static void put_field(acar_out *o, size_t k, const char *name, size_t nl, const acar__np_dtype *p,
                      int nd, const int64_t *dims) {
    put(o, k ? ", ('" : "('");
    acar__out_write(o, name, nl);
    put(o, "', '");
    put_plain(o, p);
    acar__out_byte(o, '\'');
    if (nd) {
        put(o, ", ");
        put_tuple(o, nd, dims);
    }
    acar__out_byte(o, ')');
}

/* A field name NumPy's repr would print as is: printable ASCII without
 * quotes or backslashes. */
static int plain_name(const char *s, size_t n) {
    if (!n) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '\'' || s[i] == '\\') return 0;
    return 1;
}

/* The descr of dtype_str as NumPy writes it in the header (repr of
 * dtype_to_descr), its item size and whether it is '|O'. */
static int put_descr(acar_out *o, const char *dtype_str, size_t *itemsize, int *is_object, acar_err *err) {
    size_t n = strlen(dtype_str);
    acar__np_dtype p;
    *is_object = 0;
    if (n && dtype_str[0] != '[') {
        if (acar__np_plain(dtype_str, n, &p) < 0) {
            acar__err_set(err, ACAR_ERR_ARG, 0, "npy: bad dtype \"%.40s\"", dtype_str);
            return -1;
        }
        *itemsize = p.itemsize;
        *is_object = p.kind == 'O';
        acar__out_byte(o, '\'');
        put_plain(o, &p);
        acar__out_byte(o, '\'');
        return 0;
    }
    acar_doc *doc = acar_doc_new(NULL);
    if (!doc) return werr(err, ACAR_ERR_NOMEM, "out of memory");
    acar_err e2;
    acar_val *l = n ? acar__npy_literal(doc, dtype_str, n, 0, &e2) : NULL;
    int rc = 0;
    uint64_t total = 0;
    if (!l || acar_typeof(l) != ACAR_LIST || acar_len(l) == 0) {
        acar__err_set(err, ACAR_ERR_ARG, 0, "npy: bad structured dtype \"%.40s\"", dtype_str);
        rc = -1;
    }
    acar__out_byte(o, '[');
    for (size_t k = 0; rc == 0 && k < acar_len(l); k++) {
        const acar_val *f = acar_item(l, k), *nm = acar_item(f, 0), *ds = acar_item(f, 1), *sh = acar_item(f, 2);
        size_t nl, dl;
        const char *ns, *dss;
        if (!f || acar_typeof(f) != ACAR_TUPLE || acar_len(f) < 2 || acar_len(f) > 3 || acar_typeof(nm) != ACAR_STR ||
            acar_typeof(ds) != ACAR_STR || (sh && (acar_typeof(sh) != ACAR_TUPLE || acar_len(sh) == 0 ||
                                                   acar_len(sh) > ACAR_MAX_NDIM))) {
            acar__err_set(err, ACAR_ERR_ARG, 0, "npy: field %zu is not (name, dtype[, shape])", k);
            rc = -1;
            break;
        }
        ns = acar_str(nm, &nl);
        dss = acar_str(ds, &dl);
        if (!plain_name(ns, nl) || acar__np_plain(dss, dl, &p) < 0 || p.kind == 'O') {
            acar__err_set(err, ACAR_ERR_UNSUPPORTED, 0,
                          "npy: field %zu: plain ASCII names and plain non-object dtypes only", k);
            rc = -1;
            break;
        }
        uint64_t fs = p.itemsize;
        int64_t dims[ACAR_MAX_NDIM];
        int nd = sh ? (int)acar_len(sh) : 0;
        for (int d = 0; d < nd; d++) {
            if (!acar_int_get(acar_item(sh, (size_t)d), &dims[d]) || dims[d] < 0 ||
                (dims[d] && fs > ((uint64_t)1 << 40) / (uint64_t)dims[d])) {
                acar__err_set(err, ACAR_ERR_ARG, 0, "npy: bad shape of field %zu", k);
                rc = -1;
                break;
            }
            fs *= (uint64_t)dims[d];
        }
        total += fs;
        if (rc < 0 || total > ((uint64_t)1 << 40)) {
            if (rc == 0) acar__err_set(err, ACAR_ERR_ARG, 0, "npy: dtype too large");
            rc = -1;
            break;
        }
        put_field(o, k, ns, nl, &p, (int)nd, dims);
    }
    acar__out_byte(o, ']');
    acar_doc_free(doc);
    *itemsize = (size_t)total;
    return rc;
}

/* NumPy's fortran_order: Fortran-contiguous and not C-contiguous. */
static int fortran_order(int fortran, int ndim, const int64_t *shape) {
    int big = 0;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] == 0) return 0;
        if (shape[i] > 1) big++;
    }
    return fortran && big > 1;
}

/* The preamble and header, for count items of the dtype; *itemsize set. */
static int put_header(acar_buf *out, const char *dtype_str, int ndim, const int64_t *shape, int fortran,
                      size_t *itemsize, int *is_object, uint64_t *count, acar_err *err) {
    if (!out || !dtype_str || ndim < 0 || ndim > ACAR_MAX_NDIM || (ndim && !shape))
        return werr(err, ACAR_ERR_ARG, "bad arguments");
    acar_buf h = {0};
    acar_out o = {.buf = &h};
    put(&o, "{'descr': ");
    if (put_descr(&o, dtype_str, itemsize, is_object, err) < 0) {
        acar_buf_free(&h);
        return -1;
    }
    int fo = fortran_order(fortran, ndim, shape);
    put(&o, fo ? ", 'fortran_order': True, 'shape': " : ", 'fortran_order': False, 'shape': ");
    put_tuple(&o, ndim, shape);
    put(&o, ", }");
    uint64_t c = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) {
            acar_buf_free(&h);
            return werr(err, ACAR_ERR_ARG, "negative dimension");
        }
        if (shape[i] && c > (uint64_t)INT64_MAX / (uint64_t)shape[i]) c = (uint64_t)INT64_MAX;
        else c *= (uint64_t)shape[i];
    }
    *count = c;
    if (ndim) { /* room for the growth axis to reach 21 digits */
        char t[32];
        int w = snprintf(t, sizeof t, "%lld", (long long)shape[fo ? ndim - 1 : 0]);
        for (int i = w; i < 21; i++) acar__out_byte(&o, ' ');
    }
    if (o.failed) {
        acar_buf_free(&h);
        return werr(err, ACAR_ERR_NOMEM, "out of memory");
    }
    size_t hlen = h.len + 1, pre = 10, pad = 64 - (pre + hlen) % 64;
    int major = 1;
    if (hlen + pad > 65535) {
        major = 2;
        pre = 12;
        pad = 64 - (pre + hlen) % 64;
        if (hlen + pad > 0xffffffffu) {
            acar_buf_free(&h);
            return werr(err, ACAR_ERR_LIMIT, "header too long");
        }
    }
    acar_out w = {.buf = out};
    size_t total = hlen + pad;
    unsigned char p[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', (unsigned char)major, 0,
                           (unsigned char)total, (unsigned char)(total >> 8), (unsigned char)(total >> 16),
                           (unsigned char)(total >> 24)};
    acar__out_write(&w, p, pre);
    acar__out_write(&w, h.data, h.len);
    for (size_t i = 0; i < pad; i++) acar__out_byte(&w, ' ');
    acar__out_byte(&w, '\n');
    acar_buf_free(&h);
    if (w.failed) return werr(err, ACAR_ERR_NOMEM, "out of memory");
    return 0;
}

int acar_npy_write(acar_buf *out, const char *dtype_str, int ndim, const int64_t *shape, int fortran, const void *data,
                   size_t nbytes, acar_err *err) {
    size_t start = out ? out->len : 0, itemsize;
    int is_object;
    uint64_t count;
    if (nbytes && !data) return werr(err, ACAR_ERR_ARG, "bad arguments");
    if (put_header(out, dtype_str, ndim, shape, fortran, &itemsize, &is_object, &count, err) < 0) {
        if (out) out->len = start;
        return -1;
    }
    if (is_object) {
        out->len = start;
        return werr(err, ACAR_ERR_ARG, "object arrays: use acar_npy_write_array with an array node");
    }
    if (count > SIZE_MAX / itemsize || count * itemsize != nbytes) {
        out->len = start;
        acar__err_set(err, ACAR_ERR_ARG, 0, "npy: %zu data bytes for %llu items of %zu", nbytes,
                      (unsigned long long)count, itemsize);
        return -1;
    }
    acar_out w = {.buf = out};
    acar__out_write(&w, data, nbytes);
    if (w.failed) {
        out->len = start;
        return werr(err, ACAR_ERR_NOMEM, "out of memory");
    }
    return 0;
}

/* The descr list of a structured numpy.dtype node (names and packed
 * fields of plain dtypes or subarrays of them) into o. */
static int struct_descr(const acar_val *dtype, acar_out *o, acar_err *err) {
    const acar_val *st = acar_object_state(dtype), *names = acar_item(st, 3), *fields = acar_item(st, 4);
    if (!names || acar_typeof(names) != ACAR_TUPLE || !fields || acar_typeof(fields) != ACAR_DICT)
        return werr(err, ACAR_ERR_UNSUPPORTED, "void dtype without fields");
    uint64_t off = 0;
    acar__out_byte(o, '[');
    for (size_t k = 0; k < acar_len(names); k++) {
        const acar_val *nm = acar_item(names, k), *fv = acar_dict_get(fields, nm);
        const acar_val *fd = acar_item(fv, 0), *sub = NULL;
        int64_t foff;
        size_t nl;
        const char *ns = nm && acar_typeof(nm) == ACAR_STR ? acar_str(nm, &nl) : NULL;
        acar_array a;
        if (!ns || !plain_name(ns, nl) || !fv || acar_typeof(fv) != ACAR_TUPLE || acar_len(fv) != 2 ||
            !acar_int_get(acar_item(fv, 1), &foff) || foff < 0 || (uint64_t)foff != off ||
            acar_dtype_get(fd, &a, err) < 0)
            return werr(err, ACAR_ERR_UNSUPPORTED, "structured dtype with padding, titles or odd names");
        const acar_val *fst = acar_object_state(fd);
        sub = acar_item(fst, 2);
        uint64_t fs = a.itemsize;
        put(o, k ? ", ('" : "('");
        acar__out_write(o, ns, nl);
        put(o, "', '");
        if (sub && acar_typeof(sub) == ACAR_TUPLE) { /* (base, shape) */
            acar_array b;
            const acar_val *shp = acar_item(sub, 1);
            int64_t dims[ACAR_MAX_NDIM];
            size_t nd = shp && acar_typeof(shp) == ACAR_TUPLE ? acar_len(shp) : 0;
            if (acar_dtype_get(acar_item(sub, 0), &b, err) < 0 || b.kind == 'O' || b.kind == 'V' || nd == 0 ||
                nd > ACAR_MAX_NDIM)
                return werr(err, ACAR_ERR_UNSUPPORTED, "structured dtype with a subarray acar cannot describe");
            uint64_t c = b.itemsize;
            for (size_t d = 0; d < nd; d++)
                if (!acar_int_get(acar_item(shp, d), &dims[d]) || dims[d] < 0 ||
                    (dims[d] && c > ((uint64_t)1 << 40) / (uint64_t)dims[d]))
                    return werr(err, ACAR_ERR_UNSUPPORTED, "bad subarray shape");
                else
                    c *= (uint64_t)dims[d];
            put(o, b.dtype_str);
            put(o, "', ");
            put_tuple(o, (int)nd, dims);
            fs = c;
        } else {
            if (a.kind == 'O' || a.kind == 'V') return werr(err, ACAR_ERR_UNSUPPORTED, "nested structured dtype");
            put(o, a.dtype_str);
            acar__out_byte(o, '\'');
        }
        acar__out_byte(o, ')');
        off += fs;
    }
    acar__out_byte(o, ']');
    return 0;
}

/* A .npy header's structured descr list node, printed back canonically. */
static int list_descr(const acar_val *l, acar_out *o, acar_err *err) {
    acar__out_byte(o, '[');
    for (size_t k = 0; k < acar_len(l); k++) {
        const acar_val *f = acar_item(l, k), *nm = acar_item(f, 0), *ds = acar_item(f, 1), *sh = acar_item(f, 2);
        size_t nl, dl;
        const char *ns = nm && acar_typeof(nm) == ACAR_STR ? acar_str(nm, &nl) : NULL;
        const char *dss = ds && acar_typeof(ds) == ACAR_STR ? acar_str(ds, &dl) : NULL;
        acar__np_dtype p;
        int64_t dims[ACAR_MAX_NDIM];
        size_t nd = sh && acar_typeof(sh) == ACAR_TUPLE ? acar_len(sh) : 0;
        if (!f || acar_typeof(f) != ACAR_TUPLE || !ns || !dss || !plain_name(ns, nl) ||
            acar__np_plain(dss, dl, &p) < 0 || p.kind == 'O' || nd > ACAR_MAX_NDIM || (sh && !nd))
            return werr(err, ACAR_ERR_UNSUPPORTED, "structured descr acar cannot describe");
        for (size_t d = 0; d < nd; d++)
            if (!acar_int_get(acar_item(sh, d), &dims[d])) return werr(err, ACAR_ERR_UNSUPPORTED, "bad field shape");
        put_field(o, k, ns, nl, &p, (int)nd, dims);
    }
    acar__out_byte(o, ']');
    return 0;
}

int acar_array_descr(const acar_array *a, acar_buf *out, acar_err *err) {
    if (!a || !out) return werr(err, ACAR_ERR_ARG, "bad arguments");
    size_t start = out->len;
    acar_out o = {.buf = out};
    int rc = 0;
    const acar_val *st = a->dtype ? acar_object_state(a->dtype) : NULL;
    if (a->kind == 'V' && st && acar_len(st) > 3 && acar_typeof(acar_item(st, 3)) == ACAR_TUPLE)
        rc = struct_descr(a->dtype, &o, err);
    else if (a->kind == 'V' && !a->dtype && a->descr && acar_typeof(a->descr) == ACAR_LIST)
        rc = list_descr(a->descr, &o, err);
    else
        put(&o, a->dtype_str);
    if (rc == 0 && o.failed) rc = werr(err, ACAR_ERR_NOMEM, "out of memory");
    if (rc < 0) out->len = start;
    return rc;
}

int acar_npy_write_array(acar_buf *out, const acar_val *array, acar_err *err) {
    acar_array a;
    if (!out) return werr(err, ACAR_ERR_ARG, "bad arguments");
    if (acar_array_get(array, &a, err) < 0) return -1;
    if (a.oob_index >= 0 && !a.data) return werr(err, ACAR_ERR_ARG, "out-of-band array without its buffer");
    if (a.kind == 'O') {
        size_t start = out->len, itemsize;
        int is_object;
        uint64_t count;
        if (a.scalar) return werr(err, ACAR_ERR_ARG, "an object scalar is not an array");
        if (put_header(out, "|O", a.ndim, a.shape, a.fortran, &itemsize, &is_object, &count, err) < 0) return -1;
        acar_write_opts wo;
        memset(&wo, 0, sizeof wo);
        wo.version = ACAR_VERSION(3); /* numpy.save pickles object arrays at protocol 3 */
        if (acar_write(array, ACAR_FORMAT_PICKLE, &wo, out, err) < 0) {
            out->len = start;
            return -1;
        }
        return 0;
    }
    acar_buf d = {0};
    int rc = acar_array_descr(&a, &d, err);
    acar_out o = {.buf = &d};
    acar__out_byte(&o, 0);
    if (rc == 0 && o.failed) rc = werr(err, ACAR_ERR_NOMEM, "out of memory");
    if (rc == 0) rc = acar_npy_write(out, d.data, a.ndim, a.shape, a.fortran, a.data, a.nbytes, err);
    acar_buf_free(&d);
    return rc;
}

/* ---- .npz ---- */

static uint32_t crc32_of(uint32_t crc, const uint8_t *p, size_t n) {
    static uint32_t table[256];
    static int ready; /* benign race: every thread computes the same table */
    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        ready = 1;
    }
    crc = ~crc;
    for (size_t i = 0; i < n; i++) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static void le16(uint8_t *p, unsigned x) {
    p[0] = (uint8_t)x;
    p[1] = (uint8_t)(x >> 8);
}
static void le32(uint8_t *p, uint32_t x) {
    le16(p, x & 0xffff);
    le16(p + 2, x >> 16);
}

static void le64(uint8_t *p, uint64_t x) {
    le32(p, (uint32_t)x);
    le32(p + 4, (uint32_t)(x >> 32));
}

/* Sizes and offsets from this value on take zip64 fields (a variable so
 * that the tests can reach those paths with small archives). */
uint64_t acar__npz_zip64_limit = 0xffffffffu;

void acar_npz_begin(acar_npz_writer *w, acar_buf *out) {
    memset(w, 0, sizeof *w);
    w->out = out;
}

int acar_npz_add(acar_npz_writer *w, const char *name, const void *npy, size_t len, acar_err *err) {
    size_t nl = name ? strlen(name) : 0;
    if (!w || !w->out || !name || (len && !npy)) return werr(err, ACAR_ERR_ARG, "bad arguments");
    if (nl == 0 || nl + 4 > 0xffff) return werr(err, ACAR_ERR_ARG, "npz member name empty or too long");
    if ((uint64_t)w->offset > UINT64_MAX / 2 || (uint64_t)len > UINT64_MAX / 2)
        return werr(err, ACAR_ERR_LIMIT, "npz too large");
    uint64_t lim = acar__npz_zip64_limit;
    int big = (uint64_t)len >= lim, far = (uint64_t)w->offset >= lim;
    uint32_t crc = crc32_of(0, npy, len);
    uint8_t h[46 + 28];
    memset(h, 0, sizeof h);
    /* local header: stored, 1980-01-01 00:00; zip64 sizes when too big */
    le32(h, 0x04034b50);
    le16(h + 4, big ? 45 : 20);
    le16(h + 12, 0x21);
    le32(h + 14, crc);
    le32(h + 18, big ? 0xffffffffu : (uint32_t)len);
    le32(h + 22, big ? 0xffffffffu : (uint32_t)len);
    le16(h + 26, (unsigned)(nl + 4));
    le16(h + 28, big ? 20 : 0);
    acar_out o = {.buf = w->out};
    acar__out_write(&o, h, 30);
    acar__out_write(&o, name, nl);
    acar__out_write(&o, ".npy", 4);
    if (big) {
        uint8_t x[20];
        le16(x, 1);
        le16(x + 2, 16);
        le64(x + 4, len);
        le64(x + 12, len);
        acar__out_write(&o, x, 20);
    }
    acar__out_write(&o, npy, len);
    /* its central directory entry: the fields that do not fit go to zip64 */
    memset(h, 0, sizeof h);
    size_t xl = (big ? 16 : 0) + (far ? 8 : 0);
    le32(h, 0x02014b50);
    le16(h + 4, (big || far) ? 45 : 20);
    le16(h + 6, (big || far) ? 45 : 20);
    le16(h + 14, 0x21);
    le32(h + 16, crc);
    le32(h + 20, big ? 0xffffffffu : (uint32_t)len);
    le32(h + 24, big ? 0xffffffffu : (uint32_t)len);
    le16(h + 28, (unsigned)(nl + 4));
    le16(h + 30, (unsigned)(xl ? xl + 4 : 0));
    le32(h + 38, (uint32_t)0x81a40000u); /* unix mode 0644 */
    le32(h + 42, far ? 0xffffffffu : (uint32_t)w->offset);
    acar_out c = {.buf = &w->central};
    acar__out_write(&c, h, 46);
    acar__out_write(&c, name, nl);
    acar__out_write(&c, ".npy", 4);
    if (xl) {
        uint8_t x[28];
        size_t k = 4;
        le16(x, 1);
        le16(x + 2, (unsigned)xl);
        if (big) {
            le64(x + k, len);
            le64(x + k + 8, len);
            k += 16;
        }
        if (far) le64(x + k, w->offset);
        acar__out_write(&c, x, xl + 4);
    }
    if (o.failed || c.failed) return werr(err, ACAR_ERR_NOMEM, "out of memory");
    w->offset += 30 + nl + 4 + (big ? 20 : 0) + len;
    w->count++;
    return 0;
}

int acar_npz_end(acar_npz_writer *w, acar_err *err) {
    if (!w || !w->out) return werr(err, ACAR_ERR_ARG, "bad arguments");
    uint64_t lim = acar__npz_zip64_limit, cd_off = w->offset, cd_len = w->central.len;
    int z64 = w->count >= 0xffff || cd_off >= lim || cd_len >= lim;
    acar_out o = {.buf = w->out};
    acar__out_write(&o, w->central.data, w->central.len);
    if (z64) {
        uint8_t z[56 + 20];
        memset(z, 0, sizeof z);
        le32(z, 0x06064b50);
        le64(z + 4, 44);
        le16(z + 12, 45);
        le16(z + 14, 45);
        le64(z + 24, w->count);
        le64(z + 32, w->count);
        le64(z + 40, cd_len);
        le64(z + 48, cd_off);
        le32(z + 56, 0x07064b50); /* the locator */
        le64(z + 64, cd_off + cd_len);
        le32(z + 72, 1);
        acar__out_write(&o, z, sizeof z);
    }
    uint8_t e[22];
    memset(e, 0, sizeof e);
    le32(e, 0x06054b50);
    le16(e + 8, z64 ? 0xffffu : (unsigned)w->count);
    le16(e + 10, z64 ? 0xffffu : (unsigned)w->count);
    le32(e + 12, z64 ? 0xffffffffu : (uint32_t)cd_len);
    le32(e + 16, z64 ? 0xffffffffu : (uint32_t)cd_off);
    acar__out_write(&o, e, 22);
    acar_buf_free(&w->central);
    w->out = NULL;
    if (o.failed) return werr(err, ACAR_ERR_NOMEM, "out of memory");
    return 0;
}

void acar_npz_abort(acar_npz_writer *w) {
    if (!w) return;
    acar_buf_free(&w->central);
    w->out = NULL;
}
