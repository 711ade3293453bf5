/*
 * threadpool.c — one persistent pool of worker threads; no thread is created per op.
 *
 * jt_parallel_for publishes a job (fn, ctx, chunk count), runs chunks on the calling thread too (each
 * call of fn gets a range of whole chunks), and returns once every chunk is done. A worker takes part only by *joining* the open job (a CAS on
 * `ticket` = job id << 32 | joined count); the caller closes the job when its chunks run out and waits
 * just for the workers that joined, so a worker that was asleep never delays an op. Workers spin
 * briefly between jobs (decode issues hundreds of small ops per token) and then sleep on a condvar.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include "jt.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

#define SPIN_ITERS 20000 /* pauses a worker spins before sleeping (a fraction of a millisecond) */

static struct {
  int nthreads; /* total, the caller included */
  pthread_t *th;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  atomic_uint_fast64_t ticket; /* (job id << 32) | joined; id 0 = no open job */
  atomic_int sleeping;
  atomic_int stop;
  uint32_t last_id;
  /* the open job; written only while no worker is joined */
  jt_task_fn fn;
  void *ctx;
  int64_t n, grain, nchunks;
  atomic_int_fast64_t next; /* next chunk to claim */
  atomic_int left;          /* joined workers that finished */
  atomic_int busy;          /* a job is being run (a second caller thread then runs inline) */
} P = { .nthreads = 1, .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

/* Claims are guided: a thread takes 1/(2·threads) of the chunks still open (at least one), so a job of
 * c chunks costs O(threads·log c) claims instead of c. Each claim moves the shared counter's cache
 * line between cores (~0.1 µs here); an lm_head has ~1000 chunks of ~0.3 µs. The price: a thread
 * descheduled right after a claim can hold up to 1/(2·threads) of the job, where it held one chunk
 * before; the tail is still handed out a chunk at a time. */
static void run_chunks(void) {
  int64_t c = atomic_load(&P.next);
  while (c < P.nchunks) {
    int64_t k = (P.nchunks - c) / (2 * P.nthreads);
    if (k < 1) k = 1;
    if (!atomic_compare_exchange_weak(&P.next, &c, c + k)) continue; /* c now holds the current value */
    int64_t b = c * P.grain, e = (c + k) * P.grain < P.n ? (c + k) * P.grain : P.n;
    P.fn(P.ctx, b, e);
    c = atomic_load(&P.next);
  }
}

/* joins the open job if it is not `seen`; returns its id, or 0 if there is none to join */
static uint32_t try_join(uint32_t seen) {
  uint64_t s = atomic_load(&P.ticket);
  while ((uint32_t)(s >> 32) != 0 && (uint32_t)(s >> 32) != seen) {
    if (atomic_compare_exchange_weak(&P.ticket, &s, s + 1)) return (uint32_t)(s >> 32);
  }
  return 0;
}

static void *worker(void *arg) {
  (void)arg;
  uint32_t seen = 0;
  for (;;) {
    uint32_t id = 0;
    for (int i = 0; i < SPIN_ITERS && !(id = try_join(seen)); i++) {
      if (atomic_load(&P.stop)) return NULL;
      CPU_RELAX();
    }
    if (!id) {
      pthread_mutex_lock(&P.mu);
      atomic_fetch_add(&P.sleeping, 1);
      while (!atomic_load(&P.stop) && !(id = try_join(seen))) pthread_cond_wait(&P.cv, &P.mu);
      atomic_fetch_sub(&P.sleeping, 1);
      pthread_mutex_unlock(&P.mu);
      if (!id) return NULL; /* stop */
    }
    seen = id;
    run_chunks();
    atomic_fetch_add(&P.left, 1);
  }
}

void jt_parallel_for(int64_t n, int64_t grain, jt_task_fn fn, void *ctx) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  if (P.nthreads <= 1 || n <= grain || atomic_exchange(&P.busy, 1)) { fn(ctx, 0, n); return; }
  P.fn = fn; P.ctx = ctx; P.n = n; P.grain = grain;
  P.nchunks = (n + grain - 1) / grain;
  atomic_store(&P.next, 0);
  atomic_store(&P.left, 0);
  if (++P.last_id == 0) P.last_id = 1;
  atomic_store(&P.ticket, (uint64_t)P.last_id << 32);
  if (atomic_load(&P.sleeping) > 0) {
    pthread_mutex_lock(&P.mu);
    pthread_cond_broadcast(&P.cv);
    pthread_mutex_unlock(&P.mu);
  }
  run_chunks();
  /* close the job: no one joins from now on; wait for those who did */
  uint64_t joined = atomic_exchange(&P.ticket, 0) & 0xffffffffu;
  for (int spins = 0; (uint64_t)atomic_load(&P.left) < joined; spins++) {
    if (spins < 100000) CPU_RELAX(); else sched_yield();
  }
  atomic_store(&P.busy, 0);
}

void jt_pool_shutdown(void) {
  if (!P.th) return;
  pthread_mutex_lock(&P.mu);
  atomic_store(&P.stop, 1);
  pthread_cond_broadcast(&P.cv);
  pthread_mutex_unlock(&P.mu);
  for (int i = 0; i < P.nthreads - 1; i++) pthread_join(P.th[i], NULL);
  free(P.th);
  P.th = NULL;
  P.nthreads = 1;
  atomic_store(&P.stop, 0);
}

int jt_pool_init(int threads) {
  if (threads < 1) threads = 1;
  if (threads > 256) threads = 256;
  jt_pool_shutdown();
  if (threads == 1) return 1;
  P.th = (pthread_t *)calloc((size_t)threads - 1, sizeof(pthread_t));
  if (!P.th) return 1;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 1 << 20);
  int made = 0;
  for (; made < threads - 1; made++)
    if (pthread_create(&P.th[made], &attr, worker, NULL) != 0) break;
  pthread_attr_destroy(&attr);
  P.nthreads = made + 1;
  return P.nthreads;
}

int jt_pool_threads(void) { return P.nthreads; }

static _Thread_local struct { void *p; size_t n; } scratch[2];

void *jt_scratch(int slot, size_t bytes) {
  if (scratch[slot].n < bytes) {
    size_t n = (bytes + 4095) & ~(size_t)4095;
    free(scratch[slot].p);
    scratch[slot].p = aligned_alloc(64, n);
    scratch[slot].n = scratch[slot].p ? n : 0;
  }
  return scratch[slot].p;
}
