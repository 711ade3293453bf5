/*
 * vmath.h — vector exp, log1p, SiLU, softplus and the activation switch, written once over simd.h.
 *
 * exp and log are the Cephes single-precision polynomials (about 1 ulp on the ranges used here);
 * log1p uses Goldberg's correction so softplus stays accurate when its result is tiny. softplus has
 * the reference's pass-through above 20 (spec §6.1). GELU is the exact erf form and runs lane by lane
 * through libm's erfcf (no real Jamba checkpoint uses it).
 */
#ifndef JT_VMATH_H
#define JT_VMATH_H

#include "simd.h"

static inline vf vexp(vf x) {
  x = vmin(vmax(x, vset1(-87.33654f)), vset1(88.3762626647949f));
  vf n = vround(vmul(x, vset1(1.44269504088896341f)));
  vf r = vfma(n, vset1(-0.693359375f), x);
  r = vfma(n, vset1(2.12194440e-4f), r);
  vf p = vset1(1.9875691500e-4f);
  p = vfma(p, r, vset1(1.3981999507e-3f));
  p = vfma(p, r, vset1(8.3334519073e-3f));
  p = vfma(p, r, vset1(4.1665795894e-2f));
  p = vfma(p, r, vset1(1.6666665459e-1f));
  p = vfma(p, r, vset1(5.0000001201e-1f));
  p = vfma(p, vmul(r, r), vadd(r, vset1(1.0f)));
  return vldexp(p, n);
}

/* Natural log for positive normal x. */
static inline vf vlog(vf x) {
  vf e;
  vf m = vfrexp(x, &e); /* m in [0.5, 1) */
  /* m < √½: use 2m−1 and e−1, else m−1 (keeps the polynomial's argument in [√½−1, √2−1)) */
  vf small = vsel_gt(vset1(0.707106781186547524f), m, vset1(1.0f), vzero());
  e = vsub(e, small);
  m = vsub(vadd(m, vmul(m, small)), vset1(1.0f));
  vf z = vmul(m, m);
  vf y = vset1(7.0376836292e-2f);
  y = vfma(y, m, vset1(-1.1514610310e-1f));
  y = vfma(y, m, vset1(1.1676998740e-1f));
  y = vfma(y, m, vset1(-1.2420140846e-1f));
  y = vfma(y, m, vset1(1.4249322787e-1f));
  y = vfma(y, m, vset1(-1.6668057665e-1f));
  y = vfma(y, m, vset1(2.0000714765e-1f));
  y = vfma(y, m, vset1(-2.4999993993e-1f));
  y = vfma(y, m, vset1(3.3333331174e-1f));
  y = vmul(vmul(y, m), z);
  y = vfma(e, vset1(-2.12194440e-4f), y);
  y = vfma(z, vset1(-0.5f), y);
  vf r = vadd(m, y);
  return vfma(e, vset1(0.693359375f), r);
}

/* log(1 + t) for t ≥ 0: log(u)·t/(u−1) with u = 1 + t (exact to rounding even when u rounds to 1). */
static inline vf vlog1p(vf t) {
  vf u = vadd(t, vset1(1.0f));
  vf d = vsub(u, vset1(1.0f));
  vf safe = vsel_eq(d, vzero(), vset1(1.0f), d);
  vf r = vmul(vlog(u), vdiv(t, safe));
  return vsel_eq(d, vzero(), t, r);
}

/* softplus(y) = y above 20, else log(1 + e^y) computed as max(y, 0) + log1p(e^−|y|). */
static inline vf vsoftplus(vf y) {
  vf s = vadd(vmax(y, vzero()), vlog1p(vexp(vsub(vzero(), vabs(y)))));
  return vsel_gt(y, vset1(20.0f), y, s);
}

static inline vf vsilu(vf x) {
  return vdiv(x, vadd(vset1(1.0f), vexp(vsub(vzero(), x))));
}

/* 0.5·x·(1 + erf(x/√2)) written with erfc so large negative x keeps its tiny value */
static inline float jt_gelu(float x) { return 0.5f * x * erfcf(-x * 0.70710678118654752f); }

/* act(x) lane-wise. */
static inline vf vact(vf x, int act) {
  if (act == JT_SILU) return vsilu(x);
  if (act == JT_RELU) return vmax(x, vzero());
  float t[JT_W];
  vstore(t, x);
  for (int l = 0; l < JT_W; l++) t[l] = jt_gelu(t[l]);
  return vload(t);
}

#endif
