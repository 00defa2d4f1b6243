/*
 * bench_timing.h -- the timing loop the JSON-write and small-value drivers
 * share, on both sides of a comparison: batches of `number` calls, number
 * grown 1, 2, 5, 10, 20, ... until a batch takes min_time seconds (as
 * timeit.autorange does), then the fastest of `repeat` batches, in process
 * CPU time (the machines these run on are shared: wall time there measured
 * the neighbours, 2.8 s of it for 0.22 s of CPU in one run).  The JSON read
 * driver takes the clock and the paired ratios from here too.
 * BENCH_PY_BEST is the same loop for the Python side (time.process_time),
 * as source text.
 */
#ifndef ACAR_BENCH_TIMING_H
#define ACAR_BENCH_TIMING_H

#include <stddef.h>
#include <time.h>

static inline double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Seconds per call of run(ctx); *last gets what the last call returned. */
static inline double bench_best(size_t (*run)(void *ctx), void *ctx, int repeat, double min_time, size_t *last) {
    static const size_t steps[] = {1, 2, 5};
    size_t number = 1, got = 0;
    for (size_t k = 0, scale = 1;; k++) {
        number = steps[k % 3] * scale;
        if (k % 3 == 2) scale *= 10;
        double t0 = bench_now();
        for (size_t i = 0; i < number; i++) got = run(ctx);
        if (bench_now() - t0 >= min_time) break;
    }
    double best = 1e300;
    for (int r = 0; r < repeat; r++) {
        double t0 = bench_now();
        for (size_t i = 0; i < number; i++) run(ctx);
        double t = (bench_now() - t0) / (double)number;
        if (t < best) best = t;
    }
    if (last) *last = got;
    return best;
}

#define BENCH_MAX_ROUNDS 64

/* One side of bench_best_each: what to run, and its seconds per call. */
typedef struct bench_side {
    size_t (*run)(void *ctx);
    /* instead of run, for a side that times itself (the Python child of
     * bench_pyproc.h): the seconds of `number` calls, or < 0 */
    double (*timed)(void *ctx, size_t number);
    void *ctx;
    size_t number; /* calls per batch */
    double best;   /* seconds per call, the fastest batch */
    size_t last;   /* what the last call returned */
    double round[BENCH_MAX_ROUNDS]; /* seconds per call in each round */
} bench_side;

/* Seconds of one batch of b (b->number calls). */
static inline double bench_batch(bench_side *b) {
    if (b->timed) return b->timed(b->ctx, b->number);
    double t0 = bench_now();
    for (size_t i = 0; i < b->number; i++) b->last = b->run(b->ctx);
    return bench_now() - t0;
}

/* bench_best for n sides at once: each is sized alone, then each of the
 * `repeat` rounds times one batch of every side in turn, so that a slow
 * spell of a shared machine falls on all of them alike rather than on the
 * one being timed.  A side whose batch fails (timed < 0) gets best -1. */
static inline void bench_best_each(bench_side *sides, size_t n, int repeat, double min_time) {
    static const size_t steps[] = {1, 2, 5};
    for (size_t s = 0; s < n; s++) {
        bench_side *b = &sides[s];
        for (size_t k = 0, scale = 1;; k++) {
            b->number = steps[k % 3] * scale;
            if (k % 3 == 2) scale *= 10;
            double t = bench_batch(b);
            b->best = t < 0 ? -1 : 1e300; /* < 0: the side failed, and is left out */
            if (t < 0 || t >= min_time) break;
        }
    }
    for (int r = 0; r < repeat; r++)
        for (size_t s = 0; s < n; s++) {
            bench_side *b = &sides[s];
            if (b->best < 0) continue;
            double t = bench_batch(b);
            if (t < 0) {
                b->best = -1;
                continue;
            }
            t /= (double)b->number;
            if (r < BENCH_MAX_ROUNDS) b->round[r] = t;
            if (t < b->best) b->best = t;
        }
}

/* The median over n rounds of a[r] / b[r], where a and b are two sides'
 * figures measured in the same round: a ratio of their two bests can pair
 * a fast spell of one with a slow spell of the other, where this machine's
 * speed moves by 2x from one second to the next. */
static inline double bench_median_ratio(const double *a, const double *b, int n) {
    double q[BENCH_MAX_ROUNDS];
    if (n > BENCH_MAX_ROUNDS) n = BENCH_MAX_ROUNDS;
    for (int r = 0; r < n; r++) {
        double x = a[r] / b[r];
        int k = r;
        for (; k > 0 && q[k - 1] > x; k--) q[k] = q[k - 1]; /* insertion sort */
        q[k] = x;
    }
    return n % 2 ? q[n / 2] : (q[n / 2 - 1] + q[n / 2]) / 2;
}

/* How many times faster than s its base was, from bench_best_each's
 * rounds, paired (bench_median_ratio). */
static inline double bench_paired(const bench_side *s, const bench_side *base, int repeat) {
    return bench_median_ratio(s->round, base->round, repeat);
}

/* def best(f): the same, for a script that sets rep and mint first. */
#define BENCH_PY_BEST                                                \
    "def best(f):\n"                                                 \
    " k = 0\n"                                                       \
    " while True:\n"                                                 \
    "  n = (1, 2, 5)[k % 3] * 10 ** (k // 3); k += 1\n"             \
    "  t = time.process_time()\n"                                    \
    "  for _ in range(n): f()\n"                                     \
    "  if time.process_time() - t >= mint: break\n"                  \
    " b = 1e300\n"                                                   \
    " for _ in range(rep):\n"                                        \
    "  t = time.process_time()\n"                                    \
    "  for _ in range(n): f()\n"                                     \
    "  b = min(b, (time.process_time() - t) / n)\n"                  \
    " return b\n"

#endif
