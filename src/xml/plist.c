/*
 * plist.c -- XML property lists as Python's plistlib reads and writes them.
 *
 * Writing is plistlib.dumps(value, fmt=FMT_XML, sort_keys=..., skipkeys=...)
 * byte for byte: the XML declaration and Apple DOCTYPE, <plist
 * version="1.0">, then the value at indentation 0, one element a line,
 * nested elements one tab deeper: <string> (control characters refused,
 * "\r\n" and "\r" written as "\n", & < > escaped), <integer> (-2**63 ..
 * 2**64-1), <real> (repr), <true/>, <false/>, <date> (YYYY-MM-DDTHH:MM:SSZ,
 * microseconds dropped), <data> (base64 lines at the element's own
 * indentation, max(16, 76 - 8 * level) characters long), <array> and
 * <dict> (keys sorted by code point unless ACAR_WRITE_NO_SORT_KEYS; empty
 * ones as <array/> and <dict/>).
 *
 * Reading is plistlib.loads(data, fmt=FMT_XML): its parser keeps a stack
 * of open containers and a pending key, and reacts only to the ends of
 * known elements (key, string, integer, real, true, false, date, data) and
 * the starts of dict and array; unknown elements are ignored.  Text is what
 * arrived since the last start tag or the last element that took it.  An
 * empty key ("") does not count as pending at </dict>, so it carries over
 * to the next value, exactly as plistlib does.  Entity declarations are
 * refused.  A document without a value reads as None.
 */
#include "xml/xml.h"
#include "num/num.h"

#include <stdio.h>
#include <stdlib.h>

/* ====================================================================
 * Reader
 * ================================================================== */

typedef struct plr {
    acar_val **stk;        /* open dicts and lists */
    size_t sn, scap;
    acar_val *key;         /* the pending key, NULL for None */
    acar_val *root;
} plr;

static const char *text_of(acar_xml *x) { return x->text ? x->text : ""; }

static int add_object(acar_xml *x, plr *r, acar_val *v) {
    if (!v) return x->failed ? -1 : acar__xml_fail_doc(x);
    if (r->key) {
        if (!r->sn || acar_typeof(r->stk[r->sn - 1]) != ACAR_DICT)
            return acar__xml_fail(x, ACAR_ERR_MALFORMED, "unexpected element at line %zu",
                                  (size_t)XML_GetCurrentLineNumber(x->parser));
        if (acar_dict_set(x->doc, r->stk[r->sn - 1], r->key, v) < 0) return acar__xml_fail_doc(x);
        r->key = NULL;
    } else if (!r->sn) {
        r->root = v;
    } else {
        if (acar_typeof(r->stk[r->sn - 1]) != ACAR_LIST)
            return acar__xml_fail(x, ACAR_ERR_MALFORMED, "unexpected element at line %zu",
                                  (size_t)XML_GetCurrentLineNumber(x->parser));
        if (acar_list_append(x->doc, r->stk[r->sn - 1], v) < 0) return acar__xml_fail_doc(x);
    }
    return 0;
}

static int pl_start(acar_xml *x, const char *name) {
    plr *r = x->ud;
    x->tlen = 0;
    acar_val *c;
    if (!strcmp(name, "dict")) c = acar_new_dict(x->doc);
    else if (!strcmp(name, "array")) c = acar_new_list(x->doc);
    else return 0;
    if (r->sn >= x->doc->limits.max_depth)
        return acar__xml_fail(x, ACAR_ERR_LIMIT, "nesting deeper than %zu (max_depth)",
                              x->doc->limits.max_depth);
    if (add_object(x, r, c) < 0) return -1;
    if (r->sn == r->scap &&
        acar__xml_reserve(x, (void **)&r->stk, &r->scap, r->sn, 1, sizeof *r->stk) < 0)
        return -1;
    r->stk[r->sn++] = c;
    return 0;
}

static int pl_end(acar_xml *x, const char *name) {
    plr *r = x->ud;
    acar_doc *doc = x->doc;
    const char *s = text_of(x);
    size_t n = x->tlen;
    char msg[128];
    switch (name[0]) {
    case 'a':
        if (strcmp(name, "array")) return 0;
        r->sn--;
        return 0;
    case 'd':
        if (!strcmp(name, "dict")) {
            if (r->key && acar_len(r->key)) {
                size_t kl;
                const char *k = acar_str(r->key, &kl);
                return acar__xml_fail(x, ACAR_ERR_MALFORMED, "missing value for key '%.*s' at line %zu",
                                      (int)(kl > 60 ? 60 : kl), k,
                                      (size_t)XML_GetCurrentLineNumber(x->parser));
            }
            r->sn--;
            return 0;
        }
        if (!strcmp(name, "data")) {
            uint8_t *out = acar__alloc(doc, n / 4 * 3 + 3);
            size_t m;
            if (!out) return acar__xml_fail_doc(x);
            x->tlen = 0;
            if (acar__xml_b64_decode(s, n, out, &m, msg) < 0)
                return acar__xml_fail(x, ACAR_ERR_MALFORMED, "%s", msg);
            return add_object(x, r, acar__str(doc, ACAR_BYTES, (const char *)out, m, true));
        }
        if (!strcmp(name, "date")) {
            acar_datetime d;
            x->tlen = 0;
            if (acar__xml_parse_date_plist(s, n, &d, msg) < 0)
                return acar__xml_fail(x, ACAR_ERR_MALFORMED, "%s", msg);
            return add_object(x, r, acar_new_datetime(doc, &d));
        }
        return 0;
    case 'f':
        if (strcmp(name, "false")) return 0;
        return add_object(x, r, acar_new_bool(doc, 0));
    case 't':
        if (strcmp(name, "true")) return 0;
        return add_object(x, r, acar_new_bool(doc, 1));
    case 'i':
        if (strcmp(name, "integer")) return 0;
        x->tlen = 0;
        return add_object(x, r, acar__xml_pyint(x, s, n, n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')));
    case 'r':
        if (strcmp(name, "real")) return 0;
        x->tlen = 0;
        return add_object(x, r, acar__xml_pyfloat(x, s, n));
    case 's':
        if (strcmp(name, "string")) return 0;
        x->tlen = 0;
        return add_object(x, r, acar__str(doc, ACAR_STR, s, n, false));
    case 'k':
        if (strcmp(name, "key")) return 0;
        if ((r->key && acar_len(r->key)) || !r->sn || acar_typeof(r->stk[r->sn - 1]) != ACAR_DICT)
            return acar__xml_fail(x, ACAR_ERR_MALFORMED, "unexpected key at line %zu",
                                  (size_t)XML_GetCurrentLineNumber(x->parser));
        x->tlen = 0;
        r->key = acar__str(doc, ACAR_STR, s, n, false);
        if (!r->key) return acar__xml_fail_doc(x);
        return 0;
    }
    return 0;
}

acar_val *acar__plist_read(acar_doc *doc, const uint8_t *data, size_t len, acar_read_opts *opts,
                           acar_err *err) {
    plr r;
    acar_xml x;
    memset(&r, 0, sizeof r);
    if (acar__xml_init(&x, doc, err, pl_start, pl_end, &r, true) < 0) return NULL;
    acar_val *root = NULL;
    if (acar__xml_parse(&x, data, len) == 0) {
        root = r.root ? r.root : acar_new_none(doc);
        opts->consumed = len;
    }
    if (r.stk) acar__xml_scratch(&x, r.stk, r.scap * sizeof *r.stk, 0);
    acar__xml_free(&x);
    return root;
}

/* ====================================================================
 * Writer
 * ================================================================== */

typedef struct pframe {
    const acar_val *v;
    acar_val *const *items;  /* list/tuple items, or dict key, value, ... */
    size_t *order;           /* dicts: pair indices in writing order (malloc'd) */
    size_t i, n;             /* next step, steps */
} pframe;

typedef struct pwriter {
    acar_out *o;
    acar_err *err;
    uint32_t flags;
    pframe *st;
    size_t top, cap, max_depth;
    acar_xml_active active;
} pwriter;

#define LIT(w, s) acar__out_write((w)->o, s, sizeof(s) - 1)

static void tabs(pwriter *w, size_t n) {
    char *p = acar__out_reserve(w->o, n);
    if (!p) return;
    memset(p, '\t', n);
    w->o->buf->len += n;
}

static void path_of(pwriter *w, char *buf, size_t size) {
    size_t k = (size_t)snprintf(buf, size, "root");
    for (size_t f = 0; f < w->top && k + 8 < size; f++) {
        const pframe *fr = &w->st[f];
        if (fr->i == 0) break;
        if (acar_typeof(fr->v) == ACAR_DICT) {
            size_t pair = fr->order ? fr->order[fr->i - 1] : fr->i - 1;
            const acar_val *key = fr->items[2 * pair];
            k += acar__xml_path_key(buf + k, size - k, key);
        } else {
            k += (size_t)snprintf(buf + k, size - k, "[%zu]", fr->i - 1);
        }
        if (k >= size) break;
    }
}

static int pfail(pwriter *w, acar_code code, const char *msg) {
    char path[96];
    path_of(w, path, sizeof path);
    acar__err_set(w->err, code, 0, "%s (at %s)", msg, path);
    return -1;
}

static int nomem(pwriter *w) {
    acar__err_set(w->err, ACAR_ERR_NOMEM, 0, "out of memory");
    return -1;
}

/* <tag>escaped text</tag> at the current indentation. */
static int simple_text(pwriter *w, const char *tag, size_t tn, const acar_val *v) {
    size_t n;
    const char *s = acar_str(v, &n);
    const char *why;
    size_t at;
    tabs(w, w->top);
    acar__out_byte(w->o, '<');
    acar__out_write(w->o, tag, tn);
    acar__out_byte(w->o, '>');
    if (acar__xml_escape(w->o, s, n, true, &why, &at) < 0) {
        char m[128];
        snprintf(m, sizeof m, "strings can't contain control characters; use bytes instead (%s at byte %zu)",
                 why, at);
        return pfail(w, ACAR_ERR_TYPE, m);
    }
    acar__out_write(w->o, "</", 2);
    acar__out_write(w->o, tag, tn);
    acar__out_write(w->o, ">\n", 2);
    return 0;
}

/* Merge sort of pair indices by key bytes (UTF-8 order is code point
 * order, surrogates included), stable and without global state. */
static void sort_pairs(acar_val *const *items, size_t *idx, size_t *tmp, size_t n) {
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t a = lo, b = mid, k = lo;
            while (a < mid && b < hi) {
                size_t la, lb;
                const char *sa = acar_str(items[2 * idx[a]], &la), *sb = acar_str(items[2 * idx[b]], &lb);
                int c = memcmp(sa, sb, la < lb ? la : lb);
                if (c == 0) c = la < lb ? -1 : la > lb;
                tmp[k++] = c <= 0 ? idx[a++] : idx[b++];
            }
            while (a < mid) tmp[k++] = idx[a++];
            while (b < hi) tmp[k++] = idx[b++];
        }
        memcpy(idx, tmp, n * sizeof *idx);
    }
}

/* Sorting class of a key: keys of different classes cannot be compared
 * (sorted() raises TypeError). */
static int key_class(const acar_val *k) {
    switch (acar_typeof(k)) {
    case ACAR_STR: return 1;
    case ACAR_INT: case ACAR_BOOL: case ACAR_FLOAT: return 2;
    case ACAR_BYTES: return 3;
    case ACAR_DATETIME: return 4;
    default: return 5;
    }
}

static int push_frame(pwriter *w, const acar_val *v) {
    int a = acar__xml_active_add(&w->active, v);
    if (a < 0) return nomem(w);
    if (a == 0) return pfail(w, ACAR_ERR_TYPE, "recursive container (plistlib recurses forever)");
    if (w->top >= w->max_depth) {
        char m[64];
        snprintf(m, sizeof m, "nesting deeper than %zu (max_depth)", w->max_depth);
        return pfail(w, ACAR_ERR_LIMIT, m);
    }
    if (w->top == w->cap) {
        size_t nc = w->cap ? w->cap * 2 : 32;
        pframe *ns = realloc(w->st, nc * sizeof *ns);
        if (!ns) return nomem(w);
        w->st = ns;
        w->cap = nc;
    }
    pframe *f = &w->st[w->top];
    f->v = v;
    f->i = 0;
    f->order = NULL;
    if (acar_typeof(v) != ACAR_DICT) {
        f->items = v->u.items;
        f->n = acar_len(v);
        w->top++;
        return 0;
    }
    f->items = ((const acar_map *)v->u.p)->items;
    size_t n = acar_len(v), kept = 0;
    bool sort = !(w->flags & ACAR_WRITE_NO_SORT_KEYS), skip = (w->flags & ACAR_WRITE_SKIPKEYS) != 0;
    bool all_str = true;
    int cls0 = 0, mixed = 0;
    for (size_t i = 0; i < n; i++) {
        int c = key_class(f->items[2 * i]);
        if (c != 1) all_str = false;
        if (i == 0) cls0 = c;
        else if (c != cls0 || c == 5) mixed = 1;
    }
    if (!all_str) {
        if (!skip || (sort && mixed)) return pfail(w, ACAR_ERR_TYPE, "keys must be strings");
    }
    size_t *order = malloc((2 * n + 1) * sizeof *order);
    if (!order) return nomem(w);
    for (size_t i = 0; i < n; i++)
        if (acar_typeof(f->items[2 * i]) == ACAR_STR) order[kept++] = i;
    if (sort && kept > 1) sort_pairs(f->items, order, order + n, kept);
    f->order = order;
    f->n = kept;
    w->top++;
    return 0;
}

/* Writes a scalar at the current indentation, or opens a container. */
static int pemit(pwriter *w, const acar_val *v) {
    acar_out *o = w->o;
    size_t lvl = w->top;
    switch (acar_typeof(v)) {
    case ACAR_STR:
        return simple_text(w, "string", 6, v);
    case ACAR_BOOL:
        tabs(w, lvl);
        if (acar_bool(v)) LIT(w, "<true/>\n");
        else LIT(w, "<false/>\n");
        return 0;
    case ACAR_INT: {
        int neg;
        uint32_t tmp[3];
        const uint32_t *limbs;
        size_t nl = acar_int_limbs(v, &neg, &limbs, tmp);
        if (nl > 2 || (neg && nl == 2 && limbs[1] > 0x80000000u) ||
            (neg && nl == 2 && limbs[1] == 0x80000000u && limbs[0] != 0))
            return pfail(w, ACAR_ERR_TYPE, "int out of plist range -2**63 .. 2**64-1 (OverflowError)");
        uint64_t m = nl ? limbs[0] : 0;
        if (nl == 2) m |= (uint64_t)limbs[1] << 32;
        char buf[24];
        size_t k = sizeof buf;
        do buf[--k] = (char)('0' + m % 10); while ((m /= 10) != 0);
        if (neg) buf[--k] = '-';
        tabs(w, lvl);
        LIT(w, "<integer>");
        acar__out_write(o, buf + k, sizeof buf - k);
        LIT(w, "</integer>\n");
        return 0;
    }
    case ACAR_FLOAT: {
        char buf[ACAR_NUM_FLOAT_REPR_MAX];
        tabs(w, lvl);
        LIT(w, "<real>");
        acar__out_write(o, buf, acar_num_float_repr(acar_float(v), buf));
        LIT(w, "</real>\n");
        return 0;
    }
    case ACAR_DATETIME: {
        acar_datetime d;
        char buf[32];
        acar_datetime_get(v, &d);
        tabs(w, lvl);
        LIT(w, "<date>");
        acar__out_write(o, buf, acar__xml_date_plist(&d, buf));
        LIT(w, "</date>\n");
        return 0;
    }
    case ACAR_BYTES:
    case ACAR_BYTEARRAY: {
        size_t n;
        const char *s = acar_str(v, &n);
        size_t width = lvl * 8 < 60 ? 76 - lvl * 8 : 16;
        tabs(w, lvl);
        LIT(w, "<data>\n");
        if (n) {
            /* the line prefix: lvl tabs (built once per element) */
            char small[64], *ind = small;
            if (lvl > sizeof small) {
                ind = malloc(lvl);
                if (!ind) return nomem(w);
            }
            memset(ind, '\t', lvl);
            acar__xml_b64_encode(o, (const uint8_t *)s, n, width / 4 * 3, ind, lvl);
            if (ind != small) free(ind);
        }
        tabs(w, lvl);
        LIT(w, "</data>\n");
        return 0;
    }
    case ACAR_LIST:
    case ACAR_TUPLE:
        if (acar_len(v) == 0) {
            tabs(w, lvl);
            LIT(w, "<array/>\n");
            return 0;
        }
        if (push_frame(w, v) < 0) return -1;
        tabs(w, lvl);
        LIT(w, "<array>\n");
        return 0;
    case ACAR_DICT:
        if (acar_len(v) == 0) {
            tabs(w, lvl);
            LIT(w, "<dict/>\n");
            return 0;
        }
        if (push_frame(w, v) < 0) return -1;
        tabs(w, lvl);
        LIT(w, "<dict>\n");
        return 0;
    default: {
        acar_datetime d;
        if (acar__xml_object_datetime(v, &d)) {  /* aware: tzinfo ignored, as plistlib does */
            char buf[32];
            tabs(w, lvl);
            LIT(w, "<date>");
            acar__out_write(o, buf, acar__xml_date_plist(&d, buf));
            LIT(w, "</date>\n");
            return 0;
        }
        char cls[160], m[200];
        acar__xml_class_name(v, cls, sizeof cls);
        snprintf(m, sizeof m, "unsupported type: %s", cls);
        return pfail(w, ACAR_ERR_TYPE, m);
    }
    }
}

int acar__plist_write(const acar_val *v, const acar_write_opts *opts, acar_out *out, acar_err *err) {
    pwriter w;
    memset(&w, 0, sizeof w);
    w.o = out;
    w.err = err;
    w.flags = opts->flags;
    w.max_depth = opts->max_depth ? opts->max_depth : ACAR_DEFAULT_MAX_DEPTH;
    LIT(&w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
            "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
            "<plist version=\"1.0\">\n");
    int rc = pemit(&w, v);
    while (rc == 0 && w.top && !out->failed) { /* failed output (max_output): stop */
        pframe *f = &w.st[w.top - 1];
        bool dict = acar_typeof(f->v) == ACAR_DICT;
        if (f->i == f->n) {
            free(f->order);
            acar__xml_active_del(&w.active, f->v);
            w.top--;
            tabs(&w, w.top);
            if (dict) LIT(&w, "</dict>\n");
            else LIT(&w, "</array>\n");
            continue;
        }
        size_t i = f->i++;
        if (dict) {
            size_t pair = f->order[i];
            rc = simple_text(&w, "key", 3, f->items[2 * pair]);
            if (rc == 0) rc = pemit(&w, f->items[2 * pair + 1]);
        } else {
            rc = pemit(&w, f->items[i]);
        }
    }
    if (rc == 0) LIT(&w, "</plist>\n");
    while (w.top) free(w.st[--w.top].order);
    free(w.st);
    acar__xml_active_free(&w.active);
    return rc;
}
