/*
 * torch.c -- PyTorch checkpoints (torch.save zip archives) as tensor views.
 *
 * The archive (written by torch.save since 1.6) holds, under one directory
 * PREFIX: data.pkl (protocol 2 pickle of the saved object), data/KEY (the
 * raw bytes of each storage, stored uncompressed, aligned to 64 bytes),
 * version, and in newer releases byteorder and .data/serialization_id.
 * In data.pkl a storage is a persistent id
 *   ('storage', torch.FloatStorage, KEY, LOCATION, NUMEL)
 * and a tensor is torch._utils._rebuild_tensor_v2(storage, storage_offset,
 * size, stride, requires_grad, backward_hooks[, metadata]) (offset, size and
 * stride in elements); parameters wrap it in _rebuild_parameter(tensor,
 * requires_grad, hooks).  State dicts are collections.OrderedDict objects.
 * Dtypes without a typed storage (float8, uint16..64 in torch 2) use
 * _rebuild_tensor_v3(..., dtype[, metadata]) over a torch.UntypedStorage
 * whose numel is in bytes; subclasses wrap the call in
 * torch._tensor._rebuild_from_type_v2(func, type, args, state).  A
 * byteorder record ("little" / "big") says how the storages' bytes are
 * ordered; the legacy format says it in sys_info['little_endian'].
 * Nothing is copied: views point into the caller's bytes.  The legacy
 * (pre-1.6, non-zip) format is read too: see open_legacy.
 */
#include "safety/scan.h"
#include "tensor/tensor.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct storage {
    const char *key;
    size_t key_len;
    const uint8_t *data;
    size_t len;
} storage;

struct acar_torch {
    const uint8_t *file;
    size_t file_len;
    acar_val *root;
    const char *prefix;
    size_t prefix_len;
    const char *version;
    size_t version_len;
    storage *st;
    size_t nst;
    int legacy;          /* the non-zip format of torch.save before 1.6 */
    int big_endian;      /* the byteorder record says "big" */
    storage *seen;       /* legacy: key and type of every pid, in the order met */
    size_t nseen, seen_cap;
    int bad_pid;         /* the persistent_load callback met a bad pid */
    size_t bad_offset;
    acar_err pid_err;
};

static const struct {
    const char *storage, *dtype;
    size_t itemsize;
} storage_types[] = {
    {"FloatStorage", "float32", 4},   {"DoubleStorage", "float64", 8},
    {"HalfStorage", "float16", 2},    {"BFloat16Storage", "bfloat16", 2},
    {"LongStorage", "int64", 8},      {"IntStorage", "int32", 4},
    {"ShortStorage", "int16", 2},     {"CharStorage", "int8", 1},
    {"ByteStorage", "uint8", 1},      {"BoolStorage", "bool", 1},
    {"ComplexFloatStorage", "complex64", 8}, {"ComplexDoubleStorage", "complex128", 16},
    {"ComplexHalfStorage", "complex32", 4},
    {"UInt16Storage", "uint16", 2},   {"UInt32Storage", "uint32", 4},
    {"UInt64Storage", "uint64", 8},
    {"Float8_e4m3fnStorage", "float8_e4m3fn", 1}, {"Float8_e5m2Storage", "float8_e5m2", 1},
    {"Float8_e4m3fnuzStorage", "float8_e4m3fnuz", 1}, {"Float8_e5m2fnuzStorage", "float8_e5m2fnuz", 1},
    {"Float8_e8m0fnuStorage", "float8_e8m0fnu", 1},
    {"QInt8Storage", NULL, 1},        {"QUInt8Storage", NULL, 1},
    {"QInt32Storage", NULL, 4},       {"QUInt4x2Storage", NULL, 1},
    {"QUInt2x4Storage", NULL, 1},
    {"UntypedStorage", "uint8", 1},   /* _rebuild_tensor_v3 names the dtype apart */
};

/* torch dtypes by name (the dtype argument of _rebuild_tensor_v3 is the
 * global torch.NAME), with their item sizes. */
static const struct {
    const char *name;
    size_t itemsize;
} dtypes[] = {
    {"float32", 4}, {"float64", 8}, {"float16", 2}, {"bfloat16", 2}, {"int64", 8}, {"int32", 4},
    {"int16", 2}, {"int8", 1}, {"uint8", 1}, {"bool", 1}, {"complex64", 8}, {"complex128", 16},
    {"complex32", 4}, {"uint16", 2}, {"uint32", 4}, {"uint64", 8}, {"float8_e4m3fn", 1},
    {"float8_e5m2", 1}, {"float8_e4m3fnuz", 1}, {"float8_e5m2fnuz", 1}, {"float8_e8m0fnu", 1},
    {"float4_e2m1fn_x2", 1}, {"bits8", 1}, {"bits16", 2},
};

static int str_is(const acar_val *v, const char *s) {
    size_t n;
    const char *p;
    if (!v || acar_typeof(v) != ACAR_STR) return 0;
    p = acar_str(v, &n);
    return n == strlen(s) && memcmp(p, s, n) == 0;
}

static int key_cmp(const char *a, size_t al, const char *b, size_t bl) {
    int c = memcmp(a, b, al < bl ? al : bl);
    return c ? c : (al > bl) - (al < bl);
}

static int st_sort(const void *x, const void *y) {
    const storage *a = x, *b = y;
    return key_cmp(a->key, a->key_len, b->key, b->key_len);
}

static int ptr_sort(const void *x, const void *y) {
    const storage *a = x, *b = y;
    return (a->data > b->data) - (a->data < b->data);
}

static const storage *find_storage(const acar_torch *t, const char *key, size_t n) {
    size_t lo = 0, hi = t->nst;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = key_cmp(t->st[mid].key, t->st[mid].key_len, key, n);
        if (c == 0) return &t->st[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* The storage type of a pid's global: its index in storage_types or -1. */
static int storage_type(const acar_val *g) {
    if (!g || acar_typeof(g) != ACAR_GLOBAL || !str_is(acar_global_module(g), "torch")) return -1;
    size_t n;
    const char *s = acar_str(acar_global_name(g), &n);
    for (size_t i = 0; i < sizeof storage_types / sizeof *storage_types; i++)
        if (strlen(storage_types[i].storage) == n && memcmp(storage_types[i].storage, s, n) == 0) return (int)i;
    return -1;
}

/* Checks a pid ('storage', type, key, location, numel) and finds its storage. */
static const storage *pid_storage(const acar_torch *t, const acar_val *pid, int *type, int64_t *numel,
                                  acar_err *err) {
    size_t want = t->legacy ? 6 : 5;
    if (!pid || acar_typeof(pid) != ACAR_TUPLE || acar_len(pid) != want || !str_is(acar_item(pid, 0), "storage")) {
        acar__err_set(err, ACAR_ERR_MALFORMED, 0, "torch: persistent id is not ('storage', type, key, location, numel%s)",
                      t->legacy ? ", view" : "");
        return NULL;
    }
    if (t->legacy && acar_typeof(acar_item(pid, 5)) != ACAR_NONE) {
        acar__err_set(err, ACAR_ERR_UNSUPPORTED, 0, "torch: legacy storage views are not supported");
        return NULL;
    }
    const acar_val *key = acar_item(pid, 2);
    *type = storage_type(acar_item(pid, 1));
    if (*type < 0) {
        acar__err_set(err, ACAR_ERR_UNSUPPORTED, 0, "torch: unknown storage type");
        return NULL;
    }
    if (!key || acar_typeof(key) != ACAR_STR || !acar_int_get(acar_item(pid, 4), numel) || *numel < 0) {
        acar__err_set(err, ACAR_ERR_MALFORMED, 0, "torch: storage key or size of the wrong type");
        return NULL;
    }
    size_t kl;
    const char *ks = acar_str(key, &kl);
    const storage *s = find_storage(t, ks, kl);
    if (!s) {
        acar__err_set(err, ACAR_ERR_MALFORMED, 0, "torch: no member data/%.*s for storage '%.*s'", (int)(kl > 40 ? 40 : kl),
                      ks, (int)(kl > 40 ? 40 : kl), ks);
        return NULL;
    }
    size_t isz = storage_types[*type].itemsize;
    if ((uint64_t)*numel > s->len / isz) {
        acar__err_set(err, ACAR_ERR_MALFORMED, 0, "torch: storage '%.*s' has %zu bytes, its id says %lld items of %zu",
                      (int)(kl > 40 ? 40 : kl), ks, s->len, (long long)*numel, isz);
        return NULL;
    }
    return s;
}

static acar_val *persistent_load(void *ctx, acar_doc *doc, acar_val *pid) {
    acar_torch *t = ctx;
    int type;
    int64_t numel;
    if (t->legacy) {
        /* storages follow the pickle: note key and type, check them later */
        const acar_val *key = acar_item(pid, 2);
        type = storage_type(acar_item(pid, 1));
        if (!pid || acar_typeof(pid) != ACAR_TUPLE || acar_len(pid) != 6 || !key || acar_typeof(key) != ACAR_STR ||
            type < 0) {
            acar__err_set(&t->pid_err, ACAR_ERR_MALFORMED, 0, "torch: bad legacy persistent id");
            t->bad_pid = 1;
            return NULL;
        }
        if (t->nseen == t->seen_cap) {
            size_t cap = t->seen_cap ? t->seen_cap * 2 : 16;
            storage *ns = realloc(t->seen, cap * sizeof *ns);
            if (!ns) {
                acar__err_set(&t->pid_err, ACAR_ERR_NOMEM, 0, "out of memory");
                t->bad_pid = 1;
                return NULL;
            }
            t->seen = ns;
            t->seen_cap = cap;
        }
        storage *s = &t->seen[t->nseen++];
        s->key = acar_str(key, &s->key_len);
        s->len = (size_t)type; /* the type index, until the data is found */
        return acar_new_persid(doc, pid);
    }
    if (!pid_storage(t, pid, &type, &numel, &t->pid_err)) {
        t->bad_pid = 1;
        return NULL;
    }
    return acar_new_persid(doc, pid);
}

int acar_torch_is(const void *data, size_t len) {
    acar_zip_entry *es;
    size_t n;
    acar_err err;
    if (!acar__zip_is(data, len) || acar__zip_list(data, len, &es, &n, &err) < 0) return 0;
    int found = 0;
    for (size_t i = 0; i < n && !found; i++)
        found = es[i].name_len >= 9 && memcmp(es[i].name + es[i].name_len - 9, "/data.pkl", 9) == 0;
    free(es);
    return found;
}

/* The legacy format: five pickles (magic number, protocol version 1001,
 * sys_info, the object, the list of storage keys), then each storage in
 * that order as an int64 LE element count and its bytes. */
static const uint8_t legacy_magic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};

int acar_torch_is_legacy(const void *data, size_t len) {
    return len >= sizeof legacy_magic && memcmp(data, legacy_magic, sizeof legacy_magic) == 0;
}

static int key_type(const acar_torch *t, const char *k, size_t kl) {
    for (size_t i = 0; i < t->nseen; i++) /* legacy files are small and old: linear is fine */
        if (key_cmp(t->seen[i].key, t->seen[i].key_len, k, kl) == 0) return (int)t->seen[i].len;
    return -1;
}

static acar_torch *open_legacy(acar_doc *doc, const uint8_t *p, size_t len, acar_err *err) {
    acar_torch *t = acar__alloc(doc, sizeof *t);
    if (!t) {
        acar__err_set(err, ACAR_ERR_NOMEM, 0, "out of memory");
        return NULL;
    }
    memset(t, 0, sizeof *t);
    t->file = p;
    t->file_len = len;
    t->legacy = 1;
    size_t pos = 0;
    acar_val *keys = NULL;
    for (int i = 0; i < 5; i++) {
        acar_read_opts o;
        memset(&o, 0, sizeof o);
        o.flags = ACAR_READ_BORROW | ACAR_READ_ALLOW_TRAILING;
        o.format = ACAR_FORMAT_PICKLE;
        if (i == 3) {
            o.persistent_load = persistent_load;
            o.ctx = t;
        }
        acar_val *v = acar_read(doc, p + pos, len - pos, &o, err);
        if (!v) {
            if (t->bad_pid) {
                size_t off = err->offset;
                *err = t->pid_err;
                err->offset = off;
            }
            err->offset += pos;
            goto fail;
        }
        int64_t proto;
        if (i == 1 && (!acar_int_get(v, &proto) || proto != 1001)) {
            acar__err_set(err, ACAR_ERR_UNSUPPORTED, pos, "torch: legacy protocol version is not 1001");
            goto fail;
        }
        if (i == 2 && acar_typeof(v) == ACAR_DICT) {
            const acar_val *le = acar_dict_get_str(v, "little_endian", 13);
            if (le && acar_typeof(le) == ACAR_BOOL && !acar_bool(le)) t->big_endian = 1;
        }
        if (i == 3) t->root = v;
        if (i == 4) keys = v;
        pos += o.consumed;
    }
    if (acar_typeof(keys) != ACAR_LIST) {
        acar__err_set(err, ACAR_ERR_MALFORMED, pos, "torch: legacy storage keys are not a list");
        goto fail;
    }
    size_t nk = acar_len(keys);
    if (nk > (len - pos) / 8) {
        acar__err_set(err, ACAR_ERR_TRUNCATED, len, "torch: more storage keys than storages");
        goto fail;
    }
    t->st = acar__alloc(doc, (nk + 1) * sizeof *t->st);
    if (!t->st) {
        acar__err_set(err, ACAR_ERR_NOMEM, 0, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < nk; i++) {
        const acar_val *k = acar_item(keys, i);
        size_t kl;
        const char *ks = k && acar_typeof(k) == ACAR_STR ? acar_str(k, &kl) : NULL;
        int type = ks ? key_type(t, ks, kl) : -1;
        if (type < 0) {
            acar__err_set(err, ACAR_ERR_MALFORMED, pos, "torch: storage key %zu names no storage of the pickle", i);
            goto fail;
        }
        if (len - pos < 8) {
            acar__err_set(err, ACAR_ERR_TRUNCATED, len, "torch: file ends before storage %zu", i);
            goto fail;
        }
        uint64_t n = 0;
        for (int b = 7; b >= 0; b--) n = n << 8 | p[pos + (size_t)b];
        pos += 8;
        size_t isz = storage_types[type].itemsize;
        if (n > (len - pos) / isz) {
            acar__err_set(err, ACAR_ERR_TRUNCATED, len, "torch: storage %zu runs past the end of the file", i);
            goto fail;
        }
        storage *s = &t->st[t->nst++];
        s->key = ks;
        s->key_len = kl;
        s->data = p + pos;
        s->len = (size_t)n * isz;
        pos += s->len;
    }
    qsort(t->st, t->nst, sizeof *t->st, st_sort);
    for (size_t i = 1; i < t->nst; i++)
        if (st_sort(&t->st[i - 1], &t->st[i]) == 0) {
            acar__err_set(err, ACAR_ERR_MALFORMED, 0, "torch: storage key appears twice");
            goto fail;
        }
    free(t->seen);
    t->seen = NULL;
    return t;
fail:
    free(t->seen);
    t->seen = NULL;
    return NULL;
}

acar_torch *acar_torch_open(acar_doc *doc, const void *data, size_t len, acar_err *err) {
    if (acar_torch_is_legacy(data, len)) return open_legacy(doc, data, len, err);
    acar_zip_entry *es = NULL;
    size_t n = 0;
    const uint8_t *p = data;
    if (acar__zip_list(p, len, &es, &n, err) < 0) return NULL;
    acar_torch *t = acar__alloc(doc, sizeof *t);
    const acar_zip_entry *pkl = NULL;
    size_t i;
    if (!t) goto nomem;
    memset(t, 0, sizeof *t);
    t->file = p;
    t->file_len = len;
    for (i = 0; i < n; i++)
        if (es[i].name_len >= 9 && memcmp(es[i].name + es[i].name_len - 9, "/data.pkl", 9) == 0) {
            if (pkl) {
                acar__err_set(err, ACAR_ERR_MALFORMED, 0, "torch: more than one data.pkl in the archive");
                goto fail;
            }
            pkl = &es[i];
        }
    if (!pkl) {
        acar__err_set(err, ACAR_ERR_MALFORMED, 0, "torch: no data.pkl in the archive");
        goto fail;
    }
    t->prefix = pkl->name;
    t->prefix_len = pkl->name_len - 9;
    /* storages: PREFIX/data/KEY; the members in use must not overlap */
    t->st = acar__alloc(doc, (n + 1) * sizeof *t->st);
    if (!t->st) goto nomem;
    for (i = 0; i < n; i++) {
        const acar_zip_entry *e = &es[i];
        size_t pl = t->prefix_len;
        int is_data = e->name_len > pl + 6 && memcmp(e->name, t->prefix, pl) == 0 &&
                      memcmp(e->name + pl, "/data/", 6) == 0;
        int is_pkl = e == pkl;
        int is_version = e->name_len == pl + 8 && memcmp(e->name, t->prefix, pl) == 0 &&
                         memcmp(e->name + pl, "/version", 8) == 0;
        int is_order = e->name_len == pl + 10 && memcmp(e->name, t->prefix, pl) == 0 &&
                       memcmp(e->name + pl, "/byteorder", 10) == 0;
        if (!is_data && !is_pkl && !is_version && !is_order) continue;
        const uint8_t *m;
        size_t ml;
        int owned;
        if (e->method != 0) {
            acar__err_set(err, ACAR_ERR_UNSUPPORTED, (size_t)(e->local_offset < len ? e->local_offset : len),
                          "torch: member %.*s is compressed (torch.save stores members)", (int)e->name_len, e->name);
            goto fail;
        }
        if (acar__zip_extract(p, len, e, 0, &m, &ml, &owned, err) < 0) goto fail;
        storage *s = &t->st[t->nst++];
        s->data = m;
        s->len = ml;
        s->key = is_data ? e->name + pl + 6 : e->name;
        s->key_len = is_data ? e->name_len - pl - 6 : e->name_len;
        if (is_version) t->version = (const char *)m, t->version_len = ml;
        if (is_order) {
            if (ml == 3 && memcmp(m, "big", 3) == 0) t->big_endian = 1;
            else if (!(ml == 6 && memcmp(m, "little", 6) == 0)) {
                acar__err_set(err, ACAR_ERR_MALFORMED, (size_t)(m - p), "torch: byteorder record is neither \"little\" nor \"big\"");
                goto fail;
            }
        }
        if (!is_data) s->key_len = 0; /* data.pkl and version: checked for overlap, never a storage */
    }
    qsort(t->st, t->nst, sizeof *t->st, ptr_sort);
    for (i = 1; i < t->nst; i++)
        if (t->st[i - 1].len > (size_t)(t->st[i].data - t->st[i - 1].data)) {
            acar__err_set(err, ACAR_ERR_MALFORMED, (size_t)(t->st[i].data - p), "torch: archive members overlap");
            goto fail;
        }
    /* keep only storages, sorted by key; a key met twice is an error */
    size_t k = 0;
    for (i = 0; i < t->nst; i++)
        if (t->st[i].key_len) t->st[k++] = t->st[i];
    t->nst = k;
    qsort(t->st, t->nst, sizeof *t->st, st_sort);
    for (i = 1; i < t->nst; i++)
        if (st_sort(&t->st[i - 1], &t->st[i]) == 0) {
            acar__err_set(err, ACAR_ERR_MALFORMED, 0, "torch: storage data/%.*s appears twice", (int)t->st[i].key_len,
                          t->st[i].key);
            goto fail;
        }
    const uint8_t *pk;
    size_t pkl_len;
    int owned;
    if (acar__zip_extract(p, len, pkl, 0, &pk, &pkl_len, &owned, err) < 0) goto fail;
    acar_read_opts o;
    memset(&o, 0, sizeof o);
    o.flags = ACAR_READ_BORROW;
    o.format = ACAR_FORMAT_PICKLE;
    o.persistent_load = persistent_load;
    o.ctx = t;
    t->root = acar_read(doc, pk, pkl_len, &o, err);
    if (!t->root) {
        if (t->bad_pid) {
            size_t off = err->offset;
            *err = t->pid_err;
            err->offset = off;
        }
        err->offset += (size_t)(pk - p); /* offsets in the file, not the member */
        goto fail;
    }
    free(es);
    return t;
nomem:;
    const acar_err *de = acar_doc_error(doc);
    if (de) *err = *de;
    else acar__err_set(err, ACAR_ERR_NOMEM, 0, "out of memory");
fail:
    free(es);
    return NULL;
}

acar_val *acar_torch_root(const acar_torch *t) { return t ? t->root : NULL; }

const char *acar_torch_prefix(const acar_torch *t, size_t *len) {
    *len = t->prefix_len;
    return t->prefix;
}

const char *acar_torch_version(const acar_torch *t, size_t *len) {
    *len = t->version_len;
    return t->version;
}

static int is_rebuild(const acar_val *g, const char *name) {
    return g && acar_typeof(g) == ACAR_GLOBAL && str_is(acar_global_module(g), "torch._utils") &&
           str_is(acar_global_name(g), name);
}

static int is_reduce(const acar_val *v) {
    return v && acar_typeof(v) == ACAR_OBJECT && acar_object_build(v) == ACAR_BUILD_REDUCE;
}

/* The rebuild functions torch pickles tensors with; those acar cannot view
 * say why (refused with ACAR_ERR_UNSUPPORTED). */
static const struct {
    const char *name, *refused;
} rebuilds[] = {
    {"_rebuild_tensor_v2", NULL},
    {"_rebuild_tensor", NULL},
    {"_rebuild_tensor_v3", NULL},
    {"_rebuild_parameter", NULL},
    {"_rebuild_parameter_with_state", NULL},
    {"_rebuild_qtensor", "quantized tensors are not supported"},
    {"_rebuild_sparse_tensor", "sparse tensors are not supported"},
    {"_rebuild_sparse_csr_tensor", "sparse tensors are not supported"},
    {"_rebuild_nested_tensor", "nested tensors are not supported"},
    {"_rebuild_meta_tensor_no_storage", "meta tensors have no data"},
    {"_rebuild_wrapper_subclass", "wrapper subclass tensors have no storage of their own"},
    {"_rebuild_device_tensor_from_numpy", "device tensors rebuilt from NumPy arrays are not supported"},
    {"_rebuild_device_tensor_from_cpu_tensor", "device tensors rebuilt from CPU tensors are not supported"},
};

/* Index of v's rebuild function in rebuilds, -2 for
 * torch._tensor._rebuild_from_type_v2, -1 when v is no tensor. */
static int rebuild_kind(const acar_val *v) {
    if (!is_reduce(v)) return -1;
    const acar_val *c = acar_object_callable(v);
    if (!c || acar_typeof(c) != ACAR_GLOBAL) return -1;
    if (str_is(acar_global_module(c), "torch._tensor") && str_is(acar_global_name(c), "_rebuild_from_type_v2"))
        return -2;
    if (!str_is(acar_global_module(c), "torch._utils")) return -1;
    for (size_t i = 0; i < sizeof rebuilds / sizeof *rebuilds; i++)
        if (str_is(acar_global_name(c), rebuilds[i].name)) return (int)i;
    return -1;
}

int acar_is_tensor(const acar_val *v) { return rebuild_kind(v) != -1; }

static int tfail(acar_err *err, acar_code code, const char *msg) {
    acar__err_set(err, code, 0, "torch: %s", msg);
    return -1;
}

static int int_list(const acar_val *t, int64_t *out, int *n) {
    if (!t || (acar_typeof(t) != ACAR_TUPLE && acar_typeof(t) != ACAR_LIST)) return -1;
    if (acar_len(t) > ACAR_MAX_NDIM) return -2;
    for (size_t i = 0; i < acar_len(t); i++)
        if (!acar_int_get(acar_item(t, i), &out[i])) return -1;
    *n = (int)acar_len(t);
    return 0;
}

/* The core rebuild call under parameters and subclasses: its function's
 * index in rebuilds (0, 1 or 2 when acar can view it) and its argument
 * tuple.  -1 with err when v is no tensor or one acar refuses. */
typedef struct core {
    int kind;
    const acar_val *args;
    int parameter;
} core;

static int find_core(const acar_val *v, core *c, acar_err *err) {
    c->parameter = 0;
    for (int level = 0; level < 8; level++) {
        int k = rebuild_kind(v);
        const acar_val *args = k == -1 ? NULL : acar_object_args(v);
        if (k == -1) return tfail(err, ACAR_ERR_TYPE, "not a tensor");
        if (k == -2) { /* _rebuild_from_type_v2(func, new_type, args, state) */
            const acar_val *fn = acar_item(args, 0), *inner = acar_item(args, 2);
            int fk = -1;
            for (size_t i = 0; i < 3; i++)
                if (is_rebuild(fn, rebuilds[i].name)) fk = (int)i;
            if (fk < 0 || !inner || acar_typeof(inner) != ACAR_TUPLE)
                return tfail(err, ACAR_ERR_UNSUPPORTED, "tensor subclass rebuilt by a function acar does not know");
            c->kind = fk;
            c->args = inner;
            return 0;
        }
        if (rebuilds[k].refused) return tfail(err, ACAR_ERR_UNSUPPORTED, rebuilds[k].refused);
        if (k == 3 || k == 4) { /* parameters: (data, requires_grad, hooks[, state]) */
            c->parameter = 1;
            v = acar_item(args, 0);
            continue;
        }
        c->kind = k;
        c->args = args;
        return 0;
    }
    return tfail(err, ACAR_ERR_UNSUPPORTED, "tensor nested in parameters too deep");
}

/* The dtype of a view: the storage type's, or for _rebuild_tensor_v3 the
 * dtype argument torch.NAME (itemsize 0 when unknown). */
static const char *v3_dtype(const acar_val *g, size_t *itemsize) {
    if (!g || acar_typeof(g) != ACAR_GLOBAL || !str_is(acar_global_module(g), "torch")) return NULL;
    for (size_t i = 0; i < sizeof dtypes / sizeof *dtypes; i++)
        if (str_is(acar_global_name(g), dtypes[i].name)) {
            *itemsize = dtypes[i].itemsize;
            return dtypes[i].name;
        }
    return NULL;
}

int acar_torch_tensor(const acar_torch *t, const acar_val *v, acar_tensor *out, acar_err *err) {
    memset(out, 0, sizeof *out);
    if (!t) return tfail(err, ACAR_ERR_ARG, "no checkpoint");
    core c;
    if (find_core(v, &c, err) < 0) return -1;
    out->parameter = c.parameter;
    const acar_val *args = c.args;
    size_t na = acar_len(args);
    if (na < 4 || (c.kind == 2 && na < 7))
        return tfail(err, ACAR_ERR_MALFORMED, c.kind == 2 ? "_rebuild_tensor_v3 takes (storage, offset, size, stride, "
                                                          "requires_grad, hooks, dtype, ...)"
                                                        : "rebuild takes (storage, offset, size, stride, ...)");
    const acar_val *sv = acar_item(args, 0);
    if (!sv || acar_typeof(sv) != ACAR_PERSID) return tfail(err, ACAR_ERR_MALFORMED, "tensor without a storage");
    int type;
    int64_t numel;
    const storage *s = pid_storage(t, acar_persid_pid(sv), &type, &numel, err);
    if (!s) return -1;
    if (!storage_types[type].dtype) return tfail(err, ACAR_ERR_UNSUPPORTED, "quantized tensors are not supported");
    out->dtype = storage_types[type].dtype;
    out->itemsize = storage_types[type].itemsize;
    /* bytes the storage holds: its id's numel items, never past the member */
    uint64_t sbytes = (uint64_t)numel * storage_types[type].itemsize;
    if (c.kind == 2) {
        out->dtype = v3_dtype(acar_item(args, 6), &out->itemsize);
        if (!out->dtype) return tfail(err, ACAR_ERR_UNSUPPORTED, "_rebuild_tensor_v3 with a dtype acar does not know");
    }
    out->byteorder = out->itemsize == 1 || !strcmp(out->dtype, "bool") ? '|' : t->big_endian ? '>' : '<';
    out->storage = s->data;
    out->storage_nbytes = s->len;
    out->storage_key = s->key;
    out->key_len = s->key_len;
    int nd, ns;
    if (!acar_int_get(acar_item(args, 1), &out->storage_offset) || out->storage_offset < 0)
        return tfail(err, ACAR_ERR_MALFORMED, "storage offset is not a non-negative int");
    int r1 = int_list(acar_item(args, 2), out->shape, &nd), r2 = int_list(acar_item(args, 3), out->strides, &ns);
    if (r1 == -2 || r2 == -2) return tfail(err, ACAR_ERR_UNSUPPORTED, "more than 64 dimensions");
    if (r1 < 0 || r2 < 0 || nd != ns) return tfail(err, ACAR_ERR_MALFORMED, "size and stride are not int tuples of one length");
    out->ndim = nd;
    if (na >= 5 && acar_typeof(acar_item(args, 4)) == ACAR_BOOL) out->requires_grad = acar_bool(acar_item(args, 4));
    /* the highest element reached must lie inside the storage */
    uint64_t count = 1, last = (uint64_t)out->storage_offset;
    int empty = 0;
    for (int i = 0; i < nd; i++) {
        if (out->shape[i] < 0 || out->strides[i] < 0) return tfail(err, ACAR_ERR_MALFORMED, "negative size or stride");
        if (out->shape[i] == 0) empty = 1;
    }
    for (int i = 0; i < nd && !empty; i++) {
        uint64_t d = (uint64_t)out->shape[i], st = (uint64_t)out->strides[i];
        if (count > (uint64_t)INT64_MAX / d) return tfail(err, ACAR_ERR_MALFORMED, "shape too large");
        count *= d;
        if (st && d - 1 > ((uint64_t)INT64_MAX - last) / st) return tfail(err, ACAR_ERR_MALFORMED, "strides reach past the storage");
        last += (d - 1) * st;
    }
    if (empty) count = 0;
    if (count > SIZE_MAX / out->itemsize) return tfail(err, ACAR_ERR_MALFORMED, "shape too large");
    out->nbytes = (size_t)(count * out->itemsize);
    if (sbytes > s->len) sbytes = s->len;
    uint64_t have = sbytes / out->itemsize;
    if (!empty && last >= have) {
        acar__err_set(err, ACAR_ERR_MALFORMED, (size_t)(s->data - t->file),
                      "torch: tensor reaches element %llu of a storage of %llu", (unsigned long long)last,
                      (unsigned long long)have);
        return -1;
    }
    if ((uint64_t)out->storage_offset > have) return tfail(err, ACAR_ERR_MALFORMED, "storage offset past the storage");
    out->data = s->data + (size_t)out->storage_offset * out->itemsize;
    return 0;
}

/* For `acar show`: a tensor node printed as tensor(float32, (2, 3)) (a
 * parameter as parameter(...)), from the pid's storage type (or v3's dtype)
 * and the size tuple alone, so no storage is needed.  Returns 1 after
 * printing, 0 when v is not a tensor acar can describe (the caller prints
 * it as usual). */
int acar__tensor_repr(const acar_val *v, acar_out *out) {
    core c;
    acar_err err;
    if (find_core(v, &c, &err) < 0) return 0;
    const acar_val *sv = acar_item(c.args, 0), *size = acar_item(c.args, 2);
    if (!sv || acar_typeof(sv) != ACAR_PERSID) return 0;
    const acar_val *pid = acar_persid_pid(sv);
    int type = storage_type(acar_item(pid, 1));
    const char *dtype = type < 0 ? NULL : storage_types[type].dtype;
    size_t isz;
    if (c.kind == 2) dtype = v3_dtype(acar_item(c.args, 6), &isz);
    int64_t shape[ACAR_MAX_NDIM];
    int nd;
    if (!dtype || int_list(size, shape, &nd) < 0) return 0;
    char tmp[32];
    acar__out_str(out, c.parameter ? "parameter(" : "tensor(");
    acar__out_str(out, dtype);
    acar__out_str(out, ", (");
    for (int i = 0; i < nd; i++) {
        snprintf(tmp, sizeof tmp, i ? ", %lld" : "%lld", (long long)shape[i]);
        acar__out_str(out, tmp);
    }
    acar__out_str(out, nd == 1 ? ",))" : "))");
    return 1;
}
