/*
 * quant.c — matmul on llama.cpp's block-quantised weights (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K,
 * Q6_K; layouts as in ggml-common.h and src/tensor/quant/), read in their stored bytes.
 *
 * Each block's scales are read once per row, then JT_W values at a time are unpacked in integer
 * lanes (simd.h's vi) and converted to float32 with exactly the rounding steps of the TS decoders (e.g. Q4_K: (d·sc)·q − dmin·m, each product rounded to float) and fed,
 * shared by a tile of QTT tokens, to the same canonical dot as matmul.c (one JT_W-lane FMA
 * accumulator in element order, vsum's fixed tree). So a quantised matmul equals the float32 matmul
 * of the decoded weights bit for bit, and stays batch-invariant.
 */
#include "qblock.h"

#if JT_ISA == JT_ISA_AVX512
#define QRT 4
#define QTT 4
#else
#define QRT 4
#define QTT 2
#endif

/* Per-block scales: value = q·dl[g] (+ mo[g]) for group g of SB values (Q4_K's −dmin·m is mo). */
typedef struct { float dl[16], mo[16]; } qsc;

static inline __attribute__((always_inline)) void scales(const int dtype, const uint8_t *b, qsc *s) {
  switch (dtype) {
  case JT_Q4_1: case JT_Q5_1: s->mo[0] = h16(b + 2); /* fall through */
  case JT_Q8_0: case JT_Q4_0: case JT_Q5_0: s->dl[0] = h16(b); break;
  case JT_Q4_K: case JT_Q5_K: {
    const float d = h16(b), dmin = h16(b + 2);
    for (int j = 0; j < 8; j++) {
      int sc, m;
      scale_min_k4(j, b + 4, &sc, &m);
      s->dl[j] = d * (float)sc;
      s->mo[j] = -(dmin * (float)m);
    }
    break;
  }
  default: { /* Q6_K */
    const float d = h16(b + 208);
    for (int j = 0; j < 16; j++) s->dl[j] = d * (float)(int8_t)b[192 + j];
  }
  }
}

/* low (hi = 0) or high (hi = 1) nibbles of JT_W bytes */
static inline vi nibbles(const uint8_t *p, int hi) { return hi ? vi_srl(vi_u8(p), 4) : vi_and(vi_u8(p), 0xf); }

/*
 * Values c .. c+JT_W−1 of the block at b (c a multiple of JT_W, and JT_W ≤ 16 keeps them in one group
 * and one nibble half), decoded with exactly the TS reference's rounding: the integer quant (offset
 * subtracted exactly in float) times its scale, plus the group's offset where the type has one.
 */
static inline __attribute__((always_inline)) vf qvec(const int dtype, const uint8_t *b, const qsc *s, int c) {
  vf q;
  switch (dtype) {
  case JT_Q8_0: return vmul(vcvt_i8((const int8_t *)(b + 2 + c)), vset1(s->dl[0]));
  case JT_Q4_0: case JT_Q4_1: {
    vf n = vi_tof(nibbles(b + (dtype == JT_Q4_0 ? 2 : 4) + (c & 15), c >= 16));
    if (dtype == JT_Q4_0) return vmul(vsub(n, vset1(8.0f)), vset1(s->dl[0]));
    return vadd(vmul(n, vset1(s->dl[0])), vset1(s->mo[0]));
  }
  case JT_Q5_0: case JT_Q5_1: {
    const int o = dtype == JT_Q5_0 ? 2 : 4;
    uint32_t qh;
    memcpy(&qh, b + o, 4);
    vf n = vi_tof(vi_or(nibbles(b + o + 4 + (c & 15), c >= 16), vi_sll(vi_bits(qh, c), 4)));
    if (dtype == JT_Q5_0) return vmul(vsub(n, vset1(16.0f)), vset1(s->dl[0]));
    return vadd(vmul(n, vset1(s->dl[0])), vset1(s->mo[0]));
  }
  case JT_Q4_K: case JT_Q5_K: {
    const int k = c / 64, hi = (c & 63) >= 32, l = c & 31;
    vi n = nibbles(b + (dtype == JT_Q4_K ? 16 : 48) + 32 * k + l, hi);
    if (dtype == JT_Q5_K) n = vi_or(n, vi_sll(vi_and(vi_srl(vi_u8(b + 16 + l), 2 * k + hi), 1), 4));
    q = vi_tof(n);
    return vadd(vmul(q, vset1(s->dl[c / 32])), vset1(s->mo[c / 32]));
  }
  default: { /* Q6_K */
    const int h = c / 128, m = (c & 127) / 32, l = c & 31;
    vi lo = nibbles(b + 64 * h + l + ((m & 1) ? 32 : 0), m >= 2);
    vi hb = vi_and(vi_srl(vi_u8(b + 128 + 32 * h + l), 2 * m), 3);
    q = vsub(vi_tof(vi_or(lo, vi_sll(hb, 4))), vset1(32.0f));
    return vmul(q, vset1(s->dl[c / 16]));
  }
  }
}

static inline __attribute__((always_inline)) void qtile(const jt_matmul_args *a, int64_t o, int64_t t,
                                                         const int NR, const int NT, const int dtype) {
  const int QK = QK_OF(dtype), BY = BYTES_OF(dtype);
  const int64_t nb = a->cols / QK;
  qsc sc[QRT];
  const uint8_t *w[QRT];
  const float *x[QTT];
  vf acc[QTT][QRT];
  for (int k = 0; k < NT; k++) x[k] = a->x + (t + k) * a->ldx;
  for (int r = 0; r < NR; r++) w[r] = a->w + (o + r) * a->ldw;
  for (int k = 0; k < NT; k++)
    for (int r = 0; r < NR; r++) acc[k][r] = vzero();
  /* one token (decode): rows are short (a few hundred bytes), too short for the hardware prefetcher
   * to ramp up on, so each block read asks for the next tile's (simd.h's jt_prefetch_span) */
  for (int64_t b = 0; b < nb; b++) {
    for (int r = 0; r < NR; r++) {
      if (NT == 1) jt_prefetch_span(w[r] + NR * a->ldw + b * BY, BY);
      scales(dtype, w[r] + b * BY, &sc[r]);
    }
    for (int c = 0; c < QK; c += JT_W) {
      vf wv[QRT];
      for (int r = 0; r < NR; r++) wv[r] = qvec(dtype, w[r] + b * BY, &sc[r], c);
      for (int k = 0; k < NT; k++) {
        vf xv = vload(x[k] + b * QK + c);
        for (int r = 0; r < NR; r++) acc[k][r] = vfma(xv, wv[r], acc[k][r]);
      }
    }
  }
  JT_TILE_STORE(a, o, t, NR, NT, acc);
}

static inline __attribute__((always_inline)) void qblock(const jt_matmul_args *a, int64_t o0, int64_t o1,
                                                          int64_t t0, int64_t t1, const int dtype) {
  JT_BLOCK_LOOP(qtile, QRT, QTT, a, o0, o1, t0, t1, dtype);
}

#define QBLOCK(sfx, DT) \
  static void qb_##sfx(const jt_matmul_args *a, int64_t o0, int64_t o1, int64_t t0, int64_t t1) { qblock(a, o0, o1, t0, t1, DT); }
JT_QUANT_TYPES(QBLOCK)

/* the block routine of a quantised type (NULL for plain types) */
jt_block_fn JT_FN(jt_qblock_fn)(int dtype) {
  switch (dtype) {
#define QCASE(sfx, DT) case DT: return qb_##sfx;
  JT_QUANT_TYPES(QCASE)
#undef QCASE
  default: return NULL;
  }
}

static inline __attribute__((always_inline)) void dq_row(const int dtype, float *out, const uint8_t *src, int64_t n) {
  qsc sc;
  for (int64_t b = 0; b < n / QK_OF(dtype); b++) {
    const uint8_t *blk = src + b * BYTES_OF(dtype);
    scales(dtype, blk, &sc);
    for (int c = 0; c < QK_OF(dtype); c += JT_W) vstore(out + b * QK_OF(dtype) + c, qvec(dtype, blk, &sc, c));
  }
}

/* n values (whole blocks) of a quantised row → float32 */
void JT_FN(jt_dequant_row)(float *out, const uint8_t *src, int64_t n, int dtype) {
  switch (dtype) {
#define DQCASE(sfx, DT) case DT: dq_row(DT, out, src, n); break;
  JT_QUANT_TYPES(DQCASE)
#undef DQCASE
  default: break;
  }
}
