/*
 * types.h -- the one table of marshal type codes.
 *
 * A marshal stream is one value: a type code byte, then a body whose shape
 * is fixed per code (ACAR_MA_*), containers holding further values.  The
 * enum values are the wire bytes.  Bit 0x80 of a code (FLAG_REF, Python 3.4+)
 * asks the reader to append the value to the reference list, which REF
 * ('r' + int32 index) then names.  Reader, writer and disassembler take
 * codes, names and body shapes from this table alone.
 *
 * All integers are little-endian; "int32" is signed.  Python 2 and Python 3
 * share most codes; where they differ the era says who knows the code:
 * 't' is an interned str in Python 3 but an interned byte string (added to
 * a list that STRINGREF 'R' indexes) in Python 2.
 *
 * X(NAME, byte, body shape, era, marshal version that first wrote it)
 */
#ifndef ACAR_MARSHAL_TYPES_H
#define ACAR_MARSHAL_TYPES_H

#include <stdint.h>

/* Body shapes. */
typedef enum acar_marshal_body {
    ACAR_MA_NONE,        /* no body */
    ACAR_MA_INT32,       /* int32 */
    ACAR_MA_INT64,       /* int64 (TYPE_INT64, Python 2's 64-bit ints) */
    ACAR_MA_FLOAT_TEXT,  /* uint8 n, n bytes of repr text ("%.17g") */
    ACAR_MA_FLOAT8,      /* IEEE 754 binary64 */
    ACAR_MA_COMPLEX_TEXT,/* two FLOAT_TEXT bodies: real, imag */
    ACAR_MA_COMPLEX16,   /* two FLOAT8: real, imag */
    ACAR_MA_LONG,        /* int32 n (sign of the value), |n| uint16 digits base 2**15, low first */
    ACAR_MA_BYTES4,      /* int32 n >= 0, n bytes */
    ACAR_MA_BYTES1,      /* uint8 n, n bytes */
    ACAR_MA_COUNT4,      /* int32 n >= 0, then n values */
    ACAR_MA_COUNT1,      /* uint8 n, then n values */
    ACAR_MA_PAIRS,       /* key, value pairs until a NULL key */
    ACAR_MA_INDEX4,      /* int32 index into the reference (or Python 2 string) list */
    ACAR_MA_CODE,        /* a code object: fields of its Python version */
    ACAR_MA_SLICE        /* three values: start, stop, step */
} acar_marshal_body;

/* Who knows a code. */
typedef enum acar_marshal_era {
    ACAR_ME_ALL,         /* Python 2 and 3 */
    ACAR_ME_PY2,         /* Python 2 only */
    ACAR_ME_PY3          /* Python 3 only */
} acar_marshal_era;

#define ACAR_MARSHAL_FLAG_REF 0x80u

#define ACAR_MARSHAL_TYPES(X) \
    X(NULL,                 '0', ACAR_MA_NONE,         ACAR_ME_ALL, 0) \
    X(NONE,                 'N', ACAR_MA_NONE,         ACAR_ME_ALL, 0) \
    X(FALSE,                'F', ACAR_MA_NONE,         ACAR_ME_ALL, 0) \
    X(TRUE,                 'T', ACAR_MA_NONE,         ACAR_ME_ALL, 0) \
    X(STOPITER,             'S', ACAR_MA_NONE,         ACAR_ME_ALL, 0) \
    X(ELLIPSIS,             '.', ACAR_MA_NONE,         ACAR_ME_ALL, 0) \
    X(INT,                  'i', ACAR_MA_INT32,        ACAR_ME_ALL, 0) \
    X(INT64,                'I', ACAR_MA_INT64,        ACAR_ME_ALL, 0) \
    X(FLOAT,                'f', ACAR_MA_FLOAT_TEXT,   ACAR_ME_ALL, 0) \
    X(BINARY_FLOAT,         'g', ACAR_MA_FLOAT8,       ACAR_ME_ALL, 2) \
    X(COMPLEX,              'x', ACAR_MA_COMPLEX_TEXT, ACAR_ME_ALL, 0) \
    X(BINARY_COMPLEX,       'y', ACAR_MA_COMPLEX16,    ACAR_ME_ALL, 2) \
    X(LONG,                 'l', ACAR_MA_LONG,         ACAR_ME_ALL, 0) \
    X(STRING,               's', ACAR_MA_BYTES4,       ACAR_ME_ALL, 0) \
    X(INTERNED,             't', ACAR_MA_BYTES4,       ACAR_ME_ALL, 1) \
    X(STRINGREF,            'R', ACAR_MA_INDEX4,       ACAR_ME_PY2, 1) \
    X(REF,                  'r', ACAR_MA_INDEX4,       ACAR_ME_PY3, 3) \
    X(TUPLE,                '(', ACAR_MA_COUNT4,       ACAR_ME_ALL, 0) \
    X(SMALL_TUPLE,          ')', ACAR_MA_COUNT1,       ACAR_ME_PY3, 4) \
    X(LIST,                 '[', ACAR_MA_COUNT4,       ACAR_ME_ALL, 0) \
    X(DICT,                 '{', ACAR_MA_PAIRS,        ACAR_ME_ALL, 0) \
    X(CODE,                 'c', ACAR_MA_CODE,         ACAR_ME_ALL, 0) \
    X(UNICODE,              'u', ACAR_MA_BYTES4,       ACAR_ME_ALL, 0) \
    X(UNKNOWN,              '?', ACAR_MA_NONE,         ACAR_ME_ALL, 0) \
    X(SET,                  '<', ACAR_MA_COUNT4,       ACAR_ME_ALL, 2) \
    X(FROZENSET,            '>', ACAR_MA_COUNT4,       ACAR_ME_ALL, 2) \
    X(ASCII,                'a', ACAR_MA_BYTES4,       ACAR_ME_PY3, 4) \
    X(ASCII_INTERNED,       'A', ACAR_MA_BYTES4,       ACAR_ME_PY3, 4) \
    X(SHORT_ASCII,          'z', ACAR_MA_BYTES1,       ACAR_ME_PY3, 4) \
    X(SHORT_ASCII_INTERNED, 'Z', ACAR_MA_BYTES1,       ACAR_ME_PY3, 4) \
    X(SLICE,                ':', ACAR_MA_SLICE,        ACAR_ME_PY3, 5) \
    X(FROZENDICT,           '}', ACAR_MA_PAIRS,        ACAR_ME_PY3, 6)

typedef enum acar_marshal_type {
#define ACAR_MARSHAL_ENUM(name, byte, body, era, version) ACAR_MT_##name = byte,
    ACAR_MARSHAL_TYPES(ACAR_MARSHAL_ENUM)
#undef ACAR_MARSHAL_ENUM
} acar_marshal_type;

typedef struct acar_marshal_typeinfo {
    const char *name;    /* "SHORT_ASCII"; NULL for bytes that are no type code */
    uint8_t body;        /* acar_marshal_body */
    uint8_t era;         /* acar_marshal_era */
    uint8_t version;     /* first marshal version that writes it */
} acar_marshal_typeinfo;

/* Indexed by the code without FLAG_REF (0..127). */
extern const acar_marshal_typeinfo acar_marshal_types[128];

/* The newest marshal version acar writes (CPython 3.11 writes 4; 5 adds
 * only slices, which no acar node holds, so 5 writes what 4 writes). */
#define ACAR_MARSHAL_VERSION_MAX 5
#define ACAR_MARSHAL_VERSION_DEFAULT 4

#endif
