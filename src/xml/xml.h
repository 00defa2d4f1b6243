/*
 * xml.h -- what acar's XML formats (XML-RPC, XML plists) share (internal).
 *
 *   expat driver   one pass of libexpat over the whole input, with start,
 *                  end and character-data events handed to the format's
 *                  reader, errors turned into acar_err (code, byte offset,
 *                  1-based line and column) and scratch memory taken from the
 *                  document's allocator and counted against max_memory.
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

typedef struct acar_xml acar_xml;
typedef int (*acar_xml_start_fn)(acar_xml *x, const char *name);
typedef int (*acar_xml_end_fn)(acar_xml *x, const char *name);

struct acar_xml {
    XML_Parser parser;
    acar_doc *doc;
    acar_err *err;
    acar_xml_start_fn start;   /* return 0, or -1 after acar__xml_fail */
    acar_xml_end_fn end;
    void *ud;                  /* the reader's own state */
    bool failed;               /* err is filled; the parse stops */
    size_t scratch;            /* bytes held through the doc's allocator */
    /* character data since the reader last emptied it (tlen = 0) */
    char *text;
    size_t tlen, tcap;
};

/* Sets up a parser; entity_decls_fail makes any <!ENTITY> declaration an
 * error (plistlib refuses them).  Returns 0, or -1 with err filled. */
int acar__xml_init(acar_xml *x, acar_doc *doc, acar_err *err, acar_xml_start_fn start,
                   acar_xml_end_fn end, void *ud, bool entity_decls_fail);
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

/* ---- text ---- */

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

/* A datetime the value model keeps as an object: datetime.datetime(state,
 * tzinfo) as a pickle builds an aware datetime.  Both dumps write its
 * fields as they are, ignoring the tzinfo.  Returns 1 and *d for such a
 * node, else 0. */
int acar__xml_object_datetime(const acar_val *v, acar_datetime *d);

/* A dict key as a step of an error path: ['name'], [12], [<float>]. */
size_t acar__xml_path_key(char *buf, size_t size, const acar_val *key);

/* Python's repr-style name of a node's class for TypeError messages:
 * "<class 'NoneType'>", "<class 'set'>", "<class 'mod.Name'>". */
void acar__xml_class_name(const acar_val *v, char *buf, size_t size);

#endif
