/*
 * jt.h — the plain-C interface of jamba-ts's CPU kernels (shared by the Node addon and, later, the
 * WebAssembly build). Every op mirrors one method of src/backends/backend.ts; shapes are row-major,
 * outermost first, activations float32.
 *
 * Each op family (matmul.c, norm.c, attention.c, mamba.c, elementwise.c) is compiled once per
 * instruction set (JT_ISA = generic / AVX2 / AVX-512); JT_FN() gives each copy its own symbol, and
 * dispatch.c picks one table at run time from cpuid. Numerics contract (batch invariance): the value
 * computed for one row never depends on T, on the other rows or on the thread count; every reduction
 * runs in one fixed order for a given instruction set.
 */
#ifndef JT_H
#define JT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JT_ISA_GENERIC 1
#define JT_ISA_AVX2 2
#define JT_ISA_AVX512 3

/* Weight storage types the kernels decode in their inner loops (values match the binding); the
 * block types are llama.cpp's ggml-common.h layouts. */
typedef enum {
  JT_F32 = 0, JT_F16 = 1, JT_BF16 = 2,
  JT_Q8_0 = 3, JT_Q4_0 = 4, JT_Q4_1 = 5, JT_Q5_0 = 6, JT_Q5_1 = 7, JT_Q4_K = 8, JT_Q5_K = 9, JT_Q6_K = 10,
  JT_NDTYPES
} jt_dtype;

/* Values per block and bytes per block of a storage type (plain types: 1 value); 0 if unknown. */
int jt_dtype_block(int dtype, int64_t *values, int64_t *bytes);
typedef enum { JT_SILU = 0, JT_GELU = 1, JT_RELU = 2 } jt_act;

/* Largest head dim and conv width the kernels accept (the binding checks). */
#define JT_MAX_HEAD_DIM 512
#define JT_MAX_CONV_K 16
#define JT_MAX_STATE 256

/* y[t*ldy + o] = Σ_i x[t*ldx + i]·W[o, i] (+ bias[o]); W is [rows, cols] in `dtype`, rows `ldw` bytes apart. */
typedef struct {
  float *y; int64_t ldy;
  const float *x; int64_t ldx;
  const uint8_t *w; int64_t ldw; int dtype;
  int64_t rows, cols, T;
  const float *bias; /* NULL: none */
  int qdot;          /* quantised weights: 1 = int8 activations (qdot.c), 0 = decode to float32 (quant.c) */
  /* set by jt_quantize_act (qdot.c): int8 rows ldxq apart, a scale per qa_block values, Σq per 16 */
  const int8_t *xq; int64_t ldxq; const float *xd; const int32_t *xs; int64_t qa_block;
} jt_matmul_args;

/* out[t] = w ⊙ x[t]·(mean(x[t]²) + eps)^-½, rows `stride` apart in x and out. */
typedef struct {
  float *out; const float *x; const float *w;
  int64_t T, n, stride; float eps;
} jt_rmsnorm_args;

/* Causal attention with grouped KV heads and an online softmax (see attention.c). */
typedef struct {
  const float *q, *k, *v; float *out;
  int64_t T, past, nH, nKV, d; float scale;
} jt_attention_args;

/* Mamba depthwise causal conv with carried state, then act (see mamba.c). */
typedef struct {
  const float *u; int64_t uStride;
  float *state; const float *w; const float *bias; /* bias NULL: none */
  int64_t T, E, K; int act;
  float *out;
} jt_conv_args;

/* Mamba selective scan with softplus(dt), D skip and gate (see mamba.c). */
typedef struct {
  const float *u, *dt, *A, *B, *C, *D, *z;
  int64_t bOffset, cOffset, bcStride, zOffset, zStride;
  float *h;
  int64_t T, E, N; int act;
  float *out;
} jt_scan_args;

/* One instruction set's copy of every op. */
typedef struct {
  const char *name;
  /* n independent matmuls as one parallel job; each result is the one it would have alone */
  void (*matmul)(const jt_matmul_args *list, int n);
  void (*rmsnorm)(const jt_rmsnorm_args *a);
  void (*attention)(const jt_attention_args *a);
  void (*conv1d)(const jt_conv_args *a);
  void (*scan)(const jt_scan_args *a);
  /* out[i] = act(gate[i])·up[i]; out may alias gate. */
  void (*gated_act)(float *out, const float *gate, const float *up, int64_t n, int act);
  /* x[i] += y[i] */
  void (*add)(float *x, const float *y, int64_t n);
  /* out[0..n) = row of n values of `dtype` starting at src, as float32. */
  void (*decode_row)(float *out, const uint8_t *src, int64_t n, int dtype);
  /* Σ x[0..n): a memory-bandwidth probe for the benchmark (order of the sum unspecified) */
  float (*stream_sum)(const float *x, int64_t n);
  /* index of the largest of x[0..n), ties to the lowest, NaNs passed over (a NaN x[0] gives 0) */
  int64_t (*argmax)(const float *x, int64_t n);
} jt_kernels;

/* dispatch.c */
const jt_kernels *jt_kernels_best(void);             /* the fastest set this CPU runs */
const jt_kernels *jt_kernels_named(const char *name); /* "generic" | "avx2" | "avx512"; NULL if unsupported */

/* threadpool.c: one persistent pool; workers sleep between ops. */
typedef void (*jt_task_fn)(void *ctx, int64_t begin, int64_t end);
int jt_pool_init(int threads);   /* (re)creates the pool with `threads` total (caller included); returns it */
int jt_pool_threads(void);
void jt_pool_shutdown(void);
/* Runs fn over [0, n) in chunks of `grain` on every thread (the caller too) and returns when all are
 * done. Which thread runs which chunk varies; kernels never let that change a result. */
void jt_parallel_for(int64_t n, int64_t grain, jt_task_fn fn, void *ctx);
/* A 64-byte aligned buffer of at least `bytes` owned by the calling thread (slot 0 or 1); it grows
 * when asked for more and is reused across calls, so steady-state ops allocate nothing. */
void *jt_scratch(int slot, size_t bytes);

#ifdef __cplusplus
}
#endif
#endif
