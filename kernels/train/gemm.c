/*
 * gemm.c — the two matrix products of a linear layer's backward (src/train/ops/linear.ts), done in
 * place so no transposed copies are needed:
 *   dW[o, i] += Σ_t dy[t, o]·x[t, i]   (threads split o; a ~128 KB panel of x rows stays in L2 while
 *                                       four rows of dW at a time accumulate over it)
 *   dx[t, i] += Σ_o dy[t, o]·W[o, i]   (threads split t; likewise a panel of W rows)
 * and the SiLU gate of the Mamba mixer and SwiGLU (src/train/ops/elementwise.ts):
 *   out = a ⊙ silu(z);  da = g ⊙ silu(z), dz = g ⊙ a ⊙ silu'(z)   (z rows strided).
 * Both run four output rows at a time through one routine (rows4): with AVX2 a 4×16 tile of the output
 * stays in registers across the panel (8 FMAs per 6 loads); other columns and builds without AVX2
 * take the plain loops, which GCC vectorises.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include "train.h"
#include "vexp.h"
#ifdef __AVX2__
#include <immintrin.h>
#endif

typedef struct { const jt_gemm_args *a; int lo, hi; } task_t;

/* rows of the streamed operand per cache panel: about 128 KB */
static inline int panel(int n) { int r = 32768 / (n > 0 ? n : 1); return r < 4 ? 4 : r; }

/*
 * c_r[i] += Σ_{k<K} A(r, k)·b[k·ldb + i] for the 4 rows c_r = c + r·ldc and columns i < n, where
 * A(r, k) = a[r·ars + k·aks]; every element takes its k in order. With AVX2 a 4×16 tile of c stays in
 * registers across all K (8 FMAs per 6 loads); other columns take the plain loop.
 */
static inline void rows4(float *c, size_t ldc, const float *a, size_t ars, size_t aks, const float *b, size_t ldb, int K, int n) {
  float *c0 = c, *c1 = c0 + ldc, *c2 = c1 + ldc, *c3 = c2 + ldc;
  int i0 = 0;
#ifdef __AVX2__
  for (; i0 + 16 <= n; i0 += 16) {
    __m256 c00 = _mm256_loadu_ps(c0 + i0), c01 = _mm256_loadu_ps(c0 + i0 + 8), c10 = _mm256_loadu_ps(c1 + i0), c11 = _mm256_loadu_ps(c1 + i0 + 8);
    __m256 c20 = _mm256_loadu_ps(c2 + i0), c21 = _mm256_loadu_ps(c2 + i0 + 8), c30 = _mm256_loadu_ps(c3 + i0), c31 = _mm256_loadu_ps(c3 + i0 + 8);
    for (int k = 0; k < K; k++) {
      const float *ak = a + (size_t)k * aks, *bk = b + (size_t)k * ldb + i0;
      const __m256 b0 = _mm256_loadu_ps(bk), b1 = _mm256_loadu_ps(bk + 8);
      __m256 v = _mm256_broadcast_ss(ak); c00 = _mm256_fmadd_ps(v, b0, c00); c01 = _mm256_fmadd_ps(v, b1, c01);
      v = _mm256_broadcast_ss(ak + ars); c10 = _mm256_fmadd_ps(v, b0, c10); c11 = _mm256_fmadd_ps(v, b1, c11);
      v = _mm256_broadcast_ss(ak + 2 * ars); c20 = _mm256_fmadd_ps(v, b0, c20); c21 = _mm256_fmadd_ps(v, b1, c21);
      v = _mm256_broadcast_ss(ak + 3 * ars); c30 = _mm256_fmadd_ps(v, b0, c30); c31 = _mm256_fmadd_ps(v, b1, c31);
    }
    _mm256_storeu_ps(c0 + i0, c00); _mm256_storeu_ps(c0 + i0 + 8, c01); _mm256_storeu_ps(c1 + i0, c10); _mm256_storeu_ps(c1 + i0 + 8, c11);
    _mm256_storeu_ps(c2 + i0, c20); _mm256_storeu_ps(c2 + i0 + 8, c21); _mm256_storeu_ps(c3 + i0, c30); _mm256_storeu_ps(c3 + i0 + 8, c31);
  }
#endif
  if (i0 < n) for (int k = 0; k < K; k++) {
    const float *ak = a + (size_t)k * aks, *bk = b + (size_t)k * ldb;
    const float a0 = ak[0], a1 = ak[ars], a2 = ak[2 * ars], a3 = ak[3 * ars];
    for (int i = i0; i < n; i++) { const float bv = bk[i]; c0[i] += a0 * bv; c1[i] += a1 * bv; c2[i] += a2 * bv; c3[i] += a3 * bv; }
  }
}

static void *dw_task(void *p) {
  task_t *tk = p; const jt_gemm_args *a = tk->a;
  const int M = a->M, nIn = a->nIn, nOut = a->nOut, P = panel(nIn);
  for (int t0 = 0; t0 < M; t0 += P) {
    const int t1 = t0 + P < M ? t0 + P : M;
    int o = tk->lo;
    /* 4 rows of dW over the panel of x rows: A(r, t) = dy[t, o + r] */
    for (; o + 4 <= tk->hi; o += 4)
      rows4(a->dW + (size_t)o * nIn, nIn, a->dy + (size_t)t0 * nOut + o, 1, nOut, a->x + (size_t)t0 * nIn, nIn, t1 - t0, nIn);
    for (; o < tk->hi; o++) {
      float *w = a->dW + (size_t)o * nIn;
      for (int t = t0; t < t1; t++) {
        const float g = a->dy[(size_t)t * nOut + o];
        if (g == 0.f) continue;
        const float *x = a->x + (size_t)t * nIn;
        for (int i = 0; i < nIn; i++) w[i] += g * x[i];
      }
    }
  }
  if (a->db) for (int oo = tk->lo; oo < tk->hi; oo++) { float s = 0.f; for (int t = 0; t < M; t++) s += a->dy[(size_t)t * nOut + oo]; a->db[oo] += s; }
  return NULL;
}

static void *dx_task(void *p) {
  task_t *tk = p; const jt_gemm_args *a = tk->a;
  const int nIn = a->nIn, nOut = a->nOut, P = panel(nIn);
  for (int o0 = 0; o0 < nOut; o0 += P) {
    const int o1 = o0 + P < nOut ? o0 + P : nOut;
    int t = tk->lo;
    /* 4 rows of dx over the panel of W rows: A(r, o) = dy[t + r, o] */
    for (; t + 4 <= tk->hi; t += 4)
      rows4(a->dx + (size_t)t * nIn, nIn, a->dy + (size_t)t * nOut + o0, nOut, 1, a->W + (size_t)o0 * nIn, nIn, o1 - o0, nIn);
    for (; t < tk->hi; t++) {
      float *d = a->dx + (size_t)t * nIn;
      for (int o = o0; o < o1; o++) {
        const float g = a->dy[(size_t)t * nOut + o];
        if (g == 0.f) continue;
        const float *w = a->W + (size_t)o * nIn;
        for (int i = 0; i < nIn; i++) d[i] += g * w[i];
      }
    }
  }
  return NULL;
}

static void run(const jt_gemm_args *a, int n, int threads, void *(*fn)(void *), int align) {
  if (threads < 1) threads = 1;
  if (threads > 64) threads = 64;
  if (n < threads * align) threads = n / align > 0 ? n / align : 1;
  task_t tk[64]; pthread_t th[64];
  for (int i = 0; i < threads; i++) {
    tk[i].a = a;
    tk[i].lo = (int)((int64_t)n * i / threads / align * align);
    tk[i].hi = i + 1 == threads ? n : (int)((int64_t)n * (i + 1) / threads / align * align);
  }
  for (int i = 1; i < threads; i++) if (pthread_create(&th[i], NULL, fn, &tk[i]) != 0) { fn(&tk[i]); th[i] = 0; }
  fn(&tk[0]);
  for (int i = 1; i < threads; i++) if (th[i]) pthread_join(th[i], NULL);
}

void jt_train_gemm_dw(const jt_gemm_args *a, int threads) { run(a, a->nOut, threads, dw_task, 4); }
void jt_train_gemm_dx(const jt_gemm_args *a, int threads) { run(a, a->M, threads, dx_task, 4); }

static inline float sigm(float v) { return 1.f / (1.f + jt_vexpf(-v)); }

void jt_train_silu_glu_fwd(float *out, const float *a, const float *z, int zStride, int M, int E) {
  for (int t = 0; t < M; t++) {
    const float *zt = z + (size_t)t * zStride, *at = a + (size_t)t * E; float *ot = out + (size_t)t * E;
    for (int e = 0; e < E; e++) { const float v = zt[e]; ot[e] = at[e] * v * sigm(v); }
  }
}

void jt_train_silu_glu_bwd(float *da, float *dz, const float *g, const float *a, const float *z, int zStride, int M, int E) {
  for (int t = 0; t < M; t++) {
    const float *zt = z + (size_t)t * zStride, *at = a + (size_t)t * E, *gt = g + (size_t)t * E;
    float *dat = da + (size_t)t * E, *dzt = dz + (size_t)t * zStride;
    for (int e = 0; e < E; e++) {
      const float v = zt[e], s = sigm(v);
      dat[e] = gt[e] * v * s;
      dzt[e] = gt[e] * at[e] * s * (1.f + v * (1.f - s));
    }
  }
}
