/*
 * acar.h -- Python's serialization formats in portable C.
 *
 * acar reads and writes pickle (protocols 0-5) and marshal (all but code
 * objects) and, as they land, .pyc, JSON as Python's json module does it,
 * XML-RPC and plists, through one value model.  It never runs code: classes and functions named in the
 * input stay inert names.  For the same value it writes the bytes CPython
 * writes.
 *
 * Ownership in one paragraph: an acar_doc owns every node and every byte of
 * text in it, in an arena.  Nodes are never freed alone; acar_doc_free frees
 * all of them.  Nodes may be shared by several containers and containers may
 * contain themselves (pickle data is a graph).  Nothing here keeps global
 * state; a doc may be used by one thread at a time, distinct docs freely in
 * parallel.
 *
 * Errors: every function that can fail takes an optional acar_err* (NULL is
 * allowed) and returns NULL / a negative value on failure.  The error holds
 * a code that only ever grows (acar_err_str names it), the byte offset of the
 * input where it happened and a one-line message.
 */
#ifndef ACAR_H
#define ACAR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(ACAR_SHARED)
#  ifdef ACAR_BUILDING
#    define ACAR_API __declspec(dllexport)
#  else
#    define ACAR_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define ACAR_API __attribute__((visibility("default")))
#else
#  define ACAR_API
#endif

#define ACAR_VERSION_MAJOR 0
#define ACAR_VERSION_MINOR 1
#define ACAR_VERSION_PATCH 0
#define ACAR_VERSION_STRING "0.1.0"

/* The version of the library linked in, as a string ("0.1.0"). */
ACAR_API const char *acar_version(void);

/* ======================================================================
 * Errors
 * ==================================================================== */

typedef enum acar_code {
    ACAR_OK = 0,
    ACAR_ERR_NOMEM = 1,       /* an allocation failed */
    ACAR_ERR_MALFORMED = 2,   /* the input is not valid in its format */
    ACAR_ERR_TRUNCATED = 3,   /* the input ends before the value does */
    ACAR_ERR_LIMIT = 4,       /* a limit (acar_limits) was exceeded; the message names it */
    ACAR_ERR_UNSUPPORTED = 5, /* valid input that acar does not handle */
    ACAR_ERR_TYPE = 6,        /* a value the target format cannot hold */
    ACAR_ERR_REFUSED = 7,     /* a caller callback (find_class, ...) refused */
    ACAR_ERR_ARG = 8,         /* a bad argument from the caller */
    ACAR_ERR_IO = 9,          /* a write callback or the file system failed */
    ACAR_ERR_UNRESOLVED = 10  /* a reference needs a callback or data the caller did not give */
} acar_code;

#define ACAR_ERR_MSG_MAX 160

typedef struct acar_err {
    acar_code code;
    size_t offset;                 /* byte offset in the input (0 if not applicable) */
    size_t line, column;           /* 1-based, text formats only; 0 otherwise */
    char msg[ACAR_ERR_MSG_MAX];    /* one line, no trailing period */
} acar_err;

/* A static name for a code ("malformed input", ...). */
ACAR_API const char *acar_err_str(acar_code code);

/* ======================================================================
 * Allocation and limits
 * ==================================================================== */

/* An allocator.  realloc and free receive the old size, so arena-style
 * allocators need no header.  Any function may be NULL to use the C library's. */
typedef struct acar_alloc {
    void *(*malloc)(void *ctx, size_t size);
    void *(*realloc)(void *ctx, void *ptr, size_t old_size, size_t new_size);
    void (*free)(void *ctx, void *ptr, size_t size);
    void *ctx;
} acar_alloc;

/* Limits.  Zero in a field means its default (in brackets).  Passing one
 * fails the call with ACAR_ERR_LIMIT, a message naming the field
 * ("... (max_input)") and the offset of the input where it stopped
 * (docs/value-model.md has the table). */
typedef struct acar_limits {
    size_t max_depth;      /* container nesting while reading, writing, printing [100000] */
    size_t max_memory;     /* bytes a document may take from its allocator [4 GiB] */
    size_t max_items;      /* items in one container [2^32 - 1] */
    size_t max_int_digits; /* decimal digits when converting ints to or from text,
                              as Python's sys.int_info.default_max_str_digits [4300] */
    size_t max_memo;       /* pickle memo entries [2^31] */
    /* Bytes of input one read accepts [max_memory, so 4 GiB]: acar_read
     * (every format), the header and object pickle of acar_npy_read, the
     * data.pkl of acar_torch_open (element bytes and storages are views,
     * never read, and do not count), each pickle acar_scan reads.  A
     * longer input fails at once with ACAR_ERR_LIMIT, before any parsing.
     * Tied to max_memory by default because a read copies what it reads
     * into the document: a caller that raises one for big inputs raises
     * both. */
    size_t max_input;
    /* Opcodes one pickle read executes [SIZE_MAX: no bound of its own].
     * Each opcode takes at least one byte, so max_input already bounds
     * the count; a caller sets it lower to bound the work spent on one
     * read (the error's offset is the opcode that would pass it).  A
     * nested pickle acar_scan follows is a read of its own, with its own
     * count (the scanner bounds their total bytes). */
    size_t max_ops;
} acar_limits;

#define ACAR_DEFAULT_MAX_DEPTH 100000u
/* 4 GiB; all of memory where size_t has 32 bits (a plain 1 << 32 would
 * be undefined there) */
#define ACAR_DEFAULT_MAX_MEMORY (SIZE_MAX > 0xffffffffu ? ((size_t)1 << 16) << 16 : SIZE_MAX)
#define ACAR_DEFAULT_MAX_ITEMS 0xffffffffu
#define ACAR_DEFAULT_MAX_INT_DIGITS 4300u
#define ACAR_DEFAULT_MAX_MEMO 0x80000000u
#define ACAR_DEFAULT_MAX_INPUT ACAR_DEFAULT_MAX_MEMORY /* when max_memory is left 0 too */
#define ACAR_DEFAULT_MAX_OPS SIZE_MAX

/* ======================================================================
 * Documents and nodes
 * ==================================================================== */

typedef struct acar_doc acar_doc;
typedef struct acar_val acar_val;
typedef struct acar_buf acar_buf; /* an output buffer: see "Formats" */

typedef enum acar_type {
    ACAR_NONE = 1,
    ACAR_BOOL,
    ACAR_ELLIPSIS,
    ACAR_STOPITERATION,
    ACAR_INT,          /* any size: int64 inline, larger as sign + magnitude */
    ACAR_FLOAT,
    ACAR_COMPLEX,
    ACAR_STR,          /* UTF-8; lone surrogates as CPython's surrogatepass writes them */
    ACAR_BYTES,
    ACAR_BYTEARRAY,
    ACAR_LIST,
    ACAR_TUPLE,
    ACAR_DICT,         /* insertion ordered, keys of any hashable type */
    ACAR_SET,
    ACAR_FROZENSET,
    ACAR_GLOBAL,       /* module attribute by name: never resolved */
    ACAR_OBJECT,       /* instance built by REDUCE/NEWOBJ/NEWOBJ_EX/INST/OBJ */
    ACAR_PERSID,       /* result of persistent_load(pid) */
    ACAR_BUFFER,       /* protocol 5 PickleBuffer */
    ACAR_CODE,         /* marshal code object */
    ACAR_DATETIME      /* naive datetime.datetime (plist, XML-RPC, pickle) */
} acar_type;

/* A node.  Its fields are private: use the accessors.  Every node is 16
 * bytes: a tag (type, flags, length) and a payload. */
struct acar_val {
    uint64_t tag;
    union {
        int64_t i;
        double f;
        const char *s;
        acar_val **items;
        void *p;
    } u;
};

typedef struct acar_doc_opts {
    const acar_alloc *alloc; /* NULL: the C library's */
    acar_limits limits;      /* zeroed: defaults */
} acar_doc_opts;

/* A new empty document, or NULL when out of memory.  opts may be NULL. */
ACAR_API acar_doc *acar_doc_new(const acar_doc_opts *opts);
/* Frees the document, every node in it and every byte they hold. NULL is fine. */
ACAR_API void acar_doc_free(acar_doc *doc);
/* Empties the document for another read: every node is gone, but memory
 * is kept, so reading many inputs one after another does not return it to
 * the system and fault it back in each time.  When the document's blocks
 * came to at most 1 MiB in all, every one is kept (a read of the same size
 * then takes nothing from the allocator); else the largest.  Never
 * allocates; acar_doc_memory counts what is kept, and a read that would
 * pass max_memory gives back the kept blocks it is not filling first.
 * From its second JSON read on, a document also keeps the object keys it
 * met (their str nodes, copied, and one each of '' and the one-character
 * strs), up to about 2 MiB, so that the next read of similar text finds
 * them made: reading many messages of one kind this way takes up to 11%
 * less time (docs/json.md).  Not when max_memory leaves less than four
 * times that room. */
ACAR_API void acar_doc_reset(acar_doc *doc);
/* Documents on the default allocator hand their arena chunks of 16 KiB and
 * up to a small process-wide cache when freed or reset, and readers their
 * scratch tables of that size when they return, at most 32 blocks and 64
 * MiB, so that the next document starts on warm pages (fresh pages from
 * the kernel cost more than reading into them).  This frees the cached
 * blocks now.  Thread-safe. */
ACAR_API void acar_release_memory(void);
/* The root set by a reader (or acar_doc_set_root), or NULL. */
ACAR_API acar_val *acar_doc_root(const acar_doc *doc);
ACAR_API void acar_doc_set_root(acar_doc *doc, acar_val *root);
/* The limits in force (defaults filled in). */
ACAR_API const acar_limits *acar_doc_limits(const acar_doc *doc);
/* Bytes taken from the allocator so far. */
ACAR_API size_t acar_doc_memory(const acar_doc *doc);
/* The first error of a builder or mutator call on this doc, kept until a
 * read starts (later errors do not replace it), so a sequence of builder
 * calls can be checked once at the end.  NULL when all went well.  A builder
 * given a NULL node (another builder's failure) fails in turn. */
ACAR_API const acar_err *acar_doc_error(const acar_doc *doc);

/* ---- type and common accessors ---- */

ACAR_API acar_type acar_typeof(const acar_val *v);
/* Python's type name: "NoneType", "int", "str", "list", ... ("object" for
 * ACAR_OBJECT, whose class is acar_object_callable). */
ACAR_API const char *acar_type_name(acar_type t);
/* Items in a container (dict: pairs), bytes in str/bytes/bytearray, 0 otherwise. */
ACAR_API size_t acar_len(const acar_val *v);

/* ---- scalars ---- */

ACAR_API int acar_bool(const acar_val *v);                 /* 1 for True */
ACAR_API double acar_float(const acar_val *v);
ACAR_API double acar_complex_real(const acar_val *v);
ACAR_API double acar_complex_imag(const acar_val *v);

/* 1 when the int fits int64_t (and then *out holds it), 0 otherwise. */
ACAR_API int acar_int_get(const acar_val *v, int64_t *out);
/* For any int: sign (1 negative) and magnitude as little-endian 32-bit
 * limbs (no high zero limbs; zero has none).  Small ints are converted into
 * the caller's buffer tmp (3 limbs), so keep tmp alive while using *limbs. */
ACAR_API size_t acar_int_limbs(const acar_val *v, int *neg, const uint32_t **limbs, uint32_t tmp[3]);

/* str, bytes, bytearray: the bytes (not NUL-terminated) and their length. */
ACAR_API const char *acar_str(const acar_val *v, size_t *len);

/* ---- containers ---- */

/* list, tuple, set, frozenset: item i (0-based), NULL when out of range. */
ACAR_API acar_val *acar_item(const acar_val *v, size_t i);
/* dict: the i-th pair in insertion order. */
ACAR_API acar_val *acar_dict_key(const acar_val *v, size_t i);
ACAR_API acar_val *acar_dict_value(const acar_val *v, size_t i);
/* dict: the value for key (Python equality: 1 == 1.0 == True), or NULL. */
ACAR_API acar_val *acar_dict_get(const acar_val *dict, const acar_val *key);
/* dict with str keys: the value for the UTF-8 key, or NULL. */
ACAR_API acar_val *acar_dict_get_str(const acar_val *dict, const char *key, size_t len);

/* ---- global, object, persistent id, buffer ---- */

/* global: module and qualified name, as str nodes. */
ACAR_API acar_val *acar_global_module(const acar_val *v);
ACAR_API acar_val *acar_global_name(const acar_val *v);

/* How an object was built; a writer that can, builds it back the same way. */
typedef enum acar_build {
    ACAR_BUILD_REDUCE = 1, /* callable(*args) */
    ACAR_BUILD_NEWOBJ,     /* cls.__new__(cls, *args) */
    ACAR_BUILD_NEWOBJ_EX,  /* cls.__new__(cls, *args, **kwargs) */
    ACAR_BUILD_INST,       /* protocol 0 INST module name */
    ACAR_BUILD_OBJ         /* protocol 1 OBJ */
} acar_build;

ACAR_API acar_build acar_object_build(const acar_val *v);
/* The callable (REDUCE) or class (the others): usually a global. */
ACAR_API acar_val *acar_object_callable(const acar_val *v);
ACAR_API acar_val *acar_object_args(const acar_val *v);   /* tuple */
ACAR_API acar_val *acar_object_kwargs(const acar_val *v); /* dict or NULL */
ACAR_API acar_val *acar_object_state(const acar_val *v);  /* BUILD state or NULL */
ACAR_API acar_val *acar_object_listitems(const acar_val *v); /* list of appended items or NULL */
ACAR_API acar_val *acar_object_dictitems(const acar_val *v); /* dict of set items or NULL */

ACAR_API acar_val *acar_persid_pid(const acar_val *v);

/* A naive datetime.datetime: year 1..9999, month 1..12, day 1..31 (valid for
 * the month), hour 0..23, minute 0..59, second 0..59, microsecond 0..999999,
 * fold 0 or 1.  Datetimes with a tzinfo stay ACAR_OBJECT. */
typedef struct acar_datetime {
    int year, month, day, hour, minute, second, microsecond, fold;
} acar_datetime;
/* Fills *out and returns 0, or -1 when v is not a datetime. */
ACAR_API int acar_datetime_get(const acar_val *v, acar_datetime *out);

/* Buffer: bytes (in the document for in-band, in the caller's buffer for
 * out-of-band), read-only flag, and the out-of-band index or -1. */
ACAR_API const uint8_t *acar_buffer_data(const acar_val *v, size_t *len);
ACAR_API int acar_buffer_readonly(const acar_val *v);
ACAR_API long acar_buffer_oob_index(const acar_val *v);

/* ---- code objects ----
 * A marshal code object holds the fields of one Python version, in that
 * version's wire order (docs/pyc.md lists each layout); acar_code_version
 * says which.  Writers refuse to write it as another version.  Counts,
 * flags and firstlineno are int nodes; the others are the nodes read
 * (bytes, tuples, str; in Python 2.7 names and filename are bytes). */

/* A Python version as a number: ACAR_PYVER(3, 11) == 0x030b. */
#define ACAR_PYVER(major, minor) (((unsigned)(major) << 8) | (unsigned)(minor))

typedef enum acar_code_field {
    ACAR_CO_ARGCOUNT = 0,
    ACAR_CO_POSONLYARGCOUNT,  /* 3.8+ */
    ACAR_CO_KWONLYARGCOUNT,   /* 3.x */
    ACAR_CO_NLOCALS,          /* up to 3.10 */
    ACAR_CO_STACKSIZE,
    ACAR_CO_FLAGS,
    ACAR_CO_CODE,             /* bytes */
    ACAR_CO_CONSTS,           /* tuple */
    ACAR_CO_NAMES,            /* tuple of str */
    ACAR_CO_VARNAMES,         /* up to 3.10 */
    ACAR_CO_FREEVARS,         /* up to 3.10 */
    ACAR_CO_CELLVARS,         /* up to 3.10 */
    ACAR_CO_LOCALSPLUSNAMES,  /* 3.11+: tuple of str */
    ACAR_CO_LOCALSPLUSKINDS,  /* 3.11+: bytes, one per name */
    ACAR_CO_FILENAME,
    ACAR_CO_NAME,
    ACAR_CO_QUALNAME,         /* 3.11+ */
    ACAR_CO_FIRSTLINENO,
    ACAR_CO_LNOTAB,           /* up to 3.9 */
    ACAR_CO_LINETABLE,        /* 3.10+ */
    ACAR_CO_EXCEPTIONTABLE,   /* 3.11+ */
    ACAR_CO_FIELD_COUNT
} acar_code_field;

/* The version of a code node (ACAR_PYVER), 0 when v is not code. */
ACAR_API unsigned acar_code_version(const acar_val *v);
/* A field of a code node, NULL when its version has no such field. */
ACAR_API acar_val *acar_code_get(const acar_val *v, acar_code_field f);
/* "co_argcount", ...; NULL for an unknown field. */
ACAR_API const char *acar_code_field_name(acar_code_field f);
/* The fields of a version in wire order (*fields points to a static
 * array); returns their number, 0 when acar knows no layout for pyver
 * (supported: 2.7 and 3.6 to 3.13). */
ACAR_API size_t acar_code_layout(unsigned pyver, const acar_code_field **fields);
/* A code node of version pyver from n fields in wire order (n must be the
 * layout's); the field types are checked as the reader checks them. */
ACAR_API acar_val *acar_new_code(acar_doc *doc, unsigned pyver, acar_val *const *fields,
                                 size_t n);

/* The header of a .pyc file.  Up to 3.2: magic, mtime (8 bytes); 3.3 to
 * 3.6: magic, mtime, source size (12); 3.7+ (PEP 552): magic, flags, then
 * mtime and source size, or the 8-byte SipHash of the source (16). */
typedef struct acar_pyc_header {
    unsigned pyver;        /* ACAR_PYVER of the magic number */
    uint16_t magic;        /* the magic number (bytes 0-1, little-endian; then \r\n) */
    uint32_t flags;        /* 3.7+: ACAR_PYC_HASH_BASED | ACAR_PYC_CHECK_SOURCE */
    uint32_t mtime;        /* timestamp pycs: source mtime, seconds, mod 2^32 */
    uint32_t source_size;  /* timestamp pycs of 3.3+: source size mod 2^32 */
    uint8_t hash[8];       /* hash-based pycs: importlib.util.source_hash(source) */
    size_t size;           /* bytes of the header: 8, 12 or 16 */
    int body;              /* 1 when acar reads this version's code objects */
} acar_pyc_header;

#define ACAR_PYC_HASH_BASED 1u   /* bit 0 of the PEP 552 flags */
#define ACAR_PYC_CHECK_SOURCE 2u /* bit 1: importlib checks the hash */

/* Parses the header of the .pyc in data[0..len).  Returns 0, or -1 (not a
 * .pyc of a known Python, truncated header, bad flags) with err filled. */
ACAR_API int acar_pyc_info(const void *data, size_t len, acar_pyc_header *out, acar_err *err);
/* The header a code node was read with (0), or -1 when it came from no .pyc. */
ACAR_API int acar_pyc_header_of(const acar_val *code, acar_pyc_header *out);
/* importlib.util.source_hash(source) of the Python that wrote magic
 * (3.7+): the SipHash keyed with the 4 magic bytes as a little-endian
 * integer.  Returns 0, or -1 when that Python has no hash-based pycs. */
ACAR_API int acar_pyc_source_hash(uint16_t magic, const void *source, size_t len,
                                  uint8_t out[8]);
/* Whether the .pyc header h matches the source: as importlib checks it
 * (hash-based: the hash, whatever the check_source flag says; timestamp:
 * source size, and mtime unless source_mtime is negative).  Returns 0 when
 * it matches, -1 with err (ACAR_ERR_MALFORMED "stale ...") when not. */
ACAR_API int acar_pyc_check_source(const acar_pyc_header *h, const void *source, size_t len,
                                   int64_t source_mtime, acar_err *err);
/* Writes code as a .pyc of its own version, byte for byte as py_compile
 * does, with header h (pyver 0 or the code's; flags, mtime, source_size,
 * hash as given); h NULL: the header it was read with, else a timestamp
 * header of mtime 0 and size 0.  acar_write(ACAR_FORMAT_PYC) is this with
 * h NULL.  Returns 0, or -1 with err filled. */
ACAR_API int acar_pyc_write(const acar_val *code, const acar_pyc_header *h, acar_buf *out,
                            acar_err *err);
/* The code object as `acar show F.pyc` prints it (docs/pyc.md): the .pyc
 * header it was read with (if any) as a # line, then each code object
 * depth first -- its repr, then every field of its version, one per line,
 * indented, in Python repr (bytes over 48 shown cut, with their length) --
 * nested code objects of co_consts indented one more level.  Appends to
 * out; returns 0, or -1 with err filled. */
ACAR_API int acar_code_show(const acar_val *code, acar_buf *out, acar_err *err);
/* The bytecode listing of `acar dis F.pyc` (docs/pyc.md): each code object
 * as the dis module of its own Python version lists it (dis.dis(code):
 * line numbers, jump targets, offsets, opcode names, arguments and what
 * they mean; 3.11+ the exception table), nested code objects of co_consts
 * after it under "Disassembly of <code object ...>:".  Code reprs carry no
 * "at 0x..." address.  v may also be a tuple, list, dict or set holding
 * code objects (raw marshal data): each is listed in turn.  Appends to
 * out; returns 0, or -1 with err filled (ACAR_ERR_MALFORMED: bytecode
 * that is cut off or whose argument indexes nothing, at its offset in
 * co_code, after listing all it can; ACAR_ERR_TYPE: no code object in v;
 * ACAR_ERR_LIMIT: a listing beyond ACAR_DEFAULT_MAX_OUTPUT bytes). */
typedef struct acar_code_dis_opts {
    int show_offsets;  /* 3.13: offsets too (dis.dis(show_offsets=True)); other versions always show them */
} acar_code_dis_opts;
ACAR_API int acar_code_dis(const acar_val *v, const acar_code_dis_opts *opts, acar_buf *out,
                           acar_err *err);

/* ---- builders ----
 * Each returns the new node, or NULL after recording an error on the doc
 * (see acar_doc_error). Builders copy the bytes they are given. */

ACAR_API acar_val *acar_new_none(acar_doc *doc);
ACAR_API acar_val *acar_new_bool(acar_doc *doc, int b);
ACAR_API acar_val *acar_new_ellipsis(acar_doc *doc);
ACAR_API acar_val *acar_new_stopiteration(acar_doc *doc);
ACAR_API acar_val *acar_new_int(acar_doc *doc, int64_t i);
/* An int from sign and little-endian 32-bit limbs (normalised here). */
ACAR_API acar_val *acar_new_bigint(acar_doc *doc, int neg, const uint32_t *limbs, size_t n);
/* An int from decimal text ("-123", any size up to the int-digits limit). */
ACAR_API acar_val *acar_new_int_dec(acar_doc *doc, const char *text, size_t len);
ACAR_API acar_val *acar_new_float(acar_doc *doc, double f);
ACAR_API acar_val *acar_new_complex(acar_doc *doc, double re, double im);
/* str from UTF-8 (surrogatepass allowed); fails on invalid UTF-8. */
ACAR_API acar_val *acar_new_str(acar_doc *doc, const char *utf8, size_t len);
ACAR_API acar_val *acar_new_bytes(acar_doc *doc, const void *data, size_t len);
ACAR_API acar_val *acar_new_bytearray(acar_doc *doc, const void *data, size_t len);
ACAR_API acar_val *acar_new_list(acar_doc *doc);
ACAR_API acar_val *acar_new_dict(acar_doc *doc);
ACAR_API acar_val *acar_new_set(acar_doc *doc);
/* Immutable containers are made whole from n items. */
ACAR_API acar_val *acar_new_tuple(acar_doc *doc, acar_val *const *items, size_t n);
ACAR_API acar_val *acar_new_frozenset(acar_doc *doc, acar_val *const *items, size_t n);
ACAR_API acar_val *acar_new_global(acar_doc *doc, const char *module, size_t mlen,
                                   const char *name, size_t nlen);
/* An object; args a tuple (NULL: empty), kwargs a dict or NULL. */
ACAR_API acar_val *acar_new_object(acar_doc *doc, acar_build how, acar_val *callable,
                                   acar_val *args, acar_val *kwargs);
ACAR_API acar_val *acar_new_persid(acar_doc *doc, acar_val *pid);
/* An in-band buffer holding a copy of the bytes. */
ACAR_API acar_val *acar_new_buffer(acar_doc *doc, const void *data, size_t len, int readonly);
/* NULL (with ACAR_ERR_ARG in the doc's error) when a field is out of range. */
ACAR_API acar_val *acar_new_datetime(acar_doc *doc, const acar_datetime *dt);

/* Mutators; each returns 0, or -1 after recording an error on the doc. */
ACAR_API int acar_list_append(acar_doc *doc, acar_val *list, acar_val *item);
/* dict: d[key] = value, Python semantics (existing key keeps its place);
 * unhashable keys (list, dict, set, bytearray) are an error. */
ACAR_API int acar_dict_set(acar_doc *doc, acar_val *dict, acar_val *key, acar_val *value);
/* set: add item unless an equal one is there. */
ACAR_API int acar_set_add(acar_doc *doc, acar_val *set, acar_val *item);
ACAR_API int acar_object_set_state(acar_doc *doc, acar_val *obj, acar_val *state);
ACAR_API int acar_object_append(acar_doc *doc, acar_val *obj, acar_val *item);
ACAR_API int acar_object_setitem(acar_doc *doc, acar_val *obj, acar_val *key, acar_val *value);

/* ---- comparisons ---- */

/* 1 when Python would say hash(v) works: not list, dict, set, bytearray, and
 * tuples/frozensets only of hashable items. */
ACAR_API int acar_hashable(const acar_val *v);
/* Python's a == b for keys and plain data (1 == 1.0 == True, nan != nan,
 * objects by identity); containers compared item by item.  Cycles are
 * followed at most max_depth deep and then compare unequal. */
ACAR_API int acar_equal(const acar_val *a, const acar_val *b);

/* ======================================================================
 * Formats
 * ==================================================================== */

typedef enum acar_format {
    ACAR_FORMAT_AUTO = 0, /* reading: detect from the content */
    ACAR_FORMAT_PICKLE,
    ACAR_FORMAT_MARSHAL,
    ACAR_FORMAT_PYC,
    ACAR_FORMAT_JSON,
    ACAR_FORMAT_JSONL,
    ACAR_FORMAT_XMLRPC,
    ACAR_FORMAT_PLIST,
    ACAR_FORMAT_BPLIST,
    ACAR_FORMAT_REPR      /* writing only: Python's repr() */
} acar_format;

/* "pickle", "json", ... */
ACAR_API const char *acar_format_name(acar_format f);
/* The format for a name, or ACAR_FORMAT_AUTO when unknown. */
ACAR_API acar_format acar_format_from_name(const char *name);
/* The format the bytes look like, or ACAR_FORMAT_AUTO when unsure. */
ACAR_API acar_format acar_detect(const void *data, size_t len);

/* ---- reading ---- */

/* Pickle STRING/BINSTRING (Python 2 str) decoding, as pickle.loads(encoding=). */
typedef enum acar_str_encoding {
    ACAR_ENC_ASCII = 0,   /* Python's default: non-ASCII bytes are an error */
    ACAR_ENC_LATIN1,
    ACAR_ENC_UTF8,
    ACAR_ENC_BYTES        /* keep them as bytes */
} acar_str_encoding;

/* find_class: called for every global the reader meets (after fix_imports
 * mapping).  Return 0 to accept the name as it is, 1 after replacing it in
 * *module / *name (pointers to UTF-8 the callback keeps alive until the read
 * ends), or -1 to refuse (the read fails with ACAR_ERR_REFUSED). */
typedef int (*acar_find_class_fn)(void *ctx, const char **module, size_t *mlen,
                                  const char **name, size_t *nlen);
/* persistent_load: return the node to use for pid (built in doc), or NULL to
 * fail the read.  Without a callback, persistent ids become ACAR_PERSID nodes. */
typedef acar_val *(*acar_persistent_load_fn)(void *ctx, acar_doc *doc, acar_val *pid);
/* extension registry (EXT1/2/4): set *module and *name for code and return 0, or -1. */
typedef int (*acar_ext_fn)(void *ctx, int32_t code, const char **module, size_t *mlen,
                           const char **name, size_t *nlen);

typedef struct acar_bytes {
    const void *data;
    size_t len;
} acar_bytes;

/* Read flags. */
enum {
    /* Strings and bytes may point into the input instead of being copied;
     * the caller promises the input outlives the document.  (JSON object
     * keys a document keeps through acar_doc_reset are copies.) */
    ACAR_READ_BORROW = 1u << 0,
    /* Pickle: do not map Python 2 module names (fix_imports=False). */
    ACAR_READ_NO_FIX_IMPORTS = 1u << 1,
    /* Pickle: keep well-known globals (builtins.set, _codecs.encode, ...) as
     * the objects they are instead of native nodes. */
    ACAR_READ_RAW_GLOBALS = 1u << 2,
    /* Bytes after the value: by default each format does what Python's
     * loads does (pickle and marshal ignore them, json rejects them).
     * ALLOW_TRAILING stops after the first value in every format; NO_TRAILING
     * makes them an error in every format.  opts->consumed tells where the
     * value ended. */
    ACAR_READ_ALLOW_TRAILING = 1u << 3,
    ACAR_READ_NO_TRAILING = 1u << 4,
    /* JSON: RFC 8259 exactly: no NaN/Infinity, no lone surrogates; control
     * characters stay errors even with ACAR_READ_ALLOW_CONTROL; a JSONL
     * blank line is an error. */
    ACAR_READ_STRICT = 1u << 5,
    /* JSON: control characters allowed inside strings (json.loads(strict=False)). */
    ACAR_READ_ALLOW_CONTROL = 1u << 6,
    /* JSON: a key met twice in one object is an error. */
    ACAR_READ_NO_DUP_KEYS = 1u << 7
};

/* XML-RPC: what a read document was (acar_read_opts.xmlrpc_kind). */
typedef enum acar_xmlrpc_kind {
    ACAR_XMLRPC_CALL = 1,     /* <methodCall>: root = params tuple, method set */
    ACAR_XMLRPC_RESPONSE,     /* <methodResponse><params>: root = params tuple */
    ACAR_XMLRPC_FAULT         /* <methodResponse><fault>: root = the fault struct */
} acar_xmlrpc_kind;

/* Read options; a zeroed struct means CPython's defaults. */
typedef struct acar_read_opts {
    uint32_t flags;
    acar_format format;           /* AUTO: detect */
    /* pickle */
    acar_str_encoding encoding;
    acar_find_class_fn find_class;
    acar_persistent_load_fn persistent_load;
    acar_ext_fn ext;
    void *ctx;                    /* passed to the callbacks */
    const acar_bytes *buffers;    /* out-of-band buffers for NEXT_BUFFER */
    size_t nbuffers;
    /* out: bytes the value took (where a next value would start) */
    size_t consumed;
    /* out: pickle: the protocol its last PROTO opcode declared (0 if none) */
    unsigned protocol;
    /* out: XML-RPC: the kind of document and, for a call, its method name
     * (a str node in the doc). */
    acar_xmlrpc_kind xmlrpc_kind;
    acar_val *method;
} acar_read_opts;

/* Reads one value of data[0..len) into doc and returns it (and sets it as the
 * doc's root).  On failure returns NULL, fills err and leaves nothing of the
 * failed read reachable (the doc may keep the memory until it is freed). */
ACAR_API acar_val *acar_read(acar_doc *doc, const void *data, size_t len,
                             acar_read_opts *opts, acar_err *err);

/* ---- writing ---- */

/* A growable output buffer. Zero-initialise; acar_buf_free releases it. */
struct acar_buf {
    char *data;
    size_t len;
    size_t cap;
};

ACAR_API void acar_buf_free(acar_buf *buf);

/* A format version: ACAR_VERSION(n) is pickle protocol n or marshal version
 * n.  0 means the format's default (pickle 4, marshal 4).  A bare small
 * number is rejected, so a zeroed struct can never ask for protocol 0. */
#define ACAR_VERSION(n) (0x100u | (unsigned)(n))

/* Write flags. */
enum {
    ACAR_WRITE_SORT_KEYS = 1u << 0,      /* json: sort_keys=True */
    ACAR_WRITE_NO_ENSURE_ASCII = 1u << 1,/* json: ensure_ascii=False */
    ACAR_WRITE_NO_ALLOW_NAN = 1u << 2,   /* json: allow_nan=False */
    ACAR_WRITE_SKIPKEYS = 1u << 3,       /* json, plist: skipkeys=True */
    ACAR_WRITE_NO_FIX_IMPORTS = 1u << 4, /* pickle: fix_imports=False */
    ACAR_WRITE_RESPONSE = 1u << 5,       /* xmlrpc: methodresponse=True */
    ACAR_WRITE_ALLOW_NONE = 1u << 6,     /* xmlrpc: allow_none=True */
    ACAR_WRITE_FAULT = 1u << 7,          /* xmlrpc: v is {'faultCode', 'faultString'}: dumps(Fault) */
    ACAR_WRITE_NO_SORT_KEYS = 1u << 8    /* plist: sort_keys=False */
};

/* Write options; a zeroed struct means CPython's defaults. */
typedef struct acar_write_opts {
    uint32_t flags;
    unsigned version;          /* ACAR_VERSION(n) or 0 */
    /* json (later formats): indent as a string (NULL = None; "" = 0) and
     * separators (NULL = Python's default for the indent). */
    const char *indent;
    const char *item_sep;
    const char *key_sep;
    size_t max_depth;          /* 0: 100000 */
    size_t max_int_digits;     /* ints written as decimal text; 0: 4300 */
    /* Bytes one write may append at most; 0: ACAR_DEFAULT_MAX_OUTPUT for
     * repr, json, jsonl, xmlrpc and plist, no limit for the others.  Those
     * text formats write a node shared n times n times, so a small pickle
     * can stand for an exponentially long text; past this the write fails
     * with ACAR_ERR_LIMIT. */
    size_t max_output;
    /* xmlrpc: methodname of a call (NULL: none) */
    const char *method;
} acar_write_opts;

#define ACAR_DEFAULT_MAX_OUTPUT ((size_t)1 << 30)

/* Appends v in format fmt to out.  Returns 0, or -1 with err filled (out
 * then holds a partial write the caller discards). */
ACAR_API int acar_write(const acar_val *v, acar_format fmt, const acar_write_opts *opts,
                        acar_buf *out, acar_err *err);

/* Python's repr(v) appended to out (same as acar_write with ACAR_FORMAT_REPR). */
ACAR_API int acar_repr(const acar_val *v, acar_buf *out, acar_err *err);

/* ======================================================================
 * Scanning untrusted pickles (docs/scan.md)
 *
 * Tells whether loading data with Python's pickle would import or call
 * anything beyond plain data, by following the reader itself: every global
 * named and every call, with its offset, classified by one table
 * (src/safety/globals_table.c).  Containers: concatenated pickles, .npy,
 * zip archives (PyTorch, .npz), joblib, zlib/gzip streams.
 * ==================================================================== */

typedef enum acar_scan_severity {
    ACAR_SCAN_SAFE = 0,      /* plain data: importing or calling it runs nothing else */
    ACAR_SCAN_UNKNOWN = 1,   /* not in the table: loading runs that class's code */
    ACAR_SCAN_DANGEROUS = 2  /* runs commands, code, I/O or imports at will */
} acar_scan_severity;

typedef enum acar_scan_kind {
    ACAR_SCAN_IMPORT = 1,  /* a global named (GLOBAL/STACK_GLOBAL/INST/EXT): find_class imports it */
    ACAR_SCAN_CALL,        /* a global called (REDUCE/NEWOBJ/NEWOBJ_EX/INST/OBJ) */
    ACAR_SCAN_BUILD,       /* __setstate__ of an instance of a global class called (BUILD) */
    ACAR_SCAN_EXT,         /* an extension code no registry entry resolves */
    ACAR_SCAN_NESTED,      /* a pickle passed to pickle.loads-like callables: scanned too */
    ACAR_SCAN_PERSID,      /* a persistent id: what it loads is the application's */
    ACAR_SCAN_MALFORMED,   /* the pickle is broken here: CPython stops with an error */
    ACAR_SCAN_INCOMPLETE,  /* the scan stopped here where CPython may go on */
    ACAR_SCAN_NOTE         /* anything else worth knowing (trailing data, ...) */
} acar_scan_kind;

typedef struct acar_scan_finding {
    acar_scan_kind kind;
    acar_scan_severity severity;
    const char *module;    /* "" when none; NUL-terminated, but a name may hold NULs: */
    const char *name;      /* qualname; "" when none */
    size_t module_len, name_len; /* their lengths */
    size_t offset;         /* of the opcode, in the pickle it is in */
    const char *where;     /* "" for the top pickle; else e.g. "archive/data.pkl" or
                              "nested pickle at offset 42" (chained with " > ") */
    const char *message;   /* why it is dangerous, or the error text; "" otherwise */
    int64_t code;          /* EXT code */
} acar_scan_finding;

typedef struct acar_scan_opts {
    /* module.name entries that count as safe (--allow), in addition to the table */
    const char *const *allow;
    size_t nallow;
    unsigned flags;
    size_t max_nested;     /* nested pickles followed, 0: 8 deep */
    /* the limits of each pickle read (zeroed: defaults; max_input bounds
     * each pickle, not the archive it is in) */
    acar_limits limits;
} acar_scan_opts;

enum {
    ACAR_SCAN_ALL_FINDINGS = 1u << 0, /* keep safe findings too (otherwise only unknown/dangerous/errors) */
    ACAR_SCAN_RAW = 1u << 1           /* bytes are a pickle stream: no container detection */
};

typedef struct acar_scan_report {
    acar_scan_severity verdict;   /* the worst severity of any finding */
    int malformed;                /* a pickle was broken (findings say where) */
    int incomplete;               /* something could not be followed: never "safe" */
    const char *container;        /* "pickle", "zip", "npy", "zlib" or "gzip" (static) */
    size_t npickles;              /* pickles scanned */
    acar_scan_finding *findings;
    size_t nfindings;
    /* private */
    void *priv_;
} acar_scan_report;

/* Scans data[0..len): fills *report (free it with acar_scan_report_free).
 * Returns 0, or -1 with err filled when the input cannot be scanned at all
 * (out of memory).  A broken pickle or archive is not an error:
 * the report says where it broke and what ran before. */
ACAR_API int acar_scan(const void *data, size_t len, const acar_scan_opts *opts, acar_scan_report *report,
              acar_err *err);
ACAR_API void acar_scan_report_free(acar_scan_report *report);
/* "safe", "unknown", "dangerous" */
ACAR_API const char *acar_scan_severity_name(acar_scan_severity s);
/* "import", "call", ... */
ACAR_API const char *acar_scan_kind_name(acar_scan_kind k);

/* ======================================================================
 * NumPy arrays and PyTorch tensors (docs/tensor.md)
 *
 * An array view never copies element bytes: data points into the
 * document's bytes/bytearray/buffer node (which points into the caller's
 * input when it was read with ACAR_READ_BORROW), into a caller's
 * out-of-band buffer, or into the bytes of a .npy file or checkpoint.
 * ==================================================================== */

#define ACAR_MAX_NDIM 64 /* NumPy 2 allows 64 dimensions (NumPy 1: 32) */

typedef struct acar_array {
    char kind;             /* NumPy's dtype.kind: b i u f c m M O S U V */
    char byteorder;        /* '<', '>' or '|' (not applicable) */
    size_t itemsize;       /* bytes per element */
    char dtype_str[32];    /* NumPy's dtype.str: "<f8", "|S5", "<M8[ns]", "|O" ... */
    int ndim;              /* 0 for a scalar or 0-d array */
    int64_t shape[ACAR_MAX_NDIM];
    int64_t strides[ACAR_MAX_NDIM]; /* in bytes, as NumPy reports them */
    int fortran;           /* 1: data is in Fortran (column-major) order */
    int scalar;            /* 1: a NumPy scalar (numpy.core.multiarray.scalar) */
    const void *data;      /* the element bytes (NULL for object arrays) */
    size_t nbytes;         /* product of shape times itemsize */
    long oob_index;        /* protocol 5 out-of-band buffer index, or -1 */
    acar_val *objects;     /* object arrays: list of the element nodes (flat,
                            * in data order); scalars of kind 'O': the object */
    acar_val *dtype;       /* the numpy.dtype node (fields, metadata), or NULL
                            * for .npy files */
    const acar_val *descr; /* .npy: the header's 'descr' value (a str node or,
                            * for structured dtypes, the list of fields) */
} acar_array;

/* 1 when v is a NumPy array or scalar as NumPy pickles it:
 *   numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), b'b') + BUILD
 *     (version, shape, dtype, is_fortran, data)
 *   numpy.core.numeric._frombuffer(buffer, dtype, shape, order)   (protocol 5)
 *   numpy.core.multiarray.scalar(dtype, data)
 * (also under numpy._core, NumPy 2's name).  No error is set. */
ACAR_API int acar_is_ndarray(const acar_val *v);

/* Fills *out with the view of the array node v.  Returns 0, or -1 with err
 * (ACAR_ERR_TYPE: not an array; ACAR_ERR_MALFORMED: a state NumPy would
 * reject, such as data whose size does not match shape and dtype;
 * ACAR_ERR_UNSUPPORTED: a dtype acar cannot describe). */
ACAR_API int acar_array_get(const acar_val *v, acar_array *out, acar_err *err);

/* Appends NumPy's descr of view a: its dtype_str ("<f8"), or for a
 * structured dtype the descr list NumPy writes in .npy headers,
 * "[('a', '<i2'), ('b', '>f8', (2,))]" (field names, dtypes and subarray
 * shapes; packed fields of plain dtypes only, else ACAR_ERR_UNSUPPORTED).
 * The text is what acar_new_ndarray and acar_npy_write take as dtype_str. */
ACAR_API int acar_array_descr(const acar_array *a, acar_buf *out, acar_err *err);

/* A numpy.dtype node (numpy.dtype(str, align, copy) + BUILD state) to
 * kind, byte order, item size and dtype_str (the other fields untouched). */
ACAR_API int acar_dtype_get(const acar_val *dtype, acar_array *out, acar_err *err);

/* Reads a .npy file (format versions 1.0, 2.0 and 3.0).  The header dict is
 * read into doc; element bytes stay in data (zero copy: out->data points into
 * data, so data must outlive the view).  Object arrays ('|O') are a pickle
 * after the header: they are read with the pickle reader (opts as for
 * acar_read; NULL for defaults) and out->objects holds their elements.
 * Returns 0, or -1 with err; offsets in err are into data. */
ACAR_API int acar_npy_read(acar_doc *doc, const void *data, size_t len, acar_read_opts *opts,
                  acar_array *out, acar_err *err);

/* 1 when data starts with the .npy magic. */
ACAR_API int acar_npy_is(const void *data, size_t len);

/* Appends the .npy file numpy.save writes for an array (byte for byte:
 * format 1.0, or 2.0 for headers past 64 KiB; the header padded so the data
 * starts at a multiple of 64): dtype_str, shape, fortran, data and nbytes as
 * for acar_new_ndarray (not '|O').  fortran_order is True only when the
 * array is not C-contiguous too, as NumPy writes it.  Returns 0, or -1 with
 * err (out is left as it was). */
ACAR_API int acar_npy_write(acar_buf *out, const char *dtype_str, int ndim, const int64_t *shape, int fortran,
                   const void *data, size_t nbytes, acar_err *err);
/* The same for an array node (read from a pickle or made by
 * acar_new_ndarray[_objects]): object arrays are written as numpy.save
 * does, the header then a protocol 3 pickle of the array; structured
 * dtypes get their descr list from the dtype node (packed fields only). */
ACAR_API int acar_npy_write_array(acar_buf *out, const acar_val *array, acar_err *err);

/* A .npz archive (what numpy.savez writes, member for member): a zip of
 * NAME.npy members, stored; zip64 past 4 GiB or 65535 members, as Python's
 * zipfile.  acar_npz_begin, then acar_npz_add for each array (npy: a .npy
 * file's bytes, e.g. from acar_npy_write), then acar_npz_end (or
 * acar_npz_abort).  The writer keeps its own offsets, so the caller may
 * drain out (write out->data to a file and set out->len = 0) between
 * calls. */
typedef struct acar_npz_writer {
    acar_buf *out;
    acar_buf central;     /* the central directory so far */
    size_t offset;        /* bytes of the archive written so far */
    size_t count;
} acar_npz_writer;
ACAR_API void acar_npz_begin(acar_npz_writer *w, acar_buf *out);
ACAR_API int acar_npz_add(acar_npz_writer *w, const char *name, const void *npy, size_t len, acar_err *err);
ACAR_API int acar_npz_end(acar_npz_writer *w, acar_err *err);
ACAR_API void acar_npz_abort(acar_npz_writer *w);

/* A NumPy array as NumPy pickles it (so pickle.loads in Python gives a
 * real numpy.ndarray, and acar's pickle writer gives numpy's bytes).
 * dtype_str: NumPy's dtype.str ("<f8", "|b1", ">i2", "|S5", "<U3", "|V4",
 * "<M8[ns]", "<m8[10s]"), or a structured dtype as its descr list
 * "[('a', '<i2'), ('b', '>f8', (2,))]" (named fields of those plain dtypes,
 * optionally with a subarray shape; offsets packed).  shape of ndim
 * dimensions; data in C order or (fortran) Fortran order, nbytes =
 * prod(shape) * itemsize.  form:
 *   ACAR_NDARRAY_REDUCE  _reconstruct + BUILD with a bytes copy (what numpy
 *                        writes at protocols 2-4)
 *   ACAR_NDARRAY_BUFFER  _frombuffer with an in-band bytearray copy (numpy
 *                        at protocol 5)
 *   ACAR_NDARRAY_OOB     _frombuffer with an out-of-band PickleBuffer (numpy
 *                        at protocol 5 with a buffer_callback): data is NOT
 *                        copied and not written; the pickle says
 *                        NEXT_BUFFER and the reader passes data as that
 *                        buffer (pickle.loads(p, buffers=[...]), or
 *                        acar_read_opts.buffers), in the order written.
 * Object arrays: acar_new_ndarray_objects.  NULL after recording an error
 * on the doc (ACAR_ERR_ARG: bad dtype, size mismatch; ACAR_ERR_UNSUPPORTED:
 * a structured dtype acar cannot build). */
#define ACAR_NDARRAY_REDUCE 0
#define ACAR_NDARRAY_BUFFER 1
#define ACAR_NDARRAY_OOB 2
ACAR_API acar_val *acar_new_ndarray(acar_doc *doc, const char *dtype_str, int ndim, const int64_t *shape, int fortran,
                           const void *data, size_t nbytes, int form);
/* An object array (dtype '|O') as NumPy pickles it at every protocol:
 * elements is a list node of prod(shape) items in C (row-major) order,
 * also for fortran = 1 (NumPy's own pickle lists them so). */
ACAR_API acar_val *acar_new_ndarray_objects(acar_doc *doc, int ndim, const int64_t *shape, int fortran,
                                   acar_val *elements);
/* A NumPy scalar (numpy.float64(1.5), numpy.datetime64(...), ...) as NumPy
 * pickles it: numpy.core.multiarray.scalar(dtype, bytes); dtype_str as for
 * acar_new_ndarray (not '|O'), nbytes its item size. */
ACAR_API acar_val *acar_new_npscalar(acar_doc *doc, const char *dtype_str, const void *data, size_t nbytes);

/* ---- PyTorch checkpoints (torch.save zip archives) ---- */

/* A tensor as a view into the checkpoint's bytes.  Shape, strides and the
 * storage offset are in elements, as torch reports them. */
typedef struct acar_tensor {
    const char *dtype;     /* torch's name: "float32", "bfloat16", "float8_e4m3fn", ... */
    size_t itemsize;
    char byteorder;        /* '<', or '>' when the checkpoint's byteorder record
                            * says "big"; '|' for one-byte items */
    int ndim;
    int64_t shape[ACAR_MAX_NDIM];
    int64_t strides[ACAR_MAX_NDIM];
    int64_t storage_offset;
    const void *data;      /* the element at storage_offset (strides go from here) */
    size_t nbytes;         /* product of shape times itemsize (the logical size) */
    const void *storage;   /* the storage's bytes (the archive member data/KEY) */
    size_t storage_nbytes;
    const char *storage_key; /* "0", "1", ... (NUL-terminated, in the doc) */
    size_t key_len;
    int requires_grad;
    int parameter;         /* 1: a torch.nn.Parameter (_rebuild_parameter) */
} acar_tensor;

/* An open checkpoint: its pickle read into a document, its storages found
 * (zero copy: the caller keeps data alive and unchanged while the doc lives). */
typedef struct acar_torch acar_torch;

/* 1 when data is a zip archive with a member ".../data.pkl". */
ACAR_API int acar_torch_is(const void *data, size_t len);
/* 1 when data starts like the legacy (pre-1.6, non-zip) torch.save format. */
ACAR_API int acar_torch_is_legacy(const void *data, size_t len);
/* Opens a torch.save zip archive (or a legacy file: five pickles, then
 * each storage as an int64 count and its bytes): reads PREFIX/data.pkl into doc (the
 * returned handle lives in doc; nothing to close) with every persistent id
 * ('storage', type, key, location, numel) checked against member
 * PREFIX/data/KEY (present, stored uncompressed, at least numel items,
 * not overlapping another member).  NULL with err on failure. */
ACAR_API acar_torch *acar_torch_open(acar_doc *doc, const void *data, size_t len, acar_err *err);
/* The state dict (or whatever torch.save was given). */
ACAR_API acar_val *acar_torch_root(const acar_torch *t);
/* The archive's name prefix ("archive", or the file's stem) and the
 * version record's text (NULL when absent). */
ACAR_API const char *acar_torch_prefix(const acar_torch *t, size_t *len);
ACAR_API const char *acar_torch_version(const acar_torch *t, size_t *len);
/* 1 when v is a tensor node: torch._utils._rebuild_tensor_v2, _v3,
 * _rebuild_tensor, _rebuild_parameter[_with_state] around one of those,
 * torch._tensor._rebuild_from_type_v2 (subclasses), and the kinds
 * acar_torch_tensor refuses (quantized, sparse, nested, meta, wrapper
 * subclasses, device tensors rebuilt from NumPy or CPU tensors). */
ACAR_API int acar_is_tensor(const acar_val *v);
/* The view of tensor node v.  -1 with err: ACAR_ERR_UNSUPPORTED for
 * quantized, sparse, nested and meta tensors and unknown storage types or
 * dtypes (the message says which), ACAR_ERR_MALFORMED when shape and
 * strides reach past the storage, strides are negative, ... */
ACAR_API int acar_torch_tensor(const acar_torch *t, const acar_val *v, acar_tensor *out, acar_err *err);

/* ======================================================================
 * Pickle disassembly
 * ==================================================================== */

/* pickletools.dis(data, annotate=..., indentlevel=...) text appended to out
 * (docs/dis.md).  Returns 0; on a broken pickle returns -1 with err filled
 * (pickletools' exception text, the offset of the opcode at fault) and out
 * holding what pickletools prints before it raises.  A listing longer than
 * ACAR_DEFAULT_MAX_OUTPUT bytes stops with ACAR_ERR_LIMIT. */
typedef struct acar_dis_opts {
    int annotate;    /* pickletools' annotate= (0: off) */
    int indentlevel; /* blanks per open MARK; 0: 4 as pickletools; negative: none (pickletools' 0) */
} acar_dis_opts;
ACAR_API int acar_dis(const void *data, size_t len, const acar_dis_opts *opts, acar_buf *out,
                      acar_err *err);

#ifdef __cplusplus
}
#endif
#endif /* ACAR_H */
