/*
 * ingot_fp16.h — IEEE half (fp16) and bfloat16 conversions, exact in both directions.
 *
 * fp32 -> fp16 rounds to nearest, ties to even (what F16C's vcvtps2ph with imm 0 does and what
 * ggml's GGML_FP32_TO_FP16 produces); fp32 -> bf16 rounds to nearest even like ggml's
 * ggml_compute_fp32_to_bf16. The F16C instructions are used when the compiler targets them,
 * otherwise a portable bit-level path gives identical results.
 */
#ifndef INGOT_FP16_H
#define INGOT_FP16_H

#include <stdint.h>
#include <string.h>

#if defined(__F16C__)
#include <immintrin.h>
#endif

static inline float ingot_bits_to_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline uint32_t ingot_f32_to_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

static inline float ingot_fp16_to_fp32_soft(uint16_t h) {
    const uint32_t w = (uint32_t)h << 16;
    const uint32_t sign = w & 0x80000000u;
    const uint32_t two_w = w + w;
    /* normal numbers: move the exponent/mantissa into place and rescale by 2^-112 */
    const float normalized = ingot_bits_to_f32((two_w >> 4) + (0xE0u << 23)) * 0x1.0p-112f;
    /* subnormals: build 0.5 + m * 2^-24 with the magic 126 exponent, subtract 0.5 */
    const float denormalized = ingot_bits_to_f32((two_w >> 17) | (126u << 23)) - 0.5f;
    const uint32_t bits = two_w < (1u << 27) ? ingot_f32_to_bits(denormalized) : ingot_f32_to_bits(normalized);
    return ingot_bits_to_f32(sign | bits);
}

static inline uint16_t ingot_fp32_to_fp16_soft(float f) {
    /* scaling up then down makes the FPU do the rounding of the mantissa for us */
    float base = (__builtin_fabsf(f) * 0x1.0p+112f) * 0x1.0p-110f;
    const uint32_t w = ingot_f32_to_bits(f);
    const uint32_t shl1_w = w + w;
    const uint32_t sign = w & 0x80000000u;
    uint32_t bias = shl1_w & 0xFF000000u;
    if (bias < 0x71000000u) bias = 0x71000000u;
    base = ingot_bits_to_f32((bias >> 1) + 0x07800000u) + base;
    const uint32_t bits = ingot_f32_to_bits(base);
    const uint32_t exp_bits = (bits >> 13) & 0x00007C00u;
    const uint32_t mantissa_bits = bits & 0x00000FFFu;
    const uint32_t nonsign = exp_bits + mantissa_bits;
    return (uint16_t)((sign >> 16) | (shl1_w > 0xFF000000u ? 0x7E00u : nonsign));
}

static inline float ingot_fp16_to_fp32(uint16_t h) {
#if defined(__F16C__)
    return _cvtsh_ss(h);
#else
    return ingot_fp16_to_fp32_soft(h);
#endif
}

static inline uint16_t ingot_fp32_to_fp16(float f) {
#if defined(__F16C__)
    return (uint16_t)_cvtss_sh(f, 0);
#else
    return ingot_fp32_to_fp16_soft(f);
#endif
}

static inline float ingot_bf16_to_fp32(uint16_t h) { return ingot_bits_to_f32((uint32_t)h << 16); }

static inline uint16_t ingot_fp32_to_bf16(float f) {
    const uint32_t u = ingot_f32_to_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 64); /* quiet NaN */
    return (uint16_t)((u + (0x7fffu + ((u >> 16) & 1u))) >> 16);
}

#endif
