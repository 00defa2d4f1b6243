/*
 * consumer.c -- a program built against an installed acar (C11, -Wpedantic).
 *
 * Builds {'answer': 42, 'names': ['a', 'b']}, writes it as pickle protocol 2,
 * reads it back, and checks that the header and the library linked in are
 * the same version.  Prints "ok VERSION" and exits 0 when all holds.
 */
#include <acar.h>

#include <stdio.h>
#include <string.h>

/* pickle.dumps({'answer': 42, 'names': ['a', 'b']}, 2) from CPython. */
static const char expected[] =
    "\x80\x02" "}q\x00" "(X\x06\x00\x00\x00" "answerq\x01" "K*X\x05\x00\x00\x00" "namesq\x02"
    "]q\x03" "(X\x01\x00\x00\x00" "aq\x04" "X\x01\x00\x00\x00" "bq\x05" "eu.";

int main(void) {
    acar_doc *doc = acar_doc_new(NULL);
    acar_val *d = acar_new_dict(doc);
    acar_val *names = acar_new_list(doc);
    acar_err err;
    acar_buf out = {0};
    acar_write_opts w;
    int ok = 1;

    acar_dict_set(doc, d, acar_new_str(doc, "answer", 6), acar_new_int(doc, 42));
    acar_list_append(doc, names, acar_new_str(doc, "a", 1));
    acar_list_append(doc, names, acar_new_str(doc, "b", 1));
    acar_dict_set(doc, d, acar_new_str(doc, "names", 5), names);
    if (acar_doc_error(doc)) {
        fprintf(stderr, "building: %s\n", acar_doc_error(doc)->msg);
        ok = 0;
    }

    memset(&w, 0, sizeof w);
    w.version = ACAR_VERSION(2);
    if (acar_write(d, ACAR_FORMAT_PICKLE, &w, &out, &err) < 0) {
        fprintf(stderr, "writing: %s\n", err.msg);
        ok = 0;
    } else if (out.len != sizeof expected - 1 || memcmp(out.data, expected, out.len) != 0) {
        fprintf(stderr, "the pickle differs from CPython's\n");
        ok = 0;
    } else {
        acar_doc *doc2 = acar_doc_new(NULL);
        acar_val *v = acar_read(doc2, out.data, out.len, NULL, &err);
        int64_t i = 0;
        if (!v || !acar_equal(v, d) || !acar_int_get(acar_dict_get_str(v, "answer", 6), &i) || i != 42) {
            fprintf(stderr, "reading back failed\n");
            ok = 0;
        }
        acar_doc_free(doc2);
    }
    acar_buf_free(&out);
    acar_doc_free(doc);

    if (strcmp(acar_version(), ACAR_VERSION_STRING) != 0) {
        fprintf(stderr, "header %s, library %s\n", ACAR_VERSION_STRING, acar_version());
        ok = 0;
    }
    if (ok) printf("ok %s\n", acar_version());
    return ok ? 0 : 1;
}
