/*
 * bench_pyproc.h -- CPython as a child process that times Python calls on
 * request, for the JSON drivers: they time the interpreter in the same
 * rounds as the C libraries, so that its ratios are paired as theirs
 * (bench_median_ratio).  Timing it apart, before the C side, put minutes
 * and a change of this machine's speed between the two.
 *
 * The child runs a script given as text (python -c SCRIPT ARGS...).  It
 * first prints one line (what the driver needs to know, e.g. whether orjson
 * is there), then answers each request line with the process CPU seconds
 * (time.process_time) the request took, one number a line.
 *
 * The driver calls bench_child_setup (bench_child.h) before it starts the
 * child.
 *
 * POSIX: the includer defines _GNU_SOURCE (for bench_child.h's Linux
 * affinity calls) first.
 */
#ifndef ACAR_BENCH_PYPROC_H
#define ACAR_BENCH_PYPROC_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_child.h"

typedef struct bench_py {
    FILE *to, *from;
    pid_t pid;
} bench_py;

/* Starts py -c script args[0..nargs) and reads its first line into hello
 * (cap bytes).  false (and a message) if it did not start. */
static inline bool bench_py_start(bench_py *pp, const char *py, const char *script, const char *const *args,
                                  size_t nargs, char *hello, size_t cap) {
    int in[2], out[2];
    if (pipe(in) < 0) return false;
    if (pipe(out) < 0) {
        close(in[0]);
        close(in[1]);
        return false;
    }
    const char **argv = calloc(nargs + 4, sizeof *argv);
    if (!argv) return false;
    argv[0] = py;
    argv[1] = "-c";
    argv[2] = script;
    for (size_t i = 0; i < nargs; i++) argv[3 + i] = args[i];
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        execvp(py, (char *const *)argv);
        _exit(127);
    }
    free(argv);
    close(in[0]);
    close(out[1]);
    if (pid < 0) {
        close(in[1]);
        close(out[0]);
        return false;
    }
    pp->pid = pid;
    pp->to = fdopen(in[1], "w");
    pp->from = fdopen(out[0], "r");
    if (!pp->to || !pp->from || !fgets(hello, (int)cap, pp->from)) {
        fprintf(stderr, "bench: %s did not start; no Python columns\n", py);
        return false;
    }
    return true;
}

/* Sends one request line; the seconds the child answers, or -1. */
static inline double bench_py_ask(bench_py *pp, const char *request) {
    double secs;
    fputs(request, pp->to);
    fputc('\n', pp->to);
    fflush(pp->to);
    if (fscanf(pp->from, "%lf", &secs) != 1) return -1;
    return secs;
}

static inline void bench_py_stop(bench_py *pp) {
    fclose(pp->to); /* end of input: the child's loop ends */
    fclose(pp->from);
    waitpid(pp->pid, NULL, 0);
}

#endif
