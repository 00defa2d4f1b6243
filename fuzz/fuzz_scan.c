/*
 * fuzz_scan.c -- libFuzzer target for the pickle scanner (acar scan).
 *
 * Any input gives a report or an error, never a crash: containers (zip,
 * .npy, joblib data steps), nested pickles and the reader's hook all run.
 * The report must be consistent: a dangerous finding makes the verdict
 * dangerous, an incomplete scan is never safe, every finding's offset lies
 * in the input (or in a member or nested pickle, which are no longer than
 * the largest thing they can come from: 2^32 for a zip member), and the
 * same bytes scanned as a raw pickle stream give a verdict too.
 */
#include "safety/scan.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const allow[] = {"posix.system", "mymod.*"};
    for (int pass = 0; pass < 2; pass++) {
        acar_scan_opts o;
        memset(&o, 0, sizeof o);
        o.flags = ACAR_SCAN_ALL_FINDINGS | (pass ? ACAR_SCAN_RAW : 0);
        o.allow = allow;
        o.nallow = pass ? 2 : 0;
        acar_scan_report rep;
        acar_err err;
        if (acar_scan(data, size, &o, &rep, &err) < 0) {
            if (err.code == ACAR_OK || !err.msg[0]) abort();
            continue;
        }
        if (rep.incomplete && rep.verdict == ACAR_SCAN_SAFE) abort();
        for (size_t i = 0; i < rep.nfindings; i++) {
            const acar_scan_finding *f = &rep.findings[i];
            if (f->severity > rep.verdict) abort();
            if (!f->module || !f->name || !f->where || !f->message) abort();
            if (!f->where[0] && f->offset > size) abort();
            if (strlen(f->module) > f->module_len || strlen(f->name) > f->name_len) abort();
        }
        acar_scan_report_free(&rep);
    }
    return 0;
}
