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
 * bench_pin_cpu puts the driver, and so the child it starts after, on one
 * CPU.  On the development VM the two virtual CPUs ran at different
 * speeds for minutes at a time (the same binary read twitter.json at 1,900
 * MB/s on one and 3,100 on the other, pinned by taskset), so a driver and a
 * child on different CPUs compared the CPUs as well as the parsers.
 *
 * bench_keep_memory stops glibc's malloc, in the driver and in the child,
 * from giving memory back to the kernel between calls (it says why).
 *
 * POSIX: the includer defines _GNU_SOURCE (for the Linux affinity calls),
 * _DEFAULT_SOURCE or _POSIX_C_SOURCE first.
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
#if defined(__linux__) && defined(_GNU_SOURCE)
#include <sched.h>
#endif
#ifdef __GLIBC__
#include <malloc.h>
#endif

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

/* Pins this process to CPU cpu, or to the one it is running on when cpu
 * is negative; a child started later inherits it.  The CPU, or -1 where it
 * could not (not Linux, or the CPU is not this process's to use). */
static inline int bench_pin_cpu(int cpu) {
#if defined(__linux__) && defined(_GNU_SOURCE)
    if (cpu < 0) cpu = sched_getcpu();
    if (cpu < 0 || cpu >= CPU_SETSIZE) return -1;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0 ? cpu : -1;
#else
    (void)cpu;
    return -1;
#endif
}

/* glibc's malloc, in this process and in a child started later (through
 * its environment), set to keep what is freed: no trim of the heap's top,
 * no mmap for blocks up to 32 MiB.  With its defaults a parser that frees
 * one tree and builds the next can fault its pages in again on every call,
 * and on the development VM a page fault cost 11-16 us (a loop touching
 * fresh pages): json.loads of twitter.json ran at 63 MB/s with 545 faults
 * a call, and at 273 MB/s with these settings.  Every side is then timed
 * on memory it already holds, as in a long-running program; acar's
 * document keeps its chunks across acar_doc_reset anyway.  Elsewhere than
 * glibc nothing changes. */
static inline void bench_keep_memory(void) {
#ifdef __GLIBC__
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TOP_PAD, 64 << 20);
    setenv("MALLOC_TRIM_THRESHOLD_", "1073741824", 1);
    setenv("MALLOC_MMAP_THRESHOLD_", "33554432", 1);
    setenv("MALLOC_TOP_PAD_", "67108864", 1);
#endif
}

/* What a driver does before its child starts, which inherits both:
 * bench_keep_memory, then bench_pin_cpu(cpu).  The CPU it runs on, -1 when
 * not pinned, or -2 (and a message naming prog) when cpu was asked for
 * and cannot be had. */
static inline int bench_child_setup(const char *prog, int cpu) {
    bench_keep_memory();
    int pinned = bench_pin_cpu(cpu);
    if (cpu >= 0 && pinned != cpu) {
        fprintf(stderr, "%s: cannot run on CPU %d\n", prog, cpu);
        return -2;
    }
    return pinned;
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
