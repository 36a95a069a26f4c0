/*
 * sample_select.c — the candidates of a whole logits row for top-p and min-p (ingot_sample.h).
 *
 * Three passes over the row, then work proportional to the candidates only:
 *   1. the max;
 *   2. e = exp(w - max) in double: their sum Z, and a histogram of that mass by distance below the
 *      max (HIST_PER_UNIT bins per unit of logit);
 *   3. walking the histogram down from the max finds the bin where the mass first exceeds top_p · Z:
 *      the tokens of that bin and above (and above the min-p floor) are gathered in id order.
 * The candidates are then radix-sorted by descending logit (stable, so ties keep the lower id first)
 * and given their probability e / Z.
 *
 * exp is one polynomial written twice with the same operations, for a scalar and for 4 AVX2 lanes,
 * so a token's weight does not depend on which of the two computed it.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "ingot_sample.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define SAMPLE_AVX2 1
#endif

#if defined(__FMA__) || defined(__ARM_FEATURE_FMA)
#define MULADD(a, b, c) fma(a, b, c) /* fused, as the AVX2 lanes compute it */
#else
#define MULADD(a, b, c) ((a) * (b) + (c))
#endif

/* ---------------- exp(x) for x <= 0, in double ----------------
 * x = k ln2 + r with |r| <= ln2/2 (Cody-Waite split of ln2), exp(r) by Taylor to degree 12 (the
 * first omitted term is below 2e-16), times 2^k built in the exponent bits. Below EXP_MIN (and for
 * -inf or NaN) the result is 0: such a token is 1e-307 as likely as the best one. */
#define EXP_MIN (-708.0)
#define LOG2E 1.4426950408889634
#define LN2_HI 6.93147180369123816490e-01 /* low bits zero: k * LN2_HI is exact */
#define LN2_LO 1.90821492927058770002e-10
#define EXP_DEGREE 12
static const double exp_coef[EXP_DEGREE + 1] = {
    1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040, 1.0 / 40320,
    1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600,
};

static inline double exp_nonpositive(double x) {
    if (!(x >= EXP_MIN)) return 0.0;
    const double k = nearbyint(x * LOG2E);
    double r = MULADD(-k, LN2_HI, x);
    r = MULADD(-k, LN2_LO, r);
    double p = exp_coef[EXP_DEGREE];
    for (int j = EXP_DEGREE - 1; j >= 0; --j) p = MULADD(p, r, exp_coef[j]);
    const uint64_t bits = (uint64_t)((int64_t)k + 1023) << 52;
    double scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

#if SAMPLE_AVX2
static inline __m256d exp_nonpositive4(__m256d x) {
    const __m256d valid = _mm256_cmp_pd(x, _mm256_set1_pd(EXP_MIN), _CMP_GE_OQ);
    x = _mm256_max_pd(x, _mm256_set1_pd(EXP_MIN)); /* keeps k in range; masked out below */
    const __m256d k = _mm256_round_pd(_mm256_mul_pd(x, _mm256_set1_pd(LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256d r = _mm256_fnmadd_pd(k, _mm256_set1_pd(LN2_HI), x);
    r = _mm256_fnmadd_pd(k, _mm256_set1_pd(LN2_LO), r);
    __m256d p = _mm256_set1_pd(exp_coef[EXP_DEGREE]);
    for (int j = EXP_DEGREE - 1; j >= 0; --j) p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(exp_coef[j]));
    /* k + 1023 as an integer in the low mantissa bits (adding 2^52), shifted into the exponent */
    const __m256d biased = _mm256_add_pd(k, _mm256_set1_pd(4503599627370496.0 + 1023.0));
    const __m256d scale = _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_castpd_si256(biased), 52));
    return _mm256_and_pd(_mm256_mul_pd(p, scale), valid);
}
#endif

/* ---------------- pass 1: max ---------------- */

/* Largest entry (NaN never wins; -INFINITY when there is no other). */
static float row_max(const float *w, int32_t n) {
    float m = -INFINITY;
    int32_t i = 0;
#if SAMPLE_AVX2
    __m256 m0 = _mm256_set1_ps(-INFINITY), m1 = m0, m2 = m0, m3 = m0;
    /* max_ps returns its second operand when the first is NaN */
    for (; i + 32 <= n; i += 32) {
        m0 = _mm256_max_ps(_mm256_loadu_ps(w + i), m0);
        m1 = _mm256_max_ps(_mm256_loadu_ps(w + i + 8), m1);
        m2 = _mm256_max_ps(_mm256_loadu_ps(w + i + 16), m2);
        m3 = _mm256_max_ps(_mm256_loadu_ps(w + i + 24), m3);
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, _mm256_max_ps(_mm256_max_ps(m0, m1), _mm256_max_ps(m2, m3)));
    for (int j = 0; j < 8; ++j) if (lanes[j] > m) m = lanes[j];
#endif
    for (; i < n; ++i) if (w[i] > m) m = w[i];
    return m;
}

/* ---------------- pass 2: probability mass by distance below the max ---------------- */

#define HIST_BINS 256
#define HIST_PER_UNIT 8.0 /* bins per unit of logit: the histogram spans 32 below the max */

/* Distance below the max in bins, unclamped: t = (max - w) * HIST_PER_UNIT (+inf for -inf, NaN
 * for NaN). Token w lies in bin min(floor(t), HIST_BINS - 1); the gather (pass 3) compares the
 * same t, so both passes put every token on the same side of a bin edge. */
static inline double bin_distance(double d) { return d * -HIST_PER_UNIT; }

static inline int bin_of(double t) { return t < HIST_BINS - 1 ? (int)t : HIST_BINS - 1; }

/* e[i] = exp(w[i] - max) and bin[i] = the bin of w[i], for i < m. */
static void weights_and_bins(const float *w, int32_t m, double max, double *e, int32_t *bin) {
    int32_t i = 0;
#if SAMPLE_AVX2
    const __m256d vmax = _mm256_set1_pd(max), last = _mm256_set1_pd(HIST_BINS - 1);
    for (; i + 4 <= m; i += 4) {
        const __m256d d = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(w + i)), vmax);
        _mm256_storeu_pd(e + i, exp_nonpositive4(d));
        /* min_pd returns its second operand (the last bin) for NaN */
        const __m256d t = _mm256_min_pd(_mm256_mul_pd(d, _mm256_set1_pd(-HIST_PER_UNIT)), last);
        _mm_storeu_si128((__m128i *)(bin + i), _mm256_cvttpd_epi32(t));
    }
#endif
    for (; i < m; ++i) {
        const double d = (double)w[i] - max;
        e[i] = exp_nonpositive(d);
        bin[i] = bin_of(bin_distance(d));
    }
}

#define BLOCK 256 /* tokens per block: weights first (SIMD), then their histogram updates */

/* hist[b] = sum of exp(w - max) over the tokens of bin b. */
static void mass_histogram(const float *w, int32_t n, double max, double hist[HIST_BINS]) {
    /* one histogram per lane of 4: consecutive tokens in one bin do not wait on each other's stores */
    double lane_hist[4][HIST_BINS];
    memset(lane_hist, 0, sizeof lane_hist);
    double e[BLOCK];
    int32_t bin[BLOCK];
    for (int32_t start = 0; start < n; start += BLOCK) {
        const int32_t m = n - start < BLOCK ? n - start : BLOCK;
        weights_and_bins(w + start, m, max, e, bin);
        for (int32_t j = 0; j < m; ++j) lane_hist[j & 3][bin[j]] += e[j];
    }
    for (int b = 0; b < HIST_BINS; ++b) hist[b] = (lane_hist[0][b] + lane_hist[1][b]) + (lane_hist[2][b] + lane_hist[3][b]);
}

/* ---------------- pass 3: gather ---------------- */

/* Appends to ids, in id order, the tokens with bin_distance < t_limit and w - max >= d_floor. */
static int32_t gather(const float *w, int32_t n, double max, double t_limit, double d_floor, int32_t *ids) {
    int32_t count = 0, i = 0;
#if SAMPLE_AVX2
    const __m256d vmax = _mm256_set1_pd(max), vlimit = _mm256_set1_pd(t_limit);
    const __m256d vfloor = _mm256_set1_pd(d_floor), scale = _mm256_set1_pd(-HIST_PER_UNIT);
    for (; i + 4 <= n; i += 4) {
        const __m256d d = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(w + i)), vmax);
        const __m256d keep = _mm256_and_pd(_mm256_cmp_pd(_mm256_mul_pd(d, scale), vlimit, _CMP_LT_OQ),
                                           _mm256_cmp_pd(d, vfloor, _CMP_GE_OQ));
        for (unsigned bits = (unsigned)_mm256_movemask_pd(keep); bits; bits &= bits - 1)
            ids[count++] = i + __builtin_ctz(bits);
    }
#endif
    for (; i < n; ++i) {
        const double d = (double)w[i] - max;
        if (bin_distance(d) < t_limit && d >= d_floor) ids[count++] = i;
    }
    return count;
}

/* ---------------- sort and probabilities of the candidates ---------------- */

/* An unsigned key that grows as the float shrinks (-0 counts as +0), as ts/sampling/chain.ts's sortByLogit. */
static inline uint32_t descending_key(float v) {
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    if (u == 0x80000000u) u = 0;
    return u >= 0x80000000u ? u : ~u & 0x7fffffffu;
}

/* The logit a key came from. */
static inline float key_logit(uint32_t key) {
    const uint32_t u = key >= 0x80000000u ? key : ~key & 0x7fffffffu;
    float v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* Candidates as key << 32 | id: sorting these numbers sorts by descending logit, then by id. */
static void pack(const float *w, const int32_t *ids, int32_t c, uint64_t *out) {
    for (int32_t j = 0; j < c; ++j) out[j] = (uint64_t)descending_key(w[ids[j]]) << 32 | (uint32_t)ids[j];
}

#define RADIX_BITS 11
#define RADIX_SIZE (1 << RADIX_BITS)

/* Sorts a[0..c) by the high 32 bits, RADIX_BITS at a time (LSD radix, stable: the ids, already
 * ascending, stay in order among equal keys), skipping digits every key shares. tmp: c entries.
 * Returns the array that holds the result (a or tmp). */
static uint64_t *radix_sort_keys(uint64_t *a, uint64_t *tmp, int32_t c) {
    int32_t count[RADIX_SIZE];
    for (int shift = 32; shift < 64; shift += RADIX_BITS) {
        memset(count, 0, sizeof count);
        for (int32_t j = 0; j < c; ++j) count[(a[j] >> shift) & (RADIX_SIZE - 1)]++;
        if (count[(a[0] >> shift) & (RADIX_SIZE - 1)] == c) continue;
        int32_t at = 0;
        for (int d = 0; d < RADIX_SIZE; ++d) {
            const int32_t k = count[d];
            count[d] = at;
            at += k;
        }
        for (int32_t j = 0; j < c; ++j) tmp[count[(a[j] >> shift) & (RADIX_SIZE - 1)]++] = a[j];
        uint64_t *t = a;
        a = tmp;
        tmp = t;
    }
    return a;
}

/* ids[j] and probs[j] = exp(w - max) / z of the sorted candidates (the logit read back from the key). */
static void unpack(const uint64_t *sorted, int32_t c, double max, double z, int32_t *ids, double *probs) {
    const double inv_z = 1.0 / z;
    int32_t j = 0;
#if SAMPLE_AVX2
    const __m256d vmax = _mm256_set1_pd(max), vinv = _mm256_set1_pd(inv_z);
    for (; j + 4 <= c; j += 4) {
        float v[4];
        for (int l = 0; l < 4; ++l) {
            ids[j + l] = (int32_t)(uint32_t)sorted[j + l];
            v[l] = key_logit((uint32_t)(sorted[j + l] >> 32));
        }
        _mm256_storeu_pd(probs + j, _mm256_mul_pd(exp_nonpositive4(_mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(v)), vmax)), vinv));
    }
#endif
    for (; j < c; ++j) {
        ids[j] = (int32_t)(uint32_t)sorted[j];
        probs[j] = exp_nonpositive((double)key_logit((uint32_t)(sorted[j] >> 32)) - max) * inv_z;
    }
}

/* ---------------- entry point ---------------- */

/* The caller makes the exact top-p and min-p cuts, on the probabilities written here. These margins
 * keep every token those cuts can keep among the candidates even where sums and logarithms round
 * differently here (relative differences near 1e-13); at worst they add a few candidates. */
#define MASS_MARGIN 1e-9
#define LOGIT_MARGIN 1e-9

int32_t ingot_sample_candidates(const float *w, int32_t n, double top_p, double log_min_p,
                                int32_t *ids, double *probs, uint64_t *scratch) {
    if (!w || !ids || !probs || !scratch || n < 1) return INGOT_SAMPLE_EINVALID;
    const double max = row_max(w, n);
    if (!(max > -INFINITY)) {
        ids[0] = 0;
        probs[0] = 1.0;
        return 1;
    }
    double hist[HIST_BINS];
    mass_histogram(w, n, max, hist);
    double z = 0.0;
    for (int b = 0; b < HIST_BINS; ++b) z += hist[b];
    /* candidates: the tokens of the bins down to the one where the mass reaches top_p · Z, or
     * every finite token when that may be the last bin (or top-p is off) */
    double t_limit = INFINITY;
    if (top_p < 1.0) {
        const double target = top_p * z * (1.0 + MASS_MARGIN);
        double cum = 0.0;
        for (int b = 0; b < HIST_BINS - 1; ++b) {
            cum += hist[b];
            if (cum >= target) {
                t_limit = b + 1;
                break;
            }
        }
    }
    const int32_t count = gather(w, n, max, t_limit, log_min_p - LOGIT_MARGIN, ids);
    uint64_t *packed = scratch, *tmp = scratch + count;
    pack(w, ids, count, packed);
    unpack(radix_sort_keys(packed, tmp, count), count, max, z, ids, probs);
    return count;
}
