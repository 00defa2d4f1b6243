/*
 * internal.h -- what acar's formats share behind the public header.
 *
 * Node layout (16 bytes, see acar_val in acar.h):
 *   tag bits  0..7   acar_type
 *   tag bits  8..15  flags (meaning per type, ACAR_F_*)
 *   tag bits 16..63  length: bytes of str/bytes/bytearray, items of
 *                    list/tuple/set/frozenset, pairs of dict, limbs of a big int
 *   payload  int64 / double / pointer, per type:
 *     INT        u.i, or (ACAR_F_BIG) u.p -> uint32_t limbs[len]
 *     FLOAT      u.f
 *     COMPLEX    u.p -> double[2]
 *     STR/BYTES/BYTEARRAY  u.s -> len bytes (not terminated)
 *     LIST/TUPLE u.items -> acar_val *[acar__items_cap(v, len)]
 *     DICT/SET/FROZENSET   u.items -> acar_val *[...] (acar_map_index)
 *     GLOBAL     u.p -> acar_global_body
 *     OBJECT     u.p -> acar_object_body (flags: acar_build)
 *     PERSID     u.p -> the pid node
 *     BUFFER     u.p -> acar_buffer_body
 *     DATETIME   u.i: packed fields (value.c), fold in flags
 *
 * Item arrays have room for acar__cap(len) pointers (2 len for a dict), so
 * capacity is never stored: appending reallocates exactly when len reaches
 * a power of two.  A reader that knows the size makes the array exactly
 * that big and marks the node ACAR_F_EXACT; the first append then moves it
 * to a power of two and clears the mark.
 */
#ifndef ACAR_INTERNAL_H
#define ACAR_INTERNAL_H

#include "acar.h"
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#define ACAR_F_BIG   0x01u  /* INT: magnitude in limbs */
#define ACAR_F_NEG   0x02u  /* INT with ACAR_F_BIG: negative */
#define ACAR_F_ASCII 0x01u  /* STR: every byte < 0x80 (repr and writers go fast) */
/* STR: no byte is '"', '\\' or below 0x20, so JSON's raw form
 * (ensure_ascii=False) writes the bytes between quotes as they are.  The
 * JSON reader sets it on the strings it read without escapes, and the str
 * builders (acar_new_str) test for it; other readers leave it clear, and
 * the writer then tests the bytes itself.  A cache of what the bytes are,
 * as ACAR_F_ASCII: strings have no mutators.  Writing the compact form of
 * update-center.json took 20% fewer instructions with it. */
#define ACAR_F_JSON_PLAIN 0x02u
/* STR: the bytes are the document's own copy, in its arena (or the JSON
 * reader's kept keys), so ACAR_ARENA_TAIL bytes after them may be read
 * (acar__str_tail).  Set by the str builders and the JSON reader's key
 * nodes; never on borrowed bytes (ACAR_READ_BORROW, the readers that point
 * into their input). */
#define ACAR_F_TAIL 0x04u
#define ACAR_F_RO    0x01u  /* BUFFER: read-only */
#define ACAR_F_UNHASHABLE 0x01u /* TUPLE: holds an unhashable item, at any depth */
/* LIST/TUPLE/DICT/SET/FROZENSET: the item array holds exactly the items
 * (or pairs) there are, not acar__cap of them; an empty one may have none. */
#define ACAR_F_EXACT 0x04u
#define ACAR_F_BUILD_MASK 0x07u /* OBJECT: the acar_build value */
#define ACAR_F_FOLD  0x01u  /* DATETIME: fold=1 */
/* Any type: exactly one place in the document refers to this node.  A reader
 * sets it on the nodes it memoizes and clears it when a memo reference (GET,
 * DUP) reaches the node again; every public builder that stores a node
 * clears it.  The pickle writer then leaves sole nodes out of its memo
 * table (CPython memoizes them too, but nothing can refer to them twice, so
 * only the PUT index counts). */
#define ACAR_F_SOLE 0x20u
/* STR of one character below 256: the reader met it as the argument of
 * _codecs.encode(str, 'latin1'), or the JSON reader made its one node for
 * that character (json.loads returns CPython's singletons), so in CPython it
 * was the interpreter's shared one-character string, which the writer must
 * memoize by value.  BYTES of one byte: CPython's shared one-byte bytes
 * (what _codecs.encode returns, NumPy's dtype code b'b' in acar's array
 * writer); the writer memoizes those by value too. */
#define ACAR_F_SINGLETON 0x10u
/* INT (not big) and FLOAT: a node the pickle reader shares between places
 * that hold equal numbers, for the memory (a 16-byte node per BINFLOAT or
 * BININT2 is 2-8 times its bytes in the pickle).  In CPython each of those
 * places holds an object of its own, so a writer that asks whether a value
 * is referred to twice (the marshal writer's FLAG_REF) takes each place as
 * one reference, as for ACAR_F_SOLE; nothing clears it.  Numbers have no
 * mutators, so the sharing cannot be seen otherwise.  Where the pickle
 * itself refers to a number twice (PUT or DUP), the reader gives it a node
 * of its own first.  The bit is ACAR_F_SINGLETON's (STR and BYTES only),
 * which the nodes a pickle memoizes seldom have: with ACAR_F_EXACT's, every
 * new list and dict took the type test too (reading twitter.json's pickle
 * +1.1% instructions). */
#define ACAR_F_BYVAL 0x10u
static inline bool acar__byval(const acar_val *v) {
    unsigned t = (unsigned)(v->tag & 0xffu);
    return ((v->tag >> 8) & ACAR_F_BYVAL) && (t == ACAR_INT || t == ACAR_FLOAT);
}
/* Any type: a reader has memoized this node once already, so a second PUT
 * of it must not make it sole again.  (OBJECT's build kind fits in 0x07.) */
#define ACAR_F_PUT 0x08u

/* A node is being stored in one more place: it is no longer sole. */
static inline void acar__stored(acar_val *v) {
    if (v) v->tag &= ~((uint64_t)ACAR_F_SOLE << 8);
}
/* Whether v makes a tuple holding it unhashable: a list, dict, set or
 * bytearray, or a tuple marked so.  Tuples are immutable, so every maker of
 * a tuple (builders and readers) sets ACAR_F_UNHASHABLE when it is made,
 * and the question never walks a tuple graph. */
static inline bool acar__unhashable(const acar_val *v) {
    switch (v->tag & 0xffu) {
    case ACAR_LIST: case ACAR_DICT: case ACAR_SET: case ACAR_BYTEARRAY:
        return true;
    case ACAR_TUPLE:
        return ((v->tag >> 8) & ACAR_F_UNHASHABLE) != 0;
    default:
        return false;
    }
}
/* The type an unhashable v is refused for, as CPython names it: the first
 * unhashable item inside a tuple, at any depth. */
const char *acar__unhashable_name(const acar_val *v);

/* Marshal marks: set by the marshal reader, used by its writer so that what
 * acar reads it writes back byte for byte (docs/marshal.md).  Bits 0x40 and
 * 0x80 are the marshal layer's; other code must test flags with masks. */
#define ACAR_F_MREF    0x80u /* any type: read with FLAG_REF */
#define ACAR_F_MINTERN 0x40u /* STR (Python 3) or BYTES (Python 2 't'): read as interned */
#define ACAR_F_MLONG   0x40u /* INT that fits int64: read as TYPE_LONG */
#define ACAR_F_MORDER  0x40u /* SET/FROZENSET: items in the order read, written back so */

#define ACAR_TAG(type, flags, len) \
    ((uint64_t)(type) | ((uint64_t)(flags) << 8) | ((uint64_t)(len) << 16))
#define ACAR_TYPE(v) ((acar_type)((v)->tag & 0xffu))
#define ACAR_FLAGS(v) ((unsigned)(((v)->tag >> 8) & 0xffu))
#define ACAR_LEN(v) ((size_t)((v)->tag >> 16))
#define ACAR_MAX_LEN (((uint64_t)1 << 48) - 1)

static inline void acar__set_len(acar_val *v, size_t len) {
    v->tag = (v->tag & 0xffffu) | ((uint64_t)len << 16);
}

/* Capacity of an item array that holds len items. */
static inline size_t acar__cap(size_t len) {
    size_t c = 4;
    while (c < len) c <<= 1;
    return c;
}

/* Capacity of container v's item array, which holds n pointers. */
static inline size_t acar__items_cap(const acar_val *v, size_t n) {
    return ((v->tag >> 8) & ACAR_F_EXACT) ? n : acar__cap(n);
}

/* DICT, SET and FROZENSET: u.items is the item array (dict: key, value,
 * key, value ...; sets: items).  A map of up to ACAR_MAP_SCAN_MAX items
 * has no index: finding a key scans the items.  Past that, the map has
 * ACAR_F_INDEXED and an acar_map_index just before its items: index_cap
 * (acar__index_cap) slots, at most half of them used, each holding an item
 * (dict: pair) position + 1 or 0 when empty, probed linearly from
 * acar__hash(key) & (index_cap - 1).  A slot is as wide as its largest
 * value needs, as in CPython's dicts: one byte up to 256 slots, two up to
 * 65536, else four (twitter.json's indexes took 134 KB at four bytes a
 * slot, 15% of its pickle's document).  Small maps carry nothing but their
 * items: a header of their own was 24 bytes a dict, 0.6-1.0 times the
 * pickle's size for the small dicts of citm_catalog and instruments.
 * The slots may share a block with the header and items only before the
 * header: growing the items in place must not run over them. */
typedef struct acar_map_index {
    void *slots;
    size_t cap;
} acar_map_index;

#define ACAR_F_INDEXED 0x02u /* DICT/SET/FROZENSET: an acar_map_index precedes the items */
#define ACAR_MAP_SCAN_MAX 8

static inline acar_map_index *acar__map_index(const acar_val *v) {
    return ((v->tag >> 8) & ACAR_F_INDEXED) ? (acar_map_index *)(void *)v->u.items - 1 : NULL;
}

/* DICT with ACAR_F_SPLIT: its keys are in an acar_keys table that other
 * dicts with the same keys in the same order share, as CPython's
 * split-table dicts share theirs.  u.items then holds the values only,
 * exactly len of them, and the word before them holds the table's
 * address.  A split dict has no index of its own (the table's serves all
 * of them: a key's position is the same in each) and is never grown: a
 * new key first gives it pairs of its own (value.c).  The pickle reader
 * makes split dicts (acar__str_dict_fill; docs/value-model.md says why the
 * others do not); everything else reads a dict's pairs through
 * acar__pairs, acar__dict_key, acar__dict_val or acar__child, whatever its
 * form.  Of the JSON-derived pickles, the dict pairs of citm_catalog and
 * tree-pretty were a third to a half of their documents' memory. */
#define ACAR_F_SPLIT 0x01u
typedef struct acar_keys {
    acar_map_index index; /* cap 0: none, keys scanned (as a map's) */
    size_t n;
    acar_val *key[];
} acar_keys;

static inline bool acar__is_split(const acar_val *d) {
    return ((d->tag >> 8) & ACAR_F_SPLIT) != 0;
}
/* The keys of a split dict d (not for other dicts). */
static inline const acar_keys *acar__split_keys(const acar_val *d) {
    const acar_keys *t;
    memcpy(&t, d->u.items - 1, sizeof t);
    return t;
}
/* The pairs of dict d, either form: key i at keys[i * stride], value i at
 * vals[i * stride]. */
typedef struct acar_pairs {
    acar_val *const *keys;
    acar_val **vals;
    size_t stride;
} acar_pairs;
static inline acar_pairs acar__pairs(const acar_val *d) {
    acar_pairs p;
    if (acar__is_split(d)) {
        p.keys = acar__split_keys(d)->key;
        p.vals = d->u.items;
        p.stride = 1;
    } else {
        p.keys = d->u.items;
        p.vals = d->u.items + 1;
        p.stride = 2;
    }
    return p;
}
static inline acar_val *acar__dict_key(const acar_val *d, size_t i) {
    return acar__is_split(d) ? acar__split_keys(d)->key[i] : d->u.items[2 * i];
}
static inline acar_val *acar__dict_val(const acar_val *d, size_t i) {
    return acar__is_split(d) ? d->u.items[i] : d->u.items[2 * i + 1];
}
/* The node at position i of a container's items seen as one array of
 * children, as walkers that treat keys and values alike see them: item i
 * of a list, tuple or set; of a dict of n pairs, key i / 2 for even i and
 * value i / 2 for odd i (2 n children). */
static inline acar_val *acar__child(const acar_val *v, size_t i) {
    if ((v->tag & 0xffu) == ACAR_DICT) return (i & 1) ? acar__dict_val(v, i >> 1) : acar__dict_key(v, i >> 1);
    return v->u.items[i];
}

/* A reader's table of the dict shapes it has met (the keys of a dict, in
 * order, as the addresses of their nodes: a reader's repeated keys are
 * one node), direct-mapped by a hash of those addresses.  A slot holds
 * either the first dict of its shape, still in pairs, or the acar_keys
 * that the second one made of the first's keys and that both, and every
 * later one, share.  Slots in use are marked in a bitmap, so the table
 * needs no clearing per read. */
#define ACAR_SHAPES 128
#define ACAR_SHAPES_SHIFT 57  /* a slot from a hash's top 7 bits */
typedef struct acar_shapes {
    uint64_t used[ACAR_SHAPES / 64];
    struct {
        uint64_t hash;
        acar_val *first;  /* NULL once keys is made */
        acar_keys *keys;
    } slot[ACAR_SHAPES];
} acar_shapes;

/* Slots of the index of a map of n items: 0 (none), or the least power of
 * two of at least 16 and 2 n. */
static inline size_t acar__index_cap(size_t n) {
    if (n <= ACAR_MAP_SCAN_MAX) return 0;
    size_t cap = 16;
    while (cap < 2 * n) cap <<= 1;
    return cap;
}

static inline size_t acar__index_bytes(size_t cap) {
    return cap <= 256 ? cap : cap <= 65536 ? 2 * cap : 4 * cap;
}

static inline uint32_t acar__index_get(const void *index, size_t cap, size_t s) {
    if (cap <= 256) return ((const uint8_t *)index)[s];
    if (cap <= 65536) return ((const uint16_t *)index)[s];
    return ((const uint32_t *)index)[s];
}

static inline void acar__index_put(void *index, size_t cap, size_t s, uint32_t e) {
    if (cap <= 256) ((uint8_t *)index)[s] = (uint8_t)e;
    else if (cap <= 65536) ((uint16_t *)index)[s] = (uint16_t)e;
    else ((uint32_t *)index)[s] = e;
}

typedef struct acar_global_body {
    acar_val *module;
    acar_val *name;
} acar_global_body;

typedef struct acar_object_body {
    acar_val *callable;
    acar_val *args;
    acar_val *kwargs;
    acar_val *state;
    acar_val *listitems;
    acar_val *dictitems;
} acar_object_body;

typedef struct acar_buffer_body {
    const uint8_t *data;
    size_t len;
    long oob;             /* index of the caller's buffer, or -1 */
} acar_buffer_body;

/* ---- the document ---- */

typedef struct acar_chunk {
    struct acar_chunk *next;
    size_t size;          /* bytes after the header */
    bool solo;            /* holds one block that grows by realloc (acar__grow) */
} acar_chunk;

struct acar_doc {
    acar_alloc alloc;
    acar_limits limits;
    acar_chunk *chunks;   /* newest first */
    acar_chunk *spare;    /* kept by acar_doc_reset, not yet filled again */
    char *cur, *end;      /* free space in the newest chunk */
    char *last;           /* start of the latest allocation (for growing in place) */
    size_t used;          /* bytes taken from the allocator */
    size_t arena;         /* of which in the chunks acar__alloc fills (not
                           * the blocks acar__grow gives chunks of their own) */
    size_t next_chunk;    /* size of the next chunk */
    size_t chunk_cap;     /* next_chunk doubles up to this (64 MiB; the
                           * allocation-failure test makes chunks tiny) */
    size_t read_cap;      /* and up to this, set from each read's input size
                           * (acar__arena_fit) */
    /* The read in progress, for sizing its last chunks (acar__alloc_chunk):
     * its input's length (0: no read, or one that reports no progress),
     * the bytes of it read at the reader's last report, and the arena's
     * content (acar__arena_content) at the read's start and at that
     * report. */
    size_t read_len, read_done, read_base, read_made;
    acar_val *root;
    /* What the JSON reader keeps for the next read through acar_doc_reset
     * (its key memo: read.c), and its hook, called by acar_doc_reset
     * (freeing false: it may let it go there) and by acar_doc_free; and
     * whether a JSON read was made, so that only a second read sets it up. */
    void *kept;
    void (*kept_hook)(acar_doc *doc, bool freeing);
    bool json_read;
    acar_val none, true_, false_, ellipsis, stopiter;
    acar_err err;         /* sticky builder error */
};

/* Hot loops whose speed hung on where the linker put them: on this
 * project's AMD EPYC machine (gcc 12), the pickle writer's number loop
 * wrote ints_1e6 up to 50% slower, and the pickle reader's loop read
 * floats_1e5 10% slower, when their functions began on a 64-byte line,
 * and a change anywhere in the library moved them.  ACAR_LINE_ALIGNED puts
 * such a function on a line of its own, and ACAR_SKIP_BYTES(n), its first
 * statement, shifts its body by n bytes of no-ops run once per call, so
 * that the loops sit where they were measured in every build. */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define ACAR_LINE_ALIGNED __attribute__((aligned(64)))
#define ACAR_SKIP_BYTES(n) __asm__ volatile(".skip " #n ", 0x90")
#else
#define ACAR_LINE_ALIGNED
#define ACAR_SKIP_BYTES(n) ((void)0)
#endif

/* Every block the arena gives out (acar__alloc, acar__alloc_bytes,
 * acar__alloc_text, acar__grow in a shared chunk) is followed by at least
 * this many bytes of its chunk: a chunk's last ACAR_ARENA_TAIL bytes are
 * never given out (ACAR_F_TAIL). */
#define ACAR_ARENA_TAIL 32
/* Whether ACAR_ARENA_TAIL bytes from the start of str v's bytes may be read,
 * past their end: they are the document's, right after v's node (where
 * the readers put a str's bytes, in one arena block with it) or flagged
 * ACAR_F_TAIL.  A fixed-size copy of a short str then takes no branch on
 * its length (the JSON writer).  The first test needs no flag on the JSON
 * reader's strs, whose tags it makes on its hottest path. */
static inline bool acar__str_tail(const acar_val *v) {
    return v->u.s == (const char *)(v + 1) || ((v->tag >> 8) & ACAR_F_TAIL);
}

/* Arena allocation, 8-byte aligned; NULL after recording ACAR_ERR_NOMEM or
 * ACAR_ERR_LIMIT (max_memory) on the doc.  The fast path is inline: readers
 * call it once per node (a call each was 12% of reading citm_catalog). */
void *acar__alloc_chunk(acar_doc *doc, size_t size);
/* Bounds the chunks a read of input bytes adds (SIZE_MAX: no bound), and
 * sizes a new document's first chunk for the expect bytes it should take. */
void acar__arena_fit(acar_doc *doc, size_t input, size_t expect);
/* Bytes of the arena taken so far: the chunks acar__alloc fills, but the
 * free space of the one being filled.  Not the arrays in chunks of their
 * own: they grow by doubling, out of step with the input read. */
static inline size_t acar__arena_content(const acar_doc *doc) {
    return doc->arena - (size_t)(doc->end - doc->cur);
}
/* A reader's report that it has read done bytes of its input: the arena
 * then sizes the chunks the rest of the read needs from what the read took
 * so far, so that the last one is not left mostly empty.  Readers report
 * every few KiB, off their hot paths. */
static inline void acar__read_progress(acar_doc *doc, size_t done) {
    doc->read_done = done;
    doc->read_made = acar__arena_content(doc);
}
/* Where a reader at p of an input of len bytes ending at end next reports
 * its progress: 4 KiB on, or a sixteenth of an input under 64 KiB (256
 * bytes up), or end. */
static inline const uint8_t *acar__next_report(const uint8_t *p, const uint8_t *end, size_t len) {
    size_t step = len / 16 < 256 ? 256 : len / 16 < 4096 ? len / 16 : 4096;
    return (size_t)(end - p) > step ? p + step : end;
}
static inline void *acar__alloc(acar_doc *doc, size_t size) {
    size = (size + 7) & ~(size_t)7;
    if (size == 0) size = 8;
    if (size <= (size_t)(doc->end - doc->cur)) {
        doc->last = doc->cur;
        doc->cur += size;
        return doc->last;
    }
    return acar__alloc_chunk(doc, size);
}
/* Bytes of any alignment (str and bytes contents) from the end of the
 * chunk being filled, so that they take no padding while nodes and item
 * arrays fill it 8-byte aligned from the front.  NULL as acar__alloc. */
void *acar__alloc_bytes_chunk(acar_doc *doc, size_t len);
static inline char *acar__alloc_bytes(acar_doc *doc, size_t len) {
    if (len <= (size_t)(doc->end - doc->cur)) {
        doc->end -= len;
        return doc->end;
    }
    return acar__alloc_bytes_chunk(doc, len);
}
/* A node (untagged) and len bytes for its contents in *bytes.  Up to 64
 * bytes, node from the front and bytes from the back of the chunk being
 * filled (one test): the bytes then take no padding, which was 0.09-0.13
 * of the pickle's size for the Google Maps and twitter_api files.  Longer
 * ones right after the node, where the padding is small beside them: from
 * the back too, they read gsoc-2018's pickle 13% slower.  NULL as
 * acar__alloc. */
static inline acar_val *acar__alloc_text(acar_doc *doc, size_t len, char **bytes) {
    if (len > 64) {
        acar_val *v = len <= SIZE_MAX - sizeof(acar_val) ? acar__alloc(doc, sizeof(acar_val) + len) : NULL;
        *bytes = v ? (char *)(v + 1) : NULL;
        return v;
    }
    if (len + sizeof(acar_val) <= (size_t)(doc->end - doc->cur)) {
        doc->last = doc->cur;
        doc->cur += sizeof(acar_val);
        doc->end -= len;
        *bytes = doc->end;
        return (acar_val *)(void *)doc->last;
    }
    acar_val *v = acar__alloc(doc, sizeof(acar_val));
    *bytes = v ? acar__alloc_bytes(doc, len) : NULL;
    return *bytes ? v : NULL;
}
/* Grows a block made by acar__alloc or by an earlier acar__grow: in place
 * when it is the latest one; from 16 KiB on in a chunk of its own that later
 * growth reallocates (nothing left behind, no copy where realloc can move
 * pages). */
void *acar__grow(acar_doc *doc, void *p, size_t old_size, size_t new_size);
/* Shrinks block *p of size old_size to new_size when it has a chunk of its
 * own and stays at least 16 KiB (past 128 KiB by the allocator's realloc,
 * in place where it can): 1 when done (*p may then be a new block), 0 when
 * *p is left as it was, -1 when the allocator fails. */
int acar__shrink(acar_doc *doc, void **p, size_t old_size, size_t new_size);
/* A block the document holds through acar_doc_reset (doc->kept's), counted
 * in acar_doc_memory and against max_memory: p of old bytes grown or shrunk
 * to size (p NULL: a new one; size 0: freed).  NULL when out of memory or
 * past max_memory, p untouched. */
void *acar__kept_block(acar_doc *doc, void *p, size_t old, size_t size);
/* A reader's scratch memory (stacks, tables; freed before it returns):
 * resizes block p, held at old bytes, to size bytes; size 0 frees it.  p
 * NULL, or p == inl (the reader's inline storage, which stays where it
 * is), makes a new block holding what fits of p's old bytes.  *held, the
 * scratch the reader holds, is checked with the document's memory against
 * max_memory and kept up to date.  NULL on failure with *why
 * ACAR_ERR_LIMIT or ACAR_ERR_NOMEM, p unchanged.  Big blocks are kept for
 * the next read like the arena's chunks. */
void *acar__scratch(acar_doc *doc, size_t *held, void *p, const void *inl, size_t old, size_t size,
                    acar_code *why);
/* Frees scratch block p of size bytes (acar__scratch with size 0), with no
 * call for one never made (NULL) or still the reader's inline storage inl:
 * a tiny text's JSON read had made five such calls, a tenth of its time. */
static inline void acar__scratch_free(acar_doc *doc, size_t *held, void *p, const void *inl, size_t size) {
    if (p && p != inl) (void)acar__scratch(doc, held, p, inl, size, 0, NULL);
}
/* The message of ACAR_ERR_LIMIT when the document (its arena, a reader's
 * scratch, expat's memory) would pass max_memory; its argument is the
 * limit, a size_t. */
#define ACAR_MAX_MEMORY_MSG "document memory limit of %zu bytes exceeded (max_memory)"

/* A new node with the given tag (payload zeroed). */
acar_val *acar__node(acar_doc *doc, uint64_t tag);

/* A str node over bytes already known valid (copied unless borrow). */
acar_val *acar__str(acar_doc *doc, acar_type t, const char *s, size_t len, bool borrow);
/* A tuple/list node taking n items (copied). */
acar_val *acar__seq(acar_doc *doc, acar_type t, acar_val *const *items, size_t n);
/* Append without any check beyond memory (lists, sets without dedupe). */
int acar__seq_push(acar_doc *doc, acar_val *seq, acar_val *item);
/* Appends many items (n may be 0) to a list.  last: the reader expects no
 * more (the array then holds exactly the items when it has to grow, or
 * when acar__shrink takes it). */
int acar__list_extend(acar_doc *doc, acar_val *list, acar_val *const *items, size_t n, bool last);
/* A dict/set/frozenset node, empty. */
acar_val *acar__map(acar_doc *doc, acar_type t);
/* A new item array for map with room for cap pointers, and when icap an
 * index of icap slots, all zero (acar_map_index: slots, header, items in
 * one block): sets map's items and ACAR_F_INDEXED (or clears it).  NULL
 * when the allocation fails, the map unchanged. */
acar_val **acar__map_alloc(acar_doc *doc, acar_val *map, size_t cap, size_t icap);
/* The bytes a map's block holds before its items: the slots of an index
 * of icap slots and its acar_map_index, or none when icap is 0. */
static inline size_t acar__map_head_bytes(size_t icap) {
    return icap ? acar__index_bytes(icap) + sizeof(acar_map_index) : 0;
}
/* Lays out slots, header and items from block, which has room for
 * acar__map_head_bytes(icap) and the items: zeroes the slots, fills the
 * header and returns where the items go.  (Readers that build a map in a
 * block of their own; the map gets ACAR_F_INDEXED when icap.) */
static inline acar_val **acar__map_place(char *block, size_t icap) {
    acar_val **items = (acar_val **)(void *)(block + acar__map_head_bytes(icap));
    if (icap) {
        memset(block, 0, acar__index_bytes(icap));
        acar_map_index *mi = (acar_map_index *)(void *)items - 1;
        mi->slots = block;
        mi->cap = icap;
    }
    return items;
}

/* datetime.datetime's pickled state (the 10 bytes of _getstate(): year
 * big-endian, month with fold in bit 7 from protocol 4, day, hour, minute,
 * second, microsecond big-endian): to fields (0, or -1 when invalid), and
 * from a DATETIME node. */
int acar__datetime_from_state(const uint8_t *s, size_t n, acar_datetime *dt);
void acar__datetime_state(const acar_val *v, uint8_t out[10], bool with_fold);

/* Validates UTF-8 as CPython's surrogatepass decoder accepts it.  Returns
 * the length if valid, else the offset of the first bad byte with *bad set. */
size_t acar__utf8_check(const char *s, size_t len, bool *bad, bool *ascii);

/* The offset of the first surrogate (ED A0..BF) in the valid UTF-8
 * s[0..n), or n: text CPython's strict UTF-8 codec refuses (0xed can lead
 * a character only there). */
static inline size_t acar__utf8_find_surrogate(const uint8_t *s, size_t n) {
    for (size_t i = 0; i + 1 < n; i++)
        if (s[i] == 0xed && s[i + 1] >= 0xa0) return i;
    return n;
}

/* Whether s[0..n) is UTF-8 as CPython's surrogatepass decoder accepts it
 * (no overlong forms, nothing past U+10FFFF, lone surrogates allowed);
 * *ascii says whether every byte is below 0x80.  The readers' fast check;
 * acar__utf8_check finds where bad text goes wrong.  (Byte by byte, the
 * check was a third of reading twitter.json's marshal.) */
extern const uint64_t acar__u8_rows[256];
/* The check from the first non-ASCII byte on (s[0] >= 0x80); avail >= n
 * bytes from s may be read (the check is quicker when 16 past the text's
 * last whole block can be). */
bool acar__utf8_valid_rest(const uint8_t *s, size_t n, size_t avail);
/* The same without SIMD (what other CPUs run; tested against the above). */
bool acar__utf8_valid_rest_portable(const uint8_t *s, size_t n);
/* Whether any of the 8 bytes in x is below 0x20, '"' or '\\' (and, with
 * ascii, DEL or >= 0x80): a byte JSON's writer escapes.  Each test is exact
 * about "some byte": the bit tricks only misplace which byte (a borrow can
 * flag a byte past a true one), so a caller that needs the place goes byte
 * by byte. */
static inline bool acar__json_word_dirty(uint64_t x, bool ascii) {
    const uint64_t ones = 0x0101010101010101ull;
    uint64_t t = (x - ones * 0x20) & ~x;
    uint64_t q = x ^ (ones * '"');
    t |= (q - ones) & ~q;
    q = x ^ (ones * '\\');
    t |= (q - ones) & ~q;
    if (ascii) {
        q = x ^ (ones * 0x7f);
        t |= x | ((q - ones) & ~q);
    }
    return (t & 0x8080808080808080ull) != 0;
}
/* Whether no byte of s[0..n) is '"', '\\' or below 0x20 (ACAR_F_JSON_PLAIN). */
bool acar__json_plain(const uint8_t *s, size_t n);
/* Length of the ASCII run at the start of s[0..n), eight bytes at a time. */
static inline size_t acar__ascii_prefix(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080ull) break;
        i += 8;
    }
    while (i < n && s[i] < 0x80) i++;
    return i;
}
static inline bool acar__utf8_valid(const uint8_t *s, size_t n, bool *ascii) {
    size_t i = acar__ascii_prefix(s, n); /* inline: most text is ASCII */
    *ascii = i == n;
    return i == n || acar__utf8_valid_rest(s + i, n - i, n - i);
}

/* Records the first error on the doc (sticky).  Returns NULL for tail calls. */
void *acar__doc_fail(acar_doc *doc, acar_code code, const char *fmt, ...);
/* Fills err (if not NULL) with code, offset and a formatted message. */
void acar__err_set(acar_err *err, acar_code code, size_t offset, const char *fmt, ...);
/* No error in *err (NULL: nothing): its fields cleared and its message
 * empty, not all 160 bytes of it (that memset was a tenth of reading a
 * tiny pickle). */
static inline void acar__err_clear(acar_err *err) {
    if (!err) return;
    err->code = ACAR_OK;
    err->offset = err->line = err->column = 0;
    err->msg[0] = '\0';
}
void acar__err_vset(acar_err *err, acar_code code, size_t offset, const char *fmt, va_list ap);

/* A 64-bit finaliser (every input bit reaches every output bit) and a
 * hash of bytes built on it: for acar's own hash tables, not Python's
 * hash() (pyhash.h). */
static inline uint64_t acar__mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

/* Bit i of a bit array: the readers' and writers' "made yet?" and "in
 * use?" marks, cleared a few words at a time instead of a table of
 * pointers. */
static inline bool acar__bit_get(const uint64_t *bits, size_t i) { return (bits[i >> 6] >> (i & 63)) & 1; }
static inline void acar__bit_set(uint64_t *bits, size_t i) { bits[i >> 6] |= (uint64_t)1 << (i & 63); }

/* n <= 16 bytes as two words read from the two ends, overlapping, never a
 * byte outside s; with n they determine the bytes.  Mixed by two
 * independent products: the top bits depend on every byte (the JSON
 * reader's key memo takes its slot from them), the low ones need the
 * finaliser. */
static inline uint64_t acar__hash_short_raw(const char *s, size_t n) {
    uint64_t a, b = 0;
    if (n >= 8) {
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
    } else if (n >= 4) {
        uint32_t x, y;
        memcpy(&x, s, 4);
        memcpy(&y, s + n - 4, 4);
        a = (uint64_t)x << 32 | y;
    } else {
        const unsigned char *u = (const unsigned char *)s;
        a = n ? (uint64_t)u[0] << 16 | (uint64_t)u[n / 2] << 8 | u[n - 1] : 0;
    }
    return ((a ^ n) * 0x9e3779b97f4a7c15ull) ^ (b * 0xbf58476d1ce4e5b9ull);
}

/* More than 16 bytes: a product per word, and the last word (overlapping
 * the one before) through a finaliser, so that the low bits, which acar's
 * tables take their slots from, depend on every byte.  Inline for the JSON
 * reader's key memo, whose probe hash of a key is this, so a new key's
 * hash costs nothing more (acar__hash through a call was 6% of reading the
 * 15 KB twitter_api_response.json); acar__hash_long for the rest. */
static inline uint64_t acar__hash_long_inline(const char *s, size_t n) {
    uint64_t a, h = 0x9e3779b97f4a7c15ull ^ n;
    const char *last = s + n - 8;
    while (s < last) {
        memcpy(&a, s, 8);
        h = (h ^ a) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
        s += 8;
    }
    memcpy(&a, last, 8);
    h ^= a;
    h ^= h >> 32;
    h *= 0x94d049bb133111ebull;
    return h ^ (h >> 29);
}
uint64_t acar__hash_long(const char *s, size_t n);

/* The hash of n bytes (str and bytes keys), inline: every reader's key
 * path calls it.  Up to 16 bytes, as most keys are, acar__hash_short_raw
 * and the finaliser, where a loop of dependent products and a
 * variable-length tail made reading pickles 3-5% slower. */
static inline uint64_t acar__hash_bytes(const char *s, size_t n) {
    return n <= 16 ? acar__mix64(acar__hash_short_raw(s, n)) : acar__hash_long(s, n);
}

/* n bytes from s to d for the short strings most keys and values are:
 * up to 64 bytes as two overlapping copies of a fixed size from the two
 * ends (never a byte outside either), instead of a call to memcpy.  8 to
 * 16 bytes, where most keys fall, are tested first: testing 16 to 32
 * first read strs_1e5 (lengths 1 to 16 at random) 7% slower. */
static inline void acar__copy_short(void *d, const void *s, size_t n) {
    char *o = (char *)d;
    const char *i = (const char *)s;
    if (n >= 8 && n <= 16) {
        memcpy(o, i, 8);
        memcpy(o + n - 8, i + n - 8, 8);
    } else if (n > 16 && n <= 32) {
        memcpy(o, i, 16);
        memcpy(o + n - 16, i + n - 16, 16);
    } else if (n > 32 && n <= 64) {
        memcpy(o, i, 32);
        memcpy(o + n - 32, i + n - 32, 32);
    } else if (n >= 4 && n < 8) {
        memcpy(o, i, 4);
        memcpy(o + n - 4, i + n - 4, 4);
    } else if (n > 0 && n < 4) {
        o[0] = i[0];
        o[n / 2] = i[n / 2];
        o[n - 1] = i[n - 1];
    } else if (n) {
        memcpy(o, i, n);
    }
}

/* Python's hash-compatible equality helpers. */
uint64_t acar__hash(const acar_val *v);

/* acar__hash of dict keys, cached by node for one read: formats memoize
 * their keys (pickle's BINGET, marshal's REF), so the same few key nodes come
 * back for every dict (twitter.json: 13,000 BINGETs of 4,500 strings), and
 * each is hashed once, as CPython caches str hashes. */
#define ACAR_HASH_CACHE 512
typedef struct acar_hash_cache {
    bool ready;           /* slots initialised */
    struct { const acar_val *key; uint64_t hash; } slot[ACAR_HASH_CACHE];
} acar_hash_cache;

/* Two ways a set, the last used first: direct-mapped, two key nodes 8 KiB
 * apart evicted each other for the whole read, and where the arena put
 * twitter.json's keys decided whether hashing took 0.4% or 3.4% of reading
 * its pickle. */
static inline uint64_t acar__hash_cached(acar_hash_cache *c, const acar_val *k) {
    if (!c->ready) {
        memset(c->slot, 0, sizeof c->slot);
        c->ready = true;
    }
    size_t i = ((uintptr_t)k >> 4) % (ACAR_HASH_CACHE / 2) * 2;
    if (c->slot[i].key == k) return c->slot[i].hash;
    uint64_t h;
    if (c->slot[i + 1].key == k) h = c->slot[i + 1].hash;
    else h = acar__hash(k);
    c->slot[i + 1] = c->slot[i];
    c->slot[i].key = k;
    c->slot[i].hash = h;
    return h;
}

/* Two str nodes with the same text. */
static inline bool acar__same_str(const acar_val *a, const acar_val *b) {
    size_t n = ACAR_LEN(a);
    if (a == b) return true;
    if (ACAR_LEN(b) != n) return false;
    if (n == 0) return true;
    if (a->u.s[0] != b->u.s[0]) return false;
    return memcmp(a->u.s, b->u.s, n) == 0;
}

/* Fills dict, new and empty, with the np pairs kv, keys all str, in an
 * item array of room >= 2 np pointers that it allocates with the index of
 * acar__index_cap(np) slots (acar__map_alloc), keys hashed through hc.  A
 * repeated key keeps its first place and takes the last value, as in
 * acar_dict_set.  Sets the dict's length and returns it, or SIZE_MAX when
 * the array could not be allocated (the document's error says why).  The
 * pickle and marshal readers' dicts of str keys.  With shapes (not NULL),
 * a dict of np >= 2 distinct keys with the same keys in the same order as
 * an earlier one of the read shares their table with it (ACAR_F_SPLIT). */
size_t acar__str_dict_fill(acar_doc *doc, acar_hash_cache *hc, acar_shapes *shapes, acar_val *dict,
                           size_t room, acar_val *const *kv, size_t np);

/* ---- output buffers with a sticky failure flag ---- */

typedef struct acar_out {
    acar_buf *buf;
    bool failed;
    bool over_limit;      /* failed because buf would pass limit */
    size_t limit;         /* most bytes buf may hold; 0: no limit */
} acar_out;

/* Makes room for n more bytes and returns where they go, or NULL (sticky). */
char *acar__out_reserve(acar_out *o, size_t n);
void acar__out_write(acar_out *o, const void *p, size_t n);

/* A writer's block p of old bytes grown to size bytes, from the C
 * library: moved out of the writer's own storage inl (p == inl: copied),
 * else realloc'd.  NULL when out of memory or size is 0, p untouched. */
void *acar__regrow(void *p, const void *inl, size_t old, size_t size);
static inline void acar__out_byte(acar_out *o, char c) {
    if (o->buf->len < o->buf->cap) o->buf->data[o->buf->len++] = c;
    else acar__out_write(o, &c, 1);
}
static inline void acar__out_str(acar_out *o, const char *s) { acar__out_write(o, s, strlen(s)); }

/* ---- format entry points (each format's own file) ---- */

acar_val *acar__pickle_read(acar_doc *doc, const uint8_t *data, size_t len,
                            acar_read_opts *opts, acar_err *err);
int acar__pickle_write(const acar_val *v, const acar_write_opts *opts, acar_out *out, acar_err *err);
/* For int, float, str, bytes and bytearray nodes the printer reads only the
 * node's tag and payload: a caller may pass a node built on its stack (dis.c
 * does). */
int acar__repr_write(const acar_val *v, const acar_write_opts *opts, acar_out *out, acar_err *err);

/* JSON (src/json): json.loads / json.dumps; JSONL: one value per line, the
 * document a list of them. */
acar_val *acar__json_read(acar_doc *doc, const uint8_t *data, size_t len,
                          acar_read_opts *opts, acar_err *err);
acar_val *acar__jsonl_read(acar_doc *doc, const uint8_t *data, size_t len,
                           acar_read_opts *opts, acar_err *err);
/* Which build of the JSON reader reads: "avx2" or "baseline" (read.c). */
const char *acar__json_reader_isa(void);
int acar__json_write(const acar_val *v, const acar_write_opts *opts, acar_out *out, acar_err *err);
int acar__jsonl_write(const acar_val *v, const acar_write_opts *opts, acar_out *out, acar_err *err);

/* XML-RPC and plists (src/xml): xmlrpc.client.loads/dumps, plistlib. */
acar_val *acar__xmlrpc_read(acar_doc *doc, const uint8_t *data, size_t len,
                            acar_read_opts *opts, acar_err *err);
int acar__xmlrpc_write(const acar_val *v, const acar_write_opts *opts, acar_out *out, acar_err *err);
acar_val *acar__plist_read(acar_doc *doc, const uint8_t *data, size_t len,
                           acar_read_opts *opts, acar_err *err);
int acar__plist_write(const acar_val *v, const acar_write_opts *opts, acar_out *out, acar_err *err);
acar_val *acar__bplist_read(acar_doc *doc, const uint8_t *data, size_t len,
                            acar_read_opts *opts, acar_err *err);
int acar__bplist_write(const acar_val *v, const acar_write_opts *opts, acar_out *out, acar_err *err);

/* Limits with defaults filled in. */
void acar__limits_fill(acar_limits *dst, const acar_limits *src);

#endif
