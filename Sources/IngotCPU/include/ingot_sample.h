/*
 * ingot_sample.h — the whole-row step of the sampling chain (ts/sampling/sampler.ts), for chains
 * that must look at every logit of a row (top-k off): it narrows the row to the candidates the
 * chain's top-p and min-p steps can keep, in a few passes over the row and without sorting it.
 * Works on any float row (the CPU engine's or the Metal engine's logits); allocates nothing.
 */
#ifndef INGOT_SAMPLE_H
#define INGOT_SAMPLE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define INGOT_SAMPLE_EINVALID (-1) /* null pointer or n < 1 */

/*
 * Candidates of the row w[0..n) (logits after bias and penalties: finite or -INFINITY) for top-p
 * `top_p` (>= 1: off) and min-p `exp(log_min_p)` (-INFINITY: off), best first.
 *
 * Writes ids[0..count): a prefix of the finite tokens ranked by descending logit (ties: lower id
 * first) that holds the whole top-p nucleus, less only tokens min-p certainly drops; and
 * probs[i] = exp(w[ids[i]] - max) / Z with Z = sum of exp(w - max) over the whole row, i.e. their
 * probabilities at temperature 1 (to a few ulp). The exact nucleus and min-p cuts are the
 * caller's, on probs: this step only leaves out tokens that one of them certainly drops, with a
 * margin far above rounding. A row without a finite logit gives token 0 alone. `scratch` holds
 * 2 * n entries.
 * Returns count (1..n) or INGOT_SAMPLE_EINVALID.
 */
int32_t ingot_sample_candidates(const float *w, int32_t n, double top_p, double log_min_p,
                                int32_t *ids, double *probs, uint64_t *scratch);

#ifdef __cplusplus
}
#endif

#endif
