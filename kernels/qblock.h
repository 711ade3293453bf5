/*
 * qblock.h — llama.cpp's block layouts as quant.c (decode to float32) and qdot.c (int8 activations)
 * both read them (ggml-common.h; src/tensor/quant/): values and bytes per block, the fp16 scale
 * reader, the K types' 6-bit scale/min unpacking, and the list of block types each file builds a
 * routine for.
 */
#ifndef JT_QBLOCK_H
#define JT_QBLOCK_H

#include "tile.h"

/* values per block (also the int8 activation block of qdot.c) and bytes per block */
#define QK_OF(dt) ((dt) >= JT_Q4_K ? 256 : 32)
#define BYTES_OF(dt) ((dt) == JT_Q8_0 ? 34 : (dt) == JT_Q4_0 ? 18 : (dt) == JT_Q4_1 ? 20 : (dt) == JT_Q5_0 ? 22 : \
                      (dt) == JT_Q5_1 ? 24 : (dt) == JT_Q4_K ? 144 : (dt) == JT_Q5_K ? 176 : 210)

/* X(suffix, code) for every block type: one routine per type, and the switch that picks it */
#define JT_QUANT_TYPES(X) \
  X(q8_0, JT_Q8_0) X(q4_0, JT_Q4_0) X(q4_1, JT_Q4_1) X(q5_0, JT_Q5_0) X(q5_1, JT_Q5_1) \
  X(q4_k, JT_Q4_K) X(q5_k, JT_Q5_K) X(q6_k, JT_Q6_K)

/* the little-endian fp16 at p */
static inline float h16(const uint8_t *p) { return jt_h2f((uint16_t)(p[0] | p[1] << 8)); }

/* get_scale_min_k4: 6-bit scale and min of sub-block j from the 12 bytes at s */
static inline void scale_min_k4(int j, const uint8_t *s, int *sc, int *m) {
  if (j < 4) { *sc = s[j] & 63; *m = s[j + 4] & 63; }
  else { *sc = (s[j + 4] & 0xf) | ((s[j - 4] >> 6) << 4); *m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4); }
}

/* all 8 scales and 8 mins of the 12 bytes at s, one byte each (scale_min_k4 for j = 0..7 at once) */
static inline void scales_mins_k4(const uint8_t *s, uint64_t *sc, uint64_t *mn) {
  uint32_t u0, u1, u2;
  memcpy(&u0, s, 4); memcpy(&u1, s + 4, 4); memcpy(&u2, s + 8, 4);
  const uint32_t lo6 = 0x3f3f3f3fu, lo4 = 0x0f0f0f0fu, lo2 = 0x03030303u;
  *sc = (u0 & lo6) | (uint64_t)((u2 & lo4) | (((u0 >> 6) & lo2) << 4)) << 32;
  *mn = (u1 & lo6) | (uint64_t)(((u2 >> 4) & lo4) | (((u1 >> 6) & lo2) << 4)) << 32;
}

#endif
