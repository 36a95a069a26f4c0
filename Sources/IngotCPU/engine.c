/*
 * engine.c — engine lifetime, error reporting and memory for the CPU engine's C ABI.
 * The worker pool is the only long-lived state; errors are kept per calling thread.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine.h"
#include "ingot_kernels.h"
#include "ingot_repack.h"
#include "pool.h"

struct ingot_cpu_engine {
  struct ingot_pool *pool;
};

static _Thread_local char last_error[512];

int engine_fail(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_error, sizeof last_error, fmt, ap);
  va_end(ap);
  return code;
}

const char *ingot_cpu_last_error(void) { return last_error; }

struct ingot_pool *engine_pool(ingot_cpu_engine *engine) { return engine->pool; }

int ingot_cpu_engine_create(int n_threads, ingot_cpu_engine **out) {
  if (!out) return engine_fail(INGOT_E_INVALID, "engine_create: null out pointer");
  ingot_cpu_engine *e = calloc(1, sizeof *e);
  if (!e) return engine_fail(INGOT_E_NOMEM, "engine_create: out of memory");
  if (pool_create(n_threads, &e->pool) != 0) {
    free(e);
    return engine_fail(INGOT_E_THREAD, "engine_create: could not start %d worker threads", n_threads);
  }
  *out = e;
  return INGOT_OK;
}

void ingot_cpu_engine_destroy(ingot_cpu_engine *e) {
  if (!e) return;
  pool_destroy(e->pool);
  free(e);
}

int ingot_cpu_engine_threads(const ingot_cpu_engine *e) { return e ? pool_threads(e->pool) : 0; }

/* calloc, not aligned_alloc + memset: large blocks come zeroed from the kernel and only the pages
 * touched are ever faulted in (a context's 512-row logits slot for a 128k vocabulary is 262 MB, most
 * of it never written). The block calloc returned is kept just below the aligned address. */
void *ingot_cpu_alloc(size_t bytes) {
  const size_t align = 64;
  if (bytes > SIZE_MAX - 2 * align) return NULL;
  uint8_t *raw = calloc(1, bytes + 2 * align);
  if (!raw) return NULL;
  uint8_t *p = (uint8_t *)(((uintptr_t)raw + align) & ~(uintptr_t)(align - 1));
  memcpy(p - sizeof raw, &raw, sizeof raw);
  return p;
}

void ingot_cpu_free(void *p) {
  if (!p) return;
  void *raw;
  memcpy(&raw, (uint8_t *)p - sizeof raw, sizeof raw);
  free(raw);
}

int64_t ingot_cpu_row_bytes(int type, int64_t n) {
  size_t bytes = ingot_row_size(type, n);
  if (!bytes) return engine_fail(INGOT_E_UNSUPPORTED, "type %d cannot hold a row of %lld values", type, (long long)n);
  return (int64_t)bytes;
}

int64_t ingot_cpu_quantized_row_bytes(int weight_type, int64_t n) {
  size_t bytes = ingot_act_row_size(weight_type, n);
  if (!bytes) return engine_fail(INGOT_E_UNSUPPORTED, "weight type %d cannot take rows of %lld values", weight_type, (long long)n);
  return (int64_t)bytes;
}

int ingot_cpu_vec_dot_type(int weight_type) {
  const ingot_type_traits *tr = ingot_get_type_traits(weight_type);
  if (!tr) return engine_fail(INGOT_E_UNSUPPORTED, "unsupported weight type %d", weight_type);
  return tr->vec_dot_type;
}

int ingot_cpu_repacked_layout(int type, int64_t rows, int64_t k) { return ingot_repacked_layout(type, rows, k); }

int64_t ingot_cpu_repacked_bytes(int layout, int64_t rows, int64_t k) {
  const size_t bytes = ingot_repacked_bytes(layout, rows, k);
  if (!bytes) return engine_fail(INGOT_E_INVALID, "repack: layout %d does not apply to %lld x %lld", layout, (long long)rows, (long long)k);
  return (int64_t)bytes;
}

int ingot_cpu_release_pages(const void *p, int64_t bytes) {
  /* Only whole pages inside [p, p + bytes): neighbours of the range stay untouched. */
  const long page = sysconf(_SC_PAGESIZE);
  if (!p || bytes <= 0 || page <= 0) return 0;
  const uintptr_t begin = ((uintptr_t)p + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
  const uintptr_t end = ((uintptr_t)p + (uintptr_t)bytes) & ~((uintptr_t)page - 1);
  if (end <= begin) return 0;
  return madvise((void *)begin, end - begin, MADV_DONTNEED) == 0 ? 0 : engine_fail(INGOT_E_INVALID, "madvise failed");
}

int ingot_cpu_repack(int layout, const void *src, int64_t src_row_bytes, int64_t rows, int64_t k, void *dst) {
  if (ingot_cpu_repacked_bytes(layout, rows, k) < 0) return INGOT_E_INVALID;
  if (src_row_bytes < 0 || ingot_repack(layout, src, (size_t)src_row_bytes, (int)rows, (int)k, dst) != INGOT_K_OK)
    return engine_fail(INGOT_E_INVALID, "repack: bad source rows");
  return 0;
}
