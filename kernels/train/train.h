/*
 * train.h — float32 training kernels for jamba-ts (src/train/): the selective scan forward/backward
 * (spec §6.1 steps 8–11, reverse-time recurrence) and causal GQA attention forward/backward (spec §5),
 * the parts of a training step that plain TypeScript is slowest at. Each splits its work over
 * `threads` pthreads along an axis whose outputs do not overlap (channels, or KV heads), so results
 * do not depend on the thread count except for the per-thread partial sums of dB/dC, which are
 * reduced in a fixed order.
 */
#ifndef JT_TRAIN_H
#define JT_TRAIN_H
#include <stdint.h>

typedef struct {
  int B, T, E, N;
  const float *v, *dtr, *Alog, *Bm, *Cm, *D;  /* [M,E] [M,E] [E,N] [M,N] [M,N] [E] */
  float *y, *delta;                           /* forward outputs [M,E] */
  const float *dy;                            /* backward input [M,E] */
  float *dv, *ddtr, *dAlog, *dB, *dC, *dD;    /* backward outputs (accumulated) */
} jt_scan_args;

void jt_train_scan_fwd(const jt_scan_args *a, int threads);
int jt_train_scan_bwd(const jt_scan_args *a, int threads); /* 0 on allocation failure */

typedef struct {
  int B, T, nH, nKV, d;
  const float *q, *k, *v;      /* [M, nH·d], [M, nKV·d], [M, nKV·d] */
  float *o, *P;                /* [M, nH·d], [B, nH, T, T] */
  const float *dO;             /* [M, nH·d] */
  float *dq, *dk, *dv;         /* accumulated */
} jt_attn_args;

void jt_train_attn_fwd(const jt_attn_args *a, int threads);
int jt_train_attn_bwd(const jt_attn_args *a, int threads);

typedef struct {
  int B, T, E, K, uStride;
  const float *u, *w, *bias;   /* u rows of stride uStride, w [E, K], bias [E] or NULL */
  float *c;                    /* forward output [M, E] */
  const float *dc;             /* backward input [M, E] */
  float *du, *dw, *db;         /* accumulated (db may be NULL) */
} jt_conv_args;

void jt_train_conv_fwd(const jt_conv_args *a, int threads);
void jt_train_conv_bwd(const jt_conv_args *a, int threads);

typedef struct {
  int M, V;
  const float *logits; const int32_t *targets;  /* [M, V], [M] (−1 = no target) */
  float *dlogits;                                /* [M, V] or NULL */
  double scale, count;
} jt_ce_args;

/* Returns the summed (not averaged) loss over rows with a target. */
double jt_train_cross_entropy(const jt_ce_args *a, int threads);

typedef struct {
  int M, nIn, nOut;
  const float *dy, *x, *W;     /* [M, nOut], [M, nIn], [nOut, nIn] */
  float *dW, *db, *dx;         /* accumulated; db may be NULL */
} jt_gemm_args;

void jt_train_gemm_dw(const jt_gemm_args *a, int threads);
void jt_train_gemm_dx(const jt_gemm_args *a, int threads);
void jt_train_silu_glu_fwd(float *out, const float *a, const float *z, int zStride, int M, int E);
void jt_train_silu_glu_bwd(float *da, float *dz, const float *g, const float *a, const float *z, int zStride, int M, int E);

typedef struct {
  int M, n, xStride, yStride, dyStride, dxStride;
  float eps;
  const float *x, *w, *dy;    /* rows of n values at the given strides */
  float *y, *rstd, *dx, *dw;  /* forward: y, rstd [M]; backward: dx and dw accumulated */
} jt_rms_args;

void jt_train_rms_fwd(const jt_rms_args *a, int threads);
void jt_train_rms_bwd(const jt_rms_args *a, int threads);
void jt_train_adamw(float *th, const float *g, float *m, float *v, size_t n, float lr, float beta1, float beta2, float eps, float decay, float c1, float c2);

#endif
