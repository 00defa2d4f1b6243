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
 * Each element is looked up once, at its start: the end handler takes the
 * code from the tag stack.  The first byte picks the one or two names to
 * compare (a chain of strcmp calls once took a fifth of a read). */
static int tag_word(const char *n) {
    switch (n[0]) {
    case 'a': return XML_NAME_IS(n, "array") ? T_ARRAY : T_OTHER;
    case 'b':
        if (XML_NAME_IS(n, "boolean")) return T_BOOLEAN;
        if (XML_NAME_IS(n, "base64")) return T_BASE64;
        if (XML_NAME_IS(n, "biginteger")) return T_INT;
        return XML_NAME_IS(n, "bigdecimal") ? T_BIGDECIMAL : T_OTHER;
    case 'd':
        if (XML_NAME_IS(n, "double")) return T_DOUBLE;
        return XML_NAME_IS(n, "dateTime.iso8601") ? T_DATETIME : T_OTHER;
    case 'f':
        if (XML_NAME_IS(n, "float")) return T_DOUBLE;
        return XML_NAME_IS(n, "fault") ? T_FAULT : T_OTHER;
    case 'i':
        if ((n[1] == '4' || n[1] == '8' || n[1] == '1' || n[1] == '2') && n[2] == 0) return T_INT;
        return XML_NAME_IS(n, "int") ? T_INT : T_OTHER;
    case 'm': return XML_NAME_IS(n, "methodName") ? T_METHODNAME : T_OTHER;
    case 'n':
        if (XML_NAME_IS(n, "name")) return T_STRING;
        return XML_NAME_IS(n, "nil") ? T_NIL : T_OTHER;
    case 'p': return XML_NAME_IS(n, "params") ? T_PARAMS : T_OTHER;
    case 's':
        if (XML_NAME_IS(n, "string")) return T_STRING;
        return XML_NAME_IS(n, "struct") ? T_STRUCT : T_OTHER;
    case 'v': return XML_NAME_IS(n, "value") ? T_VALUE : T_OTHER;
    }
    return T_OTHER;
}

/* Tags whose end takes the text.  <value> takes it too, but only when no
 * other start tag came after it (r->value). */
static bool takes_text(int t) {
    return t == T_BOOLEAN || t == T_INT || t == T_DOUBLE || t == T_BIGDECIMAL || t == T_STRING ||
           t == T_BASE64 || t == T_DATETIME || t == T_METHODNAME;
}

static int tag_of(const char *name) {
    int t = tag_word(name);
    if (t != T_OTHER) return t;
    const char *c = strrchr(name, ':');
    return c ? tag_word(c + 1) : T_OTHER;
}

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

static int push(acar_xml *x, rpc *r, acar_val *v) {
    if (!v) return x->failed ? -1 : acar__xml_fail_doc(x);
    if (r->sn == r->scap &&
        acar__xml_reserve(x, (void **)&r->stk, &r->scap, r->sn, 1, sizeof *r->stk) < 0)
        return -1;
    r->stk[r->sn++] = v;
    return 0;
}

static void XMLCALL rpc_start(void *ud, const XML_Char *name, const XML_Char **atts) {
    acar_xml *x = ud;
    rpc *r = x->ud;
    (void)atts;
    if (x->failed) return;
    int t = tag_of(name);
    if (acar__xml_push_tag(x, t) < 0) return;
    if (t == T_ARRAY || t == T_STRUCT) {
        if (r->mn >= x->doc->limits.max_depth) {
            acar__xml_fail(x, ACAR_ERR_LIMIT, "nesting deeper than %zu (max_depth)",
                           x->doc->limits.max_depth);
            return;
        }
        if (r->mn == r->mcap &&
            acar__xml_reserve(x, (void **)&r->marks, &r->mcap, r->mn, 1, sizeof *r->marks) < 0)
            return;
        r->marks[r->mn++] = r->sn;
    }
    x->tlen = 0;
    if (r->value && t == T_OTHER) {
        const char *c = strrchr(name, ':');
        acar__xml_fail(x, ACAR_ERR_MALFORMED, "unknown tag '%.60s'", c ? c + 1 : name);
        return;
    }
    if (r->value) x->live--;  /* a bare <value>'s text ends here */
    if (takes_text(t) || t == T_VALUE) x->live++;
    r->value = t == T_VALUE;
}

static int rpc_end_tag(acar_xml *x, rpc *r, int t) {
    acar_doc *doc = x->doc;
    const char *s = x->text;
    size_t n = x->tlen;
    switch (t) {
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
        return push(x, r, acar__xml_text_str(x));
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
        return push(x, r, acar__xml_text_str(x));
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

static void XMLCALL rpc_end(void *ud, const XML_Char *name) {
    acar_xml *x = ud;
    rpc *r = x->ud;
    (void)name;
    if (x->failed) return;
    int t = acar__xml_pop_tag(x);
    if (takes_text(t) || (t == T_VALUE && r->value)) x->live--;
    rpc_end_tag(x, r, t);
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

typedef acar_xml_writer writer;

#define LIT(w, s) acar__xml_put((w)->o, s, sizeof(s) - 1)

static int write_str(writer *w, const acar_val *v) {
    size_t n;
    const char *s = v->u.s;
    n = ACAR_LEN(v);
    const char *why;
    size_t at;
    if (acar__xml_escape(w->o, s, n, false, &why, &at) < 0)
        return acar__xml_wfail(w, ACAR_ERR_TYPE, "string holds %s at byte %zu, which XML cannot carry",
                               why, at);
    return 0;
}

/* Writes a scalar, or opens a container (pushes a frame). */
static int emit(writer *w, const acar_val *v) {
    acar_out *o = w->o;
    switch (ACAR_TYPE(v)) {
    case ACAR_NONE:
        if (!(w->flags & ACAR_WRITE_ALLOW_NONE))
            return acar__xml_wfail(w, ACAR_ERR_TYPE,
                                   "cannot marshal None unless allow_none is enabled");
        LIT(w, "<value><nil/></value>");
        return 0;
    case ACAR_BOOL:
        if (acar_bool(v)) LIT(w, "<value><boolean>1</boolean></value>\n");
        else LIT(w, "<value><boolean>0</boolean></value>\n");
        return 0;
    case ACAR_INT: {
        int64_t i;
        if (!acar_int_get(v, &i) || i > INT32_MAX || i < INT32_MIN)
            return acar__xml_wfail(w, ACAR_ERR_TYPE, "int exceeds XML-RPC limits");
        char buf[24];
        LIT(w, "<value><int>");
        acar__xml_put(o, buf, acar_num_i64_to_dec(i, buf));
        LIT(w, "</int></value>\n");
        return 0;
    }
    case ACAR_FLOAT: {
        char buf[ACAR_NUM_FLOAT_REPR_MAX];
        LIT(w, "<value><double>");
        acar__xml_put(o, buf, acar_num_float_repr(acar_float(v), buf));
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
        const char *s = v->u.s;
        n = ACAR_LEN(v);
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
        acar__xml_put(o, buf, acar__xml_date_xmlrpc(&d, buf));
        LIT(w, "</dateTime.iso8601></value>\n");
        return 0;
    }
    case ACAR_LIST:
    case ACAR_TUPLE:
    case ACAR_DICT: {
        bool dict = ACAR_TYPE(v) == ACAR_DICT;
        if (!acar__xml_wpush(w, v, dict ? "cannot marshal recursive dictionaries"
                                        : "cannot marshal recursive sequences"))
            return -1;
        if (dict) LIT(w, "<value><struct>\n");
        else LIT(w, "<value><array><data>\n");
        return 0;
    }
    default: {
        acar_datetime d;
        if (acar__xml_object_datetime(v, &d)) {  /* aware: tzinfo ignored, as dumps does */
            char buf[32];
            LIT(w, "<value><dateTime.iso8601>");
            acar__xml_put(o, buf, acar__xml_date_xmlrpc(&d, buf));
            LIT(w, "</dateTime.iso8601></value>\n");
            return 0;
        }
        char cls[160];
        acar__xml_class_name(v, cls, sizeof cls);
        return acar__xml_wfail(w, ACAR_ERR_TYPE, "cannot marshal %s objects", cls);
    }
    }
}

/* One value and everything inside it, without recursion. */
static int dump(writer *w, const acar_val *v) {
    if (emit(w, v) < 0) return -1;
    /* a failed output (memory, max_output) ends the walk: shared nodes can
     * stand for an exponentially long document */
    while (w->top && !w->o->failed) {
        acar_xml_frame *f = &w->st[w->top - 1];
        bool dict = ACAR_TYPE(f->v) == ACAR_DICT;
        if (dict && f->i) LIT(w, "</member>\n");
        if (f->i == f->n) {
            if (dict) LIT(w, "</struct></value>\n");
            else LIT(w, "</data></array></value>\n");
            acar__xml_wpop(w);
            continue;
        }
        size_t i = f->i++;
        if (dict) {
            const acar_val *key = f->items[i * f->stride];
            LIT(w, "<member>\n");
            if (ACAR_TYPE(key) != ACAR_STR)
                return acar__xml_wfail(w, ACAR_ERR_TYPE, "dictionary key must be string");
            LIT(w, "<name>");
            if (write_str(w, key) < 0) return -1;
            LIT(w, "</name>\n");
            if (emit(w, f->vals[i * f->stride]) < 0) return -1;
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
    acar__xml_wfree(&w);
    return rc;
}
