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

/* An open <dict> or <array>.  Its items wait on the value stack (a dict's
 * as key, value, ...) and become the container at its end, which then
 * fills the slot its start reserved in its parent. */
typedef struct pframe {
    bool dict;
    size_t mark;           /* its first item on the value stack */
    size_t slot;           /* its own place on the value stack, or ROOT */
} pframe;

#define ROOT SIZE_MAX

typedef struct plr {
    pframe *fr;            /* open dicts and arrays */
    size_t fn, fcap;
    acar_val **vals;       /* the value stack */
    size_t vn, vcap;
    acar_val *key;         /* the pending key, NULL for None */
    acar_val *root;
} plr;

static int push_val(acar_xml *x, plr *r, acar_val *v) {
    if (r->vcap - r->vn < 2 &&
        acar__xml_reserve(x, (void **)&r->vals, &r->vcap, r->vn, 2, sizeof *r->vals) < 0)
        return -1;
    r->vals[r->vn++] = v;
    return 0;
}

/* plistlib's add_object: v goes to the pending key of the open dict, to
 * the open array, or becomes the root.  v NULL: a container's place,
 * filled at its end (*slot says where).  Returns 0, or -1 after failing. */
static int add_object(acar_xml *x, plr *r, acar_val *v, size_t *slot) {
    if (!v && !slot) return x->failed ? -1 : acar__xml_fail_doc(x);
    const pframe *top = r->fn ? &r->fr[r->fn - 1] : NULL;
    if (r->key) {
        if (!top || !top->dict)
            return acar__xml_fail(x, ACAR_ERR_MALFORMED, "unexpected element at line %zu",
                                  (size_t)XML_GetCurrentLineNumber(x->parser));
        if (push_val(x, r, r->key) < 0) return -1;
        r->key = NULL;
    } else if (!top) {
        if (slot) *slot = ROOT;
        else r->root = v;
        return 0;
    } else if (top->dict) {
        return acar__xml_fail(x, ACAR_ERR_MALFORMED, "unexpected element at line %zu",
                              (size_t)XML_GetCurrentLineNumber(x->parser));
    }
    if (slot) *slot = r->vn;
    return push_val(x, r, v);
}

/* The end of the open container: builds it from its items. */
static int close_frame(acar_xml *x, plr *r) {
    pframe *f = &r->fr[--r->fn];
    acar_doc *doc = x->doc;
    acar_val **items = r->vals + f->mark;
    size_t n = r->vn - f->mark;
    acar_val *c;
    if (f->dict) {
        c = acar_new_dict(doc);
        for (size_t i = 0; c && i < n; i += 2)
            if (acar_dict_set(doc, c, items[i], items[i + 1]) < 0) c = NULL;
    } else {
        c = acar__seq(doc, ACAR_LIST, n ? items : NULL, n);
        for (size_t i = 0; c && i < n; i++) acar__stored(items[i]);
    }
    if (!c) return acar__xml_fail_doc(x);
    r->vn = f->mark;
    if (f->slot == ROOT) r->root = c;
    else r->vals[f->slot] = c;
    return 0;
}

enum { P_OTHER, P_DICT, P_ARRAY, P_KEY, P_STRING, P_INTEGER, P_REAL, P_TRUE, P_FALSE, P_DATE, P_DATA };

/* Elements whose end takes the text. */
static bool takes_text(int t) { return (t >= P_KEY && t <= P_REAL) || t == P_DATE || t == P_DATA; }

/* The element's code, looked up once at its start (the first byte picks
 * the names to compare); the end handler takes it from the tag stack. */
static int tag_of(const char *n) {
    switch (n[0]) {
    case 'a': return XML_NAME_IS(n, "array") ? P_ARRAY : P_OTHER;
    case 'd':
        if (XML_NAME_IS(n, "dict")) return P_DICT;
        if (XML_NAME_IS(n, "data")) return P_DATA;
        return XML_NAME_IS(n, "date") ? P_DATE : P_OTHER;
    case 'f': return XML_NAME_IS(n, "false") ? P_FALSE : P_OTHER;
    case 'i': return XML_NAME_IS(n, "integer") ? P_INTEGER : P_OTHER;
    case 'k': return XML_NAME_IS(n, "key") ? P_KEY : P_OTHER;
    case 'r': return XML_NAME_IS(n, "real") ? P_REAL : P_OTHER;
    case 's': return XML_NAME_IS(n, "string") ? P_STRING : P_OTHER;
    case 't': return XML_NAME_IS(n, "true") ? P_TRUE : P_OTHER;
    }
    return P_OTHER;
}

static void XMLCALL pl_start(void *ud, const XML_Char *name, const XML_Char **atts) {
    acar_xml *x = ud;
    plr *r = x->ud;
    (void)atts;
    if (x->failed) return;
    int t = tag_of(name);
    if (acar__xml_push_tag(x, t) < 0) return;
    x->tlen = 0;
    if (takes_text(t)) x->live++;
    if (t != P_DICT && t != P_ARRAY) return;
    if (r->fn >= x->doc->limits.max_depth) {
        acar__xml_fail(x, ACAR_ERR_LIMIT, "nesting deeper than %zu (max_depth)",
                           x->doc->limits.max_depth);
        return;
    }
    size_t slot;
    if (add_object(x, r, NULL, &slot) < 0) return;
    if (r->fn == r->fcap &&
        acar__xml_reserve(x, (void **)&r->fr, &r->fcap, r->fn, 1, sizeof *r->fr) < 0)
        return;
    pframe *f = &r->fr[r->fn++];
    f->dict = t == P_DICT;
    f->mark = r->vn;
    f->slot = slot;
}

static int pl_end_tag(acar_xml *x, plr *r, int t) {
    acar_doc *doc = x->doc;
    const char *s = x->text;
    size_t n = x->tlen;
    char msg[128];
    switch (t) {
    case P_ARRAY:
        return close_frame(x, r);
    case P_DICT:
        if (r->key && acar_len(r->key)) {
            size_t kl;
            const char *k = acar_str(r->key, &kl);
            return acar__xml_fail(x, ACAR_ERR_MALFORMED, "missing value for key '%.*s' at line %zu",
                                  (int)(kl > 60 ? 60 : kl), k, (size_t)XML_GetCurrentLineNumber(x->parser));
        }
        return close_frame(x, r);
    case P_DATA: {
        uint8_t *out = acar__alloc(doc, n / 4 * 3 + 3);
        size_t m;
        if (!out) return acar__xml_fail_doc(x);
        x->tlen = 0;
        if (acar__xml_b64_decode(s, n, out, &m, msg) < 0)
            return acar__xml_fail(x, ACAR_ERR_MALFORMED, "%s", msg);
        return add_object(x, r, acar__str(doc, ACAR_BYTES, (const char *)out, m, true), NULL);
    }
    case P_DATE: {
        acar_datetime d;
        x->tlen = 0;
        if (acar__xml_parse_date_plist(s, n, &d, msg) < 0)
            return acar__xml_fail(x, ACAR_ERR_MALFORMED, "%s", msg);
        return add_object(x, r, acar_new_datetime(doc, &d), NULL);
    }
    case P_FALSE:
        return add_object(x, r, acar_new_bool(doc, 0), NULL);
    case P_TRUE:
        return add_object(x, r, acar_new_bool(doc, 1), NULL);
    case P_INTEGER:
        x->tlen = 0;
        return add_object(x, r, acar__xml_pyint(x, s, n, n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')),
                          NULL);
    case P_REAL:
        x->tlen = 0;
        return add_object(x, r, acar__xml_pyfloat(x, s, n), NULL);
    case P_STRING: {
        acar_val *v = acar__xml_text_str(x);
        x->tlen = 0;
        return add_object(x, r, v, NULL);
    }
    case P_KEY:
        if ((r->key && acar_len(r->key)) || !r->fn || !r->fr[r->fn - 1].dict)
            return acar__xml_fail(x, ACAR_ERR_MALFORMED, "unexpected key at line %zu",
                                  (size_t)XML_GetCurrentLineNumber(x->parser));
        r->key = acar__xml_text_str(x);
        x->tlen = 0;
        return r->key ? 0 : -1;
    }
    return 0;
}

static void XMLCALL pl_end(void *ud, const XML_Char *name) {
    acar_xml *x = ud;
    (void)name;
    if (x->failed) return;
    int t = acar__xml_pop_tag(x);
    if (takes_text(t)) x->live--;
    pl_end_tag(x, x->ud, t);
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
    if (r.fr) acar__xml_scratch(&x, r.fr, r.fcap * sizeof *r.fr, 0);
    if (r.vals) acar__xml_scratch(&x, r.vals, r.vcap * sizeof *r.vals, 0);
    acar__xml_free(&x);
    return root;
}

/* ====================================================================
 * Writer
 * ================================================================== */

typedef acar_xml_writer pwriter;

#define LIT(w, s) acar__xml_put((w)->o, s, sizeof(s) - 1)

static void tabs(pwriter *w, size_t n) {
    static const char t[] = "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t";
    for (; n > 16; n -= 16) acar__xml_put(w->o, t, 16);
    if (n) acar__xml_put(w->o, t, n);
}

static int nomem(pwriter *w) {
    acar__err_set(w->err, ACAR_ERR_NOMEM, 0, "out of memory");
    return -1;
}

/* <tag>escaped text</tag> at the current indentation. */
static int simple_text(pwriter *w, const char *tag, size_t tn, const acar_val *v) {
    size_t n;
    const char *s = v->u.s;
    n = ACAR_LEN(v);
    const char *why;
    size_t at;
    tabs(w, w->top);
    acar__xml_put(w->o, "<", 1);
    acar__xml_put(w->o, tag, tn);
    acar__xml_put(w->o, ">", 1);
    if (acar__xml_escape(w->o, s, n, true, &why, &at) < 0) {
        return acar__xml_wfail(w, ACAR_ERR_TYPE,
                               "strings can't contain control characters; use bytes instead (%s at byte %zu)",
                               why, at);
    }
    acar__xml_put(w->o, "</", 2);
    acar__xml_put(w->o, tag, tn);
    acar__xml_put(w->o, ">\n", 2);
    return 0;
}

/* Key order: bytes compared as unsigned (UTF-8 order is code point order,
 * surrogates included), a prefix first. */
static int key_cmp(const acar_val *a, const acar_val *b) {
    size_t la = ACAR_LEN(a), lb = ACAR_LEN(b);
    int c = memcmp(a->u.s, b->u.s, la < lb ? la : lb);
    return c ? c : la < lb ? -1 : la > lb;
}

/* Stable sort of pair indices by key (key i at keys[i * stride]): nothing
 * to do when the keys are in order already (a dict read from a sorted
 * plist), else a merge sort. */
static void sort_pairs(acar_val *const *keys, size_t stride, size_t *idx, size_t *tmp, size_t n) {
    size_t k = 1;
    while (k < n && key_cmp(keys[idx[k - 1] * stride], keys[idx[k] * stride]) <= 0) k++;
    if (k == n) return;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t a = lo, b = mid, t = lo;
            while (a < mid && b < hi)
                tmp[t++] = key_cmp(keys[idx[a] * stride], keys[idx[b] * stride]) <= 0 ? idx[a++] : idx[b++];
            while (a < mid) tmp[t++] = idx[a++];
            while (b < hi) tmp[t++] = idx[b++];
        }
        memcpy(idx, tmp, n * sizeof *idx);
    }
}

/* Sorting class of a key: keys of different classes cannot be compared
 * (sorted() raises TypeError). */
static int key_class(const acar_val *k) {
    switch (ACAR_TYPE(k)) {
    case ACAR_STR: return 1;
    case ACAR_INT: case ACAR_BOOL: case ACAR_FLOAT: return 2;
    case ACAR_BYTES: return 3;
    case ACAR_DATETIME: return 4;
    default: return 5;
    }
}

static int push_frame(pwriter *w, const acar_val *v) {
    acar_xml_frame *f = acar__xml_wpush(w, v, "recursive container (plistlib recurses forever)");
    if (!f) return -1;
    if (ACAR_TYPE(v) != ACAR_DICT) return 0;
    size_t n = f->n, kept = 0, stride = f->stride;
    bool sort = !(w->flags & ACAR_WRITE_NO_SORT_KEYS), skip = (w->flags & ACAR_WRITE_SKIPKEYS) != 0;
    bool all_str = true;
    int cls0 = 0, mixed = 0;
    for (size_t i = 0; i < n; i++) {
        int c = key_class(f->items[i * stride]);
        if (c != 1) all_str = false;
        if (i == 0) cls0 = c;
        else if (c != cls0 || c == 5) mixed = 1;
    }
    if (!all_str) {
        if (!skip || (sort && mixed)) return acar__xml_wfail(w, ACAR_ERR_TYPE, "keys must be strings");
    }
    size_t *order = malloc((2 * n + 1) * sizeof *order);
    if (!order) return nomem(w);
    for (size_t i = 0; i < n; i++)
        if (ACAR_TYPE(f->items[i * stride]) == ACAR_STR) order[kept++] = i;
    if (sort && kept > 1) sort_pairs(f->items, stride, order, order + n, kept);
    f->order = order;
    f->n = kept;
    return 0;
}

/* Writes a scalar at the current indentation, or opens a container. */
static int pemit(pwriter *w, const acar_val *v) {
    acar_out *o = w->o;
    size_t lvl = w->top;
    switch (ACAR_TYPE(v)) {
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
            return acar__xml_wfail(w, ACAR_ERR_TYPE,
                                   "int out of plist range -2**63 .. 2**64-1 (OverflowError)");
        uint64_t m = nl ? limbs[0] : 0;
        if (nl == 2) m |= (uint64_t)limbs[1] << 32;
        char buf[24];
        size_t k = sizeof buf;
        do buf[--k] = (char)('0' + m % 10); while ((m /= 10) != 0);
        if (neg) buf[--k] = '-';
        tabs(w, lvl);
        LIT(w, "<integer>");
        acar__xml_put(o, buf + k, sizeof buf - k);
        LIT(w, "</integer>\n");
        return 0;
    }
    case ACAR_FLOAT: {
        char buf[ACAR_NUM_FLOAT_REPR_MAX];
        tabs(w, lvl);
        LIT(w, "<real>");
        acar__xml_put(o, buf, acar_num_float_repr(acar_float(v), buf));
        LIT(w, "</real>\n");
        return 0;
    }
    case ACAR_DATETIME: {
        acar_datetime d;
        char buf[32];
        acar_datetime_get(v, &d);
        tabs(w, lvl);
        LIT(w, "<date>");
        acar__xml_put(o, buf, acar__xml_date_plist(&d, buf));
        LIT(w, "</date>\n");
        return 0;
    }
    case ACAR_BYTES:
    case ACAR_BYTEARRAY: {
        size_t n;
        const char *s = v->u.s;
        n = ACAR_LEN(v);
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
            acar__xml_put(o, buf, acar__xml_date_plist(&d, buf));
            LIT(w, "</date>\n");
            return 0;
        }
        char cls[160];
        acar__xml_class_name(v, cls, sizeof cls);
        return acar__xml_wfail(w, ACAR_ERR_TYPE, "unsupported type: %s", cls);
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
        acar_xml_frame *f = &w.st[w.top - 1];
        bool dict = ACAR_TYPE(f->v) == ACAR_DICT;
        if (f->i == f->n) {
            acar__xml_wpop(&w);
            tabs(&w, w.top);
            if (dict) LIT(&w, "</dict>\n");
            else LIT(&w, "</array>\n");
            continue;
        }
        size_t i = f->i++;
        if (dict) {
            size_t pair = f->order[i] * f->stride;
            rc = simple_text(&w, "key", 3, f->items[pair]);
            if (rc == 0) rc = pemit(&w, f->vals[pair]);
        } else {
            rc = pemit(&w, f->items[i]);
        }
    }
    if (rc == 0) LIT(&w, "</plist>\n");
    acar__xml_wfree(&w);
    return rc;
}
