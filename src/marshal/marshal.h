/*
 * marshal.h -- entry points of the marshal reader and writer, code objects
 * and .pyc files (internal).
 *
 * acar_read / acar_write (src/core/format.c) call acar__marshal_read /
 * acar__marshal_write (Python 3.11 marshal) and acar__pyc_read /
 * acar__pyc_write (.pyc files of any supported Python).  Tests and the
 * fuzzer call the _ex forms, which say which Python wrote the data.
 */
#ifndef ACAR_MARSHAL_H
#define ACAR_MARSHAL_H

#include "core/internal.h"

/* Python 3 marshal data (any version), as CPython 3.11's marshal.loads;
 * code objects in 3.11's layout. */
acar_val *acar__marshal_read(acar_doc *doc, const uint8_t *data, size_t len,
                             acar_read_opts *opts, acar_err *err);
/* Marshal version opts->version (ACAR_VERSION(0..5); 0 means 4), as CPython
 * 3.11's marshal.dumps, reusing the marks of values read from marshal.
 * Code objects must be of Python 3.11. */
int acar__marshal_write(const acar_val *v, const acar_write_opts *opts, acar_out *out,
                        acar_err *err);

/* Which Python's marshal dialect. */
typedef enum acar_marshal_dialect {
    ACAR_MARSHAL_PY3 = 0, /* 't' is an interned str; FLAG_REF, REF, 'a'/'z'/')' known */
    ACAR_MARSHAL_PY2 = 2  /* 't' is an interned byte string, 'R' indexes them */
} acar_marshal_dialect;

/* PY3: code objects in Python 3.11's layout; PY2: in Python 2.7's. */
acar_val *acar__marshal_read_ex(acar_doc *doc, const uint8_t *data, size_t len,
                                acar_read_opts *opts, acar_marshal_dialect dialect,
                                acar_err *err);
/* PY2 writes Python 2.7's marshal (versions 0..2, default 2). */
int acar__marshal_write_ex(const acar_val *v, const acar_write_opts *opts,
                           acar_marshal_dialect dialect, acar_out *out, acar_err *err);

/* The marshal of Python pyver (ACAR_PYVER(2, 7), ACAR_PYVER(3, 6..13)):
 * its dialect, and code objects in its layout (and only those when
 * writing).  0 when pyver has no code layout. */
acar_val *acar__marshal_read_py(acar_doc *doc, const uint8_t *data, size_t len,
                                acar_read_opts *opts, unsigned pyver, acar_err *err);
int acar__marshal_write_py(const acar_val *v, const acar_write_opts *opts, unsigned pyver,
                           acar_out *out, acar_err *err);

/* ---- code objects (code.c) ---- */

/* ACAR_CODE node: u.p -> acar_code_body, length = fields in the layout. */
typedef struct acar_code_body {
    uint16_t pyver;               /* ACAR_PYVER(major, minor) */
    uint16_t nfields;
    const acar_pyc_header *pyc;   /* the header of the .pyc it was read from, or NULL */
    acar_val *f[];                /* fields in the wire order of its version */
} acar_code_body;

/* Whether a field is a raw int32 on the wire (counts, flags, firstlineno). */
static inline bool acar__code_int_field(unsigned f) {
    return f <= ACAR_CO_FLAGS || f == ACAR_CO_FIRSTLINENO;
}
/* Checks field types of a complete code body; 0, or -1 with a message
 * (at most ACAR_ERR_MSG_MAX bytes) in msg. */
int acar__code_check(const acar_code_body *b, char *msg, size_t cap);
/* "Python 3.11" into buf (at least 16 bytes). */
const char *acar__pyver_str(unsigned pyver, char *buf);

/* repr(code): <code object NAME, file "FILE", line N> (docs/pyc.md). */
int acar__code_repr(const acar_val *v, acar_out *out);

/* ---- .pyc files (pyc.c) ---- */

acar_val *acar__pyc_read(acar_doc *doc, const uint8_t *data, size_t len,
                         acar_read_opts *opts, acar_err *err);
int acar__pyc_write(const acar_val *v, const acar_write_opts *opts, acar_out *out,
                    acar_err *err);
/* 1 when data opens with the magic number of a known Python (2.x or 3.x)
 * followed by \r\n; 0 otherwise. */
int acar__pyc_detect(const uint8_t *data, size_t len);

/* SipHash with key (k0, k1) over data: 1-3 (c = 1, d = 3) or 2-4. */
uint64_t acar__siphash(int c_rounds, int d_rounds, uint64_t k0, uint64_t k1,
                       const uint8_t *data, size_t len);

#endif
