// Type-generic inline passes over one row, shared by every kernel family. Included once per element type
// between instance_<type>.h and instance_end.h, which define REAL, VEC, MASK, BITS, LANES, VEXP, VSELECT, SML_NAME.
// Full vectors go through the main loops; the last partial vector is padded with a neutral value.

SML_INLINE VEC SML_NAME(sml_load)(const REAL *p) {
  VEC v;
  memcpy(&v, p, sizeof v);
  return v;
}

SML_INLINE void SML_NAME(sml_store)(REAL *p, VEC v) { memcpy(p, &v, sizeof v); }

/// The `count < LANES` elements at `p`, the other lanes set to `fill`.
SML_INLINE VEC SML_NAME(sml_load_tail)(const REAL *p, size_t count, REAL fill) {
  VEC v = fill;
  memcpy(&v, p, count * sizeof(REAL));
  return v;
}

SML_INLINE void SML_NAME(sml_store_tail)(REAL *p, VEC v, size_t count) { memcpy(p, &v, count * sizeof(REAL)); }

SML_INLINE REAL SML_NAME(sml_lane_sum)(VEC v) {
  REAL sum = 0;
  for (int lane = 0; lane < LANES; lane++) sum += v[lane];
  return sum;
}

/// Bit `l` set where lane `l` of the mask is set.
SML_INLINE unsigned SML_NAME(sml_lane_bits)(MASK mask) {
  return __builtin_bit_cast(BITS_INT, __builtin_convertvector(mask, BITS));
}

/// The row maximum, and in `*invalid` whether the row holds a NaN or `+inf`. NaN never compares greater,
/// so the maximum ignores it; the NaN lanes are collected separately. `*lanes` receives the maximum of each
/// lane (of the elements `l`, `l + LANES`, ...; `-inf` for a lane without elements).
SML_INLINE REAL SML_NAME(sml_row_max_lanes)(const REAL *x, size_t n, int *invalid, VEC *lanes) {
  VEC maxima = -INFINITY;
  MASK nan = 0;
  size_t i = 0;
  for (; i + LANES <= n; i += LANES) {
    VEC v = SML_NAME(sml_load)(x + i);
    maxima = VSELECT(v > maxima, v, maxima);
    nan |= v != v;
  }
  if (i < n) {
    VEC v = SML_NAME(sml_load_tail)(x + i, n - i, -INFINITY);
    maxima = VSELECT(v > maxima, v, maxima);
    nan |= v != v;
  }
  REAL maximum = -INFINITY;
  for (int lane = 0; lane < LANES; lane++)
    if (maxima[lane] > maximum) maximum = maxima[lane];
  *invalid = SML_NAME(sml_lane_bits)(nan) != 0 || maximum == INFINITY;
  *lanes = maxima;
  return maximum;
}

SML_INLINE REAL SML_BODY(sml_row_max)(const REAL *x, size_t n, int *invalid) {
  VEC lanes;
  return SML_NAME(sml_row_max_lanes)(x, n, invalid, &lanes);
}

/// Settles a row the maps cannot normalize: NaN everywhere for an invalid row, `empty` for an all-`-inf` row.
/// Returns 1 when it did, 0 when the row is ordinary.
SML_INLINE int SML_NAME(sml_settle_degenerate)(REAL maximum, int invalid, REAL empty, REAL *out, size_t n) {
  if (!invalid && maximum != -INFINITY) return 0;
  REAL fill = invalid ? (REAL)NAN : empty;
  for (size_t i = 0; i < n; i++) out[i] = fill;
  return 1;
}

/// Whether `(x − shift)·scale` needs ``sml_scaled_difference``'s careful form: a zero or infinite scale
/// (where `-inf·0` and `0·inf` are NaN), or one so small that a difference overflowing to `-inf` could still
/// have a product inside the range of the exponential. Any other scale keeps the plain form exact.
SML_INLINE int SML_NAME(sml_needs_careful_scale)(REAL scale) {
  const REAL smallest_plain = sizeof(REAL) == sizeof(float) ? (REAL)0x1p-100 : (REAL)0x1p-1000;
  return !(scale >= smallest_plain && scale < (REAL)INFINITY);
}

/// `(x − shift)·scale` for `x ≤ shift` or `x = -inf`; `careful` (a constant at every call site) is for the
/// scales ``sml_needs_careful_scale`` flags: halving both terms first keeps the difference finite, `-inf`
/// scores stay `-inf` at a zero scale, and `x = shift` gives 0 at an infinite one.
SML_INLINE VEC SML_NAME(sml_scaled_difference)(VEC x, REAL shift, REAL scale, int careful) {
  if (!careful) return (x - shift) * scale;
  VEC d = (x * (REAL)0.5 - shift * (REAL)0.5) * (scale * 2);
  return VSELECT(d == d, d, VSELECT(x == shift, (VEC)0, (VEC)-INFINITY));
}

/// `Σ e^{(x−shift)·scale}`, also written to `out` when `write` (constants at every call site).
SML_INLINE REAL SML_NAME(sml_exp_sum_pass_)(
  const REAL *x, REAL *out, size_t n, REAL shift, REAL scale, int write, int careful) {
  VEC sums = 0;
  size_t i = 0;
  for (; i + LANES <= n; i += LANES) {
    VEC e = VEXP(SML_NAME(sml_scaled_difference)(SML_NAME(sml_load)(x + i), shift, scale, careful));
    if (write) SML_NAME(sml_store)(out + i, e);
    sums += e;
  }
  if (i < n) {
    VEC e = VEXP(
      SML_NAME(sml_scaled_difference)(SML_NAME(sml_load_tail)(x + i, n - i, -INFINITY), shift, scale, careful));
    if (write) SML_NAME(sml_store_tail)(out + i, e, n - i);
    sums += e;
  }
  return SML_NAME(sml_lane_sum)(sums);
}

/// `Σ e^{(x−shift)·scale}` for scores `x ≤ shift`, also written to `out` when `write` (a constant at every
/// call site); right for every scale from 0 to `+inf` (see ``sml_needs_careful_scale``).
SML_INLINE REAL SML_NAME(sml_exp_sum_pass)(const REAL *x, REAL *out, size_t n, REAL shift, REAL scale, int write) {
  return SML_NAME(sml_needs_careful_scale)(scale) ? SML_NAME(sml_exp_sum_pass_)(x, out, n, shift, scale, write, 1)
                                                  : SML_NAME(sml_exp_sum_pass_)(x, out, n, shift, scale, write, 0);
}

SML_INLINE void SML_BODY(sml_scale)(REAL *x, size_t n, REAL factor) {
  size_t i = 0;
  for (; i + LANES <= n; i += LANES) SML_NAME(sml_store)(x + i, SML_NAME(sml_load)(x + i) * factor);
  for (; i < n; i++) x[i] *= factor;
}

SML_INLINE REAL SML_BODY(sml_dot)(const REAL *a, const REAL *b, size_t n) {
  VEC sums = 0;
  size_t i = 0;
  for (; i + LANES <= n; i += LANES) sums += SML_NAME(sml_load)(a + i) * SML_NAME(sml_load)(b + i);
  if (i < n) sums += SML_NAME(sml_load_tail)(a + i, n - i, 0) * SML_NAME(sml_load_tail)(b + i, n - i, 0);
  return SML_NAME(sml_lane_sum)(sums);
}

SML_INLINE REAL SML_BODY(sml_sum)(const REAL *a, size_t n) {
  VEC sums = 0;
  size_t i = 0;
  for (; i + LANES <= n; i += LANES) sums += SML_NAME(sml_load)(a + i);
  if (i < n) sums += SML_NAME(sml_load_tail)(a + i, n - i, 0);
  return SML_NAME(sml_lane_sum)(sums);
}
