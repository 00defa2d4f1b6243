/*
 * xml.c -- what the XML-RPC and plist readers and writers share: the
 * libexpat driver, XML text escaping, base64 as binascii does it, the date
 * texts of both formats, Python's int()/float()/Decimal() over str, and
 * the writers' walk state and error paths.  See xml.h for the contract of
 * each piece.
 */
#include "xml/xml.h"
#include "num/num.h"

#include <limits.h>
#include <stdio.h>

/* ====================================================================
 * Scratch memory
 * ================================================================== */

void *acar__xml_scratch(acar_xml *x, void *p, size_t old, size_t size) {
    acar_code why = ACAR_ERR_NOMEM;
    void *q = acar__scratch(x->doc, &x->scratch, p, NULL, old, size, &why);
    if (q || size == 0) return q;
    if (why == ACAR_ERR_LIMIT)
        acar__xml_fail(x, ACAR_ERR_LIMIT, ACAR_MAX_MEMORY_MSG,
                       x->doc->limits.max_memory);
    else
        acar__xml_fail(x, ACAR_ERR_NOMEM, "out of memory");
    return NULL;
}

int acar__xml_reserve(acar_xml *x, void **p, size_t *cap, size_t len, size_t n, size_t elem) {
    if (n <= *cap - len) return 0;
    size_t c = *cap ? *cap : 16;
    while (c - len < n) {
        if (c > SIZE_MAX / 4 / elem) return acar__xml_fail(x, ACAR_ERR_NOMEM, "out of memory");
        c *= 2;
    }
    void *q = acar__xml_scratch(x, *p, *cap * elem, c * elem);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

/* ====================================================================
 * The expat driver
 * ================================================================== */

static void set_pos(acar_xml *x, acar_err *e) {
    XML_Index at = XML_GetCurrentByteIndex(x->parser);
    e->offset = at < 0 ? 0 : (size_t)at;
    e->line = (size_t)XML_GetCurrentLineNumber(x->parser);
    e->column = (size_t)XML_GetCurrentColumnNumber(x->parser) + 1;
}

int acar__xml_fail(acar_xml *x, acar_code code, const char *fmt, ...) {
    if (x->failed) return -1;
    x->failed = true;
    if (x->err) {
        va_list ap;
        va_start(ap, fmt);
        acar__err_vset(x->err, code, 0, fmt, ap);
        va_end(ap);
        set_pos(x, x->err);
    }
    XML_StopParser(x->parser, XML_FALSE);
    return -1;
}

int acar__xml_fail_doc(acar_xml *x) {
    const acar_err *e = acar_doc_error(x->doc);
    if (!e) return acar__xml_fail(x, ACAR_ERR_NOMEM, "out of memory");
    return acar__xml_fail(x, e->code, "%s", e->msg);
}

/* Character data: borrowed while it is one run of the parse buffer.
 * For a UTF-8 document expat hands out runs of text as pointers into the
 * buffer XML_GetBuffer gave, which it neither moves nor writes during one
 * XML_ParseBuffer; everything else (transcoded text, line ends, character
 * references) comes from its own short-lived storage and is copied. */
static void XMLCALL on_text(void *ud, const XML_Char *s, int len) {
    acar_xml *x = ud;
    if (!x->live || x->failed || len <= 0) return;
    size_t n = (size_t)len;
    bool inbuf = (uintptr_t)s - (uintptr_t)x->buf < x->buflen && n <= x->buflen - (size_t)(s - x->buf);
    if (!inbuf && n == 1 && s[0] == '\n') {
        /* a line end: the same byte in the buffer when the document has a
         * plain LF there, so indentation stays one borrowed run */
        XML_Index at = XML_GetCurrentByteIndex(x->parser);
        if (at >= 0 && (size_t)at >= x->buf_at && (size_t)at - x->buf_at < x->buflen &&
            x->buf[(size_t)at - x->buf_at] == '\n') {
            s = x->buf + ((size_t)at - x->buf_at);
            inbuf = true;
        }
    }
    if (x->tlen == 0 && inbuf) {
        x->text = s;
        x->tlen = n;
        x->borrowed = true;
        return;
    }
    if (x->borrowed && inbuf && x->text + x->tlen == s) {
        x->tlen += n;
        return;
    }
    size_t need = x->tlen + n;  /* both within memory already held */
    if (need > x->owncap && acar__xml_reserve(x, (void **)&x->own, &x->owncap, 0, need, 1) < 0) return;
    if (x->borrowed) {
        if (x->tlen) memcpy(x->own, x->text, x->tlen);
        x->borrowed = false;
    }
    memcpy(x->own + x->tlen, s, n);
    x->text = x->own;
    x->tlen += n;
}

/* Borrowed text into own storage (before the parse buffer moves). */
static int text_keep(acar_xml *x) {
    if (!x->borrowed || x->tlen == 0) return 0;
    if (x->tlen > x->owncap && acar__xml_reserve(x, (void **)&x->own, &x->owncap, 0, x->tlen, 1) < 0)
        return -1;
    memcpy(x->own, x->text, x->tlen);
    x->text = x->own;
    x->borrowed = false;
    return 0;
}

/* expat hands out valid UTF-8 only: the node needs just the ASCII flag,
 * not acar__str's full check. */
acar_val *acar__xml_text_str(acar_xml *x) {
    acar_doc *doc = x->doc;
    const char *s = x->text;
    size_t n = x->tlen, i = 0;
    if (n > ACAR_MAX_LEN) {
        acar__xml_fail(x, ACAR_ERR_LIMIT, "string too long");
        return NULL;
    }
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080ull) break;
    }
    while (i < n && (unsigned char)s[i] < 0x80) i++;
    acar_val *v = acar__node(doc, ACAR_TAG(ACAR_STR, i == n ? ACAR_F_ASCII : 0, n));
    char *copy = v && n ? acar__alloc(doc, n) : NULL;
    if (!v || (n && !copy)) {
        acar__xml_fail_doc(x);
        return NULL;
    }
    if (n) memcpy(copy, s, n);
    v->u.s = n ? copy : "";
    return v;
}

static void XMLCALL on_entity_decl(void *ud, const XML_Char *name, int is_param,
                                   const XML_Char *value, int value_len, const XML_Char *base,
                                   const XML_Char *system_id, const XML_Char *public_id,
                                   const XML_Char *notation) {
    acar_xml *x = ud;
    (void)name, (void)is_param, (void)value, (void)value_len, (void)base;
    (void)system_id, (void)public_id, (void)notation;
    acar__xml_fail(x, ACAR_ERR_MALFORMED, "XML entity declarations are not supported in plist files");
}

/* Encodings expat does not know itself, as Python's pyexpat supplies them:
 * any single-byte Python codec, each byte mapped to what
 * bytes([b]).decode(codec, 'replace') gives (U+FFFD: not allowed).  acar
 * carries the commonest families (names normalised as the encodings
 * package does); the rest are refused as unsupported. */
static const uint16_t cp1252_high[128] = {
    0x20ac, 0,      0x201a, 0x192,  0x201e, 0x2026, 0x2020, 0x2021, 0x2c6,  0x2030, 0x160,
    0x2039, 0x152,  0,      0x17d,  0,      0,      0x2018, 0x2019, 0x201c, 0x201d, 0x2022,
    0x2013, 0x2014, 0x2dc,  0x2122, 0x161,  0x203a, 0x153,  0,      0x17e,  0x178,
};

static const char *const enc_latin1[] = {"8859", "cp819", "csisolatin1", "ibm819", "iso8859",
    "iso8859_1", "iso_8859_1", "iso_8859_1_1987", "iso_ir_100", "l1", "latin", "latin1", "latin_1", NULL};
static const char *const enc_ascii[] = {"646", "ansi_x3.4_1968", "ansi_x3_4_1968", "ansi_x3.4_1986",
    "cp367", "csascii", "ibm367", "iso646_us", "iso_646.irv_1991", "iso_ir_6", "us", "us_ascii",
    "ascii", "u8", "utf", "utf8", "utf8_ucs2", "utf8_ucs4", "cp65001", "utf_8", NULL};
static const char *const enc_cp1252[] = {"1252", "windows_1252", "cp1252", NULL};

static bool enc_in(const char *const *list, const char *name) {
    for (; *list; list++)
        if (!strcmp(*list, name)) return true;
    return false;
}

static int XMLCALL on_unknown_encoding(void *ud, const XML_Char *name, XML_Encoding *info) {
    (void)ud;
    char norm[64], alt[64];
    size_t k = 0;
    bool gap = false;
    for (const char *p = name; *p; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.';
        if (!keep) {
            gap = k > 0;
            continue;
        }
        if (k + 2 >= sizeof norm) return XML_STATUS_ERROR;
        if (gap) norm[k++] = '_';
        gap = false;
        norm[k++] = c;
    }
    norm[k] = 0;
    memcpy(alt, norm, k + 1);
    for (size_t i = 0; i < k; i++)
        if (alt[i] == '.') alt[i] = '_';
    int fam = 0;
    if (enc_in(enc_latin1, norm) || enc_in(enc_latin1, alt)) fam = 1;
    else if (enc_in(enc_ascii, norm) || enc_in(enc_ascii, alt)) fam = 2;
    else if (enc_in(enc_cp1252, norm) || enc_in(enc_cp1252, alt)) fam = 3;
    else return XML_STATUS_ERROR;
    for (int i = 0; i < 256; i++) {
        if (i < 128 || fam == 1) info->map[i] = i;
        else if (fam == 2) info->map[i] = -1;
        else if (i < 160) info->map[i] = cp1252_high[i - 128] ? cp1252_high[i - 128] : -1;
        else info->map[i] = i;
    }
    info->data = NULL;
    info->convert = NULL;
    info->release = NULL;
    return XML_STATUS_OK;
}

/* ====================================================================
 * expat's own memory goes through the document's allocator and counts
 * against max_memory with the readers' scratch (so allocation-failure
 * tests reach it and a caller's allocator sees every byte).  expat's
 * allocation functions take no context: the parser being set up or run on
 * this thread is kept in a thread-local variable from acar__xml_init to
 * acar__xml_free (an XML read runs no other XML read inside it).  Each
 * block starts with a header naming its parser and size, as the
 * allocator's realloc and free want the old size.
 * ================================================================== */

#if defined(_MSC_VER)
#define XML_TLS __declspec(thread)
#elif defined(__GNUC__) || defined(__clang__)
#define XML_TLS __thread
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L && !defined(__STDC_NO_THREADS__)
#define XML_TLS _Thread_local
#endif

#ifdef XML_TLS
static XML_TLS acar_xml *mm_owner;

typedef union mm_head {
    struct {
        acar_xml *x;
        size_t size;
    } h;
    max_align_t align;
} mm_head;

/* Room for add more bytes within max_memory; else the error, once. */
static int mm_room(acar_xml *x, size_t add) {
    acar_doc *doc = x->doc;
    size_t lim = doc->limits.max_memory;
    if (add <= lim && doc->used + x->scratch <= lim - add) return 0;
    if (!x->failed) {
        x->failed = true;
        if (x->err) {
            acar__err_set(x->err, ACAR_ERR_LIMIT, 0, ACAR_MAX_MEMORY_MSG,
                          lim);
            if (x->parser) set_pos(x, x->err);
        }
    }
    return -1;
}

static void *mm_malloc(size_t size) {
    acar_xml *x = mm_owner;
    if (!x || size > SIZE_MAX - sizeof(mm_head)) return NULL;
    size_t total = sizeof(mm_head) + size;
    if (mm_room(x, total) < 0) return NULL;
    mm_head *b = x->doc->alloc.malloc(x->doc->alloc.ctx, total);
    if (!b) return NULL;
    b->h.x = x;
    b->h.size = size;
    x->scratch += total;
    return b + 1;
}

static void mm_free(void *p) {
    if (!p) return;
    mm_head *b = (mm_head *)p - 1;
    acar_xml *x = b->h.x;
    size_t total = sizeof(mm_head) + b->h.size;
    x->scratch -= total;
    x->doc->alloc.free(x->doc->alloc.ctx, b, total);
}

static void *mm_realloc(void *p, size_t size) {
    if (!p) return mm_malloc(size);
    mm_head *b = (mm_head *)p - 1;
    acar_xml *x = b->h.x;
    if (size > SIZE_MAX - sizeof(mm_head)) return NULL;
    size_t old = sizeof(mm_head) + b->h.size, total = sizeof(mm_head) + size;
    if (total > old && mm_room(x, total - old) < 0) return NULL;
    mm_head *q = x->doc->alloc.realloc(x->doc->alloc.ctx, b, old, total);
    if (!q) return NULL;
    q->h.size = size;
    x->scratch = x->scratch - old + total;
    return q + 1;
}

static const XML_Memory_Handling_Suite mm_suite = {mm_malloc, mm_realloc, mm_free};
#endif

int acar__xml_init(acar_xml *x, acar_doc *doc, acar_err *err, XML_StartElementHandler start,
                   XML_EndElementHandler end, void *ud, bool entity_decls_fail) {
    memset(x, 0, sizeof *x);
    x->doc = doc;
    x->err = err;
    x->ud = ud;
    x->text = "";
#ifdef XML_TLS
    mm_owner = x;
    x->parser = XML_ParserCreate_MM(NULL, &mm_suite, NULL);
#else
    x->parser = XML_ParserCreate(NULL);
#endif
    if (!x->parser) {
#ifdef XML_TLS
        mm_owner = NULL;
#endif
        if (!x->failed) acar__err_set(err, ACAR_ERR_NOMEM, 0, "out of memory (creating the XML parser)");
        return -1;
    }
    XML_SetUserData(x->parser, x);
    XML_SetElementHandler(x->parser, start, end);
    XML_SetCharacterDataHandler(x->parser, on_text);
    XML_SetUnknownEncodingHandler(x->parser, on_unknown_encoding, NULL);
    if (entity_decls_fail) XML_SetEntityDeclHandler(x->parser, on_entity_decl);
    return 0;
}

void acar__xml_free(acar_xml *x) {
    if (x->parser) XML_ParserFree(x->parser);
    x->parser = NULL;
#ifdef XML_TLS
    if (mm_owner == x) mm_owner = NULL;
#endif
    if (x->own) acar__xml_scratch(x, x->own, x->owncap, 0);
    if (x->tags) acar__xml_scratch(x, x->tags, x->tagcap, 0);
    x->own = NULL;
    x->tags = NULL;
    x->text = "";
    x->owncap = x->tlen = x->tagcap = x->depth = 0;
}

/* XML_ParseBuffer takes an int length: larger inputs go in slices. */
#define SLICE ((size_t)1 << 30)

int acar__xml_parse(acar_xml *x, const uint8_t *data, size_t len) {
    size_t at = 0;
    do {
        size_t n = len - at < SLICE ? len - at : SLICE;
        int final = at + n == len;
        /* what XML_Parse does itself, with the buffer's place known */
        void *b = n ? XML_GetBuffer(x->parser, (int)n) : NULL;
        enum XML_Status st = XML_STATUS_ERROR;
        if (n == 0) {
            st = XML_Parse(x->parser, "", 0, final);
        } else if (b) {
            memcpy(b, data + at, n);
            x->buf = b;
            x->buflen = n;
            x->buf_at = at;
            st = XML_ParseBuffer(x->parser, (int)n, final);
            x->buflen = 0;
            if (!final && !x->failed && text_keep(x) < 0) return -1;
        }
        if (x->failed) return -1;
        if (st != XML_STATUS_OK) {
            enum XML_Error e = XML_GetErrorCode(x->parser);
            acar_code code = ACAR_ERR_MALFORMED;
            if (e == XML_ERROR_NO_MEMORY) code = ACAR_ERR_NOMEM;
            else if (e == XML_ERROR_UNKNOWN_ENCODING) code = ACAR_ERR_UNSUPPORTED;
#if XML_MAJOR_VERSION > 2 || (XML_MAJOR_VERSION == 2 && XML_MINOR_VERSION >= 4)
            /* expat's guard against entity blow-ups (billion laughs) */
            else if (e == XML_ERROR_AMPLIFICATION_LIMIT_BREACH) code = ACAR_ERR_LIMIT;
#endif
            if (x->err) {
                const char *m = XML_ErrorString(e);
                acar__err_set(x->err, code, 0, "%s%s", m ? m : "XML error",
                              e == XML_ERROR_UNKNOWN_ENCODING
                                  ? " (acar reads UTF-8, UTF-16, Latin-1, ASCII and cp1252)"
                                  : "");
                set_pos(x, x->err);
                if (code == ACAR_ERR_MALFORMED && x->err->offset >= len &&
                    (e == XML_ERROR_NO_ELEMENTS || e == XML_ERROR_UNCLOSED_TOKEN ||
                     e == XML_ERROR_PARTIAL_CHAR) && len > 0)
                    x->err->code = ACAR_ERR_TRUNCATED;
            }
            x->failed = true;
            return -1;
        }
        at += n;
    } while (at < len);
    return 0;
}

/* ====================================================================
 * Text
 * ================================================================== */

/* 1: the byte needs a look (markup, control, lead byte of a code point
 * XML cannot hold). */
static const uint8_t special[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0,
    [0xED] = 1, [0xEF] = 1,
};

#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#include <emmintrin.h>
#define HAVE_SSE2 1

/* Bit k set when byte k of v is special (as the table says). */
static inline unsigned special16(__m128i v) {
    __m128i t = _mm_or_si128(v, _mm_set1_epi8(2)); /* '<' '>' and 0xED 0xEF in one test each */
    __m128i m = _mm_or_si128(_mm_cmpeq_epi8(t, _mm_set1_epi8(0x3E)),
                             _mm_cmpeq_epi8(t, _mm_set1_epi8((char)0xEF)));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('&')));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x1f)), _mm_set1_epi8(0x1f)));
    return (unsigned)_mm_movemask_epi8(m);
}

static inline unsigned first_bit(unsigned m) {
#if defined(__GNUC__)
    return (unsigned)__builtin_ctz(m);
#else
    unsigned k = 0;
    while (!(m & 1u)) m >>= 1, k++;
    return k;
#endif
}
#endif

int acar__xml_escape(acar_out *o, const char *s, size_t n, bool plist, const char **why, size_t *at) {
    const unsigned char *p = (const unsigned char *)s;
    size_t run = 0, i = 0;
    while (i < n) {
#ifdef HAVE_SSE2
        /* clean runs sixteen bytes at a time */
        while (n - i >= 16) {
            unsigned m = special16(_mm_loadu_si128((const __m128i *)(const void *)(p + i)));
            if (m) {
                i += first_bit(m);
                break;
            }
            i += 16;
        }
#endif
        while (i < n && !special[p[i]]) i++;
        if (i == n) break;
        unsigned char c = p[i];
        const char *rep = NULL;
        size_t skip = 1, rn = 0;
        switch (c) {
        case '&': rep = "&amp;"; rn = 5; break;
        case '<': rep = "&lt;"; rn = 4; break;
        case '>': rep = "&gt;"; rn = 4; break;
        case '\t': case '\n': i++; continue;
        case '\r':
            if (!plist) { i++; continue; }
            rep = "\n"; rn = 1;
            if (i + 1 < n && p[i + 1] == '\n') skip = 2;
            break;
        case 0xED:
            if (i + 1 < n && p[i + 1] >= 0xA0) {
                *why = "a lone surrogate";
                *at = i;
                return -1;
            }
            i++;
            continue;
        case 0xEF:
            if (i + 2 < n && p[i + 1] == 0xBF && (p[i + 2] == 0xBE || p[i + 2] == 0xBF)) {
                *why = "U+FFFE or U+FFFF (not an XML character)";
                *at = i;
                return -1;
            }
            i++;
            continue;
        default:
            *why = "a control character";
            *at = i;
            return -1;
        }
        if (i > run) acar__xml_put(o, s + run, i - run);
        acar__xml_put(o, rep, rn);
        i += skip;
        run = i;
    }
    if (n > run) acar__xml_put(o, s + run, n - run);
    return 0;
}

/* ====================================================================
 * Base64
 * ================================================================== */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void acar__xml_b64_encode(acar_out *o, const uint8_t *data, size_t n, size_t line_bytes,
                          const char *indent, size_t indent_n) {
    if (n == 0) return;
    size_t lines = (n + line_bytes - 1) / line_bytes;
    size_t chars = (n + 2) / 3 * 4;
    if (lines > SIZE_MAX / (indent_n + 1) || chars > SIZE_MAX - lines * (indent_n + 1)) {
        o->failed = true;
        return;
    }
    char *w = acar__out_reserve(o, chars + lines * (indent_n + 1));
    if (!w) return;
    char *start = w;
    for (size_t at = 0; at < n; at += line_bytes) {
        size_t m = n - at < line_bytes ? n - at : line_bytes;
        const uint8_t *p = data + at;
        memcpy(w, indent, indent_n);
        w += indent_n;
        size_t i = 0;
        for (; i + 3 <= m; i += 3) {
            uint32_t t = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
            w[0] = b64[t >> 18];
            w[1] = b64[(t >> 12) & 63];
            w[2] = b64[(t >> 6) & 63];
            w[3] = b64[t & 63];
            w += 4;
        }
        if (i < m) {
            uint32_t t = (uint32_t)p[i] << 16 | (i + 1 < m ? (uint32_t)p[i + 1] << 8 : 0);
            w[0] = b64[t >> 18];
            w[1] = b64[(t >> 12) & 63];
            w[2] = i + 1 < m ? b64[(t >> 6) & 63] : '=';
            w[3] = '=';
            w += 4;
        }
        *w++ = '\n';
    }
    o->buf->len += (size_t)(w - start);
}

/* 0..63 for the alphabet, 64 for '=', 255 for the rest. */
static const uint8_t unb64[256] = {
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 62,  255, 255, 255, 63,
    52,  53,  54,  55,  56,  57,  58,  59,  60,  61,  255, 255, 255, 64,  255, 255,
    255, 0,   1,   2,   3,   4,   5,   6,   7,   8,   9,   10,  11,  12,  13,  14,
    15,  16,  17,  18,  19,  20,  21,  22,  23,  24,  25,  255, 255, 255, 255, 255,
    255, 26,  27,  28,  29,  30,  31,  32,  33,  34,  35,  36,  37,  38,  39,  40,
    41,  42,  43,  44,  45,  46,  47,  48,  49,  50,  51,  255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
};

/* Python 3.11's lenient decoder: bytes outside the alphabet are skipped;
 * '=' counts as padding only once two or three characters of a quad are
 * in, and a full pad ends the decoding (what follows is ignored). */
int acar__xml_b64_decode(const char *s, size_t n, uint8_t *out, size_t *outlen, char msg[128]) {
    const unsigned char *p = (const unsigned char *)s;
    uint8_t *w = out;
    unsigned quad = 0, left = 0, pads = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned v = unb64[p[i]];
        if (v == 64) {
            if (quad >= 2 && quad + ++pads >= 4) goto done;
            continue;
        }
        if (v > 64) continue;
        pads = 0;
        switch (quad) {
        case 0: quad = 1; left = v; break;
        case 1: quad = 2; *w++ = (uint8_t)(left << 2 | v >> 4); left = v & 15; break;
        case 2: quad = 3; *w++ = (uint8_t)(left << 4 | v >> 2); left = v & 3; break;
        default: quad = 0; *w++ = (uint8_t)(left << 6 | v); left = 0; break;
        }
    }
    if (quad == 1) {
        snprintf(msg, 128, "Invalid base64-encoded string: number of data characters (%zu) cannot be "
                 "1 more than a multiple of 4", (size_t)(w - out) / 3 * 4 + 1);
        return -1;
    }
    if (quad != 0) {
        snprintf(msg, 128, "Incorrect padding");
        return -1;
    }
done:
    *outlen = (size_t)(w - out);
    return 0;
}

/* ====================================================================
 * Unicode: what CPython's int()/float()/Decimal() and re's \d accept
 * ================================================================== */

/* Code points whose decimal value is 0: each starts a run of ten
 * (Unicode 14.0, CPython 3.11: [c for c in range(0x110000) if
 * unicodedata.decimal(chr(c), -1) == 0]). */
static const uint32_t digit_zero[] = {
    0x30,    0x660,   0x6f0,   0x7c0,   0x966,   0x9e6,   0xa66,   0xae6,   0xb66,   0xbe6,
    0xc66,   0xce6,   0xd66,   0xde6,   0xe50,   0xed0,   0xf20,   0x1040,  0x1090,  0x17e0,
    0x1810,  0x1946,  0x19d0,  0x1a80,  0x1a90,  0x1b50,  0x1bb0,  0x1c40,  0x1c50,  0xa620,
    0xa8d0,  0xa900,  0xa9d0,  0xa9f0,  0xaa50,  0xabf0,  0xff10,  0x104a0, 0x10d30, 0x11066,
    0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650, 0x116c0, 0x11730, 0x118e0,
    0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0, 0x16b50, 0x1d7ce, 0x1d7d8, 0x1d7e2,
    0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
};

/* The decimal value of cp, or -1. */
static int uni_decimal(uint32_t cp) {
    if (cp < 0x80) return cp >= '0' && cp <= '9' ? (int)(cp - '0') : -1;
    size_t lo = 0, hi = sizeof digit_zero / sizeof *digit_zero;
    while (lo < hi) {  /* last zero <= cp */
        size_t mid = (lo + hi) / 2;
        if (digit_zero[mid] <= cp) lo = mid + 1;
        else hi = mid;
    }
    if (lo == 0) return -1;
    uint32_t z = digit_zero[lo - 1];
    return cp - z < 10 ? (int)(cp - z) : -1;
}

/* str.isspace() of chr(cp). */
static bool uni_space(uint32_t cp) {
    if (cp < 0x80) return (cp >= 9 && cp <= 13) || (cp >= 0x1c && cp <= 0x20);
    return cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* Next code point of valid UTF-8 (the parser's output always is). */
static uint32_t utf8_next(const unsigned char *p, size_t n, size_t *i) {
    uint32_t c = p[*i];
    if (c < 0x80) { (*i)++; return c; }
    if (c < 0xE0 && *i + 1 < n) {
        c = (c & 0x1F) << 6 | (p[*i + 1] & 0x3F);
        *i += 2;
    } else if (c < 0xF0 && *i + 2 < n) {
        c = (c & 0x0F) << 12 | (uint32_t)(p[*i + 1] & 0x3F) << 6 | (p[*i + 2] & 0x3F);
        *i += 3;
    } else if (*i + 3 < n) {
        c = (c & 0x07) << 18 | (uint32_t)(p[*i + 1] & 0x3F) << 12 | (uint32_t)(p[*i + 2] & 0x3F) << 6 |
            (p[*i + 3] & 0x3F);
        *i += 4;
    } else {
        *i = n;
        c = 0xFFFD;
    }
    return c;
}

/* ====================================================================
 * Numbers
 * ================================================================== */

/* Python's repr of a str for messages, shortened. */
static void quote(char *buf, size_t size, const char *s, size_t n) {
    size_t k = 0, max = size > 48 ? 40 : size - 8;
    buf[k++] = '\'';
    for (size_t i = 0; i < n && k < max; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\'' || c == '\\') { buf[k++] = '\\'; buf[k++] = (char)c; }
        else if (c < 0x20 || c == 0x7f) k += (size_t)snprintf(buf + k, size - k, "\\x%02x", c);
        else buf[k++] = (char)c;
        if (i + 1 < n && k >= max) { memcpy(buf + k, "...", 3); k += 3; }
    }
    buf[k++] = '\'';
    buf[k] = 0;
}

/* s as ASCII the way CPython's _PyUnicode_TransformDecimalAndSpaceToASCII
 * makes it for int() and float(): an ASCII str is taken as it is; in any
 * other, whitespace becomes ' ', decimal digits '0'..'9' and every other
 * non-ASCII character '?'.  Returns the text: s itself, or a scratch
 * block (*owned, *owned_cap bytes) the caller frees; NULL on failure. */
static char *to_ascii(acar_xml *x, const char *s, size_t n, size_t *outn, char **owned,
                      size_t *owned_cap) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n && p[i] < 0x80) i++;
    *owned = NULL;
    *owned_cap = 0;
    if (i == n) {
        *outn = n;
        return (char *)s;
    }
    char *b = acar__xml_scratch(x, NULL, 0, n + 1);
    if (!b) return NULL;
    *owned = b;
    *owned_cap = n + 1;
    size_t k = 0;
    i = 0;
    while (i < n) {
        uint32_t c = utf8_next(p, n, &i);
        int d;
        if (c < 0x80) b[k++] = (char)c;
        else if (uni_space(c)) b[k++] = ' ';
        else if ((d = uni_decimal(c)) >= 0) b[k++] = (char)('0' + d);
        else b[k++] = '?';
    }
    *outn = k;
    return b;
}

static bool ascii_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

acar_val *acar__xml_pyint(acar_xml *x, const char *s, size_t n, bool hex) {
    /* Fast path: up to 18 plain ASCII digits, maybe a '-' (what the
     * writers make). */
    if (!hex && n && n <= 18 && n <= x->doc->limits.max_int_digits) {
        size_t i = s[0] == '-';
        int64_t m = 0;
        if (i < n) {
            for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) m = m * 10 + (s[i] - '0');
            if (i == n) {
                acar_val *v = acar_new_int(x->doc, s[0] == '-' ? -m : m);
                if (!v) acar__xml_fail_doc(x);
                return v;
            }
        }
    }
    char *owned, qbuf[64];
    size_t owned_cap, an;
    const char *a = to_ascii(x, s, n, &an, &owned, &owned_cap);
    if (!a) return NULL;
    acar_val *v = NULL;
    size_t i = 0, e = an;
    while (i < e && ascii_space(a[i])) i++;
    while (e > i && ascii_space(a[e - 1])) e--;
    bool neg = false;
    if (i < e && (a[i] == '+' || a[i] == '-')) neg = a[i++] == '-';
    bool ok = true;
    if (hex) {
        if (e - i >= 2 && a[i] == '0' && (a[i + 1] == 'x' || a[i + 1] == 'X')) {
            i += 2;
            if (i < e && a[i] == '_') i++;  /* int('0x_1f', 16) */
        }
    } else if (i < e && a[i] == '_') {
        ok = false;
    }
    /* digits with single underscores between them */
    size_t ndig = 0;
    char prev = 0;
    for (size_t k = i; ok && k < e; k++) {
        char c = a[k];
        if (c == '_') {
            if (prev == '_' || prev == 0) ok = false;
        } else if (hex ? hexval(c) >= 0 : (c >= '0' && c <= '9')) {
            ndig++;
        } else {
            ok = false;
        }
        prev = c;
    }
    if (prev == '_' || ndig == 0) ok = false;
    if (!ok) {
        quote(qbuf, sizeof qbuf, s, n);
        acar__xml_fail(x, ACAR_ERR_MALFORMED, "invalid literal for int() with base %d: %s", hex ? 16 : 10,
                       qbuf);
        goto out;
    }
    if (!hex && ndig > x->doc->limits.max_int_digits) {
        acar__xml_fail(x, ACAR_ERR_LIMIT,
                       "Exceeds the limit (%zu digits) for integer string conversion: value has %zu "
                       "digits (max_int_digits)", x->doc->limits.max_int_digits, ndig);
        goto out;
    }
    if (hex) {
        size_t k = i;
        while (k < e && (a[k] == '0' || a[k] == '_')) k++;
        size_t nd = 0;
        for (size_t j = k; j < e; j++) nd += a[j] != '_';
        size_t nl = (nd + 7) / 8;
        uint32_t tmp[4], *limbs = tmp;
        if (nl > 4) {
            limbs = acar__alloc(x->doc, nl * sizeof *limbs);
            if (!limbs) { acar__xml_fail_doc(x); goto out; }
        }
        memset(limbs, 0, (nl ? nl : 1) * sizeof *limbs);
        size_t bit = 0;
        for (size_t j = e; j > k; j--) {
            if (a[j - 1] == '_') continue;
            limbs[bit / 32] |= (uint32_t)hexval(a[j - 1]) << (bit % 32);
            bit += 4;
        }
        v = acar_new_bigint(x->doc, neg, limbs, nl);
    } else {
        char small[64], *d = small;
        if (ndig + 1 > sizeof small) {
            d = acar__alloc(x->doc, ndig + 1);
            if (!d) { acar__xml_fail_doc(x); goto out; }
        }
        size_t k = 0;
        if (neg) d[k++] = '-';
        for (size_t j = i; j < e; j++)
            if (a[j] != '_') d[k++] = a[j];
        v = acar_new_int_dec(x->doc, d, k);
    }
    if (!v) acar__xml_fail_doc(x);
out:
    if (owned) acar__xml_scratch(x, owned, owned_cap, 0);
    return v;
}

/* float(s) for the plain ASCII forms writers make ([-]digits[.digits]
 * [e[-]digits], at most 19 significant digits): 1 and *out, or 0 when the
 * general path must decide. */
static int fast_float(const char *s, size_t n, double *out) {
    if (n > 64) return 0;
    const char *p = s, *e = s + n;
    int neg = 0;
    if (p < e && (*p == '-' || *p == '+')) neg = *p++ == '-';
    const char *start = p;
    uint64_t w = 0;
    while (p < e && *p == '0') p++;
    const char *q = p;
    while (p < e && (unsigned)(*p - '0') < 10) w = w * 10 + (uint64_t)(*p++ - '0');
    int sig = (int)(p - q), e10 = 0;
    bool any = p > start;
    if (p < e && *p == '.') {
        const char *f = ++p;
        if (sig == 0)
            while (p < e && *p == '0') p++;
        q = p;
        while (p < e && (unsigned)(*p - '0') < 10) w = w * 10 + (uint64_t)(*p++ - '0');
        sig += (int)(p - q);
        e10 = -(int)(p - f);
        any = any || p > f;
    }
    if (!any || sig > 19) return 0;
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        int eneg = 0, ev = 0;
        if (p < e && (*p == '-' || *p == '+')) eneg = *p++ == '-';
        q = p;
        while (p < e && (unsigned)(*p - '0') < 10 && p - q < 6) ev = ev * 10 + (*p++ - '0');
        if (p == q) return 0;
        e10 += eneg ? -ev : ev;
    }
    if (p != e) return 0;
    return acar_num_decimal_to_double(w, e10, neg, out) == 0;
}

acar_val *acar__xml_pyfloat(acar_xml *x, const char *s, size_t n) {
    double f0;
    if (fast_float(s, n, &f0)) {
        acar_val *v = acar_new_float(x->doc, f0);
        if (!v) acar__xml_fail_doc(x);
        return v;
    }
    char *owned, qbuf[64];
    size_t owned_cap, an;
    const char *a = to_ascii(x, s, n, &an, &owned, &owned_cap);
    if (!a) return NULL;
    acar_val *v = NULL;
    bool ok = true;
    char small[128], *d = (char *)a, *heap = NULL;
    size_t dn = an;
    if (memchr(a, '_', an)) {
        /* underscores only between two digits, then dropped */
        d = small;
        if (an > sizeof small) {
            heap = acar__xml_scratch(x, NULL, 0, an);
            if (!heap) goto out;
            d = heap;
        }
        dn = 0;
        char prev = 0;
        for (size_t k = 0; k < an; k++) {
            char c = a[k];
            if (c == '_') {
                if (!(prev >= '0' && prev <= '9')) ok = false;
            } else {
                if (prev == '_' && !(c >= '0' && c <= '9')) ok = false;
                d[dn++] = c;
            }
            prev = c;
        }
        if (prev == '_') ok = false;
    }
    size_t i = 0, e = dn;
    while (i < e && ascii_space(d[i])) i++;
    while (e > i && ascii_space(d[e - 1])) e--;
    double f = 0;
    if (!ok || i == e ||
        acar_num_parse_double(d + i, e - i, ACAR_NUM_ALLOW_SPECIAL | ACAR_NUM_ALLOW_LEADING_DOT, &f) < 0) {
        quote(qbuf, sizeof qbuf, s, n);
        acar__xml_fail(x, ACAR_ERR_MALFORMED, "could not convert string to float: %s", qbuf);
        goto out;
    }
    v = acar_new_float(x->doc, f);
    if (!v) acar__xml_fail_doc(x);
out:
    if (heap) acar__xml_scratch(x, heap, an, 0);
    if (owned) acar__xml_scratch(x, owned, owned_cap, 0);
    return v;
}

/* Exponent bounds of decimal's MAX context (exact conversion). */
#define DEC_EMAX 999999999999999999LL
#define DEC_ETINY (-1999999999999999997LL)

static int64_t sat_add(int64_t a, int64_t b) {
    if (b > 0 && a > INT64_MAX - b) return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b) return INT64_MIN;
    return a + b;
}

static bool lower_eq(const char *a, size_t n, const char *word) {
    size_t m = strlen(word);
    if (n != m) return false;
    for (size_t i = 0; i < n; i++) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != word[i]) return false;
    }
    return true;
}

acar_val *acar__xml_pydecimal(acar_xml *x, const char *s, size_t n) {
    /* ASCII form: ends stripped of whitespace, '_' dropped everywhere,
     * other whitespace ' ', decimal digits '0'..'9', anything else fails. */
    const unsigned char *p = (const unsigned char *)s;
    char qbuf[64];
    acar_val *v = NULL;
    size_t b = 0, e = n;
    {
        size_t i = 0, last_end = 0, first = n;
        while (i < n) {
            size_t at = i;
            uint32_t c = utf8_next(p, n, &i);
            if (!uni_space(c)) {
                if (first == n) first = at;
                last_end = i;
            }
        }
        b = first;
        e = first == n ? first : last_end;
    }
    char *a = acar__xml_scratch(x, NULL, 0, e - b + 1);
    if (!a) return NULL;
    size_t cap = e - b + 1, an = 0;
    bool ok = true;
    for (size_t i = b; i < e;) {
        uint32_t c = utf8_next(p, e, &i);
        int d;
        if (c == '_') continue;
        if (c > 0 && c < 0x80) a[an++] = (char)c;
        else if (uni_space(c)) a[an++] = ' ';
        else if ((d = uni_decimal(c)) >= 0) a[an++] = (char)('0' + d);
        else ok = false;
    }
    /* [sign] (digits [. digits] | . digits) [e [sign] digits] | inf | infinity | [s]nan [digits] */
    size_t i = 0;
    bool neg = false;
    if (i < an && (a[i] == '+' || a[i] == '-')) neg = a[i++] == '-';
    char *text = NULL;
    size_t tn = 0;
    const char *sign = neg ? "-" : "";
    char small[96];
    if (!ok) goto bad;
    if (lower_eq(a + i, an - i, "inf") || lower_eq(a + i, an - i, "infinity")) {
        tn = (size_t)snprintf(small, sizeof small, "%sInfinity", sign);
        text = small;
    } else if (an - i >= 3 && (lower_eq(a + i, 3, "nan") || (an - i >= 4 && lower_eq(a + i, 4, "snan")))) {
        bool snan = a[i] == 's' || a[i] == 'S';
        size_t k = i + (snan ? 4 : 3);
        for (size_t j = k; j < an; j++)
            if (a[j] < '0' || a[j] > '9') goto bad;
        while (k < an && a[k] == '0') k++;
        size_t pl = an - k;
        text = acar__alloc(x->doc, pl + 8);
        if (!text) { acar__xml_fail_doc(x); goto out; }
        tn = (size_t)sprintf(text, "%s%s", sign, snan ? "sNaN" : "NaN");
        memcpy(text + tn, a + k, pl);
        tn += pl;
    } else {
        size_t ib = i;
        while (i < an && a[i] >= '0' && a[i] <= '9') i++;
        size_t ie = i, fb = i, fe = i;
        if (i < an && a[i] == '.') {
            fb = ++i;
            while (i < an && a[i] >= '0' && a[i] <= '9') i++;
            fe = i;
        }
        if (ie == ib && fe == fb) goto bad;
        int64_t ex = 0;
        if (i < an && (a[i] == 'e' || a[i] == 'E')) {
            i++;
            bool eneg = false;
            if (i < an && (a[i] == '+' || a[i] == '-')) eneg = a[i++] == '-';
            size_t eb = i;
            uint64_t m = 0;
            bool big = false;
            while (i < an && a[i] >= '0' && a[i] <= '9') {
                if (m > (uint64_t)INT64_MAX / 10) big = true;
                else m = m * 10 + (uint64_t)(a[i] - '0');
                i++;
            }
            if (i == eb) goto bad;
            if (big || m > (uint64_t)INT64_MAX) ex = eneg ? INT64_MIN : INT64_MAX;
            else ex = eneg ? -(int64_t)m : (int64_t)m;
        }
        if (i != an) goto bad;
        /* coefficient digits without leading zeros */
        size_t nint = ie - ib, nfrac = fe - fb;
        ex = sat_add(ex, -(int64_t)nfrac);
        char *dig = acar__alloc(x->doc, nint + nfrac + 1);
        if (!dig) { acar__xml_fail_doc(x); goto out; }
        size_t nd = 0;
        for (size_t k = ib; k < ie; k++) if (nd || a[k] != '0') dig[nd++] = a[k];
        for (size_t k = fb; k < fe; k++) if (nd || a[k] != '0') dig[nd++] = a[k];
        bool zero = nd == 0;
        if (zero) dig[nd++] = '0';
        int64_t adj = sat_add(ex, (int64_t)nd - 1);
        if (adj > DEC_EMAX || ex < DEC_ETINY) {
            acar__xml_fail(x, ACAR_ERR_MALFORMED, "[<class 'decimal.InvalidOperation'>] (Decimal exponent out of range)");
            goto out;
        }
        /* to-scientific-string */
        text = acar__alloc(x->doc, nd + 48 + (ex < 0 && adj >= -6 ? (size_t)(-ex) : 0));
        if (!text) { acar__xml_fail_doc(x); goto out; }
        char *w = text;
        if (neg) *w++ = '-';
        if (ex <= 0 && adj >= -6) {
            size_t fr = (size_t)(-ex);
            if (fr == 0) {
                memcpy(w, dig, nd); w += nd;
            } else if (nd > fr) {
                memcpy(w, dig, nd - fr); w += nd - fr;
                *w++ = '.';
                memcpy(w, dig + nd - fr, fr); w += fr;
            } else {
                *w++ = '0'; *w++ = '.';
                memset(w, '0', fr - nd); w += fr - nd;
                memcpy(w, dig, nd); w += nd;
            }
        } else {
            *w++ = dig[0];
            if (nd > 1) { *w++ = '.'; memcpy(w, dig + 1, nd - 1); w += nd - 1; }
            w += sprintf(w, "E%s%lld", adj >= 0 ? "+" : "", (long long)adj);
        }
        tn = (size_t)(w - text);
    }
    {
        acar_doc *doc = x->doc;
        acar_val *cls = acar_new_global(doc, "decimal", 7, "Decimal", 7);
        acar_val *arg = acar__str(doc, ACAR_STR, text, tn, false);
        acar_val *args = arg ? acar_new_tuple(doc, &arg, 1) : NULL;
        v = cls && args ? acar_new_object(doc, ACAR_BUILD_REDUCE, cls, args, NULL) : NULL;
        if (!v) acar__xml_fail_doc(x);
    }
    goto out;
bad:
    quote(qbuf, sizeof qbuf, s, n);
    acar__xml_fail(x, ACAR_ERR_MALFORMED, "[<class 'decimal.ConversionSyntax'>] (invalid Decimal: %s)", qbuf);
out:
    acar__xml_scratch(x, a, cap, 0);
    return v;
}

/* ====================================================================
 * Dates
 * ================================================================== */

size_t acar__xml_date_xmlrpc(const acar_datetime *d, char out[32]) {
    return (size_t)snprintf(out, 32, "%04d%02d%02dT%02d:%02d:%02d", d->year, d->month, d->day, d->hour,
                            d->minute, d->second);
}

size_t acar__xml_date_plist(const acar_datetime *d, char out[32]) {
    return (size_t)snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", d->year, d->month, d->day,
                            d->hour, d->minute, d->second);
}

static bool leap(int y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

static const char *date_check(const acar_datetime *d) {
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (d->year < 1 || d->year > 9999) return "year is out of range";
    if (d->month < 1 || d->month > 12) return "month must be in 1..12";
    if (d->day < 1 || d->day > mdays[d->month - 1] + (d->month == 2 && leap(d->year)))
        return "day is out of range for month";
    if (d->hour > 23) return "hour must be in 0..23";
    if (d->minute > 59) return "minute must be in 0..59";
    if (d->second > 59) return "second must be in 0..59";
    return NULL;
}

/* The regular expression strptime builds for "%Y%m%dT%H:%M:%S" (re.I):
 * each field a list of alternatives tried in order, each alternative a
 * string of classes: 'd' any decimal digit (\d), 'a'..'b' written "ab" as
 * a range of ASCII digits, ' ' a space.  Matching backtracks as re does;
 * the first match found must then reach the end of the text. */
typedef struct dfield {
    const char *alts[6];
    char after;           /* literal after the field (0: none) */
} dfield;

static const dfield xmlrpc_fields[] = {
    {{"dddd", NULL}, 0},
    {{"11" "02", "00" "19", "19", NULL}, 0},
    {{"33" "01", "12" "d", "00" "19", "19", " 19", NULL}, 'T'},
    {{"22" "03", "01" "d", "d", NULL}, ':'},
    {{"05" "d", "d", NULL}, ':'},
    {{"66" "01", "05" "d", "d", NULL}, 0},
};

/* Matches one alternative (class string) at cps[i..]; returns the end or -1. */
static long match_alt(const char *alt, const uint32_t *cps, size_t n, size_t i, int *val) {
    int v = 0;
    while (*alt) {
        if (i >= n) return -1;
        uint32_t c = cps[i];
        int d;
        if (*alt == 'd') {
            d = uni_decimal(c);
            if (d < 0) return -1;
            alt++;
        } else if (*alt == ' ') {
            if (c != ' ') return -1;
            alt++;
            i++;
            continue;
        } else {
            if (c < (uint32_t)alt[0] || c > (uint32_t)alt[1]) return -1;
            d = (int)(c - '0');
            alt += 2;
        }
        v = v * 10 + d;
        i++;
    }
    *val = v;
    return (long)i;
}

static long match_fields(const uint32_t *cps, size_t n, size_t i, int f, int *vals) {
    if (f == 6) return (long)i;
    for (int k = 0; xmlrpc_fields[f].alts[k]; k++) {
        long e = match_alt(xmlrpc_fields[f].alts[k], cps, n, i, &vals[f]);
        if (e < 0) continue;
        size_t j = (size_t)e;
        char lit = xmlrpc_fields[f].after;
        if (lit) {
            if (j >= n) continue;
            uint32_t c = cps[j];
            if (lit == 'T' ? (c != 'T' && c != 't') : c != (uint32_t)lit) continue;
            j++;
        }
        long r = match_fields(cps, n, j, f + 1, vals);
        if (r >= 0) return r;
    }
    return -1;
}

int acar__xml_parse_date_xmlrpc(const char *s, size_t n, acar_datetime *d, char msg[128]) {
    /* The pattern spans at most 20 code points; more only matter as
     * "unconverted data". */
    uint32_t cps[24];
    size_t nc = 0, i = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (i < n && nc < 24) cps[nc++] = utf8_next(p, n, &i);
    bool more = i < n;
    int vals[6];
    long e = match_fields(cps, nc, 0, 0, vals);
    if (e < 0) {
        snprintf(msg, 128, "time data does not match format '%%Y%%m%%dT%%H:%%M:%%S'");
        return -1;
    }
    if ((size_t)e != nc || more) {
        snprintf(msg, 128, "unconverted data remains");
        return -1;
    }
    memset(d, 0, sizeof *d);
    d->year = vals[0], d->month = vals[1], d->day = vals[2];
    d->hour = vals[3], d->minute = vals[4], d->second = vals[5];
    const char *why = date_check(d);
    if (why) {
        snprintf(msg, 128, "%s", why);
        return -1;
    }
    return 0;
}

static bool two(const char *s, size_t n, size_t i, int *v) {
    if (i + 2 > n || s[i] < '0' || s[i] > '9' || s[i + 1] < '0' || s[i + 1] > '9') return false;
    *v = (s[i] - '0') * 10 + (s[i + 1] - '0');
    return true;
}

int acar__xml_parse_date_plist(const char *s, size_t n, acar_datetime *d, char msg[128]) {
    /* YYYY(-MM(-DD(THH(:MM(:SS)?)?)?)?)?Z, greedy; the text may go on after Z. */
    int f[6] = {0, 0, 0, 0, 0, 0}, yh, yl;
    size_t i = 0, got = 0;
    static const char sep[] = {0, '-', '-', 'T', ':', ':'};
    if (!two(s, n, 0, &yh) || !two(s, n, 2, &yl)) goto nomatch;
    f[0] = yh * 100 + yl;
    i = 4;
    got = 1;
    while (got < 6 && i < n && s[i] == sep[got] && two(s, n, i + 1, &f[got])) {
        i += 3;
        got++;
    }
    if (i >= n || s[i] != 'Z') goto nomatch;
    if (got < 3) {
        snprintf(msg, 128, "function missing required argument '%s'", got == 1 ? "month" : "day");
        return -1;
    }
    memset(d, 0, sizeof *d);
    d->year = f[0], d->month = f[1], d->day = f[2];
    d->hour = f[3], d->minute = f[4], d->second = f[5];
    const char *why = date_check(d);
    if (why) {
        snprintf(msg, 128, "%s", why);
        return -1;
    }
    return 0;
nomatch:
    snprintf(msg, 128, "invalid date (not YYYY-MM-DD[THH[:MM[:SS]]]Z)");
    return -1;
}

/* ====================================================================
 * Writers' helpers
 * ================================================================== */

static size_t ptr_hash(const acar_val *v, size_t cap) {
    uint64_t h = (uint64_t)(uintptr_t)v;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return (size_t)h & (cap - 1);
}

int acar__xml_active_add(acar_xml_active *s, const acar_val *v) {
    if ((s->n + 1) * 2 > s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 64;
        const acar_val **ns = calloc(nc, sizeof *ns);
        if (!ns) return -1;
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->slot[i]) continue;
            size_t j = ptr_hash(s->slot[i], nc);
            while (ns[j]) j = (j + 1) & (nc - 1);
            ns[j] = s->slot[i];
        }
        free(s->slot);
        s->slot = ns;
        s->cap = nc;
    }
    size_t j = ptr_hash(v, s->cap);
    while (s->slot[j]) {
        if (s->slot[j] == v) return 0;
        j = (j + 1) & (s->cap - 1);
    }
    s->slot[j] = v;
    s->n++;
    return 1;
}

void acar__xml_active_del(acar_xml_active *s, const acar_val *v) {
    if (!s->cap) return;
    size_t m = s->cap - 1, j = ptr_hash(v, s->cap);
    while (s->slot[j] && s->slot[j] != v) j = (j + 1) & m;
    if (!s->slot[j]) return;
    s->slot[j] = NULL;
    s->n--;
    /* backward shift: re-place the entries of the run after the hole */
    for (size_t k = (j + 1) & m; s->slot[k]; k = (k + 1) & m) {
        const acar_val *e = s->slot[k];
        size_t h = ptr_hash(e, s->cap);
        /* e may stay at k unless its home lies cyclically in (j, k] */
        bool stay = j <= k ? (h > j && h <= k) : (h > j || h <= k);
        if (stay) continue;
        s->slot[j] = e;
        s->slot[k] = NULL;
        j = k;
    }
}

void acar__xml_active_free(acar_xml_active *s) {
    free(s->slot);
    s->slot = NULL;
    s->cap = s->n = 0;
}

int acar__xml_object_datetime(const acar_val *v, acar_datetime *d) {
    if (acar_typeof(v) != ACAR_OBJECT || acar_object_build(v) != ACAR_BUILD_REDUCE) return 0;
    const acar_val *g = acar_object_callable(v), *a = acar_object_args(v);
    if (acar_typeof(g) != ACAR_GLOBAL || acar_object_state(v) || acar_object_kwargs(v) ||
        acar_object_listitems(v) || acar_object_dictitems(v))
        return 0;
    size_t ml, nl, sl;
    const char *m = acar_str(acar_global_module(g), &ml), *n = acar_str(acar_global_name(g), &nl);
    if (ml != 8 || memcmp(m, "datetime", 8) || nl != 8 || memcmp(n, "datetime", 8)) return 0;
    if (acar_typeof(a) != ACAR_TUPLE || acar_len(a) < 1 || acar_len(a) > 2) return 0;
    const acar_val *st = acar_item(a, 0);
    if (acar_typeof(st) != ACAR_BYTES) return 0;
    const char *b = acar_str(st, &sl);
    return acar__datetime_from_state((const uint8_t *)b, sl, d) == 0;
}

/* A dict key as a step of an error path: ['name'], [12], [<float>]. */
static size_t path_key(char *buf, size_t size, const acar_val *key) {
    int64_t i;
    int n;
    if (acar_typeof(key) == ACAR_STR) {
        size_t kl;
        const char *ks = acar_str(key, &kl);
        n = snprintf(buf, size, "['%.*s%s']", (int)(kl > 24 ? 24 : kl), ks, kl > 24 ? "..." : "");
    } else if (acar_typeof(key) == ACAR_INT && acar_int_get(key, &i)) {
        n = snprintf(buf, size, "[%lld]", (long long)i);
    } else {
        n = snprintf(buf, size, "[<%s>]", acar_type_name(acar_typeof(key)));
    }
    return n < 0 ? 0 : (size_t)n;
}

/* The path of the value being written: the top-level place, then a step
 * for each open container that has been entered. */
static void path_of(const acar_xml_writer *w, char *buf, size_t size) {
    int k0 = snprintf(buf, size, w->where ? w->where : "root", w->where_i);
    size_t k = k0 < 0 ? 0 : (size_t)k0;
    for (size_t f = 0; f < w->top && k + 8 < size; f++) {
        const acar_xml_frame *fr = &w->st[f];
        if (fr->i == 0) break;
        if (acar_typeof(fr->v) == ACAR_DICT) {
            size_t pair = fr->order ? fr->order[fr->i - 1] : fr->i - 1;
            k += path_key(buf + k, size - k, fr->items[pair * fr->stride]);
        } else {
            k += (size_t)snprintf(buf + k, size - k, "[%zu]", fr->i - 1);
        }
        if (k >= size) break;
    }
}

int acar__xml_wfail(acar_xml_writer *w, acar_code code, const char *fmt, ...) {
    char msg[200], path[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    path_of(w, path, sizeof path);
    acar__err_set(w->err, code, 0, "%s (at %s)", msg, path);
    return -1;
}

acar_xml_frame *acar__xml_wpush(acar_xml_writer *w, const acar_val *v, const char *recursive) {
    int a = acar__xml_active_add(&w->active, v);
    if (a < 0) {
        acar__err_set(w->err, ACAR_ERR_NOMEM, 0, "out of memory");
        return NULL;
    }
    if (a == 0) {
        acar__xml_wfail(w, ACAR_ERR_TYPE, "%s", recursive);
        return NULL;
    }
    if (w->top >= w->max_depth) {
        acar__xml_active_del(&w->active, v);
        acar__xml_wfail(w, ACAR_ERR_LIMIT, "nesting deeper than %zu (max_depth)", w->max_depth);
        return NULL;
    }
    if (w->top == w->cap) {
        size_t nc = w->cap ? w->cap * 2 : 32;
        acar_xml_frame *ns = realloc(w->st, nc * sizeof *ns);
        if (!ns) {
            acar__xml_active_del(&w->active, v);
            acar__err_set(w->err, ACAR_ERR_NOMEM, 0, "out of memory");
            return NULL;
        }
        w->st = ns;
        w->cap = nc;
    }
    acar_xml_frame *f = &w->st[w->top++];
    f->v = v;
    if (acar_typeof(v) == ACAR_DICT) {
        acar_pairs p = acar__pairs(v);
        f->items = p.keys;
        f->vals = p.vals;
        f->stride = p.stride;
    } else {
        f->items = v->u.items;
        f->vals = NULL;
        f->stride = 1;
    }
    f->order = NULL;
    f->i = 0;
    f->n = acar_len(v);
    return f;
}

void acar__xml_wpop(acar_xml_writer *w) {
    acar_xml_frame *f = &w->st[--w->top];
    free(f->order);
    f->order = NULL;
    acar__xml_active_del(&w->active, f->v);
}

void acar__xml_wfree(acar_xml_writer *w) {
    while (w->top) acar__xml_wpop(w);
    free(w->st);
    w->st = NULL;
    w->cap = 0;
    acar__xml_active_free(&w->active);
}

void acar__xml_class_name(const acar_val *v, char *buf, size_t size) {
    acar_type t = acar_typeof(v);
    if (t == ACAR_OBJECT || t == ACAR_GLOBAL) {
        const acar_val *g = t == ACAR_OBJECT ? acar_object_callable(v) : NULL;
        if (t == ACAR_GLOBAL) {
            snprintf(buf, size, "<class 'type'>");
            return;
        }
        if (g && acar_typeof(g) == ACAR_GLOBAL) {
            size_t ml, nl;
            /* copyreg._reconstructor(cls, base, state) and copyreg.__newobj__(cls, ...)
             * build instances of their first argument */
            const char *gm = acar_str(acar_global_module(g), &ml);
            const acar_val *a0 = acar_item(acar_object_args(v), 0);
            if (ml == 7 && !memcmp(gm, "copyreg", 7) && acar_typeof(a0) == ACAR_GLOBAL) g = a0;
            const char *m = acar_str(acar_global_module(g), &ml);
            const char *nm = acar_str(acar_global_name(g), &nl);
            if (ml > 60) ml = 60;
            if (nl > 60) nl = 60;
            snprintf(buf, size, "<class '%.*s.%.*s'>", (int)ml, m, (int)nl, nm);
            return;
        }
        snprintf(buf, size, "<class 'object'>");
        return;
    }
    if (t == ACAR_ELLIPSIS) {
        snprintf(buf, size, "<class 'ellipsis'>");
        return;
    }
    if (t == ACAR_STOPITERATION) {
        snprintf(buf, size, "<class 'type'>");
        return;
    }
    if (t == ACAR_PERSID) {
        snprintf(buf, size, "<class 'persistent id'>");
        return;
    }
    if (t == ACAR_BUFFER) {
        snprintf(buf, size, "<class 'pickle.PickleBuffer'>");
        return;
    }
    snprintf(buf, size, "<class '%s'>", acar_type_name(t));
}
