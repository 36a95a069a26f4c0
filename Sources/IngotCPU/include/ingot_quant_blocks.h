/*
 * ingot_quant_blocks.h — GGUF/ggml block layouts of the quantised weight types.
 *
 * These layouts are a file format: they must match ggml byte for byte (see ggml-common.h).
 * fp16 fields are stored as raw uint16_t bits.
 */
#ifndef INGOT_QUANT_BLOCKS_H
#define INGOT_QUANT_BLOCKS_H

#include <stdint.h>

#define INGOT_QK4_0 32
#define INGOT_QK4_1 32
#define INGOT_QK5_0 32
#define INGOT_QK5_1 32
#define INGOT_QK8_0 32
#define INGOT_QK8_1 32
#define INGOT_QK_K 256
#define INGOT_K_SCALE_SIZE 12

typedef struct { uint16_t d; uint8_t qs[16]; } ingot_block_q4_0;              /* x = d * (q - 8) */
typedef struct { uint16_t d, m; uint8_t qs[16]; } ingot_block_q4_1;           /* x = d * q + m */
typedef struct { uint16_t d; uint8_t qh[4]; uint8_t qs[16]; } ingot_block_q5_0;   /* x = d * (q - 16) */
typedef struct { uint16_t d, m; uint8_t qh[4]; uint8_t qs[16]; } ingot_block_q5_1; /* x = d * q + m */
typedef struct { uint16_t d; int8_t qs[32]; } ingot_block_q8_0;               /* x = d * q */
typedef struct { uint16_t d, s; int8_t qs[32]; } ingot_block_q8_1;            /* s = d * sum(q) */

/* K-quants: super-blocks of 256 values */
typedef struct {
    uint8_t scales[16];  /* low nibble: scale, high nibble: min, per 16 values */
    uint8_t qs[64];      /* 2-bit quants */
    uint16_t d, dmin;
} ingot_block_q2_K;

typedef struct {
    uint8_t hmask[32];   /* high bit of the 3-bit quants */
    uint8_t qs[64];      /* low 2 bits */
    uint8_t scales[12];  /* 16 6-bit scales, offset by 32 */
    uint16_t d;
} ingot_block_q3_K;

typedef struct {
    uint16_t d, dmin;
    uint8_t scales[INGOT_K_SCALE_SIZE]; /* 8 6-bit scales and 8 6-bit mins, packed */
    uint8_t qs[128];
} ingot_block_q4_K;

typedef struct {
    uint16_t d, dmin;
    uint8_t scales[INGOT_K_SCALE_SIZE];
    uint8_t qh[32];
    uint8_t qs[128];
} ingot_block_q5_K;

typedef struct {
    uint8_t ql[128];     /* low 4 bits */
    uint8_t qh[64];      /* high 2 bits */
    int8_t scales[16];   /* 8-bit scales per 16 values */
    uint16_t d;
} ingot_block_q6_K;

/* activations for the K-quant dot products (never stored in files by llama.cpp) */
typedef struct {
    float d;
    int8_t qs[256];
    int16_t bsums[16];   /* sums of the quants in groups of 16 */
} ingot_block_q8_K;

_Static_assert(sizeof(ingot_block_q4_0) == 18, "q4_0 layout");
_Static_assert(sizeof(ingot_block_q4_1) == 20, "q4_1 layout");
_Static_assert(sizeof(ingot_block_q5_0) == 22, "q5_0 layout");
_Static_assert(sizeof(ingot_block_q5_1) == 24, "q5_1 layout");
_Static_assert(sizeof(ingot_block_q8_0) == 34, "q8_0 layout");
_Static_assert(sizeof(ingot_block_q8_1) == 36, "q8_1 layout");
_Static_assert(sizeof(ingot_block_q2_K) == 84, "q2_K layout");
_Static_assert(sizeof(ingot_block_q3_K) == 110, "q3_K layout");
_Static_assert(sizeof(ingot_block_q4_K) == 144, "q4_K layout");
_Static_assert(sizeof(ingot_block_q5_K) == 176, "q5_K layout");
_Static_assert(sizeof(ingot_block_q6_K) == 210, "q6_K layout");
_Static_assert(sizeof(ingot_block_q8_K) == 292, "q8_K layout");

/* Unpacks the 6-bit scale and min of sub-block j (0..7) of a Q4_K/Q5_K block. */
static inline void ingot_k4_scale_min(int j, const uint8_t *q, uint8_t *sc, uint8_t *m) {
    if (j < 4) {
        *sc = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *sc = (uint8_t)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        *m = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

/* Unpacks the 16 signed scales (already minus 32) of a Q3_K block. */
static inline void ingot_q3k_scales(const uint8_t *packed, int8_t out[16]) {
    for (int j = 0; j < 16; ++j) {
        const int lo = j < 8 ? (packed[j] & 0xF) : (packed[j - 8] >> 4);
        const int hi = (packed[8 + (j % 4)] >> (2 * (j / 4))) & 3;
        out[j] = (int8_t)((lo | (hi << 4)) - 32);
    }
}

#endif
