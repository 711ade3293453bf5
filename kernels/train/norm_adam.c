/*
 * norm_adam.c — RMSNorm forward/backward over strided rows (src/train/ops/rmsnorm.ts) and the AdamW
 * update of one parameter tensor (src/train/optim.ts), the last per-element loops of a training step.
 * RMSNorm threads split rows, except that dw is summed per thread and added in thread order.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include "train.h"

typedef struct { const jt_rms_args *a; int r0, r1; float *dw; } rms_task;

static void *rms_fwd_task(void *p) {
  rms_task *tk = p; const jt_rms_args *a = tk->a;
  const int n = a->n;
  for (int t = tk->r0; t < tk->r1; t++) {
    const float *x = a->x + (size_t)t * a->xStride; float *y = a->y + (size_t)t * a->yStride;
    float ss = 0.f;
    for (int i = 0; i < n; i++) ss += x[i] * x[i];
    const float r = 1.f / sqrtf(ss / n + a->eps);
    a->rstd[t] = r;
    for (int i = 0; i < n; i++) y[i] = a->w[i] * (x[i] * r);
  }
  return NULL;
}

static void *rms_bwd_task(void *p) {
  rms_task *tk = p; const jt_rms_args *a = tk->a;
  const int n = a->n;
  for (int t = tk->r0; t < tk->r1; t++) {
    const float *x = a->x + (size_t)t * a->xStride, *dy = a->dy + (size_t)t * a->dyStride;
    float *dx = a->dx + (size_t)t * a->dxStride;
    const float r = a->rstd[t];
    float dot = 0.f;
    for (int i = 0; i < n; i++) { tk->dw[i] += dy[i] * x[i] * r; dot += dy[i] * a->w[i] * x[i]; }
    const float c = r * r * r * dot / n;
    for (int i = 0; i < n; i++) dx[i] += r * dy[i] * a->w[i] - c * x[i];
  }
  return NULL;
}

static void rms_run(const jt_rms_args *a, int threads, int bwd) {
  if (threads < 1) threads = 1;
  if (threads > 64) threads = 64;
  if (threads > a->M) threads = a->M > 0 ? a->M : 1;
  rms_task tk[64]; pthread_t th[64];
  int ok = 1;
  for (int i = 0; i < threads; i++) {
    tk[i].a = a; tk[i].r0 = (int)((int64_t)a->M * i / threads); tk[i].r1 = (int)((int64_t)a->M * (i + 1) / threads);
    tk[i].dw = (bwd && i > 0) ? calloc((size_t)a->n, sizeof(float)) : a->dw;
    if (bwd && !tk[i].dw) ok = 0;
  }
  if (!ok) { /* out of memory for the partial sums: one thread does it all */
    for (int i = 1; i < threads; i++) free(tk[i].dw == a->dw ? NULL : tk[i].dw);
    threads = 1; tk[0].r0 = 0; tk[0].r1 = a->M; tk[0].dw = a->dw;
  }
  void *(*fn)(void *) = bwd ? rms_bwd_task : rms_fwd_task;
  for (int i = 1; i < threads; i++) if (pthread_create(&th[i], NULL, fn, &tk[i]) != 0) { fn(&tk[i]); th[i] = 0; }
  fn(&tk[0]);
  for (int i = 1; i < threads; i++) if (th[i]) pthread_join(th[i], NULL);
  if (bwd) for (int i = 1; i < threads; i++) { for (int j = 0; j < a->n; j++) a->dw[j] += tk[i].dw[j]; free(tk[i].dw); }
}

void jt_train_rms_fwd(const jt_rms_args *a, int threads) { rms_run(a, threads, 0); }
void jt_train_rms_bwd(const jt_rms_args *a, int threads) { rms_run(a, threads, 1); }

void jt_train_adamw(float *th, const float *g, float *m, float *v, size_t n, float lr, float beta1, float beta2, float eps, float decay, float c1, float c2) {
  for (size_t i = 0; i < n; i++) {
    const float gi = g[i];
    const float mi = beta1 * m[i] + (1.f - beta1) * gi;
    const float vi = beta2 * v[i] + (1.f - beta2) * gi * gi;
    m[i] = mi; v[i] = vi;
    th[i] = th[i] * decay - (lr * (mi / c1)) / (sqrtf(vi / c2) + eps);
  }
}
