// 16-lane single-precision vectors for the Monarch kernels (monarch.c, monarch_gemm.c): the type and its
// unaligned load, store and broadcast. Always inlined into a function of one target, so a vector never
// crosses a call boundary (hence -Wpsabi is silenced where this is included).
#ifndef SML_FLOAT_LANES16_H
#define SML_FLOAT_LANES16_H

#include <string.h>

typedef float sml_f32x16 __attribute__((vector_size(64)));

static inline __attribute__((always_inline)) sml_f32x16 sml_load16(const float *p) {
  sml_f32x16 v;
  memcpy(&v, p, sizeof v);
  return v;
}

static inline __attribute__((always_inline)) void sml_store16(float *p, sml_f32x16 v) { memcpy(p, &v, sizeof v); }

static inline __attribute__((always_inline)) sml_f32x16 sml_splat16(float x) {
  sml_f32x16 v = {x};
  return __builtin_shufflevector(v, v, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}

#endif
