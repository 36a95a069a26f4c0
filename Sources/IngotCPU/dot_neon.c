/*
 * dot_neon.c — NEON (AArch64) dot products for F32, F16, Q4_0, Q8_0, Q4_K and Q6_K, and the Q8_0
 * activation quantizer (round to nearest even, like ggml's NEON from_float). Uses the dot-product
 * extension (SDOT) when compiled in, widening multiplies otherwise. Other types use the scalar path.
 */
#include "ingot_fp16.h"
#include "ingot_kernels_impl.h"
#include "ingot_quant_blocks.h"

#if defined(INGOT_HAVE_NEON)
#include <arm_neon.h>
#include <math.h>

static inline int32x4_t dot_i8x16(int32x4_t acc, int8x16_t a, int8x16_t b) {
#if defined(__ARM_FEATURE_DOTPROD)
    return vdotq_s32(acc, a, b);
#else
    const int16x8_t lo = vmull_s8(vget_low_s8(a), vget_low_s8(b));
    const int16x8_t hi = vmull_high_s8(a, b);
    return vpadalq_s16(vpadalq_s16(acc, lo), hi);
#endif
}

void ingot_dot_f32_neon(int n, float *s, const void *w, const void *x) {
    const float *a = w, *b = x;
    float32x4_t acc0 = vdupq_n_f32(0), acc1 = vdupq_n_f32(0), acc2 = vdupq_n_f32(0), acc3 = vdupq_n_f32(0);
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = vfmaq_f32(acc0, vld1q_f32(a + i), vld1q_f32(b + i));
        acc1 = vfmaq_f32(acc1, vld1q_f32(a + i + 4), vld1q_f32(b + i + 4));
        acc2 = vfmaq_f32(acc2, vld1q_f32(a + i + 8), vld1q_f32(b + i + 8));
        acc3 = vfmaq_f32(acc3, vld1q_f32(a + i + 12), vld1q_f32(b + i + 12));
    }
    for (; i + 4 <= n; i += 4) acc0 = vfmaq_f32(acc0, vld1q_f32(a + i), vld1q_f32(b + i));
    double sum = vaddvq_f32(vaddq_f32(vaddq_f32(acc0, acc1), vaddq_f32(acc2, acc3)));
    for (; i < n; ++i) sum += (double)(a[i] * b[i]);
    *s = (float)sum;
}

static inline float32x4_t load_f16x4(const uint16_t *p) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p))); }

void ingot_dot_f16_neon(int n, float *s, const void *w, const void *x) {
    const uint16_t *a = w, *b = x;
    float32x4_t acc0 = vdupq_n_f32(0), acc1 = vdupq_n_f32(0), acc2 = vdupq_n_f32(0), acc3 = vdupq_n_f32(0);
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = vfmaq_f32(acc0, load_f16x4(a + i), load_f16x4(b + i));
        acc1 = vfmaq_f32(acc1, load_f16x4(a + i + 4), load_f16x4(b + i + 4));
        acc2 = vfmaq_f32(acc2, load_f16x4(a + i + 8), load_f16x4(b + i + 8));
        acc3 = vfmaq_f32(acc3, load_f16x4(a + i + 12), load_f16x4(b + i + 12));
    }
    for (; i + 4 <= n; i += 4) acc0 = vfmaq_f32(acc0, load_f16x4(a + i), load_f16x4(b + i));
    double sum = vaddvq_f32(vaddq_f32(vaddq_f32(acc0, acc1), vaddq_f32(acc2, acc3)));
    for (; i < n; ++i) sum += (double)(ingot_fp16_to_fp32(a[i]) * ingot_fp16_to_fp32(b[i]));
    *s = (float)sum;
}

void ingot_quant_q8_0_neon(const float *x, void *dst, int64_t n) {
    ingot_block_q8_0 *y = dst;
    for (int64_t i = 0; i < n / 32; ++i, x += 32) {
        float32x4_t v[8];
        float32x4_t am = vdupq_n_f32(0);
        for (int j = 0; j < 8; ++j) {
            v[j] = vld1q_f32(x + 4 * j);
            am = vmaxq_f32(am, vabsq_f32(v[j]));
        }
        const float amax = vmaxvq_f32(am);
        const float d = amax / 127.0f;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = ingot_fp32_to_fp16(d);
        for (int j = 0; j < 8; ++j) {
            const int32x4_t q = vcvtnq_s32_f32(vmulq_n_f32(v[j], id));
            y[i].qs[4 * j + 0] = (int8_t)vgetq_lane_s32(q, 0);
            y[i].qs[4 * j + 1] = (int8_t)vgetq_lane_s32(q, 1);
            y[i].qs[4 * j + 2] = (int8_t)vgetq_lane_s32(q, 2);
            y[i].qs[4 * j + 3] = (int8_t)vgetq_lane_s32(q, 3);
        }
    }
}

void ingot_dot_q8_0_neon(int n, float *s, const void *w, const void *xv) {
    const ingot_block_q8_0 *x = w, *y = xv;
    float32x4_t acc = vdupq_n_f32(0);
    for (int i = 0; i < n / 32; ++i) {
        int32x4_t p = vdupq_n_s32(0);
        p = dot_i8x16(p, vld1q_s8(x[i].qs), vld1q_s8(y[i].qs));
        p = dot_i8x16(p, vld1q_s8(x[i].qs + 16), vld1q_s8(y[i].qs + 16));
        acc = vfmaq_n_f32(acc, vcvtq_f32_s32(p), ingot_fp16_to_fp32(x[i].d) * ingot_fp16_to_fp32(y[i].d));
    }
    *s = vaddvq_f32(acc);
}

void ingot_dot_q4_0_neon(int n, float *s, const void *w, const void *xv) {
    const ingot_block_q4_0 *x = w;
    const ingot_block_q8_0 *y = xv;
    const uint8x16_t m4 = vdupq_n_u8(0x0F);
    const int8x16_t s8 = vdupq_n_s8(8);
    float32x4_t acc = vdupq_n_f32(0);
    for (int i = 0; i < n / 32; ++i) {
        const uint8x16_t v = vld1q_u8(x[i].qs);
        const int8x16_t lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(v, m4)), s8);
        const int8x16_t hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(v, 4)), s8);
        int32x4_t p = vdupq_n_s32(0);
        p = dot_i8x16(p, lo, vld1q_s8(y[i].qs));
        p = dot_i8x16(p, hi, vld1q_s8(y[i].qs + 16));
        acc = vfmaq_n_f32(acc, vcvtq_f32_s32(p), ingot_fp16_to_fp32(x[i].d) * ingot_fp16_to_fp32(y[i].d));
    }
    *s = vaddvq_f32(acc);
}

void ingot_dot_q4_K_neon(int n, float *s, const void *w, const void *xv) {
    const ingot_block_q4_K *x = w;
    const ingot_block_q8_K *y = xv;
    const uint8x16_t m4 = vdupq_n_u8(0x0F);
    float sumf = 0;
    for (int i = 0; i < n / INGOT_QK_K; ++i) {
        int summ = 0, isum = 0;
        const uint8_t *q4 = x[i].qs;
        const int8_t *q8 = y[i].qs;
        for (int j = 0; j < 4; ++j, q4 += 32, q8 += 64) {
            uint8_t sc0, m0, sc1, m1;
            ingot_k4_scale_min(2 * j, x[i].scales, &sc0, &m0);
            ingot_k4_scale_min(2 * j + 1, x[i].scales, &sc1, &m1);
            summ += m0 * (y[i].bsums[4 * j] + y[i].bsums[4 * j + 1]) + m1 * (y[i].bsums[4 * j + 2] + y[i].bsums[4 * j + 3]);
            const uint8x16_t a = vld1q_u8(q4), b = vld1q_u8(q4 + 16);
            int32x4_t pl = vdupq_n_s32(0), ph = vdupq_n_s32(0);
            pl = dot_i8x16(pl, vreinterpretq_s8_u8(vandq_u8(a, m4)), vld1q_s8(q8));
            pl = dot_i8x16(pl, vreinterpretq_s8_u8(vandq_u8(b, m4)), vld1q_s8(q8 + 16));
            ph = dot_i8x16(ph, vreinterpretq_s8_u8(vshrq_n_u8(a, 4)), vld1q_s8(q8 + 32));
            ph = dot_i8x16(ph, vreinterpretq_s8_u8(vshrq_n_u8(b, 4)), vld1q_s8(q8 + 48));
            isum += sc0 * vaddvq_s32(pl) + sc1 * vaddvq_s32(ph);
        }
        const float d = ingot_fp16_to_fp32(x[i].d) * y[i].d;
        const float dmin = ingot_fp16_to_fp32(x[i].dmin) * y[i].d;
        sumf += d * isum - dmin * summ;
    }
    *s = sumf;
}

void ingot_dot_q6_K_neon(int n, float *s, const void *w, const void *xv) {
    const ingot_block_q6_K *x = w;
    const ingot_block_q8_K *y = xv;
    const uint8x16_t m4 = vdupq_n_u8(0x0F), m2 = vdupq_n_u8(3);
    const int8x16_t s32 = vdupq_n_s8(32);
    float sumf = 0;
    for (int i = 0; i < n / INGOT_QK_K; ++i) {
        const int8_t *sc = x[i].scales;
        int isum = 0;
        for (int c = 0; c < 2; ++c) {
            const uint8_t *ql = x[i].ql + 64 * c, *qh = x[i].qh + 32 * c;
            const int8_t *q8 = y[i].qs + 128 * c;
            for (int h = 0; h < 2; ++h) { /* values l = 16h .. 16h+15 of each quarter */
                const uint8x16_t l0 = vld1q_u8(ql + 16 * h), l1 = vld1q_u8(ql + 32 + 16 * h);
                const uint8x16_t hb = vld1q_u8(qh + 16 * h);
                int8x16_t q[4];
                q[0] = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vandq_u8(l0, m4), vshlq_n_u8(vandq_u8(hb, m2), 4))), s32);
                q[1] = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vandq_u8(l1, m4), vshlq_n_u8(vandq_u8(vshrq_n_u8(hb, 2), m2), 4))), s32);
                q[2] = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(l0, 4), vshlq_n_u8(vandq_u8(vshrq_n_u8(hb, 4), m2), 4))), s32);
                q[3] = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(l1, 4), vshlq_n_u8(vshrq_n_u8(hb, 6), 4))), s32);
                for (int m = 0; m < 4; ++m) {
                    const int32x4_t p = dot_i8x16(vdupq_n_s32(0), q[m], vld1q_s8(q8 + 32 * m + 16 * h));
                    isum += sc[8 * c + 2 * m + h] * vaddvq_s32(p);
                }
            }
        }
        sumf += ingot_fp16_to_fp32(x[i].d) * y[i].d * isum;
    }
    *s = sumf;
}

#else
typedef int ingot_dot_neon_unused;
#endif
