/*
 * dis.c -- the pickle disassembler: the listing Python's pickletools.dis
 * prints, byte for byte, and the same verdict on broken pickles.
 *
 * One line per opcode, through the first STOP:
 *
 *     OFFSET: CODE INDENT NAME PAD ARG MARKNOTE ANNOTATION
 *
 *   OFFSET    "%5zu:" then a blank;
 *   CODE      the opcode byte as it prints inside a Python str repr ("I",
 *             "\x80"), padded to 4 columns, then a blank;
 *   INDENT    indentlevel blanks per MARK still open;
 *   NAME      the opcode's name (opcodes.h);
 *   PAD, ARG  when there is an argument or a mark note: 10 - len(NAME)
 *             blanks (none when the name is longer), a blank and the
 *             argument in its Python repr (int, True/False, float, str,
 *             bytes, bytearray(b'...'));
 *   MARKNOTE  "(MARK at N)" on opcodes that pop a MARK, "(as N)" on MEMOIZE;
 *   ANNOTATION with annotate=N: blanks up to a running column (N, then the
 *             end of the previous line's text while that is <= 50, counted in
 *             characters), a blank and the first line of the opcode's
 *             description (opcodes.c).
 * and last "highest protocol among opcodes = N".
 *
 * As it prints, the listing keeps a symbolic stack (one letter per object,
 * opcodes.h ACAR_SO_*), the offsets of the open MARKs and a memo of object
 * kinds, and stops at the first inconsistency with pickletools' message:
 * "no MARK exists on stack", "memo key 3 has never been stored into",
 * "tries to pop 2 items from stack with only 1 items", ...  The argument
 * readers stop on their own errors ("expected 5 bytes in a bytes1, but only
 * 2 remain", "invalid literal for int() with base 10: b'x'", UTF-8 and
 * escape decoding errors) before anything of that opcode is printed.  An
 * error after the offset is printed but before the line (an int too long to
 * print, a MARK popped off the stack by another opcode) leaves the offset
 * printed, as pickletools leaves it.  Every error's offset is the offset of
 * the opcode it is about (the end of the input when there is no STOP).
 *
 * Nothing is allocated from a number the input chose: every count is
 * checked against the bytes that remain, the stack grows by at most two
 * entries per opcode byte.  Output is bounded by ACAR_DEFAULT_MAX_OUTPUT
 * (MARKs nested n deep indent every line by 4n blanks: a small pickle can ask
 * for a quadratic listing).
 */
#include "core/internal.h"
#include "num/num.h"
#include "pickle/opcodes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OUTPUT ACAR_DEFAULT_MAX_OUTPUT
#define INT_DIGITS ACAR_DEFAULT_MAX_INT_DIGITS
#define PY_MAXSIZE ((uint64_t)INT64_MAX) /* sys.maxsize on the 64-bit oracle */

/* Decoded argument of one opcode.  Text and bytes point into the input or
 * into the dis's scratch buffer (valid until the next opcode). */
enum arg_kind {
    K_NONE, K_INT, K_UINT, K_BOOL,
    K_DEC,       /* canonical decimal text of an int of any size */
    K_LE,        /* two's complement little-endian bytes (LONG1/LONG4) */
    K_FLOAT, K_STR, K_BYTES, K_BYTEARRAY
};

typedef struct darg {
    enum arg_kind kind;
    int64_t i;
    uint64_t u;
    double f;
    const char *s;
    size_t n;
} darg;

typedef struct memo_slot {
    uint64_t hash;
    size_t off, len;      /* key text in dis.keys */
    char so;              /* 0: empty slot */
} memo_slot;

typedef struct dis {
    const uint8_t *p;
    size_t len, at;
    size_t pos;           /* offset of the opcode being read */
    acar_out *out;
    acar_err *err;
    acar_buf line_buf, tmp_buf, key_buf;
    acar_out line, tmp, keys;
    char *stack;
    size_t sn, scap;
    size_t *marks;
    size_t mn, mcap;
    memo_slot *memo;      /* keys outside the dense array */
    size_t memo_n, memo_cap;
    char *dense;          /* dense[key]: letter, 0 = not stored */
    size_t dense_cap, dense_n, dense_max;
    long long annotate, annocol;
    size_t indent;
} dis;

/* ---- errors ---- */

static int fail(dis *d, acar_code code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    acar__err_vset(d->err, code, d->pos, fmt, ap);
    va_end(ap);
    return -1;
}

static int nomem(dis *d) { return fail(d, ACAR_ERR_NOMEM, "out of memory in dis"); }

/* ---- Python reprs, through the repr printer ---- */

/* repr of one scalar node built on the stack (the repr printer only reads
 * the node). */
static int put_repr(dis *d, acar_out *o, acar_type t, unsigned flags, const void *p, size_t n) {
    acar_val v;
    v.tag = ACAR_TAG(t, flags, n);
    v.u.p = (void *)(uintptr_t)p;
    if (acar__repr_write(&v, NULL, o, d->err) < 0) {
        if (d->err) d->err->offset = d->pos;
        return -1;
    }
    return 0;
}

/* repr(bytes) as a C string for a message, in the tmp buffer after its
 * current contents; NULL on failure. */
static const char *bytes_repr_msg(dis *d, const uint8_t *s, size_t n) {
    acar_buf b = {0};
    acar_out o = {.buf = &b};
    if (put_repr(d, &o, ACAR_BYTES, 0, s, n) < 0 || (acar__out_byte(&o, 0), o.failed)) {
        acar_buf_free(&b);
        if (o.failed) nomem(d);
        return NULL;
    }
    size_t start = d->tmp_buf.len;
    acar__out_write(&d->tmp, b.data, b.len);
    acar_buf_free(&b);
    if (d->tmp.failed) {
        nomem(d);
        return NULL;
    }
    return d->tmp_buf.data + start;
}

/* ---- fixed-size argument readers ---- */

static int need(dis *d, size_t n, const char *what) {
    if (d->len - d->at < n) {
        d->at = d->len;
        return fail(d, ACAR_ERR_TRUNCATED, "not enough data in stream to read %s", what);
    }
    return 0;
}

static uint64_t le(const uint8_t *p, size_t n) {
    uint64_t v = 0;
    for (size_t k = n; k > 0; k--) v = v << 8 | p[k - 1];
    return v;
}

static int read_uint(dis *d, size_t n, const char *what, uint64_t *v) {
    if (need(d, n, what) < 0) return -1;
    *v = le(d->p + d->at, n);
    d->at += n;
    return 0;
}

static int read_int4(dis *d, int64_t *v) {
    uint64_t u;
    if (read_uint(d, 4, "int4", &u) < 0) return -1;
    *v = (int64_t)(int32_t)(uint32_t)u;
    return 0;
}

/* A counted byte string: count already read, n bytes must remain. */
static int counted(dis *d, uint64_t n, const char *what, const uint8_t **s) {
    size_t left = d->len - d->at;
    if (n > left) {
        d->at = d->len;
        return fail(d, ACAR_ERR_TRUNCATED, "expected %llu bytes in a %s, but only %zu remain",
                    (unsigned long long)n, what, left);
    }
    *s = d->p + d->at;
    d->at += (size_t)n;
    return 0;
}

/* One line up to '\n' (the newline consumed, not returned). */
static int readline(dis *d, const char *what, const uint8_t **s, size_t *n) {
    const uint8_t *b = d->p + d->at;
    const uint8_t *nl = memchr(b, '\n', d->len - d->at);
    if (!nl) {
        d->at = d->len;
        return fail(d, ACAR_ERR_TRUNCATED, "no newline found when trying to read %s", what);
    }
    *s = b;
    *n = (size_t)(nl - b);
    d->at += *n + 1;
    return 0;
}

/* ---- text arguments ---- */

static bool py_space(uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
static bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

/* int(s) for bytes s, base 10, as Python parses it (blanks around, a sign,
 * single underscores between digits, the int-digits limit), to canonical
 * decimal text in tmp. */
static int parse_int(dis *d, const uint8_t *s, size_t n, darg *a) {
    size_t i = 0, digits = 0;
    bool neg = false;
    uint8_t prev = 0;
    while (i < n && py_space(s[i])) i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    size_t start = i;
    if (i < n && s[i] == '_') goto invalid;
    for (; i < n && (is_digit(s[i]) || s[i] == '_'); prev = s[i++]) {
        if (s[i] != '_') digits++;
        else if (prev == '_') goto invalid;
    }
    if (prev == '_') goto invalid;
    if (digits > INT_DIGITS)
        return fail(d, ACAR_ERR_LIMIT,
                    "Exceeds the limit (%u digits) for integer string conversion: value has %zu "
                    "digits; use sys.set_int_max_str_digits() to increase the limit",
                    (unsigned)INT_DIGITS, digits);
    if (digits == 0) goto invalid;
    size_t end = i;
    while (i < n && py_space(s[i])) i++;
    if (i != n) goto invalid;
    size_t at = d->tmp_buf.len;
    bool any = false;
    for (size_t k = start; k < end; k++) {
        if (s[k] == '_' || (s[k] == '0' && !any)) continue;
        if (!any && neg) acar__out_byte(&d->tmp, '-');
        any = true;
        acar__out_byte(&d->tmp, (char)s[k]);
    }
    if (!any) acar__out_byte(&d->tmp, '0');
    if (d->tmp.failed) return nomem(d);
    a->kind = K_DEC;
    a->s = d->tmp_buf.data + at;
    a->n = d->tmp_buf.len - at;
    return 0;
invalid:;
    const char *r = bytes_repr_msg(d, s, n);
    if (!r) return -1;
    return fail(d, ACAR_ERR_MALFORMED, "invalid literal for int() with base 10: %s", r);
}

/* float(s) for bytes s, as Python parses it: single underscores between
 * digits, blanks around, "inf"/"infinity"/"nan" in any case. */
static int parse_float(dis *d, const uint8_t *s, size_t n, darg *a) {
    size_t at = d->tmp_buf.len;
    for (size_t k = 0; k < n; k++) {
        if (s[k] == '_') {
            if (k == 0 || !is_digit(s[k - 1]) || k + 1 == n || !is_digit(s[k + 1])) goto invalid;
            continue;
        }
        acar__out_byte(&d->tmp, (char)s[k]);
    }
    if (d->tmp.failed) return nomem(d);
    const uint8_t *t = (const uint8_t *)d->tmp_buf.data + at;
    size_t b = 0, e = d->tmp_buf.len - at;
    while (b < e && py_space(t[b])) b++;
    while (e > b && py_space(t[e - 1])) e--;
    if (b == e || memchr(t + b, 0, e - b)) goto invalid;
    if (acar_num_parse_double((const char *)t + b, e - b,
                              ACAR_NUM_ALLOW_SPECIAL | ACAR_NUM_ALLOW_LEADING_DOT, &a->f) < 0)
        goto invalid;
    a->kind = K_FLOAT;
    return 0;
invalid:;
    const char *r = bytes_repr_msg(d, s, n);
    if (!r) return -1;
    return fail(d, ACAR_ERR_MALFORMED, "could not convert string to float: %s", r);
}

static int hexval(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Python 2 string escapes undone (codecs.escape_decode), then the result
 * decoded as ASCII; appended to tmp. */
static int escape_decode(dis *d, const uint8_t *s, size_t n) {
    size_t start = d->tmp_buf.len;
    for (size_t i = 0; i < n;) {
        if (s[i] != '\\') {
            acar__out_byte(&d->tmp, (char)s[i++]);
            continue;
        }
        size_t bs = i++;
        if (i == n) return fail(d, ACAR_ERR_MALFORMED, "Trailing \\ in string");
        uint8_t c = s[i++];
        switch (c) {
        case '\n': break;
        case '\\': case '\'': case '"': acar__out_byte(&d->tmp, (char)c); break;
        case 'b': acar__out_byte(&d->tmp, '\b'); break;
        case 'f': acar__out_byte(&d->tmp, '\f'); break;
        case 't': acar__out_byte(&d->tmp, '\t'); break;
        case 'n': acar__out_byte(&d->tmp, '\n'); break;
        case 'r': acar__out_byte(&d->tmp, '\r'); break;
        case 'v': acar__out_byte(&d->tmp, '\v'); break;
        case 'a': acar__out_byte(&d->tmp, '\a'); break;
        case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
            unsigned v = c - '0';
            for (int k = 0; k < 2 && i < n && s[i] >= '0' && s[i] <= '7'; k++) v = v * 8 + (s[i++] - '0');
            acar__out_byte(&d->tmp, (char)(v & 0xff)); /* \400 and up keep the low byte */
            break;
        }
        case 'x':
            if (i + 1 < n && hexval(s[i]) >= 0 && hexval(s[i + 1]) >= 0) {
                acar__out_byte(&d->tmp, (char)(hexval(s[i]) << 4 | hexval(s[i + 1])));
                i += 2;
                break;
            }
            return fail(d, ACAR_ERR_MALFORMED, "invalid \\x escape at position %zu", bs);
        default: /* unknown escapes stay as they are */
            acar__out_byte(&d->tmp, '\\');
            i--;
        }
    }
    if (d->tmp.failed) return nomem(d);
    for (size_t k = start; k < d->tmp_buf.len; k++) {
        uint8_t c = (uint8_t)d->tmp_buf.data[k];
        if (c >= 0x80)
            return fail(d, ACAR_ERR_MALFORMED,
                        "'ascii' codec can't decode byte 0x%02x in position %zu: ordinal not in "
                        "range(128)", c, k - start);
    }
    return 0;
}

/* A code point as UTF-8 (surrogates as their 3-byte form) appended to tmp. */
static void put_utf8(dis *d, uint32_t cp) {
    char b[4];
    size_t n;
    if (cp < 0x80) { b[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { b[0] = (char)(0xc0 | cp >> 6); b[1] = (char)(0x80 | (cp & 0x3f)); n = 2; }
    else if (cp < 0x10000) {
        b[0] = (char)(0xe0 | cp >> 12);
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        b[0] = (char)(0xf0 | cp >> 18);
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    acar__out_write(&d->tmp, b, n);
}

static int decode_error(dis *d, const char *codec, size_t start, size_t end, uint8_t byte,
                        const char *why) {
    if (end == start + 1)
        return fail(d, ACAR_ERR_MALFORMED, "'%s' codec can't decode byte 0x%02x in position %zu: %s",
                    codec, byte, start, why);
    return fail(d, ACAR_ERR_MALFORMED, "'%s' codec can't decode bytes in position %zu-%zu: %s",
                codec, start, end - 1, why);
}

/* raw-unicode-escape: bytes are Latin-1 code points except \uXXXX and
 * \UXXXXXXXX after an odd run of backslashes; UTF-8 appended to tmp. */
static int raw_unicode_escape(dis *d, const uint8_t *s, size_t n) {
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i++];
        if (c != '\\' || i >= n) {
            put_utf8(d, c);
            continue;
        }
        c = s[i++];
        int count = c == 'u' ? 4 : c == 'U' ? 8 : 0;
        if (!count) {
            put_utf8(d, '\\');
            put_utf8(d, c);
            continue;
        }
        size_t start = i - 2;
        uint32_t cp = 0;
        const char *why = count == 4 ? "truncated \\uXXXX escape" : "truncated \\UXXXXXXXX escape";
        for (; count; count--, i++) {
            if (i >= n || hexval(s[i]) < 0) return decode_error(d, "rawunicodeescape", start, i, 0, why);
            cp = cp << 4 | (uint32_t)hexval(s[i]);
        }
        if (cp > 0x10ffff)
            return decode_error(d, "rawunicodeescape", start, i, 0, "\\Uxxxxxxxx out of range");
        put_utf8(d, cp);
    }
    return d->tmp.failed ? nomem(d) : 0;
}

static bool cont(uint8_t c) { return (c & 0xc0) == 0x80; }

/* Checks UTF-8 as Python decodes it with errors='surrogatepass', with its
 * error messages: the decoder's verdict at the first bad sequence, which the
 * error handler overrules only for an encoded surrogate. */
static int check_utf8(dis *d, const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) { i++; continue; }
        size_t avail = n - i;
        int kind; /* 0 end of data; 1 invalid start; k >= 2: bad continuation, k - 1 bytes */
        if (c < 0xc2) kind = 1;
        else if (c < 0xe0) {
            if (avail < 2) kind = 0;
            else if (!cont(s[i + 1])) kind = 2;
            else { i += 2; continue; }
        } else if (c < 0xf0) {
            if (avail < 3) {
                if (avail < 2) kind = 0;
                else if (!cont(s[i + 1]) || (s[i + 1] < 0xa0 ? c == 0xe0 : c == 0xed)) kind = 2;
                else kind = 0;
            } else if (!cont(s[i + 1]) || (c == 0xe0 && s[i + 1] < 0xa0) || (c == 0xed && s[i + 1] >= 0xa0)) {
                kind = 2;
            } else if (!cont(s[i + 2])) kind = 3;
            else { i += 3; continue; }
        } else if (c < 0xf5) {
            bool bad2 = avail >= 2 && (!cont(s[i + 1]) || (s[i + 1] < 0x90 ? c == 0xf0 : c == 0xf4));
            if (avail < 4) {
                if (avail < 2) kind = 0;
                else if (bad2) kind = 2;
                else if (avail == 3 && !cont(s[i + 2])) kind = 3;
                else kind = 0;
            } else if (bad2) kind = 2;
            else if (!cont(s[i + 2])) kind = 3;
            else if (!cont(s[i + 3])) kind = 4;
            else { i += 4; continue; }
        } else kind = 1;
        /* surrogatepass takes ED A0..BF xx, a lone surrogate */
        if (avail >= 3 && c == 0xed && s[i + 1] >= 0xa0 && s[i + 1] <= 0xbf && cont(s[i + 2])) {
            i += 3;
            continue;
        }
        if (kind == 0) return decode_error(d, "utf-8", i, n, c, "unexpected end of data");
        if (kind == 1) return decode_error(d, "utf-8", i, i + 1, c, "invalid start byte");
        return decode_error(d, "utf-8", i, i + (size_t)kind - 1, c, "invalid continuation byte");
    }
    return 0;
}

/* stringnl: quotes stripped, escapes undone, ASCII. */
static int read_stringnl(dis *d, bool quotes, darg *a) {
    const uint8_t *s = NULL; /* set by readline on success */
    size_t n = 0;
    if (readline(d, "stringnl", &s, &n) < 0) return -1;
    if (quotes) {
        if (n && (s[0] == '"' || s[0] == '\'')) {
            if (s[n - 1] != s[0]) {
                const char *q = s[0] == '"' ? "b'\"'" : "b\"'\"";
                const char *r = bytes_repr_msg(d, s, n);
                if (!r) return -1;
                return fail(d, ACAR_ERR_MALFORMED, "strinq quote %s not found at both ends of %s", q, r);
            }
            s++;
            n = n >= 2 ? n - 2 : 0;
        } else {
            const char *r = bytes_repr_msg(d, s, n);
            if (!r) return -1;
            return fail(d, ACAR_ERR_MALFORMED, "no string quotes around %s", r);
        }
    }
    size_t at = d->tmp_buf.len;
    if (escape_decode(d, s, n) < 0) return -1;
    a->kind = K_STR;
    a->s = d->tmp_buf.data + at;
    a->n = d->tmp_buf.len - at;
    return 0;
}

static int read_arg(dis *d, acar_pickle_arg kind, darg *a) {
    uint64_t u;
    int64_t i;
    const uint8_t *s = NULL;
    size_t n = 0; /* set by readline on success */
    memset(a, 0, sizeof(*a));
    d->tmp_buf.len = 0;
    switch (kind) {
    case ACAR_PA_NONE: return 0;
    case ACAR_PA_UINT1: case ACAR_PA_UINT2: case ACAR_PA_UINT4: {
        size_t w = kind == ACAR_PA_UINT1 ? 1 : kind == ACAR_PA_UINT2 ? 2 : 4;
        if (read_uint(d, w, acar_pickle_arg_name(kind), &u) < 0) return -1;
        a->kind = K_INT;
        a->i = (int64_t)u;
        return 0;
    }
    case ACAR_PA_INT4:
        if (read_int4(d, &a->i) < 0) return -1;
        a->kind = K_INT;
        return 0;
    case ACAR_PA_UINT8:
        if (read_uint(d, 8, "uint8", &a->u) < 0) return -1;
        a->kind = K_UINT;
        return 0;
    case ACAR_PA_LONG1:
    case ACAR_PA_LONG4:
        if (kind == ACAR_PA_LONG1) {
            if (read_uint(d, 1, "uint1", &u) < 0) return -1;
        } else {
            if (read_int4(d, &i) < 0) return -1;
            if (i < 0) return fail(d, ACAR_ERR_MALFORMED, "long4 byte count < 0: %lld", (long long)i);
            u = (uint64_t)i;
        }
        if (u > d->len - d->at) {
            d->at = d->len;
            return fail(d, ACAR_ERR_TRUNCATED, "not enough data in stream to read %s",
                        acar_pickle_arg_name(kind));
        }
        a->kind = K_LE;
        a->s = (const char *)d->p + d->at;
        a->n = (size_t)u;
        d->at += (size_t)u;
        return 0;
    case ACAR_PA_DECIMALNL_SHORT:
    case ACAR_PA_DECIMALNL_LONG:
        if (readline(d, "stringnl", &s, &n) < 0) return -1;
        if (kind == ACAR_PA_DECIMALNL_SHORT && n == 2 && s[0] == '0' && (s[1] == '0' || s[1] == '1')) {
            a->kind = K_BOOL;
            a->i = s[1] == '1';
            return 0;
        }
        if (kind == ACAR_PA_DECIMALNL_LONG && n && s[n - 1] == 'L') n--;
        return parse_int(d, s, n, a);
    case ACAR_PA_FLOATNL:
        if (readline(d, "stringnl", &s, &n) < 0) return -1;
        return parse_float(d, s, n, a);
    case ACAR_PA_FLOAT8: {
        if (read_uint(d, 8, "float8", &u) < 0) return -1;
        /* big-endian on the wire: le() read it reversed */
        uint64_t be = 0;
        for (int k = 0; k < 8; k++) be = be << 8 | ((u >> (8 * k)) & 0xff);
        memcpy(&a->f, &be, 8);
        a->kind = K_FLOAT;
        return 0;
    }
    case ACAR_PA_STRINGNL: return read_stringnl(d, true, a);
    case ACAR_PA_STRINGNL_NOESCAPE: return read_stringnl(d, false, a);
    case ACAR_PA_STRINGNL_NOESCAPE_PAIR: {
        darg b;
        if (read_stringnl(d, false, a) < 0) return -1;
        size_t off = (size_t)(a->s - d->tmp_buf.data);
        acar__out_byte(&d->tmp, ' ');
        if (read_stringnl(d, false, &b) < 0) return -1;
        a->s = d->tmp_buf.data + off; /* tmp may have moved */
        a->n = d->tmp_buf.len - off;
        return 0;
    }
    case ACAR_PA_STRING1: case ACAR_PA_STRING4: {
        if (kind == ACAR_PA_STRING1) {
            if (read_uint(d, 1, "uint1", &u) < 0) return -1;
        } else {
            if (read_int4(d, &i) < 0) return -1;
            if (i < 0) return fail(d, ACAR_ERR_MALFORMED, "string4 byte count < 0: %lld", (long long)i);
            u = (uint64_t)i;
        }
        if (counted(d, u, acar_pickle_arg_name(kind), &s) < 0) return -1;
        for (size_t k = 0; k < (size_t)u; k++) put_utf8(d, s[k]); /* Latin-1 */
        if (d->tmp.failed) return nomem(d);
        a->kind = K_STR;
        a->s = d->tmp_buf.data;
        a->n = d->tmp_buf.len;
        return 0;
    }
    case ACAR_PA_BYTES1: case ACAR_PA_BYTES4: case ACAR_PA_BYTES8: case ACAR_PA_BYTEARRAY8:
    case ACAR_PA_UNICODESTRING1: case ACAR_PA_UNICODESTRING4: case ACAR_PA_UNICODESTRING8: {
        bool one = kind == ACAR_PA_BYTES1 || kind == ACAR_PA_UNICODESTRING1;
        bool four = kind == ACAR_PA_BYTES4 || kind == ACAR_PA_UNICODESTRING4;
        const char *what = acar_pickle_arg_name(kind);
        if (read_uint(d, one ? 1 : four ? 4 : 8, one ? "uint1" : four ? "uint4" : "uint8", &u) < 0)
            return -1;
        if (u > PY_MAXSIZE)
            return fail(d, ACAR_ERR_MALFORMED, "%s byte count > sys.maxsize: %llu", what,
                        (unsigned long long)u);
        if (counted(d, u, what, &s) < 0) return -1;
        a->s = (const char *)s;
        a->n = (size_t)u;
        if (kind == ACAR_PA_BYTEARRAY8) a->kind = K_BYTEARRAY;
        else if (kind == ACAR_PA_BYTES1 || kind == ACAR_PA_BYTES4 || kind == ACAR_PA_BYTES8)
            a->kind = K_BYTES;
        else {
            if (check_utf8(d, s, (size_t)u) < 0) return -1;
            a->kind = K_STR;
        }
        return 0;
    }
    case ACAR_PA_UNICODESTRINGNL:
        if (readline(d, "unicodestringnl", &s, &n) < 0) return -1;
        if (raw_unicode_escape(d, s, n) < 0) return -1;
        a->kind = K_STR;
        a->s = d->tmp_buf.data;
        a->n = d->tmp_buf.len;
        return 0;
    }
    return fail(d, ACAR_ERR_MALFORMED, "opcode with an unknown argument shape");
}

/* repr(arg) appended to o. */
static int put_arg(dis *d, acar_out *o, const darg *a) {
    char buf[ACAR_NUM_FLOAT_REPR_MAX]; /* a float repr's room; more than an int needs */
    switch (a->kind) {
    case K_NONE: acar__out_str(o, "None"); return 0;
    case K_INT: acar__out_write(o, buf, acar_num_i64_to_dec(a->i, buf)); return 0;
    case K_UINT: acar__out_write(o, buf, (size_t)snprintf(buf, sizeof buf, "%llu", (unsigned long long)a->u)); return 0;
    case K_BOOL: acar__out_str(o, a->i ? "True" : "False"); return 0;
    case K_DEC: acar__out_write(o, a->s, a->n); return 0;
    case K_FLOAT: acar__out_write(o, buf, acar_num_float_repr(a->f, buf)); return 0;
    case K_STR: return put_repr(d, o, ACAR_STR, 0, a->s, a->n);
    case K_BYTES: return put_repr(d, o, ACAR_BYTES, 0, a->s, a->n);
    case K_BYTEARRAY: return put_repr(d, o, ACAR_BYTEARRAY, 0, a->s, a->n);
    case K_LE: {
        if (a->n == 0) {
            acar__out_byte(o, '0');
            return 0;
        }
        uint32_t *mag = malloc(((a->n + 3) / 4) * sizeof(uint32_t));
        if (!mag) return nomem(d);
        int neg = 0;
        size_t limbs = acar_num_big_from_le_twos((const uint8_t *)a->s, a->n, mag, &neg);
        int rc = put_repr(d, o, ACAR_INT, ACAR_F_BIG | (neg ? ACAR_F_NEG : 0), mag, limbs);
        free(mag);
        return rc;
    }
    }
    return 0;
}

/* ---- memo: key (a Python int) -> stack object letter ----
 * Keys below dense_max (twice the input length: memory stays proportional
 * to the input whatever index a PUT names) live in a byte array indexed by
 * key, the way the opcodes number them; any other key (negative, huge,
 * sparse) in a hash table by its decimal text.  With the hash table
 * alone, its lookups were 20% of listing a 12 MB protocol 2 pickle with
 * 700,000 BINPUTs (cache misses); the array and the offsets printed by hand
 * (below) took that listing from 3.5 s to 1.0 s. */

static uint64_t key_hash(const char *s, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 0x100000001b3ull;
    return h;
}

static memo_slot *memo_find(dis *d, const char *k, size_t n, uint64_t h) {
    if (!d->memo_cap) return NULL;
    for (size_t i = (size_t)h & (d->memo_cap - 1);; i = (i + 1) & (d->memo_cap - 1)) {
        memo_slot *m = &d->memo[i];
        if (!m->so) return m;
        if (m->hash == h && m->len == n && memcmp(d->key_buf.data + m->off, k, n) == 0) return m;
    }
}

static int memo_put(dis *d, const char *k, size_t n, char so) {
    if (2 * (d->memo_n + 1) > d->memo_cap) {
        size_t cap = d->memo_cap ? 2 * d->memo_cap : 64;
        memo_slot *t = calloc(cap, sizeof(*t));
        if (!t) return nomem(d);
        for (size_t i = 0; i < d->memo_cap; i++) {
            memo_slot *m = &d->memo[i];
            if (!m->so) continue;
            size_t j = (size_t)m->hash & (cap - 1);
            while (t[j].so) j = (j + 1) & (cap - 1);
            t[j] = *m;
        }
        free(d->memo);
        d->memo = t;
        d->memo_cap = cap;
    }
    uint64_t h = key_hash(k, n);
    memo_slot *m = memo_find(d, k, n, h);
    m->hash = h;
    m->off = d->key_buf.len;
    m->len = n;
    m->so = so;
    acar__out_write(&d->keys, k, n);
    if (d->keys.failed) return nomem(d);
    d->memo_n++;
    return 0;
}

/* The memo key of an argument: Python's int value as text (True is 1),
 * and as a number in *num when it is one from 0 to 10^18 - 1. */
static const char *memo_key(const darg *a, char buf[32], size_t *n, uint64_t *num, bool *is_num) {
    const char *k = buf;
    switch (a->kind) {
    case K_INT: *n = acar_num_i64_to_dec(a->i, buf); break;
    case K_BOOL: buf[0] = a->i ? '1' : '0'; *n = 1; break;
    case K_DEC: *n = a->n; k = a->s; break;
    default: *n = 0; break;
    }
    *is_num = *n > 0 && *n <= 18 && k[0] != '-';
    *num = 0;
    for (size_t i = 0; *is_num && i < *n; i++) *num = *num * 10 + (uint64_t)(k[i] - '0');
    return k;
}

/* The letter stored under a key, or 0. */
static char memo_get(dis *d, const char *k, size_t n, uint64_t num, bool is_num) {
    if (is_num && num < d->dense_max) return num < d->dense_cap ? d->dense[num] : 0;
    memo_slot *m = memo_find(d, k, n, key_hash(k, n));
    return m ? m->so : 0;
}

static int memo_set(dis *d, const char *k, size_t n, uint64_t num, bool is_num, char so) {
    if (is_num && num < d->dense_max) {
        if (num >= d->dense_cap) {
            size_t cap = d->dense_cap ? d->dense_cap : 256;
            while (cap <= num) cap *= 2;
            char *t = realloc(d->dense, cap);
            if (!t) return nomem(d);
            memset(t + d->dense_cap, 0, cap - d->dense_cap);
            d->dense = t;
            d->dense_cap = cap;
        }
        d->dense[num] = so;
        d->dense_n++;
        return 0;
    }
    return memo_put(d, k, n, so);
}

/* ---- the listing ---- */

static int push(dis *d, char so) {
    if (d->sn == d->scap) {
        size_t cap = d->scap ? 2 * d->scap : 256;
        char *s = realloc(d->stack, cap);
        if (!s) return nomem(d);
        d->stack = s;
        d->scap = cap;
    }
    d->stack[d->sn++] = so;
    return 0;
}

static int push_mark(dis *d, size_t pos) {
    if (d->mn == d->mcap) {
        size_t cap = d->mcap ? 2 * d->mcap : 64;
        size_t *m = realloc(d->marks, cap * sizeof(*m));
        if (!m) return nomem(d);
        d->marks = m;
        d->mcap = cap;
    }
    d->marks[d->mn++] = pos;
    return 0;
}

/* Characters (code points) in UTF-8 text. */
static size_t chars(const char *s, size_t n) {
    size_t c = 0;
    for (size_t i = 0; i < n; i++) c += ((uint8_t)s[i] & 0xc0) != 0x80;
    return c;
}

/* Bytes the listing may still grow by. */
static size_t room(const dis *d) {
    size_t used = d->out->buf->len + d->line_buf.len;
    return used < MAX_OUTPUT ? MAX_OUTPUT - used : 0;
}

static int too_long(dis *d) {
    return fail(d, ACAR_ERR_LIMIT, "dis listing longer than %zu bytes", (size_t)MAX_OUTPUT);
}

/* n blanks (none when n <= 0) on the line being built. */
static int blanks(dis *d, long long n) {
    if (n <= 0) return 0;
    if ((unsigned long long)n > room(d)) return too_long(d);
    char *p = acar__out_reserve(&d->line, (size_t)n);
    if (!p) return nomem(d);
    memset(p, ' ', (size_t)n);
    d->line_buf.len += (size_t)n;
    return 0;
}

/* repr(arg) of an argument into a message (bounded), as C string. */
static const char *arg_text(dis *d, const darg *a, char *buf, size_t cap) {
    acar_buf b = {0};
    acar_out o = {.buf = &b};
    acar_err keep;
    if (d->err) keep = *d->err;
    if (put_arg(d, &o, a) < 0 || o.failed) snprintf(buf, cap, "?");
    else snprintf(buf, cap, "%.*s", (int)(b.len < cap ? b.len : cap - 1), b.data);
    if (d->err) *d->err = keep;
    acar_buf_free(&b);
    return buf;
}

static int one_op(dis *d, bool *stop) {
    size_t pos = d->pos = d->at;
    if (pos >= d->len) return fail(d, ACAR_ERR_TRUNCATED, "pickle exhausted before seeing STOP");
    uint8_t code = d->p[pos];
    const acar_pickle_opinfo *op = &acar_pickle_ops[code];
    if (!op->name) {
        const char *r = bytes_repr_msg(d, &code, 1);
        if (!r) return -1;
        return fail(d, ACAR_ERR_MALFORMED, "at position %zu, opcode %s unknown", pos, r);
    }
    d->at++;
    darg a;
    if (read_arg(d, (acar_pickle_arg)op->arg, &a) < 0) return -1;

    /* "%5zu: " by hand: snprintf was 7% of a long listing */
    char pre[32];
    size_t pk = sizeof pre;
    pre[--pk] = ' ';
    pre[--pk] = ':';
    size_t v = pos;
    do pre[--pk] = (char)('0' + v % 10); while ((v /= 10) != 0);
    while (pk > sizeof pre - 7) pre[--pk] = ' ';
    acar__out_write(d->out, pre + pk, sizeof pre - pk);
    acar_out *l = &d->line;
    d->line_buf.len = 0;
    if (code >= 0x20 && code < 0x7f) {
        acar__out_byte(l, (char)code);
        acar__out_write(l, "   ", 3);
    } else {
        acar__out_write(l, pre, (size_t)snprintf(pre, sizeof pre, "\\x%02x", code));
    }
    acar__out_byte(l, ' ');
    if (d->indent && d->mn > room(d) / d->indent) return too_long(d);
    if (blanks(d, (long long)(d->indent * d->mn)) < 0) return -1;
    acar__out_str(l, op->name);

    const char *before = op->before, *after = op->after;
    size_t numtopop = strlen(before);
    const char *mark_in = strchr(before, ACAR_SO_MARK);
    char markmsg[64] = "", errbuf[ACAR_ERR_MSG_MAX] = "";
    const char *errormsg = NULL;
    char got = 0; /* GET: the memoized object's letter */

    if (mark_in || (code == ACAR_OP_POP && d->sn && d->stack[d->sn - 1] == ACAR_SO_MARK)) {
        if (d->mn) {
            snprintf(markmsg, sizeof markmsg, "(MARK at %zu)", d->marks[--d->mn]);
            /* pop through the topmost mark: another opcode may have taken
             * it off the stack already */
            while (d->sn && d->stack[d->sn - 1] != ACAR_SO_MARK) d->sn--;
            if (!d->sn) return fail(d, ACAR_ERR_MALFORMED, "list index out of range");
            d->sn--;
            numtopop = mark_in ? (size_t)(mark_in - before) : 0;
        } else {
            errormsg = "no MARK exists on stack";
            snprintf(markmsg, sizeof markmsg, "%s", errormsg);
        }
    }

    if (code == ACAR_OP_PUT || code == ACAR_OP_BINPUT || code == ACAR_OP_LONG_BINPUT ||
        code == ACAR_OP_MEMOIZE) {
        char kb[32];
        size_t kn;
        uint64_t num;
        bool is_num;
        const char *k;
        if (code == ACAR_OP_MEMOIZE) {
            darg idx;
            memset(&idx, 0, sizeof idx);
            idx.kind = K_INT;
            idx.i = (int64_t)(d->memo_n + d->dense_n);
            k = memo_key(&idx, kb, &kn, &num, &is_num);
            snprintf(markmsg, sizeof markmsg, "(as %.*s)", (int)kn, kb);
        } else {
            k = memo_key(&a, kb, &kn, &num, &is_num);
        }
        if (memo_get(d, k, kn, num, is_num)) {
            char at[ACAR_ERR_MSG_MAX];
            snprintf(errbuf, sizeof errbuf, "memo key %s already defined",
                     code == ACAR_OP_MEMOIZE ? "None" : arg_text(d, &a, at, sizeof at));
            errormsg = errbuf;
        } else if (!d->sn) {
            errormsg = "stack is empty -- can't store into memo";
        } else if (d->stack[d->sn - 1] == ACAR_SO_MARK) {
            errormsg = "can't store markobject in the memo";
        } else if (memo_set(d, k, kn, num, is_num, d->stack[d->sn - 1]) < 0) {
            return -1;
        }
    } else if (code == ACAR_OP_GET || code == ACAR_OP_BINGET || code == ACAR_OP_LONG_BINGET) {
        char kb[32];
        size_t kn;
        uint64_t num;
        bool is_num;
        const char *k = memo_key(&a, kb, &kn, &num, &is_num);
        got = memo_get(d, k, kn, num, is_num);
        if (!got) {
            char at[ACAR_ERR_MSG_MAX];
            snprintf(errbuf, sizeof errbuf, "memo key %s has never been stored into",
                     arg_text(d, &a, at, sizeof at));
            errormsg = errbuf;
        }
    }

    if (a.kind != K_NONE || markmsg[0]) {
        if (blanks(d, 10 - (long long)strlen(op->name)) < 0) return -1;
        if (a.kind != K_NONE) {
            acar__out_byte(l, ' ');
            if (put_arg(d, l, &a) < 0) return -1;
        }
        if (markmsg[0]) {
            acar__out_byte(l, ' ');
            acar__out_str(l, markmsg);
        }
    }
    if (d->annotate) {
        long long width = (long long)chars(d->line_buf.data, d->line_buf.len);
        if (blanks(d, d->annocol - width) < 0) return -1;
        d->annocol = width > d->annocol ? width : d->annocol;
        if (d->annocol > 50) d->annocol = d->annotate;
        acar__out_byte(l, ' ');
        acar__out_str(l, op->doc);
    }
    acar__out_byte(l, '\n');
    if (l->failed) return nomem(d);
    if (d->out->buf->len + d->line_buf.len > MAX_OUTPUT) return too_long(d);
    acar__out_write(d->out, d->line_buf.data, d->line_buf.len);

    if (errormsg) return fail(d, ACAR_ERR_MALFORMED, "%s", errormsg);
    if (d->sn < numtopop)
        return fail(d, ACAR_ERR_MALFORMED, "tries to pop %zu items from stack with only %zu items",
                    numtopop, d->sn);
    d->sn -= numtopop;
    if (got) {
        if (push(d, got) < 0) return -1;
    } else {
        for (const char *s = after; *s; s++) {
            if (*s == ACAR_SO_MARK && push_mark(d, pos) < 0) return -1;
            if (push(d, *s) < 0) return -1;
        }
    }
    *stop = code == ACAR_OP_STOP;
    return 0;
}

int acar_dis(const void *data, size_t len, const acar_dis_opts *opts, acar_buf *out, acar_err *err) {
    if ((!data && len) || !out) {
        acar__err_set(err, ACAR_ERR_ARG, 0, "acar_dis: NULL %s", out ? "data" : "out");
        return -1;
    }
    if (len > ACAR_DEFAULT_MAX_INPUT) {
        /* the readers' default (acar_limits.max_input): dis takes no limits */
        acar__err_set(err, ACAR_ERR_LIMIT, ACAR_DEFAULT_MAX_INPUT,
                      "input of %zu bytes is longer than %zu bytes (max_input)", len,
                      (size_t)ACAR_DEFAULT_MAX_INPUT);
        return -1;
    }
    acar_out o = {.buf = out};
    dis d;
    memset(&d, 0, sizeof(d));
    d.p = data ? (const uint8_t *)data : (const uint8_t *)"";
    d.len = len;
    d.out = &o;
    d.err = err;
    d.line.buf = &d.line_buf;
    d.tmp.buf = &d.tmp_buf;
    d.keys.buf = &d.key_buf;
    d.annotate = d.annocol = opts ? opts->annotate : 0;
    int il = opts ? opts->indentlevel : 0;
    d.indent = il == 0 ? 4 : il < 0 ? 0 : (size_t)il;
    d.dense_max = len < SIZE_MAX / 2 - 256 ? 2 * len + 256 : SIZE_MAX;
    /* the scratch buffers always have memory, so text built in them is
     * never a null pointer even when empty */
    if (!acar__out_reserve(&d.line, 256) || !acar__out_reserve(&d.tmp, 256) ||
        !acar__out_reserve(&d.keys, 256)) {
        acar_buf_free(&d.line_buf);
        acar_buf_free(&d.tmp_buf);
        acar_buf_free(&d.key_buf);
        return nomem(&d);
    }

    int rc = 0, maxproto = -1;
    for (bool stop = false; !stop;) {
        rc = one_op(&d, &stop);
        if (rc < 0) break;
        int proto = acar_pickle_ops[d.p[d.pos]].proto;
        if (proto > maxproto) maxproto = proto;
    }
    if (rc == 0) {
        char line[64];
        acar__out_write(&o, line,
                        (size_t)snprintf(line, sizeof line, "highest protocol among opcodes = %d\n", maxproto));
        if (d.sn) {
            /* "[int, list, ...]" */
            char msg[ACAR_ERR_MSG_MAX];
            size_t m = 0;
            for (size_t i = 0; i < d.sn && m < sizeof msg - 1; i++) {
                int w = snprintf(msg + m, sizeof msg - m, "%s%s", i ? ", " : "[",
                                 acar_pickle_stack_name(d.stack[i]));
                m += w > 0 ? (size_t)w : 0;
            }
            if (m < sizeof msg - 1) snprintf(msg + m, sizeof msg - m, "]");
            rc = fail(&d, ACAR_ERR_MALFORMED, "stack not empty after STOP: %s", msg);
        }
    }
    if (rc == 0 && o.failed) rc = nomem(&d);
    acar_buf_free(&d.line_buf);
    acar_buf_free(&d.tmp_buf);
    acar_buf_free(&d.key_buf);
    free(d.stack);
    free(d.marks);
    free(d.memo);
    free(d.dense);
    return rc;
}
