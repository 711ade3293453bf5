/*
 * attention.c — causal softmax attention with grouped KV heads (spec §5), streaming over the keys in
 * blocks of BK with an online softmax (FlashAttention's running max m, normaliser l and rescaled
 * accumulator): memory O(d) per query, never a T×S score matrix.
 *
 * One task is one query token t and one KV head (up to GMAX of its query heads together, so each key
 * and value row is loaded once for the whole group). Query t sits at position past + t and sees keys
 * 0..past+t. Key blocks start at absolute multiples of BK and every reduction has a fixed order, so a
 * query's output depends only on its position and the cache, never on T or the thread count.
 */
#include "vmath.h"

#define BK 64   /* keys per softmax block */
#define GMAX 4  /* query heads handled together */
#ifndef KPF
#define KPF 16 /* keys: cold 16-layer 32K-key decode 7.1–7.8 → 9.2–9.6 GB/s; 64 and 128 no better */
#endif

/* acc[0..d) = acc·c (c ≠ 1) */
static inline void scale_row(float *acc, float c, int64_t d) {
  int64_t i = 0;
  for (; i + JT_W <= d; i += JT_W) vstore(acc + i, vmul(vload(acc + i), vset1(c)));
  for (; i < d; i++) acc[i] *= c;
}

typedef struct { const jt_attention_args *a; int64_t nsub; } att_ctx;

/* acc[g][i] += Σ_j p[g][j]·v_j[i], j in order; one W-wide slice of every head's accumulator stays in
 * a register across the block's keys (NG constant, so the compiler can keep them there) */
/* s[g][j] = scale·q_g·k_j for the block's nb keys at kb: JT_W keys at a time, each key row read once
 * for all NG heads into lane-wise partial dots, then vtsum sums JT_W keys' lanes at once (keys past
 * the block's end stay zero and are never read) */
static inline __attribute__((always_inline)) void scores(const int NG, float s[][BK], const float *const *q,
                                                          const float *kb, const float *vb, int64_t nb, int64_t d, int64_t kvw, float scale) {
  for (int64_t j0 = 0; j0 < nb; j0 += JT_W) {
    const int64_t nj = nb - j0 < JT_W ? nb - j0 : JT_W;
    vf part[GMAX][JT_W];
    for (int64_t j = 0; j < JT_W; j++) {
      vf a4[GMAX];
      for (int g = 0; g < NG; g++) a4[g] = vzero();
      if (j < nj) {
        const float *kj = kb + (j0 + j) * kvw;
        for (int64_t i = 0; i < d; i += 16) { /* DRAM look-ahead: the key row KPF keys on, this key's value row */
          __builtin_prefetch(kj + KPF * kvw + i);
          __builtin_prefetch(vb + (j0 + j) * kvw + i);
        }
        int64_t i = 0;
        for (; i + JT_W <= d; i += JT_W) {
          const vf kv = vload(kj + i);
          for (int g = 0; g < NG; g++) a4[g] = vfma(vload(q[g] + i), kv, a4[g]);
        }
        if (i < d) {
          const vf kv = vloadn(kj + i, d - i);
          for (int g = 0; g < NG; g++) a4[g] = vfma(vloadn(q[g] + i, d - i), kv, a4[g]);
        }
      }
      for (int g = 0; g < NG; g++) part[g][j] = a4[g];
    }
    for (int g = 0; g < NG; g++) vstore(&s[g][j0], vmul(vtsum(part[g]), vset1(scale)));
  }
}

static inline __attribute__((always_inline)) void vpass(const int NG, float acc[][JT_MAX_HEAD_DIM], float s[][BK],
                                                         const float *vb, int64_t nb, int64_t d, int64_t kvw) {
  int64_t i = 0;
  /* 4 slices at a time, keys outermost: each value row is read once, 4·JT_W contiguous floats
   * (the same FMAs in the same order per element as slice by slice, so the same result) */
  for (; i + 4 * JT_W <= d; i += 4 * JT_W) {
    vf av[GMAX][4];
    for (int g = 0; g < NG; g++)
      for (int u = 0; u < 4; u++) av[g][u] = vload(acc[g] + i + u * JT_W);
    for (int64_t j = 0; j < nb; j++) {
      const float *vr = vb + j * kvw + i;
      const vf v0 = vload(vr), v1 = vload(vr + JT_W), v2 = vload(vr + 2 * JT_W), v3 = vload(vr + 3 * JT_W);
      for (int g = 0; g < NG; g++) {
        const vf p = vset1(s[g][j]);
        av[g][0] = vfma(p, v0, av[g][0]); av[g][1] = vfma(p, v1, av[g][1]);
        av[g][2] = vfma(p, v2, av[g][2]); av[g][3] = vfma(p, v3, av[g][3]);
      }
    }
    for (int g = 0; g < NG; g++)
      for (int u = 0; u < 4; u++) vstore(acc[g] + i + u * JT_W, av[g][u]);
  }
  for (; i < d; i += JT_W) { /* the rest slice by slice */
    const int64_t w = d - i < JT_W ? d - i : JT_W;
    vf av[GMAX];
    for (int g = 0; g < NG; g++) av[g] = w == JT_W ? vload(acc[g] + i) : vloadn(acc[g] + i, w);
    for (int64_t j = 0; j < nb; j++) {
      const vf vv = w == JT_W ? vload(vb + j * kvw + i) : vloadn(vb + j * kvw + i, w);
      for (int g = 0; g < NG; g++) av[g] = vfma(vset1(s[g][j]), vv, av[g]);
    }
    for (int g = 0; g < NG; g++) {
      if (w == JT_W) vstore(acc[g] + i, av[g]); else vstoren(acc[g] + i, av[g], w);
    }
  }
}

static void att_task(void *p, int64_t begin, int64_t end) {
  const att_ctx *c = (const att_ctx *)p;
  const jt_attention_args *a = c->a;
  const int64_t d = a->d, G = a->nH / a->nKV, kvw = a->nKV * d;
  float s[GMAX][BK], acc[GMAX][JT_MAX_HEAD_DIM], m[GMAX], l[GMAX];
  for (int64_t task = begin; task < end; task++) {
    int64_t sub = task % c->nsub, kvh = (task / c->nsub) % a->nKV, t = task / (c->nsub * a->nKV);
    int64_t h0 = kvh * G + sub * GMAX;
    int ng = (int)(G - sub * GMAX < GMAX ? G - sub * GMAX : GMAX);
    const int64_t visible = a->past + t + 1;
    const float *q[GMAX];
    for (int g = 0; g < ng; g++) {
      q[g] = a->q + (t * a->nH + h0 + g) * d;
      m[g] = -INFINITY; l[g] = 0.0f;
      memset(acc[g], 0, (size_t)d * sizeof(float));
    }
    for (int64_t jb = 0; jb < visible; jb += BK) {
      const int64_t nb = visible - jb < BK ? visible - jb : BK;
      switch (ng) { /* a constant head count keeps the per-key accumulators in registers */
      case 4: scores(4, s, q, a->k + jb * kvw + kvh * d, a->v + jb * kvw + kvh * d, nb, d, kvw, a->scale); break;
      case 3: scores(3, s, q, a->k + jb * kvw + kvh * d, a->v + jb * kvw + kvh * d, nb, d, kvw, a->scale); break;
      case 2: scores(2, s, q, a->k + jb * kvw + kvh * d, a->v + jb * kvw + kvh * d, nb, d, kvw, a->scale); break;
      default: scores(1, s, q, a->k + jb * kvw + kvh * d, a->v + jb * kvw + kvh * d, nb, d, kvw, a->scale); break;
      }
      for (int g = 0; g < ng; g++) {
        float bm = s[g][0];
        for (int64_t j = 1; j < nb; j++) bm = s[g][j] > bm ? s[g][j] : bm;
        const float M = bm > m[g] ? bm : m[g];
        const float resc = m[g] == -INFINITY ? 0.0f : expf(m[g] - M);
        vf mv = vset1(M), sum = vzero();
        int64_t j = 0;
        for (; j + JT_W <= nb; j += JT_W) vstore(&s[g][j], vexp(vsub(vload(&s[g][j]), mv)));
        if (j < nb) vstoren(&s[g][j], vexp(vsub(vloadn(&s[g][j], nb - j), mv)), nb - j);
        for (j = 0; j + JT_W <= nb; j += JT_W) sum = vadd(sum, vload(&s[g][j]));
        if (j < nb) sum = vadd(sum, vloadn(&s[g][j], nb - j));
        if (resc != 1.0f) scale_row(acc[g], resc, d);
        l[g] = l[g] * resc + vsum(sum);
        m[g] = M;
      }
      const float *vb = a->v + jb * kvw + kvh * d;
      switch (ng) { /* a constant head count keeps the accumulators in registers */
      case 4: vpass(4, acc, s, vb, nb, d, kvw); break;
      case 3: vpass(3, acc, s, vb, nb, d, kvw); break;
      case 2: vpass(2, acc, s, vb, nb, d, kvw); break;
      default: vpass(1, acc, s, vb, nb, d, kvw); break;
      }
    }
    for (int g = 0; g < ng; g++) {
      float *o = a->out + (t * a->nH + h0 + g) * d;
      const float inv = 1.0f / l[g];
      for (int64_t i = 0; i < d; i++) o[i] = acc[g][i] * inv;
    }
  }
}

void JT_FN(jt_attention)(const jt_attention_args *a) {
  if (a->T <= 0) return;
  att_ctx c;
  c.a = a;
  c.nsub = (a->nH / a->nKV + GMAX - 1) / GMAX;
  jt_parallel_for(a->T * a->nKV * c.nsub, 1, att_task, &c);
}
