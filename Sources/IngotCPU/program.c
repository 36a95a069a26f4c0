/*
 * program.c — the CPU engine's program executor.
 *
 * A program is the op list TypeScript lowered from the model graph, cut into segments at the ops not
 * marked INGOT_OP_NO_BARRIER_AFTER. Running it hands one job to the pool: every worker walks the
 * segments, claims parts of each (one part per worker, split as `share` does), and waits for all parts
 * of a segment to be done before the next. Nothing is allocated per run.
 *
 * Argument words (struct ingot_op.a[]) per opcode are documented at each exec_* function; `rows`
 * selects the dynamic count from the step header (enum ingot_rows).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "ingot_kernels.h"
#include "ingot_repack.h"
#include "pool.h"

/* A segment: ops that run back to back (all but the last marked INGOT_OP_NO_BARRIER_AFTER). It is cut
 * into one part per worker; part i of every op of the segment is run by whichever worker claims i,
 * so row-local ops of a segment see their own rows (the promise the lowering relies on). */
struct segment {
  int begin, end;       /* ops [begin, end) */
  _Atomic int claimed;  /* parts handed out this run */
  _Atomic int done;     /* parts finished this run */
};

struct ingot_cpu_program {
  ingot_cpu_engine *engine;
  struct ingot_op *ops;
  int n_ops;
  struct segment *segments;
  int n_segments;
  const int32_t *step;
};


static int64_t row_count(const struct ingot_cpu_program *p, int64_t kind) {
  return kind == INGOT_ROWS_OUTPUTS ? p->step[INGOT_STEP_N_OUTPUTS] : p->step[INGOT_STEP_N_TOKENS];
}

/* GET_ROWS: a0 type, a1 table, a2 table row bytes, a3 dim, a4 ids (int32*), a5 rows, a6 out, a7 out stride,
 * a8 table rows (ids outside [0, a8) leave their row untouched; the caller validates ids first) */
static void exec_get_rows(const struct ingot_cpu_program *p, const int64_t *a, int ith, int nth) {
  int64_t b, e;
  share(row_count(p, a[5]), ith, nth, &b, &e);
  if (b < e)
    ingot_get_rows((int)a[0], PTR(const void *, a[1]), (size_t)a[2], (int)a[3], a[8], PTR(const int32_t *, a[4]),
                   PTR(float *, a[6]), (int)a[7], (int)b, (int)e);
}

/* RMSNORM: a0 x, a1 x stride, a2 weight (f32), a3 out, a4 out stride, a5 dim, a6 eps (f64 bits), a7 rows */
static void exec_rmsnorm(const struct ingot_cpu_program *p, const int64_t *a, int ith, int nth) {
  int64_t b, e;
  share(row_count(p, a[7]), ith, nth, &b, &e);
  if (b < e)
    ingot_rmsnorm(PTR(const float *, a[0]), (int)a[1], PTR(const float *, a[2]), (float)f64_of(a[6]), (int)a[5],
                  PTR(float *, a[3]), (int)a[4], (int)b, (int)e);
}

/* QUANTIZE: a0 weight type, a1 x (contiguous rows of a3 floats), a2 unused, a3 dim, a4 xq, a5 xq row bytes, a6 rows */
static void exec_quantize(const struct ingot_cpu_program *p, const int64_t *a, int ith, int nth) {
  int64_t b, e;
  share(row_count(p, a[6]), ith, nth, &b, &e);
  if (b < e)
    ingot_quantize_activations((int)a[0], PTR(const float *, a[1]), (int)a[3], (int)e,
                               PTR(void *, a[4]), (size_t)a[5], (int)b, (int)e);
}

/* MATMUL: a0 type, a1 W, a2 W row bytes, a3 k, a4 n (output rows), a5 xq, a6 xq row bytes, a7 y,
 * a8 y stride, a11 rows (a9, a10 reserved) */
static void exec_matmul(const struct ingot_cpu_program *p, const int64_t *a, int ith, int nth) {
  /* Whole tiles of output rows per worker, so blocked kernels keep their shape. */
  const int64_t tile = 16;
  int64_t tiles = (a[4] + tile - 1) / tile, tb, te;
  share(tiles, ith, nth, &tb, &te);
  int64_t rb = tb * tile, re = te * tile < a[4] ? te * tile : a[4];
  if (rb >= re) return;
  int n_tokens = (int)row_count(p, a[11]);
  float *y = PTR(float *, a[7]);
  ingot_matmul_rows((int)a[0], PTR(const void *, a[1]), (size_t)a[2], (int)a[3], PTR(const void *, a[5]),
                    (size_t)a[6], n_tokens, y, (int)a[8], (int)rb, (int)re);
}

/* ROPE: a0 x, a1 x stride, a2 heads, a3 head dim, a4 rotated dims, a5 mode, a6 freq base (f64),
 * a7 freq scale (f64), a8 freq factors (f32* or 0), a9 positions, a10 rows */
static void exec_rope(const struct ingot_cpu_program *p, const int64_t *a, int ith, int nth) {
  int64_t b, e;
  share(row_count(p, a[10]), ith, nth, &b, &e);
  if (b >= e) return;
  ingot_rope_params rp = {
      .mode = (int)a[5], .n_dims = (int)a[4], .freq_base = (float)f64_of(a[6]),
      .freq_scale = (float)f64_of(a[7]), .attn_factor = 1.0f, .freq_factors = PTR(const float *, a[8]),
  };
  ingot_rope(&rp, PTR(float *, a[0]), (int)a[1], (int)a[2], (int)a[3], PTR(const int32_t *, a[9]), (int)b, (int)e);
}

/* SWIGLU: a0 gate, a1 up, a2 out, a3 dim, a4 stride, a5 rows */
static void exec_swiglu(const struct ingot_cpu_program *p, const int64_t *a, int ith, int nth) {
  int64_t b, e;
  share(row_count(p, a[5]), ith, nth, &b, &e);
  for (int64_t t = b; t < e; t++)
    ingot_swiglu(PTR(const float *, a[0]) + t * a[4], PTR(const float *, a[1]) + t * a[4],
                 PTR(float *, a[2]) + t * a[4], (int)a[3]);
}

/* ADD: a0 a, a1 b, a2 out, a3 dim, a4 stride of a and out, a5 rows, a6 stride of b (0 broadcasts one row: a bias) */
static void exec_add(const struct ingot_cpu_program *p, const int64_t *a, int ith, int nth) {
  int64_t b, e;
  share(row_count(p, a[5]), ith, nth, &b, &e);
  for (int64_t t = b; t < e; t++)
    ingot_add(PTR(const float *, a[0]) + t * a[4], PTR(const float *, a[1]) + t * a[6],
              PTR(float *, a[2]) + t * a[4], (int)a[3]);
}

/* GATHER: a0 x, a1 x stride, a2 out, a3 out stride, a4 dim, a5 output rows (int32*) */
static void exec_gather(const struct ingot_cpu_program *p, const int64_t *a, int ith, int nth) {
  int64_t b, e;
  share(p->step[INGOT_STEP_N_OUTPUTS], ith, nth, &b, &e);
  const int32_t *rows = PTR(const int32_t *, a[5]);
  for (int64_t i = b; i < e; i++)
    memcpy(PTR(float *, a[2]) + i * a[3], PTR(const float *, a[0]) + (int64_t)rows[i] * a[1],
           (size_t)a[4] * sizeof(float));
}

/* ARGMAX: a0 x, a1 stride, a2 dim, a3 ids out (int32*), a4 rows */
static void exec_argmax(const struct ingot_cpu_program *p, const int64_t *a, int ith, int nth) {
  int64_t b, e;
  share(row_count(p, a[4]), ith, nth, &b, &e);
  for (int64_t t = b; t < e; t++)
    PTR(int32_t *, a[3])[t] = ingot_argmax(PTR(const float *, a[0]) + t * a[1], (int)a[2]);
}

/* TOPK: a0 x, a1 stride, a2 dim, a3 k, a4 values out (f32, k per row), a5 ids out (int32, k per row), a6 rows */
static void exec_topk(const struct ingot_cpu_program *p, const int64_t *a, int ith, int nth) {
  int64_t b, e;
  share(row_count(p, a[6]), ith, nth, &b, &e);
  for (int64_t t = b; t < e; t++)
    ingot_topk(PTR(const float *, a[0]) + t * a[1], (int)a[2], (int)a[3], PTR(float *, a[4]) + t * a[3],
               PTR(int32_t *, a[5]) + t * a[3]);
}

static void exec_op(const struct ingot_cpu_program *p, const struct ingot_op *op, int ith, int nth) {
  const int64_t *a = op->a;
  switch (op->opcode & INGOT_OP_CODE_MASK) {
  case INGOT_OP_GET_ROWS: exec_get_rows(p, a, ith, nth); break;
  case INGOT_OP_RMSNORM: exec_rmsnorm(p, a, ith, nth); break;
  case INGOT_OP_QUANTIZE: exec_quantize(p, a, ith, nth); break;
  case INGOT_OP_MATMUL: exec_matmul(p, a, ith, nth); break;
  case INGOT_OP_ROPE: exec_rope(p, a, ith, nth); break;
  case INGOT_OP_KV_STORE: exec_kv_store(p->step, a, ith, nth); break;
  case INGOT_OP_ATTENTION: exec_attention(p->step, a, ith, nth); break;
  case INGOT_OP_SWIGLU: exec_swiglu(p, a, ith, nth); break;
  case INGOT_OP_ADD: exec_add(p, a, ith, nth); break;
  case INGOT_OP_GATHER: exec_gather(p, a, ith, nth); break;
  case INGOT_OP_ARGMAX: exec_argmax(p, a, ith, nth); break;
  case INGOT_OP_TOPK: exec_topk(p, a, ith, nth); break;
  }
}

/* Workers claim parts instead of owning a fixed share, and wait for a segment's parts to be done rather
 * than for every worker to arrive: a worker the OS preempted (the machine is shared) delays a step only
 * if it holds a part, never because it has not shown up yet; the others take its parts. */
static void run_job(void *ctx, int ith, int nth) {
  struct ingot_cpu_program *p = ctx;
  (void)ith;
  for (int s = 0; s < p->n_segments; s++) {
    struct segment *seg = &p->segments[s];
    for (;;) {
      const int part = atomic_fetch_add_explicit(&seg->claimed, 1, memory_order_acq_rel);
      if (part >= nth) break;
      for (int i = seg->begin; i < seg->end; i++) exec_op(p, &p->ops[i], part, nth);
      atomic_fetch_add_explicit(&seg->done, 1, memory_order_release);
    }
    pool_wait_count(&seg->done, nth);
  }
}

static int build_segments(struct ingot_cpu_program *p) {
  int n = 0;
  for (int i = 0; i < p->n_ops; i++)
    if (!(p->ops[i].opcode & INGOT_OP_NO_BARRIER_AFTER) || i == p->n_ops - 1) n++;
  p->segments = calloc((size_t)n, sizeof *p->segments);
  if (!p->segments) return 0;
  int begin = 0;
  p->n_segments = 0;
  for (int i = 0; i < p->n_ops; i++) {
    if ((p->ops[i].opcode & INGOT_OP_NO_BARRIER_AFTER) && i != p->n_ops - 1) continue;
    p->segments[p->n_segments].begin = begin;
    p->segments[p->n_segments].end = i + 1;
    p->n_segments++;
    begin = i + 1;
  }
  return 1;
}

static int weight_type_ok(int64_t type) {
  const ingot_type_traits *tr = ingot_get_type_traits((int)type);
  return tr && tr->vec_dot && tr->to_float;
}

/* Rejects what would make a run misbehave; pointers are the caller's responsibility. */
static int validate(const struct ingot_op *op, int index) {
  const int64_t *a = op->a;
  if (op->opcode & ~(int64_t)(INGOT_OP_CODE_MASK | INGOT_OP_NO_BARRIER_AFTER))
    return engine_fail(INGOT_E_UNSUPPORTED, "op %d: unknown flags in opcode word %lld", index, (long long)op->opcode);
  switch (op->opcode & INGOT_OP_CODE_MASK) {
  case INGOT_OP_MATMUL:
    if (a[0] >= INGOT_LAYOUT_Q4_0_X8) {
      const ingot_x8_layout *l = ingot_x8_layout_of((int)a[0]);
      if (!l || ingot_repacked_layout(l->file_type, a[4], a[3]) != a[0])
        return engine_fail(INGOT_E_UNSUPPORTED, "op %d: weight layout %lld does not apply to %lld x %lld on this build", index,
                           (long long)a[0], (long long)a[4], (long long)a[3]);
      return INGOT_OK;
    }
    /* fall through */
  case INGOT_OP_GET_ROWS:
  case INGOT_OP_QUANTIZE:
    if (!weight_type_ok(a[0])) return engine_fail(INGOT_E_UNSUPPORTED, "op %d: unsupported weight type %lld", index, (long long)a[0]);
    return INGOT_OK;
  case INGOT_OP_TOPK:
    if (a[3] < 1 || a[3] > a[2]) return engine_fail(INGOT_E_INVALID, "op %d: top-k k=%lld out of range", index, (long long)a[3]);
    return INGOT_OK;
  case INGOT_OP_ATTENTION:
    if (a[6] < 1 || a[6] > INGOT_MAX_HEAD_DIM || a[5] < 1 || a[4] % a[5] != 0)
      return engine_fail(INGOT_E_INVALID, "op %d: attention with head dim %lld, %lld heads, %lld KV heads is not supported", index,
                         (long long)a[6], (long long)a[4], (long long)a[5]);
    return INGOT_OK;
  case INGOT_OP_RMSNORM: case INGOT_OP_ROPE: case INGOT_OP_KV_STORE:
  case INGOT_OP_SWIGLU: case INGOT_OP_ADD: case INGOT_OP_GATHER: case INGOT_OP_ARGMAX:
    return INGOT_OK;
  default:
    return engine_fail(INGOT_E_UNSUPPORTED, "op %d: unknown opcode %lld", index, (long long)op->opcode);
  }
}

int ingot_cpu_program_create(ingot_cpu_engine *engine, const struct ingot_op *ops, int n_ops, const int32_t *step,
                             ingot_cpu_program **out) {
  if (!engine || !ops || n_ops <= 0 || !step || !out) return engine_fail(INGOT_E_INVALID, "program_create: null or empty argument");
  for (int i = 0; i < n_ops; i++) {
    int rc = validate(&ops[i], i);
    if (rc) return rc;
  }
  struct ingot_cpu_program *p = calloc(1, sizeof *p);
  if (!p) return engine_fail(INGOT_E_NOMEM, "program_create: out of memory");
  p->ops = malloc(sizeof *ops * (size_t)n_ops);
  if (!p->ops) {
    free(p);
    return engine_fail(INGOT_E_NOMEM, "program_create: out of memory");
  }
  memcpy(p->ops, ops, sizeof *ops * (size_t)n_ops);
  p->n_ops = n_ops;
  if (!build_segments(p)) {
    free(p->ops);
    free(p);
    return engine_fail(INGOT_E_NOMEM, "program_create: out of memory");
  }
  p->engine = engine;
  p->step = step;
  *out = p;
  return INGOT_OK;
}

void ingot_cpu_program_destroy(ingot_cpu_program *p) {
  if (!p) return;
  free(p->segments);
  free(p->ops);
  free(p);
}

int ingot_cpu_program_run(ingot_cpu_program *p) {
  if (!p) return engine_fail(INGOT_E_INVALID, "program_run: null program");
  int n = p->step[INGOT_STEP_N_TOKENS], outs = p->step[INGOT_STEP_N_OUTPUTS];
  if (n < 1 || outs < 1 || outs > n) return engine_fail(INGOT_E_INVALID, "program_run: bad step header (n_tokens %d, n_outputs %d)", n, outs);
  for (int s = 0; s < p->n_segments; s++) {
    atomic_store_explicit(&p->segments[s].claimed, 0, memory_order_relaxed);
    atomic_store_explicit(&p->segments[s].done, 0, memory_order_relaxed);
  }
  pool_run(engine_pool(p->engine), run_job, p); /* its job hand-off publishes the resets */
  return INGOT_OK;
}
