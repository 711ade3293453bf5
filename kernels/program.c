/*
 * program.c — running recorded ops (program.h): each op calls the same kernel with the same arguments
 * as the binding's one-op call would, so a replayed step computes exactly what the step op by op does.
 */
#include <stdlib.h>
#include <string.h>
#include "program.h"

static void run_experts(const jt_kernels *K, const jt_experts_args *a) {
  int32_t e[16];
  float w[16];
  const int64_t k = a->k;
  if (k < 1 || k > 16) return; /* (the binding allows 1..16) */
  for (int64_t j = 0; j < k; j++) { /* ascending expert order (insertion sort of at most 16) */
    int64_t i = j;
    while (i > 0 && e[i - 1] > a->sel[j]) { e[i] = e[i - 1]; w[i] = w[i - 1]; i--; }
    e[i] = a->sel[j]; w[i] = a->wts[j];
  }
  jt_matmul_args mm[32];
  for (int64_t j = 0; j < k; j++) {
    jt_matmul_args *g = &mm[2 * j], *u = &mm[2 * j + 1];
    *g = a->gate[e[j]]; *u = a->up[e[j]];
    g->x = u->x = a->x; g->ldx = u->ldx = a->H; g->T = u->T = 1;
    g->y = a->g + j * a->I; u->y = a->u + j * a->I; g->ldy = u->ldy = a->I;
  }
  K->matmul(mm, (int)(2 * k));
  K->gated_act(a->g, a->g, a->u, k * a->I, a->act);
  for (int64_t j = 0; j < k; j++) {
    jt_matmul_args *d = &mm[j];
    *d = a->down[e[j]];
    d->x = a->g + j * a->I; d->ldx = a->I; d->T = 1;
    d->y = a->y + j * a->H; d->ldy = a->H;
  }
  K->matmul(mm, (int)k);
  /* each row's term added in double and rounded once, in ascending expert order: model/ffn.ts's sum */
  for (int64_t i = 0; i < a->H; i++) {
    float o = 0.0f;
    for (int64_t j = 0; j < k; j++) o = (float)((double)o + (double)w[j] * (double)a->y[j * a->H + i]);
    a->out[i] = o;
  }
}

void jt_op_run(const jt_kernels *K, const jt_op *op, int64_t P) {
  switch (op->kind) {
  case JT_OP_MATMUL: K->matmul(op->u.mm.list, op->u.mm.n); break;
  case JT_OP_RMSNORM: K->rmsnorm(&op->u.norm); break;
  case JT_OP_GATED: K->gated_act(op->u.gated.out, op->u.gated.gate, op->u.gated.up, op->u.gated.n, op->u.gated.act); break;
  case JT_OP_ADD: K->add(op->u.add.x, op->u.add.y, op->u.add.n); break;
  case JT_OP_ATTENTION: K->attention(&op->u.attn); break;
  case JT_OP_CONV: K->conv1d(&op->u.conv); break;
  case JT_OP_SCAN: K->scan(&op->u.scan); break;
  case JT_OP_ATTEND_STEP: {
    const jt_attend_step_args *s = &op->u.step;
    const int64_t row = s->nKV * s->d;
    memcpy(s->kc + P * row, s->knew, (size_t)row * 4);
    memcpy(s->vc + P * row, s->vnew, (size_t)row * 4);
    jt_attention_args a = { s->q, s->kc, s->vc, s->out, 1, P, s->nH, s->nKV, s->d, s->scale };
    K->attention(&a);
    break;
  }
  case JT_OP_EXPERTS: run_experts(K, &op->u.experts); break;
  }
}

int jt_program_append(jt_program *p, const jt_op *op) {
  if (p->n == p->cap) {
    int64_t cap = p->cap ? 2 * p->cap : 64;
    jt_op *ops = (jt_op *)realloc(p->ops, (size_t)cap * sizeof(jt_op));
    if (!ops) return 0;
    p->ops = ops; p->cap = cap;
  }
  p->ops[p->n++] = *op;
  return 1;
}

const char *jt_program_check(const jt_program *p, int64_t from, int64_t to, int64_t P) {
  if (from < 0 || to > p->n || from > to) return "segment outside the program";
  if (P < 0) return "negative position";
  for (int64_t i = from; i < to; i++) {
    const jt_op *op = &p->ops[i];
    if (op->kind == JT_OP_ATTEND_STEP) {
      const jt_attend_step_args *s = &op->u.step;
      if ((P + 1) * s->nKV * s->d > s->kcap || (P + 1) * s->nKV * s->d > s->vcap) return "a KV cache is shorter than position + 1 rows";
    } else if (op->kind == JT_OP_EXPERTS) {
      const jt_experts_args *x = &op->u.experts;
      for (int64_t j = 0; j < x->k; j++) {
        if (x->sel[j] < 0 || x->sel[j] >= x->nE) return "an expert id is out of range";
        for (int64_t m = 0; m < j; m++)
          if (x->sel[m] == x->sel[j]) return "an expert is chosen twice";
      }
    }
  }
  return NULL;
}

void jt_program_run(const jt_kernels *K, const jt_program *p, int64_t from, int64_t to, int64_t P) {
  for (int64_t i = from; i < to; i++) jt_op_run(K, &p->ops[i], P);
}

void jt_op_free(jt_op *op) {
  if (op->kind == JT_OP_EXPERTS) {
    free(op->u.experts.gate); /* one block holds gate, up and down */
    op->u.experts.gate = op->u.experts.up = op->u.experts.down = NULL;
  }
}

void jt_program_free(jt_program *p) {
  for (int64_t i = 0; i < p->n; i++) jt_op_free(&p->ops[i]);
  free(p->ops);
  p->ops = NULL; p->n = p->cap = 0;
}
