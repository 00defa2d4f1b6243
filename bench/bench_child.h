/*
 * bench_child.h -- what a driver does before it starts CPython as a child
 * process to time on the same inputs, so that the two sides of a ratio are
 * timed alike: every driver that times CPython (bench_json and
 * bench_json_write through bench_pyproc.h, bench_marshal, bench_small,
 * bench_xml and bench_bplist through popen), each with --cpu N.
 *
 * bench_pin_cpu puts the driver, and so the child it starts after, on one
 * CPU.  On the development VM the two virtual CPUs ran at different speeds
 * for minutes at a time (the same binary read twitter.json at 1,900 MB/s on
 * one and 3,100 on the other, pinned by taskset), so a driver and a child on
 * different CPUs compared the CPUs as well as the code.
 *
 * bench_keep_memory stops glibc's malloc, in the driver and in the child,
 * from giving memory back to the kernel between calls (it says why).
 *
 * The includer defines _GNU_SOURCE first (the Linux affinity calls); without
 * it, or off Linux, nothing is pinned.
 */
#ifndef ACAR_BENCH_CHILD_H
#define ACAR_BENCH_CHILD_H

#include <stdio.h>
#include <stdlib.h>
#if defined(__linux__) && defined(_GNU_SOURCE)
#include <sched.h>
#endif
#ifdef __GLIBC__
#include <malloc.h>
#endif

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
 * bench_keep_memory, then bench_pin_cpu(cpu), and a line on stderr naming
 * the CPU.  The CPU it runs on, -1 when not pinned, or -2 (and a message
 * naming prog) when cpu was asked for and cannot be had. */
static inline int bench_child_setup(const char *prog, int cpu) {
    bench_keep_memory();
    int pinned = bench_pin_cpu(cpu);
    if (cpu >= 0 && pinned != cpu) {
        fprintf(stderr, "%s: cannot run on CPU %d\n", prog, cpu);
        return -2;
    }
    if (pinned >= 0) fprintf(stderr, "%s: all on CPU %d\n", prog, pinned);
    else fprintf(stderr, "%s: not pinned to a CPU\n", prog);
    return pinned;
}

#endif
