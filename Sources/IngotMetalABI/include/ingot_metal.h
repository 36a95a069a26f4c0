/*
 * ingot_metal.h — the one C ABI of ingot's Metal engine.
 *
 * Two implementations: Sources/IngotMetal (Swift over Metal, macOS) and tools/metal-emu (an MSL
 * emulator that runs the same shaders (the .metal files) on the CPU, Linux). TypeScript decides everything
 * (kernels, geometry, bindings); this layer only owns devices, buffers, pipelines and programs.
 *
 * A *program* is a list of dispatches recorded once (on Metal: into an indirect command buffer) and
 * replayed by ingot_metal_program_run. Per-step values (token ids, positions, counts) live in a
 * shared buffer that kernels read, so nothing is encoded per token.
 *
 * Conventions (as llama.h): opaque handles, create/free pairs, return codes 0 = ok, negative =
 * error with a message from ingot_metal_last_error() (thread-local). No Swift or Objective-C type
 * crosses this boundary; nothing here aborts the host process.
 */
#ifndef INGOT_METAL_H
#define INGOT_METAL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define INGOT_METAL_ABI_VERSION 1

#define INGOT_METAL_OK 0
#define INGOT_METAL_E_INVALID (-1)     /* bad argument: null handle, out-of-range value */
#define INGOT_METAL_E_NOMEM (-2)       /* a buffer or host allocation failed */
#define INGOT_METAL_E_NOT_FOUND (-3)   /* no such pipeline / file */
#define INGOT_METAL_E_COMPILE (-4)     /* shader library could not be loaded or compiled */
#define INGOT_METAL_E_EXECUTION (-5)   /* a command buffer failed (message carries Metal's text) */
#define INGOT_METAL_E_UNSUPPORTED (-6) /* not available on this device or implementation */
#define INGOT_METAL_E_IO (-7)          /* reading a file failed */

/* Most [[buffer(i)]] bindings one dispatch may set (ICB maxKernelBufferBindCount). */
#define INGOT_METAL_MAX_BINDINGS 16

typedef struct ingot_metal_device ingot_metal_device;
typedef struct ingot_metal_buffer ingot_metal_buffer;
typedef struct ingot_metal_program ingot_metal_program;

/* Thread-local text of the last error ("" if none). */
const char *ingot_metal_last_error(void);

/* ---- device ----------------------------------------------------------------------------------
 * library_path: Metal: a .metallib file or the shaders/ directory (compiled from source at open);
 * emulator: the kernel library built by tools/metal-emu/build.ts. */
int ingot_metal_device_open(const char *library_path, ingot_metal_device **out);
void ingot_metal_device_close(ingot_metal_device *device);

struct ingot_metal_device_info {
  char name[128];
  uint64_t recommended_working_set; /* bytes (0 if unknown) */
  uint32_t max_threads_per_threadgroup;
  uint32_t max_threadgroup_memory;  /* bytes */
  uint32_t simd_width;
  uint32_t is_emulator;             /* 1 for tools/metal-emu */
  uint32_t supports_icb;            /* programs replay from an indirect command buffer */
  uint32_t counts_bytes;            /* ingot_metal_program_stats reports loads/stores */
};
int ingot_metal_device_query(ingot_metal_device *device, struct ingot_metal_device_info *out);

/* Index of the compute pipeline for kernel `name` (built on first use), for dispatch records. */
int ingot_metal_pipeline(ingot_metal_device *device, const char *name, int32_t *out_index);

/* ---- buffers ---------------------------------------------------------------------------------- */
enum ingot_metal_storage {
  INGOT_METAL_STORAGE_SHARED = 0,  /* CPU-visible (ingot_metal_buffer_contents is valid) */
  INGOT_METAL_STORAGE_PRIVATE = 1, /* GPU-only; read and write through the calls below */
};

/* Zero-filled. */
int ingot_metal_buffer_create(ingot_metal_device *device, uint64_t size, int32_t storage, ingot_metal_buffer **out);
/* Bytes [offset, offset + size) of a file (weights): Metal loads PRIVATE buffers with MTLIO where
 * available and otherwise maps the file into a no-copy SHARED buffer. */
int ingot_metal_buffer_from_file(ingot_metal_device *device, const char *path, uint64_t offset, uint64_t size,
                                 int32_t storage, ingot_metal_buffer **out);
void ingot_metal_buffer_free(ingot_metal_buffer *buffer);
/* Host address of a SHARED buffer's bytes (NULL for PRIVATE). */
void *ingot_metal_buffer_contents(ingot_metal_buffer *buffer);
uint64_t ingot_metal_buffer_size(ingot_metal_buffer *buffer);
int ingot_metal_buffer_write(ingot_metal_buffer *buffer, uint64_t offset, const void *src, uint64_t size);
int ingot_metal_buffer_read(ingot_metal_buffer *buffer, uint64_t offset, void *dst, uint64_t size);

/* ---- programs --------------------------------------------------------------------------------- */
struct ingot_metal_binding {
  ingot_metal_buffer *buffer; /* NULL: slot unused */
  uint64_t offset;            /* bytes */
};

/* One compute dispatch: 16 + 24 + 16 * 16 = 296 bytes, no implicit padding. */
struct ingot_metal_dispatch {
  int32_t pipeline;           /* from ingot_metal_pipeline */
  uint32_t threadgroup_memory; /* bytes for [[threadgroup(0)]] (0: none) */
  uint32_t barrier;           /* 1: wait for every earlier dispatch of the program first */
  uint32_t n_bindings;        /* bindings[0, n_bindings) are [[buffer(0..)]] */
  uint32_t grid[3];           /* threadgroups per grid */
  uint32_t threads[3];        /* threads per threadgroup */
  struct ingot_metal_binding bindings[INGOT_METAL_MAX_BINDINGS];
};

/* Copies and validates the records (pipelines, bindings, sizes against the device's limits). */
int ingot_metal_program_create(ingot_metal_device *device, const struct ingot_metal_dispatch *dispatches,
                               int32_t n_dispatches, ingot_metal_program **out);
void ingot_metal_program_free(ingot_metal_program *program);
/* Runs every dispatch in order and waits for completion. */
int ingot_metal_program_run(ingot_metal_program *program);

/* ---- measurement -------------------------------------------------------------------------------
 * After a run: one record per (dispatch, buffer touched). bytes_* are counted by the emulator
 * (device_info.counts_bytes); Metal reports only nanoseconds (whole program on dispatch -1). */
struct ingot_metal_stat {
  int32_t dispatch;          /* index in the program, -1 for the whole run */
  int32_t reserved;
  ingot_metal_buffer *buffer; /* NULL on a record that only carries time */
  uint64_t bytes_loaded;     /* every load, repeats included */
  uint64_t bytes_unique;     /* distinct bytes loaded (within the dispatch, or the run for -1) */
  uint64_t bytes_stored;
  uint64_t nanoseconds;      /* wall time of the dispatch (or run) */
};
/* Enables byte counting for later runs (emulator only; a profiling build of the kernel library). */
int ingot_metal_program_set_profiling(ingot_metal_program *program, int32_t enabled);
/* Writes up to `capacity` records of the last run; returns how many exist (may exceed capacity). */
int32_t ingot_metal_program_stats(ingot_metal_program *program, struct ingot_metal_stat *out, int32_t capacity);

#ifdef __cplusplus
}
#endif
#endif
