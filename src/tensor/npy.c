/*
 * npy.c -- NumPy's .npy files, read as a zero-copy array view.
 *
 * Layout: "\x93NUMPY", major, minor (1.0, 2.0 or 3.0), the header length
 * (uint16 LE in 1.0, uint32 LE in 2.0 and 3.0), then the header: a Python
 * dict literal {'descr': ..., 'fortran_order': bool, 'shape': (...,), }
 * padded with spaces and a newline (latin-1 in 1.0/2.0, UTF-8 in 3.0), then
 * the element bytes (or, for object arrays, a pickle of the array).
 * descr is a dtype string ("<f8") or, for structured dtypes, a list of
 * (name, descr[, shape]) tuples.
 */
#include "tensor/tensor.h"

#include <stdio.h>

#define NPY_MAX_NEST 32

int acar_npy_is(const void *data, size_t len) {
    return len >= 6 && memcmp(data, "\x93NUMPY", 6) == 0;
}

static int perr(acar_err *err, acar_code c, size_t off, const char *msg) {
    acar__err_set(err, c, off, "npy: %s", msg);
    return -1;
}

/* A Python literal of dicts, tuples, lists, str, int, True/False/None
 * (what NumPy writes in the header), read with an explicit stack. */
acar_val *acar__npy_literal(acar_doc *doc, const char *s, size_t n, size_t base, acar_err *err) {
    struct {
        acar_val *items; /* a list collecting the items */
        char close;
    } st[NPY_MAX_NEST];
    int depth = 0;
    acar_val *result = NULL;
    size_t i = 0;
    for (;;) {
        while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r' || s[i] == ',' ||
                         s[i] == ':'))
            i++; /* separators are not checked: NumPy's writer is the only source */
        if (i >= n) {
            perr(err, ACAR_ERR_MALFORMED, base + i, "header ends inside a value");
            return NULL;
        }
        char c = s[i];
        acar_val *v = NULL;
        if (c == '{' || c == '(' || c == '[') {
            if (depth == NPY_MAX_NEST) {
                perr(err, ACAR_ERR_LIMIT, base + i, "header nests too deep");
                return NULL;
            }
            st[depth].items = acar_new_list(doc);
            st[depth].close = c == '{' ? '}' : c == '(' ? ')' : ']';
            if (!st[depth].items) goto nomem;
            depth++;
            i++;
            continue;
        }
        if (c == '}' || c == ')' || c == ']') {
            if (depth == 0 || st[depth - 1].close != c) {
                perr(err, ACAR_ERR_MALFORMED, base + i, "unbalanced bracket in header");
                return NULL;
            }
            acar_val *l = st[--depth].items;
            size_t m = acar_len(l);
            if (c == ']') v = l;
            else if (c == ')') v = acar_new_tuple(doc, l->u.items, m);
            else {
                if (m % 2) {
                    perr(err, ACAR_ERR_MALFORMED, base + i, "dict in header has a key without value");
                    return NULL;
                }
                v = acar_new_dict(doc);
                for (size_t k = 0; v && k < m; k += 2)
                    if (acar_dict_set(doc, v, acar_item(l, k), acar_item(l, k + 1)) < 0) v = NULL;
            }
            i++;
        } else if (c == '\'' || c == '"') {
            size_t j = i + 1;
            while (j < n && s[j] != c && s[j] != '\\') j++;
            if (j >= n || s[j] != c) {
                perr(err, ACAR_ERR_MALFORMED, base + i, "unterminated or escaped string in header");
                return NULL;
            }
            v = acar_new_str(doc, s + i + 1, j - i - 1);
            i = j + 1;
        } else if ((c >= '0' && c <= '9') || c == '-') {
            size_t j = i + 1;
            while (j < n && s[j] >= '0' && s[j] <= '9') j++;
            if (j > i + 19) { /* 'L' suffixes of Python 2 are not written by NumPy 1.x on Python 3 */
                perr(err, ACAR_ERR_MALFORMED, base + i, "number in header too large");
                return NULL;
            }
            v = acar_new_int_dec(doc, s + i, j - i);
            i = j;
            if (i < n && s[i] == 'L') i++; /* Python 2 longs */
        } else if (n - i >= 4 && memcmp(s + i, "True", 4) == 0) {
            v = acar_new_bool(doc, 1), i += 4;
        } else if (n - i >= 5 && memcmp(s + i, "False", 5) == 0) {
            v = acar_new_bool(doc, 0), i += 5;
        } else if (n - i >= 4 && memcmp(s + i, "None", 4) == 0) {
            v = acar_new_none(doc), i += 4;
        } else {
            perr(err, ACAR_ERR_MALFORMED, base + i, "unexpected character in header");
            return NULL;
        }
        if (!v) goto nomem;
        if (depth == 0) {
            result = v;
            break;
        }
        if (acar_list_append(doc, st[depth - 1].items, v) < 0) goto nomem;
    }
    return result;
nomem:;
    const acar_err *de = acar_doc_error(doc);
    if (de) *err = *de, err->offset = base + i;
    else perr(err, ACAR_ERR_MALFORMED, base + i, "bad value in header");
    return NULL;
}

/* A dtype string of the descr ("<f8", "|S5", "<U3", "<M8[ns]", "|O"). */
static int parse_descr_str(const char *s, size_t n, acar_array *a) {
    if (n < 2 || n >= sizeof a->dtype_str) return -1;
    char bo = s[0], kind = s[1];
    size_t i = 2;
    if (!strchr("<>|=", bo) || bo == 0) {
        bo = '|'; /* a bare code such as "b1" */
        kind = s[0];
        i = 1;
    }
    if (!kind || !strchr("biufcmMOSUV", kind)) return -1;
    uint64_t size = 0;
    size_t digits = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9' && digits < 12; i++, digits++)
        size = size * 10 + (uint64_t)(s[i] - '0');
    if (i < n && !((kind == 'M' || kind == 'm') && s[i] == '[' && s[n - 1] == ']')) return -1;
    if (kind == 'O' && digits && size != 4 && size != 8) return -1; /* as NumPy: 'O', 'O4', 'O8' only */
    if (kind == 'O') size = sizeof(void *);
    else if (kind == 'U') size *= 4;
    else if (!digits) return -1;
    if (size == 0 && kind != 'S' && kind != 'U' && kind != 'V') return -1;
    if (bo == '=') bo = '<';
    if (size == 1 || kind == 'O' || kind == 'S' || kind == 'V' || kind == 'b') bo = '|';
    a->kind = kind;
    a->byteorder = bo;
    a->itemsize = (size_t)size;
    if (kind == 'O') snprintf(a->dtype_str, sizeof a->dtype_str, "|O");
    else {
        size_t skip = s[0] && strchr("<>|=", s[0]) ? 1 : 0;
        snprintf(a->dtype_str, sizeof a->dtype_str, "%c%.*s", bo, (int)(n - skip), s + skip);
    }
    return 0;
}

/* Item size of a flat structured descr [(name, '<f8'[, shape]), ...]; the
 * list NumPy writes spells padding as ('', '|Vn') fields, so sizes add up. */
static int descr_list_size(const acar_val *l, uint64_t *size) {
    uint64_t total = 0;
    for (size_t k = 0; k < acar_len(l); k++) {
        const acar_val *f = acar_item(l, k), *t = acar_item(f, 1);
        acar_array sub;
        size_t tl;
        const char *ts;
        if (!f || acar_typeof(f) != ACAR_TUPLE || acar_len(f) < 2 || !t || acar_typeof(t) != ACAR_STR)
            return -1; /* nested structured fields: not yet */
        ts = acar_str(t, &tl);
        memset(&sub, 0, sizeof sub);
        if (parse_descr_str(ts, tl, &sub) < 0) return -1;
        uint64_t fs = sub.itemsize;
        if (acar_len(f) >= 3) {
            const acar_val *sh = acar_item(f, 2);
            for (size_t d = 0; d < acar_len(sh); d++) {
                int64_t x;
                if (!acar_int_get(acar_item(sh, d), &x) || x < 0 || (x && fs > ((uint64_t)1 << 40) / (uint64_t)x))
                    return -1;
                fs *= (uint64_t)x;
            }
        }
        total += fs;
        if (total > ((uint64_t)1 << 40)) return -1;
    }
    *size = total;
    return 0;
}

int acar_npy_read(acar_doc *doc, const void *data, size_t len, acar_read_opts *opts, acar_array *out,
                  acar_err *err) {
    const uint8_t *p = data;
    memset(out, 0, sizeof *out);
    out->oob_index = -1;
    if (!acar_npy_is(data, len)) return perr(err, ACAR_ERR_MALFORMED, 0, "not a .npy file (magic missing)");
    if (len < 10) return perr(err, ACAR_ERR_TRUNCATED, len, "file ends inside the preamble");
    unsigned major = p[6], minor = p[7];
    size_t hlen, hstart;
    if (major == 1) {
        hlen = (size_t)p[8] | (size_t)p[9] << 8;
        hstart = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12) return perr(err, ACAR_ERR_TRUNCATED, len, "file ends inside the preamble");
        hlen = (size_t)p[8] | (size_t)p[9] << 8 | (size_t)p[10] << 16 | (size_t)p[11] << 24;
        hstart = 12;
    } else {
        acar__err_set(err, ACAR_ERR_UNSUPPORTED, 6, "npy: format version %u.%u not supported", major, minor);
        return -1;
    }
    if (minor != 0) {
        acar__err_set(err, ACAR_ERR_UNSUPPORTED, 7, "npy: format version %u.%u not supported", major, minor);
        return -1;
    }
    if (hlen > len - hstart) return perr(err, ACAR_ERR_TRUNCATED, len, "header runs past the end of the file");
    if (hlen > doc->limits.max_input) {
        /* the header is read; element bytes are a view and do not count */
        acar__err_set(err, ACAR_ERR_LIMIT, hstart + doc->limits.max_input,
                      "npy: header of %zu bytes is longer than %zu bytes (max_input)", hlen, doc->limits.max_input);
        return -1;
    }
    const char *h = (const char *)p + hstart;
    if (major < 3)
        for (size_t i = 0; i < hlen; i++)
            if ((uint8_t)h[i] >= 0x80) return perr(err, ACAR_ERR_UNSUPPORTED, hstart + i, "non-ASCII header");
    acar_val *hd = acar__npy_literal(doc, h, hlen, hstart, err);
    if (!hd) return -1;
    if (acar_typeof(hd) != ACAR_DICT) return perr(err, ACAR_ERR_MALFORMED, hstart, "header is not a dict");
    const acar_val *descr = acar_dict_get_str(hd, "descr", 5), *fo = acar_dict_get_str(hd, "fortran_order", 13),
                   *shape = acar_dict_get_str(hd, "shape", 5);
    if (!descr || !fo || !shape || acar_len(hd) != 3)
        return perr(err, ACAR_ERR_MALFORMED, hstart, "header needs exactly descr, fortran_order and shape");
    if (acar_typeof(fo) != ACAR_BOOL) return perr(err, ACAR_ERR_MALFORMED, hstart, "fortran_order is not a bool");
    out->fortran = acar_bool(fo);
    out->descr = descr;
    if (acar_typeof(descr) == ACAR_STR) {
        size_t dl;
        const char *ds = acar_str(descr, &dl);
        if (parse_descr_str(ds, dl, out) < 0) return perr(err, ACAR_ERR_UNSUPPORTED, hstart, "unknown descr");
    } else if (acar_typeof(descr) == ACAR_LIST) {
        uint64_t size;
        if (descr_list_size(descr, &size) < 0)
            return perr(err, ACAR_ERR_UNSUPPORTED, hstart, "structured descr acar cannot size");
        out->kind = 'V';
        out->byteorder = '|';
        out->itemsize = (size_t)size;
        snprintf(out->dtype_str, sizeof out->dtype_str, "|V%llu", (unsigned long long)size);
    } else {
        return perr(err, ACAR_ERR_MALFORMED, hstart, "descr is neither str nor list");
    }
    if (acar_typeof(shape) != ACAR_TUPLE) return perr(err, ACAR_ERR_MALFORMED, hstart, "shape is not a tuple");
    size_t nd = acar_len(shape);
    if (nd > ACAR_MAX_NDIM) return perr(err, ACAR_ERR_UNSUPPORTED, hstart, "more than 64 dimensions");
    uint64_t count = 1;
    int zero = 0;
    for (size_t i = 0; i < nd; i++) {
        int64_t d;
        if (!acar_int_get(acar_item(shape, i), &d) || d < 0)
            return perr(err, ACAR_ERR_MALFORMED, hstart, "negative or non-integer dimension");
        out->shape[i] = d;
        if (!d) zero = 1;
        else if (count > (uint64_t)INT64_MAX / (uint64_t)d) return perr(err, ACAR_ERR_MALFORMED, hstart, "shape too large");
        else count *= (uint64_t)d;
    }
    if (zero) count = 0;
    out->ndim = (int)nd;
    if (acar__array_fill_strides(out) < 0) return perr(err, ACAR_ERR_MALFORMED, hstart, "array is too big");
    size_t dstart = hstart + hlen;
    if (out->kind == 'O') {
        acar_read_opts o;
        if (opts) o = *opts;
        else memset(&o, 0, sizeof o);
        o.format = ACAR_FORMAT_PICKLE;
        acar_val *v = acar_read(doc, p + dstart, len - dstart, &o, err);
        if (opts) opts->consumed = o.consumed, opts->protocol = o.protocol;
        if (!v) {
            err->offset += dstart;
            return -1;
        }
        acar_array inner;
        if (acar_array_get(v, &inner, err) < 0 || inner.kind != 'O' || !inner.objects ||
            (uint64_t)acar_len(inner.objects) != count)
            return perr(err, ACAR_ERR_MALFORMED, dstart, "object array pickle does not hold the array");
        out->objects = inner.objects;
        out->dtype = inner.dtype;
        out->nbytes = (size_t)count * out->itemsize;
        return 0;
    }
    if (out->itemsize && count > (uint64_t)SIZE_MAX / out->itemsize)
        return perr(err, ACAR_ERR_MALFORMED, hstart, "shape times item size overflows");
    uint64_t need = count * out->itemsize;
    if (need > len - dstart) {
        acar__err_set(err, ACAR_ERR_TRUNCATED, len,
                      "npy: %llu bytes of data expected after the header, %llu there",
                      (unsigned long long)need, (unsigned long long)(len - dstart));
        return -1;
    }
    out->data = p + dstart;
    out->nbytes = (size_t)need;
    return 0;
}
