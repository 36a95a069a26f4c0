/*
 * emu_fiber.h — what shader code (through the shim) and generated launchers need from the fiber
 * scheduler (runtime/fiber.cpp): the calling thread's ids, simdgroup exchanges, barriers and
 * threadgroup memory. Every GPU thread of a threadgroup is a fiber on one OS thread; these calls are
 * the only points where a fiber yields.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "../runtime/kernel_api.h"

namespace emu {

struct ThreadIds {
  uint32_t tpitg[3];  /* thread_position_in_threadgroup */
  uint32_t tgpig[3];  /* threadgroup_position_in_grid */
  uint32_t ntg[3];    /* threads_per_threadgroup */
  uint32_t ngrid[3];  /* threadgroups_per_grid */
  uint32_t tid;       /* thread_index_in_threadgroup */
  uint32_t lane;      /* thread_index_in_simdgroup */
  uint32_t simd;      /* simdgroup_index_in_threadgroup */
  uint32_t nsimd;     /* simdgroups_per_threadgroup */
};

using Launcher = void (*)(const emu_launch &launch, const ThreadIds &ids);

/* Kernel registration by generated launchers (static constructors). */
struct Registrar {
  Registrar(const char *name, Launcher fn);
};

constexpr size_t kSlotBytes = 64;

uint32_t lane();
/* Publishes `size` (<= kSlotBytes) bytes, waits for every live lane of the simdgroup, and returns
 * the 32 slots (kSlotBytes apart); *mask has a bit per lane that contributed. */
const unsigned char *simd_exchange(const void *value, size_t size, uint32_t *mask);
void threadgroup_barrier();
void simdgroup_barrier();
/* Threadgroup storage for a declaration inside a kernel body: the n-th call of every thread of a
 * threadgroup returns the same address. */
void *tg_alloc(size_t bytes, size_t align);
/* Start of the threadgroup's [[threadgroup(0)]] memory (emu_launch.tg_memory bytes). */
void *tg_base();

}  // namespace emu
