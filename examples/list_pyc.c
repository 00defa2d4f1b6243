/*
 * list_pyc.c -- read a .pyc file and list the code objects in it.
 *
 *   $ printf 'def f(x):\n    return [i * x for i in range(3)]\n' > m.py
 *   $ python3 -m py_compile m.py
 *   $ ./list_pyc __pycache__/m.cpython-311.pyc
 *   Python 3.11, timestamp pyc: source mtime 1700000000, size 47
 *   <module> (line 1, 0 args)
 *     f (line 1, 1 args)
 *       f.<locals>.<listcomp> (line 2, 1 args)
 *
 * Every Python from 2.7 to 3.13 writes its own layout of code objects;
 * acar reads each one into a code node holding that version's fields, and
 * acar_code_get asks for a field by name (NULL when the version has none,
 * as co_qualname before 3.11).  Nested functions and classes are code
 * objects among co_consts; the walk keeps its own stack, as input depth is
 * the input's to choose.  No code is run.
 *
 * Build: cc list_pyc.c $(pkg-config --cflags --libs acar) -o list_pyc
 */
#include <acar.h>

#include <stdio.h>
#include <stdlib.h>

/* The whole file in a malloc'd buffer, or NULL. */
static unsigned char *read_file(const char *name, size_t *len) {
    FILE *f = fopen(name, "rb");
    if (!f) return NULL;
    unsigned char *data = NULL;
    size_t cap = 0, got;
    *len = 0;
    do {
        if (*len == cap) {
            size_t bigger = cap ? cap * 2 : 65536;
            unsigned char *p = realloc(data, bigger);
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
    fclose(f);
    return data;
}

/* One line: indent, qualified name (plain name before 3.11), line, args. */
static void print_code(const acar_val *code, size_t depth) {
    const acar_val *name = acar_code_get(code, ACAR_CO_QUALNAME);
    if (!name) name = acar_code_get(code, ACAR_CO_NAME);
    size_t n = 0;
    const char *s = acar_str(name, &n); /* str, or bytes in Python 2.7 */
    int64_t line = 0, args = 0;
    acar_int_get(acar_code_get(code, ACAR_CO_FIRSTLINENO), &line);
    acar_int_get(acar_code_get(code, ACAR_CO_ARGCOUNT), &args);
    printf("%*s%.*s (line %lld, %lld args)\n", (int)(2 * depth), "", (int)n, s ? s : "?",
           (long long)line, (long long)args);
}

typedef struct frame {
    const acar_val *consts; /* the tuple being searched for code objects */
    size_t next;
} frame;

static int walk(const acar_val *root) {
    size_t depth = 0, cap = 16;
    frame *stack = malloc(cap * sizeof *stack);
    if (!stack) return -1;
    print_code(root, 0);
    stack[depth++] = (frame){acar_code_get(root, ACAR_CO_CONSTS), 0};
    while (depth > 0) {
        frame *f = &stack[depth - 1];
        if (f->next >= acar_len(f->consts)) {
            depth--;
            continue;
        }
        const acar_val *c = acar_item(f->consts, f->next++);
        if (acar_typeof(c) != ACAR_CODE) continue;
        print_code(c, depth);
        if (depth == cap) {
            frame *bigger = realloc(stack, (cap *= 2) * sizeof *stack);
            if (!bigger) {
                free(stack);
                return -1;
            }
            stack = bigger;
        }
        stack[depth++] = (frame){acar_code_get(c, ACAR_CO_CONSTS), 0};
    }
    free(stack);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fputs("usage: list_pyc FILE.pyc\n", stderr);
        return 2;
    }
    size_t len;
    unsigned char *data = read_file(argv[1], &len);
    if (!data) {
        perror(argv[1]);
        return 2;
    }
    acar_doc *doc = acar_doc_new(NULL);
    acar_read_opts opts = {0};
    opts.format = ACAR_FORMAT_PYC;
    acar_err err;
    acar_val *code = doc ? acar_read(doc, data, len, &opts, &err) : NULL;
    acar_pyc_header h;
    int status = 0;
    if (!code) {
        fprintf(stderr, "list_pyc: %s: offset %zu: %s\n", argv[1], doc ? err.offset : 0,
                doc ? err.msg : "out of memory");
        status = 1;
    } else {
        /* The header it was read with: which Python, and how it is tied to its source. */
        if (acar_pyc_header_of(code, &h) == 0) {
            printf("Python %u.%u, ", h.pyver >> 8, h.pyver & 0xff);
            if (h.flags & ACAR_PYC_HASH_BASED)
                printf("hash-based pyc%s\n", h.flags & ACAR_PYC_CHECK_SOURCE ? " (checked)" : "");
            else if (h.size >= 12)
                printf("timestamp pyc: source mtime %lu, size %lu\n", (unsigned long)h.mtime,
                       (unsigned long)h.source_size);
            else
                printf("timestamp pyc: source mtime %lu\n", (unsigned long)h.mtime);
        }
        if (walk(code) < 0) {
            fputs("list_pyc: out of memory\n", stderr);
            status = 2;
        }
    }
    acar_doc_free(doc);
    free(data);
    return status;
}
