/*
 * marshal.h -- entry points of the marshal reader and writer (internal).
 *
 * acar_read / acar_write (src/core/format.c) call the first two; the .pyc
 * layer calls the _ex forms, which say which Python wrote the data.
 */
#ifndef ACAR_MARSHAL_H
#define ACAR_MARSHAL_H

#include "core/internal.h"

/* Python 3 marshal data (any version), as CPython 3.11's marshal.loads. */
acar_val *acar__marshal_read(acar_doc *doc, const uint8_t *data, size_t len,
                             acar_read_opts *opts, acar_err *err);
/* Marshal version opts->version (ACAR_VERSION(0..5); 0 means 4), as CPython
 * 3.11's marshal.dumps, reusing the marks of values read from marshal. */
int acar__marshal_write(const acar_val *v, const acar_write_opts *opts, acar_out *out,
                        acar_err *err);

/* Which Python's marshal dialect. */
typedef enum acar_marshal_dialect {
    ACAR_MARSHAL_PY3 = 0, /* 't' is an interned str; FLAG_REF, REF, 'a'/'z'/')' known */
    ACAR_MARSHAL_PY2 = 2  /* 't' is an interned byte string, 'R' indexes them */
} acar_marshal_dialect;

acar_val *acar__marshal_read_ex(acar_doc *doc, const uint8_t *data, size_t len,
                                acar_read_opts *opts, acar_marshal_dialect dialect,
                                acar_err *err);
int acar__marshal_write_ex(const acar_val *v, const acar_write_opts *opts,
                           acar_marshal_dialect dialect, acar_out *out, acar_err *err);

#endif
