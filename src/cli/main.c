/*
 * main.c -- the acar command.
 *
 *   acar show    [FILE] [--from FMT]                 Python repr of the value
 *   acar convert [FILE] --to FMT[:VER] [-o OUT] [--from FMT]
 *   acar check   [FILE] [--from FMT]                 validate only
 *   acar dis     [FILE...]                           pickletools.dis listing; bytecode of a .pyc
 *
 * FILE absent or "-" is standard input.  Exit status: 0 success, 1 the input
 * is invalid or cannot be converted, 2 usage or I/O error.
 *
 * Every option lives in one table (options[] below): the parser and the help
 * text of each command are made from it.
 */
/* fileno, isatty, stat: POSIX, outside strict C11 headers */
#define _POSIX_C_SOURCE 200809L
#include "acar.h"
#include "cli/cli.h"
#include "tensor/tensor.h"

#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { EXIT_INVALID = 1, EXIT_USAGE = 2 };

static const char *prog = "acar";

/* commands with their own parsers: argv[0] is the command's name */
int acar_cli_tensors(int argc, char **argv); /* src/cli/tensors.c */
int acar_cli_scan(int argc, char **argv);    /* src/cli/scan.c */

/* ---- commands ---- */

enum { CMD_SHOW = 1, CMD_CONVERT = 2, CMD_CHECK = 4, CMD_DIS = 8 };
#define CMD_READ (CMD_SHOW | CMD_CONVERT | CMD_CHECK)

typedef struct command {
    const char *name;
    unsigned id;
    const char *synopsis;
    const char *about;
} command;

static const command commands[] = {
    {"show", CMD_SHOW, "[FILE] [--from FMT] [OPTIONS]",
     "Prints the value in FILE exactly as Python's print(repr(value)) would.\n"
     "Classes and functions named in the input are never run: instances print as\n"
     "module.Class(args).__setstate__(state) (see docs/repr.md).  A .pyc prints\n"
     "its header and every field of every code object (docs/pyc.md).\n"},
    {"convert", CMD_CONVERT, "[FILE] --to FMT[:VER] [-o OUT] [--from FMT] [OPTIONS]",
     "Writes the value in FILE in another format, byte for byte as CPython writes\n"
     "it: pickle[:N] (protocol 0-5, default 4: pickle.dumps(value, N)),\n"
     "marshal[:V] (version 0-5, default 4: marshal.dumps(value, V)), pyc (a code\n"
     "object as the .pyc of its own Python version, as py_compile writes it), json and\n"
     "jsonl (json.dumps), xmlrpc (xmlrpc.client.dumps; a value that is not a\n"
     "tuple is written as the 1-tuple of params), plist and bplist (plistlib.dumps),\n"
     "repr, or npy (a NumPy array as numpy.save writes it).  Output goes to\n"
     "standard output unless -o OUT.\n"},
    {"check", CMD_CHECK, "[FILE] [--from FMT] [--source SRC] [OPTIONS]",
     "Reads FILE and reports whether it is valid; prints nothing on success.\n"
     "With --source, checks that the .pyc FILE is up to date with SRC instead.\n"},
    {"dis", CMD_DIS, "[FILE...] [--from FMT] [--annotate N] [--indentlevel N] [--show-offsets]",
     "Prints the pickle in FILE as Python's pickletools.dis(data) does.  On a\n"
     "broken pickle it prints what pickletools would before it fails, then the\n"
     "error, and exits with status 1.  A .pyc (or marshal data, --from marshal)\n"
     "prints the bytecode of every code object as the dis module of its own\n"
     "Python version does (docs/pyc.md).  Several FILEs are listed one after\n"
     "the other, each under a line '== FILE'.\n"},
};

/* ---- options ---- */

enum opt_id {
    O_FROM, O_TO, O_OUT, O_ENCODING, O_NO_FIX_IMPORTS, O_RAW_GLOBALS,
    O_STRICT, O_ALLOW_CONTROL, O_NO_DUP_KEYS,
    O_INDENT, O_ITEM_SEP, O_KEY_SEP, O_SORT_KEYS, O_NO_ENSURE_ASCII, O_NO_ALLOW_NAN, O_SKIPKEYS,
    O_METHOD, O_RESPONSE, O_FAULT, O_ALLOW_NONE, O_NO_SORT_KEYS,
    O_ANNOTATE, O_INDENTLEVEL, O_QUIET, O_SOURCE, O_SHOW_OFFSETS
};

typedef struct option {
    const char *name;
    const char *arg;  /* its argument's name, or NULL */
    unsigned cmds;    /* the commands that take it */
    enum opt_id id;
    const char *help;
} option;

static const option options[] = {
    {"--from", "FMT", CMD_READ | CMD_DIS, O_FROM, "input format (default: detected from the content)"},
    {"--to", "FMT[:VER]", CMD_CONVERT, O_TO, "output format and version"},
    {"-o", "OUT", CMD_CONVERT, O_OUT, "write to OUT instead of standard output"},
    {"--quiet", NULL, CMD_READ | CMD_DIS, O_QUIET, "no error messages (the exit status tells)"},
    {"--encoding", "ENC", CMD_READ, O_ENCODING,
     "pickle: Python 2 str as ascii (default), latin1, utf-8 or bytes"},
    {"--no-fix-imports", NULL, CMD_READ, O_NO_FIX_IMPORTS,
     "pickle: keep Python 2 module names (reading) and Python 3 ones (writing 0-2)"},
    {"--raw-globals", NULL, CMD_READ, O_RAW_GLOBALS,
     "pickle: keep builtins.set, _codecs.encode ... as the objects they are"},
    {"--strict", NULL, CMD_READ, O_STRICT,
     "json: RFC 8259 exactly (no NaN/Infinity, no lone surrogates)"},
    {"--allow-control", NULL, CMD_READ, O_ALLOW_CONTROL,
     "json: control characters in strings (json.loads strict=False)"},
    {"--no-dup-keys", NULL, CMD_READ, O_NO_DUP_KEYS, "json: a key twice in an object is an error"},
    {"--indent", "N|STR", CMD_CONVERT, O_INDENT, "json: indent=N (spaces) or the string STR"},
    {"--item-sep", "S", CMD_CONVERT, O_ITEM_SEP, "json: separators[0] (default ', ', ',' with --indent)"},
    {"--key-sep", "S", CMD_CONVERT, O_KEY_SEP, "json: separators[1] (default ': ')"},
    {"--sort-keys", NULL, CMD_CONVERT, O_SORT_KEYS, "json: sort_keys=True"},
    {"--no-ensure-ascii", NULL, CMD_CONVERT, O_NO_ENSURE_ASCII, "json: ensure_ascii=False"},
    {"--no-allow-nan", NULL, CMD_CONVERT, O_NO_ALLOW_NAN, "json: allow_nan=False"},
    {"--skipkeys", NULL, CMD_CONVERT, O_SKIPKEYS, "json, plist, bplist: skipkeys=True"},
    {"--method", "NAME", CMD_CONVERT, O_METHOD, "xmlrpc: a method call of NAME"},
    {"--response", NULL, CMD_CONVERT, O_RESPONSE, "xmlrpc: a method response"},
    {"--fault", NULL, CMD_CONVERT, O_FAULT,
     "xmlrpc: a fault response (the value: {'faultCode': int, 'faultString': str})"},
    {"--allow-none", NULL, CMD_CONVERT, O_ALLOW_NONE, "xmlrpc: allow_none=True"},
    {"--no-sort-keys", NULL, CMD_CONVERT, O_NO_SORT_KEYS, "plist, bplist: sort_keys=False"},
    {"--source", "SRC", CMD_CHECK, O_SOURCE,
     "pyc: is FILE up to date with its source SRC (hash, or mtime and size)?"},
    {"--annotate", "N", CMD_DIS, O_ANNOTATE, "pickletools.dis annotate=N"},
    {"--indentlevel", "N", CMD_DIS, O_INDENTLEVEL, "pickletools.dis indentlevel=N (default 4)"},
    {"--show-offsets", NULL, CMD_DIS, O_SHOW_OFFSETS,
     "pyc: offsets in Python 3.13 listings too (dis.dis show_offsets=True)"},
};

#define COUNT(a) (sizeof(a) / sizeof *(a))

static void print_usage(FILE *f) {
    fputs("usage: acar COMMAND [ARGS]\n"
          "\n"
          "Python's serialization formats without Python.\n"
          "\n"
          "commands:\n", f);
    for (size_t i = 0; i < COUNT(commands); i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].synopsis);
    fputs("  scan     FILE|DIR... [--json] [--allow MODULE.NAME]\n"
          "  tensors  FILE [--json] [--data]\n"
          "  help     [COMMAND]\n"
          "\n"
          "FILE absent or '-' reads standard input.  Formats: pickle, marshal, pyc,\n"
          "json, jsonl, xmlrpc, plist, bplist, repr (writing only), npy (writing only).\n"
          "Exit status: 0 success, 1 invalid input, 2 usage or I/O error.\n"
          "'acar --version' prints the version; 'acar help COMMAND' the options of a\n"
          "command.\n", f);
}

static void print_command_help(const command *c) {
    printf("usage: acar %s %s\n\n%s\noptions:\n", c->name, c->synopsis, c->about);
    for (size_t i = 0; i < COUNT(options); i++) {
        const option *o = &options[i];
        if (!(o->cmds & c->id)) continue;
        char head[40];
        snprintf(head, sizeof head, "%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        printf("  %-22s%s\n", head, o->help);
    }
}

static const command *find_command(const char *name) {
    for (size_t i = 0; i < COUNT(commands); i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "%s: ", prog);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'acar --help'.\n");
    return EXIT_USAGE;
}

/* ---- files ---- */

/* ---- progress on stderr for big inputs ----
 * Inputs of PROGRESS_MIN bytes and more show how far reading has got and
 * then that parsing is under way, on one line of stderr that is cleared
 * after; only when stderr is a terminal, and never with --quiet. */
#define PROGRESS_MIN ((size_t)64 << 20)

static int progress_on;       /* set by main: stderr is a terminal, not --quiet */
static int progress_shown;    /* a progress line is on the screen */

static void progress(const char *name, const char *what, size_t done, size_t total) {
    if (!progress_on || (done < PROGRESS_MIN && total < PROGRESS_MIN)) return;
    if (total)
        fprintf(stderr, "\r%s: %s: %s %3u%% (%zu of %zu MiB)\033[K", prog, name, what,
                (unsigned)(done * 100 / total), done >> 20, total >> 20);
    else
        fprintf(stderr, "\r%s: %s: %s %zu MiB\033[K", prog, name, what, done >> 20);
    progress_shown = 1;
}

static void progress_clear(void) {
    if (progress_shown) fputs("\r\033[K", stderr);
    progress_shown = 0;
}

static void read_progress(const char *name, size_t done, size_t total) {
    progress(name, "reading", done, total);
}

/* Reads a whole file (or stdin for NULL / "-"), saying why it cannot. */
static int read_input(const char *path, unsigned char **data, size_t *len) {
    if (!path) path = "-";
    int rc = acar_cli_read_file(path, data, len, read_progress);
    progress_clear();
    if (rc < 0) {
        const char *why = errno == ENOMEM ? "out of memory" : errno == EIO ? "read error" : strerror(errno);
        fprintf(stderr, "%s: %s: %s\n", prog, path, why);
        return -1;
    }
    return 0;
}

/* Writes data and then tail (may be "") to path or stdout. */
static int write_output(const char *path, const char *data, size_t len, const char *tail) {
    FILE *f = stdout;
    if (path && strcmp(path, "-") != 0) {
        f = fopen(path, "wb");
        if (!f) {
            fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
            return -1;
        }
    }
    int failed = fwrite(data, 1, len, f) != len;
    failed |= fputs(tail, f) == EOF;
    if (f == stdout) failed |= fflush(f) != 0;
    else failed |= fclose(f) != 0;
    if (failed) {
        fprintf(stderr, "%s: %s: write error\n", prog, path ? path : "-");
        return -1;
    }
    return 0;
}

/* ---- arguments ---- */

typedef struct cli_args {
    const command *cmd;
    const char *file;
    const char *out;
    const char *to;
    const char *source;  /* check --source */
    int quiet;
    char *indent;        /* malloc'd when --indent N */
    char *method;        /* malloc'd: the method name of an XML-RPC call read */
    acar_read_opts ropts;
    acar_write_opts wopts;
    acar_dis_opts dopts;
    acar_code_dis_opts cdopts;
    const char **files;  /* dis: every FILE given (malloc'd) */
    size_t nfiles;
} cli_args;

/* An error reading FILE says where in it; one writing (writing: true) has
 * no input offset, its message names the path to the value instead. */
static void report(const cli_args *a, const char *file, const acar_err *err, int writing) {
    if (a->quiet) return;
    if (writing)
        fprintf(stderr, "%s: %s: %s\n", prog, file, err->msg);
    else if (err->line)
        fprintf(stderr, "%s: %s: line %zu, column %zu: %s\n", prog, file, err->line, err->column, err->msg);
    else
        fprintf(stderr, "%s: %s: offset %zu: %s\n", prog, file, err->offset, err->msg);
}

static int parse_format(const char *name, acar_format *fmt) {
    *fmt = acar_format_from_name(name);
    return *fmt == ACAR_FORMAT_AUTO ? -1 : 0;
}

/* A decimal int in [lo, hi], or -1 into *ok. */
static long parse_long(const char *s, long lo, long hi, int *ok) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    *ok = *s && !*end && errno == 0 && v >= lo && v <= hi;
    return v;
}

static int apply_option(cli_args *a, const option *o, const char *arg) {
    int ok;
    switch (o->id) {
    case O_FROM:
        if (parse_format(arg, &a->ropts.format) < 0) return usage_error("unknown format '%s'", arg);
        break;
    case O_TO: a->to = arg; break;
    case O_OUT: a->out = arg; break;
    case O_QUIET: a->quiet = 1; break;
    case O_ENCODING:
        if (strcmp(arg, "ascii") == 0 || strcmp(arg, "ASCII") == 0) a->ropts.encoding = ACAR_ENC_ASCII;
        else if (strcmp(arg, "latin1") == 0 || strcmp(arg, "latin-1") == 0) a->ropts.encoding = ACAR_ENC_LATIN1;
        else if (strcmp(arg, "utf-8") == 0 || strcmp(arg, "utf8") == 0) a->ropts.encoding = ACAR_ENC_UTF8;
        else if (strcmp(arg, "bytes") == 0) a->ropts.encoding = ACAR_ENC_BYTES;
        else return usage_error("unknown encoding '%s'", arg);
        break;
    case O_NO_FIX_IMPORTS:
        a->ropts.flags |= ACAR_READ_NO_FIX_IMPORTS;
        a->wopts.flags |= ACAR_WRITE_NO_FIX_IMPORTS;
        break;
    case O_RAW_GLOBALS: a->ropts.flags |= ACAR_READ_RAW_GLOBALS; break;
    case O_STRICT: a->ropts.flags |= ACAR_READ_STRICT; break;
    case O_ALLOW_CONTROL: a->ropts.flags |= ACAR_READ_ALLOW_CONTROL; break;
    case O_NO_DUP_KEYS: a->ropts.flags |= ACAR_READ_NO_DUP_KEYS; break;
    case O_INDENT: {
        /* As json.dumps: an int is that many spaces (negative: none), any
         * other text is the indent string itself. */
        long n = parse_long(arg, -1000000, 1000000, &ok);
        if (ok) {
            size_t k = n > 0 ? (size_t)n : 0;
            free(a->indent);
            a->indent = malloc(k + 1);
            if (!a->indent) return usage_error("%s: out of memory", arg);
            memset(a->indent, ' ', k);
            a->indent[k] = '\0';
            a->wopts.indent = a->indent;
        } else {
            a->wopts.indent = arg;
        }
        break;
    }
    case O_ITEM_SEP: a->wopts.item_sep = arg; break;
    case O_KEY_SEP: a->wopts.key_sep = arg; break;
    case O_SORT_KEYS: a->wopts.flags |= ACAR_WRITE_SORT_KEYS; break;
    case O_NO_ENSURE_ASCII: a->wopts.flags |= ACAR_WRITE_NO_ENSURE_ASCII; break;
    case O_NO_ALLOW_NAN: a->wopts.flags |= ACAR_WRITE_NO_ALLOW_NAN; break;
    case O_SKIPKEYS: a->wopts.flags |= ACAR_WRITE_SKIPKEYS; break;
    case O_METHOD: a->wopts.method = arg; break;
    case O_RESPONSE: a->wopts.flags |= ACAR_WRITE_RESPONSE; break;
    case O_FAULT: a->wopts.flags |= ACAR_WRITE_FAULT; break;
    case O_ALLOW_NONE: a->wopts.flags |= ACAR_WRITE_ALLOW_NONE; break;
    case O_NO_SORT_KEYS: a->wopts.flags |= ACAR_WRITE_NO_SORT_KEYS; break;
    case O_SOURCE: a->source = arg; break;
    case O_SHOW_OFFSETS: a->cdopts.show_offsets = 1; break;
    case O_ANNOTATE:
        a->dopts.annotate = (int)parse_long(arg, 0, 1000, &ok);
        if (!ok) return usage_error("--annotate needs a number from 0 to 1000, not '%s'", arg);
        break;
    case O_INDENTLEVEL:
        a->dopts.indentlevel = (int)parse_long(arg, 0, 1000, &ok);
        if (!ok) return usage_error("--indentlevel needs a number from 0 to 1000, not '%s'", arg);
        if (a->dopts.indentlevel == 0) a->dopts.indentlevel = -1; /* pickletools' 0: no indentation */
        break;
    }
    return 0;
}

static int parse_args(int argc, char **argv, cli_args *a) {
    for (int i = 2; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
            print_command_help(a->cmd);
            exit(0);
        }
        if (s[0] != '-' || s[1] == '\0') {
            if (a->cmd->id == CMD_DIS) {
                /* dis takes several files (one process for many pycs) */
                const char **f = realloc(a->files, (a->nfiles + 1) * sizeof *f);
                if (!f) return usage_error("%s: out of memory", s);
                a->files = f;
                a->files[a->nfiles++] = s;
            }
            if (a->file && a->cmd->id != CMD_DIS) return usage_error("unexpected argument '%s'", s);
            if (!a->file) a->file = s;
            continue;
        }
        const option *o = NULL;
        for (size_t k = 0; k < COUNT(options) && !o; k++)
            if (strcmp(options[k].name, s) == 0 && (options[k].cmds & a->cmd->id)) o = &options[k];
        if (!o) return usage_error("unknown option '%s'", s);
        const char *arg = NULL;
        if (o->arg) {
            if (i + 1 >= argc) return usage_error("%s needs an argument", s);
            arg = argv[++i];
        }
        int rc = apply_option(a, o, arg);
        if (rc) return rc;
    }
    return 0;
}

/* Parses "pickle:3" into format and version. */
static int parse_target(const char *to, acar_format *fmt, acar_write_opts *w) {
    char name[32];
    const char *colon = strchr(to, ':');
    size_t n = colon ? (size_t)(colon - to) : strlen(to);
    if (n >= sizeof name) return -1;
    memcpy(name, to, n);
    name[n] = '\0';
    if (parse_format(name, fmt) < 0) return -1;
    if (colon) {
        /* The highest version each writer knows: pickle protocol 5, marshal 5. */
        long highest = *fmt == ACAR_FORMAT_PICKLE || *fmt == ACAR_FORMAT_MARSHAL ? 5 : -1;
        int ok;
        long v = parse_long(colon + 1, 0, highest, &ok);
        if (!ok) return -1;
        w->version = ACAR_VERSION(v);
    }
    return 0;
}

/* ---- running ---- */

/* A .pyc or marshal data: the bytecode listing of its code objects. */
static int run_code_dis(cli_args *a, const char *name, const unsigned char *data, size_t len) {
    acar_doc *doc = acar_doc_new(NULL);
    if (!doc) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return EXIT_USAGE;
    }
    acar_err err;
    acar_buf out = {0};
    int status = 0, rc = -1;
    acar_read_opts ro = a->ropts;
    acar_val *v = acar_read(doc, data, len, &ro, &err);
    if (v) rc = acar_code_dis(v, &a->cdopts, &out, &err);
    if (write_output(NULL, out.data ? out.data : "", out.len, "") < 0) {
        status = EXIT_USAGE;
    } else if (rc < 0) {
        /* a listing error's offset is in co_code, which its message names */
        if (!v) report(a, name, &err, 0);
        else if (!a->quiet) fprintf(stderr, "%s: %s: %s\n", prog, name, err.msg);
        status = EXIT_INVALID;
    }
    acar_buf_free(&out);
    acar_doc_free(doc);
    return status;
}

static int run_dis(cli_args *a, const char *name, const unsigned char *data, size_t len) {
    acar_format f = a->ropts.format ? a->ropts.format : acar_detect(data, len);
    if (f == ACAR_FORMAT_PYC || f == ACAR_FORMAT_MARSHAL) return run_code_dis(a, name, data, len);
    if (a->ropts.format && f != ACAR_FORMAT_PICKLE) {
        if (!a->quiet)
            fprintf(stderr, "%s: dis lists pickles, .pyc files and marshal data, not %s\n", prog,
                    acar_format_name(f));
        return EXIT_USAGE;
    }
    acar_buf out = {0};
    acar_err err;
    int status = 0;
    int rc = acar_dis(data, len, &a->dopts, &out, &err);
    if (write_output(NULL, out.data ? out.data : "", out.len, "") < 0) status = EXIT_USAGE;
    else if (rc < 0) {
        report(a, name, &err, 0);
        status = EXIT_INVALID;
    }
    acar_buf_free(&out);
    return status;
}

/* check FILE.pyc --source SRC: the header's hash, or mtime and size,
 * against the source as importlib checks them. */
static int check_source(cli_args *a, const char *name, const unsigned char *data, size_t len) {
    acar_pyc_header h;
    acar_err err;
    if (acar_pyc_info(data, len, &h, &err) < 0) {
        report(a, name, &err, 0);
        return EXIT_INVALID;
    }
    unsigned char *src;
    size_t slen;
    if (read_input(a->source, &src, &slen) < 0) return EXIT_USAGE;
    struct stat st;
    int64_t mtime = stat(a->source, &st) == 0 ? (int64_t)st.st_mtime : -1;
    int rc = acar_pyc_check_source(&h, src, slen, mtime, &err);
    free(src);
    if (rc < 0) {
        report(a, name, &err, 0);
        return EXIT_INVALID;
    }
    return 0;
}

/* XML-RPC writes a tuple of params: any other value is the only param, and
 * a method call read from XML-RPC keeps its method name. */
static acar_val *xmlrpc_params(acar_doc *doc, acar_val *v, cli_args *a) {
    if (!a->wopts.method && !(a->wopts.flags & (ACAR_WRITE_RESPONSE | ACAR_WRITE_FAULT)) &&
        a->ropts.xmlrpc_kind == ACAR_XMLRPC_CALL && a->ropts.method) {
        size_t n;
        const char *m = acar_str(a->ropts.method, &n);
        a->method = malloc(n + 1);
        if (!a->method) return NULL;
        memcpy(a->method, m, n);
        a->method[n] = '\0';
        a->wopts.method = a->method;
    }
    if (acar_typeof(v) == ACAR_TUPLE || (a->wopts.flags & ACAR_WRITE_FAULT)) return v;
    return acar_new_tuple(doc, &v, 1);
}

static int run(cli_args *a) {
    acar_format to = ACAR_FORMAT_REPR;
    bool to_npy = false; /* --to npy: the array as a NumPy .npy file */
    if (a->cmd->id == CMD_CONVERT) {
        if (!a->to) return usage_error("%s needs --to FMT", "convert");
        to_npy = strcmp(a->to, "npy") == 0;
        if (!to_npy && parse_target(a->to, &to, &a->wopts) < 0)
            return usage_error("bad target format '%s'", a->to);
    }
    const char *name = a->file && strcmp(a->file, "-") != 0 ? a->file : "<stdin>";
    unsigned char *data;
    size_t len;
    if (read_input(a->file, &data, &len) < 0) return EXIT_USAGE;
    if (a->cmd->id == CMD_DIS) {
        /* several files: each under a line "== FILE"; the worst status */
        int status = 0;
        size_t n = a->nfiles ? a->nfiles : 1;
        for (size_t i = 0; i < n; i++) {
            const char *nm = i ? a->files[i] : name;
            if (i && read_input(a->files[i], &data, &len) < 0) return EXIT_USAGE;
            if (n > 1) printf("== %s\n", nm);
            int s = run_dis(a, nm, data, len);
            free(data);
            if (s > status) status = s;
            if (s == EXIT_USAGE) break;
        }
        return status;
    }

    int status = 0;
    acar_err err;
    acar_doc *doc = acar_doc_new(NULL);
    if (!doc) {
        fprintf(stderr, "%s: out of memory\n", prog);
        free(data);
        return EXIT_USAGE;
    }
    /* a PyTorch checkpoint (zip or legacy) reads as its state dict, whose
     * tensors print as tensor(dtype, shape) */
    acar_val *v;
    if (!a->quiet) progress(name, "parsing", len, 0);
    if (!a->ropts.format && (acar_torch_is(data, len) || acar_torch_is_legacy(data, len))) {
        acar_torch *t = acar_torch_open(doc, data, len, &err);
        v = t ? acar_torch_root(t) : NULL;
    } else {
        v = acar_read(doc, data, len, &a->ropts, &err);
    }
    progress_clear();
    if (!v) {
        report(a, name, &err, 0);
        status = EXIT_INVALID;
    } else if (a->cmd->id == CMD_CHECK && a->source) {
        status = check_source(a, name, data, len);
    } else if (a->cmd->id == CMD_SHOW && acar_typeof(v) == ACAR_CODE) {
        /* a code object (a .pyc) shows every field of every code object */
        acar_buf out = {0};
        if (acar_code_show(v, &out, &err) < 0) {
            report(a, name, &err, 0);
            status = EXIT_INVALID;
        } else if (write_output(a->out, out.data ? out.data : "", out.len, "") < 0) {
            status = EXIT_USAGE;
        }
        acar_buf_free(&out);
    } else if (a->cmd->id != CMD_CHECK) {
        if (to == ACAR_FORMAT_XMLRPC) v = xmlrpc_params(doc, v, a);
        acar_buf out = {0};
        if (!v) {
            fprintf(stderr, "%s: out of memory\n", prog);
            status = EXIT_USAGE;
        } else if (to_npy ? acar_npy_write_array(&out, v, &err) < 0
                          : acar_write(v, to, &a->wopts, &out, &err) < 0) {
            report(a, name, &err, 1);
            status = EXIT_INVALID;
        } else {
            /* repr output is a line, as print() writes it. */
            if (write_output(a->out, out.data ? out.data : "", out.len,
                             to == ACAR_FORMAT_REPR && !to_npy ? "\n" : "") < 0)
                status = EXIT_USAGE;
        }
        acar_buf_free(&out);
    }
    acar_doc_free(doc);
    free(data);
    return status;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        print_usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("acar %s\n", acar_version());
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        print_usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "help") == 0) {
        if (argc > 2 && (strcmp(argv[2], "scan") == 0 || strcmp(argv[2], "tensors") == 0)) {
            char *h[] = {argv[2], "--help", NULL};
            return argv[2][0] == 's' ? acar_cli_scan(2, h) : acar_cli_tensors(2, h);
        }
        const command *c = argc > 2 ? find_command(argv[2]) : NULL;
        if (argc > 2 && !c) return usage_error("unknown command '%s'", argv[2]);
        if (c) print_command_help(c);
        else print_usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "tensors") == 0) return acar_cli_tensors(argc - 1, argv + 1);
    if (strcmp(cmd, "scan") == 0) return acar_cli_scan(argc - 1, argv + 1);
    cli_args a;
    memset(&a, 0, sizeof a);
    a.cmd = find_command(cmd);
    if (!a.cmd) return usage_error("unknown command '%s'", cmd);
    int rc = parse_args(argc, argv, &a);
    progress_on = !a.quiet && isatty(fileno(stderr));
    if (!rc) rc = run(&a);
    free(a.indent);
    free(a.method);
    free(a.files);
    return rc;
}
