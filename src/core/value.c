/*
 * value.c -- node accessors, builders, Python equality and hashing.
 *
 * Dicts and sets keep their items in insertion order in one array; a hash
 * index (open addressing over item positions) is built only once a map holds
 * more than ACAR_MAP_SCAN_MAX items, below which a linear scan with a cheap
 * equality is faster and costs no memory.
 */
#include "core/internal.h"
#include "num/num.h"

#include <math.h>

/* ---- type and common accessors ---- */

acar_type acar_typeof(const acar_val *v) { return v ? ACAR_TYPE(v) : (acar_type)0; }

const char *acar_type_name(acar_type t) {
    switch (t) {
    case ACAR_NONE: return "NoneType";
    case ACAR_BOOL: return "bool";
    case ACAR_ELLIPSIS: return "ellipsis";
    case ACAR_STOPITERATION: return "StopIteration";
    case ACAR_INT: return "int";
    case ACAR_FLOAT: return "float";
    case ACAR_COMPLEX: return "complex";
    case ACAR_STR: return "str";
    case ACAR_BYTES: return "bytes";
    case ACAR_BYTEARRAY: return "bytearray";
    case ACAR_LIST: return "list";
    case ACAR_TUPLE: return "tuple";
    case ACAR_DICT: return "dict";
    case ACAR_SET: return "set";
    case ACAR_FROZENSET: return "frozenset";
    case ACAR_GLOBAL: return "global";
    case ACAR_OBJECT: return "object";
    case ACAR_PERSID: return "persistent id";
    case ACAR_BUFFER: return "PickleBuffer";
    case ACAR_CODE: return "code";
    case ACAR_DATETIME: return "datetime";
    }
    return "?";
}

size_t acar_len(const acar_val *v) {
    if (!v) return 0;
    switch (ACAR_TYPE(v)) {
    case ACAR_STR: case ACAR_BYTES: case ACAR_BYTEARRAY:
    case ACAR_LIST: case ACAR_TUPLE: case ACAR_DICT: case ACAR_SET: case ACAR_FROZENSET:
        return ACAR_LEN(v);
    case ACAR_BUFFER:
        return ((const acar_buffer_body *)v->u.p)->len;
    default:
        return 0;
    }
}

int acar_bool(const acar_val *v) { return v && ACAR_TYPE(v) == ACAR_BOOL && v->u.i != 0; }
double acar_float(const acar_val *v) { return v && ACAR_TYPE(v) == ACAR_FLOAT ? v->u.f : 0.0; }
double acar_complex_real(const acar_val *v) {
    return v && ACAR_TYPE(v) == ACAR_COMPLEX ? ((const double *)v->u.p)[0] : 0.0;
}
double acar_complex_imag(const acar_val *v) {
    return v && ACAR_TYPE(v) == ACAR_COMPLEX ? ((const double *)v->u.p)[1] : 0.0;
}

int acar_int_get(const acar_val *v, int64_t *out) {
    if (!v || ACAR_TYPE(v) != ACAR_INT || (ACAR_FLAGS(v) & ACAR_F_BIG)) return 0;
    if (out) *out = v->u.i;
    return 1;
}

size_t acar_int_limbs(const acar_val *v, int *neg, const uint32_t **limbs, uint32_t tmp[3]) {
    *neg = 0;
    *limbs = tmp;
    if (!v || ACAR_TYPE(v) != ACAR_INT) return 0;
    if (ACAR_FLAGS(v) & ACAR_F_BIG) {
        *neg = (ACAR_FLAGS(v) & ACAR_F_NEG) != 0;
        *limbs = v->u.p;
        return ACAR_LEN(v);
    }
    int64_t i = v->u.i;
    uint64_t m = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
    *neg = i < 0;
    tmp[0] = (uint32_t)m;
    tmp[1] = (uint32_t)(m >> 32);
    tmp[2] = 0;
    return m == 0 ? 0 : (tmp[1] ? 2 : 1);
}

const char *acar_str(const acar_val *v, size_t *len) {
    if (!v) { if (len) *len = 0; return NULL; }
    switch (ACAR_TYPE(v)) {
    case ACAR_STR: case ACAR_BYTES: case ACAR_BYTEARRAY:
        if (len) *len = ACAR_LEN(v);
        return v->u.s;
    default:
        if (len) *len = 0;
        return NULL;
    }
}

/* ---- containers ---- */


acar_val *acar_item(const acar_val *v, size_t i) {
    if (!v) return NULL;
    acar_type t = ACAR_TYPE(v);
    if (i >= ACAR_LEN(v)) return NULL;
    if (t == ACAR_LIST || t == ACAR_TUPLE) return v->u.items[i];
    if (t == ACAR_SET || t == ACAR_FROZENSET) return v->u.items[i];
    return NULL;
}

acar_val *acar_dict_key(const acar_val *v, size_t i) {
    if (!v || ACAR_TYPE(v) != ACAR_DICT || i >= ACAR_LEN(v)) return NULL;
    return acar__dict_key(v, i);
}

acar_val *acar_dict_value(const acar_val *v, size_t i) {
    if (!v || ACAR_TYPE(v) != ACAR_DICT || i >= ACAR_LEN(v)) return NULL;
    return acar__dict_val(v, i);
}

/* ---- global, object, persistent id, buffer ---- */

acar_val *acar_global_module(const acar_val *v) {
    return v && ACAR_TYPE(v) == ACAR_GLOBAL ? ((acar_global_body *)v->u.p)->module : NULL;
}
acar_val *acar_global_name(const acar_val *v) {
    return v && ACAR_TYPE(v) == ACAR_GLOBAL ? ((acar_global_body *)v->u.p)->name : NULL;
}

static acar_object_body *obj_body(const acar_val *v) {
    return v && ACAR_TYPE(v) == ACAR_OBJECT ? v->u.p : NULL;
}
acar_build acar_object_build(const acar_val *v) {
    return obj_body(v) ? (acar_build)(ACAR_FLAGS(v) & ACAR_F_BUILD_MASK) : (acar_build)0;
}
acar_val *acar_object_callable(const acar_val *v) { acar_object_body *b = obj_body(v); return b ? b->callable : NULL; }
acar_val *acar_object_args(const acar_val *v) { acar_object_body *b = obj_body(v); return b ? b->args : NULL; }
acar_val *acar_object_kwargs(const acar_val *v) { acar_object_body *b = obj_body(v); return b ? b->kwargs : NULL; }
acar_val *acar_object_state(const acar_val *v) { acar_object_body *b = obj_body(v); return b ? b->state : NULL; }
acar_val *acar_object_listitems(const acar_val *v) { acar_object_body *b = obj_body(v); return b ? b->listitems : NULL; }
acar_val *acar_object_dictitems(const acar_val *v) { acar_object_body *b = obj_body(v); return b ? b->dictitems : NULL; }

acar_val *acar_persid_pid(const acar_val *v) {
    return v && ACAR_TYPE(v) == ACAR_PERSID ? v->u.p : NULL;
}

/* ---- datetimes ----
 * The fields pack into the payload most significant first (year, month,
 * day, hour, minute, second, microsecond: 14+4+5+5+6+6+20 bits), so packed
 * values order as the datetimes do; fold is the flag ACAR_F_FOLD. */

static bool leap_year(int y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

static bool datetime_valid(const acar_datetime *d) {
    static const unsigned char mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (d->year < 1 || d->year > 9999 || d->month < 1 || d->month > 12) return false;
    int dim = mdays[d->month - 1] + (d->month == 2 && leap_year(d->year));
    return d->day >= 1 && d->day <= dim && d->hour >= 0 && d->hour <= 23 && d->minute >= 0 &&
           d->minute <= 59 && d->second >= 0 && d->second <= 59 && d->microsecond >= 0 &&
           d->microsecond <= 999999 && (d->fold == 0 || d->fold == 1);
}

acar_val *acar_new_datetime(acar_doc *doc, const acar_datetime *dt) {
    if (!dt || !datetime_valid(dt))
        return acar__doc_fail(doc, ACAR_ERR_ARG, "datetime field out of range");
    uint64_t x = (uint64_t)dt->year;
    x = x << 4 | (uint64_t)dt->month;
    x = x << 5 | (uint64_t)dt->day;
    x = x << 5 | (uint64_t)dt->hour;
    x = x << 6 | (uint64_t)dt->minute;
    x = x << 6 | (uint64_t)dt->second;
    x = x << 20 | (uint64_t)dt->microsecond;
    acar_val *v = acar__node(doc, ACAR_TAG(ACAR_DATETIME, dt->fold ? ACAR_F_FOLD : 0, 0));
    if (v) v->u.i = (int64_t)x;
    return v;
}

int acar_datetime_get(const acar_val *v, acar_datetime *out) {
    if (!v || ACAR_TYPE(v) != ACAR_DATETIME) return -1;
    uint64_t x = (uint64_t)v->u.i;
    out->microsecond = (int)(x & 0xfffff); x >>= 20;
    out->second = (int)(x & 63); x >>= 6;
    out->minute = (int)(x & 63); x >>= 6;
    out->hour = (int)(x & 31); x >>= 5;
    out->day = (int)(x & 31); x >>= 5;
    out->month = (int)(x & 15); x >>= 4;
    out->year = (int)x;
    out->fold = (ACAR_FLAGS(v) & ACAR_F_FOLD) ? 1 : 0;
    return 0;
}

int acar__datetime_from_state(const uint8_t *s, size_t n, acar_datetime *dt) {
    if (n != 10) return -1;
    dt->year = s[0] << 8 | s[1];
    dt->month = s[2] & 0x7f;
    dt->fold = s[2] >> 7;
    dt->day = s[3];
    dt->hour = s[4];
    dt->minute = s[5];
    dt->second = s[6];
    dt->microsecond = s[7] << 16 | s[8] << 8 | s[9];
    return datetime_valid(dt) ? 0 : -1;
}

void acar__datetime_state(const acar_val *v, uint8_t out[10], bool with_fold) {
    acar_datetime d;
    acar_datetime_get(v, &d);
    out[0] = (uint8_t)(d.year >> 8);
    out[1] = (uint8_t)d.year;
    out[2] = (uint8_t)(d.month | (with_fold && d.fold ? 0x80 : 0));
    out[3] = (uint8_t)d.day;
    out[4] = (uint8_t)d.hour;
    out[5] = (uint8_t)d.minute;
    out[6] = (uint8_t)d.second;
    out[7] = (uint8_t)(d.microsecond >> 16);
    out[8] = (uint8_t)(d.microsecond >> 8);
    out[9] = (uint8_t)d.microsecond;
}

const uint8_t *acar_buffer_data(const acar_val *v, size_t *len) {
    if (!v || ACAR_TYPE(v) != ACAR_BUFFER) { if (len) *len = 0; return NULL; }
    const acar_buffer_body *b = v->u.p;
    if (len) *len = b->len;
    return b->data;
}
int acar_buffer_readonly(const acar_val *v) {
    return v && ACAR_TYPE(v) == ACAR_BUFFER && (ACAR_FLAGS(v) & ACAR_F_RO);
}
long acar_buffer_oob_index(const acar_val *v) {
    return v && ACAR_TYPE(v) == ACAR_BUFFER ? ((const acar_buffer_body *)v->u.p)->oob : -1;
}

/* ---- builders ---- */

acar_val *acar_new_none(acar_doc *doc) { return &doc->none; }
acar_val *acar_new_bool(acar_doc *doc, int b) { return b ? &doc->true_ : &doc->false_; }
acar_val *acar_new_ellipsis(acar_doc *doc) { return &doc->ellipsis; }
acar_val *acar_new_stopiteration(acar_doc *doc) { return &doc->stopiter; }

acar_val *acar_new_int(acar_doc *doc, int64_t i) {
    acar_val *v = acar__node(doc, ACAR_TAG(ACAR_INT, 0, 0));
    if (v) v->u.i = i;
    return v;
}

acar_val *acar_new_bigint(acar_doc *doc, int neg, const uint32_t *limbs, size_t n) {
    while (n && limbs[n - 1] == 0) n--;
    if (n <= 2) {
        uint64_t m = n ? limbs[0] : 0;
        if (n == 2) m |= (uint64_t)limbs[1] << 32;
        if (!neg && m <= (uint64_t)INT64_MAX) return acar_new_int(doc, (int64_t)m);
        if (neg && m <= (uint64_t)INT64_MAX + 1) return acar_new_int(doc, (int64_t)(0 - m));
    }
    if (n > ACAR_MAX_LEN / 4) return acar__doc_fail(doc, ACAR_ERR_LIMIT, "int too large");
    uint32_t *copy = acar__alloc(doc, n * sizeof *copy);
    if (!copy) return NULL;
    memcpy(copy, limbs, n * sizeof *copy);
    acar_val *v = acar__node(doc, ACAR_TAG(ACAR_INT, ACAR_F_BIG | (neg ? ACAR_F_NEG : 0), n));
    if (v) v->u.p = copy;
    return v;
}

acar_val *acar_new_int_dec(acar_doc *doc, const char *text, size_t len) {
    size_t i = 0;
    int neg = 0;
    if (i < len && (text[i] == '-' || text[i] == '+')) neg = text[i++] == '-';
    if (i == len) return acar__doc_fail(doc, ACAR_ERR_MALFORMED, "invalid int literal");
    for (size_t k = i; k < len; k++)
        if (text[k] < '0' || text[k] > '9')
            return acar__doc_fail(doc, ACAR_ERR_MALFORMED, "invalid int literal");
    while (i + 1 < len && text[i] == '0') i++;
    size_t nd = len - i;
    if (nd > doc->limits.max_int_digits)
        return acar__doc_fail(doc, ACAR_ERR_LIMIT,
                              "Exceeds the limit (%zu digits) for integer string conversion "
                              "(max_int_digits)", doc->limits.max_int_digits);
    if (nd <= 18) {
        int64_t m = 0;
        for (size_t k = i; k < len; k++) m = m * 10 + (text[k] - '0');
        return acar_new_int(doc, neg ? -m : m);
    }
    size_t cap = acar_num_big_limbs_for_digits(nd);
    uint32_t *mag = acar__alloc(doc, cap * sizeof *mag);
    if (!mag) return NULL;
    size_t n = acar_num_big_from_dec(text + i, nd, mag);
    return acar_new_bigint(doc, neg, mag, n);
}

acar_val *acar_new_float(acar_doc *doc, double f) {
    acar_val *v = acar__node(doc, ACAR_TAG(ACAR_FLOAT, 0, 0));
    if (v) v->u.f = f;
    return v;
}

acar_val *acar_new_complex(acar_doc *doc, double re, double im) {
    double *d = acar__alloc(doc, 2 * sizeof *d);
    if (!d) return NULL;
    d[0] = re;
    d[1] = im;
    acar_val *v = acar__node(doc, ACAR_TAG(ACAR_COMPLEX, 0, 0));
    if (v) v->u.p = d;
    return v;
}

/* A str, bytes or bytearray node of len bytes s (borrowed or copied),
 * with flags. */
static acar_val *text_node(acar_doc *doc, acar_type t, unsigned flags, const char *s, size_t len, bool borrow) {
    if (len > ACAR_MAX_LEN) return acar__doc_fail(doc, ACAR_ERR_LIMIT, "string too long");
    if (borrow || len == 0) {
        acar_val *v = acar__node(doc, ACAR_TAG(t, flags, len));
        if (v) v->u.s = len ? s : "";
        return v;
    }
    char *copy;
    acar_val *v = acar__alloc_text(doc, len, &copy); /* the bytes unpadded, as the readers' */
    if (!v) return NULL;
    memcpy(copy, s, len);
    v->tag = ACAR_TAG(t, t == ACAR_STR ? flags | ACAR_F_TAIL : flags, len);
    v->u.s = copy;
    return v;
}

/* The flags of a str of bytes s, which the caller has checked as UTF-8
 * (ascii: every byte below 0x80). */
static unsigned str_flags(const char *s, size_t len, bool ascii) {
    return (ascii ? ACAR_F_ASCII : 0) | (acar__json_plain((const uint8_t *)s, len) ? ACAR_F_JSON_PLAIN : 0);
}

acar_val *acar__str(acar_doc *doc, acar_type t, const char *s, size_t len, bool borrow) {
    unsigned flags = 0;
    if (t == ACAR_STR) {
        bool bad, ascii;
        (void)acar__utf8_check(s, len, &bad, &ascii);
        flags = str_flags(s, len, ascii);
    }
    return text_node(doc, t, flags, s, len, borrow);
}

acar_val *acar_new_str(acar_doc *doc, const char *utf8, size_t len) {
    bool bad, ascii;
    size_t at = acar__utf8_check(utf8, len, &bad, &ascii);
    if (bad) return acar__doc_fail(doc, ACAR_ERR_MALFORMED, "invalid UTF-8 at byte %zu", at);
    return text_node(doc, ACAR_STR, str_flags(utf8, len, ascii), utf8, len, false);
}

acar_val *acar_new_bytes(acar_doc *doc, const void *data, size_t len) {
    return acar__str(doc, ACAR_BYTES, data, len, false);
}

acar_val *acar_new_bytearray(acar_doc *doc, const void *data, size_t len) {
    return acar__str(doc, ACAR_BYTEARRAY, data, len, false);
}

acar_val *acar__seq(acar_doc *doc, acar_type t, acar_val *const *items, size_t n) {
    if (n > doc->limits.max_items)
        return acar__doc_fail(doc, ACAR_ERR_LIMIT, "container of %zu items exceeds max_items", n);
    acar_val **arr = acar__alloc(doc, acar__cap(n) * sizeof *arr);
    if (!arr) return NULL;
    if (n) memcpy(arr, items, n * sizeof *arr);
    unsigned flags = 0;
    if (t == ACAR_TUPLE)
        for (size_t i = 0; i < n && !flags; i++)
            if (acar__unhashable(items[i])) flags = ACAR_F_UNHASHABLE;
    acar_val *v = acar__node(doc, ACAR_TAG(t, flags, n));
    if (v) v->u.items = arr;
    return v;
}

acar_val *acar_new_list(acar_doc *doc) { return acar__seq(doc, ACAR_LIST, NULL, 0); }

acar_val *acar_new_tuple(acar_doc *doc, acar_val *const *items, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (!items[i]) return acar__doc_fail(doc, ACAR_ERR_ARG, "NULL item");
        acar__stored(items[i]);
    }
    return acar__seq(doc, ACAR_TUPLE, items, n);
}

/* Makes room for one more item (per_item pointers) in the array of
 * container v, which has len items: a power of two from then on.  A map's
 * index header, when it has one, moves with its items. */
static acar_val **grow_items(acar_doc *doc, acar_val *v, size_t len, size_t per_item) {
    size_t cap = acar__items_cap(v, len * per_item);
    if (len * per_item + per_item <= cap) return v->u.items;
    acar_type t = ACAR_TYPE(v);
    size_t hdr = (t == ACAR_DICT || t == ACAR_SET || t == ACAR_FROZENSET) && acar__map_index(v)
                     ? sizeof(acar_map_index) : 0;
    size_t ncap = acar__cap(len * per_item + per_item);
    char *block = (char *)(void *)v->u.items - hdr;
    block = acar__grow(doc, block, hdr + cap * sizeof(acar_val *), hdr + ncap * sizeof(acar_val *));
    if (!block) return NULL;
    v->tag &= ~((uint64_t)ACAR_F_EXACT << 8);
    v->u.items = (acar_val **)(void *)(block + hdr);
    return v->u.items;
}

int acar__seq_push(acar_doc *doc, acar_val *seq, acar_val *item) {
    size_t len = ACAR_LEN(seq);
    if (len >= doc->limits.max_items) {
        acar__doc_fail(doc, ACAR_ERR_LIMIT, "container of more than %zu items (max_items)",
                       doc->limits.max_items);
        return -1;
    }
    acar_val **items = grow_items(doc, seq, len, 1);
    if (!items) return -1;
    items[len] = item;
    acar__set_len(seq, len + 1);
    return 0;
}

int acar__list_extend(acar_doc *doc, acar_val *list, acar_val *const *items, size_t n, bool last) {
    size_t len = ACAR_LEN(list);
    if (n > doc->limits.max_items - len) {
        acar__doc_fail(doc, ACAR_ERR_LIMIT, "container of more than %zu items (max_items)",
                       doc->limits.max_items);
        return -1;
    }
    if (n == 0 && !last) return 0;
    size_t cap = acar__items_cap(list, len);
    acar_val **arr = list->u.items;
    /* An exact empty list (a reader's) gets exactly the n items: most
     * lists get all theirs at once (a pickle's APPENDS) */
    if (len + n > cap) {
        bool exact = last || (len == 0 && (ACAR_FLAGS(list) & ACAR_F_EXACT));
        arr = acar__grow(doc, arr, cap * sizeof *arr, (exact ? len + n : acar__cap(len + n)) * sizeof *arr);
        if (!arr) return -1;
        list->u.items = arr;
        if (exact) list->tag |= (uint64_t)ACAR_F_EXACT << 8;
        else list->tag &= ~((uint64_t)ACAR_F_EXACT << 8);
    } else if (last && cap > len + n) {
        /* reading list(range(10**6)) left 386 KB of its 8 MB array unused */
        void *p = arr;
        int shrunk = acar__shrink(doc, &p, cap * sizeof *arr, (len + n) * sizeof *arr);
        if (shrunk < 0) return -1;
        if (shrunk) {
            arr = list->u.items = p;
            list->tag |= (uint64_t)ACAR_F_EXACT << 8;
        }
    }
    if (n) memcpy(arr + len, items, n * sizeof *arr);
    acar__set_len(list, len + n);
    return 0;
}

int acar_list_append(acar_doc *doc, acar_val *list, acar_val *item) {
    if (!list || ACAR_TYPE(list) != ACAR_LIST || !item) {
        acar__doc_fail(doc, ACAR_ERR_ARG, "acar_list_append needs a list and an item");
        return -1;
    }
    acar__stored(item);
    return acar__seq_push(doc, list, item);
}

acar_val *acar__map(acar_doc *doc, acar_type t) {
    acar_val **items = acar__alloc(doc, acar__cap(0) * sizeof *items);
    if (!items) return NULL;
    acar_val *v = acar__node(doc, ACAR_TAG(t, 0, 0));
    if (v) v->u.items = items;
    return v;
}

acar_val **acar__map_alloc(acar_doc *doc, acar_val *map, size_t cap, size_t icap) {
    size_t head = acar__map_head_bytes(icap);
    if (cap > (SIZE_MAX - head) / sizeof(acar_val *)) {
        acar__doc_fail(doc, ACAR_ERR_NOMEM, "out of memory");
        return NULL;
    }
    char *block = acar__alloc(doc, head + cap * sizeof(acar_val *));
    if (!block) return NULL;
    if (icap) map->tag |= (uint64_t)ACAR_F_INDEXED << 8;
    else map->tag &= ~((uint64_t)ACAR_F_INDEXED << 8);
    map->u.items = acar__map_place(block, icap);
    return map->u.items;
}

acar_val *acar_new_dict(acar_doc *doc) { return acar__map(doc, ACAR_DICT); }
acar_val *acar_new_set(acar_doc *doc) { return acar__map(doc, ACAR_SET); }

acar_val *acar_new_global(acar_doc *doc, const char *module, size_t mlen,
                          const char *name, size_t nlen) {
    acar_global_body *b = acar__alloc(doc, sizeof *b);
    if (!b) return NULL;
    b->module = acar_new_str(doc, module, mlen);
    b->name = acar_new_str(doc, name, nlen);
    if (!b->module || !b->name) return NULL;
    acar_val *v = acar__node(doc, ACAR_TAG(ACAR_GLOBAL, 0, 0));
    if (v) v->u.p = b;
    return v;
}

acar_val *acar_new_object(acar_doc *doc, acar_build how, acar_val *callable,
                          acar_val *args, acar_val *kwargs) {
    /* NULL args or kwargs right after a builder failed on this doc is that
     * failure (acar_new_object(d, k, f, acar_new_tuple(...), NULL)), not
     * "none": fail in turn rather than build an object without them. */
    if ((!args || !kwargs) && doc->err.code != ACAR_OK) return NULL;
    if (how < ACAR_BUILD_REDUCE || how > ACAR_BUILD_OBJ || !callable)
        return acar__doc_fail(doc, ACAR_ERR_ARG, "acar_new_object needs a build kind and a callable");
    if (args && ACAR_TYPE(args) != ACAR_TUPLE)
        return acar__doc_fail(doc, ACAR_ERR_ARG, "object args must be a tuple");
    if (kwargs && ACAR_TYPE(kwargs) != ACAR_DICT)
        return acar__doc_fail(doc, ACAR_ERR_ARG, "object kwargs must be a dict");
    acar__stored(callable);
    acar__stored(args);
    acar__stored(kwargs);
    if (!args) args = acar__seq(doc, ACAR_TUPLE, NULL, 0);
    acar_object_body *b = acar__alloc(doc, sizeof *b);
    if (!b || !args) return NULL;
    memset(b, 0, sizeof *b);
    b->callable = callable;
    b->args = args;
    b->kwargs = kwargs;
    acar_val *v = acar__node(doc, ACAR_TAG(ACAR_OBJECT, how, 0));
    if (v) v->u.p = b;
    return v;
}

acar_val *acar_new_persid(acar_doc *doc, acar_val *pid) {
    if (!pid) return acar__doc_fail(doc, ACAR_ERR_ARG, "NULL pid");
    acar__stored(pid);
    acar_val *v = acar__node(doc, ACAR_TAG(ACAR_PERSID, 0, 0));
    if (v) v->u.p = pid;
    return v;
}

acar_val *acar_new_buffer(acar_doc *doc, const void *data, size_t len, int readonly) {
    acar_buffer_body *b = acar__alloc(doc, sizeof *b);
    if (!b) return NULL;
    uint8_t *copy = acar__alloc(doc, len);
    if (!copy) return NULL;
    if (len) memcpy(copy, data, len);
    b->data = copy;
    b->len = len;
    b->oob = -1;
    acar_val *v = acar__node(doc, ACAR_TAG(ACAR_BUFFER, readonly ? ACAR_F_RO : 0, 0));
    if (v) v->u.p = b;
    return v;
}

int acar_object_set_state(acar_doc *doc, acar_val *obj, acar_val *state) {
    acar_object_body *b = obj_body(obj);
    if (!b || !state) { acar__doc_fail(doc, ACAR_ERR_ARG, "acar_object_set_state needs an object"); return -1; }
    acar__stored(state);
    b->state = state;
    return 0;
}

int acar_object_append(acar_doc *doc, acar_val *obj, acar_val *item) {
    acar_object_body *b = obj_body(obj);
    if (!b || !item) { acar__doc_fail(doc, ACAR_ERR_ARG, "acar_object_append needs an object"); return -1; }
    acar__stored(item);
    if (!b->listitems && !(b->listitems = acar_new_list(doc))) return -1;
    return acar__seq_push(doc, b->listitems, item);
}

int acar_object_setitem(acar_doc *doc, acar_val *obj, acar_val *key, acar_val *value) {
    acar_object_body *b = obj_body(obj);
    if (!b || !key || !value) { acar__doc_fail(doc, ACAR_ERR_ARG, "acar_object_setitem needs an object"); return -1; }
    if (!b->dictitems && !(b->dictitems = acar_new_dict(doc))) return -1;
    return acar_dict_set(doc, b->dictitems, key, value);
}

/* ---- hashing and equality ---- */

int acar_hashable(const acar_val *v) { return v && !acar__unhashable(v); }

const char *acar__unhashable_name(const acar_val *v) {
    /* A marshal tuple can hold itself: the walk stops after a while and
     * names the tuple. */
    for (int steps = 0; ACAR_TYPE(v) == ACAR_TUPLE && steps < 1000; steps++) {
        size_t i = 0, n = ACAR_LEN(v);
        while (i < n && !acar__unhashable(v->u.items[i])) i++;
        if (i == n) break;
        v = v->u.items[i];
    }
    return acar_type_name(ACAR_TYPE(v));
}

/* acar__hash_bytes past 16 bytes, out of line. */
uint64_t acar__hash_long(const char *s, size_t n) {
    return acar__hash_long_inline(s, n);
}

/* Exactly representable ints hash as int64; the rest of the numbers by
 * their double value, so that equal numbers (1 == 1.0 == True) hash alike. */
static uint64_t hash_double(double d) {
    if (d == floor(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0)
        return acar__mix64((uint64_t)(int64_t)d);
    if (d != d) return 0x7ff8; /* all NaNs alike; they never compare equal anyway */
    uint64_t bits;
    memcpy(&bits, &d, 8);
    return acar__mix64(bits);
}

static double big_to_double(const acar_val *v) {
    double d = 0;
    const uint32_t *l = v->u.p;
    for (size_t i = ACAR_LEN(v); i-- > 0;) d = d * 4294967296.0 + l[i];
    return (ACAR_FLAGS(v) & ACAR_F_NEG) ? -d : d;
}

/* Whether a big int is exactly some double (its set bits span at most 53
 * and it is below 2^1024): only then can it equal a float. */
static bool big_is_double(const acar_val *v) {
    const uint32_t *l = v->u.p;
    size_t n = ACAR_LEN(v), lo = 0;
    while (lo < n && l[lo] == 0) lo++;
    if (lo == n) return true;
    size_t hi_bit = (n - 1) * 32, lo_bit = lo * 32;
    for (uint32_t x = l[n - 1]; x > 1; x >>= 1) hi_bit++;
    for (uint32_t x = l[lo]; !(x & 1); x >>= 1) lo_bit++;
    return hi_bit < 1024 && hi_bit - lo_bit < 53;
}

/* Tuples and frozensets hash only their first HASH_ITEMS items, HASH_DEPTH
 * levels down: still a function of the value (equal keys hash alike), but
 * bounded, so deep or shared (exponentially large) tuples cost little. */
#define HASH_DEPTH 4
#define HASH_ITEMS 16

static uint64_t hash_depth(const acar_val *v, int depth) {
    switch (ACAR_TYPE(v)) {
    case ACAR_NONE: return 0x9e3779b97f4a7c15ull;
    case ACAR_BOOL: return acar__mix64((uint64_t)v->u.i);
    case ACAR_INT:
        if (ACAR_FLAGS(v) & ACAR_F_BIG) {
            /* one that is not exactly a double equals no float: hash its
             * limbs (rounding them to a double made many keys collide) */
            if (!big_is_double(v))
                return acar__hash_bytes(v->u.p, ACAR_LEN(v) * 4) ^ (ACAR_FLAGS(v) & ACAR_F_NEG);
            return hash_double(big_to_double(v));
        }
        return acar__mix64((uint64_t)v->u.i);
    case ACAR_FLOAT:
        /* a NaN equals only itself (the same node): all NaNs hashing alike
         * made a dict of many NaN keys quadratic */
        if (v->u.f != v->u.f) return acar__mix64((uint64_t)(uintptr_t)v);
        return hash_double(v->u.f);
    case ACAR_COMPLEX: {
        const double *d = v->u.p;
        if (d[0] != d[0] || d[1] != d[1]) return acar__mix64((uint64_t)(uintptr_t)v);
        if (d[1] == 0) return hash_double(d[0]);
        return hash_double(d[0]) ^ acar__mix64(hash_double(d[1]) + 1);
    }
    case ACAR_STR: return acar__hash_bytes(v->u.s, ACAR_LEN(v));
    case ACAR_BYTES: return acar__hash_bytes(v->u.s, ACAR_LEN(v)) ^ 0x5555;
    case ACAR_TUPLE: {
        uint64_t h = 0x345678 + ACAR_LEN(v);
        size_t n = ACAR_LEN(v) < HASH_ITEMS ? ACAR_LEN(v) : HASH_ITEMS;
        if (depth > 0)
            for (size_t i = 0; i < n; i++) h = acar__mix64(h ^ hash_depth(v->u.items[i], depth - 1)) + i;
        return h;
    }
    case ACAR_FROZENSET: {
        /* Order-independent, so only the size when the items would be cut. */
        uint64_t h = 0x1234 + ACAR_LEN(v);
        if (depth > 0 && ACAR_LEN(v) <= HASH_ITEMS)
            for (size_t i = 0; i < ACAR_LEN(v); i++) h += acar__mix64(hash_depth(v->u.items[i], depth - 1));
        return h;
    }
    case ACAR_GLOBAL: {
        acar_global_body *b = v->u.p;
        return hash_depth(b->module, 0) * 31 + hash_depth(b->name, 0);
    }
    case ACAR_DATETIME: return acar__mix64((uint64_t)v->u.i ^ 0xda7e); /* fold is not part of equality */
    case ACAR_PERSID: {
        /* Equal when their pids are (equal_depth), so hashed by the pid:
         * by its value, or by its type and length when it has none (by
         * address, equal persistent ids met apart in a set with an index
         * and together in one without, as addresses fell). */
        const acar_val *pid = v->u.p;
        if (depth <= 0) return 0x9e12;
        if (acar__unhashable(pid)) return acar__mix64(((uint64_t)ACAR_TYPE(pid) << 40 ^ ACAR_LEN(pid)) + 0x9e12);
        return acar__mix64(hash_depth(pid, depth - 1) + 0x9e12);
    }
    default:
        return acar__mix64((uint64_t)(uintptr_t)v);
    }
}

uint64_t acar__hash(const acar_val *v) { return hash_depth(v, HASH_DEPTH); }

static bool is_number(acar_type t) {
    return t == ACAR_BOOL || t == ACAR_INT || t == ACAR_FLOAT || t == ACAR_COMPLEX;
}

/* Exact equality of an int node and a double (1 << 70 == 2.0**70). */
static bool int_eq_double(const acar_val *a, double d) {
    if (!(ACAR_FLAGS(a) & ACAR_F_BIG)) {
        if (d != floor(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0) return false;
        return a->u.i == (int64_t)d;
    }
    if (d != floor(d) || isinf(d)) return false;
    if ((d < 0) != ((ACAR_FLAGS(a) & ACAR_F_NEG) != 0)) return false;
    /* d is an integer of magnitude >= 2^63 (else a would not be big): split
     * it into limbs exactly. */
    double m = fabs(d);
    int e;
    double frac = frexp(m, &e);            /* m = frac * 2^e, e > 63 */
    uint64_t mant = (uint64_t)ldexp(frac, 53);
    int shift = e - 53;                    /* m = mant << shift */
    size_t n = ACAR_LEN(a);
    const uint32_t *l = a->u.p;
    size_t want = (size_t)(e + 31) / 32;
    if (n != want) return false;
    for (size_t i = 0; i < n; i++) {
        /* Bits [32i, 32i+32) of mant << shift. */
        int lo = (int)(32 * i) - shift;
        uint32_t limb;
        if (lo >= 64 || lo <= -32) limb = 0;
        else if (lo >= 0) limb = (uint32_t)(mant >> lo);
        else limb = (uint32_t)(mant << -lo);
        if (l[i] != limb) return false;
    }
    return true;
}

static bool num_equal(const acar_val *a, const acar_val *b) {
    acar_type ta = ACAR_TYPE(a), tb = ACAR_TYPE(b);
    if (ta == ACAR_COMPLEX || tb == ACAR_COMPLEX) {
        if (ta == ACAR_COMPLEX && tb == ACAR_COMPLEX) {
            const double *x = a->u.p, *y = b->u.p;
            return x[0] == y[0] && x[1] == y[1];
        }
        const acar_val *c = ta == ACAR_COMPLEX ? a : b, *o = ta == ACAR_COMPLEX ? b : a;
        const double *x = c->u.p;
        if (x[1] != 0) return false;
        acar_val re = {ACAR_TAG(ACAR_FLOAT, 0, 0), {.f = x[0]}};
        return num_equal(&re, o);
    }
    if (ta == ACAR_FLOAT && tb == ACAR_FLOAT) return a->u.f == b->u.f;
    if (ta == ACAR_FLOAT) return int_eq_double(b, a->u.f);  /* bool's u.i works as int */
    if (tb == ACAR_FLOAT) return int_eq_double(a, b->u.f);
    bool abig = ta == ACAR_INT && (ACAR_FLAGS(a) & ACAR_F_BIG);
    bool bbig = tb == ACAR_INT && (ACAR_FLAGS(b) & ACAR_F_BIG);
    if (!abig && !bbig) return a->u.i == b->u.i;
    if (abig != bbig) return false; /* big ints never fit int64 */
    if (((ACAR_FLAGS(a) ^ ACAR_FLAGS(b)) & ACAR_F_NEG) || ACAR_LEN(a) != ACAR_LEN(b)) return false;
    return memcmp(a->u.p, b->u.p, ACAR_LEN(a) * 4) == 0;
}

static int map_find(const acar_val *map, const acar_val *key, uint64_t hash);

/* Equality with a budget of depth and of node visits: cycles and shared
 * graphs too large to compare (a tuple of two copies of a tuple of two
 * copies ... is exponential) end as unequal instead of running forever. */
#define EQUAL_VISITS 1000000

static bool equal_depth(const acar_val *a, const acar_val *b, size_t depth, size_t *visits) {
    if (a == b) {
        /* Python: x == x is True except for NaN floats inside containers,
         * where identity wins anyway. */
        return true;
    }
    if (depth == 0 || *visits == 0) return false;
    --*visits;
    acar_type ta = ACAR_TYPE(a), tb = ACAR_TYPE(b);
    if (is_number(ta) && is_number(tb)) return num_equal(a, b);
    if ((ta == ACAR_BYTES || ta == ACAR_BYTEARRAY) && (tb == ACAR_BYTES || tb == ACAR_BYTEARRAY))
        return ACAR_LEN(a) == ACAR_LEN(b) && memcmp(a->u.s, b->u.s, ACAR_LEN(a)) == 0;
    if ((ta == ACAR_SET || ta == ACAR_FROZENSET) && (tb == ACAR_SET || tb == ACAR_FROZENSET)) {
        if (ACAR_LEN(a) != ACAR_LEN(b)) return false;
        acar_val *const *ia = a->u.items;
        for (size_t i = 0; i < ACAR_LEN(a); i++)
            if (map_find(b, ia[i], acar__hash(ia[i])) < 0) return false;
        return true;
    }
    if (ta != tb) return false;
    switch (ta) {
    case ACAR_NONE: case ACAR_ELLIPSIS: case ACAR_STOPITERATION:
        return true;
    case ACAR_STR:
        return ACAR_LEN(a) == ACAR_LEN(b) && memcmp(a->u.s, b->u.s, ACAR_LEN(a)) == 0;
    case ACAR_LIST: case ACAR_TUPLE:
        if (ACAR_LEN(a) != ACAR_LEN(b)) return false;
        for (size_t i = 0; i < ACAR_LEN(a); i++)
            if (!equal_depth(a->u.items[i], b->u.items[i], depth - 1, visits)) return false;
        return true;
    case ACAR_DICT: {
        if (ACAR_LEN(a) != ACAR_LEN(b)) return false;
        acar_pairs pa = acar__pairs(a), pb = acar__pairs(b);
        for (size_t i = 0; i < ACAR_LEN(a); i++) {
            acar_val *k = pa.keys[i * pa.stride];
            int j = map_find(b, k, acar__hash(k));
            if (j < 0 || !equal_depth(pa.vals[i * pa.stride], pb.vals[(size_t)j * pb.stride], depth - 1, visits))
                return false;
        }
        return true;
    }
    case ACAR_GLOBAL: {
        acar_global_body *x = a->u.p, *y = b->u.p;
        return equal_depth(x->module, y->module, 1, visits) && equal_depth(x->name, y->name, 1, visits);
    }
    case ACAR_PERSID:
        return equal_depth(a->u.p, b->u.p, depth - 1, visits);
    case ACAR_DATETIME:
        return a->u.i == b->u.i;
    default:
        return false; /* objects, buffers, code: identity only */
    }
}

int acar_equal(const acar_val *a, const acar_val *b) {
    if (!a || !b) return a == b;
    size_t visits = EQUAL_VISITS;
    return equal_depth(a, b, 1000, &visits);
}

/* Keys are compared with this budget: deep enough for any real key. */
#define KEY_DEPTH 1000

static inline bool key_equal(const acar_val *a, const acar_val *b) {
    if (a == b) return true;
    /* The common case, str keys, without the general machinery. */
    if (ACAR_TYPE(a) == ACAR_STR && ACAR_TYPE(b) == ACAR_STR)
        return ACAR_LEN(a) == ACAR_LEN(b) && memcmp(a->u.s, b->u.s, ACAR_LEN(a)) == 0;
    size_t visits = EQUAL_VISITS;
    return equal_depth(a, b, KEY_DEPTH, &visits);
}

/* Position of key in map (0-based item/pair index), or -1. */
static int map_find_pos(const acar_val *map, const acar_val *key, uint64_t hash, size_t *pos) {
    acar_val *const *items = map->u.items;
    const acar_map_index *mi = acar__map_index(map);
    size_t n = ACAR_LEN(map);
    size_t stride = ACAR_TYPE(map) == ACAR_DICT ? 2 : 1;
    if (stride == 2 && acar__is_split(map)) {
        const acar_keys *t = acar__split_keys(map);
        items = t->key;
        mi = t->index.cap ? &t->index : NULL;
        stride = 1;
    }
    if (!mi) {
        for (size_t i = 0; i < n; i++)
            if (key_equal(items[i * stride], key)) { *pos = i; return 0; }
        return -1;
    }
    size_t cap = mi->cap, mask = cap - 1;
    for (size_t s = (size_t)hash & mask;; s = (s + 1) & mask) {
        uint32_t e = acar__index_get(mi->slots, cap, s);
        if (!e) return -1;
        if (key_equal(items[(size_t)(e - 1) * stride], key)) { *pos = e - 1; return 0; }
    }
}

static int map_find(const acar_val *map, const acar_val *key, uint64_t hash) {
    size_t pos;
    return map_find_pos(map, key, hash, &pos) == 0 ? (int)pos : -1;
}

static void index_insert(acar_map_index *mi, uint64_t hash, size_t pos) {
    size_t cap = mi->cap, mask = cap - 1;
    size_t s = (size_t)hash & mask;
    while (acar__index_get(mi->slots, cap, s)) s = (s + 1) & mask;
    acar__index_put(mi->slots, cap, s, (uint32_t)(pos + 1));
}

/* Makes dict d split over table t, its n values already at block[1 ...]:
 * the table's address goes in block[0], before them. */
static void set_split(acar_val *d, acar_val **block, acar_keys *t, size_t n) {
    memcpy(&block[0], &t, sizeof t);
    d->u.items = block + 1;
    d->tag = (d->tag & ((uint64_t)0xff00u & ~((uint64_t)ACAR_F_INDEXED << 8)))
           | ACAR_TAG(ACAR_DICT, ACAR_F_SPLIT | ACAR_F_EXACT, n);
}

/* The first dict of a shape, x, made split: its keys become the shared
 * table (with its index, whose positions hold for every dict of the
 * shape) and its values move down over them in its own block, after the
 * table's address.  NULL when out of memory, x unchanged. */
static acar_keys *split_first(acar_doc *doc, acar_val *x) {
    size_t n = ACAR_LEN(x);
    acar_keys *t = acar__alloc(doc, sizeof *t + n * sizeof(acar_val *));
    if (!t) return NULL;
    acar_val **items = x->u.items;
    const acar_map_index *mi = acar__map_index(x);
    t->index.slots = mi ? mi->slots : NULL;
    t->index.cap = mi ? mi->cap : 0;
    t->n = n;
    for (size_t i = 0; i < n; i++) t->key[i] = items[2 * i];
    for (size_t i = 0; i < n; i++) items[1 + i] = items[2 * i + 1];
    set_split(x, items, t, n);
    return t;
}

/* A dict shape's slot in a reader's table (acar_shapes): from the sum of
 * the key nodes' addresses, a chain of adds (a finalised product per key
 * cost citm_catalog's JSON read 8% more instructions; the first and last
 * keys alone let twitter.json's statuses, which differ in the middle,
 * evict one another).  Their order is checked by comparing the keys. */
static inline uint64_t shape_hash(acar_val *const *kv, size_t np) {
    uint64_t h = np;
    for (size_t i = 0; i < np; i++) h += (uint64_t)(uintptr_t)kv[2 * i];
    return (h ^ (h >> 29)) * 0xff51afd7ed558ccdull;
}

/* The table of the keys of pairs kv (np >= 2) when an earlier dict of the
 * read had the same keys in the same order: 1 with *keys set (the first
 * dict of the shape made split now if it was not), 0 when none, -1 when
 * out of memory.  *hash is the shape's hash, for shape_note. */
static int shape_find(acar_doc *doc, acar_shapes *shapes, acar_val *const *kv, size_t np, uint64_t *hash,
                      acar_keys **keys) {
    uint64_t h = shape_hash(kv, np);
    size_t s = (size_t)(h >> ACAR_SHAPES_SHIFT);
    *hash = h;
    if (!acar__bit_get(shapes->used, s) || shapes->slot[s].hash != h) return 0;
    acar_keys *t = shapes->slot[s].keys;
    if (t) {
        if (t->n != np) return 0;
        for (size_t i = 0; i < np; i++)
            if (t->key[i] != kv[2 * i]) return 0;
    } else {
        /* the first of the shape, if it still has exactly these keys */
        acar_val *x = shapes->slot[s].first;
        if (ACAR_TYPE(x) != ACAR_DICT || acar__is_split(x) || ACAR_LEN(x) != np) return 0;
        if (np > ACAR_MAP_SCAN_MAX && !acar__map_index(x)) return 0;
        for (size_t i = 0; i < np; i++)
            if (x->u.items[2 * i] != kv[2 * i]) return 0;
        if (!(t = split_first(doc, x))) return -1;
        shapes->slot[s].first = NULL;
        shapes->slot[s].keys = t;
    }
    *keys = t;
    return 1;
}

/* Dict, new, of hash's shape: the first of it so far. */
static void shape_note(acar_shapes *shapes, acar_val *dict, uint64_t hash) {
    size_t s = (size_t)(hash >> ACAR_SHAPES_SHIFT);
    acar__bit_set(shapes->used, s);
    shapes->slot[s].hash = hash;
    shapes->slot[s].first = dict;
    shapes->slot[s].keys = NULL;
}

size_t acar__str_dict_fill(acar_doc *doc, acar_hash_cache *hc, acar_shapes *shapes, acar_val *dict,
                           size_t room, acar_val *const *kv, size_t np) {
    uint64_t shape = 0;
    if (shapes && np >= 2) {
        acar_keys *t;
        int rc = shape_find(doc, shapes, kv, np, &shape, &t);
        if (rc) {
            acar_val **block = rc > 0 ? acar__alloc(doc, (np + 1) * sizeof *block) : NULL;
            if (!block) return SIZE_MAX;
            for (size_t i = 0; i < np; i++) block[1 + i] = kv[2 * i + 1];
            set_split(dict, block, t, np);
            return np;
        }
    }
    size_t cap = acar__index_cap(np), len = 0;
    acar_val **items = acar__map_alloc(doc, dict, room, cap);
    if (!items) return SIZE_MAX;
    void *index = cap ? acar__map_index(dict)->slots : NULL;
    size_t mask = cap - 1;
    for (size_t i = 0; i < np && !index; i++) { /* a small dict: scanned */
        acar_val *k = kv[2 * i];
        size_t at = len;
        for (size_t j = 0; j < len; j++)
            if (acar__same_str(items[2 * j], k)) { at = j; break; }
        if (at == len) items[2 * len++] = k;
        items[2 * at + 1] = kv[2 * i + 1];
    }
    for (size_t i = 0; i < np && index; i++) {
        acar_val *k = kv[2 * i];
        size_t at = len;
        for (size_t s = (size_t)acar__hash_cached(hc, k) & mask;; s = (s + 1) & mask) {
            uint32_t e = acar__index_get(index, cap, s);
            if (!e) {
                acar__index_put(index, cap, s, (uint32_t)(len + 1));
                break;
            }
            if (acar__same_str(items[2 * (size_t)(e - 1)], k)) { at = e - 1; break; }
        }
        if (at == len) items[2 * len++] = k;
        items[2 * at + 1] = kv[2 * i + 1];
    }
    acar__set_len(dict, len);
    if (shapes && np >= 2 && len == np) shape_note(shapes, dict, shape);
    return len;
}

/* Gives split dict d pairs of its own, with a copy of its table's index:
 * what it must have before it takes a new key.  -1 when out of memory. */
static int unsplit(acar_doc *doc, acar_val *d) {
    const acar_keys *t = acar__split_keys(d);
    acar_val **vals = d->u.items;
    size_t n = ACAR_LEN(d), icap = t->index.cap;
    size_t head = acar__map_head_bytes(icap);
    char *block = acar__alloc(doc, head + 2 * n * sizeof(acar_val *));
    if (!block) return -1;
    acar_val **items = acar__map_place(block, icap);
    if (icap) memcpy(block, t->index.slots, acar__index_bytes(icap));
    for (size_t i = 0; i < n; i++) {
        items[2 * i] = t->key[i];
        items[2 * i + 1] = vals[i];
    }
    d->u.items = items;
    d->tag = (d->tag & ~((uint64_t)(ACAR_F_SPLIT | ACAR_F_INDEXED) << 8))
           | ((uint64_t)(ACAR_F_EXACT | (icap ? ACAR_F_INDEXED : 0)) << 8);
    return 0;
}

/* Gives map, which holds n items (dict: pairs), an index at a load factor
 * below one half.  A map without one moves its items, with their room, to
 * a block with the index header; one with an index gets new slots (the
 * old stay in the arena, as grown item arrays do). */
static int index_rebuild(acar_doc *doc, acar_val *map, size_t n) {
    size_t cap = acar__index_cap(n);
    size_t stride = ACAR_TYPE(map) == ACAR_DICT ? 2 : 1;
    acar_map_index *mi = acar__map_index(map);
    if (mi) {
        void *slots = acar__alloc(doc, acar__index_bytes(cap));
        if (!slots) return -1;
        memset(slots, 0, acar__index_bytes(cap));
        mi->slots = slots;
        mi->cap = cap;
    } else {
        acar_val **old = map->u.items; /* the array keeps its capacity, exact or not */
        if (!acar__map_alloc(doc, map, acar__items_cap(map, n * stride), cap)) return -1;
        memcpy(map->u.items, old, n * stride * sizeof *old);
        mi = acar__map_index(map);
    }
    for (size_t i = 0; i < n; i++) index_insert(mi, acar__hash(map->u.items[i * stride]), i);
    return 0;
}

/* Adds an item (set) or pair (dict) known to be new. */
static int map_append(acar_doc *doc, acar_val *map, acar_val *key, acar_val *value, uint64_t hash) {
    size_t n = ACAR_LEN(map);
    size_t stride = value ? 2 : 1;
    if (n >= doc->limits.max_items || n >= 0xfffffffeu) {
        acar__doc_fail(doc, ACAR_ERR_LIMIT, "container of more than %zu items (max_items)",
                       doc->limits.max_items);
        return -1;
    }
    acar_val **items = grow_items(doc, map, n, stride);
    if (!items) return -1;
    items[n * stride] = key;
    if (value) items[n * stride + 1] = value;
    acar__set_len(map, n + 1);
    acar_map_index *mi = acar__map_index(map);
    if (mi) {
        if ((n + 1) * 2 > mi->cap) return index_rebuild(doc, map, n + 1);
        index_insert(mi, hash, n);
    } else if (n + 1 > ACAR_MAP_SCAN_MAX) {
        return index_rebuild(doc, map, n + 1);
    }
    return 0;
}

int acar_dict_set(acar_doc *doc, acar_val *dict, acar_val *key, acar_val *value) {
    if (!dict || ACAR_TYPE(dict) != ACAR_DICT || !key || !value) {
        acar__doc_fail(doc, ACAR_ERR_ARG, "acar_dict_set needs a dict, a key and a value");
        return -1;
    }
    if (!acar_hashable(key)) {
        acar__doc_fail(doc, ACAR_ERR_TYPE, "unhashable type: '%s'", acar__unhashable_name(key));
        return -1;
    }
    acar__stored(key);
    acar__stored(value);
    /* Small maps have no index and are scanned: no hash needed (an index
     * built later hashes every key itself). */
    bool split = acar__is_split(dict);
    uint64_t h = acar__map_index(dict) || (split && acar__split_keys(dict)->index.cap) ? acar__hash(key) : 0;
    size_t pos;
    if (map_find_pos(dict, key, h, &pos) == 0) {
        acar_pairs p = acar__pairs(dict);
        p.vals[pos * p.stride] = value;
        return 0;
    }
    if (split && unsplit(doc, dict) < 0) return -1;
    return map_append(doc, dict, key, value, h);
}

int acar_set_add(acar_doc *doc, acar_val *set, acar_val *item) {
    if (!set || (ACAR_TYPE(set) != ACAR_SET && ACAR_TYPE(set) != ACAR_FROZENSET) || !item) {
        acar__doc_fail(doc, ACAR_ERR_ARG, "acar_set_add needs a set and an item");
        return -1;
    }
    if (!acar_hashable(item)) {
        acar__doc_fail(doc, ACAR_ERR_TYPE, "unhashable type: '%s'", acar__unhashable_name(item));
        return -1;
    }
    acar__stored(item);
    uint64_t h = acar__map_index(set) ? acar__hash(item) : 0;
    size_t pos;
    if (map_find_pos(set, item, h, &pos) == 0) return 0;
    return map_append(doc, set, item, NULL, h);
}

acar_val *acar_new_frozenset(acar_doc *doc, acar_val *const *items, size_t n) {
    acar_val *v = acar__map(doc, ACAR_FROZENSET);
    for (size_t i = 0; v && i < n; i++)
        if (acar_set_add(doc, v, items[i]) < 0) return NULL;
    return v;
}

acar_val *acar_dict_get(const acar_val *dict, const acar_val *key) {
    if (!dict || ACAR_TYPE(dict) != ACAR_DICT || !key) return NULL;
    if (!acar_hashable(key)) return NULL;
    size_t pos;
    if (map_find_pos(dict, key, acar__hash(key), &pos) < 0) return NULL;
    return acar__dict_val(dict, pos);
}

acar_val *acar_dict_get_str(const acar_val *dict, const char *key, size_t len) {
    acar_val k = {ACAR_TAG(ACAR_STR, 0, len), {.s = key}};
    return acar_dict_get(dict, &k);
}
