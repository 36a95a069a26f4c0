/*
 * device.cpp — ingot_metal.h implemented on the CPU: the MSL emulator's device.
 *
 * A device is a kernel library (shaders compiled by build.ts) opened with dlopen plus a pool of
 * worker threads; buffers are host memory; a program is the list of dispatch records, run in order
 * (each dispatch completes before the next starts, which satisfies every barrier), its threadgroups
 * shared among the workers. With a profiling build of the library, every load and store the shaders
 * make inside a bound buffer is counted per dispatch and per buffer.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../../../Sources/IngotMetalABI/include/ingot_metal.h"
#include "kernel_api.h"

#define EXPORT extern "C" __attribute__((visibility("default")))

namespace {

thread_local std::string last_error;

int fail(int code, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  last_error = buf;
  return code;
}

uint64_t now_ns() {
  return (uint64_t)std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Library {
  void *handle = nullptr;
  emu_kernel_count_fn count;
  emu_kernel_name_fn name;
  emu_instrumented_fn instrumented;
  emu_worker_create_fn worker_create;
  emu_worker_free_fn worker_free;
  emu_run_fn run;
};

/* One dispatch handed to the workers. */
struct Job {
  int kernel;
  const emu_launch *launch;
  uint32_t total, chunk;
  std::atomic<uint32_t> next{0};
  std::vector<std::vector<emu_region>> *regions;  // per worker, or null
  std::mutex error_mutex;
  std::string error;
};

}  // namespace

struct ingot_metal_buffer {
  ingot_metal_device *device;
  unsigned char *data;
  uint64_t size;
  int32_t storage;
  void *map_base = nullptr;  // file mapping to release, if any
  size_t map_size = 0;
  std::vector<uint64_t> bitmap, run_bitmap;  // profiling
};

struct ingot_metal_device {
  Library lib;
  std::string path;
  std::map<std::string, int> kernels;
  std::vector<emu_worker *> workers;
  std::vector<std::thread> threads;
  std::mutex mutex;
  std::condition_variable wake, done;
  Job *job = nullptr;
  uint64_t generation = 0;
  int busy = 0;
  bool stopping = false;

  void work(int w, Job &j) {
    char err[512];
    for (;;) {
      uint32_t begin = j.next.fetch_add(j.chunk);
      if (begin >= j.total) return;
      uint32_t end = begin + j.chunk < j.total ? begin + j.chunk : j.total;
      emu_region *regions = j.regions ? (*j.regions)[w].data() : nullptr;
      int n = j.regions ? (int)(*j.regions)[w].size() : 0;
      if (lib.run(workers[w], j.kernel, j.launch, begin, end, regions, n, err, sizeof err) != 0) {
        std::lock_guard<std::mutex> g(j.error_mutex);
        if (j.error.empty()) j.error = err;
        j.next.store(j.total);
        return;
      }
    }
  }

  void helper(int w) {
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mutex);
    for (;;) {
      wake.wait(lock, [&] { return stopping || generation != seen; });
      if (stopping) return;
      seen = generation;
      Job *j = job;
      lock.unlock();
      work(w, *j);
      lock.lock();
      if (--busy == 0) done.notify_all();
    }
  }

  /* Runs every threadgroup of one dispatch on all workers (the caller is worker 0). */
  std::string run(Job &j) {
    {
      std::lock_guard<std::mutex> g(mutex);
      job = &j;
      busy = (int)threads.size();
      generation++;
    }
    wake.notify_all();
    work(0, j);
    std::unique_lock<std::mutex> lock(mutex);
    done.wait(lock, [&] { return busy == 0; });
    job = nullptr;
    return j.error;
  }
};

struct ingot_metal_program {
  ingot_metal_device *device;
  std::vector<ingot_metal_dispatch> dispatches;
  bool profiling = false;
  std::vector<ingot_metal_stat> stats;
};

namespace {

template <class F> bool load_symbol(void *h, const char *name, F &out) {
  out = reinterpret_cast<F>(dlsym(h, name));
  return out != nullptr;
}

/* Distinct buffers bound by a dispatch, as profiling regions. */
std::vector<ingot_metal_buffer *> bound_buffers(const ingot_metal_dispatch &d) {
  std::vector<ingot_metal_buffer *> out;
  for (uint32_t i = 0; i < d.n_bindings; i++) {
    ingot_metal_buffer *b = d.bindings[i].buffer;
    if (b && std::find(out.begin(), out.end(), b) == out.end()) out.push_back(b);
  }
  return out;
}

int run_profiled(ingot_metal_program *p, const ingot_metal_dispatch &d, int index, Job &job) {
  ingot_metal_device *dev = p->device;
  std::vector<ingot_metal_buffer *> bufs = bound_buffers(d);
  std::vector<emu_region> proto;
  for (ingot_metal_buffer *b : bufs) {
    size_t words = (b->size + 63) / 64;
    if (b->bitmap.size() != words) b->bitmap.assign(words, 0);
    else std::fill(b->bitmap.begin(), b->bitmap.end(), 0);
    if (b->run_bitmap.size() != words) b->run_bitmap.assign(words, 0);
    proto.push_back({(uintptr_t)b->data, b->size, b->bitmap.data(), b->run_bitmap.data(), 0, 0, 0, 0});
  }
  std::vector<std::vector<emu_region>> regions(dev->workers.size(), proto);
  job.regions = &regions;
  uint64_t t0 = now_ns();
  std::string err = dev->run(job);
  uint64_t ns = now_ns() - t0;
  if (!err.empty()) return fail(INGOT_METAL_E_EXECUTION, "dispatch %d: %s", index, err.c_str());
  p->stats.push_back({index, 0, nullptr, 0, 0, 0, ns});
  for (size_t r = 0; r < bufs.size(); r++) {
    ingot_metal_stat s = {index, 0, bufs[r], 0, 0, 0, ns};
    for (auto &w : regions) {
      s.bytes_loaded += w[r].loaded;
      s.bytes_unique += w[r].unique;
      s.bytes_stored += w[r].stored;
    }
    p->stats.push_back(s);
  }
  return INGOT_METAL_OK;
}

}  // namespace

EXPORT const char *ingot_metal_last_error(void) { return last_error.c_str(); }

EXPORT int ingot_metal_device_open(const char *library_path, ingot_metal_device **out) {
  if (!library_path || !out) return fail(INGOT_METAL_E_INVALID, "device_open: null argument");
  void *h = dlopen(library_path, RTLD_NOW | RTLD_LOCAL);
  if (!h) return fail(INGOT_METAL_E_COMPILE, "cannot load the emulator's kernel library %s: %s", library_path, dlerror());
  Library lib;
  lib.handle = h;
  if (!load_symbol(h, "ingot_emu_kernel_count", lib.count) || !load_symbol(h, "ingot_emu_kernel_name", lib.name) ||
      !load_symbol(h, "ingot_emu_instrumented", lib.instrumented) ||
      !load_symbol(h, "ingot_emu_worker_create", lib.worker_create) ||
      !load_symbol(h, "ingot_emu_worker_free", lib.worker_free) || !load_symbol(h, "ingot_emu_run", lib.run)) {
    dlclose(h);
    return fail(INGOT_METAL_E_COMPILE, "%s is not an emulator kernel library (missing entry points)", library_path);
  }
  auto *dev = new ingot_metal_device();
  dev->lib = lib;
  dev->path = library_path;
  for (int i = 0, n = lib.count(); i < n; i++) dev->kernels[lib.name(i)] = i;
  unsigned n_workers = std::thread::hardware_concurrency();
  n_workers = n_workers < 1 ? 1 : n_workers > 8 ? 8 : n_workers;
  for (unsigned w = 0; w < n_workers; w++) {
    emu_worker *wk = lib.worker_create();
    if (!wk) {
      ingot_metal_device_close(dev);
      return fail(INGOT_METAL_E_NOMEM, "cannot allocate fiber stacks for worker %u", w);
    }
    dev->workers.push_back(wk);
  }
  for (unsigned w = 1; w < n_workers; w++) dev->threads.emplace_back([dev, w] { dev->helper((int)w); });
  *out = dev;
  return INGOT_METAL_OK;
}

EXPORT void ingot_metal_device_close(ingot_metal_device *dev) {
  if (!dev) return;
  {
    std::lock_guard<std::mutex> g(dev->mutex);
    dev->stopping = true;
  }
  dev->wake.notify_all();
  for (auto &t : dev->threads) t.join();
  for (emu_worker *w : dev->workers) dev->lib.worker_free(w);
  dlclose(dev->lib.handle);
  delete dev;
}

EXPORT int ingot_metal_device_query(ingot_metal_device *dev, ingot_metal_device_info *out) {
  if (!dev || !out) return fail(INGOT_METAL_E_INVALID, "device_info: null argument");
  memset(out, 0, sizeof *out);
  snprintf(out->name, sizeof out->name, "MSL emulator (%zu CPU workers)", dev->workers.size());
  out->max_threads_per_threadgroup = EMU_MAX_THREADS;
  out->max_threadgroup_memory = EMU_MAX_TG_MEMORY;
  out->simd_width = EMU_SIMD_WIDTH;
  out->is_emulator = 1;
  out->counts_bytes = (uint32_t)dev->lib.instrumented();
  return INGOT_METAL_OK;
}

EXPORT int ingot_metal_pipeline(ingot_metal_device *dev, const char *name, int32_t *out_index) {
  if (!dev || !name || !out_index) return fail(INGOT_METAL_E_INVALID, "pipeline: null argument");
  auto it = dev->kernels.find(name);
  if (it == dev->kernels.end()) return fail(INGOT_METAL_E_NOT_FOUND, "no kernel named '%s' in %s", name, dev->path.c_str());
  *out_index = it->second;
  return INGOT_METAL_OK;
}

EXPORT int ingot_metal_buffer_create(ingot_metal_device *dev, uint64_t size, int32_t storage, ingot_metal_buffer **out) {
  if (!dev || !out || size == 0) return fail(INGOT_METAL_E_INVALID, "buffer_create: null argument or zero size");
  void *p = aligned_alloc(64, (size + 63) / 64 * 64);
  if (!p) return fail(INGOT_METAL_E_NOMEM, "cannot allocate a buffer of %llu bytes", (unsigned long long)size);
  memset(p, 0, size);
  *out = new ingot_metal_buffer{dev, static_cast<unsigned char *>(p), size, storage};
  return INGOT_METAL_OK;
}

EXPORT int ingot_metal_buffer_from_file(ingot_metal_device *dev, const char *path, uint64_t offset, uint64_t size,
                                        int32_t storage, ingot_metal_buffer **out) {
  if (!dev || !path || !out || size == 0) return fail(INGOT_METAL_E_INVALID, "buffer_from_file: null argument or zero size");
  int fd = open(path, O_RDONLY);
  if (fd < 0) return fail(INGOT_METAL_E_IO, "cannot open %s", path);
  struct stat st;
  if (fstat(fd, &st) != 0 || offset + size > (uint64_t)st.st_size) {
    close(fd);
    return fail(INGOT_METAL_E_IO, "%s: range [%llu, %llu) is outside the file", path, (unsigned long long)offset,
                (unsigned long long)(offset + size));
  }
  const uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), start = offset / page * page;
  const size_t map_size = (size_t)(offset + size - start);
  void *m = mmap(nullptr, map_size, PROT_READ, MAP_PRIVATE, fd, (off_t)start);
  close(fd);
  if (m == MAP_FAILED) return fail(INGOT_METAL_E_IO, "cannot map %s", path);
  auto *b = new ingot_metal_buffer{dev, static_cast<unsigned char *>(m) + (offset - start), size, storage};
  b->map_base = m;
  b->map_size = map_size;
  *out = b;
  return INGOT_METAL_OK;
}

EXPORT void ingot_metal_buffer_free(ingot_metal_buffer *b) {
  if (!b) return;
  if (b->map_base) munmap(b->map_base, b->map_size);
  else free(b->data);
  delete b;
}

EXPORT void *ingot_metal_buffer_contents(ingot_metal_buffer *b) {
  return b && b->storage == INGOT_METAL_STORAGE_SHARED ? b->data : nullptr;
}

EXPORT uint64_t ingot_metal_buffer_size(ingot_metal_buffer *b) { return b ? b->size : 0; }

EXPORT int ingot_metal_buffer_write(ingot_metal_buffer *b, uint64_t offset, const void *src, uint64_t size) {
  if (!b || (!src && size) || offset + size > b->size) return fail(INGOT_METAL_E_INVALID, "buffer_write: range outside the buffer");
  if (b->map_base) return fail(INGOT_METAL_E_INVALID, "buffer_write: a buffer made from a file is read-only");
  memcpy(b->data + offset, src, size);
  return INGOT_METAL_OK;
}

EXPORT int ingot_metal_buffer_read(ingot_metal_buffer *b, uint64_t offset, void *dst, uint64_t size) {
  if (!b || (!dst && size) || offset + size > b->size) return fail(INGOT_METAL_E_INVALID, "buffer_read: range outside the buffer");
  memcpy(dst, b->data + offset, size);
  return INGOT_METAL_OK;
}

EXPORT int ingot_metal_program_create(ingot_metal_device *dev, const ingot_metal_dispatch *d, int32_t n,
                                      ingot_metal_program **out) {
  if (!dev || !d || n <= 0 || !out) return fail(INGOT_METAL_E_INVALID, "program_create: null or empty argument");
  const int kernels = dev->lib.count();
  for (int i = 0; i < n; i++) {
    const ingot_metal_dispatch &x = d[i];
    if (x.pipeline < 0 || x.pipeline >= kernels) return fail(INGOT_METAL_E_INVALID, "dispatch %d: no pipeline #%d", i, x.pipeline);
    const char *name = dev->lib.name(x.pipeline);
    const uint64_t threads = (uint64_t)x.threads[0] * x.threads[1] * x.threads[2];
    if (threads == 0 || threads > EMU_MAX_THREADS)
      return fail(INGOT_METAL_E_INVALID, "dispatch %d (%s): %llu threads per threadgroup (limit %d)", i, name,
                  (unsigned long long)threads, EMU_MAX_THREADS);
    if ((uint64_t)x.grid[0] * x.grid[1] * x.grid[2] == 0 || (uint64_t)x.grid[0] * x.grid[1] * x.grid[2] > UINT32_MAX)
      return fail(INGOT_METAL_E_INVALID, "dispatch %d (%s): empty or oversized grid", i, name);
    if (x.threadgroup_memory > EMU_MAX_TG_MEMORY)
      return fail(INGOT_METAL_E_INVALID, "dispatch %d (%s): %u bytes of threadgroup memory (limit %d)", i, name,
                  x.threadgroup_memory, EMU_MAX_TG_MEMORY);
    if (x.n_bindings > INGOT_METAL_MAX_BINDINGS)
      return fail(INGOT_METAL_E_INVALID, "dispatch %d (%s): %u bindings (limit %d)", i, name, x.n_bindings, INGOT_METAL_MAX_BINDINGS);
    for (uint32_t b = 0; b < x.n_bindings; b++) {
      const ingot_metal_binding &bd = x.bindings[b];
      if (bd.buffer && bd.offset >= bd.buffer->size)
        return fail(INGOT_METAL_E_INVALID, "dispatch %d (%s): binding %u offset %llu is beyond its buffer (%llu bytes)", i,
                    name, b, (unsigned long long)bd.offset, (unsigned long long)bd.buffer->size);
    }
  }
  *out = new ingot_metal_program{dev, std::vector<ingot_metal_dispatch>(d, d + n)};
  return INGOT_METAL_OK;
}

EXPORT void ingot_metal_program_free(ingot_metal_program *p) { delete p; }

EXPORT int ingot_metal_program_set_profiling(ingot_metal_program *p, int32_t enabled) {
  if (!p) return fail(INGOT_METAL_E_INVALID, "set_profiling: null program");
  if (enabled && !p->device->lib.instrumented())
    return fail(INGOT_METAL_E_UNSUPPORTED, "byte counting needs the profiling kernel library (%s is not one)", p->device->path.c_str());
  p->profiling = enabled != 0;
  return INGOT_METAL_OK;
}

EXPORT int ingot_metal_program_run(ingot_metal_program *p) {
  if (!p) return fail(INGOT_METAL_E_INVALID, "program_run: null program");
  ingot_metal_device *dev = p->device;
  p->stats.clear();
  std::vector<ingot_metal_buffer *> touched;
  if (p->profiling) {
    for (auto &d : p->dispatches)
      for (ingot_metal_buffer *b : bound_buffers(d))
        if (std::find(touched.begin(), touched.end(), b) == touched.end()) {
          touched.push_back(b);
          b->run_bitmap.assign((b->size + 63) / 64, 0);
        }
  }
  const uint64_t t_run = now_ns();
  for (size_t i = 0; i < p->dispatches.size(); i++) {
    const ingot_metal_dispatch &d = p->dispatches[i];
    emu_launch launch = {};
    for (uint32_t b = 0; b < d.n_bindings; b++)
      if (d.bindings[b].buffer) launch.buffers[b] = d.bindings[b].buffer->data + d.bindings[b].offset;
    memcpy(launch.grid, d.grid, sizeof launch.grid);
    memcpy(launch.threads, d.threads, sizeof launch.threads);
    launch.tg_memory = d.threadgroup_memory;
    Job job;
    job.kernel = d.pipeline;
    job.launch = &launch;
    job.total = d.grid[0] * d.grid[1] * d.grid[2];
    job.chunk = job.total / (uint32_t)(dev->workers.size() * 8);
    if (job.chunk < 1) job.chunk = 1;
    job.regions = nullptr;
    if (p->profiling) {
      int rc = run_profiled(p, d, (int)i, job);
      if (rc) return rc;
      continue;
    }
    const uint64_t t0 = now_ns();
    std::string err = dev->run(job);
    if (!err.empty()) return fail(INGOT_METAL_E_EXECUTION, "dispatch %zu: %s", i, err.c_str());
    p->stats.push_back({(int32_t)i, 0, nullptr, 0, 0, 0, now_ns() - t0});
  }
  const uint64_t total = now_ns() - t_run;
  p->stats.push_back({-1, 0, nullptr, 0, 0, 0, total});
  for (ingot_metal_buffer *b : touched) {
    uint64_t unique = 0;
    for (uint64_t w : b->run_bitmap) unique += (uint64_t)__builtin_popcountll(w);
    ingot_metal_stat s = {-1, 0, b, 0, unique, 0, total};
    for (const ingot_metal_stat &r : p->stats)
      if (r.dispatch >= 0 && r.buffer == b) {
        s.bytes_loaded += r.bytes_loaded;
        s.bytes_stored += r.bytes_stored;
      }
    p->stats.push_back(s);
  }
  return INGOT_METAL_OK;
}

EXPORT int32_t ingot_metal_program_stats(ingot_metal_program *p, ingot_metal_stat *out, int32_t capacity) {
  if (!p) return fail(INGOT_METAL_E_INVALID, "program_stats: null program");
  const int32_t n = (int32_t)p->stats.size();
  if (out)
    for (int32_t i = 0; i < n && i < capacity; i++) out[i] = p->stats[i];
  return n;
}
