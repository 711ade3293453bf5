/*
 * selftest.c — runs every op of the generic kernel set on fixed pseudo-random inputs of odd sizes and
 * prints each output value's float32 bits, one per line ("op index bits"). scripts/check-wasm.js builds
 * it twice from the same sources — natively with the C compiler and to WebAssembly with Emscripten —
 * and compares the two listings: the WebAssembly build must compute what the native generic build
 * computes (which the conformance tests hold to the reference backend).
 *
 * Usage: selftest [threads]   (threads the pool is asked for; a build without threads runs on one)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../jt.h"

static uint32_t seed = 20261129u;
static uint32_t next(void) { seed = seed * 1664525u + 1013904223u; return seed; }
static float rnd(void) { return (float)(next() >> 8) / 8388608.0f - 1.0f; } /* [-1, 1) */
static void fill(float *x, int64_t n, float scale) { for (int64_t i = 0; i < n; i++) x[i] = scale * rnd(); }

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
/* an f16 with a random sign and a magnitude in [2^-3, 2^-2) (normal, exact) */
static uint16_t f16_weight(void) { uint32_t r = next(); return (uint16_t)(((r >> 31) << 15) | 0x3000u | ((r >> 8) & 0x3ffu)); }
/* a positive f16 block scale in [2^-7, 2^-6) */
static uint16_t f16_scale(void) { return (uint16_t)(0x2000u | ((next() >> 8) & 0x3ffu)); }

/* one row of `cols` values of dtype: random values, sane scales */
static void make_row(uint8_t *p, int dtype, int64_t cols) {
  int64_t bv, bb;
  jt_dtype_block(dtype, &bv, &bb);
  for (int64_t b = 0; b < cols / bv; b++, p += bb) {
    for (int64_t i = 0; i < bb; i++) p[i] = (uint8_t)(next() >> 24);
    switch (dtype) {
    case JT_F32: { float f = rnd(); memcpy(p, &f, 4); break; }
    case JT_F16: put16(p, f16_weight()); break;
    case JT_BF16: { float f = rnd(); uint32_t u; memcpy(&u, &f, 4); put16(p, (uint16_t)(u >> 16)); break; }
    case JT_Q4_K: put16(p, f16_scale()); put16(p + 2, f16_scale()); break; /* d, dmin; scales and nibbles random */
    case JT_Q6_K: put16(p + 208, f16_scale()); break;                    /* ql, qh, int8 scales random; d */
    default: put16(p, f16_scale()); break;                               /* Q8_0, Q4_0, Q5_0: d first */
    }
  }
}

static void out(const char *op, const float *y, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    uint32_t u;
    memcpy(&u, &y[i], 4);
    printf("%s %lld %08x\n", op, (long long)i, u);
  }
}

static void matmuls(const jt_kernels *K) {
  static const struct { int dtype; int64_t cols; const char *name; } types[] = {
    { JT_F32, 45, "f32" }, { JT_F16, 45, "f16" }, { JT_BF16, 45, "bf16" }, { JT_Q8_0, 96, "q8_0" },
    { JT_Q4_0, 96, "q4_0" }, { JT_Q5_0, 96, "q5_0" }, { JT_Q4_K, 512, "q4_k" }, { JT_Q6_K, 512, "q6_k" },
  };
  const int64_t rows = 37, Ts[2] = { 1, 7 };
  for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
    const int dtype = types[k].dtype;
    const int64_t cols = types[k].cols;
    int64_t bv, bb;
    jt_dtype_block(dtype, &bv, &bb);
    const int64_t ldw = cols / bv * bb;
    uint8_t *w = (uint8_t *)malloc((size_t)(rows * ldw));
    for (int64_t r = 0; r < rows; r++) make_row(w + r * ldw, dtype, cols);
    float *bias = (float *)malloc(rows * 4), *x = (float *)malloc(7 * cols * 4), *y = (float *)malloc(7 * rows * 4);
    fill(bias, rows, 0.5f);
    fill(x, 7 * cols, 1.0f);
    for (int qdot = 0; qdot <= (dtype > JT_BF16); qdot++)
      for (int ti = 0; ti < 2; ti++) {
        jt_matmul_args a;
        memset(&a, 0, sizeof a);
        a.y = y; a.ldy = rows; a.x = x; a.ldx = cols; a.w = w; a.ldw = ldw; a.dtype = dtype;
        a.rows = rows; a.cols = cols; a.T = Ts[ti]; a.bias = ti ? bias : NULL; a.qdot = qdot;
        K->matmul(&a, 1);
        char name[64];
        snprintf(name, sizeof name, "matmul-%s-T%lld%s", types[k].name, (long long)Ts[ti], qdot ? "-int8" : "");
        out(name, y, Ts[ti] * rows);
      }
    float row[512];
    K->decode_row(row, w + 3 * ldw, cols, dtype);
    char name[64];
    snprintf(name, sizeof name, "decode_row-%s", types[k].name);
    out(name, row, cols);
    free(w); free(bias); free(x); free(y);
  }
}

static void others(const jt_kernels *K) {
  enum { T = 5, H = 41, E = 23, N = 16, KC = 4, NH = 4, NKV = 2, D = 16, PAST = 9 };
  float x[T * H], w[H], y[T * H];
  fill(x, T * H, 2.0f);
  fill(w, H, 1.0f);
  jt_rmsnorm_args n = { y, x, w, T, H, H, 1e-6f };
  K->rmsnorm(&n);
  out("rmsnorm", y, T * H);

  float g[T * H], u[T * H];
  for (int act = JT_SILU; act <= JT_RELU; act++) {
    fill(g, T * H, 4.0f);
    fill(u, T * H, 1.0f);
    K->gated_act(g, g, u, T * H, act);
    out(act == JT_SILU ? "gated-silu" : act == JT_GELU ? "gated-gelu" : "gated-relu", g, T * H);
  }
  K->add(y, x, T * H);
  out("add", y, T * H);
  int64_t best = K->argmax(x, T * H);
  float fb = (float)best;
  out("argmax", &fb, 1);

  /* attention: T new queries after PAST cached positions, grouped KV heads */
  float q[T * NH * D], kc[(PAST + T) * NKV * D], vc[(PAST + T) * NKV * D], o[T * NH * D];
  fill(q, T * NH * D, 1.0f);
  fill(kc, (PAST + T) * NKV * D, 1.0f);
  fill(vc, (PAST + T) * NKV * D, 1.0f);
  jt_attention_args at = { q, kc, vc, o, T, PAST, NH, NKV, D, 0.25f };
  K->attention(&at);
  out("attention", o, T * NH * D);
  jt_attention_args one = { q, kc, vc, o, 1, PAST + T - 1, NH, NKV, D, 0.25f };
  K->attention(&one);
  out("attention-decode", o, NH * D);

  /* Mamba: conv with carried state, then the selective scan */
  float cu[T * E], cstate[(KC - 1) * E], cw[E * KC], cb[E], co[T * E];
  fill(cu, T * E, 1.0f);
  fill(cstate, (KC - 1) * E, 1.0f);
  fill(cw, E * KC, 0.5f);
  fill(cb, E, 0.1f);
  jt_conv_args cv = { cu, E, cstate, cw, cb, T, E, KC, JT_SILU, co };
  K->conv1d(&cv);
  out("conv1d", co, T * E);
  out("conv1d-state", cstate, (KC - 1) * E);

  float dt[T * E], A[E * N], bc[T * 2 * N], Dv[E], z[T * E], h[E * N], so[T * E];
  fill(dt, T * E, 2.0f);
  for (int i = 0; i < E * N; i++) A[i] = -0.05f - 0.5f * (rnd() + 1.0f);
  fill(bc, T * 2 * N, 1.0f);
  fill(Dv, E, 1.0f);
  fill(z, T * E, 1.0f);
  fill(h, E * N, 0.5f);
  jt_scan_args sc = { co, dt, A, bc, bc, Dv, z, 0, N, 2 * N, 0, E, h, T, E, N, JT_SILU, so };
  K->scan(&sc);
  out("scan", so, T * E);
  out("scan-state", h, E * N);
}

int main(int argc, char **argv) {
  const int want = argc > 1 ? atoi(argv[1]) : 1;
  const int threads = jt_pool_init(want < 1 ? 1 : want);
  const jt_kernels *K = jt_kernels_named("generic");
  if (!K) { fprintf(stderr, "selftest: no generic kernel set\n"); return 1; }
  fprintf(stderr, "selftest: kernel set %s, %d thread(s)\n", K->name, threads);
  matmuls(K);
  others(K);
  jt_pool_shutdown();
  return 0;
}
