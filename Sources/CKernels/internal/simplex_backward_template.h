// The backward pass of the entmax family for one element type; see row_template.h for how templates are
// instantiated.

SML_INLINE VEC SML_NAME(sml_backward_weights)(VEC p, int weights) {
  switch (weights) {
  case SML_WEIGHTS_SUPPORT: return VSELECT(p > 0, (VEC)1, (VEC)0);
  case SML_WEIGHTS_SQUARE_ROOT: return __builtin_elementwise_sqrt(p);
  default: return p;
  }
}

/// `g ⊙ (v − ⟨g, v⟩/Σg)·factor` with `g` derived from `p` by `weights` (a constant at every call site): one
/// pass for `Σg` and `⟨g, v⟩`, one for the output. Square roots are kept in `out` between the passes; the
/// other weights cost less to recompute than to reload. A row whose `p` or `v` holds a NaN or an infinity gets
/// NaN everywhere (the first pass accumulates `(p + v)·0`, NaN exactly then); otherwise a row whose weights do
/// not sum to a positive number gets 0.
SML_INLINE void SML_NAME(sml_weighted_centering)(
  const REAL *p, const REAL *v, REAL *out, size_t n, REAL factor, int weights) {
  VEC totals = 0, dots = 0, poison = 0;
  size_t i = 0;
  for (; i + LANES <= n; i += LANES) {
    VEC pv = SML_NAME(sml_load)(p + i), vv = SML_NAME(sml_load)(v + i);
    VEC g = SML_NAME(sml_backward_weights)(pv, weights);
    if (weights == SML_WEIGHTS_SQUARE_ROOT) SML_NAME(sml_store)(out + i, g);
    totals += g;
    dots += g * vv;
    poison += (pv + vv) * 0;
  }
  if (i < n) {
    VEC pv = SML_NAME(sml_load_tail)(p + i, n - i, 0), vv = SML_NAME(sml_load_tail)(v + i, n - i, 0);
    VEC g = SML_NAME(sml_backward_weights)(pv, weights);
    totals += g;
    dots += g * vv;
    poison += (pv + vv) * 0;
  }
  REAL total = SML_NAME(sml_lane_sum)(totals);
  if (SML_NAME(sml_lane_sum)(poison) != 0 || !(total > 0)) {
    REAL fill = SML_NAME(sml_lane_sum)(poison) != 0 ? (REAL)NAN : 0;
    for (size_t j = 0; j < n; j++) out[j] = fill;
    return;
  }
  REAL mean = SML_NAME(sml_lane_sum)(dots) / total;
  for (i = 0; i + LANES <= n; i += LANES) {
    VEC g = weights == SML_WEIGHTS_SQUARE_ROOT ? SML_NAME(sml_load)(out + i)
                                               : SML_NAME(sml_backward_weights)(SML_NAME(sml_load)(p + i), weights);
    SML_NAME(sml_store)(out + i, g * (SML_NAME(sml_load)(v + i) - mean) * factor);
  }
  if (i < n) {
    VEC g = SML_NAME(sml_backward_weights)(SML_NAME(sml_load_tail)(p + i, n - i, 0), weights);
    SML_NAME(sml_store_tail)(out + i, g * (SML_NAME(sml_load_tail)(v + i, n - i, 0) - mean) * factor, n - i);
  }
}

SML_INLINE void SML_BODY(sml_simplex_backward_row)(
  const REAL *p, const REAL *v, REAL *out, size_t n, REAL factor, sml_backward_weights weights) {
  switch (weights) {
  case SML_WEIGHTS_SUPPORT: SML_NAME(sml_weighted_centering)(p, v, out, n, factor, SML_WEIGHTS_SUPPORT); break;
  case SML_WEIGHTS_SQUARE_ROOT: SML_NAME(sml_weighted_centering)(p, v, out, n, factor, SML_WEIGHTS_SQUARE_ROOT); break;
  default: SML_NAME(sml_weighted_centering)(p, v, out, n, factor, SML_WEIGHTS_AS_GIVEN); break;
  }
}
SML_DISPATCH(
  void, SML_NAME(sml_simplex_backward_row),
  (const REAL *p, const REAL *v, REAL *out, size_t n, REAL factor, sml_backward_weights weights),
  (p, v, out, n, factor, weights))
