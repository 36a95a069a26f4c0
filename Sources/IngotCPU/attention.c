/*
 * attention.c — the KV cache store and causal attention with grouped-query heads.
 *
 * Cache layout, per layer and per K/V: cache[seq][pos][kv_dim] in F16, kv_dim = kv_heads * head_dim.
 * Sequences own fixed slots of `ctx` positions, so truncating a sequence is only the caller forgetting
 * positions: a token at position p attends to positions 0..p of its own sequence, whatever was
 * written past p earlier. The current tokens' K/V are stored before attention reads them, so a
 * prefill batch sees its own earlier tokens (as llama.cpp does, through the F16 cache).
 *
 * Rounding follows llama.cpp's CPU attention, the reference our outputs are checked against: the
 * query is rounded to F16 before the dot products with the F16 keys, and the softmax weights are
 * rounded to F16 before weighting the F16 values. Matching this moves our logits from ~0.05 to
 * ~1e-4 of llama.cpp's on quantised models, where tiny differences flip activation rounding.
 */
#include <math.h>
#include <string.h>

#include "engine.h"
#include "ingot_fp16.h"
#include "ingot_kernels.h"


/* KV_STORE: a0 src (f32), a1 src stride, a2 cache (f16), a3 kv_dim, a4 ctx, a5 positions, a6 seq ids, a7 rows */
void exec_kv_store(const int32_t *step, const int64_t *a, int ith, int nth) {
  int64_t b, e;
  share(step[INGOT_STEP_N_TOKENS], ith, nth, &b, &e);
  const int32_t *pos = PTR(const int32_t *, a[5]), *seq = PTR(const int32_t *, a[6]);
  for (int64_t t = b; t < e; t++) {
    uint16_t *dst = PTR(uint16_t *, a[2]) + ((int64_t)seq[t] * a[4] + pos[t]) * a[3];
    ingot_f32_to_f16_row(PTR(const float *, a[0]) + t * a[1], dst, a[3]);
  }
}

static inline float round_f16(float x) { return ingot_fp16_to_fp32(ingot_fp32_to_fp16(x)); }

/* q . k for one cached key (F16) and one query head (F32). */
#if defined(__AVX2__) && defined(__F16C__) && defined(__FMA__)
#include <immintrin.h>
static float dot_f16_f32(const uint16_t *k, const float *q, int n) {
  __m256 acc = _mm256_setzero_ps();
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 kv = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(k + i)));
    acc = _mm256_fmadd_ps(kv, _mm256_loadu_ps(q + i), acc);
  }
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_movehdup_ps(h));
  float s = _mm_cvtss_f32(h);
  for (; i < n; i++) s += ingot_fp16_to_fp32(k[i]) * q[i];
  return s;
}
#else
static float dot_f16_f32(const uint16_t *k, const float *q, int n) {
  float s = 0.0f;
  for (int i = 0; i < n; i++) s += ingot_fp16_to_fp32(k[i]) * q[i];
  return s;
}
#endif

/* ATTENTION: a0 q, a1 q stride, a2 k cache, a3 v cache, a4 heads, a5 kv heads, a6 head dim, a7 ctx,
 * a8 positions, a9 seq ids, a10 out, a11 out stride, a12 scale (f64), a13 rows, a14 scratch (ctx floats per worker) */
void exec_attention(const int32_t *step, const int64_t *a, int ith, int nth) {
  const int n_heads = (int)a[4], n_kv = (int)a[5], hd = (int)a[6];
  const int64_t ctx = a[7], kv_dim = (int64_t)n_kv * hd;
  const int group = n_heads / n_kv;
  const float scale = (float)f64_of(a[12]);
  const int32_t *pos = PTR(const int32_t *, a[8]), *seq = PTR(const int32_t *, a[9]);
  float *scores = PTR(float *, a[14]) + (int64_t)ith * ctx;
  int64_t b, e;
  share((int64_t)step[INGOT_STEP_N_TOKENS] * n_heads, ith, nth, &b, &e);
  for (int64_t job = b; job < e; job++) {
    int64_t t = job / n_heads;
    int h = (int)(job % n_heads), kvh = h / group;
    const float *q_row = PTR(const float *, a[0]) + t * a[1] + (int64_t)h * hd;
    float q[INGOT_MAX_HEAD_DIM];
    for (int d = 0; d < hd; d++) q[d] = round_f16(q_row[d]);
    const int64_t base = (int64_t)seq[t] * ctx * kv_dim + (int64_t)kvh * hd;
    const uint16_t *kc = PTR(const uint16_t *, a[2]) + base, *vc = PTR(const uint16_t *, a[3]) + base;
    const int n = pos[t] + 1;
    float mx = -INFINITY;
    for (int j = 0; j < n; j++) {
      scores[j] = dot_f16_f32(kc + (int64_t)j * kv_dim, q, hd) * scale;
      if (scores[j] > mx) mx = scores[j];
    }
    double sum = 0.0;
    for (int j = 0; j < n; j++) {
      scores[j] = expf(scores[j] - mx);
      sum += scores[j];
    }
    float *out = PTR(float *, a[10]) + t * a[11] + (int64_t)h * hd;
    memset(out, 0, sizeof(float) * (size_t)hd);
    const float inv = (float)(1.0 / sum);
    for (int j = 0; j < n; j++) ingot_mad_f16(out, vc + (int64_t)j * kv_dim, round_f16(scores[j] * inv), hd);
  }
}
