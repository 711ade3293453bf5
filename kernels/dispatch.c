/*
 * dispatch.c — picks one instruction set's copy of the kernels at run time. Each op family is compiled
 * once per ISA (see binding.gyp); cpuid (via the compiler's __builtin_cpu_supports) decides which copy
 * this CPU can run. JT_ISA_MAX caps the choice for builds without the x86 copies (e.g. WebAssembly).
 */
#include <string.h>
#include "jt.h"

#define DECLARE_SET(sfx)                                                              \
  void jt_matmul_##sfx(const jt_matmul_args *, int);                                   \
  void jt_rmsnorm_##sfx(const jt_rmsnorm_args *);                                      \
  void jt_attention_##sfx(const jt_attention_args *);                                  \
  void jt_conv1d_##sfx(const jt_conv_args *);                                          \
  void jt_scan_##sfx(const jt_scan_args *);                                            \
  void jt_gated_act_##sfx(float *, const float *, const float *, int64_t, int);        \
  void jt_add_##sfx(float *, const float *, int64_t);                                  \
  void jt_decode_row_##sfx(float *, const uint8_t *, int64_t, int);                   \
  float jt_stream_sum_##sfx(const float *, int64_t);                                   \
  int64_t jt_argmax_##sfx(const float *, int64_t);                                     \
  static const jt_kernels set_##sfx = { #sfx, jt_matmul_##sfx, jt_rmsnorm_##sfx,       \
    jt_attention_##sfx, jt_conv1d_##sfx, jt_scan_##sfx, jt_gated_act_##sfx, jt_add_##sfx, \
    jt_decode_row_##sfx, jt_stream_sum_##sfx, jt_argmax_##sfx };

DECLARE_SET(generic)

#ifndef JT_ISA_MAX
#if defined(__x86_64__) || defined(__i386__)
#define JT_ISA_MAX JT_ISA_AVX512
#else
#define JT_ISA_MAX JT_ISA_GENERIC
#endif
#endif

#if JT_ISA_MAX >= JT_ISA_AVX2
DECLARE_SET(avx2)
static int has_avx2(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}
#endif
#if JT_ISA_MAX >= JT_ISA_AVX512
DECLARE_SET(avx512)
static int has_avx512(void) {
  __builtin_cpu_init();
  return has_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
}
/* AVX-512 with VNNI and GFNI (Ice Lake, Sapphire Rapids, Zen 4 on): its own matmul copy (int8 dots in one
 * instruction, nibbles moved by GF(2) affine transforms), every other op avx512's */
void jt_matmul_avx512vnni(const jt_matmul_args *, int);
void jt_decode_row_avx512vnni(float *, const uint8_t *, int64_t, int);
static const jt_kernels set_avx512vnni = { "avx512vnni", jt_matmul_avx512vnni, jt_rmsnorm_avx512,
  jt_attention_avx512, jt_conv1d_avx512, jt_scan_avx512, jt_gated_act_avx512, jt_add_avx512,
  jt_decode_row_avx512vnni, jt_stream_sum_avx512, jt_argmax_avx512 };
static int has_avx512vnni(void) { return has_avx512() && __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("gfni"); }
#endif

int jt_dtype_block(int dtype, int64_t *values, int64_t *bytes) {
  static const int64_t v[JT_NDTYPES] = { 1, 1, 1, 32, 32, 32, 32, 32, 256, 256, 256 };
  static const int64_t b[JT_NDTYPES] = { 4, 2, 2, 34, 18, 20, 22, 24, 144, 176, 210 };
  if (dtype < 0 || dtype >= JT_NDTYPES) return 0;
  *values = v[dtype];
  *bytes = b[dtype];
  return 1;
}

const jt_kernels *jt_kernels_named(const char *name) {
  if (!strcmp(name, "generic")) return &set_generic;
#if JT_ISA_MAX >= JT_ISA_AVX2
  if (!strcmp(name, "avx2")) return has_avx2() ? &set_avx2 : NULL;
#endif
#if JT_ISA_MAX >= JT_ISA_AVX512
  if (!strcmp(name, "avx512")) return has_avx512() ? &set_avx512 : NULL;
  if (!strcmp(name, "avx512vnni")) return has_avx512vnni() ? &set_avx512vnni : NULL;
#endif
  return NULL;
}

const jt_kernels *jt_kernels_best(void) {
#if JT_ISA_MAX >= JT_ISA_AVX512
  if (has_avx512vnni()) return &set_avx512vnni;
  if (has_avx512()) return &set_avx512;
#endif
#if JT_ISA_MAX >= JT_ISA_AVX2
  if (has_avx2()) return &set_avx2;
#endif
  return &set_generic;
}
