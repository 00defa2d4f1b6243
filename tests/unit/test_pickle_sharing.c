/* test_pickle_sharing.c -- writer regressions.  Sharing survives a read, a change through the
 * builder API and a write: nodes the reader saw referenced once (sole) must
 * be memoized again as soon as a builder stores them a second time. */
#include "acar.h"
#include "check.h"

static int write_p(const acar_val *v, unsigned proto, acar_buf *out) {
    acar_write_opts w = {0};
    w.version = ACAR_VERSION(proto);
    acar_err err;
    out->len = 0;
    return acar_write(v, ACAR_FORMAT_PICKLE, &w, out, &err);
}

int main(void) {
    /* pickle.dumps([{'a': 1}], 2) */
    static const char p2[] = "\x80\x02]q\x00}q\x01X\x01\x00\x00\x00" "aq\x02K\x01sa.";
    acar_doc *doc = acar_doc_new(NULL);
    acar_err err;
    acar_read_opts ro = {0};
    acar_val *root = acar_read(doc, p2, sizeof p2 - 1, &ro, &err);
    CHECK(root != NULL);
    CHECK(ro.protocol == 2 && ro.consumed == sizeof p2 - 1);
    acar_buf out = {0};
    CHECK(write_p(root, 2, &out) == 0);
    CHECK(out.len == sizeof p2 - 1 && memcmp(out.data, p2, out.len) == 0);

    /* The dict now sits in the list twice: the second is a memo reference.
     * pickle.dumps([d, d], 2) with d = {'a': 1} */
    static const char p2b[] = "\x80\x02]q\x00(}q\x01X\x01\x00\x00\x00" "aq\x02K\x01sh\x01" "e.";
    CHECK(acar_list_append(doc, root, acar_item(root, 0)) == 0);
    CHECK(write_p(root, 2, &out) == 0);
    CHECK(out.len == sizeof p2b - 1 && memcmp(out.data, p2b, out.len) == 0);

    /* A node read once and put in a new container by a builder. */
    acar_val *d = acar_item(root, 0);
    acar_val *pair[2] = {d, d};
    acar_val *t = acar_new_tuple(doc, pair, 2);
    CHECK(write_p(t, 2, &out) == 0);
    /* pickle.dumps((d, d), 2) */
    static const char p2c[] = "\x80\x02}q\x00X\x01\x00\x00\x00" "aq\x01K\x01sh\x00\x86q\x02.";
    CHECK(out.len == sizeof p2c - 1 && memcmp(out.data, p2c, out.len) == 0);

    /* A global CPython's reader could not read back is refused, not written:
     * below protocol 4 the name ".x" would need an empty GLOBAL line
     * (a fuzz finding). */
    acar_val *g = acar_new_global(doc, "m", 1, ".x", 2);
    acar_write_opts w = {0};
    w.version = ACAR_VERSION(2);
    out.len = 0;
    CHECK(acar_write(g, ACAR_FORMAT_PICKLE, &w, &out, &err) < 0);
    CHECK(err.code == ACAR_ERR_TYPE && strstr(err.msg, "identifier") != NULL);
    CHECK(write_p(g, 4, &out) == 0);

    /* A node shared at every level prints 2^40 times: refused by max_output
     * (default 1 GiB; here 1 MiB), never an endless print (a fuzz finding). */
    acar_val *x = acar_new_int(doc, 7);
    for (int k = 0; k < 40; k++) {
        acar_val *two[2] = {x, x};
        x = acar_new_tuple(doc, two, 2);
    }
    acar_write_opts rw = {0};
    rw.max_output = (size_t)1 << 20;
    out.len = 0;
    CHECK(acar_write(x, ACAR_FORMAT_REPR, &rw, &out, &err) < 0);
    CHECK(err.code == ACAR_ERR_LIMIT && strstr(err.msg, "max_output") != NULL);
    CHECK(out.len <= rw.max_output);
    /* ... with the default, and in every text format that writes shared
     * nodes once per use (the default limit is 1 GiB: 2^40 items pass it) */
    static const acar_format text_formats[] = {ACAR_FORMAT_REPR, ACAR_FORMAT_JSON, ACAR_FORMAT_JSONL,
                                               ACAR_FORMAT_XMLRPC, ACAR_FORMAT_PLIST};
    acar_val *outer = acar_new_tuple(doc, &x, 1);
    for (size_t f = 0; f < sizeof text_formats / sizeof *text_formats; f++) {
        out.len = 0;
        CHECK(acar_write(outer, text_formats[f], &rw, &out, &err) < 0);
        CHECK_MSG(err.code == ACAR_ERR_LIMIT && strstr(err.msg, "max_output") != NULL, "%s: %s",
                  acar_format_name(text_formats[f]), err.msg);
    }
    /* ... and the same in a protocol 0 persistent id, written as str(pid). */
    acar_val *pid = acar_new_persid(doc, x);
    w.version = ACAR_VERSION(0);
    w.max_output = (size_t)1 << 20;
    out.len = 0;
    CHECK(acar_write(pid, ACAR_FORMAT_PICKLE, &w, &out, &err) < 0 && err.code == ACAR_ERR_LIMIT);

    acar_buf_free(&out);
    acar_doc_free(doc);
    return CHECK_DONE();
}
