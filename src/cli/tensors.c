/*
 * tensors.c -- `acar tensors FILE [--json] [--data]`: the arrays inside a
 * pickle (NumPy arrays and scalars, anywhere in the pickled value), a .npy
 * file or a .npz archive.
 *
 * One line per array: NAME DTYPE SHAPE NBYTES OFFSET, where NAME is the path
 * of dict keys and item indices that leads to it ("layer.weight", "0.1";
 * "-" for the top level), OFFSET the byte offset of its data in FILE ("-"
 * when the data is not a byte range of the file: protocol 2 latin-1 text,
 * out-of-band buffers, object arrays, compressed .npz members).  --json
 * prints one JSON list of objects instead (name, dtype, shape, strides,
 * fortran, scalar, nbytes, offset, oob, objects); --data adds the element
 * bytes in hex ("data") to each.  --npz OUT writes every listed array and
 * tensor into a .npz archive as well (acar_npz_*, acar_npy_write*).  Exit
 * status: 0, 1 invalid input, 2 usage or I/O error.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* mmap */
#endif
#include "cli/cli.h"
#include "safety/scan.h"
#include "tensor/tensor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#if !defined(_WIN32)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#define HAVE_MMAP 1
#endif

int acar_cli_tensors(int argc, char **argv);

static const char tensors_help[] =
    "usage: acar tensors FILE [--json] [--data] [--npz OUT]\n"
    "\n"
    "Lists the NumPy arrays inside FILE (a pickle, a .npy file or a .npz\n"
    "archive) or the tensors of a PyTorch checkpoint (torch.save zip archive):\n"
    "name, dtype, shape, byte size and offset of the data in FILE.\n"
    "Nothing is run.\n"
    "\n"
    "  --json   one JSON list of objects (name, dtype, shape, strides, nbytes,\n"
    "           offset; arrays: fortran, scalar, oob, objects; tensors:\n"
    "           storage_offset, byteorder, strides in elements)\n"
    "  --data   with --json: the element bytes in hex as \"data\"\n"
    "  --npz OUT  also write every array and tensor listed into OUT, a .npz\n"
    "           archive NumPy loads (numpy.load): members NAME.npy (\"arr_0\"\n"
    "           for a top-level array; NAME_1 for a second one of a name),\n"
    "           tensors in C order; bfloat16,\n"
    "           complex32 and float8 tensors as raw void items (|V2, |V4, |V1)\n";

typedef struct lister {
    const uint8_t *file;
    size_t file_len;
    int json, data;
    size_t count;
    acar_buf line;
    /* --npz */
    FILE *npz_file;
    const char *npz_path;
    acar_npz_writer npz;
    acar_buf npz_buf, npy;
    int npz_failed;
    char **names;           /* member names taken (open addressing) */
    size_t names_cap, names_n;
} lister;

static size_t name_hash(const char *s) {
    size_t h = 1469598103934665603ull & SIZE_MAX;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * (size_t)1099511628211ull;
    return h;
}

/* 1 when name was taken already (else it is taken now). */
static int name_taken(lister *ls, const char *name) {
    if (ls->names_n * 2 >= ls->names_cap) {
        size_t cap = ls->names_cap ? ls->names_cap * 2 : 256;
        char **nn = calloc(cap, sizeof *nn);
        if (!nn) {
            fputs("acar tensors: out of memory\n", stderr);
            exit(2);
        }
        for (size_t i = 0; i < ls->names_cap; i++)
            if (ls->names[i]) {
                size_t h = name_hash(ls->names[i]) & (cap - 1);
                while (nn[h]) h = (h + 1) & (cap - 1);
                nn[h] = ls->names[i];
            }
        free(ls->names);
        ls->names = nn;
        ls->names_cap = cap;
    }
    size_t h = name_hash(name) & (ls->names_cap - 1);
    while (ls->names[h]) {
        if (strcmp(ls->names[h], name) == 0) return 1;
        h = (h + 1) & (ls->names_cap - 1);
    }
    size_t n = strlen(name) + 1;
    ls->names[h] = malloc(n);
    if (!ls->names[h]) {
        fputs("acar tensors: out of memory\n", stderr);
        exit(2);
    }
    memcpy(ls->names[h], name, n);
    ls->names_n++;
    return 0;
}

/* Adds one .npy (in ls->npy) to the archive under name and drains the
 * archive's bytes into the file. */
static void npz_add(lister *ls, const char *name, size_t nlen) {
    char member[4096];
    acar_err err;
    if (nlen == 0) snprintf(member, sizeof member, "arr_0");
    else snprintf(member, sizeof member, "%.*s", (int)(nlen < 4000 ? nlen : 4000), name);
    /* two arrays under one path (an object's arguments and its state):
     * the second is NAME_1, and so on, so that no member hides another */
    size_t base = strlen(member);
    for (unsigned k = 1; name_taken(ls, member); k++) snprintf(member + base, sizeof member - base, "_%u", k);
    if (acar_npz_add(&ls->npz, member, ls->npy.data, ls->npy.len, &err) < 0) {
        fprintf(stderr, "acar tensors: %s: %s: %s\n", ls->npz_path, member, err.msg);
        ls->npz_failed = 1;
    }
    if (ls->npz_buf.len && fwrite(ls->npz_buf.data, 1, ls->npz_buf.len, ls->npz_file) != ls->npz_buf.len) {
        fprintf(stderr, "acar tensors: %s: %s\n", ls->npz_path, strerror(errno));
        ls->npz_failed = 2;
    }
    ls->npz_buf.len = 0;
    ls->npy.len = 0;
}

/* NumPy's dtype.str for a torch dtype; raw void items for those NumPy has
 * no type for. */
static const char *np_dtype_of(const acar_tensor *t, char *buf, size_t n) {
    static const struct {
        const char *torch, *np;
    } map[] = {{"float32", "f4"}, {"float64", "f8"}, {"float16", "f2"}, {"int64", "i8"}, {"int32", "i4"},
               {"int16", "i2"}, {"int8", "i1"}, {"uint8", "u1"}, {"bool", "b1"}, {"complex64", "c8"},
               {"complex128", "c16"}, {"uint16", "u2"}, {"uint32", "u4"}, {"uint64", "u8"}};
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (strcmp(t->dtype, map[i].torch) == 0) {
            snprintf(buf, n, "%c%s", t->byteorder == '>' ? '>' : '<', map[i].np);
            return buf;
        }
    snprintf(buf, n, "|V%zu", t->itemsize);
    return buf;
}

static void buf_add(acar_buf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p) {
            fputs("acar tensors: out of memory\n", stderr);
            exit(2);
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
}
static void buf_puts(acar_buf *b, const char *s) { buf_add(b, s, strlen(s)); }
static void buf_fmt(acar_buf *b, const char *fmt, long long x) {
    char t[64];
    int n = snprintf(t, sizeof t, fmt, x);
    buf_add(b, t, (size_t)n);
}
static void json_str(acar_buf *b, const char *s, size_t n) {
    buf_puts(b, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            buf_add(b, e, 2);
        } else if (c < 0x20) {
            buf_fmt(b, "\\u%04llx", c);
        } else {
            buf_add(b, (const char *)&c, 1);
        }
    }
    buf_puts(b, "\"");
}

/* One listed array or tensor. */
typedef struct entry {
    const char *dtype;
    int ndim;
    const int64_t *shape, *strides;
    int fortran, scalar, tensor;
    char byteorder;         /* tensors: '<', '>' or '|' */
    int64_t storage_offset;
    size_t itemsize, nbytes;
    const void *data;       /* first element */
    long oob;
    const acar_val *objects;
} entry;

/* The elements in logical C order (for --data), gathered by strides. */
static void hex_elements(acar_buf *b, const entry *e) {
    static const char hex[] = "0123456789abcdef";
    int64_t idx[ACAR_MAX_NDIM] = {0};
    size_t count = e->itemsize ? e->nbytes / e->itemsize : 0;
    for (size_t k = 0; k < count; k++) {
        const unsigned char *q = e->data;
        if (e->tensor)
            for (int i = 0; i < e->ndim; i++) q += idx[i] * e->strides[i] * (int64_t)e->itemsize;
        else
            q += k * e->itemsize; /* arrays: bytes in memory order, as stored */
        for (size_t j = 0; j < e->itemsize; j++) {
            char h[2] = {hex[q[j] >> 4], hex[q[j] & 15]};
            buf_add(b, h, 2);
        }
        for (int i = e->ndim; i-- > 0;) {
            if (++idx[i] < e->shape[i]) break;
            idx[i] = 0;
        }
    }
}

static void report(lister *ls, const char *name, size_t nlen, const entry *a) {
    acar_buf *b = &ls->line;
    b->len = 0;
    long long off = -1;
    if (a->data && (const uint8_t *)a->data >= ls->file &&
        (size_t)((const uint8_t *)a->data - ls->file) <= ls->file_len &&
        (a->tensor || a->nbytes <= ls->file_len - (size_t)((const uint8_t *)a->data - ls->file)))
        off = (long long)((const uint8_t *)a->data - ls->file);
    if (ls->json) {
        buf_puts(b, ls->count ? ",\n {\"name\": " : "[{\"name\": ");
        json_str(b, name, nlen);
        buf_puts(b, ", \"dtype\": ");
        json_str(b, a->dtype, strlen(a->dtype));
        buf_puts(b, ", \"shape\": [");
        for (int i = 0; i < a->ndim; i++) buf_fmt(b, i ? ", %lld" : "%lld", a->shape[i]);
        buf_puts(b, "], \"strides\": [");
        for (int i = 0; i < a->ndim; i++) buf_fmt(b, i ? ", %lld" : "%lld", a->strides[i]);
        if (a->tensor) {
            buf_fmt(b, "], \"storage_offset\": %lld", a->storage_offset);
            char bo[2] = {a->byteorder ? a->byteorder : '<', 0};
            buf_puts(b, ", \"byteorder\": ");
            json_str(b, bo, 1);
        } else {
            buf_puts(b, a->fortran ? "], \"fortran\": true" : "], \"fortran\": false");
            buf_puts(b, a->scalar ? ", \"scalar\": true" : ", \"scalar\": false");
        }
        buf_fmt(b, ", \"nbytes\": %lld", (long long)a->nbytes);
        if (off >= 0) buf_fmt(b, ", \"offset\": %lld", off);
        else buf_puts(b, ", \"offset\": null");
        if (!a->tensor) {
            buf_fmt(b, ", \"oob\": %lld", a->oob);
            if (a->objects) buf_fmt(b, ", \"objects\": %lld", (long long)acar_len(a->objects));
            else buf_puts(b, ", \"objects\": null");
        }
        if (ls->data && a->data) {
            buf_puts(b, ", \"data\": \"");
            hex_elements(b, a);
            buf_puts(b, "\"");
        }
        buf_puts(b, "}");
    } else {
        if (nlen) buf_add(b, name, nlen);
        else buf_puts(b, "-");
        buf_puts(b, "  ");
        buf_puts(b, a->dtype);
        buf_puts(b, "  (");
        for (int i = 0; i < a->ndim; i++) buf_fmt(b, i ? ", %lld" : "%lld", a->shape[i]);
        buf_puts(b, a->ndim == 1 ? ",)" : ")");
        buf_fmt(b, "  %lld", (long long)a->nbytes);
        if (off >= 0) buf_fmt(b, "  %lld\n", off);
        else buf_puts(b, "  -\n");
    }
    fwrite(b->data, 1, b->len, stdout);
    ls->count++;
}

/* node: the array node (NULL for .npy input, whose bytes npy/npy_len are). */
static void report_array(lister *ls, const char *name, size_t nlen, const acar_array *a, const acar_val *node,
                         const uint8_t *npy, size_t npy_len) {
    entry e = {a->dtype_str, a->ndim, a->shape, a->strides, a->fortran, a->scalar, 0, a->byteorder, 0,
               a->itemsize, a->nbytes, a->data, a->oob_index, a->objects};
    report(ls, name, nlen, &e);
    if (!ls->npz_file) return;
    acar_err err;
    acar_out o = {.buf = &ls->npy};
    int rc = 0;
    if (npy) {
        acar__out_write(&o, npy, npy_len);
    } else if (a->scalar && a->kind != 'O') {
        acar_buf d = {0};
        acar_out od = {.buf = &d};
        rc = acar_array_descr(a, &d, &err);
        acar__out_byte(&od, 0);
        if (rc == 0) rc = acar_npy_write(&ls->npy, d.data, 0, NULL, 0, a->data, a->nbytes, &err);
        acar_buf_free(&d);
    } else {
        rc = acar_npy_write_array(&ls->npy, node, &err);
    }
    if (rc < 0 || o.failed) {
        fprintf(stderr, "acar tensors: %.*s: not written to %s: %s\n", (int)(nlen ? nlen : 1), nlen ? name : "-",
                ls->npz_path, rc < 0 ? err.msg : "out of memory");
        ls->npz_failed = 1;
        ls->npy.len = 0;
        return;
    }
    npz_add(ls, name, nlen);
}

static void report_tensor(lister *ls, const char *name, size_t nlen, const acar_tensor *t) {
    entry e = {t->dtype, t->ndim, t->shape, t->strides, 0, 0, 1, t->byteorder, t->storage_offset,
               t->itemsize, t->nbytes, t->data, -1, NULL};
    report(ls, name, nlen, &e);
    if (!ls->npz_file) return;
    /* the elements in C order, gathered by strides */
    uint8_t *c = malloc(t->nbytes ? t->nbytes : 1);
    if (!c) {
        fputs("acar tensors: out of memory\n", stderr);
        exit(2);
    }
    int64_t idx[ACAR_MAX_NDIM] = {0};
    size_t count = t->nbytes / t->itemsize;
    for (size_t k = 0; k < count; k++) {
        const uint8_t *q = t->data;
        for (int i = 0; i < t->ndim; i++) q += idx[i] * t->strides[i] * (int64_t)t->itemsize;
        memcpy(c + k * t->itemsize, q, t->itemsize);
        for (int i = t->ndim; i-- > 0;) {
            if (++idx[i] < t->shape[i]) break;
            idx[i] = 0;
        }
    }
    char dt[16];
    acar_err err;
    if (acar_npy_write(&ls->npy, np_dtype_of(t, dt, sizeof dt), t->ndim, t->shape, 0, c, t->nbytes, &err) < 0) {
        fprintf(stderr, "acar tensors: %.*s: not written to %s: %s\n", (int)(nlen ? nlen : 1), nlen ? name : "-",
                ls->npz_path, err.msg);
        ls->npz_failed = 1;
    } else {
        npz_add(ls, name, nlen);
    }
    free(c);
}

/* ---- walking a pickled value: explicit stack, each node once ---- */

typedef struct item {
    const acar_val *v;
    char *path;
    size_t plen;
} item;

typedef struct seen_set {
    const void **slot;
    size_t cap, n;
} seen_set;

/* 1 when p was already in the set (it is added otherwise). */
static int seen(seen_set *s, const void *p) {
    if (s->n * 2 >= s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        const void **ns = calloc(cap, sizeof *ns);
        if (!ns) {
            fputs("acar tensors: out of memory\n", stderr);
            exit(2);
        }
        for (size_t i = 0; i < s->cap; i++)
            if (s->slot[i]) {
                size_t h = ((uintptr_t)s->slot[i] >> 4) * 0x9E3779B97F4A7C15ull & (cap - 1);
                while (ns[h]) h = (h + 1) & (cap - 1);
                ns[h] = s->slot[i];
            }
        free(s->slot);
        s->slot = ns;
        s->cap = cap;
    }
    size_t h = ((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ull & (s->cap - 1);
    while (s->slot[h]) {
        if (s->slot[h] == p) return 1;
        h = (h + 1) & (s->cap - 1);
    }
    s->slot[h] = p;
    s->n++;
    return 0;
}

typedef struct walker {
    item *st;
    size_t n, cap;
} walker;

static void push(walker *w, const acar_val *v, const char *base, size_t blen, const char *part, size_t plen) {
    if (!v) return;
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        item *ns = realloc(w->st, cap * sizeof *ns);
        if (!ns) {
            fputs("acar tensors: out of memory\n", stderr);
            exit(2);
        }
        w->st = ns;
        w->cap = cap;
    }
    size_t len = blen + (blen && plen ? 1 : 0) + plen;
    char *p = malloc(len + 1);
    if (!p) {
        fputs("acar tensors: out of memory\n", stderr);
        exit(2);
    }
    memcpy(p, base, blen);
    if (blen && plen) p[blen] = '.';
    memcpy(p + len - plen, part, plen);
    p[len] = 0;
    w->st[w->n].v = v;
    w->st[w->n].path = p;
    w->st[w->n].plen = len;
    w->n++;
}

static void push_key(walker *w, const acar_val *key, const acar_val *v, const char *base, size_t blen) {
    char t[32];
    int64_t i;
    size_t n = 0;
    const char *s = "?";
    if (key && acar_typeof(key) == ACAR_STR) s = acar_str(key, &n);
    else if (key && acar_typeof(key) == ACAR_INT && acar_int_get(key, &i)) {
        n = (size_t)snprintf(t, sizeof t, "%lld", (long long)i);
        s = t;
    } else n = 1;
    push(w, v, base, blen, s, n);
}

static void push_items(walker *w, const acar_val *seq, const char *base, size_t blen) {
    if (!seq) return;
    acar_type t = acar_typeof(seq);
    if (t == ACAR_DICT) {
        for (size_t i = acar_len(seq); i-- > 0;) push_key(w, acar_dict_key(seq, i), acar_dict_value(seq, i), base, blen);
        return;
    }
    if (t != ACAR_LIST && t != ACAR_TUPLE && t != ACAR_SET && t != ACAR_FROZENSET) {
        push(w, seq, base, blen, "", 0);
        return;
    }
    for (size_t i = acar_len(seq); i-- > 0;) {
        char num[32];
        int n = snprintf(num, sizeof num, "%zu", i);
        push(w, acar_item(seq, i), base, blen, num, (size_t)n);
    }
}

static int walk(lister *ls, const acar_val *root, const acar_torch *torch) {
    walker w = {0};
    seen_set s = {0};
    int rc = 0;
    push(&w, root, "", 0, "", 0);
    while (w.n) {
        item it = w.st[--w.n];
        const acar_val *v = it.v;
        acar_type t = acar_typeof(v);
        if ((t == ACAR_LIST || t == ACAR_TUPLE || t == ACAR_DICT || t == ACAR_SET || t == ACAR_FROZENSET ||
             t == ACAR_OBJECT) && !seen(&s, v)) {
            if (t == ACAR_OBJECT && torch && acar_is_tensor(v)) {
                acar_tensor ten;
                acar_err err;
                if (acar_torch_tensor(torch, v, &ten, &err) < 0) {
                    fprintf(stderr, "acar tensors: %s: %s\n", it.plen ? it.path : "-", err.msg);
                    rc = 1;
                } else {
                    report_tensor(ls, it.path, it.plen, &ten);
                }
            } else if (t == ACAR_OBJECT && acar_is_ndarray(v)) {
                acar_array a;
                acar_err err;
                if (acar_array_get(v, &a, &err) < 0) {
                    fprintf(stderr, "acar tensors: %s: %s\n", it.plen ? it.path : "-", err.msg);
                    rc = 1;
                } else {
                    report_array(ls, it.path, it.plen, &a, v, NULL, 0);
                    if (a.objects && !a.scalar) push_items(&w, a.objects, it.path, it.plen);
                }
            } else if (t == ACAR_OBJECT) {
                push_items(&w, acar_object_dictitems(v), it.path, it.plen);
                push_items(&w, acar_object_listitems(v), it.path, it.plen);
                push_items(&w, acar_object_state(v), it.path, it.plen);
                push_items(&w, acar_object_args(v), it.path, it.plen);
            } else {
                push_items(&w, v, it.path, it.plen);
            }
        }
        free(it.path);
    }
    free(w.st);
    free(s.slot);
    return rc;
}


static int list_npy(lister *ls, const char *name, size_t nlen, const uint8_t *p, size_t len, const char *file) {
    acar_doc *doc = acar_doc_new(NULL);
    acar_array a;
    acar_err err;
    acar_read_opts o;
    memset(&o, 0, sizeof o);
    o.flags = ACAR_READ_BORROW;
    if (!doc) return 2;
    int rc = 0;
    if (acar_npy_read(doc, p, len, &o, &a, &err) < 0) {
        fprintf(stderr, "acar tensors: %s: %.*s%soffset %zu: %s\n", file, (int)nlen, name, nlen ? ": " : "",
                err.offset, err.msg);
        rc = 1;
    } else {
        report_array(ls, name, nlen, &a, NULL, p, len);
    }
    acar_doc_free(doc);
    return rc;
}

static int list_zip(lister *ls, const uint8_t *p, size_t len, const char *file) {
    acar_zip_entry *es;
    size_t n;
    acar_err err;
    if (acar__zip_list(p, len, &es, &n, &err) < 0) {
        fprintf(stderr, "acar tensors: %s: offset %zu: %s\n", file, err.offset, err.msg);
        return 1;
    }
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        const acar_zip_entry *e = &es[i];
        size_t nl = e->name_len;
        if (nl < 4 || memcmp(e->name + nl - 4, ".npy", 4) != 0) continue;
        const uint8_t *m;
        size_t ml;
        int owned;
        if (acar__zip_extract(p, len, e, ACAR_DEFAULT_MAX_MEMORY, &m, &ml, &owned, &err) < 0) {
            fprintf(stderr, "acar tensors: %s: %.*s: %s\n", file, (int)nl, e->name, err.msg);
            rc = 1;
            continue;
        }
        int r = list_npy(ls, e->name, nl - 4, m, ml, file);
        if (r > rc) rc = r;
        if (owned) free((void *)m);
    }
    free(es);
    return rc;
}

int acar_cli_tensors(int argc, char **argv) {
    lister ls;
    memset(&ls, 0, sizeof ls);
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
            fputs(tensors_help, stdout);
            return 0;
        } else if (strcmp(s, "--json") == 0) {
            ls.json = 1;
        } else if (strcmp(s, "--data") == 0) {
            ls.data = 1;
        } else if (strcmp(s, "--npz") == 0) {
            if (i + 1 >= argc) {
                fputs("acar tensors: --npz needs a file name\nTry 'acar tensors --help'.\n", stderr);
                return 2;
            }
            ls.npz_path = argv[++i];
        } else if (s[0] == '-' && s[1] && !file) {
            fprintf(stderr, "acar tensors: unknown option '%s'\nTry 'acar tensors --help'.\n", s);
            return 2;
        } else if (!file) {
            file = s;
        } else {
            fputs("acar tensors: one FILE only\nTry 'acar tensors --help'.\n", stderr);
            return 2;
        }
    }
    if (!file) file = "-";
    uint8_t *data = NULL;
    size_t len = 0;
    int mapped = 0;
#ifdef HAVE_MMAP
    /* a checkpoint is mapped, not read: views point into the page cache and
     * only the pickle part and the pages a view touches are ever read */
    if (strcmp(file, "-") != 0) {
        int fd = open(file, O_RDONLY);
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
            (uint64_t)st.st_size <= SIZE_MAX) {
            void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
            if (m != MAP_FAILED) {
                data = m;
                len = (size_t)st.st_size;
                mapped = 1;
            }
        }
        if (fd >= 0) close(fd);
    }
#endif
    if (!mapped && acar_cli_read_file(file, &data, &len, NULL) < 0) {
        fprintf(stderr, "acar tensors: %s: %s\n", file, strerror(errno));
        return 2;
    }
    ls.file = data;
    ls.file_len = len;
    int rc = 0;
    if (ls.npz_path) {
        ls.npz_file = fopen(ls.npz_path, "wb");
        if (!ls.npz_file) {
            fprintf(stderr, "acar tensors: %s: %s\n", ls.npz_path, strerror(errno));
#ifdef HAVE_MMAP
            if (mapped) munmap(data, len);
            else
#endif
                free(data);
            return 2;
        }
        acar_npz_begin(&ls.npz, &ls.npz_buf);
    }
    if (acar_npy_is(data, len)) {
        rc = list_npy(&ls, "", 0, data, len, file);
    } else if (acar_torch_is(data, len) || acar_torch_is_legacy(data, len)) {
        acar_doc *doc = acar_doc_new(NULL);
        acar_err err;
        acar_torch *t = doc ? acar_torch_open(doc, data, len, &err) : NULL;
        if (!doc) {
            fputs("acar tensors: out of memory\n", stderr);
            rc = 2;
        } else if (!t) {
            fprintf(stderr, "acar tensors: %s: offset %zu: %s\n", file, err.offset, err.msg);
            rc = 1;
        } else {
            rc = walk(&ls, acar_torch_root(t), t);
        }
        acar_doc_free(doc);
    } else if (acar__zip_is(data, len)) {
        rc = list_zip(&ls, data, len, file);
    } else {
        acar_doc *doc = acar_doc_new(NULL);
        acar_read_opts o;
        acar_err err;
        memset(&o, 0, sizeof o);
        o.flags = ACAR_READ_BORROW;
        o.format = ACAR_FORMAT_PICKLE;
        acar_val *root = doc ? acar_read(doc, data, len, &o, &err) : NULL;
        if (!doc) {
            fputs("acar tensors: out of memory\n", stderr);
            rc = 2;
        } else if (!root) {
            fprintf(stderr, "acar tensors: %s: offset %zu: %s\n", file, err.offset, err.msg);
            rc = 1;
        } else {
            rc = walk(&ls, root, NULL);
        }
        acar_doc_free(doc);
    }
    if (ls.json) fputs(ls.count ? "]\n" : "[]\n", stdout);
    free(ls.line.data);
    if (ls.npz_file) {
        acar_err err;
        if (acar_npz_end(&ls.npz, &err) < 0) {
            fprintf(stderr, "acar tensors: %s: %s\n", ls.npz_path, err.msg);
            ls.npz_failed = 1;
        }
        if ((ls.npz_buf.len && fwrite(ls.npz_buf.data, 1, ls.npz_buf.len, ls.npz_file) != ls.npz_buf.len) ||
            fclose(ls.npz_file) != 0) {
            fprintf(stderr, "acar tensors: %s: %s\n", ls.npz_path, strerror(errno));
            ls.npz_failed = 2;
        }
        acar_buf_free(&ls.npz_buf);
        acar_buf_free(&ls.npy);
        for (size_t i = 0; i < ls.names_cap; i++) free(ls.names[i]);
        free(ls.names);
        if (ls.npz_failed > rc) rc = ls.npz_failed;
    }
#ifdef HAVE_MMAP
    if (mapped) munmap(data, len);
    else
#endif
        free(data);
    return rc;
}
