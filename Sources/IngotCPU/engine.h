/* engine.h — internals shared by the CPU engine's translation units. */
#ifndef INGOT_ENGINE_H
#define INGOT_ENGINE_H

#include <string.h>

#include "ingot_cpu.h"

/* Op argument words hold pointers as integers and floats as the bits of a double. */
#define PTR(T, w) ((T)(uintptr_t)(w))

static inline double f64_of(int64_t w) {
  double d;
  memcpy(&d, &w, sizeof d);
  return d;
}

/* Even split of [0, n) among nth workers: worker ith gets [*begin, *end). */
static inline void share(int64_t n, int ith, int nth, int64_t *begin, int64_t *end) {
  int64_t per = (n + nth - 1) / nth;
  *begin = per * ith < n ? per * ith : n;
  *end = *begin + per < n ? *begin + per : n;
}

struct ingot_pool;

struct ingot_pool *engine_pool(ingot_cpu_engine *engine);

/* Records the error text for ingot_cpu_last_error and returns `code`. */
int engine_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Ops that read the step block directly (attention.c). */
void exec_kv_store(const int32_t *step, const int64_t *a, int ith, int nth);
void exec_attention(const int32_t *step, const int64_t *a, int ith, int nth);

#endif
