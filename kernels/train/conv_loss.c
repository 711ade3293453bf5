/*
 * conv_loss.c — two more training kernels (src/train/ops/conv.ts and ops/loss.ts mirror them):
 *  - Mamba's causal depthwise conv with bias, forward and backward, threads splitting the channels;
 *  - cross-entropy over rows of logits, writing scale·(softmax − onehot)/count, threads splitting rows
 *    (each thread returns its partial loss; the partials are added in thread order).
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include "train.h"
#include "vexp.h"

typedef struct { const jt_conv_args *a; int e0, e1; } conv_task;

static void *conv_fwd_task(void *p) {
  conv_task *tk = p; const jt_conv_args *a = tk->a;
  const int T = a->T, E = a->E, K = a->K;
  for (int b = 0; b < a->B; b++) for (int t = 0; t < T; t++) {
    float *c = a->c + ((size_t)b * T + t) * E;
    for (int e = tk->e0; e < tk->e1; e++) c[e] = a->bias ? a->bias[e] : 0.f;
    for (int j = 0; j < K; j++) {
      const int src = t - K + 1 + j;
      if (src < 0) continue;
      const float *u = a->u + ((size_t)b * T + src) * a->uStride;
      for (int e = tk->e0; e < tk->e1; e++) c[e] += a->w[(size_t)e * K + j] * u[e];
    }
  }
  return NULL;
}

static void *conv_bwd_task(void *p) {
  conv_task *tk = p; const jt_conv_args *a = tk->a;
  const int T = a->T, E = a->E, K = a->K;
  for (int b = 0; b < a->B; b++) for (int t = 0; t < T; t++) {
    const float *dc = a->dc + ((size_t)b * T + t) * E;
    if (a->db) for (int e = tk->e0; e < tk->e1; e++) a->db[e] += dc[e];
    for (int j = 0; j < K; j++) {
      const int src = t - K + 1 + j;
      if (src < 0) continue;
      const size_t uo = ((size_t)b * T + src) * a->uStride;
      const float *u = a->u + uo; float *du = a->du + uo;
      for (int e = tk->e0; e < tk->e1; e++) { a->dw[(size_t)e * K + j] += dc[e] * u[e]; du[e] += dc[e] * a->w[(size_t)e * K + j]; }
    }
  }
  return NULL;
}

static void run_split(int n, int threads, void *(*fn)(void *), void *tasks, size_t size, void (*set)(void *, int, int)) {
  if (threads < 1) threads = 1;
  if (threads > n) threads = n > 0 ? n : 1;
  if (threads > 64) threads = 64;
  pthread_t th[64];
  for (int i = 0; i < threads; i++) set((char *)tasks + i * size, (int)((int64_t)n * i / threads), (int)((int64_t)n * (i + 1) / threads));
  for (int i = 1; i < threads; i++) if (pthread_create(&th[i], NULL, fn, (char *)tasks + i * size) != 0) { fn((char *)tasks + i * size); th[i] = 0; }
  fn(tasks);
  for (int i = 1; i < threads; i++) if (th[i]) pthread_join(th[i], NULL);
}

static void conv_set(void *p, int lo, int hi) { ((conv_task *)p)->e0 = lo; ((conv_task *)p)->e1 = hi; }

static void conv_run(const jt_conv_args *a, int threads, void *(*fn)(void *)) {
  conv_task tk[64];
  for (int i = 0; i < 64; i++) tk[i].a = a;
  run_split(a->E, threads, fn, tk, sizeof tk[0], conv_set);
}

void jt_train_conv_fwd(const jt_conv_args *a, int threads) { conv_run(a, threads, conv_fwd_task); }
void jt_train_conv_bwd(const jt_conv_args *a, int threads) { conv_run(a, threads, conv_bwd_task); }

typedef struct { const jt_ce_args *a; int r0, r1; double loss; } ce_task;

static void *ce_task_fn(void *p) {
  ce_task *tk = p; const jt_ce_args *a = tk->a;
  const int V = a->V;
  double total = 0;
  for (int t = tk->r0; t < tk->r1; t++) {
    const float *l = a->logits + (size_t)t * V;
    float *d = a->dlogits ? a->dlogits + (size_t)t * V : NULL;
    const int y = a->targets[t];
    if (y < 0) { if (d) for (int i = 0; i < V; i++) d[i] = 0.f; continue; }
    float max = -INFINITY;
    for (int i = 0; i < V; i++) max = l[i] > max ? l[i] : max;
    float sum = 0.f;
    if (d) { for (int i = 0; i < V; i++) { d[i] = jt_vexpf(l[i] - max); } for (int i = 0; i < V; i++) sum += d[i]; }
    else for (int i = 0; i < V; i++) sum += jt_vexpf(l[i] - max);
    const double lse = (double)max + log((double)sum);
    total += lse - (double)l[y];
    if (d) {
      const float k = (float)(a->scale / a->count) / sum;
      for (int i = 0; i < V; i++) d[i] *= k;
      d[y] -= (float)(a->scale / a->count);
    }
  }
  tk->loss = total;
  return NULL;
}

static void ce_set(void *p, int lo, int hi) { ((ce_task *)p)->r0 = lo; ((ce_task *)p)->r1 = hi; ((ce_task *)p)->loss = 0; }

double jt_train_cross_entropy(const jt_ce_args *a, int threads) {
  ce_task tk[64];
  for (int i = 0; i < 64; i++) { tk[i].a = a; tk[i].r0 = tk[i].r1 = 0; tk[i].loss = 0; }
  run_split(a->M, threads, ce_task_fn, tk, sizeof tk[0], ce_set);
  double total = 0;
  for (int i = 0; i < 64; i++) total += tk[i].loss;
  return total;
}
