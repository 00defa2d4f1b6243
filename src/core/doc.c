/*
 * doc.c -- documents, the arena, and errors.
 *
 * A document takes memory from its allocator in chunks that double in size
 * (4 KiB up to 64 MiB; bigger requests get a chunk of their own; a read
 * sizes them by its input, acar__arena_fit) and hands it out 8-byte
 * aligned.  Nothing is freed before the document: a container
 * that outgrows its item array gets a new one, and the old one stays in the
 * arena.  Because item arrays grow by doubling, that waste is at most the
 * live size.  The latest allocation can grow in place, which is the common
 * case for a list being filled by a reader.
 */
/* madvise and MADV_HUGEPAGE are outside strict C11 headers. */
#define _DEFAULT_SOURCE
#include "core/internal.h"

#include <stdio.h>
#include <stdlib.h>
#ifndef __STDC_NO_ATOMICS__
#include <stdatomic.h>
#endif
#if defined(__linux__)
#include <sys/mman.h>
#endif

const char *acar_version(void) { return ACAR_VERSION_STRING; }

const char *acar_err_str(acar_code code) {
    switch (code) {
    case ACAR_OK: return "no error";
    case ACAR_ERR_NOMEM: return "out of memory";
    case ACAR_ERR_MALFORMED: return "malformed input";
    case ACAR_ERR_TRUNCATED: return "truncated input";
    case ACAR_ERR_LIMIT: return "limit exceeded";
    case ACAR_ERR_UNSUPPORTED: return "unsupported";
    case ACAR_ERR_TYPE: return "type cannot be converted";
    case ACAR_ERR_REFUSED: return "refused by callback";
    case ACAR_ERR_ARG: return "bad argument";
    case ACAR_ERR_IO: return "I/O error";
    case ACAR_ERR_UNRESOLVED: return "unresolved reference";
    }
    return "unknown error";
}

void acar__err_vset(acar_err *err, acar_code code, size_t offset, const char *fmt, va_list ap) {
    if (!err) return;
    err->code = code;
    err->offset = offset;
    err->line = err->column = 0;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
}

void acar__err_set(acar_err *err, acar_code code, size_t offset, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    acar__err_vset(err, code, offset, fmt, ap);
    va_end(ap);
}

void *acar__doc_fail(acar_doc *doc, acar_code code, const char *fmt, ...) {
    if (doc->err.code == ACAR_OK) {
        va_list ap;
        va_start(ap, fmt);
        acar__err_vset(&doc->err, code, 0, fmt, ap);
        va_end(ap);
    }
    return NULL;
}

const acar_err *acar_doc_error(const acar_doc *doc) {
    return doc->err.code == ACAR_OK ? NULL : &doc->err;
}

/* ---- allocator ---- */

static void *std_malloc(void *ctx, size_t size) { (void)ctx; return malloc(size); }
static void *std_realloc(void *ctx, void *p, size_t old, size_t size) {
    (void)ctx; (void)old; return realloc(p, size);
}
static void std_free(void *ctx, void *p, size_t size) { (void)ctx; (void)size; free(p); }

void acar__limits_fill(acar_limits *dst, const acar_limits *src) {
    if (src) *dst = *src;
    else memset(dst, 0, sizeof *dst);
    if (!dst->max_depth) dst->max_depth = ACAR_DEFAULT_MAX_DEPTH;
    if (!dst->max_memory) dst->max_memory = ACAR_DEFAULT_MAX_MEMORY;
    if (!dst->max_items) dst->max_items = ACAR_DEFAULT_MAX_ITEMS;
    if (!dst->max_int_digits) dst->max_int_digits = ACAR_DEFAULT_MAX_INT_DIGITS;
    if (!dst->max_memo) dst->max_memo = ACAR_DEFAULT_MAX_MEMO;
    if (!dst->max_input) dst->max_input = dst->max_memory;
    if (!dst->max_ops) dst->max_ops = ACAR_DEFAULT_MAX_OPS;
}

/* ---- the chunk cache ----
 * Chunks of the C library's allocator that a document frees wait here for
 * the next document instead of going back to the kernel: fresh pages cost a
 * fault and zeroing each, which was most of reading a pickle into a new
 * document (protocol 4, fastest of 7: citm_catalog 0.95 -> 0.33 ms, canada
 * 3.1 -> 0.94 ms, gsoc-2018 1.96 -> 0.45 ms, github_events 39 -> 16 us).
 * CPython's pickle.loads gets the same from its allocator's free lists.
 * Bounded by CACHE_SLOTS chunks and CACHE_BYTES in all; chunks under
 * CACHE_MIN stay with malloc, which reuses those cheaply.
 * acar_release_memory() empties it; caller-supplied allocators never see it. */
/* The largest chunk size the doubling reaches (bigger requests get a chunk of their own). */
#define CHUNK_MAX ((size_t)64 << 20)

/* 32: the arena's chunks and the solo chunks of growing arrays (16 KiB up,
 * see acar__grow) both come back to the next document */
#define CACHE_SLOTS 32
#define CACHE_BYTES ((size_t)64 << 20)
#define CACHE_MIN ((size_t)16 << 10)

#ifndef __STDC_NO_ATOMICS__
static struct {
    acar_chunk *chunk[CACHE_SLOTS];
    size_t bytes;
} cache;
static atomic_flag cache_lock = ATOMIC_FLAG_INIT;

static void cache_enter(void) {
    while (atomic_flag_test_and_set_explicit(&cache_lock, memory_order_acquire)) {
    }
}
static void cache_leave(void) { atomic_flag_clear_explicit(&cache_lock, memory_order_release); }
#endif

static void chunk_release(acar_doc *doc, acar_chunk *c) {
#ifndef __STDC_NO_ATOMICS__
    if (doc->alloc.free == std_free && c->size >= CACHE_MIN) {
        bool kept = false;
        cache_enter();
        if (cache.bytes + c->size <= CACHE_BYTES) {
            for (size_t i = 0; i < CACHE_SLOTS && !kept; i++) {
                if (!cache.chunk[i]) {
                    cache.chunk[i] = c;
                    cache.bytes += c->size;
                    kept = true;
                }
            }
        }
        cache_leave();
        if (kept) return;
    }
#endif
    doc->alloc.free(doc->alloc.ctx, c, sizeof *c + c->size);
}

/* A cached chunk of size to max bytes (the smallest such), or NULL. */
static acar_chunk *chunk_reuse(acar_doc *doc, size_t size, size_t max) {
#ifndef __STDC_NO_ATOMICS__
    if (doc->alloc.malloc != std_malloc || size < CACHE_MIN) return NULL;
    acar_chunk *best = NULL;
    size_t bi = 0;
    cache_enter();
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        acar_chunk *c = cache.chunk[i];
        if (c && c->size >= size && c->size <= max && (!best || c->size < best->size)) {
            best = c;
            bi = i;
        }
    }
    if (best) {
        cache.chunk[bi] = NULL;
        cache.bytes -= best->size;
    }
    cache_leave();
    return best;
#else
    (void)doc;
    (void)size;
    (void)max;
    return NULL;
#endif
}

void acar_release_memory(void) {
#ifndef __STDC_NO_ATOMICS__
    acar_chunk *free_now[CACHE_SLOTS];
    cache_enter();
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        free_now[i] = cache.chunk[i];
        cache.chunk[i] = NULL;
    }
    cache.bytes = 0;
    cache_leave();
    for (size_t i = 0; i < CACHE_SLOTS; i++) free(free_now[i]);
#endif
}

/* Whether add more bytes, with used taken already, go past max_memory. */
static bool past_max_memory(const acar_doc *doc, size_t used, size_t add) {
    size_t lim = doc->limits.max_memory;
    return add > lim || used > lim - add;
}

/* Whether add more bytes would take the document past max_memory, with
 * more held besides its own and less about to be given back.  The spare
 * chunks acar_doc_reset kept count as all held memory does, so where the
 * limit is in the way they are given back first: a read must not fail for
 * memory it is not filling. */
static bool over_max_memory_with(acar_doc *doc, size_t more, size_t less, size_t add) {
    if (!past_max_memory(doc, doc->used + more - less, add)) return false;
    if (!doc->spare) return true;
    while (doc->spare) {
        acar_chunk *c = doc->spare;
        doc->spare = c->next;
        doc->used -= sizeof *c + c->size;
        chunk_release(doc, c);
    }
    return past_max_memory(doc, doc->used + more - less, add);
}

/* ---- readers' scratch memory ----
 * One helper for every reader's stacks and tables.  Blocks from CACHE_MIN
 * up carry a chunk header and come from, and go back to, the chunk cache:
 * otherwise they were fresh pages for every document (reading
 * gsoc-2018.json again and again, the growth of its key memo was most of
 * the page faults; cached, the read is 10% faster).  Smaller blocks are
 * the allocator's own.  Whether a block has a header follows from the
 * size its reader holds it at; a block from the cache may be bigger than
 * that (at most twice), which *held does not count. */
static acar_chunk *scratch_chunk(acar_doc *doc, size_t size) {
    acar_chunk *c = chunk_reuse(doc, size, size <= SIZE_MAX / 2 ? 2 * size : size);
    if (c) return c;
    if (size > SIZE_MAX - sizeof *c) return NULL;
    c = doc->alloc.malloc(doc->alloc.ctx, sizeof *c + size);
    if (c) {
        c->size = size;
        c->next = NULL;
        c->solo = false;
    }
    return c;
}

static void *scratch_block(acar_doc *doc, size_t *held, void *p, size_t old, size_t size, acar_code *why) {
    if (!p) old = 0;
    if (size == 0) {
        if (p && old >= CACHE_MIN) chunk_release(doc, (acar_chunk *)p - 1);
        else if (p) doc->alloc.free(doc->alloc.ctx, p, old);
        *held -= old;
        return NULL;
    }
    if (size > old && over_max_memory_with(doc, *held, 0, size - old)) {
        *why = ACAR_ERR_LIMIT;
        return NULL;
    }
    void *q;
    if (size < CACHE_MIN && (!p || old < CACHE_MIN)) {
        q = p ? doc->alloc.realloc(doc->alloc.ctx, p, old, size) : doc->alloc.malloc(doc->alloc.ctx, size);
    } else if (p && old >= CACHE_MIN && size <= ((acar_chunk *)p - 1)->size) {
        q = p;
    } else {
        acar_chunk *c = size >= CACHE_MIN ? scratch_chunk(doc, size) : NULL;
        q = c ? (void *)(c + 1) : size < CACHE_MIN ? doc->alloc.malloc(doc->alloc.ctx, size) : NULL;
        if (q && p) {
            memcpy(q, p, old < size ? old : size);
            if (old >= CACHE_MIN) chunk_release(doc, (acar_chunk *)p - 1);
            else doc->alloc.free(doc->alloc.ctx, p, old);
        }
    }
    if (!q) {
        *why = ACAR_ERR_NOMEM;
        return NULL;
    }
    *held = *held - old + size;
    return q;
}

void *acar__scratch(acar_doc *doc, size_t *held, void *p, const void *inl, size_t old, size_t size,
                    acar_code *why) {
    if (p && p != inl) return scratch_block(doc, held, p, old, size, why);
    /* none yet, or the reader's inline storage: a new block, what fits of
     * the old bytes copied */
    if (size == 0) return NULL;
    void *q = scratch_block(doc, held, NULL, 0, size, why);
    if (q && p && old) memcpy(q, p, old < size ? old : size);
    return q;
}

acar_doc *acar_doc_new(const acar_doc_opts *opts) {
    acar_alloc a = {std_malloc, std_realloc, std_free, NULL};
    if (opts && opts->alloc) {
        a.ctx = opts->alloc->ctx;
        if (opts->alloc->malloc) a.malloc = opts->alloc->malloc;
        if (opts->alloc->realloc) a.realloc = opts->alloc->realloc;
        if (opts->alloc->free) a.free = opts->alloc->free;
    }
    acar_doc *doc = a.malloc(a.ctx, sizeof *doc);
    if (!doc) return NULL;
    memset(doc, 0, sizeof *doc);
    doc->alloc = a;
    acar__limits_fill(&doc->limits, opts ? &opts->limits : NULL);
    doc->used = sizeof *doc;
    doc->next_chunk = 4096;
    doc->chunk_cap = doc->read_cap = CHUNK_MAX;
    doc->none.tag = ACAR_TAG(ACAR_NONE, 0, 0);
    doc->true_.tag = ACAR_TAG(ACAR_BOOL, 0, 0);
    doc->true_.u.i = 1;
    doc->false_.tag = ACAR_TAG(ACAR_BOOL, 0, 0);
    doc->ellipsis.tag = ACAR_TAG(ACAR_ELLIPSIS, 0, 0);
    doc->stopiter.tag = ACAR_TAG(ACAR_STOPITERATION, 0, 0);
    return doc;
}

void *acar__kept_block(acar_doc *doc, void *p, size_t old, size_t size) {
    if (!p) old = 0;
    if (size == 0) {
        if (p) doc->alloc.free(doc->alloc.ctx, p, old);
        doc->used -= old;
        return NULL;
    }
    if (size > old && past_max_memory(doc, doc->used, size - old)) return NULL;
    void *q = p ? doc->alloc.realloc(doc->alloc.ctx, p, old, size) : doc->alloc.malloc(doc->alloc.ctx, size);
    if (!q) return NULL;
    doc->used = doc->used - old + size;
    return q;
}

void acar_doc_free(acar_doc *doc) {
    if (!doc) return;
    if (doc->kept) doc->kept_hook(doc, true);
    for (int list = 0; list < 2; list++) {
        acar_chunk *c = list ? doc->spare : doc->chunks;
        while (c) {
            acar_chunk *next = c->next;
            chunk_release(doc, c);
            c = next;
        }
    }
    doc->alloc.free(doc->alloc.ctx, doc, sizeof *doc);
}

/* A reset document whose chunks came to at most RESET_JOIN bytes in all
 * keeps every one: the largest to fill, the others as spares that the next
 * read takes before it asks the allocator (acar__alloc_chunk), so reading
 * inputs of one size again and again takes no chunk at all.  (Chunks that
 * small go back to malloc, not the cache: reading a 10 KB JSON text in a
 * loop took four chunks a read, 2% of its instructions.)  Past that only
 * the largest is kept.  Reset itself never allocates. */
#define RESET_JOIN ((size_t)1 << 20)

void acar_doc_reset(acar_doc *doc) {
    if (!doc) return;
    if (doc->kept) doc->kept_hook(doc, false);
    /* the spares not taken by the last read join the chunks it filled */
    while (doc->spare) {
        acar_chunk *c = doc->spare;
        doc->spare = c->next;
        c->next = doc->chunks;
        doc->chunks = c;
    }
    acar_chunk *keep = NULL;
    size_t total = 0;
    for (acar_chunk *c = doc->chunks; c; c = c->next) {
        if (!keep || c->size > keep->size) keep = c;
        total += c->size;
    }
    bool join = total <= RESET_JOIN;
    acar_chunk *c = doc->chunks;
    while (c) {
        acar_chunk *next = c->next;
        if (c != keep && join) {
            c->next = doc->spare;
            doc->spare = c;
        } else if (c != keep) {
            doc->used -= sizeof *c + c->size;
            chunk_release(doc, c);
        }
        c = next;
    }
    doc->chunks = keep;
    doc->arena = keep ? sizeof *keep + keep->size : 0;
    if (keep) {
        keep->next = NULL;
        keep->solo = false; /* filled from now on */
        doc->cur = doc->last = (char *)(keep + 1);
        doc->end = doc->cur + (keep->size > ACAR_ARENA_TAIL ? keep->size - ACAR_ARENA_TAIL : 0);
    } else {
        doc->cur = doc->end = doc->last = NULL;
    }
    doc->root = NULL;
    acar__err_clear(&doc->err);
}

acar_val *acar_doc_root(const acar_doc *doc) { return doc->root; }
void acar_doc_set_root(acar_doc *doc, acar_val *root) { doc->root = root; }
const acar_limits *acar_doc_limits(const acar_doc *doc) { return &doc->limits; }
size_t acar_doc_memory(const acar_doc *doc) { return doc->used; }

#define ALIGN8(n) (((n) + 7) & ~(size_t)7)

/* Big chunks of the C library's allocator ask Linux for transparent huge
 * pages: a fresh document is written once from end to end, and page faults
 * were half the time of reading a large pickle (reading ints_1e6 at
 * protocol 4 went from 304 to 665 MB/s).  Caller-supplied allocators are
 * left alone. */
#define HUGE_CHUNK ((size_t)4 << 20)

static void advise_huge(acar_doc *doc, void *p, size_t size) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (size < HUGE_CHUNK || doc->alloc.malloc != std_malloc) return;
    uintptr_t page = 4096, start = ((uintptr_t)p + page - 1) & ~(page - 1);
    uintptr_t end = ((uintptr_t)p + size) & ~(page - 1);
    if (end > start) (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
#else
    (void)doc;
    (void)p;
    (void)size;
#endif
}

/* The error of an allocation that would take the document past max_memory. */
static void *over_max_memory(acar_doc *doc) {
    return acar__doc_fail(doc, ACAR_ERR_LIMIT, ACAR_MAX_MEMORY_MSG,
                          doc->limits.max_memory);
}


/* A cached chunk for size bytes when used are taken (a chunk header and
 * size bytes fit within max_memory): at most size + over bytes, and within
 * max_memory with its header. */
static acar_chunk *reuse_within(acar_doc *doc, size_t used, size_t size, size_t over) {
    size_t room = doc->limits.max_memory - used - sizeof(acar_chunk);
    return chunk_reuse(doc, size, over <= room - size ? size + over : room);
}

/* The arena a read reporting progress (acar__read_progress) should still
 * need: the rest of its input at the rate the part read took, less what it
 * took since the report, with a 32nd and 1 KiB to spare, in whole
 * KiB.  An input that starts sparse and goes on dense takes more chunks
 * than it would have, but no smaller than 1 KiB, and fewer as the reports
 * catch up.  Chunks sized so leave the last one mostly filled: with chunks of
 * an eighth of the input, the last one's unused tail was 0.13 times the
 * pickle of citm_catalog. */
static size_t read_rest(const acar_doc *doc) {
    size_t made = doc->read_made - doc->read_base, since = acar__arena_content(doc) - doc->read_made;
    double need = (double)made / (double)doc->read_done * (double)(doc->read_len - doc->read_done);
    if (need > (double)CHUNK_MAX) return CHUNK_MAX;
    size_t rest = (size_t)need > since ? (size_t)need - since : 0;
    rest += rest / 32 + 1024;
    return (rest + 1023) & ~(size_t)1023;
}

/* A spare chunk (acar_doc_reset) of at least size bytes, unlinked: the
 * smallest of want bytes or more, else the largest there is; NULL when
 * none holds size. */
static acar_chunk *spare_take(acar_doc *doc, size_t size, size_t want) {
    acar_chunk **best = NULL;
    for (acar_chunk **l = &doc->spare; *l; l = &(*l)->next) {
        size_t n = (*l)->size, b = best ? (*best)->size : 0;
        if (n < size) continue;
        if (!best || (n >= want ? b < want || n < b : b < want && n > b)) best = l;
    }
    if (!best) return NULL;
    acar_chunk *c = *best;
    *best = c->next;
    return c;
}

/* Slow path of acar__alloc: a new chunk big enough for size (already a
 * multiple of 8) and the tail no block takes (ACAR_ARENA_TAIL). */
void *acar__alloc_chunk(acar_doc *doc, size_t size) {
    if (size > SIZE_MAX - sizeof(acar_chunk) - ACAR_ARENA_TAIL)
        return acar__doc_fail(doc, ACAR_ERR_NOMEM, "allocation of %zu bytes too large", size);
    const size_t need = size + ACAR_ARENA_TAIL;
    /* a document's first chunk may be bigger than read_cap (acar__arena_fit) */
    size_t csize = doc->next_chunk < doc->read_cap || !doc->chunks ? doc->next_chunk : doc->read_cap;
    size_t over = csize; /* what a cached chunk may have over csize */
    if (doc->read_done && doc->read_done < doc->read_len) {
        size_t rest = read_rest(doc);
        if (rest < csize) {
            /* sized to fit: a cached chunk twice as big would undo that */
            csize = rest;
            over = rest / 8;
        }
    }
    /* the room the sizes above give is for blocks: the tail comes on top
     * (without it, a chunk sized to fit could not take the read's last
     * blocks, and a small pickle's document took a kilobyte more) */
    csize += ACAR_ARENA_TAIL;
    if (need > csize) csize = need;
    bool oversized = false;
    acar_chunk *c = doc->spare ? spare_take(doc, need, csize) : NULL;
    if (c) {
        /* held already: in doc->used (so within max_memory), not yet in
         * doc->arena; it becomes the chunk to fill */
        csize = c->size;
        doc->arena += sizeof *c + csize;
        goto link;
    }
    size_t total = sizeof(acar_chunk) + csize;
    if (over_max_memory_with(doc, 0, 0, total)) { /* (the spares, none big enough, given back) */
        /* Half the room max_memory leaves, or what the request needs: a
         * chunk sized for the input must not refuse a document that fits,
         * and a reader's scratch memory counts against the limit too. */
        if (past_max_memory(doc, doc->used, sizeof(acar_chunk) + need)) return over_max_memory(doc);
        size_t room = doc->limits.max_memory - doc->used - sizeof(acar_chunk);
        csize = room / 2 > need ? (room / 2) & ~(size_t)7 : need;
        total = sizeof(acar_chunk) + csize;
    }
    oversized = need == csize;
    c = reuse_within(doc, doc->used, csize, over < csize ? over : csize);
    if (c) {
        csize = c->size;
        total = sizeof(acar_chunk) + csize;
    } else {
        c = doc->alloc.malloc(doc->alloc.ctx, total);
        if (!c) return acar__doc_fail(doc, ACAR_ERR_NOMEM, "out of memory allocating %zu bytes", total);
        c->size = csize;
        advise_huge(doc, c, total);
    }
    doc->used += total;
    doc->arena += total;
link:
    c->solo = false;
    if (oversized && doc->cur) {
        /* An oversized request: keep the current chunk as the one to fill. */
        c->next = doc->chunks->next;
        doc->chunks->next = c;
        return (char *)(c + 1);
    }
    c->next = doc->chunks;
    doc->chunks = c;
    if (doc->next_chunk < doc->chunk_cap && doc->next_chunk < doc->read_cap) doc->next_chunk *= 2;
    doc->cur = (char *)(c + 1) + size;
    doc->end = (char *)(c + 1) + csize - ACAR_ARENA_TAIL;
    doc->last = (char *)(c + 1);
    return doc->last;
}


/* Slow path of acar__alloc_bytes: from the front of a new chunk (at most
 * 7 bytes of padding, once a chunk), or a chunk of their own. */
void *acar__alloc_bytes_chunk(acar_doc *doc, size_t len) {
    if (len > SIZE_MAX - 8) return acar__doc_fail(doc, ACAR_ERR_NOMEM, "allocation of %zu bytes too large", len);
    return acar__alloc_chunk(doc, len ? ALIGN8(len) : 8);
}

/* The chunks a read of input bytes adds stop doubling at the least power of
 * two of at least input / 8 (2 KiB up): the unused tail of the last chunk
 * is then under a quarter of the input, where doubling left up to twice
 * the document's size unused (reading update-center.json's protocol 4
 * pickle took 2.09 MB for 1.10 MB of nodes).
 *
 * A read into a document that has no chunk yet makes its first chunk the
 * size the reader expects the document to take (4 to 64 KiB).  Doubling
 * from 4 KiB instead took 28 KiB in three chunks for the document of a
 * 7 KB pickle, of which 10 KiB stayed unused. */
#define READ_CAP_MIN ((size_t)2 << 10)
#define FIRST_MIN ((size_t)4 << 10)
#define FIRST_MAX ((size_t)64 << 10)

void acar__arena_fit(acar_doc *doc, size_t input, size_t expect) {
    size_t cap = READ_CAP_MIN;
    if (input == SIZE_MAX) cap = CHUNK_MAX; /* the end of a read: no loop of 15 doublings */
    while (cap < input / 8 && cap < CHUNK_MAX) cap *= 2;
    /* Inputs of 8 MB and more keep doubling: the tail of a chunk that big
     * is pages never touched, and in chunks of 1 or 4 MiB, fewer of them
     * are huge pages (advise_huge; a chunk is not 2 MiB aligned): reading
     * ints_1e6's pickle once in a new process took 17.3 or 16.5 ms
     * instead of 15.5. */
    if (cap >= ((size_t)1 << 20)) cap = CHUNK_MAX;
    doc->read_cap = cap;
    doc->read_len = input != SIZE_MAX ? input : 0;
    doc->read_done = 0;
    doc->read_base = doc->read_made = acar__arena_content(doc);
    if (!doc->chunks && input != SIZE_MAX) {
        size_t first = expect < FIRST_MAX ? (expect + 1023) & ~(size_t)1023 : FIRST_MAX;
        if (first < FIRST_MIN) first = FIRST_MIN;
        if (first > doc->chunk_cap) first = doc->chunk_cap;
        doc->next_chunk = first;
    }
}

/* Blocks acar__grow makes from this size on get a chunk of their own:
 * growing a big list in the arena left each smaller copy of its items
 * behind (8 MB of the 33 that reading list(range(10**6)) took).  With
 * 64 KiB here, the copies below that were still 0.27 of the 2.14 MB that
 * reading mesh.json's pickle took. */
#define SOLO_MIN ((size_t)16 << 10)

/* A chunk holding one block of size bytes, linked after the chunk being
 * filled (which stays the one acar__alloc fills). */
static void *solo_new(acar_doc *doc, size_t size) {
    size_t total = sizeof(acar_chunk) + size;
    if (size > SIZE_MAX - sizeof(acar_chunk) || over_max_memory_with(doc, 0, 0, total))
        return over_max_memory(doc);
    acar_chunk *c = reuse_within(doc, doc->used, size, size);
    if (c) {
        total = sizeof(acar_chunk) + c->size;
    } else {
        c = doc->alloc.malloc(doc->alloc.ctx, total);
        if (!c) return acar__doc_fail(doc, ACAR_ERR_NOMEM, "out of memory allocating %zu bytes", total);
        c->size = size;
    }
    c->solo = true;
    doc->used += total;
    if (doc->chunks) {
        c->next = doc->chunks->next;
        doc->chunks->next = c;
    } else {
        c->next = NULL;
        doc->chunks = c;
    }
    return c + 1;
}

/* The link to the solo chunk holding block p, or NULL. */
static acar_chunk **solo_link(acar_doc *doc, const void *p) {
    for (acar_chunk **link = &doc->chunks; *link; link = &(*link)->next)
        if ((*link)->solo && (const void *)(*link + 1) == p) return link;
    return NULL;
}

/* Puts chunk nc, with the first bytes of c's block, where c is (*link),
 * and gives c to the cache. */
static void *solo_move(acar_doc *doc, acar_chunk **link, acar_chunk *c, acar_chunk *nc, size_t bytes) {
    memcpy(nc + 1, c + 1, bytes);
    nc->next = c->next;
    nc->solo = true;
    *link = nc;
    doc->used = doc->used - (sizeof *c + c->size) + sizeof *nc + nc->size;
    chunk_release(doc, c);
    return nc + 1;
}

/* Grows the block of solo chunk c, which *link points to, to size bytes. */
static void *solo_grow(acar_doc *doc, acar_chunk **link, acar_chunk *c, size_t size) {
    if (size <= c->size) return c + 1;
    size_t old_total = sizeof(acar_chunk) + c->size, total = sizeof(acar_chunk) + size;
    if (size > SIZE_MAX - sizeof(acar_chunk) || over_max_memory_with(doc, 0, old_total, total))
        return over_max_memory(doc);
    /* A cached chunk first, copied into, the old one cached in turn: the
     * pages realloc adds are fresh each time, and reading 100,000 short
     * str again and again took 48% longer in page faults. */
    acar_chunk *nc = reuse_within(doc, doc->used - old_total, size, size);
    if (nc) return solo_move(doc, link, c, nc, c->size);
    nc = doc->alloc.realloc(doc->alloc.ctx, c, old_total, total);
    if (!nc) return acar__doc_fail(doc, ACAR_ERR_NOMEM, "out of memory allocating %zu bytes", total);
    *link = nc;
    nc->size = size;
    doc->used = doc->used - old_total + total;
    return nc + 1;
}

/* Blocks up to this size are shrunk into a new chunk, the old one to the
 * cache (which takes chunks of the sizes growth asks for).  A bigger one
 * is shrunk in place by the allocator's realloc, when at least an eighth
 * of it is unused: a copy and fresh pages would cost more than the tail
 * is worth, and freeing a block that big in the middle of a read raises
 * glibc's mmap threshold, after which the same binary wrote marine_ik.json's
 * document back 40% slower in one process of three (glibc shrinks a mapped
 * block with mremap and frees nothing).  The tail was 0.59 times the
 * pickle of mesh.json (its indexes: 33,408 items in an array of 65,536).
 * A smaller tail stays: cutting the 4.6% of list(range(10**6))'s 8 MB
 * array left a process that reads and writes it again and again (the
 * benchmark's) writing it 20-35% slower, its array no longer a size its
 * chunk cache holds. */
#define SHRINK_MAX ((size_t)128 << 10)

int acar__shrink(acar_doc *doc, void **p, size_t old_size, size_t new_size) {
    old_size = ALIGN8(old_size);
    new_size = ALIGN8(new_size);
    if (!*p || new_size >= old_size || new_size < SOLO_MIN) return 0;
    acar_chunk **link = solo_link(doc, *p);
    if (!link) return 0;
    if (old_size > SHRINK_MAX) {
        if (old_size - new_size < old_size / 8) return 0;
        acar_chunk *c = *link;
        size_t old_total = sizeof *c + c->size;
        acar_chunk *nc = doc->alloc.realloc(doc->alloc.ctx, c, old_total, sizeof *c + new_size);
        if (!nc) return 0; /* the block stays as it was, bigger than it needs */
        nc->size = new_size;
        *link = nc;
        doc->used -= old_total - (sizeof *nc + new_size);
        *p = nc + 1;
        return 1;
    }
    size_t total = sizeof(acar_chunk) + new_size;
    acar_chunk *nc = doc->alloc.malloc(doc->alloc.ctx, total);
    if (!nc) {
        acar__doc_fail(doc, ACAR_ERR_NOMEM, "out of memory allocating %zu bytes", total);
        return -1;
    }
    nc->size = new_size;
    *p = solo_move(doc, link, *link, nc, new_size);
    return 1;
}

void *acar__grow(acar_doc *doc, void *p, size_t old_size, size_t new_size) {
    old_size = ALIGN8(old_size);
    new_size = ALIGN8(new_size);
    /* In place only when p is the latest block.  An empty array (old_size
     * 0, as a reader's exact empty list has) may point just past its node,
     * where the latest block can start: that is not p's to take. */
    if (p && old_size && p == doc->last && new_size - old_size <= (size_t)(doc->end - doc->cur)) {
        doc->cur = doc->last + new_size;
        return p;
    }
    acar_chunk **link = p && old_size >= SOLO_MIN ? solo_link(doc, p) : NULL;
    if (link) return solo_grow(doc, link, *link, new_size);
    void *q = new_size >= SOLO_MIN ? solo_new(doc, new_size) : acar__alloc(doc, new_size);
    if (q && p && old_size) memcpy(q, p, old_size);
    return q;
}

acar_val *acar__node(acar_doc *doc, uint64_t tag) {
    acar_val *v = acar__alloc(doc, sizeof *v);
    if (v) {
        v->tag = tag;
        v->u.i = 0;
    }
    return v;
}

/* ---- output buffers ---- */

void acar_buf_free(acar_buf *buf) {
    if (!buf) return;
    free(buf->data);
    buf->data = NULL;
    buf->len = buf->cap = 0;
}

char *acar__out_reserve(acar_out *o, size_t n) {
    if (o->failed) return NULL;
    acar_buf *b = o->buf;
    if (n > b->cap - b->len) {
        if (o->limit && n > o->limit - (b->len < o->limit ? b->len : o->limit)) {
            o->failed = o->over_limit = true;
            return NULL;
        }
        if (n > SIZE_MAX / 2 - b->len) { o->failed = true; return NULL; }
        /* 256 bytes first, then 4 KiB, then four times up to 1 MiB, then
         * twice.  256 bytes come from the C library's per-thread cache,
         * 4 KiB do not: a small value's pickle, marshal or JSON was written
         * 8 ns faster (52 -> 44 ns for {"a": 1}); 256 then four times read
         * the 10 KB outputs 1-6% slower, through two more steps.  Writing
         * mesh.json (706 KB of JSON) into a fresh buffer ran at 609 MB/s
         * through the eight doublings from 4 KiB and at 774 through four
         * steps of four (903 with 1 MiB given up front); most small outputs
         * went 2-7% faster with one step fewer. */
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < n)
            cap *= cap < 4096 ? 16 : cap < ((size_t)1 << 20) ? 4 : 2;
        /* never room past the limit, so that every write past it comes here */
        if (o->limit && cap > o->limit) cap = o->limit;
        char *d = realloc(b->data, cap);
        if (!d) { o->failed = true; return NULL; }
        b->data = d;
        b->cap = cap;
    }
    return b->data + b->len;
}

void *acar__regrow(void *p, const void *inl, size_t old, size_t size) {
    if (!size) return NULL;
    if (p != inl) return realloc(p, size);
    void *q = malloc(size);
    if (q && old) memcpy(q, inl, old < size ? old : size);
    return q;
}

void acar__out_write(acar_out *o, const void *p, size_t n) {
    char *dst = acar__out_reserve(o, n);
    if (!dst) return;
    if (n) memcpy(dst, p, n);
    o->buf->len += n;
}
