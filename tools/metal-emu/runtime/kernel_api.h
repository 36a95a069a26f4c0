/*
 * kernel_api.h — the interface between the emulator's device runtime (device.cpp, implementing
 * ingot_metal.h) and a kernel library (the shaders compiled by build.ts with the shim and the fiber
 * scheduler). The runtime dlopens the library named at ingot_metal_device_open and calls only these.
 */
#ifndef INGOT_EMU_KERNEL_API_H
#define INGOT_EMU_KERNEL_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EMU_MAX_BUFFERS 16
#define EMU_MAX_THREADS 1024
#define EMU_MAX_TG_MEMORY 32768 /* Apple GPUs' threadgroup memory limit */
#define EMU_SIMD_WIDTH 32

/* One dispatch as the kernel library sees it: resolved addresses and geometry. */
struct emu_launch {
  void *buffers[EMU_MAX_BUFFERS];
  uint32_t grid[3];
  uint32_t threads[3];
  uint32_t tg_memory; /* bytes of [[threadgroup(0)]] */
};

/* Byte counting (profiling builds): loads and stores inside [base, base + size) are attributed to
 * the region; `bitmap` (one bit per byte, shared by workers) yields the distinct bytes loaded. */
struct emu_region {
  uintptr_t base;
  uint64_t size;
  uint64_t *bitmap;
  uint64_t *run_bitmap; /* second bitmap kept over a whole run (NULL: none) */
  uint64_t loaded, unique, stored, run_unique; /* per worker, summed by the runtime */
};

typedef struct emu_worker emu_worker;

typedef int (*emu_kernel_count_fn)(void);
typedef const char *(*emu_kernel_name_fn)(int index);
typedef int (*emu_instrumented_fn)(void);
typedef emu_worker *(*emu_worker_create_fn)(void);
typedef void (*emu_worker_free_fn)(emu_worker *worker);
/* Runs threadgroups [tg_begin, tg_end) (linear ids) of kernel `index`; 0 or -1 with err filled. */
typedef int (*emu_run_fn)(emu_worker *worker, int index, const struct emu_launch *launch, uint32_t tg_begin,
                          uint32_t tg_end, struct emu_region *regions, int n_regions, char *err, int err_cap);

#ifdef __cplusplus
}
#endif
#endif
