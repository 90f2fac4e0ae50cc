// The sparse simplex projections (sparsemax and 1.5-entmax forward) for one element type; see row_template.h
// for how templates are instantiated. The double-precision thresholds they call live in sparse_simplex.c.

/// Copies `scale·(xᵢ − maximum)` of every score at or above `cut` to `candidates`; returns how many. A block
/// costs one comparison; its candidates are visited through the bits of the comparison mask.
SML_INLINE size_t SML_NAME(sml_candidates_above)(
  const REAL *x, size_t n, REAL maximum, double scale, REAL cut, double *candidates) {
  size_t count = 0, i = 0;
  for (; i + LANES <= n; i += LANES) {
    for (unsigned bits = SML_NAME(sml_lane_bits)(SML_NAME(sml_load)(x + i) >= cut); bits; bits &= bits - 1)
      candidates[count++] = scale * (double)(x[i + __builtin_ctz(bits)] - maximum);
  }
  for (; i < n; i++) {
    candidates[count] = scale * (double)(x[i] - maximum);
    count += x[i] >= cut;
  }
  return count;
}

SML_INLINE VEC SML_NAME(sml_truncated)(VEC x, REAL center, REAL scale, REAL threshold, int squared) {
  VEC v = (x - center) * scale - threshold;
  v = VSELECT(v > 0, v, (VEC)0);
  return squared ? v * v : v;
}

/// `max((x − center)·scale − threshold, 0)`, squared when `squared`, written to `out`.
SML_INLINE void SML_NAME(sml_truncated_power)(
  const REAL *x, REAL *out, size_t n, REAL center, REAL scale, REAL threshold, int squared) {
  size_t i = 0;
  for (; i + LANES <= n; i += LANES)
    SML_NAME(sml_store)(out + i, SML_NAME(sml_truncated)(SML_NAME(sml_load)(x + i), center, scale, threshold, squared));
  if (i < n) {
    VEC v = SML_NAME(sml_load_tail)(x + i, n - i, -INFINITY);
    SML_NAME(sml_store_tail)(out + i, SML_NAME(sml_truncated)(v, center, scale, threshold, squared), n - i);
  }
}

/// The threshold of `count` scaled scores: sparsemax, or 1.5-entmax started from the lower bound `lower`.
SML_INLINE double SML_NAME(sml_sparse_threshold)(double *z, size_t count, double lower, int squared) {
  return squared ? sml_entmax15_threshold(z, count, lower) : sml_sparsemax_threshold(z, count);
}

/// Sparsemax (`squared` 0, scale 1) or 1.5-entmax (`squared` 1, scale 1/2) of one row.
///
/// The threshold of any subset of the scores is a lower bound of the row's threshold, so the threshold of
/// the lane maxima (found by the maximum pass for free) gives a cut that typically leaves a handful of
/// candidates instead of every score within `1/scale` of the maximum. The cut is lowered by a margin far
/// above rounding error, which keeps it a lower bound.
SML_INLINE void SML_NAME(sml_sparse_simplex_row)(const REAL *x, REAL *out, size_t n, double *workspace, int squared) {
  int invalid;
  VEC lanes;
  REAL maximum = SML_NAME(sml_row_max_lanes)(x, n, &invalid, &lanes);
  if (SML_NAME(sml_settle_degenerate)(maximum, invalid, 0, out, n)) return;
  double scale = squared ? 0.5 : 1;
  REAL widest = maximum - (REAL)(1 / scale);
  double lane_scores[LANES];
  size_t count = 0;
  for (int lane = 0; lane < LANES; lane++)
    if (lanes[lane] >= widest) lane_scores[count++] = scale * (double)(lanes[lane] - maximum);
  double bound = SML_NAME(sml_sparse_threshold)(lane_scores, count, -1, squared) - 1e-6;
  double exact_cut = (double)maximum + bound / scale;
  REAL cut = (REAL)exact_cut;
  if ((double)cut > exact_cut) cut = SML_NAME(sml_next_down)(cut);
  if (cut < widest) cut = widest;
  count = SML_NAME(sml_candidates_above)(x, n, maximum, scale, cut, workspace);
  // A lower bound of the threshold at or above every scaled score left out. The clamp to `widest` can round
  // the cut above `maximum − 1/scale` (a float spacing wider than 1/scale), so the cut itself may sit above
  // the threshold; the bound from the lane maxima never does, and everything below the cut is under it.
  double lower = fmin(bound, scale * ((double)cut - (double)maximum));
  double tau = SML_NAME(sml_sparse_threshold)(workspace, count, lower, squared);
  SML_NAME(sml_truncated_power)(x, out, n, maximum, (REAL)scale, (REAL)tau, squared);
}

SML_INLINE void SML_BODY(sml_sparsemax_row)(const REAL *x, REAL *out, size_t n, double *workspace) {
  SML_NAME(sml_sparse_simplex_row)(x, out, n, workspace, 0);
}
SML_DISPATCH(
  void, SML_NAME(sml_sparsemax_row), (const REAL *x, REAL *out, size_t n, double *workspace), (x, out, n, workspace))

SML_INLINE void SML_BODY(sml_entmax15_row)(const REAL *x, REAL *out, size_t n, double *workspace) {
  SML_NAME(sml_sparse_simplex_row)(x, out, n, workspace, 1);
}
SML_DISPATCH(
  void, SML_NAME(sml_entmax15_row), (const REAL *x, REAL *out, size_t n, double *workspace), (x, out, n, workspace))
