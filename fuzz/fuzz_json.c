/*
 * fuzz_json.c -- libFuzzer target for the JSON and JSON Lines readers.
 *
 * The input is read as JSON with each flag set and as JSON Lines.  What
 * must hold: an error has a code, a message and an offset inside the
 * input (and a line and column from 1); what reads prints as repr; the
 * flags only narrow (what STRICT or NO_DUP_KEYS accepts, the default
 * accepts too, with the same repr; what the default accepts,
 * ALLOW_CONTROL and BORROW accept with the same repr); ALLOW_TRAILING
 * accepts whatever the default accepts, consuming the same bytes; and
 * when the JSON writer can write the value, acar reads its output back
 * and writing that again gives the same bytes, and its compact raw UTF-8
 * form reads back as the same value (the same repr); so does the compact
 * form of what BORROW read, whose strs point into the input.  A document
 * reused through acar_doc_reset, after a read of half the input (which
 * mostly fails), reads the input as a new document does, and then, with
 * the keys it kept from those reads, reads it with STRICT as a new
 * document does.
 */
#include "acar.h"
#include "fuzz_fail.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct result {
    bool ok;
    acar_buf repr;
    size_t consumed;
} result;

static acar_doc *new_doc(void) {
    acar_doc_opts o;
    memset(&o, 0, sizeof o);
    o.limits.max_memory = (size_t)256 << 20;
    return acar_doc_new(&o);
}

static void read_one(const uint8_t *data, size_t size, acar_format fmt, uint32_t flags, result *res,
                     acar_doc **keep) {
    memset(res, 0, sizeof *res);
    acar_doc *doc = new_doc();
    if (!doc) return;
    acar_read_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.format = fmt;
    ro.flags = flags;
    acar_err err;
    acar_val *v = acar_read(doc, data, size, &ro, &err);
    if (!v) {
        if (err.code == ACAR_OK || err.msg[0] == '\0') fail("error without code or message");
        if (err.offset > size) fail("error offset past the input");
        if (err.code != ACAR_ERR_NOMEM && err.code != ACAR_ERR_LIMIT && (err.line == 0 || err.column == 0) &&
            strstr(err.msg, "codec") == NULL)
            fail("a syntax error without line and column");
        acar_doc_free(doc);
        return;
    }
    if (ro.consumed > size) fail("consumed past the input");
    res->ok = true;
    res->consumed = ro.consumed;
    acar_write_opts wo;
    memset(&wo, 0, sizeof wo);
    if (acar_write(v, ACAR_FORMAT_REPR, &wo, &res->repr, &err) != 0 && err.code != ACAR_ERR_NOMEM &&
        err.code != ACAR_ERR_LIMIT)
        fail("a value that reads does not print");
    if (keep) *keep = doc;
    else acar_doc_free(doc);
}

static bool same(const result *a, const result *b) {
    return a->repr.len == b->repr.len && memcmp(a->repr.data, b->repr.data, a->repr.len) == 0;
}

/* The compact, raw UTF-8 form (separators (',', ':'), ensure_ascii off,
 * the writer's inline paths for most items) read back must print as the
 * value itself. */
static void compact_trip(acar_val *v) {
    acar_write_opts wo;
    memset(&wo, 0, sizeof wo);
    wo.flags = ACAR_WRITE_NO_ENSURE_ASCII;
    wo.item_sep = ",";
    wo.key_sep = ":";
    acar_buf out = {0}, r1 = {0}, r2 = {0};
    acar_err err;
    acar_doc *d2 = NULL;
    if (acar_write(v, ACAR_FORMAT_JSON, &wo, &out, &err) == 0 &&
        acar_write(v, ACAR_FORMAT_REPR, NULL, &r1, &err) == 0 && (d2 = new_doc()) != NULL) {
        acar_read_opts ro;
        memset(&ro, 0, sizeof ro);
        ro.format = ACAR_FORMAT_JSON;
        acar_val *v2 = acar_read(d2, out.data, out.len, &ro, &err);
        if (!v2 && err.code != ACAR_ERR_NOMEM && err.code != ACAR_ERR_LIMIT)
            fail("acar cannot read the compact JSON it wrote");
        if (v2 && acar_write(v2, ACAR_FORMAT_REPR, NULL, &r2, &err) == 0 &&
            (r1.len != r2.len || memcmp(r1.data, r2.data, r1.len) != 0))
            fail("compact JSON read back is another value");
    }
    acar_doc_free(d2);
    acar_buf_free(&out);
    acar_buf_free(&r1);
    acar_buf_free(&r2);
}

/* JSON out, read back, out again: the two outputs must be equal. */
static void round_trip(acar_doc *doc) {
    acar_val *v = acar_doc_root(doc);
    compact_trip(v);
    acar_buf out1 = {0}, out2 = {0};
    acar_err err;
    if (acar_write(v, ACAR_FORMAT_JSON, NULL, &out1, &err) == 0) {
        acar_doc *d2 = new_doc();
        acar_read_opts ro;
        memset(&ro, 0, sizeof ro);
        ro.format = ACAR_FORMAT_JSON;
        acar_val *v2 = d2 ? acar_read(d2, out1.data, out1.len, &ro, &err) : NULL;
        if (d2 && !v2 && err.code != ACAR_ERR_NOMEM && err.code != ACAR_ERR_LIMIT)
            fail("acar cannot read the JSON it wrote");
        if (v2 && acar_write(v2, ACAR_FORMAT_JSON, NULL, &out2, &err) == 0 &&
            (out1.len != out2.len || memcmp(out1.data, out2.data, out1.len) != 0))
            fail("JSON write, read, write is not a fixpoint");
        acar_doc_free(d2);
    }
    acar_buf_free(&out1);
    acar_buf_free(&out2);
}

/* A read of doc (reset first) with flags: as res says a new document
 * reads it, or failed for memory or a limit. */
static void read_again(acar_doc *doc, const uint8_t *data, size_t size, uint32_t flags, const result *res,
                       const char *rejects, const char *differs) {
    acar_read_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.format = ACAR_FORMAT_JSON;
    ro.flags = flags;
    acar_err err;
    acar_doc_reset(doc);
    acar_val *v = acar_read(doc, data, size, &ro, &err);
    if (!v) {
        if (res->ok && err.code != ACAR_ERR_NOMEM && err.code != ACAR_ERR_LIMIT) fail(rejects);
        return;
    }
    if (!res->ok) fail(differs);
    acar_buf r = {0};
    if (acar_write(v, ACAR_FORMAT_REPR, NULL, &r, &err) == 0 &&
        (r.len != res->repr.len || memcmp(r.data, res->repr.data, r.len) != 0))
        fail(differs);
    acar_buf_free(&r);
}

/* The documented way to read many inputs: one document, acar_doc_reset
 * between reads.  Nothing of the last read, failed or not, may show in
 * the next. */
static void reuse(acar_doc *doc, const uint8_t *data, size_t size, const result *def, const result *strict) {
    acar_read_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.format = ACAR_FORMAT_JSON;
    acar_err err;
    acar_doc_reset(doc);
    (void)acar_read(doc, data, size / 2, &ro, &err);
    read_again(doc, data, size, 0, def, "a reused document rejects what a new one reads",
               "a reused document reads another value");
    read_again(doc, data, size, ACAR_READ_STRICT, strict,
               "a reused document rejects with STRICT what a new one reads",
               "a reused document reads with STRICT what a new one does not, or another value");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    result def, r;
    acar_doc *doc = NULL;
    read_one(data, size, ACAR_FORMAT_JSON, 0, &def, &doc);

    result strict;
    read_one(data, size, ACAR_FORMAT_JSON, ACAR_READ_STRICT, &strict, NULL);
    if (strict.ok && (!def.ok || !same(&strict, &def))) fail("STRICT accepts what the default does not");

    read_one(data, size, ACAR_FORMAT_JSON, ACAR_READ_NO_DUP_KEYS, &r, NULL);
    if (r.ok && (!def.ok || !same(&r, &def))) fail("NO_DUP_KEYS accepts what the default does not");
    acar_buf_free(&r.repr);

    acar_doc *borrowed = NULL;
    read_one(data, size, ACAR_FORMAT_JSON, ACAR_READ_ALLOW_CONTROL | ACAR_READ_BORROW, &r, &borrowed);
    if (def.ok && (!r.ok || !same(&r, &def))) fail("ALLOW_CONTROL rejects what the default accepts");
    acar_buf_free(&r.repr);
    /* the writer must not read past strs that point into the input */
    if (borrowed) compact_trip(acar_doc_root(borrowed));
    acar_doc_free(borrowed);

    read_one(data, size, ACAR_FORMAT_JSON, ACAR_READ_ALLOW_TRAILING, &r, NULL);
    if (def.ok && (!r.ok || !same(&r, &def) || r.consumed != def.consumed))
        fail("ALLOW_TRAILING differs on a complete text");
    acar_buf_free(&r.repr);

    read_one(data, size, ACAR_FORMAT_JSONL, 0, &r, NULL);
    acar_buf_free(&r.repr);

    if (doc) {
        round_trip(doc);
        reuse(doc, data, size, &def, &strict);
        acar_doc_free(doc);
    }
    acar_buf_free(&strict.repr);
    acar_buf_free(&def.repr);
    return 0;
}
