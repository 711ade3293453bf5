/*
 * ktok.h — one token on Q4_K and Q6_K rows (decode), for the AVX-512 VNNI build. Included by qdot.c
 * after itile.
 *
 * The same int32 lanes and the same float values per super-block as itile's K path (one product is
 * formed differently but exactly, see ssum_f), so the results are bit-identical to it (the
 * batch-invariance tests compare one token against many); what it saves
 * is itile's per-tile set-up for one token: the token's int8 blocks stay in four registers across a
 * block's rows, and the Q6_K/Q4_K values come from kunpack.h.
 */

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
  const int64_t ahead = PF_TILES * NR * a->ldw; /* bytes: 16 rows on (4 for lone rows) */
  for (int64_t b = 0; b < nb; b++) {
    const v8i lo = ld32(xs + b * 16), hi = ld32(xs + b * 16 + 8);
    const v8i ssum = _mm256_permute4x64_epi64(dtype == JT_Q6_K ? _mm256_packs_epi32(lo, hi) : _mm256_hadd_epi32(lo, hi), 0xd8);
    /* Q4_K: the sub-block sums S_j as floats. m_j·S_j is below 2^24 (63 · 32 · 127), so float(m_j)·float(S_j)
     * is exactly itile's float(m_j·S_j), at one multiply instead of vpmulld's two uops and ten cycles */
    const vwf ssum_f = _mm512_cvtepi32_ps(wwiden(ssum));
    const int8_t *xb = xq + b * 256;
    const vw xv[4] = { wld(xb), wld(xb + 64), wld(xb + 128), wld(xb + 192) };
    const float dx = xd[b];
    for (int r = 0; r < NR; r++) {
      const uint8_t *blk = w[r] + b * BY;
      jt_prefetch_span(blk + ahead, BY);
      vw uw[4], sw[4];
      v8i s16 = _mm256_setzero_si256(); /* Q6_K: its 16 scales as int16 */
      uint64_t sc8 = 0, mn8 = 0;        /* Q4_K: its 8 scales and 8 mins, a byte each */
      if (dtype == JT_Q6_K) {
        q6k_values(blk, uw);
        const __m128i s8 = _mm_loadu_si128((const __m128i *)(blk + 192));
        s16 = _mm256_cvtepi8_epi16(s8);
        for (int j = 0; j < 4; j++) sw[j] = k6_scales(s8, s16, j);
      } else {
        k4_nibbles(blk + 16, uw);
        scales_mins_k4(blk + 4, &sc8, &mn8);
        for (int j = 0; j < 4; j++) sw[j] = k4_scales(sc8, j);
      }
      vw iacc = wzero();
      for (int j = 0; j < 4; j++) iacc = wdot_sc_acc(iacc, uw[j], xv[j], sw[j]);
      if (dtype == JT_Q6_K) { /* Σ sc·(u − 32)·x = Σ sc·u·x − 32·Σ_j sc_j·S_j */
        iacc = wsub(iacc, wwiden(_mm256_slli_epi32(_mm256_madd_epi16(s16, ssum), 5)));
        vacc[r] = wfma_i(iacc, wfset1(h16(blk + 208) * dx), vacc[r]);
      } else {                /* d·Σ sc·q·x − dmin·Σ_j m_j·S_j */
        const v8i offw = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)mn8));
        /* d and dmin converted and scaled together (the same products as h16(·)·dx one by one) */
        uint32_t dd32;
        memcpy(&dd32, blk, 4);
        const __m128 dd = _mm_mul_ps(_mm_cvtph_ps(_mm_cvtsi32_si128((int)dd32)), _mm_set1_ps(dx));
        vacc[r] = wfma_i(iacc, _mm512_broadcastss_ps(dd), vacc[r]);
        vacc[r] = _mm512_fnmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(wwiden(offw)), ssum_f), _mm512_broadcastss_ps(_mm_movehdup_ps(dd)), vacc[r]);
      }
    }
  }
  tok_store(a, o, t, NR, vacc);
}
