/*
 * pool.c — the persistent worker pool of the CPU engine.
 *
 * Workers are created once per engine. Between jobs they spin for a short while (a decode step
 * follows the previous one within microseconds, and waking a sleeping thread costs ~50 us), then
 * sleep on a condition variable so an idle engine burns no CPU. The calling thread is worker 0.
 */
#include "pool.h"

#include "ingot_cpu.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield")
#else
#define cpu_relax() ((void)0)
#endif

/* Spins before a worker goes to sleep, and before a waiter (pool_wait_count) starts yielding its core. */
enum { IDLE_SPINS = 200000, BARRIER_SPINS_BEFORE_YIELD = 4096 };

struct ingot_pool {
  int n_threads;
  pthread_t *threads;
  pool_job_fn job;
  void *job_ctx;
  _Atomic unsigned generation; /* bumped once per job */
  _Atomic int pending;         /* workers (not counting the caller) still running the job */
  _Atomic int stop;
  pthread_mutex_t mutex;
  pthread_cond_t wake;
};

struct worker_arg {
  struct ingot_pool *pool;
  int index;
  unsigned generation; /* the pool's generation when the worker was created */
};

static void *worker_main(void *p) {
  struct worker_arg arg = *(struct worker_arg *)p;
  free(p);
  struct ingot_pool *pool = arg.pool;
  /* Not the generation at thread start: a job posted before this thread got to run must not be missed. */
  unsigned seen = arg.generation;
  for (;;) {
    int spins = 0;
    while (atomic_load_explicit(&pool->generation, memory_order_acquire) == seen &&
           !atomic_load(&pool->stop)) {
      if (++spins < IDLE_SPINS) {
        cpu_relax();
        continue;
      }
      pthread_mutex_lock(&pool->mutex);
      while (atomic_load(&pool->generation) == seen && !atomic_load(&pool->stop))
        pthread_cond_wait(&pool->wake, &pool->mutex);
      pthread_mutex_unlock(&pool->mutex);
    }
    if (atomic_load(&pool->stop)) return NULL;
    seen = atomic_load(&pool->generation);
    pool->job(pool->job_ctx, arg.index, pool->n_threads);
    atomic_fetch_sub_explicit(&pool->pending, 1, memory_order_release);
  }
}

int pool_create(int n_threads, struct ingot_pool **out) {
  if (n_threads <= 0) n_threads = ingot_cpu_default_threads();
  struct ingot_pool *pool = calloc(1, sizeof *pool);
  if (!pool) return -1;
  pool->n_threads = n_threads;
  pthread_mutex_init(&pool->mutex, NULL);
  pthread_cond_init(&pool->wake, NULL);
  pool->threads = calloc((size_t)n_threads, sizeof(pthread_t));
  if (!pool->threads) {
    free(pool);
    return -1;
  }
  for (int i = 1; i < n_threads; i++) {
    struct worker_arg *arg = malloc(sizeof *arg);
    int started = 0;
    if (arg) {
      arg->pool = pool;
      arg->index = i;
      arg->generation = atomic_load(&pool->generation);
      started = pthread_create(&pool->threads[i], NULL, worker_main, arg) == 0;
    }
    if (!started) {
      free(arg);
      pool->n_threads = i; /* destroy joins only the ones that started */
      pool_destroy(pool);
      return -1;
    }
  }
  *out = pool;
  return 0;
}

void pool_destroy(struct ingot_pool *pool) {
  if (!pool) return;
  pthread_mutex_lock(&pool->mutex);
  atomic_store(&pool->stop, 1);
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->mutex);
  for (int i = 1; i < pool->n_threads; i++) pthread_join(pool->threads[i], NULL);
  pthread_mutex_destroy(&pool->mutex);
  pthread_cond_destroy(&pool->wake);
  free(pool->threads);
  free(pool);
}

int pool_threads(const struct ingot_pool *pool) { return pool->n_threads; }

void pool_run(struct ingot_pool *pool, pool_job_fn job, void *ctx) {
  pool->job = job;
  pool->job_ctx = ctx;
  atomic_store(&pool->pending, pool->n_threads - 1);
  pthread_mutex_lock(&pool->mutex);
  atomic_fetch_add_explicit(&pool->generation, 1, memory_order_release);
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->mutex);
  job(ctx, 0, pool->n_threads);
  while (atomic_load_explicit(&pool->pending, memory_order_acquire) > 0) cpu_relax();
}

void pool_wait_count(_Atomic int *counter, int target) {
  int spins = 0;
  while (atomic_load_explicit(counter, memory_order_acquire) < target) {
    /* With more threads than free cores a pure spin would starve the thread we wait for. */
    if (++spins > BARRIER_SPINS_BEFORE_YIELD) sched_yield();
    else cpu_relax();
  }
}
