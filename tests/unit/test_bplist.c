/*
 * test_bplist.c -- the binary plist reader and writer: error codes and
 * offsets pinned for each way a file can be bad, sharing and cycles, UIDs,
 * limits, and a few writes checked against bytes plistlib.dumps made (the
 * Python expression is given above each; tests/py/test_bplist.py covers
 * thousands more against plistlib itself).
 */
#include "acar.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>

/* A file around the given objects: header, objects, 1-byte offsets, trailer
 * (osize 1, rsize 1, top 0 unless changed by the caller). */
typedef struct file {
    unsigned char b[512];
    size_t len;
} file;

static void build(file *f, const char *const *objs, const size_t *lens, size_t n) {
    size_t offs[32];
    memcpy(f->b, "bplist00", 8);
    f->len = 8;
    for (size_t i = 0; i < n; i++) {
        offs[i] = f->len;
        memcpy(f->b + f->len, objs[i], lens[i]);
        f->len += lens[i];
    }
    size_t table = f->len;
    for (size_t i = 0; i < n; i++) f->b[f->len++] = (unsigned char)offs[i];
    memset(f->b + f->len, 0, 32);
    f->b[f->len + 6] = 1;
    f->b[f->len + 7] = 1;
    f->b[f->len + 15] = (unsigned char)n;
    f->b[f->len + 31] = (unsigned char)table;
    f->len += 32;
}

/* A file of one object. */
static void one(file *f, const char *obj, size_t len) { build(f, &obj, &len, 1); }

static acar_val *rd(acar_doc *doc, const void *data, size_t len, acar_err *err) {
    acar_read_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.format = ACAR_FORMAT_BPLIST;
    return acar_read(doc, data, len, &ro, err);
}

/* Reads and expects failure with code at offset. */
static void expect_err(const void *data, size_t len, acar_code code, size_t offset, int line) {
    acar_doc *doc = acar_doc_new(NULL);
    acar_err err;
    acar_val *v = rd(doc, data, len, &err);
    CHECK_MSG(v == NULL && err.code == code && err.offset == offset,
              "line %d: got %s code %d offset %zu (%s), want code %d offset %zu", line,
              v ? "a value" : "an error", (int)err.code, err.offset, err.msg, (int)code, offset);
    acar_doc_free(doc);
}
#define EXPECT_ERR(f, code, off) expect_err((f).b, (f).len, (code), (off), __LINE__)

/* Reads and expects repr. */
static void expect_repr(const void *data, size_t len, const char *want, int line) {
    acar_doc *doc = acar_doc_new(NULL);
    acar_err err;
    acar_val *v = rd(doc, data, len, &err);
    acar_buf out = {0};
    int ok = v && acar_repr(v, &out, &err) == 0 && out.len == strlen(want) &&
             memcmp(out.data, want, out.len) == 0;
    CHECK_MSG(ok, "line %d: want %s, got %.*s (%s)", line, want, (int)out.len, out.data ? out.data : "",
              v ? "" : err.msg);
    acar_buf_free(&out);
    acar_doc_free(doc);
}
#define EXPECT_REPR(f, want) expect_repr((f).b, (f).len, (want), __LINE__)

static int write_bp(const acar_val *v, int nosort, acar_buf *out, acar_err *err) {
    acar_write_opts wo;
    memset(&wo, 0, sizeof wo);
    if (nosort) wo.flags = ACAR_WRITE_NO_SORT_KEYS;
    return acar_write(v, ACAR_FORMAT_BPLIST, &wo, out, err);
}

static void test_trailer_errors(void) {
    file f;
    one(&f, "\x10\x05", 2);
    EXPECT_REPR(f, "5");
    /* Shorter than a trailer. */
    expect_err(f.b, 31, ACAR_ERR_TRUNCATED, 0, __LINE__);
    expect_err("", 0, ACAR_ERR_TRUNCATED, 0, __LINE__);
    /* Offset size 0. */
    f.b[f.len - 26] = 0;
    EXPECT_ERR(f, ACAR_ERR_MALFORMED, f.len - 26);
    /* The offset table past the end; one more object than it holds. */
    one(&f, "\x10\x05", 2);
    f.b[f.len - 1] = 0xff;
    EXPECT_ERR(f, ACAR_ERR_MALFORMED, f.len - 8);
    one(&f, "\x10\x05", 2);
    f.b[f.len - 17] = 200;
    EXPECT_ERR(f, ACAR_ERR_MALFORMED, f.len - 8);
    /* No objects; the top object out of range. */
    one(&f, "\x10\x05", 2);
    f.b[f.len - 17] = 0;
    EXPECT_ERR(f, ACAR_ERR_MALFORMED, f.len - 16);
    one(&f, "\x10\x05", 2);
    f.b[f.len - 9] = 1;
    EXPECT_ERR(f, ACAR_ERR_MALFORMED, f.len - 16);
    /* An object's offset past the end: the error is at its table entry. */
    one(&f, "\x10\x05", 2);
    f.b[10] = 0xfe;
    EXPECT_ERR(f, ACAR_ERR_MALFORMED, 10);
    /* The header is not checked (plistlib given FMT_BINARY does not). */
    one(&f, "\x10\x05", 2);
    memcpy(f.b, "XXXXXXXX", 8);
    EXPECT_REPR(f, "5");
}

static void test_object_errors(void) {
    file f;
    one(&f, "\x0c", 1);
    EXPECT_ERR(f, ACAR_ERR_MALFORMED, 8);
    one(&f, "\x21\x00\x00", 3);
    EXPECT_ERR(f, ACAR_ERR_MALFORMED, 8);
    one(&f, "\x70", 1);
    EXPECT_ERR(f, ACAR_ERR_MALFORMED, 8);
    one(&f, "\xc0", 1);
    EXPECT_ERR(f, ACAR_ERR_MALFORMED, 8);
    /* A float64 at the last byte of the file: data of 24 bytes puts the
     * offset table at 35 (0x23), the trailer's last byte. */
    {
        char obj[27] = "\x4f\x10\x18";
        memset(obj + 3, 'x', 24);
        one(&f, obj, sizeof obj);
        f.b[35] = (unsigned char)(f.len - 1);
        EXPECT_ERR(f, ACAR_ERR_TRUNCATED, f.len - 1);
    }
    /* Data longer than the file. */
    one(&f, "\x4f\x10\xf0", 3);
    EXPECT_ERR(f, ACAR_ERR_TRUNCATED, 8);
    /* Non-ASCII byte in an ASCII string; lone surrogates in UTF-16. */
    one(&f, "\x52\x41\x80", 3);
    EXPECT_ERR(f, ACAR_ERR_MALFORMED, 8);
    one(&f, "\x61\xdc\x00", 3);
    EXPECT_ERR(f, ACAR_ERR_MALFORMED, 8);
    one(&f, "\x62\xd8\x00\x00\x41", 5);
    EXPECT_ERR(f, ACAR_ERR_MALFORMED, 8);
    /* Dates plistlib's timedelta refuses. */
    one(&f, "\x33\x7f\xf8\x00\x00\x00\x00\x00\x00", 9);  /* NaN */
    EXPECT_ERR(f, ACAR_ERR_MALFORMED, 8);
    one(&f, "\x33\xc2\x2d\x63\xc3\x80\x00\x00\x00", 9);  /* before year 1 */
    EXPECT_ERR(f, ACAR_ERR_MALFORMED, 8);
    /* UID of 2**64. */
    one(&f, "\x88\x01\x00\x00\x00\x00\x00\x00\x00\x00", 10);
    EXPECT_ERR(f, ACAR_ERR_MALFORMED, 8);
    /* A ref out of range: the error is at the ref. */
    one(&f, "\xa2\x00\x07", 3);
    EXPECT_ERR(f, ACAR_ERR_MALFORMED, 10);
    /* Refs that do not fit the file. */
    one(&f, "\xaf\x10\xff", 3);
    EXPECT_ERR(f, ACAR_ERR_TRUNCATED, 8);
    /* A container with a ref size of 0. */
    one(&f, "\xa0", 1);
    f.b[f.len - 25] = 0;
    EXPECT_ERR(f, ACAR_ERR_MALFORMED, 8);
    /* A list as a dict key, and a dict as its own key. */
    {
        const char *objs[] = {"\xd1\x01\x02", "\xa0", "\x51\x61"};
        size_t lens[] = {3, 1, 2};
        build(&f, objs, lens, 3);
        EXPECT_ERR(f, ACAR_ERR_MALFORMED, 9);
        const char *objs2[] = {"\xd1\x00\x01", "\x51\x61"};
        size_t lens2[] = {3, 2};
        build(&f, objs2, lens2, 2);
        EXPECT_ERR(f, ACAR_ERR_MALFORMED, 9);
    }
}

static void test_lax_reads(void) {
    file f;
    /* Ints: unsigned below 8 bytes, signed from 8; cut short by the end of
     * the data they are what bytes there are (the offset table here). */
    one(&f, "\x12\xff\xff\xff\xff", 5);
    EXPECT_REPR(f, "4294967295");
    one(&f, "\x13\xff\xff\xff\xff\xff\xff\xff\xfe", 9);
    EXPECT_REPR(f, "-2");
    one(&f, "\x14\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00", 17);
    EXPECT_REPR(f, "18446744073709551616");
    one(&f, "\x14\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xfe", 17);
    EXPECT_REPR(f, "-2");
    /* An 8-byte int cut short: it takes the offset table and trailer bytes
     * that follow (01 08 00 00 00 00 00 00). */
    one(&f, "\x13\x01", 2);
    EXPECT_REPR(f, "74309393851613184");
    /* Extended sizes take the low two bits of the size byte. */
    one(&f, "\x4f\x14\x03\x61\x62\x63", 6);
    EXPECT_REPR(f, "b'abc'");
    one(&f, "\x0f", 1);
    EXPECT_REPR(f, "b''");
    one(&f, "\x00", 1);
    EXPECT_REPR(f, "None");
    one(&f, "\x22\x3f\xc0\x00\x00", 5);
    EXPECT_REPR(f, "1.5");
    one(&f, "\x62\xd8\x3d\xde\x00", 5);
    EXPECT_REPR(f, "'\xf0\x9f\x98\x80'");
    one(&f, "\x80\x05", 2);
    EXPECT_REPR(f, "plistlib.UID(5)");
    one(&f, "\x33\x00\x00\x00\x00\x00\x00\x00\x00", 9);
    EXPECT_REPR(f, "datetime.datetime(2001, 1, 1, 0, 0)");
    /* 0.5 microseconds: half to even, down to 0; 1.5 up to 2. */
    one(&f, "\x33\x3e\xa0\xc6\xf7\xa0\xb5\xed\x8d", 9);
    EXPECT_REPR(f, "datetime.datetime(2001, 1, 1, 0, 0)");
    one(&f, "\x33\x3e\xb9\x2a\x73\x71\x10\xe4\x54", 9);
    EXPECT_REPR(f, "datetime.datetime(2001, 1, 1, 0, 0, 0, 2)");
    /* Equal keys merge as in a Python dict: 1 == 1.0 == True. */
    {
        const char *objs[] = {"\xd3\x01\x02\x03\x04\x05\x06", "\x10\x01",
                              "\x23\x3f\xf0\x00\x00\x00\x00\x00\x00", "\x09", "\x51\x61", "\x51\x62", "\x51\x63"};
        size_t lens[] = {7, 2, 9, 1, 2, 2, 2};
        build(&f, objs, lens, 7);
        EXPECT_REPR(f, "{1: 'c'}");
        /* Equal UIDs too, though acar's objects are equal only to themselves. */
        const char *objs2[] = {"\xd2\x01\x02\x03\x03", "\x80\x05", "\x80\x05", "\x51\x61"};
        size_t lens2[] = {5, 2, 2, 2};
        build(&f, objs2, lens2, 4);
        EXPECT_REPR(f, "{plistlib.UID(5): 'a'}");
    }
}

static void test_sharing(void) {
    file f;
    /* [x, x] with x a list: one node; a list that contains itself. */
    const char *objs[] = {"\xa2\x01\x01", "\xa1\x02", "\x10\x07"};
    size_t lens[] = {3, 2, 2};
    build(&f, objs, lens, 3);
    acar_doc *doc = acar_doc_new(NULL);
    acar_err err;
    acar_val *v = rd(doc, f.b, f.len, &err);
    CHECK(v && acar_len(v) == 2 && acar_item(v, 0) == acar_item(v, 1));
    acar_buf out = {0};
    /* plistlib.dumps([x, x]) == b'bplist00\xa2\x01\x01\xa1\x02\x10\x07\x08\x0b\x0d' + trailer */
    CHECK(v && write_bp(v, 0, &out, &err) == 0 && out.len == f.len && memcmp(out.data, f.b, f.len) == 0);
    acar_buf_free(&out);
    one(&f, "\xa1\x00", 2);
    v = rd(doc, f.b, f.len, &err);
    CHECK(v && acar_item(v, 0) == v);
    CHECK(v && write_bp(v, 0, &out, &err) == 0 && out.len == f.len && memcmp(out.data, f.b, f.len) == 0);
    acar_buf_free(&out);
    EXPECT_REPR(f, "[[...]]");
    acar_doc_free(doc);
}

/* Dicts read with their str keys in place find every key through acar's
 * own lookup (the index the reader builds is the one value.c keeps). */
static void test_dict_index(void) {
    const char *objs[15];
    size_t lens[15];
    char keys[12][3];
    char dict[1 + 24];
    dict[0] = (char)0xdc;
    for (int i = 0; i < 12; i++) {
        dict[1 + i] = (char)(i + 1);
        dict[13 + i] = 13;
        keys[i][0] = 0x52;
        keys[i][1] = 'k';
        keys[i][2] = (char)('a' + i);
        objs[1 + i] = keys[i];
        lens[1 + i] = 3;
    }
    objs[0] = dict;
    lens[0] = sizeof dict;
    objs[13] = "\x10\x05";
    lens[13] = 2;
    file f;
    build(&f, objs, lens, 14);
    acar_doc *doc = acar_doc_new(NULL);
    acar_err err;
    acar_val *v = rd(doc, f.b, f.len, &err);
    CHECK(v && acar_len(v) == 12);
    for (int i = 0; v && i < 12; i++) {
        char k[2] = {'k', (char)('a' + i)};
        acar_val *x = acar_dict_get_str(v, k, 2);
        int64_t n = 0;
        CHECK(x && acar_int_get(x, &n) && n == 5);
    }
    CHECK(v && acar_dict_get_str(v, "kz", 2) == NULL);
    CHECK(v && acar_dict_set(doc, v, acar_new_str(doc, "kz", 2), acar_new_none(doc)) == 0 && acar_len(v) == 13);
    CHECK(v && acar_dict_set(doc, v, acar_new_str(doc, "kc", 2), acar_new_none(doc)) == 0 && acar_len(v) == 13);
    acar_doc_free(doc);
}

static void test_limits(void) {
    /* 40 nested lists read with max_depth 10. */
    static unsigned char b[8 + 40 * 2 + 1 + 41 + 32];
    size_t n = 0;
    memcpy(b, "bplist00", 8);
    n = 8;
    for (int i = 0; i < 40; i++) {
        b[n++] = 0xa1;
        b[n++] = (unsigned char)(i + 1);
    }
    b[n++] = 0x10;
    size_t table = n;
    for (int i = 0; i <= 40; i++) b[n++] = (unsigned char)(8 + 2 * i);
    memset(b + n, 0, 32);
    b[n + 6] = 1;
    b[n + 7] = 1;
    b[n + 15] = 41;
    b[n + 31] = (unsigned char)table;
    n += 32;
    acar_doc_opts o;
    memset(&o, 0, sizeof o);
    o.limits.max_depth = 10;
    acar_doc *doc = acar_doc_new(&o);
    acar_err err;
    CHECK(rd(doc, b, n, &err) == NULL && err.code == ACAR_ERR_LIMIT && err.offset == 8 + 2 * 10);
    acar_doc_free(doc);
    doc = acar_doc_new(NULL);
    CHECK(rd(doc, b, n, &err) != NULL);
    acar_doc_free(doc);

    /* Overlapping objects: a list of 2000 ints whose tokens (0x1F, 2^15
     * bytes) are 2000 bytes in a row, each reading to the end of the file:
     * 8 MB of ints from 12 KB, refused under a 1 MB max_memory. */
    enum { N = 2000 };
    size_t cap = 8 + 4 + 2 * N + N + 2 * (N + 1) + 32;
    unsigned char *f = malloc(cap);
    if (!f) {
        CHECK(f != NULL);
        return;
    }
    size_t k = 0;
    memcpy(f, "bplist00", 8);
    k = 8;
    f[k++] = 0xaf;
    f[k++] = 0x11;
    f[k++] = N >> 8;
    f[k++] = N & 0xff;
    for (int i = 1; i <= N; i++) {
        f[k++] = (unsigned char)(i >> 8);
        f[k++] = (unsigned char)i;
    }
    size_t ints = k;
    memset(f + k, 0x1f, N);
    k += N;
    size_t tab = k;
    f[k++] = 0;
    f[k++] = 8;
    for (int i = 0; i < N; i++) {
        f[k++] = (unsigned char)((ints + (size_t)i) >> 8);
        f[k++] = (unsigned char)(ints + (size_t)i);
    }
    memset(f + k, 0, 32);
    f[k + 6] = 2;
    f[k + 7] = 2;
    f[k + 14] = (N + 1) >> 8;
    f[k + 15] = (N + 1) & 0xff;
    f[k + 30] = (unsigned char)(tab >> 8);
    f[k + 31] = (unsigned char)tab;
    k += 32;
    o.limits.max_depth = 0;
    o.limits.max_memory = (size_t)1 << 20;
    doc = acar_doc_new(&o);
    CHECK(rd(doc, f, k, &err) == NULL && err.code == ACAR_ERR_LIMIT);
    acar_doc_free(doc);
    doc = acar_doc_new(NULL);
    acar_val *v = rd(doc, f, k, &err);
    CHECK(v && acar_len(v) == N);
    acar_doc_free(doc);
    free(f);
}

static int same(const acar_buf *b, const char *want, size_t len) {
    return b->len == len && memcmp(b->data, want, len) == 0;
}

static void test_write(void) {
    acar_doc *doc = acar_doc_new(NULL);
    acar_err err;
    acar_buf out = {0};
    /* plistlib.dumps({"b": [1, 2**63, -1, 1.5, True, None], "a": "\u00e9\U0001f600"}, fmt=FMT_BINARY) */
    static const char sorted_bytes[] =
        "\x62\x70\x6c\x69\x73\x74\x30\x30\xd2\x01\x02\x03\x04\x51\x61\x51\x62\x63\x00\xe9\xd8\x3d\xde\x00\xa6\x05"
        "\x06\x07\x08\x09\x0a\x10\x01\x14\x00\x00\x00\x00\x00\x00\x00\x00\x80\x00\x00\x00\x00\x00\x00\x00\x13\xff"
        "\xff\xff\xff\xff\xff\xff\xff\x23\x3f\xf8\x00\x00\x00\x00\x00\x00\x09\x00\x08\x0d\x0f\x11\x18\x1f\x21\x32"
        "\x3b\x44\x45\x00\x00\x00\x00\x00\x00\x01\x01\x00\x00\x00\x00\x00\x00\x00\x0b\x00\x00\x00\x00\x00\x00\x00"
        "\x00\x00\x00\x00\x00\x00\x00\x00\x46";
    /* the same with sort_keys=False */
    static const char unsorted_bytes[] =
        "\x62\x70\x6c\x69\x73\x74\x30\x30\xd2\x01\x02\x03\x0a\x51\x62\x51\x61\xa6\x04\x05\x06\x07\x08\x09\x10\x01"
        "\x14\x00\x00\x00\x00\x00\x00\x00\x00\x80\x00\x00\x00\x00\x00\x00\x00\x13\xff\xff\xff\xff\xff\xff\xff\xff"
        "\x23\x3f\xf8\x00\x00\x00\x00\x00\x00\x09\x00\x63\x00\xe9\xd8\x3d\xde\x00\x08\x0d\x0f\x11\x18\x1a\x2b\x34"
        "\x3d\x3e\x3f\x00\x00\x00\x00\x00\x00\x01\x01\x00\x00\x00\x00\x00\x00\x00\x0b\x00\x00\x00\x00\x00\x00\x00"
        "\x00\x00\x00\x00\x00\x00\x00\x00\x46";
    acar_val *d = acar_new_dict(doc), *l = acar_new_list(doc);
    uint32_t big[2] = {0, 0x80000000u};
    acar_list_append(doc, l, acar_new_int(doc, 1));
    acar_list_append(doc, l, acar_new_bigint(doc, 0, big, 2));
    acar_list_append(doc, l, acar_new_int(doc, -1));
    acar_list_append(doc, l, acar_new_float(doc, 1.5));
    acar_list_append(doc, l, acar_new_bool(doc, 1));
    acar_list_append(doc, l, acar_new_none(doc));
    acar_dict_set(doc, d, acar_new_str(doc, "b", 1), l);
    acar_dict_set(doc, d, acar_new_str(doc, "a", 1), acar_new_str(doc, "\xc3\xa9\xf0\x9f\x98\x80", 6));
    CHECK(acar_doc_error(doc) == NULL);
    CHECK(write_bp(d, 0, &out, &err) == 0 && same(&out, sorted_bytes, sizeof sorted_bytes - 1));
    acar_buf_free(&out);
    CHECK(write_bp(d, 1, &out, &err) == 0 && same(&out, unsorted_bytes, sizeof unsorted_bytes - 1));
    acar_buf_free(&out);

    /* plistlib.dumps(datetime.datetime(1, 1, 1), fmt=FMT_BINARY) */
    static const char dt_bytes[] =
        "\x62\x70\x6c\x69\x73\x74\x30\x30\x33\xc2\x2d\x63\xc3\x7f\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x01\x01"
        "\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x11";
    acar_datetime dt = {1, 1, 1, 0, 0, 0, 0, 0};
    CHECK(write_bp(acar_new_datetime(doc, &dt), 0, &out, &err) == 0 && same(&out, dt_bytes, sizeof dt_bytes - 1));
    acar_buf_free(&out);

    /* plistlib.dumps([plistlib.UID(70000), b"xy"], fmt=FMT_BINARY) */
    static const char uid_bytes[] =
        "\x62\x70\x6c\x69\x73\x74\x30\x30\xa2\x01\x02\x83\x00\x01\x11\x70\x42\x78\x79\x08\x0b\x10\x00\x00\x00\x00"
        "\x00\x00\x01\x01\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
        "\x00\x13";
    acar_val *n = acar_new_int(doc, 70000);
    acar_val *uid = acar_new_object(doc, ACAR_BUILD_REDUCE, acar_new_global(doc, "plistlib", 8, "UID", 3),
                                    acar_new_tuple(doc, &n, 1), NULL);
    l = acar_new_list(doc);
    acar_list_append(doc, l, uid);
    acar_list_append(doc, l, acar_new_bytes(doc, "xy", 2));
    CHECK(write_bp(l, 0, &out, &err) == 0 && same(&out, uid_bytes, sizeof uid_bytes - 1));
    acar_buf_free(&out);
    acar_doc_free(doc);
}

static void expect_write_err(acar_val *v, const char *path, int line) {
    acar_buf out = {0};
    acar_err err;
    int rc = write_bp(v, 0, &out, &err);
    CHECK_MSG(rc < 0 && err.code == ACAR_ERR_TYPE && strstr(err.msg, path) != NULL,
              "line %d: rc %d code %d msg %s (want path %s)", line, rc, (int)err.code, err.msg, path);
    acar_buf_free(&out);
}

static void test_write_errors(void) {
    acar_doc *doc = acar_doc_new(NULL);
    acar_val *l = acar_new_list(doc), *d = acar_new_dict(doc);
    acar_list_append(doc, l, acar_new_int(doc, 1));
    acar_list_append(doc, l, d);
    acar_dict_set(doc, d, acar_new_str(doc, "k", 1), acar_new_set(doc));
    expect_write_err(l, "value[1]['k']", __LINE__);
    expect_write_err(acar_new_complex(doc, 1, 2), "value", __LINE__);
    uint32_t big[3] = {0, 0, 1};
    expect_write_err(acar_new_bigint(doc, 0, big, 3), "value", __LINE__);   /* 2**64 */
    uint32_t neg[2] = {1, 0x80000000u};
    expect_write_err(acar_new_bigint(doc, 1, neg, 2), "value", __LINE__);   /* -2**63 - 1 */
    d = acar_new_dict(doc);
    acar_dict_set(doc, d, acar_new_int(doc, 1), acar_new_int(doc, 2));
    expect_write_err(d, "keys must be strings", __LINE__);
    expect_write_err(acar_new_str(doc, "\xed\xa0\x80", 3), "surrogate", __LINE__);
    acar_val *m = acar_new_int(doc, -1);
    acar_val *uid = acar_new_object(doc, ACAR_BUILD_REDUCE, acar_new_global(doc, "plistlib", 8, "UID", 3),
                                    acar_new_tuple(doc, &m, 1), NULL);
    expect_write_err(uid, "UID", __LINE__);
    acar_val *obj = acar_new_object(doc, ACAR_BUILD_REDUCE, acar_new_global(doc, "m", 1, "C", 1), NULL, NULL);
    expect_write_err(obj, "value", __LINE__);
    /* None is fine: plistlib writes it as 0x00. */
    acar_buf out = {0};
    acar_err err;
    CHECK(write_bp(acar_new_none(doc), 0, &out, &err) == 0 && out.len == 8 + 1 + 1 + 32 &&
          (unsigned char)out.data[8] == 0);
    acar_buf_free(&out);
    acar_doc_free(doc);
}

int main(void) {
    test_trailer_errors();
    test_object_errors();
    test_lax_reads();
    test_sharing();
    test_dict_index();
    test_limits();
    test_write();
    test_write_errors();
    return CHECK_DONE();
}
