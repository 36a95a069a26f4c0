/*
 * ingot_cpu.h — the C ABI of ingot's CPU engine.
 *
 * TypeScript builds a *program* once per model and batch capacity: a flat array of fixed-size op
 * records (struct ingot_op) whose arguments are raw pointers into memory the caller owns (mmapped
 * weights, activation and KV buffers allocated with ingot_cpu_alloc). Per-step values (token ids,
 * positions, sequence ids, the number of tokens) live in a step-argument block that ops read at run
 * time, so the same program serves every step: the CPU side encodes nothing per token.
 *
 * Return codes: 0 ok, negative = error (see ingot_cpu_last_error for the text).
 */
#ifndef INGOT_CPU_H
#define INGOT_CPU_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define INGOT_OK 0
#define INGOT_E_INVALID (-1)     /* bad argument: null pointer, out-of-range value */
#define INGOT_E_NOMEM (-2)       /* allocation failed */
#define INGOT_E_UNSUPPORTED (-3) /* unknown op or weight type */
#define INGOT_E_THREAD (-4)      /* could not start worker threads */

/* ---- step arguments ----------------------------------------------------------------------------
 * One block per program, written by the caller before each run. Arrays have `capacity` entries.
 * Layout (all int32): header[INGOT_STEP_HEADER] then tokens[cap], positions[cap], seq_ids[cap],
 * output_rows[cap] (which token rows produce logits, ascending). */
enum {
  INGOT_STEP_N_TOKENS = 0,  /* tokens in this step, 1..capacity */
  INGOT_STEP_N_OUTPUTS = 1, /* rows of logits wanted, 1..n_tokens */
  INGOT_STEP_HEADER = 4,
};

/* ---- ops -------------------------------------------------------------------------------------- */
enum ingot_opcode {
  INGOT_OP_GET_ROWS = 1,   /* out[t] = dequant(table[ids[t]]) */
  INGOT_OP_RMSNORM = 2,    /* out[t] = x[t] * rsqrt(mean(x[t]^2) + eps) * w */
  INGOT_OP_QUANTIZE = 3,   /* xq[t] = quantize(x[t]) to the vec_dot type of a weight type */
  INGOT_OP_MATMUL = 4,     /* y[t] (+)= W xq[t] (+ bias) */
  INGOT_OP_ROPE = 5,       /* rotate q or k heads in place at positions[t] */
  INGOT_OP_KV_STORE = 6,   /* cache[seq][pos] = f16(k[t]) / f16(v[t]) */
  INGOT_OP_ATTENTION = 7,  /* out[t] = softmax(q k^T * scale) v over cache[seq][0..pos] (causal, GQA) */
  INGOT_OP_SWIGLU = 8,     /* out[t] = silu(gate[t]) * up[t] */
  INGOT_OP_ADD = 9,        /* out[t] = a[t] + b[t] */
  INGOT_OP_GATHER = 10,    /* out[i] = x[output_rows[i]] for i < n_outputs */
  INGOT_OP_ARGMAX = 11,    /* ids[i] = argmax(x[i]) for i < rows */
  INGOT_OP_TOPK = 12,      /* top-k values and ids of each row, descending */
};

/* Flags or-ed into the opcode word. NO_BARRIER_AFTER: workers go on to the next op without waiting for
 * each other, because the next op touches nothing this one does, or both touch only the rows of the
 * tokens a worker owns under the same split (the caller's promise; see ts/engine/cpu/barriers.ts). */
#define INGOT_OP_CODE_MASK 0xFFFF
#define INGOT_OP_NO_BARRIER_AFTER (1 << 16)

/* Which count an op iterates over. */
enum ingot_rows {
  INGOT_ROWS_TOKENS = 0,  /* header[INGOT_STEP_N_TOKENS] */
  INGOT_ROWS_OUTPUTS = 1, /* header[INGOT_STEP_N_OUTPUTS] */
};

#define INGOT_OP_ARGS 15

/* Largest head dimension INGOT_OP_ATTENTION accepts. */
#define INGOT_MAX_HEAD_DIM 256

/* One op: 16 x 64-bit words. Pointers are stored as integers; floats as doubles via ingot_op_f64. The
 * meaning of a[] per opcode is documented in program.c next to the op's executor. */
struct ingot_op {
  int64_t opcode;
  int64_t a[INGOT_OP_ARGS];
};

/* ---- engine (thread pool) --------------------------------------------------------------------- */
typedef struct ingot_cpu_engine ingot_cpu_engine;
typedef struct ingot_cpu_program ingot_cpu_program;

/* n_threads <= 0 picks ingot_cpu_default_threads(). */
int ingot_cpu_engine_create(int n_threads, ingot_cpu_engine **out);
void ingot_cpu_engine_destroy(ingot_cpu_engine *engine);
int ingot_cpu_engine_threads(const ingot_cpu_engine *engine);

/* Last error text of the calling thread ("" if none). */
const char *ingot_cpu_last_error(void);

/* Worker threads an engine gets by default: the physical cores (performance cores on Apple Silicon),
 * else the online processors. */
int ingot_cpu_default_threads(void);

/* 64-byte aligned, zero-filled memory for activations, caches and step blocks. */
void *ingot_cpu_alloc(size_t bytes);
void ingot_cpu_free(void *p);

/* Copies the op records; validates opcodes and weight types. */
int ingot_cpu_program_create(ingot_cpu_engine *engine, const struct ingot_op *ops, int n_ops,
                             const int32_t *step, ingot_cpu_program **out);
void ingot_cpu_program_destroy(ingot_cpu_program *program);
/* Runs ops [0, n_ops) of the program on the engine's threads; returns when all are done. */
int ingot_cpu_program_run(ingot_cpu_program *program);

/* Size of one row of `n` elements of weight type `type` once quantized to its vec_dot type
 * (what INGOT_OP_QUANTIZE writes), or a negative error. */
int64_t ingot_cpu_quantized_row_bytes(int weight_type, int64_t n);
/* The type activations are quantised to before a dot product with weights of `weight_type`. */
int ingot_cpu_vec_dot_type(int weight_type);
/* Size in bytes of a row of `n` elements stored as `type`, or a negative error. */
int64_t ingot_cpu_row_bytes(int type, int64_t n);

/* Weight layouts the engine prefers over the file's: the layout id MATMUL ops take for a `rows` x `k`
 * matrix of file type `type` once repacked with ingot_cpu_repack, or 0 when the file's
 * layout is what this build runs best (ingot_repack.h). */
int ingot_cpu_repacked_layout(int type, int64_t rows, int64_t k);
/* Drops the resident pages of a read-only file mapping's range (whole pages inside it) once its
 * contents live elsewhere, e.g. repacked: they are read back from the file if touched again. */
int ingot_cpu_release_pages(const void *p, int64_t bytes);
/* Bytes a rows x k matrix takes in `layout`, or a negative error. */
int64_t ingot_cpu_repacked_bytes(int layout, int64_t rows, int64_t k);
/* Repacks a matrix (rows of src_row_bytes) into `layout` at dst (ingot_cpu_repacked_bytes of room);
 * 0 or a negative error. */
int ingot_cpu_repack(int layout, const void *src, int64_t src_row_bytes, int64_t rows, int64_t k, void *dst);

#ifdef __cplusplus
}
#endif
#endif
