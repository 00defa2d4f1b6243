/*
 * test_doc_cache.c -- the process-wide cache of arena chunks (doc.c): a
 * document built on chunks another document freed holds exactly its own
 * values, limits still hold, acar_release_memory empties the cache, and
 * documents on several threads at once share it safely.  Readers' big
 * scratch blocks (acar__scratch: a key memo of thousands of keys) go
 * through the same cache.  A read sizes the chunks it adds by its input, so
 * the unused tail of the last one stays under a quarter of the input.
 */
#include "acar.h"
#include "check.h"
#include "core/internal.h" /* acar_doc's cur and end: the last chunk's tail */

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* {"k0": 0, "k1": 1, ...}: KEYS distinct keys, whose memo in the JSON
 * reader (and, pickled, in the pickle reader) outgrows 16 KiB. */
#define KEYS 3000
static char json_text[KEYS * 24];
static acar_buf pickle_text;

static void make_texts(void) {
    size_t n = 0;
    json_text[n++] = '{';
    for (int i = 0; i < KEYS; i++)
        n += (size_t)snprintf(json_text + n, sizeof json_text - n, "%s\"k%d\": %d", i ? ", " : "", i, i);
    json_text[n++] = '}';
    json_text[n] = 0;
}

/* The dict read from text holds "k<i>": i for every i. */
static int keys_hold(acar_val *d) {
    if (!d || acar_len(d) != KEYS) return 0;
    for (int i = 0; i < KEYS; i += 7) {
        char key[16];
        int n = snprintf(key, sizeof key, "k%d", i);
        int64_t x;
        if (acar_int_get(acar_dict_get_str(d, key, (size_t)n), &x) < 0 || x != i) return 0;
    }
    return 1;
}

/* Reads the JSON text and its pickle into a fresh document each. */
static int read_both(void) {
    int ok = 1;
    for (int k = 0; k < 2 && ok; k++) {
        acar_doc *doc = acar_doc_new(NULL);
        acar_read_opts o = {0};
        o.format = k ? ACAR_FORMAT_PICKLE : ACAR_FORMAT_JSON;
        const void *t = k ? (const void *)pickle_text.data : json_text;
        size_t len = k ? pickle_text.len : strlen(json_text);
        ok = doc && keys_hold(acar_read(doc, t, len, &o, NULL));
        acar_doc_free(doc);
    }
    return ok;
}

/* A list of n ints start, start+1, ... built through the API: 16 bytes a
 * node plus the item array, so n = 100000 spans chunks of 16 KiB to 2 MiB. */
static acar_val *build(acar_doc *doc, int64_t start, size_t n) {
    acar_val *list = acar_new_list(doc);
    for (size_t i = 0; list && i < n; i++)
        if (acar_list_append(doc, list, acar_new_int(doc, start + (int64_t)i)) < 0) return NULL;
    return list;
}

static int holds(const acar_val *list, int64_t start, size_t n) {
    if (acar_len(list) != n) return 0;
    for (size_t i = 0; i < n; i++) {
        int64_t x;
        if (acar_int_get(acar_item(list, i), &x) < 0 || x != start + (int64_t)i) return 0;
    }
    return 1;
}

static void *plain_malloc(void *ctx, size_t n) { (void)ctx; return malloc(n); }
static void *plain_realloc(void *ctx, void *p, size_t old, size_t n) { (void)ctx; (void)old; return realloc(p, n); }
static void plain_free(void *ctx, void *p, size_t n) { (void)ctx; (void)n; free(p); }

/* Reads text (len bytes, in format f) into doc: the list build(0, n)
 * makes comes back, and the newest chunk's unused tail is at most a
 * quarter of len (the chunks doubled up to twice the document before). */
static int read_fits(acar_doc *doc, const void *text, size_t len, acar_format f, size_t n) {
    acar_read_opts o = {0};
    o.format = f;
    acar_val *v = acar_read(doc, text, len, &o, NULL);
    size_t tail = (size_t)(doc->end - doc->cur);
    CHECK_MSG(tail <= len / 4, "format %d: %zu bytes unused after reading %zu", (int)f, tail, len);
    return v && holds(v, 0, n) && tail <= len / 4;
}

/* Input of 300 KB to 1.5 MB: pickles and JSON of 60,000 to 300,000
 * ints, each read into a document on a caller's allocator (no cached
 * chunk of up to twice the size asked), and after a small read. */
static void test_read_fits(void) {
    acar_alloc plain = {plain_malloc, plain_realloc, plain_free, NULL};
    acar_doc_opts opts = {0};
    opts.alloc = &plain;
    for (size_t n = 60000; n <= 300000; n *= 5) {
        acar_doc *src = acar_doc_new(NULL);
        acar_val *list = build(src, 0, n);
        acar_buf pk = {0}, js = {0};
        CHECK(list && acar_write(list, ACAR_FORMAT_PICKLE, NULL, &pk, NULL) == 0);
        CHECK(acar_write(list, ACAR_FORMAT_JSON, NULL, &js, NULL) == 0);
        acar_doc_free(src);
        for (int k = 0; k < 2; k++) {
            acar_doc *doc = acar_doc_new(&opts);
            CHECK(read_fits(doc, pk.data, pk.len, ACAR_FORMAT_PICKLE, n));
            acar_doc_free(doc);
            doc = acar_doc_new(&opts);
            CHECK(read_fits(doc, js.data, js.len, ACAR_FORMAT_JSON, n));
            acar_doc_free(doc);
        }
        acar_doc *doc = acar_doc_new(&opts);
        acar_read_opts o = {0};
        CHECK(acar_read(doc, "[1, 2, 3]", 9, &o, NULL) != NULL);
        CHECK(read_fits(doc, pk.data, pk.len, ACAR_FORMAT_PICKLE, n));
        /* what is built after a read doubles its chunks again: 1.6 MB of
         * nodes in 16 KiB chunks would be a hundred of them */
        size_t chunks = 0;
        for (acar_chunk *c = doc->chunks; c; c = c->next) chunks--;
        CHECK(build(doc, 0, 100000) != NULL);
        for (acar_chunk *c = doc->chunks; c; c = c->next) chunks++;
        CHECK_MSG(chunks < 16, "the build took %zu chunks", chunks);
        acar_doc_free(doc);
        acar_buf_free(&pk);
        acar_buf_free(&js);
    }
}

static size_t chunk_count(const acar_doc *doc) {
    size_t n = 0;
    for (const acar_chunk *c = doc->chunks; c; c = c->next) n++;
    return n;
}

/* acar_doc_reset of a document that took several small chunks keeps them
 * all, so the same read again takes no chunk from the allocator; past
 * RESET_JOIN (1 MiB) in all it keeps the largest. */
static void test_reset_join(void) {
    acar_buf js = {0};
    acar_out o = {.buf = &js};
    acar__out_byte(&o, '[');
    for (int i = 0; i < 300; i++) {
        char item[96];
        int n = snprintf(item, sizeof item, "%s{\"id\": %d, \"name\": \"item number %d\", \"ok\": true}",
                         i ? ", " : "", i, i * 7);
        for (int k = 0; k < n; k++) acar__out_byte(&o, item[k]);
    }
    acar__out_byte(&o, ']');
    CHECK(!o.failed);
    acar_read_opts ro = {0};
    ro.format = ACAR_FORMAT_JSON;
    acar_doc *doc = acar_doc_new(NULL);
    CHECK(acar_read(doc, js.data, js.len, &ro, NULL) != NULL);
    size_t chunks = chunk_count(doc);
    CHECK_MSG(chunks > 1, "the read took %zu chunk", chunks);
    size_t held = acar_doc_memory(doc);
    acar_doc_reset(doc);
    CHECK(chunk_count(doc) == 1 && acar_doc_memory(doc) == held);
    /* from the second read on the document also keeps the JSON keys it
     * met (read.c): a few blocks more, the same from read to read */
    size_t steady = 0;
    for (int round = 0; round < 3; round++) {
        acar_val *v = acar_read(doc, js.data, js.len, &ro, NULL);
        CHECK(v != NULL && acar_len(v) == 300);
        if (round == 0) steady = acar_doc_memory(doc);
        CHECK_MSG(chunk_count(doc) == chunks && acar_doc_memory(doc) == steady && steady - held < 64 * 1024,
                  "round %d: %zu chunks, %zu bytes (%zu chunks, %zu bytes before)", round, chunk_count(doc),
                  acar_doc_memory(doc), chunks, held);
        acar_doc_reset(doc);
    }
    acar_doc_free(doc);

    /* Under max_memory, a read that fit once fits again after a reset:
     * the spares are counted already, so taking one must not be refused
     * as new memory. */
    for (size_t limit = held / 2; limit <= 3 * held; limit += held / 16) {
        acar_doc_opts lo = {0};
        lo.limits.max_memory = limit;
        doc = acar_doc_new(&lo);
        if (acar_read(doc, js.data, js.len, &ro, NULL)) {
            size_t first = acar_doc_memory(doc);
            for (int round = 0; round < 3; round++) {
                acar_doc_reset(doc);
                CHECK_MSG(acar_read(doc, js.data, js.len, &ro, NULL) != NULL, "limit %zu, round %d", limit, round);
                CHECK(acar_doc_memory(doc) <= first);
            }
        }
        acar_doc_free(doc);
    }
    acar_buf_free(&js);

    /* 3 MB of nodes: the largest chunk only */
    doc = acar_doc_new(NULL);
    CHECK(build(doc, 0, 200000) != NULL);
    size_t largest = 0;
    for (const acar_chunk *c = doc->chunks; c; c = c->next)
        if (c->size > largest) largest = c->size;
    acar_doc_reset(doc);
    CHECK(chunk_count(doc) == 1 && doc->chunks->size == largest);
    acar_doc_free(doc);
}

static void *worker(void *arg) {
    int64_t id = (int64_t)(intptr_t)arg;
    int ok = 1;
    for (int round = 0; round < 20 && ok; round++) {
        acar_doc *doc = acar_doc_new(NULL);
        int64_t start = id * 1000000 + round;
        acar_val *v = doc ? build(doc, start, 50000) : NULL;
        ok = v && holds(v, start, 50000);
        acar_doc_free(doc);
        ok = ok && read_both();
        if (round % 7 == 6) acar_release_memory();
    }
    return ok ? arg : NULL;
}

int main(void) {
    make_texts();
    {
        acar_doc *d = acar_doc_new(NULL);
        acar_read_opts o = {0};
        o.format = ACAR_FORMAT_JSON;
        acar_val *v = acar_read(d, json_text, strlen(json_text), &o, NULL);
        CHECK(keys_hold(v));
        CHECK(acar_write(v, ACAR_FORMAT_PICKLE, NULL, &pickle_text, NULL) == 0);
        acar_doc_free(d);
    }
    /* Readers' scratch comes back from the cache for the next read. */
    for (int round = 0; round < 3; round++) CHECK(read_both());
    /* ... and a small max_memory still stops the memo's growth. */
    {
        acar_doc_opts lo = {0};
        lo.limits.max_memory = 100000;
        acar_doc *d = acar_doc_new(&lo);
        acar_read_opts o = {0};
        o.format = ACAR_FORMAT_JSON;
        acar_err e;
        CHECK(acar_read(d, json_text, strlen(json_text), &o, &e) == NULL);
        CHECK(e.code == ACAR_ERR_LIMIT && strstr(e.msg, "max_memory"));
        acar_doc_free(d);
    }

    /* The second document reuses what the first freed, and sees only its own values. */
    for (int round = 0; round < 3; round++) {
        acar_doc *doc = acar_doc_new(NULL);
        CHECK(doc != NULL);
        acar_val *v = build(doc, round * 7, 100000);
        CHECK(v != NULL && holds(v, round * 7, 100000));
        acar_doc_free(doc);
    }

    /* Reset hands chunks back too; the kept one is refilled. */
    acar_doc *doc = acar_doc_new(NULL);
    CHECK(build(doc, 1, 100000) != NULL);
    acar_doc_reset(doc);
    acar_val *v = build(doc, 5, 100000);
    CHECK(v != NULL && holds(v, 5, 100000));
    acar_doc_free(doc);

    /* A reused chunk may be larger than asked, but never past max_memory. */
    acar_doc_opts opts = {0};
    opts.limits.max_memory = 600000;
    doc = acar_doc_new(&opts);
    CHECK(build(doc, 0, 100000) == NULL);
    CHECK(acar_doc_error(doc) && acar_doc_error(doc)->code == ACAR_ERR_LIMIT);
    CHECK(acar_doc_memory(doc) <= 600000);
    acar_doc_free(doc);

    acar_release_memory();
    acar_release_memory(); /* empty: nothing to do */

    test_read_fits();
    test_reset_join();

    /* Threads share the cache. */
    pthread_t t[4];
    for (intptr_t i = 0; i < 4; i++) CHECK(pthread_create(&t[i], NULL, worker, (void *)(i + 1)) == 0);
    for (intptr_t i = 0; i < 4; i++) {
        void *r = NULL;
        CHECK(pthread_join(t[i], &r) == 0 && r == (void *)(i + 1));
    }
    acar_release_memory();
    acar_buf_free(&pickle_text);
    return CHECK_DONE();
}
