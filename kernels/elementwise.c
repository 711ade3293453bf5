/*
 * elementwise.c — the gated activation of SwiGLU (out = act(gate) ⊙ up), the residual add, decoding
 * one stored row (embedding lookup) and greedy argmax — vectorised, and split over the pool only for
 * long arrays.
 */
#include "vmath.h"

#define PAR_MIN 65536 /* below this many values one thread is faster than waking the pool */
#define GRAIN 16384   /* a multiple of every JT_W */

typedef struct { float *out; const float *gate, *up; int act; } ga_ctx;

static void gated_range(void *p, int64_t i0, int64_t i1) {
  const ga_ctx *c = (const ga_ctx *)p;
  int64_t i = i0;
  for (; i + JT_W <= i1; i += JT_W)
    vstore(c->out + i, vmul(vact(vload(c->gate + i), c->act), vload(c->up + i)));
  if (i < i1) {
    int64_t m = i1 - i;
    vstoren(c->out + i, vmul(vact(vloadn(c->gate + i, m), c->act), vloadn(c->up + i, m)), m);
  }
}

void JT_FN(jt_gated_act)(float *out, const float *gate, const float *up, int64_t n, int act) {
  ga_ctx c = { out, gate, up, act };
  if (n < PAR_MIN) gated_range(&c, 0, n);
  else jt_parallel_for(n, GRAIN, gated_range, &c);
}

typedef struct { float *x; const float *y; } add_ctx;

static void add_range(void *p, int64_t i0, int64_t i1) {
  const add_ctx *c = (const add_ctx *)p;
  int64_t i = i0;
  for (; i + JT_W <= i1; i += JT_W) vstore(c->x + i, vadd(vload(c->x + i), vload(c->y + i)));
  for (; i < i1; i++) c->x[i] += c->y[i];
}

void JT_FN(jt_add)(float *x, const float *y, int64_t n) {
  add_ctx c = { x, y };
  if (n < PAR_MIN) add_range(&c, 0, n);
  else jt_parallel_for(n, GRAIN, add_range, &c);
}

/* Index of the largest of a[0..n), ties to the lowest index, NaNs passed over except that a NaN a[0]
 * gives 0: exactly what the scalar loop `best = 0; for i: if (a[i] > a[best]) best = i` returns (the
 * JS greedy pick, generate/greedy.ts). One vector pass for the maximum, then a vector pass for the
 * first block of 4·JT_W holding it and a scalar look inside that block; V8 does not vectorise the
 * loop, which costs ~0.1 ms per token on a 65536-entry vocabulary, and a scalar second pass took
 * ~30 µs of the native ~35. */
int64_t JT_FN(jt_argmax)(const float *a, int64_t n) {
  if (n <= 0 || a[0] != a[0]) return 0;
  vf m0 = vset1(-INFINITY), m1 = m0, m2 = m0, m3 = m0;
  int64_t i = 0;
  for (; i + 4 * JT_W <= n; i += 4 * JT_W) { /* vmax(v, m) keeps m where v is NaN */
    m0 = vmax(vload(a + i), m0); m1 = vmax(vload(a + i + JT_W), m1);
    m2 = vmax(vload(a + i + 2 * JT_W), m2); m3 = vmax(vload(a + i + 3 * JT_W), m3);
  }
  float mx = vmaxall(vmax(vmax(m0, m1), vmax(m2, m3)));
  for (; i < n; i++) if (a[i] > mx) mx = a[i];
  /* block maxima start from −∞ and pass NaNs over, so a block's maximum is mx exactly when it holds mx */
  for (i = 0; i + 4 * JT_W <= n; i += 4 * JT_W) {
    const vf b = vmax(vload(a + i), vmax(vload(a + i + JT_W), vmax(vload(a + i + 2 * JT_W), vmax(vload(a + i + 3 * JT_W), vset1(-INFINITY)))));
    if (vmaxall(b) == mx) break;
  }
  for (; i < n; i++) if (a[i] == mx) return i;
  return 0; /* not reached: mx is a[0] or larger and taken from a */
}

/* Σ x[i] with one vector accumulator per chunk, split over the pool: a memory-read probe for the
 * benchmark (bytes streamed per second is the bandwidth bound of decode). Chunks are at least
 * 4·GRAIN values and at most SUM_PARTS of them, so each has a partial sum of its own (threads never
 * add into the same slot). */
#define SUM_PARTS 1024
typedef struct { const float *x; int64_t len; float part[SUM_PARTS]; } sum_ctx;

static void sum_range(void *p, int64_t c0, int64_t c1) {
  sum_ctx *c = (sum_ctx *)p;
  for (int64_t ch = c0; ch < c1; ch++) {
    const float *x = c->x + ch * c->len;
    vf a0 = vzero(), a1 = vzero(), a2 = vzero(), a3 = vzero();
    for (int64_t i = 0; i < c->len; i += 4 * JT_W) {
      a0 = vadd(a0, vload(x + i)); a1 = vadd(a1, vload(x + i + JT_W));
      a2 = vadd(a2, vload(x + i + 2 * JT_W)); a3 = vadd(a3, vload(x + i + 3 * JT_W));
    }
    c->part[ch] = vsum(vadd(vadd(a0, a1), vadd(a2, a3)));
  }
}

float JT_FN(jt_stream_sum)(const float *x, int64_t n) {
  sum_ctx c;
  memset(&c, 0, sizeof c);
  c.x = x;
  const int64_t step = 4 * GRAIN; /* a multiple of 4·JT_W */
  c.len = ((n + SUM_PARTS - 1) / SUM_PARTS + step - 1) / step * step;
  const int64_t chunks = n / c.len;
  jt_parallel_for(chunks, 1, sum_range, &c);
  float s = 0;
  for (int64_t i = 0; i < chunks; i++) s += c.part[i];
  for (int64_t i = chunks * c.len; i < n; i++) s += x[i];
  return s;
}
