/*
 * scan.c -- `acar scan FILE...`: would loading it with Python's pickle run
 * anything beyond plain data?  (The scanner is src/safety/scan.c; this file
 * reads files, parses options and prints verdicts.)
 *
 * One line per file:
 *   FILE: safe
 *   FILE: dangerous: os.system imported at offset 2, called at offset 22
 *   FILE: unknown globals: mymod.Thing (offset 12)
 *   FILE: malformed at offset 40: pickle data was truncated
 * (parts joined with "; "), or with --json one JSON object per line.
 * Exit status: 0 every file safe, 1 something dangerous, unknown or
 * malformed, 2 an unreadable file or a usage error.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* opendir, lstat: FILE may be a directory */
#endif
#include "cli/cli.h"
#include "safety/scan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#if !defined(_WIN32)
#include <dirent.h>
#include <sys/stat.h>
#define HAVE_DIRS 1
#endif

int acar_cli_scan(int argc, char **argv);

enum { SCAN_SAFE = 0, SCAN_UNSAFE = 1, SCAN_ERROR = 2 };

static const char scan_help[] =
    "usage: acar scan FILE|DIR... [--json] [--allow MODULE.NAME]... [--allow-file F] [--all] [--raw]\n"
    "\n"
    "Tells, for each FILE, whether loading it with Python's pickle would import or\n"
    "call anything beyond plain data.  Nothing is run.  Every global the pickle\n"
    "names is safe (plain data: builtins, collections.OrderedDict, datetime,\n"
    "decimal, NumPy and PyTorch array rebuilding, ...), dangerous (os, subprocess,\n"
    "builtins.eval, getattr, pickle.loads, ... : docs/scan.md has the table) or\n"
    "unknown.  Importing a global already runs its module's code, so imports are\n"
    "reported as well as calls, with the byte offset of the opcode.\n"
    "\n"
    "FILE may be a pickle, several pickles one after another, a NumPy .npy file,\n"
    "a zip archive (PyTorch .pt/.pth/.bin: its *.pkl members; .npz: its .npy\n"
    "members), a joblib file (zlib or gzip compressed too) or a directory (every\n"
    "file under it, in name order).  FILE '-' is standard input.\n"
    "\n"
    "  --json              one JSON object per file and line (docs/scan.md)\n"
    "  --allow MOD.NAME    count MOD.NAME as safe too (MOD.* : the whole module)\n"
    "  --allow-file F      the same for each line of F ('#' starts a comment)\n"
    "  --all               list safe findings too\n"
    "  --raw               the input is a pickle stream: no container detection\n"
    "\n"
    "Exit status: 0 every file is safe, 1 something is dangerous, unknown or\n"
    "malformed, 2 a file could not be read or the command line is wrong.\n";

static int usage(const char *fmt, const char *arg) {
    fprintf(stderr, "acar scan: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(acar scan --help for help)\n");
    return SCAN_ERROR;
}

/* ---- output ---- */

typedef struct sbuf {
    char *s;
    size_t len, cap;
    int failed;
} sbuf;

static void put(sbuf *b, const char *s, size_t n) {
    if (b->failed) return;
    if (b->cap - b->len <= n) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len <= n) cap *= 2;
        char *ns = realloc(b->s, cap);
        if (!ns) {
            b->failed = 1;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void puts_(sbuf *b, const char *s) { put(b, s, strlen(s)); }

static void putf(sbuf *b, const char *fmt, size_t v) {
    char tmp[64];
    snprintf(tmp, sizeof tmp, fmt, v);
    puts_(b, tmp);
}

/* Text a pickle chose: control characters and backslashes escaped, so no
 * name can forge another line of the report. */
static void put_textn(sbuf *b, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == '\\') {
            char tmp[8];
            snprintf(tmp, sizeof tmp, "\\x%02x", c);
            puts_(b, tmp);
        } else {
            put(b, (const char *)&c, 1);
        }
    }
}

static void put_text(sbuf *b, const char *s) { put_textn(b, s, strlen(s)); }

/* A message: control characters escaped. */
static void put_msg(sbuf *b, const char *s) {
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f) {
            char tmp[8];
            snprintf(tmp, sizeof tmp, "\\x%02x", c);
            puts_(b, tmp);
        } else {
            put(b, (const char *)&c, 1);
        }
    }
}

/* JSON string: UTF-8 (surrogates as Python's surrogatepass writes them)
 * as \u escapes; bytes that are not UTF-8 as \u00XX. */
static void put_jsonn(sbuf *b, const char *str, size_t len) {
    const unsigned char *s = (const unsigned char *)str, *end = s + len;
    puts_(b, "\"");
    while (s < end) {
        unsigned c = *s;
        size_t left = (size_t)(end - s);
        char tmp[16];
        if (c == '"' || c == '\\') {
            tmp[0] = '\\', tmp[1] = (char)c;
            put(b, tmp, 2);
            s++;
            continue;
        }
        if (c >= 0x20 && c < 0x7f) {
            put(b, (const char *)s, 1);
            s++;
            continue;
        }
        unsigned cp = c;
        size_t n = 1;
        if (c >= 0xc2 && c < 0xe0 && left >= 2 && (s[1] & 0xc0) == 0x80) {
            cp = (c & 0x1f) << 6 | (s[1] & 0x3f);
            n = 2;
        } else if (c >= 0xe0 && c < 0xf0 && left >= 3 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80) {
            cp = (c & 0x0f) << 12 | (unsigned)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
            n = cp >= 0x800 ? 3 : 1;
            if (n == 1) cp = c;
        } else if (c >= 0xf0 && c < 0xf5 && left >= 4 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80 &&
                   (s[3] & 0xc0) == 0x80) {
            cp = (c & 0x07) << 18 | (unsigned)(s[1] & 0x3f) << 12 | (unsigned)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
            n = cp >= 0x10000 && cp <= 0x10ffff ? 4 : 1;
            if (n == 1) cp = c;
        }
        if (cp >= 0x10000) {
            cp -= 0x10000;
            snprintf(tmp, sizeof tmp, "\\u%04x\\u%04x", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
        } else {
            snprintf(tmp, sizeof tmp, "\\u%04x", cp);
        }
        puts_(b, tmp);
        s += n;
    }
    puts_(b, "\"");
}

static void put_json(sbuf *b, const char *s) { put_jsonn(b, s, strlen(s)); }

static void put_name(sbuf *b, const acar_scan_finding *f) {
    if (strcmp(f->module, "<extension>") == 0) {
        puts_(b, "unresolved extension code ");
        put_textn(b, f->name, f->name_len);
        return;
    }
    if (f->module_len) {
        put_textn(b, f->module, f->module_len);
        puts_(b, ".");
    }
    put_textn(b, f->name, f->name_len);
}

static void put_where(sbuf *b, const acar_scan_finding *f) {
    if (!f->where[0]) return;
    puts_(b, " in ");
    put_text(b, f->where);
}

static const char *verb(acar_scan_kind k) {
    switch (k) {
    case ACAR_SCAN_IMPORT: return "imported";
    case ACAR_SCAN_CALL: return "called";
    case ACAR_SCAN_BUILD: return "__setstate__ called";
    default: return "at";
    }
}

static bool same_name(const acar_scan_finding *a, const acar_scan_finding *b) {
    return a->module_len == b->module_len && a->name_len == b->name_len &&
           memcmp(a->module, b->module, a->module_len) == 0 && memcmp(a->name, b->name, a->name_len) == 0 &&
           strcmp(a->where, b->where) == 0;
}

/* Order of events: by offset, then kind (INST imports and calls at one offset). */
static bool before(const acar_scan_finding *a, const acar_scan_finding *b) {
    return a->offset < b->offset || (a->offset == b->offset && a->kind < b->kind);
}

/* "os.system imported at offset 2, called at offset 22, ..." for one
 * severity; names in the order first met. */
static void put_group(sbuf *b, const acar_scan_report *r, acar_scan_severity sev, bool *any) {
    for (size_t i = 0; i < r->nfindings; i++) {
        const acar_scan_finding *f = &r->findings[i];
        if (f->severity != sev || f->kind == ACAR_SCAN_MALFORMED || f->kind == ACAR_SCAN_NOTE ||
            f->kind == ACAR_SCAN_INCOMPLETE || f->kind == ACAR_SCAN_NESTED || f->kind == ACAR_SCAN_PERSID)
            continue;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            if (r->findings[j].severity == sev && same_name(&r->findings[j], f)) seen = true;
        if (seen) continue;
        if (*any) puts_(b, ", ");
        *any = true;
        put_name(b, f);
        if (sev == ACAR_SCAN_DANGEROUS) {
            /* each event of this name, by offset (selection: a handful) */
            const acar_scan_finding *last = NULL;
            for (;;) {
                const acar_scan_finding *next = NULL;
                for (size_t j = i; j < r->nfindings; j++) {
                    const acar_scan_finding *g = &r->findings[j];
                    if (g->severity != sev || (j != i && !same_name(g, f))) continue;
                    if (last && !before(last, g)) continue;
                    if (!next || before(g, next)) next = g;
                }
                if (!next) break;
                puts_(b, last ? ", " : " ");
                puts_(b, verb(next->kind));
                putf(b, " at offset %zu", next->offset);
                last = next;
            }
        } else {
            putf(b, " (offset %zu)", f->offset);
        }
        put_where(b, f);
    }
}

static void print_text(sbuf *b, const char *file, const acar_scan_report *r) {
    put_text(b, file);
    puts_(b, ": ");
    bool parts = false;
    if (r->verdict == ACAR_SCAN_DANGEROUS) {
        bool any = false;
        puts_(b, "dangerous: ");
        put_group(b, r, ACAR_SCAN_DANGEROUS, &any);
        parts = true;
    }
    bool any_unknown = false;
    for (size_t i = 0; i < r->nfindings; i++)
        if (r->findings[i].severity == ACAR_SCAN_UNKNOWN && r->findings[i].kind != ACAR_SCAN_INCOMPLETE &&
            r->findings[i].kind != ACAR_SCAN_NESTED)
            any_unknown = true;
    if (any_unknown) {
        bool any = false;
        if (parts) puts_(b, "; ");
        puts_(b, "unknown globals: ");
        put_group(b, r, ACAR_SCAN_UNKNOWN, &any);
        parts = true;
    }
    for (size_t i = 0; i < r->nfindings; i++) {
        const acar_scan_finding *f = &r->findings[i];
        if (f->kind != ACAR_SCAN_MALFORMED && f->kind != ACAR_SCAN_INCOMPLETE && f->kind != ACAR_SCAN_NESTED)
            continue;
        if (parts) puts_(b, "; ");
        parts = true;
        puts_(b, f->kind == ACAR_SCAN_MALFORMED ? "malformed" : f->kind == ACAR_SCAN_NESTED ? "not followed"
                                                                                           : "incomplete");
        putf(b, " at offset %zu", f->offset);
        put_where(b, f);
        puts_(b, ": ");
        put_msg(b, f->message);
    }
    if (!parts) puts_(b, "safe");
    puts_(b, "\n");
}

static void print_json(sbuf *b, const char *file, const acar_scan_report *r) {
    puts_(b, "{\"file\": ");
    put_json(b, file);
    puts_(b, ", \"verdict\": ");
    put_json(b, acar_scan_severity_name(r->verdict));
    puts_(b, r->malformed ? ", \"malformed\": true" : ", \"malformed\": false");
    puts_(b, r->incomplete ? ", \"incomplete\": true" : ", \"incomplete\": false");
    puts_(b, ", \"container\": ");
    put_json(b, r->container ? r->container : "");
    putf(b, ", \"pickles\": %zu, \"findings\": [", r->npickles);
    for (size_t i = 0; i < r->nfindings; i++) {
        const acar_scan_finding *f = &r->findings[i];
        if (i) puts_(b, ", ");
        puts_(b, "{\"kind\": ");
        put_json(b, acar_scan_kind_name(f->kind));
        puts_(b, ", \"severity\": ");
        put_json(b, acar_scan_severity_name(f->severity));
        puts_(b, ", \"module\": ");
        put_jsonn(b, f->module, f->module_len);
        puts_(b, ", \"name\": ");
        put_jsonn(b, f->name, f->name_len);
        putf(b, ", \"offset\": %zu", f->offset);
        puts_(b, ", \"where\": ");
        put_json(b, f->where);
        puts_(b, ", \"message\": ");
        put_json(b, f->message);
        if (f->kind == ACAR_SCAN_EXT) {
            char tmp[40];
            snprintf(tmp, sizeof tmp, ", \"code\": %lld", (long long)f->code);
            puts_(b, tmp);
        }
        puts_(b, "}");
    }
    puts_(b, "]}\n");
}

static void print_error(sbuf *b, const char *file, const char *msg, bool json) {
    if (json) {
        puts_(b, "{\"file\": ");
        put_json(b, file);
        puts_(b, ", \"verdict\": \"error\", \"error\": ");
        put_json(b, msg);
        puts_(b, "}\n");
    } else {
        put_text(b, file);
        puts_(b, ": error: ");
        put_msg(b, msg);
        puts_(b, "\n");
    }
}

/* ---- options ---- */

typedef struct allow_list {
    char **items;
    size_t n, cap;
} allow_list;

static int allow_add(allow_list *a, const char *s, size_t n) {
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 8;
        char **ni = realloc(a->items, cap * sizeof *ni);
        if (!ni) return -1;
        a->items = ni;
        a->cap = cap;
    }
    char *c = malloc(n + 1);
    if (!c) return -1;
    memcpy(c, s, n);
    c[n] = '\0';
    a->items[a->n++] = c;
    return 0;
}

static bool valid_allow(const char *s, size_t n) {
    const char *dot = memchr(s, '.', n);
    return n >= 3 && dot && dot != s && s[n - 1] != '.';
}

static int allow_file(allow_list *a, const char *path) {
    unsigned char *data;
    size_t len;
    if (acar_cli_read_file(path, &data, &len, NULL) < 0) {
        fprintf(stderr, "acar scan: %s: %s\n", path, strerror(errno));
        return SCAN_ERROR;
    }
    size_t i = 0;
    int rc = 0;
    while (i < len && !rc) {
        size_t j = i;
        while (j < len && data[j] != '\n') j++;
        size_t s = i, e = j;
        const unsigned char *hash = memchr(data + s, '#', e - s);
        if (hash) e = (size_t)(hash - data);
        while (s < e && (data[s] == ' ' || data[s] == '\t' || data[s] == '\r')) s++;
        while (e > s && (data[e - 1] == ' ' || data[e - 1] == '\t' || data[e - 1] == '\r')) e--;
        if (e > s) {
            if (!valid_allow((const char *)data + s, e - s)) {
                fprintf(stderr, "acar scan: %s: not MODULE.NAME: '%.*s'\n", path, (int)(e - s > 80 ? 80 : e - s),
                        data + s);
                rc = SCAN_ERROR;
            } else if (allow_add(a, (const char *)data + s, e - s) < 0) {
                fprintf(stderr, "acar scan: out of memory\n");
                rc = SCAN_ERROR;
            }
        }
        i = j + 1;
    }
    free(data);
    return rc;
}

/* Scans one file and prints its verdict: SCAN_SAFE, SCAN_UNSAFE or SCAN_ERROR. */
static int scan_one(const char *path, const acar_scan_opts *opts, bool json) {
    const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    int status = SCAN_SAFE;
    sbuf out = {0};
    unsigned char *data;
    size_t len;
    if (acar_cli_read_file(path, &data, &len, NULL) < 0) {
        print_error(&out, name, strerror(errno), json);
        status = SCAN_ERROR;
    } else {
        acar_scan_report rep;
        acar_err err;
        if (acar_scan(data, len, opts, &rep, &err) < 0) {
            char msg[ACAR_ERR_MSG_MAX + 40];
            snprintf(msg, sizeof msg, "%s (offset %zu)", err.msg, err.offset);
            print_error(&out, name, msg, json);
            status = SCAN_ERROR;
        } else {
            if (json) print_json(&out, name, &rep);
            else print_text(&out, name, &rep);
            if (rep.verdict != ACAR_SCAN_SAFE || rep.malformed) status = SCAN_UNSAFE;
            acar_scan_report_free(&rep);
        }
        free(data);
    }
    if (out.failed || (out.len && fwrite(out.s, 1, out.len, stdout) != out.len)) status = SCAN_ERROR;
    free(out.s);
    return status;
}

#ifdef HAVE_DIRS
static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file under dir, in name order, depth first, with an
 * explicit stack of paths (symbolic links to directories are not
 * followed: no loops). */
static int scan_dir(const char *dir, const acar_scan_opts *opts, bool json) {
    int status = SCAN_SAFE;
    size_t n = 0, cap = 16;
    char **stack = malloc(cap * sizeof *stack);
    char *first = stack ? malloc(strlen(dir) + 1) : NULL;
    if (!first) {
        free(stack);
        fprintf(stderr, "acar scan: out of memory\n");
        return SCAN_ERROR;
    }
    strcpy(first, dir);
    stack[n++] = first;
    while (n) {
        char *path = stack[--n];
        struct stat sb;
        if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            DIR *d = opendir(path);
            if (!d) {
                sbuf out = {0};
                print_error(&out, path, strerror(errno), json);
                if (out.len) fwrite(out.s, 1, out.len, stdout);
                free(out.s);
                status = SCAN_ERROR;
                free(path);
                continue;
            }
            size_t first_child = n;
            struct dirent *e;
            while ((e = readdir(d))) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
                size_t pl = strlen(path), el = strlen(e->d_name);
                char *child = malloc(pl + 1 + el + 1);
                if (n == cap) {
                    char **ns = realloc(stack, cap * 2 * sizeof *ns);
                    if (ns) stack = ns, cap *= 2;
                    else free(child), child = NULL;
                }
                if (!child) {
                    fprintf(stderr, "acar scan: out of memory\n");
                    status = SCAN_ERROR;
                    break;
                }
                memcpy(child, path, pl);
                child[pl] = '/';
                memcpy(child + pl + 1, e->d_name, el + 1);
                stack[n++] = child;
            }
            closedir(d);
            /* children in reverse name order: the stack pops them in order */
            qsort(stack + first_child, n - first_child, sizeof *stack, cmp_names);
            for (size_t a = first_child, b = n; a + 1 < b; a++, b--) {
                char *t = stack[a];
                stack[a] = stack[b - 1];
                stack[b - 1] = t;
            }
        } else if (S_ISREG(sb.st_mode)) {
            int st = scan_one(path, opts, json);
            if (st > status) status = st;
        }
        free(path);
    }
    free(stack);
    return status;
}
#endif

int acar_cli_scan(int argc, char **argv) {
    allow_list allow = {0};
    const char **files = calloc((size_t)(argc > 0 ? argc : 1), sizeof *files);
    size_t nfiles = 0;
    bool json = false;
    acar_scan_opts opts;
    memset(&opts, 0, sizeof opts);
    int status = SCAN_SAFE, rc = 0;
    if (!files) {
        fprintf(stderr, "acar scan: out of memory\n");
        return SCAN_ERROR;
    }
    bool no_more_options = false;
    for (int i = 1; i < argc && !rc; i++) {
        const char *s = argv[i];
        if (no_more_options || s[0] != '-' || strcmp(s, "-") == 0) {
            files[nfiles++] = s;
        } else if (strcmp(s, "--") == 0) {
            no_more_options = true;
        } else if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
            fputs(scan_help, stdout);
            goto done;
        } else if (strcmp(s, "--json") == 0) {
            json = true;
        } else if (strcmp(s, "--all") == 0) {
            opts.flags |= ACAR_SCAN_ALL_FINDINGS;
        } else if (strcmp(s, "--raw") == 0) {
            opts.flags |= ACAR_SCAN_RAW;
        } else if (strcmp(s, "--allow") == 0 || strcmp(s, "--allow-file") == 0) {
            if (i + 1 >= argc) {
                rc = usage("%s needs an argument", s);
                break;
            }
            const char *arg = argv[++i];
            if (strcmp(s, "--allow-file") == 0) {
                rc = allow_file(&allow, arg);
            } else if (!valid_allow(arg, strlen(arg))) {
                rc = usage("--allow needs MODULE.NAME, not '%s'", arg);
            } else if (allow_add(&allow, arg, strlen(arg)) < 0) {
                fprintf(stderr, "acar scan: out of memory\n");
                rc = SCAN_ERROR;
            }
        } else {
            rc = usage("unknown option '%s'", s);
        }
    }
    if (!rc && nfiles == 0) rc = usage("%s", "needs at least one FILE ('-' for standard input)");
    if (rc) {
        status = rc;
        goto done;
    }
    opts.allow = (const char *const *)allow.items;
    opts.nallow = allow.n;

    for (size_t i = 0; i < nfiles; i++) {
        int st;
#ifdef HAVE_DIRS
        struct stat sb;
        if (strcmp(files[i], "-") != 0 && stat(files[i], &sb) == 0 && S_ISDIR(sb.st_mode))
            st = scan_dir(files[i], &opts, json);
        else
#endif
            st = scan_one(files[i], &opts, json);
        if (st > status) status = st;
    }
    if (fflush(stdout) != 0) status = SCAN_ERROR;
done:
    for (size_t i = 0; i < allow.n; i++) free(allow.items[i]);
    free(allow.items);
    free(files);
    return status;
}
