/* test_xml.c -- XML-RPC and XML plist: error codes and positions pinned
 * (offsets, lines and columns as CPython's expat reports them), the read
 * options' out fields, writer refusals, and the shared helpers of
 * src/xml/xml.h.  The expected texts come from CPython 3.11 (noted where
 * not obvious). */
#include "acar.h"
#include "check.h"
#include "xml/xml.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct rcase {
    acar_format fmt;
    const char *in;
    acar_code code;
    size_t offset, line, column; /* expected when code != 0 */
    const char *repr;            /* expected when code == 0 */
    const char *msg_part;        /* a piece of the message, or NULL */
} rcase;

static const rcase reads[] = {
    /* well-formed */
    {ACAR_FORMAT_XMLRPC, "<params><param><value><i4>7</i4></value></param></params>", 0, 0, 0, 0,
     "(7,)", NULL},
    {ACAR_FORMAT_XMLRPC, "<params><param><value> x </value></param></params>", 0, 0, 0, 0,
     "(' x ',)", NULL},
    {ACAR_FORMAT_XMLRPC, "<params><value><bigdecimal> 1_2.50 </bigdecimal></value></params>", 0, 0,
     0, 0, "(decimal.Decimal('12.50'),)", NULL},
    {ACAR_FORMAT_XMLRPC, "<params><value><bigdecimal>0.0000001</bigdecimal></value></params>", 0, 0,
     0, 0, "(decimal.Decimal('1E-7'),)", NULL},
    {ACAR_FORMAT_XMLRPC, "<params><value><bigdecimal>-nan0012</bigdecimal></value></params>", 0, 0,
     0, 0, "(decimal.Decimal('-NaN12'),)", NULL},
    {ACAR_FORMAT_XMLRPC, "<params><value><dateTime.iso8601>2020111T1:2:3</dateTime.iso8601></value></params>",
     0, 0, 0, 0, "(datetime.datetime(2020, 11, 1, 1, 2, 3),)", NULL},
    {ACAR_FORMAT_XMLRPC, "<params><value><base64>Zg=a=junk</base64></value></params>", 0, 0, 0, 0,
     "(b'f\\x06',)", NULL},
    {ACAR_FORMAT_XMLRPC, "<params><value><struct><value><i4>1</i4></value><value>x</value></struct></value></params>",
     0, 0, 0, 0, "({1: 'x'},)", NULL},
    {ACAR_FORMAT_XMLRPC, "<params><value><ex:nil/></value><value><ex:i8>5</ex:i8></value></params>", 0, 0, 0, 0,
     "(None, 5)", NULL},
    {ACAR_FORMAT_PLIST, "<plist><integer>0x_1f</integer></plist>", 0, 0, 0, 0, "31", NULL},
    {ACAR_FORMAT_PLIST, "<plist></plist>", 0, 0, 0, 0, "None", NULL},
    {ACAR_FORMAT_PLIST, "<plist><dict><key></key></dict></plist>", 0, 0, 0, 0, "{}", NULL},
    /* an empty key stays pending after </dict>: the next value meets a list */
    {ACAR_FORMAT_PLIST, "<plist><array><dict><key></key></dict><true/></array></plist>", ACAR_ERR_MALFORMED,
     45, 1, 46, NULL, "unexpected element"},
    {ACAR_FORMAT_PLIST, "<plist><date>2020-01-02T03Zjunk</date></plist>", 0, 0, 0, 0,
     "datetime.datetime(2020, 1, 2, 3, 0)", NULL},
    {ACAR_FORMAT_PLIST, "<?xml version='1.0' encoding='windows-1252'?><plist><string>\x80</string></plist>",
     0, 0, 0, 0, "'\xe2\x82\xac'", NULL},
    /* XML errors: offset, line and column as expat gives them */
    {ACAR_FORMAT_XMLRPC, "", ACAR_ERR_MALFORMED, 0, 1, 1, NULL, "no element found"},
    {ACAR_FORMAT_XMLRPC, "<params>\n<param></params>", ACAR_ERR_MALFORMED, 18, 2, 10, NULL, "mismatched tag"},
    {ACAR_FORMAT_XMLRPC, "<params><param>", ACAR_ERR_TRUNCATED, 15, 1, 16, NULL, "no element found"},
    {ACAR_FORMAT_PLIST, "<plist>\n  <x\x01/>", ACAR_ERR_MALFORMED, 12, 2, 5, NULL, "not well-formed"},
    {ACAR_FORMAT_XMLRPC, "<?xml version='1.0' encoding='koi8-r'?><params/>", ACAR_ERR_UNSUPPORTED, 30, 1, 31,
     NULL, "unknown encoding"},
    /* the readers' own refusals, at the element that fails */
    {ACAR_FORMAT_XMLRPC, "<params><value>\n <zz/></value></params>", ACAR_ERR_MALFORMED, 17, 2, 2, NULL,
     "unknown tag 'zz'"},
    {ACAR_FORMAT_XMLRPC, "<params><value><boolean>2</boolean></value></params>", ACAR_ERR_MALFORMED, 25, 1, 26,
     NULL, "bad boolean value"},
    {ACAR_FORMAT_XMLRPC, "<params><value><int>0x1</int></value></params>", ACAR_ERR_MALFORMED, 23, 1, 24,
     NULL, "invalid literal for int() with base 10: '0x1'"},
    {ACAR_FORMAT_XMLRPC, "<params><value><base64>Zg=</base64></value></params>", ACAR_ERR_MALFORMED, 26, 1, 27,
     NULL, "Incorrect padding"},
    {ACAR_FORMAT_XMLRPC, "<params><value><base64>Zm9vZ</base64></value></params>", ACAR_ERR_MALFORMED, 28, 1,
     29, NULL, "number of data characters (5)"},
    {ACAR_FORMAT_XMLRPC, "<params><struct><name>a</name></struct></params>", ACAR_ERR_MALFORMED, 30, 1, 31,
     NULL, "struct"},
    {ACAR_FORMAT_XMLRPC, "<params><struct><value><array><data/></array></value><value/></struct></params>",
     ACAR_ERR_TYPE, 61, 1, 62, NULL, "unhashable type: 'list'"},
    {ACAR_FORMAT_XMLRPC, "<methodResponse><fault><value><i4>1</i4></value></fault></methodResponse>",
     ACAR_ERR_MALFORMED, 73, 1, 74, NULL, "fault without a struct"},
    {ACAR_FORMAT_XMLRPC, "<foo><i4>1</i4></foo>", ACAR_ERR_MALFORMED, 21, 1, 22, NULL, "not an XML-RPC message"},
    {ACAR_FORMAT_PLIST, "<plist><dict><key>a</key></dict></plist>", ACAR_ERR_MALFORMED, 25, 1, 26, NULL,
     "missing value for key 'a' at line 1"},
    {ACAR_FORMAT_PLIST, "<plist><array><key>a</key></array></plist>", ACAR_ERR_MALFORMED, 20, 1, 21, NULL,
     "unexpected key at line 1"},
    {ACAR_FORMAT_PLIST, "<plist><dict><true/></dict></plist>", ACAR_ERR_MALFORMED, 20, 1, 21, NULL,
     "unexpected element"},
    {ACAR_FORMAT_PLIST, "<!DOCTYPE p [<!ENTITY e 'x'>]><plist/>", ACAR_ERR_MALFORMED, 24, 1, 25, NULL,
     "entity declarations"},
    {ACAR_FORMAT_PLIST, "<plist><date>2020-01Z</date></plist>", ACAR_ERR_MALFORMED, 21, 1, 22, NULL, "day"},
    {ACAR_FORMAT_PLIST, "<plist><real>1__0</real></plist>", ACAR_ERR_MALFORMED, 17, 1, 18, NULL,
     "could not convert string to float: '1__0'"},
};

static void test_reads(void) {
    for (size_t i = 0; i < sizeof reads / sizeof *reads; i++) {
        const rcase *c = &reads[i];
        acar_doc *doc = acar_doc_new(NULL);
        acar_read_opts ro = {0};
        acar_err err;
        ro.format = c->fmt;
        acar_val *v = acar_read(doc, c->in, strlen(c->in), &ro, &err);
        if (c->code == 0) {
            CHECK_MSG(v != NULL, "case %zu: %s", i, err.msg);
            if (v) {
                acar_buf b = {0};
                CHECK(acar_repr(v, &b, &err) == 0);
                /* Decimal: the object a pickle holds, printed decimal.Decimal('..') by
                 * the repr printer, or Decimal('..') as CPython prints it */
                char alt[128] = "";
                const char *d = strstr(c->repr, "decimal.Decimal(");
                if (d && strlen(c->repr) < sizeof alt)
                    snprintf(alt, sizeof alt, "%.*s%s", (int)(d - c->repr), c->repr, d + 8);
                bool same = b.len == strlen(c->repr) && memcmp(b.data, c->repr, b.len) == 0;
                bool same_alt = alt[0] && b.len == strlen(alt) && memcmp(b.data, alt, b.len) == 0;
                CHECK_MSG(same || same_alt, "case %zu: repr %.*s, expected %s", i, (int)b.len, b.data, c->repr);
                acar_buf_free(&b);
            }
        } else {
            CHECK_MSG(v == NULL && err.code == c->code && err.offset == c->offset && err.line == c->line &&
                          err.column == c->column,
                      "case %zu: code %d offset %zu line %zu column %zu (%s)", i, (int)err.code, err.offset,
                      err.line, err.column, err.msg);
            if (c->msg_part) CHECK_MSG(strstr(err.msg, c->msg_part) != NULL, "case %zu: %s", i, err.msg);
        }
        acar_doc_free(doc);
    }
}

static void test_kinds(void) {
    static const char call[] = "<methodCall><methodName>a.b</methodName><params><param><value>1</value>"
                               "</param></params></methodCall>";
    static const char fault[] = "<methodResponse><fault><value><struct><member><name>faultCode</name>"
                                "<value><int>4</int></value></member><member><name>faultString</name>"
                                "<value>no</value></member></struct></value></fault></methodResponse>";
    acar_doc *doc = acar_doc_new(NULL);
    acar_read_opts ro = {0};
    acar_err err;
    size_t n;
    ro.format = ACAR_FORMAT_XMLRPC;
    acar_val *v = acar_read(doc, call, sizeof call - 1, &ro, &err);
    CHECK(v && ro.xmlrpc_kind == ACAR_XMLRPC_CALL && ro.method);
    CHECK(ro.method && acar_str(ro.method, &n) && n == 3 && memcmp(acar_str(ro.method, NULL), "a.b", 4) == 0);
    CHECK(ro.consumed == sizeof call - 1);
    v = acar_read(doc, fault, sizeof fault - 1, &ro, &err);
    CHECK(v && acar_typeof(v) == ACAR_DICT && ro.xmlrpc_kind == ACAR_XMLRPC_FAULT && !ro.method);
    /* written back as the same fault */
    acar_buf b = {0};
    acar_write_opts wo = {0};
    wo.flags = ACAR_WRITE_FAULT;
    CHECK(v && acar_write(v, ACAR_FORMAT_XMLRPC, &wo, &b, &err) == 0);
    static const char want[] =
        "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n"
        "<value><int>4</int></value>\n</member>\n<member>\n<name>faultString</name>\n"
        "<value><string>no</string></value>\n</member>\n</struct></value>\n</fault>\n</methodResponse>\n";
    CHECK(b.len == sizeof want - 1 && memcmp(b.data, want, b.len) == 0);
    acar_buf_free(&b);
    acar_doc_free(doc);
}

static void test_writes(void) {
    acar_doc *doc = acar_doc_new(NULL);
    acar_err err;
    acar_buf b = {0};
    acar_write_opts wo = {0};
    acar_val *items[3];
    /* int beyond 32 bits, with its path */
    acar_val *l = acar_new_list(doc);
    acar_list_append(doc, l, acar_new_int(doc, 1));
    acar_list_append(doc, l, acar_new_int(doc, (int64_t)1 << 31));
    items[0] = acar_new_str(doc, "x", 1);
    items[1] = l;
    acar_val *t = acar_new_tuple(doc, items, 2);
    CHECK(acar_write(t, ACAR_FORMAT_XMLRPC, &wo, &b, &err) == -1 && err.code == ACAR_ERR_TYPE);
    CHECK_MSG(strstr(err.msg, "int exceeds XML-RPC limits") && strstr(err.msg, "params[1][1]"), "%s", err.msg);
    /* None needs allow_none */
    b.len = 0;
    items[0] = acar_new_none(doc);
    t = acar_new_tuple(doc, items, 1);
    CHECK(acar_write(t, ACAR_FORMAT_XMLRPC, &wo, &b, &err) == -1 &&
          strstr(err.msg, "cannot marshal None unless allow_none is enabled"));
    b.len = 0;
    wo.flags = ACAR_WRITE_ALLOW_NONE;
    static const char nil[] = "<params>\n<param>\n<value><nil/></value></param>\n</params>\n";
    CHECK(acar_write(t, ACAR_FORMAT_XMLRPC, &wo, &b, &err) == 0 && b.len == sizeof nil - 1 &&
          memcmp(b.data, nil, b.len) == 0);
    /* a list holding itself */
    l = acar_new_list(doc);
    acar_list_append(doc, l, l);
    items[0] = l;
    t = acar_new_tuple(doc, items, 1);
    b.len = 0;
    CHECK(acar_write(t, ACAR_FORMAT_XMLRPC, &wo, &b, &err) == -1 && strstr(err.msg, "recursive sequences"));
    b.len = 0;
    CHECK(acar_write(l, ACAR_FORMAT_PLIST, &wo, &b, &err) == -1 && strstr(err.msg, "recursive"));
    /* control characters, lone surrogates */
    items[0] = acar_new_str(doc, "a\x01", 2);
    t = acar_new_tuple(doc, items, 1);
    b.len = 0;
    CHECK(acar_write(t, ACAR_FORMAT_XMLRPC, &wo, &b, &err) == -1 && err.code == ACAR_ERR_TYPE);
    b.len = 0;
    CHECK(acar_write(items[0], ACAR_FORMAT_PLIST, &wo, &b, &err) == -1 && strstr(err.msg, "control characters"));
    items[0] = acar_new_str(doc, "\xed\xa0\x80", 3);
    b.len = 0;
    CHECK(acar_write(items[0], ACAR_FORMAT_PLIST, &wo, &b, &err) == -1 && strstr(err.msg, "surrogate"));
    /* plist ints: -2**63 .. 2**64-1 */
    uint32_t limbs[3] = {0xffffffffu, 0xffffffffu, 0};
    b.len = 0;
    CHECK(acar_write(acar_new_bigint(doc, 0, limbs, 2), ACAR_FORMAT_PLIST, &wo, &b, &err) == 0 &&
          strstr(b.data, "<integer>18446744073709551615</integer>"));
    limbs[2] = 1;
    b.len = 0;
    CHECK(acar_write(acar_new_bigint(doc, 0, limbs, 3), ACAR_FORMAT_PLIST, &wo, &b, &err) == -1 &&
          err.code == ACAR_ERR_TYPE);
    /* a method name that would break the XML */
    wo.method = "a<b";
    b.len = 0;
    CHECK(acar_write(t, ACAR_FORMAT_XMLRPC, &wo, &b, &err) == -1 && err.code == ACAR_ERR_ARG);
    acar_buf_free(&b);
    acar_doc_free(doc);
}

static void test_helpers(void) {
    /* base64 as binascii: lenient decoding, encodebytes lines */
    uint8_t out[64];
    size_t n;
    char msg[128];
    CHECK(acar__xml_b64_decode("Zm9v\nYmFy", 9, out, &n, msg) == 0 && n == 6 && !memcmp(out, "foobar", 6));
    CHECK(acar__xml_b64_decode("Zg==Zm9v", 8, out, &n, msg) == 0 && n == 1 && out[0] == 'f');
    CHECK(acar__xml_b64_decode("Zg", 2, out, &n, msg) == -1 && !strcmp(msg, "Incorrect padding"));
    acar_buf b = {0};
    acar_out o;
    memset(&o, 0, sizeof o);
    o.buf = &b;
    uint8_t data[58];
    memset(data, 0, sizeof data);
    acar__xml_b64_encode(&o, data, 58, 57, "\t", 1);
    CHECK(b.len == 1 + 76 + 1 + 1 + 4 + 1 && b.data[0] == '\t' && b.data[77] == '\n' &&
          !memcmp(b.data + 78, "\tAA==\n", 6));
    acar_buf_free(&b);
    /* dates */
    acar_datetime d;
    char t[32];
    CHECK(acar__xml_parse_date_xmlrpc("20200102T03:04:05", 17, &d, msg) == 0 && d.year == 2020 && d.second == 5);
    CHECK(acar__xml_parse_date_xmlrpc("2020 1 1T1:2:3", 14, &d, msg) == -1); /* ' 1' is a day, '2020 ' no month */
    CHECK(acar__xml_parse_date_xmlrpc("2020011 1T1:2:3", 15, &d, msg) == -1);
    CHECK(acar__xml_parse_date_xmlrpc("202001 1T1:2:3", 14, &d, msg) == 0 && d.month == 1 && d.day == 1);
    CHECK(acar__xml_date_xmlrpc(&d, t) == 17 && !strcmp(t, "20200101T01:02:03"));
    CHECK(acar__xml_date_plist(&d, t) == 20 && !strcmp(t, "2020-01-01T01:02:03Z"));
    CHECK(acar__xml_parse_date_plist("2020-01-02Z", 11, &d, msg) == 0 && d.day == 2 && d.hour == 0);
    CHECK(acar__xml_parse_date_plist("2020-1-02Z", 10, &d, msg) == -1);
}

/* 100000-deep lists write as XML-RPC without recursion; max_depth refuses
 * them.  (A plist indents each level by a tab, so its size grows with the
 * square of the depth: 3000 levels there.) */
static void test_deep_writes(void) {
    acar_doc *doc = acar_doc_new(NULL);
    acar_val *v = acar_new_int(doc, 1);
    for (int i = 0; i < 100000; i++) {
        acar_val *l = acar_new_list(doc);
        acar_list_append(doc, l, v);
        v = l;
    }
    acar_val *t = acar_new_tuple(doc, &v, 1);
    acar_buf b = {0};
    acar_err err;
    acar_write_opts wo = {0};
    wo.max_depth = 200000;
    CHECK(acar_write(t, ACAR_FORMAT_XMLRPC, &wo, &b, &err) == 0 && b.len > 100000 * 45);
    b.len = 0;
    wo.max_depth = 0; /* default 100000: the tuple's list is the 100000th level */
    CHECK(acar_write(t, ACAR_FORMAT_XMLRPC, &wo, &b, &err) == 0);
    b.len = 0;
    wo.max_depth = 1000;
    CHECK(acar_write(t, ACAR_FORMAT_XMLRPC, &wo, &b, &err) == -1 && err.code == ACAR_ERR_LIMIT &&
          strstr(err.msg, "max_depth"));
    acar_val *p = acar_new_int(doc, 1);
    for (int i = 0; i < 3000; i++) {
        acar_val *l = acar_new_list(doc);
        acar_list_append(doc, l, p);
        p = l;
    }
    b.len = 0;
    CHECK(acar_write(p, ACAR_FORMAT_PLIST, &wo, &b, &err) == -1 && err.code == ACAR_ERR_LIMIT);
    b.len = 0;
    wo.max_depth = 0;
    CHECK(acar_write(p, ACAR_FORMAT_PLIST, &wo, &b, &err) == 0 && b.len > 3000u * 3000u);
    acar_buf_free(&b);
    acar_doc_free(doc);
}

/* The doc's limits hold in both readers. */
static void test_limits(void) {
    static const char arr[] = "<params><value><array><data><value>1</value><value>2</value><value>3</value>"
                              "</data></array></value></params>";
    static const char plist_arr[] = "<plist><array><true/><true/><true/></array></plist>";
    static const char big[] = "<params><value><int>123456</int></value><value><int>12345</int></value></params>";
    acar_doc_opts o = {0};
    acar_read_opts ro = {0};
    acar_err err;
    o.limits.max_items = 2;
    acar_doc *doc = acar_doc_new(&o);
    ro.format = ACAR_FORMAT_XMLRPC;
    CHECK(!acar_read(doc, arr, sizeof arr - 1, &ro, &err) && err.code == ACAR_ERR_LIMIT &&
          strstr(err.msg, "max_items"));
    ro.format = ACAR_FORMAT_PLIST;
    CHECK(!acar_read(doc, plist_arr, sizeof plist_arr - 1, &ro, &err) && err.code == ACAR_ERR_LIMIT);
    acar_doc_free(doc);
    memset(&o, 0, sizeof o);
    o.limits.max_int_digits = 5;
    doc = acar_doc_new(&o);
    ro.format = ACAR_FORMAT_XMLRPC;
    CHECK(!acar_read(doc, big, sizeof big - 1, &ro, &err) && err.code == ACAR_ERR_LIMIT && err.offset == 26 &&
          strstr(err.msg, "max_int_digits"));
    acar_doc_free(doc);
    memset(&o, 0, sizeof o);
    o.limits.max_memory = 4096;
    o.limits.max_input = 1 << 20;  /* the text, not the input, must hit max_memory */
    doc = acar_doc_new(&o);
    size_t n = 100000;
    char *in = malloc(n + 64);
    size_t k = (size_t)sprintf(in, "<params><value>");
    memset(in + k, 'x', n);
    k += n;
    k += (size_t)sprintf(in + k, "</value></params>");
    CHECK(doc && !acar_read(doc, in, k, &ro, &err) && err.code == ACAR_ERR_LIMIT && strstr(err.msg, "max_memory"));
    free(in);
    acar_doc_free(doc);
}

int main(void) {
    test_limits();
    test_deep_writes();
    test_reads();
    test_kinds();
    test_writes();
    test_helpers();
    return CHECK_DONE();
}
