/*
 * main.c -- the acar command.
 *
 *   acar show    [FILE] [--from FMT]                 Python repr of the value
 *   acar convert [FILE] --to FMT[:VER] [-o OUT] [--from FMT]
 *   acar check   [FILE] [--from FMT]                 validate only
 *
 * FILE absent or "-" is standard input.  Exit status: 0 success, 1 the input
 * is invalid or cannot be converted, 2 usage or I/O error.
 */
#include "acar.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EXIT_INVALID = 1, EXIT_USAGE = 2 };

static const char *prog = "acar";

static const char usage_main[] =
    "usage: acar COMMAND [ARGS]\n"
    "\n"
    "Python's serialization formats without Python.\n"
    "\n"
    "commands:\n"
    "  show    [FILE] [--from FMT]                 print the value as Python's repr()\n"
    "  convert [FILE] --to FMT[:VER] [-o OUT]      convert to another format\n"
    "  check   [FILE] [--from FMT]                 validate only\n"
    "  help    [COMMAND]                           help on a command\n"
    "\n"
    "FILE absent or '-' reads standard input.  Formats: pickle (read and write,\n"
    "protocols 0-5), marshal (read, write versions 0-4; --from marshal: raw\n"
    "marshal data has no signature), repr (write).  Exit status: 0 success,\n"
    "1 invalid input, 2 usage or I/O error.  'acar --version' prints the version.\n";

static const char usage_show[] =
    "usage: acar show [FILE] [--from FMT] [READ OPTIONS]\n"
    "\n"
    "Prints the value in FILE exactly as Python's print(repr(value)) would.\n"
    "Classes and functions named in the input are never run: instances print as\n"
    "module.Class(args).__setstate__(state) (see docs/repr.md).\n";

static const char usage_convert[] =
    "usage: acar convert [FILE] --to FMT[:VER] [-o OUT] [--from FMT] [READ OPTIONS]\n"
    "\n"
    "Writes the value in FILE in another format: pickle[:N] (protocol 0-5,\n"
    "default 4; byte for byte what CPython's pickle.dumps(value, N) writes),\n"
    "marshal[:V] (version 0-4, default 4; as marshal.dumps(value, V)) or\n"
    "repr.  Output goes to standard output unless -o OUT.\n"
    "\n"
    "write options:\n"
    "  --no-fix-imports    pickle protocols 0-2: keep Python 3 module names\n";

static const char usage_check[] =
    "usage: acar check [FILE] [--from FMT] [READ OPTIONS]\n"
    "\n"
    "Reads FILE and reports whether it is valid; prints nothing on success.\n";

static const char usage_read_opts[] =
    "\n"
    "read options:\n"
    "  --from FMT          input format (default: detected from the content)\n"
    "  --encoding ENC      Python 2 str in pickles: ascii (default), latin1, utf-8, bytes\n"
    "  --no-fix-imports    keep Python 2 module names as they are\n"
    "  --raw-globals       keep builtins.set, _codecs.encode ... as objects\n";

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "%s: ", prog);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'acar --help'.\n");
    return EXIT_USAGE;
}

/* Reads a whole file (or stdin for NULL / "-") into a malloc'd buffer. */
static int read_input(const char *path, unsigned char **data, size_t *len) {
    FILE *f = stdin;
    if (path && strcmp(path, "-") != 0) {
        f = fopen(path, "rb");
        if (!f) {
            fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
            return -1;
        }
    }
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            unsigned char *b = realloc(buf, cap * 2);
            if (!b) { free(buf); buf = NULL; break; }
            buf = b;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int failed = !buf || ferror(f);
    if (f != stdin) fclose(f);
    if (failed) {
        fprintf(stderr, "%s: %s: %s\n", prog, path ? path : "-", buf ? "read error" : "out of memory");
        free(buf);
        return -1;
    }
    *data = buf;
    *len = n;
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

static void report(const char *file, const acar_err *err) {
    if (err->line)
        fprintf(stderr, "%s: %s: line %zu, column %zu: %s\n", prog, file, err->line, err->column, err->msg);
    else
        fprintf(stderr, "%s: %s: offset %zu: %s\n", prog, file, err->offset, err->msg);
}

typedef struct cli_args {
    const char *cmd;
    const char *file;
    const char *out;
    const char *to;
    acar_read_opts ropts;
    acar_write_opts wopts;
} cli_args;

static int parse_format(const char *name, acar_format *fmt) {
    *fmt = acar_format_from_name(name);
    return *fmt == ACAR_FORMAT_AUTO ? -1 : 0;
}

static int parse_args(int argc, char **argv, cli_args *a, const char *usage) {
    for (int i = 2; i < argc; i++) {
        const char *s = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
            fputs(usage, stdout);
            fputs(usage_read_opts, stdout);
            exit(0);
        } else if (strcmp(s, "--from") == 0) {
            if (!next) return usage_error("%s needs a format", s);
            if (parse_format(next, &a->ropts.format) < 0) return usage_error("unknown format '%s'", next);
            i++;
        } else if (strcmp(s, "--to") == 0 && strcmp(a->cmd, "convert") == 0) {
            if (!next) return usage_error("%s needs a format", s);
            a->to = next;
            i++;
        } else if (strcmp(s, "-o") == 0 && strcmp(a->cmd, "convert") == 0) {
            if (!next) return usage_error("%s needs a file name", s);
            a->out = next;
            i++;
        } else if (strcmp(s, "--encoding") == 0) {
            if (!next) return usage_error("%s needs an encoding", s);
            if (strcmp(next, "ascii") == 0 || strcmp(next, "ASCII") == 0) a->ropts.encoding = ACAR_ENC_ASCII;
            else if (strcmp(next, "latin1") == 0 || strcmp(next, "latin-1") == 0) a->ropts.encoding = ACAR_ENC_LATIN1;
            else if (strcmp(next, "utf-8") == 0 || strcmp(next, "utf8") == 0) a->ropts.encoding = ACAR_ENC_UTF8;
            else if (strcmp(next, "bytes") == 0) a->ropts.encoding = ACAR_ENC_BYTES;
            else return usage_error("unknown encoding '%s'", next);
            i++;
        } else if (strcmp(s, "--no-fix-imports") == 0) {
            a->ropts.flags |= ACAR_READ_NO_FIX_IMPORTS;
            a->wopts.flags |= ACAR_WRITE_NO_FIX_IMPORTS;
        } else if (strcmp(s, "--raw-globals") == 0) {
            a->ropts.flags |= ACAR_READ_RAW_GLOBALS;
        } else if (s[0] == '-' && s[1] != '\0') {
            return usage_error("unknown option '%s'", s);
        } else if (!a->file) {
            a->file = s;
        } else {
            return usage_error("unexpected argument '%s'", s);
        }
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
        char *end;
        long v = strtol(colon + 1, &end, 10);
        /* The highest version each writer knows: pickle protocol 5, marshal 5. */
        long highest = *fmt == ACAR_FORMAT_PICKLE || *fmt == ACAR_FORMAT_MARSHAL ? 5 : -1;
        if (*end || end == colon + 1 || v < 0 || v > highest) return -1;
        w->version = ACAR_VERSION(v);
    }
    return 0;
}

static int run(cli_args *a) {
    acar_format to = ACAR_FORMAT_REPR;
    if (strcmp(a->cmd, "convert") == 0) {
        if (!a->to) return usage_error("%s needs --to FMT", "convert");
        if (parse_target(a->to, &to, &a->wopts) < 0) return usage_error("bad target format '%s'", a->to);
    }
    const char *name = a->file && strcmp(a->file, "-") != 0 ? a->file : "<stdin>";
    unsigned char *data;
    size_t len;
    if (read_input(a->file, &data, &len) < 0) return EXIT_USAGE;

    int status = 0;
    acar_err err;
    acar_doc *doc = acar_doc_new(NULL);
    if (!doc) {
        fprintf(stderr, "%s: out of memory\n", prog);
        free(data);
        return EXIT_USAGE;
    }
    acar_val *v = acar_read(doc, data, len, &a->ropts, &err);
    if (!v) {
        report(name, &err);
        status = EXIT_INVALID;
    } else if (strcmp(a->cmd, "check") != 0) {
        acar_buf out = {0};
        if (acar_write(v, to, &a->wopts, &out, &err) < 0) {
            report(name, &err);
            status = EXIT_INVALID;
        } else {
            /* repr output is a line, as print() writes it. */
            if (write_output(a->out, out.data, out.len, to == ACAR_FORMAT_REPR ? "\n" : "") < 0)
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
        fputs(usage_main, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("acar %s\n", acar_version());
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (strcmp(cmd, "help") == 0) {
        const char *topic = argc > 2 ? argv[2] : "";
        if (strcmp(topic, "show") == 0) fputs(usage_show, stdout);
        else if (strcmp(topic, "convert") == 0) fputs(usage_convert, stdout);
        else if (strcmp(topic, "check") == 0) fputs(usage_check, stdout);
        else { fputs(usage_main, stdout); return 0; }
        fputs(usage_read_opts, stdout);
        return 0;
    }
    cli_args a;
    memset(&a, 0, sizeof a);
    a.cmd = cmd;
    const char *usage;
    if (strcmp(cmd, "show") == 0) usage = usage_show;
    else if (strcmp(cmd, "convert") == 0) usage = usage_convert;
    else if (strcmp(cmd, "check") == 0) usage = usage_check;
    else return usage_error("unknown command '%s'", cmd);
    int rc = parse_args(argc, argv, &a, usage);
    if (rc) return rc;
    return run(&a);
}
