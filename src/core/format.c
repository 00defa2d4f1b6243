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

acar_format acar_detect(const void *data, size_t len) {
    const uint8_t *p = data;
    if (len == 0) return ACAR_FORMAT_AUTO;
    /* Protocol 2+ pickles open with PROTO n. */
    if (len >= 2 && p[0] == 0x80 && p[1] <= 5) return ACAR_FORMAT_PICKLE;
    /* Protocol 0/1 pickles end with STOP and open with an opcode byte. */
    if (p[len - 1] == '.' && acar_pickle_ops[p[0]].name != NULL) return ACAR_FORMAT_PICKLE;
    return ACAR_FORMAT_AUTO;
}

acar_val *acar_read(acar_doc *doc, const void *data, size_t len, acar_read_opts *opts,
                    acar_err *err) {
    acar_read_opts zero = {0};
    if (!opts) opts = &zero;
    if (err) memset(err, 0, sizeof *err);
    if (!doc || (!data && len)) {
        acar__err_set(err, ACAR_ERR_ARG, 0, "acar_read needs a document and data");
        return NULL;
    }
    acar_format fmt = opts->format ? opts->format : acar_detect(data, len);
    acar_val *v = NULL;
    doc->err.code = ACAR_OK;
    opts->consumed = 0;
    opts->protocol = 0;
    switch (fmt) {
    case ACAR_FORMAT_PICKLE:
        v = acar__pickle_read(doc, data, len, opts, err);
        break;
    case ACAR_FORMAT_MARSHAL:
        v = acar__marshal_read(doc, data, len, opts, err);
        break;
    case ACAR_FORMAT_AUTO:
        acar__err_set(err, ACAR_ERR_UNSUPPORTED, 0, "cannot tell the format of the input");
        return NULL;
    default:
        acar__err_set(err, ACAR_ERR_UNSUPPORTED, 0, "reading %s is not supported yet",
                      acar_format_name(fmt));
        return NULL;
    }
    if (v) doc->root = v;
    doc->err.code = ACAR_OK;
    return v;
}

int acar_write(const acar_val *v, acar_format fmt, const acar_write_opts *opts, acar_buf *out,
               acar_err *err) {
    acar_write_opts zero = {0};
    if (!opts) opts = &zero;
    if (err) memset(err, 0, sizeof *err);
    if (!v || !out) {
        acar__err_set(err, ACAR_ERR_ARG, 0, "acar_write needs a value and a buffer");
        return -1;
    }
    acar_out o = {out, false};
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
    default:
        acar__err_set(err, ACAR_ERR_UNSUPPORTED, 0, "writing %s is not supported yet",
                      acar_format_name(fmt));
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
