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

/* acc[0..d) = acc·c (c ≠ 1) */
static inline void scale_row(float *acc, float c, int64_t d) {
  int64_t i = 0;
  for (; i + JT_W <= d; i += JT_W) vstore(acc + i, vmul(vload(acc + i), vset1(c)));
  for (; i < d; i++) acc[i] *= c;
}

typedef struct { const jt_attention_args *a; int64_t nsub; } att_ctx;

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
      for (int64_t j = 0; j < nb; j++) { /* each key row is loaded once for the whole head group */
        const float *kj = a->k + (jb + j) * kvw + kvh * d;
        vf acc4[GMAX];
        for (int g = 0; g < ng; g++) acc4[g] = vzero();
        int64_t i = 0;
        for (; i + JT_W <= d; i += JT_W) {
          vf kv = vload(kj + i);
          for (int g = 0; g < ng; g++) acc4[g] = vfma(vload(q[g] + i), kv, acc4[g]);
        }
        if (i < d) {
          vf kv = vloadn(kj + i, d - i);
          for (int g = 0; g < ng; g++) acc4[g] = vfma(vloadn(q[g] + i, d - i), kv, acc4[g]);
        }
        for (int g = 0; g < ng; g++) s[g][j] = vsum(acc4[g]) * a->scale;
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
      /* acc[g][i] += Σ_j p[g][j]·v_j[i], j in order; one W-wide slice of every head's accumulator
       * stays in a register across the block's keys */
      const float *vb = a->v + jb * kvw + kvh * d;
      for (int64_t i = 0; i < d; i += JT_W) {
        const int64_t w = d - i < JT_W ? d - i : JT_W;
        vf av[GMAX];
        for (int g = 0; g < ng; g++) av[g] = w == JT_W ? vload(acc[g] + i) : vloadn(acc[g] + i, w);
        for (int64_t j = 0; j < nb; j++) {
          vf vv = w == JT_W ? vload(vb + j * kvw + i) : vloadn(vb + j * kvw + i, w);
          for (int g = 0; g < ng; g++) av[g] = vfma(vset1(s[g][j]), vv, av[g]);
        }
        for (int g = 0; g < ng; g++) {
          if (w == JT_W) vstore(acc[g] + i, av[g]); else vstoren(acc[g] + i, av[g], w);
        }
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
