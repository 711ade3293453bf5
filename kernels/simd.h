/*
 * simd.h — one small float-vector vocabulary over three instruction sets, chosen by JT_ISA when a
 * kernel file is compiled: AVX-512 (16 lanes), AVX2+FMA+F16C (8 lanes) and a portable generic
 * version (8 lanes of plain C that any compiler, WebAssembly included, can build).
 *
 * Kernels are written once against these names (vf, JT_W, vload, vfma, vsum, …); JT_FN(name) gives
 * every compiled copy its own symbol. Reductions (vsum, vmaxall) use one fixed tree per ISA, so a
 * result depends only on the inputs, never on how work was split.
 */
#ifndef JT_SIMD_H
#define JT_SIMD_H

#include <math.h>
#include <stdint.h>
#include <string.h>
#include "jt.h"

#ifndef JT_ISA
#define JT_ISA JT_ISA_GENERIC
#endif

/* IEEE half → float, exact (scalar; used for block scales and the generic ISA). */
#if defined(__F16C__)
#include <immintrin.h>
static inline float jt_h2f(uint16_t h) { return _cvtsh_ss(h); } /* one instruction where F16C is enabled */
#else
static inline float jt_h2f(uint16_t h) {
  uint32_t s = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff, bits;
  if (e == 0) {
    float f = (float)m * (1.0f / 16777216.0f); /* subnormal: m·2^-24 */
    return s ? -f : f;
  }
  bits = e == 31 ? (s | 0x7f800000u | (m << 13)) : (s | ((e + 112) << 23) | (m << 13));
  float f; memcpy(&f, &bits, 4); return f;
}
#endif

/* float → IEEE half, round to nearest even (scalar; F16C's conversion where the ISA has it) */
static inline uint16_t jt_f2h(float f) {
#if defined(__F16C__)
  return (uint16_t)_cvtss_sh(f, 0);
#else
  uint32_t x; memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000, ax = x & 0x7fffffffu;
  if (ax >= 0x7f800000u) return (uint16_t)(sign | 0x7c00 | (ax > 0x7f800000u ? 0x200 : 0));
  if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00); /* ≥ 65520 rounds to infinity */
  if (ax < 0x38800000u) { /* below 2^-14: a half subnormal, m·2^-24 */
    float v; memcpy(&v, &ax, 4);
    return (uint16_t)(sign | (uint32_t)rintf(v * 16777216.0f));
  }
  uint32_t h = (((ax >> 23) - 112) << 10) | ((ax & 0x7fffff) >> 13);
  const uint32_t rem = ax & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++;
  return (uint16_t)(sign | h);
#endif
}

#define JT_CAT2(a, b) a##_##b
#define JT_CAT(a, b) JT_CAT2(a, b)

/*
 * Decode look-ahead: a one-token matmul reads each weight byte once, so kernels ask for the bytes some
 * rows on while they read a row's block. Spread this way, one block's worth at a time, the requests
 * keep the memory busy while the core computes; issued a tile's worth at once (36 lines for 8 Q4_K
 * rows of 512 values) they wait for the core's few line-fill buffers and stall it (measured: 5–12 %
 * slower on cold rows, 8–16 % on a decoded token). Prefetching never faults, past the end of the
 * weights included.
 */
static inline void jt_prefetch_span(const uint8_t *p, int64_t n) {
  for (int64_t off = 0; off < n; off += 64) __builtin_prefetch(p + off);
  if (n & 63) __builtin_prefetch(p + n - 1);
}

#if JT_ISA == JT_ISA_AVX512
#include <immintrin.h>
#if JT_VNNI /* the matmul files' AVX-512 copy with VNNI (binding.gyp's jt_avx512vnni) */
#define JT_FN(name) JT_CAT(name, avx512vnni)
#else
#define JT_FN(name) JT_CAT(name, avx512)
#endif
#define JT_W 16
typedef __m512 vf;
static inline vf vzero(void) { return _mm512_setzero_ps(); }
static inline vf vset1(float a) { return _mm512_set1_ps(a); }
static inline vf vload(const float *p) { return _mm512_loadu_ps(p); }
static inline void vstore(float *p, vf a) { _mm512_storeu_ps(p, a); }
static inline vf vload_f16(const void *p) { return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p)); }
static inline vf vload_bf16(const void *p) {
  __m512i i = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p));
  return _mm512_castsi512_ps(_mm512_slli_epi32(i, 16));
}
/* JT_W signed bytes → floats */
static inline vf vcvt_i8(const int8_t *p) { return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)p))); }
static inline vf vadd(vf a, vf b) { return _mm512_add_ps(a, b); }
static inline vf vsub(vf a, vf b) { return _mm512_sub_ps(a, b); }
static inline vf vmul(vf a, vf b) { return _mm512_mul_ps(a, b); }
static inline vf vdiv(vf a, vf b) { return _mm512_div_ps(a, b); }
static inline vf vfma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
static inline vf vmax(vf a, vf b) { return _mm512_max_ps(a, b); }
static inline vf vmin(vf a, vf b) { return _mm512_min_ps(a, b); }
static inline vf vabs(vf a) { return _mm512_abs_ps(a); }
static inline vf vround(vf a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
/* a > b ? x : y, lane-wise */
static inline vf vsel_gt(vf a, vf b, vf x, vf y) { return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_GT_OQ), y, x); }
static inline vf vsel_eq(vf a, vf b, vf x, vf y) { return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ), y, x); }
/* y·2^n for integral n in [-126, 127] */
static inline vf vldexp(vf y, vf n) { return _mm512_scalef_ps(y, n); }
/* x = m·2^e with m in [0.5, 1), for normal positive x */
static inline vf vfrexp(vf x, vf *e) {
  *e = _mm512_add_ps(_mm512_getexp_ps(x), _mm512_set1_ps(1.0f));
  return _mm512_getmant_ps(x, _MM_MANT_NORM_p5_1, _MM_MANT_SIGN_src);
}
static inline float vsum(vf a) { return _mm512_reduce_add_ps(a); }
/* 32-bit integer lanes, for unpacking quantised blocks */
typedef __m512i vi;
static inline vi vi_u8(const uint8_t *p) { return _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)p)); }
static inline vi vi_and(vi a, int m) { return _mm512_and_si512(a, _mm512_set1_epi32(m)); }
static inline vi vi_or(vi a, vi b) { return _mm512_or_si512(a, b); }
static inline vi vi_srl(vi a, int s) { return _mm512_srl_epi32(a, _mm_cvtsi32_si128(s)); }
static inline vi vi_sll(vi a, int s) { return _mm512_sll_epi32(a, _mm_cvtsi32_si128(s)); }
/* lane l = bit (first + l) of w */
static inline vi vi_bits(uint32_t w, int first) {
  const __m512i idx = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  return _mm512_and_si512(_mm512_srlv_epi32(_mm512_set1_epi32((int)w), _mm512_add_epi32(idx, _mm512_set1_epi32(first))), _mm512_set1_epi32(1));
}
static inline vf vi_tof(vi a) { return _mm512_cvtepi32_ps(a); }
static inline float vmaxall(vf a) { return _mm512_reduce_max_ps(a); }
/* lane j = Σ of a[j]'s lanes, for JT_W vectors at once (a fixed transpose-and-add tree) */
static inline vf vtsum(const vf *a) {
#define JT_PAIR(x, y, lo, hi) _mm512_add_ps(_mm512_permutex2var_ps(x, lo, y), _mm512_permutex2var_ps(x, hi, y))
  const __m512i l1 = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
  const __m512i h1 = _mm512_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
  const __m512i l2 = _mm512_setr_epi32(0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
  const __m512i h2 = _mm512_setr_epi32(4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
  const __m512i l3 = _mm512_setr_epi32(0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29);
  const __m512i h3 = _mm512_setr_epi32(2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31);
  const __m512i l4 = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i h4 = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  vf b[8], c[4], e[2];
  for (int i = 0; i < 8; i++) b[i] = JT_PAIR(a[2 * i], a[2 * i + 1], l1, h1); /* keys 2i, 2i+1: 8 partials each */
  for (int i = 0; i < 4; i++) c[i] = JT_PAIR(b[2 * i], b[2 * i + 1], l2, h2); /* 4 keys × 4 */
  for (int i = 0; i < 2; i++) e[i] = JT_PAIR(c[2 * i], c[2 * i + 1], l3, h3); /* 8 keys × 2 */
  return JT_PAIR(e[0], e[1], l4, h4);
#undef JT_PAIR
}

#elif JT_ISA == JT_ISA_AVX2
#include <immintrin.h>
#define JT_FN(name) JT_CAT(name, avx2)
#define JT_W 8
typedef __m256 vf;
static inline vf vzero(void) { return _mm256_setzero_ps(); }
static inline vf vset1(float a) { return _mm256_set1_ps(a); }
static inline vf vload(const float *p) { return _mm256_loadu_ps(p); }
static inline void vstore(float *p, vf a) { _mm256_storeu_ps(p, a); }
static inline vf vload_f16(const void *p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)); }
static inline vf vload_bf16(const void *p) {
  __m256i i = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
  return _mm256_castsi256_ps(_mm256_slli_epi32(i, 16));
}
static inline vf vcvt_i8(const int8_t *p) { return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p))); }
static inline vf vadd(vf a, vf b) { return _mm256_add_ps(a, b); }
static inline vf vsub(vf a, vf b) { return _mm256_sub_ps(a, b); }
static inline vf vmul(vf a, vf b) { return _mm256_mul_ps(a, b); }
static inline vf vdiv(vf a, vf b) { return _mm256_div_ps(a, b); }
static inline vf vfma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
static inline vf vmax(vf a, vf b) { return _mm256_max_ps(a, b); }
static inline vf vmin(vf a, vf b) { return _mm256_min_ps(a, b); }
static inline vf vabs(vf a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
static inline vf vround(vf a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
static inline vf vsel_gt(vf a, vf b, vf x, vf y) { return _mm256_blendv_ps(y, x, _mm256_cmp_ps(a, b, _CMP_GT_OQ)); }
static inline vf vsel_eq(vf a, vf b, vf x, vf y) { return _mm256_blendv_ps(y, x, _mm256_cmp_ps(a, b, _CMP_EQ_OQ)); }
static inline vf vldexp(vf y, vf n) {
  __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}
static inline vf vfrexp(vf x, vf *e) {
  __m256i b = _mm256_castps_si256(x);
  *e = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(b, 23), _mm256_set1_epi32(126)));
  b = _mm256_or_si256(_mm256_and_si256(b, _mm256_set1_epi32((int)0x807fffff)), _mm256_set1_epi32(0x3f000000));
  return _mm256_castsi256_ps(b);
}
static inline float vsum(vf a) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
static inline vf vtsum(const vf *a) { /* lane j = Σ of a[j]'s lanes (a fixed tree) */
  const __m256 g0 = _mm256_hadd_ps(_mm256_hadd_ps(a[0], a[1]), _mm256_hadd_ps(a[2], a[3]));
  const __m256 g1 = _mm256_hadd_ps(_mm256_hadd_ps(a[4], a[5]), _mm256_hadd_ps(a[6], a[7]));
  return _mm256_add_ps(_mm256_permute2f128_ps(g0, g1, 0x20), _mm256_permute2f128_ps(g0, g1, 0x31));
}
static inline float vmaxall(vf a) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
typedef __m256i vi;
static inline vi vi_u8(const uint8_t *p) { return _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p)); }
static inline vi vi_and(vi a, int m) { return _mm256_and_si256(a, _mm256_set1_epi32(m)); }
static inline vi vi_or(vi a, vi b) { return _mm256_or_si256(a, b); }
static inline vi vi_srl(vi a, int s) { return _mm256_srl_epi32(a, _mm_cvtsi32_si128(s)); }
static inline vi vi_sll(vi a, int s) { return _mm256_sll_epi32(a, _mm_cvtsi32_si128(s)); }
static inline vi vi_bits(uint32_t w, int first) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32((int)w), _mm256_add_epi32(idx, _mm256_set1_epi32(first))), _mm256_set1_epi32(1));
}
static inline vf vi_tof(vi a) { return _mm256_cvtepi32_ps(a); }

#else /* generic: 8 lanes of plain C */
#define JT_FN(name) JT_CAT(name, generic)
#define JT_W 8
typedef struct { float v[JT_W]; } vf;
#define JT_LANES(expr) do { for (int l_ = 0; l_ < JT_W; l_++) { expr; } } while (0)
static inline vf vzero(void) { vf r; JT_LANES(r.v[l_] = 0.0f); return r; }
static inline vf vset1(float a) { vf r; JT_LANES(r.v[l_] = a); return r; }
static inline vf vload(const float *p) { vf r; memcpy(r.v, p, sizeof r.v); return r; }
static inline void vstore(float *p, vf a) { memcpy(p, a.v, sizeof a.v); }
static inline vf vload_f16(const void *p) {
  uint16_t h[JT_W]; memcpy(h, p, sizeof h); vf r; JT_LANES(r.v[l_] = jt_h2f(h[l_])); return r;
}
static inline vf vload_bf16(const void *p) {
  uint16_t h[JT_W]; memcpy(h, p, sizeof h); vf r;
  JT_LANES({ uint32_t b = (uint32_t)h[l_] << 16; memcpy(&r.v[l_], &b, 4); });
  return r;
}
static inline vf vcvt_i8(const int8_t *p) { vf r; JT_LANES(r.v[l_] = (float)p[l_]); return r; }
static inline vf vadd(vf a, vf b) { JT_LANES(a.v[l_] += b.v[l_]); return a; }
static inline vf vsub(vf a, vf b) { JT_LANES(a.v[l_] -= b.v[l_]); return a; }
static inline vf vmul(vf a, vf b) { JT_LANES(a.v[l_] *= b.v[l_]); return a; }
static inline vf vdiv(vf a, vf b) { JT_LANES(a.v[l_] /= b.v[l_]); return a; }
static inline vf vfma(vf a, vf b, vf c) { JT_LANES(c.v[l_] = fmaf(a.v[l_], b.v[l_], c.v[l_])); return c; }
static inline vf vmax(vf a, vf b) { JT_LANES(a.v[l_] = a.v[l_] > b.v[l_] ? a.v[l_] : b.v[l_]); return a; }
static inline vf vmin(vf a, vf b) { JT_LANES(a.v[l_] = a.v[l_] < b.v[l_] ? a.v[l_] : b.v[l_]); return a; }
static inline vf vabs(vf a) { JT_LANES(a.v[l_] = fabsf(a.v[l_])); return a; }
static inline vf vround(vf a) { JT_LANES(a.v[l_] = nearbyintf(a.v[l_])); return a; }
static inline vf vsel_gt(vf a, vf b, vf x, vf y) { JT_LANES(x.v[l_] = a.v[l_] > b.v[l_] ? x.v[l_] : y.v[l_]); return x; }
static inline vf vsel_eq(vf a, vf b, vf x, vf y) { JT_LANES(x.v[l_] = a.v[l_] == b.v[l_] ? x.v[l_] : y.v[l_]); return x; }
static inline vf vldexp(vf y, vf n) { JT_LANES(y.v[l_] = ldexpf(y.v[l_], (int)n.v[l_])); return y; }
static inline vf vfrexp(vf x, vf *e) {
  JT_LANES({ int k; x.v[l_] = frexpf(x.v[l_], &k); e->v[l_] = (float)k; });
  return x;
}
static inline float vsum(vf a) {
  for (int w = JT_W / 2; w > 0; w /= 2) for (int l = 0; l < w; l++) a.v[l] += a.v[l + w];
  return a.v[0];
}
static inline vf vtsum(const vf *a) { vf r; for (int j = 0; j < JT_W; j++) r.v[j] = vsum(a[j]); return r; }
static inline float vmaxall(vf a) {
  for (int w = JT_W / 2; w > 0; w /= 2) for (int l = 0; l < w; l++) a.v[l] = a.v[l] > a.v[l + w] ? a.v[l] : a.v[l + w];
  return a.v[0];
}
typedef struct { int32_t v[JT_W]; } vi;
static inline vi vi_u8(const uint8_t *p) { vi r; JT_LANES(r.v[l_] = p[l_]); return r; }
static inline vi vi_and(vi a, int m) { JT_LANES(a.v[l_] &= m); return a; }
static inline vi vi_or(vi a, vi b) { JT_LANES(a.v[l_] |= b.v[l_]); return a; }
static inline vi vi_srl(vi a, int s) { JT_LANES(a.v[l_] = (int32_t)((uint32_t)a.v[l_] >> s)); return a; }
static inline vi vi_sll(vi a, int s) { JT_LANES(a.v[l_] = (int32_t)((uint32_t)a.v[l_] << s)); return a; }
static inline vi vi_bits(uint32_t w, int first) { vi r; JT_LANES(r.v[l_] = (int32_t)((w >> (first + l_)) & 1)); return r; }
static inline vf vi_tof(vi a) { vf r; JT_LANES(r.v[l_] = (float)a.v[l_]); return r; }
#endif

/* Partial vectors: the first n (< JT_W) lanes from memory, the rest zero; and the matching store. */
static inline vf vloadn(const float *p, int64_t n) {
  float t[JT_W] = {0}; memcpy(t, p, (size_t)n * 4); return vload(t);
}
static inline void vstoren(float *p, vf a, int64_t n) {
  float t[JT_W]; vstore(t, a); memcpy(p, t, (size_t)n * 4);
}
static inline vf vloadn_f16(const void *p, int64_t n) {
  uint16_t t[JT_W] = {0}; memcpy(t, p, (size_t)n * 2); return vload_f16(t);
}
static inline vf vloadn_bf16(const void *p, int64_t n) {
  uint16_t t[JT_W] = {0}; memcpy(t, p, (size_t)n * 2); return vload_bf16(t);
}

/* JT_W values of a weight row in its stored type, starting at element i (n < JT_W: partial). */
static inline vf vload_w(const uint8_t *row, int dtype, int64_t i) {
  if (dtype == JT_F16) return vload_f16(row + 2 * i);
  if (dtype == JT_BF16) return vload_bf16(row + 2 * i);
  return vload((const float *)(const void *)(row + 4 * i));
}
static inline vf vloadn_w(const uint8_t *row, int dtype, int64_t i, int64_t n) {
  if (dtype == JT_F16) return vloadn_f16(row + 2 * i, n);
  if (dtype == JT_BF16) return vloadn_bf16(row + 2 * i, n);
  return vloadn((const float *)(const void *)(row + 4 * i), n);
}

#endif
