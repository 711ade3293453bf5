/*
 * program.h — a recorded list of kernel calls, replayed by one call (program.c).
 *
 * Decoding one token runs a few hundred small ops; called one by one from JavaScript, each pays a
 * Node-API crossing and the JavaScript around it (~160 µs a token for bench-small, about 5 % of a
 * q4_k_m token). A program holds the same ops with their arguments already checked, so a decode step
 * crosses into C once per segment. Two things change from one step to the next and are given at run
 * time: the position P (the number of tokens already in the sequence: attention's keys so far, the
 * row a new key is written to) and which experts the router chose (read from an int32 buffer that the
 * caller fills between segments).
 */
#ifndef JT_PROGRAM_H
#define JT_PROGRAM_H

#include "jt.h"

#define JT_PMM 4 /* matmuls in one op (a gate and an up, or q, k and v) */

typedef enum {
  JT_OP_MATMUL, JT_OP_RMSNORM, JT_OP_GATED, JT_OP_ADD, JT_OP_ATTENTION, JT_OP_CONV, JT_OP_SCAN,
  JT_OP_ATTEND_STEP, JT_OP_EXPERTS,
} jt_op_kind;

/* One token through a MoE's chosen experts: out = Σ_j wts[j]·down_e(act(gate_e(x))·up_e(x)) over the
 * chosen e = sel[j] in ascending order, each term added in double and rounded to float once (as the
 * model's JavaScript does), gate/up/down as matmul templates per expert (x, y and T filled at run). */
typedef struct {
  const float *x; const int32_t *sel; const float *wts; int64_t k, nE, H, I; int act;
  float *g, *u, *y, *out;
  jt_matmul_args *gate, *up, *down; /* nE each, owned by the op */
} jt_experts_args;

/* One decode step of attention at position P: k and v rows of the new token written to row P of the
 * caches (capacity kcap / vcap floats), then attention of q over rows 0..P. */
typedef struct {
  const float *q, *knew, *vnew; float *kc, *vc, *out;
  int64_t kcap, vcap, nH, nKV, d; float scale;
} jt_attend_step_args;

typedef struct {
  int kind;
  union {
    struct { jt_matmul_args list[JT_PMM]; int n; } mm;
    jt_rmsnorm_args norm;
    struct { float *out; const float *gate, *up; int64_t n; int act; } gated;
    struct { float *x; const float *y; int64_t n; } add;
    jt_attention_args attn;
    jt_conv_args conv;
    jt_scan_args scan;
    jt_attend_step_args step;
    jt_experts_args experts;
  } u;
} jt_op;

typedef struct {
  jt_op *ops;
  int64_t n, cap;
} jt_program;

/* Runs one op now (P: the position, for JT_OP_ATTEND_STEP). */
void jt_op_run(const jt_kernels *K, const jt_op *op, int64_t P);
/* Appends a copy of op (taking over its expert templates); 0 when out of memory. */
int jt_program_append(jt_program *p, const jt_op *op);
/* Why ops [from, to) cannot run at position P (a cache too short, an expert id out of range), or NULL. */
const char *jt_program_check(const jt_program *p, int64_t from, int64_t to, int64_t P);
void jt_program_run(const jt_kernels *K, const jt_program *p, int64_t from, int64_t to, int64_t P);
void jt_op_free(jt_op *op);
void jt_program_free(jt_program *p);

#endif
