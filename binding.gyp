# Builds the native backend's addon (build/Release/jamba_native.node) from kernels/.
# Each op family is compiled three times, once per instruction set (static libraries jt_generic,
# jt_avx2, jt_avx512 with their own -m flags and JT_ISA); kernels/dispatch.c picks one at run time.
# The matmul files are compiled a fourth time for AVX-512 with VNNI and GFNI (jt_avx512vnni: integer dot
# products in one instruction, nibbles unpacked by GF(2) affine byte transforms); that set shares every
# other op with jt_avx512.
# -ffp-contract=off keeps the compiler from fusing a*b+c differently in different loops: kernels call
# FMA explicitly, which is what makes results batch-invariant.
# jamba_train holds the training kernels (kernels/train/). They are built for the machine that installs
# the package (-march=native, as llama.cpp does by default), since training is never batch-shared and
# the package is always compiled where it runs; -fno-trapping-math lets GCC vectorise the exp clamps.
{
  "target_defaults": {
    "cflags_c": ["-std=gnu11", "-O3", "-ffp-contract=off", "-fPIC", "-Wno-unused-function"],
    "cflags!": ["-O2", "-Os"],
    "xcode_settings": { "OTHER_CFLAGS": ["-std=gnu11", "-O3", "-ffp-contract=off"] }
  },
  "targets": [
    {
      "target_name": "jt_generic",
      "type": "static_library",
      "defines": ["JT_ISA=1"],
      "sources": ["kernels/matmul.c", "kernels/quant.c", "kernels/qdot.c", "kernels/norm.c", "kernels/attention.c", "kernels/mamba.c", "kernels/elementwise.c"]
    },
    {
      "target_name": "jt_avx2",
      "type": "static_library",
      "defines": ["JT_ISA=2"],
      "cflags_c": ["-mavx2", "-mfma", "-mf16c"],
      "xcode_settings": { "OTHER_CFLAGS": ["-mavx2", "-mfma", "-mf16c"] },
      "sources": ["kernels/matmul.c", "kernels/quant.c", "kernels/qdot.c", "kernels/norm.c", "kernels/attention.c", "kernels/mamba.c", "kernels/elementwise.c"]
    },
    {
      "target_name": "jt_avx512",
      "type": "static_library",
      "defines": ["JT_ISA=3"],
      "cflags_c": ["-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mavx2", "-mfma", "-mf16c"],
      "xcode_settings": { "OTHER_CFLAGS": ["-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mavx2", "-mfma", "-mf16c"] },
      "sources": ["kernels/matmul.c", "kernels/quant.c", "kernels/qdot.c", "kernels/norm.c", "kernels/attention.c", "kernels/mamba.c", "kernels/elementwise.c"]
    },
    {
      "target_name": "jt_avx512vnni",
      "type": "static_library",
      "defines": ["JT_ISA=3", "JT_VNNI=1"],
      "cflags_c": ["-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mavx512vnni", "-mgfni", "-mavx2", "-mfma", "-mf16c"],
      "xcode_settings": { "OTHER_CFLAGS": ["-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mavx512vnni", "-mgfni", "-mavx2", "-mfma", "-mf16c"] },
      "sources": ["kernels/matmul.c", "kernels/quant.c", "kernels/qdot.c"]
    },
    {
      "target_name": "jamba_native",
      "dependencies": ["jt_generic", "jt_avx2", "jt_avx512", "jt_avx512vnni"],
      "sources": ["kernels/dispatch.c", "kernels/threadpool.c", "kernels/program.c", "kernels/binding.c", "kernels/binding_program.c"],
      "libraries": ["-lpthread", "-lm"]
    },
    {
      "target_name": "jamba_train",
      "sources": ["kernels/train/scan.c", "kernels/train/attention.c", "kernels/train/conv_loss.c", "kernels/train/gemm.c", "kernels/train/norm_adam.c", "kernels/train/binding.c"],
      "cflags_c": ["-march=native", "-fno-math-errno", "-fno-trapping-math"],
      "cflags_c!": ["-ffp-contract=off"],
      "libraries": ["-lpthread", "-lm"]
    }
  ]
}
