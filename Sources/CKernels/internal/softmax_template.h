// The softmax family for one element type (see row_template.h for how templates are instantiated):
// elementwise exponentials, the row reductions the Swift maps compose, softmax, log-softmax and its backward.

SML_INLINE void SML_BODY(sml_exp)(const REAL *x, REAL *out, size_t n) {
  size_t i = 0;
  for (; i + LANES <= n; i += LANES) SML_NAME(sml_store)(out + i, VEXP(SML_NAME(sml_load)(x + i)));
  if (i < n) SML_NAME(sml_store_tail)(out + i, VEXP(SML_NAME(sml_load_tail)(x + i, n - i, 0)), n - i);
}
SML_DISPATCH(void, SML_NAME(sml_exp), (const REAL *x, REAL *out, size_t n), (x, out, n))

SML_DISPATCH(REAL, SML_NAME(sml_row_max), (const REAL *x, size_t n, int *invalid), (x, n, invalid))

SML_INLINE REAL SML_BODY(sml_exp_sum)(const REAL *x, REAL *out, size_t n, REAL shift, REAL scale) {
  return SML_NAME(sml_exp_sum_pass)(x, out, n, shift, scale, 1);
}
SML_DISPATCH(
  REAL, SML_NAME(sml_exp_sum), (const REAL *x, REAL *out, size_t n, REAL shift, REAL scale),
  (x, out, n, shift, scale))

SML_DISPATCH(void, SML_NAME(sml_scale), (REAL *x, size_t n, REAL factor), (x, n, factor))
SML_DISPATCH(REAL, SML_NAME(sml_sum), (const REAL *x, size_t n), (x, n))
SML_DISPATCH(REAL, SML_NAME(sml_dot), (const REAL *a, const REAL *b, size_t n), (a, b, n))

SML_INLINE void SML_BODY(sml_softmax_row)(const REAL *x, REAL *out, size_t n, REAL inverse_temperature) {
  int invalid;
  REAL maximum = SML_BODY(sml_row_max)(x, n, &invalid);
  if (SML_NAME(sml_settle_degenerate)(maximum, invalid, 0, out, n)) return;
  REAL sum = SML_NAME(sml_exp_sum_pass)(x, out, n, maximum, inverse_temperature, 1);
  SML_BODY(sml_scale)(out, n, 1 / sum);
}
SML_DISPATCH(
  void, SML_NAME(sml_softmax_row), (const REAL *x, REAL *out, size_t n, REAL inverse_temperature),
  (x, out, n, inverse_temperature))

/// `out = (x − maximum)·scale − log_sum`, the last pass of log-softmax.
SML_INLINE void SML_NAME(sml_shifted_log_pass)(
  const REAL *x, REAL *out, size_t n, REAL maximum, REAL scale, REAL log_sum, int careful) {
  size_t i = 0;
  for (; i + LANES <= n; i += LANES)
    SML_NAME(sml_store)(
      out + i, SML_NAME(sml_scaled_difference)(SML_NAME(sml_load)(x + i), maximum, scale, careful) - log_sum);
  if (i < n) {
    VEC v = SML_NAME(sml_scaled_difference)(SML_NAME(sml_load_tail)(x + i, n - i, maximum), maximum, scale, careful);
    SML_NAME(sml_store_tail)(out + i, v - log_sum, n - i);
  }
}

SML_INLINE void SML_BODY(sml_log_softmax_row)(const REAL *x, REAL *out, size_t n, REAL inverse_temperature) {
  int invalid;
  REAL maximum = SML_BODY(sml_row_max)(x, n, &invalid);
  if (SML_NAME(sml_settle_degenerate)(maximum, invalid, -INFINITY, out, n)) return;
  REAL sum = SML_NAME(sml_exp_sum_pass)(x, out, n, maximum, inverse_temperature, 0);
  REAL log_sum = (REAL)log((double)sum);
  // Here the difference itself is the output, so a row wide enough for `x − max` to overflow (possible only
  // when the maximum is huge) takes the careful form too.
  const REAL huge = sizeof(REAL) == sizeof(float) ? (REAL)0x1p100 : (REAL)0x1p1000;
  if (SML_NAME(sml_needs_careful_scale)(inverse_temperature) || maximum > huge)
    SML_NAME(sml_shifted_log_pass)(x, out, n, maximum, inverse_temperature, log_sum, 1);
  else
    SML_NAME(sml_shifted_log_pass)(x, out, n, maximum, inverse_temperature, log_sum, 0);
}
SML_DISPATCH(
  void, SML_NAME(sml_log_softmax_row), (const REAL *x, REAL *out, size_t n, REAL inverse_temperature),
  (x, out, n, inverse_temperature))

SML_INLINE VEC SML_NAME(sml_log_softmax_gradient)(VEC log_p, VEC u, REAL total, REAL factor) {
  VEC g = (u - VEXP(log_p) * total) * factor;
  return VSELECT(log_p == -INFINITY, (VEC)0, g);
}

SML_INLINE void SML_BODY(sml_log_softmax_backward_row)(
  const REAL *log_p, const REAL *u, REAL *out, size_t n, REAL factor) {
  REAL total = SML_BODY(sml_sum)(u, n);
  if (total - total != 0) {  // a NaN or an infinity in u: the whole row is undefined
    for (size_t j = 0; j < n; j++) out[j] = (REAL)NAN;
    return;
  }
  size_t i = 0;
  for (; i + LANES <= n; i += LANES)
    SML_NAME(sml_store)(
      out + i,
      SML_NAME(sml_log_softmax_gradient)(SML_NAME(sml_load)(log_p + i), SML_NAME(sml_load)(u + i), total, factor));
  if (i < n)
    SML_NAME(sml_store_tail)(
      out + i,
      SML_NAME(sml_log_softmax_gradient)(
        SML_NAME(sml_load_tail)(log_p + i, n - i, 0), SML_NAME(sml_load_tail)(u + i, n - i, 0), total, factor),
      n - i);
}
SML_DISPATCH(
  void, SML_NAME(sml_log_softmax_backward_row), (const REAL *log_p, const REAL *u, REAL *out, size_t n, REAL factor),
  (log_p, u, out, n, factor))
