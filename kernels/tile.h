/*
 * tile.h — what matmul.c (plain weights), quant.c and qdot.c (block-quantised weights) share: the
 * block routine type, walking a block of rows × tokens as RT×TT tiles with 1-token and 1-row edges, and storing a tile's canonical dots
 * (vsum's fixed tree, then + bias). Every tile shape computes each dot the same way, which is why
 * the tiling never changes a result.
 */
#ifndef JT_TILE_H
#define JT_TILE_H

#include "simd.h"

/* a routine computing rows [o0, o1) × tokens [t0, t1) of a matmul */
typedef void (*jt_block_fn)(const jt_matmul_args *, int64_t, int64_t, int64_t, int64_t);

/* y[t+k, o+r] = vsum(acc[k][r]) (+ bias[o+r]) for k < NT, r < NR */
#define JT_TILE_STORE(a, o, t, NR, NT, acc)                                      \
  for (int k_ = 0; k_ < (NT); k_++)                                              \
    for (int r_ = 0; r_ < (NR); r_++) {                                          \
      float s_ = vsum((acc)[k_][r_]);                                            \
      (a)->y[((t) + k_) * (a)->ldy + (o) + r_] = (a)->bias ? s_ + (a)->bias[(o) + r_] : s_; \
    }

/* rows [o0, o1) × tokens [t0, t1) as TILE(a, o, t, NR, NT, dtype) calls */
#define JT_BLOCK_LOOP(TILE, RT_, TT_, a, o0, o1, t0, t1, dtype)                  \
  do {                                                                           \
    int64_t o_ = (o0);                                                           \
    for (; o_ + (RT_) <= (o1); o_ += (RT_)) {                                    \
      int64_t t_ = (t0);                                                         \
      for (; t_ + (TT_) <= (t1); t_ += (TT_)) TILE(a, o_, t_, RT_, TT_, dtype);  \
      for (; t_ < (t1); t_++) TILE(a, o_, t_, RT_, 1, dtype);                    \
    }                                                                            \
    for (; o_ < (o1); o_++)                                                      \
      for (int64_t t_ = (t0); t_ < (t1); t_++) TILE(a, o_, t_, 1, 1, dtype);     \
  } while (0)

#endif
