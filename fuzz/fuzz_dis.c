/*
 * fuzz_dis.c -- libFuzzer target for the pickle disassembler (acar_dis).
 *
 * The input is a plain pickle (so the pickle corpus seeds this one too); the
 * options come from its length: annotate 0 or 1..60, indentlevel -1..3.
 * Beyond not crashing, leaking or hanging: a success ends with the
 * "highest protocol" line; a failure has a code, a message and an offset
 * inside the input; every complete line starts with an offset that lies
 * inside the input, in increasing order.
 */
#include "acar.h"
#include "fuzz_fail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    acar_dis_opts o;
    o.annotate = size % 3 == 0 ? 0 : (int)(size % 61);
    o.indentlevel = (int)(size % 5) - 1;
    acar_buf out = {0};
    acar_err err;
    memset(&err, 0, sizeof err);
    int rc = acar_dis(data, size, &o, &out, &err);
    if (rc == 0) {
        static const char tail[] = "highest protocol among opcodes = ";
        const char *last = NULL;
        for (size_t i = out.len ? out.len - 1 : 0; i > 0; i--)
            if (out.data[i - 1] == '\n') { last = out.data + i; break; }
        if (!out.len || out.data[out.len - 1] != '\n' || !last || strncmp(last, tail, sizeof tail - 1) != 0)
            fail("a success without the closing line");
    } else {
        if (rc != -1 || err.code == ACAR_OK || err.msg[0] == '\0') fail("error without code or message");
        if (err.offset > size) fail("error offset past the input");
    }
    /* "%5zu: " at the start of every line but the closing one */
    long long prev = -1;
    size_t i = 0;
    while (i < out.len) {
        const char *nl = memchr(out.data + i, '\n', out.len - i);
        if (!nl) break;
        size_t n = (size_t)(nl - (out.data + i));
        if (strncmp(out.data + i, "highest protocol", 16) != 0) {
            unsigned long long off = 0;
            size_t k = 0;
            while (k < n && out.data[i + k] == ' ') k++;
            if (k == n || out.data[i + k] < '0' || out.data[i + k] > '9') fail("a line without offset");
            while (k < n && out.data[i + k] >= '0' && out.data[i + k] <= '9')
                off = off * 10 + (unsigned)(out.data[i + k++] - '0');
            if (k >= n || out.data[i + k] != ':' || off >= size || (long long)off <= prev)
                fail("a bad offset");
            prev = (long long)off;
        }
        i += n + 1;
    }
    acar_buf_free(&out);
    return 0;
}
