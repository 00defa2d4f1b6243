/*
 * scan.c -- would loading this with Python's pickle run anything?
 *
 * The scanner runs the pickle reader itself (read.c) with a hook: every
 * opcode that makes CPython import (GLOBAL, STACK_GLOBAL, INST, EXT) or
 * call (REDUCE, NEWOBJ, NEWOBJ_EX, INST, OBJ, BUILD's __setstate__) is an
 * event, with the nodes involved.  Because the reader accepts exactly what
 * CPython's _pickle.c accepts, memo tricks, STACK_GLOBAL operands built
 * from the memo and FRAME games resolve as they do in CPython: there is no
 * second, simpler machine to disagree with it.  The reader runs with
 * ACAR_READ_RAW_GLOBALS, so builtins.set, _codecs.encode, getattr ... stay
 * the calls they are.
 *
 * Each global is classified by the table (globals_table.c).  An import is
 * already an event: find_class imports the module, which runs its code.
 * Calls are reported with the name of what is called; getattr(G, 'attr')
 * with G a global and 'attr' a constant is how CPython 3 pickles nested
 * names below protocol 4, so it counts as naming the global G.attr (and
 * getattr itself counts as safe when used only that way).  A call of a
 * pickle.loads-like function on constant bytes scans those bytes too.
 *
 * CPython runs REDUCE while loading, so a pickle that breaks after a
 * dangerous call has made it: events up to the break are kept, and the
 * break is reported.  Where the reader stops for a reason CPython would
 * not (a limit, something acar does not model), the report is
 * "incomplete", which is never safe.
 *
 * Containers: several pickles one after another (torch's legacy format,
 * joblib); NumPy .npy with an object dtype (the pickle after the header);
 * zip archives (PyTorch .pt/.pth/.bin: every *.pkl member; .npz: every
 * .npy member); joblib files (array data written inline after each
 * NumpyArrayWrapper's BUILD is stepped over; object arrays are a pickle
 * there, scanned).
 */
#include "safety/scan.h"

#include <stdio.h>
#include <stdlib.h>

#define MAX_FINDINGS 4096      /* distinct findings kept per report */
#define MAX_NAME 4096          /* bytes of a resolved dotted name */
#define DEFAULT_MAX_NESTED 8
#define BLOCK 65536

/* ====================================================================
 * The report: findings and the strings they point to (one string arena)
 * ================================================================== */

typedef struct sblock {
    struct sblock *next;
    size_t used, cap;
    char data[];
} sblock;

typedef struct spriv {
    sblock *blocks;
    uint32_t *index;       /* dedupe: finding index + 1, open addressing */
    size_t index_cap;
    size_t cap;            /* room in report->findings */
    size_t dropped;        /* findings past MAX_FINDINGS */
} spriv;

typedef struct scanner {
    const acar_scan_opts *opts;
    acar_scan_report *rep;
    spriv *pv;
    bool oom;
    size_t depth;          /* nested pickles being scanned */
    size_t max_nested;
    size_t nested_budget;  /* bytes of nested pickles still to scan: the same
                            * memoized bytes passed to pickle.loads 10,000
                            * times must not cost 10,000 scans */
} scanner;

static char *intern(scanner *sc, const char *s, size_t n) {
    spriv *pv = sc->pv;
    sblock *b = pv->blocks;
    if (!b || b->cap - b->used < n + 1) {
        size_t cap = n + 1 > BLOCK ? n + 1 : BLOCK;
        b = malloc(sizeof *b + cap);
        if (!b) {
            sc->oom = true;
            return NULL;
        }
        b->next = pv->blocks;
        b->used = 0;
        b->cap = cap;
        pv->blocks = b;
    }
    char *o = b->data + b->used;
    if (n) memcpy(o, s, n);
    o[n] = '\0';
    b->used += n + 1;
    return o;
}

static char *intern_z(scanner *sc, const char *s) { return intern(sc, s, strlen(s)); }

static uint64_t fnv(uint64_t h, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 0x100000001b3ull;
    return (h ^ 0xff) * 0x100000001b3ull;
}

static uint64_t finding_hash(const acar_scan_finding *f) {
    uint64_t h = 0xcbf29ce484222325ull ^ (uint64_t)f->kind;
    h = fnv(h, f->module, f->module_len);
    h = fnv(h, f->name, f->name_len);
    h = fnv(h, f->where, strlen(f->where));
    return h ^ (uint64_t)f->code;
}

static bool same_finding(const acar_scan_finding *a, const acar_scan_finding *b) {
    return a->kind == b->kind && a->code == b->code && a->module_len == b->module_len &&
           a->name_len == b->name_len && memcmp(a->module, b->module, a->module_len) == 0 &&
           memcmp(a->name, b->name, a->name_len) == 0 && strcmp(a->where, b->where) == 0;
}

static void raise_verdict(scanner *sc, acar_scan_severity s) {
    if (s > sc->rep->verdict) sc->rep->verdict = s;
}

/* Adds a finding (strings copied) unless the same kind, name and place is
 * there already: the first offset is kept.  Safe findings are kept only
 * with ACAR_SCAN_ALL_FINDINGS. */
static void add(scanner *sc, acar_scan_kind kind, acar_scan_severity sev, const char *module, size_t mlen,
                const char *name, size_t nlen, size_t offset, const char *where, const char *msg, int64_t code) {
    raise_verdict(sc, sev);
    if (kind == ACAR_SCAN_MALFORMED) sc->rep->malformed = 1;
    if (kind == ACAR_SCAN_INCOMPLETE) sc->rep->incomplete = 1;
    if (sev == ACAR_SCAN_SAFE && kind != ACAR_SCAN_MALFORMED && kind != ACAR_SCAN_NOTE &&
        !(sc->opts->flags & ACAR_SCAN_ALL_FINDINGS))
        return;
    if (sc->oom) return;
    spriv *pv = sc->pv;
    acar_scan_report *rep = sc->rep;
    acar_scan_finding f;
    memset(&f, 0, sizeof f);
    f.kind = kind;
    f.severity = sev;
    f.offset = offset;
    f.code = code;
    f.module_len = mlen;
    f.name_len = nlen;
    /* Look up before copying: the strings are compared as given. */
    char mbuf[256], nbuf[256];
    bool small = mlen < sizeof mbuf && nlen < sizeof nbuf;
    if (small) {
        memcpy(mbuf, module, mlen);
        mbuf[mlen] = '\0';
        memcpy(nbuf, name, nlen);
        nbuf[nlen] = '\0';
        f.module = mbuf;
        f.name = nbuf;
        f.where = where;
    } else {
        f.module = intern(sc, module, mlen);
        f.name = intern(sc, name, nlen);
        f.where = where;
        if (!f.module || !f.name) return;
    }
    uint64_t h = finding_hash(&f);
    if (pv->index_cap) {
        size_t mask = pv->index_cap - 1;
        for (size_t s = (size_t)h & mask; pv->index[s]; s = (s + 1) & mask) {
            acar_scan_finding *o = &rep->findings[pv->index[s] - 1];
            if (same_finding(o, &f)) {
                if (sev > o->severity) o->severity = sev;
                return;
            }
        }
    }
    if (rep->nfindings >= MAX_FINDINGS && kind != ACAR_SCAN_NOTE) {
        pv->dropped++;
        return;
    }
    if (small) {
        f.module = intern(sc, mbuf, mlen);
        f.name = intern(sc, nbuf, nlen);
        if (!f.module || !f.name) return;
    }
    f.message = intern_z(sc, msg ? msg : "");
    if (!f.message) return;
    if (rep->nfindings == pv->cap) {
        size_t cap = pv->cap ? pv->cap * 2 : 16;
        acar_scan_finding *nf = realloc(rep->findings, cap * sizeof *nf);
        if (!nf) {
            sc->oom = true;
            return;
        }
        rep->findings = nf;
        pv->cap = cap;
    }
    if ((rep->nfindings + 1) * 2 > pv->index_cap) {
        size_t cap = pv->index_cap ? pv->index_cap * 2 : 64;
        uint32_t *ni = calloc(cap, sizeof *ni);
        if (!ni) {
            sc->oom = true;
            return;
        }
        for (size_t i = 0; i < rep->nfindings; i++) {
            size_t s = (size_t)finding_hash(&rep->findings[i]) & (cap - 1);
            while (ni[s]) s = (s + 1) & (cap - 1);
            ni[s] = (uint32_t)(i + 1);
        }
        free(pv->index);
        pv->index = ni;
        pv->index_cap = cap;
    }
    rep->findings[rep->nfindings] = f;
    size_t s = (size_t)h & (pv->index_cap - 1);
    while (pv->index[s]) s = (s + 1) & (pv->index_cap - 1);
    pv->index[s] = (uint32_t)(rep->nfindings + 1);
    rep->nfindings++;
}

static void add_z(scanner *sc, acar_scan_kind kind, acar_scan_severity sev, const char *module, const char *name,
                  size_t offset, const char *where, const char *msg, int64_t code) {
    add(sc, kind, sev, module, strlen(module), name, strlen(name), offset, where, msg, code);
}

/* ====================================================================
 * Names
 * ================================================================== */

static bool str_eq(const acar_val *v, const char *s) {
    size_t n = strlen(s);
    return v && ACAR_TYPE(v) == ACAR_STR && ACAR_LEN(v) == n && memcmp(v->u.s, s, n) == 0;
}

static bool is_global(const acar_val *v, const char *m, const char *n) {
    if (!v || ACAR_TYPE(v) != ACAR_GLOBAL) return false;
    const acar_global_body *g = v->u.p;
    return str_eq(g->module, m) && str_eq(g->name, n);
}

static bool is_getattr(const acar_val *v) {
    return is_global(v, "builtins", "getattr") || is_global(v, "__builtin__", "getattr");
}

static bool is_partial(const acar_val *v) {
    return is_global(v, "functools", "partial") || is_global(v, "_functools", "partial");
}

/* A dotted name being put together. */
typedef struct name_buf {
    char module[MAX_NAME];
    char name[MAX_NAME];
    size_t mlen, nlen;
} name_buf;

/* What callable v names: a global, or getattr(...getattr(G, 'a')..., 'b')
 * chains of constant attribute names over a global G (G.a.b).  0 when
 * resolved. */
static int resolve(const acar_val *v, name_buf *nb) {
    const acar_val *attrs[64];
    size_t nattrs = 0;
    for (size_t hops = 0; v && ACAR_TYPE(v) == ACAR_OBJECT && acar_object_build(v) == ACAR_BUILD_REDUCE; hops++) {
        const acar_object_body *b = v->u.p;
        if (!b->args || ACAR_TYPE(b->args) != ACAR_TUPLE || hops == 1024) return -1;
        /* partial(f, ...)(...) calls f: the name is f's (attributes looked
         * up on a partial object are not followed) */
        if (is_partial(b->callable) && ACAR_LEN(b->args) >= 1 && nattrs == 0) {
            v = b->args->u.items[0];
            continue;
        }
        if (!is_getattr(b->callable) || ACAR_LEN(b->args) != 2 || ACAR_TYPE(b->args->u.items[1]) != ACAR_STR ||
            nattrs == 64)
            return -1;
        attrs[nattrs++] = b->args->u.items[1];
        v = b->args->u.items[0];
    }
    if (!v || ACAR_TYPE(v) != ACAR_GLOBAL) return -1;
    const acar_global_body *g = v->u.p;
    size_t ml = ACAR_LEN(g->module), nl = ACAR_LEN(g->name);
    if (ml >= MAX_NAME || nl >= MAX_NAME) return -1;
    memcpy(nb->module, g->module->u.s, ml);
    nb->mlen = ml;
    memcpy(nb->name, g->name->u.s, nl);
    while (nattrs) {
        const acar_val *a = attrs[--nattrs];
        size_t al = ACAR_LEN(a);
        if (nl + 1 + al >= MAX_NAME) return -1;
        nb->name[nl++] = '.';
        memcpy(nb->name + nl, a->u.s, al);
        nl += al;
    }
    nb->nlen = nl;
    nb->module[ml] = '\0';
    nb->name[nl] = '\0';
    return 0;
}

/* The table's verdict, after the caller's --allow entries ("mod.name", or
 * "mod.*" for a module and its submodules). */
static acar_scan_severity classify(scanner *sc, const name_buf *nb, const char **why) {
    *why = NULL;
    for (size_t i = 0; i < sc->opts->nallow; i++) {
        const char *a = sc->opts->allow[i];
        size_t al = strlen(a);
        if (al >= 2 && a[al - 1] == '*' && a[al - 2] == '.') {
            size_t pl = al - 2; /* the module part, without ".*" */
            if (nb->mlen >= pl && memcmp(nb->module, a, pl) == 0 && (nb->mlen == pl || nb->module[pl] == '.'))
                return ACAR_SCAN_SAFE;
            continue;
        }
        if (al == nb->mlen + 1 + nb->nlen && memcmp(a, nb->module, nb->mlen) == 0 && a[nb->mlen] == '.' &&
            memcmp(a + nb->mlen + 1, nb->name, nb->nlen) == 0)
            return ACAR_SCAN_SAFE;
    }
    return acar__scan_classify(nb->module, nb->mlen, nb->name, nb->nlen, why);
}

/* ====================================================================
 * One pickle
 * ================================================================== */

/* The module name the scanner gives EXT codes (no registry is consulted). */
#define EXT_MODULE "<extension>"

typedef struct pscan {
    scanner *sc;
    const uint8_t *data;
    size_t len;
    size_t base;           /* added to every offset reported */
    const char *where;     /* interned */
    /* builtins.getattr: named at first_getattr; calls of it that only look
     * an attribute of a global up, and any other calls */
    size_t first_getattr;
    bool have_getattr;
    size_t getattr_benign, getattr_bad;
    char ext_name[24];
    /* global nodes already found safe: memoized globals come back for
     * every object (a list of 300,000 datetimes names datetime.datetime
     * 300,000 times), and the table lookup was a third of the scan */
    const acar_val *safe_seen[256];
} pscan;

static bool seen_safe(const pscan *ps, const acar_val *v) {
    return v && ps->safe_seen[((uintptr_t)v >> 4) & 255] == v && !(ps->sc->opts->flags & ACAR_SCAN_ALL_FINDINGS);
}

/* (partial is judged by what it binds, each time: never remembered) */
static void remember_safe(pscan *ps, const acar_val *v) {
    if (v && ACAR_TYPE(v) == ACAR_GLOBAL && !is_partial(v)) ps->safe_seen[((uintptr_t)v >> 4) & 255] = v;
}

static int scan_pickle(scanner *sc, const uint8_t *data, size_t len, size_t base, const char *where,
                       bool first, size_t *consumed, bool *broke);

/* The bytes a loads-like call gets: a bytes/bytearray constant, or the
 * calls CPython's pickler writes for bytes (_codecs.encode(str, 'latin1'),
 * bytes(list), bytearray(bytes)), possibly in io.BytesIO(...).  The bytes
 * go to *tmp when they must be made (malloc'd, caller frees).  -1: not
 * constant bytes; -2: out of memory. */
static int arg_bytes(const acar_val *v, const uint8_t **out, size_t *n, uint8_t **tmp) {
    for (int hops = 0; hops < 4 && v; hops++) {
        acar_type t = ACAR_TYPE(v);
        if (t == ACAR_BYTES || t == ACAR_BYTEARRAY) {
            *out = (const uint8_t *)v->u.s;
            *n = ACAR_LEN(v);
            return 0;
        }
        if (t == ACAR_BUFFER) {
            const acar_buffer_body *b = v->u.p;
            *out = b->data;
            *n = b->len;
            return 0;
        }
        if (t != ACAR_OBJECT) return -1;
        const acar_object_body *b = v->u.p;
        if (!b->args || ACAR_TYPE(b->args) != ACAR_TUPLE) return -1;
        size_t na = ACAR_LEN(b->args);
        acar_val *const *a = b->args->u.items;
        if ((is_global(b->callable, "io", "BytesIO") || is_global(b->callable, "_io", "BytesIO") ||
             is_global(b->callable, "builtins", "bytes") || is_global(b->callable, "builtins", "bytearray")) &&
            na >= 1 && ACAR_TYPE(a[0]) != ACAR_LIST && ACAR_TYPE(a[0]) != ACAR_STR) {
            v = a[0];
            continue;
        }
        if ((is_global(b->callable, "_codecs", "encode") || is_global(b->callable, "codecs", "encode") ||
             is_global(b->callable, "builtins", "bytearray")) &&
            na == 2 && ACAR_TYPE(a[0]) == ACAR_STR && (str_eq(a[1], "latin1") || str_eq(a[1], "latin-1"))) {
            /* UTF-8 of code points < 256 back to latin-1 */
            size_t len = ACAR_LEN(a[0]), k = 0;
            const uint8_t *s = (const uint8_t *)a[0]->u.s;
            uint8_t *o = malloc(len ? len : 1);
            if (!o) return -2;
            for (size_t i = 0; i < len; i++) {
                if (s[i] < 0x80) o[k++] = s[i];
                else if ((s[i] == 0xc2 || s[i] == 0xc3) && i + 1 < len) { o[k++] = (uint8_t)(((s[i] & 3) << 6) | (s[i + 1] & 0x3f)); i++; }
                else { free(o); return -1; }
            }
            *tmp = o;
            *out = o;
            *n = k;
            return 0;
        }
        if ((is_global(b->callable, "builtins", "bytes") || is_global(b->callable, "builtins", "bytearray")) &&
            na == 1 && ACAR_TYPE(a[0]) == ACAR_LIST) {
            size_t len = ACAR_LEN(a[0]);
            uint8_t *o = malloc(len ? len : 1);
            if (!o) return -2;
            for (size_t i = 0; i < len; i++) {
                const acar_val *x = a[0]->u.items[i];
                int64_t iv;
                if (ACAR_TYPE(x) != ACAR_INT || !acar_int_get(x, &iv) || iv < 0 || iv > 255) { free(o); return -1; }
                o[i] = (uint8_t)iv;
            }
            *tmp = o;
            *out = o;
            *n = len;
            return 0;
        }
        return -1;
    }
    return -1;
}

/* "outer > inner" for a nested place. */
static const char *nest_where(scanner *sc, const char *outer, const char *what, size_t offset) {
    char buf[160];
    snprintf(buf, sizeof buf, "%s at offset %zu", what, offset);
    if (!outer[0]) return intern_z(sc, buf);
    size_t ol = strlen(outer), bl = strlen(buf);
    char *s = malloc(ol + 3 + bl + 1);
    if (!s) {
        sc->oom = true;
        return NULL;
    }
    memcpy(s, outer, ol);
    memcpy(s + ol, " > ", 3);
    memcpy(s + ol + 3, buf, bl + 1);
    const char *r = intern_z(sc, s);
    free(s);
    return r;
}

static void scan_nested(pscan *ps, const acar_val *arg, size_t offset, const char *what) {
    scanner *sc = ps->sc;
    const uint8_t *bytes;
    size_t n;
    uint8_t *tmp = NULL;
    int got = arg_bytes(arg, &bytes, &n, &tmp);
    if (got == -2) {
        sc->oom = true;
        return;
    }
    if (got < 0) {
        add_z(sc, ACAR_SCAN_NESTED, ACAR_SCAN_UNKNOWN, "", "", offset, ps->where,
              "a pickle is loaded from data that is not a constant: not followed", 0);
        return;
    }
    if (sc->depth >= sc->max_nested) {
        add_z(sc, ACAR_SCAN_INCOMPLETE, ACAR_SCAN_UNKNOWN, "", "", offset, ps->where,
              "nested pickles deeper than the scanner follows", 0);
        free(tmp);
        return;
    }
    if (n > sc->nested_budget) {
        add_z(sc, ACAR_SCAN_INCOMPLETE, ACAR_SCAN_UNKNOWN, "", "", offset, ps->where,
              "more nested pickle data than the scanner follows", 0);
        free(tmp);
        return;
    }
    sc->nested_budget -= n;
    const char *where = nest_where(sc, ps->where, what, offset);
    if (where) {
        size_t consumed;
        bool broke;
        sc->depth++;
        scan_pickle(sc, bytes, n, 0, where, true, &consumed, &broke);
        sc->depth--;
    }
    free(tmp);
}

/* ---- joblib: the array data after a NumpyArrayWrapper's BUILD ---- */

static const acar_val *dict_str(const acar_val *d, const char *key) {
    if (!d || ACAR_TYPE(d) != ACAR_DICT) return NULL;
    return acar_dict_get_str(d, key, strlen(key));
}

/* Item size of a numpy.dtype object node, 0 for object dtypes, -1 unknown. */
static int64_t dtype_itemsize(const acar_val *dt) {
    if (!dt || ACAR_TYPE(dt) != ACAR_OBJECT) return -1;
    const acar_object_body *b = dt->u.p;
    if (!b->args || ACAR_TYPE(b->args) != ACAR_TUPLE || ACAR_LEN(b->args) < 1) return -1;
    const acar_val *s = b->args->u.items[0];
    if (ACAR_TYPE(s) != ACAR_STR || ACAR_LEN(s) < 1) return -1;
    char kind = s->u.s[0];
    if (kind == 'O') return 0;
    /* state (version, byteorder, subarray, names, fields, elsize, alignment, flags) */
    const acar_val *st = b->state;
    if (st && ACAR_TYPE(st) == ACAR_TUPLE && ACAR_LEN(st) >= 8) {
        int64_t flags;
        if (acar_int_get(st->u.items[7], &flags) && (flags & 1)) return 0; /* NPY_ITEM_REFCOUNT: holds objects */
        if (ACAR_TYPE(st->u.items[2]) != ACAR_NONE || ACAR_TYPE(st->u.items[3]) != ACAR_NONE) {
            int64_t es;
            if (acar_int_get(st->u.items[5], &es) && es > 0) return es;
            return -1;
        }
        int64_t es;
        if (acar_int_get(st->u.items[5], &es) && es > 0) return es;
    }
    int64_t n = 0;
    size_t len = ACAR_LEN(s);
    if (len < 2) return kind == 'b' || kind == '?' ? 1 : -1;
    for (size_t i = 1; i < len; i++) {
        if (s->u.s[i] < '0' || s->u.s[i] > '9' || n > 100000000) return -1;
        n = n * 10 + (s->u.s[i] - '0');
    }
    return kind == 'U' ? n * 4 : n;
}

/* The class of an instance: NEWOBJ/INST/OBJ's class, or copyreg's helpers'
 * first argument. */
static const acar_val *class_of(const acar_val *inst) {
    if (!inst || ACAR_TYPE(inst) != ACAR_OBJECT) return NULL;
    const acar_object_body *b = inst->u.p;
    if (acar_object_build(inst) != ACAR_BUILD_REDUCE) return b->callable;
    if ((is_global(b->callable, "copyreg", "_reconstructor") || is_global(b->callable, "copyreg", "__newobj__") ||
         is_global(b->callable, "copy_reg", "_reconstructor")) &&
        b->args && ACAR_TYPE(b->args) == ACAR_TUPLE && ACAR_LEN(b->args) >= 1)
        return b->args->u.items[0];
    return b->callable;
}

static void joblib_array(pscan *ps, acar_pickle_event *ev) {
    scanner *sc = ps->sc;
    const acar_val *st = ev->b;
    size_t at = ps->base + ev->next;
    const acar_val *shape = dict_str(st, "shape");
    int64_t item = dtype_itemsize(dict_str(st, "dtype"));
    if (!shape || ACAR_TYPE(shape) != ACAR_TUPLE || item < 0) {
        add_z(sc, ACAR_SCAN_INCOMPLETE, ACAR_SCAN_UNKNOWN, "", "", ps->base + ev->offset, ps->where,
              "joblib array whose data size cannot be told: the rest was not followed", 0);
        return;
    }
    size_t pos = ev->next;
    if (item == 0) {
        /* an object array: a whole pickle (protocol 2) is written there */
        const char *where = nest_where(sc, ps->where, "joblib object array", at);
        size_t consumed = 0;
        bool broke = false;
        if (!where) return;
        sc->depth++;
        scan_pickle(sc, ps->data + pos, ps->len - pos, ps->base + pos, where, true, &consumed, &broke);
        sc->depth--;
        if (broke) {
            ev->skip = ps->len - pos + 1; /* joblib fails there too */
            return;
        }
        ev->skip = consumed;
        return;
    }
    uint64_t count = 1;
    for (size_t i = 0; i < ACAR_LEN(shape); i++) {
        int64_t d;
        if (!acar_int_get(shape->u.items[i], &d) || d < 0 || (d && count > UINT64_MAX / (uint64_t)d)) {
            count = UINT64_MAX;
            break;
        }
        count *= (uint64_t)d;
    }
    uint64_t bytes = count == UINT64_MAX || (item && count > UINT64_MAX / (uint64_t)item) ? UINT64_MAX
                                                                                         : count * (uint64_t)item;
    const acar_val *align = dict_str(st, "numpy_array_alignment_bytes");
    uint64_t pad = 0;
    if (align && ACAR_TYPE(align) != ACAR_NONE) {
        if (pos >= ps->len) bytes = UINT64_MAX;
        else pad = 1 + (uint64_t)ps->data[pos];
    }
    if (bytes == UINT64_MAX || pad + bytes > ps->len - pos) {
        /* joblib fails reading it: the reader stops here as truncated */
        ev->skip = ps->len - pos + 1;
        return;
    }
    ev->skip = (size_t)(pad + bytes);
}

/* ---- the hook ---- */

static void report_call(pscan *ps, acar_pickle_event *ev, const char *verb) {
    scanner *sc = ps->sc;
    size_t off = ps->base + ev->offset;
    name_buf nb;
    const char *why;
    if (!ev->a || seen_safe(ps, ev->a)) return;
    if (ACAR_TYPE(ev->a) == ACAR_GLOBAL && str_eq(((const acar_global_body *)ev->a->u.p)->module, EXT_MODULE)) {
        const acar_global_body *g = ev->a->u.p;
        add(sc, ACAR_SCAN_CALL, ACAR_SCAN_UNKNOWN, EXT_MODULE, strlen(EXT_MODULE), g->name->u.s,
            ACAR_LEN(g->name), off, ps->where, "calls what an unresolved extension code names", 0);
        return;
    }
    if (resolve(ev->a, &nb) < 0) {
        const char *what = ACAR_TYPE(ev->a) == ACAR_PERSID ? "<persistent object>" : "<computed value>";
        add_z(sc, ACAR_SCAN_CALL, ACAR_SCAN_UNKNOWN, "", what, off, ps->where,
              "calls a value that is not a global: what runs cannot be told", 0);
        return;
    }
    if (ev->kind == ACAR_PEV_REDUCE && is_partial(ev->a)) {
        /* partial(f, ...) only binds f; a partial of a value that is not a
         * global cannot be judged */
        name_buf fb;
        if (!ev->b || ACAR_LEN(ev->b) < 1 || resolve(ev->b->u.items[0], &fb) < 0)
            add_z(sc, ACAR_SCAN_CALL, ACAR_SCAN_UNKNOWN, "functools", "partial", off, ps->where,
                  "binds a value that is not a global: what runs cannot be told", 0);
        else if (sc->opts->flags & ACAR_SCAN_ALL_FINDINGS)
            add(sc, ACAR_SCAN_CALL, ACAR_SCAN_SAFE, nb.module, nb.mlen, nb.name, nb.nlen, off, ps->where, verb, 0);
        return;
    }
    acar_scan_severity sev = classify(sc, &nb, &why);
    if (sev == ACAR_SCAN_SAFE) remember_safe(ps, ev->a);
    add(sc, ACAR_SCAN_CALL, sev, nb.module, nb.mlen, nb.name, nb.nlen, off, ps->where, why ? why : verb, 0);
    if (ev->kind == ACAR_PEV_REDUCE && acar__scan_is_loads(nb.module, nb.mlen, nb.name, nb.nlen) && ev->b &&
        ACAR_LEN(ev->b) >= 1)
        scan_nested(ps, ev->b->u.items[0], off, "nested pickle");
}

/* builtins.getattr handed to something as a value (an argument, a
 * partial's function, an attribute set by BUILD) is no longer only the
 * attribute lookups the scan sees, so it counts as dangerous. */
static void getattr_as_value(pscan *ps, const acar_val *v) {
    if (!v) return;
    acar_type t = ACAR_TYPE(v);
    if (t == ACAR_TUPLE || t == ACAR_LIST) {
        for (size_t i = 0; i < ACAR_LEN(v); i++)
            if (is_getattr(v->u.items[i])) ps->getattr_bad++;
    } else if (t == ACAR_DICT) {
        for (size_t i = 0; i < ACAR_LEN(v); i++)
            if (is_getattr(acar_dict_value(v, i)) || is_getattr(acar_dict_key(v, i))) ps->getattr_bad++;
    } else if (is_getattr(v)) {
        ps->getattr_bad++;
    }
}

static int on_event(void *ctx, acar_pickle_event *ev) {
    pscan *ps = ctx;
    scanner *sc = ps->sc;
    size_t off = ps->base + ev->offset;
    name_buf nb;
    const char *why;
    switch (ev->kind) {
    case ACAR_PEV_GLOBAL:
    case ACAR_PEV_STACK_GLOBAL:
    case ACAR_PEV_INST_GLOBAL: {
        if (!ev->a || ACAR_TYPE(ev->a) != ACAR_GLOBAL) break; /* builtins.Ellipsis (not raw): data */
        if (seen_safe(ps, ev->a)) break;
        if (is_getattr(ev->a)) {
            /* decided at the end of the pickle, by how it is used */
            if (!ps->have_getattr) ps->first_getattr = off;
            ps->have_getattr = true;
            break;
        }
        if (resolve(ev->a, &nb) < 0) {
            add_z(sc, ACAR_SCAN_IMPORT, ACAR_SCAN_UNKNOWN, "", "<long name>", off, ps->where,
                  "a global whose name is too long to report", 0);
            break;
        }
        acar_scan_severity sev = classify(sc, &nb, &why);
        if (sev == ACAR_SCAN_SAFE) remember_safe(ps, ev->a);
        add(sc, ACAR_SCAN_IMPORT, sev, nb.module, nb.mlen, nb.name, nb.nlen, off, ps->where, why, 0);
        break;
    }
    case ACAR_PEV_EXT:
        if (ev->a && ACAR_TYPE(ev->a) == ACAR_GLOBAL) {
            const acar_global_body *g = ev->a->u.p;
            add(sc, ACAR_SCAN_EXT, ACAR_SCAN_UNKNOWN, EXT_MODULE, strlen(EXT_MODULE), g->name->u.s, ACAR_LEN(g->name),
                off, ps->where, "unresolved extension code", ev->code);
        }
        break;
    case ACAR_PEV_REDUCE:
        if (is_getattr(ev->a)) {
            const acar_val *args = ev->b;
            if (args && ACAR_LEN(args) == 2 && ACAR_TYPE(args->u.items[1]) == ACAR_STR &&
                resolve(args->u.items[0], &nb) == 0) {
                /* getattr(G, 'attr'): the global G.attr, by protocol 0-3's spelling */
                ps->getattr_benign++;
                const acar_val *a = args->u.items[1];
                if (nb.nlen + 1 + ACAR_LEN(a) < MAX_NAME) {
                    nb.name[nb.nlen++] = '.';
                    memcpy(nb.name + nb.nlen, a->u.s, ACAR_LEN(a));
                    nb.nlen += ACAR_LEN(a);
                    nb.name[nb.nlen] = '\0';
                    acar_scan_severity sev = classify(sc, &nb, &why);
                    add(sc, ACAR_SCAN_IMPORT, sev, nb.module, nb.mlen, nb.name, nb.nlen, off, ps->where, why, 0);
                } else {
                    ps->getattr_bad++;
                }
                break;
            }
            ps->getattr_bad++;
        }
        getattr_as_value(ps, ev->b);
        report_call(ps, ev, "called");
        break;
    case ACAR_PEV_NEWOBJ:
    case ACAR_PEV_NEWOBJ_EX:
    case ACAR_PEV_INST:
    case ACAR_PEV_OBJ:
        if (is_getattr(ev->a)) ps->getattr_bad++;
        getattr_as_value(ps, ev->b);
        getattr_as_value(ps, ev->c);
        report_call(ps, ev, "instantiated");
        break;
    case ACAR_PEV_BUILD: {
        getattr_as_value(ps, ev->b);
        if (ev->b && ACAR_TYPE(ev->b) == ACAR_TUPLE)
            for (size_t i = 0; i < ACAR_LEN(ev->b); i++) getattr_as_value(ps, ev->b->u.items[i]);
        const acar_val *cls = class_of(ev->a);
        if (is_global(cls, "joblib.numpy_pickle", "NumpyArrayWrapper") ||
            is_global(cls, "sklearn.externals.joblib.numpy_pickle", "NumpyArrayWrapper")) {
            joblib_array(ps, ev);
            break;
        }
        if (!cls || seen_safe(ps, cls) || resolve(cls, &nb) < 0) {
            /* BUILD on a value the scanner cannot name: a data value's
             * default __setstate__, or a class already reported */
            break;
        }
        acar_scan_severity sev = classify(sc, &nb, &why);
        if (sev == ACAR_SCAN_SAFE) remember_safe(ps, cls);
        add(sc, ACAR_SCAN_BUILD, sev, nb.module, nb.mlen, nb.name, nb.nlen, off, ps->where,
            why ? why : "__setstate__ called", 0);
        break;
    }
    case ACAR_PEV_PERSID:
        add_z(sc, ACAR_SCAN_PERSID, ACAR_SCAN_SAFE, "", "", off, ps->where,
              "persistent id: what it loads is up to the application", 0);
        break;
    }
    return sc->oom ? -1 : 0;
}

/* The extension registry the scanner offers the reader: every code names
 * a placeholder, so the scan goes on past it (an application may have
 * registered the code; CPython's own registry is empty). */
static int ext_placeholder(void *ctx, int32_t code, const char **module, size_t *mlen, const char **name,
                           size_t *nlen) {
    pscan *ps = ctx;
    snprintf(ps->ext_name, sizeof ps->ext_name, "%ld", (long)code);
    *module = EXT_MODULE;
    *mlen = strlen(EXT_MODULE);
    *name = ps->ext_name;
    *nlen = strlen(ps->ext_name);
    return 0;
}

/* Scans one pickle at data[0..len).  first: the first pickle of its stream
 * (a failure there is "malformed"; later ones are trailing data).
 * *consumed: where STOP ended; *broke: the reader stopped before STOP.
 * Returns -1 only when out of memory. */
static int scan_pickle(scanner *sc, const uint8_t *data, size_t len, size_t base, const char *where, bool first,
                       size_t *consumed, bool *broke) {
    pscan ps;
    memset(&ps, 0, sizeof ps);
    ps.sc = sc;
    ps.data = data;
    ps.len = len;
    ps.base = base;
    ps.where = where;
    *consumed = 0;
    *broke = false;

    acar_doc_opts dopts;
    memset(&dopts, 0, sizeof dopts);
    dopts.limits = sc->opts->limits;
    acar_doc *doc = acar_doc_new(&dopts);
    if (!doc) {
        sc->oom = true;
        return -1;
    }
    /* NEXT_BUFFER takes one byte: there are at most as many as bytes. */
    size_t nbuf = 0;
    for (const uint8_t *p = data, *end = data + len; (p = memchr(p, 0x97, (size_t)(end - p))); p++) nbuf++;
    acar_bytes *bufs = NULL;
    if (nbuf) {
        bufs = calloc(nbuf, sizeof *bufs);
        if (!bufs) {
            acar_doc_free(doc);
            sc->oom = true;
            return -1;
        }
        for (size_t i = 0; i < nbuf; i++) bufs[i].data = "";
    }
    acar_read_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.flags = ACAR_READ_RAW_GLOBALS | ACAR_READ_BORROW;
    ro.format = ACAR_FORMAT_PICKLE;
    /* latin-1 decodes every STRING that ASCII (pickle's default) does, to
     * the same str, and more: loaders that pass encoding='latin1' (NumPy's
     * Python 2 pickles) accept more than the default, never less. */
    ro.encoding = ACAR_ENC_LATIN1;
    ro.ext = ext_placeholder;
    ro.ctx = &ps;
    ro.buffers = bufs ? bufs : NULL;
    ro.nbuffers = nbuf;
    acar_pickle_hooks hooks = {on_event, &ps};
    acar_err err;
    memset(&err, 0, sizeof err);
    acar_val *v = acar__pickle_read_hooked(doc, data, len, &ro, &hooks, &err);
    sc->rep->npickles++;

    if (ps.have_getattr) {
        /* used only as getattr(global, 'name'): the global that names */
        bool benign = ps.getattr_benign && !ps.getattr_bad;
        add_z(sc, ACAR_SCAN_IMPORT, benign ? ACAR_SCAN_SAFE : ACAR_SCAN_DANGEROUS, "builtins", "getattr",
              ps.first_getattr, where, benign ? "only looks up attributes of globals" : "reaches arbitrary attributes", 0);
    }
    if (v) {
        *consumed = ro.consumed;
    } else {
        *broke = true;
        size_t off = base + err.offset;
        bool cpython_fails = err.code == ACAR_ERR_MALFORMED || err.code == ACAR_ERR_TRUNCATED ||
                             (err.code == ACAR_ERR_UNSUPPORTED && strncmp(err.msg, "unsupported pickle protocol", 27) == 0);
        if (err.code == ACAR_ERR_NOMEM) sc->oom = true;
        if (sc->oom) {
            /* reported by the caller */
        } else if (!first && cpython_fails) {
            add_z(sc, ACAR_SCAN_NOTE, ACAR_SCAN_SAFE, "", "", base, where,
                  "trailing data is not a pickle (pickle.load stops before it)", 0);
        } else if (cpython_fails) {
            add_z(sc, ACAR_SCAN_MALFORMED, ACAR_SCAN_SAFE, "", "", off, where, err.msg, 0);
        } else {
            char msg[ACAR_ERR_MSG_MAX + 64];
            snprintf(msg, sizeof msg, "%s: the rest was not checked", err.msg);
            add_z(sc, ACAR_SCAN_INCOMPLETE, ACAR_SCAN_UNKNOWN, "", "", off, where, msg, 0);
        }
    }
    free(bufs);
    acar_doc_free(doc);
    return sc->oom ? -1 : 0;
}

/* Pickles one after another from data[0..len), as torch's legacy format
 * and joblib read them.  Python's pickle.load reads only the first; bytes
 * after the last pickle that do not parse are reported as a note. */
static void scan_stream(scanner *sc, const uint8_t *data, size_t len, size_t base, const char *where) {
    size_t pos = 0;
    bool first = true;
    while (pos < len || first) {
        size_t consumed;
        bool broke;
        if (scan_pickle(sc, data + pos, len - pos, base + pos, where, first, &consumed, &broke) < 0) return;
        if (broke || consumed == 0) return;
        pos += consumed;
        first = false;
    }
}

/* ====================================================================
 * Containers
 * ================================================================== */

/* A .npy file: magic, version, header length, a Python dict literal; an
 * object dtype is followed by one pickle (numpy.save uses pickle.dump). */
static int scan_npy(scanner *sc, const uint8_t *data, size_t len, size_t base, const char *where) {
    if (len < 10) {
        add_z(sc, ACAR_SCAN_MALFORMED, ACAR_SCAN_SAFE, "", "", base, where, "truncated .npy header", 0);
        return 0;
    }
    unsigned major = data[6];
    size_t hl, start;
    if (major == 1) {
        hl = (size_t)data[8] | (size_t)data[9] << 8;
        start = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12) {
            add_z(sc, ACAR_SCAN_MALFORMED, ACAR_SCAN_SAFE, "", "", base, where, "truncated .npy header", 0);
            return 0;
        }
        hl = (size_t)data[8] | (size_t)data[9] << 8 | (size_t)data[10] << 16 | (size_t)data[11] << 24;
        start = 12;
    } else {
        add_z(sc, ACAR_SCAN_MALFORMED, ACAR_SCAN_SAFE, "", "", base + 6, where, "unknown .npy version", 0);
        return 0;
    }
    if (hl > len - start) {
        add_z(sc, ACAR_SCAN_MALFORMED, ACAR_SCAN_SAFE, "", "", base + 8, where, "truncated .npy header", 0);
        return 0;
    }
    const char *h = (const char *)data + start;
    /* 'descr': '|O' or a structured descr with an 'O' field */
    bool object = false;
    for (size_t i = 0; i + 2 <= hl; i++)
        if ((h[i] == '\'' || h[i] == '|' || h[i] == '<' || h[i] == '>' || h[i] == '=') && h[i + 1] == 'O' &&
            i + 2 < hl && (h[i + 2] == '\'' || (h[i + 2] >= '0' && h[i + 2] <= '9')))
            object = true;
    size_t pstart = start + hl;
    if (!object) {
        add_z(sc, ACAR_SCAN_NOTE, ACAR_SCAN_SAFE, "", "", base, where, "array of plain values: no pickle", 0);
        return 0;
    }
    size_t consumed;
    bool broke;
    return scan_pickle(sc, data + pstart, len - pstart, base + pstart, where, true, &consumed, &broke);
}

static bool ends_with(const char *s, size_t n, const char *suf) {
    size_t k = strlen(suf);
    return n >= k && memcmp(s + n - k, suf, k) == 0;
}

static int scan_zip(scanner *sc, const uint8_t *data, size_t len, acar_err *err) {
    acar_zip_entry *es = NULL;
    size_t n = 0;
    if (acar__zip_list(data, len, &es, &n, err) < 0) return -1;
    size_t scanned = 0;
    for (size_t i = 0; i < n && !sc->oom; i++) {
        const acar_zip_entry *e = &es[i];
        bool pkl = ends_with(e->name, e->name_len, ".pkl") || ends_with(e->name, e->name_len, ".pickle");
        bool npy = ends_with(e->name, e->name_len, ".npy");
        if (!pkl && !npy) continue;
        const char *where = intern(sc, e->name, e->name_len);
        if (!where) break;
        const uint8_t *m;
        size_t mlen;
        int owned = 0;
        acar_err zerr;
        if (acar__zip_extract(data, len, e, (size_t)1 << 32, &m, &mlen, &owned, &zerr) < 0) {
            if (zerr.code == ACAR_ERR_NOMEM) {
                sc->oom = true;
                break;
            }
            add_z(sc, ACAR_SCAN_INCOMPLETE, ACAR_SCAN_UNKNOWN, "", "", zerr.offset, where, zerr.msg, 0);
            continue;
        }
        scanned++;
        if (npy && mlen >= 6 && memcmp(m, "\x93NUMPY", 6) == 0) scan_npy(sc, m, mlen, 0, where);
        else if (pkl) scan_stream(sc, m, mlen, 0, where);
        else add_z(sc, ACAR_SCAN_MALFORMED, ACAR_SCAN_SAFE, "", "", 0, where, "not a .npy file", 0);
        if (owned) free((void *)m);
    }
    if (!scanned && !sc->oom)
        add_z(sc, ACAR_SCAN_NOTE, ACAR_SCAN_SAFE, "", "", 0, "", "zip archive without pickle or .npy members", 0);
    free(es);
    return 0;
}

/* gzip's magic, or a zlib header with the 32K window every zlib writer
 * uses ('x', which is no pickle opcode; other window sizes start with
 * bytes that are: '(' 'X' 'h' ...). */
static bool compressed(const uint8_t *d, size_t len) {
    if (len >= 3 && d[0] == 0x1f && d[1] == 0x8b && d[2] == 8) return true;
    return len >= 2 && d[0] == 0x78 && (d[1] == 0x01 || d[1] == 0x5e || d[1] == 0x9c || d[1] == 0xda);
}

int acar_scan(const void *vdata, size_t len, const acar_scan_opts *opts, acar_scan_report *report, acar_err *err) {
    static const acar_scan_opts zero_opts;
    acar__err_clear(err);
    if (!report || (!vdata && len)) {
        acar__err_set(err, ACAR_ERR_ARG, 0, "acar_scan needs data and a report");
        return -1;
    }
    memset(report, 0, sizeof *report);
    spriv *pv = calloc(1, sizeof *pv);
    if (!pv) {
        acar__err_set(err, ACAR_ERR_NOMEM, 0, "out of memory");
        return -1;
    }
    report->priv_ = pv;
    const uint8_t *data = vdata ? vdata : (const uint8_t *)"";
    scanner sc;
    memset(&sc, 0, sizeof sc);
    sc.opts = opts ? opts : &zero_opts;
    sc.rep = report;
    sc.pv = pv;
    sc.max_nested = sc.opts->max_nested ? sc.opts->max_nested : DEFAULT_MAX_NESTED;
    sc.nested_budget = len > (SIZE_MAX - ((size_t)1 << 24)) / 4 ? SIZE_MAX : len * 4 + ((size_t)1 << 24);
    int rc = 0;
    const char *top = intern_z(&sc, "");
    if (!top) {
        rc = -1;
    } else if (!(sc.opts->flags & ACAR_SCAN_RAW) && acar__zip_is(data, len)) {
        report->container = "zip";
        acar_err zerr;
        if (scan_zip(&sc, data, len, &zerr) < 0) {
            if (zerr.code == ACAR_ERR_NOMEM) {
                sc.oom = true;
            } else {
                /* not a zip after all: report why, and read the bytes as
                 * a pickle stream too ('P' is PERSID to an unpickler) */
                char msg[ACAR_ERR_MSG_MAX + 48];
                snprintf(msg, sizeof msg, "%s: scanned as a pickle instead", zerr.msg);
                add_z(&sc, ACAR_SCAN_INCOMPLETE, ACAR_SCAN_UNKNOWN, "", "", zerr.offset, top, msg, 0);
                report->container = "pickle";
                scan_stream(&sc, data, len, 0, top);
            }
        }
    } else if (!(sc.opts->flags & ACAR_SCAN_RAW) && len >= 6 && memcmp(data, "\x93NUMPY", 6) == 0) {
        report->container = "npy";
        rc = scan_npy(&sc, data, len, 0, top);
    } else if (!(sc.opts->flags & ACAR_SCAN_RAW) && compressed(data, len)) {
        /* joblib.dump(..., compress=...) with zlib or gzip: the whole
         * stream compressed ('x' and 0x1f start no pickle) */
        bool gz = data[0] == 0x1f;
        report->container = gz ? "gzip" : "zlib";
        uint8_t *raw;
        size_t rlen;
        acar_err zerr;
        if (acar__inflate_all(data, len, gz, (size_t)1 << 32, &raw, &rlen, &zerr) < 0) {
            if (zerr.code == ACAR_ERR_NOMEM) sc.oom = true;
            else add_z(&sc, ACAR_SCAN_INCOMPLETE, ACAR_SCAN_UNKNOWN, "", "", zerr.offset, top, zerr.msg, 0);
        } else {
            const char *where = intern_z(&sc, gz ? "decompressed (gzip)" : "decompressed (zlib)");
            if (where) scan_stream(&sc, raw, rlen, 0, where);
            free(raw);
        }
    } else {
        report->container = "pickle";
        scan_stream(&sc, data, len, 0, top);
    }
    if (pv->dropped) {
        char msg[96];
        snprintf(msg, sizeof msg, "%zu more findings not listed", pv->dropped);
        pv->dropped = 0;
        add_z(&sc, ACAR_SCAN_NOTE, ACAR_SCAN_SAFE, "", "", 0, top ? top : "", msg, 0);
    }
    if (sc.oom) {
        acar__err_set(err, ACAR_ERR_NOMEM, 0, "out of memory while scanning");
        rc = -1;
    }
    if (report->incomplete && report->verdict < ACAR_SCAN_UNKNOWN) report->verdict = ACAR_SCAN_UNKNOWN;
    if (rc < 0) {
        acar_scan_report_free(report);
        return -1;
    }
    return 0;
}

void acar_scan_report_free(acar_scan_report *report) {
    if (!report) return;
    spriv *pv = report->priv_;
    if (pv) {
        sblock *b = pv->blocks;
        while (b) {
            sblock *next = b->next;
            free(b);
            b = next;
        }
        free(pv->index);
        free(pv);
    }
    free(report->findings);
    memset(report, 0, sizeof *report);
}

const char *acar_scan_severity_name(acar_scan_severity s) {
    switch (s) {
    case ACAR_SCAN_SAFE: return "safe";
    case ACAR_SCAN_UNKNOWN: return "unknown";
    case ACAR_SCAN_DANGEROUS: return "dangerous";
    }
    return "?";
}

const char *acar_scan_kind_name(acar_scan_kind k) {
    switch (k) {
    case ACAR_SCAN_IMPORT: return "import";
    case ACAR_SCAN_CALL: return "call";
    case ACAR_SCAN_BUILD: return "build";
    case ACAR_SCAN_EXT: return "ext";
    case ACAR_SCAN_NESTED: return "nested";
    case ACAR_SCAN_PERSID: return "persid";
    case ACAR_SCAN_MALFORMED: return "malformed";
    case ACAR_SCAN_INCOMPLETE: return "incomplete";
    case ACAR_SCAN_NOTE: return "note";
    }
    return "?";
}
