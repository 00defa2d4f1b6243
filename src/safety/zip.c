/*
 * zip.c -- a small zip reader for the scanner: PyTorch archives and .npz.
 *
 * A zip file ends with the end-of-central-directory record (EOCD, "PK\5\6",
 * 22 bytes plus a comment of up to 65535 bytes); it points to the central
 * directory, one record ("PK\1\2", 46 bytes + name + extra + comment) per
 * member, each pointing to the member's local header ("PK\3\4", 30 bytes +
 * name + extra) after which its data follows.  Zip64 archives (members or
 * offsets past 4 GiB, more than 65535 members) keep the real values in a
 * zip64 EOCD found through a locator ("PK\6\7") just before the EOCD, and
 * per member in extra field 0x0001.  Sizes are taken from the central
 * directory (a local header may defer them to a data descriptor).
 *
 * Methods: stored (0) and deflate (8, through zlib when acar is built with
 * ACAR_HAVE_ZLIB; otherwise a clear "not supported" error).  torch.save
 * writes stored members; numpy.savez_compressed writes deflate ones.
 * Every offset and size is checked against the file before it is used.
 */
#include "safety/scan.h"

#include <stdlib.h>

#ifdef ACAR_HAVE_ZLIB
#include <zlib.h>
#endif

static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

int acar__zip_is(const uint8_t *data, size_t len) {
    return len >= 4 && data[0] == 'P' && data[1] == 'K' &&
           ((data[2] == 3 && data[3] == 4) || (data[2] == 5 && data[3] == 6));
}

/* The EOCD: the last "PK\5\6" whose comment length fits the file. */
static int find_eocd(const uint8_t *data, size_t len, size_t *at) {
    if (len < 22) return -1;
    size_t lowest = len - 22 > 65535 ? len - 22 - 65535 : 0;
    for (size_t i = len - 22 + 1; i-- > lowest;) {
        if (data[i] == 'P' && data[i + 1] == 'K' && data[i + 2] == 5 && data[i + 3] == 6 &&
            i + 22 + rd16(data + i + 20) == len) {
            *at = i;
            return 0;
        }
    }
    /* a comment length that does not match the file: take the last one */
    for (size_t i = len - 22 + 1; i-- > lowest;)
        if (data[i] == 'P' && data[i + 1] == 'K' && data[i + 2] == 5 && data[i + 3] == 6) {
            *at = i;
            return 0;
        }
    return -1;
}

int acar__zip_list(const uint8_t *data, size_t len, acar_zip_entry **entries, size_t *n, acar_err *err) {
    *entries = NULL;
    *n = 0;
    size_t eocd;
    if (find_eocd(data, len, &eocd) < 0) {
        acar__err_set(err, ACAR_ERR_MALFORMED, len, "zip: no end of central directory record");
        return -1;
    }
    const uint8_t *e = data + eocd;
    uint64_t count = rd16(e + 10), cd_size = rd32(e + 12), cd_off = rd32(e + 16);
    if (count == 0xffff || cd_size == 0xffffffffu || cd_off == 0xffffffffu) {
        /* zip64: the locator sits just before the EOCD */
        if (eocd < 20 || rd32(data + eocd - 20) != 0x07064b50u) {
            acar__err_set(err, ACAR_ERR_MALFORMED, eocd, "zip: zip64 locator missing");
            return -1;
        }
        uint64_t z = rd64(data + eocd - 20 + 8);
        if (z > len || len - z < 56 || rd32(data + z) != 0x06064b50u) {
            acar__err_set(err, ACAR_ERR_MALFORMED, eocd - 20, "zip: bad zip64 end of central directory");
            return -1;
        }
        count = rd64(data + z + 32);
        cd_size = rd64(data + z + 40);
        cd_off = rd64(data + z + 48);
    }
    if (cd_off > len || cd_size > len - cd_off) {
        acar__err_set(err, ACAR_ERR_MALFORMED, eocd, "zip: central directory outside the file");
        return -1;
    }
    if (count > cd_size / 46) {
        acar__err_set(err, ACAR_ERR_MALFORMED, eocd, "zip: more members than the central directory holds");
        return -1;
    }
    acar_zip_entry *es = calloc(count ? (size_t)count : 1, sizeof *es);
    if (!es) {
        acar__err_set(err, ACAR_ERR_NOMEM, 0, "out of memory");
        return -1;
    }
    size_t p = (size_t)cd_off, end = (size_t)(cd_off + cd_size);
    for (uint64_t i = 0; i < count; i++) {
        if (end - p < 46 || rd32(data + p) != 0x02014b50u) {
            acar__err_set(err, ACAR_ERR_MALFORMED, p, "zip: bad central directory record");
            free(es);
            return -1;
        }
        const uint8_t *c = data + p;
        size_t nl = rd16(c + 28), xl = rd16(c + 30), cl = rd16(c + 32);
        if (end - p - 46 < nl + xl + cl) {
            acar__err_set(err, ACAR_ERR_MALFORMED, p, "zip: central directory record runs past its end");
            free(es);
            return -1;
        }
        acar_zip_entry *z = &es[i];
        z->name = (const char *)c + 46;
        z->name_len = nl;
        z->method = rd16(c + 10) | (rd16(c + 8) & 1u ? 0x10000u : 0); /* encrypted: unsupported */
        z->crc = rd32(c + 16);
        z->csize = rd32(c + 20);
        z->usize = rd32(c + 24);
        z->local_offset = rd32(c + 42);
        /* zip64 extra: the fields that are all ones, in this order */
        const uint8_t *x = c + 46 + nl, *xend = x + xl;
        while (xend - x >= 4) {
            unsigned id = rd16(x), sz = rd16(x + 2);
            if ((size_t)(xend - x - 4) < sz) break;
            if (id == 1) {
                const uint8_t *q = x + 4, *qend = q + sz;
                if (z->usize == 0xffffffffu && qend - q >= 8) z->usize = rd64(q), q += 8;
                if (z->csize == 0xffffffffu && qend - q >= 8) z->csize = rd64(q), q += 8;
                if (z->local_offset == 0xffffffffu && qend - q >= 8) z->local_offset = rd64(q), q += 8;
            }
            x += 4 + sz;
        }
        p += 46 + nl + xl + cl;
    }
    *entries = es;
    *n = (size_t)count;
    return 0;
}

int acar__zip_extract(const uint8_t *data, size_t len, const acar_zip_entry *e, size_t max_size,
                      const uint8_t **out, size_t *out_len, int *owned, acar_err *err) {
    *out = NULL;
    *out_len = 0;
    *owned = 0;
    uint64_t lo = e->local_offset;
    if (lo > len || len - lo < 30 || rd32(data + lo) != 0x04034b50u) {
        acar__err_set(err, ACAR_ERR_MALFORMED, (size_t)(lo < len ? lo : len), "zip: bad local header");
        return -1;
    }
    uint64_t start = lo + 30 + rd16(data + lo + 26) + rd16(data + lo + 28);
    if (start > len || e->csize > len - start) {
        acar__err_set(err, ACAR_ERR_MALFORMED, (size_t)lo, "zip: member data runs past the end of the file");
        return -1;
    }
    const uint8_t *src = data + start;
    if (e->method & 0x10000u) {
        acar__err_set(err, ACAR_ERR_UNSUPPORTED, (size_t)lo, "zip: encrypted member not supported");
        return -1;
    }
    if (e->method == 0) {
        *out = src;
        *out_len = (size_t)e->csize;
        return 0;
    }
    if (e->method != 8) {
        acar__err_set(err, ACAR_ERR_UNSUPPORTED, (size_t)lo, "zip: compression method %u not supported", e->method);
        return -1;
    }
#ifdef ACAR_HAVE_ZLIB
    /* deflate expands at most 1032:1: a larger claim is a lie or a bomb */
    if (e->usize > max_size || e->usize > e->csize * 1032 + 1024) {
        acar__err_set(err, ACAR_ERR_LIMIT, (size_t)lo, "zip: member of %llu bytes is too large",
                      (unsigned long long)e->usize);
        return -1;
    }
    size_t cap = (size_t)e->usize;
    uint8_t *buf = malloc(cap ? cap : 1);
    if (!buf) {
        acar__err_set(err, ACAR_ERR_NOMEM, 0, "out of memory");
        return -1;
    }
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) {
        free(buf);
        acar__err_set(err, ACAR_ERR_NOMEM, 0, "out of memory");
        return -1;
    }
    size_t in_left = (size_t)e->csize, done = 0;
    int zr = Z_OK;
    const uint8_t *in = src;
    while (zr == Z_OK) {
        unsigned chunk_in = in_left > 0x40000000u ? 0x40000000u : (unsigned)in_left;
        unsigned chunk_out = cap - done > 0x40000000u ? 0x40000000u : (unsigned)(cap - done);
        uint8_t dummy;
        zs.next_in = (Bytef *)(uintptr_t)in;
        zs.avail_in = chunk_in;
        zs.next_out = chunk_out ? buf + done : &dummy;
        zs.avail_out = chunk_out ? chunk_out : 1;
        zr = inflate(&zs, Z_NO_FLUSH);
        size_t used_in = chunk_in - zs.avail_in;
        in += used_in;
        in_left -= used_in;
        if (chunk_out) done += chunk_out - zs.avail_out;
        else if (zs.avail_out == 0) zr = Z_DATA_ERROR; /* more than the size it claims */
        if (zr == Z_OK && used_in == 0 && (chunk_out ? chunk_out == zs.avail_out : 1)) zr = Z_BUF_ERROR;
    }
    inflateEnd(&zs);
    if (zr != Z_STREAM_END || done != cap) {
        free(buf);
        acar__err_set(err, ACAR_ERR_MALFORMED, (size_t)start, "zip: deflate data is corrupt");
        return -1;
    }
    *out = buf;
    *out_len = cap;
    *owned = 1;
    return 0;
#else
    (void)max_size;
    acar__err_set(err, ACAR_ERR_UNSUPPORTED, (size_t)lo,
                  "zip: compressed member not supported (acar was built without zlib)");
    return -1;
#endif
}

int acar__inflate_all(const uint8_t *data, size_t len, int gzip, size_t max_size, uint8_t **out, size_t *out_len,
                      acar_err *err) {
    *out = NULL;
    *out_len = 0;
#ifdef ACAR_HAVE_ZLIB
    /* deflate expands at most 1032:1 */
    size_t limit = len > (SIZE_MAX - 1024) / 1032 ? SIZE_MAX : len * 1032 + 1024;
    if (limit > max_size) limit = max_size;
    size_t cap = len < 4096 ? 16384 : len * 4 < limit ? len * 4 : limit, done = 0;
    uint8_t *buf = malloc(cap ? cap : 1);
    if (!buf) {
        acar__err_set(err, ACAR_ERR_NOMEM, 0, "out of memory");
        return -1;
    }
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, gzip ? 16 + MAX_WBITS : MAX_WBITS) != Z_OK) {
        free(buf);
        acar__err_set(err, ACAR_ERR_NOMEM, 0, "out of memory");
        return -1;
    }
    const uint8_t *in = data;
    size_t in_left = len;
    int zr = Z_OK;
    while (zr == Z_OK) {
        if (done == cap) {
            if (cap >= limit) {
                zr = Z_MEM_ERROR;
                break;
            }
            size_t ncap = cap > limit / 2 ? limit : cap * 2;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                zr = Z_MEM_ERROR;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        unsigned chunk_in = in_left > 0x40000000u ? 0x40000000u : (unsigned)in_left;
        unsigned chunk_out = cap - done > 0x40000000u ? 0x40000000u : (unsigned)(cap - done);
        zs.next_in = (Bytef *)(uintptr_t)in;
        zs.avail_in = chunk_in;
        zs.next_out = buf + done;
        zs.avail_out = chunk_out;
        zr = inflate(&zs, Z_NO_FLUSH);
        size_t used_in = chunk_in - zs.avail_in, made = chunk_out - zs.avail_out;
        in += used_in;
        in_left -= used_in;
        done += made;
        if (zr == Z_OK && used_in == 0 && made == 0) zr = Z_BUF_ERROR;
        if (zr == Z_BUF_ERROR && done == cap && in_left) zr = Z_OK; /* only out of room */
    }
    inflateEnd(&zs);
    if (zr != Z_STREAM_END) {
        free(buf);
        if (zr == Z_MEM_ERROR)
            acar__err_set(err, ACAR_ERR_LIMIT, 0, "compressed data expands past %zu bytes", limit);
        else
            acar__err_set(err, ACAR_ERR_MALFORMED, (size_t)(in - data), "%s data is corrupt", gzip ? "gzip" : "zlib");
        return -1;
    }
    *out = buf;
    *out_len = done;
    return 0;
#else
    (void)data, (void)len, (void)gzip, (void)max_size;
    acar__err_set(err, ACAR_ERR_UNSUPPORTED, 0,
                  "compressed file not supported (acar was built without zlib)");
    return -1;
#endif
}
