/*
 * write_pickle.c -- build a value in C and write it as a pickle Python loads.
 *
 *   $ ./write_pickle out.pkl
 *   $ python3 -c "import pickle; print(pickle.load(open('out.pkl', 'rb')))"
 *   {'name': 'acar', 'version': (0, 1, 0), 'tags': ['fast', 'safe'], 'ratio': 0.5,
 *    'big': 1267650600228229401496703205376, 'blob': b'\x00\xff', 'nothing': None, 'ok': True}
 *
 * The bytes are the ones pickle.dumps(that_dict, 4) writes in CPython.  An
 * optional second argument picks the protocol (0 to 5).
 *
 * Builder calls record their first error on the document and a builder
 * given a failed node fails in turn, so a run of them is checked once, at
 * the end, with acar_doc_error.
 *
 * Build: cc write_pickle.c $(pkg-config --cflags --libs acar) -o write_pickle
 */
#include <acar.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A str node from a C string. */
static acar_val *str(acar_doc *doc, const char *s) {
    return acar_new_str(doc, s, strlen(s));
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fputs("usage: write_pickle OUT.pkl [PROTOCOL]\n", stderr);
        return 2;
    }
    int protocol = argc == 3 ? atoi(argv[2]) : 4;

    acar_doc *doc = acar_doc_new(NULL);
    if (!doc) return 2;

    acar_val *version_items[3] = {acar_new_int(doc, 0), acar_new_int(doc, 1), acar_new_int(doc, 0)};
    acar_val *tags = acar_new_list(doc);
    acar_list_append(doc, tags, str(doc, "fast"));
    acar_list_append(doc, tags, str(doc, "safe"));

    /* Dicts keep insertion order, as Python's do. */
    acar_val *d = acar_new_dict(doc);
    acar_dict_set(doc, d, str(doc, "name"), str(doc, "acar"));
    acar_dict_set(doc, d, str(doc, "version"), acar_new_tuple(doc, version_items, 3));
    acar_dict_set(doc, d, str(doc, "tags"), tags);
    acar_dict_set(doc, d, str(doc, "ratio"), acar_new_float(doc, 0.5));
    /* Ints of any size: from decimal text, or from 32-bit limbs. */
    acar_dict_set(doc, d, str(doc, "big"), acar_new_int_dec(doc, "1267650600228229401496703205376", 31));
    acar_dict_set(doc, d, str(doc, "blob"), acar_new_bytes(doc, "\x00\xff", 2));
    acar_dict_set(doc, d, str(doc, "nothing"), acar_new_none(doc));
    acar_dict_set(doc, d, str(doc, "ok"), acar_new_bool(doc, 1));

    int status = 0;
    const acar_err *build_err = acar_doc_error(doc);
    acar_buf out = {0}; /* a growable buffer: zero it, free it with acar_buf_free */
    acar_err err;
    /* Versions are written ACAR_VERSION(n): a zeroed struct means protocol 4. */
    acar_write_opts opts = {0};
    opts.version = ACAR_VERSION(protocol);
    if (build_err) {
        fprintf(stderr, "write_pickle: building the value: %s\n", build_err->msg);
        status = 1;
    } else if (acar_write(d, ACAR_FORMAT_PICKLE, &opts, &out, &err) < 0) {
        fprintf(stderr, "write_pickle: %s\n", err.msg);
        status = 1;
    } else {
        FILE *f = fopen(argv[1], "wb");
        int written = f && fwrite(out.data, 1, out.len, f) == out.len;
        if (f && fclose(f) != 0) written = 0;
        if (!written) {
            perror(argv[1]);
            status = 2;
        }
    }
    acar_buf_free(&out);
    acar_doc_free(doc);
    return status;
}
