/*
 * binding.c — the Node-API glue (with binding_program.c, the only files that know about Node): unpacks typed arrays and
 * numbers, checks every length against the shapes so a bad call throws a RangeError instead of
 * touching memory it does not own, and calls the kernel set chosen in dispatch.c. The WebAssembly
 * build leaves this file out. Exported names match src/backends/native/addon.ts.
 */
#include "binding.h"

const jt_kernels *K = NULL;
jt_program *REC = NULL;

napi_value jt_submit(napi_env env, jt_op *op) {
  if (REC) {
    if (!jt_program_append(REC, op)) { jt_op_free(op); napi_throw_error(env, NULL, "out of memory recording a program"); }
    return NULL;
  }
  jt_op_run(K, op, 0);
  jt_op_free(op);
  return NULL;
}

int jt_matmul_at(args_t *A, size_t i, int qdot, jt_matmul_args *m) {
  napi_env env = A->env;
  size_t ny, nx, nw, nb;
  float *y = f32(A, i, &ny), *x = f32(A, i + 1, &nx);
  uint8_t *w = (uint8_t *)arr(A, i + 2, napi_uint8_array, &nw, 0);
  int64_t dt = num(A, i + 3), rows = num(A, i + 4), cols = num(A, i + 5), T = num(A, i + 6);
  float *bias = f32_or_null(A, i + 7, &nb);
  if (A->bad) return 0;
#define MREQ(cond, ...) do { if (!(cond)) { char m_[256]; snprintf(m_, sizeof m_, __VA_ARGS__); napi_throw_range_error(env, NULL, m_); return 0; } } while (0)
  MREQ(rows >= 0 && cols >= 1 && T >= 0, "%s: bad size", A->op);
  size_t rb = row_bytes(dt, cols);
  MREQ(rb, "%s: dtype code %lld unknown or %lld columns not a whole number of its blocks", A->op, (long long)dt, (long long)cols);
  MREQ((size_t)rows * rb <= nw, "%s: weight has %zu bytes, need %lld rows x %lld cols", A->op, nw, (long long)rows, (long long)cols);
  MREQ((size_t)(T * cols) <= nx && (size_t)(T * rows) <= ny, "%s: x or y shorter than T x cols / T x rows", A->op);
  MREQ(!bias || (size_t)rows <= nb, "%s: bias shorter than rows", A->op);
#undef MREQ
  *m = (jt_matmul_args){ .y = y, .ldy = rows, .x = x, .ldx = cols, .w = w, .ldw = (int64_t)rb, .dtype = (int)dt,
                         .rows = rows, .cols = cols, .T = T, .bias = bias, .qdot = qdot != 0 };
  return 1;
}

/* matmul(y, x, w: Uint8Array, dtype, rows, cols, T, bias | null[, qdot]) — qdot 1: int8 activations */
static napi_value op_matmul(napi_env env, napi_callback_info info) {
  args_t A; if (!get_args(env, info, &A, 8, "matmul")) return NULL;
  int64_t qdot = A.argc > 8 ? num(&A, 8) : 0;
  jt_op op = { .kind = JT_OP_MATMUL };
  if (A.bad || !jt_matmul_at(&A, 0, (int)qdot, &op.u.mm.list[0])) return NULL;
  op.u.mm.n = 1;
  return jt_submit(env, &op);
}

/*
 * matmulMany(qdot, n, y, x, w, dtype, rows, cols, T, bias, y, x, …): the first n (1 to MANY) groups of
 * matmul arguments (later ones are ignored, so a caller can keep one argument array) as one parallel
 * job. No y may overlap another's x or y; each result equals its own matmul call's.
 */
#define MANY 16
static napi_value op_matmul_many(napi_env env, napi_callback_info info) {
  napi_value argv[2 + 8 * MANY];
  size_t total = 2 + 8 * MANY;
  CALL(napi_get_cb_info(env, info, &total, argv, NULL, NULL)); /* total: how many were passed */
  args_t A = { .env = env, .argc = 8, .op = "matmulMany", .bad = 0 };
  if (total >= 2) { A.argv[0] = argv[0]; A.argv[1] = argv[1]; }
  const int64_t qdot = total >= 2 ? num(&A, 0) : 0, n = total >= 2 ? num(&A, 1) : 0;
  if (A.bad) return NULL;
  if (n < 1 || n > MANY || total < (size_t)(2 + 8 * n)) {
    char m[160];
    snprintf(m, sizeof m, "matmulMany: expected qdot, n (1 to %d) and n groups of 8 arguments, got n = %lld and %zu arguments",
             MANY, (long long)n, total);
    napi_throw_range_error(env, NULL, m);
    return NULL;
  }
  jt_matmul_args list[MANY];
  for (int i = 0; i < n; i++) { /* each group read through an args_t window (argument numbers within the group) */
    memcpy(A.argv, argv + 2 + 8 * i, 8 * sizeof(napi_value));
    if (!jt_matmul_at(&A, 0, (int)qdot, &list[i])) return NULL;
  }
  if (!REC) { K->matmul(list, (int)n); return NULL; }
  for (int i = 0; i < n; i += JT_PMM) { /* recorded JT_PMM at a time: each result is the same */
    jt_op op = { .kind = JT_OP_MATMUL };
    op.u.mm.n = n - i < JT_PMM ? (int)(n - i) : JT_PMM;
    memcpy(op.u.mm.list, list + i, sizeof(jt_matmul_args) * (size_t)op.u.mm.n);
    jt_submit(env, &op);
  }
  return NULL;
}

/* rmsNorm(out, x, w, T, n, eps, stride) */
static napi_value op_rmsnorm(napi_env env, napi_callback_info info) {
  args_t A; if (!get_args(env, info, &A, 7, "rmsNorm")) return NULL;
  size_t no, nx, nw;
  float *out = f32(&A, 0, &no), *x = f32(&A, 1, &nx), *w = f32(&A, 2, &nw);
  int64_t T = num(&A, 3), n = num(&A, 4); double eps = dbl(&A, 5); int64_t stride = num(&A, 6);
  if (A.bad) return NULL;
  REQUIRE(T >= 0 && n >= 1 && stride >= n, "rmsNorm: need T >= 0, n >= 1, stride >= n");
  size_t need = T ? (size_t)((T - 1) * stride + n) : 0;
  REQUIRE(need <= nx && need <= no && (size_t)n <= nw, "rmsNorm: x, out or w too short");
  jt_op op = { .kind = JT_OP_RMSNORM, .u.norm = { out, x, w, T, n, stride, (float)eps } };
  return jt_submit(env, &op);
}

/* embed(out, ids: Int32Array, table: Uint8Array, dtype, cols) */
static napi_value op_embed(napi_env env, napi_callback_info info) {
  args_t A; if (!get_args(env, info, &A, 5, "embed")) return NULL;
  size_t no, ni, nt;
  float *out = f32(&A, 0, &no);
  int32_t *ids = (int32_t *)arr(&A, 1, napi_int32_array, &ni, 0);
  uint8_t *table = (uint8_t *)arr(&A, 2, napi_uint8_array, &nt, 0);
  int64_t dt = num(&A, 3), cols = num(&A, 4);
  if (A.bad) return NULL;
  REQUIRE(!REC, "embed: token ids change from step to step, so a program cannot record it");
  size_t rb = cols >= 1 ? row_bytes(dt, cols) : 0;
  REQUIRE(rb, "embed: dtype code %lld unknown or %lld columns not a whole number of its blocks", (long long)dt, (long long)cols);
  size_t V = nt / rb;
  REQUIRE(ni * (size_t)cols <= no, "embed: out shorter than ids x cols");
  for (size_t t = 0; t < ni; t++) {
    REQUIRE(ids[t] >= 0 && (size_t)ids[t] < V, "token id %d is outside the vocabulary (0..%zu)", ids[t], V - 1);
    K->decode_row(out + t * cols, table + (size_t)ids[t] * rb, cols, (int)dt);
  }
  return NULL;
}

/* gatedAct(out, gate, up, n, act) */
static napi_value op_gated(napi_env env, napi_callback_info info) {
  args_t A; if (!get_args(env, info, &A, 5, "gatedAct")) return NULL;
  size_t no, ng, nu;
  float *out = f32(&A, 0, &no), *g = f32(&A, 1, &ng), *u = f32(&A, 2, &nu);
  int64_t n = num(&A, 3), act = num(&A, 4);
  if (A.bad) return NULL;
  REQUIRE(n >= 0 && (size_t)n <= no && (size_t)n <= ng && (size_t)n <= nu, "gatedAct: arrays shorter than n");
  REQUIRE(act >= 0 && act <= 2, "gatedAct: bad activation code");
  jt_op op = { .kind = JT_OP_GATED, .u.gated = { out, g, u, n, (int)act } };
  return jt_submit(env, &op);
}

/* add(x, y, n) */
static napi_value op_add(napi_env env, napi_callback_info info) {
  args_t A; if (!get_args(env, info, &A, 3, "add")) return NULL;
  size_t nx, ny;
  float *x = f32(&A, 0, &nx), *y = f32(&A, 1, &ny);
  int64_t n = num(&A, 2);
  if (A.bad) return NULL;
  REQUIRE(n >= 0 && (size_t)n <= nx && (size_t)n <= ny, "add: arrays shorter than n");
  jt_op op = { .kind = JT_OP_ADD, .u.add = { x, y, n } };
  return jt_submit(env, &op);
}

/* attention(q, k, v, T, past, nH, nKV, d, scale, out) */
static napi_value op_attention(napi_env env, napi_callback_info info) {
  args_t A; if (!get_args(env, info, &A, 10, "attention")) return NULL;
  size_t nq, nk, nv, no;
  float *q = f32(&A, 0, &nq), *k = f32(&A, 1, &nk), *v = f32(&A, 2, &nv);
  int64_t T = num(&A, 3), past = num(&A, 4), nH = num(&A, 5), nKV = num(&A, 6), d = num(&A, 7);
  double scale = dbl(&A, 8);
  float *out = f32(&A, 9, &no);
  if (A.bad) return NULL;
  REQUIRE(T >= 0 && past >= 0 && nKV >= 1 && nH >= nKV && nH % nKV == 0, "attention: need nH a multiple of nKV");
  REQUIRE(d >= 1 && d <= JT_MAX_HEAD_DIM, "attention: head dim %lld outside 1..%d", (long long)d, JT_MAX_HEAD_DIM);
  REQUIRE((size_t)(T * nH * d) <= nq && (size_t)(T * nH * d) <= no, "attention: q or out too short");
  REQUIRE((size_t)((past + T) * nKV * d) <= nk && (size_t)((past + T) * nKV * d) <= nv, "attention: k or v too short");
  jt_op op = { .kind = JT_OP_ATTENTION, .u.attn = { q, k, v, out, T, past, nH, nKV, d, (float)scale } };
  return jt_submit(env, &op);
}

/* conv1d(u, uStride, state, w, bias | null, T, E, K, act, out) */
static napi_value op_conv(napi_env env, napi_callback_info info) {
  args_t A; if (!get_args(env, info, &A, 10, "conv1d")) return NULL;
  size_t nu, ns, nw, nb, no;
  float *u = f32(&A, 0, &nu); int64_t us = num(&A, 1);
  float *st = f32(&A, 2, &ns), *w = f32(&A, 3, &nw), *b = f32_or_null(&A, 4, &nb);
  int64_t T = num(&A, 5), E = num(&A, 6), Kw = num(&A, 7), act = num(&A, 8);
  float *out = f32(&A, 9, &no);
  if (A.bad) return NULL;
  REQUIRE(T >= 0 && E >= 0 && Kw >= 1 && Kw <= JT_MAX_CONV_K && us >= E && act >= 0 && act <= 2, "conv1d: bad sizes");
  REQUIRE((!T || (size_t)((T - 1) * us + E) <= nu) && (size_t)(T * E) <= no, "conv1d: u or out too short");
  REQUIRE((size_t)(E * (Kw - 1)) <= ns && (size_t)(E * Kw) <= nw && (!b || (size_t)E <= nb), "conv1d: state, w or bias too short");
  jt_op op = { .kind = JT_OP_CONV, .u.conv = { u, us, st, w, b, T, E, Kw, (int)act, out } };
  return jt_submit(env, &op);
}

/* scan(u, dt, A, B, C, bOffset, cOffset, bcStride, D, z, zOffset, zStride, h, T, E, N, act, out) */
static napi_value op_scan(napi_env env, napi_callback_info info) {
  args_t A; if (!get_args(env, info, &A, 18, "scan")) return NULL;
  size_t nu, ndt, na, nB, nC, nD, nz, nh, no;
  float *u = f32(&A, 0, &nu), *dt = f32(&A, 1, &ndt), *Am = f32(&A, 2, &na), *B = f32(&A, 3, &nB), *C = f32(&A, 4, &nC);
  int64_t bo = num(&A, 5), co = num(&A, 6), bcs = num(&A, 7);
  float *D = f32(&A, 8, &nD), *z = f32(&A, 9, &nz);
  int64_t zo = num(&A, 10), zs = num(&A, 11);
  float *h = f32(&A, 12, &nh);
  int64_t T = num(&A, 13), E = num(&A, 14), N = num(&A, 15), act = num(&A, 16);
  float *out = f32(&A, 17, &no);
  if (A.bad) return NULL;
  REQUIRE(T >= 0 && E >= 0 && N >= 1 && N <= JT_MAX_STATE && act >= 0 && act <= 2, "scan: bad sizes (d_state at most %d)", JT_MAX_STATE);
  REQUIRE(bo >= 0 && co >= 0 && bcs >= 0 && zo >= 0 && zs >= 0, "scan: negative offset or stride");
  size_t te = (size_t)(T * E);
  REQUIRE(te <= nu && te <= ndt && te <= no && (size_t)(E * N) <= na && (size_t)(E * N) <= nh && (size_t)E <= nD, "scan: u, dt, out, A, h or D too short");
  REQUIRE(!T || ((size_t)((T - 1) * bcs + bo + N) <= nB && (size_t)((T - 1) * bcs + co + N) <= nC), "scan: B or C too short");
  REQUIRE(!T || (size_t)((T - 1) * zs + zo + E) <= nz, "scan: z too short");
  jt_op op = { .kind = JT_OP_SCAN, .u.scan = { u, dt, Am, B, C, D, z, bo, co, bcs, zo, zs, h, T, E, N, (int)act, out } };
  return jt_submit(env, &op);
}

/* streamSum(x) → Σ x (a read-bandwidth probe for the benchmark) */
static napi_value op_stream_sum(napi_env env, napi_callback_info info) {
  args_t A; if (!get_args(env, info, &A, 1, "streamSum")) return NULL;
  size_t n;
  float *x = f32(&A, 0, &n);
  if (A.bad) return NULL;
  napi_value r;
  CALL(napi_create_double(env, K->stream_sum(x, (int64_t)n), &r));
  return r;
}

/* argmax(x, off, n) → index in [0, n) of the largest of x[off..off+n) (see jt.h) */
static napi_value op_argmax(napi_env env, napi_callback_info info) {
  args_t A; if (!get_args(env, info, &A, 3, "argmax")) return NULL;
  size_t len;
  float *x = f32(&A, 0, &len);
  int64_t off = num(&A, 1), n = num(&A, 2);
  if (A.bad) return NULL;
  REQUIRE(off >= 0 && n >= 0 && (size_t)(off + n) <= len, "argmax: range [%lld, %lld) outside an array of %zu", (long long)off, (long long)(off + n), len);
  napi_value r;
  CALL(napi_create_double(env, (double)K->argmax(x + off, n), &r));
  return r;
}

/*
 * allocHuge(bytes) → a zero-filled ArrayBuffer on 2 MB pages, or null where that is not available.
 * Decode streams every weight once per token; on 4 KB pages that is a TLB miss (a page walk) every 64
 * cache lines, and this kernel hands out huge pages only to memory that asks (transparent_hugepage
 * "madvise", the common default). Anonymous mmap rounded to 2 MB and madvise(MADV_HUGEPAGE); V8 frees
 * it (munmap) when the buffer is collected, and is told of the memory so GC pressure stays right.
 */
#if defined(__linux__) && defined(MADV_HUGEPAGE)
#define HUGE_PAGE ((size_t)2 << 20)
static void free_huge(napi_env env, void *data, void *hint) {
  size_t len = (size_t)(uintptr_t)hint;
  int64_t adjusted;
  munmap(data, len);
  napi_adjust_external_memory(env, -(int64_t)len, &adjusted);
}
/* len bytes (a multiple of HUGE_PAGE) at a 2 MB boundary, advised onto huge pages; NULL on failure */
static uint8_t *map_huge(size_t len) {
  /* over-map by one huge page so the start can move to a 2 MB boundary, then give back the ends */
  uint8_t *raw = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return NULL;
  uint8_t *p = (uint8_t *)(((uintptr_t)raw + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
  if (p > raw) munmap(raw, (size_t)(p - raw));
  if (raw + len + HUGE_PAGE > p + len) munmap(p + len, (size_t)(raw + len + HUGE_PAGE - (p + len)));
  madvise(p, len, MADV_HUGEPAGE);
  return p;
}
#endif

static napi_value op_alloc_huge(napi_env env, napi_callback_info info) {
  args_t A; if (!get_args(env, info, &A, 1, "allocHuge")) return NULL;
  int64_t bytes = num(&A, 0);
  if (A.bad) return NULL;
  REQUIRE(bytes > 0 && bytes <= ((int64_t)1 << 46), "allocHuge: bad size %lld", (long long)bytes);
  napi_value r;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  size_t len = ((size_t)bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
  uint8_t *p = map_huge(len);
  if (p && napi_create_external_arraybuffer(env, p, (size_t)bytes, free_huge, (void *)(uintptr_t)len, &r) == napi_ok) {
    int64_t adjusted;
    napi_adjust_external_memory(env, (int64_t)len, &adjusted);
    return r;
  }
  if (p) { /* e.g. a runtime that forbids external buffers: the caller falls back */
    munmap(p, len);
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) { napi_value e; napi_get_and_clear_last_exception(env, &e); }
  }
#endif
  CALL(napi_get_null(env, &r));
  return r;
}

static napi_value make_info(napi_env env) {
  napi_value o, v;
  CALL(napi_create_object(env, &o));
  CALL(napi_create_string_utf8(env, K->name, NAPI_AUTO_LENGTH, &v));
  CALL(napi_set_named_property(env, o, "isa", v));
  CALL(napi_create_int32(env, jt_pool_threads(), &v));
  CALL(napi_set_named_property(env, o, "threads", v));
  return o;
}

/* configure(threads, isa | null) → { isa, threads }; isa "best" or null keeps the fastest */
static napi_value op_configure(napi_env env, napi_callback_info info) {
  args_t A; if (!get_args(env, info, &A, 2, "configure")) return NULL;
  int64_t threads = num(&A, 0);
  if (A.bad) return NULL;
  char name[32] = "";
  napi_valuetype vt;
  napi_typeof(env, A.argv[1], &vt);
  if (vt == napi_string) {
    size_t len; CALL(napi_get_value_string_utf8(env, A.argv[1], name, sizeof name, &len));
  }
  if (name[0] && strcmp(name, "best")) {
    const jt_kernels *k = jt_kernels_named(name);
    REQUIRE(k, "instruction set '%s' is not available on this CPU or in this build", name);
    K = k;
  } else {
    K = jt_kernels_best();
  }
  if (threads >= 1 && threads != jt_pool_threads()) jt_pool_init((int)threads);
  return make_info(env);
}

static napi_value op_info(napi_env env, napi_callback_info info) { (void)info; return make_info(env); }

static void cleanup(void *arg) { (void)arg; jt_pool_shutdown(); }

static napi_value init(napi_env env, napi_value exports) {
  static const struct { const char *name; napi_callback cb; } fns[] = {
    { "matmul", op_matmul }, { "matmulMany", op_matmul_many }, { "rmsNorm", op_rmsnorm }, { "embed", op_embed }, { "gatedAct", op_gated },
    { "add", op_add }, { "attention", op_attention }, { "conv1d", op_conv }, { "scan", op_scan },
    { "configure", op_configure }, { "info", op_info }, { "streamSum", op_stream_sum },
    { "argmax", op_argmax }, { "allocHuge", op_alloc_huge },
  };
  if (!K) K = jt_kernels_best();
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    CALL(napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].cb, NULL, &f));
    CALL(napi_set_named_property(env, exports, fns[i].name, f));
  }
  jt_program_exports(env, exports);
  napi_add_env_cleanup_hook(env, cleanup, NULL);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
