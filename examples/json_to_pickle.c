/*
 * json_to_pickle.c -- convert a JSON document to a pickle.
 *
 *   $ echo '{"id": 7, "tags": ["a", "b"], "score": 0.5}' > in.json
 *   $ ./json_to_pickle in.json out.pkl
 *   $ python3 -c "import pickle; print(pickle.load(open('out.pkl', 'rb')))"
 *   {'id': 7, 'tags': ['a', 'b'], 'score': 0.5}
 *
 * The JSON is read as Python's json.loads reads it (the same values, the
 * same errors) and the pickle is what pickle.dumps(json.loads(text), 4)
 * writes.  Either file may be "-" for standard input or output; an optional
 * third argument picks the protocol (0 to 5).  Every reader and writer
 * works the same way, so the same program converts between any two
 * formats by changing the two ACAR_FORMAT_ constants.
 *
 * Build: cc json_to_pickle.c $(pkg-config --cflags --libs acar) -o json_to_pickle
 */
#include <acar.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole of a file or of stdin ("-") in a malloc'd buffer, or NULL. */
static char *slurp(const char *name, size_t *len) {
    FILE *f = strcmp(name, "-") == 0 ? stdin : fopen(name, "rb");
    if (!f) return NULL;
    char *data = NULL;
    size_t cap = 0, got;
    *len = 0;
    do {
        if (*len == cap) {
            size_t bigger = cap ? cap * 2 : 65536;
            char *p = realloc(data, bigger);
            if (!p) break;
            data = p;
            cap = bigger;
        }
        got = fread(data + *len, 1, cap - *len, f);
        *len += got;
    } while (got > 0);
    if (ferror(f) || *len == cap) {
        free(data);
        data = NULL;
    }
    if (f != stdin) fclose(f);
    return data;
}

int main(int argc, char **argv) {
    if (argc < 3 || argc > 4) {
        fputs("usage: json_to_pickle IN.json OUT.pkl [PROTOCOL]   (- for stdin/stdout)\n", stderr);
        return 2;
    }
    size_t len;
    char *text = slurp(argv[1], &len);
    if (!text) {
        perror(argv[1]);
        return 2;
    }

    acar_doc *doc = acar_doc_new(NULL);
    acar_read_opts ropts = {0};
    ropts.format = ACAR_FORMAT_JSON;
    acar_write_opts wopts = {0};
    wopts.version = ACAR_VERSION(argc == 4 ? atoi(argv[3]) : 4);
    acar_buf out = {0};
    acar_err err;
    int status = 0;

    acar_val *value = doc ? acar_read(doc, text, len, &ropts, &err) : NULL;
    if (!doc) {
        fputs("json_to_pickle: out of memory\n", stderr);
        status = 2;
    } else if (!value) {
        /* Text formats also say where: line and column, 1-based. */
        fprintf(stderr, "json_to_pickle: %s: line %zu, column %zu: %s\n", argv[1], err.line,
                err.column, err.msg);
        status = 1;
    } else if (acar_write(value, ACAR_FORMAT_PICKLE, &wopts, &out, &err) < 0) {
        fprintf(stderr, "json_to_pickle: %s\n", err.msg);
        status = 1;
    } else {
        FILE *f = strcmp(argv[2], "-") == 0 ? stdout : fopen(argv[2], "wb");
        int written = f && fwrite(out.data, 1, out.len, f) == out.len;
        if (f && (f == stdout ? fflush(f) : fclose(f)) != 0) written = 0;
        if (!written) {
            perror(argv[2]);
            status = 2;
        }
    }
    acar_buf_free(&out);
    acar_doc_free(doc);
    free(text);
    return status;
}
