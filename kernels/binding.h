/*
 * binding.h — what the Node-API glue files share: argument unpacking with its checks (a bad argument
 * throws a TypeError or RangeError naming the op and the argument), the kernel set in use, and the
 * program being recorded. Only binding.c and binding_program.c include it.
 */
#ifndef JT_BINDING_H
#define JT_BINDING_H
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "jt.h"
#include "program.h"
#if defined(__linux__)
#include <sys/mman.h>
#endif

/* the kernel set in use (configure), and the program being recorded (programRecord): ops are then
 * appended to it instead of run */
extern const jt_kernels *K;
extern jt_program *REC;

#define MAXARGS 20
#define CALL(expr) do { if ((expr) != napi_ok) { napi_throw_error(env, NULL, "napi call failed: " #expr); return NULL; } } while (0)
#define FAIL(...) do { char m_[256]; snprintf(m_, sizeof m_, __VA_ARGS__); napi_throw_range_error(env, NULL, m_); return NULL; } while (0)
#define REQUIRE(cond, ...) do { if (!(cond)) FAIL(__VA_ARGS__); } while (0)

typedef struct { napi_env env; napi_value argv[MAXARGS]; size_t argc; const char *op; int bad; } args_t;

static inline int get_args(napi_env env, napi_callback_info info, args_t *a, size_t need, const char *op) {
  a->env = env; a->argc = MAXARGS; a->op = op; a->bad = 0;
  if (napi_get_cb_info(env, info, &a->argc, a->argv, NULL, NULL) != napi_ok) return 0;
  if (a->argc < need) {
    char m[128]; snprintf(m, sizeof m, "%s: expected %zu arguments, got %zu", op, need, a->argc);
    napi_throw_type_error(env, NULL, m);
    return 0;
  }
  return 1;
}

static inline void bad_arg(args_t *a, size_t i, const char *what) {
  if (a->bad) return;
  char m[128]; snprintf(m, sizeof m, "%s: argument %zu must be %s", a->op, i, what);
  napi_throw_type_error(a->env, NULL, m);
  a->bad = 1;
}

/* typed array of the given type (or null when nullable); *len = element count */
static inline void *arr(args_t *a, size_t i, napi_typedarray_type want, size_t *len, int nullable) {
  napi_valuetype vt;
  *len = 0;
  if (a->bad) return NULL;
  if (nullable && napi_typeof(a->env, a->argv[i], &vt) == napi_ok && (vt == napi_null || vt == napi_undefined)) return NULL;
  bool is = false;
  napi_is_typedarray(a->env, a->argv[i], &is);
  napi_typedarray_type t; void *data; napi_value ab; size_t off;
  if (!is || napi_get_typedarray_info(a->env, a->argv[i], &t, len, &data, &ab, &off) != napi_ok || t != want) {
    bad_arg(a, i, want == napi_float32_array ? "a Float32Array" : want == napi_int32_array ? "an Int32Array" : "a Uint8Array");
    return NULL;
  }
  return data;
}
static inline float *f32(args_t *a, size_t i, size_t *len) { return (float *)arr(a, i, napi_float32_array, len, 0); }
static inline float *f32_or_null(args_t *a, size_t i, size_t *len) { return (float *)arr(a, i, napi_float32_array, len, 1); }

static inline int64_t num(args_t *a, size_t i) {
  double d = 0;
  if (!a->bad && (napi_get_value_double(a->env, a->argv[i], &d) != napi_ok || d != d)) bad_arg(a, i, "a number");
  return (int64_t)d;
}
static inline double dbl(args_t *a, size_t i) {
  double d = 0;
  if (!a->bad && napi_get_value_double(a->env, a->argv[i], &d) != napi_ok) bad_arg(a, i, "a number");
  return d;
}

/* runs op now, or appends it to the program being recorded (binding.c) */
napi_value jt_submit(napi_env env, jt_op *op);
/* the matmul at argv[i..i+8): y, x, w: Uint8Array, dtype, rows, cols, T, bias | null; 0 after throwing (binding.c) */
int jt_matmul_at(args_t *A, size_t i, int qdot, jt_matmul_args *m);
/* adds programCreate … experts to the exports (binding_program.c) */
void jt_program_exports(napi_env env, napi_value exports);

/* bytes of one row of `cols` values of dtype `dt`; 0 if the type is unknown or cols is not whole blocks */
static inline size_t row_bytes(int64_t dt, int64_t cols) {
  int64_t qk, by;
  if (!jt_dtype_block((int)dt, &qk, &by) || cols % qk) return 0;
  return (size_t)(cols / qk * by);
}


#endif
