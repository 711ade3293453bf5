/*
 * binding_program.c — Node-API functions for programs (program.h): recording the ops a decode step
 * makes, replaying them, and the two ops that exist for programs (attendStep, experts).
 *
 *   programCreate() → handle; programRecord(handle | null) starts recording into it (every op call
 *   then checks its arguments as usual and is appended instead of run) or stops; programLength(handle)
 *   → ops so far; programRun(handle, from, to, P, live) runs ops [from, to) at position P (with live 0
 *   it only checks). A handle keeps raw pointers into the arrays its ops were given: the caller keeps
 *   those arrays alive and unmoved (src/model/decode-step.ts does).
 */
#include <stdlib.h>
#include "binding.h"

static void free_program(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  jt_program *p = (jt_program *)data;
  if (REC == p) REC = NULL;
  jt_program_free(p);
  free(p);
}

static jt_program *handle(args_t *A, size_t i) {
  void *p = NULL;
  napi_valuetype vt;
  if (A->bad || napi_typeof(A->env, A->argv[i], &vt) != napi_ok || vt != napi_external ||
      napi_get_value_external(A->env, A->argv[i], &p) != napi_ok || !p) {
    bad_arg(A, i, "a program handle");
    return NULL;
  }
  return (jt_program *)p;
}

static napi_value op_program_create(napi_env env, napi_callback_info info) {
  (void)info;
  jt_program *p = (jt_program *)calloc(1, sizeof(jt_program));
  napi_value r;
  if (!p || napi_create_external(env, p, free_program, NULL, &r) != napi_ok) {
    free(p);
    napi_throw_error(env, NULL, "programCreate: out of memory");
    return NULL;
  }
  return r;
}

static napi_value op_program_record(napi_env env, napi_callback_info info) {
  args_t A; if (!get_args(env, info, &A, 1, "programRecord")) return NULL;
  napi_valuetype vt;
  CALL(napi_typeof(env, A.argv[0], &vt));
  if (vt == napi_null || vt == napi_undefined) { REC = NULL; return NULL; }
  jt_program *p = handle(&A, 0);
  if (!p) return NULL;
  REQUIRE(!REC, "programRecord: already recording");
  REC = p;
  return NULL;
}

static napi_value op_program_length(napi_env env, napi_callback_info info) {
  args_t A; if (!get_args(env, info, &A, 1, "programLength")) return NULL;
  jt_program *p = handle(&A, 0);
  if (!p) return NULL;
  napi_value r;
  CALL(napi_create_double(env, (double)p->n, &r));
  return r;
}

static napi_value op_program_run(napi_env env, napi_callback_info info) {
  args_t A; if (!get_args(env, info, &A, 5, "programRun")) return NULL;
  jt_program *p = handle(&A, 0);
  int64_t from = num(&A, 1), to = num(&A, 2), P = num(&A, 3), live = num(&A, 4);
  if (!p || A.bad) return NULL;
  REQUIRE(!REC, "programRun: a program is being recorded");
  const char *why = jt_program_check(p, from, to, P);
  REQUIRE(!why, "programRun: %s (ops %lld..%lld of %lld, position %lld)", why, (long long)from, (long long)to, (long long)p->n, (long long)P);
  if (live) jt_program_run(K, p, from, to, P);
  return NULL;
}

/* attendStep(q, kNew, vNew, kCache, vCache, nH, nKV, d, scale, out, P): one token at position P (−1 while
 * recording: the position the program runs at) */
static napi_value op_attend_step(napi_env env, napi_callback_info info) {
  args_t A; if (!get_args(env, info, &A, 11, "attendStep")) return NULL;
  size_t nq, nkn, nvn, nkc, nvc, no;
  float *q = f32(&A, 0, &nq), *kn = f32(&A, 1, &nkn), *vn = f32(&A, 2, &nvn), *kc = f32(&A, 3, &nkc), *vc = f32(&A, 4, &nvc);
  int64_t nH = num(&A, 5), nKV = num(&A, 6), d = num(&A, 7);
  double scale = dbl(&A, 8);
  float *out = f32(&A, 9, &no);
  int64_t P = num(&A, 10);
  if (A.bad) return NULL;
  REQUIRE(nKV >= 1 && nH >= nKV && nH % nKV == 0, "attendStep: need nH a multiple of nKV");
  REQUIRE(d >= 1 && d <= JT_MAX_HEAD_DIM, "attendStep: head dim %lld outside 1..%d", (long long)d, JT_MAX_HEAD_DIM);
  REQUIRE((size_t)(nH * d) <= nq && (size_t)(nH * d) <= no && (size_t)(nKV * d) <= nkn && (size_t)(nKV * d) <= nvn, "attendStep: q, out, kNew or vNew too short");
  REQUIRE(REC ? P == -1 : P >= 0, "attendStep: position %lld (-1 exactly when recording)", (long long)P);
  jt_op op = { .kind = JT_OP_ATTEND_STEP, .u.step = { q, kn, vn, kc, vc, out, (int64_t)nkc, (int64_t)nvc, nH, nKV, d, (float)scale } };
  if (REC) return jt_submit(env, &op);
  jt_program one = { &op, 1, 1 };
  const char *why = jt_program_check(&one, 0, 1, P);
  REQUIRE(!why, "attendStep: %s", why);
  jt_op_run(K, &op, P);
  return NULL;
}

/*
 * experts(x, sel: Int32Array, wts, k, act, g, u, y, out, H, I, qdot, nE, then 3·nE pairs (w: Uint8Array,
 * dtype): the gate projections of experts 0..nE−1, their up projections, their down projections).
 * g and u hold k·I values, y k·H, out H.
 */
#define EXPERTS_FIXED 13
#define EXPERTS_MAX 256
static napi_value op_experts(napi_env env, napi_callback_info info) {
  static napi_value argv[EXPERTS_FIXED + 6 * EXPERTS_MAX];
  size_t total = EXPERTS_FIXED + 6 * EXPERTS_MAX;
  CALL(napi_get_cb_info(env, info, &total, argv, NULL, NULL));
  args_t A = { .env = env, .argc = EXPERTS_FIXED, .op = "experts", .bad = 0 };
  REQUIRE(total >= EXPERTS_FIXED, "experts: expected at least %d arguments, got %zu", EXPERTS_FIXED, total);
  memcpy(A.argv, argv, EXPERTS_FIXED * sizeof(napi_value));
  size_t nx, ns, nw, ng, nu, ny, no;
  float *x = f32(&A, 0, &nx);
  int32_t *sel = (int32_t *)arr(&A, 1, napi_int32_array, &ns, 0);
  float *wts = f32(&A, 2, &nw);
  int64_t k = num(&A, 3), act = num(&A, 4);
  float *g = f32(&A, 5, &ng), *u = f32(&A, 6, &nu), *y = f32(&A, 7, &ny), *out = f32(&A, 8, &no);
  int64_t H = num(&A, 9), I = num(&A, 10), qdot = num(&A, 11), nE = num(&A, 12);
  if (A.bad) return NULL;
  REQUIRE(nE >= 1 && nE <= EXPERTS_MAX && k >= 1 && k <= 16 && k <= nE && act >= 0 && act <= 2 && H >= 1 && I >= 1,
          "experts: bad sizes (1 <= k <= min(16, nE), nE <= %d)", EXPERTS_MAX);
  REQUIRE(total >= (size_t)(EXPERTS_FIXED + 6 * nE), "experts: expected %lld weight arguments, got %zu", (long long)(6 * nE), total - EXPERTS_FIXED);
  REQUIRE((size_t)k <= ns && (size_t)k <= nw, "experts: sel or wts shorter than k");
  REQUIRE((size_t)H <= nx && (size_t)H <= no && (size_t)(k * I) <= ng && (size_t)(k * I) <= nu && (size_t)(k * H) <= ny, "experts: x, out, g, u or y too short");
  jt_matmul_args *tm = (jt_matmul_args *)calloc((size_t)(3 * nE), sizeof(jt_matmul_args));
  REQUIRE(tm, "experts: out of memory");
  for (int64_t i = 0; i < 3 * nE; i++) { /* each weight: its bytes, type and shape, as a matmul checks them */
    const int down = i >= 2 * nE;
    const int64_t rows = down ? H : I, cols = down ? I : H;
    char what[64]; /* bad_arg's "<op>: argument 0|1 must be …" then names the weight's pair */
    snprintf(what, sizeof what, "experts, weight pair at arguments %lld-%lld", (long long)(EXPERTS_FIXED + 2 * i), (long long)(EXPERTS_FIXED + 2 * i + 1));
    args_t W = { .env = env, .argc = 2, .op = what, .bad = 0 };
    W.argv[0] = argv[EXPERTS_FIXED + 2 * i]; W.argv[1] = argv[EXPERTS_FIXED + 2 * i + 1];
    size_t nb;
    const uint8_t *w = (const uint8_t *)arr(&W, 0, napi_uint8_array, &nb, 0);
    const int64_t dt = num(&W, 1);
    const size_t rb = W.bad ? 0 : row_bytes(dt, cols);
    if (W.bad || !rb || (size_t)rows * rb > nb) {
      free(tm);
      if (W.bad) return NULL;
      FAIL("experts: weight %lld (argument %lld): dtype code %lld unknown, %lld columns not whole blocks, or fewer than %lld rows",
           (long long)i, (long long)(EXPERTS_FIXED + 2 * i), (long long)dt, (long long)cols, (long long)rows);
    }
    tm[i] = (jt_matmul_args){ .w = w, .ldw = (int64_t)rb, .dtype = (int)dt, .rows = rows, .cols = cols, .qdot = qdot != 0 };
  }
  jt_op op = { .kind = JT_OP_EXPERTS, .u.experts = { x, sel, wts, k, nE, H, I, (int)act, g, u, y, out, tm, tm + nE, tm + 2 * nE } };
  if (REC) return jt_submit(env, &op);
  jt_program one = { &op, 1, 1 };
  const char *why = jt_program_check(&one, 0, 1, 0);
  if (why) { jt_op_free(&op); FAIL("experts: %s", why); }
  return jt_submit(env, &op);
}

void jt_program_exports(napi_env env, napi_value exports) {
  static const struct { const char *name; napi_callback cb; } fns[] = {
    { "programCreate", op_program_create }, { "programRecord", op_program_record }, { "programLength", op_program_length },
    { "programRun", op_program_run }, { "attendStep", op_attend_step }, { "experts", op_experts },
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].cb, NULL, &f) != napi_ok) return;
    napi_set_named_property(env, exports, fns[i].name, f);
  }
}
