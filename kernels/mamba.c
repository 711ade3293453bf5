/*
 * mamba.c — Mamba's mixer core as fused loops (spec §6.1 steps 3–4 and 8–12; llama.cpp's
 * ggml_ssm_conv / ggml_ssm_scan compute the same):
 *   conv1d: c_t[e] = bias[e] + Σ_j w[e, j]·u_{t−K+1+j}[e] over [state ‖ u], then act; state ← last K−1 inputs.
 *   scan:   Δ = softplus(dt); h[e, n] ← exp(Δ·A[e, n])·h[e, n] + Δ·B_t[n]·u_t[e];
 *           y_t[e] = (Σ_n h[e, n]·C_t[n] + D[e]·u_t[e]) · act(z_t[e]).
 * Both are one pass over the sequence, vectorised across d_inner (JT_W channels per vector; d_state
 * is only 16, so that loop stays scalar-in-n as llama.cpp advises) and split over channel chunks on
 * the pool. Conv window and SSM state live in registers for the whole sequence; state is float32.
 */
#include "vmath.h"

/* ---- conv ---- */

#if JT_ISA == JT_ISA_AVX512
/* 16 rows of S floats (S = 3 or 4, 16·S floats from p) ↔ S vectors, vector j = column j (lane l = row l),
 * by two-source permutes instead of 16·S scalar moves. Column j's lane l is element S·l + j of the
 * block: element (S·l + j) mod 32 of register pair (0, 1) or, where the mask has bit l, of pair (2, 3).
 * Rows back (S = 3): element 16q + m is column (16q + m) mod 3, lane (16q + m) / 3 (index + 16 picks
 * column 1 from the pair (column 0, column 1); the mask picks column 2). Tables written out by formula. */
static const int32_t COL4_IDX[4][16] __attribute__((aligned(64))) = {
  { 0, 4, 8, 12, 16, 20, 24, 28, 0, 4, 8, 12, 16, 20, 24, 28 },
  { 1, 5, 9, 13, 17, 21, 25, 29, 1, 5, 9, 13, 17, 21, 25, 29 },
  { 2, 6, 10, 14, 18, 22, 26, 30, 2, 6, 10, 14, 18, 22, 26, 30 },
  { 3, 7, 11, 15, 19, 23, 27, 31, 3, 7, 11, 15, 19, 23, 27, 31 } };
static const __mmask16 COL4_HI[4] = { 0xff00, 0xff00, 0xff00, 0xff00 };
static const int32_t COL3_IDX[3][16] __attribute__((aligned(64))) = {
  { 0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 1, 4, 7, 10, 13 },
  { 1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31, 2, 5, 8, 11, 14 },
  { 2, 5, 8, 11, 14, 17, 20, 23, 26, 29, 0, 3, 6, 9, 12, 15 } };
static const __mmask16 COL3_HI[3] = { 0xf800, 0xf800, 0xfc00 };
static const int32_t ROW3_IDX[3][16] __attribute__((aligned(64))) = {
  { 0, 16, 0, 1, 17, 1, 2, 18, 2, 3, 19, 3, 4, 20, 4, 5 },
  { 21, 5, 6, 22, 6, 7, 23, 7, 8, 24, 8, 9, 25, 9, 10, 26 },
  { 10, 11, 27, 11, 12, 28, 12, 13, 29, 13, 14, 30, 14, 15, 31, 15 } };
static const __mmask16 ROW3_C2[3] = { 0x4924, 0x2492, 0x9249 };

static inline __attribute__((always_inline)) void rows_to_columns(const float *p, const int S, vf *col) {
  vf r[4];
  for (int q = 0; q < S; q++) r[q] = vload(p + 16 * q);
  if (S == 3) r[3] = r[2];
  for (int j = 0; j < S; j++) {
    const __m512i idx = _mm512_load_si512(S == 4 ? COL4_IDX[j] : COL3_IDX[j]);
    const __mmask16 hi = S == 4 ? COL4_HI[j] : COL3_HI[j];
    col[j] = _mm512_mask_blend_ps(hi, _mm512_permutex2var_ps(r[0], idx, r[1]), _mm512_permutex2var_ps(r[2], idx, r[3]));
  }
}
static inline __attribute__((always_inline)) void columns_to_rows3(const vf *col, float *p) {
  for (int q = 0; q < 3; q++) {
    const __m512i idx = _mm512_load_si512(ROW3_IDX[q]);
    vstore(p + 16 * q, _mm512_mask_blend_ps(ROW3_C2[q], _mm512_permutex2var_ps(col[0], idx, col[1]), _mm512_permutexvar_ps(idx, col[2])));
  }
}
#endif

/* one chunk of nl (≤ JT_W) channels from e0; K is a constant in the common K = 4 call */
static inline __attribute__((always_inline)) void conv_chunk(const jt_conv_args *a, int64_t e0, int64_t nl, const int64_t K) {
  const int64_t P = K - 1;
  float tmp[JT_MAX_CONV_K][JT_W];
  vf w[JT_MAX_CONV_K], win[JT_MAX_CONV_K], bias;
  /* kernel taps and carried inputs of these channels into lane order */
#if JT_ISA == JT_ISA_AVX512
  const int permuted = K == 4 && nl == JT_W;
  if (permuted) {
    rows_to_columns(a->w + e0 * K, 4, w);
    rows_to_columns(a->state + e0 * P, 3, win);
  } else
#endif
  {
    memset(tmp, 0, sizeof tmp);
    for (int64_t l = 0; l < nl; l++)
      for (int64_t j = 0; j < K; j++) tmp[j][l] = a->w[(e0 + l) * K + j];
    for (int64_t j = 0; j < K; j++) w[j] = vload(tmp[j]);
    memset(tmp, 0, sizeof tmp);
    for (int64_t l = 0; l < nl; l++)
      for (int64_t j = 0; j < P; j++) tmp[j][l] = a->state[(e0 + l) * P + j];
    for (int64_t j = 0; j < P; j++) win[j] = vload(tmp[j]);
  }
  bias = a->bias ? vloadn(a->bias + e0, nl) : vzero();
  for (int64_t t = 0; t < a->T; t++) {
    const float *u = a->u + t * a->uStride + e0;
    vf cur = nl == JT_W ? vload(u) : vloadn(u, nl);
    vf s = bias;
    for (int64_t j = 0; j < P; j++) s = vfma(w[j], win[j], s);
    s = vfma(w[P], cur, s);
    s = vact(s, a->act);
    if (nl == JT_W) vstore(a->out + t * a->E + e0, s); else vstoren(a->out + t * a->E + e0, s, nl);
    for (int64_t j = 0; j + 1 < P; j++) win[j] = win[j + 1];
    if (P > 0) win[P - 1] = cur;
  }
#if JT_ISA == JT_ISA_AVX512
  if (permuted) { columns_to_rows3(win, a->state + e0 * P); return; }
#endif
  for (int64_t j = 0; j < P; j++) vstore(tmp[j], win[j]);
  for (int64_t l = 0; l < nl; l++)
    for (int64_t j = 0; j < P; j++) a->state[(e0 + l) * P + j] = tmp[j][l];
}

static void conv_task(void *p, int64_t c0, int64_t c1) {
  const jt_conv_args *a = (const jt_conv_args *)p;
  for (int64_t c = c0; c < c1; c++) {
    int64_t e0 = c * JT_W, nl = a->E - e0 < JT_W ? a->E - e0 : JT_W;
    if (a->K == 4) conv_chunk(a, e0, nl, 4);
    else conv_chunk(a, e0, nl, a->K);
  }
}

void JT_FN(jt_conv1d)(const jt_conv_args *a) {
  if (a->T <= 0 || a->E <= 0) return; /* no new tokens: the state stays as it is */
  int64_t chunks = (a->E + JT_W - 1) / JT_W;
  int64_t grain = a->T >= 64 ? 1 : (64 + a->T - 1) / a->T; /* at least ~64 token-vectors per chunk */
  jt_parallel_for(chunks, grain, conv_task, (void *)a);
}

/* ---- scan ---- */

#if JT_ISA == JT_ISA_AVX512
/* r[i] (16 floats) ← column i of the 16×16 matrix whose rows are r[0..15], in place: 64 shuffles,
 * where 16 gathers or scatters of a column cost several times that */
static inline __attribute__((always_inline)) void transpose16(vf r[16]) {
  vf t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4)
    for (int j = 0; j < 2; j++) {
      r[i + 2 * j] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i + j]), _mm512_castps_pd(t[i + j + 2])));
      r[i + 2 * j + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i + j]), _mm512_castps_pd(t[i + j + 2])));
    }
  /* r[4q + k]'s 128-bit lane m now holds column 4m + k of rows 4q..4q+3: gather the lanes */
  for (int i = 0; i < 8; i++) {
    const int a = (i / 4) * 8 + i % 4;
    t[a] = _mm512_shuffle_f32x4(r[a], r[a + 4], 0x88);
    t[a + 4] = _mm512_shuffle_f32x4(r[a], r[a + 4], 0xdd);
  }
  for (int i = 0; i < 8; i++) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
    r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
  }
}

#define SCAN_PF 64 /* scan_step16's look-ahead in channels: cold 1024-channel step 22–27 → 18–21 µs on 2 threads; 32 and 128 less */
/* One token through 16 full channels of 16 states, channel by channel: a channel's state and A rows
 * are one vector each in the [E, N] layout, so only y's sum needs the states transposed (once, where
 * scan_chunk transposes h and A in and h out). Every value is computed by the same operations as in
 * scan_chunk (lane n here is lane l there), y summed over n in the same order: the same bits. */
static inline __attribute__((always_inline)) void scan_step16(const jt_scan_args *a, int64_t e0) {
  const int64_t N = JT_W;
  const float *B = a->B + a->bOffset, *C = a->C + a->cOffset, *zp = a->z + a->zOffset + e0;
  const vf delta = vsoftplus(vload(a->dt + e0)), x = vload(a->u + e0), dx = vmul(delta, x);
  float dl[JT_W], dxl[JT_W];
  vstore(dl, delta);
  vstore(dxl, dx);
  const vf Bv = vload(B);
  vf h[JT_W];
  for (int l = 0; l < JT_W; l++) { /* row l = channel e0 + l, lane n = state n */
    float *hr = a->h + (e0 + l) * N;
    __builtin_prefetch(hr + SCAN_PF * N, 1); /* decode's state and A come cold (the weights pass in between) */
    __builtin_prefetch(a->A + (e0 + l + SCAN_PF) * N);
    h[l] = vfma(vexp(vmul(vset1(dl[l]), vload(a->A + (e0 + l) * N))), vload(hr), vmul(vset1(dxl[l]), Bv));
    vstore(hr, h[l]);
  }
  transpose16(h); /* h[n]: state n of the 16 channels */
  vf y = vzero();
  for (int64_t n = 0; n < N; n++) y = vfma(h[n], vset1(C[n]), y);
  y = vfma(vload(a->D + e0), x, y);
  vstore(a->out + e0, vmul(y, vact(vload(zp), a->act)));
}
#endif

static inline __attribute__((always_inline)) void scan_chunk(const jt_scan_args *a, int64_t e0, int64_t nl, const int64_t N) {
#if JT_ISA == JT_ISA_AVX512
  if (a->T == 1 && N == JT_W && nl == JT_W) { scan_step16(a, e0); return; }
#endif
  vf h[JT_MAX_STATE], A[JT_MAX_STATE]; /* state n of channels e0.., lane l = channel e0 + l (0 past nl) */
#if JT_ISA == JT_ISA_AVX512 /* the [E, N] layout's columns: 16 full rows by transposes, else by gather */
  const int square = N == JT_W && nl == JT_W;
  if (square) {
    for (int l = 0; l < JT_W; l++) { h[l] = vload(a->h + (e0 + l) * N); A[l] = vload(a->A + (e0 + l) * N); } /* row l = channel e0 + l */
    transpose16(h);
    transpose16(A);
  }
  const __m512i col = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), _mm512_set1_epi32((int)N));
  const __mmask16 lanes = (__mmask16)((1u << nl) - 1);
  if (!square)
    for (int64_t n = 0; n < N; n++) {
      h[n] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), lanes, col, a->h + e0 * N + n, 4);
      A[n] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), lanes, col, a->A + e0 * N + n, 4);
    }
#else
  float tmp[JT_W];
  for (int64_t n = 0; n < N; n++) {
    memset(tmp, 0, sizeof tmp);
    for (int64_t l = 0; l < nl; l++) tmp[l] = a->h[(e0 + l) * N + n];
    h[n] = vload(tmp);
    memset(tmp, 0, sizeof tmp);
    for (int64_t l = 0; l < nl; l++) tmp[l] = a->A[(e0 + l) * N + n];
    A[n] = vload(tmp);
  }
#endif
  const vf D = vloadn(a->D + e0, nl);
  const int full = nl == JT_W;
  for (int64_t t = 0; t < a->T; t++) {
    const float *B = a->B + t * a->bcStride + a->bOffset, *C = a->C + t * a->bcStride + a->cOffset;
    const float *dtp = a->dt + t * a->E + e0, *up = a->u + t * a->E + e0;
    const float *zp = a->z + t * a->zStride + a->zOffset + e0;
    vf delta = vsoftplus(full ? vload(dtp) : vloadn(dtp, nl));
    vf x = full ? vload(up) : vloadn(up, nl);
    vf dx = vmul(delta, x);
    vf y = vzero();
    for (int64_t n = 0; n < N; n++) {
      h[n] = vfma(vexp(vmul(delta, A[n])), h[n], vmul(dx, vset1(B[n])));
      y = vfma(h[n], vset1(C[n]), y);
    }
    y = vfma(D, x, y);
    y = vmul(y, vact(full ? vload(zp) : vloadn(zp, nl), a->act));
    if (full) vstore(a->out + t * a->E + e0, y); else vstoren(a->out + t * a->E + e0, y, nl);
  }
#if JT_ISA == JT_ISA_AVX512
  if (square) {
    transpose16(h);
    for (int l = 0; l < JT_W; l++) vstore(a->h + (e0 + l) * N, h[l]);
  } else {
    for (int64_t n = 0; n < N; n++) _mm512_mask_i32scatter_ps(a->h + e0 * N + n, lanes, col, h[n], 4);
  }
#else
  for (int64_t n = 0; n < N; n++) {
    vstore(tmp, h[n]);
    for (int64_t l = 0; l < nl; l++) a->h[(e0 + l) * N + n] = tmp[l];
  }
#endif
}

static void scan_task(void *p, int64_t c0, int64_t c1) {
  const jt_scan_args *a = (const jt_scan_args *)p;
  for (int64_t c = c0; c < c1; c++) {
    int64_t e0 = c * JT_W, nl = a->E - e0 < JT_W ? a->E - e0 : JT_W;
    if (a->N == 16) scan_chunk(a, e0, nl, 16);
    else scan_chunk(a, e0, nl, a->N);
  }
}

void JT_FN(jt_scan)(const jt_scan_args *a) {
  if (a->T <= 0 || a->E <= 0) return;
  int64_t chunks = (a->E + JT_W - 1) / JT_W;
  int64_t grain = a->T >= 16 ? 1 : (16 + a->T - 1) / a->T;
  jt_parallel_for(chunks, grain, scan_task, (void *)a);
}
