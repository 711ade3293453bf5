/*
 * kunpack.h — K-quant super-blocks unpacked by GF(2) affine byte transforms, for the AVX-512 VNNI
 * build (which also needs GFNI; dispatch.c checks both). Included by qdot.c before itile.
 *
 * vgf2p8affineqb applies a bit matrix to every byte, one matrix per 64-bit lane: one instruction takes
 * a 32-byte group's low nibbles to one half of a vector and its high nibbles to the other, where the
 * plain AVX-512 path shifts and masks; Q6_K's 2-bit high parts come the same way, one instruction per
 * 64 values, merged with the low nibbles by one ternary-logic instruction. The values land in the
 * same bytes as the plain path's, so every int32 lane downstream is the same.
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

/* a Q6_K super-block's 256 values (6-bit, unsigned), 64 a vector, in itile's order */
static inline __attribute__((always_inline)) void q6k_values(const uint8_t *blk, vw uw[4]) {
  const __m512i hi4 = gf_mats(GF_HI4, GF_HI4); /* high nibbles in both halves */
  const __m512i f01 = gf_mats(GF_F45(0), GF_F45(1)), f23 = gf_mats(GF_F45(2), GF_F45(3));
  const __m512i lo4 = _mm512_set1_epi8(0x0f);
  const __m512i A = _mm512_loadu_si512(blk), B = _mm512_loadu_si512(blk + 64);
  const __m512i Q0 = _mm512_broadcast_i64x4(ld32(blk + 128)), Q1 = _mm512_broadcast_i64x4(ld32(blk + 160));
  uw[0] = _mm512_ternarylogic_epi32(A, GF(Q0, f01), lo4, 0xEC); /* (A & 0x0f) | high bits */
  uw[1] = _mm512_or_si512(GF(A, hi4), GF(Q0, f23));
  uw[2] = _mm512_ternarylogic_epi32(B, GF(Q1, f01), lo4, 0xEC);
  uw[3] = _mm512_or_si512(GF(B, hi4), GF(Q1, f23));
}

/* a Q4_K/Q5_K super-block's 128 bytes of nibbles at qs as 256 values, 64 a vector: 32 bytes' low
 * nibbles in a vector's low half, their high nibbles in its high half (Q5_K's fifth bits not added) */
static inline __attribute__((always_inline)) void k4_nibbles(const uint8_t *qs, vw uw[4]) {
  const __m512i nib = gf_mats(GF_LO4, GF_HI4);
  for (int k4 = 0; k4 < 4; k4++) uw[k4] = GF(_mm512_broadcast_i64x4(ld32(qs + 32 * k4)), nib);
}

#undef GF
