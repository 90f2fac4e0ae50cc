// The sparse simplex projections (sparsemax and 1.5-entmax forward) for one element type; see row_template.h
// for how templates are instantiated. The double-precision thresholds they call live in sparse_simplex.c.

/// Copies `scale·(xᵢ − maximum)` of every score at or above `maximum − 1/scale` to `candidates`; returns how
/// many. Blocks without a candidate cost one comparison; inside a block the copy is branch-free.
SML_INLINE size_t SML_BODY(sml_simplex_candidates)(
  const REAL *x, size_t n, REAL maximum, double scale, double *candidates) {
  REAL cut = maximum - (REAL)(1 / scale);
  size_t count = 0, i = 0;
  for (; i + LANES <= n; i += LANES) {
    VEC v = SML_NAME(sml_load)(x + i);
    if (!SML_NAME(sml_any)(v >= cut)) continue;
    for (int lane = 0; lane < LANES; lane++) {
      candidates[count] = scale * (double)(v[lane] - maximum);
      count += v[lane] >= cut;
    }
  }
  for (; i < n; i++) {
    candidates[count] = scale * (double)(x[i] - maximum);
    count += x[i] >= cut;
  }
  return count;
}
SML_DISPATCH(
  size_t, SML_NAME(sml_simplex_candidates), (const REAL *x, size_t n, REAL maximum, double scale, double *candidates),
  (x, n, maximum, scale, candidates))

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

/// Sparsemax (`squared` 0, scale 1) or 1.5-entmax (`squared` 1, scale 1/2) of one row.
SML_INLINE void SML_NAME(sml_sparse_simplex_row)(const REAL *x, REAL *out, size_t n, double *workspace, int squared) {
  int invalid;
  REAL maximum = SML_BODY(sml_row_max)(x, n, &invalid);
  if (SML_NAME(sml_settle_degenerate)(maximum, invalid, 0, out, n)) return;
  double scale = squared ? 0.5 : 1;
  size_t count = SML_BODY(sml_simplex_candidates)(x, n, maximum, scale, workspace);
  double tau = squared ? sml_entmax15_threshold(workspace, count) : sml_sparsemax_threshold(workspace, count);
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
