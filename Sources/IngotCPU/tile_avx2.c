/*
 * tile_avx2.c — multi-token dot products ("tiles") for F16 and the 32-value block types with Q8_0
 * activations (Q8_0, Q4_0, Q5_0): one weight row against 1..INGOT_TILE_TOKENS activation rows; and for
 * Q4_0 and Q5_0, "row kernels": one token against up to INGOT_TILE_TOKENS weight rows (decode), whose
 * independent accumulator chains keep the FMA units busy where one row's two chains cannot. These serve
 * the file's layout, i.e. matrices the engine does not repack (repack.c: float types, and row counts
 * that are not a multiple of 8, or builds without the repacked kernels).
 *
 * Each weight block is unpacked once and reused for every token. Every output keeps exactly the
 * accumulators, block order and float operations of the type's single-token vec_dot (dot_avx2.c),
 * so results are bit-identical to vec_dot's; only the integer products (exact) and the
 * loading of the activation scales (pre-converted to f32 by the caller) are shared or moved.
 */
#include "ingot_avx2_util.h"
#include "ingot_fp16.h"
#include "ingot_kernels.h"
#include "ingot_kernels_impl.h"
#include "ingot_quant_blocks.h"

#if defined(INGOT_HAVE_AVX2)

#define QK 32
#define INLINE static inline __attribute__((always_inline))

/* signed int8 values of one weight block */
INLINE __m256i values_q8_0(const ingot_block_q8_0 *b) { return _mm256_loadu_si256((const __m256i *)b->qs); }
INLINE __m256i values_q4_0(const ingot_block_q4_0 *b) {
    return _mm256_sub_epi8(ingot_nibbles32(b->qs), _mm256_set1_epi8(8));
}
INLINE __m256i values_q5_0(const ingot_block_q5_0 *b) {
    const __m256i b16 = _mm256_set1_epi8(16);
    const __m256i hi = _mm256_and_si256(ingot_bits32_to_mask(b->qh), b16);
    return _mm256_sub_epi8(_mm256_or_si256(ingot_nibbles32(b->qs), hi), b16);
}

/* The f32 scales of weight blocks i..i+7 (those at or past nb read as 0). */
#define WEIGHT_SCALE(wb, j, nb) ((j) < (nb) ? (short)wb[j].d : 0)
#define WEIGHT_SCALES8(wb, i, nb)                                                                       \
    _mm256_cvtph_ps(_mm_setr_epi16(WEIGHT_SCALE(wb, i, nb), WEIGHT_SCALE(wb, (i) + 1, nb),              \
                                   WEIGHT_SCALE(wb, (i) + 2, nb), WEIGHT_SCALE(wb, (i) + 3, nb),        \
                                   WEIGHT_SCALE(wb, (i) + 4, nb), WEIGHT_SCALE(wb, (i) + 5, nb),        \
                                   WEIGHT_SCALE(wb, (i) + 6, nb), WEIGHT_SCALE(wb, (i) + 7, nb)))

/* Lane u of a kernel is one (weight row, token) pair: a tile's lanes are tokens sharing a weight row
 * (ldw = 0), a row kernel's are weight rows sharing a token (ldx = ldxs = 0). With those strides
 * constant the compiler loads and unpacks the shared operand once per block. */
#define LANE_W(BLOCK, u) ((const BLOCK *)((const uint8_t *)w + (size_t)(u) * ldw))
#define LANE_X(u) ((const ingot_block_q8_0 *)(x + (size_t)(u) * ldx))

/* acc[u] += lane j of d[u] * dot(block i of lane u's row and token); d[u] holds 8 products d_w * d_x */
#define Q8_STEP(NL, BLOCK, VALUES, acc, i, j)                                                           \
    do {                                                                                                \
        for (int u = 0; u < NL; ++u) {                                                                  \
            const __m256i q = VALUES(&LANE_W(BLOCK, u)[i]);                                             \
            const __m256i y = _mm256_loadu_si256((const __m256i *)LANE_X(u)[i].qs);                     \
            const __m256i p = ingot_dpbusd(_mm256_setzero_si256(), _mm256_sign_epi8(q, q), _mm256_sign_epi8(y, q)); \
            const __m256 dj = _mm256_permutevar8x32_ps(d[u], _mm256_set1_epi32(j));                     \
            acc[u] = _mm256_fmadd_ps(dj, _mm256_cvtepi32_ps(p), acc[u]);                                \
        }                                                                                               \
    } while (0)

/* LIMIT: nb, or a value past i8 + 8 when the whole group exists (no bounds checks) */
#define Q8_SCALES(NL, BLOCK, i8, LIMIT)                                                                 \
    do {                                                                                                \
        for (int u = 0; u < NL; ++u)                                                                    \
            d[u] = _mm256_mul_ps(WEIGHT_SCALES8(LANE_W(BLOCK, u), i8, LIMIT), _mm256_loadu_ps(xs + (size_t)u * ldxs + (i8))); \
    } while (0)

/* PAIRED: even blocks into acc0 and odd ones into acc1 (Q8_0, Q4_0), or all into acc0 (Q5_0), as the
 * type's vec_dot does. xs rows must be readable up to a multiple of 8 blocks (matmul.c pads them).
 * NAME##_tile: lanes are tokens; Q8_ROWS_KERNEL's NAME##_rows: lanes are weight rows (s gets one float
 * per row). */
#define Q8_KERNELS(NAME, BLOCK, VALUES, PAIRED)                                                         \
    INLINE void NAME##_n(const int NL, int n, float *s, size_t lds, const void *w, size_t ldw,          \
                         const uint8_t *x, size_t ldx, const float *xs, size_t ldxs) {                   \
        const int nb = n / QK;                                                                          \
        __m256 acc0[INGOT_TILE_TOKENS], acc1[INGOT_TILE_TOKENS], d[INGOT_TILE_TOKENS];                  \
        for (int u = 0; u < NL; ++u) acc0[u] = acc1[u] = _mm256_setzero_ps();                           \
        int i8 = 0;                                                                                     \
        for (; i8 + 8 <= nb; i8 += 8) {                                                                 \
            Q8_SCALES(NL, BLOCK, i8, i8 + 8);                                                           \
            for (int j = 0; j < 8; j += 2) {                                                            \
                Q8_STEP(NL, BLOCK, VALUES, acc0, i8 + j, j);                                            \
                if (PAIRED) Q8_STEP(NL, BLOCK, VALUES, acc1, i8 + j + 1, j + 1);                        \
                else Q8_STEP(NL, BLOCK, VALUES, acc0, i8 + j + 1, j + 1);                               \
            }                                                                                           \
        }                                                                                               \
        if (i8 < nb) {                                                                                  \
            Q8_SCALES(NL, BLOCK, i8, nb);                                                               \
            int j = 0;                                                                                  \
            if (PAIRED)                                                                                 \
                for (; i8 + j + 1 < nb; j += 2) {                                                       \
                    Q8_STEP(NL, BLOCK, VALUES, acc0, i8 + j, j);                                        \
                    Q8_STEP(NL, BLOCK, VALUES, acc1, i8 + j + 1, j + 1);                                \
                }                                                                                       \
            for (; i8 + j < nb; ++j) Q8_STEP(NL, BLOCK, VALUES, acc0, i8 + j, j);                       \
        }                                                                                               \
        for (int u = 0; u < NL; ++u)                                                                    \
            s[(size_t)u * lds] = ingot_hsum_f32x8(PAIRED ? _mm256_add_ps(acc0[u], acc1[u]) : acc0[u]);  \
    }                                                                                                   \
    void ingot_tile_##NAME##_avx2(int n, int nt, float *s, size_t lds, const void *w, const void *x,    \
                                  size_t ldx, const float *xs, size_t ldxs) {                            \
        switch (nt) {                                                                                   \
        case 4: NAME##_n(4, n, s, lds, w, 0, x, ldx, xs, ldxs); break;                                  \
        case 3: NAME##_n(3, n, s, lds, w, 0, x, ldx, xs, ldxs); break;                                  \
        case 2: NAME##_n(2, n, s, lds, w, 0, x, ldx, xs, ldxs); break;                                  \
        default: NAME##_n(1, n, s, lds, w, 0, x, ldx, xs, ldxs); break;                                 \
        }                                                                                               \
    }

#define Q8_ROWS_KERNEL(NAME)                                                                            \
    void ingot_rows_##NAME##_avx2(int n, int nr, float *s, const void *w, size_t ldw, const void *x,    \
                                  const float *xs) {                                                     \
        switch (nr) {                                                                                   \
        case 4: NAME##_n(4, n, s, 1, w, ldw, x, 0, xs, 0); break;                                       \
        case 3: NAME##_n(3, n, s, 1, w, ldw, x, 0, xs, 0); break;                                       \
        case 2: NAME##_n(2, n, s, 1, w, ldw, x, 0, xs, 0); break;                                       \
        default: NAME##_n(1, n, s, 1, w, ldw, x, 0, xs, 0); break;                                      \
        }                                                                                               \
    }

_Static_assert(INGOT_TILE_TOKENS == 4, "the switches below instantiate 1..4 tokens");

Q8_KERNELS(q8_0, ingot_block_q8_0, values_q8_0, 1)
Q8_KERNELS(q4_0, ingot_block_q4_0, values_q4_0, 1)
Q8_KERNELS(q5_0, ingot_block_q5_0, values_q5_0, 0)
/* Q8_0 decodes through vec_dot (type_traits.c says why), so only Q4_0 and Q5_0 get row kernels. */
Q8_ROWS_KERNEL(q4_0)
Q8_ROWS_KERNEL(q5_0)

/* ---------------- F16 x F16: the accumulators of FLOAT_DOT_BODY (dot_avx2.c) per token ---------------- */
#define LOAD_F16(p, i) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((p) + (i))))

INLINE void f16_n(const int NT, int n, float *s, size_t lds, const void *w, const uint8_t *x, size_t ldx) {
    const uint16_t *a = w;
    __m256 acc[INGOT_TILE_TOKENS][4];
    for (int t = 0; t < NT; ++t)
        for (int j = 0; j < 4; ++j) acc[t][j] = _mm256_setzero_ps();
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m256 w0 = LOAD_F16(a, i), w1 = LOAD_F16(a, i + 8), w2 = LOAD_F16(a, i + 16), w3 = LOAD_F16(a, i + 24);
        for (int t = 0; t < NT; ++t) {
            const uint16_t *b = (const uint16_t *)(x + (size_t)t * ldx);
            acc[t][0] = _mm256_fmadd_ps(w0, LOAD_F16(b, i), acc[t][0]);
            acc[t][1] = _mm256_fmadd_ps(w1, LOAD_F16(b, i + 8), acc[t][1]);
            acc[t][2] = _mm256_fmadd_ps(w2, LOAD_F16(b, i + 16), acc[t][2]);
            acc[t][3] = _mm256_fmadd_ps(w3, LOAD_F16(b, i + 24), acc[t][3]);
        }
    }
    for (int t = 0; t < NT; ++t) {
        const uint16_t *b = (const uint16_t *)(x + (size_t)t * ldx);
        int j = i;
        for (; j + 8 <= n; j += 8) acc[t][0] = _mm256_fmadd_ps(LOAD_F16(a, j), LOAD_F16(b, j), acc[t][0]);
        double sum = ingot_hsum_f32x8(_mm256_add_ps(_mm256_add_ps(acc[t][0], acc[t][1]), _mm256_add_ps(acc[t][2], acc[t][3])));
        for (; j < n; ++j) sum += (double)(ingot_fp16_to_fp32(a[j]) * ingot_fp16_to_fp32(b[j]));
        s[(size_t)t * lds] = (float)sum;
    }
}

void ingot_tile_f16_avx2(int n, int nt, float *s, size_t lds, const void *w, const void *x, size_t ldx,
                         const float *xs, size_t ldxs) {
    switch (nt) {
    case 4: f16_n(4, n, s, lds, w, x, ldx); break;
    case 3: f16_n(3, n, s, lds, w, x, ldx); break;
    case 2: f16_n(2, n, s, lds, w, x, ldx); break;
    default: f16_n(1, n, s, lds, w, x, ldx); break;
    }
}

#else
typedef int ingot_tile_avx2_unused;
#endif
