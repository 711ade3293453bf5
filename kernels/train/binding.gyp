# Stand-alone build of the training kernels (kernels/train/build/Release/jamba_train.node):
#   npx node-gyp rebuild --directory kernels/train
# Meant to be folded into the root binding.gyp as one more target (see docs/TRAINING.md).
# -O3 with AVX2/FMA and -fno-trapping-math (if-conversion of the clamps) lets GCC vectorise the scan's inner loop over the state dimension.
{
  "targets": [
    {
      "target_name": "jamba_train",
      "sources": ["scan.c", "attention.c", "conv_loss.c", "gemm.c", "norm_adam.c", "binding.c"],
      "cflags_c": ["-std=gnu11", "-O3", "-fPIC", "-mavx2", "-mfma", "-fno-math-errno", "-fno-trapping-math"],
      "cflags!": ["-O2", "-Os"],
      "libraries": ["-lpthread", "-lm"]
    }
  ]
}
