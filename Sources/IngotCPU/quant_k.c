/*
 * quant_k.c — K-quants (256-value super-blocks): Q2_K, Q3_K, Q4_K, Q5_K, Q6_K and the Q8_K
 * activation type. Reference quantizers follow ggml's quantize_row_*_ref (no importance matrix):
 * same searches (make_qx_quants / make_q3_quants / make_qkx2_quants), same float evaluation
 * order and the same round-half-even nearest_int, so our files match what llama-quantize writes.
 * Dequantizers and scalar dot products are the portable reference for the SIMD kernels.
 */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "ingot_fp16.h"
#include "ingot_kernels_impl.h"
#include "ingot_quant_blocks.h"

#define QK_K INGOT_QK_K
#define GROUP_MAX_EPS 1e-15f
#define nearest_int ingot_nearest_int
#define make_qx_quants ingot_make_qx_quants
#define make_q3_quants ingot_make_q3_quants
#define make_qkx2_quants ingot_make_qkx2_quants
#define IMAX(a, b) ((a) > (b) ? (a) : (b))
#define IMIN(a, b) ((a) < (b) ? (a) : (b))

/* packs four 2-bit planes: byte l of each 32-byte group holds values l, l+32, l+64, l+96 */
static void pack_2bit(const uint8_t *L, uint8_t *qs) {
    for (int j = 0; j < QK_K; j += 128)
        for (int l = 0; l < 32; ++l)
            qs[j / 4 + l] = (uint8_t)(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
}

/* ================= Q2_K ================= */
void ingot_quant_q2_K_ref(const float *x, void *dst, int64_t n) {
    ingot_block_q2_K *y = dst;
    uint8_t L[QK_K], Laux[16];
    float weights[16], mins[QK_K / 16], scales[QK_K / 16];
    const float q4scale = 15.f;
    for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
        float max_scale = 0, max_min = 0;
        for (int j = 0; j < QK_K / 16; ++j) {
            for (int l = 0; l < 16; ++l) weights[l] = fabsf(x[16 * j + l]);
            scales[j] = make_qkx2_quants(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], Laux, -0.5f, 0.1f, 15, true);
            if (scales[j] > max_scale) max_scale = scales[j];
            if (mins[j] > max_min) max_min = mins[j];
        }
        if (max_scale > 0) {
            const float iscale = q4scale / max_scale;
            for (int j = 0; j < QK_K / 16; ++j) y[i].scales[j] = (uint8_t)nearest_int(iscale * scales[j]);
            y[i].d = ingot_fp32_to_fp16(max_scale / q4scale);
        } else {
            memset(y[i].scales, 0, 16);
            y[i].d = ingot_fp32_to_fp16(0.f);
        }
        if (max_min > 0) {
            const float iscale = q4scale / max_min;
            for (int j = 0; j < QK_K / 16; ++j) y[i].scales[j] |= (uint8_t)(nearest_int(iscale * mins[j]) << 4);
            y[i].dmin = ingot_fp32_to_fp16(max_min / q4scale);
        } else {
            y[i].dmin = ingot_fp32_to_fp16(0.f);
        }
        for (int j = 0; j < QK_K / 16; ++j) {
            const float d = ingot_fp16_to_fp32(y[i].d) * (y[i].scales[j] & 0xF);
            if (!d) continue;
            const float dm = ingot_fp16_to_fp32(y[i].dmin) * (y[i].scales[j] >> 4);
            for (int ii = 0; ii < 16; ++ii) {
                const int l = nearest_int((x[16 * j + ii] + dm) / d);
                L[16 * j + ii] = (uint8_t)IMAX(0, IMIN(3, l));
            }
        }
        pack_2bit(L, y[i].qs);
    }
}

void ingot_dequant_q2_K(const void *src, float *y, int64_t n) {
    const ingot_block_q2_K *x = src;
    for (int64_t i = 0; i < n / QK_K; ++i) {
        const float d = ingot_fp16_to_fp32(x[i].d), min = ingot_fp16_to_fp32(x[i].dmin);
        const uint8_t *q = x[i].qs;
        int is = 0;
        for (int c = 0; c < QK_K; c += 128, q += 32) {
            for (int shift = 0; shift < 8; shift += 2) {
                for (int half = 0; half < 2; ++half) {
                    const uint8_t sc = x[i].scales[is++];
                    const float dl = d * (sc & 0xF), ml = min * (sc >> 4);
                    for (int l = 0; l < 16; ++l) *y++ = dl * ((q[l + 16 * half] >> shift) & 3) - ml;
                }
            }
        }
    }
}

void ingot_dot_q2_K_scalar(int n, float *s, const void *w, const void *xv) {
    const ingot_block_q2_K *x = w;
    const ingot_block_q8_K *y = xv;
    float sumf = 0;
    for (int i = 0; i < n / QK_K; ++i) {
        int summs = 0;
        for (int j = 0; j < 16; ++j) summs += y[i].bsums[j] * (x[i].scales[j] >> 4);
        const float dall = y[i].d * ingot_fp16_to_fp32(x[i].d);
        const float dmin = y[i].d * ingot_fp16_to_fp32(x[i].dmin);
        const uint8_t *q2 = x[i].qs;
        const int8_t *q8 = y[i].qs;
        int isum = 0, is = 0;
        for (int c = 0; c < QK_K / 128; ++c, q2 += 32) {
            for (int shift = 0; shift < 8; shift += 2) {
                for (int half = 0; half < 2; ++half, q8 += 16) {
                    int sub = 0;
                    for (int l = 0; l < 16; ++l) sub += q8[l] * ((q2[l + 16 * half] >> shift) & 3);
                    isum += (x[i].scales[is++] & 0xF) * sub;
                }
            }
        }
        sumf += dall * isum - dmin * summs;
    }
    *s = sumf;
}

/* ================= Q3_K ================= */
void ingot_quant_q3_K_ref(const float *x, void *dst, int64_t n) {
    ingot_block_q3_K *y = dst;
    int8_t L[QK_K];
    float scales[QK_K / 16];
    for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
        float max_scale = 0, amax = 0;
        for (int j = 0; j < QK_K / 16; ++j) {
            scales[j] = make_q3_quants(16, 4, x + 16 * j, L + 16 * j);
            const float a = fabsf(scales[j]);
            if (a > amax) { amax = a; max_scale = scales[j]; }
        }
        memset(y[i].scales, 0, 12);
        if (max_scale) {
            const float iscale = -32.f / max_scale;
            for (int j = 0; j < QK_K / 16; ++j) {
                int8_t l = (int8_t)nearest_int(iscale * scales[j]);
                l = (int8_t)(IMAX(-32, IMIN(31, l)) + 32);
                if (j < 8) y[i].scales[j] = l & 0xF;
                else y[i].scales[j - 8] |= (uint8_t)((l & 0xF) << 4);
                l >>= 4;
                y[i].scales[j % 4 + 8] |= (uint8_t)(l << (2 * (j / 4)));
            }
            y[i].d = ingot_fp32_to_fp16(1 / iscale);
        } else {
            y[i].d = ingot_fp32_to_fp16(0.f);
        }
        int8_t sc[16];
        ingot_q3k_scales(y[i].scales, sc);
        for (int j = 0; j < QK_K / 16; ++j) {
            const float d = ingot_fp16_to_fp32(y[i].d) * sc[j];
            if (!d) continue;
            for (int ii = 0; ii < 16; ++ii) {
                const int l = nearest_int(x[16 * j + ii] / d);
                L[16 * j + ii] = (int8_t)(IMAX(-4, IMIN(3, l)) + 4);
            }
        }
        memset(y[i].hmask, 0, QK_K / 8);
        int m = 0;
        uint8_t hm = 1;
        for (int j = 0; j < QK_K; ++j) {
            if (L[j] > 3) {
                y[i].hmask[m] |= hm;
                L[j] -= 4;
            }
            if (++m == QK_K / 8) { m = 0; hm <<= 1; }
        }
        pack_2bit((const uint8_t *)L, y[i].qs);
    }
}

void ingot_dequant_q3_K(const void *src, float *y, int64_t n) {
    const ingot_block_q3_K *x = src;
    for (int64_t i = 0; i < n / QK_K; ++i) {
        const float d_all = ingot_fp16_to_fp32(x[i].d);
        int8_t sc[16];
        ingot_q3k_scales(x[i].scales, sc);
        const uint8_t *q = x[i].qs, *hm = x[i].hmask;
        uint8_t m = 1;
        int is = 0;
        for (int c = 0; c < QK_K; c += 128, q += 32) {
            for (int shift = 0; shift < 8; shift += 2, m <<= 1) {
                for (int half = 0; half < 2; ++half) {
                    const float dl = d_all * sc[is++];
                    for (int l = 16 * half; l < 16 * half + 16; ++l)
                        *y++ = dl * (((q[l] >> shift) & 3) - ((hm[l] & m) ? 0 : 4));
                }
            }
        }
    }
}

void ingot_dot_q3_K_scalar(int n, float *s, const void *w, const void *xv) {
    const ingot_block_q3_K *x = w;
    const ingot_block_q8_K *y = xv;
    float sumf = 0;
    for (int i = 0; i < n / QK_K; ++i) {
        int8_t sc[16];
        ingot_q3k_scales(x[i].scales, sc);
        int isum = 0;
        for (int g = 0; g < 16; ++g) {
            /* group g: chunk g/8 (32 bytes of qs), 2-bit plane (g%8)/2, bytes 16*(g%2).. */
            const int c = g / 8, plane = (g % 8) / 2, off = 16 * (g % 2);
            const uint8_t *q = x[i].qs + 32 * c;
            const int hbit = 4 * c + plane;
            const int8_t *q8 = y[i].qs + 16 * g;
            int sub = 0;
            for (int l = 0; l < 16; ++l) {
                const int lo = (q[off + l] >> (2 * plane)) & 3;
                const int hi = (x[i].hmask[off + l] >> hbit) & 1;
                sub += q8[l] * (lo - (hi ? 0 : 4));
            }
            isum += sc[g] * sub;
        }
        sumf += ingot_fp16_to_fp32(x[i].d) * y[i].d * isum;
    }
    *s = sumf;
}

/* ================= Q4_K / Q5_K shared scale packing ================= */
static void pack_k4_scales(const float *scales, const float *mins, uint8_t *out, uint16_t *d, uint16_t *dmin) {
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < 8; ++j) {
        if (scales[j] > max_scale) max_scale = scales[j];
        if (mins[j] > max_min) max_min = mins[j];
    }
    const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
    const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
    for (int j = 0; j < 8; ++j) {
        uint8_t ls = (uint8_t)nearest_int(inv_scale * scales[j]);
        uint8_t lm = (uint8_t)nearest_int(inv_min * mins[j]);
        ls = IMIN(63, ls);
        lm = IMIN(63, lm);
        if (j < 4) {
            out[j] = ls;
            out[j + 4] = lm;
        } else {
            out[j + 4] = (uint8_t)((ls & 0xF) | ((lm & 0xF) << 4));
            out[j - 4] |= (uint8_t)((ls >> 4) << 6);
            out[j] |= (uint8_t)((lm >> 4) << 6);
        }
    }
    *d = ingot_fp32_to_fp16(max_scale / 63.f);
    *dmin = ingot_fp32_to_fp16(max_min / 63.f);
}

static void quant_k4_values(const float *x, int nmax, float rmin, float rdelta, int nstep, uint8_t *scales_out,
                            uint16_t *d_out, uint16_t *dmin_out, uint8_t *L) {
    uint8_t Laux[32];
    float weights[32], mins[8], scales[8];
    for (int j = 0; j < 8; ++j) {
        float sum_x2 = 0;
        for (int l = 0; l < 32; ++l) sum_x2 += x[32 * j + l] * x[32 * j + l];
        const float av_x = sqrtf(sum_x2 / 32);
        for (int l = 0; l < 32; ++l) weights[l] = av_x + fabsf(x[32 * j + l]);
        scales[j] = make_qkx2_quants(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, rmin, rdelta, nstep, false);
    }
    pack_k4_scales(scales, mins, scales_out, d_out, dmin_out);
    for (int j = 0; j < 8; ++j) {
        uint8_t sc, m;
        ingot_k4_scale_min(j, scales_out, &sc, &m);
        const float d = ingot_fp16_to_fp32(*d_out) * sc;
        if (!d) continue;
        const float dm = ingot_fp16_to_fp32(*dmin_out) * m;
        for (int ii = 0; ii < 32; ++ii) {
            const int l = nearest_int((x[32 * j + ii] + dm) / d);
            L[32 * j + ii] = (uint8_t)IMAX(0, IMIN(nmax, l));
        }
    }
}

/* ================= Q4_K ================= */
void ingot_quant_q4_K_ref(const float *x, void *dst, int64_t n) {
    ingot_block_q4_K *y = dst;
    uint8_t L[QK_K];
    for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
        quant_k4_values(x, 15, -1.f, 0.1f, 20, y[i].scales, &y[i].d, &y[i].dmin, L);
        uint8_t *q = y[i].qs;
        for (int j = 0; j < QK_K; j += 64, q += 32)
            for (int l = 0; l < 32; ++l) q[l] = (uint8_t)(L[j + l] | (L[j + l + 32] << 4));
    }
}

void ingot_dequant_q4_K(const void *src, float *y, int64_t n) {
    const ingot_block_q4_K *x = src;
    for (int64_t i = 0; i < n / QK_K; ++i) {
        const uint8_t *q = x[i].qs;
        const float d = ingot_fp16_to_fp32(x[i].d), min = ingot_fp16_to_fp32(x[i].dmin);
        for (int j = 0; j < 4; ++j, q += 32) {
            uint8_t sc, m;
            ingot_k4_scale_min(2 * j, x[i].scales, &sc, &m);
            const float d1 = d * sc, m1 = min * m;
            ingot_k4_scale_min(2 * j + 1, x[i].scales, &sc, &m);
            const float d2 = d * sc, m2 = min * m;
            for (int l = 0; l < 32; ++l) *y++ = d1 * (q[l] & 0xF) - m1;
            for (int l = 0; l < 32; ++l) *y++ = d2 * (q[l] >> 4) - m2;
        }
    }
}

void ingot_dot_q4_K_scalar(int n, float *s, const void *w, const void *xv) {
    const ingot_block_q4_K *x = w;
    const ingot_block_q8_K *y = xv;
    float sumf = 0;
    for (int i = 0; i < n / QK_K; ++i) {
        const uint8_t *q4 = x[i].qs;
        const int8_t *q8 = y[i].qs;
        int isum = 0, summ = 0;
        for (int j = 0; j < 8; ++j) {
            uint8_t sc, m;
            ingot_k4_scale_min(j, x[i].scales, &sc, &m);
            summ += m * (y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]);
            const int shift = (j & 1) * 4;
            const uint8_t *qq = q4 + 32 * (j / 2);
            int sub = 0;
            for (int l = 0; l < 32; ++l) sub += ((qq[l] >> shift) & 0xF) * q8[32 * j + l];
            isum += sc * sub;
        }
        const float d = ingot_fp16_to_fp32(x[i].d) * y[i].d;
        const float dmin = ingot_fp16_to_fp32(x[i].dmin) * y[i].d;
        sumf += d * isum - dmin * summ;
    }
    *s = sumf;
}

/* ================= Q5_K ================= */
void ingot_quant_q5_K_ref(const float *x, void *dst, int64_t n) {
    ingot_block_q5_K *y = dst;
    uint8_t L[QK_K];
    for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
        quant_k4_values(x, 31, -0.5f, 0.1f, 15, y[i].scales, &y[i].d, &y[i].dmin, L);
        uint8_t *qh = y[i].qh, *ql = y[i].qs;
        memset(qh, 0, QK_K / 8);
        uint8_t m1 = 1, m2 = 2;
        for (int c = 0; c < QK_K; c += 64, ql += 32, m1 <<= 2, m2 <<= 2) {
            for (int j = 0; j < 32; ++j) {
                int l1 = L[c + j], l2 = L[c + j + 32];
                if (l1 > 15) { l1 -= 16; qh[j] |= m1; }
                if (l2 > 15) { l2 -= 16; qh[j] |= m2; }
                ql[j] = (uint8_t)(l1 | (l2 << 4));
            }
        }
    }
}

void ingot_dequant_q5_K(const void *src, float *y, int64_t n) {
    const ingot_block_q5_K *x = src;
    for (int64_t i = 0; i < n / QK_K; ++i) {
        const uint8_t *ql = x[i].qs, *qh = x[i].qh;
        const float d = ingot_fp16_to_fp32(x[i].d), min = ingot_fp16_to_fp32(x[i].dmin);
        uint8_t u1 = 1, u2 = 2;
        for (int j = 0; j < 4; ++j, ql += 32, u1 <<= 2, u2 <<= 2) {
            uint8_t sc, m;
            ingot_k4_scale_min(2 * j, x[i].scales, &sc, &m);
            const float d1 = d * sc, m1 = min * m;
            ingot_k4_scale_min(2 * j + 1, x[i].scales, &sc, &m);
            const float d2 = d * sc, m2 = min * m;
            for (int l = 0; l < 32; ++l) *y++ = d1 * ((ql[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
            for (int l = 0; l < 32; ++l) *y++ = d2 * ((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
        }
    }
}

void ingot_dot_q5_K_scalar(int n, float *s, const void *w, const void *xv) {
    const ingot_block_q5_K *x = w;
    const ingot_block_q8_K *y = xv;
    float sumf = 0;
    for (int i = 0; i < n / QK_K; ++i) {
        const int8_t *q8 = y[i].qs;
        int isum = 0, summ = 0;
        for (int j = 0; j < 8; ++j) {
            uint8_t sc, m;
            ingot_k4_scale_min(j, x[i].scales, &sc, &m);
            summ += m * (y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]);
            const int shift = (j & 1) * 4;
            const uint8_t *ql = x[i].qs + 32 * (j / 2);
            int sub = 0;
            for (int l = 0; l < 32; ++l) {
                const int q = ((ql[l] >> shift) & 0xF) | (((x[i].qh[l] >> j) & 1) << 4);
                sub += q * q8[32 * j + l];
            }
            isum += sc * sub;
        }
        const float d = ingot_fp16_to_fp32(x[i].d) * y[i].d;
        const float dmin = ingot_fp16_to_fp32(x[i].dmin) * y[i].d;
        sumf += d * isum - dmin * summ;
    }
    *s = sumf;
}

/* ================= Q6_K ================= */
void ingot_quant_q6_K_ref(const float *x, void *dst, int64_t n) {
    ingot_block_q6_K *y = dst;
    int8_t L[QK_K];
    float scales[QK_K / 16];
    for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
        float max_scale = 0, max_abs_scale = 0;
        for (int ib = 0; ib < QK_K / 16; ++ib) {
            const float scale = make_qx_quants(16, 32, x + 16 * ib, L + 16 * ib, 1);
            scales[ib] = scale;
            if (fabsf(scale) > max_abs_scale) { max_abs_scale = fabsf(scale); max_scale = scale; }
        }
        if (max_abs_scale < GROUP_MAX_EPS) {
            memset(&y[i], 0, sizeof(ingot_block_q6_K));
            y[i].d = ingot_fp32_to_fp16(0.f);
            continue;
        }
        const float iscale = -128.f / max_scale;
        y[i].d = ingot_fp32_to_fp16(1 / iscale);
        for (int ib = 0; ib < QK_K / 16; ++ib) y[i].scales[ib] = (int8_t)IMIN(127, nearest_int(iscale * scales[ib]));
        for (int j = 0; j < QK_K / 16; ++j) {
            const float d = ingot_fp16_to_fp32(y[i].d) * y[i].scales[j];
            if (!d) continue;
            for (int ii = 0; ii < 16; ++ii) {
                const int l = nearest_int(x[16 * j + ii] / d);
                L[16 * j + ii] = (int8_t)(IMAX(-32, IMIN(31, l)) + 32);
            }
        }
        uint8_t *ql = y[i].ql, *qh = y[i].qh;
        for (int j = 0; j < QK_K; j += 128, ql += 64, qh += 32) {
            for (int l = 0; l < 32; ++l) {
                const uint8_t a = (uint8_t)L[j + l], b = (uint8_t)L[j + l + 32];
                const uint8_t c = (uint8_t)L[j + l + 64], e = (uint8_t)L[j + l + 96];
                ql[l] = (uint8_t)((a & 0xF) | ((c & 0xF) << 4));
                ql[l + 32] = (uint8_t)((b & 0xF) | ((e & 0xF) << 4));
                qh[l] = (uint8_t)((a >> 4) | ((b >> 4) << 2) | ((c >> 4) << 4) | ((e >> 4) << 6));
            }
        }
    }
}

/* value l (0..255) of a Q6_K block, in [-32, 31] */
static inline int q6k_value(const ingot_block_q6_K *b, int idx) {
    const int c = idx / 128, r = idx % 128, quarter = r / 32, l = r % 32;
    const uint8_t *ql = b->ql + 64 * c, *qh = b->qh + 32 * c;
    const int lo = (quarter & 1) ? ql[l + 32] : ql[l];
    const int nib = (quarter >> 1) ? (lo >> 4) : (lo & 0xF);
    return (nib | (((qh[l] >> (2 * quarter)) & 3) << 4)) - 32;
}

void ingot_dequant_q6_K(const void *src, float *y, int64_t n) {
    const ingot_block_q6_K *x = src;
    for (int64_t i = 0; i < n / QK_K; ++i, y += QK_K) {
        const float d = ingot_fp16_to_fp32(x[i].d);
        for (int j = 0; j < QK_K; ++j) y[j] = d * x[i].scales[j / 16] * q6k_value(&x[i], j);
    }
}

void ingot_dot_q6_K_scalar(int n, float *s, const void *w, const void *xv) {
    const ingot_block_q6_K *x = w;
    const ingot_block_q8_K *y = xv;
    float sumf = 0;
    for (int i = 0; i < n / QK_K; ++i) {
        int isum = 0;
        for (int g = 0; g < 16; ++g) {
            int sub = 0;
            for (int l = 0; l < 16; ++l) sub += q6k_value(&x[i], 16 * g + l) * y[i].qs[16 * g + l];
            isum += x[i].scales[g] * sub;
        }
        sumf += ingot_fp16_to_fp32(x[i].d) * y[i].d * isum;
    }
    *s = sumf;
}

/* ================= Q8_K (activations of the K-quants) ================= */
void ingot_quant_q8_K_ref(const float *x, void *dst, int64_t n) {
    ingot_block_q8_K *y = dst;
    for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
        float max = 0, amax = 0;
        for (int j = 0; j < QK_K; ++j) {
            const float ax = fabsf(x[j]);
            if (ax > amax) { amax = ax; max = x[j]; }
        }
        if (!amax) {
            y[i].d = 0;
            memset(y[i].qs, 0, QK_K);
            memset(y[i].bsums, 0, sizeof(y[i].bsums));
            continue;
        }
        const float iscale = -127.f / max;
        for (int j = 0; j < QK_K; ++j) {
            const int v = nearest_int(iscale * x[j]);
            y[i].qs[j] = (int8_t)IMIN(127, v);
        }
        for (int j = 0; j < QK_K / 16; ++j) {
            int sum = 0;
            for (int ii = 0; ii < 16; ++ii) sum += y[i].qs[j * 16 + ii];
            y[i].bsums[j] = (int16_t)sum;
        }
        y[i].d = 1 / iscale;
    }
}

void ingot_quant_q8_K(const float *x, void *dst, int64_t n) {
#if defined(INGOT_HAVE_AVX2)
    ingot_quant_q8_K_avx2(x, dst, n);
#else
    ingot_quant_q8_K_ref(x, dst, n);
#endif
}

void ingot_dequant_q8_K(const void *src, float *y, int64_t n) {
    const ingot_block_q8_K *x = src;
    for (int64_t i = 0; i < n / QK_K; ++i, y += QK_K)
        for (int j = 0; j < QK_K; ++j) y[j] = x[i].d * x[i].qs[j];
}

void ingot_dot_q8_K_scalar(int n, float *s, const void *w, const void *xv) {
    const ingot_block_q8_K *x = w, *y = xv;
    float sumf = 0;
    for (int i = 0; i < n / QK_K; ++i) {
        int sumi = 0;
        for (int j = 0; j < QK_K; ++j) sumi += x[i].qs[j] * y[i].qs[j];
        sumf += x[i].d * y[i].d * sumi;
    }
    *s = sumf;
}
