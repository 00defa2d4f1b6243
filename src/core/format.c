/*
 * format.c -- the format registry: names, detection, and the acar_read /
 * acar_write entry points that hand bytes to each format's reader/writer.
 */
#include "core/internal.h"
#include "marshal/marshal.h"
#include "pickle/opcodes.h"

static const char *const format_names[] = {
    [ACAR_FORMAT_AUTO] = "auto",
    [ACAR_FORMAT_PICKLE] = "pickle",
    [ACAR_FORMAT_MARSHAL] = "marshal",
    [ACAR_FORMAT_PYC] = "pyc",
    [ACAR_FORMAT_JSON] = "json",
    [ACAR_FORMAT_JSONL] = "jsonl",
    [ACAR_FORMAT_XMLRPC] = "xmlrpc",
    [ACAR_FORMAT_PLIST] = "plist",
    [ACAR_FORMAT_BPLIST] = "bplist",
    [ACAR_FORMAT_REPR] = "repr",
};

const char *acar_format_name(acar_format f) {
    if ((unsigned)f < sizeof format_names / sizeof *format_names) return format_names[f];
    return "unknown";
}

acar_format acar_format_from_name(const char *name) {
    for (unsigned f = 1; f < sizeof format_names / sizeof *format_names; f++)
        if (strcmp(format_names[f], name) == 0) return (acar_format)f;
    return ACAR_FORMAT_AUTO;
}

/* The name of the first element of an XML document: skips a UTF-8 BOM,
 * the XML declaration, comments, processing instructions and a DOCTYPE
 * (whose name is the root's).  Returns its length, 0 when there is none. */
static size_t xml_root(const uint8_t *p, size_t len, const uint8_t **name) {
    size_t i = len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf ? 3 : 0;
    for (;;) {
        while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')) i++;
        if (i + 1 >= len || p[i] != '<') return 0;
        if (p[i + 1] == '?' || (p[i + 1] == '!' && !(len - i > 9 && memcmp(p + i, "<!DOCTYPE", 9) == 0))) {
            /* <?...?> or <!--...--> (a '>' inside a comment ends the skip
             * early; detection only needs the usual documents) */
            const uint8_t *gt = memchr(p + i, '>', len - i);
            if (!gt) return 0;
            i = (size_t)(gt - p) + 1;
            continue;
        }
        i += p[i + 1] == '!' ? 9 : 1;
        while (i < len && p[i] == ' ') i++;
        size_t start = i;
        while (i < len && (p[i] == ':' || p[i] == '_' || p[i] == '-' || p[i] == '.' ||
                           (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
                           (p[i] >= '0' && p[i] <= '9')))
            i++;
        *name = p + start;
        return i - start;
    }
}

static bool name_is(const uint8_t *n, size_t nl, const char *s) {
    return nl == strlen(s) && memcmp(n, s, nl) == 0;
}

acar_format acar_detect(const void *data, size_t len) {
    const uint8_t *p = data;
    if (len == 0) return ACAR_FORMAT_AUTO;
    if (acar__pyc_detect(p, len)) return ACAR_FORMAT_PYC;
    /* Protocol 2+ pickles open with PROTO n. */
    if (len >= 2 && p[0] == 0x80 && p[1] <= 5) return ACAR_FORMAT_PICKLE;
    /* Protocol 0/1 pickles end with STOP and open with an opcode byte. */
    if (p[len - 1] == '.' && acar_pickle_ops[p[0]].name != NULL) return ACAR_FORMAT_PICKLE;
    if (len >= 8 && memcmp(p, "bplist00", 8) == 0) return ACAR_FORMAT_BPLIST;
    const uint8_t *name;
    size_t nl = xml_root(p, len, &name);
    if (nl) {
        if (name_is(name, nl, "plist")) return ACAR_FORMAT_PLIST;
        /* a bare <params> block: xmlrpc.client.loads reads it as a response */
        if (name_is(name, nl, "methodCall") || name_is(name, nl, "methodResponse") ||
            name_is(name, nl, "params"))
            return ACAR_FORMAT_XMLRPC;
        return ACAR_FORMAT_AUTO;
    }
    /* JSON: json.loads' encodings (UTF-16/32 put a zero byte in the first
     * two; BOMs), else the first non-space byte starts a JSON value. */
    if (len >= 2 && (p[0] == 0 || p[1] == 0 || (p[0] == 0xff && p[1] == 0xfe) ||
                     (p[0] == 0xfe && p[1] == 0xff)))
        return ACAR_FORMAT_JSON;
    size_t i = len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf ? 3 : 0;
    while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')) i++;
    if (i < len && strchr("{[\"-0123456789tfnNI", p[i]) && p[i] != 0) return ACAR_FORMAT_JSON;
    return ACAR_FORMAT_AUTO;
}

acar_val *acar_read(acar_doc *doc, const void *data, size_t len, acar_read_opts *opts,
                    acar_err *err) {
    if (!opts) {
        /* not zeroed on every call: the options are a few hundred bytes */
        acar_read_opts zero = {0};
        return acar_read(doc, data, len, &zero, err);
    }
    acar__err_clear(err);
    if (!doc || (!data && len)) {
        acar__err_set(err, ACAR_ERR_ARG, 0, "acar_read needs a document and data");
        return NULL;
    }
    opts->consumed = 0;
    opts->protocol = 0;
    /* before detection too: refusing costs nothing of the input */
    if (len > doc->limits.max_input) {
        acar__err_set(err, ACAR_ERR_LIMIT, doc->limits.max_input,
                      "input of %zu bytes is longer than %zu bytes (max_input)", len,
                      doc->limits.max_input);
        return NULL;
    }
    acar_format fmt = opts->format ? opts->format : acar_detect(data, len);
    acar_val *v = NULL;
    doc->err.code = ACAR_OK;
    /* The binary formats spend a few bytes a value, so their documents
     * are bigger than their input (a pickle's 1.3 to 5 times it), the text
     * formats' smaller (twitter.json's 0.9 times its text). */
    bool binary = fmt == ACAR_FORMAT_PICKLE || fmt == ACAR_FORMAT_MARSHAL || fmt == ACAR_FORMAT_PYC ||
                  fmt == ACAR_FORMAT_BPLIST;
    acar__arena_fit(doc, len, binary && len <= SIZE_MAX / 2 ? 2 * len : len);
    switch (fmt) {
    case ACAR_FORMAT_PICKLE:
        v = acar__pickle_read(doc, data, len, opts, err);
        break;
    case ACAR_FORMAT_MARSHAL:
        v = acar__marshal_read(doc, data, len, opts, err);
        break;
    case ACAR_FORMAT_PYC:
        v = acar__pyc_read(doc, data, len, opts, err);
        break;
    case ACAR_FORMAT_JSON:
        v = acar__json_read(doc, data, len, opts, err);
        break;
    case ACAR_FORMAT_JSONL:
        v = acar__jsonl_read(doc, data, len, opts, err);
        break;
    case ACAR_FORMAT_XMLRPC:
        v = acar__xmlrpc_read(doc, data, len, opts, err);
        break;
    case ACAR_FORMAT_PLIST:
        v = acar__plist_read(doc, data, len, opts, err);
        break;
    case ACAR_FORMAT_BPLIST:
        v = acar__bplist_read(doc, data, len, opts, err);
        break;
    case ACAR_FORMAT_AUTO:
        acar__err_set(err, ACAR_ERR_UNSUPPORTED, 0, "cannot tell the format of the input");
        break;
    default:
        acar__err_set(err, ACAR_ERR_UNSUPPORTED, 0, "reading %s is not supported yet",
                      acar_format_name(fmt));
        break;
    }
    /* what the caller builds after the read doubles its chunks again */
    acar__arena_fit(doc, SIZE_MAX, 0);
    if (v) doc->root = v;
    doc->err.code = ACAR_OK;
    return v;
}

int acar_write(const acar_val *v, acar_format fmt, const acar_write_opts *opts, acar_buf *out,
               acar_err *err) {
    if (!opts) {
        acar_write_opts zero = {0};
        return acar_write(v, fmt, &zero, out, err);
    }
    acar__err_clear(err);
    if (!v || !out) {
        acar__err_set(err, ACAR_ERR_ARG, 0, "acar_write needs a value and a buffer");
        return -1;
    }
    acar_out o = {.buf = out};
    /* Text-tree formats write a shared node once per use, so a small
     * document can stand for an exponentially long text: those are bounded
     * by default.  Pickle, marshal and bplist write shared nodes once. */
    size_t max = opts->max_output;
    if (!max && (fmt == ACAR_FORMAT_REPR || fmt == ACAR_FORMAT_JSON || fmt == ACAR_FORMAT_JSONL ||
                 fmt == ACAR_FORMAT_XMLRPC || fmt == ACAR_FORMAT_PLIST))
        max = ACAR_DEFAULT_MAX_OUTPUT;
    if (max) o.limit = out->len + (max < SIZE_MAX - out->len ? max : SIZE_MAX - out->len);
    int rc;
    switch (fmt) {
    case ACAR_FORMAT_PICKLE:
        rc = acar__pickle_write(v, opts, &o, err);
        break;
    case ACAR_FORMAT_MARSHAL:
        rc = acar__marshal_write(v, opts, &o, err);
        break;
    case ACAR_FORMAT_REPR:
        rc = acar__repr_write(v, opts, &o, err);
        break;
    case ACAR_FORMAT_PYC:
        rc = acar__pyc_write(v, opts, &o, err);
        break;
    case ACAR_FORMAT_JSON:
        rc = acar__json_write(v, opts, &o, err);
        break;
    case ACAR_FORMAT_JSONL:
        rc = acar__jsonl_write(v, opts, &o, err);
        break;
    case ACAR_FORMAT_XMLRPC:
        rc = acar__xmlrpc_write(v, opts, &o, err);
        break;
    case ACAR_FORMAT_PLIST:
        rc = acar__plist_write(v, opts, &o, err);
        break;
    case ACAR_FORMAT_BPLIST:
        rc = acar__bplist_write(v, opts, &o, err);
        break;
    default:
        acar__err_set(err, ACAR_ERR_UNSUPPORTED, 0, "writing %s is not supported yet",
                      acar_format_name(fmt));
        return -1;
    }
    if (o.over_limit) {
        acar__err_set(err, ACAR_ERR_LIMIT, 0,
                      "%s output longer than %zu bytes (max_output): a shared value is written once per use",
                      acar_format_name(fmt), max);
        return -1;
    }
    if (rc == 0 && o.failed) {
        acar__err_set(err, ACAR_ERR_NOMEM, 0, "out of memory writing %s", acar_format_name(fmt));
        return -1;
    }
    return rc;
}

int acar_repr(const acar_val *v, acar_buf *out, acar_err *err) {
    return acar_write(v, ACAR_FORMAT_REPR, NULL, out, err);
}
