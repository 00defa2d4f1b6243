/*
 * scan.h -- the pickle scanner (acar scan), internal for now.
 *
 * The scanner answers: would loading these bytes with Python's pickle
 * import or call anything beyond plain data?  It runs the real reader
 * (src/pickle/read.c) with a hook that reports every event of the pickle
 * machine that makes CPython import or call something, so what it follows
 * is exactly what the reader accepts, which is what CPython's _pickle.c
 * accepts.  Nothing is ever resolved or run: globals are names, classified
 * by the one table in globals_table.c.
 *
 * The declarations marked "public" are the proposal for include/acar.h.
 */
#ifndef ACAR_SAFETY_SCAN_H
#define ACAR_SAFETY_SCAN_H

#include "core/internal.h"

/* ====================================================================
 * The reader's hook (implemented in src/pickle/read.c)
 * ================================================================== */

typedef enum acar_pev_kind {
    ACAR_PEV_GLOBAL = 1,  /* GLOBAL: a = the global node (after fix_imports) */
    ACAR_PEV_STACK_GLOBAL,/* STACK_GLOBAL: a = the global node */
    ACAR_PEV_INST_GLOBAL, /* INST's class name: a = the global node */
    ACAR_PEV_EXT,         /* EXT1/2/4: a = the global the ext callback named, code */
    ACAR_PEV_REDUCE,      /* a = callable, b = args */
    ACAR_PEV_NEWOBJ,      /* a = class, b = args */
    ACAR_PEV_NEWOBJ_EX,   /* a = class, b = args, c = kwargs */
    ACAR_PEV_INST,        /* a = class, b = args */
    ACAR_PEV_OBJ,         /* a = class, b = args */
    ACAR_PEV_BUILD,       /* a = the instance, b = the state (setstate call) */
    ACAR_PEV_PERSID       /* a = the persistent id */
} acar_pev_kind;

typedef struct acar_pickle_event {
    acar_pev_kind kind;
    size_t offset;        /* of the opcode */
    size_t next;          /* just after the opcode and its argument */
    acar_val *a, *b, *c;
    int64_t code;         /* EXT: the extension code */
    size_t skip;          /* out, BUILD only: bytes after the opcode that the
                           * reader steps over (joblib writes array data there) */
} acar_pickle_event;

/* Returns 0 to go on, -1 to stop the read (ACAR_ERR_REFUSED). */
typedef int (*acar_pickle_hook_fn)(void *ctx, acar_pickle_event *ev);

typedef struct acar_pickle_hooks {
    acar_pickle_hook_fn event;
    void *ctx;
} acar_pickle_hooks;

/* acar__pickle_read with a hook (NULL hooks: exactly acar__pickle_read). */
acar_val *acar__pickle_read_hooked(acar_doc *doc, const uint8_t *data, size_t len, acar_read_opts *opts,
                                   const acar_pickle_hooks *hooks, acar_err *err);

/* ====================================================================
 * Classification (globals_table.c)
 * ================================================================== */

/* acar_scan_severity is in acar.h. */

/* The severity of module.name (qualname, dotted allowed) by the table;
 * *why gets a short static reason for dangerous ones ("runs shell
 * commands"), NULL otherwise. */
acar_scan_severity acar__scan_classify(const char *module, size_t mlen, const char *name, size_t nlen,
                                       const char **why);

/* 1 when module.name is a callable that unpickles its bytes argument
 * (pickle.loads, _pickle.loads, ...): the scanner scans that argument. */
int acar__scan_is_loads(const char *module, size_t mlen, const char *name, size_t nlen);

/* The scanner's public API (acar_scan, acar_scan_report, ...) is in acar.h. */

/* ====================================================================
 * Zip archives (zip.c)
 * ================================================================== */

typedef struct acar_zip_entry {
    const char *name;        /* not NUL-terminated */
    size_t name_len;
    uint64_t local_offset;   /* of the local header */
    uint64_t csize, usize;
    unsigned method;         /* 0 stored, 8 deflate */
    uint32_t crc;
} acar_zip_entry;

/* 1 when data looks like a zip archive (an end of central directory). */
int acar__zip_is(const uint8_t *data, size_t len);
/* Lists the central directory: *entries (malloc'd, free() it) and *n.
 * 0, or -1 with err. */
int acar__zip_list(const uint8_t *data, size_t len, acar_zip_entry **entries, size_t *n, acar_err *err);
/* The bytes of an entry: *out points into data (stored) or to a malloc'd
 * block (*owned = 1, deflate).  max_size bounds the inflated size.
 * 0, or -1 with err. */
int acar__zip_extract(const uint8_t *data, size_t len, const acar_zip_entry *e, size_t max_size,
                      const uint8_t **out, size_t *out_len, int *owned, acar_err *err);

/* A whole zlib (gzip: 1) stream inflated into a malloc'd block of at most
 * max_size bytes (and at most deflate's 1032:1).  0, or -1 with err
 * (ACAR_ERR_UNSUPPORTED without zlib). */
int acar__inflate_all(const uint8_t *data, size_t len, int gzip, size_t max_size, uint8_t **out, size_t *out_len,
                      acar_err *err);

#endif
