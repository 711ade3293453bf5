/*
 * scan.c — selective scan forward and backward for training (spec §6.1; the math is written out in
 * src/train/ops/scan.ts, which this file mirrors line for line). Threads split the E channels; the
 * backward recomputes each sequence's states into a per-thread [T, chunk, N] scratch, and the dB/dC
 * sums over channels go to per-thread buffers added up in thread order at the end.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "train.h"
#include "vexp.h"

#define NMAX 256
static const float zero[NMAX];

/* Σ p[0..n): four independent partial sums, so the adds do not wait on each other's latency */
static inline float hsum(const float *p, int n) {
  float s0 = 0.f, s1 = 0.f, s2 = 0.f, s3 = 0.f;
  int i = 0;
  for (; i + 4 <= n; i += 4) { s0 += p[i]; s1 += p[i + 1]; s2 += p[i + 2]; s3 += p[i + 3]; }
  for (; i < n; i++) s0 += p[i];
  return (s0 + s1) + (s2 + s3);
}

static inline float softplusf(float y) { return y > 20.f ? y : log1pf(expf(y)); }
static inline float sigmoidf(float y) { return 1.f / (1.f + expf(-y)); }

typedef struct { const jt_scan_args *a; int e0, e1; float *dB, *dC; int ok; } task_t;

static void *fwd_task(void *p) {
  task_t *tk = p; const jt_scan_args *a = tk->a;
  const int T = a->T, E = a->E, N = a->N, e0 = tk->e0, e1 = tk->e1, W = e1 - e0;
  float *h = calloc((size_t)W * N, sizeof(float)), *A = malloc((size_t)W * N * sizeof(float));
  if (!h || !A) { free(h); free(A); tk->ok = 0; return NULL; }
  for (int i = 0; i < W * N; i++) A[i] = -expf(a->Alog[(size_t)e0 * N + i]);
  for (int b = 0; b < a->B; b++) {
    memset(h, 0, (size_t)W * N * sizeof(float));
    for (int t = 0; t < T; t++) {
      const size_t row = (size_t)b * T + t, ro = row * E, bo = row * N;
      const float *Bt = a->Bm + bo, *Ct = a->Cm + bo;
      for (int e = e0; e < e1; e++) {
        const float dl = softplusf(a->dtr[ro + e]), x = a->v[ro + e], dx = dl * x;
        a->delta[ro + e] = dl;
        float *he = h + (size_t)(e - e0) * N; const float *Ae = A + (size_t)(e - e0) * N;
        float da[NMAX], prod[NMAX];
        for (int n = 0; n < N; n++) da[n] = jt_vexpf(dl * Ae[n]);
        for (int n = 0; n < N; n++) { he[n] = da[n] * he[n] + dx * Bt[n]; prod[n] = he[n] * Ct[n]; }
        a->y[ro + e] = hsum(prod, N) + a->D[e] * x;
      }
    }
  }
  free(h); free(A); tk->ok = 1; return NULL;
}

static void *bwd_task(void *p) {
  task_t *tk = p; const jt_scan_args *a = tk->a;
  const int T = a->T, E = a->E, N = a->N, e0 = tk->e0, e1 = tk->e1, W = e1 - e0;
  const size_t WN = (size_t)W * N;
  float *H = malloc((size_t)T * WN * sizeof(float)), *Da = malloc((size_t)T * WN * sizeof(float));
  float *dh = malloc(WN * sizeof(float)), *dA = calloc(WN, sizeof(float)), *A = malloc(WN * sizeof(float));
  if (!H || !Da || !dh || !dA || !A) { free(H); free(Da); free(dh); free(dA); free(A); tk->ok = 0; return NULL; }
  for (size_t i = 0; i < WN; i++) A[i] = -expf(a->Alog[(size_t)e0 * N + i]);
  for (int b = 0; b < a->B; b++) {
    for (int t = 0; t < T; t++) {
      const size_t row = (size_t)b * T + t, ro = row * E, bo = row * N;
      for (int e = e0; e < e1; e++) {
        const float dl = a->delta[ro + e], dx = dl * a->v[ro + e];
        const size_t ho = (size_t)t * WN + (size_t)(e - e0) * N;
        const float *Ae = A + (size_t)(e - e0) * N;
        float *Dt = Da + ho, *Ht = H + ho;
        for (int n = 0; n < N; n++) Dt[n] = jt_vexpf(dl * Ae[n]);
        if (t > 0) { const float *Hp = Ht - WN; for (int n = 0; n < N; n++) Ht[n] = Dt[n] * Hp[n] + dx * a->Bm[bo + n]; }
        else for (int n = 0; n < N; n++) Ht[n] = dx * a->Bm[bo + n];
      }
    }
    memset(dh, 0, WN * sizeof(float));
    for (int t = T - 1; t >= 0; t--) {
      const size_t row = (size_t)b * T + t, ro = row * E, bo = row * N;
      const float *Bt = a->Bm + bo, *Ct = a->Cm + bo;
      float *dBt = tk->dB + bo, *dCt = tk->dC + bo;
      for (int e = e0; e < e1; e++) {
        const float gy = a->dy[ro + e], x = a->v[ro + e], dl = a->delta[ro + e];
        a->dD[e] += gy * x;
        float dvt = gy * a->D[e], ddl = 0.f;
        const size_t ho = (size_t)t * WN + (size_t)(e - e0) * N, ao = (size_t)(e - e0) * N;
        const float *Ht = H + ho, *Dt = Da + ho, *Ae = A + ao;
        float *dhe = dh + ao, *dAe = dA + ao;
        float t1[NMAX], t2[NMAX];
        const float *Hp = t > 0 ? Ht - WN : zero;
        for (int n = 0; n < N; n++) {
          dCt[n] += gy * Ht[n];
          const float dhn = dhe[n] + gy * Ct[n];
          const float dpa = dhn * Dt[n] * Hp[n];
          t1[n] = Ae[n] * dpa + dhn * Bt[n] * x;
          t2[n] = dhn * Bt[n];
          dAe[n] += dpa * dl;
          dBt[n] += dhn * dl * x;
          dhe[n] = dhn * Dt[n];
        }
        ddl += hsum(t1, N);
        dvt += dl * hsum(t2, N);
        a->dv[ro + e] += dvt;
        const float r = a->dtr[ro + e];
        a->ddtr[ro + e] += ddl * (r > 20.f ? 1.f : sigmoidf(r));
      }
    }
  }
  for (size_t i = 0; i < WN; i++) a->dAlog[(size_t)e0 * N + i] += dA[i] * A[i];
  free(H); free(Da); free(dh); free(dA); free(A); tk->ok = 1; return NULL;
}

static int run(const jt_scan_args *a, int threads, void *(*fn)(void *), int bwd) {
  if (threads < 1) threads = 1;
  if (threads > a->E) threads = a->E;
  if (threads > 64) threads = 64;
  task_t tk[64]; pthread_t th[64];
  const size_t MN = (size_t)a->B * a->T * a->N;
  int ok = 1;
  for (int i = 0; i < threads; i++) {
    tk[i].a = a; tk[i].e0 = (int)((int64_t)a->E * i / threads); tk[i].e1 = (int)((int64_t)a->E * (i + 1) / threads);
    tk[i].dB = tk[i].dC = NULL; tk[i].ok = 0;
    if (bwd) {
      if (i == 0) { tk[i].dB = a->dB; tk[i].dC = a->dC; }
      else { tk[i].dB = calloc(MN, sizeof(float)); tk[i].dC = calloc(MN, sizeof(float)); if (!tk[i].dB || !tk[i].dC) ok = 0; }
    }
  }
  if (ok) {
    for (int i = 1; i < threads; i++) if (pthread_create(&th[i], NULL, fn, &tk[i]) != 0) { fn(&tk[i]); th[i] = 0; }
    fn(&tk[0]);
    for (int i = 1; i < threads; i++) if (th[i]) pthread_join(th[i], NULL);
    for (int i = 0; i < threads; i++) ok &= tk[i].ok;
  }
  if (bwd) for (int i = 1; i < threads; i++) {
    if (ok) for (size_t j = 0; j < MN; j++) { a->dB[j] += tk[i].dB[j]; a->dC[j] += tk[i].dC[j]; }
    free(tk[i].dB); free(tk[i].dC);
  }
  return ok;
}

void jt_train_scan_fwd(const jt_scan_args *a, int threads) { run(a, threads, fwd_task, 0); }
int jt_train_scan_bwd(const jt_scan_args *a, int threads) { return run(a, threads, bwd_task, 1); }
