/*
 * attention.c — causal grouped-query attention forward (keeping the probabilities) and backward for
 * training (spec §5; the math is in src/train/ops/attention.ts, mirrored here). Threads split the
 * (sequence, KV head) pairs: every query head of a group writes only its own dq rows and the group's
 * dk/dv rows, so no two threads touch the same output.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include "train.h"

typedef struct { const jt_attn_args *a; int j0, j1; int ok; } task_t;

static void *fwd_task(void *p) {
  task_t *tk = p; const jt_attn_args *a = tk->a;
  const int T = a->T, nH = a->nH, nKV = a->nKV, d = a->d, G = nH / nKV;
  const int qRow = nH * d, kRow = nKV * d;
  const float scale = 1.f / sqrtf((float)d);
  for (int job = tk->j0; job < tk->j1; job++) {
    const int b = job / nKV, kh = job % nKV;
    const size_t base = (size_t)b * T;
    for (int h = kh * G; h < (kh + 1) * G; h++) {
      for (int t = 0; t < T; t++) {
        const float *q = a->q + (base + t) * qRow + (size_t)h * d;
        float *o = a->o + (base + t) * qRow + (size_t)h * d;
        float *P = a->P + (((size_t)b * nH + h) * T + t) * T;
        float max = -INFINITY;
        for (int j = 0; j <= t; j++) {
          const float *k = a->k + (base + j) * kRow + (size_t)kh * d;
          float s = 0.f;
          for (int i = 0; i < d; i++) s += q[i] * k[i];
          s *= scale; P[j] = s; if (s > max) max = s;
        }
        float sum = 0.f;
        for (int j = 0; j <= t; j++) { const float e = expf(P[j] - max); P[j] = e; sum += e; }
        const float inv = 1.f / sum;
        for (int i = 0; i < d; i++) o[i] = 0.f;
        for (int j = 0; j <= t; j++) {
          const float pj = P[j] * inv; P[j] = pj;
          const float *v = a->v + (base + j) * kRow + (size_t)kh * d;
          for (int i = 0; i < d; i++) o[i] += pj * v[i];
        }
      }
    }
  }
  tk->ok = 1; return NULL;
}

static void *bwd_task(void *p) {
  task_t *tk = p; const jt_attn_args *a = tk->a;
  const int T = a->T, nH = a->nH, nKV = a->nKV, d = a->d, G = nH / nKV;
  const int qRow = nH * d, kRow = nKV * d;
  const float scale = 1.f / sqrtf((float)d);
  float *dp = malloc((size_t)T * sizeof(float));
  if (!dp) { tk->ok = 0; return NULL; }
  for (int job = tk->j0; job < tk->j1; job++) {
    const int b = job / nKV, kh = job % nKV;
    const size_t base = (size_t)b * T;
    for (int h = kh * G; h < (kh + 1) * G; h++) {
      for (int t = 0; t < T; t++) {
        const size_t qo = (base + t) * qRow + (size_t)h * d;
        const float *g = a->dO + qo, *q = a->q + qo;
        float *dq = a->dq + qo;
        const float *P = a->P + (((size_t)b * nH + h) * T + t) * T;
        float dot = 0.f;
        for (int j = 0; j <= t; j++) {
          const size_t vo = (base + j) * kRow + (size_t)kh * d;
          const float *v = a->v + vo; float *dv = a->dv + vo;
          const float pj = P[j];
          float acc = 0.f;
          for (int i = 0; i < d; i++) { acc += g[i] * v[i]; dv[i] += pj * g[i]; }
          dp[j] = acc; dot += pj * acc;
        }
        for (int j = 0; j <= t; j++) {
          const float ds = P[j] * (dp[j] - dot) * scale;
          const size_t ko = (base + j) * kRow + (size_t)kh * d;
          const float *k = a->k + ko; float *dk = a->dk + ko;
          for (int i = 0; i < d; i++) { dq[i] += ds * k[i]; dk[i] += ds * q[i]; }
        }
      }
    }
  }
  free(dp); tk->ok = 1; return NULL;
}

static int run(const jt_attn_args *a, int threads, void *(*fn)(void *)) {
  const int jobs = a->B * a->nKV;
  if (threads < 1) threads = 1;
  if (threads > jobs) threads = jobs;
  if (threads > 64) threads = 64;
  task_t tk[64]; pthread_t th[64];
  for (int i = 0; i < threads; i++) { tk[i].a = a; tk[i].j0 = jobs * i / threads; tk[i].j1 = jobs * (i + 1) / threads; tk[i].ok = 0; }
  for (int i = 1; i < threads; i++) if (pthread_create(&th[i], NULL, fn, &tk[i]) != 0) { fn(&tk[i]); th[i] = 0; }
  fn(&tk[0]);
  for (int i = 1; i < threads; i++) if (th[i]) pthread_join(th[i], NULL);
  int ok = 1;
  for (int i = 0; i < threads; i++) ok &= tk[i].ok;
  return ok;
}

void jt_train_attn_fwd(const jt_attn_args *a, int threads) { run(a, threads, fwd_task); }
int jt_train_attn_bwd(const jt_attn_args *a, int threads) { return run(a, threads, bwd_task); }
