// The AdamW update (see CKernels.h): `sml_adamw_update_f`, a baseline, AVX2+FMA and AVX-512 variant chosen at
// run time. Every operation is rounded separately, in the order PyTorch's CPU implementation uses, so the
// vector variants give the same bits as a scalar loop.
#include "internal/kernel_support.h"

#include "internal/instance_float.h"
#include "internal/row_template.h"

#pragma clang fp contract(off)

/// One AdamW step of 16 lanes; see `sml_adamw_update_f`.
SML_INLINE void sml_adamw_lanes(sml_vf *p, sml_vf g, sml_vf *m, sml_vf *v, sml_adamw_coefficients c) {
  const float decay = c.decay, one_minus_beta1 = c.one_minus_beta1, beta2 = c.beta2;
  const float one_minus_beta2 = c.one_minus_beta2, step_size = c.step_size, correction = c.correction;
  const float epsilon = c.epsilon;
  sml_vf decayed = *p * decay;
  sml_vf first = *m + one_minus_beta1 * (g - *m);
  sml_vf second = beta2 * *v + one_minus_beta2 * g * g;
  sml_vf denominator = __builtin_elementwise_sqrt(second) / correction + epsilon;
  *p = decayed - step_size * (first / denominator);
  *m = first;
  *v = second;
}

SML_INLINE void sml_adamw_update_f_body(float *p, const float *g, float *m, float *v, size_t n, sml_adamw_coefficients coefficients) {
  size_t i = 0;
  for (; i + LANES <= n; i += LANES) {
    sml_vf pv = sml_load_f(p + i), mv = sml_load_f(m + i), vv = sml_load_f(v + i);
    sml_adamw_lanes(&pv, sml_load_f(g + i), &mv, &vv, coefficients);
    sml_store_f(p + i, pv);
    sml_store_f(m + i, mv);
    sml_store_f(v + i, vv);
  }
  if (i < n) {
    size_t rest = n - i;
    sml_vf pv = sml_load_tail_f(p + i, rest, 0), mv = sml_load_tail_f(m + i, rest, 0);
    sml_vf vv = sml_load_tail_f(v + i, rest, 0);
    sml_adamw_lanes(&pv, sml_load_tail_f(g + i, rest, 0), &mv, &vv, coefficients);
    sml_store_tail_f(p + i, pv, rest);
    sml_store_tail_f(m + i, mv, rest);
    sml_store_tail_f(v + i, vv, rest);
  }
}

SML_DISPATCH(
  void, sml_adamw_update_f, (float *p, const float *g, float *m, float *v, size_t n, sml_adamw_coefficients coefficients),
  (p, g, m, v, n, coefficients))

#include "internal/instance_end.h"
