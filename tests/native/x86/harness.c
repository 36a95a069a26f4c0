/*
 * harness.c — checks the eight-row layouts (Sources/IngotCPU/repack*.c) in an x86 build compiled with
 * other flags than the host's: tests/native/x86-builds.test.ts builds it with plain AVX2 (no AVX-512,
 * no VNNI: dpbusd falls back to maddubs + madd) and with no AVX2 at all (no layouts).
 *
 * Output: "layouts <ids offered>" then one line per check, "ok <name> <err>" or "FAIL <name> <details>",
 * then "done <passed>/<run>"; exit status 1 if any check failed. For each file type that has a layout
 * in this build, for 1..9 tokens on rows [8, 24) of 24: rows outside untouched, each token's outputs
 * bit-identical to that token alone, and within 1e-5 * sum |w*x| of the scalar dot over the file's layout.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingot_kernels.h"
#include "ingot_repack.h"

static int g_run, g_failed;

static void gaussian(float *x, int n, uint32_t seed, float sigma) {
    for (int i = 0; i < n; i += 2) {
        seed = seed * 1664525u + 1013904223u;
        const double u = ((seed >> 8) + 1.0) / 16777217.0;
        seed = seed * 1664525u + 1013904223u;
        const double v = (seed >> 8) / 16777216.0;
        const double r = sqrt(-2 * log(u)) * sigma;
        x[i] = (float)(r * cos(6.283185307179586 * v));
        if (i + 1 < n) x[i + 1] = (float)(r * sin(6.283185307179586 * v));
    }
}

static void check(int type, const char *name) {
    const ingot_type_traits *t = ingot_get_type_traits(type);
    const int rows = 24, r0 = 8, r1 = 24, k = t->block_size == 32 ? 352 : 768, ldy = rows + 1;
    const int layout = ingot_repacked_layout(type, rows, k);
    if (!layout) return;
    const size_t row_bytes = ingot_row_size(type, k), xq_row = ingot_act_row_size(type, k);
    float *wf = malloc(sizeof(float) * rows * k), *x = malloc(sizeof(float) * 9 * k);
    uint8_t *W = malloc(row_bytes * rows), *P = malloc(ingot_repacked_bytes(layout, rows, k)), *xq = malloc(xq_row * 9);
    float *Y = malloc(sizeof(float) * 9 * ldy), *alone = malloc(sizeof(float) * ldy);
    gaussian(wf, rows * k, 7u + (uint32_t)type, 0.05f);
    t->quantize_ref(wf, W, (int64_t)rows * k);
    int rc = ingot_repack(layout, W, row_bytes, rows, k, P);
    for (int nt = 1; nt <= 9 && !rc; ++nt) {
        char label[64], why[200] = "";
        snprintf(label, sizeof label, "x8/%s/tokens=%d", name, nt);
        gaussian(x, nt * k, 100u * (uint32_t)nt + (uint32_t)type, 1.0f);
        rc = ingot_quantize_activations(type, x, k, nt, xq, xq_row, 0, nt);
        for (int j = 0; j < nt * ldy; ++j) Y[j] = NAN;
        if (!rc) rc = ingot_matmul_rows(layout, P, row_bytes, k, xq, xq_row, nt, Y, ldy, r0, r1);
        double worst = 0;
        for (int tt = 0; tt < nt && !rc && !why[0]; ++tt) {
            const uint8_t *xr = xq + (size_t)tt * xq_row;
            for (int j = 0; j < ldy; ++j) alone[j] = NAN;
            rc = ingot_matmul_rows(layout, P, row_bytes, k, xr, xq_row, 1, alone, ldy, r0, r1);
            for (int r = 0; r < ldy && !rc && !why[0]; ++r) {
                const float y = Y[tt * ldy + r];
                if (r < r0 || r >= r1) {
                    if (!isnan(y)) snprintf(why, sizeof why, "t=%d r=%d outside [%d,%d) written", tt, r, r0, r1);
                    continue;
                }
                if (memcmp(&y, &alone[r], 4)) snprintf(why, sizeof why, "t=%d r=%d %.9g != one token alone %.9g", tt, r, y, alone[r]);
                float ref = NAN;
                t->vec_dot_scalar(k, &ref, W + (size_t)r * row_bytes, xr);
                float *wd = malloc(sizeof(float) * k), *xd = malloc(sizeof(float) * k);
                t->to_float(W + (size_t)r * row_bytes, wd, k);
                ingot_get_type_traits(t->vec_dot_type)->to_float(xr, xd, k);
                double mag = 0;
                for (int j = 0; j < k; ++j) mag += fabs((double)wd[j] * xd[j]);
                free(wd); free(xd);
                const double e = fabs((double)y - ref) / (mag > 1e-20 ? mag : 1e-20);
                if (!why[0] && !(e <= 1e-5)) snprintf(why, sizeof why, "t=%d r=%d x8 %.9g scalar %.9g relerr %.3g", tt, r, y, ref, e);
                if (e > worst) worst = e;
            }
        }
        g_run++;
        if (rc || why[0]) { g_failed++; printf("FAIL %s rc=%d %s\n", label, rc, why); }
        else printf("ok %s %.3g\n", label, worst);
    }
    free(wf); free(x); free(W); free(P); free(xq); free(Y); free(alone);
}

int main(void) {
    static const struct { int type; const char *name; } TYPES[] = {
        { INGOT_TYPE_Q4_0, "Q4_0" }, { INGOT_TYPE_Q5_0, "Q5_0" }, { INGOT_TYPE_Q4_1, "Q4_1" },
        { INGOT_TYPE_Q5_1, "Q5_1" }, { INGOT_TYPE_Q8_0, "Q8_0" }, { INGOT_TYPE_Q2_K, "Q2_K" },
        { INGOT_TYPE_Q3_K, "Q3_K" }, { INGOT_TYPE_Q4_K, "Q4_K" },
        { INGOT_TYPE_Q5_K, "Q5_K" }, { INGOT_TYPE_Q6_K, "Q6_K" },
    };
    const int n = (int)(sizeof TYPES / sizeof TYPES[0]);
    printf("layouts");
    for (int i = 0; i < n; ++i)
        if (ingot_repacked_layout(TYPES[i].type, 24, 768)) printf(" %s", TYPES[i].name);
    printf("\n");
    for (int i = 0; i < n; ++i) check(TYPES[i].type, TYPES[i].name);
    printf("done %d/%d\n", g_run - g_failed, g_run);
    return g_failed ? 1 : 0;
}
