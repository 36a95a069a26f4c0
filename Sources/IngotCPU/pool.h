/* pool.h — persistent worker pool (internal to the CPU engine). */
#ifndef INGOT_POOL_H
#define INGOT_POOL_H

struct ingot_pool;

/* job(ctx, ith, nth) runs on every worker, ith in [0, nth); the caller runs ith = 0. */
typedef void (*pool_job_fn)(void *ctx, int ith, int nth);

int pool_create(int n_threads, struct ingot_pool **out);
void pool_destroy(struct ingot_pool *pool);
int pool_threads(const struct ingot_pool *pool);
/* Runs `job` on all workers and returns when every one has finished. */
void pool_run(struct ingot_pool *pool, pool_job_fn job, void *ctx);
/* Called by a worker inside a job: returns once *counter >= target (acquire), spinning, then yielding. */
void pool_wait_count(_Atomic int *counter, int target);

#endif
