/*
 * test_pyc.c -- code objects and .pyc files.
 *
 * Without arguments (ctest): unit cases -- headers of every era, flags,
 * magic numbers, the SipHash against its published vectors, code objects
 * built through the API and written as a .pyc, cross-version writes
 * refused, wrong field types, truncations and mutations of the committed
 * fixtures (tests/fixtures/pyc, made by each pyenv Python with
 * tests/gen/gen_pyc_fixtures.py) read or refused without a crash.
 *
 * With --check (driven by tests/py/test_pyc.py): reads .pyc paths from
 * stdin, one per line, and answers one line each:
 *     OK                       read, and written back byte for byte
 *     DIFF <offset>            written back differently from offset on
 *     RERR <code> <offset> <message>
 *     WERR <code> <message>
 * With --check --canon, OK is followed by a tab and the canonical text of
 * the code object (canon() below), which the test compares with what that
 * Python's own marshal.loads gives.
 * With --source: lines "PYC<TAB>SOURCE"; answers MATCH, or STALE/ERR and the
 * message of acar_pyc_check_source (the source's mtime from stat).
 * With --py2: Python 2 marshal read and written back (py2_main).
 * With --hash MAGIC: reads paths from stdin and prints, for each,
 * acar_pyc_source_hash(MAGIC, the file's bytes) in hex.
 */
#include "check.h"
#include "core/internal.h"
#include "marshal/marshal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* ---- canonical text of a value (the same in test_pyc.py) ----
 *   None N, True T, False F, Ellipsis E, StopIteration S, int i<decimal>,
 *   float f<hex of the 8 little-endian bytes>, complex c<hex><hex>,
 *   str u<hex of UTF-8>, bytes b<hex>, tuple (a,b), list [a,b],
 *   frozenset {sorted items}, set <sorted items>,
 *   code code(name=value;...) with the fields of its layout; from 3.11 the
 *   kinds are given as co_varnames, co_cellvars, co_freevars (names whose
 *   kind has 0x20, 0x40, 0x80), which Python shows. */

typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1) cap *= 2;
        b->p = realloc(b->p, cap);
        if (!b->p) abort();
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}
static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }
static void sb_hex(sbuf *b, const void *p, size_t n) {
    static const char hx[] = "0123456789abcdef";
    const uint8_t *s = p;
    for (size_t i = 0; i < n; i++) {
        char c[2] = {hx[s[i] >> 4], hx[s[i] & 15]};
        sb_put(b, c, 2);
    }
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void canon(sbuf *b, const acar_val *v);

static void canon_seq(sbuf *b, const acar_val *v, char open, char close, int sort) {
    size_t n = acar_len(v);
    char **parts = calloc(n ? n : 1, sizeof *parts);
    for (size_t i = 0; i < n; i++) {
        sbuf t = {0};
        sb_str(&t, "");
        canon(&t, acar_item(v, i));
        parts[i] = t.p;
    }
    if (sort) qsort(parts, n, sizeof *parts, cmp_str);
    sb_put(b, &open, 1);
    for (size_t i = 0; i < n; i++) {
        if (i) sb_str(b, ",");
        sb_str(b, parts[i]);
        free(parts[i]);
    }
    sb_put(b, &close, 1);
    free(parts);
}

static void canon_names_kind(sbuf *b, const acar_val *names, const acar_val *kinds, unsigned bit) {
    size_t len;
    const char *k = acar_str(kinds, &len);
    sb_str(b, "(");
    int first = 1;
    for (size_t i = 0; i < acar_len(names) && i < len; i++) {
        if (!((uint8_t)k[i] & bit)) continue;
        if (!first) sb_str(b, ",");
        first = 0;
        canon(b, acar_item(names, i));
    }
    sb_str(b, ")");
}

static void canon(sbuf *b, const acar_val *v) {
    char tmp[64];
    size_t n;
    const char *s;
    switch (acar_typeof(v)) {
    case ACAR_NONE: sb_str(b, "N"); return;
    case ACAR_BOOL: sb_str(b, acar_bool(v) ? "T" : "F"); return;
    case ACAR_ELLIPSIS: sb_str(b, "E"); return;
    case ACAR_STOPITERATION: sb_str(b, "S"); return;
    case ACAR_INT: {
        int64_t i;
        if (acar_int_get(v, &i)) {
            snprintf(tmp, sizeof tmp, "i%lld", (long long)i);
            sb_str(b, tmp);
        } else {
            acar_buf o = {0};
            acar_write_opts wo = {0};
            acar_write(v, ACAR_FORMAT_REPR, &wo, &o, NULL);
            sb_str(b, "i");
            sb_put(b, o.data, o.len);
            acar_buf_free(&o);
        }
        return;
    }
    case ACAR_FLOAT: {
        double d = acar_float(v);
        uint8_t x[8];
        memcpy(x, &d, 8);
        sb_str(b, "f");
        sb_hex(b, x, 8);
        return;
    }
    case ACAR_COMPLEX: {
        double d[2] = {acar_complex_real(v), acar_complex_imag(v)};
        sb_str(b, "c");
        sb_hex(b, d, 16);
        return;
    }
    case ACAR_STR: s = acar_str(v, &n); sb_str(b, "u"); sb_hex(b, s, n); return;
    case ACAR_BYTES: s = acar_str(v, &n); sb_str(b, "b"); sb_hex(b, s, n); return;
    case ACAR_TUPLE: canon_seq(b, v, '(', ')', 0); return;
    case ACAR_LIST: canon_seq(b, v, '[', ']', 0); return;
    case ACAR_FROZENSET: canon_seq(b, v, '{', '}', 1); return;
    case ACAR_SET: canon_seq(b, v, '<', '>', 1); return;
    case ACAR_CODE: {
        const acar_code_field *l;
        size_t nf = acar_code_layout(acar_code_version(v), &l);
        sb_str(b, "code(");
        for (size_t i = 0; i < nf; i++) {
            if (l[i] == ACAR_CO_LOCALSPLUSKINDS) {
                const acar_val *names = acar_code_get(v, ACAR_CO_LOCALSPLUSNAMES);
                const acar_val *kinds = acar_code_get(v, ACAR_CO_LOCALSPLUSKINDS);
                sb_str(b, "co_varnames=");
                canon_names_kind(b, names, kinds, 0x20);
                sb_str(b, ";co_cellvars=");
                canon_names_kind(b, names, kinds, 0x40);
                sb_str(b, ";co_freevars=");
                canon_names_kind(b, names, kinds, 0x80);
                sb_str(b, ";");
                continue;
            }
            sb_str(b, acar_code_field_name(l[i]));
            sb_str(b, "=");
            canon(b, acar_code_get(v, l[i]));
            sb_str(b, ";");
        }
        sb_str(b, ")");
        return;
    }
    default:
        sb_str(b, "?");
        return;
    }
}

/* ---- --check ---- */

static int check_main(int want_canon) {
    char line[8192];
    acar_doc *doc = acar_doc_new(NULL);
    while (fgets(line, sizeof line, stdin)) {
        size_t ll = strlen(line);
        while (ll && (line[ll - 1] == '\n' || line[ll - 1] == '\r')) line[--ll] = 0;
        if (!ll) continue;
        size_t len;
        uint8_t *data = check_read_file(line, &len);
        if (!data) {
            printf("RERR 9 0 cannot open the file\n");
            fflush(stdout);
            continue;
        }
        acar_doc_reset(doc);
        acar_read_opts ro = {0};
        ro.format = ACAR_FORMAT_PYC;
        acar_err err;
        memset(&err, 0, sizeof err);
        acar_val *v = acar__pyc_read(doc, data, len, &ro, &err);
        if (!v) {
            printf("RERR %d %zu %s\n", err.code, err.offset, err.msg);
        } else {
            acar_buf out = {0};
            if (acar_pyc_write(v, NULL, &out, &err) < 0) {
                printf("WERR %d %s\n", err.code, err.msg);
            } else if (out.len != ro.consumed || memcmp(out.data, data, out.len) != 0) {
                size_t i = 0;
                while (i < out.len && i < len && out.data[i] == (char)data[i]) i++;
                printf("DIFF %zu\n", i);
            } else if (want_canon) {
                sbuf b = {0};
                sb_str(&b, "OK\t");
                canon(&b, v);
                puts(b.p);
                free(b.p);
            } else {
                puts("OK");
            }
            acar_buf_free(&out);
        }
        fflush(stdout);
        free(data);
    }
    acar_doc_free(doc);
    return 0;
}


static int source_main(void) {
    char line[8192];
    while (fgets(line, sizeof line, stdin)) {
        size_t ll = strlen(line);
        while (ll && (line[ll - 1] == '\n' || line[ll - 1] == '\r')) line[--ll] = 0;
        char *tab = strchr(line, '\t');
        if (!tab) continue;
        *tab = 0;
        size_t plen = 0, slen = 0;
        uint8_t *pyc = check_read_file(line, &plen), *src = check_read_file(tab + 1, &slen);
        struct stat st;
        acar_pyc_header h;
        acar_err err;
        if (!pyc || !src || stat(tab + 1, &st) != 0) {
            printf("ERR cannot read the files\n");
        } else if (acar_pyc_info(pyc, plen, &h, &err) < 0) {
            printf("ERR %s\n", err.msg);
        } else if (acar_pyc_check_source(&h, src, slen, (int64_t)st.st_mtime, &err) < 0) {
            printf("STALE %d %zu %s\n", err.code, err.offset, err.msg);
        } else {
            printf("MATCH\n");
        }
        fflush(stdout);
        free(pyc);
        free(src);
    }
    return 0;
}

static int hash_main(const char *magic) {
    char line[8192];
    while (fgets(line, sizeof line, stdin)) {
        size_t ll = strlen(line);
        while (ll && (line[ll - 1] == '\n' || line[ll - 1] == '\r')) line[--ll] = 0;
        if (!ll) continue;
        size_t n;
        uint8_t *p = check_read_file(line, &n);
        uint8_t h[8];
        if (p && acar_pyc_source_hash((uint16_t)strtoul(magic, NULL, 10), p, n, h) == 0) {
            for (int i = 0; i < 8; i++) printf("%02x", h[i]);
            printf("\n");
        } else {
            printf("none\n");
        }
        fflush(stdout);
        free(p);
    }
    return 0;
}

/* --py2: lines "V<TAB>path" of Python 2.7 marshal.dumps(v, V); each is read
 * in the Python 2 dialect and written back at V: OK, DIFF <offset>, or
 * RERR/WERR as --check. */
static int py2_main(void) {
    char line[8192];
    acar_doc *doc = acar_doc_new(NULL);
    while (fgets(line, sizeof line, stdin)) {
        size_t ll = strlen(line);
        while (ll && (line[ll - 1] == '\n' || line[ll - 1] == '\r')) line[--ll] = 0;
        char *tab = strchr(line, '\t');
        if (!tab) continue;
        int version = atoi(line);
        size_t len;
        uint8_t *data = check_read_file(tab + 1, &len);
        acar_doc_reset(doc);
        acar_read_opts ro = {0};
        acar_err err;
        acar_val *v = data ? acar__marshal_read_ex(doc, data, len, &ro, ACAR_MARSHAL_PY2, &err) : NULL;
        if (!v) {
            printf("RERR %d %zu %s\n", err.code, err.offset, data ? err.msg : "cannot open");
        } else {
            acar_buf out = {0};
            acar_write_opts wo = {0};
            wo.version = ACAR_VERSION(version);
            acar_out o = {&out, false, false, 0};
            if (acar__marshal_write_ex(v, &wo, ACAR_MARSHAL_PY2, &o, &err) < 0) {
                printf("WERR %d %s\n", err.code, err.msg);
            } else if (out.len != len || memcmp(out.data, data, len) != 0) {
                size_t i = 0;
                while (i < out.len && i < len && out.data[i] == (char)data[i]) i++;
                printf("DIFF %zu\n", i);
            } else {
                puts("OK");
            }
            acar_buf_free(&out);
        }
        fflush(stdout);
        free(data);
    }
    acar_doc_free(doc);
    return 0;
}

/* ==================================================================== */

#define B(s) (const uint8_t *)(s), sizeof(s) - 1

static acar_doc *D;

static char *canon_of(const acar_val *v) {
    sbuf b = {0};
    sb_str(&b, "OK\t");
    canon(&b, v);
    return b.p;
}

/* The fixtures: every file gen_pyc_fixtures.py makes. */
static const char *const fixture_versions[] = {"2.7", "3.6", "3.7", "3.8", "3.9",
                                               "3.10", "3.11", "3.12", "3.13"};
static const char *const fixture_names[] = {"all_py2", "all_py3", "all_py3.checked",
                                            "all_py3.unchecked", "py38", "py310", "py311", "py312"};

static char *read_text(const char *path) {
    size_t n;
    uint8_t *p = check_read_file(path, &n);
    if (!p) return NULL;
    char *s = realloc(p, n + 1);
    s[n] = 0;
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r')) s[--n] = 0;
    return s;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Every way of breaking data: each prefix (a stride of them for long
 * files) is refused as truncated; mutations read or are refused, and what
 * reads writes and reads back to the same canonical text. */
static void abuse(const char *label, const uint8_t *data, size_t len, size_t stride, int mutations) {
    acar_doc *doc = acar_doc_new(NULL);
    acar_err err;
    for (size_t n = 0; n < len; n += stride) {
        acar_doc_reset(doc);
        acar_read_opts ro = {0};
        acar_val *v = acar__pyc_read(doc, data, n, &ro, &err);
        CHECK_MSG(!v && err.code == ACAR_ERR_TRUNCATED && err.offset <= n,
                  "%s: prefix %zu: code %d offset %zu: %s", label, n, err.code, err.offset, err.msg);
    }
    uint8_t *m = malloc(len + 8);
    for (int k = 0; k < mutations; k++) {
        memcpy(m, data, len);
        int edits = 1 + (int)(rnd() % 4);
        for (int e = 0; e < edits; e++) {
            size_t at = 4 + rnd() % (len - 4);  /* keep the magic: test the body */
            m[at] = (rnd() & 1) ? (uint8_t)rnd() : (uint8_t)(m[at] ^ 0x80);
        }
        acar_doc_reset(doc);
        acar_read_opts ro = {0};
        acar_val *v = acar__pyc_read(doc, m, len, &ro, &err);
        if (!v) {
            CHECK_MSG(err.code != ACAR_OK && err.msg[0] && err.offset <= len, "%s: mutation %d", label, k);
            continue;
        }
        acar_buf out = {0};
        if (acar_pyc_write(v, NULL, &out, &err) == 0) {
            acar_doc *d2 = acar_doc_new(NULL);
            acar_read_opts ro2 = {0};
            acar_val *v2 = acar__pyc_read(d2, (const uint8_t *)out.data, out.len, &ro2, &err);
            CHECK_MSG(v2 != NULL, "%s: mutation %d: acar cannot read what it wrote: %s", label, k, err.msg);
            if (v2) {
                char *a = canon_of(v), *b = canon_of(v2);
                CHECK_MSG(strcmp(a, b) == 0, "%s: mutation %d: value changed on a round trip", label, k);
                free(a);
                free(b);
            }
            acar_doc_free(d2);
        } else {
            CHECK_MSG(err.code == ACAR_ERR_LIMIT || err.code == ACAR_ERR_TYPE,
                      "%s: mutation %d: read but cannot write: %s", label, k, err.msg);
        }
        acar_buf_free(&out);
    }
    free(m);
    acar_doc_free(doc);
}

static void test_fixtures(void) {
    char path[512];
    int found = 0;
    for (size_t i = 0; i < sizeof fixture_versions / sizeof *fixture_versions; i++) {
        for (size_t j = 0; j < sizeof fixture_names / sizeof *fixture_names; j++) {
            const char *ver = fixture_versions[i], *name = fixture_names[j];
            snprintf(path, sizeof path, "fixtures/pyc/%s/%s.pyc", ver, name);
            size_t len;
            uint8_t *data = check_read_file(path, &len);
            if (!data) continue;
            found++;
            acar_doc_reset(D);
            acar_read_opts ro = {0};
            ro.format = ACAR_FORMAT_PYC;
            acar_err err;
            acar_val *v = acar__pyc_read(D, data, len, &ro, &err);
            CHECK_MSG(v != NULL, "%s: %s", path, err.msg);
            if (v) {
                acar_pyc_header h;
                CHECK(acar_pyc_header_of(v, &h) == 0 && h.size + 0 <= len);
                unsigned maj = (unsigned)atoi(ver), min = (unsigned)atoi(strchr(ver, '.') + 1);
                CHECK(acar_code_version(v) == ACAR_PYVER(maj, min) && h.pyver == ACAR_PYVER(maj, min));
                CHECK(ro.consumed == len);
                acar_buf out = {0};
                CHECK_MSG(acar_pyc_write(v, NULL, &out, &err) == 0 && out.len == len &&
                              memcmp(out.data, data, len) == 0,
                          "%s: not written back byte for byte", path);
                acar_buf_free(&out);
                /* The canonical text CPython gave when it made the fixture. */
                char cpath[512];
                const char *dot = strchr(name, '.');
                snprintf(cpath, sizeof cpath, "fixtures/pyc/%s/%.*s.canon", ver,
                         dot ? (int)(dot - name) : (int)strlen(name), name);
                char *want = read_text(cpath), *got = canon_of(v);
                CHECK_MSG(want && strcmp(want, got) == 0, "%s: fields differ from %s", path, cpath);
                free(want);
                free(got);
                /* Hash-based: flags as named, and the hash of the source. */
                if (strstr(name, "checked")) {
                    CHECK(h.flags == (strstr(name, "unchecked") ? 1u : 3u));
                    size_t slen = 0;
                    uint8_t *src = check_read_file("fixtures/pyc/src/all_py3.py", &slen);
                    uint8_t hh[8];
                    CHECK(src && acar_pyc_source_hash(h.magic, src, slen, hh) == 0 &&
                          memcmp(hh, h.hash, 8) == 0);
                    CHECK(src && acar_pyc_check_source(&h, src, slen, -1, &err) == 0);
                    if (src && slen) {
                        src[0] ^= 1;
                        CHECK(acar_pyc_check_source(&h, src, slen, -1, &err) < 0 &&
                              err.code == ACAR_ERR_MALFORMED && strstr(err.msg, "stale"));
                    }
                    free(src);
                } else if (h.size == 16) {
                    CHECK(h.flags == 0);
                }
                /* Another version's .pyc or marshal cannot hold it. */
                acar_pyc_header other = h;
                other.pyver = h.pyver == ACAR_PYVER(3, 11) ? ACAR_PYVER(3, 12) : ACAR_PYVER(3, 11);
                CHECK(acar_pyc_write(v, &other, &out, &err) < 0 && err.code == ACAR_ERR_TYPE);
                acar_buf_free(&out);
                int mrc = acar_write(v, ACAR_FORMAT_MARSHAL, NULL, &out, &err);
                if (h.pyver == ACAR_PYVER(3, 11)) {
                    CHECK_MSG(mrc == 0 && out.len == len - h.size && memcmp(out.data, data + h.size, out.len) == 0,
                              "%s: as 3.11 marshal: rc %d len %zu of %zu: %s", path, mrc, out.len, len - h.size, mrc ? err.msg : "");
                } else {
                    CHECK_MSG(mrc < 0 && err.code == ACAR_ERR_TYPE && strstr(err.msg, "cannot be written as Python 3.11"),
                              "%s: written as 3.11 marshal: %s", path, mrc ? err.msg : "(no error)");
                }
                acar_buf_free(&out);
                /* repr of the module's code object */
                CHECK(acar__code_repr(v, &(acar_out){&out, false, false, 0}) == 0);
                char want_repr[128];
                int64_t line = 0;
                acar_int_get(acar_code_get(v, ACAR_CO_FIRSTLINENO), &line);
                snprintf(want_repr, sizeof want_repr, "<code object <module>, file \"src/%.*s.py\", line %d>",
                         dot ? (int)(dot - name) : (int)strlen(name), name, (int)line);
                CHECK_MSG(out.len == strlen(want_repr) && memcmp(out.data, want_repr, out.len) == 0,
                          "%s: repr %.*s", path, (int)out.len, out.data);
                acar_buf_free(&out);
                abuse(path, data, len, strstr(name, "all_py") ? 13 : 3, 150);
            }
            free(data);
        }
    }
    CHECK_MSG(found >= 9, "found %d fixtures (run from tests/)", found);
    /* acar_code_show: the header line, then each code object and its fields. */
    size_t slen;
    uint8_t *sdata = check_read_file("fixtures/pyc/3.11/py38.pyc", &slen);
    if (sdata) {
        acar_doc_reset(D);
        acar_read_opts ro = {0};
        acar_err err;
        acar_val *v = acar__pyc_read(D, sdata, slen, &ro, &err);
        acar_buf out = {0};
        CHECK(v && acar_code_show(v, &out, &err) == 0);
        acar__out_byte(&(acar_out){&out, false, false, 0}, 0);
        CHECK_MSG(out.data && strncmp(out.data, "# Python 3.11 .pyc, magic 3495, source mtime ", 45) == 0,
                  "%.80s", out.data ? out.data : "");
        CHECK(out.data && strstr(out.data, "\n<code object <module>, file \"src/py38.py\", line 1>\n  co_argcount         0\n"));
        CHECK(out.data && strstr(out.data, "\n    <code object <listcomp>, file \"src/py38.py\", line 6>\n      co_argcount         1\n"));
        CHECK(out.data && strstr(out.data, "(124 bytes)"));
        acar_buf_free(&out);
        free(sdata);
    }
    /* Bare 3.11 marshal of a code object: ACAR_FORMAT_MARSHAL. */
    size_t len;
    uint8_t *data = check_read_file("fixtures/pyc/3.11/all_py3.marshal", &len);
    CHECK(data != NULL);
    if (data) {
        acar_doc_reset(D);
        acar_read_opts ro = {0};
        ro.format = ACAR_FORMAT_MARSHAL;
        acar_err err;
        acar_val *v = acar_read(D, data, len, &ro, &err);
        CHECK_MSG(v && acar_code_version(v) == ACAR_PYVER(3, 11), "3.11 marshal: %s", v ? "" : err.msg);
        char *want = read_text("fixtures/pyc/3.11/all_py3.marshal.canon");
        char *got = v ? canon_of(v) : NULL;
        CHECK(want && got && strcmp(want, got) == 0);
        free(want);
        free(got);
        acar_buf out = {0};
        CHECK(v && acar_write(v, ACAR_FORMAT_MARSHAL, NULL, &out, &err) == 0 && out.len == len &&
              memcmp(out.data, data, len) == 0);
        CHECK(v && acar_pyc_header_of(v, NULL) < 0);
        acar_buf_free(&out);
        /* Written as a .pyc: a timestamp header of 3.11 with zeros. */
        CHECK(v && acar_pyc_write(v, NULL, &out, &err) == 0 && out.len == len + 16 &&
              memcmp(out.data, "\xa7\x0d\x0d\x0a\0\0\0\0\0\0\0\0\0\0\0\0", 16) == 0 &&
              memcmp(out.data + 16, data, len) == 0);
        acar_buf_free(&out);
        free(data);
    }
}

/* ---- headers ---- */

static void info_ok(int line, const uint8_t *p, size_t n, unsigned pyver, size_t size, int body) {
    acar_pyc_header h;
    acar_err err;
    int rc = acar_pyc_info(p, n, &h, &err);
    CHECK_MSG(rc == 0 && h.pyver == pyver && h.size == size && h.body == body,
              "line %d: rc %d pyver %x size %zu body %d: %s", line, rc, h.pyver, h.size, h.body,
              rc ? err.msg : "");
}
#define INFO_OK(data, pyver, size, body) info_ok(__LINE__, B(data), pyver, size, body)

static void info_err(int line, const uint8_t *p, size_t n, acar_code code, size_t offset) {
    acar_pyc_header h;
    acar_err err;
    int rc = acar_pyc_info(p, n, &h, &err);
    CHECK_MSG(rc < 0 && err.code == code && err.offset == offset, "line %d: rc %d code %d offset %zu",
              line, rc, err.code, err.offset);
}
#define INFO_ERR(data, code, offset) info_err(__LINE__, B(data), code, offset)

static void test_headers(void) {
    /* importlib.util.MAGIC_NUMBER of each pyenv Python; 2.7: imp.get_magic() */
    INFO_OK("\x03\xf3\r\n\x01\x02\x03\x04", ACAR_PYVER(2, 7), 8, 1);
    INFO_OK("\x33\x0d\r\n\x01\x02\x03\x04\x05\x06\x07\x08", ACAR_PYVER(3, 6), 12, 1);
    INFO_OK("\x42\x0d\r\n\0\0\0\0\x01\x02\x03\x04\x05\x06\x07\x08", ACAR_PYVER(3, 7), 16, 1);
    INFO_OK("\x55\x0d\r\n\x01\0\0\0\x01\x02\x03\x04\x05\x06\x07\x08", ACAR_PYVER(3, 8), 16, 1);
    INFO_OK("\x61\x0d\r\n\x03\0\0\0\x01\x02\x03\x04\x05\x06\x07\x08", ACAR_PYVER(3, 9), 16, 1);
    INFO_OK("\x6f\x0d\r\n\0\0\0\0\x01\x02\x03\x04\x05\x06\x07\x08", ACAR_PYVER(3, 10), 16, 1);
    INFO_OK("\xa7\x0d\r\n\0\0\0\0\x01\x02\x03\x04\x05\x06\x07\x08", ACAR_PYVER(3, 11), 16, 1);
    INFO_OK("\xcb\x0d\r\n\0\0\0\0\x01\x02\x03\x04\x05\x06\x07\x08", ACAR_PYVER(3, 12), 16, 1);
    INFO_OK("\xf3\x0d\r\n\0\0\0\0\x01\x02\x03\x04\x05\x06\x07\x08", ACAR_PYVER(3, 13), 16, 1);
    /* 3.14 (3627) and 3.15 (3650..): the header is known, the body not */
    INFO_OK("\x2b\x0e\r\n\0\0\0\0\x01\x02\x03\x04\x05\x06\x07\x08", ACAR_PYVER(3, 14), 16, 0);
    INFO_OK("\x59\x0e\r\n\0\0\0\0\x01\x02\x03\x04\x05\x06\x07\x08", ACAR_PYVER(3, 15), 16, 0);
    /* a pre-release magic of 3.11 (3494) */
    INFO_OK("\xa6\x0d\r\n\0\0\0\0\x01\x02\x03\x04\x05\x06\x07\x08", ACAR_PYVER(3, 11), 16, 1);
    INFO_OK("\xee\x0c\r\n\x01\x02\x03\x04\x05\x06\x07\x08", ACAR_PYVER(3, 4), 12, 0);
    INFO_OK("\x9e\x0c\r\n\x01\x02\x03\x04\x05\x06\x07\x08", ACAR_PYVER(3, 3), 12, 0);
    INFO_OK("\x4f\x0c\r\n\x01\x02\x03\x04", ACAR_PYVER(3, 1), 8, 0);
    /* flags 2 alone: importlib takes it as a timestamp pyc */
    INFO_OK("\xa7\x0d\r\n\x02\0\0\0\0\0\0\0\0\0\0\0", ACAR_PYVER(3, 11), 16, 1);

    acar_pyc_header h;
    acar_err err;
    CHECK(acar_pyc_info("\x42\x0d\r\n\x00\x00\x00\x00\x01\x02\x03\x04\x05\x06\x07\x08", 16, &h, NULL) == 0 &&
          h.flags == 0 && h.mtime == 0x04030201u && h.source_size == 0x08070605u && h.magic == 3394);
    CHECK(acar_pyc_info("\x42\x0d\r\n\x03\x00\x00\x00\x01\x02\x03\x04\x05\x06\x07\x08", 16, &h, NULL) == 0 &&
          h.flags == 3 && memcmp(h.hash, "\x01\x02\x03\x04\x05\x06\x07\x08", 8) == 0 && h.mtime == 0);
    CHECK(acar_pyc_info("\x03\xf3\r\n\x01\x02\x03\x04", 8, &h, NULL) == 0 && h.mtime == 0x04030201u &&
          h.source_size == 0);

    INFO_ERR("", ACAR_ERR_TRUNCATED, 0);
    INFO_ERR("\xa7\x0d\r", ACAR_ERR_TRUNCATED, 3);
    INFO_ERR("\xa7\x0d\r\n\0\0\0\0\0\0\0\0\0\0\0", ACAR_ERR_TRUNCATED, 15);
    INFO_ERR("\x03\xf3\r\n\0\0\0", ACAR_ERR_TRUNCATED, 7);
    INFO_ERR("\xa7\x0d\n\r\0\0\0\0\0\0\0\0\0\0\0\0", ACAR_ERR_MALFORMED, 0);
    INFO_ERR("\x00\x00\r\n\0\0\0\0\0\0\0\0\0\0\0\0", ACAR_ERR_MALFORMED, 0);
    INFO_ERR("\x10\x27\r\n\0\0\0\0\0\0\0\0\0\0\0\0", ACAR_ERR_MALFORMED, 0); /* 10000 */
    INFO_ERR("\xa7\x0d\r\n\x04\0\0\0\0\0\0\0\0\0\0\0", ACAR_ERR_MALFORMED, 4);
    CHECK(acar_pyc_info(NULL, 0, NULL, &err) < 0 && err.code == ACAR_ERR_ARG);

    CHECK(acar__pyc_detect(B("\xa7\x0d\r\n\0\0\0\0\0\0\0\0\0\0\0\0")) == 1);
    CHECK(acar__pyc_detect(B("\xa7\x0d\r\n\0\0\0\0\0\0\0\0")) == 1); /* truncated: still a pyc */
    CHECK(acar__pyc_detect(B("\xa7\x0d\r")) == 0);
    CHECK(acar__pyc_detect(B("\x03\xf3\r\n\0\0\0\0")) == 1);
    CHECK(acar__pyc_detect(B("\x80\x04\x95\x00\x00\x00\x00\x00")) == 0);
    CHECK(acar__pyc_detect(B("\xa7\x0d\n\n\0\0\0\0\0\0\0\0\0\0\0\0")) == 0);

    /* Bodies of versions acar has no layout for are refused clearly. */
    acar_read_opts ro = {0};
    CHECK(acar__pyc_read(D, B("\x2b\x0e\r\n\0\0\0\0\0\0\0\0\0\0\0\0N"), &ro, &err) == NULL &&
          err.code == ACAR_ERR_UNSUPPORTED && strstr(err.msg, "3.14"));
    /* A body that is no code object (importlib: "Non-code object") */
    CHECK(acar__pyc_read(D, B("\xa7\x0d\r\n\0\0\0\0\0\0\0\0\0\0\0\0N"), &ro, &err) == NULL &&
          err.code == ACAR_ERR_MALFORMED && err.offset == 16);
    /* Bytes after the body: ignored as importlib's marshal.loads does,
     * refused with ACAR_READ_NO_TRAILING (offsets in the file). */
    {
        size_t flen;
        uint8_t *fx = check_read_file("fixtures/pyc/3.9/py38.pyc", &flen);
        if (fx) {
            uint8_t *more = malloc(flen + 3);
            memcpy(more, fx, flen);
            memcpy(more + flen, "xyz", 3);
            acar_read_opts r2 = {0};
            acar_doc_reset(D);
            CHECK(acar__pyc_read(D, more, flen + 3, &r2, &err) != NULL && r2.consumed == flen);
            r2.flags = ACAR_READ_NO_TRAILING;
            acar_doc_reset(D);
            CHECK(acar__pyc_read(D, more, flen + 3, &r2, &err) == NULL && err.code == ACAR_ERR_MALFORMED &&
                  err.offset == flen);
            free(more);
            free(fx);
        }
    }
    /* Body errors are offsets in the file. */
    CHECK(acar__pyc_read(D, B("\xa7\x0d\r\n\0\0\0\0\0\0\0\0\0\0\0\0[\x01\x00\x00\x00Q"), &ro, &err) == NULL &&
          err.code == ACAR_ERR_MALFORMED && err.offset == 21);
    /* Timestamp checks */
    acar_pyc_info("\x6f\x0d\r\n\0\0\0\0\x10\0\0\0\x03\0\0\0", 16, &h, NULL);
    CHECK(acar_pyc_check_source(&h, "abc", 3, 16, &err) == 0);
    CHECK(acar_pyc_check_source(&h, "abc", 3, -1, &err) == 0);
    CHECK(acar_pyc_check_source(&h, "abc", 3, 17, &err) < 0 && err.offset == 8 && strstr(err.msg, "mtime"));
    CHECK(acar_pyc_check_source(&h, "abcd", 4, 16, &err) < 0 && err.offset == 12 && strstr(err.msg, "bytes"));
    /* 2.7 has no size: mtime alone */
    acar_pyc_info("\x03\xf3\r\n\x10\0\0\0", 8, &h, NULL);
    CHECK(acar_pyc_check_source(&h, "abcd", 4, 16, &err) == 0);
    CHECK(acar_pyc_check_source(&h, "abcd", 4, 15, &err) < 0);
    uint8_t hh[8];
    CHECK(acar_pyc_source_hash(3379, "x", 1, hh) < 0); /* 3.6: no hash-based pycs */
}

/* SipHash-2-4 against the vectors of its authors (key 00..0f, message
 * 00 01 02 ... of each length); SipHash-1-3 is checked against CPython's
 * importlib.util.source_hash by test_pyc.py. */
static void test_siphash(void) {
    uint8_t msg[16];
    for (int i = 0; i < 16; i++) msg[i] = (uint8_t)i;
    uint64_t k0 = 0x0706050403020100ull, k1 = 0x0f0e0d0c0b0a0908ull;
    CHECK(acar__siphash(2, 4, k0, k1, msg, 0) == 0x726fdb47dd0e0e31ull);
    CHECK(acar__siphash(2, 4, k0, k1, msg, 1) == 0x74f839c593dc67fdull);
    CHECK(acar__siphash(2, 4, k0, k1, msg, 2) == 0x0d6c8009d9a94f5aull);
    CHECK(acar__siphash(2, 4, k0, k1, msg, 3) == 0x85676696d7fb7e2dull);
    CHECK(acar__siphash(2, 4, k0, k1, msg, 15) == 0xa129ca6149be45e5ull);
}

/* ---- code objects through the API, and malformed code ---- */

static acar_val *I(int64_t x) { return acar_new_int(D, x); }
static acar_val *Z(const char *s) { return acar_new_str(D, s, strlen(s)); }
static acar_val *BY(const char *s, size_t n) { return acar_new_bytes(D, s, n); }

static acar_val *code311(const char *name, acar_val *consts) {
    acar_val *empty = acar_new_tuple(D, NULL, 0);
    acar_val *f[16] = {I(0), I(0), I(0), I(1), I(0), BY("\x97\x00", 2), consts, empty,
                       empty, BY("", 0), Z("x.py"), Z(name), Z(name), I(7), BY("", 0), BY("", 0)};
    return acar_new_code(D, ACAR_PYVER(3, 11), f, 16);
}

static void test_api(void) {
    acar_doc_reset(D);
    acar_val *none = acar_new_none(D);
    acar_val *inner = code311("f", acar_new_tuple(D, &none, 1));
    acar_val *items[2] = {inner, none};
    acar_val *outer = code311("<module>", acar_new_tuple(D, items, 2));
    CHECK(outer && acar_code_version(outer) == ACAR_PYVER(3, 11));
    CHECK(acar_code_get(outer, ACAR_CO_NLOCALS) == NULL && acar_code_get(outer, ACAR_CO_QUALNAME));
    CHECK(acar_typeof(acar_code_get(outer, ACAR_CO_CONSTS)) == ACAR_TUPLE);
    CHECK(strcmp(acar_code_field_name(ACAR_CO_EXCEPTIONTABLE), "co_exceptiontable") == 0);
    const acar_code_field *l;
    CHECK(acar_code_layout(ACAR_PYVER(2, 7), &l) == 14 && l[1] == ACAR_CO_NLOCALS);
    CHECK(acar_code_layout(ACAR_PYVER(3, 10), &l) == 16 && l[15] == ACAR_CO_LINETABLE);
    CHECK(acar_code_layout(ACAR_PYVER(3, 5), &l) == 0);
    /* What CPython 3.11's marshal.dumps gives for this code object, made
     * from the same fields with types.CodeType... replace(): nothing is
     * shared, so no FLAG_REF (acar's policy: flag what occurs twice --
     * here the empty tuple and b'', shared by the builder). */
    acar_buf out = {0};
    acar_err err;
    CHECK(acar_write(outer, ACAR_FORMAT_MARSHAL, NULL, &out, &err) == 0);
    acar_doc *d2 = acar_doc_new(NULL);
    acar_read_opts ro = {0};
    ro.format = ACAR_FORMAT_MARSHAL;
    acar_val *back = acar_read(d2, out.data, out.len, &ro, &err);
    CHECK(back && acar_code_version(back) == ACAR_PYVER(3, 11));
    if (back) {
        char *a = canon_of(outer), *b = canon_of(back);
        CHECK(strcmp(a, b) == 0);
        free(a);
        free(b);
        acar_val *c0 = acar_item(acar_code_get(back, ACAR_CO_CONSTS), 0);
        CHECK(acar_code_version(c0) == ACAR_PYVER(3, 11));
    }
    acar_doc_free(d2);
    acar_buf_free(&out);
    /* repr */
    static const char want_repr[] = "<code object <module>, file \"x.py\", line 7>";
    CHECK(acar__code_repr(outer, &(acar_out){&out, false, false, 0}) == 0 && out.len == sizeof want_repr - 1 &&
          memcmp(out.data, want_repr, out.len) == 0);
    acar_buf_free(&out);
    /* As a .pyc with a header given: hash-based. */
    acar_pyc_header h = {0};
    h.flags = ACAR_PYC_HASH_BASED | ACAR_PYC_CHECK_SOURCE;
    memcpy(h.hash, "ABCDEFGH", 8);
    CHECK(acar_pyc_write(outer, &h, &out, &err) == 0 && out.len > 16 &&
          memcmp(out.data, "\xa7\x0d\r\n\x03\0\0\0ABCDEFGH", 16) == 0);
    acar_buf_free(&out);
    h.flags = 8;
    CHECK(acar_pyc_write(outer, &h, &out, &err) < 0 && err.code == ACAR_ERR_ARG);
    acar_buf_free(&out);
    CHECK(acar_pyc_write(none, NULL, &out, &err) < 0 && err.code == ACAR_ERR_TYPE);
    acar_buf_free(&out);
    /* Wrong field types and counts are refused by the builder. */
    acar_val *bad[16];
    acar_val *empty = acar_new_tuple(D, NULL, 0);
    acar_val *good[16] = {I(0), I(0), I(0), I(1), I(0), BY("", 0), empty, empty,
                          empty, BY("", 0), Z("x.py"), Z("n"), Z("n"), I(7), BY("", 0), BY("", 0)};
    memcpy(bad, good, sizeof bad);
    bad[6] = acar_new_list(D);
    CHECK(acar_new_code(D, ACAR_PYVER(3, 11), bad, 16) == NULL && acar_doc_error(D) &&
          acar_doc_error(D)->code == ACAR_ERR_TYPE && strstr(acar_doc_error(D)->msg, "co_consts"));
    acar_doc_reset(D);
    memcpy(bad, good, sizeof bad);
    CHECK(acar_new_code(D, ACAR_PYVER(3, 11), bad, 15) == NULL);
    acar_doc_reset(D);
    CHECK(acar_new_code(D, ACAR_PYVER(3, 4), good, 16) == NULL);
    acar_doc_reset(D);
}

static void rd_err(int line, const uint8_t *p, size_t n, acar_code code, size_t offset, const char *part) {
    acar_read_opts ro = {0};
    ro.format = ACAR_FORMAT_MARSHAL;
    acar_err err;
    acar_doc_reset(D);
    acar_val *v = acar_read(D, p, n, &ro, &err);
    CHECK_MSG(!v && err.code == code && err.offset == offset && strstr(err.msg, part),
              "line %d: want %d at %zu (%s), got %s %d at %zu: %s", line, code, offset, part,
              v ? "a value" : "", err.code, err.offset, err.msg);
}
#define RD_ERR(data, code, offset, part) rd_err(__LINE__, B(data), code, offset, part)

/* A 3.11 code object by hand; CPython 3.11 reads it to
 * <code object <module> ..., file "x.py", line 7> with co_consts (None,). */
#define HEAD "c\0\0\0\0\0\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0"
#define CODE_OK HEAD "s\x02\0\0\0\x97\0)\x01N)\0)\0s\0\0\0\0z\x04x.pyz\x08<module>z\x08<module>\x07\0\0\0s\0\0\0\0s\0\0\0\0"

static void test_malformed(void) {
    acar_read_opts ro = {0};
    ro.format = ACAR_FORMAT_MARSHAL;
    acar_err err;
    acar_doc_reset(D);
    acar_val *v = acar_read(D, B(CODE_OK), &ro, &err);
    CHECK_MSG(v && acar_code_version(v) == ACAR_PYVER(3, 11), "%s", err.msg);
    /* co_consts a list: CPython 3.11 raises SystemError (bad argument) */
    RD_ERR(HEAD "s\x02\0\0\0\x97\0[\x01\0\0\0N)\0)\0s\0\0\0\0z\x04x.pyz\x08<module>z\x08<module>\x07\0\0\0s\0\0\0\0s\0\0\0\0",
           ACAR_ERR_MALFORMED, 0, "co_consts must be tuple, not list");
    RD_ERR(HEAD "s\x02\0\0\0\x97\0)\x01N)\x01i\x01\0\0\0)\0s\0\0\0\0z\x04x.pyz\x08<module>z\x08<module>\x07\0\0\0s\0\0\0\0s\0\0\0\0",
           ACAR_ERR_MALFORMED, 0, "co_names holds int");
    RD_ERR(HEAD "s\x02\0\0\0\x97\0)\x01N)\0)\0s\x01\0\0\0\x20z\x04x.pyz\x08<module>z\x08<module>\x07\0\0\0s\0\0\0\0s\0\0\0\0",
           ACAR_ERR_MALFORMED, 0, "co_localsplusnames");
    RD_ERR(HEAD "s\x02\0\0\0\x97\0)\x01N)\0)\0s\0\0\0\0s\x04\0\0\0x.pyz\x08<module>z\x08<module>\x07\0\0\0s\0\0\0\0s\0\0\0\0",
           ACAR_ERR_MALFORMED, 0, "co_filename must be str, not bytes");
    /* NULL in a field */
    RD_ERR(HEAD "0", ACAR_ERR_MALFORMED, 21, "NULL object");
    /* truncated in the raw ints, and in a field */
    RD_ERR("c\0\0\0\0\0\0", ACAR_ERR_TRUNCATED, 0, "too short");
    RD_ERR(HEAD "s\x02\0\0\0\x97\0)\x01N", ACAR_ERR_TRUNCATED, 28, "more items");
    RD_ERR(HEAD "s\x02\0\0\0\x97\0)\x01N)\0)\0s\0\0\0\0z\x04x.pyz\x08<module>z\x08<module>\x07\0\0",
           ACAR_ERR_TRUNCATED, 66, "too short");
    /* A REF to the code object inside itself: its slot is reserved */
    RD_ERR("\xe3\0\0\0\0\0\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0s\x02\0\0\0\x97\0)\x01r\0\0\0\0"
           ")\0)\0s\0\0\0\0z\x04x.pyz\x08<module>z\x08<module>\x07\0\0\0s\0\0\0\0s\0\0\0\0",
           ACAR_ERR_MALFORMED, 30, "invalid reference");
    /* Python 2.7 data has no FLAG_REF: 0xe3 is an unknown code there */
    acar_doc_reset(D);
    CHECK(acar__marshal_read_ex(D, B("\xe3"), &ro, ACAR_MARSHAL_PY2, &err) == NULL &&
          err.code == ACAR_ERR_MALFORMED);
    /* Counts of 2^31 - 1 announced inside a code object: no allocation */
    RD_ERR(HEAD "s\x02\0\0\0\x97\0(\xff\xff\xff\x7fN", ACAR_ERR_TRUNCATED, 28, "more items");
}

/* 100,000 code objects, each the only const of the one before: read and
 * written back with explicit stacks; one level more than max_depth is a
 * limit error. */
static void test_deep(void) {
    const size_t depth = 100000;
    static const char mid[] = "s\x02\0\0\0\x97\0)\x01";
    static const char tail[] = ")\0)\0s\0\0\0\0z\x04x.pyz\x01" "fz\x01" "f\x07\0\0\0s\0\0\0\0s\0\0\0\0";
    size_t head = sizeof HEAD - 1, m = sizeof mid - 1, t = sizeof tail - 1;
    size_t len = depth * (head + m + t) + 1;
    char *p = malloc(len), *q = p;
    for (size_t i = 0; i < depth; i++) {
        memcpy(q, HEAD, head);
        q += head;
        if (i + 1 < depth) {
            memcpy(q, mid, m);
            q += m;
        } else {
            memcpy(q, "s\x02\0\0\0\x97\0)\x01N", 10);
            q += 10;
        }
    }
    for (size_t i = 0; i < depth; i++) {
        memcpy(q, tail, t);
        q += t;
    }
    len = (size_t)(q - p);
    acar_doc *doc = acar_doc_new(NULL);
    acar_read_opts ro = {0};
    ro.format = ACAR_FORMAT_MARSHAL;
    acar_err err;
    /* each code object is one level, its consts tuple another */
    acar_doc_opts o = {0};
    o.limits.max_depth = 2 * depth;
    acar_doc *big = acar_doc_new(&o);
    acar_val *v = acar_read(big, p, len, &ro, &err);
    CHECK_MSG(v != NULL, "deep code: %s", err.msg);
    acar_buf out = {0};
    acar_write_opts wo = {0};
    wo.max_depth = 2 * depth;
    CHECK(v && acar_write(v, ACAR_FORMAT_MARSHAL, &wo, &out, &err) == 0 && out.len == len &&
          memcmp(out.data, p, len) == 0);
    acar_buf_free(&out);
    CHECK(acar_read(doc, p, len, &ro, &err) == NULL && err.code == ACAR_ERR_LIMIT);
    acar_doc_free(doc);
    acar_doc_free(big);
    free(p);
}

/* The Python 2 writer: Python 2.7.18's marshal.dumps(v, V) for V = 0, 1, 2 of
 * v = (1, 2**40, 5L, -(2**62), u'\xe9', 'ab', intern('cd'), intern('cd'),
 *      1.5, 2j, None, True, Ellipsis, StopIteration, [1], {'k': 2},
 *      frozenset([3]), 2**100, -1L, 0.1, -0.0)
 * read (as Python 2 data) and written at each version. */
static const char py2_v0[] =
    "\x28\x15\x00\x00\x00\x69\x01\x00\x00\x00\x49\x00\x00\x00\x00\x00\x01\x00\x00\x6c\x01\x00\x00\x00\x05\x00\x49\x00\x00\x00\x00\x00\x00\x00\xc0\x75\x02\x00\x00\x00\xc3\xa9\x73\x02\x00\x00\x00\x61\x62\x73\x02\x00\x00\x00\x63\x64\x73\x02\x00\x00\x00\x63\x64\x66\x03\x31\x2e\x35\x78\x01\x30\x01\x32\x4e\x54\x2e\x53\x5b\x01\x00\x00\x00\x69\x01\x00\x00\x00\x7b\x73\x01\x00\x00\x00\x6b\x69\x02\x00\x00\x00\x30\x3e\x01\x00\x00\x00\x69\x03\x00\x00\x00\x6c\x07\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04\x6c\xff\xff\xff\xff\x01\x00\x66\x13\x30\x2e\x31\x30\x30\x30\x30\x30\x30\x30\x30\x30\x30\x30\x30\x30\x30\x30\x31\x66\x02\x2d\x30";
static const char py2_v1[] = "\x28\x15\x00\x00\x00\x69\x01\x00\x00\x00\x49\x00\x00\x00\x00\x00\x01\x00\x00\x6c\x01\x00\x00\x00\x05\x00\x49\x00\x00\x00\x00\x00\x00\x00\xc0\x75\x02\x00\x00\x00\xc3\xa9\x74\x02\x00\x00\x00\x61\x62\x74\x02\x00\x00\x00\x63\x64\x52\x01\x00\x00\x00\x66\x03\x31\x2e\x35\x78\x01\x30\x01\x32\x4e\x54\x2e\x53\x5b\x01\x00\x00\x00\x69\x01\x00\x00\x00\x7b\x74\x01\x00\x00\x00\x6b\x69\x02\x00\x00\x00\x30\x3e\x01\x00\x00\x00\x69\x03\x00\x00\x00\x6c\x07\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04\x6c\xff\xff\xff\xff\x01\x00\x66\x13\x30\x2e\x31\x30\x30\x30\x30\x30\x30\x30\x30\x30\x30\x30\x30\x30\x30\x30\x31\x66\x02\x2d\x30";
static const char py2_v2[] = "\x28\x15\x00\x00\x00\x69\x01\x00\x00\x00\x49\x00\x00\x00\x00\x00\x01\x00\x00\x6c\x01\x00\x00\x00\x05\x00\x49\x00\x00\x00\x00\x00\x00\x00\xc0\x75\x02\x00\x00\x00\xc3\xa9\x74\x02\x00\x00\x00\x61\x62\x74\x02\x00\x00\x00\x63\x64\x52\x01\x00\x00\x00\x67\x00\x00\x00\x00\x00\x00\xf8\x3f\x79\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x40\x4e\x54\x2e\x53\x5b\x01\x00\x00\x00\x69\x01\x00\x00\x00\x7b\x74\x01\x00\x00\x00\x6b\x69\x02\x00\x00\x00\x30\x3e\x01\x00\x00\x00\x69\x03\x00\x00\x00\x6c\x07\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04\x6c\xff\xff\xff\xff\x01\x00\x67\x9a\x99\x99\x99\x99\x99\xb9\x3f\x67\x00\x00\x00\x00\x00\x00\x00\x80";
static const char *const py2_dumps[3] = {py2_v0, py2_v1, py2_v2};
static const size_t py2_lens[3] = {sizeof py2_v0 - 1, sizeof py2_v1 - 1, sizeof py2_v2 - 1};

static void test_py2_writer(void) {
    for (int from = 0; from < 3; from++) {
        acar_doc_reset(D);
        acar_read_opts ro = {0};
        acar_err err;
        acar_val *v = acar__marshal_read_ex(D, (const uint8_t *)py2_dumps[from], py2_lens[from], &ro,
                                            ACAR_MARSHAL_PY2, &err);
        CHECK_MSG(v && ro.consumed == py2_lens[from], "py2 v%d: %s", from, err.msg);
        for (int to = 0; v && to < 3; to++) {
            /* Interning is lost below version 1 (CPython 2 writes 's'). */
            if (from == 0 && to > 0) continue;
            acar_buf out = {0};
            acar_write_opts wo = {0};
            wo.version = ACAR_VERSION(to);
            int rc = acar__marshal_write_ex(v, &wo, ACAR_MARSHAL_PY2, &(acar_out){&out, false, false, 0}, &err);
            CHECK_MSG(rc == 0 && out.len == py2_lens[to] && memcmp(out.data, py2_dumps[to], out.len) == 0,
                      "py2 read v%d write v%d: %s", from, to, rc ? err.msg : "bytes differ");
            acar_buf_free(&out);
        }
        acar_buf out = {0};
        acar_write_opts wo = {0};
        wo.version = ACAR_VERSION(3);
        CHECK(v && acar__marshal_write_ex(v, &wo, ACAR_MARSHAL_PY2, &(acar_out){&out, false, false, 0}, &err) < 0 &&
              err.code == ACAR_ERR_ARG);
        acar_buf_free(&out);
    }
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--check") == 0)
        return check_main(argc > 2 && strcmp(argv[2], "--canon") == 0);
    if (argc > 1 && strcmp(argv[1], "--source") == 0) return source_main();
    if (argc > 1 && strcmp(argv[1], "--py2") == 0) return py2_main();
    if (argc > 2 && strcmp(argv[1], "--hash") == 0) return hash_main(argv[2]);
    D = acar_doc_new(NULL);
    test_headers();
    test_siphash();
    test_api();
    test_malformed();
    test_py2_writer();
    test_fixtures();
    test_deep();
    acar_doc_free(D);
    return CHECK_DONE();
}
