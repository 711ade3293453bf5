/*
 * elementwise.c — the gated activation of SwiGLU (out = act(gate) ⊙ up), the residual add, and decoding
 * one stored row (embedding lookup) — vectorised, and split over the pool only for long arrays.
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
