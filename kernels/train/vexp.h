/*
 * vexp.h — a branch-free expf that GCC vectorises inside loops (the scan evaluates exp(Δ·A) for every
 * channel and state): x = k·ln2 + r with |r| ≤ ln2/2, exp(r) by a degree-6 polynomial, 2^k by
 * building the exponent bits. Relative error below 2e-7 on [-87, 88]; inputs are clamped to that
 * range (the scan's arguments are ≤ 0, and exp of −87 is already 0 to float32 precision).
 */
#ifndef JT_VEXP_H
#define JT_VEXP_H
#include <stdint.h>
#include <string.h>

static inline float jt_vexpf(float x) {
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  const float kf = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f; /* round to nearest via the 1.5·2^23 trick */
  const float r = x - kf * 0.693145751953125f - kf * 1.428606765330187045e-06f;
  float p = 1.f / 720.f;
  p = p * r + 1.f / 120.f;
  p = p * r + 1.f / 24.f;
  p = p * r + 1.f / 6.f;
  p = p * r + 0.5f;
  p = p * r + 1.f;
  p = p * r + 1.f;
  const int32_t bits = ((int32_t)kf + 127) << 23;
  float s; memcpy(&s, &bits, sizeof s);
  return p * s;
}

#endif
