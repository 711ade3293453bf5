/*
 * qdot.c — matmul on block-quantised weights with int8 activations, llama.cpp's CPU scheme: each
 * token's x is quantised once per matmul to int8 blocks (jt_quantize_act), and every weight block
 * meets it in integer dot products (pmaddubsw/pmaddwd on AVX2 and AVX-512 builds), scaled to float once
 * per block (32-value types) or once per 256-value super-block (K types). Four to eight times less
 * work per weight than decoding to float32, which is what makes quantised decode memory-bound.
 *
 * Activation blocks (the TS mirror is src/tensor/quant/act.ts, and must stay bit-identical):
 *   blocks of QA = QK_OF(weight type) values: 32 (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1) or 256 (K types);
 *   amax = max|x|, d = amax/127, id = 127/amax (32-blocks) or 1/d (256), 0 where d = 0,
 *   q = clamp(round-half-even(x·id), ±127), all in float32;
 *   stored: q; d per block (rounded to fp16 for 32-blocks, as llama.cpp's Q8_0 activations are); Σq
 *   per 16 values (for the K types' mins, Q6_K's −32 offset and, in pairs, the Q4_1/Q5_1 mins).
 * Result: y[t, o] = Σ_blocks (block scales)·(integer dot) — mathematically Σ_i w_i·(d·q_i), the dot of
 * the exactly decoded weights with the dequantised activations (what the reference backend computes);
 * only float32 rounding of the per-block scaling differs. Each (row, token) dot runs the same sequence
 * whatever the tile, T or thread split, so results stay batch-invariant.
 * One-token (decode) shortcuts with the same lanes: q8_0_tok_rows below (AVX-512) and, on the VNNI build,
 * ktok.h's Q4_K/Q6_K kernels; kunpack.h unpacks K-quant values there by GF(2) affine transforms.
 */
#include "qblock.h"

/* ---- activation quantisation (vectorised where the ISA allows; the same bytes on every ISA) ---- */

#if JT_ISA == JT_ISA_AVX512
/* JT_W floats within ±127 → int8, rounded half to even by the conversion (as rintf) */
static inline void q8store(int8_t *dst, vf v) { _mm_storeu_si128((__m128i *)dst, _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(v))); }
#elif JT_ISA == JT_ISA_AVX2
static inline void q8store(int8_t *dst, vf v) {
  const __m256i i = _mm256_cvtps_epi32(v); /* rounds half to even, as rintf */
  __m128i p = _mm_packs_epi32(_mm256_castsi256_si128(i), _mm256_extracti128_si256(i, 1));
  _mm_storel_epi64((__m128i *)dst, _mm_packs_epi16(p, p));
}
#endif

static void quant_rows(void *p, int64_t begin, int64_t end) {
  const jt_matmul_args *a = (const jt_matmul_args *)p;
  const int64_t QA = a->qa_block, nb = a->cols / QA;
  for (int64_t t = begin; t < end; t++) {
    const float *x = a->x + t * a->ldx;
    int8_t *q = (int8_t *)a->xq + t * a->ldxq;
    float *d = (float *)a->xd + t * nb;
    int32_t *s = (int32_t *)a->xs + t * (a->cols / 16);
    for (int64_t b = 0; b < nb; b++) {
      const float *xb = x + b * QA;
      float amax = 0.0f;
#if JT_ISA >= JT_ISA_AVX2 /* max is exact in any order, and the vector rounding is rintf's: same bytes */
      vf m = vzero();
      for (int64_t i = 0; i < QA; i += JT_W) m = vmax(m, vabs(vload(xb + i)));
      amax = vmaxall(m);
#else
      for (int64_t i = 0; i < QA; i++) { float v = fabsf(xb[i]); amax = v > amax ? v : amax; }
#endif
      /* 32-blocks take llama.cpp's x86 id = 127/amax, 256-blocks its Q8_K 1/d (same magnitudes) */
      const float db = amax / 127.0f, id = db == 0.0f ? 0.0f : QA == 32 ? 127.0f / amax : 1.0f / db;
      d[b] = QA == 32 ? jt_h2f(jt_f2h(db)) : db; /* 32-blocks keep an fp16 scale, as llama.cpp's Q8_0 does */
#if JT_ISA >= JT_ISA_AVX2
      const vf idv = vset1(id), lo = vset1(-127.0f), hi = vset1(127.0f);
      for (int64_t i = 0; i < QA; i += JT_W) q8store(q + b * QA + i, vmin(vmax(vmul(vload(xb + i), idv), lo), hi));
#else
      for (int64_t i = 0; i < QA; i++) {
        float v = rintf(xb[i] * id); /* default rounding mode: half to even */
        v = v > 127.0f ? 127.0f : v < -127.0f ? -127.0f : v;
        q[b * QA + i] = (int8_t)v;
      }
#endif
    }
    for (int64_t j = 0; j < a->cols / 16; j++) {
      int32_t acc = 0;
      for (int i = 0; i < 16; i++) acc += q[16 * j + i];
      s[j] = acc;
    }
  }
}

#define IRT 4 /* rows per tile */
#define PF_TILES 4 /* decode look-ahead in tiles (jt_prefetch_span): on cold 1024×512 Q4_K, Q6_K and Q8_0 rows 2 is as fast, 8 is 5–9 % slower */
#define ITT 4 /* tokens per tile */

#if JT_ISA >= JT_ISA_AVX2
#include <immintrin.h>
typedef __m256i v8i;
static inline v8i ld32(const void *p) { return _mm256_loadu_si256((const __m256i *)p); }
static inline v8i nib_lo(v8i v) { return _mm256_and_si256(v, _mm256_set1_epi8(0x0f)); }
static inline v8i nib_hi(v8i v) { return _mm256_and_si256(_mm256_srli_epi16(v, 4), _mm256_set1_epi8(0x0f)); }
/* 16 bytes → their low nibbles then their high nibbles (the 32 values of a Q4_0/Q4_1/Q5 block) */
static inline v8i nib16(const uint8_t *p) {
  __m128i v = _mm_loadu_si128((const __m128i *)p);
  __m128i lo = _mm_and_si128(v, _mm_set1_epi8(0x0f)), hi = _mm_and_si128(_mm_srli_epi16(v, 4), _mm_set1_epi8(0x0f));
  return _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
}
/* byte j = 0x10 where bit j of qh is set (Q5_0/Q5_1's fifth bit) */
static inline v8i bit5(uint32_t qh) {
  const v8i shuf = _mm256_set_epi64x(0x0303030303030303LL, 0x0202020202020202LL, 0x0101010101010101LL, 0);
  v8i bytes = _mm256_shuffle_epi8(_mm256_set1_epi32((int)qh), shuf);
  const v8i bits = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
  v8i on = _mm256_cmpeq_epi8(_mm256_and_si256(bytes, bits), bits);
  return _mm256_and_si256(on, _mm256_set1_epi8(0x10));
}
/* Σ u·x over 32 bytes as 8 int32 lanes (lane l = values 4l..4l+3); u unsigned ≤ 128, x signed */
static inline v8i dot_u(v8i u, v8i x) { return _mm256_madd_epi16(_mm256_maddubs_epi16(u, x), _mm256_set1_epi16(1)); }
/* Σ over 32 values with int16 scales per lane pair group: (u·x pairs)·sc → 8 int32 lanes */
static inline v8i dot_sc(v8i u, v8i x, v8i sc16) { return _mm256_madd_epi16(_mm256_maddubs_epi16(u, x), sc16); }
static inline float hsum_f(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/* The dots run on WB-byte vectors: AVX-512 pairs two 32-value halves (unpacked as above) into one. */
#if JT_ISA == JT_ISA_AVX512
#define WB 64
typedef __m512i vw;
typedef __m512 vwf;
static inline vw wpair(v8i a, v8i b) { return _mm512_inserti64x4(_mm512_castsi256_si512(a), b, 1); }
static inline vw wld(const void *p) { return _mm512_loadu_si512(p); }
#if JT_VNNI /* the same int32 lanes in one instruction (the pair sums below never saturate int16) */
static inline vw wdot_u(vw u, vw x) { return _mm512_dpbusd_epi32(_mm512_setzero_si512(), u, x); }
#else
static inline vw wdot_u(vw u, vw x) { return _mm512_madd_epi16(_mm512_maddubs_epi16(u, x), _mm512_set1_epi16(1)); }
#endif
static inline vw wdot_sc(vw u, vw x, vw sc) { return _mm512_madd_epi16(_mm512_maddubs_epi16(u, x), sc); }
#if JT_VNNI /* acc + the same int32 lanes, the pair products summed in by one instruction */
static inline vw wdot_sc_acc(vw acc, vw u, vw x, vw sc) { return _mm512_dpwssd_epi32(acc, _mm512_maddubs_epi16(u, x), sc); }
#else
static inline vw wdot_sc_acc(vw acc, vw u, vw x, vw sc) { return _mm512_add_epi32(acc, wdot_sc(u, x, sc)); }
#endif
/* signed weights: |w| once per row, and w's signs moved onto each token's x */
typedef __mmask64 wsg;
static inline wsg wsigns(vw w) { return _mm512_movepi8_mask(w); }
static inline vw wabs(vw w) { return _mm512_abs_epi8(w); }
static inline vw wapply(vw x, wsg neg) { return _mm512_mask_sub_epi8(x, neg, _mm512_setzero_si512(), x); }
static inline vwf wfmul(vwf a, vwf b) { return _mm512_mul_ps(a, b); }
static inline vw wwiden(v8i a) { return _mm512_zextsi256_si512(a); }
static inline vwf wfset1(float a) { return _mm512_set1_ps(a); }
static inline vw wsub(vw a, vw b) { return _mm512_sub_epi32(a, b); }
static inline vwf wfnma_i(vw i, vwf s, vwf acc) { return _mm512_fnmadd_ps(_mm512_cvtepi32_ps(i), s, acc); }
static inline vw wadd(vw a, vw b) { return _mm512_add_epi32(a, b); }
static inline vw wzero(void) { return _mm512_setzero_si512(); }
static inline vwf wfzero(void) { return _mm512_setzero_ps(); }
static inline vwf wfscale(float a, float b) { return _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_set1_ps(a)), _mm256_set1_ps(b), 1); }
static inline vwf wfma_i(vw i, vwf s, vwf acc) { return _mm512_fmadd_ps(_mm512_cvtepi32_ps(i), s, acc); }
static inline float whsum_f(vwf v) { return hsum_f(_mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1))); }
/* K types' scales as int16 per value pair for values [64j, 64j + 64): 32-value group 2j's scale in the
 * low half, 2j+1's in the high half. Q4_K/Q5_K: from the 8 scale bytes; Q6_K: from its 16 int8
 * scales (s8) widened to int16 (s16), one per 16 values. */
static inline vw k4_scales(uint64_t sc8, int j) {
  const vw ctl = _mm512_inserti64x4(_mm512_set1_epi16((short)(0x8000 | (2 * j))), _mm256_set1_epi16((short)(0x8000 | (2 * j + 1))), 1);
  return _mm512_shuffle_epi8(_mm512_set1_epi64((long long)sc8), ctl);
}
static inline vw k6_scales(__m128i s8, v8i s16, int j) {
  (void)s8;
  const vw idx = _mm512_add_epi16(_mm512_set1_epi16((short)(4 * j)),
    _mm512_set_epi64(0x0003000300030003LL, 0x0003000300030003LL, 0x0002000200020002LL, 0x0002000200020002LL,
                     0x0001000100010001LL, 0x0001000100010001LL, 0, 0));
  return _mm512_permutexvar_epi16(idx, _mm512_castsi256_si512(s16));
}
#else
#define WB 32
typedef v8i vw;
typedef __m256 vwf;
static inline vw wpair(v8i a, v8i b) { (void)b; return a; }
static inline vw wld(const void *p) { return ld32(p); }
static inline vw wdot_u(vw u, vw x) { return dot_u(u, x); }
static inline vw wdot_sc(vw u, vw x, vw sc) { return dot_sc(u, x, sc); }
static inline vw wdot_sc_acc(vw acc, vw u, vw x, vw sc) { return _mm256_add_epi32(acc, dot_sc(u, x, sc)); }
typedef v8i wsg;
static inline wsg wsigns(vw w) { return w; }
static inline vw wabs(vw w) { return _mm256_abs_epi8(w); }
static inline vw wapply(vw x, wsg w) { return _mm256_sign_epi8(x, w); }
static inline vwf wfmul(vwf a, vwf b) { return _mm256_mul_ps(a, b); }
static inline vw wwiden(v8i a) { return a; }
static inline vwf wfset1(float a) { return _mm256_set1_ps(a); }
static inline vw wsub(vw a, vw b) { return _mm256_sub_epi32(a, b); }
static inline vwf wfnma_i(vw i, vwf s, vwf acc) { return _mm256_fnmadd_ps(_mm256_cvtepi32_ps(i), s, acc); }
static inline vw wadd(vw a, vw b) { return _mm256_add_epi32(a, b); }
static inline vw wzero(void) { return _mm256_setzero_si256(); }
static inline vwf wfzero(void) { return _mm256_setzero_ps(); }
static inline vwf wfscale(float a, float b) { (void)b; return _mm256_set1_ps(a); }
static inline vwf wfma_i(vw i, vwf s, vwf acc) { return _mm256_fmadd_ps(_mm256_cvtepi32_ps(i), s, acc); }
static inline float whsum_f(vwf v) { return hsum_f(v); }
static inline vw k4_scales(uint64_t sc8, int j) {
  return _mm256_shuffle_epi8(_mm256_set1_epi64x((long long)sc8), _mm256_set1_epi16((short)(0x8000 | j)));
}
static inline vw k6_scales(__m128i s8, v8i s16, int j) {
  (void)s16; /* bytes 2j (×8) then 2j+1 (×8), widened */
  const __m128i ctl = _mm_set_epi64x(0x0101010101010101LL * (2 * j + 1), 0x0101010101010101LL * (2 * j));
  return _mm256_cvtepi8_epi16(_mm_shuffle_epi8(s8, ctl));
}
#endif
#define WP (WB / 32) /* 32-value halves per wide vector */
#if JT_VNNI
#include "kunpack.h"
#endif
#endif

/* Tile of NR rows × NT tokens: y = Σ over blocks, float32 per (row, token) in block order. */
static inline __attribute__((always_inline)) void itile(const jt_matmul_args *a, int64_t o, int64_t t,
                                                         const int NR, const int NT, const int dtype) {
  const int QA = QK_OF(dtype), BY = BYTES_OF(dtype);
  const int64_t nb = a->cols / QA, ns = a->cols / 16;
  const uint8_t *w[IRT];
  const int8_t *xq[ITT];
  const float *xd[ITT];
  const int32_t *xs[ITT];
  float acc[ITT][IRT];
  for (int r = 0; r < NR; r++) w[r] = a->w + (o + r) * a->ldw;
  for (int k = 0; k < NT; k++) {
    xq[k] = a->xq + (t + k) * a->ldxq;
    xd[k] = a->xd + (t + k) * nb;
    xs[k] = a->xs + (t + k) * ns;
    for (int r = 0; r < NR; r++) acc[k][r] = 0.0f;
  }
  /* decode: short rows come cold from DRAM; each block read asks for the same block PF_TILES tiles on
   * (jt_matmul's task prefetches a block's first tiles) */
  const int64_t ahead = PF_TILES * NR * a->ldw;
#if JT_ISA >= JT_ISA_AVX2
  if (QA == 32) {
    vwf vacc[ITT][IRT];
    for (int k = 0; k < NT; k++)
      for (int r = 0; r < NR; r++) vacc[k][r] = wfzero();
    for (int64_t b = 0; b < nb; b += WP) {
      const int two = WP == 2 && b + 1 < nb; /* a lone last block rides in the low half, the high half zero */
      const int asym = dtype == JT_Q4_1 || dtype == JT_Q5_1;
      vw wv[IRT];   /* unsigned weights (Q4_1, Q5_1) or |w| (signed types) */
      wsg sg[IRT];  /* the signed types' signs */
      vwf dwv[IRT]; /* block scales, one per 32-value half */
      float mw[IRT][2];
      for (int r = 0; r < NR; r++) {
        v8i h[2] = { _mm256_setzero_si256(), _mm256_setzero_si256() };
        float dw[2] = { 0.0f, 0.0f };
        mw[r][0] = mw[r][1] = 0.0f;
        for (int p = 0; p < 1 + two; p++) {
          const uint8_t *blk = w[r] + (b + p) * BY;
          if (NT == 1) jt_prefetch_span(blk + ahead, BY);
          dw[p] = h16(blk);
          switch (dtype) {
          case JT_Q8_0: h[p] = ld32(blk + 2); break;
          case JT_Q4_0: h[p] = _mm256_sub_epi8(nib16(blk + 2), _mm256_set1_epi8(8)); break;
          case JT_Q4_1: h[p] = nib16(blk + 4); mw[r][p] = h16(blk + 2); break;
          case JT_Q5_0: {
            uint32_t qh; memcpy(&qh, blk + 2, 4);
            h[p] = _mm256_sub_epi8(_mm256_or_si256(nib16(blk + 6), bit5(qh)), _mm256_set1_epi8(16));
            break;
          }
          default: { /* Q5_1 */
            uint32_t qh; memcpy(&qh, blk + 4, 4);
            h[p] = _mm256_or_si256(nib16(blk + 8), bit5(qh)); mw[r][p] = h16(blk + 2);
          }
          }
        }
        const vw pw = wpair(h[0], h[1]);
        if (asym) wv[r] = pw;
        else { sg[r] = wsigns(pw); wv[r] = wabs(pw); }
        dwv[r] = wfscale(dw[0], dw[1]);
      }
      for (int k = 0; k < NT; k++) {
        const int8_t *xb = xq[k] + b * 32;
        const vw xv = two || WP == 1 ? wld(xb) : wpair(ld32(xb), _mm256_setzero_si256());
        const float dx0 = xd[k][b], dx1 = two ? xd[k][b + 1] : 0.0f;
        const vwf dxv = wfscale(dx0, dx1);
        for (int r = 0; r < NR; r++) {
          const vwf sc = wfmul(dwv[r], dxv);
          if (asym) {
            vacc[k][r] = wfma_i(wdot_u(wv[r], xv), sc, vacc[k][r]);
            acc[k][r] += (mw[r][0] * dx0) * (float)(xs[k][2 * b] + xs[k][2 * b + 1]);
            if (two) acc[k][r] += (mw[r][1] * dx1) * (float)(xs[k][2 * b + 2] + xs[k][2 * b + 3]);
          } else {
            vacc[k][r] = wfma_i(wdot_u(wv[r], wapply(xv, sg[r])), sc, vacc[k][r]);
          }
        }
      }
    }
    for (int k = 0; k < NT; k++)
      for (int r = 0; r < NR; r++) acc[k][r] += whsum_f(vacc[k][r]);
  } else {
    /* per token and super-block, the activation sums the offsets need: Q6_K's 16 per-16 sums as int16
     * (|Σ| ≤ 2032), the others' 8 per-32 sums as int32 */
    vwf vacc[ITT][IRT];
    for (int k = 0; k < NT; k++)
      for (int r = 0; r < NR; r++) vacc[k][r] = wfzero();
    for (int64_t b = 0; b < nb; b++) {
      v8i ssum[ITT];
      for (int k = 0; k < NT; k++) {
        const v8i lo = ld32(xs[k] + b * 16), hi = ld32(xs[k] + b * 16 + 8);
        ssum[k] = _mm256_permute4x64_epi64(dtype == JT_Q6_K ? _mm256_packs_epi32(lo, hi) : _mm256_hadd_epi32(lo, hi), 0xd8);
      }
      for (int r = 0; r < NR; r++) {
        const uint8_t *blk = w[r] + b * BY;
        if (NT == 1) jt_prefetch_span(blk + ahead, BY);
        v8i offw;
#if JT_ISA != JT_ISA_AVX512
        v8i u[8]; /* 32 values each; paired into uw */
#endif
        vw sw[8 / WP]; /* int16 scale of every value pair, WB bytes of values at a time */
        float dw, dm = 0.0f;
        vw uw[8 / WP]; /* the unsigned weight values, WB bytes at a time */
        if (dtype == JT_Q6_K) {
          dw = h16(blk + 208);
#if JT_VNNI
          q6k_values(blk, uw);
#elif JT_ISA == JT_ISA_AVX512 /* both halves at once: u = low|high nibble of ql, bits 4-5 from qh shifted per half */
          const __m512i A = _mm512_loadu_si512(blk), B = _mm512_loadu_si512(blk + 64), Q = _mm512_loadu_si512(blk + 128);
          const __m512i Q0 = _mm512_shuffle_i64x2(Q, Q, 0x44), Q1 = _mm512_shuffle_i64x2(Q, Q, 0xEE);
          const __m512i lo4 = _mm512_set1_epi8(0x0f), three = _mm512_set1_epi8(3);
          const __m512i c02 = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
          const __m512i c46 = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(6), 1);
#define Q6U(N, H, C) _mm512_or_si512(N, _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(H, C), three), 4))
          uw[0] = Q6U(_mm512_and_si512(A, lo4), Q0, c02);
          uw[1] = Q6U(_mm512_and_si512(_mm512_srli_epi16(A, 4), lo4), Q0, c46);
          uw[2] = Q6U(_mm512_and_si512(B, lo4), Q1, c02);
          uw[3] = Q6U(_mm512_and_si512(_mm512_srli_epi16(B, 4), lo4), Q1, c46);
#undef Q6U
#else
          for (int h = 0; h < 2; h++) {
            const v8i ql0 = ld32(blk + 64 * h), ql1 = ld32(blk + 64 * h + 32), qh = ld32(blk + 128 + 32 * h);
            const v8i three = _mm256_set1_epi8(3);
            u[4 * h + 0] = _mm256_or_si256(nib_lo(ql0), _mm256_slli_epi16(_mm256_and_si256(qh, three), 4));
            u[4 * h + 1] = _mm256_or_si256(nib_lo(ql1), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), three), 4));
            u[4 * h + 2] = _mm256_or_si256(nib_hi(ql0), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), three), 4));
            u[4 * h + 3] = _mm256_or_si256(nib_hi(ql1), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), three), 4));
          }
          for (int j = 0; j < 8 / WP; j++) uw[j] = wpair(u[WP * j], u[WP * j + WP - 1]);
#endif
          const __m128i s8 = _mm_loadu_si128((const __m128i *)(blk + 192)); /* 16 int8 scales, one per 16 values */
          offw = _mm256_cvtepi8_epi16(s8);
          for (int j = 0; j < 8 / WP; j++) sw[j] = k6_scales(s8, offw, j);
        } else {
          dw = h16(blk); dm = h16(blk + 2);
          const uint8_t *qs = blk + (dtype == JT_Q4_K ? 16 : 48);
#if JT_ISA == JT_ISA_AVX512 /* 32 bytes in both halves: low nibbles in the low half, high in the high (+ Q5_K's fifth bits) */
#if JT_VNNI
          k4_nibbles(qs, uw);
#else
          const __m512i c04 = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(4), 1), lo4 = _mm512_set1_epi8(0x0f);
          for (int k4 = 0; k4 < 4; k4++) uw[k4] = _mm512_and_si512(_mm512_srlv_epi16(_mm512_broadcast_i64x4(ld32(qs + 32 * k4)), c04), lo4);
#endif
          if (dtype == JT_Q5_K) {
            const __m512i QH = _mm512_broadcast_i64x4(ld32(blk + 16));
            for (int k4 = 0; k4 < 4; k4++) {
              const __m512i c = _mm512_inserti64x4(_mm512_set1_epi16((short)(2 * k4)), _mm256_set1_epi16((short)(2 * k4 + 1)), 1);
              uw[k4] = _mm512_or_si512(uw[k4], _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(QH, c), _mm512_set1_epi8(1)), 4));
            }
          }
#else
          const v8i qh = dtype == JT_Q5_K ? ld32(blk + 16) : _mm256_setzero_si256();
          for (int k4 = 0; k4 < 4; k4++) {
            const v8i v = ld32(qs + 32 * k4);
            u[2 * k4] = nib_lo(v);
            u[2 * k4 + 1] = nib_hi(v);
            if (dtype == JT_Q5_K) {
              const v8i one = _mm256_set1_epi8(1);
              u[2 * k4] = _mm256_or_si256(u[2 * k4], _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * k4), one), 4));
              u[2 * k4 + 1] = _mm256_or_si256(u[2 * k4 + 1], _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * k4 + 1), one), 4));
            }
          }
          for (int j = 0; j < 8 / WP; j++) uw[j] = wpair(u[WP * j], u[WP * j + WP - 1]);
#endif
          uint64_t sc8, mn8;
          scales_mins_k4(blk + 4, &sc8, &mn8);
          offw = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)mn8));
          for (int j = 0; j < 8 / WP; j++) sw[j] = k4_scales(sc8, j);
        }
        for (int k = 0; k < NT; k++) {
          const int8_t *xb = xq[k] + b * 256;
          vw iacc = wzero();
          for (int j = 0; j < 8 / WP; j++) iacc = wdot_sc_acc(iacc, uw[j], wld(xb + WB * j), sw[j]);
          const float dx = xd[k][b];
          if (dtype == JT_Q6_K) { /* Σ sc·(u − 32)·x = Σ sc·u·x − 32·Σ_j sc_j·S_j */
            const v8i off = _mm256_madd_epi16(offw, ssum[k]);
            iacc = wsub(iacc, wwiden(_mm256_slli_epi32(off, 5)));
            vacc[k][r] = wfma_i(iacc, wfset1(dw * dx), vacc[k][r]);
          } else {                /* d·Σ sc·q·x − dmin·Σ_j m_j·S_j */
            vacc[k][r] = wfma_i(iacc, wfset1(dw * dx), vacc[k][r]);
            vacc[k][r] = wfnma_i(wwiden(_mm256_mullo_epi32(offw, ssum[k])), wfset1(dm * dx), vacc[k][r]);
          }
        }
      }
    }
    for (int k = 0; k < NT; k++)
      for (int r = 0; r < NR; r++) acc[k][r] += whsum_f(vacc[k][r]);
  }
#else
  /* portable: the same integer sums, value by value */
  for (int64_t b = 0; b < nb; b++) {
    for (int r = 0; r < NR; r++) {
      const uint8_t *blk = w[r] + b * BY;
      if (NT == 1) jt_prefetch_span(blk + ahead, BY);
      int16_t v[256];   /* integer weight values (Q6_K and K mins handled below) */
      int16_t scl[16];  /* per 16 values: integer scale (K types) */
      int mins[8] = {0};
      float dw = h16(dtype == JT_Q6_K ? blk + 208 : blk), dm = 0.0f;
      switch (dtype) {
      case JT_Q8_0: for (int i = 0; i < 32; i++) v[i] = (int8_t)blk[2 + i]; break;
      case JT_Q4_0: case JT_Q4_1: {
        const uint8_t *qs = blk + (dtype == JT_Q4_0 ? 2 : 4);
        const int off = dtype == JT_Q4_0 ? 8 : 0;
        for (int i = 0; i < 16; i++) { v[i] = (qs[i] & 15) - off; v[i + 16] = (qs[i] >> 4) - off; }
        if (dtype == JT_Q4_1) dm = h16(blk + 2);
        break;
      }
      case JT_Q5_0: case JT_Q5_1: {
        const int o5 = dtype == JT_Q5_0 ? 2 : 4, off = dtype == JT_Q5_0 ? 16 : 0;
        uint32_t qh; memcpy(&qh, blk + o5, 4);
        for (int i = 0; i < 16; i++) {
          v[i] = ((blk[o5 + 4 + i] & 15) | (((qh >> i) & 1) << 4)) - off;
          v[i + 16] = ((blk[o5 + 4 + i] >> 4) | (((qh >> (i + 16)) & 1) << 4)) - off;
        }
        if (dtype == JT_Q5_1) dm = h16(blk + 2);
        break;
      }
      case JT_Q4_K: case JT_Q5_K: {
        dm = h16(blk + 2);
        const uint8_t *qs = blk + (dtype == JT_Q4_K ? 16 : 48);
        for (int k4 = 0; k4 < 4; k4++)
          for (int l = 0; l < 32; l++) {
            v[64 * k4 + l] = qs[32 * k4 + l] & 15;
            v[64 * k4 + 32 + l] = qs[32 * k4 + l] >> 4;
            if (dtype == JT_Q5_K) {
              v[64 * k4 + l] |= ((blk[16 + l] >> (2 * k4)) & 1) << 4;
              v[64 * k4 + 32 + l] |= ((blk[16 + l] >> (2 * k4 + 1)) & 1) << 4;
            }
          }
        for (int j = 0; j < 8; j++) {
          int sc, m;
          scale_min_k4(j, blk + 4, &sc, &m);
          scl[2 * j] = scl[2 * j + 1] = (int16_t)sc;
          mins[j] = m;
        }
        break;
      }
      default: /* Q6_K */
        for (int h = 0; h < 2; h++)
          for (int l = 0; l < 32; l++) {
            const uint8_t *ql = blk + 64 * h, hb = blk[128 + 32 * h + l];
            v[128 * h + l] = ((ql[l] & 15) | ((hb & 3) << 4)) - 32;
            v[128 * h + l + 32] = ((ql[l + 32] & 15) | (((hb >> 2) & 3) << 4)) - 32;
            v[128 * h + l + 64] = ((ql[l] >> 4) | (((hb >> 4) & 3) << 4)) - 32;
            v[128 * h + l + 96] = ((ql[l + 32] >> 4) | (((hb >> 6) & 3) << 4)) - 32;
          }
        for (int j = 0; j < 16; j++) scl[j] = (int8_t)blk[192 + j];
      }
      for (int k = 0; k < NT; k++) {
        const int8_t *xb = xq[k] + b * QA;
        const float dx = xd[k][b];
        if (QA == 32) {
          int32_t isum = 0;
          for (int i = 0; i < 32; i++) isum += v[i] * xb[i];
          acc[k][r] += (dw * dx) * (float)isum;
          if (dtype == JT_Q4_1 || dtype == JT_Q5_1) acc[k][r] += (dm * dx) * (float)(xs[k][2 * b] + xs[k][2 * b + 1]);
        } else {
          int32_t isum = 0, ioff = 0;
          for (int j = 0; j < 16; j++) {
            int32_t s = 0;
            for (int i = 0; i < 16; i++) s += v[16 * j + i] * xb[16 * j + i];
            isum += scl[j] * s;
          }
          if (dtype == JT_Q6_K) {
            acc[k][r] += (dw * dx) * (float)isum;
          } else {
            for (int j = 0; j < 8; j++) ioff += mins[j] * (xs[k][b * 16 + 2 * j] + xs[k][b * 16 + 2 * j + 1]);
            acc[k][r] += (dw * dx) * (float)isum - (dm * dx) * (float)ioff;
          }
        }
      }
    }
  }
#endif
  for (int k = 0; k < NT; k++)
    for (int r = 0; r < NR; r++)
      a->y[(t + k) * a->ldy + o + r] = a->bias ? acc[k][r] + a->bias[o + r] : acc[k][r];
}

#if JT_ISA == JT_ISA_AVX512
/* a one-token kernel's outputs for rows o..o+NR: 0 + the lane sum (+ bias), the steps itile stores by */
static inline __attribute__((always_inline)) void tok_store(const jt_matmul_args *a, int64_t o, int64_t t, const int NR, const vwf *vacc) {
  for (int r = 0; r < NR; r++) {
    float acc = 0.0f;
    acc += whsum_f(vacc[r]);
    a->y[t * a->ldy + o + r] = a->bias ? acc + a->bias[o + r] : acc;
  }
}

/*
 * One token on Q8_0 rows (decode). The same lane sums and the same fma sequence per lane as itile's
 * 32-value path, so the results are bit-identical to it, with less work per block: a row's fp16 block
 * scales are gathered and converted 16 at a time and multiplied by the token's block scales in one
 * vector (itile converts and broadcasts them pair by pair), and each pair's scale vector is one permute.
 */
static inline __attribute__((always_inline)) void q8_0_tok_rows(const jt_matmul_args *a, int64_t o, int64_t t, const int NR) {
  const int64_t nb = a->cols / 32;
  const int8_t *xq = a->xq + t * a->ldxq;
  const float *xd = a->xd + t * nb;
  const uint8_t *w[IRT];
  vwf vacc[IRT];
  for (int r = 0; r < NR; r++) { w[r] = a->w + (o + r) * a->ldw; vacc[r] = wfzero(); }
  const int64_t ahead = PF_TILES * NR * a->ldw;
  const __m512i gidx = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), _mm512_set1_epi32(34));
  const __m512i half = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
  for (int64_t b0 = 0; b0 < nb; b0 += 16) {
    const int nbc = nb - b0 < 16 ? (int)(nb - b0) : 16;
    const __mmask16 m = (__mmask16)((1u << nbc) - 1);
    const __m512 dx = _mm512_maskz_loadu_ps(m, xd + b0);
    __m512 s[IRT]; /* lane j: block b0+j's weight scale × activation scale (0 past the row's end) */
    for (int r = 0; r < NR; r++) {
      const __m512i g = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), m, gidx, w[r] + b0 * 34, 1);
      s[r] = _mm512_mul_ps(_mm512_cvtph_ps(_mm512_cvtepi32_epi16(g)), dx);
    }
    for (int p = 0; p < nbc; p += 2) {
      const int two = p + 1 < nbc;
      const int8_t *xb = xq + (b0 + p) * 32;
      const vw xv = two ? wld(xb) : wpair(ld32(xb), _mm256_setzero_si256());
      const __m512i sel = _mm512_add_epi32(half, _mm512_set1_epi32(p));
#if JT_VNNI /* w + 128 as unsigned bytes: Σ(w+128)·x − 128·Σx = Σw·x, exact in int32; −128·Σx is the token's,
              * once for every row, and starts each row's sum */
      const vw nx128 = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_set1_epi8((char)0x80), xv));
#endif
      for (int r = 0; r < NR; r++) {
        const uint8_t *blk = w[r] + (b0 + p) * 34;
        jt_prefetch_span(blk + ahead, 34 * (1 + two));
        const vw pw = wpair(ld32(blk + 2), two ? ld32(blk + 36) : _mm256_setzero_si256());
#if JT_VNNI
        const vw d = _mm512_dpbusd_epi32(nx128, _mm512_xor_si512(pw, _mm512_set1_epi8((char)0x80)), xv);
#else
        const vw d = wdot_u(wabs(pw), wapply(xv, wsigns(pw)));
#endif
        vacc[r] = wfma_i(d, _mm512_permutexvar_ps(sel, s[r]), vacc[r]);
      }
    }
  }
  tok_store(a, o, t, NR, vacc);
}

#endif

#if JT_VNNI
#include "ktok.h"
#endif

#if JT_VNNI
/*
 * One token on 16 rows of a single 32-value block each (cols = 32: Mamba's dt_proj, 1024 such rows a
 * layer, where itile's per-row set-up and horizontal sum cost more than the 22–34 bytes it reads).
 * Lane r = row o + r: vector l holds every row's dot over values 4l..4l+3, which is itile's int32
 * lane l for a lone block; each is scaled by the same float product (fma onto +0) and the eight are
 * summed in whsum_f's tree ((0+4) + (2+6)) + ((1+5) + (3+7)); itile's upper lanes are +0 and add
 * nothing. So the results are itile's bit for bit.
 */
static inline __attribute__((always_inline)) void one_block_rows16(const jt_matmul_args *a, int64_t o, int64_t t, const int dtype) {
  const uint8_t *w0 = a->w + o * a->ldw;
  const int8_t *xq = a->xq + t * a->ldxq;
  const __m512i idx = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), _mm512_set1_epi32((int)a->ldw));
  const __m512 sc = _mm512_mul_ps(_mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_i32gather_epi32(idx, w0, 1))), _mm512_set1_ps(a->xd[t]));
  int32_t xw[8], sx[8]; /* the token's 4-value groups and their sums */
  memcpy(xw, xq, 32);
  for (int l = 0; l < 8; l++) sx[l] = xq[4 * l] + xq[4 * l + 1] + xq[4 * l + 2] + xq[4 * l + 3];
  __m512i I[8];
  if (dtype == JT_Q8_0) { /* (w + 128) as unsigned bytes, less 128·Σx: exact */
    for (int l = 0; l < 8; l++) {
      const __m512i g = _mm512_i32gather_epi32(idx, w0 + 2 + 4 * l, 1);
      I[l] = _mm512_dpbusd_epi32(_mm512_set1_epi32(-128 * sx[l]), _mm512_xor_si512(g, _mm512_set1_epi8((char)0x80)), _mm512_set1_epi32(xw[l]));
    }
  } else { /* Q5_0: w + 16 = nibble | fifth bit << 4 (value i's fifth bit is qh bit i), less 16·Σx */
    const __m512i qh = _mm512_i32gather_epi32(idx, w0 + 2, 1), n4 = _mm512_set1_epi8(0x0f);
    for (int l = 0; l < 4; l++) {
      const __m512i q = _mm512_i32gather_epi32(idx, w0 + 6 + 4 * l, 1);
      const __m512i nib[2] = { _mm512_and_si512(q, n4), _mm512_and_si512(_mm512_srli_epi32(q, 4), n4) };
      for (int h = 0; h < 2; h++) {
        const int lane = l + 4 * h; /* values 4·lane.. : low nibbles of bytes 4l.., then their high nibbles */
        const __m512i b4 = _mm512_and_si512(_mm512_srli_epi32(qh, 4 * lane), _mm512_set1_epi32(0xf));
        const __m512i b5 = _mm512_slli_epi32(_mm512_and_si512(_mm512_mullo_epi32(b4, _mm512_set1_epi32(0x00204081)), _mm512_set1_epi32(0x01010101)), 4);
        I[lane] = _mm512_dpbusd_epi32(_mm512_set1_epi32(-16 * sx[lane]), _mm512_or_si512(nib[h], b5), _mm512_set1_epi32(xw[lane]));
      }
    }
  }
  __m512 v[8];
  for (int l = 0; l < 8; l++) v[l] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(I[l]), sc, _mm512_setzero_ps());
  const __m512 sum = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(v[0], v[4]), _mm512_add_ps(v[2], v[6])),
                                   _mm512_add_ps(_mm512_add_ps(v[1], v[5]), _mm512_add_ps(v[3], v[7])));
  __m512 y = _mm512_add_ps(_mm512_setzero_ps(), sum);
  if (a->bias) y = _mm512_add_ps(y, _mm512_loadu_ps(a->bias + o));
  _mm512_storeu_ps(a->y + t * a->ldy + o, y);
}
#endif

#if JT_ISA == JT_ISA_AVX512
/* whether this build has a one-token kernel for the type (Q8_0's gathers its scales 16 blocks at a time) */
static inline int has_tok(const int dtype, int64_t cols) {
  if (dtype == JT_Q8_0) return cols >= 256;
#if JT_VNNI
  if (dtype == JT_Q4_K || dtype == JT_Q6_K) return 1;
#endif
  return 0;
}

static inline __attribute__((always_inline)) void tok_rows(const jt_matmul_args *a, int64_t o, int64_t t, const int NR, const int dtype) {
#if JT_VNNI
  if (dtype == JT_Q4_K || dtype == JT_Q6_K) { k_tok_rows(a, o, t, NR, dtype); return; }
#endif
  q8_0_tok_rows(a, o, t, NR);
}

/* rows [o0, o1) of token t by the type's one-token kernel: IRT rows at a time, then one by one. (Q4_K
 * took 8-row tiles while the look-ahead came in bursts; with it spread over the row, 4 rows are 2–9 %
 * faster, hot and cold, and Q6_K with 8 is 8–14 % slower.) */
static inline __attribute__((always_inline)) void tok(const jt_matmul_args *a, int64_t o0, int64_t o1, int64_t t, const int dtype) {
  int64_t o = o0;
  for (; o + IRT <= o1; o += IRT) tok_rows(a, o, t, IRT, dtype);
  for (; o < o1; o++) tok_rows(a, o, t, 1, dtype);
}
#endif

static inline __attribute__((always_inline)) void iblock(const jt_matmul_args *a, int64_t o0, int64_t o1,
                                                          int64_t t0, int64_t t1, const int dtype) {
#if JT_ISA == JT_ISA_AVX512
  if (t1 - t0 == 1 && has_tok(dtype, a->cols)) { tok(a, o0, o1, t0, dtype); return; }
#endif
#if JT_VNNI
  if (t1 - t0 == 1 && a->cols == 32 && (dtype == JT_Q8_0 || dtype == JT_Q5_0)) {
    for (; o0 + 16 <= o1; o0 += 16) one_block_rows16(a, o0, t0, dtype);
    if (o0 == o1) return; /* the rest through itile */
  }
#endif
  JT_BLOCK_LOOP(itile, IRT, ITT, a, o0, o1, t0, t1, dtype);
}

#define IBLOCK(sfx, DT) \
  static void ib_##sfx(const jt_matmul_args *a, int64_t o0, int64_t o1, int64_t t0, int64_t t1) { iblock(a, o0, o1, t0, t1, DT); }
JT_QUANT_TYPES(IBLOCK)

/* the int8-activation block routine of a quantised type (NULL for plain types) */
jt_block_fn JT_FN(jt_iblock_fn)(int dtype) {
  switch (dtype) {
#define ICASE(sfx, DT) case DT: return ib_##sfx;
  JT_QUANT_TYPES(ICASE)
#undef ICASE
  default: return NULL;
  }
}

/* bytes jt_quantize_act needs for a->x (T rows of cols values, blocks of the weight type's size), a
 * multiple of 64 so that buffers laid end to end stay 64-byte aligned */
size_t JT_FN(jt_quant_act_bytes)(const jt_matmul_args *a) {
  const int64_t QA = QK_OF(a->dtype), ldq = (a->cols + 63) & ~(int64_t)63;
  const size_t n = (size_t)(a->T * ldq) + (size_t)(a->T * (a->cols / QA)) * 4 + (size_t)(a->T * (a->cols / 16)) * 4;
  return (n + 63) & ~(size_t)63;
}

/*
 * Quantises a->x (T rows) into buf (jt_quant_act_bytes of it, 64-byte aligned) and points
 * a->xq/xd/xs at it. The three arrays share the buffer: q rows padded to 64 bytes, then d
 * (T × blocks), then Σq per 16 (T × cols/16).
 */
void JT_FN(jt_quantize_act)(jt_matmul_args *a, uint8_t *buf) {
  const int64_t QA = QK_OF(a->dtype);
  const int64_t ldq = (a->cols + 63) & ~(int64_t)63, nb = a->cols / QA;
  const size_t qbytes = (size_t)(a->T * ldq), dbytes = (size_t)(a->T * nb) * 4;
  a->qa_block = QA;
  a->xq = (const int8_t *)buf;
  a->ldxq = ldq;
  a->xd = (const float *)(buf + qbytes);
  a->xs = (const int32_t *)(buf + qbytes + dbytes);
  if (a->T >= 16) jt_parallel_for(a->T, 4, quant_rows, a);
  else quant_rows(a, 0, a->T);
}
