/*
 * ktok.h — one token on Q4_K and Q6_K rows (decode), for the AVX-512 VNNI build (which also needs
 * GFNI; dispatch.c checks both). Included by qdot.c after itile.
 *
 * The same int32 lanes and the same float operations per super-block as itile's K path, so the results
 * are bit-identical to it (the batch-invariance tests compare one token against many). Less work per
 * super-block:
 *  - values unpacked by GF(2) affine byte transforms (vgf2p8affineqb, a bit matrix per 64-bit lane):
 *    one instruction takes a 32-byte group's low nibbles to one half of a vector and its high nibbles to
 *    the other, where itile shifts and masks; Q6_K's 2-bit high parts come the same way, one
 *    instruction per 64 values, merged with the low nibbles by one ternary-logic instruction;
 *  - scale × (u·x) pairs summed into the int32 lanes by vpdpwssd (itile: pmaddwd, then an add).
 */

/* an 8×8 bit matrix for vgf2p8affineqb: output bit b of each byte = parity(byte & row_b) */
#define GF_ROW(b, m) ((uint64_t)(m) << (8 * (7 - (b))))
#define GF_LO4 (GF_ROW(0, 0x01) | GF_ROW(1, 0x02) | GF_ROW(2, 0x04) | GF_ROW(3, 0x08))  /* b & 0x0f */
#define GF_HI4 (GF_ROW(0, 0x10) | GF_ROW(1, 0x20) | GF_ROW(2, 0x40) | GF_ROW(3, 0x80))  /* b >> 4 */
#define GF_F45(k) (GF_ROW(4, 1u << (2 * (k))) | GF_ROW(5, 1u << (2 * (k) + 1)))          /* bits 2k, 2k+1 → 4, 5 */
/* one matrix for the low 256 bits, another for the high */
static inline __m512i gf_mats(uint64_t lo, uint64_t hi) {
  return _mm512_set_epi64((long long)hi, (long long)hi, (long long)hi, (long long)hi,
                          (long long)lo, (long long)lo, (long long)lo, (long long)lo);
}
#define GF(v, m) _mm512_gf2p8affine_epi64_epi8(v, m, 0)

static inline __attribute__((always_inline)) void k_tok_rows(const jt_matmul_args *a, int64_t o, int64_t t,
                                                              const int NR, const int dtype) {
  const int64_t nb = a->cols / 256, ns = a->cols / 16;
  const int BY = BYTES_OF(dtype);
  const int8_t *xq = a->xq + t * a->ldxq;
  const float *xd = a->xd + t * nb;
  const int32_t *xs = a->xs + t * ns;
  const uint8_t *w[IRT];
  vwf vacc[IRT];
  for (int r = 0; r < NR; r++) { w[r] = a->w + (o + r) * a->ldw; vacc[r] = wfzero(); }
  for (int64_t off = 0; off < NR * a->ldw; off += 64) __builtin_prefetch(a->w + (o + PF_TILES * NR) * a->ldw + off);
  const __m512i nib = gf_mats(GF_LO4, GF_HI4);                     /* Q4_K: low nibbles | high nibbles */
  const __m512i hi4 = gf_mats(GF_HI4, GF_HI4);                     /* Q6_K: high nibbles in both halves */
  const __m512i f01 = gf_mats(GF_F45(0), GF_F45(1)), f23 = gf_mats(GF_F45(2), GF_F45(3));
  const __m512i lo4 = _mm512_set1_epi8(0x0f);
  for (int64_t b = 0; b < nb; b++) {
    const v8i lo = ld32(xs + b * 16), hi = ld32(xs + b * 16 + 8);
    const v8i ssum = _mm256_permute4x64_epi64(dtype == JT_Q6_K ? _mm256_packs_epi32(lo, hi) : _mm256_hadd_epi32(lo, hi), 0xd8);
    const int8_t *xb = xq + b * 256;
    const vw x0 = wld(xb), x1 = wld(xb + 64), x2 = wld(xb + 128), x3 = wld(xb + 192);
    const float dx = xd[b];
    for (int r = 0; r < NR; r++) {
      const uint8_t *blk = w[r] + b * BY;
      vw uw[4], sw[4];
      if (dtype == JT_Q6_K) {
        const __m512i A = _mm512_loadu_si512(blk), B = _mm512_loadu_si512(blk + 64);
        const __m512i Q0 = _mm512_broadcast_i64x4(ld32(blk + 128)), Q1 = _mm512_broadcast_i64x4(ld32(blk + 160));
        uw[0] = _mm512_ternarylogic_epi32(A, GF(Q0, f01), lo4, 0xEC); /* (A & 0x0f) | high bits */
        uw[1] = _mm512_or_si512(GF(A, hi4), GF(Q0, f23));
        uw[2] = _mm512_ternarylogic_epi32(B, GF(Q1, f01), lo4, 0xEC);
        uw[3] = _mm512_or_si512(GF(B, hi4), GF(Q1, f23));
        const __m128i s8 = _mm_loadu_si128((const __m128i *)(blk + 192));
        const v8i s16 = _mm256_cvtepi8_epi16(s8);
        for (int j = 0; j < 4; j++) sw[j] = k6_scales(s8, s16, j);
        vw iacc = wzero();
        iacc = _mm512_dpwssd_epi32(iacc, _mm512_maddubs_epi16(uw[0], x0), sw[0]);
        iacc = _mm512_dpwssd_epi32(iacc, _mm512_maddubs_epi16(uw[1], x1), sw[1]);
        iacc = _mm512_dpwssd_epi32(iacc, _mm512_maddubs_epi16(uw[2], x2), sw[2]);
        iacc = _mm512_dpwssd_epi32(iacc, _mm512_maddubs_epi16(uw[3], x3), sw[3]);
        iacc = wsub(iacc, wwiden(_mm256_slli_epi32(_mm256_madd_epi16(s16, ssum), 5)));
        vacc[r] = wfma_i(iacc, wfset1(h16(blk + 208) * dx), vacc[r]);
      } else {
        const uint8_t *qs = blk + 16;
        for (int k4 = 0; k4 < 4; k4++) uw[k4] = GF(_mm512_broadcast_i64x4(ld32(qs + 32 * k4)), nib);
        uint64_t sc8, mn8;
        scales_mins_k4(blk + 4, &sc8, &mn8);
        for (int j = 0; j < 4; j++) sw[j] = k4_scales(sc8, j);
        vw iacc = wzero();
        iacc = _mm512_dpwssd_epi32(iacc, _mm512_maddubs_epi16(uw[0], x0), sw[0]);
        iacc = _mm512_dpwssd_epi32(iacc, _mm512_maddubs_epi16(uw[1], x1), sw[1]);
        iacc = _mm512_dpwssd_epi32(iacc, _mm512_maddubs_epi16(uw[2], x2), sw[2]);
        iacc = _mm512_dpwssd_epi32(iacc, _mm512_maddubs_epi16(uw[3], x3), sw[3]);
        const v8i offw = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)mn8));
        vacc[r] = wfma_i(iacc, wfset1(h16(blk) * dx), vacc[r]);
        vacc[r] = wfnma_i(wwiden(_mm256_mullo_epi32(offw, ssum)), wfset1(h16(blk + 2) * dx), vacc[r]);
      }
    }
  }
  for (int r = 0; r < NR; r++) {
    float acc = 0.0f;
    acc += whsum_f(vacc[r]);
    a->y[t * a->ldy + o + r] = a->bias ? acc + a->bias[o + r] : acc;
  }
}

#undef GF

static void q4_k_tok(const jt_matmul_args *a, int64_t o0, int64_t o1, int64_t t) {
  int64_t o = o0;
  for (; o + IRT <= o1; o += IRT) k_tok_rows(a, o, t, IRT, JT_Q4_K);
  for (; o < o1; o++) k_tok_rows(a, o, t, 1, JT_Q4_K);
}

static void q6_k_tok(const jt_matmul_args *a, int64_t o0, int64_t o1, int64_t t) {
  int64_t o = o0;
  for (; o + IRT <= o1; o += IRT) k_tok_rows(a, o, t, IRT, JT_Q6_K);
  for (; o < o1; o++) k_tok_rows(a, o, t, 1, JT_Q6_K);
}
