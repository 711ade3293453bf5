/*
 * norm.c — RMSNorm (spec §4): out[t] = w ⊙ (x[t] · (mean(x[t]²) + eps)^-½), rows `stride` floats apart.
 *
 * The sum of squares is one JT_W-lane accumulator over the row in order, then vsum's fixed tree, so a
 * row's result never depends on T. The normalised value is rounded to float32 before the weight
 * multiply, as HF does. Rows are spread over the thread pool when there are enough of them.
 */
#include "simd.h"

static void norm_rows(void *p, int64_t t0, int64_t t1) {
  const jt_rmsnorm_args *a = (const jt_rmsnorm_args *)p;
  const int64_t n = a->n;
  for (int64_t t = t0; t < t1; t++) {
    const float *x = a->x + t * a->stride;
    float *out = a->out + t * a->stride;
    vf acc = vzero();
    int64_t i = 0;
    for (; i + JT_W <= n; i += JT_W) { vf v = vload(x + i); acc = vfma(v, v, acc); }
    if (i < n) { vf v = vloadn(x + i, n - i); acc = vfma(v, v, acc); }
    float ss = vsum(acc);
    vf r = vset1((float)(1.0 / sqrt((double)(ss / (float)n) + (double)a->eps)));
    for (i = 0; i + JT_W <= n; i += JT_W) vstore(out + i, vmul(vload(a->w + i), vmul(vload(x + i), r)));
    if (i < n) vstoren(out + i, vmul(vloadn(a->w + i, n - i), vmul(vloadn(x + i, n - i), r)), n - i);
  }
}

void JT_FN(jt_rmsnorm)(const jt_rmsnorm_args *a) {
  int64_t grain = a->n >= 4096 ? 1 : (4096 + a->n - 1) / a->n; /* about 4K values per chunk */
  if (a->T <= grain) norm_rows((void *)a, 0, a->T);
  else jt_parallel_for(a->T, grain, norm_rows, (void *)a);
}
