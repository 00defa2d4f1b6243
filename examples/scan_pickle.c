/*
 * scan_pickle.c -- decide whether an untrusted pickle is plain data, with
 * the scan API, before anything loads it.
 *
 *   $ ./scan_pickle examples/config.pkl
 *   examples/config.pkl: safe
 *   $ ./scan_pickle evil.pkl
 *   evil.pkl: dangerous
 *     call of posix.system at offset 38: runs shell commands
 *
 * acar_scan follows the same reader acar_read uses (it accepts exactly what
 * CPython's pickle accepts), so what it reports is what Python would import
 * and call.  Exit status: 0 safe, 1 unknown or dangerous, 2 unreadable.
 *
 * Build: cc scan_pickle.c $(pkg-config --cflags --libs acar) -o scan_pickle
 */
#include <acar.h>

#include <stdio.h>
#include <stdlib.h>

static unsigned char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            unsigned char *b = realloc(buf, cap *= 2);
            if (!b) { free(buf); buf = NULL; }
            buf = b;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: scan_pickle FILE\n");
        return 2;
    }
    size_t len;
    unsigned char *data = slurp(argv[1], &len);
    if (!data) {
        perror(argv[1]);
        return 2;
    }
    acar_scan_report rep;
    acar_err err;
    if (acar_scan(data, len, NULL, &rep, &err) < 0) {
        fprintf(stderr, "%s: %s\n", argv[1], err.msg);
        free(data);
        return 2;
    }
    /* A broken or partly followed pickle is never "safe": Python may have
     * run something before the point where it failed. */
    int safe = rep.verdict == ACAR_SCAN_SAFE && !rep.malformed && !rep.incomplete;
    printf("%s: %s\n", argv[1], safe ? "safe" : rep.verdict == ACAR_SCAN_SAFE ? "malformed"
                                               : acar_scan_severity_name(rep.verdict));
    for (size_t i = 0; i < rep.nfindings; i++) {
        const acar_scan_finding *f = &rep.findings[i];
        printf("  %s", acar_scan_kind_name(f->kind));
        if (f->module_len || f->name_len)
            printf(" of %.*s.%.*s", (int)f->module_len, f->module, (int)f->name_len, f->name);
        printf(" at offset %zu", f->offset);
        if (f->message[0]) printf(": %s", f->message);
        putchar('\n');
    }
    acar_scan_report_free(&rep);
    free(data);
    return safe ? 0 : 1;
}
