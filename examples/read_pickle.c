/*
 * read_pickle.c -- read a pickle that Python wrote and walk the value in it.
 *
 *   $ python3 -c "import pickle; pickle.dump({'a': [1, 2.5, 'x']}, open('a.pkl', 'wb'))"
 *   $ ./read_pickle a.pkl
 *   value: dict of 1
 *   value['a']: list of 3
 *   value['a'][0] = 1
 *   value['a'][1] = 2.5
 *   value['a'][2] = 'x'
 *
 * One line per node: lists, tuples and dicts with their length, anything
 * else as Python's repr() of it.  Pickles are graphs: a container can hold
 * itself, or be held twice, so each container is walked once (later visits
 * say "seen before").  An input can also nest 100000 deep, so the walk keeps
 * its own stack instead of recursing.
 *
 * Build: cc read_pickle.c $(pkg-config --cflags --libs acar) -o read_pickle
 */
#include <acar.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a growable string for the path of the node being printed ---- */

typedef struct text {
    char *s;
    size_t len, cap;
} text;

static void text_add(text *t, const char *s, size_t n) {
    if (t->len + n + 1 > t->cap) {
        size_t cap = (t->len + n + 1) * 2;
        char *p = realloc(t->s, cap);
        if (!p) {
            fputs("out of memory\n", stderr);
            exit(2);
        }
        t->s = p;
        t->cap = cap;
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

/* ---- the containers already walked (a small pointer hash set) ---- */

typedef struct seen_set {
    const acar_val **slot;
    size_t cap, count;
} seen_set;

/* Adds v; returns 1 when it was there already. */
static int seen_add(seen_set *set, const acar_val *v) {
    if (2 * (set->count + 1) > set->cap) {
        seen_set bigger = {calloc(set->cap ? set->cap * 2 : 64, sizeof *set->slot),
                           set->cap ? set->cap * 2 : 64, 0};
        if (!bigger.slot) {
            fputs("out of memory\n", stderr);
            exit(2);
        }
        for (size_t i = 0; i < set->cap; i++)
            if (set->slot[i]) seen_add(&bigger, set->slot[i]);
        free(set->slot);
        *set = bigger;
    }
    size_t i = ((size_t)v >> 4) * 0x9E3779B97F4A7C15u % set->cap;
    while (set->slot[i]) {
        if (set->slot[i] == v) return 1;
        i = (i + 1) % set->cap;
    }
    set->slot[i] = v;
    set->count++;
    return 0;
}

/* ---- the walk ---- */

static int is_container(const acar_val *v) {
    acar_type t = acar_typeof(v);
    return t == ACAR_LIST || t == ACAR_TUPLE || t == ACAR_DICT;
}

/* Prints "PATH: list of N" or "PATH = repr"; returns 1 when v is a
 * container to walk into. */
static int print_node(const text *path, const acar_val *v, seen_set *seen) {
    if (is_container(v)) {
        int again = seen_add(seen, v);
        printf("%s: %s of %zu%s\n", path->s, acar_type_name(acar_typeof(v)), acar_len(v),
               again ? " (seen before)" : "");
        return !again;
    }
    acar_buf repr = {0};
    acar_err err;
    if (acar_repr(v, &repr, &err) == 0)
        printf("%s = %.*s\n", path->s, (int)repr.len, repr.data);
    else
        printf("%s: cannot print: %s\n", path->s, err.msg);
    acar_buf_free(&repr);
    return 0;
}

typedef struct frame {
    const acar_val *container;
    size_t next;     /* the next item to print */
    size_t path_len; /* the container's own path */
} frame;

static void walk(const acar_val *root) {
    text path = {0};
    seen_set seen = {0};
    frame *stack = NULL;
    size_t depth = 0, cap = 0;

    text_add(&path, "value", 5);
    if (print_node(&path, root, &seen)) {
        stack = malloc(sizeof *stack * (cap = 16));
        if (!stack) exit(2);
        stack[depth++] = (frame){root, 0, path.len};
    }
    while (depth > 0) {
        frame *f = &stack[depth - 1];
        if (f->next == acar_len(f->container)) {
            depth--;
            continue;
        }
        size_t i = f->next++;
        const acar_val *child;
        path.len = f->path_len;
        if (acar_typeof(f->container) == ACAR_DICT) {
            /* value['key']: the key as Python's repr */
            acar_buf key = {0};
            acar_err err;
            if (acar_repr(acar_dict_key(f->container, i), &key, &err) < 0) key.len = 0;
            text_add(&path, "[", 1);
            text_add(&path, key.data ? key.data : "?", key.data ? key.len : 1);
            text_add(&path, "]", 1);
            acar_buf_free(&key);
            child = acar_dict_value(f->container, i);
        } else {
            char index[32];
            int n = snprintf(index, sizeof index, "[%zu]", i);
            text_add(&path, index, (size_t)n);
            child = acar_item(f->container, i);
        }
        if (print_node(&path, child, &seen)) {
            if (depth == cap) {
                frame *s = realloc(stack, sizeof *stack * (cap *= 2));
                if (!s) exit(2);
                stack = s;
            }
            stack[depth++] = (frame){child, 0, path.len};
        }
    }
    free(stack);
    free(seen.slot);
    free(path.s);
}

/* ---- main ---- */

/* The whole file in a malloc'd buffer, or NULL (errno says why). */
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
    if (ferror(f) || *len == cap) { /* a read error, or out of memory */
        free(data);
        data = NULL;
    }
    fclose(f);
    return data;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fputs("usage: read_pickle FILE.pkl\n", stderr);
        return 2;
    }
    size_t len;
    unsigned char *data = read_file(argv[1], &len);
    if (!data) {
        perror(argv[1]);
        return 2;
    }

    /* One document holds every node of the value; freeing it frees all. */
    acar_doc *doc = acar_doc_new(NULL);
    acar_read_opts opts = {0};
    opts.format = ACAR_FORMAT_PICKLE; /* or ACAR_FORMAT_AUTO to detect */
    acar_err err;
    acar_val *value = doc ? acar_read(doc, data, len, &opts, &err) : NULL;
    int status = 0;
    if (!value) {
        fprintf(stderr, "read_pickle: %s: offset %zu: %s\n", argv[1], doc ? err.offset : 0,
                doc ? err.msg : "out of memory");
        status = 1;
    } else {
        walk(value);
    }
    acar_doc_free(doc);
    free(data);
    return status;
}
