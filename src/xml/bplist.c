/*
 * bplist.c -- binary property lists, read as plistlib.loads(data,
 * fmt=FMT_BINARY) reads them and written byte for byte as
 * plistlib.dumps(value, fmt=FMT_BINARY, sort_keys=..., skipkeys=...)
 * writes them (CPython 3.11).  docs/xml.md, "Binary plists", says it for
 * users.
 *
 * Wire format ("bplist00"):
 *   header    8 bytes "bplist00" (the reader, like plistlib given the
 *             format, does not look at it)
 *   objects   each a token byte: high nibble the type, low nibble a size
 *             (0xF: an int object follows that holds the size)
 *               00 None  08 False  09 True  0F b''
 *               1n int of 2^n big-endian bytes (n >= 3: signed)
 *               22 / 23 float32 / float64     33 date: float64 seconds
 *                                               since 2001-01-01 00:00
 *               4n data   5n ASCII str   6n UTF-16BE str (n code units)
 *               8n UID of n+1 bytes
 *               An array: n refs      Dn dict: n key refs, n value refs
 *   offsets   one per object, offset_size bytes each, big-endian
 *   trailer   32 bytes: 6 unused, offset_size, ref_size, then 8-byte
 *             num_objects, top_object, offset_table_offset
 *
 * Reading follows plistlib exactly, including where it is lax: an int
 * object cut short by the end of the data is what bytes there are, offset
 * and ref sizes other than 1/2/4/8 are big-endian numbers of that many
 * bytes, an object is read only when reached, each object once (a ref met
 * again is the same node, so a container may contain itself), and dict keys
 * may be any hashable value with Python's merging of equal keys.  Nesting
 * is walked with an explicit stack, every offset, count and size is checked
 * against the data before use, and memory is linear in the input: refs take
 * at least one byte each in the file, an object is built once however
 * often it is referenced, and the bytes of text, data and long ints that
 * overlapping objects can make of a small file count against max_memory.
 *
 * plistlib.UID(n) becomes the object plistlib.UID(n) (REDUCE of the global
 * with args (n,)), as pickle loads it, and is written back as a UID.
 *
 * Writing is plistlib's two passes: flatten the value into the object
 * table in depth-first order (a dict's keys, then its values), sharing
 * ints, floats, strs, bytes, datetimes and bools with an equal one of the
 * same type (0.0 and -0.0 are equal; a NaN only to itself), and containers,
 * bytearrays and UIDs only when they are the same node; then write the
 * objects, the offset table and the trailer.
 */
#include "core/internal.h"
#include "num/num.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

/* date(2001, 1, 1).toordinal(), and date(9999, 12, 31).toordinal() */
#define EPOCH_ORD 730486
#define MAX_ORD 3652059
#define US_PER_DAY 86400000000LL

/* ====================================================================
 * Calendar: proleptic Gregorian ordinals, as datetime does them
 * ================================================================== */

static const int days_before_month[13] = {0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
static const int days_in_month[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

static bool is_leap(long y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

static long ymd_to_ord(long y, long m, long d) {
    long y1 = y - 1;
    return y1 * 365 + y1 / 4 - y1 / 100 + y1 / 400 + days_before_month[m] +
           (m > 2 && is_leap(y)) + d;
}

static void ord_to_ymd(long n, acar_datetime *dt) {
    n -= 1;
    long n400 = n / 146097;
    n %= 146097;
    long year = n400 * 400 + 1;
    long n100 = n / 36524;
    n %= 36524;
    long n4 = n / 1461;
    n %= 1461;
    long n1 = n / 365;
    n %= 365;
    year += n100 * 100 + n4 * 4 + n1;
    if (n1 == 4 || n100 == 4) {
        dt->year = (int)(year - 1);
        dt->month = 12;
        dt->day = 31;
        return;
    }
    bool leap = n1 == 3 && (n4 != 24 || n100 == 3);
    long month = (n + 50) >> 5;
    long preceding = days_before_month[month] + (month > 2 && leap);
    if (preceding > n) {
        month--;
        preceding -= days_in_month[month] + (month == 2 && leap);
    }
    dt->year = (int)year;
    dt->month = (int)month;
    dt->day = (int)(n - preceding + 1);
}

/* datetime(2001, 1, 1) + timedelta(seconds=f): timedelta keeps the whole
 * seconds exactly, truncates the fraction times 10^6 to whole microseconds
 * and rounds what is left half to even (on the parity of the microseconds
 * so far).  0, or -1 where Python raises (NaN, infinity, out of range). */
static int date_from_seconds(double f, acar_datetime *dt) {
    double ip;
    double fp = modf(f, &ip);
    /* |ip| <= 1e12 covers every datetime (years 1..9999 are within 2.6e11
     * seconds of 2001) and keeps the arithmetic below inside int64. */
    if (!(fabs(ip) <= 1e12)) return -1;
    int64_t us = (int64_t)ip * 1000000;
    if (fp != 0.0) {
        double ip2;
        double left = modf(1000000.0 * fp, &ip2);
        us += (int64_t)ip2;
        if (left != 0.0) {
            double whole = round(left);
            if (fabs(whole - left) == 0.5) {
                int odd = (int)(us & 1);
                whole = 2.0 * round((left + odd) * 0.5) - odd;
            }
            us += (int64_t)whole;
        }
    }
    int64_t days = us / US_PER_DAY, rem = us % US_PER_DAY;
    if (rem < 0) {
        rem += US_PER_DAY;
        days--;
    }
    int64_t ord = EPOCH_ORD + days;
    if (ord < 1 || ord > MAX_ORD) return -1;
    ord_to_ymd((long)ord, dt);
    dt->microsecond = (int)(rem % 1000000);
    rem /= 1000000;
    dt->second = (int)(rem % 60);
    rem /= 60;
    dt->minute = (int)(rem % 60);
    dt->hour = (int)(rem / 60);
    dt->fold = 0;
    return 0;
}

/* (dt - datetime(2001, 1, 1)).total_seconds(): microseconds / 10^6,
 * correctly rounded (Python divides the ints exactly). */
static double date_to_seconds(const acar_datetime *dt) {
    int64_t us = (int64_t)(ymd_to_ord(dt->year, dt->month, dt->day) - EPOCH_ORD) * US_PER_DAY +
                 ((int64_t)dt->hour * 3600 + dt->minute * 60 + dt->second) * 1000000 +
                 dt->microsecond;
    const int64_t exact = (int64_t)1 << 53;
    if (us >= -exact && us <= exact) return (double)us / 1e6;
    /* Beyond 2^53 the int does not convert exactly: let the correctly
     * rounded decimal parser divide. */
    char buf[40];
    int n = snprintf(buf, sizeof buf, "%llde-6", (long long)us);
    double d = 0.0;
    if (n > 0 && (size_t)n < sizeof buf) acar_num_parse_double(buf, (size_t)n, 0, &d);
    return d;
}

/* ====================================================================
 * Reader
 * ================================================================== */

typedef struct rframe {
    acar_val *node;   /* list or dict being filled */
    size_t refs;      /* offset of its first ref */
    uint64_t n, i;    /* items (dict: pairs), next one */
    size_t at;        /* offset of its token, for errors */
    bool fast;        /* dict whose str keys are in place: values only */
} rframe;

typedef struct reader {
    acar_doc *doc;
    const uint8_t *d;
    size_t len;
    acar_err *err;
    bool borrow;
    unsigned osize, rsize;
    uint64_t nobj;
    size_t table;
    acar_val **objs;      /* node of each object once read */
    rframe *st;
    size_t top, cap;
    size_t scratch;       /* bytes of scratch memory held */
    acar_val *uid_class;  /* plistlib.UID, made once */
    /* UIDs used as dict keys, by value: Python's UIDs are equal by value,
     * acar's objects only to themselves. */
    acar_val **uid_keys;
    size_t uid_cap, uid_n;
    bool failed;          /* an error is recorded */
    /* Bytes of text, data and long ints read so far, borrowed or not:
     * objects may overlap, so a small file can describe much more than it
     * holds (100,000 strings each running to the end of a 1 MB file);
     * capped at max_memory. */
    uint64_t expansion;
    acar_hash_cache hcache; /* key hashes: a file's keys are shared nodes (keep last) */
} reader;

static void *fail(reader *r, acar_code code, size_t at, const char *fmt, ...) {
    va_list ap;
    r->failed = true;
    va_start(ap, fmt);
    acar__err_vset(r->err, code, at, fmt, ap);
    va_end(ap);
    return NULL;
}

/* A builder failed: its error is on the doc. */
static void *fail_doc(reader *r, size_t at) {
    const acar_err *e = &r->doc->err;
    if (e->code == ACAR_OK) return fail(r, ACAR_ERR_NOMEM, at, "out of memory");
    acar_code code = e->code == ACAR_ERR_TYPE ? ACAR_ERR_MALFORMED : e->code;
    return fail(r, code, at, "%s", e->msg);
}

/* Scratch memory through acar__scratch (a zero-byte block takes one). */
static void *scratch_alloc(reader *r, size_t size) {
    acar_code why = ACAR_ERR_NOMEM;
    void *q = acar__scratch(r->doc, &r->scratch, NULL, NULL, 0, size ? size : 1, &why);
    if (q) return q;
    if (why == ACAR_ERR_LIMIT)
        return fail(r, ACAR_ERR_LIMIT, 0, ACAR_MAX_MEMORY_MSG,
                    r->doc->limits.max_memory);
    return fail(r, ACAR_ERR_NOMEM, 0, "out of memory");
}

static void scratch_free(reader *r, void *p, size_t size) {
    acar__scratch_free(r->doc, &r->scratch, p, NULL, size ? size : 1);
}

/* Big-endian unsigned number of n bytes; UINT64_MAX when it does not fit
 * (every such number is past any offset or ref, as plistlib finds). */
static uint64_t get_be(const uint8_t *p, size_t n) {
    uint64_t v = 0;
    size_t i = 0;
    for (; n - i > 8; i++)
        if (p[i]) return UINT64_MAX;
    for (; i < n; i++) v = v << 8 | p[i];
    return v;
}

static inline uint64_t get_ref(const reader *r, size_t at) {
    if (r->rsize == 1) return r->d[at];
    if (r->rsize == 2) return (uint64_t)r->d[at] << 8 | r->d[at + 1];
    return get_be(r->d + at, r->rsize);
}

/* The size of a container, string or data object whose token is at p[-1]
 * with low nibble low; *p moves past an extended size. */
static int get_size(reader *r, unsigned low, size_t *p, uint64_t *size, size_t at) {
    if (low != 0xF) {
        *size = low;
        return 0;
    }
    if (*p >= r->len) {
        fail(r, ACAR_ERR_TRUNCATED, at, "object size at offset %zu past the end of the data", *p);
        return -1;
    }
    size_t n = (size_t)1 << (r->d[*p] & 3);
    if (r->len - *p - 1 < n) {
        fail(r, ACAR_ERR_TRUNCATED, at, "object size at offset %zu past the end of the data", *p);
        return -1;
    }
    *size = get_be(r->d + *p + 1, n);
    *p += 1 + n;
    return 0;
}

/* An int of n big-endian bytes (fewer when the data ends first), two's
 * complement when is_signed. */
static acar_val *read_int(reader *r, const uint8_t *p, size_t n, bool is_signed, size_t at) {
    if (n <= 8) {
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++) v = v << 8 | p[i];
        if (is_signed && n > 0 && n < 8 && (p[0] & 0x80)) v |= ~(uint64_t)0 << (8 * n);
        /* Unsigned ints have at most 4 bytes, so v fits either way. */
        acar_val *x = acar_new_int(r->doc, (int64_t)v);
        return x ? x : fail_doc(r, at);
    }
    /* More than 8 bytes (16 up to 32768, or what the data leaves): as
     * little-endian two's complement for num.h. */
    size_t nl = (n + 3) / 4, size = 4 * nl + nl * sizeof(uint32_t);
    uint8_t *le = scratch_alloc(r, size);
    if (!le) return NULL;
    for (size_t i = 0; i < n; i++) le[i] = p[n - 1 - i];
    uint32_t *limbs = (uint32_t *)(void *)(le + 4 * nl);
    int neg = 0;
    size_t used = acar_num_big_from_le_twos(le, n, limbs, &neg);
    acar_val *x = acar_new_bigint(r->doc, neg, limbs, used);
    scratch_free(r, le, size);
    return x ? x : fail_doc(r, at);
}

/* UTF-16BE to UTF-8, strictly (a lone surrogate is an error). */
static acar_val *read_utf16(reader *r, const uint8_t *p, size_t units, size_t at) {
    size_t out = 0;
    for (size_t i = 0; i < units; i++) {
        unsigned c = (unsigned)p[2 * i] << 8 | p[2 * i + 1];
        if (c < 0x80) out += 1;
        else if (c < 0x800) out += 2;
        else if (c < 0xD800 || c > 0xDFFF) out += 3;
        else if (c <= 0xDBFF && i + 1 < units) {
            unsigned c2 = (unsigned)p[2 * i + 2] << 8 | p[2 * i + 3];
            if (c2 < 0xDC00 || c2 > 0xDFFF)
                return fail(r, ACAR_ERR_MALFORMED, at, "unpaired surrogate in a UTF-16 string at offset %zu",
                            (size_t)(p - r->d) + 2 * i);
            out += 4;
            i++;
        } else {
            return fail(r, ACAR_ERR_MALFORMED, at, "unpaired surrogate in a UTF-16 string at offset %zu",
                        (size_t)(p - r->d) + 2 * i);
        }
    }
    if (out > ACAR_MAX_LEN) return fail(r, ACAR_ERR_LIMIT, at, "string too long");
    unsigned flags = out == units ? ACAR_F_ASCII : 0;
    acar_val *v = acar__node(r->doc, ACAR_TAG(ACAR_STR, flags, out));
    char *s = out ? acar__alloc(r->doc, out) : NULL;
    if (!v || (out && !s)) return fail_doc(r, at);
    v->u.s = out ? s : "";
    for (size_t i = 0; i < units; i++) {
        unsigned c = (unsigned)p[2 * i] << 8 | p[2 * i + 1];
        if (c < 0x80) {
            *s++ = (char)c;
        } else if (c < 0x800) {
            *s++ = (char)(0xC0 | c >> 6);
            *s++ = (char)(0x80 | (c & 0x3F));
        } else if (c < 0xD800 || c > 0xDFFF) {
            *s++ = (char)(0xE0 | c >> 12);
            *s++ = (char)(0x80 | ((c >> 6) & 0x3F));
            *s++ = (char)(0x80 | (c & 0x3F));
        } else {
            unsigned c2 = (unsigned)p[2 * i + 2] << 8 | p[2 * i + 3];
            uint32_t cp = 0x10000 + ((uint32_t)(c - 0xD800) << 10) + (c2 - 0xDC00);
            *s++ = (char)(0xF0 | cp >> 18);
            *s++ = (char)(0x80 | ((cp >> 12) & 0x3F));
            *s++ = (char)(0x80 | ((cp >> 6) & 0x3F));
            *s++ = (char)(0x80 | (cp & 0x3F));
            i++;
        }
    }
    return v;
}

static acar_val *new_bytes_node(reader *r, acar_type t, unsigned flags, const uint8_t *p, size_t n,
                                size_t at) {
    acar_val *v = acar__node(r->doc, ACAR_TAG(t, flags, n));
    if (!v) return fail_doc(r, at);
    if (n == 0) {
        v->u.s = "";
    } else if (r->borrow) {
        v->u.s = (const char *)p;
    } else {
        char *s = acar__alloc(r->doc, n);
        if (!s) return fail_doc(r, at);
        memcpy(s, p, n);
        v->u.s = s;
    }
    return v;
}

static acar_val *new_uid(reader *r, uint64_t n, size_t at) {
    acar_doc *doc = r->doc;
    if (!r->uid_class) {
        r->uid_class = acar_new_global(doc, "plistlib", 8, "UID", 3);
        if (!r->uid_class) return fail_doc(r, at);
    }
    acar_val *num;
    if (n <= (uint64_t)INT64_MAX) {
        num = acar_new_int(doc, (int64_t)n);
    } else {
        uint32_t limbs[2] = {(uint32_t)n, (uint32_t)(n >> 32)};
        num = acar_new_bigint(doc, 0, limbs, 2);
    }
    acar_val *args = num ? acar_new_tuple(doc, &num, 1) : NULL;
    acar_val *v = args ? acar_new_object(doc, ACAR_BUILD_REDUCE, r->uid_class, args, NULL) : NULL;
    return v ? v : fail_doc(r, at);
}

static int push(reader *r, acar_val *node, size_t refs, uint64_t n, size_t at) {
    if (r->top >= r->doc->limits.max_depth) {
        fail(r, ACAR_ERR_LIMIT, at, "nesting deeper than %zu (max_depth)", r->doc->limits.max_depth);
        return -1;
    }
    if (r->top == r->cap) {
        size_t ncap = r->cap ? r->cap * 2 : 32;
        rframe *st = scratch_alloc(r, ncap * sizeof *st);
        if (!st) return -1;
        if (r->top) memcpy(st, r->st, r->top * sizeof *st);
        scratch_free(r, r->st, r->cap * sizeof *st);
        r->st = st;
        r->cap = ncap;
    }
    rframe *f = &r->st[r->top++];
    f->node = node;
    f->refs = refs;
    f->n = n;
    f->i = 0;
    f->at = at;
    f->fast = false;
    return 0;
}

/* The common dict: n distinct str keys.  Reads every key (a key is never a
 * container, so nothing is pushed), and when all are str and distinct puts
 * them in place with the index acar's dicts keep (acar_map_index, internal.h),
 * hashing each key node once per read.  The values follow, one per step.
 * 1 when done, 0 for the general path (the keys read stay cached), -1 on
 * error. */

static acar_val *get(reader *r, uint64_t ref, size_t from, bool key);

static int dict_fast(reader *r, acar_val *dict, size_t refs, uint64_t n) {
    if (n == 0 || n >= 0xfffffffeu) return 0;
    size_t np = (size_t)n, rs = r->rsize;
    /* index slots, header and items in one block (acar__map_place), given
     * to the dict only when all keys are in place */
    size_t cap = acar__index_cap(np);
    acar_val **items = dict->u.items;
    char *block = NULL; /* the slots start it */
    if (2 * np > acar__cap(0) || cap) {
        block = acar__alloc(r->doc, acar__map_head_bytes(cap) + acar__cap(2 * np) * sizeof *items);
        if (!block) {
            fail_doc(r, refs);
            return -1;
        }
        items = acar__map_place(block, cap);
    }
    for (size_t i = 0; i < np; i++) {
        size_t at = refs + i * rs;
        acar_val *k = get(r, get_ref(r, at), at, true);
        if (!k) return -1;
        if (ACAR_TYPE(k) != ACAR_STR) return 0;
        items[2 * i] = k;
        items[2 * i + 1] = NULL;
    }
    void *index = NULL;
    if (!cap) {
        for (size_t i = 1; i < np; i++)
            for (size_t j = 0; j < i; j++) {
                const acar_val *a = items[2 * i], *b = items[2 * j];
                if (a == b || (ACAR_LEN(a) == ACAR_LEN(b) && memcmp(a->u.s, b->u.s, ACAR_LEN(a)) == 0))
                    return 0;
            }
    } else {
        index = block;
        size_t mask = cap - 1;
        for (size_t i = 0; i < np; i++) {
            const acar_val *k = items[2 * i];
            size_t s = (size_t)acar__hash_cached(&r->hcache, k) & mask;
            for (;; s = (s + 1) & mask) {
                uint32_t e = acar__index_get(index, cap, s);
                if (!e) {
                    acar__index_put(index, cap, s, (uint32_t)(i + 1));
                    break;
                }
                const acar_val *o = items[2 * (size_t)(e - 1)];
                if (o == k || (ACAR_LEN(o) == ACAR_LEN(k) && memcmp(o->u.s, k->u.s, ACAR_LEN(k)) == 0))
                    return 0;
            }
        }
    }
    if (index) dict->tag |= (uint64_t)ACAR_F_INDEXED << 8;
    dict->u.items = items;
    acar__set_len(dict, np);
    return 1;
}

static int expand(reader *r, uint64_t n, size_t at) {
    r->expansion += n;
    if (r->expansion <= r->doc->limits.max_memory) return 0;
    fail(r, ACAR_ERR_LIMIT, at,
         "objects of the file hold more than %zu bytes of text and data (max_memory)",
         r->doc->limits.max_memory);
    return -1;
}

/* The node of object ref: read when first met (a container is made empty
 * and its frame pushed), the same node after.  key: it will be a dict key,
 * so a container is refused without being read. */
static acar_val *get(reader *r, uint64_t ref, size_t from, bool key) {
    if (ref >= r->nobj)
        return fail(r, ACAR_ERR_MALFORMED, from, "object ref %llu out of range (%llu objects)",
                    (unsigned long long)ref, (unsigned long long)r->nobj);
    acar_val *v = r->objs[ref];
    if (v) {
        if (key && !acar_hashable(v))
            return fail(r, ACAR_ERR_MALFORMED, from, "unhashable dict key: %s",
                        acar_type_name(ACAR_TYPE(v)));
        return v;
    }
    uint64_t off = get_be(r->d + r->table + (size_t)ref * r->osize, r->osize);
    if (off >= r->len)
        return fail(r, ACAR_ERR_MALFORMED, r->table + (size_t)ref * r->osize,
                    "object %llu at offset %llu is past the end of the data",
                    (unsigned long long)ref, (unsigned long long)off);
    size_t at = (size_t)off, p = at + 1, left = r->len - p;
    const uint8_t *d = r->d;
    unsigned tok = d[at], low = tok & 0xF;
    uint64_t size;
    switch (tok >> 4) {
    case 0x0:
        if (tok == 0x00) v = acar_new_none(r->doc);
        else if (tok == 0x08) v = acar_new_bool(r->doc, 0);
        else if (tok == 0x09) v = acar_new_bool(r->doc, 1);
        else if (tok == 0x0F) v = new_bytes_node(r, ACAR_BYTES, 0, d, 0, at);
        else return fail(r, ACAR_ERR_MALFORMED, at, "unknown object type 0x%02x", tok);
        break;
    case 0x1: {
        size_t n = (size_t)1 << low;
        if (n > left) n = left;
        if (n > 8 && expand(r, n, at) < 0) return NULL;
        v = read_int(r, d + p, n, low >= 3, at);
        break;
    }
    case 0x2:
        if (tok == 0x22) {
            if (left < 4) return fail(r, ACAR_ERR_TRUNCATED, at, "float past the end of the data");
            uint32_t b = (uint32_t)get_be(d + p, 4);
            float f;
            memcpy(&f, &b, 4);
            v = acar_new_float(r->doc, (double)f);
        } else if (tok == 0x23) {
            if (left < 8) return fail(r, ACAR_ERR_TRUNCATED, at, "float past the end of the data");
            uint64_t b = get_be(d + p, 8);
            double f;
            memcpy(&f, &b, 8);
            v = acar_new_float(r->doc, f);
        } else {
            return fail(r, ACAR_ERR_MALFORMED, at, "unknown object type 0x%02x", tok);
        }
        break;
    case 0x3: {
        if (tok != 0x33) return fail(r, ACAR_ERR_MALFORMED, at, "unknown object type 0x%02x", tok);
        if (left < 8) return fail(r, ACAR_ERR_TRUNCATED, at, "date past the end of the data");
        uint64_t b = get_be(d + p, 8);
        double f;
        memcpy(&f, &b, 8);
        acar_datetime dt;
        if (date_from_seconds(f, &dt) < 0)
            return fail(r, ACAR_ERR_MALFORMED, at, "date out of range");
        v = acar_new_datetime(r->doc, &dt);
        break;
    }
    case 0x4:
    case 0x5:
    case 0x6: {
        if (get_size(r, low, &p, &size, at) < 0) return NULL;
        left = r->len - p;
        unsigned hi = tok >> 4;
        if (hi == 0x6 ? size > left / 2 : size > left)
            return fail(r, ACAR_ERR_TRUNCATED, at, "%s of %llu %s past the end of the data",
                        hi == 0x4 ? "data" : "string", (unsigned long long)size,
                        hi == 0x6 ? "code units" : "bytes");
        size_t n = (size_t)size;
        if (expand(r, hi == 0x6 ? 2 * size : size, at) < 0) return NULL;
        if (hi == 0x4) {
            v = new_bytes_node(r, ACAR_BYTES, 0, d + p, n, at);
        } else if (hi == 0x5) {
            size_t i = 0;
            for (; i + 8 <= n; i += 8) {
                uint64_t w8;
                memcpy(&w8, d + p + i, 8);
                if (w8 & 0x8080808080808080ull) break;
            }
            for (; i < n; i++)
                if (d[p + i] & 0x80)
                    return fail(r, ACAR_ERR_MALFORMED, at, "non-ASCII byte in an ASCII string at offset %zu",
                                p + i);
            v = new_bytes_node(r, ACAR_STR, ACAR_F_ASCII, d + p, n, at);
        } else {
            v = read_utf16(r, d + p, n, at);
        }
        if (!v) return NULL;
        break;
    }
    case 0x8: {
        size_t n = (size_t)low + 1;
        if (n > left) n = left;
        for (size_t i = 0; i + 8 < n; i++)
            if (d[p + i]) return fail(r, ACAR_ERR_MALFORMED, at, "UID of 2**64 or more");
        uint64_t x = n > 8 ? get_be(d + p + n - 8, 8) : get_be(d + p, n);
        v = new_uid(r, x, at);
        break;
    }
    case 0xA:
    case 0xD: {
        if (key) return fail(r, ACAR_ERR_MALFORMED, from, "unhashable dict key: %s",
                             tok >> 4 == 0xA ? "list" : "dict");
        if (get_size(r, low, &p, &size, at) < 0) return NULL;
        left = r->len - p;
        if (r->rsize == 0) return fail(r, ACAR_ERR_MALFORMED, at, "container with a ref size of 0");
        uint64_t per = tok >> 4 == 0xA ? 1 : 2;
        if (size > left / r->rsize / per)
            return fail(r, ACAR_ERR_TRUNCATED, at, "refs of a %llu-item container past the end of the data",
                        (unsigned long long)size);
        if (size > r->doc->limits.max_items)
            return fail(r, ACAR_ERR_LIMIT, at, "container of %llu items exceeds max_items",
                        (unsigned long long)size);
        if (per == 1) {
            /* exactly size items (ACAR_F_EXACT) */
            acar_val **items = acar__alloc(r->doc, (size_t)size * sizeof *items);
            v = items ? acar__node(r->doc, ACAR_TAG(ACAR_LIST, ACAR_F_EXACT, 0)) : NULL;
            if (v) v->u.items = items;
        } else {
            v = acar__map(r->doc, ACAR_DICT);
        }
        if (!v) return fail_doc(r, at);
        r->objs[ref] = v;
        if (push(r, v, p, size, at) < 0) return NULL;
        if (per == 2) {
            int fast = dict_fast(r, v, p, size);
            if (fast < 0) return NULL;
            r->st[r->top - 1].fast = fast == 1;
        }
        return v;
    }
    default:
        return fail(r, ACAR_ERR_MALFORMED, at, "unknown object type 0x%02x", tok);
    }
    if (!v) return r->failed ? NULL : fail_doc(r, at);
    r->objs[ref] = v;
    return v;
}

static uint64_t uid_value(const acar_val *v) {
    acar_val *n = acar_object_args(v)->u.items[0];
    int64_t x;
    if (acar_int_get(n, &x)) return (uint64_t)x;
    int neg;
    const uint32_t *limbs;
    uint32_t tmp[3];
    size_t nl = acar_int_limbs(n, &neg, &limbs, tmp);
    return nl == 2 ? (uint64_t)limbs[1] << 32 | limbs[0] : 0;
}

/* A UID dict key equal to an earlier UID key is that key, so the dict
 * merges them as Python's does. */
static acar_val *uid_key(reader *r, acar_val *k) {
    if (ACAR_TYPE(k) != ACAR_OBJECT || !r->uid_class || acar_object_callable(k) != r->uid_class)
        return k;
    uint64_t x = uid_value(k);
    if (r->uid_n * 2 >= r->uid_cap) {
        size_t ncap = r->uid_cap ? r->uid_cap * 2 : 16;
        acar_val **t = scratch_alloc(r, ncap * sizeof *t);
        if (!t) return NULL;
        memset(t, 0, ncap * sizeof *t);
        for (size_t i = 0; i < r->uid_cap; i++) {
            acar_val *e = r->uid_keys[i];
            if (!e) continue;
            size_t s = (size_t)(uid_value(e) * 0x9E3779B97F4A7C15ull >> 7) & (ncap - 1);
            while (t[s]) s = (s + 1) & (ncap - 1);
            t[s] = e;
        }
        scratch_free(r, r->uid_keys, r->uid_cap * sizeof *t);
        r->uid_keys = t;
        r->uid_cap = ncap;
    }
    size_t mask = r->uid_cap - 1;
    size_t s = (size_t)(x * 0x9E3779B97F4A7C15ull >> 7) & mask;
    for (; r->uid_keys[s]; s = (s + 1) & mask)
        if (uid_value(r->uid_keys[s]) == x) return r->uid_keys[s];
    r->uid_keys[s] = k;
    r->uid_n++;
    return k;
}

static acar_val *read_all(reader *r, uint64_t top) {
    acar_val *root = get(r, top, r->len - 32 + 16, false);
    if (!root) return NULL;
    while (r->top) {
        rframe *f = &r->st[r->top - 1];
        if (f->i == f->n) {
            r->top--;
            continue;
        }
        acar_val *node = f->node;
        size_t rs = r->rsize;
        if (ACAR_TYPE(node) == ACAR_LIST) {
            size_t at = f->refs + (size_t)f->i * rs;
            f->i++;
            acar_val *child = get(r, get_ref(r, at), at, false);
            if (!child) return NULL;
            /* The items array was made for all n items. */
            size_t n = ACAR_LEN(node);
            node->u.items[n] = child;
            acar__set_len(node, n + 1);
        } else if (f->fast) {
            size_t i = (size_t)f->i++;
            size_t vat = f->refs + ((size_t)f->n + i) * rs;
            acar_val *val = get(r, get_ref(r, vat), vat, false);
            if (!val) return NULL;
            node->u.items[2 * i + 1] = val;
        } else {
            size_t kat = f->refs + (size_t)f->i * rs;
            size_t vat = kat + (size_t)f->n * rs;
            size_t dat = f->at;
            f->i++;
            acar_val *k = get(r, get_ref(r, kat), kat, true);
            if (!k) return NULL;
            k = uid_key(r, k);
            if (!k) return NULL;
            acar_val *val = get(r, get_ref(r, vat), vat, false);
            if (!val) return NULL;
            if (acar_dict_set(r->doc, node, k, val) < 0) return fail_doc(r, dat);
        }
    }
    return root;
}

acar_val *acar__bplist_read(acar_doc *doc, const uint8_t *data, size_t len,
                            acar_read_opts *opts, acar_err *err) {
    reader r;
    /* The hash cache (8 KB, the last member) is cleared when first used. */
    memset(&r, 0, offsetof(reader, hcache));
    r.hcache.ready = false;
    r.doc = doc;
    r.d = data;
    r.len = len;
    r.err = err;
    r.borrow = opts && (opts->flags & ACAR_READ_BORROW);
    if (len < 32)
        return fail(&r, ACAR_ERR_TRUNCATED, 0, "binary plist of %zu bytes: the trailer alone is 32", len);
    const uint8_t *t = data + len - 32;
    r.osize = t[6];
    r.rsize = t[7];
    r.nobj = get_be(t + 8, 8);
    uint64_t top = get_be(t + 16, 8);
    uint64_t table = get_be(t + 24, 8);
    if (r.osize == 0)
        return fail(&r, ACAR_ERR_MALFORMED, len - 26, "offset size of 0 in the trailer");
    if (table > len || r.nobj > (len - table) / r.osize)
        return fail(&r, ACAR_ERR_MALFORMED, len - 8,
                    "offset table of %llu objects at offset %llu is past the end of the data",
                    (unsigned long long)r.nobj, (unsigned long long)table);
    if (top >= r.nobj)
        return fail(&r, ACAR_ERR_MALFORMED, len - 16, "top object %llu out of range (%llu objects)",
                    (unsigned long long)top, (unsigned long long)r.nobj);
    r.table = (size_t)table;
    r.objs = scratch_alloc(&r, (size_t)r.nobj * sizeof *r.objs);
    if (!r.objs) return NULL;
    memset(r.objs, 0, (size_t)r.nobj * sizeof *r.objs);
    acar_val *root = read_all(&r, top);
    scratch_free(&r, r.objs, (size_t)r.nobj * sizeof *r.objs);
    scratch_free(&r, r.st, r.cap * sizeof *r.st);
    scratch_free(&r, r.uid_keys, r.uid_cap * sizeof *r.uid_keys);
    if (root && opts) opts->consumed = len;
    return root;
}

/* ====================================================================
 * Writer
 * ================================================================== */

/* How an object is shared in the object table (plistlib's two tables). */
enum {
    K_ID = 1,  /* by node: list, tuple, dict, bytearray, UID */
    K_NONE, K_BOOL, K_INT, K_FLOAT, K_STR, K_BYTES, K_DATE
};

typedef struct wframe {
    const acar_val *v;
    size_t refbase;       /* its refs in w->refs */
    size_t i, n;          /* children: items, or a dict's keys then values */
    uint32_t *order;      /* dict: pair indices in writing order (malloc'd) */
} wframe;

typedef struct writer {
    acar_out *out;
    acar_err *err;
    bool sort, skipkeys;
    size_t max_depth;
    const acar_val **objs;
    size_t *refstart;     /* per object: its refs in refs, containers only */
    uint64_t *hashes;
    uint8_t *kinds;
    size_t nobj, objcap;
    uint64_t *refs;
    size_t nrefs, refcap;
    uint32_t *slots;      /* pairs (object index + 1, high hash bits), open addressing:
                             the hash bits in the slot spare a cache miss per probe */
    size_t slotcap;
    wframe *st;
    size_t top, stcap;
} writer;

static int wfail(writer *w, acar_code code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    acar__err_vset(w->err, code, 0, fmt, ap);
    va_end(ap);
    return -1;
}

/* Where the child being visited sits: "value[0]['key']", from the stack. */
static void path_of(writer *w, char *buf, size_t cap) {
    size_t n = (size_t)snprintf(buf, cap, "value");
    for (size_t k = 0; k < w->top && n < cap; k++) {
        const wframe *f = &w->st[k];
        size_t i = f->i ? f->i - 1 : 0;
        if (ACAR_TYPE(f->v) != ACAR_DICT) {
            n += (size_t)snprintf(buf + n, cap - n, "[%zu]", i);
            continue;
        }
        size_t np = f->n / 2;
        const acar_val *key = acar_dict_key(f->v, f->order[i < np ? i : i - np]);
        /* At most 24 bytes of the key, cut at a character, controls as '?',
         * so the message stays one line of UTF-8. */
        char kb[32];
        size_t kl = ACAR_LEN(key), m = kl > 24 ? 24 : kl;
        while (m < kl && m > 0 && ((unsigned char)key->u.s[m] & 0xC0) == 0x80) m--;
        for (size_t j = 0; j < m; j++) kb[j] = (unsigned char)key->u.s[j] < 0x20 ? '?' : key->u.s[j];
        n += (size_t)snprintf(buf + n, cap - n, "['%.*s%s']", (int)m, kb, m < kl ? "..." : "");
        if (i < np) {
            if (n < cap) snprintf(buf + n, cap - n, " (the key)");
            break;
        }
    }
}

static int type_fail(writer *w, const char *what) {
    char path[100];
    path_of(w, path, sizeof path);
    return wfail(w, ACAR_ERR_TYPE, "%s at %s", what, path);
}

static bool is_uid(const acar_val *v) {
    if (ACAR_TYPE(v) != ACAR_OBJECT) return false;
    const acar_val *c = acar_object_callable(v);
    if (!c || ACAR_TYPE(c) != ACAR_GLOBAL) return false;
    size_t ml, nl;
    const char *m = acar_str(acar_global_module(c), &ml), *nm = acar_str(acar_global_name(c), &nl);
    return m && nm && ml == 8 && memcmp(m, "plistlib", 8) == 0 && nl == 3 && memcmp(nm, "UID", 3) == 0;
}

/* A UID's value when the object is one plistlib can write, else -1. */
static int uid_get(const acar_val *v, uint64_t *out) {
    const acar_val *a = acar_object_args(v);
    const acar_val *kw = acar_object_kwargs(v);
    if (!a || ACAR_TYPE(a) != ACAR_TUPLE || ACAR_LEN(a) != 1 || (kw && acar_len(kw)) ||
        acar_object_state(v) || acar_object_listitems(v) || acar_object_dictitems(v))
        return -1;
    const acar_val *n = a->u.items[0];
    if (ACAR_TYPE(n) != ACAR_INT) return -1;
    int neg;
    const uint32_t *limbs;
    uint32_t tmp[3];
    size_t nl = acar_int_limbs(n, &neg, &limbs, tmp);
    if (neg && nl) return -1;
    if (nl > 2) return -1;
    *out = nl == 0 ? 0 : nl == 1 ? limbs[0] : (uint64_t)limbs[1] << 32 | limbs[0];
    return 0;
}

/* The sharing kind of v and its hash; 0 for a type plistlib cannot write. */
static int classify(const acar_val *v, uint64_t *hash) {
    switch (ACAR_TYPE(v)) {
    case ACAR_NONE: *hash = 1; return K_NONE;
    case ACAR_BOOL: *hash = 2 + (uint64_t)acar_bool(v); return K_BOOL;
    case ACAR_INT: {
        int64_t i;
        if (acar_int_get(v, &i)) {
            *hash = acar__mix64((uint64_t)i ^ 0x1111);
        } else {
            int neg;
            const uint32_t *limbs;
            uint32_t tmp[3];
            size_t nl = acar_int_limbs(v, &neg, &limbs, tmp);
            *hash = acar__hash_bytes((const char *)limbs, nl * 4) ^ (uint64_t)neg;
        }
        return K_INT;
    }
    case ACAR_FLOAT: {
        double f = v->u.f;
        uint64_t b;
        if (f == 0.0) b = 0;
        else if (f != f) b = (uint64_t)(uintptr_t)v;
        else memcpy(&b, &f, 8);
        *hash = acar__mix64(b ^ 0x2222);
        return K_FLOAT;
    }
    case ACAR_STR: *hash = acar__hash_bytes(v->u.s, ACAR_LEN(v)) ^ 0x3333; return K_STR;
    case ACAR_BYTES: *hash = acar__hash_bytes(v->u.s, ACAR_LEN(v)) ^ 0x4444; return K_BYTES;
    case ACAR_DATETIME: *hash = acar__mix64((uint64_t)v->u.i ^ 0x5555); return K_DATE;
    case ACAR_LIST: case ACAR_TUPLE: case ACAR_DICT: case ACAR_BYTEARRAY:
        *hash = acar__mix64((uint64_t)(uintptr_t)v);
        return K_ID;
    case ACAR_OBJECT:
        if (!is_uid(v)) return 0;
        *hash = acar__mix64((uint64_t)(uintptr_t)v);
        return K_ID;
    default:
        return 0;
    }
}

static bool same_key(int kind, const acar_val *a, const acar_val *b) {
    if (a == b) return true;
    switch (kind) {
    case K_NONE: return true;
    case K_BOOL: return acar_bool(a) == acar_bool(b);
    case K_INT: {
        int64_t x, y;
        bool sa = acar_int_get(a, &x), sb = acar_int_get(b, &y);
        if (sa || sb) return sa && sb && x == y;
        int na, nb;
        const uint32_t *la, *lb;
        uint32_t ta[3], tb[3];
        size_t ca = acar_int_limbs(a, &na, &la, ta), cb = acar_int_limbs(b, &nb, &lb, tb);
        return na == nb && ca == cb && memcmp(la, lb, ca * 4) == 0;
    }
    case K_FLOAT: return a->u.f == b->u.f;
    case K_STR: case K_BYTES:
        return ACAR_LEN(a) == ACAR_LEN(b) && memcmp(a->u.s, b->u.s, ACAR_LEN(a)) == 0;
    case K_DATE: return a->u.i == b->u.i;
    default: return false;
    }
}

static int wgrow(writer *w, void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t ncap = *cap ? *cap : 64;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / elem) return wfail(w, ACAR_ERR_NOMEM, "out of memory writing bplist");
        ncap *= 2;
    }
    void *q = realloc(*p, ncap * elem);
    if (!q) return wfail(w, ACAR_ERR_NOMEM, "out of memory writing bplist");
    *p = q;
    *cap = ncap;
    return 0;
}

static int rehash(writer *w) {
    size_t ncap = w->slotcap ? w->slotcap * 2 : 256;
    uint32_t *s = calloc(ncap, 2 * sizeof *s);
    if (!s) return wfail(w, ACAR_ERR_NOMEM, "out of memory writing bplist");
    for (size_t i = 0; i < w->nobj; i++) {
        size_t k = (size_t)w->hashes[i] & (ncap - 1);
        while (s[2 * k]) k = (k + 1) & (ncap - 1);
        s[2 * k] = (uint32_t)(i + 1);
        s[2 * k + 1] = (uint32_t)(w->hashes[i] >> 32);
    }
    free(w->slots);
    w->slots = s;
    w->slotcap = ncap;
    return 0;
}

static int key_cmp(const void *a, const void *b, const acar_val *d) {
    const acar_val *ka = acar_dict_key(d, *(const uint32_t *)a), *kb = acar_dict_key(d, *(const uint32_t *)b);
    size_t la = ACAR_LEN(ka), lb = ACAR_LEN(kb);
    int c = memcmp(ka->u.s, kb->u.s, la < lb ? la : lb);
    return c ? c : (la > lb) - (la < lb);
}

/* Sorts pair indices by key: a merge sort (qsort has no context pointer in C11). */
static void sort_pairs(uint32_t *a, uint32_t *tmp, size_t n, const acar_val *d) {
    if (n < 2) return;
    if (n <= 12) {
        for (size_t i = 1; i < n; i++) {
            uint32_t x = a[i];
            size_t j = i;
            while (j > 0 && key_cmp(&a[j - 1], &x, d) > 0) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = x;
        }
        return;
    }
    size_t h = n / 2;
    sort_pairs(a, tmp, h, d);
    sort_pairs(a + h, tmp, n - h, d);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) tmp[k++] = key_cmp(&a[j], &a[i], d) < 0 ? a[j++] : a[i++];
    while (i < h) tmp[k++] = a[i++];
    while (j < n) tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

/* Checks a new object plistlib would refuse while writing it. */
static int check_scalar(writer *w, const acar_val *v, int kind) {
    if (kind == K_INT) {
        int64_t i;
        if (acar_int_get(v, &i)) return 0;
        int neg;
        const uint32_t *limbs;
        uint32_t tmp[3];
        size_t nl = acar_int_limbs(v, &neg, &limbs, tmp);
        if (!neg && nl <= 2) return 0;
        return type_fail(w, "int out of range for a binary plist (OverflowError)");
    }
    if (kind == K_STR && !(ACAR_FLAGS(v) & ACAR_F_ASCII)) {
        const uint8_t *s = (const uint8_t *)v->u.s;
        size_t n = ACAR_LEN(v);
        for (size_t i = 0; i + 2 < n; i++)
            if (s[i] == 0xED && s[i + 1] >= 0xA0)
                return type_fail(w, "str with a lone surrogate cannot be encoded as UTF-16 "
                                    "(UnicodeEncodeError)");
    }
    if (ACAR_TYPE(v) == ACAR_OBJECT) {
        uint64_t x;
        if (uid_get(v, &x) < 0) return type_fail(w, "plistlib.UID object without a valid int value");
    }
    return 0;
}

/* Which keys sorted() can compare with each other: 0 for none. */
static int order_kind(const acar_val *k) {
    switch (ACAR_TYPE(k)) {
    case ACAR_STR: return 1;
    case ACAR_INT: case ACAR_FLOAT: case ACAR_BOOL: return 2;
    case ACAR_BYTES: return 3;
    case ACAR_DATETIME: return 4;
    default: return 0;
    }
}

/* Pushes the frame of a list, tuple or dict.  A dict's refs are preceded
 * by the number of pairs written (fewer than it holds with skipkeys). */
static int push_container(writer *w, const acar_val *v, size_t obj) {
    bool dict = ACAR_TYPE(v) == ACAR_DICT;
    size_t np = ACAR_LEN(v), keep = np;
    if (dict) {
        if (np > UINT32_MAX) return wfail(w, ACAR_ERR_LIMIT, "dict too large");
        /* plistlib refuses the dict before it flattens any of its items:
         * sorting (k, v) pairs fails first when keys of different kinds
         * meet (any sort compares two neighbours of the result), then a
         * key that is not a str fails unless skipkeys. */
        for (size_t i = 0; i < np; i++) {
            const acar_val *k = acar_dict_key(v, i);
            if (w->sort && np > 1) {
                int a = order_kind(k), b = order_kind(acar_dict_key(v, 0));
                if (!a || a != b)
                    return type_fail(w, "dict keys that sorted() cannot compare (TypeError)");
            }
            if (ACAR_TYPE(k) != ACAR_STR) {
                if (!w->skipkeys)
                    return type_fail(w, "dict with a key that is not a str: keys must be strings (TypeError)");
                keep--;
            }
        }
    }
    size_t n = dict ? 2 * keep : np, slots = dict ? n + 1 : n;
    if (w->top >= w->max_depth)
        return wfail(w, ACAR_ERR_LIMIT, "nesting deeper than %zu (max_depth)", w->max_depth);
    if (wgrow(w, (void **)&w->st, &w->stcap, w->top + 1, sizeof *w->st) < 0) return -1;
    if (wgrow(w, (void **)&w->refs, &w->refcap, w->nrefs + slots, sizeof *w->refs) < 0) return -1;
    uint32_t *order = NULL;
    if (dict) {
        order = malloc((np ? np : 1) * 2 * sizeof *order);
        if (!order) return wfail(w, ACAR_ERR_NOMEM, "out of memory writing bplist");
        size_t k = 0;
        for (size_t i = 0; i < np; i++)
            if (ACAR_TYPE(acar_dict_key(v, i)) == ACAR_STR) order[k++] = (uint32_t)i;
        if (w->sort) sort_pairs(order, order + keep, keep, v);
    }
    w->refstart[obj] = w->nrefs;
    if (dict) w->refs[w->nrefs++] = keep;
    wframe *f = &w->st[w->top++];
    f->v = v;
    f->i = 0;
    f->n = n;
    f->order = order;
    f->refbase = w->nrefs;
    w->nrefs += n;
    return 0;
}

/* The object index of v, adding it (and pushing a container) when new. */
static int visit(writer *w, const acar_val *v, size_t *ref) {
    uint64_t h;
    int kind = classify(v, &h);
    if (!kind) {
        char what[64];
        snprintf(what, sizeof what, "type %s cannot be written to a binary plist (TypeError)",
                 acar_type_name(ACAR_TYPE(v)));
        return type_fail(w, what);
    }
    if (w->slotcap) {
        size_t mask = w->slotcap - 1;
        uint32_t hi = (uint32_t)(h >> 32);
        for (size_t s = (size_t)h & mask; w->slots[2 * s]; s = (s + 1) & mask) {
            if (w->slots[2 * s + 1] != hi) continue;
            size_t i = w->slots[2 * s] - 1;
            if (w->hashes[i] == h && w->kinds[i] == kind && same_key(kind, w->objs[i], v)) {
                *ref = i;
                return 0;
            }
        }
    }
    if (kind != K_ID || ACAR_TYPE(v) == ACAR_OBJECT)
        if (check_scalar(w, v, kind) < 0) return -1;
    size_t i = w->nobj;
    if (i >= UINT32_MAX - 1) return wfail(w, ACAR_ERR_LIMIT, "too many objects for one bplist");
    size_t need = i + 1;
    size_t c0 = w->objcap;
    if (wgrow(w, (void **)&w->objs, &w->objcap, need, sizeof *w->objs) < 0) return -1;
    if (w->objcap != c0) {
        size_t c = c0, c2 = c0, c3 = c0;
        if (wgrow(w, (void **)&w->refstart, &c, w->objcap, sizeof *w->refstart) < 0 ||
            wgrow(w, (void **)&w->hashes, &c2, w->objcap, sizeof *w->hashes) < 0 ||
            wgrow(w, (void **)&w->kinds, &c3, w->objcap, sizeof *w->kinds) < 0)
            return -1;
    }
    w->objs[i] = v;
    w->hashes[i] = h;
    w->kinds[i] = (uint8_t)kind;
    w->refstart[i] = SIZE_MAX;
    w->nobj++;
    if (w->nobj * 2 > w->slotcap) {
        if (rehash(w) < 0) return -1;
    } else {
        size_t mask = w->slotcap - 1, s = (size_t)h & mask;
        while (w->slots[2 * s]) s = (s + 1) & mask;
        w->slots[2 * s] = (uint32_t)(i + 1);
        w->slots[2 * s + 1] = (uint32_t)(h >> 32);
    }
    *ref = i;
    acar_type t = ACAR_TYPE(v);
    if (t == ACAR_LIST || t == ACAR_TUPLE || t == ACAR_DICT) return push_container(w, v, i);
    return 0;
}

static int flatten(writer *w, const acar_val *root) {
    size_t ref;
    if (visit(w, root, &ref) < 0) return -1;
    while (w->top) {
        wframe *f = &w->st[w->top - 1];
        if (f->i == f->n) {
            free(f->order);
            f->order = NULL;
            w->top--;
            continue;
        }
        size_t i = f->i++, slot = f->refbase + i;
        const acar_val *c;
        if (ACAR_TYPE(f->v) != ACAR_DICT) {
            c = f->v->u.items[i];
        } else {
            size_t np = f->n / 2;
            c = i < np ? acar_dict_key(f->v, f->order[i]) : acar_dict_value(f->v, f->order[i - np]);
        }
        if (visit(w, c, &ref) < 0) return -1;
        w->refs[slot] = ref;
    }
    return 0;
}

static inline void put_be(uint8_t *p, uint64_t v, unsigned n) {
    for (unsigned i = n; i-- > 0; v >>= 8) p[i] = (uint8_t)v;
}

static unsigned count_to_size(uint64_t n) {
    return n < 0x100 ? 1 : n < 0x10000 ? 2 : n <= 0xffffffffu ? 4 : 8;
}

static void write_size(acar_out *o, unsigned token, uint64_t size) {
    uint8_t *p;
    if (size < 15) {
        acar__out_byte(o, (char)(token | size));
    } else {
        unsigned n = count_to_size(size);
        if ((p = (uint8_t *)acar__out_reserve(o, 2 + n)) == NULL) return;
        p[0] = (uint8_t)(token | 0xF);
        p[1] = (uint8_t)(0x10 | (n == 1 ? 0 : n == 2 ? 1 : n == 4 ? 2 : 3));
        put_be(p + 2, size, n);
        o->buf->len += 2 + n;
    }
}

static void write_tok_be(acar_out *o, unsigned tok, uint64_t v, unsigned n) {
    uint8_t *p = (uint8_t *)acar__out_reserve(o, 1 + n);
    if (!p) return;
    p[0] = (uint8_t)tok;
    put_be(p + 1, v, n);
    o->buf->len += 1 + n;
}

static void write_str(acar_out *o, const acar_val *v) {
    const uint8_t *s = (const uint8_t *)v->u.s;
    size_t n = ACAR_LEN(v);
    bool ascii = (ACAR_FLAGS(v) & ACAR_F_ASCII) != 0;
    if (!ascii) {
        size_t i = 0;
        while (i < n && s[i] < 0x80) i++;
        ascii = i == n;
    }
    if (ascii) {
        write_size(o, 0x50, n);
        acar__out_write(o, s, n);
        return;
    }
    size_t units = 0;
    for (size_t i = 0; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) units++;
        if (s[i] >= 0xF0) units++;
    }
    write_size(o, 0x60, units);
    uint8_t *p = (uint8_t *)acar__out_reserve(o, units * 2);
    if (!p) return;
    for (size_t i = 0; i < n;) {
        uint32_t c = s[i];
        if (c < 0x80) {
            i += 1;
        } else if (c < 0xE0) {
            c = (c & 0x1F) << 6 | (s[i + 1] & 0x3F);
            i += 2;
        } else if (c < 0xF0) {
            c = (c & 0x0F) << 12 | (uint32_t)(s[i + 1] & 0x3F) << 6 | (s[i + 2] & 0x3F);
            i += 3;
        } else {
            c = (c & 0x07) << 18 | (uint32_t)(s[i + 1] & 0x3F) << 12 | (uint32_t)(s[i + 2] & 0x3F) << 6 |
                (s[i + 3] & 0x3F);
            i += 4;
            c -= 0x10000;
            unsigned hi = 0xD800 | (c >> 10);
            *p++ = (uint8_t)(hi >> 8);
            *p++ = (uint8_t)hi;
            c = 0xDC00 | (c & 0x3FF);
        }
        *p++ = (uint8_t)(c >> 8);
        *p++ = (uint8_t)c;
    }
    o->buf->len += units * 2;
}

static void write_int(acar_out *o, const acar_val *v) {
    int64_t i;
    if (acar_int_get(v, &i)) {
        if (i < 0) write_tok_be(o, 0x13, (uint64_t)i, 8);
        else if (i < 0x100) write_tok_be(o, 0x10, (uint64_t)i, 1);
        else if (i < 0x10000) write_tok_be(o, 0x11, (uint64_t)i, 2);
        else if (i <= 0xffffffffLL) write_tok_be(o, 0x12, (uint64_t)i, 4);
        else write_tok_be(o, 0x13, (uint64_t)i, 8);
        return;
    }
    /* 2^63 <= v < 2^64 (checked when flattened): 16 signed bytes. */
    int neg;
    const uint32_t *limbs;
    uint32_t tmp[3];
    size_t nl = acar_int_limbs(v, &neg, &limbs, tmp);
    uint64_t m = nl > 1 ? (uint64_t)limbs[1] << 32 | limbs[0] : nl ? limbs[0] : 0;
    write_tok_be(o, 0x14, 0, 8);
    uint8_t *p = (uint8_t *)acar__out_reserve(o, 8);
    if (!p) return;
    put_be(p, m, 8);
    o->buf->len += 8;
}

static void write_double(acar_out *o, unsigned tok, double d) {
    uint64_t b;
    memcpy(&b, &d, 8);
    write_tok_be(o, tok, b, 8);
}

static void write_refs(writer *w, size_t from, size_t n, unsigned rs) {
    if (!n) return; /* an empty container: w->refs may still be NULL */
    uint8_t *p = (uint8_t *)acar__out_reserve(w->out, n * rs);
    if (!p) return;
    const uint64_t *r = w->refs + from;
    if (rs == 1) for (size_t i = 0; i < n; i++) p[i] = (uint8_t)r[i];
    else for (size_t i = 0; i < n; i++) put_be(p + i * rs, r[i], rs);
    w->out->buf->len += n * rs;
}

static int write_all(writer *w) {
    acar_out *o = w->out;
    size_t base = o->buf->len;
    acar__out_write(o, "bplist00", 8);
    /* The hashes are done with: their array holds the offsets now. */
    uint64_t *offsets = w->hashes;
    unsigned rs = count_to_size(w->nobj);
    for (size_t k = 0; k < w->nobj && !o->failed; k++) {
        const acar_val *v = w->objs[k];
        offsets[k] = o->buf->len - base;
        switch (ACAR_TYPE(v)) {
        case ACAR_NONE: acar__out_byte(o, 0x00); break;
        case ACAR_BOOL: acar__out_byte(o, acar_bool(v) ? 0x09 : 0x08); break;
        case ACAR_INT: write_int(o, v); break;
        case ACAR_FLOAT: write_double(o, 0x23, v->u.f); break;
        case ACAR_DATETIME: {
            acar_datetime dt;
            acar_datetime_get(v, &dt);
            write_double(o, 0x33, date_to_seconds(&dt));
            break;
        }
        case ACAR_BYTES: case ACAR_BYTEARRAY:
            write_size(o, 0x40, ACAR_LEN(v));
            acar__out_write(o, v->u.s, ACAR_LEN(v));
            break;
        case ACAR_STR: write_str(o, v); break;
        case ACAR_OBJECT: {
            uint64_t x = 0;
            uid_get(v, &x);
            if (x < 0x100) write_tok_be(o, 0x80, x, 1);
            else if (x < 0x10000) write_tok_be(o, 0x81, x, 2);
            else if (x <= 0xffffffffu) write_tok_be(o, 0x83, x, 4);
            else write_tok_be(o, 0x87, x, 8);
            break;
        }
        case ACAR_LIST: case ACAR_TUPLE:
            write_size(o, 0xA0, ACAR_LEN(v));
            write_refs(w, w->refstart[k], ACAR_LEN(v), rs);
            break;
        case ACAR_DICT: {
            uint64_t np = w->refs[w->refstart[k]];
            write_size(o, 0xD0, np);
            write_refs(w, w->refstart[k] + 1, 2 * (size_t)np, rs);
            break;
        }
        default: break; /* refused when flattened */
        }
    }
    uint64_t table = o->buf->len - base;
    unsigned os = count_to_size(table);
    uint8_t *p = (uint8_t *)acar__out_reserve(o, w->nobj * os + 32);
    if (p) {
        for (size_t k = 0; k < w->nobj; k++) put_be(p + k * os, offsets[k], os);
        p += w->nobj * os;
        memset(p, 0, 6);
        p[6] = (uint8_t)os;
        p[7] = (uint8_t)rs;
        put_be(p + 8, w->nobj, 8);
        put_be(p + 16, 0, 8);  /* the top object is flattened first */
        put_be(p + 24, table, 8);
        o->buf->len += w->nobj * os + 32;
    }
    return 0;
}

int acar__bplist_write(const acar_val *v, const acar_write_opts *opts, acar_out *out, acar_err *err) {
    writer w;
    memset(&w, 0, sizeof w);
    w.out = out;
    w.err = err;
    w.sort = !(opts && (opts->flags & ACAR_WRITE_NO_SORT_KEYS));
    w.skipkeys = opts && (opts->flags & ACAR_WRITE_SKIPKEYS);
    w.max_depth = opts && opts->max_depth ? opts->max_depth : ACAR_DEFAULT_MAX_DEPTH;
    int rc = flatten(&w, v);
    if (rc == 0) rc = write_all(&w);
    while (w.top) free(w.st[--w.top].order);
    free(w.st);
    free(w.objs);
    free(w.refstart);
    free(w.hashes);
    free(w.kinds);
    free(w.refs);
    free(w.slots);
    return rc;
}
