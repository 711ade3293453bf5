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
#include <stdlib.h>
#include "qblock.h"

#if JT_ISA == JT_ISA_AVX512
#define RT 4 /* rows per tile */
#define TT 4 /* tokens per tile */
#else
#define RT 4
#define TT 2
#endif
#define ROW_BLOCK 64  /* most rows per task: a multiple of RT */
#define TOK_BLOCK 256 /* most tokens per task */
#define PACK_MIN_T 8  /* tokens in a block from which aligning x / W by copying pays */
#define MM_STACK 16   /* matmuls per call kept on the stack: binding.c's MANY, so no call from JS allocates */
#define QPF_ROWS 16   /* int8 decode: rows qdot.c's look-ahead (4 tiles of 4) does not reach at a block's start */

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
  const int eb = dtype == JT_F32 ? 4 : 2; /* bytes per weight */
  int64_t i = 0;
  for (; i + JT_W <= n; i += JT_W) {
    vf wv[RT];
    if (NT == 1 && ((i * eb) & 63) == 0) /* decode: each 64 bytes read ask for the next tile's (simd.h) */
      for (int r = 0; r < NR; r++) __builtin_prefetch(w[r] + NR * a->ldw + i * eb);
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
  JT_TILE_STORE(a, o, t, NR, NT, acc);
}

/* rows [o0, o1) × tokens [t0, t1) for one weight type */
static inline __attribute__((always_inline)) void block(const jt_matmul_args *a, int64_t o0, int64_t o1,
                                                         int64_t t0, int64_t t1, const int dtype) {
  JT_BLOCK_LOOP(tile, RT, TT, a, o0, o1, t0, t1, dtype);
}

static void block_f32(const jt_matmul_args *a, int64_t o0, int64_t o1, int64_t t0, int64_t t1) { block(a, o0, o1, t0, t1, JT_F32); }
static void block_f16(const jt_matmul_args *a, int64_t o0, int64_t o1, int64_t t0, int64_t t1) { block(a, o0, o1, t0, t1, JT_F16); }
static void block_bf16(const jt_matmul_args *a, int64_t o0, int64_t o1, int64_t t0, int64_t t1) { block(a, o0, o1, t0, t1, JT_BF16); }

jt_block_fn JT_FN(jt_qblock_fn)(int dtype);                                     /* quant.c */
void JT_FN(jt_dequant_row)(float *out, const uint8_t *src, int64_t n, int dtype); /* quant.c */
jt_block_fn JT_FN(jt_iblock_fn)(int dtype);                                     /* qdot.c */
size_t JT_FN(jt_quant_act_bytes)(const jt_matmul_args *a);                      /* qdot.c */
void JT_FN(jt_quantize_act)(jt_matmul_args *a, uint8_t *buf);                   /* qdot.c */

/* one matmul of a call: its arguments (x prepared), block routine and task grid */
typedef struct {
  jt_matmul_args a;
  jt_block_fn blk;
  int64_t row_block, row_blocks, tok_block, first; /* first: its first task in the call's numbering */
  int src;                                         /* its index in the call's list */
} mm_job;

typedef struct {
  const mm_job *jobs;
  int n;
} mm_ctx;

static int misaligned(const void *p, int64_t stride) { return (int)(((uintptr_t)p | (uintptr_t)stride) & 63); }

/* task index → (job, token block, row block); token-block-major so neighbouring tasks share x */
static void mm_task(void *p, int64_t begin, int64_t end) {
  const mm_ctx *c = (const mm_ctx *)p;
  int j = 0;
  for (int64_t task = begin; task < end; task++) {
    while (j + 1 < c->n && task >= c->jobs[j + 1].first) j++;
    const mm_job *jb = &c->jobs[j];
    const jt_matmul_args *a = &jb->a;
    const int64_t local = task - jb->first;
    int64_t rb = local % jb->row_blocks, tb = local / jb->row_blocks;
    int64_t o0 = rb * jb->row_block, o1 = o0 + jb->row_block < a->rows ? o0 + jb->row_block : a->rows;
    int64_t t0 = tb * jb->tok_block, t1 = t0 + jb->tok_block < a->T ? t0 + jb->tok_block : a->T;
    jt_matmul_args b = *a; /* in block-local coordinates: rows [0, o1−o0), tokens [0, t1−t0) */
    b.y = a->y + t0 * a->ldy + o0;
    b.x = a->x + t0 * a->ldx;
    b.w = a->w + o0 * a->ldw;
    b.bias = a->bias ? a->bias + o0 : NULL;
    if (a->xq) {
      if (a->T == 1) /* decode: the block's first tiles, which qdot.c's look-ahead does not cover */
        for (int64_t off = 0; off < (o1 - o0 < QPF_ROWS ? o1 - o0 : QPF_ROWS) * a->ldw; off += 64) __builtin_prefetch(b.w + off);
      b.xq = a->xq + t0 * a->ldxq;
      b.xd = a->xd + t0 * (a->cols / a->qa_block);
      b.xs = a->xs + t0 * (a->cols / 16);
    }
    if (t1 - t0 >= PACK_MIN_T && a->dtype <= JT_BF16 && misaligned(b.w, a->ldw)) {
      const int64_t ld = (a->ldw + 63) & ~(int64_t)63;
      uint8_t *ws = (uint8_t *)jt_scratch(1, (size_t)((o1 - o0) * ld));
      for (int64_t o = 0; o < o1 - o0; o++) memcpy(ws + o * ld, b.w + o * a->ldw, (size_t)a->ldw);
      b.w = ws; b.ldw = ld;
    }
    jb->blk(&b, 0, o1 - o0, 0, t1 - t0);
  }
}

/* what preparing a's x takes from the call's scratch: int8 activations, or an aligned copy, or nothing */
static int quantizes(const jt_matmul_args *a) { return a->qdot && a->dtype > JT_BF16; }
static int packs_x(const jt_matmul_args *a) { return !quantizes(a) && a->T >= PACK_MIN_T && misaligned(a->x, a->ldx * 4); }
static size_t x_bytes(const jt_matmul_args *a) {
  if (quantizes(a)) return JT_FN(jt_quant_act_bytes)(a);
  if (packs_x(a)) return ((size_t)a->T * (size_t)((a->cols + 15) & ~(int64_t)15) * 4 + 63) & ~(size_t)63;
  return 0;
}
/* the same activations prepared the same way (so a later matmul reuses an earlier one's) */
static int same_x(const jt_matmul_args *a, const jt_matmul_args *b) {
  return a->x == b->x && a->ldx == b->ldx && a->T == b->T && a->cols == b->cols && quantizes(a) == quantizes(b) &&
         (!quantizes(a) || QK_OF(a->dtype) == QK_OF(b->dtype));
}

/*
 * Runs n independent matmuls as one parallel job (the results are those of running them one by one).
 * With several tokens, x (once, here) and each task's plain-type weight rows are copied to 64-byte
 * aligned scratch when they are not aligned already: unaligned 64-byte loads split across cache lines
 * and cost up to 40% of prefill speed. Copying moves data only and never changes a result. Token blocks
 * are long (up to TOK_BLOCK) so a copied weight block serves many tokens; blocks shrink when there
 * would be too few tasks for the threads. Quantised weights with int8 activations get x quantised once
 * here; matmuls sharing an x (say a gate and an up projection) share its quantisation.
 */
void JT_FN(jt_matmul)(const jt_matmul_args *list, int n) {
  mm_job stack[MM_STACK], *jobs = n <= MM_STACK ? stack : (mm_job *)malloc(sizeof(mm_job) * (size_t)n);
  if (!jobs) return;
  size_t scratch = 0;
  for (int i = 0; i < n; i++) scratch += x_bytes(&list[i]);
  uint8_t *buf = scratch ? (uint8_t *)jt_scratch(0, scratch) : NULL;
  const int64_t want = 4 * jt_pool_threads();
  int m = 0;
  int64_t tasks = 0;
  for (int i = 0; i < n; i++) {
    const jt_matmul_args *a = &list[i];
    if (a->rows <= 0 || a->T <= 0) continue;
    mm_job *jb = &jobs[m];
    jb->a = *a;
    jb->src = i;
    const size_t xb = x_bytes(a);
    int shared = 0;
    for (int k = 0; xb && k < m && !shared; k++)
      if (same_x(a, &list[jobs[k].src])) {
        jb->a.x = jobs[k].a.x; jb->a.ldx = jobs[k].a.ldx;
        jb->a.xq = jobs[k].a.xq; jb->a.ldxq = jobs[k].a.ldxq; jb->a.xd = jobs[k].a.xd; jb->a.xs = jobs[k].a.xs;
        jb->a.qa_block = jobs[k].a.qa_block;
        shared = 1;
      }
    if (!shared && quantizes(a)) { /* int8 activations */
      JT_FN(jt_quantize_act)(&jb->a, buf);
      buf += xb;
    } else if (!shared && packs_x(a)) {
      const int64_t ld = (a->cols + 15) & ~(int64_t)15;
      float *xs = (float *)buf;
      for (int64_t t = 0; t < a->T; t++) memcpy(xs + t * ld, a->x + t * a->ldx, (size_t)a->cols * 4);
      jb->a.x = xs;
      jb->a.ldx = ld;
      buf += xb;
    }
    if (!quantizes(a)) jb->a.xq = NULL;
    jb->blk = a->dtype == JT_F16 ? block_f16 : a->dtype == JT_BF16 ? block_bf16 : a->dtype == JT_F32 ? block_f32
            : jb->a.xq ? JT_FN(jt_iblock_fn)(a->dtype) : JT_FN(jt_qblock_fn)(a->dtype);
    if (!jb->blk) continue;
    jb->tok_block = TOK_BLOCK;
    jb->row_block = ROW_BLOCK;
#define NTASKS(c) (((a->T + (c)->tok_block - 1) / (c)->tok_block) * ((a->rows + (c)->row_block - 1) / (c)->row_block))
    while (jb->tok_block > 32 && NTASKS(jb) < want) jb->tok_block /= 2;
    while (jb->row_block > RT && NTASKS(jb) < want) jb->row_block /= 2;
    jb->row_blocks = (a->rows + jb->row_block - 1) / jb->row_block;
    jb->first = tasks;
    tasks += NTASKS(jb);
#undef NTASKS
    m++;
  }
  mm_ctx c = { jobs, m };
  if (m) jt_parallel_for(tasks, 1, mm_task, &c);
  if (jobs != stack) free(jobs);
}

void JT_FN(jt_decode_row)(float *out, const uint8_t *src, int64_t n, int dtype) {
  if (dtype > JT_BF16) { JT_FN(jt_dequant_row)(out, src, n, dtype); return; }
  int64_t i = 0;
  for (; i + JT_W <= n; i += JT_W) vstore(out + i, vload_w(src, dtype, i));
  if (i < n) vstoren(out + i, vloadn_w(src, dtype, i, n - i), n - i);
}
