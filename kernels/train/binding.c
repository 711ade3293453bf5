/*
 * binding.c — Node-API glue of the training kernels (jamba_train.node): checks every typed array's
 * length against the shapes, then calls scan.c / attention.c. Exported names match
 * src/train/native.ts.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdio.h>
#include "train.h"

#define MAXARGS 24
typedef struct { napi_env env; napi_value argv[MAXARGS]; size_t argc; int bad; const char *op; } args_t;

static int get_args(napi_env env, napi_callback_info info, args_t *a, size_t need, const char *op) {
  a->env = env; a->argc = MAXARGS; a->bad = 0; a->op = op;
  if (napi_get_cb_info(env, info, &a->argc, a->argv, NULL, NULL) != napi_ok || a->argc < need) {
    char m[96]; snprintf(m, sizeof m, "%s: expected %zu arguments", op, need);
    napi_throw_type_error(env, NULL, m); return 0;
  }
  return 1;
}

/* typed array argument i of element type `want_t` with at least `want` elements */
static void *typed(args_t *a, size_t i, napi_typedarray_type want_t, size_t want) {
  if (a->bad) return NULL;
  bool is = false; napi_typedarray_type t; size_t len; void *data; napi_value ab; size_t off;
  napi_is_typedarray(a->env, a->argv[i], &is);
  if (!is || napi_get_typedarray_info(a->env, a->argv[i], &t, &len, &data, &ab, &off) != napi_ok || t != want_t || len < want) {
    char m[128];
    snprintf(m, sizeof m, "%s: argument %zu must be %s of at least %zu values", a->op, i, want_t == napi_int32_array ? "an Int32Array" : "a Float32Array", want);
    napi_throw_range_error(a->env, NULL, m); a->bad = 1; return NULL;
  }
  return data;
}
static float *f32(args_t *a, size_t i, size_t want) { return typed(a, i, napi_float32_array, want); }
/* floats that M rows of n, `stride` apart from offset `off`, reach (0 for no rows) */
static size_t strided(size_t M, size_t off, size_t stride, size_t n) { return M ? off + (M - 1) * stride + n : 0; }
static int32_t *i32(args_t *a, size_t i, size_t want) { return typed(a, i, napi_int32_array, want); }

static double dbl(args_t *a, size_t i) {
  double d = 0;
  if (!a->bad && napi_get_value_double(a->env, a->argv[i], &d) != napi_ok) { napi_throw_type_error(a->env, NULL, "expected a number"); a->bad = 1; }
  return d;
}

static int num(args_t *a, size_t i) {
  int32_t v = 0;
  if (!a->bad && napi_get_value_int32(a->env, a->argv[i], &v) != napi_ok) { napi_throw_type_error(a->env, NULL, "expected an integer"); a->bad = 1; }
  return v;
}

/* scanFwd(B, T, E, N, threads, v, dtr, Alog, Bm, Cm, D, y, delta) */
static napi_value scan_fwd(napi_env env, napi_callback_info info) {
  args_t A; if (!get_args(env, info, &A, 13, "scanFwd")) return NULL;
  jt_scan_args s = {0};
  s.B = num(&A, 0); s.T = num(&A, 1); s.E = num(&A, 2); s.N = num(&A, 3); int th = num(&A, 4);
  if (A.bad || s.B < 0 || s.T < 0 || s.E < 1 || s.N < 1 || s.N > 256) { if (!A.bad) napi_throw_range_error(env, NULL, "scanFwd: bad shape (d_state must be 1..256)"); return NULL; }
  const size_t ME = (size_t)s.B * s.T * s.E, MN = (size_t)s.B * s.T * s.N, EN = (size_t)s.E * s.N;
  s.v = f32(&A, 5, ME); s.dtr = f32(&A, 6, ME); s.Alog = f32(&A, 7, EN); s.Bm = f32(&A, 8, MN); s.Cm = f32(&A, 9, MN);
  s.D = f32(&A, 10, s.E); s.y = f32(&A, 11, ME); s.delta = f32(&A, 12, ME);
  if (A.bad) return NULL;
  jt_train_scan_fwd(&s, th);
  return NULL;
}

/* scanBwd(B, T, E, N, threads, v, dtr, delta, Alog, Bm, Cm, D, dy, dv, ddtr, dAlog, dB, dC, dD) */
static napi_value scan_bwd(napi_env env, napi_callback_info info) {
  args_t A; if (!get_args(env, info, &A, 19, "scanBwd")) return NULL;
  jt_scan_args s = {0};
  s.B = num(&A, 0); s.T = num(&A, 1); s.E = num(&A, 2); s.N = num(&A, 3); int th = num(&A, 4);
  if (A.bad || s.B < 0 || s.T < 0 || s.E < 1 || s.N < 1 || s.N > 256) { if (!A.bad) napi_throw_range_error(env, NULL, "scanBwd: bad shape (d_state must be 1..256)"); return NULL; }
  const size_t ME = (size_t)s.B * s.T * s.E, MN = (size_t)s.B * s.T * s.N, EN = (size_t)s.E * s.N;
  s.v = f32(&A, 5, ME); s.dtr = f32(&A, 6, ME); s.delta = f32(&A, 7, ME); s.Alog = f32(&A, 8, EN);
  s.Bm = f32(&A, 9, MN); s.Cm = f32(&A, 10, MN); s.D = f32(&A, 11, s.E); s.dy = f32(&A, 12, ME);
  s.dv = f32(&A, 13, ME); s.ddtr = f32(&A, 14, ME); s.dAlog = f32(&A, 15, EN); s.dB = f32(&A, 16, MN); s.dC = f32(&A, 17, MN); s.dD = f32(&A, 18, s.E);
  if (A.bad) return NULL;
  if (!jt_train_scan_bwd(&s, th)) napi_throw_error(env, NULL, "scanBwd: out of memory");
  return NULL;
}

static int attn_shape(args_t *A, jt_attn_args *s, int *th) {
  s->B = num(A, 0); s->T = num(A, 1); s->nH = num(A, 2); s->nKV = num(A, 3); s->d = num(A, 4); *th = num(A, 5);
  if (A->bad) return 0;
  if (s->B < 0 || s->T < 0 || s->nH < 1 || s->nKV < 1 || s->d < 1 || s->nH % s->nKV) { napi_throw_range_error(A->env, NULL, "attention: bad shape"); return 0; }
  return 1;
}

/* attnFwd(B, T, nH, nKV, d, threads, q, k, v, o, P) */
static napi_value attn_fwd(napi_env env, napi_callback_info info) {
  args_t A; if (!get_args(env, info, &A, 11, "attnFwd")) return NULL;
  jt_attn_args s = {0}; int th;
  if (!attn_shape(&A, &s, &th)) return NULL;
  const size_t M = (size_t)s.B * s.T;
  s.q = f32(&A, 6, M * s.nH * s.d); s.k = f32(&A, 7, M * s.nKV * s.d); s.v = f32(&A, 8, M * s.nKV * s.d);
  s.o = f32(&A, 9, M * s.nH * s.d); s.P = f32(&A, 10, (size_t)s.B * s.nH * s.T * s.T);
  if (A.bad) return NULL;
  jt_train_attn_fwd(&s, th);
  return NULL;
}

/* attnBwd(B, T, nH, nKV, d, threads, q, k, v, P, dO, dq, dk, dv) */
static napi_value attn_bwd(napi_env env, napi_callback_info info) {
  args_t A; if (!get_args(env, info, &A, 14, "attnBwd")) return NULL;
  jt_attn_args s = {0}; int th;
  if (!attn_shape(&A, &s, &th)) return NULL;
  const size_t M = (size_t)s.B * s.T, nq = M * s.nH * s.d, nk = M * s.nKV * s.d;
  s.q = f32(&A, 6, nq); s.k = f32(&A, 7, nk); s.v = f32(&A, 8, nk); s.P = f32(&A, 9, (size_t)s.B * s.nH * s.T * s.T);
  s.dO = f32(&A, 10, nq); s.dq = f32(&A, 11, nq); s.dk = f32(&A, 12, nk); s.dv = f32(&A, 13, nk);
  if (A.bad) return NULL;
  if (!jt_train_attn_bwd(&s, th)) napi_throw_error(env, NULL, "attnBwd: out of memory");
  return NULL;
}

static int is_null(args_t *a, size_t i) {
  napi_valuetype vt;
  return napi_typeof(a->env, a->argv[i], &vt) == napi_ok && (vt == napi_null || vt == napi_undefined);
}

static int conv_shape(args_t *A, jt_conv_args *s, int *th) {
  s->B = num(A, 0); s->T = num(A, 1); s->E = num(A, 2); s->K = num(A, 3); s->uStride = num(A, 4); *th = num(A, 5);
  if (A->bad) return 0;
  if (s->B < 0 || s->T < 0 || s->E < 1 || s->K < 1 || s->uStride < s->E) { napi_throw_range_error(A->env, NULL, "conv: bad shape"); return 0; }
  return 1;
}

/* convFwd(B, T, E, K, uStride, threads, u, w, bias | null, c) */
static napi_value conv_fwd(napi_env env, napi_callback_info info) {
  args_t A; if (!get_args(env, info, &A, 10, "convFwd")) return NULL;
  jt_conv_args s = {0}; int th;
  if (!conv_shape(&A, &s, &th)) return NULL;
  const size_t M = (size_t)s.B * s.T;
  s.u = f32(&A, 6, strided(M, 0, s.uStride, s.E)); s.w = f32(&A, 7, (size_t)s.E * s.K);
  s.bias = is_null(&A, 8) ? NULL : f32(&A, 8, s.E); s.c = f32(&A, 9, M * s.E);
  if (A.bad) return NULL;
  jt_train_conv_fwd(&s, th);
  return NULL;
}

/* convBwd(B, T, E, K, uStride, threads, u, w, dc, du, dw, db | null) */
static napi_value conv_bwd(napi_env env, napi_callback_info info) {
  args_t A; if (!get_args(env, info, &A, 12, "convBwd")) return NULL;
  jt_conv_args s = {0}; int th;
  if (!conv_shape(&A, &s, &th)) return NULL;
  const size_t M = (size_t)s.B * s.T, nu = strided(M, 0, s.uStride, s.E);
  s.u = f32(&A, 6, nu); s.w = f32(&A, 7, (size_t)s.E * s.K); s.dc = f32(&A, 8, M * s.E);
  s.du = f32(&A, 9, nu); s.dw = f32(&A, 10, (size_t)s.E * s.K); s.db = is_null(&A, 11) ? NULL : f32(&A, 11, s.E);
  if (A.bad) return NULL;
  jt_train_conv_bwd(&s, th);
  return NULL;
}

/* crossEntropy(M, V, threads, logits, targets, dlogits | null, scale, count) → summed loss */
static napi_value cross_entropy(napi_env env, napi_callback_info info) {
  args_t A; if (!get_args(env, info, &A, 8, "crossEntropy")) return NULL;
  jt_ce_args s = {0};
  s.M = num(&A, 0); s.V = num(&A, 1); int th = num(&A, 2);
  if (A.bad) return NULL;
  if (s.M < 0 || s.V < 1) { napi_throw_range_error(env, NULL, "crossEntropy: bad shape"); return NULL; }
  s.logits = f32(&A, 3, (size_t)s.M * s.V); s.targets = i32(&A, 4, s.M);
  s.dlogits = is_null(&A, 5) ? NULL : f32(&A, 5, (size_t)s.M * s.V);
  double sc = 0, cnt = 0;
  if (!A.bad && (napi_get_value_double(env, A.argv[6], &sc) != napi_ok || napi_get_value_double(env, A.argv[7], &cnt) != napi_ok)) { napi_throw_type_error(env, NULL, "crossEntropy: scale and count must be numbers"); return NULL; }
  if (A.bad) return NULL;
  for (int t = 0; t < s.M; t++) if (s.targets[t] >= s.V) { napi_throw_range_error(env, NULL, "crossEntropy: target outside the vocabulary"); return NULL; }
  s.scale = sc; s.count = cnt;
  napi_value out;
  napi_create_double(env, jt_train_cross_entropy(&s, th), &out);
  return out;
}

/* linearBwdWeight(M, nIn, nOut, threads, dy, x, dW, db | null) */
static napi_value lin_dw(napi_env env, napi_callback_info info) {
  args_t A; if (!get_args(env, info, &A, 8, "linearBwdWeight")) return NULL;
  jt_gemm_args s = {0};
  s.M = num(&A, 0); s.nIn = num(&A, 1); s.nOut = num(&A, 2); int th = num(&A, 3);
  if (A.bad) return NULL;
  if (s.M < 0 || s.nIn < 1 || s.nOut < 1) { napi_throw_range_error(env, NULL, "linearBwdWeight: bad shape"); return NULL; }
  s.dy = f32(&A, 4, (size_t)s.M * s.nOut); s.x = f32(&A, 5, (size_t)s.M * s.nIn); s.dW = f32(&A, 6, (size_t)s.nOut * s.nIn);
  s.db = is_null(&A, 7) ? NULL : f32(&A, 7, s.nOut);
  if (A.bad) return NULL;
  jt_train_gemm_dw(&s, th);
  return NULL;
}

/* linearBwdInput(M, nIn, nOut, threads, dy, W, dx) */
static napi_value lin_dx(napi_env env, napi_callback_info info) {
  args_t A; if (!get_args(env, info, &A, 7, "linearBwdInput")) return NULL;
  jt_gemm_args s = {0};
  s.M = num(&A, 0); s.nIn = num(&A, 1); s.nOut = num(&A, 2); int th = num(&A, 3);
  if (A.bad) return NULL;
  if (s.M < 0 || s.nIn < 1 || s.nOut < 1) { napi_throw_range_error(env, NULL, "linearBwdInput: bad shape"); return NULL; }
  s.dy = f32(&A, 4, (size_t)s.M * s.nOut); s.W = f32(&A, 5, (size_t)s.nOut * s.nIn); s.dx = f32(&A, 6, (size_t)s.M * s.nIn);
  if (A.bad) return NULL;
  jt_train_gemm_dx(&s, th);
  return NULL;
}

/* siluGluFwd(M, E, zOff, zStride, out, a, z) */
static napi_value glu_fwd(napi_env env, napi_callback_info info) {
  args_t A; if (!get_args(env, info, &A, 7, "siluGluFwd")) return NULL;
  int M = num(&A, 0), E = num(&A, 1), zOff = num(&A, 2), zs = num(&A, 3);
  if (A.bad) return NULL;
  if (M < 0 || E < 1 || zOff < 0 || zs < E) { napi_throw_range_error(env, NULL, "siluGluFwd: bad shape"); return NULL; }
  const size_t nz = strided(M, zOff, zs, E);
  float *out = f32(&A, 4, (size_t)M * E), *a = f32(&A, 5, (size_t)M * E), *z = f32(&A, 6, nz);
  if (A.bad) return NULL;
  jt_train_silu_glu_fwd(out, a, z + zOff, zs, M, E);
  return NULL;
}

/* siluGluBwd(M, E, zOff, zStride, da, dz, g, a, z): da and dz overwritten (dz strided like z) */
static napi_value glu_bwd(napi_env env, napi_callback_info info) {
  args_t A; if (!get_args(env, info, &A, 9, "siluGluBwd")) return NULL;
  int M = num(&A, 0), E = num(&A, 1), zOff = num(&A, 2), zs = num(&A, 3);
  if (A.bad) return NULL;
  if (M < 0 || E < 1 || zOff < 0 || zs < E) { napi_throw_range_error(env, NULL, "siluGluBwd: bad shape"); return NULL; }
  const size_t nz = strided(M, zOff, zs, E);
  float *da = f32(&A, 4, (size_t)M * E), *dz = f32(&A, 5, nz), *g = f32(&A, 6, (size_t)M * E), *a = f32(&A, 7, (size_t)M * E), *z = f32(&A, 8, nz);
  if (A.bad) return NULL;
  jt_train_silu_glu_bwd(da, dz + zOff, g, a, z + zOff, zs, M, E);
  return NULL;
}

/* rmsFwd(M, n, eps, threads, x, xOff, xStride, w, y, yOff, yStride, rstd) */
static napi_value rms_fwd(napi_env env, napi_callback_info info) {
  args_t A; if (!get_args(env, info, &A, 12, "rmsFwd")) return NULL;
  jt_rms_args s = {0};
  s.M = num(&A, 0); s.n = num(&A, 1); s.eps = (float)dbl(&A, 2); int th = num(&A, 3);
  int xo = num(&A, 5); s.xStride = num(&A, 6); int yo = num(&A, 9); s.yStride = num(&A, 10);
  if (A.bad) return NULL;
  if (s.M < 0 || s.n < 1 || xo < 0 || yo < 0 || s.xStride < s.n || s.yStride < s.n) { napi_throw_range_error(env, NULL, "rmsFwd: bad shape"); return NULL; }
  const size_t nx = strided(s.M, xo, s.xStride, s.n), ny = strided(s.M, yo, s.yStride, s.n);
  const float *x = f32(&A, 4, nx); s.w = f32(&A, 7, s.n); float *y = f32(&A, 8, ny); s.rstd = f32(&A, 11, s.M);
  if (A.bad) return NULL;
  s.x = x + xo; s.y = y + yo;
  jt_train_rms_fwd(&s, th);
  return NULL;
}

/* rmsBwd(M, n, threads, dx, dxOff, dxStride, dw, dy, dyOff, dyStride, x, xOff, xStride, w, rstd) */
static napi_value rms_bwd(napi_env env, napi_callback_info info) {
  args_t A; if (!get_args(env, info, &A, 15, "rmsBwd")) return NULL;
  jt_rms_args s = {0};
  s.M = num(&A, 0); s.n = num(&A, 1); int th = num(&A, 2);
  int dxo = num(&A, 4); s.dxStride = num(&A, 5); int dyo = num(&A, 8); s.dyStride = num(&A, 9); int xo = num(&A, 11); s.xStride = num(&A, 12);
  if (A.bad) return NULL;
  if (s.M < 0 || s.n < 1 || dxo < 0 || dyo < 0 || xo < 0 || s.dxStride < s.n || s.dyStride < s.n || s.xStride < s.n) { napi_throw_range_error(env, NULL, "rmsBwd: bad shape"); return NULL; }
  float *dx = f32(&A, 3, strided(s.M, dxo, s.dxStride, s.n)); s.dw = f32(&A, 6, s.n);
  const float *dy = f32(&A, 7, strided(s.M, dyo, s.dyStride, s.n)), *x = f32(&A, 10, strided(s.M, xo, s.xStride, s.n));
  s.w = f32(&A, 13, s.n); s.rstd = f32(&A, 14, s.M);
  if (A.bad) return NULL;
  s.dx = dx + dxo; s.dy = dy + dyo; s.x = x + xo;
  jt_train_rms_bwd(&s, th);
  return NULL;
}

/* adamw(theta, grad, m, v, lr, beta1, beta2, eps, decay, c1, c2) */
static napi_value adamw(napi_env env, napi_callback_info info) {
  args_t A; if (!get_args(env, info, &A, 11, "adamw")) return NULL;
  size_t n = 0; napi_typedarray_type t; void *d; napi_value ab; size_t off; bool is = false;
  napi_is_typedarray(env, A.argv[0], &is);
  if (!is || napi_get_typedarray_info(env, A.argv[0], &t, &n, &d, &ab, &off) != napi_ok) { napi_throw_type_error(env, NULL, "adamw: theta must be a Float32Array"); return NULL; }
  float *th = f32(&A, 0, n), *g = f32(&A, 1, n), *m = f32(&A, 2, n), *v = f32(&A, 3, n);
  const double lr = dbl(&A, 4), b1 = dbl(&A, 5), b2 = dbl(&A, 6), eps = dbl(&A, 7), decay = dbl(&A, 8), c1 = dbl(&A, 9), c2 = dbl(&A, 10);
  if (A.bad) return NULL;
  jt_train_adamw(th, g, m, v, n, (float)lr, (float)b1, (float)b2, (float)eps, (float)decay, (float)c1, (float)c2);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor d[] = {
    { "scanFwd", NULL, scan_fwd, NULL, NULL, NULL, napi_default, NULL },
    { "scanBwd", NULL, scan_bwd, NULL, NULL, NULL, napi_default, NULL },
    { "attnFwd", NULL, attn_fwd, NULL, NULL, NULL, napi_default, NULL },
    { "attnBwd", NULL, attn_bwd, NULL, NULL, NULL, napi_default, NULL },
    { "convFwd", NULL, conv_fwd, NULL, NULL, NULL, napi_default, NULL },
    { "convBwd", NULL, conv_bwd, NULL, NULL, NULL, napi_default, NULL },
    { "crossEntropy", NULL, cross_entropy, NULL, NULL, NULL, napi_default, NULL },
    { "linearBwdWeight", NULL, lin_dw, NULL, NULL, NULL, napi_default, NULL },
    { "linearBwdInput", NULL, lin_dx, NULL, NULL, NULL, napi_default, NULL },
    { "siluGluFwd", NULL, glu_fwd, NULL, NULL, NULL, napi_default, NULL },
    { "siluGluBwd", NULL, glu_bwd, NULL, NULL, NULL, napi_default, NULL },
    { "rmsFwd", NULL, rms_fwd, NULL, NULL, NULL, napi_default, NULL },
    { "rmsBwd", NULL, rms_bwd, NULL, NULL, NULL, napi_default, NULL },
    { "adamw", NULL, adamw, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof d / sizeof d[0], d);
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
