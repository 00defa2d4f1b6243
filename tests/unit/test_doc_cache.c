/*
 * test_doc_cache.c -- the process-wide cache of arena chunks (doc.c): a
 * document built on chunks another document freed holds exactly its own
 * values, limits still hold, acar_release_memory empties the cache, and
 * documents on several threads at once share it safely.
 */
#include "acar.h"
#include "check.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

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

static void *worker(void *arg) {
    int64_t id = (int64_t)(intptr_t)arg;
    int ok = 1;
    for (int round = 0; round < 20 && ok; round++) {
        acar_doc *doc = acar_doc_new(NULL);
        int64_t start = id * 1000000 + round;
        acar_val *v = doc ? build(doc, start, 50000) : NULL;
        ok = v && holds(v, start, 50000);
        acar_doc_free(doc);
        if (round % 7 == 6) acar_release_memory();
    }
    return ok ? arg : NULL;
}

int main(void) {
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

    /* Threads share the cache. */
    pthread_t t[4];
    for (intptr_t i = 0; i < 4; i++) CHECK(pthread_create(&t[i], NULL, worker, (void *)(i + 1)) == 0);
    for (intptr_t i = 0; i < 4; i++) {
        void *r = NULL;
        CHECK(pthread_join(t[i], &r) == 0 && r == (void *)(i + 1));
    }
    acar_release_memory();
    return CHECK_DONE();
}
