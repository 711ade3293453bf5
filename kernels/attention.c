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

static inline float dot(const float *a, const float *b, int64_t d) {
  vf acc = vzero();
  int64_t i = 0;
  for (; i + JT_W <= d; i += JT_W) acc = vfma(vload(a + i), vload(b + i), acc);
  if (i < d) acc = vfma(vloadn(a + i, d - i), vloadn(b + i, d - i), acc);
  return vsum(acc);
}

/* acc[0..d) = acc·c (c ≠ 1) */
static inline void scale_row(float *acc, float c, int64_t d) {
  int64_t i = 0;
  for (; i + JT_W <= d; i += JT_W) vstore(acc + i, vmul(vload(acc + i), vset1(c)));
  for (; i < d; i++) acc[i] *= c;
}

/* acc[0..d) += p·v[0..d) */
static inline void axpy(float *acc, float p, const float *v, int64_t d) {
  int64_t i = 0;
  vf pv = vset1(p);
  for (; i + JT_W <= d; i += JT_W) vstore(acc + i, vfma(pv, vload(v + i), vload(acc + i)));
  if (i < d) vstoren(acc + i, vfma(pv, vloadn(v + i, d - i), vloadn(acc + i, d - i)), d - i);
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
      for (int64_t j = 0; j < nb; j++) {
        const float *kj = a->k + (jb + j) * kvw + kvh * d;
        for (int g = 0; g < ng; g++) s[g][j] = dot(q[g], kj, d) * a->scale;
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
      for (int64_t j = 0; j < nb; j++) {
        const float *vj = a->v + (jb + j) * kvw + kvh * d;
        for (int g = 0; g < ng; g++) axpy(acc[g], s[g][j], vj, d);
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
