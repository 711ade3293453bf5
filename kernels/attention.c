/*
 * attention.c — causal softmax attention with grouped KV heads (spec §5), streaming over the keys in
 * blocks of BK with an online softmax (FlashAttention's running max m, normaliser l and rescaled
 * accumulator): memory O(d) per query, never a T×S score matrix.
 *
 * A query's keys are cut into chunks of CK at absolute positions (flash-decoding): each chunk gets its
 * own running max, normaliser and accumulator for every head, and the chunks are merged in position
 * order, always by the same code. Within a chunk, for each key block, the query heads of one KV head
 * are handled GMAX at a time (each key and value row loaded once for the group) and the KV heads one
 * after the other, so a task walks whole K/V rows. Prefill runs one task per query (its chunks in
 * turn); decode runs one task per (query, chunk) on all threads and merges afterwards, which gives the
 * same bits. Query t sits at position past + t and sees keys 0..past+t. Key blocks start at absolute
 * multiples of BK and every reduction has a fixed order, so a query's output depends only on its
 * position and the cache, never on T or the thread count.
 */
#include "vmath.h"

#define BK 64   /* keys per softmax block */
#define GMAX 4  /* query heads handled together */
#define CK 256  /* keys per chunk (a multiple of BK): the unit of decode's split over threads */
/* K rows are asked for KPF keys ahead into L2 (prefetcht1), value rows for the key being scored into
 * L1 (its value pass follows within the block). Session 9, a C harness (bench-small's heads, 16K and
 * 32K keys, ~600 MB of caches on 2 MB pages read cold, 2 threads, A/B alternating): T1 at 48 keys took
 * 0.95× the time of T0 at 16 (session 3's choice: 7.1–7.8 → 9.2–9.6 GB/s over none); T1 for the values
 * too 1.05–1.07×; a second, farther prefetch of keys or values 0.96–1.05×; no software prefetch 1.39×. */
#ifndef KPF
#define KPF 48
#endif

/* acc[0..d) = acc·c (c ≠ 1) */
static inline void scale_row(float *acc, float c, int64_t d) {
  int64_t i = 0;
  for (; i + JT_W <= d; i += JT_W) vstore(acc + i, vmul(vload(acc + i), vset1(c)));
  for (; i < d; i++) acc[i] *= c;
}

/* DRAM look-ahead for key row kj: the key row KPF keys on (into L2), this key's value row vj (into L1) */
static inline __attribute__((always_inline)) void prefetch_key(const float *kj, const float *vj, int64_t d, int64_t kvw) {
  for (int64_t i = 0; i < d; i += 16) {
    __builtin_prefetch(kj + KPF * kvw + i, 0, 2);
    __builtin_prefetch(vj + i, 0, 3);
  }
}

/* s[g][j] = scale·q_g·k_j for the block's nb keys at kb: JT_W keys at a time, each key row read once
 * for all NG heads into lane-wise partial dots, then vtsum sums JT_W keys' lanes at once (keys past
 * the block's end stay zero and are never read) */
static inline __attribute__((always_inline)) void scores(const int NG, const int64_t DC, float s[][BK], const float *const *q,
                                                          const float *kb, const float *vb, int64_t nb, int64_t dv, int64_t kvw, float scale) {
  const int64_t d = DC ? DC * JT_W : dv; /* DC: the head dim in vectors as a constant (its loops unrolled), 0: any */
  if (DC && NG * DC <= 16) {
    /* the group's queries fit in 16 registers (bench-small's 4 heads of 64 under AVX-512): loaded once,
     * not once per key. The same FMAs in the same order as below, so the same bits. Harness above:
     * 0.70× the time with the caches in L2, 0.95–0.98× cold. */
    vf qr[GMAX][DC ? DC : 1];
    for (int g = 0; g < NG; g++)
      for (int64_t u = 0; u < DC; u++) qr[g][u] = vload(q[g] + u * JT_W);
    int64_t j0 = 0;
    for (; j0 + JT_W <= nb; j0 += JT_W) {
      vf part[GMAX][JT_W];
      for (int64_t j = 0; j < JT_W; j++) {
        const float *kj = kb + (j0 + j) * kvw;
        prefetch_key(kj, vb + (j0 + j) * kvw, d, kvw);
        vf kr[DC ? DC : 1];
        for (int64_t u = 0; u < DC; u++) kr[u] = vload(kj + u * JT_W);
        for (int g = 0; g < NG; g++) {
          vf a4 = vfma(qr[g][0], kr[0], vzero());
          for (int64_t u = 1; u < DC; u++) a4 = vfma(qr[g][u], kr[u], a4);
          part[g][j] = a4;
        }
      }
      for (int g = 0; g < NG; g++) vstore(&s[g][j0], vmul(vtsum(part[g]), vset1(scale)));
    }
    if (j0 == nb) return;
    /* a block's last < JT_W keys: below, from key j0 on */
    kb += j0 * kvw; vb += j0 * kvw; nb -= j0; s = (float (*)[BK])(&s[0][j0]);
  }
  for (int64_t j0 = 0; j0 < nb; j0 += JT_W) {
    const int64_t nj = nb - j0 < JT_W ? nb - j0 : JT_W;
    vf part[GMAX][JT_W];
    for (int64_t j = 0; j < JT_W; j++) {
      vf a4[GMAX];
      for (int g = 0; g < NG; g++) a4[g] = vzero();
      if (j < nj) {
        const float *kj = kb + (j0 + j) * kvw;
        prefetch_key(kj, vb + (j0 + j) * kvw, d, kvw);
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

/* acc[g][i] += Σ_j p[g][j]·v_j[i], j in order; one W-wide slice of every head's accumulator stays in
 * a register across the block's keys (NG constant, so the compiler can keep them there) */
static inline __attribute__((always_inline)) void vpass(const int NG, float *const *acc, float s[][BK],
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

/* one head's step of the online softmax over a block's nb scores: s ← exp(s − M) with M the new running
 * max, the accumulator and normaliser l rescaled to M, l += Σ s */
static inline void online_softmax(float *s, int64_t nb, float *m, float *l, float *acc, int64_t d) {
  vf mx = vset1(s[0]); /* the block's max (exact in any order): JT_W keys at a time, then the rest */
  int64_t j = 0;
  for (; j + JT_W <= nb; j += JT_W) mx = vmax(mx, vload(s + j));
  float bm = vmaxall(mx);
  for (; j < nb; j++) bm = s[j] > bm ? s[j] : bm;
  const float M = bm > *m ? bm : *m;
  const float resc = *m == -INFINITY ? 0.0f : expf(*m - M);
  const vf mv = vset1(M);
  vf sum = vzero();
  for (j = 0; j + JT_W <= nb; j += JT_W) vstore(s + j, vexp(vsub(vload(s + j), mv)));
  if (j < nb) vstoren(s + j, vexp(vsub(vloadn(s + j, nb - j), mv)), nb - j);
  for (j = 0; j + JT_W <= nb; j += JT_W) sum = vadd(sum, vload(s + j));
  if (j < nb) sum = vadd(sum, vloadn(s + j, nb - j));
  if (resc != 1.0f) scale_row(acc, resc, d);
  *l = *l * resc + vsum(sum);
  *m = M;
}

/* query t's partial over keys [k0, k1) for every head: m[h], l[h] and acc[h·d ..] (unnormalised) */
static void chunk_heads(const jt_attention_args *a, int64_t t, int64_t k0, int64_t k1, float *m, float *l, float *acc) {
  const int64_t d = a->d, G = a->nH / a->nKV, kvw = a->nKV * d, nsub = (G + GMAX - 1) / GMAX;
  float s[GMAX][BK];
  for (int64_t h = 0; h < a->nH; h++) { m[h] = -INFINITY; l[h] = 0.0f; }
  memset(acc, 0, (size_t)(a->nH * d) * sizeof(float));
  for (int64_t jb = k0; jb < k1; jb += BK) {
    const int64_t nb = k1 - jb < BK ? k1 - jb : BK;
    for (int64_t kvh = 0; kvh < a->nKV; kvh++) {
      const float *kb = a->k + jb * kvw + kvh * d, *vb = a->v + jb * kvw + kvh * d;
      for (int64_t sub = 0; sub < nsub; sub++) {
        const int64_t h0 = kvh * G + sub * GMAX;
        const int ng = (int)(G - sub * GMAX < GMAX ? G - sub * GMAX : GMAX);
        const float *q[GMAX];
        float *ac[GMAX];
        for (int g = 0; g < ng; g++) { q[g] = a->q + (t * a->nH + h0 + g) * d; ac[g] = acc + (h0 + g) * d; }
        /* a constant head count keeps the per-key accumulators in registers; head dims 64 and 128 as
         * constants unroll the per-key loops (the same operations in the same order as any d) */
#define SCORES(NG) (d == 64 ? scores(NG, 64 / JT_W, s, q, kb, vb, nb, d, kvw, a->scale) \
                    : d == 128 ? scores(NG, 128 / JT_W, s, q, kb, vb, nb, d, kvw, a->scale) \
                    : scores(NG, 0, s, q, kb, vb, nb, d, kvw, a->scale))
        switch (ng) {
        case 4: SCORES(4); break;
        case 3: SCORES(3); break;
        case 2: SCORES(2); break;
        default: SCORES(1); break;
        }
#undef SCORES
        for (int g = 0; g < ng; g++) online_softmax(s[g], nb, &m[h0 + g], &l[h0 + g], ac[g], d);
        switch (ng) { /* a constant head count keeps the accumulators in registers */
        case 4: vpass(4, ac, s, vb, nb, d, kvw); break;
        case 3: vpass(3, ac, s, vb, nb, d, kvw); break;
        case 2: vpass(2, ac, s, vb, nb, d, kvw); break;
        default: vpass(1, ac, s, vb, nb, d, kvw); break;
        }
      }
    }
  }
}

/* running (M, L, A) of every head ← itself merged with the next chunk's (m, l, acc); the first chunk is
 * taken as it is. Chunks always arrive in position order, so the result has one fixed rounding. */
static void merge_heads(int64_t nH, int64_t d, float *M, float *L, float *A, const float *m, const float *l,
                        const float *acc, int first) {
  if (first) {
    memcpy(M, m, (size_t)nH * sizeof(float)); memcpy(L, l, (size_t)nH * sizeof(float));
    memcpy(A, acc, (size_t)(nH * d) * sizeof(float));
    return;
  }
  for (int64_t h = 0; h < nH; h++) { /* a chunk has at least one key, so m and M are finite */
    const float Mn = m[h] > M[h] ? m[h] : M[h], c0 = expf(M[h] - Mn), c1 = expf(m[h] - Mn);
    float *ah = A + h * d;
    const float *bh = acc + h * d;
    for (int64_t i = 0; i < d; i++) ah[i] = ah[i] * c0 + bh[i] * c1;
    L[h] = L[h] * c0 + l[h] * c1;
    M[h] = Mn;
  }
}

static void finish_heads(const jt_attention_args *a, int64_t t, const float *L, const float *A) {
  const int64_t d = a->d;
  for (int64_t h = 0; h < a->nH; h++) {
    float *o = a->out + (t * a->nH + h) * d;
    const float inv = 1.0f / L[h];
    for (int64_t i = 0; i < d; i++) o[i] = A[h * d + i] * inv;
  }
}

static int64_t chunks_of(const jt_attention_args *a, int64_t t) { return (a->past + t + 1 + CK - 1) / CK; }

typedef struct { const jt_attention_args *a; int64_t nch; float *part; } att_ctx;

/* floats of one (query, chunk) partial: m and l of every head, then acc */
static int64_t part_size(const jt_attention_args *a) { return a->nH * (a->d + 2); }

/* prefill: one query per task, its chunks in turn, merged as they come */
static void query_task(void *p, int64_t begin, int64_t end) {
  const jt_attention_args *a = ((const att_ctx *)p)->a;
  const int64_t nH = a->nH, ps = part_size(a);
  float *buf = (float *)jt_scratch(1, (size_t)(2 * ps) * sizeof(float));
  float *M = buf, *L = buf + nH, *A = buf + 2 * nH, *m = buf + ps, *l = m + nH, *acc = m + 2 * nH;
  for (int64_t t = begin; t < end; t++) {
    const int64_t visible = a->past + t + 1, nch = chunks_of(a, t);
    for (int64_t c = 0; c < nch; c++) {
      chunk_heads(a, t, c * CK, (c + 1) * CK < visible ? (c + 1) * CK : visible, m, l, acc);
      merge_heads(nH, a->d, M, L, A, m, l, acc, c == 0);
    }
    finish_heads(a, t, L, A);
  }
}

/* decode, step 1: one (query, chunk) per task, its partial into the shared buffer */
static void chunk_task(void *p, int64_t begin, int64_t end) {
  const att_ctx *c = (const att_ctx *)p;
  const jt_attention_args *a = c->a;
  const int64_t ps = part_size(a);
  for (int64_t task = begin; task < end; task++) {
    const int64_t t = task / c->nch, k = task % c->nch, visible = a->past + t + 1;
    if (k >= chunks_of(a, t)) continue;
    float *m = c->part + task * ps;
    chunk_heads(a, t, k * CK, (k + 1) * CK < visible ? (k + 1) * CK : visible, m, m + a->nH, m + 2 * a->nH);
  }
}

/* decode, step 2: each query's partials merged in chunk order, exactly as query_task merges them */
static void merge_task(void *p, int64_t begin, int64_t end) {
  const att_ctx *c = (const att_ctx *)p;
  const jt_attention_args *a = c->a;
  const int64_t nH = a->nH, ps = part_size(a);
  float *buf = (float *)jt_scratch(1, (size_t)ps * sizeof(float));
  float *M = buf, *L = buf + nH, *A = buf + 2 * nH;
  for (int64_t t = begin; t < end; t++) {
    for (int64_t k = 0; k < chunks_of(a, t); k++) {
      const float *m = c->part + (t * c->nch + k) * ps;
      merge_heads(nH, a->d, M, L, A, m, m + nH, m + 2 * nH, k == 0);
    }
    finish_heads(a, t, L, A);
  }
}

void JT_FN(jt_attention)(const jt_attention_args *a) {
  if (a->T <= 0) return;
  att_ctx c = { a, chunks_of(a, a->T - 1), NULL };
  const int64_t threads = jt_pool_threads();
  if (a->T >= 2 * threads || c.nch == 1) { /* enough queries to share out, or nothing to split */
    jt_parallel_for(a->T, 1, query_task, &c);
    return;
  }
  c.part = (float *)jt_scratch(0, (size_t)(a->T * c.nch * part_size(a)) * sizeof(float));
  jt_parallel_for(a->T * c.nch, 1, chunk_task, &c);
  jt_parallel_for(a->T, 1, merge_task, &c);
}
