/*
 * code.c -- marshal code objects: the field layout of each Python version,
 * the checks a code object must pass, accessors, the builder and repr.
 *
 * On the wire a code object is 'c' and then its fields in its version's
 * order (the layouts below); counts, flags and firstlineno are raw int32,
 * every other field is a marshal value.  The node keeps all fields, in
 * that order, with the version, so the writer can give back the same bytes
 * and refuse another version's layout.
 */
#include "marshal/marshal.h"

#include <stdio.h>
#include <stdlib.h>

#define F(x) ACAR_CO_##x

static const acar_code_field layout27[] = {
    F(ARGCOUNT), F(NLOCALS), F(STACKSIZE), F(FLAGS), F(CODE), F(CONSTS), F(NAMES),
    F(VARNAMES), F(FREEVARS), F(CELLVARS), F(FILENAME), F(NAME), F(FIRSTLINENO), F(LNOTAB)};
static const acar_code_field layout36[] = {
    F(ARGCOUNT), F(KWONLYARGCOUNT), F(NLOCALS), F(STACKSIZE), F(FLAGS), F(CODE), F(CONSTS),
    F(NAMES), F(VARNAMES), F(FREEVARS), F(CELLVARS), F(FILENAME), F(NAME), F(FIRSTLINENO),
    F(LNOTAB)};
static const acar_code_field layout38[] = {
    F(ARGCOUNT), F(POSONLYARGCOUNT), F(KWONLYARGCOUNT), F(NLOCALS), F(STACKSIZE), F(FLAGS),
    F(CODE), F(CONSTS), F(NAMES), F(VARNAMES), F(FREEVARS), F(CELLVARS), F(FILENAME), F(NAME),
    F(FIRSTLINENO), F(LNOTAB)};
static const acar_code_field layout310[] = {
    F(ARGCOUNT), F(POSONLYARGCOUNT), F(KWONLYARGCOUNT), F(NLOCALS), F(STACKSIZE), F(FLAGS),
    F(CODE), F(CONSTS), F(NAMES), F(VARNAMES), F(FREEVARS), F(CELLVARS), F(FILENAME), F(NAME),
    F(FIRSTLINENO), F(LINETABLE)};
static const acar_code_field layout311[] = {
    F(ARGCOUNT), F(POSONLYARGCOUNT), F(KWONLYARGCOUNT), F(STACKSIZE), F(FLAGS), F(CODE),
    F(CONSTS), F(NAMES), F(LOCALSPLUSNAMES), F(LOCALSPLUSKINDS), F(FILENAME), F(NAME),
    F(QUALNAME), F(FIRSTLINENO), F(LINETABLE), F(EXCEPTIONTABLE)};

#define N(a) (sizeof a / sizeof *a)

size_t acar_code_layout(unsigned pyver, const acar_code_field **fields) {
    const acar_code_field *l = NULL;
    size_t n = 0;
    switch (pyver) {
    case ACAR_PYVER(2, 7): l = layout27; n = N(layout27); break;
    case ACAR_PYVER(3, 6): case ACAR_PYVER(3, 7): l = layout36; n = N(layout36); break;
    case ACAR_PYVER(3, 8): case ACAR_PYVER(3, 9): l = layout38; n = N(layout38); break;
    case ACAR_PYVER(3, 10): l = layout310; n = N(layout310); break;
    case ACAR_PYVER(3, 11): case ACAR_PYVER(3, 12): case ACAR_PYVER(3, 13):
        l = layout311; n = N(layout311); break;
    default: break;
    }
    if (fields) *fields = l;
    return n;
}

static const char *const field_names[ACAR_CO_FIELD_COUNT] = {
    "co_argcount", "co_posonlyargcount", "co_kwonlyargcount", "co_nlocals", "co_stacksize",
    "co_flags", "co_code", "co_consts", "co_names", "co_varnames", "co_freevars",
    "co_cellvars", "co_localsplusnames", "co_localspluskinds", "co_filename", "co_name",
    "co_qualname", "co_firstlineno", "co_lnotab", "co_linetable", "co_exceptiontable"};

const char *acar_code_field_name(acar_code_field f) {
    return (unsigned)f < ACAR_CO_FIELD_COUNT ? field_names[f] : NULL;
}

const char *acar__pyver_str(unsigned pyver, char *buf) {
    snprintf(buf, 16, "Python %u.%u", (pyver >> 8) & 0xffu, pyver & 0xffu);
    return buf;
}

unsigned acar_code_version(const acar_val *v) {
    if (!v || ACAR_TYPE(v) != ACAR_CODE) return 0;
    return ((const acar_code_body *)v->u.p)->pyver;
}

acar_val *acar_code_get(const acar_val *v, acar_code_field f) {
    if (!v || ACAR_TYPE(v) != ACAR_CODE) return NULL;
    const acar_code_body *b = v->u.p;
    const acar_code_field *l;
    size_t n = acar_code_layout(b->pyver, &l);
    for (size_t i = 0; i < n && i < b->nfields; i++)
        if (l[i] == f) return b->f[i];
    return NULL;
}

int acar_pyc_header_of(const acar_val *code, acar_pyc_header *out) {
    if (!code || ACAR_TYPE(code) != ACAR_CODE) return -1;
    const acar_code_body *b = code->u.p;
    if (!b->pyc) return -1;
    if (out) *out = *b->pyc;
    return 0;
}

/* ---- checks ---- */

static bool is_int32(const acar_val *v) {
    return ACAR_TYPE(v) == ACAR_INT && !(ACAR_FLAGS(v) & ACAR_F_BIG) && v->u.i >= INT32_MIN &&
           v->u.i <= INT32_MAX;
}

int acar__code_check(const acar_code_body *b, char *msg, size_t cap) {
    const acar_code_field *l;
    size_t n = acar_code_layout(b->pyver, &l);
    bool py2 = b->pyver < ACAR_PYVER(3, 0);
    acar_type text = py2 ? ACAR_BYTES : ACAR_STR;
    const acar_val *lpnames = NULL, *lpkinds = NULL;
    if (n == 0 || n != b->nfields) {
        snprintf(msg, cap, "code object of an unsupported layout");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const acar_val *v = b->f[i];
        acar_type want;
        bool names = false;
        switch (l[i]) {
        case F(CODE): case F(LNOTAB): case F(LINETABLE): case F(EXCEPTIONTABLE):
        case F(LOCALSPLUSKINDS):
            want = ACAR_BYTES;
            break;
        case F(CONSTS): want = ACAR_TUPLE; break;
        case F(NAMES): case F(VARNAMES): case F(FREEVARS): case F(CELLVARS):
        case F(LOCALSPLUSNAMES):
            want = ACAR_TUPLE;
            names = true;
            break;
        case F(FILENAME): case F(NAME): case F(QUALNAME): want = text; break;
        default:
            if (!v || !is_int32(v)) {
                snprintf(msg, cap, "code object field %s must be an int32", field_names[l[i]]);
                return -1;
            }
            continue;
        }
        if (!v || ACAR_TYPE(v) != want) {
            snprintf(msg, cap, "code object field %s must be %s, not %s", field_names[l[i]],
                     acar_type_name(want), v ? acar_type_name(ACAR_TYPE(v)) : "NULL");
            return -1;
        }
        if (names) {
            for (size_t k = 0; k < ACAR_LEN(v); k++)
                if (ACAR_TYPE(v->u.items[k]) != text) {
                    snprintf(msg, cap, "code object field %s holds %s, not %s", field_names[l[i]],
                             acar_type_name(ACAR_TYPE(v->u.items[k])), acar_type_name(text));
                    return -1;
                }
        }
        if (l[i] == F(LOCALSPLUSNAMES)) lpnames = v;
        if (l[i] == F(LOCALSPLUSKINDS)) lpkinds = v;
    }
    if (lpnames && lpkinds && ACAR_LEN(lpnames) != ACAR_LEN(lpkinds)) {
        snprintf(msg, cap, "code object has %zu co_localsplusnames but %zu co_localspluskinds",
                 ACAR_LEN(lpnames), ACAR_LEN(lpkinds));
        return -1;
    }
    return 0;
}

acar_val *acar_new_code(acar_doc *doc, unsigned pyver, acar_val *const *fields, size_t n) {
    if (!doc) return NULL;
    char ver[16];
    size_t want = acar_code_layout(pyver, NULL);
    if (want == 0)
        return acar__doc_fail(doc, ACAR_ERR_ARG, "acar has no code object layout for %s",
                              acar__pyver_str(pyver, ver));
    if (n != want)
        return acar__doc_fail(doc, ACAR_ERR_ARG, "code objects of %s have %zu fields, not %zu",
                              acar__pyver_str(pyver, ver), want, n);
    for (size_t i = 0; i < n; i++)
        if (!fields || !fields[i]) return acar__doc_fail(doc, ACAR_ERR_ARG, "code object field is NULL");
    acar_code_body *b = acar__alloc(doc, sizeof *b + n * sizeof(acar_val *));
    if (!b) return NULL;
    b->pyver = (uint16_t)pyver;
    b->nfields = (uint16_t)n;
    b->pyc = NULL;
    memcpy(b->f, fields, n * sizeof *fields);
    char msg[ACAR_ERR_MSG_MAX];
    if (acar__code_check(b, msg, sizeof msg) < 0) return acar__doc_fail(doc, ACAR_ERR_TYPE, "%s", msg);
    acar_val *v = acar__node(doc, ACAR_TAG(ACAR_CODE, 0, n));
    if (!v) return NULL;
    for (size_t i = 0; i < n; i++) acar__stored(fields[i]);
    v->u.p = b;
    return v;
}

/* ---- repr ---- */

/* Python prints <code object f at 0x7f..., file "x.py", line 1>; an
 * address means nothing outside one process, so acar leaves it out.
 * Python 2 cuts the name at 100 bytes and the file name at 300. */
int acar__code_repr(const acar_val *v, acar_out *out) {
    const acar_code_body *b = v->u.p;
    bool py2 = b->pyver < ACAR_PYVER(3, 0);
    const acar_val *name = acar_code_get(v, ACAR_CO_NAME);
    const acar_val *file = acar_code_get(v, ACAR_CO_FILENAME);
    const acar_val *line = acar_code_get(v, ACAR_CO_FIRSTLINENO);
    acar__out_str(out, "<code object ");
    if (name && (ACAR_TYPE(name) == ACAR_STR || ACAR_TYPE(name) == ACAR_BYTES)) {
        size_t n = ACAR_LEN(name);
        acar__out_write(out, name->u.s, py2 && n > 100 ? 100 : n);
    } else {
        acar__out_str(out, "???");
    }
    acar__out_str(out, ", file ");
    if (file && (ACAR_TYPE(file) == ACAR_STR || ACAR_TYPE(file) == ACAR_BYTES)) {
        size_t n = ACAR_LEN(file);
        acar__out_byte(out, '"');
        acar__out_write(out, file->u.s, py2 && n > 300 ? 300 : n);
        acar__out_byte(out, '"');
    } else {
        acar__out_str(out, "???");
    }
    char buf[32];
    snprintf(buf, sizeof buf, ", line %lld>",
             line && ACAR_TYPE(line) == ACAR_INT && !(ACAR_FLAGS(line) & ACAR_F_BIG)
                 ? (long long)line->u.i : 0LL);
    acar__out_str(out, buf);
    return out->failed ? -1 : 0;
}

/* ---- the tree `acar show` prints for a .pyc (docs/pyc.md) ---- */

/* Bytes fields longer than this print their first SHOW_BYTES bytes. */
#define SHOW_BYTES 48

static void put_repr(acar_out *out, const acar_val *v, acar_err *err) {
    if (ACAR_TYPE(v) == ACAR_CODE) {
        acar__code_repr(v, out);
        return;
    }
    acar_write_opts wo = {0};
    acar_err e;
    (void)err;
    memset(&e, 0, sizeof e);
    if (acar__repr_write(v, &wo, out, &e) < 0) {
        /* out of memory fails the whole show (sticky), never a placeholder */
        if (e.code == ACAR_ERR_NOMEM) out->failed = true;
        else acar__out_str(out, "<?>");
    }
}

static void put_field(acar_out *out, const acar_val *v, acar_err *err) {
    acar_type t = ACAR_TYPE(v);
    size_t n = ACAR_LEN(v);
    if (t == ACAR_BYTES && n > SHOW_BYTES) {
        acar_val cut = *v;
        acar__set_len(&cut, SHOW_BYTES);
        put_repr(out, &cut, err);
        char buf[48];
        snprintf(buf, sizeof buf, "... (%zu bytes)", n);
        acar__out_str(out, buf);
        return;
    }
    if (t == ACAR_TUPLE) {
        /* co_consts holds code objects, which the printer shows as repr */
        acar__out_byte(out, '(');
        for (size_t i = 0; i < n; i++) {
            if (i) acar__out_str(out, ", ");
            put_repr(out, v->u.items[i], err);
        }
        acar__out_str(out, n == 1 ? ",)" : ")");
        return;
    }
    put_repr(out, v, err);
}

static void indent(acar_out *out, size_t depth) {
    for (size_t i = 0; i < depth; i++) acar__out_str(out, "  ");
}

int acar_code_show(const acar_val *code, acar_buf *buf, acar_err *err) {
    acar__err_clear(err);
    if (!code || !buf || ACAR_TYPE(code) != ACAR_CODE) {
        acar__err_set(err, ACAR_ERR_ARG, 0, "acar_code_show needs a code object and a buffer");
        return -1;
    }
    acar_out o = {.buf = buf};
    acar_out *out = &o;
    const acar_code_body *b = code->u.p;
    char line[160], ver[16];
    if (b->pyc) {
        const acar_pyc_header *h = b->pyc;
        snprintf(line, sizeof line, "# %s .pyc, magic %u, ", acar__pyver_str(h->pyver, ver), h->magic);
        acar__out_str(out, line);
        if (h->flags & ACAR_PYC_HASH_BASED) {
            snprintf(line, sizeof line, "%s hash-based, source hash %02x%02x%02x%02x%02x%02x%02x%02x\n",
                     (h->flags & ACAR_PYC_CHECK_SOURCE) ? "checked" : "unchecked", h->hash[0], h->hash[1],
                     h->hash[2], h->hash[3], h->hash[4], h->hash[5], h->hash[6], h->hash[7]);
        } else if (h->size >= 12) {
            snprintf(line, sizeof line, "source mtime %u, source size %u\n", (unsigned)h->mtime,
                     (unsigned)h->source_size);
        } else {
            snprintf(line, sizeof line, "source mtime %u\n", (unsigned)h->mtime);
        }
        acar__out_str(out, line);
    }
    /* Depth-first over the code objects in co_consts, on an explicit stack:
     * each entry is a code node and its depth. */
    size_t cap = 16, top = 0;
    struct ent { const acar_val *v; size_t depth; } *st = malloc(cap * sizeof *st);
    if (!st) {
        acar__err_set(err, ACAR_ERR_NOMEM, 0, "out of memory");
        return -1;
    }
    /* A code object met again (REF) is shown once: sharing could make the
     * tree exponential.  seen: open addressing of node pointers. */
    size_t scap = 64, sn = 0;
    const acar_val **seen = calloc(scap, sizeof *seen);
    if (!seen) {
        free(st);
        acar__err_set(err, ACAR_ERR_NOMEM, 0, "out of memory");
        return -1;
    }
    st[top++] = (struct ent){code, 0};
    while (top && !out->failed) {
        struct ent e = st[--top];
        const acar_code_body *cb = e.v->u.p;
        const acar_code_field *l;
        size_t nf = acar_code_layout(cb->pyver, &l);
        indent(out, e.depth);
        acar__code_repr(e.v, out);
        size_t h = ((uintptr_t)e.v >> 4) & (scap - 1);
        while (seen[h] && seen[h] != e.v) h = (h + 1) & (scap - 1);
        if (seen[h]) {
            acar__out_str(out, " (shown above)\n");
            continue;
        }
        seen[h] = e.v;
        if (++sn * 2 > scap) {
            const acar_val **ns = calloc(2 * scap, sizeof *ns);
            if (!ns) {
                out->failed = true;
                break;
            }
            for (size_t i = 0; i < scap; i++) {
                if (!seen[i]) continue;
                size_t k = ((uintptr_t)seen[i] >> 4) & (2 * scap - 1);
                while (ns[k]) k = (k + 1) & (2 * scap - 1);
                ns[k] = seen[i];
            }
            free(seen);
            seen = ns;
            scap *= 2;
        }
        acar__out_byte(out, '\n');
        for (size_t i = 0; i < nf && i < cb->nfields; i++) {
            indent(out, e.depth + 1);
            snprintf(line, sizeof line, "%-19s ", field_names[l[i]]);
            acar__out_str(out, line);
            put_field(out, cb->f[i], err);
            acar__out_byte(out, '\n');
        }
        const acar_val *consts = acar_code_get(e.v, ACAR_CO_CONSTS);
        size_t n = consts ? ACAR_LEN(consts) : 0;
        /* pushed last first, so they print in order */
        for (size_t i = n; i-- > 0;) {
            const acar_val *c = consts->u.items[i];
            if (ACAR_TYPE(c) != ACAR_CODE) continue;
            if (top == cap) {
                void *q = realloc(st, 2 * cap * sizeof *st);
                if (!q) {
                    out->failed = true;
                    break;
                }
                st = q;
                cap *= 2;
            }
            st[top++] = (struct ent){c, e.depth + 1};
        }
    }
    free(st);
    free(seen);
    if (out->failed) {
        acar__err_set(err, ACAR_ERR_NOMEM, 0, "out of memory printing a code object");
        return -1;
    }
    return 0;
}
