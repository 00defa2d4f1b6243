/*
 * bytecode.c -- `acar dis x.pyc`: the bytecode of code objects, listed as
 * the dis module of their own Python version lists it.
 *
 * The opcode tables (opcode_tables.c) come from each version's opcode and
 * dis modules; this file holds what each version's dis does with them:
 *
 *   walking    2.7: 1-byte opcodes, 3 bytes with an argument (16 bits,
 *              EXTENDED_ARG the high 16 bits of the next one); 3.6+: 2-byte
 *              words, EXTENDED_ARG shifts 8 bits in front of the next
 *              argument (3.11+: wrapping at 2^31 as a C int); 3.11+ skips
 *              each opcode's inline CACHE entries.
 *   jumps      2.7: relative to the next instruction; 3.6-3.9: to offset
 *              + 2 + arg; 3.10+ counts in 2-byte units; 3.11+ has backward
 *              jumps; 3.12+ jumps from after the inline caches; 3.13
 *              shows labels (L1, L2, ...) in place of offsets.
 *   lines      2.7-3.9: co_lnotab (byte and line increments, signed lines
 *              from 3.6, entries past the code dropped from 3.8); 3.10:
 *              co_linetable pairs (-128: no line); 3.11+: the location
 *              table (one entry per run of code units, line deltas).
 *   layout     line number, current-instruction and jump-target marks,
 *              offset, name (20 wide), argument (5 wide), its meaning;
 *              3.11+ an ExceptionTable section; nested code objects of
 *              co_consts follow, each under "Disassembly of <repr>:".
 *
 * acar's code repr has no "at 0x..." address, so "Disassembly of" lines and
 * code constants print without it.  Malformed bytecode (odd length, an
 * argument out of range, an EXTENDED_ARG or cache cut off by the end) is
 * listed as far as it goes and reported as the first error, never read
 * past its bytes.  Nested code objects are kept on an explicit stack.
 */
#include "marshal/bytecode.h"
#include "marshal/marshal.h"
#include "num/num.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* An argument that EXTENDED_ARG prefixes push beyond this is refused: no
 * CPython makes one, and it keeps the arithmetic below in range. */
#define ARG_MAX ((int64_t)1 << 55)

const acar_opset *acar__opset(unsigned pyver) {
    for (size_t i = 0; i < acar__opset_count; i++)
        if (acar__opsets[i].pyver == pyver) return &acar__opsets[i];
    return NULL;
}

int acar__bytecode_next(const acar_opset *s, const uint8_t *code, size_t len, acar_bcstate *st,
                        acar_instr *in, const char **msg) {
    size_t p = st->pos;
    if (p >= len) return 0;
    unsigned op = code[p];
    const acar_opinfo *info = &s->ops[op];
    in->offset = p;
    in->opcode = op;
    in->info = info;
    in->has_arg = false;
    in->arg = 0;
    in->py2_long = false;
    if (s->pyver < ACAR_PYVER(3, 0)) {
        if (!(info->flags & ACAR_OPF_ARG)) {
            in->size = 1;
            st->pos = p + 1;
            return 1;
        }
        if (len - p < 3) {
            *msg = "co_code ends inside an instruction's argument";
            return -1;
        }
        int64_t arg = (int64_t)code[p + 1] | (int64_t)code[p + 2] << 8;
        /* Python 2 makes the argument a long after EXTENDED_ARG */
        in->py2_long = st->ext_set;
        arg += st->ext;
        st->ext = 0;
        st->ext_set = false;
        if (info->flags & ACAR_OPF_EXT) {
            if (arg > ARG_MAX >> 16) {
                *msg = "EXTENDED_ARG prefixes make an argument beyond 2**55";
                return -1;
            }
            st->ext = arg * 65536;
            st->ext_set = true;
        }
        in->has_arg = true;
        in->arg = arg;
        in->size = 3;
        st->pos = p + 3;
        return 1;
    }
    if (len - p < 2) {
        /* dis lists a last odd byte that takes no argument, then ends */
        in->size = 1;
        st->pos = len;
        *msg = "co_code has an odd length";
        return (info->flags & ACAR_OPF_ARG) ? -1 : -2;
    }
    size_t size = 2 + 2 * (size_t)info->caches;
    if (info->flags & ACAR_OPF_ARG) {
        int64_t arg = (int64_t)code[p + 1] | st->ext;
        st->ext = 0;
        if (info->flags & ACAR_OPF_EXT) {
            if (arg > ARG_MAX >> 8 || arg < -(ARG_MAX >> 8)) {
                *msg = "EXTENDED_ARG prefixes make an argument beyond 2**55";
                return -1;
            }
            st->ext = arg * 256;
            /* 3.11+: the argument is a C int, and wraps */
            if (s->pyver >= ACAR_PYVER(3, 11) && st->ext >= ((int64_t)1 << 31))
                st->ext -= (int64_t)1 << 32;
        }
        in->has_arg = true;
        in->arg = arg;
    } else if (s->pyver >= ACAR_PYVER(3, 10)) {
        st->ext = 0;
    }
    if (len - p < size) {
        in->size = len - p;
        st->pos = len;
        *msg = "co_code ends inside an instruction's inline cache";
        return -2;
    }
    in->size = size;
    st->pos = p + size;
    return 1;
}

/* ---- one code object ---- */

typedef struct linestart {
    size_t offset;
    int64_t line;
    bool none;            /* 3.13 lists "no line" starts as "--" */
} linestart;

typedef struct exc_entry {
    uint64_t start, end, target, depth;
    bool lasti;
} exc_entry;

typedef struct dis_ctx {
    const acar_code_dis_opts *opts;
    acar_out *out;
    acar_err *err;
    bool failed;          /* err holds the first error */
    acar_buf arg_buf;     /* an argument's meaning, built before it is printed */
    acar_out arg;
    bool arg_shown;       /* the argument's kind renders a meaning (maybe empty) */
    int64_t *labels;
    size_t nlabels, labels_cap;
    linestart *lines;
    size_t nlines, lines_cap;
    exc_entry *exc;
    size_t nexc, exc_cap;
} dis_ctx;

static void nomem(dis_ctx *d) {
    if (!d->failed) acar__err_set(d->err, ACAR_ERR_NOMEM, 0, "out of memory");
    d->failed = true;
    d->out->failed = true;
}

/* Records the first error of the listing: where in which code object. */
static void fail_at(dis_ctx *d, const acar_val *code, acar_code c, size_t offset, const char *fmt, ...) {
    if (d->failed) return;
    d->failed = true;
    char what[ACAR_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    const acar_val *name = acar_code_get(code, ACAR_CO_NAME);
    int nlen = 0;
    const char *ns = "?";
    if (name && (ACAR_TYPE(name) == ACAR_STR || ACAR_TYPE(name) == ACAR_BYTES)) {
        ns = name->u.s;
        nlen = ACAR_LEN(name) > 40 ? 40 : (int)ACAR_LEN(name);
    } else {
        nlen = 1;
    }
    acar__err_set(d->err, c, offset, "code object %.*s, co_code offset %zu: %s", nlen, ns, offset, what);
}

static bool grow(void **p, size_t *cap, size_t n, size_t size) {
    if (n < *cap) return true;
    size_t c = *cap ? 2 * *cap : 64;
    void *q = realloc(*p, c * size);
    if (!q) return false;
    *p = q;
    *cap = c;
    return true;
}

static bool add_label(dis_ctx *d, int64_t at) {
    if (!grow((void **)&d->labels, &d->labels_cap, d->nlabels, sizeof *d->labels)) return false;
    d->labels[d->nlabels++] = at;
    return true;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* 1-based label number of offset at (3.13), 0 when it is no label. */
static size_t label_of(const dis_ctx *d, int64_t at) {
    size_t lo = 0, hi = d->nlabels;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->labels[mid] < at) lo = mid + 1;
        else hi = mid;
    }
    return lo < d->nlabels && d->labels[lo] == at ? lo + 1 : 0;
}

static bool add_line(dis_ctx *d, size_t offset, int64_t line, bool none) {
    if (!grow((void **)&d->lines, &d->lines_cap, d->nlines, sizeof *d->lines)) return false;
    d->lines[d->nlines++] = (linestart){offset, line, none};
    return true;
}

static int64_t int_field(const acar_val *code, acar_code_field f) {
    const acar_val *v = acar_code_get(code, f);
    return v && ACAR_TYPE(v) == ACAR_INT && !(ACAR_FLAGS(v) & ACAR_F_BIG) ? v->u.i : 0;
}

static const uint8_t *bytes_field(const acar_val *code, acar_code_field f, size_t *len) {
    const acar_val *v = acar_code_get(code, f);
    if (!v || ACAR_TYPE(v) != ACAR_BYTES) {
        *len = 0;
        return (const uint8_t *)"";
    }
    *len = ACAR_LEN(v);
    return (const uint8_t *)v->u.s;
}

static const acar_val *tuple_field(const acar_val *code, acar_code_field f) {
    const acar_val *v = acar_code_get(code, f);
    return v && ACAR_TYPE(v) == ACAR_TUPLE ? v : NULL;
}

/* The interpreter keeps line numbers in a C int: they wrap. */
static int64_t wrap_int(int64_t v) {
    uint32_t u = (uint32_t)v;
    return u >= 0x80000000u ? (int64_t)u - ((int64_t)1 << 32) : (int64_t)u;
}

/* findlinestarts of the code's version, in offset order. */
static bool line_starts(dis_ctx *d, const acar_val *code, unsigned pyver, size_t code_len) {
    d->nlines = 0;
    int64_t first = int_field(code, ACAR_CO_FIRSTLINENO);
    size_t n;
    if (pyver <= ACAR_PYVER(3, 9)) {
        const uint8_t *t = bytes_field(code, ACAR_CO_LNOTAB, &n);
        int64_t line = first, last = 0;
        bool have_last = false;
        size_t addr = 0;
        for (size_t i = 0; i + 1 < n; i += 2) {
            if (t[i]) {
                if (!have_last || line != last) {
                    if (!add_line(d, addr, line, false)) return false;
                    last = line;
                    have_last = true;
                }
                addr += t[i];
                if (pyver >= ACAR_PYVER(3, 8) && addr >= code_len) return true;
            }
            line += pyver >= ACAR_PYVER(3, 6) ? (int8_t)t[i + 1] : (int64_t)t[i + 1];
        }
        if (!have_last || line != last) return add_line(d, addr, line, false);
        return true;
    }
    /* co_lines(): ranges of code with their line (or none), as the
     * interpreter's address-range walker makes them */
    const uint8_t *t = bytes_field(code, ACAR_CO_LINETABLE, &n);
    int64_t computed = first, last = 0;
    bool have_last = false, last_none = false;
    uint64_t end = 0;
    size_t p = 0;
    while (p < n) {
        uint64_t start = end;
        int64_t line;
        bool none;
        if (pyver == ACAR_PYVER(3, 10)) {
            if (n - p < 2) break;
            end += t[p];
            int8_t ld = (int8_t)t[p + 1];
            p += 2;
            none = ld == -128;
            if (!none) computed = wrap_int(computed + ld);
        } else {
            uint8_t b = t[p];
            unsigned kind = (b >> 3) & 15;
            int64_t delta = 0;
            if (kind == 13 || kind == 14) {
                /* signed varint: 6-bit groups, low first, bit 0 the sign,
                 * in the interpreter's unsigned int; the byte after the
                 * table (the bytes object's NUL) ends a varint cut off */
                size_t q = p + 1;
                uint8_t r = q < n ? t[q++] : 0;
                uint32_t u = r & 63u;
                unsigned shift = 0;
                while (r & 64) {
                    r = q < n ? t[q++] : 0;
                    shift += 6;
                    u |= (uint32_t)(r & 63u) << (shift & 31);
                }
                delta = (u & 1) ? -(int64_t)(u >> 1) : (int64_t)(u >> 1);
            } else if (kind >= 10 && kind <= 12) {
                delta = kind - 10;
            }
            computed = wrap_int(computed + delta);
            none = (b >> 3) == 0x1f;
            end += 2 * (uint64_t)((b & 7) + 1);
            do p++;
            while (p < n && !(t[p] & 128));
        }
        line = computed;
        if (start == end) continue;
        if (pyver >= ACAR_PYVER(3, 13)) {
            /* 3.13 also lists where lines stop being known */
            if (have_last && none == last_none && (none || line == last)) continue;
        } else {
            if (none || (have_last && line == last)) continue;
        }
        if (start > SIZE_MAX) break;
        if (!add_line(d, (size_t)start, none ? 0 : line, none)) return false;
        last = line;
        last_none = none;
        have_last = true;
    }
    return true;
}

/* co_exceptiontable (3.11+): start, length, target, depth-and-lasti, each
 * a varint of 6-bit groups, high first; a cut-off entry is dropped. */
static int exception_table(dis_ctx *d, const acar_val *code) {
    d->nexc = 0;
    size_t n;
    const uint8_t *t = bytes_field(code, ACAR_CO_EXCEPTIONTABLE, &n);
    size_t p = 0;
    for (;;) {
        uint64_t v[4];
        bool huge = false;
        for (int k = 0; k < 4; k++) {
            if (p >= n) return 0;
            uint8_t b = t[p++];
            uint64_t val = b & 63;
            while (b & 64) {
                if (p >= n) return 0;
                if (val >> 50) huge = true;
                b = t[p++];
                val = (val << 6) | (b & 63);
            }
            v[k] = val;
        }
        if (huge) return -1;
        if (!grow((void **)&d->exc, &d->exc_cap, d->nexc, sizeof *d->exc)) return -2;
        exc_entry *e = &d->exc[d->nexc++];
        e->start = v[0] * 2;
        e->end = e->start + v[1] * 2;
        e->target = v[2] * 2;
        e->depth = v[3] >> 1;
        e->lasti = v[3] & 1;
    }
}

/* Where a jump goes, as the version's dis computes it; false for no jump. */
static bool jump_target(unsigned pyver, const acar_instr *in, const uint8_t *code, int64_t *to) {
    unsigned f = in->info->flags;
    if (!in->has_arg || !(f & (ACAR_OPF_JREL | ACAR_OPF_JABS))) return false;
    int64_t off = (int64_t)in->offset, arg = in->arg;
    if (pyver < ACAR_PYVER(3, 0)) {
        /* 2.7's findlabels reads the 16 bits alone; the listing adds
         * EXTENDED_ARG (jump_arg below) */
        int64_t raw = (int64_t)code[in->offset + 1] | (int64_t)code[in->offset + 2] << 8;
        *to = (f & ACAR_OPF_JREL) ? off + 3 + raw : raw;
        return true;
    }
    int64_t unit = pyver >= ACAR_PYVER(3, 10) ? 2 : 1;
    if (f & ACAR_OPF_JREL) {
        int64_t signed_arg = (f & ACAR_OPF_BACK) ? -arg : arg;
        *to = off + 2 + signed_arg * unit;
        if (pyver >= ACAR_PYVER(3, 12)) *to += 2 * (int64_t)in->info->caches;
    } else {
        *to = arg * unit;
    }
    return true;
}

/* v in decimal at b (room for 21 bytes), NUL-terminated: b.  Not
 * snprintf: a listing formats two or three numbers per instruction. */
static const char *dec(char *b, int64_t v) {
    b[acar_num_i64_to_dec(v, b)] = '\0';
    return b;
}

static void put_i64(acar_out *o, int64_t v) {
    char b[24];
    acar__out_write(o, b, acar_num_i64_to_dec(v, b));
}

static void put_text(acar_out *o, const acar_val *v) {
    if (v && (ACAR_TYPE(v) == ACAR_STR || ACAR_TYPE(v) == ACAR_BYTES)) acar__out_write(o, v->u.s, ACAR_LEN(v));
    else acar__out_str(o, "?");
}

static void put_flags(acar_out *o, const char *const *names, size_t n, int64_t arg) {
    bool first = true;
    for (size_t i = 0; i < n && i < 62; i++) {
        if (!(arg & ((int64_t)1 << i))) continue;
        if (!first) acar__out_str(o, ", ");
        acar__out_str(o, names[i]);
        first = false;
    }
}

/* A name of the local-variable kinds: co_varnames (up to 3.10), cell and
 * free names (up to 3.10: co_cellvars + co_freevars), localsplusnames
 * (3.11+).  NULL when out of range. */
static const acar_val *local_name(const acar_val *code, unsigned pyver, bool free, int64_t i) {
    if (i < 0) return NULL;
    if (pyver >= ACAR_PYVER(3, 11)) {
        const acar_val *t = tuple_field(code, ACAR_CO_LOCALSPLUSNAMES);
        return t && (uint64_t)i < ACAR_LEN(t) ? t->u.items[i] : NULL;
    }
    if (!free) {
        const acar_val *t = tuple_field(code, ACAR_CO_VARNAMES);
        return t && (uint64_t)i < ACAR_LEN(t) ? t->u.items[i] : NULL;
    }
    const acar_val *cell = tuple_field(code, ACAR_CO_CELLVARS);
    const acar_val *fr = tuple_field(code, ACAR_CO_FREEVARS);
    size_t nc = cell ? ACAR_LEN(cell) : 0, nf = fr ? ACAR_LEN(fr) : 0;
    if ((uint64_t)i < nc) return cell->u.items[i];
    if ((uint64_t)i - nc < nf) return fr->u.items[i - nc];
    return NULL;
}

static size_t local_count(const acar_val *code, unsigned pyver, bool free) {
    if (pyver >= ACAR_PYVER(3, 11)) return acar_len(tuple_field(code, ACAR_CO_LOCALSPLUSNAMES));
    if (!free) return acar_len(tuple_field(code, ACAR_CO_VARNAMES));
    return acar_len(tuple_field(code, ACAR_CO_CELLVARS)) + acar_len(tuple_field(code, ACAR_CO_FREEVARS));
}

static const char *table_name(const char *const *t, size_t n, int64_t i) {
    return t && i >= 0 && (uint64_t)i < n ? t[i] : NULL;
}

/* ---- Python 2 repr of the constants of 2.7 code ----
 * A 2.7 listing shows constants as Python 2 prints them: byte strings
 * without b, unicode as u'...' (every non-ASCII character escaped),
 * longs with L, frozenset([...]).  Tuples nest on an explicit stack. */

static void py2_unicode(acar_out *o, const unsigned char *s, size_t n) {
    bool sq = false, dq = false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\'') sq = true;
        if (s[i] == '"') dq = true;
    }
    char q = sq && !dq ? '"' : '\'';
    acar__out_byte(o, 'u');
    acar__out_byte(o, q);
    char b[16];
    for (size_t i = 0; i < n;) {
        uint32_t c = s[i];
        size_t k = 1;
        /* UTF-8 as the marshal reader keeps it (surrogatepass): trust the
         * lead byte's length within what is left */
        if (c >= 0xf0 && i + 3 < n) {
            c = (c & 7) << 18 | (uint32_t)(s[i + 1] & 63) << 12 | (uint32_t)(s[i + 2] & 63) << 6 | (s[i + 3] & 63);
            k = 4;
        } else if (c >= 0xe0 && i + 2 < n) {
            c = (c & 15) << 12 | (uint32_t)(s[i + 1] & 63) << 6 | (s[i + 2] & 63);
            k = 3;
        } else if (c >= 0xc0 && i + 1 < n) {
            c = (c & 31) << 6 | (s[i + 1] & 63);
            k = 2;
        }
        i += k;
        if (c == (uint32_t)q || c == '\\') {
            acar__out_byte(o, '\\');
            acar__out_byte(o, (char)c);
        } else if (c == '\t') {
            acar__out_str(o, "\\t");
        } else if (c == '\n') {
            acar__out_str(o, "\\n");
        } else if (c == '\r') {
            acar__out_str(o, "\\r");
        } else if (c >= 0x20 && c < 0x7f) {
            acar__out_byte(o, (char)c);
        } else {
            snprintf(b, sizeof b, c < 0x100 ? "\\x%02x" : c < 0x10000 ? "\\u%04x" : "\\U%08x", (unsigned)c);
            acar__out_str(o, b);
        }
    }
    acar__out_byte(o, q);
}

static int py2_repr(const acar_val *v, const acar_write_opts *wo, acar_out *o, acar_err *err) {
    struct pos { const acar_val *v; size_t i; } stack[64], *st = stack;
    size_t top = 0, cap = 64;
    int rc = 0;
    for (;;) {
        /* v: open a container, or print a scalar */
        acar_type t = ACAR_TYPE(v);
        if (t == ACAR_TUPLE || t == ACAR_FROZENSET) {
            if (top == cap) {
                struct pos *q = st == stack ? malloc(2 * cap * sizeof *q) : realloc(st, 2 * cap * sizeof *q);
                if (!q) {
                    o->failed = true;
                    rc = -1;
                    break;
                }
                if (st == stack) memcpy(q, stack, sizeof stack);
                st = q;
                cap *= 2;
            }
            st[top++] = (struct pos){v, 0};
            acar__out_str(o, t == ACAR_TUPLE ? "(" : "frozenset([");
        } else if (t == ACAR_BYTES) {
            size_t at = o->buf->len;
            rc = acar__repr_write(v, wo, o, err);
            /* b'...' -> '...' */
            if (rc == 0 && !o->failed && o->buf->len > at) {
                memmove(o->buf->data + at, o->buf->data + at + 1, o->buf->len - at - 1);
                o->buf->len--;
            }
        } else if (t == ACAR_STR) {
            py2_unicode(o, (const unsigned char *)v->u.s, ACAR_LEN(v));
        } else if (t == ACAR_CODE) {
            rc = acar__code_repr(v, o);
        } else {
            rc = acar__repr_write(v, wo, o, err);
            if (rc == 0 && t == ACAR_INT && (ACAR_FLAGS(v) & (ACAR_F_MLONG | ACAR_F_BIG))) acar__out_byte(o, 'L');
        }
        if (rc < 0) break;
        /* the next item of the innermost open container; close the full ones */
        for (;;) {
            if (!top) goto done;
            struct pos *p = &st[top - 1];
            size_t n = ACAR_LEN(p->v);
            if (p->i < n) {
                if (p->i) acar__out_str(o, ", ");
                v = ACAR_TYPE(p->v) == ACAR_TUPLE ? p->v->u.items[p->i]
                                                  : p->v->u.items[p->i];
                p->i++;
                break;
            }
            acar__out_str(o, ACAR_TYPE(p->v) != ACAR_TUPLE ? "])" : n == 1 ? ",)" : ")");
            top--;
        }
    }
done:
    if (st != stack) free(st);
    return rc;
}

/* The meaning of in's argument into d->arg (empty: none shown).  Returns
 * 0, or -1 after recording an error (the argument indexes nothing). */
static int arg_meaning(dis_ctx *d, const acar_val *code, const acar_opset *s, const acar_instr *in,
                       const uint8_t *co_code) {
    acar_out *o = &d->arg;
    d->arg_buf.len = 0;
    /* 2.7 prints "()" for an empty name, 3.x nothing: whether the kind
     * renders at all */
    d->arg_shown = in->has_arg && in->info->kind != ACAR_OPK_NONE;
    if (!in->has_arg) return 0;
    unsigned pyver = s->pyver;
    int64_t arg = in->arg;
    const char *what = NULL;   /* the table an out-of-range argument misses */
    size_t have = 0;
    switch ((acar_opkind)in->info->kind) {
    case ACAR_OPK_NONE: return 0;
    case ACAR_OPK_CONST: {
        const acar_val *t = tuple_field(code, ACAR_CO_CONSTS);
        have = t ? ACAR_LEN(t) : 0;
        if (arg < 0 || (uint64_t)arg >= have) {
            what = "co_consts";
            break;
        }
        acar_err e;
        const acar_val *c = t->u.items[arg];
        /* Python 2.7 and 3.6 print ints of any size; later ones stop at
         * 4300 digits (sys.int_info.default_max_str_digits), as acar's
         * printer does.  Decimal conversion is quadratic: acar stops 2.7
         * and 3.6 at 100,000 digits. */
        acar_write_opts wo;
        memset(&wo, 0, sizeof wo);
        wo.max_int_digits = pyver <= ACAR_PYVER(3, 6) ? 100000 : 0;
        int rc = pyver < ACAR_PYVER(3, 0)   ? py2_repr(c, &wo, o, &e)
                 : ACAR_TYPE(c) == ACAR_CODE ? acar__code_repr(c, o)
                                             : acar__repr_write(c, &wo, o, &e);
        if (rc < 0 && !o->failed) {
            fail_at(d, code, e.code, in->offset, "cannot print co_consts[%" PRId64 "]: %s", arg, e.msg);
            return -1;
        }
        return 0;
    }
    case ACAR_OPK_NAME:
    case ACAR_OPK_NAME_GLOBAL:
    case ACAR_OPK_NAME_ATTR:
    case ACAR_OPK_NAME_SUPER: {
        const acar_val *t = tuple_field(code, ACAR_CO_NAMES);
        have = t ? ACAR_LEN(t) : 0;
        unsigned kind = in->info->kind;
        int64_t i = kind == ACAR_OPK_NAME ? arg : kind == ACAR_OPK_NAME_SUPER ? arg >> 2 : arg >> 1;
        if (i < 0 || (uint64_t)i >= have) {
            what = "co_names";
            break;
        }
        const acar_val *name = t->u.items[i];
        bool empty = !name || ((ACAR_TYPE(name) == ACAR_STR || ACAR_TYPE(name) == ACAR_BYTES) && !ACAR_LEN(name));
        bool tagged = kind != ACAR_OPK_NAME && (arg & 1) && !empty;
        const char *tag = kind == ACAR_OPK_NAME_GLOBAL ? "NULL" : "NULL|self";
        if (tagged && pyver < ACAR_PYVER(3, 13)) {
            acar__out_str(o, tag);
            acar__out_str(o, " + ");
        }
        put_text(o, name);
        if (tagged && pyver >= ACAR_PYVER(3, 13)) {
            acar__out_str(o, " + ");
            acar__out_str(o, tag);
        }
        return 0;
    }
    case ACAR_OPK_JABS:
    case ACAR_OPK_JREL: {
        int64_t to;
        if (!jump_target(pyver, in, co_code, &to)) return 0;
        if (pyver < ACAR_PYVER(3, 0)) to = (int64_t)in->offset + 3 + arg;
        if (pyver >= ACAR_PYVER(3, 13)) {
            acar__out_str(o, "to L");
            put_i64(o, (int64_t)label_of(d, to));
        } else {
            acar__out_str(o, "to ");
            put_i64(o, to);
            if (pyver < ACAR_PYVER(3, 0) && in->py2_long) acar__out_byte(o, 'L');
        }
        return 0;
    }
    case ACAR_OPK_LOCAL:
    case ACAR_OPK_FREE: {
        bool free = in->info->kind == ACAR_OPK_FREE;
        const acar_val *name = local_name(code, pyver, free, arg);
        have = local_count(code, pyver, free);
        if (!name) {
            what = pyver >= ACAR_PYVER(3, 11) ? "co_localsplusnames" : free ? "co_cellvars + co_freevars" : "co_varnames";
            break;
        }
        put_text(o, name);
        return 0;
    }
    case ACAR_OPK_LOCAL_PAIR: {
        const acar_val *a = local_name(code, pyver, false, arg >> 4);
        const acar_val *b = local_name(code, pyver, false, arg & 15);
        have = local_count(code, pyver, false);
        if (!a || !b) {
            what = "co_localsplusnames";
            break;
        }
        put_text(o, a);
        acar__out_str(o, ", ");
        put_text(o, b);
        return 0;
    }
    case ACAR_OPK_COMPARE: {
        int64_t i = pyver >= ACAR_PYVER(3, 13) ? arg >> 5 : pyver == ACAR_PYVER(3, 12) ? arg >> 4 : arg;
        const char *c = table_name(s->cmp_op, s->n_cmp_op, i);
        have = s->n_cmp_op;
        if (!c) {
            what = "cmp_op";
            break;
        }
        bool as_bool = pyver >= ACAR_PYVER(3, 13) && (arg & 16);
        if (as_bool) acar__out_str(o, "bool(");
        acar__out_str(o, c);
        if (as_bool) acar__out_byte(o, ')');
        return 0;
    }
    case ACAR_OPK_FORMAT_VALUE: {
        const char *c = table_name(s->format_value, s->n_format_value, arg & 3);
        if (c) acar__out_str(o, c);
        if (arg & 4) {
            if (c && *c) acar__out_str(o, ", ");
            acar__out_str(o, "with format");
        }
        return 0;
    }
    case ACAR_OPK_CONVERT_VALUE: {
        const char *c = table_name(s->format_value, s->n_format_value, arg);
        have = s->n_format_value;
        if (!c) {
            what = "the conversions";
            break;
        }
        acar__out_str(o, c);
        return 0;
    }
    case ACAR_OPK_MAKE_FUNCTION:
    case ACAR_OPK_SET_FUNCTION_ATTRIBUTE:
        put_flags(o, s->function_flags, s->n_function_flags, arg);
        return 0;
    case ACAR_OPK_BINARY_OP:
    case ACAR_OPK_INTRINSIC_1:
    case ACAR_OPK_INTRINSIC_2: {
        unsigned k = in->info->kind;
        const char *c = k == ACAR_OPK_BINARY_OP ? table_name(s->nb_ops, s->n_nb_ops, arg)
                        : k == ACAR_OPK_INTRINSIC_1 ? table_name(s->intrinsic_1, s->n_intrinsic_1, arg)
                                                    : table_name(s->intrinsic_2, s->n_intrinsic_2, arg);
        have = k == ACAR_OPK_BINARY_OP ? s->n_nb_ops : k == ACAR_OPK_INTRINSIC_1 ? s->n_intrinsic_1 : s->n_intrinsic_2;
        if (!c) {
            what = k == ACAR_OPK_BINARY_OP ? "the binary operators" : "the intrinsic functions";
            break;
        }
        acar__out_str(o, c);
        return 0;
    }
    }
    if (what) {
        fail_at(d, code, ACAR_ERR_MALFORMED, in->offset, "%s argument %" PRId64 " is out of range of %s (length %zu)",
                in->info->name, arg, what, have);
        return -1;
    }
    return 0;
}

static void pad(acar_out *o, size_t n) {
    char *d = n ? acar__out_reserve(o, n) : NULL;
    if (!d) return;
    memset(d, ' ', n);
    o->buf->len += n;
}

/* s right-aligned in width (Python's rjust) */
static void rjust(acar_out *o, const char *s, size_t width) {
    size_t n = strlen(s);
    if (n < width) pad(o, width - n);
    acar__out_write(o, s, n);
}

static size_t digits(int64_t v) {
    char b[24];
    return acar_num_i64_to_dec(v, b);
}

/* Lists one code object (without its nested ones). */
static void dis_one(dis_ctx *d, const acar_val *code) {
    const acar_code_body *cb = code->u.p;
    unsigned pyver = cb->pyver;
    const acar_opset *s = acar__opset(pyver);
    acar_out *o = d->out;
    if (!s) {
        char ver[16];
        fail_at(d, code, ACAR_ERR_UNSUPPORTED, 0, "no opcode table for %s", acar__pyver_str(pyver, ver));
        return;
    }
    size_t len;
    const uint8_t *co = bytes_field(code, ACAR_CO_CODE, &len);
    bool py2 = pyver < ACAR_PYVER(3, 0), v313 = pyver >= ACAR_PYVER(3, 13);

    /* pass 1: labels (jump targets; 3.11+ handlers; 3.13 also the
     * protected ranges) */
    d->nlabels = 0;
    d->nexc = 0;
    if (pyver >= ACAR_PYVER(3, 11)) {
        int rc = exception_table(d, code);
        if (rc == -2) { nomem(d); return; }
        if (rc == -1) fail_at(d, code, ACAR_ERR_MALFORMED, 0, "co_exceptiontable holds a number beyond 2**56");
        for (size_t i = 0; i < d->nexc; i++) {
            const exc_entry *e = &d->exc[i];
            if (v313) {
                if (!add_label(d, (int64_t)e->start) || !add_label(d, (int64_t)e->end)) { nomem(d); return; }
            }
            if (v313 || e->start < e->end) {
                if (!add_label(d, (int64_t)e->target)) { nomem(d); return; }
            }
        }
    }
    acar_bcstate st = {0, 0, false};
    acar_instr in;
    const char *msg = NULL;
    int rc;
    while ((rc = acar__bytecode_next(s, co, len, &st, &in, &msg)) > 0) {
        int64_t to;
        if (jump_target(pyver, &in, co, &to) && !add_label(d, to)) { nomem(d); return; }
    }
    if (d->nlabels) {
        qsort(d->labels, d->nlabels, sizeof *d->labels, cmp_i64);
        size_t k = 1;
        for (size_t i = 1; i < d->nlabels; i++)
            if (d->labels[i] != d->labels[k - 1]) d->labels[k++] = d->labels[i];
        d->nlabels = k;
    }
    if (!line_starts(d, code, pyver, len)) { nomem(d); return; }

    /* column widths, as each version's dis sets them */
    size_t lineno_width = 3, offset_width = 4, label_width = 0;
    bool show_offsets = !v313 || (d->opts && d->opts->show_offsets);
    if (py2 || pyver == ACAR_PYVER(3, 6)) {
        lineno_width = 3;
    } else if (v313) {
        int64_t maxl = 0;
        bool any = false, none = false;
        for (size_t i = 0; i < d->nlines; i++) {
            if (d->lines[i].none) none = true;
            else if (d->lines[i].line != 0 && (!any || d->lines[i].line > maxl)) {
                maxl = d->lines[i].line;
                any = true;
            }
        }
        lineno_width = any ? digits(maxl) : 0;
        if (any && lineno_width < 3) lineno_width = 3;
        if (any && lineno_width < 4 && none) lineno_width = 4;
        label_width = 4 + digits((int64_t)d->nlabels);
        size_t m = len >= 2 ? len - 2 : 0;
        offset_width = digits(m > 9999 ? (int64_t)m : 9999);
    } else {
        int64_t maxl = 0;
        for (size_t i = 0; i < d->nlines; i++)
            if (i == 0 || d->lines[i].line > maxl) maxl = d->lines[i].line;
        if (pyver >= ACAR_PYVER(3, 10) && d->nlines == 0) lineno_width = 0;
        else if (maxl >= 1000) lineno_width = digits(maxl);
        if (len >= 2 && len - 2 >= 10000) offset_width = digits((int64_t)(len - 2));
    }

    /* pass 2: the listing */
    st = (acar_bcstate){0, 0, false};
    size_t li = 0;
    char num[32];
    for (;;) {
        rc = acar__bytecode_next(s, co, len, &st, &in, &msg);
        if (rc == 0 || rc == -1) break;
        while (li < d->nlines && d->lines[li].offset < in.offset) li++;
        const linestart *ls = li < d->nlines && d->lines[li].offset == in.offset ? &d->lines[li] : NULL;
        if (arg_meaning(d, code, s, &in, co) < 0) {
            d->arg_buf.len = 0;
            d->arg_shown = false;
        }
        if (o->failed || d->arg.failed) break;
        if (in.info->name[0] == '<')
            fail_at(d, code, ACAR_ERR_MALFORMED, in.offset, "unknown opcode %u in %s bytecode", in.opcode,
                    acar__pyver_str(pyver, num));
        bool target = label_of(d, (int64_t)in.offset) != 0;
        if (ls && lineno_width && in.offset > 0) acar__out_byte(o, '\n');
        if (py2) {
            if (ls) {
                snprintf(num, sizeof num, "%3" PRId64, ls->line);
                acar__out_str(o, num);
            } else {
                pad(o, 3);
            }
            acar__out_str(o, "     ");
            acar__out_str(o, target ? ">> " : "   ");
            snprintf(num, sizeof num, "%zu", in.offset);
            rjust(o, num, 4);
            acar__out_byte(o, ' ');
            const char *name = in.info->name;
            acar__out_str(o, name);
            size_t nl = strlen(name);
            if (nl < 20) pad(o, 20 - nl);
            if (in.has_arg) {
                acar__out_byte(o, ' ');
                snprintf(num, sizeof num, "%" PRId64 "%s", in.arg, in.py2_long ? "L" : "");
                rjust(o, num, 5);
                if (d->arg_shown) {
                    acar__out_str(o, " (");
                    acar__out_write(o, d->arg_buf.data, d->arg_buf.len);
                    acar__out_byte(o, ')');
                }
            }
            acar__out_byte(o, '\n');
        } else {
            if (lineno_width) {
                if (ls && ls->none) {
                    rjust(o, "--", lineno_width);
                } else if (ls) {
                    rjust(o, dec(num, ls->line), lineno_width);
                } else {
                    pad(o, lineno_width);
                }
                acar__out_byte(o, ' ');
            }
            if (v313) {
                size_t lab = label_of(d, (int64_t)in.offset);
                if (lab) {
                    snprintf(num, sizeof num, "L%zu:", lab);
                    rjust(o, num, label_width);
                } else {
                    pad(o, label_width);
                }
                acar__out_byte(o, ' ');
                if (show_offsets) {
                    rjust(o, dec(num, (int64_t)in.offset), offset_width);
                    acar__out_str(o, "   ");
                }
                acar__out_str(o, "    ");
            } else {
                acar__out_str(o, target ? "    >> " : "       ");
                rjust(o, dec(num, (int64_t)in.offset), offset_width);
                acar__out_byte(o, ' ');
            }
            const char *name = in.info->name;
            size_t nl = strlen(name);
            acar__out_str(o, name);
            if (in.has_arg) {
                if (nl < 20) pad(o, 20 - nl);
                acar__out_byte(o, ' ');
                dec(num, in.arg);
                size_t w = 5;
                if (v313 && nl > 20) w = nl - 20 >= 5 ? 0 : 5 - (nl - 20);
                rjust(o, num, w);
                if (d->arg_buf.len) {
                    acar__out_str(o, " (");
                    acar__out_write(o, d->arg_buf.data, d->arg_buf.len);
                    acar__out_byte(o, ')');
                }
            }
            /* (3.x strips the line: without an argument it ends at the
             * name, which is why the name is padded only before one) */
            acar__out_byte(o, '\n');
        }
        if (rc == -2) break;
    }
    if (rc < 0) fail_at(d, code, ACAR_ERR_MALFORMED, st.pos < len ? st.pos : in.offset, "%s", msg);
    else if (len && (py2 ? st.ext_set : in.has_arg && (in.info->flags & ACAR_OPF_EXT)))
        fail_at(d, code, ACAR_ERR_MALFORMED, in.offset, "co_code ends with EXTENDED_ARG: its instruction is missing");

    if (d->nexc && !o->failed) {
        acar__out_str(o, "ExceptionTable:\n");
        for (size_t i = 0; i < d->nexc; i++) {
            const exc_entry *e = &d->exc[i];
            char line[160];
            if (v313)
                snprintf(line, sizeof line, "  L%zu to L%zu -> L%zu [%" PRIu64 "]%s\n", label_of(d, (int64_t)e->start),
                         label_of(d, (int64_t)e->end), label_of(d, (int64_t)e->target), e->depth,
                         e->lasti ? " lasti" : "");
            else
                snprintf(line, sizeof line, "  %" PRIu64 " to %" PRId64 " -> %" PRIu64 " [%" PRIu64 "]%s\n", e->start,
                         (int64_t)e->end - 2, e->target, e->depth, e->lasti ? " lasti" : "");
            acar__out_str(o, line);
        }
    }
}

/* ---- the tree of code objects ---- */

typedef struct seen_set {
    const acar_val **slot;
    size_t cap, n;
} seen_set;

/* 1 when v was there already, 0 when added, -1 out of memory. */
static int seen_add(seen_set *s, const acar_val *v) {
    if (2 * (s->n + 1) > s->cap) {
        size_t nc = s->cap ? 2 * s->cap : 64;
        const acar_val **ns = calloc(nc, sizeof *ns);
        if (!ns) return -1;
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->slot[i]) continue;
            size_t k = ((uintptr_t)s->slot[i] >> 4) & (nc - 1);
            while (ns[k]) k = (k + 1) & (nc - 1);
            ns[k] = s->slot[i];
        }
        free(s->slot);
        s->slot = ns;
        s->cap = nc;
    }
    size_t k = ((uintptr_t)v >> 4) & (s->cap - 1);
    while (s->slot[k]) {
        if (s->slot[k] == v) return 1;
        k = (k + 1) & (s->cap - 1);
    }
    s->slot[k] = v;
    s->n++;
    return 0;
}

typedef struct frame {
    const acar_val *v;
    bool top;             /* a root: no "Disassembly of" header */
} frame;

int acar_code_dis(const acar_val *v, const acar_code_dis_opts *opts, acar_buf *buf, acar_err *err) {
    acar_err local;
    if (!err) err = &local;
    acar__err_clear(err);
    if (!v || !buf) {
        acar__err_set(err, ACAR_ERR_ARG, 0, "acar_code_dis needs a value and a buffer");
        return -1;
    }
    acar_out o = {.buf = buf};
    o.limit = buf->len < SIZE_MAX - ACAR_DEFAULT_MAX_OUTPUT ? buf->len + ACAR_DEFAULT_MAX_OUTPUT : SIZE_MAX;
    dis_ctx d;
    memset(&d, 0, sizeof d);
    d.opts = opts;
    d.out = &o;
    d.err = err;
    d.arg.buf = &d.arg_buf;
    seen_set seen = {NULL, 0, 0};
    size_t cap = 16, top = 0;
    frame *st = malloc(cap * sizeof *st);
    /* both buffers have memory from the start: a write of no bytes (an
     * empty name) then never adds 0 to a null pointer */
    if (st && (!acar__out_reserve(&o, 256) || !acar__out_reserve(&d.arg, 256))) {
        free(st);
        st = NULL;
    }
    if (!st) {
        acar_buf_free(&d.arg_buf);
        acar__err_set(err, ACAR_ERR_NOMEM, 0, "out of memory");
        return -1;
    }
    /* Code objects anywhere in the value: a code object is listed with
     * its nested ones; the code objects of other containers in order. */
    size_t found = 0;
    st[top++] = (frame){v, ACAR_TYPE(v) != ACAR_CODE};
    bool first = true;
    while (top && !o.failed && !d.failed) {
        frame f = st[--top];
        const acar_val *x = f.v;
        acar_type t = ACAR_TYPE(x);
        const acar_val *const *items = NULL;
        const acar_val *dict = NULL; /* a dict's children: acar__child (either form) */
        size_t n = 0;
        bool container_root = f.top;
        if (t != ACAR_CODE) {
            /* a container met again (shared, or holding itself) is walked once */
            int r = seen_add(&seen, x);
            if (r < 0) {
                nomem(&d);
                break;
            }
            if (r) continue;
        }
        if (t == ACAR_CODE) {
            int r = seen_add(&seen, x);
            if (r < 0) {
                nomem(&d);
                break;
            }
            if (!first) {
                acar__out_str(&o, "\nDisassembly of ");
                acar__code_repr(x, &o);
                acar__out_str(&o, r ? ": (listed above)\n" : ":\n");
            }
            first = false;
            found++;
            if (r) continue;
            dis_one(&d, x);
            const acar_val *consts = tuple_field(x, ACAR_CO_CONSTS);
            if (consts) {
                items = (const acar_val *const *)consts->u.items;
                n = ACAR_LEN(consts);
            }
            container_root = false;
        } else if (f.top && (t == ACAR_TUPLE || t == ACAR_LIST)) {
            items = (const acar_val *const *)x->u.items;
            n = ACAR_LEN(x);
        } else if (f.top && t == ACAR_DICT) {
            dict = x;
            n = 2 * ACAR_LEN(x);
        } else if (f.top && (t == ACAR_SET || t == ACAR_FROZENSET)) {
            items = (const acar_val *const *)x->u.items;
            n = ACAR_LEN(x);
        }
        /* pushed last first, so they come out in order */
        for (size_t i = n; i-- > 0;) {
            const acar_val *c = dict ? acar__child(dict, i) : items[i];
            acar_type ct = ACAR_TYPE(c);
            bool walk = ct == ACAR_CODE || (container_root && (ct == ACAR_TUPLE || ct == ACAR_LIST || ct == ACAR_DICT ||
                                                               ct == ACAR_SET || ct == ACAR_FROZENSET));
            if (!walk) continue;
            if (top == cap) {
                frame *q = realloc(st, 2 * cap * sizeof *st);
                if (!q) {
                    nomem(&d);
                    break;
                }
                st = q;
                cap *= 2;
            }
            st[top++] = (frame){c, ct != ACAR_CODE};
        }
    }
    free(st);
    free(seen.slot);
    free(d.labels);
    free(d.lines);
    free(d.exc);
    acar_buf_free(&d.arg_buf);
    if (!d.failed && (o.failed || d.arg.failed)) {
        if (o.over_limit)
            acar__err_set(err, ACAR_ERR_LIMIT, 0, "the listing is longer than %zu bytes", (size_t)ACAR_DEFAULT_MAX_OUTPUT);
        else
            acar__err_set(err, ACAR_ERR_NOMEM, 0, "out of memory");
        return -1;
    }
    if (!d.failed && !found) {
        acar__err_set(err, ACAR_ERR_TYPE, 0, "no code object in the data (a %s)", acar_type_name(ACAR_TYPE(v)));
        return -1;
    }
    return d.failed ? -1 : 0;
}
