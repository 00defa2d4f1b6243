/*
 * xmlrpc.c -- XML-RPC as Python's xmlrpc.client reads and writes it.
 *
 * Writing is xmlrpc.client.dumps(params, methodname, methodresponse,
 * allow_none) byte for byte:
 *
 *   <?xml version='1.0'?>\n<methodCall>\n<methodName>NAME</methodName>\n
 *   <params>\n<param>\n VALUE </param>\n ... </params>\n</methodCall>\n
 *
 * (or <methodResponse>, or the bare <params> block), each VALUE one of
 * <value><int>..</int></value>\n, <boolean>, <double> (repr), <string>
 * (escaped), <base64>\n(encodebytes lines)</base64>, <dateTime.iso8601>,
 * <array><data>\n..</data></array>, <struct>\n<member>\n<name>..</name>\n
 * .. </member>\n..</struct>, and <value><nil/></value> (no newline) with
 * allow_none.  A fault is <fault>\n(the struct of faultCode, faultString)
 * </fault>\n inside <methodResponse>.
 *
 * Reading is xmlrpc.client.loads(data, use_builtin_types=True): its
 * Unmarshaller is a lenient stack machine, copied here event for event.
 * Every start tag empties the collected text; inside <value> the first
 * child must be a known tag; the end of a known tag (namespace prefix
 * dropped) pushes its value wherever it appears; <array> and <struct> take
 * everything pushed since their start (a struct pairs them up, keys of any
 * hashable type); </params>, </fault> and </methodName> say what the
 * document was, the last one wins.  The root is the tuple of everything
 * pushed; for a fault, the first value (a dict that must have str keys
 * faultCode and faultString).  <bigdecimal> becomes decimal.Decimal as a
 * pickle holds it (docs/xml.md).
 */
#include "xml/xml.h"
#include "num/num.h"

#include <stdio.h>
#include <stdlib.h>

/* ====================================================================
 * Reader
 * ================================================================== */

enum {
    T_OTHER, T_NIL, T_BOOLEAN, T_INT, T_DOUBLE, T_BIGDECIMAL, T_STRING, T_ARRAY, T_STRUCT,
    T_BASE64, T_DATETIME, T_VALUE, T_PARAMS, T_FAULT, T_METHODNAME
};

/* The Unmarshaller's dispatch table, looked up by the name after the
 * last ':' (its start handler strips the prefix; its end handler tries the
 * whole name first, which never has a ':' in the table, then the tail).
 * One pass finds the tail and its length, then a switch on the length: a
 * chain of strcmp calls here took a fifth of the time of reading
 * citm_catalog as XML-RPC. */
#define IS(lit) (memcmp(name, lit, sizeof(lit) - 1) == 0)
static int tag_of(const char *name) {
    const char *p = name;
    for (; *p; p++)
        if (*p == ':') name = p + 1;
    switch (p - name) {
    case 2:
        if (name[0] == 'i' && (name[1] == '4' || name[1] == '8' || name[1] == '1' || name[1] == '2'))
            return T_INT;
        break;
    case 3:
        if (IS("int")) return T_INT;
        if (IS("nil")) return T_NIL;
        break;
    case 4:
        if (IS("name")) return T_STRING;
        break;
    case 5:
        if (IS("value")) return T_VALUE;
        if (IS("array")) return T_ARRAY;
        if (IS("float")) return T_DOUBLE;
        if (IS("fault")) return T_FAULT;
        break;
    case 6:
        if (IS("string")) return T_STRING;
        if (IS("struct")) return T_STRUCT;
        if (IS("double")) return T_DOUBLE;
        if (IS("base64")) return T_BASE64;
        if (IS("params")) return T_PARAMS;
        break;
    case 7:
        if (IS("boolean")) return T_BOOLEAN;
        break;
    case 10:
        if (IS("biginteger")) return T_INT;
        if (IS("bigdecimal")) return T_BIGDECIMAL;
        if (IS("methodName")) return T_METHODNAME;
        break;
    case 16:
        if (IS("dateTime.iso8601")) return T_DATETIME;
        break;
    }
    return T_OTHER;
}
#undef IS

enum { K_NONE, K_PARAMS, K_FAULT, K_METHOD };

typedef struct rpc {
    acar_val **stk;        /* the value stack */
    size_t sn, scap;
    size_t *marks;         /* stack heights at <array>/<struct> starts */
    size_t mn, mcap;
    bool value;            /* the last event was the start of <value> */
    int kind;              /* K_*: the last of </params>, </fault>, </methodName> */
    acar_val *method;
} rpc;

static const char *text_of(acar_xml *x) { return x->text ? x->text : ""; }

static int push(acar_xml *x, rpc *r, acar_val *v) {
    if (!v) return x->failed ? -1 : acar__xml_fail_doc(x);
    if (r->sn == r->scap &&
        acar__xml_reserve(x, (void **)&r->stk, &r->scap, r->sn, 1, sizeof *r->stk) < 0)
        return -1;
    r->stk[r->sn++] = v;
    return 0;
}

static int rpc_start(acar_xml *x, const char *name) {
    rpc *r = x->ud;
    int t = tag_of(name);
    if (t == T_ARRAY || t == T_STRUCT) {
        if (r->mn >= x->doc->limits.max_depth)
            return acar__xml_fail(x, ACAR_ERR_LIMIT, "nesting deeper than %zu (max_depth)",
                                  x->doc->limits.max_depth);
        if (r->mn == r->mcap &&
            acar__xml_reserve(x, (void **)&r->marks, &r->mcap, r->mn, 1, sizeof *r->marks) < 0)
            return -1;
        r->marks[r->mn++] = r->sn;
    }
    x->tlen = 0;
    if (r->value && t == T_OTHER) {
        const char *c = strrchr(name, ':');
        return acar__xml_fail(x, ACAR_ERR_MALFORMED, "unknown tag '%.60s'", c ? c + 1 : name);
    }
    r->value = t == T_VALUE;
    return 0;
}

static int rpc_end(acar_xml *x, const char *name) {
    rpc *r = x->ud;
    acar_doc *doc = x->doc;
    const char *s = text_of(x);
    size_t n = x->tlen;
    switch (tag_of(name)) {
    case T_NIL:
        r->value = false;
        return push(x, r, acar_new_none(doc));
    case T_BOOLEAN:
        if (n != 1 || (s[0] != '0' && s[0] != '1'))
            return acar__xml_fail(x, ACAR_ERR_MALFORMED, "bad boolean value");
        r->value = false;
        return push(x, r, acar_new_bool(doc, s[0] == '1'));
    case T_INT:
        r->value = false;
        return push(x, r, acar__xml_pyint(x, s, n, false));
    case T_DOUBLE:
        r->value = false;
        return push(x, r, acar__xml_pyfloat(x, s, n));
    case T_BIGDECIMAL:
        r->value = false;
        return push(x, r, acar__xml_pydecimal(x, s, n));
    case T_STRING:
        r->value = false;
        return push(x, r, acar__str(doc, ACAR_STR, s, n, false));
    case T_ARRAY: {
        size_t mark = r->marks[--r->mn];
        acar_val *v = acar__seq(doc, ACAR_LIST, r->sn > mark ? r->stk + mark : NULL, r->sn - mark);
        for (size_t i = mark; v && i < r->sn; i++) acar__stored(r->stk[i]);
        r->sn = mark;
        r->value = false;
        return push(x, r, v);
    }
    case T_STRUCT: {
        size_t mark = r->marks[--r->mn];
        acar_val *d = acar_new_dict(doc);
        if (!d) return acar__xml_fail_doc(x);
        for (size_t i = mark; i < r->sn; i += 2) {
            if (i + 1 == r->sn)
                return acar__xml_fail(x, ACAR_ERR_MALFORMED,
                                      "struct with a name and no value (list index out of range)");
            if (acar_dict_set(doc, d, r->stk[i], r->stk[i + 1]) < 0) return acar__xml_fail_doc(x);
        }
        r->sn = mark;
        r->value = false;
        return push(x, r, d);
    }
    case T_BASE64: {
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)s[i] >= 0x80)
                return acar__xml_fail(x, ACAR_ERR_MALFORMED,
                                      "'ascii' codec can't encode character in base64 text");
        uint8_t *out = acar__alloc(doc, n / 4 * 3 + 3);
        if (!out) return acar__xml_fail_doc(x);
        size_t m;
        char msg[128];
        if (acar__xml_b64_decode(s, n, out, &m, msg) < 0)
            return acar__xml_fail(x, ACAR_ERR_MALFORMED, "%s", msg);
        r->value = false;
        return push(x, r, acar__str(doc, ACAR_BYTES, (const char *)out, m, true));
    }
    case T_DATETIME: {
        acar_datetime d;
        char msg[128];
        if (acar__xml_parse_date_xmlrpc(s, n, &d, msg) < 0)
            return acar__xml_fail(x, ACAR_ERR_MALFORMED, "bad dateTime.iso8601: %s", msg);
        return push(x, r, acar_new_datetime(doc, &d));  /* leaves r->value as it was */
    }
    case T_VALUE:
        if (!r->value) return 0;
        r->value = false;
        return push(x, r, acar__str(doc, ACAR_STR, s, n, false));
    case T_PARAMS:
        r->kind = K_PARAMS;
        return 0;
    case T_FAULT:
        r->kind = K_FAULT;
        return 0;
    case T_METHODNAME: {
        /* NUL-terminated as well, for callers that pass it on as a C string */
        char *m = acar__alloc(doc, n + 1);
        if (!m) return acar__xml_fail_doc(x);
        memcpy(m, s, n);
        m[n] = 0;
        r->method = acar__str(doc, ACAR_STR, m, n, true);
        if (!r->method) return acar__xml_fail_doc(x);
        r->kind = K_METHOD;
        return 0;
    }
    }
    return 0;
}

acar_val *acar__xmlrpc_read(acar_doc *doc, const uint8_t *data, size_t len, acar_read_opts *opts,
                            acar_err *err) {
    rpc r;
    acar_xml x;
    memset(&r, 0, sizeof r);
    opts->xmlrpc_kind = 0;
    opts->method = NULL;
    if (acar__xml_init(&x, doc, err, rpc_start, rpc_end, &r, false) < 0) return NULL;
    acar_val *root = NULL;
    if (acar__xml_parse(&x, data, len) < 0) goto out;
    if (r.kind == K_NONE) {
        acar__xml_fail(&x, ACAR_ERR_MALFORMED,
                       "not an XML-RPC message: no params, fault or methodName element");
        goto out;
    }
    if (r.kind == K_FAULT) {
        acar_val *f = r.sn ? r.stk[0] : NULL;
        if (!f || acar_typeof(f) != ACAR_DICT) {
            acar__xml_fail(&x, ACAR_ERR_MALFORMED, "fault without a struct");
            goto out;
        }
        for (size_t i = 0; i < acar_len(f); i++)
            if (acar_typeof(acar_dict_key(f, i)) != ACAR_STR) {
                acar__xml_fail(&x, ACAR_ERR_MALFORMED, "fault struct keys must be strings");
                goto out;
            }
        /* Fault(**d): a key "self" collides with the method's own parameter */
        if (acar_dict_get_str(f, "self", 4)) {
            acar__xml_fail(&x, ACAR_ERR_MALFORMED, "fault struct with a member named 'self'");
            goto out;
        }
        if (!acar_dict_get_str(f, "faultCode", 9) || !acar_dict_get_str(f, "faultString", 11)) {
            acar__xml_fail(&x, ACAR_ERR_MALFORMED, "fault struct without faultCode and faultString");
            goto out;
        }
        root = f;
        opts->xmlrpc_kind = ACAR_XMLRPC_FAULT;
    } else {
        root = acar__seq(doc, ACAR_TUPLE, r.stk, r.sn);
        if (!root) {
            acar__xml_fail_doc(&x);
            goto out;
        }
        for (size_t i = 0; i < r.sn; i++) acar__stored(r.stk[i]);
        opts->xmlrpc_kind = r.method ? ACAR_XMLRPC_CALL : ACAR_XMLRPC_RESPONSE;
        opts->method = r.method;
    }
    opts->consumed = len;
out:
    if (r.stk) acar__xml_scratch(&x, r.stk, r.scap * sizeof *r.stk, 0);
    if (r.marks) acar__xml_scratch(&x, r.marks, r.mcap * sizeof *r.marks, 0);
    acar__xml_free(&x);
    if (!root) {
        opts->xmlrpc_kind = 0;
        opts->method = NULL;
    }
    return root;
}

/* ====================================================================
 * Writer
 * ================================================================== */

typedef struct wframe {
    const acar_val *v;
    acar_val *const *items;  /* list/tuple items, or dict key, value, ... */
    size_t i, n;             /* next item (dict: pair), items (pairs) */
} wframe;

typedef struct writer {
    acar_out *o;
    acar_err *err;
    uint32_t flags;
    wframe *st;
    size_t top, cap, max_depth;
    acar_xml_active active;
    const char *where;       /* the top-level place: "params[3]", "faultCode" */
    size_t where_i;
} writer;

#define LIT(w, s) acar__out_write((w)->o, s, sizeof(s) - 1)

/* The path of the value being written, for messages: params[0][2]['key']. */
static void path_of(writer *w, char *buf, size_t size) {
    size_t k = (size_t)snprintf(buf, size, w->where, w->where_i);
    for (size_t f = 0; f < w->top && k + 8 < size; f++) {
        const wframe *fr = &w->st[f];
        if (fr->i == 0) break;
        if (acar_typeof(fr->v) == ACAR_DICT) {
            const acar_val *key = fr->items[2 * (fr->i - 1)];
            k += acar__xml_path_key(buf + k, size - k, key);
        } else {
            k += (size_t)snprintf(buf + k, size - k, "[%zu]", fr->i - 1);
        }
        if (k >= size) break;
    }
}

static int wfail(writer *w, acar_code code, const char *msg) {
    char path[96];
    path_of(w, path, sizeof path);
    acar__err_set(w->err, code, 0, "%s (at %s)", msg, path);
    return -1;
}

static int write_str(writer *w, const acar_val *v) {
    size_t n;
    const char *s = acar_str(v, &n);
    const char *why;
    size_t at;
    if (acar__xml_escape(w->o, s, n, false, &why, &at) < 0) {
        char m[96];
        snprintf(m, sizeof m, "string holds %s at byte %zu, which XML cannot carry", why, at);
        return wfail(w, ACAR_ERR_TYPE, m);
    }
    return 0;
}

/* Writes a scalar, or opens a container (pushes a frame). */
static int emit(writer *w, const acar_val *v) {
    acar_out *o = w->o;
    switch (acar_typeof(v)) {
    case ACAR_NONE:
        if (!(w->flags & ACAR_WRITE_ALLOW_NONE))
            return wfail(w, ACAR_ERR_TYPE, "cannot marshal None unless allow_none is enabled");
        LIT(w, "<value><nil/></value>");
        return 0;
    case ACAR_BOOL:
        if (acar_bool(v)) LIT(w, "<value><boolean>1</boolean></value>\n");
        else LIT(w, "<value><boolean>0</boolean></value>\n");
        return 0;
    case ACAR_INT: {
        int64_t i;
        if (!acar_int_get(v, &i) || i > INT32_MAX || i < INT32_MIN)
            return wfail(w, ACAR_ERR_TYPE, "int exceeds XML-RPC limits");
        char buf[24];
        LIT(w, "<value><int>");
        acar__out_write(o, buf, acar_num_i64_to_dec(i, buf));
        LIT(w, "</int></value>\n");
        return 0;
    }
    case ACAR_FLOAT: {
        char buf[ACAR_NUM_FLOAT_REPR_MAX];
        LIT(w, "<value><double>");
        acar__out_write(o, buf, acar_num_float_repr(acar_float(v), buf));
        LIT(w, "</double></value>\n");
        return 0;
    }
    case ACAR_STR:
        LIT(w, "<value><string>");
        if (write_str(w, v) < 0) return -1;
        LIT(w, "</string></value>\n");
        return 0;
    case ACAR_BYTES:
    case ACAR_BYTEARRAY: {
        size_t n;
        const char *s = acar_str(v, &n);
        LIT(w, "<value><base64>\n");
        acar__xml_b64_encode(o, (const uint8_t *)s, n, 57, "", 0);
        LIT(w, "</base64></value>\n");
        return 0;
    }
    case ACAR_DATETIME: {
        acar_datetime d;
        char buf[32];
        acar_datetime_get(v, &d);
        LIT(w, "<value><dateTime.iso8601>");
        acar__out_write(o, buf, acar__xml_date_xmlrpc(&d, buf));
        LIT(w, "</dateTime.iso8601></value>\n");
        return 0;
    }
    case ACAR_LIST:
    case ACAR_TUPLE:
    case ACAR_DICT: {
        bool dict = acar_typeof(v) == ACAR_DICT;
        int a = acar__xml_active_add(&w->active, v);
        if (a < 0) return acar__err_set(w->err, ACAR_ERR_NOMEM, 0, "out of memory"), -1;
        if (a == 0)
            return wfail(w, ACAR_ERR_TYPE, dict ? "cannot marshal recursive dictionaries"
                                                : "cannot marshal recursive sequences");
        if (w->top >= w->max_depth) {
            char m[64];
            snprintf(m, sizeof m, "nesting deeper than %zu (max_depth)", w->max_depth);
            return wfail(w, ACAR_ERR_LIMIT, m);
        }
        if (w->top == w->cap) {
            size_t nc = w->cap ? w->cap * 2 : 32;
            wframe *ns = realloc(w->st, nc * sizeof *ns);
            if (!ns) return acar__err_set(w->err, ACAR_ERR_NOMEM, 0, "out of memory"), -1;
            w->st = ns;
            w->cap = nc;
        }
        wframe *f = &w->st[w->top++];
        f->v = v;
        f->i = 0;
        f->n = acar_len(v);
        f->items = dict ? ((const acar_map *)v->u.p)->items : v->u.items;
        if (dict) LIT(w, "<value><struct>\n");
        else LIT(w, "<value><array><data>\n");
        return 0;
    }
    default: {
        acar_datetime d;
        if (acar__xml_object_datetime(v, &d)) {  /* aware: tzinfo ignored, as dumps does */
            char buf[32];
            LIT(w, "<value><dateTime.iso8601>");
            acar__out_write(o, buf, acar__xml_date_xmlrpc(&d, buf));
            LIT(w, "</dateTime.iso8601></value>\n");
            return 0;
        }
        char cls[160], m[200];
        acar__xml_class_name(v, cls, sizeof cls);
        snprintf(m, sizeof m, "cannot marshal %s objects", cls);
        return wfail(w, ACAR_ERR_TYPE, m);
    }
    }
}

/* One value and everything inside it, without recursion. */
static int dump(writer *w, const acar_val *v) {
    if (emit(w, v) < 0) return -1;
    /* a failed output (memory, max_output) ends the walk: shared nodes can
     * stand for an exponentially long document */
    while (w->top && !w->o->failed) {
        wframe *f = &w->st[w->top - 1];
        bool dict = acar_typeof(f->v) == ACAR_DICT;
        if (dict && f->i) LIT(w, "</member>\n");
        if (f->i == f->n) {
            if (dict) LIT(w, "</struct></value>\n");
            else LIT(w, "</data></array></value>\n");
            acar__xml_active_del(&w->active, f->v);
            w->top--;
            continue;
        }
        size_t i = f->i++;
        if (dict) {
            const acar_val *key = f->items[2 * i];
            LIT(w, "<member>\n");
            if (acar_typeof(key) != ACAR_STR) return wfail(w, ACAR_ERR_TYPE, "dictionary key must be string");
            LIT(w, "<name>");
            if (write_str(w, key) < 0) return -1;
            LIT(w, "</name>\n");
            if (emit(w, f->items[2 * i + 1]) < 0) return -1;
        } else {
            if (emit(w, f->items[i]) < 0) return -1;
        }
    }
    return 0;
}

/* The method name goes out as it is (dumps does not escape it): refuse
 * what would make the document unreadable. */
static int check_method(const char *m, acar_err *err) {
    size_t n = strlen(m);
    bool bad, ascii;
    size_t at = acar__utf8_check(m, n, &bad, &ascii);
    if (bad) {
        acar__err_set(err, ACAR_ERR_ARG, 0, "method name is not valid UTF-8 (byte %zu)", at);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)m[i];
        bool ctl = c < 0x20 && c != '\t' && c != '\n' && c != '\r';
        if (c == '<' || c == '&' || ctl || (c == '>' && i >= 2 && m[i - 1] == ']' && m[i - 2] == ']') ||
            (c == 0xED && (unsigned char)m[i + 1] >= 0xA0) ||
            (c == 0xEF && (unsigned char)m[i + 1] == 0xBF && (unsigned char)m[i + 2] >= 0xBE)) {
            acar__err_set(err, ACAR_ERR_ARG, 0,
                          "method name has a character at byte %zu that would make the XML unreadable "
                          "(xmlrpc.client writes it unescaped)", i);
            return -1;
        }
    }
    return 0;
}

int acar__xmlrpc_write(const acar_val *v, const acar_write_opts *opts, acar_out *out, acar_err *err) {
    writer w;
    memset(&w, 0, sizeof w);
    w.o = out;
    w.err = err;
    w.flags = opts->flags;
    w.max_depth = opts->max_depth ? opts->max_depth : ACAR_DEFAULT_MAX_DEPTH;
    bool fault = (opts->flags & ACAR_WRITE_FAULT) != 0;
    bool response = fault || (opts->flags & ACAR_WRITE_RESPONSE);
    const char *method = opts->method && opts->method[0] ? opts->method : NULL;
    const acar_val *code = NULL, *msg = NULL;
    if (fault) {
        if (acar_typeof(v) != ACAR_DICT ||
            !(code = acar_dict_get_str(v, "faultCode", 9)) ||
            !(msg = acar_dict_get_str(v, "faultString", 11))) {
            acar__err_set(err, ACAR_ERR_ARG, 0, "a fault is a dict with faultCode and faultString");
            return -1;
        }
    } else {
        if (acar_typeof(v) != ACAR_TUPLE) {
            acar__err_set(err, ACAR_ERR_ARG, 0, "argument must be tuple or Fault instance (the params tuple)");
            return -1;
        }
        if (response && acar_len(v) != 1) {
            acar__err_set(err, ACAR_ERR_ARG, 0, "response tuple must be a singleton");
            return -1;
        }
    }
    if (method && check_method(method, err) < 0) return -1;

    int rc = 0;
    if (method) {
        LIT(&w, "<?xml version='1.0'?>\n<methodCall>\n<methodName>");
        acar__out_str(out, method);
        LIT(&w, "</methodName>\n");
    } else if (response) {
        LIT(&w, "<?xml version='1.0'?>\n<methodResponse>\n");
    }
    if (fault) {
        LIT(&w, "<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n");
        w.where = "faultCode";
        rc = dump(&w, code);
        if (rc == 0) {
            LIT(&w, "</member>\n<member>\n<name>faultString</name>\n");
            w.where = "faultString";
            rc = dump(&w, msg);
        }
        if (rc == 0) LIT(&w, "</member>\n</struct></value>\n</fault>\n");
    } else {
        LIT(&w, "<params>\n");
        w.where = "params[%zu]";
        for (size_t i = 0; rc == 0 && i < acar_len(v); i++) {
            w.where_i = i;
            LIT(&w, "<param>\n");
            rc = dump(&w, acar_item(v, i));
            LIT(&w, "</param>\n");
        }
        LIT(&w, "</params>\n");
    }
    if (rc == 0) {
        if (method) LIT(&w, "</methodCall>\n");
        else if (response) LIT(&w, "</methodResponse>\n");
    }
    free(w.st);
    acar__xml_active_free(&w.active);
    return rc;
}
