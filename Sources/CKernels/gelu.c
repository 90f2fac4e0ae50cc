// The GELU kernel family (see CKernels.h): `sml_gelu_f`, `sml_gelu_backward_f`, `sml_gelu_tanh_f` and
// `sml_gelu_tanh_backward_f`, each a baseline, AVX2+FMA and AVX-512 variant chosen at run time.
#include "internal/kernel_support.h"

#include "internal/instance_float.h"
#include "internal/row_template.h"

// The coefficients below are relative-error least-squares fits (iteratively reweighted towards minimax) made
// in double precision against SciPy's `ndtr` and `erfcx`.

/// `Φ(x) − ½ = x·P(x²)` on `|x| ≤ 1`, relative error 7·10⁻¹⁰ (degree 5 in `x²`).
static const float sml_cdf_centre[6] = {
  3.989422801e-01f, -6.649035993e-02f, 9.973323426e-03f, -1.186329978e-03f, 1.134864030e-04f, -7.654216175e-06f,
};

/// `Φ(−a) = e^{−a²/2}·t·G(t)` with `t = 1/(1 + a/2)` on `1 ≤ a ≤ 14.5`, relative error 3·10⁻⁹ (degree 9 in
/// `t`); beyond 14.5 the tail is below the smallest float.
static const float sml_cdf_tail[10] = {
  1.994736977e-01f, 1.993852799e-01f, 1.508134248e-01f, 4.060362363e-02f, -2.124264998e-02f,
  -2.115794224e-01f, 4.108734300e-02f, 3.580890406e-01f, -3.794290791e-01f, 1.233730561e-01f,
};

static const float sml_inverse_square_root_of_two_pi = 0.39894228040143268f;
static const float sml_square_root_of_two_over_pi = 0.79788456080286536f;
static const float sml_gelu_cubic = 0.044715f;

/// The standard normal distribution function `Φ(x)` of 16 lanes, and in `*gaussian` `e^{−x²/2}`.
///
/// `x²` is split exactly into `h + l` (one fused multiply-add) so that `e^{−x²/2} = e^{−h/2}·(1 − l/2)` keeps its
/// accuracy in the tails, where `x²` is large. Each tail is computed directly (no `1 + erf` cancellation), so the
/// result has a small relative error down to the smallest subnormal. `±inf` give 0 and 1, NaN stays NaN.
SML_INLINE sml_vf sml_normal_cdf_vf(sml_vf x, sml_vf *gaussian) {
  sml_vf a = (sml_vf)((sml_vfi)x & 0x7FFFFFFF);
  sml_vf h = a * a;
  sml_vf l = __builtin_elementwise_fma(a, a, -h);
  l = sml_select_vf(h < INFINITY, l, (sml_vf)0.0f);  // where `x²` overflows, `l` is `±inf` or NaN
  sml_vf e = sml_exp_vf(h * -0.5f);
  e = e - e * (l * 0.5f);
  *gaussian = e;

  sml_vf centre = sml_cdf_centre[5];
  for (int k = 4; k >= 0; k--) centre = centre * h + sml_cdf_centre[k];
  centre = x * centre + 0.5f;

  sml_vf t = 1.0f / (a * 0.5f + 1.0f);
  sml_vf g = sml_cdf_tail[9];
  for (int k = 8; k >= 0; k--) g = g * t + sml_cdf_tail[k];
  sml_vf tail = e * (t * g);
  sml_vf outer = sml_select_vf(x < 0.0f, tail, 1.0f - tail);
  return sml_select_vf(a <= 1.0f, centre, outer);
}

/// The tanh form's `σ(2u) = ½(1 + tanh u)`, `u = √(2/π)·(x + 0.044715·x³)`, of 16 lanes: one exponential of
/// `−|2u|` (`σ(z) = 1/(1 + e^{−z})` for `z ≥ 0`, `e^{z}/(1 + e^{z})` below), so no cancellation where `tanh u` is
/// near −1 and no overflow before the result underflows.
SML_INLINE sml_vf sml_gelu_tanh_logistic_vf(sml_vf x) {
  sml_vf z = (2.0f * sml_square_root_of_two_over_pi) * (x + sml_gelu_cubic * x * x * x);
  sml_vf w = sml_exp_vf((sml_vf)((sml_vfi)z | (sml_vfi)0x80000000));
  return sml_select_vf(z < 0.0f, w, (sml_vf)1.0f) / (1.0f + w);
}

/// `out[i] = x·Φ(x)`.
SML_INLINE sml_vf sml_gelu_value_vf(sml_vf x) {
  sml_vf gaussian;
  return x * sml_normal_cdf_vf(x, &gaussian);
}

/// `Φ(x) + x·φ(x)`.
SML_INLINE sml_vf sml_gelu_derivative_vf(sml_vf x) {
  sml_vf gaussian;
  sml_vf cdf = sml_normal_cdf_vf(x, &gaussian);
  return cdf + x * (gaussian * sml_inverse_square_root_of_two_pi);
}

SML_INLINE sml_vf sml_gelu_tanh_value_vf(sml_vf x) { return x * sml_gelu_tanh_logistic_vf(x); }

/// With `s = σ(2u)`: `s + 2x·s(1 − s)·u′`.
SML_INLINE sml_vf sml_gelu_tanh_derivative_vf(sml_vf x) {
  sml_vf s = sml_gelu_tanh_logistic_vf(x);
  sml_vf inner = sml_square_root_of_two_over_pi * (1.0f + (3.0f * sml_gelu_cubic) * x * x);
  return s + 2.0f * x * s * (1.0f - s) * inner;
}

/// `out[i] = f(x[i])` over the row, the last partial vector padded with zeros.
#define SML_GELU_MAP(f)                                                                       \
  size_t i = 0;                                                                               \
  for (; i + LANES <= n; i += LANES) sml_store_f(out + i, f(sml_load_f(x + i)));              \
  if (i < n) sml_store_tail_f(out + i, f(sml_load_tail_f(x + i, n - i, 0.0f)), n - i);

/// `dx[i] = dy[i]·f′(x[i])`, or `dx[i] += …` when `accumulate`.
#define SML_GELU_BACKWARD(derivative)                                                         \
  size_t i = 0;                                                                               \
  for (; i + LANES <= n; i += LANES) {                                                        \
    sml_vf product = sml_load_f(dy + i) * derivative(sml_load_f(x + i));                      \
    sml_store_f(dx + i, accumulate ? sml_load_f(dx + i) + product : product);                 \
  }                                                                                           \
  if (i < n) {                                                                                \
    size_t rest = n - i;                                                                      \
    sml_vf product = sml_load_tail_f(dy + i, rest, 0.0f) * derivative(sml_load_tail_f(x + i, rest, 0.0f)); \
    sml_store_tail_f(dx + i, accumulate ? sml_load_tail_f(dx + i, rest, 0.0f) + product : product, rest); \
  }

SML_INLINE void sml_gelu_f_body(const float *x, float *out, size_t n) { SML_GELU_MAP(sml_gelu_value_vf) }

SML_INLINE void sml_gelu_tanh_f_body(const float *x, float *out, size_t n) { SML_GELU_MAP(sml_gelu_tanh_value_vf) }

SML_INLINE void sml_gelu_backward_f_body(const float *x, const float *dy, float *dx, size_t n, int accumulate) {
  SML_GELU_BACKWARD(sml_gelu_derivative_vf)
}

SML_INLINE void sml_gelu_tanh_backward_f_body(const float *x, const float *dy, float *dx, size_t n, int accumulate) {
  SML_GELU_BACKWARD(sml_gelu_tanh_derivative_vf)
}

SML_DISPATCH(void, sml_gelu_f, (const float *x, float *out, size_t n), (x, out, n))
SML_DISPATCH(void, sml_gelu_tanh_f, (const float *x, float *out, size_t n), (x, out, n))
SML_DISPATCH(
  void, sml_gelu_backward_f, (const float *x, const float *dy, float *dx, size_t n, int accumulate),
  (x, dy, dx, n, accumulate))
SML_DISPATCH(
  void, sml_gelu_tanh_backward_f, (const float *x, const float *dy, float *dx, size_t n, int accumulate),
  (x, dy, dx, n, accumulate))

#include "internal/instance_end.h"
