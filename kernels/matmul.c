/*
 * matmul.c — y[T, rows] = x[T, cols] · W[rows, cols]ᵀ (+ bias) on weights kept in their stored type
 * (f32, f16, bf16), decoded JT_W values at a time in the inner loop; no upfront conversion.
 *
 * Every output y[t, o] is one "canonical dot": a single JT_W-lane accumulator that takes
 * fma(x[i..i+W), W[o, i..i+W)) for i = 0, W, 2W, … in order (the last chunk zero-padded), then vsum's
 * fixed tree, then + bias. Tiles of RT rows × TT tokens only run several such dots side by side to reuse
 * loads, so a row's result is bit-identical whatever T, the tiling or the thread count (batch
 * invariance). Work is split over blocks of rows × blocks of tokens on the thread pool.
 */
#include "simd.h"

#if JT_ISA == JT_ISA_AVX512
#define RT 4 /* rows per tile */
#define TT 4 /* tokens per tile */
#else
#define RT 4
#define TT 2
#endif
#define ROW_BLOCK 64  /* most rows per task: a multiple of RT */
#define TOK_BLOCK 64  /* tokens per task */

/* nr (≤ RT) rows × nt (≤ TT) tokens; the compiler specialises each (NR, NT, dtype) call below. */
static inline __attribute__((always_inline)) void tile(const jt_matmul_args *a, int64_t o, int64_t t,
                                                        const int NR, const int NT, const int dtype) {
  const int64_t n = a->cols;
  const uint8_t *w[RT];
  const float *x[TT];
  vf acc[TT][RT];
  for (int r = 0; r < NR; r++) w[r] = a->w + (o + r) * a->ldw;
  for (int k = 0; k < NT; k++) x[k] = a->x + (t + k) * a->ldx;
  for (int k = 0; k < NT; k++)
    for (int r = 0; r < NR; r++) acc[k][r] = vzero();
  int64_t i = 0;
  for (; i + JT_W <= n; i += JT_W) {
    vf wv[RT];
    for (int r = 0; r < NR; r++) wv[r] = vload_w(w[r], dtype, i);
    for (int k = 0; k < NT; k++) {
      vf xv = vload(x[k] + i);
      for (int r = 0; r < NR; r++) acc[k][r] = vfma(xv, wv[r], acc[k][r]);
    }
  }
  if (i < n) {
    vf wv[RT];
    for (int r = 0; r < NR; r++) wv[r] = vloadn_w(w[r], dtype, i, n - i);
    for (int k = 0; k < NT; k++) {
      vf xv = vloadn(x[k] + i, n - i);
      for (int r = 0; r < NR; r++) acc[k][r] = vfma(xv, wv[r], acc[k][r]);
    }
  }
  for (int k = 0; k < NT; k++)
    for (int r = 0; r < NR; r++) {
      float s = vsum(acc[k][r]);
      a->y[(t + k) * a->ldy + o + r] = a->bias ? s + a->bias[o + r] : s;
    }
}

/* rows [o0, o1) × tokens [t0, t1) for one weight type */
static inline __attribute__((always_inline)) void block(const jt_matmul_args *a, int64_t o0, int64_t o1,
                                                         int64_t t0, int64_t t1, const int dtype) {
  int64_t o = o0;
  for (; o + RT <= o1; o += RT) {
    int64_t t = t0;
    for (; t + TT <= t1; t += TT) tile(a, o, t, RT, TT, dtype);
    for (; t < t1; t++) tile(a, o, t, RT, 1, dtype);
  }
  for (; o < o1; o++)
    for (int64_t t = t0; t < t1; t++) tile(a, o, t, 1, 1, dtype);
}

static void block_f32(const jt_matmul_args *a, int64_t o0, int64_t o1, int64_t t0, int64_t t1) { block(a, o0, o1, t0, t1, JT_F32); }
static void block_f16(const jt_matmul_args *a, int64_t o0, int64_t o1, int64_t t0, int64_t t1) { block(a, o0, o1, t0, t1, JT_F16); }
static void block_bf16(const jt_matmul_args *a, int64_t o0, int64_t o1, int64_t t0, int64_t t1) { block(a, o0, o1, t0, t1, JT_BF16); }

typedef struct {
  const jt_matmul_args *a;
  void (*blk)(const jt_matmul_args *, int64_t, int64_t, int64_t, int64_t);
  int64_t row_block, row_blocks;
} mm_ctx;

/* task index → (token block, row block); token-block-major so neighbouring tasks share x */
static void mm_task(void *p, int64_t begin, int64_t end) {
  const mm_ctx *c = (const mm_ctx *)p;
  const jt_matmul_args *a = c->a;
  for (int64_t task = begin; task < end; task++) {
    int64_t rb = task % c->row_blocks, tb = task / c->row_blocks;
    int64_t o0 = rb * c->row_block, o1 = o0 + c->row_block < a->rows ? o0 + c->row_block : a->rows;
    int64_t t0 = tb * TOK_BLOCK, t1 = t0 + TOK_BLOCK < a->T ? t0 + TOK_BLOCK : a->T;
    c->blk(a, o0, o1, t0, t1);
  }
}

void JT_FN(jt_matmul)(const jt_matmul_args *a) {
  if (a->rows <= 0 || a->T <= 0) return;
  mm_ctx c;
  c.a = a;
  c.blk = a->dtype == JT_F16 ? block_f16 : a->dtype == JT_BF16 ? block_bf16 : block_f32;
  int64_t tok_blocks = (a->T + TOK_BLOCK - 1) / TOK_BLOCK;
  /* smaller row blocks when there would be too few tasks to keep every thread busy */
  c.row_block = ROW_BLOCK;
  while (c.row_block > RT && tok_blocks * ((a->rows + c.row_block - 1) / c.row_block) < 4 * jt_pool_threads())
    c.row_block /= 2;
  c.row_blocks = (a->rows + c.row_block - 1) / c.row_block;
  jt_parallel_for(c.row_blocks * tok_blocks, 1, mm_task, &c);
}

void JT_FN(jt_decode_row)(float *out, const uint8_t *src, int64_t n, int dtype) {
  int64_t i = 0;
  for (; i + JT_W <= n; i += JT_W) vstore(out + i, vload_w(src, dtype, i));
  if (i < n) vstoren(out + i, vloadn_w(src, dtype, i, n - i), n - i);
}
