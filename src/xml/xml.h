/*
 * xml.h -- what acar's XML formats (XML-RPC, XML plists) share (internal).
 *
 *   expat driver   one pass of libexpat over the whole input with the
 *                  format's own element handlers, a stack of the open
 *                  elements' tag codes, character data kept only while an
 *                  element that takes it is open (borrowed from expat's
 *                  buffer when it can be), errors turned into acar_err
 *                  (code, byte offset, 1-based line and column) and scratch
 *                  memory taken from the document's allocator and counted
 *                  against max_memory.
 *   writers        the walk's stack of open containers, the cycle check,
 *                  and error messages with the path to the value.
 *   text           XML-escaping as xmlrpc.client.escape and plistlib's
 *                  _escape do it, with a check that refuses what no XML
 *                  parser could read back.
 *   base64         binascii.b2a_base64 in lines (base64.encodebytes, and
 *                  plistlib's indented <data> lines) and the lenient
 *                  binascii.a2b_base64 of Python 3.11 (strict_mode=False).
 *   dates          the texts of datetime.datetime that both formats write
 *                  (xmlrpc "%4Y%m%dT%H:%M:%S", plist "%04d-%02d-%02dT...Z")
 *                  and their parsers as Python reads them (strptime,
 *                  plistlib's _dateParser).  The binary plist writer and
 *                  reader may use the date texts for messages; its dates are
 *                  seconds since 2001, not text.
 *   numbers        Python's int(text), int(text, 16), float(text) and
 *                  decimal.Decimal(text) over str, Unicode digits and
 *                  whitespace included.
 */
#ifndef ACAR_XML_H
#define ACAR_XML_H

#include "core/internal.h"

#include <expat.h>

/* ---- expat driver ---- */

typedef struct acar_xml {
    XML_Parser parser;
    acar_doc *doc;
    acar_err *err;
    void *ud;                  /* the reader's own state */
    bool failed;               /* err is filled; the parse stops */
    size_t scratch;            /* bytes held through the doc's allocator */
    /* Character data since the reader last emptied it (tlen = 0): text is
     * never NULL.  It points into the parse buffer while the data is one
     * run of it (borrowed: no copy), else into own. */
    const char *text;
    size_t tlen;
    /* Open elements whose end may take the text (kept by the reader):
     * while there are none, text cannot be taken before the next start tag
     * empties it, so it is not kept at all. */
    size_t live;
    bool borrowed;
    char *own;
    size_t owncap;
    const char *buf;           /* the parse buffer of the current slice */
    size_t buflen;
    size_t buf_at;             /* the document offset of buf[0] */
    /* the reader's tag code of each open element (pushed at its start,
     * popped at its end: expat checks that the names match) */
    uint8_t *tags;
    size_t depth, tagcap;
} acar_xml;

/* Sets up a parser whose element handlers are the reader's own (their
 * user data is x; each must return at once when x->failed, and a start
 * handler pushes its tag with acar__xml_push_tag before anything else);
 * entity_decls_fail makes any <!ENTITY> declaration an error (plistlib
 * refuses them).  Returns 0, or -1 with err filled. */
int acar__xml_init(acar_xml *x, acar_doc *doc, acar_err *err, XML_StartElementHandler start,
                   XML_EndElementHandler end, void *ud, bool entity_decls_fail);
/* Parses data[0..len) to its end.  Returns 0, or -1 with err filled (the
 * first failure: expat's or a handler's). */
int acar__xml_parse(acar_xml *x, const uint8_t *data, size_t len);
void acar__xml_free(acar_xml *x);
/* Records an error at the event being handled (offset, line, column) and
 * stops the parse.  Returns -1. */
int acar__xml_fail(acar_xml *x, acar_code code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* The doc's error (a builder failed) as the read's error.  Returns -1. */
int acar__xml_fail_doc(acar_xml *x);
/* Scratch memory from the doc's allocator (counted against max_memory):
 * grows or shrinks p from old to size bytes (p NULL: new block; size 0:
 * frees).  NULL after acar__xml_fail when it cannot. */
void *acar__xml_scratch(acar_xml *x, void *p, size_t old, size_t size);
/* Room for n more elements of elem bytes in the array *p of *cap
 * elements holding len.  Returns 0, or -1 after acar__xml_fail. */
int acar__xml_reserve(acar_xml *x, void **p, size_t *cap, size_t len, size_t n, size_t elem);

/* The tag stack: a reader's code (0..255) for each open element. */
static inline int acar__xml_push_tag(acar_xml *x, int tag) {
    if (x->depth == x->tagcap &&
        acar__xml_reserve(x, (void **)&x->tags, &x->tagcap, x->depth, 1, 1) < 0)
        return -1;
    x->tags[x->depth++] = (uint8_t)tag;
    return 0;
}

static inline int acar__xml_pop_tag(acar_xml *x) { return x->tags[--x->depth]; }

/* An element name (NUL-terminated, from expat) == lit (len bytes), name[0]
 * already known to match: stops at the first difference, so it never
 * reads past a shorter name's NUL.  The readers look each element up once,
 * at its start, the first byte picking the names to compare. */
static inline bool acar__xml_name_eq(const char *name, const char *lit, size_t len) {
    for (size_t i = 1; i < len; i++)
        if (name[i] != lit[i]) return false;
    return name[len] == 0;
}
#define XML_NAME_IS(n, lit) acar__xml_name_eq(n, lit, sizeof(lit) - 1)

/* A str node of the text (copied into the document). */
acar_val *acar__xml_text_str(acar_xml *x);

/* ---- text ---- */

/* acar__out_write with its common case (room in the buffer) inline. */
static inline void acar__xml_put(acar_out *o, const char *s, size_t n) {
    acar_buf *b = o->buf;
    if (n && n <= b->cap - b->len && !o->failed) {
        memcpy(b->data + b->len, s, n);
        b->len += n;
    } else {
        acar__out_write(o, s, n);
    }
}

/* Writes the UTF-8 string s as XML character data: '&', '<', '>' as
 * entities (xmlrpc.client.escape); plist also turns "\r\n" and "\r" into
 * "\n" first (plistlib's _escape).  Refuses (-1, *why and *at set) what an
 * XML 1.0 parser would reject: control characters other than \t \n \r, lone
 * surrogates, U+FFFE and U+FFFF. */
int acar__xml_escape(acar_out *o, const char *s, size_t n, bool plist, const char **why, size_t *at);

/* ---- base64 ---- */

/* b2a_base64 of data in chunks of line_bytes input bytes (57 for
 * base64.encodebytes), each line prefixed by indent and ended by '\n'. */
void acar__xml_b64_encode(acar_out *o, const uint8_t *data, size_t n, size_t line_bytes,
                          const char *indent, size_t indent_n);
/* binascii.a2b_base64(s) (strict_mode=False): out has room for n / 4 * 3 + 3
 * bytes.  Returns 0 and *outlen, or -1 with binascii's message in msg. */
int acar__xml_b64_decode(const char *s, size_t n, uint8_t *out, size_t *outlen, char msg[128]);

/* ---- dates ---- */

/* xmlrpc.client's datetime text, "%4Y%m%dT%H:%M:%S" (17 bytes). */
size_t acar__xml_date_xmlrpc(const acar_datetime *d, char out[32]);
/* plistlib's _date_to_string, "%04d-%02d-%02dT%02d:%02d:%02dZ" (20 bytes). */
size_t acar__xml_date_plist(const acar_datetime *d, char out[32]);
/* datetime.strptime(s, "%Y%m%dT%H:%M:%S") of UTF-8 s.  0, or -1 with msg. */
int acar__xml_parse_date_xmlrpc(const char *s, size_t n, acar_datetime *d, char msg[128]);
/* plistlib's _date_from_string.  0, or -1 with msg. */
int acar__xml_parse_date_plist(const char *s, size_t n, acar_datetime *d, char msg[128]);

/* ---- numbers: Python's constructors over str ----
 * Each returns a new node, or NULL after acar__xml_fail with Python's
 * message (ValueError / decimal.InvalidOperation). */

/* int(s) in base 10, or int(s, 16) when hex (plist's "0x..." integers). */
acar_val *acar__xml_pyint(acar_xml *x, const char *s, size_t n, bool hex);
/* float(s). */
acar_val *acar__xml_pyfloat(acar_xml *x, const char *s, size_t n);
/* decimal.Decimal(s), as the object a pickle holds:
 * decimal.Decimal('<str(d)>') built by REDUCE. */
acar_val *acar__xml_pydecimal(acar_xml *x, const char *s, size_t n);

/* ---- writers ---- */

/* Containers being written (for cycle checks): a set of node pointers. */
typedef struct acar_xml_active {
    const acar_val **slot;
    size_t cap, n;
} acar_xml_active;

/* 1 if v was added, 0 if it was there already, -1 out of memory. */
int acar__xml_active_add(acar_xml_active *s, const acar_val *v);
void acar__xml_active_del(acar_xml_active *s, const acar_val *v);
void acar__xml_active_free(acar_xml_active *s);

/* An open container of a writer's walk (no recursion on depth). */
typedef struct acar_xml_frame {
    const acar_val *v;
    acar_val *const *items;    /* list/tuple items, or dict keys: key i at items[i * stride] */
    acar_val *const *vals;     /* dicts: value i at vals[i * stride] (acar__pairs) */
    size_t stride;             /* dicts: 2 in pairs form, 1 split */
    size_t *order;             /* dicts: pair indices in writing order (malloc'd), or NULL */
    size_t i, n;               /* next step, steps */
} acar_xml_frame;

/* What both writers carry: the output, the stack of open containers and
 * the top-level place for error paths (a printf format with one %zu for
 * where_i: "params[%zu]", "faultCode", "root"). */
typedef struct acar_xml_writer {
    acar_out *o;
    acar_err *err;
    uint32_t flags;
    acar_xml_frame *st;
    size_t top, cap, max_depth;
    acar_xml_active active;
    const char *where;
    size_t where_i;
} acar_xml_writer;

/* Fills err with "MESSAGE (at PATH)", PATH the value being written:
 * params[0][2]['key'].  Returns -1. */
int acar__xml_wfail(acar_xml_writer *w, acar_code code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Opens container v: a new frame on top (v, its items or its dict pairs
 * in either form, i = 0, n its length, order NULL), after the cycle check
 * (recursive: the message) and max_depth.  Returns the frame, or NULL with
 * err filled. */
acar_xml_frame *acar__xml_wpush(acar_xml_writer *w, const acar_val *v, const char *recursive);
/* Closes the top frame (frees its order). */
void acar__xml_wpop(acar_xml_writer *w);
/* Frees the stack and the cycle set. */
void acar__xml_wfree(acar_xml_writer *w);

/* A datetime the value model keeps as an object: datetime.datetime(state,
 * tzinfo) as a pickle builds an aware datetime.  Both dumps write its
 * fields as they are, ignoring the tzinfo.  Returns 1 and *d for such a
 * node, else 0. */
int acar__xml_object_datetime(const acar_val *v, acar_datetime *d);

/* Python's repr-style name of a node's class for TypeError messages:
 * "<class 'NoneType'>", "<class 'set'>", "<class 'mod.Name'>". */
void acar__xml_class_name(const acar_val *v, char *buf, size_t size);

#endif
