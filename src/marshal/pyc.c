/*
 * pyc.c -- .pyc files: the header of every Python version, the magic
 * number table (pyc_magic.h), the source hash of hash-based pycs, and the
 * marshal body read and written in its Python's dialect.
 *
 * Header (all integers little-endian):
 *   up to 3.2   magic(2) "\r\n" mtime(4)                          8 bytes
 *   3.3 - 3.6   magic(2) "\r\n" mtime(4) source_size(4)           12 bytes
 *   3.7+        magic(2) "\r\n" flags(4), then                    16 bytes
 *                 flags 0:      mtime(4) source_size(4)
 *                 flags 1 or 3: SipHash of the source(8) (PEP 552;
 *                               bit 1: importlib checks it)
 * then marshal.dumps(code) of that Python (version 4 for 3.x, 2 for 2.7).
 * importlib rejects flags with other bits set; so does acar.
 */
#include "marshal/marshal.h"
#include "marshal/pyc_magic.h"

#include <stdio.h>

static const acar_pyc_magic magics[] = {
#define ACAR_PYC_MAGIC_ROW(ma, mi, first, last, release, body) \
    {ACAR_PYVER(ma, mi), first, last, release, body},
    ACAR_PYC_MAGICS(ACAR_PYC_MAGIC_ROW)
#undef ACAR_PYC_MAGIC_ROW
};

#define NMAGICS (sizeof magics / sizeof *magics)

static const acar_pyc_magic *magic_find(uint16_t m) {
    for (size_t i = 0; i < NMAGICS; i++)
        if (m >= magics[i].first && m <= magics[i].last) return &magics[i];
    return NULL;
}

static const acar_pyc_magic *magic_of_version(unsigned pyver) {
    for (size_t i = 0; i < NMAGICS; i++)
        if (magics[i].pyver == pyver) return &magics[i];
    return NULL;
}

static size_t header_size(unsigned pyver) {
    if (pyver < ACAR_PYVER(3, 3)) return 8;
    if (pyver < ACAR_PYVER(3, 7)) return 12;
    return 16;
}

static inline uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void put32(uint8_t *q, uint32_t x) {
    q[0] = (uint8_t)x;
    q[1] = (uint8_t)(x >> 8);
    q[2] = (uint8_t)(x >> 16);
    q[3] = (uint8_t)(x >> 24);
}

/* The magic alone decides, so a truncated .pyc is read as one and gets a
 * truncation error. */
int acar__pyc_detect(const uint8_t *p, size_t len) {
    if (len < 4 || p[2] != '\r' || p[3] != '\n') return 0;
    return magic_find((uint16_t)(p[0] | p[1] << 8)) != NULL;
}

int acar_pyc_info(const void *data, size_t len, acar_pyc_header *out, acar_err *err) {
    const uint8_t *p = data;
    acar__err_clear(err);
    if (!out || (!data && len)) {
        acar__err_set(err, ACAR_ERR_ARG, 0, "acar_pyc_info needs data and a header to fill");
        return -1;
    }
    memset(out, 0, sizeof *out);
    if (len < 4) {
        acar__err_set(err, ACAR_ERR_TRUNCATED, len, "a .pyc header needs 4 bytes of magic number, got %zu", len);
        return -1;
    }
    uint16_t magic = (uint16_t)(p[0] | p[1] << 8);
    const acar_pyc_magic *m = magic_find(magic);
    if (p[2] != '\r' || p[3] != '\n' || !m) {
        acar__err_set(err, ACAR_ERR_MALFORMED, 0, "bad magic number %02x %02x %02x %02x: not a .pyc of a known Python",
                      p[0], p[1], p[2], p[3]);
        return -1;
    }
    out->pyver = m->pyver;
    out->magic = magic;
    out->size = header_size(m->pyver);
    out->body = m->body;
    if (len < out->size) {
        acar__err_set(err, ACAR_ERR_TRUNCATED, len, "a .pyc header of Python %u.%u needs %zu bytes, got %zu",
                      m->pyver >> 8, m->pyver & 0xffu, out->size, len);
        return -1;
    }
    if (out->size == 16) {
        out->flags = get32(p + 4);
        if (out->flags & ~3u) {
            acar__err_set(err, ACAR_ERR_MALFORMED, 4, "invalid flags 0x%x in the .pyc header", out->flags);
            return -1;
        }
        if (out->flags & ACAR_PYC_HASH_BASED) {
            memcpy(out->hash, p + 8, 8);
        } else {
            out->mtime = get32(p + 8);
            out->source_size = get32(p + 12);
        }
    } else {
        out->mtime = get32(p + 4);
        if (out->size == 12) out->source_size = get32(p + 8);
    }
    return 0;
}

/* ---- SipHash (c rounds per word, d rounds at the end) ---- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static inline void sip_rounds(uint64_t v[4], int n) {
    for (int i = 0; i < n; i++) {
        v[0] += v[1]; v[1] = ROTL(v[1], 13); v[1] ^= v[0]; v[0] = ROTL(v[0], 32);
        v[2] += v[3]; v[3] = ROTL(v[3], 16); v[3] ^= v[2];
        v[0] += v[3]; v[3] = ROTL(v[3], 21); v[3] ^= v[0];
        v[2] += v[1]; v[1] = ROTL(v[1], 17); v[1] ^= v[2]; v[2] = ROTL(v[2], 32);
    }
}

uint64_t acar__siphash(int c, int d, uint64_t k0, uint64_t k1, const uint8_t *p, size_t len) {
    uint64_t v[4] = {k0 ^ 0x736f6d6570736575ull, k1 ^ 0x646f72616e646f6dull,
                     k0 ^ 0x6c7967656e657261ull, k1 ^ 0x7465646279746573ull};
    size_t full = len & ~(size_t)7;
    for (size_t i = 0; i < full; i += 8) {
        uint64_t m = (uint64_t)get32(p + i) | (uint64_t)get32(p + i + 4) << 32;
        v[3] ^= m;
        sip_rounds(v, c);
        v[0] ^= m;
    }
    uint64_t b = (uint64_t)len << 56;
    for (size_t i = 0; i < (len & 7); i++) b |= (uint64_t)p[full + i] << (8 * i);
    v[3] ^= b;
    sip_rounds(v, c);
    v[0] ^= b;
    v[2] ^= 0xff;
    sip_rounds(v, d);
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* importlib.util.source_hash keys the hash with the magic word (magic and
 * "\r\n" as a little-endian uint32) and the zero second key; 3.7 to 3.10
 * use SipHash-2-4, 3.11 on SipHash-1-3. */
int acar_pyc_source_hash(uint16_t magic, const void *source, size_t len, uint8_t out[8]) {
    const acar_pyc_magic *m = magic_find(magic);
    if (!m || m->pyver < ACAR_PYVER(3, 7) || (!source && len)) return -1;
    uint64_t key = (uint64_t)magic | (uint64_t)'\r' << 16 | (uint64_t)'\n' << 24;
    uint64_t h = m->pyver >= ACAR_PYVER(3, 11) ? acar__siphash(1, 3, key, 0, source, len)
                                              : acar__siphash(2, 4, key, 0, source, len);
    for (int i = 0; i < 8; i++) out[i] = (uint8_t)(h >> (8 * i));
    return 0;
}

int acar_pyc_check_source(const acar_pyc_header *h, const void *source, size_t len,
                          int64_t source_mtime, acar_err *err) {
    acar__err_clear(err);
    if (!h || (!source && len)) {
        acar__err_set(err, ACAR_ERR_ARG, 0, "acar_pyc_check_source needs a header and the source");
        return -1;
    }
    if (h->flags & ACAR_PYC_HASH_BASED) {
        uint8_t hash[8];
        if (acar_pyc_source_hash(h->magic, source, len, hash) < 0) {
            acar__err_set(err, ACAR_ERR_UNSUPPORTED, 0, "no source hash for magic number %u", h->magic);
            return -1;
        }
        if (memcmp(hash, h->hash, 8) != 0) {
            acar__err_set(err, ACAR_ERR_MALFORMED, 8,
                          "stale: the source hash is %02x%02x%02x%02x%02x%02x%02x%02x, the .pyc "
                          "holds %02x%02x%02x%02x%02x%02x%02x%02x",
                          hash[0], hash[1], hash[2], hash[3], hash[4], hash[5], hash[6], hash[7],
                          h->hash[0], h->hash[1], h->hash[2], h->hash[3], h->hash[4], h->hash[5],
                          h->hash[6], h->hash[7]);
            return -1;
        }
        return 0;
    }
    size_t mt_at = h->size == 16 ? 8 : 4;
    if (source_mtime >= 0 && (uint32_t)source_mtime != h->mtime) {
        acar__err_set(err, ACAR_ERR_MALFORMED, mt_at, "stale: the source mtime is %u, the .pyc holds %u",
                      (unsigned)(uint32_t)source_mtime, (unsigned)h->mtime);
        return -1;
    }
    if (h->size >= 12 && (uint32_t)len != h->source_size) {
        acar__err_set(err, ACAR_ERR_MALFORMED, mt_at + 4,
                      "stale: the source is %u bytes, the .pyc says %u",
                      (unsigned)(uint32_t)len, (unsigned)h->source_size);
        return -1;
    }
    return 0;
}

/* ---- reading and writing ---- */

acar_val *acar__pyc_read(acar_doc *doc, const uint8_t *data, size_t len,
                         acar_read_opts *opts, acar_err *err) {
    acar_pyc_header h;
    if (acar_pyc_info(data, len, &h, err) < 0) return NULL;
    if (!h.body) {
        char ver[16];
        acar__err_set(err, ACAR_ERR_UNSUPPORTED, 0,
                      "code objects of %s are not supported (acar reads 2.7 and 3.6 to 3.13)",
                      acar__pyver_str(h.pyver, ver));
        return NULL;
    }
    acar_val *v = acar__marshal_read_py(doc, data + h.size, len - h.size, opts, h.pyver, err);
    if (!v) {
        if (err) err->offset += h.size;
        return NULL;
    }
    opts->consumed += h.size;
    if (ACAR_TYPE(v) != ACAR_CODE) {
        /* importlib: "Non-code object in ..." */
        acar__err_set(err, ACAR_ERR_MALFORMED, h.size, "the .pyc body is %s, not a code object",
                      acar_type_name(ACAR_TYPE(v)));
        return NULL;
    }
    acar_pyc_header *keep = acar__alloc(doc, sizeof *keep);
    if (!keep) {
        acar__err_set(err, doc->err.code ? doc->err.code : ACAR_ERR_NOMEM, 0, "%s",
                      doc->err.code ? doc->err.msg : "out of memory");
        return NULL;
    }
    *keep = h;
    ((acar_code_body *)v->u.p)->pyc = keep;
    return v;
}

static int pyc_write(const acar_val *v, const acar_pyc_header *h, const acar_write_opts *opts,
                     acar_out *out, acar_err *err) {
    if (!v || ACAR_TYPE(v) != ACAR_CODE) {
        acar__err_set(err, ACAR_ERR_TYPE, 0, "a .pyc holds a code object, not %s",
                      v ? acar_type_name(ACAR_TYPE(v)) : "NULL");
        return -1;
    }
    const acar_code_body *b = v->u.p;
    char ver[16], ver2[16];
    const acar_pyc_magic *m = magic_of_version(b->pyver);
    if (!m || !m->body || !m->release) {
        acar__err_set(err, ACAR_ERR_UNSUPPORTED, 0, "cannot write a .pyc of %s",
                      acar__pyver_str(b->pyver, ver));
        return -1;
    }
    if (!h) h = b->pyc;
    acar_pyc_header dflt;
    if (!h) {
        memset(&dflt, 0, sizeof dflt);
        h = &dflt;
    }
    if (h->pyver && h->pyver != b->pyver) {
        acar__err_set(err, ACAR_ERR_TYPE, 0, "a code object of %s cannot be written in a .pyc of %s",
                      acar__pyver_str(b->pyver, ver), acar__pyver_str(h->pyver, ver2));
        return -1;
    }
    /* The magic it was read with (a pre-release's, maybe), else the release's. */
    uint16_t magic = h->magic && magic_find(h->magic) == m ? h->magic : m->release;
    size_t hs = header_size(b->pyver);
    if (h->flags & ~3u || (h->flags && hs < 16)) {
        acar__err_set(err, ACAR_ERR_ARG, 0, "invalid .pyc flags 0x%x for %s", h->flags,
                      acar__pyver_str(b->pyver, ver));
        return -1;
    }
    uint8_t *q = (uint8_t *)acar__out_reserve(out, hs);
    if (!q) return 0; /* sticky: acar_write reports it */
    memset(q, 0, hs);
    q[0] = (uint8_t)magic;
    q[1] = (uint8_t)(magic >> 8);
    q[2] = '\r';
    q[3] = '\n';
    if (hs == 16) {
        put32(q + 4, h->flags);
        if (h->flags & ACAR_PYC_HASH_BASED) {
            memcpy(q + 8, h->hash, 8);
        } else {
            put32(q + 8, h->mtime);
            put32(q + 12, h->source_size);
        }
    } else {
        put32(q + 4, h->mtime);
        if (hs == 12) put32(q + 8, h->source_size);
    }
    out->buf->len += hs;
    return acar__marshal_write_py(v, opts, b->pyver, out, err);
}

int acar__pyc_write(const acar_val *v, const acar_write_opts *opts, acar_out *out, acar_err *err) {
    return pyc_write(v, NULL, opts, out, err);
}

int acar_pyc_write(const acar_val *code, const acar_pyc_header *h, acar_buf *buf, acar_err *err) {
    acar__err_clear(err);
    if (!code || !buf) {
        acar__err_set(err, ACAR_ERR_ARG, 0, "acar_pyc_write needs a code object and a buffer");
        return -1;
    }
    acar_out o = {.buf = buf};
    int rc = pyc_write(code, h, NULL, &o, err);
    if (rc == 0 && o.failed) {
        acar__err_set(err, ACAR_ERR_NOMEM, 0, "out of memory writing pyc");
        return -1;
    }
    return rc;
}
