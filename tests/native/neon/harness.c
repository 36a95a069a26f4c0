/*
 * harness.c — checks the NEON kernels against the scalar reference. Cross-compiled for AArch64 together
 * with the sources in Sources/IngotCPU and run under qemu-aarch64 by tests/native/neon.test.ts (once with the
 * dot-product extension, once for plain armv8-a).
 *
 * Output: "plan <n> simd=<name> dotprod=<0|1>", then one line per check, "ok <name> <err>" or
 * "FAIL <name> <details>", then "done <passed>/<n>". Exit status 1 if any check failed or the number
 * of checks run differs from the plan (which is computed from the tables below before anything runs).
 *
 * Checks, with the tolerances of tests/native/kernels-*.test.ts:
 *  - vec_dot (best compiled-in path) vs vec_dot_scalar for every type on 1, 3, 11 blocks and 4352
 *    values (float types: odd lengths too), |simd - scalar| <= 1e-5 * sum |w*x|; the scalar one also
 *    against the float dot of the dequantised operands (1e-4, 2e-3 for Q8_1 activations);
 *  - the NEON kernels are the ones in the type table (vec_dot != vec_dot_scalar where NEON has one);
 *  - activation quantizers: Q8_K, F16, BF16 fast == reference byte for byte; Q8_0/Q8_1 fast vs
 *    reference differ on < 1% of the bytes and dequantise within 2% + 0.02 of each other;
 *  - ingot_matmul_rows_impl SIMD vs scalar for 1..9 tokens on a row sub-range: rows outside the range
 *    untouched, each impl bit-identical to its own vec_dot, SIMD vs scalar within 1e-5 * sum |w*x|.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingot_kernels.h"
#include "ingot_kernels_impl.h"

static const struct { const char *name; int id; int neon; } TYPES[] = {
    { "F32", INGOT_TYPE_F32, 1 },   { "F16", INGOT_TYPE_F16, 1 },   { "BF16", INGOT_TYPE_BF16, 0 },
    { "Q4_0", INGOT_TYPE_Q4_0, 1 }, { "Q4_1", INGOT_TYPE_Q4_1, 0 }, { "Q5_0", INGOT_TYPE_Q5_0, 0 },
    { "Q5_1", INGOT_TYPE_Q5_1, 0 }, { "Q8_0", INGOT_TYPE_Q8_0, 1 }, { "Q8_1", INGOT_TYPE_Q8_1, 0 },
    { "Q2_K", INGOT_TYPE_Q2_K, 0 }, { "Q3_K", INGOT_TYPE_Q3_K, 0 }, { "Q4_K", INGOT_TYPE_Q4_K, 1 },
    { "Q5_K", INGOT_TYPE_Q5_K, 0 }, { "Q6_K", INGOT_TYPE_Q6_K, 1 }, { "Q8_K", INGOT_TYPE_Q8_K, 0 },
};
#define N_TYPES ((int)(sizeof TYPES / sizeof TYPES[0]))

#define REPS 3
static const int FLOAT_LENGTHS[] = { 1, 3, 7, 11, 33, 100, 1000, 4352, 4353 };
static const int BLOCK_COUNTS[] = { 1, 3, 11 };
#define BIG_N 4352 /* 17 K-blocks, 136 legacy blocks */
#define N_FLOAT_LENGTHS ((int)(sizeof FLOAT_LENGTHS / sizeof FLOAT_LENGTHS[0]))
#define N_BLOCK_COUNTS ((int)(sizeof BLOCK_COUNTS / sizeof BLOCK_COUNTS[0]))

/* activation types: the fast from_float against the reference (not in the table for Q8_1/Q8_K) */
static const struct { int type; ingot_from_float_fn ref; int exact; } ACT_TYPES[] = {
    { INGOT_TYPE_Q8_0, ingot_quant_q8_0_ref, 0 }, { INGOT_TYPE_Q8_1, ingot_quant_q8_1_ref, 0 },
    { INGOT_TYPE_Q8_K, ingot_quant_q8_K_ref, 1 }, { INGOT_TYPE_F16, ingot_quant_f16_ref, 1 },
    { INGOT_TYPE_BF16, ingot_quant_bf16_ref, 1 },
};
#define N_ACT_TYPES ((int)(sizeof ACT_TYPES / sizeof ACT_TYPES[0]))
#define ACT_RUNS 20

#define MAX_TOKENS 9
static const struct { int rows, r0, r1; } MM_SHAPES[] = { { 7, 0, 7 }, { 13, 2, 11 } };
#define N_MM_SHAPES ((int)(sizeof MM_SHAPES / sizeof MM_SHAPES[0]))

static int g_run, g_failed;

static void ok(const char *name, double err) {
    ++g_run;
    printf("ok %s %.3g\n", name, err);
}

static void fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(const char *name, const char *fmt, ...) {
    ++g_run;
    ++g_failed;
    printf("FAIL %s ", name);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

/* mulberry32 and Box-Muller with rare 6-sigma outliers, like tests/native/helpers.ts */
static uint32_t g_rng;
static double next_uniform(void) {
    g_rng += 0x6d2b79f5u;
    uint32_t t = g_rng;
    t = (t ^ (t >> 15)) * (t | 1u);
    t ^= t + (t ^ (t >> 7)) * (t | 61u);
    return (double)(t ^ (t >> 14)) / 4294967296.0;
}

static void gaussian(float *out, int n, uint32_t seed, float sigma) {
    g_rng = seed;
    for (int i = 0; i < n; ++i) {
        double u = next_uniform();
        if (u < 1e-12) u = 1e-12;
        const double v = next_uniform();
        double g = sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v) * sigma;
        if (next_uniform() < 0.002) g *= 6;
        out[i] = (float)g;
    }
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) { fprintf(stderr, "out of memory\n"); exit(2); }
    return p;
}

/* model-file quantizer of a weight type (activation-only types: their from_float) */
static void quantize_weights(const ingot_type_traits *t, const float *x, void *dst, int64_t n) {
    (t->quantize_ref ? t->quantize_ref : t->from_float)(x, dst, n);
}

static int vec_dot_lengths(int block_size, int *out) {
    int c = 0;
    if (block_size == 1) {
        for (int i = 0; i < N_FLOAT_LENGTHS; ++i) out[c++] = FLOAT_LENGTHS[i];
    } else {
        for (int i = 0; i < N_BLOCK_COUNTS; ++i) out[c++] = BLOCK_COUNTS[i] * block_size;
        out[c++] = BIG_N;
    }
    return c;
}

static int mm_k(int block_size) { return block_size == 1 ? 103 : block_size == 32 ? 352 : 768; }

/* checks the tables promise, counted without running any */
static int planned(void) {
    int n = 0, lens[16];
    for (int i = 0; i < N_TYPES; ++i) {
        const ingot_type_traits *t = ingot_get_type_traits(TYPES[i].id);
        n += 1;                                                     /* wiring */
        if (t) n += vec_dot_lengths(t->block_size, lens) * REPS * 2; /* simd vs scalar, scalar vs float */
        n += N_MM_SHAPES * MAX_TOKENS;                               /* matmul */
    }
    return n + N_ACT_TYPES * ACT_RUNS;
}

static void check_wiring(int i) {
    char name[64];
    snprintf(name, sizeof name, "wired/%s", TYPES[i].name);
    const ingot_type_traits *t = ingot_get_type_traits(TYPES[i].id);
    if (!t) { fail(name, "no traits"); return; }
    const int is_simd = t->vec_dot != t->vec_dot_scalar;
    if (is_simd != TYPES[i].neon) fail(name, "vec_dot is %s, expected %s", is_simd ? "SIMD" : "scalar", TYPES[i].neon ? "NEON" : "scalar");
    else ok(name, 0);
}

static void check_vec_dot(int i) {
    const ingot_type_traits *t = ingot_get_type_traits(TYPES[i].id);
    const ingot_type_traits *a = t ? ingot_get_type_traits(t->vec_dot_type) : NULL;
    if (!t || !a) return;
    int lens[16];
    const int nl = vec_dot_lengths(t->block_size, lens);
    uint32_t seed = 1000u + (uint32_t)TYPES[i].id * 7919u;
    for (int li = 0; li < nl; ++li) {
        const int n = lens[li];
        float *wf = xmalloc(sizeof(float) * n), *xf = xmalloc(sizeof(float) * n);
        float *wd = xmalloc(sizeof(float) * n), *xd = xmalloc(sizeof(float) * n);
        void *w = xmalloc(ingot_row_size(TYPES[i].id, n)), *xq = xmalloc(ingot_act_row_size(TYPES[i].id, n));
        for (int rep = 0; rep < REPS; ++rep) {
            char name[96];
            gaussian(wf, n, seed++, 0.05f);
            gaussian(xf, n, seed++, 1.0f);
            quantize_weights(t, wf, w, n);
            const int rc = ingot_quantize_activations(TYPES[i].id, xf, n, 1, xq, 0, 0, 1);
            t->to_float(w, wd, n);
            a->to_float(xq, xd, n);
            double ref = 0, mag = 0;
            for (int j = 0; j < n; ++j) {
                ref += (double)wd[j] * xd[j];
                mag += fabs((double)wd[j] * xd[j]);
            }
            float simd = NAN, scalar = NAN;
            t->vec_dot(n, &simd, w, xq);
            t->vec_dot_scalar(n, &scalar, w, xq);
            const double tol = mag > 1e-20 ? mag : 1e-20;
            const double e1 = fabs((double)simd - scalar) / tol, e2 = fabs((double)scalar - ref) / tol;
            const double float_tol = t->vec_dot_type == INGOT_TYPE_Q8_1 ? 2e-3 : 1e-4;

            snprintf(name, sizeof name, "vec_dot/%s/n=%d/rep=%d", TYPES[i].name, n, rep);
            if (rc || !(mag > 0) || !(e1 <= 1e-5))
                fail(name, "rc=%d simd=%.9g scalar=%.9g sum|wx|=%.9g relerr=%.3g", rc, simd, scalar, mag, e1);
            else ok(name, e1);
            snprintf(name, sizeof name, "scalar-vs-float/%s/n=%d/rep=%d", TYPES[i].name, n, rep);
            if (rc || !(mag > 0) || !(e2 <= float_tol))
                fail(name, "scalar=%.9g float=%.9g sum|wx|=%.9g relerr=%.3g", scalar, ref, mag, e2);
            else ok(name, e2);
        }
        free(wf); free(xf); free(wd); free(xd); free(w); free(xq);
    }
}

static void check_act_quantizers(void) {
    const int max_n = 256 * 5 + 2 * ACT_RUNS;
    float *x = xmalloc(sizeof(float) * max_n), *da = xmalloc(sizeof(float) * max_n), *db = xmalloc(sizeof(float) * max_n);
    for (int ai = 0; ai < N_ACT_TYPES; ++ai) {
        const int type = ACT_TYPES[ai].type;
        const ingot_type_traits *t = ingot_get_type_traits(type);
        for (int s = 0; s < ACT_RUNS; ++s) {
            char name[64];
            snprintf(name, sizeof name, "quantize/%s/run=%d", t ? t->name : "?", s);
            if (!t || !t->from_float) { fail(name, "no from_float"); continue; }
            const int n = 256 * (1 + s % 5) + (t->block_size == 1 ? 2 * s + 1 : 0); /* odd lengths for floats */
            gaussian(x, n, 500u + (uint32_t)s + 97u * (uint32_t)type, s % 3 == 0 ? 1e-3f : 3.0f);
            if (s == 7) memset(x, 0, sizeof(float) * 256); /* an all-zero block */
            if (s == 8) { x[5] = 10; x[9] = -10; }         /* equal magnitudes of opposite sign */
            if (s == 9) { x[4] = 127.0f; x[3] = 62.5f; }   /* d = 1: a tie at .5 (Q8_0/Q8_1) */
            const size_t bytes = ingot_row_size(type, n);
            uint8_t *a = xmalloc(bytes), *b = xmalloc(bytes);
            t->from_float(x, a, n);
            ACT_TYPES[ai].ref(x, b, n);
            size_t diff = 0;
            for (size_t j = 0; j < bytes; ++j) diff += a[j] != b[j];
            if (ACT_TYPES[ai].exact) {
                if (diff) fail(name, "%zu of %zu bytes differ from the reference", diff, bytes);
                else ok(name, 0);
            } else {
                t->to_float(a, da, n);
                t->to_float(b, db, n);
                int bad = -1;
                for (int j = 0; j < n && bad < 0; ++j)
                    if (!(fabsf(da[j] - db[j]) <= fabsf(x[j]) * 0.02f + 0.02f)) bad = j;
                const double frac = (double)diff / (double)bytes;
                if (frac >= 0.01 || bad >= 0)
                    fail(name, "%zu of %zu bytes differ; first bad value %d", diff, bytes, bad);
                else ok(name, frac);
            }
            free(a); free(b);
        }
    }
    free(x); free(da); free(db);
}

static void check_matmul(int i) {
    const int type = TYPES[i].id;
    const ingot_type_traits *t = ingot_get_type_traits(type);
    const ingot_type_traits *a = t ? ingot_get_type_traits(t->vec_dot_type) : NULL;
    if (!t || !a) return;
    const int k = mm_k(t->block_size);
    const size_t row_bytes = ingot_row_size(type, k), xq_row = ingot_act_row_size(type, k);
    for (int si = 0; si < N_MM_SHAPES; ++si) {
        const int rows = MM_SHAPES[si].rows, r0 = MM_SHAPES[si].r0, r1 = MM_SHAPES[si].r1;
        float *wf = xmalloc(sizeof(float) * rows * k), *wd = xmalloc(sizeof(float) * rows * k);
        uint8_t *W = xmalloc(row_bytes * rows);
        gaussian(wf, rows * k, 9u + (uint32_t)type * 131u + (uint32_t)rows, 0.05f);
        quantize_weights(t, wf, W, (int64_t)rows * k);
        for (int r = 0; r < rows; ++r) t->to_float(W + (size_t)r * row_bytes, wd + (size_t)r * k, k);
        for (int nt = 1; nt <= MAX_TOKENS; ++nt) {
            char name[64];
            snprintf(name, sizeof name, "matmul/%s/rows=%d/tokens=%d", TYPES[i].name, rows, nt);
            const int ldy = rows + 3;
            float *x = xmalloc(sizeof(float) * nt * k), *xd = xmalloc(sizeof(float) * k);
            uint8_t *xq = xmalloc(xq_row * nt);
            float *Ys = xmalloc(sizeof(float) * nt * ldy), *Yr = xmalloc(sizeof(float) * nt * ldy);
            gaussian(x, nt * k, 31u * (uint32_t)nt + (uint32_t)type + 1000u * (uint32_t)rows, 1.0f);
            int rc = ingot_quantize_activations(type, x, k, nt, xq, xq_row, 0, nt);
            for (int j = 0; j < nt * ldy; ++j) Ys[j] = Yr[j] = NAN;
            if (!rc) rc = ingot_matmul_rows_impl(type, 1, W, row_bytes, k, xq, xq_row, nt, Ys, ldy, r0, r1);
            if (!rc) rc = ingot_matmul_rows_impl(type, 0, W, row_bytes, k, xq, xq_row, nt, Yr, ldy, r0, r1);
            double worst = 0;
            char why[200] = "";
            for (int tt = 0; tt < nt && !rc && !why[0]; ++tt) {
                const uint8_t *xr = xq + (size_t)tt * xq_row;
                a->to_float(xr, xd, k);
                for (int r = 0; r < ldy && !why[0]; ++r) {
                    const float ys = Ys[tt * ldy + r], yr = Yr[tt * ldy + r];
                    if (r < r0 || r >= r1) {
                        if (!isnan(ys) || !isnan(yr)) snprintf(why, sizeof why, "t=%d r=%d outside [%d,%d) written", tt, r, r0, r1);
                        continue;
                    }
                    float ds = NAN, dr = NAN;
                    t->vec_dot(k, &ds, W + (size_t)r * row_bytes, xr);
                    t->vec_dot_scalar(k, &dr, W + (size_t)r * row_bytes, xr);
                    if (memcmp(&ds, &ys, 4) || memcmp(&dr, &yr, 4)) {
                        snprintf(why, sizeof why, "t=%d r=%d matmul %.9g/%.9g != vec_dot %.9g/%.9g (simd/scalar)", tt, r, ys, yr, ds, dr);
                        break;
                    }
                    double mag = 0;
                    for (int j = 0; j < k; ++j) mag += fabs((double)wd[(size_t)r * k + j] * xd[j]);
                    const double e = fabs((double)ys - yr) / (mag > 1e-20 ? mag : 1e-20);
                    if (!(mag > 0) || !(e <= 1e-5)) snprintf(why, sizeof why, "t=%d r=%d simd=%.9g scalar=%.9g relerr=%.3g", tt, r, ys, yr, e);
                    if (e > worst) worst = e;
                }
            }
            if (rc) fail(name, "rc=%d", rc);
            else if (why[0]) fail(name, "%s", why);
            else ok(name, worst);
            free(x); free(xd); free(xq); free(Ys); free(Yr);
        }
        free(wf); free(wd); free(W);
    }
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
#if defined(__ARM_FEATURE_DOTPROD)
    const int dotprod = 1;
#else
    const int dotprod = 0;
#endif
    const int plan = planned();
    printf("plan %d simd=%s dotprod=%d\n", plan, ingot_simd_name(), dotprod);
    for (int i = 0; i < N_TYPES; ++i) {
        check_wiring(i);
        check_vec_dot(i);
        check_matmul(i);
    }
    check_act_quantizers();
    printf("done %d/%d\n", g_run - g_failed, plan);
    if (g_run != plan) fprintf(stderr, "ran %d checks, planned %d\n", g_run, plan);
    return g_failed || g_run != plan ? 1 : 0;
}
