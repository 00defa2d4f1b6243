/* test_tensor.c -- NumPy array views: out-of-band buffers, zero copy into
 * borrowed input, .npy headers, and arrays NumPy would refuse (each gets its
 * error code).  Expected shapes and strides are NumPy's, as
 * tests/fixtures/tensor/facts.json records them.  Run with cwd tests/. */
#include "check.h"
#include "safety/scan.h"
#include "tensor/tensor.h"

#include <stdlib.h>

#define FIX "fixtures/tensor/"

static void test_oob(void) {
    size_t len, blen;
    unsigned char *p = check_read_file(FIX "f4_4d_F_oob.pkl", &len), *b = check_read_file(FIX "f4_4d_F_oob.pkl.oob0", &blen);
    CHECK(p && b);
    if (!p || !b) return;
    acar_doc *doc = acar_doc_new(NULL);
    acar_bytes buf = {b, blen};
    acar_read_opts o;
    memset(&o, 0, sizeof o);
    o.buffers = &buf;
    o.nbuffers = 1;
    acar_err err;
    acar_val *v = acar_read(doc, p, len, &o, &err);
    CHECK(v != NULL);
    acar_array a;
    CHECK(acar_is_ndarray(v));
    CHECK(acar_array_get(v, &a, &err) == 0);
    CHECK(a.data == (const void *)b); /* zero copy: the caller's buffer itself */
    CHECK(a.oob_index == 0 && a.nbytes == 48 && blen == 48);
    CHECK(a.ndim == 4 && a.shape[0] == 2 && a.shape[1] == 1 && a.shape[2] == 3 && a.shape[3] == 2);
    CHECK(a.strides[0] == 4 && a.strides[1] == 8 && a.strides[2] == 8 && a.strides[3] == 24);
    CHECK(a.fortran == 1 && a.kind == 'f' && a.itemsize == 4 && strcmp(a.dtype_str, "<f4") == 0);
    /* without its buffer: a clear error */
    acar_read_opts o2;
    memset(&o2, 0, sizeof o2);
    CHECK(acar_read(doc, p, len, &o2, &err) == NULL && err.code != ACAR_OK);
    acar_doc_free(doc);
    free(p);
    free(b);
}

static void test_borrow(void) {
    size_t len;
    unsigned char *p = check_read_file(FIX "i4_2x3_p4.pkl", &len);
    CHECK(p != NULL);
    if (!p) return;
    acar_doc *doc = acar_doc_new(NULL);
    acar_read_opts o;
    memset(&o, 0, sizeof o);
    o.flags = ACAR_READ_BORROW;
    acar_err err;
    acar_val *v = acar_read(doc, p, len, &o, &err);
    acar_array a;
    CHECK(v && acar_array_get(v, &a, &err) == 0);
    CHECK((const unsigned char *)a.data > p && (const unsigned char *)a.data + a.nbytes <= p + len);
    CHECK(a.nbytes == 24 && a.strides[0] == 12 && a.strides[1] == 4 && !a.fortran && !a.scalar);
    int32_t x[6];
    memcpy(x, a.data, 24);
    for (int i = 0; i < 6; i++) CHECK(x[i] == i); /* np.arange(6), little-endian host */
    acar_doc_free(doc);
    free(p);
}

static void test_npy(void) {
    size_t len;
    unsigned char *p = check_read_file(FIX "i4_2x3_v3.npy", &len);
    CHECK(p != NULL);
    if (!p) return;
    acar_doc *doc = acar_doc_new(NULL);
    acar_array a;
    acar_err err;
    CHECK(acar_npy_read(doc, p, len, NULL, &a, &err) == 0);
    CHECK((const unsigned char *)a.data == p + 128 && a.nbytes == 24); /* offset NumPy's reader reports */
    CHECK(strcmp(a.dtype_str, "<i4") == 0 && a.ndim == 2);
    /* every truncation is an error, never a read past the end */
    for (size_t cut = 0; cut < len; cut++) {
        unsigned char *q = malloc(cut ? cut : 1);
        memcpy(q, p, cut);
        acar_doc_reset(doc);
        CHECK(acar_npy_read(doc, q, cut, NULL, &a, &err) == -1 && err.offset <= cut);
        free(q);
    }
    free(p);
    p = check_read_file(FIX "obj_v1.npy", &len);
    CHECK(p != NULL);
    if (p) {
        acar_doc_reset(doc);
        CHECK(acar_npy_read(doc, p, len, NULL, &a, &err) == 0);
        CHECK(a.kind == 'O' && a.objects && acar_len(a.objects) == 4 && a.data == NULL);
        CHECK(acar_typeof(acar_item(a.objects, 1)) == ACAR_STR && acar_typeof(acar_item(a.objects, 2)) == ACAR_NONE);
        free(p);
    }
    acar_doc_free(doc);
}

/* numpy.dtype(code, False, True) with its BUILD state */
static acar_val *mk_dtype(acar_doc *doc, const char *code, const char *order) {
    acar_val *g = acar_new_global(doc, "numpy", 5, "dtype", 5);
    acar_val *args[3] = {acar_new_str(doc, code, strlen(code)), acar_new_bool(doc, 0), acar_new_bool(doc, 1)};
    acar_val *d = acar_new_object(doc, ACAR_BUILD_REDUCE, g, acar_new_tuple(doc, args, 3), NULL);
    acar_val *st[8] = {acar_new_int(doc, 3), acar_new_str(doc, order, 1), acar_new_none(doc), acar_new_none(doc),
                       acar_new_none(doc), acar_new_int(doc, -1), acar_new_int(doc, -1), acar_new_int(doc, 0)};
    acar_object_set_state(doc, d, acar_new_tuple(doc, st, 8));
    return d;
}

/* _reconstruct(ndarray, (0,), b'b') with state (1, shape, dtype, False, data) */
static acar_val *mk_array(acar_doc *doc, const int64_t *shape, size_t nd, const char *code, size_t datalen) {
    acar_val *rc = acar_new_global(doc, "numpy.core.multiarray", 21, "_reconstruct", 12);
    acar_val *zero = acar_new_int(doc, 0);
    acar_val *a3[3] = {acar_new_global(doc, "numpy", 5, "ndarray", 7), acar_new_tuple(doc, &zero, 1),
                       acar_new_bytes(doc, "b", 1)};
    acar_val *arr = acar_new_object(doc, ACAR_BUILD_REDUCE, rc, acar_new_tuple(doc, a3, 3), NULL);
    acar_val *dims[8];
    for (size_t i = 0; i < nd; i++) dims[i] = acar_new_int(doc, shape[i]);
    char *data = calloc(datalen ? datalen : 1, 1);
    acar_val *st[5] = {acar_new_int(doc, 1), acar_new_tuple(doc, dims, nd), mk_dtype(doc, code, "<"),
                       acar_new_bool(doc, 0), acar_new_bytes(doc, data, datalen)};
    free(data);
    acar_object_set_state(doc, arr, acar_new_tuple(doc, st, 5));
    return arr;
}

static void test_refused(void) {
    acar_doc *doc = acar_doc_new(NULL);
    acar_array a;
    acar_err err;
    int64_t s23[2] = {2, 3};
    CHECK(acar_array_get(mk_array(doc, s23, 2, "i4", 24), &a, &err) == 0 && a.nbytes == 24);
    CHECK(acar_doc_error(doc) == NULL);
    CHECK(acar_array_get(mk_array(doc, s23, 2, "i4", 23), &a, &err) == -1 && err.code == ACAR_ERR_MALFORMED);
    int64_t neg[1] = {-1};
    CHECK(acar_array_get(mk_array(doc, neg, 1, "f8", 0), &a, &err) == -1 && err.code == ACAR_ERR_MALFORMED);
    int64_t huge[3] = {INT64_C(3037000500), INT64_C(3037000500), 3}; /* product overflows int64 */
    CHECK(acar_array_get(mk_array(doc, huge, 3, "f8", 8), &a, &err) == -1 && err.code == ACAR_ERR_MALFORMED);
    int64_t big[2] = {INT64_C(1) << 61, 8}; /* elements fit, bytes do not */
    CHECK(acar_array_get(mk_array(doc, big, 2, "f8", 8), &a, &err) == -1 && err.code == ACAR_ERR_MALFORMED);
    int64_t zero[2] = {0, INT64_C(1) << 59}; /* a 0 dimension: no data at all */
    CHECK(acar_array_get(mk_array(doc, zero, 2, "f8", 0), &a, &err) == 0 && a.nbytes == 0);
    CHECK(a.strides[0] == INT64_C(1) << 62 && a.strides[1] == 8);
    /* NumPy: "array is too big" once a stride passes 2^63 - 1, even empty */
    int64_t zero_big[2] = {0, INT64_C(1) << 60};
    CHECK(acar_array_get(mk_array(doc, zero_big, 2, "f8", 0), &a, &err) == -1 && err.code == ACAR_ERR_MALFORMED);
    CHECK(acar_array_get(mk_array(doc, s23, 2, "q7", 24), &a, &err) == -1 && err.code == ACAR_ERR_UNSUPPORTED);
    /* NumPy: 'O5' is no dtype ('O4' and 'O8' are the object dtype) */
    CHECK(acar_array_get(mk_array(doc, s23, 2, "O5", 0), &a, &err) == -1 && err.code == ACAR_ERR_UNSUPPORTED);
    CHECK(acar_array_get(acar_new_int(doc, 3), &a, &err) == -1 && err.code == ACAR_ERR_TYPE);
    CHECK(!acar_is_ndarray(acar_new_none(doc)));
    CHECK(acar_array_get(NULL, &a, &err) == -1);
    acar_doc_free(doc);
}

/* the value of key in an OrderedDict object (its set items) */
static acar_val *od_get(const acar_val *od, const char *key) {
    acar_val *items = acar_object_dictitems(od);
    return items ? acar_dict_get_str(items, key, strlen(key)) : NULL;
}

static void test_torch(void) {
    size_t len;
    unsigned char *p = check_read_file(FIX "state_dict.pt", &len);
    CHECK(p != NULL);
    if (!p) return;
    acar_doc *doc = acar_doc_new(NULL);
    acar_err err;
    CHECK(acar_torch_is(p, len) && !acar_torch_is_legacy(p, len));
    acar_torch *t = acar_torch_open(doc, p, len, &err);
    CHECK(t != NULL);
    if (t) {
        acar_val *root = acar_torch_root(t);
        acar_tensor base, sl;
        CHECK(acar_torch_tensor(t, od_get(root, "base"), &base, &err) == 0);
        CHECK(acar_torch_tensor(t, od_get(root, "sliced"), &sl, &err) == 0);
        /* base[1:3, 2:5]: torch says storage_offset 8, stride (6, 1), size (2, 3) */
        CHECK(sl.storage_offset == 8 && sl.strides[0] == 6 && sl.strides[1] == 1 && sl.shape[0] == 2 && sl.shape[1] == 3);
        CHECK(sl.storage == base.storage && (const char *)sl.data == (const char *)base.data + 32);
        CHECK((const unsigned char *)base.data > p && (const unsigned char *)base.data + base.nbytes <= p + len);
        float f[24];
        memcpy(f, base.data, sizeof f);
        for (int i = 0; i < 24; i++) CHECK(f[i] == (float)i); /* torch.arange(24.) */
        CHECK(strcmp(base.dtype, "float32") == 0 && base.itemsize == 4);
        acar_tensor bf;
        CHECK(acar_torch_tensor(t, od_get(root, "bfloat16"), &bf, &err) == 0 && strcmp(bf.dtype, "bfloat16") == 0);
        acar_buf b = {0};
        acar_out o = {&b, false, false, 0};
        CHECK(acar__tensor_repr(od_get(root, "sliced"), &o) == 1);
        CHECK(b.len == strlen("tensor(float32, (2, 3))") && memcmp(b.data, "tensor(float32, (2, 3))", b.len) == 0);
        b.len = 0;
        CHECK(acar__tensor_repr(od_get(root, "row"), &o) == 1 && b.len == 21 && memcmp(b.data, "tensor(float32, (6,))", 21) == 0);
        CHECK(acar__tensor_repr(root, &o) == 0);
        CHECK(acar_torch_tensor(t, root, &sl, &err) == -1 && err.code == ACAR_ERR_TYPE);
        acar_buf_free(&b);
    }
    /* every truncation of the archive is an error, never a read past the end */
    for (size_t cut = 0; cut < len; cut += 7) {
        unsigned char *q = malloc(cut ? cut : 1);
        memcpy(q, p, cut);
        acar_doc_reset(doc);
        CHECK(acar_torch_open(doc, q, cut, &err) == NULL);
        free(q);
    }
    acar_doc_free(doc);
    free(p);
}

/* the writer: the same bytes numpy's pickle.dumps gave for the fixtures */
static void test_write(void) {
    static const struct {
        const char *file;
        int proto, fortran;
    } cases[] = {{"i4_2x3_p2.pkl", 2, 0}, {"i4_2x3_p4.pkl", 4, 0}, {"i4_2x3_p5.pkl", 5, 0},
                 {"i4_2x3_F_p2.pkl", 2, 1}, {"i4_2x3_F_p4.pkl", 4, 1}, {"i4_2x3_F_p5.pkl", 5, 1}};
    int32_t c[6] = {0, 1, 2, 3, 4, 5}, f[6] = {0, 3, 1, 4, 2, 5}; /* arange(6).reshape(2, 3) in C / F order */
    int64_t shape[2] = {2, 3};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t len;
        unsigned char *want;
        char path[128];
        snprintf(path, sizeof path, FIX "%s", cases[i].file);
        want = check_read_file(path, &len);
        CHECK(want != NULL);
        if (!want) continue;
        acar_doc *doc = acar_doc_new(NULL);
        acar_val *v = acar_new_ndarray(doc, "<i4", 2, shape, cases[i].fortran, cases[i].fortran ? f : c, 24,
                                       cases[i].proto == 5);
        CHECK(v != NULL && acar_doc_error(doc) == NULL);
        acar_write_opts o;
        memset(&o, 0, sizeof o);
        o.version = ACAR_VERSION(cases[i].proto);
        acar_buf out = {0};
        acar_err err;
        CHECK(acar_write(v, ACAR_FORMAT_PICKLE, &o, &out, &err) == 0);
        CHECK_MSG(out.len == len && memcmp(out.data, want, len) == 0, "%s: acar's pickle differs from numpy's",
                  cases[i].file);
        acar_array a;
        CHECK(acar_array_get(v, &a, &err) == 0 && a.fortran == cases[i].fortran && a.nbytes == 24);
        acar_buf_free(&out);
        acar_doc_free(doc);
        free(want);
    }
    acar_doc *doc = acar_doc_new(NULL);
    CHECK(acar_new_ndarray(doc, "<i4", 2, shape, 0, c, 20, 0) == NULL && acar_doc_error(doc)->code == ACAR_ERR_ARG);
    acar_doc_free(doc);
    doc = acar_doc_new(NULL);
    CHECK(acar_new_ndarray(doc, "|O", 2, shape, 0, c, 24, 0) == NULL);
    acar_doc_free(doc);
}

static int same(const acar_buf *b, const unsigned char *want, size_t len) {
    return b->len == len && memcmp(b->data, want, len) == 0;
}

/* Rebuilds array node in (as read) with the writer, in numpy's form for
 * the protocol (the fixture's callable says which: NumPy pickles datetimes
 * in band with _reconstruct even at protocol 5). */
static acar_val *rebuild(acar_doc *doc, const acar_val *in, int oob) {
    acar_array a;
    acar_err err;
    if (acar_array_get(in, &a, &err) < 0) return NULL;
    if (a.kind == 'O') return acar_new_ndarray_objects(doc, a.ndim, a.shape, a.fortran, a.objects);
    acar_buf d = {0};
    if (acar_array_descr(&a, &d, &err) < 0) return NULL;
    acar_buf_free(&d); /* (no NUL: rebuilt below with one) */
    acar_out o = {&d, false, false, 0};
    acar_array_descr(&a, &d, &err);
    acar__out_byte(&o, 0);
    const acar_val *g = acar_object_callable(in);
    size_t nl;
    const char *name = acar_str(acar_global_name(g), &nl);
    acar_val *v;
    if (a.scalar) v = acar_new_npscalar(doc, d.data, a.data, a.nbytes);
    else
        v = acar_new_ndarray(doc, d.data, a.ndim, a.shape, a.fortran, a.data, a.nbytes,
                             oob ? ACAR_NDARRAY_OOB : nl == 11 && memcmp(name, "_frombuffer", 11) == 0 ? ACAR_NDARRAY_BUFFER
                                                                                                : ACAR_NDARRAY_REDUCE);
    acar_buf_free(&d);
    return v;
}

/* Every dtype and layout the writer makes, against numpy's own pickles at
 * protocols 2-5 and numpy.save's .npy (fixtures w_*: the data and metadata
 * come from acar's reader, checked against NumPy by test_tensor.py). */
static void test_write_all(void) {
    static const char *const kinds[] = {"u2be", "f2", "bool", "S5", "U3", "c16", "i1", "f8be", "f4_4d_F",
                                        "empty_0x3", "f8_0d", "u8", "i8be", "u4", "i2", "c8", "g", "M8ns",
                                        "M8_10s", "m8s_be", "V4", "struct", "struct2", "obj", "obj_2x2_F",
                                        "i4_2x3", "i4_2x3_F", "transposed", "sc_f8", "sc_i1", "sc_b", "sc_c16",
                                        "sc_f2", "sc_U", "sc_S", "sc_M8"};
    char path[160];
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        for (int proto = 2; proto <= 5; proto++) {
            size_t len;
            snprintf(path, sizeof path, FIX "w_%s_p%d.pkl", kinds[k], proto);
            unsigned char *want = check_read_file(path, &len);
            CHECK(want != NULL);
            if (!want) continue;
            acar_doc *doc = acar_doc_new(NULL);
            acar_read_opts ro;
            memset(&ro, 0, sizeof ro);
            acar_err err;
            acar_val *in = acar_read(doc, want, len, &ro, &err);
            acar_val *v = in ? rebuild(doc, in, 0) : NULL;
            acar_write_opts o;
            memset(&o, 0, sizeof o);
            o.version = ACAR_VERSION(proto);
            acar_buf out = {0};
            CHECK_MSG(v && acar_write(v, ACAR_FORMAT_PICKLE, &o, &out, &err) == 0, "%s: %s", path,
                      acar_doc_error(doc) ? acar_doc_error(doc)->msg : err.msg);
            CHECK_MSG(same(&out, want, len), "%s: acar's pickle differs from numpy's", path);
            if (proto == 4 && strncmp(kinds[k], "sc_", 3) != 0) {
                /* numpy.save's .npy of the same array */
                size_t nlen;
                snprintf(path, sizeof path, FIX "w_%s.npy", kinds[k]);
                unsigned char *npy = check_read_file(path, &nlen);
                acar_buf nb = {0};
                CHECK(npy && acar_npy_write_array(&nb, v, &err) == 0);
                CHECK_MSG(npy && same(&nb, npy, nlen), "%s: acar's .npy differs from numpy.save's", path);
                /* and from acar's own .npy reader: same view again */
                acar_array a, b;
                if (npy && acar_npy_read(doc, npy, nlen, NULL, &b, &err) == 0 && acar_array_get(v, &a, &err) == 0) {
                    CHECK_MSG(a.ndim == b.ndim && a.nbytes == b.nbytes && a.itemsize == b.itemsize &&
                                  (!a.data || memcmp(a.data, b.data, a.nbytes) == 0),
                              "%s: .npy view differs", path);
                } else {
                    CHECK_MSG(0, "%s: not read back: %s", path, err.msg);
                }
                acar_buf_free(&nb);
                free(npy);
            }
            acar_buf_free(&out);
            acar_doc_free(doc);
            free(want);
        }
    }
    /* protocol 5 out of band: numpy's pickle with buffer_callback, and the
     * view of acar's node points at the caller's bytes */
    static const char *const oob[] = {"i4_2x3", "f4_4d_F", "f8be", "U3", "f8_0d"};
    for (size_t k = 0; k < sizeof oob / sizeof *oob; k++) {
        size_t len, blen;
        snprintf(path, sizeof path, FIX "%s_oob.pkl", oob[k]);
        unsigned char *want = check_read_file(path, &len);
        snprintf(path, sizeof path, FIX "%s_oob.pkl.oob0", oob[k]);
        unsigned char *b = check_read_file(path, &blen);
        CHECK(want && b);
        if (!want || !b) continue;
        acar_doc *doc = acar_doc_new(NULL);
        acar_bytes buf = {b, blen};
        acar_read_opts ro;
        memset(&ro, 0, sizeof ro);
        ro.buffers = &buf;
        ro.nbuffers = 1;
        acar_err err;
        acar_val *in = acar_read(doc, want, len, &ro, &err);
        acar_val *v = in ? rebuild(doc, in, 1) : NULL;
        acar_write_opts o;
        memset(&o, 0, sizeof o);
        o.version = ACAR_VERSION(5);
        acar_buf out = {0};
        CHECK(v && acar_write(v, ACAR_FORMAT_PICKLE, &o, &out, &err) == 0);
        CHECK_MSG(same(&out, want, len), "%s: acar's out-of-band pickle differs from numpy's", path);
        acar_array a;
        CHECK(v && acar_array_get(v, &a, &err) == 0 && a.data == (const void *)b && a.oob_index == 0);
        o.version = ACAR_VERSION(4); /* PickleBuffer needs protocol 5 */
        CHECK(v && acar_write(v, ACAR_FORMAT_PICKLE, &o, &out, &err) == -1 && err.code == ACAR_ERR_TYPE);
        acar_buf_free(&out);
        acar_doc_free(doc);
        free(want);
        free(b);
    }
}

/* Several arrays in one pickle: CPython shares its one-character strings
 * ('<', 'C') and bytes (b'b') between them. */
static void test_write_several(void) {
    for (int proto = 2; proto <= 5; proto++) {
        char path[128];
        size_t len;
        snprintf(path, sizeof path, FIX "w_several_p%d.pkl", proto);
        unsigned char *want = check_read_file(path, &len);
        CHECK(want != NULL);
        if (!want) continue;
        acar_doc *doc = acar_doc_new(NULL);
        acar_read_opts ro;
        memset(&ro, 0, sizeof ro);
        acar_err err;
        acar_val *in = acar_read(doc, want, len, &ro, &err), *d = acar_new_dict(doc);
        for (size_t i = 0; in && i < acar_len(in); i++) {
            size_t kl;
            const char *ks = acar_str(acar_dict_key(in, i), &kl);
            acar_dict_set(doc, d, acar_new_str(doc, ks, kl), rebuild(doc, acar_dict_value(in, i), 0));
        }
        acar_write_opts o;
        memset(&o, 0, sizeof o);
        o.version = ACAR_VERSION(proto);
        acar_buf out = {0};
        CHECK(in && acar_write(d, ACAR_FORMAT_PICKLE, &o, &out, &err) == 0);
        len = 0;
        free(want);
        want = check_read_file(path, &len);
        /* exact at every protocol: the writer memoizes the one-byte b'b'
         * the array writer marks as CPython's shared object */
        CHECK_MSG(same(&out, want, len), "%s: acar's pickle of several arrays differs from numpy's", path);
        acar_buf_free(&out);
        acar_doc_free(doc);
        free(want);
    }
}

/* .npz: members read back by acar's zip reader as .npy files */
static void test_npz(void) {
    acar_buf out = {0}, npy = {0};
    acar_npz_writer w;
    acar_err err;
    int32_t x[6] = {0, 1, 2, 3, 4, 5};
    int64_t shape[2] = {2, 3};
    acar_npz_begin(&w, &out);
    CHECK(acar_npy_write(&npy, "<i4", 2, shape, 0, x, 24, &err) == 0);
    CHECK(acar_npz_add(&w, "a", npy.data, npy.len, &err) == 0);
    CHECK(acar_npz_add(&w, "layer.0/w", npy.data, npy.len, &err) == 0);
    size_t drained = out.len; /* the caller may drain between members */
    char *copy = malloc(out.len);
    memcpy(copy, out.data, out.len);
    out.len = 0;
    CHECK(acar_npz_add(&w, "b", npy.data, npy.len, &err) == 0);
    CHECK(acar_npz_end(&w, &err) == 0);
    size_t total = drained + out.len;
    unsigned char *z = malloc(total);
    memcpy(z, copy, drained);
    memcpy(z + drained, out.data, out.len);
    acar_zip_entry *es;
    size_t n;
    CHECK(acar__zip_list(z, total, &es, &n, &err) == 0 && n == 3);
    for (size_t i = 0; i < n && i < 3; i++) {
        const uint8_t *m;
        size_t ml;
        int owned;
        acar_array a;
        acar_doc *doc = acar_doc_new(NULL);
        CHECK(acar__zip_extract(z, total, &es[i], 0, &m, &ml, &owned, &err) == 0);
        CHECK(ml == npy.len && memcmp(m, npy.data, ml) == 0);
        CHECK(acar_npy_read(doc, m, ml, NULL, &a, &err) == 0 && a.nbytes == 24);
        acar_doc_free(doc);
    }
    CHECK(n == 3 && es[1].name_len == 13 && memcmp(es[1].name, "layer.0/w.npy", 13) == 0);
    free(es);
    free(z);
    free(copy);
    acar_buf_free(&out);
    /* zip64 (members, offsets and the directory past the limit, and more
     * than 65535 members), read back by acar's zip reader */
    for (int pass = 0; pass < 2; pass++) {
        /* pass 0: members of 152 bytes are "big", member 3 is not */
        acar__npz_zip64_limit = pass ? 0xffffffffu : 100;
        size_t members = pass ? 70000 : 5;
        acar_npz_begin(&w, &out);
        for (size_t i = 0; i < members; i++) {
            char nm[32];
            snprintf(nm, sizeof nm, "m%zu", i);
            CHECK_MSG(acar_npz_add(&w, nm, npy.data, i == 3 ? 10 : npy.len, &err) == 0, "zip64 add %zu", i);
        }
        CHECK(acar_npz_end(&w, &err) == 0);
        acar__npz_zip64_limit = 0xffffffffu;
        CHECK(acar__zip_list((const uint8_t *)out.data, out.len, &es, &n, &err) == 0 && n == members);
        for (size_t i = 0; i < n && i < members; i += pass ? 9973 : 1) {
            const uint8_t *m;
            size_t ml;
            int owned;
            char nm[32];
            int nml = snprintf(nm, sizeof nm, "m%zu.npy", i);
            CHECK(acar__zip_extract((const uint8_t *)out.data, out.len, &es[i], 0, &m, &ml, &owned, &err) == 0);
            CHECK(ml == (i == 3 ? 10 : npy.len) && memcmp(m, npy.data, ml) == 0);
            CHECK(es[i].name_len == (size_t)nml && memcmp(es[i].name, nm, (size_t)nml) == 0);
        }
        if (n) free(es);
        acar_buf_free(&out);
    }
    /* bad calls */
    acar_npz_begin(&w, &out);
    CHECK(acar_npz_add(&w, "", npy.data, npy.len, &err) == -1 && err.code == ACAR_ERR_ARG);
    acar_npz_abort(&w);
    acar_buf_free(&out);
    acar_buf_free(&npy);
    /* .npy writer: refusals leave out as it was */
    acar_buf b = {0};
    CHECK(acar_npy_write(&b, "<i4", 2, shape, 0, x, 20, &err) == -1 && err.code == ACAR_ERR_ARG && b.len == 0);
    CHECK(acar_npy_write(&b, "<q9", 2, shape, 0, x, 24, &err) == -1 && b.len == 0);
    CHECK(acar_npy_write(&b, "[('a', '<i4'), ('', '<i4')]", 1, shape, 0, x, 8, &err) == -1 && b.len == 0);
    CHECK(acar_npy_write(&b, "|O", 1, shape, 0, x, 16, &err) == -1 && b.len == 0);
    CHECK(acar_npy_write(&b, "<M8[xs]", 1, shape, 0, x, 16, &err) == -1 && b.len == 0); /* no such unit */
    CHECK(acar_npy_write(&b, "<i3", 1, shape, 0, x, 6, &err) == -1 && b.len == 0);
    CHECK(acar_npy_write(&b, "<M8[25us]", 1, shape, 0, x, 16, &err) == 0 && b.len == 144);
    acar_doc *d = acar_doc_new(NULL);
    CHECK(acar_new_ndarray(d, "<m8[Y]", 1, shape, 0, x, 16, ACAR_NDARRAY_OOB) != NULL);
    CHECK(acar_new_npscalar(d, "<f8", x, 4) == NULL && acar_doc_error(d)->code == ACAR_ERR_ARG);
    acar_doc_free(d);
    acar_buf_free(&b);
}

int main(void) {
    test_write();
    test_write_all();
    test_write_several();
    test_npz();
    test_torch();
    test_oob();
    test_borrow();
    test_npy();
    test_refused();
    return CHECK_DONE();
}
