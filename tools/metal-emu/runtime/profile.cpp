/*
 * profile.cpp — byte counting for the profiling build of the kernel library.
 *
 * The shaders are compiled a second time with clang's AddressSanitizer instrumentation in
 * "callbacks" mode (every load and store calls __asan_loadN/__asan_storeN) and linked with these
 * definitions instead of the sanitizer runtime: each access inside a bound device buffer is counted
 * for that buffer, and a bitmap gives the distinct bytes loaded. This file itself is not instrumented.
 */
#include <stdint.h>
#include <string.h>

#include "kernel_api.h"

extern thread_local emu_region *emu_tls_regions;
extern thread_local int emu_tls_n_regions;

/* Sets bits [off, off + n) of bm; returns how many were newly set. */
static uint64_t mark(uint64_t *bm, uint64_t off, uint64_t n) {
  uint64_t fresh = 0;
  while (n) {
    const uint64_t word = off >> 6, bit = off & 63, take = n < 64 - bit ? n : 64 - bit;
    const uint64_t mask = (take == 64 ? ~0ull : ((1ull << take) - 1)) << bit;
    const uint64_t old = __atomic_fetch_or(&bm[word], mask, __ATOMIC_RELAXED);
    fresh += (uint64_t)__builtin_popcountll(mask & ~old);
    off += take;
    n -= take;
  }
  return fresh;
}

static inline void count(uintptr_t addr, uint64_t n, int store) {
  emu_region *r = emu_tls_regions;
  for (int i = 0, nr = emu_tls_n_regions; i < nr; i++, r++) {
    const uint64_t off = addr - r->base;
    if (off >= r->size) continue;
    if (n > r->size - off) n = r->size - off;
    if (store) {
      r->stored += n;
    } else {
      r->loaded += n;
      r->unique += mark(r->bitmap, off, n);
      if (r->run_bitmap) r->run_unique += mark(r->run_bitmap, off, n);
    }
    return;
  }
}

extern "C" {
#define EMU_ACCESS(n)                                                          \
  void __asan_load##n(uintptr_t a) { count(a, n, 0); }                         \
  void __asan_store##n(uintptr_t a) { count(a, n, 1); }                        \
  void __asan_load##n##_noabort(uintptr_t a) { count(a, n, 0); }               \
  void __asan_store##n##_noabort(uintptr_t a) { count(a, n, 1); }
EMU_ACCESS(1)
EMU_ACCESS(2)
EMU_ACCESS(4)
EMU_ACCESS(8)
EMU_ACCESS(16)
void __asan_loadN(uintptr_t a, size_t n) { count(a, n, 0); }
void __asan_storeN(uintptr_t a, size_t n) { count(a, n, 1); }
void __asan_loadN_noabort(uintptr_t a, size_t n) { count(a, n, 0); }
void __asan_storeN_noabort(uintptr_t a, size_t n) { count(a, n, 1); }
void *__asan_memcpy(void *d, const void *s, size_t n) {
  count((uintptr_t)s, n, 0);
  count((uintptr_t)d, n, 1);
  return memcpy(d, s, n);
}
void *__asan_memmove(void *d, const void *s, size_t n) {
  count((uintptr_t)s, n, 0);
  count((uintptr_t)d, n, 1);
  return memmove(d, s, n);
}
void *__asan_memset(void *d, int c, size_t n) {
  count((uintptr_t)d, n, 1);
  return memset(d, c, n);
}
void __asan_init(void) {}
void __asan_version_mismatch_check_v8(void) {}
void __asan_handle_no_return(void) {}
}
