/*
 * fiber.cpp — runs one threadgroup at a time on the calling OS thread, each GPU thread a fiber.
 *
 * Fibers switch only at synchronisation points (threadgroup barriers, simdgroup exchanges), in
 * round-robin order, directly from one fiber to the next. Barrier and exchange generations are
 * counted in rings of three: no thread can be more than one generation ahead of a thread still
 * waiting, so a counter is reset when its generation + 1 is entered. A full round in which no fiber
 * makes progress is a deadlock, reported with where each fiber waits.
 */
#include <sys/mman.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "../shim/emu_fiber.h"

#if defined(__x86_64__)
extern "C" void emu_switch(void **from, void *to);
extern "C" void emu_fiber_entry();
#else
#include <ucontext.h>
#endif

thread_local emu_region *emu_tls_regions = nullptr;
thread_local int emu_tls_n_regions = 0;

namespace emu {
namespace {

constexpr size_t kStackBytes = 128 * 1024;
constexpr int kRing = 3;
constexpr int kMaxSimd = EMU_MAX_THREADS / EMU_SIMD_WIDTH;

struct Kernel {
  std::string name;
  Launcher fn;
};

std::vector<Kernel> &registry() {
  static std::vector<Kernel> kernels;
  return kernels;
}

struct Fiber {
#if defined(__x86_64__)
  void *sp;
#else
  ucontext_t ctx;
#endif
  ThreadIds ids;
  bool done;
  uint32_t bar_gen, simd_gen;
  size_t tg_cursor;
  const char *waiting;
};

struct Simd {
  uint32_t arrived[kRing];
  uint32_t mask[kRing];
  uint32_t live;
  unsigned char slots[kRing][EMU_SIMD_WIDTH][kSlotBytes];
};

}  // namespace
}  // namespace emu

struct emu_worker {
  unsigned char *stacks;
  emu::Fiber fibers[EMU_MAX_THREADS];
  emu::Simd simd[emu::kMaxSimd];
  uint32_t bar_arrived[emu::kRing];
  uint32_t n, live, current, stalls;
  alignas(64) unsigned char tg_mem[2 * EMU_MAX_TG_MEMORY];
  size_t tg_dynamic;
  emu::Launcher fn;
  const emu_launch *launch;
#if defined(__x86_64__)
  void *main_sp;
#else
  ucontext_t main_ctx;
#endif
  bool failed;
  char error[512];
};

namespace emu {
namespace {

thread_local emu_worker *tls_worker = nullptr;

Fiber &self() { return tls_worker->fibers[tls_worker->current]; }

void switch_to(Fiber &from, uint32_t to) {
  emu_worker *w = tls_worker;
  w->current = to;
#if defined(__x86_64__)
  emu_switch(&from.sp, w->fibers[to].sp);
#else
  swapcontext(&from.ctx, &w->fibers[to].ctx);
#endif
}

[[noreturn]] void leave_to_main(Fiber &from) {
  emu_worker *w = tls_worker;
#if defined(__x86_64__)
  emu_switch(&from.sp, w->main_sp);
#else
  swapcontext(&from.ctx, &w->main_ctx);
#endif
  __builtin_unreachable();
}

/* Next live fiber after the current one (the current one if it is the only one). */
uint32_t next_live() {
  emu_worker *w = tls_worker;
  for (uint32_t k = 1; k <= w->n; k++) {
    uint32_t j = (w->current + k) % w->n;
    if (!w->fibers[j].done) return j;
  }
  return w->current;
}

[[noreturn]] void fail(const char *fmt, ...) {
  emu_worker *w = tls_worker;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(w->error, sizeof w->error, fmt, ap);
  va_end(ap);
  w->failed = true;
  leave_to_main(self());
}

/* Groups the blocked threads by where they wait: "thread 32 waits at X; 63 threads (from 0) wait at Y". */
void report_deadlock() {
  emu_worker *w = tls_worker;
  struct Group {
    const char *what;
    uint32_t bar, simd, first, count;
  };
  std::vector<Group> groups;
  for (uint32_t i = 0; i < w->n; i++) {
    const Fiber &f = w->fibers[i];
    if (f.done) continue;
    const char *what = f.waiting ? f.waiting : "?";
    auto g = std::find_if(groups.begin(), groups.end(), [&](const Group &x) { return x.what == what && x.bar == f.bar_gen && x.simd == f.simd_gen; });
    if (g == groups.end()) groups.push_back({what, f.bar_gen, f.simd_gen, f.ids.tid, 1});
    else g->count++;
  }
  std::string where;
  for (const Group &g : groups) {
    char line[160];
    if (g.count == 1) snprintf(line, sizeof line, "%sthread %u waits at %s", where.empty() ? "" : "; ", g.first, g.what);
    else snprintf(line, sizeof line, "%s%u threads (from %u) wait at %s", where.empty() ? "" : "; ", g.count, g.first, g.what);
    where += line;
  }
  fail("deadlock in threadgroup (%u,%u,%u): %s", self().ids.tgpig[0], self().ids.tgpig[1], self().ids.tgpig[2],
       where.c_str());
}

template <class Ready>
void wait_until(Ready ready, const char *what) {
  emu_worker *w = tls_worker;
  Fiber &f = self();
  f.waiting = what;
  while (!ready()) {
    if (++w->stalls > 2 * w->live + 2) report_deadlock();
    uint32_t next = next_live();
    if (next != w->current) switch_to(f, next);
  }
  f.waiting = nullptr;
  w->stalls = 0;
}

void fiber_main(void *arg) {
  emu_worker *w = tls_worker;
  Fiber &f = *static_cast<Fiber *>(arg);
  w->fn(*w->launch, f.ids);
  f.done = true;
  w->live--;
  w->simd[f.ids.simd].live--;
  w->stalls = 0;
  if (w->live == 0) leave_to_main(f);
  switch_to(f, next_live());
  __builtin_unreachable();
}

#if !defined(__x86_64__)
void fiber_trampoline(unsigned hi, unsigned lo) {
  fiber_main(reinterpret_cast<void *>((static_cast<uintptr_t>(hi) << 32) | lo));
}
#endif

void init_fiber(emu_worker *w, uint32_t i) {
  Fiber &f = w->fibers[i];
  unsigned char *top = w->stacks + (size_t)(i + 1) * kStackBytes;
#if defined(__x86_64__)
  uint64_t *s = reinterpret_cast<uint64_t *>(reinterpret_cast<uintptr_t>(top) & ~uintptr_t(15));
  s[-1] = reinterpret_cast<uint64_t>(&emu_fiber_entry);  // return address, 8 mod 16
  s[-2] = 0;                                              // rbp
  s[-3] = reinterpret_cast<uint64_t>(&fiber_main);        // rbx: entry
  s[-4] = reinterpret_cast<uint64_t>(&f);                 // r12: argument
  s[-5] = s[-6] = s[-7] = 0;                              // r13, r14, r15
  f.sp = &s[-7];
#else
  getcontext(&f.ctx);
  f.ctx.uc_stack.ss_sp = top - kStackBytes;
  f.ctx.uc_stack.ss_size = kStackBytes;
  f.ctx.uc_link = nullptr;
  uintptr_t p = reinterpret_cast<uintptr_t>(&f);
  makecontext(&f.ctx, reinterpret_cast<void (*)()>(fiber_trampoline), 2, unsigned(p >> 32), unsigned(p));
#endif
}

}  // namespace

Registrar::Registrar(const char *name, Launcher fn) { registry().push_back({name, fn}); }

uint32_t lane() { return tls_worker ? self().ids.lane : 0; }

const unsigned char *simd_exchange(const void *value, size_t size, uint32_t *mask) {
  emu_worker *w = tls_worker;
  Fiber &f = self();
  Simd &s = w->simd[f.ids.simd];
  const uint32_t g = f.simd_gen++ % kRing;
  s.arrived[(g + 1) % kRing] = 0;
  s.mask[(g + 1) % kRing] = 0;
  if (size) memcpy(s.slots[g][f.ids.lane], value, size);
  s.arrived[g]++;
  s.mask[g] |= 1u << f.ids.lane;
  w->stalls = 0;
  wait_until([&] { return s.arrived[g] >= s.live; }, "a simdgroup operation");
  if (mask) *mask = s.mask[g];
  return &s.slots[g][0][0];
}

void simdgroup_barrier() { simd_exchange(nullptr, 0, nullptr); }

void threadgroup_barrier() {
  emu_worker *w = tls_worker;
  Fiber &f = self();
  const uint32_t g = f.bar_gen++ % kRing;
  w->bar_arrived[(g + 1) % kRing] = 0;
  w->bar_arrived[g]++;
  w->stalls = 0;
  wait_until([&] { return w->bar_arrived[g] >= w->live; }, "threadgroup_barrier");
}

void *tg_alloc(size_t bytes, size_t align) {
  emu_worker *w = tls_worker;
  Fiber &f = self();
  size_t at = (f.tg_cursor + align - 1) / align * align;
  if (at + bytes > sizeof w->tg_mem) fail("threadgroup memory exceeds %zu bytes", sizeof w->tg_mem);
  f.tg_cursor = at + bytes;
  return w->tg_mem + at;
}

void *tg_base() { return tls_worker->tg_mem; }

}  // namespace emu

using namespace emu;

extern "C" {

__attribute__((visibility("default"))) int ingot_emu_kernel_count(void) { return (int)registry().size(); }

__attribute__((visibility("default"))) const char *ingot_emu_kernel_name(int index) {
  return index >= 0 && index < (int)registry().size() ? registry()[index].name.c_str() : nullptr;
}

__attribute__((visibility("default"))) int ingot_emu_instrumented(void) {
#if defined(EMU_PROFILE)
  return 1;
#else
  return 0;
#endif
}

__attribute__((visibility("default"))) emu_worker *ingot_emu_worker_create(void) {
  auto *w = static_cast<emu_worker *>(calloc(1, sizeof(emu_worker)));
  if (!w) return nullptr;
  void *stacks = mmap(nullptr, EMU_MAX_THREADS * kStackBytes, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (stacks == MAP_FAILED) {
    free(w);
    return nullptr;
  }
  w->stacks = static_cast<unsigned char *>(stacks);
  return w;
}

__attribute__((visibility("default"))) void ingot_emu_worker_free(emu_worker *w) {
  if (!w) return;
  munmap(w->stacks, EMU_MAX_THREADS * kStackBytes);
  free(w);
}

__attribute__((visibility("default"))) int ingot_emu_run(emu_worker *w, int index, const emu_launch *launch,
                                                         uint32_t tg_begin, uint32_t tg_end, emu_region *regions,
                                                         int n_regions, char *err, int err_cap) {
  if (index < 0 || index >= (int)registry().size()) {
    snprintf(err, err_cap, "no kernel #%d", index);
    return -1;
  }
  const uint32_t tx = launch->threads[0], ty = launch->threads[1], tz = launch->threads[2];
  const uint32_t n = tx * ty * tz;
  if (n == 0 || n > EMU_MAX_THREADS || launch->tg_memory > EMU_MAX_TG_MEMORY) {
    snprintf(err, err_cap, "%s: %u threads per threadgroup, %u bytes of threadgroup memory", registry()[index].name.c_str(),
             n, launch->tg_memory);
    return -1;
  }
  emu_worker *saved = tls_worker;
  tls_worker = w;
  emu_tls_regions = regions;
  emu_tls_n_regions = n_regions;
  w->fn = registry()[index].fn;
  w->launch = launch;
  w->tg_dynamic = (launch->tg_memory + 15) / 16 * 16;
  const uint32_t gx = launch->grid[0], gy = launch->grid[1];
  const uint32_t nsimd = (n + EMU_SIMD_WIDTH - 1) / EMU_SIMD_WIDTH;
  int rc = 0;
  for (uint32_t tg = tg_begin; tg < tg_end && rc == 0; tg++) {
    const uint32_t tgpig[3] = {tg % gx, (tg / gx) % gy, tg / (gx * gy)};
    w->n = w->live = n;
    w->current = 0;
    w->stalls = 0;
    memset(w->bar_arrived, 0, sizeof w->bar_arrived);
    for (uint32_t s = 0; s < nsimd; s++) {
      Simd &sg = w->simd[s];
      memset(sg.arrived, 0, sizeof sg.arrived);
      memset(sg.mask, 0, sizeof sg.mask);
      sg.live = s + 1 < nsimd ? EMU_SIMD_WIDTH : n - s * EMU_SIMD_WIDTH;
    }
    for (uint32_t i = 0; i < n; i++) {
      Fiber &f = w->fibers[i];
      f.done = false;
      f.bar_gen = f.simd_gen = 0;
      f.tg_cursor = w->tg_dynamic;
      f.waiting = nullptr;
      ThreadIds &id = f.ids;
      id.tpitg[0] = i % tx;
      id.tpitg[1] = (i / tx) % ty;
      id.tpitg[2] = i / (tx * ty);
      memcpy(id.tgpig, tgpig, sizeof tgpig);
      memcpy(id.ntg, launch->threads, sizeof id.ntg);
      memcpy(id.ngrid, launch->grid, sizeof id.ngrid);
      id.tid = i;
      id.lane = i % EMU_SIMD_WIDTH;
      id.simd = i / EMU_SIMD_WIDTH;
      id.nsimd = nsimd;
      init_fiber(w, i);
    }
    w->failed = false;
#if defined(__x86_64__)
    emu_switch(&w->main_sp, w->fibers[0].sp);
#else
    swapcontext(&w->main_ctx, &w->fibers[0].ctx);
#endif
    if (w->failed) {
      snprintf(err, err_cap, "%s: %s", registry()[index].name.c_str(), w->error);
      rc = -1;
    }
  }
  tls_worker = saved;
  emu_tls_regions = nullptr;
  emu_tls_n_regions = 0;
  return rc;
}

}  // extern "C"
