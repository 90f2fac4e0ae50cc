// Monarch micro-kernels: the packed forward multiply of a tile of batch rows, and the top singular pair of one
// slice for rank-1 projection. Each kernel is one always-inline body written with 16-lane vector types and
// instantiated three times: for AVX-512 (one zmm per vector), AVX2+FMA and baseline x86-64, chosen at run time.
#include "CKernels.h"
#include "internal/float_lanes16.h"
#include "internal/vector_level.h"

#include <math.h>
#include <string.h>

// The vector helpers are always inlined into a function of one target, so no vector ever crosses a call
// boundary and the ABI note for 64-byte vectors on the baseline target does not apply.
#pragma clang diagnostic ignored "-Wpsabi"

#define SML_INLINE static inline __attribute__((always_inline))
#define SML_AVX512 __attribute__((target("avx512f,avx512dq")))
#define SML_AVX2 __attribute__((target("avx2,fma")))

SML_INLINE float sml_sum16(sml_f32x16 v) {
  float sum = 0;
  for (int i = 0; i < 16; i++) sum += v[i];
  return sum;
}

// MARK: - Packed forward multiply

/// The most batch rows of a register block, in either step.
#define SML_MAX_BLOCK_ROWS 6

/// Rows `b0 ..< b0+R` and 16-column chunks `c0 ..< c0+C` of the first factor for the block whose middle rows
/// start at `rr0`: `Σ_pp x[b][pp] · w1t[pp][qq]` is middle index `(rr0 + qq / l)·l + qq % l`, stored in the
/// lane-chunk-major layout `h[ll / 16][b][rr][ll % 16]` (`r` middle rows).
SML_INLINE void sml_first_micro(
    const float *x, ptrdiff_t ldx, const float *w1t, int p, int q, int l, int r, int rows, int b0, int c0, int rr0,
    float *h, const int R, const int C) {
  sml_f32x16 acc[SML_MAX_BLOCK_ROWS][4];
  for (int i = 0; i < R; i++)
    for (int c = 0; c < C; c++) acc[i][c] = (sml_f32x16){0};
  for (int pp = 0; pp < p; pp++) {
    sml_f32x16 w[4];
    for (int c = 0; c < C; c++) w[c] = sml_load16(w1t + (ptrdiff_t)pp * q + (c0 + c) * 16);
    for (int i = 0; i < R; i++) {
      sml_f32x16 xi = sml_splat16(x[(ptrdiff_t)(b0 + i) * ldx + pp]);
      for (int c = 0; c < C; c++) acc[i][c] += xi * w[c];
    }
  }
  for (int c = 0; c < C; c++) {
    int qq = (c0 + c) * 16, lanes = (qq % l) / 16;
    float *base = h + ((ptrdiff_t)lanes * rows * r + rr0 + qq / l) * 16;
    for (int i = 0; i < R; i++) sml_store16(base + (ptrdiff_t)(b0 + i) * r * 16, acc[i][c]);
  }
}

/// Rows `b0 ..< b0+R`, outputs `ss0 ..< ss0+S` and lanes `16·lanes ..< 16·lanes + 16` of the second factor:
/// `y[b][ss·l + ll] = Σ_rr w2p[ll / 16][ss][rr][ll % 16] · h[ll / 16][b][rr][ll % 16]`; both operands are read
/// as contiguous runs over `rr`.
SML_INLINE void sml_second_micro(
    const float *h, const float *w2p, int r, int l, int s, int rows, int b0, int ss0, int lanes, float *y,
    ptrdiff_t ldy, const int R, const int S) {
  const float *hb = h + ((ptrdiff_t)lanes * rows + b0) * r * 16;
  const float *wb = w2p + ((ptrdiff_t)lanes * s + ss0) * r * 16;
  sml_f32x16 acc[SML_MAX_BLOCK_ROWS][4];
  for (int i = 0; i < R; i++)
    for (int j = 0; j < S; j++) acc[i][j] = (sml_f32x16){0};
  for (int rr = 0; rr < r; rr++) {
    sml_f32x16 hv[SML_MAX_BLOCK_ROWS];
    for (int i = 0; i < R; i++) hv[i] = sml_load16(hb + ((ptrdiff_t)i * r + rr) * 16);
    for (int j = 0; j < S; j++) {
      sml_f32x16 w = sml_load16(wb + ((ptrdiff_t)j * r + rr) * 16);
      for (int i = 0; i < R; i++) acc[i][j] += hv[i] * w;
    }
  }
  for (int i = 0; i < R; i++)
    for (int j = 0; j < S; j++)
      sml_store16(y + (ptrdiff_t)(b0 + i) * ldy + (ptrdiff_t)(ss0 + j) * l + lanes * 16, acc[i][j]);
}

/// `sml_first_micro` for the last `count < SML_MAX_BLOCK_ROWS` rows of a tile, as one register block of
/// exactly `count` rows (so the tail keeps `count · C` independent accumulators).
SML_INLINE void sml_first_tail(
    const float *x, ptrdiff_t ldx, const float *w1t, int p, int q, int l, int r, int rows, int b0, int c0, int rr0,
    float *h, int count, const int C) {
  switch (count) {
    case 1: sml_first_micro(x, ldx, w1t, p, q, l, r, rows, b0, c0, rr0, h, 1, C); break;
    case 2: sml_first_micro(x, ldx, w1t, p, q, l, r, rows, b0, c0, rr0, h, 2, C); break;
    case 3: sml_first_micro(x, ldx, w1t, p, q, l, r, rows, b0, c0, rr0, h, 3, C); break;
    case 4: sml_first_micro(x, ldx, w1t, p, q, l, r, rows, b0, c0, rr0, h, 4, C); break;
    default: sml_first_micro(x, ldx, w1t, p, q, l, r, rows, b0, c0, rr0, h, 5, C); break;
  }
}

/// `sml_second_micro` for the last `count < SML_MAX_BLOCK_ROWS` rows of a tile, as one register block of
/// exactly `count` rows.
SML_INLINE void sml_second_tail(
    const float *h, const float *w2p, int r, int l, int s, int rows, int b0, int ss0, int lanes, float *y,
    ptrdiff_t ldy, int count, const int S) {
  switch (count) {
    case 1: sml_second_micro(h, w2p, r, l, s, rows, b0, ss0, lanes, y, ldy, 1, S); break;
    case 2: sml_second_micro(h, w2p, r, l, s, rows, b0, ss0, lanes, y, ldy, 2, S); break;
    case 3: sml_second_micro(h, w2p, r, l, s, rows, b0, ss0, lanes, y, ldy, 3, S); break;
    case 4: sml_second_micro(h, w2p, r, l, s, rows, b0, ss0, lanes, y, ldy, 4, S); break;
    default: sml_second_micro(h, w2p, r, l, s, rows, b0, ss0, lanes, y, ldy, 5, S); break;
  }
}

/// The whole forward multiply of one tile, register blocks `R1 × C1` (first factor) and `R2 × S2` (second);
/// the rows that the blocks leave over form one smaller block.
SML_INLINE void sml_forward_tile(
    const float *x, ptrdiff_t ldx, int rows, const float *w1t, const float *w2p, int k, int p, int rank, int l,
    int s, float *h, float *y, ptrdiff_t ldy, const int R1, const int C1, const int R2, const int S2) {
  const int q = rank * l, r = rank * k, chunks = q / 16;
  for (int kk = 0; kk < k; kk++) {
    const float *xk = x + (ptrdiff_t)kk * p;
    const float *wk = w1t + (ptrdiff_t)kk * p * q;
    const int rr0 = kk * rank;
    int c0 = 0;
    for (; c0 + C1 <= chunks; c0 += C1) {
      int b0 = 0;
      for (; b0 + R1 <= rows; b0 += R1) sml_first_micro(xk, ldx, wk, p, q, l, r, rows, b0, c0, rr0, h, R1, C1);
      if (b0 < rows) sml_first_tail(xk, ldx, wk, p, q, l, r, rows, b0, c0, rr0, h, rows - b0, C1);
    }
    for (; c0 < chunks; c0++) {
      int b0 = 0;
      for (; b0 + R1 <= rows; b0 += R1) sml_first_micro(xk, ldx, wk, p, q, l, r, rows, b0, c0, rr0, h, R1, 1);
      if (b0 < rows) sml_first_tail(xk, ldx, wk, p, q, l, r, rows, b0, c0, rr0, h, rows - b0, 1);
    }
  }
  for (int lanes = 0; lanes < l / 16; lanes++) {
    int ss0 = 0;
    for (; ss0 + S2 <= s; ss0 += S2) {
      int b0 = 0;
      for (; b0 + R2 <= rows; b0 += R2) sml_second_micro(h, w2p, r, l, s, rows, b0, ss0, lanes, y, ldy, R2, S2);
      if (b0 < rows) sml_second_tail(h, w2p, r, l, s, rows, b0, ss0, lanes, y, ldy, rows - b0, S2);
    }
    for (; ss0 < s; ss0++) {
      int b0 = 0;
      for (; b0 + R2 <= rows; b0 += R2) sml_second_micro(h, w2p, r, l, s, rows, b0, ss0, lanes, y, ldy, R2, 1);
      if (b0 < rows) sml_second_tail(h, w2p, r, l, s, rows, b0, ss0, lanes, y, ldy, rows - b0, 1);
    }
  }
}

#define SML_FORWARD_ARGUMENTS                                                                                  \
  const float *x, ptrdiff_t ldx, int rows, const float *w1t, const float *w2p, int k, int p, int rank, int l, \
      int s, float *h, float *y, ptrdiff_t ldy
#define SML_FORWARD_PASS x, ldx, rows, w1t, w2p, k, p, rank, l, s, h, y, ldy

SML_AVX512 static void sml_forward_tile_avx512(SML_FORWARD_ARGUMENTS) {
  sml_forward_tile(SML_FORWARD_PASS, 6, 4, 6, 4);
}
SML_AVX2 static void sml_forward_tile_avx2(SML_FORWARD_ARGUMENTS) { sml_forward_tile(SML_FORWARD_PASS, 4, 1, 2, 2); }
static void sml_forward_tile_baseline(SML_FORWARD_ARGUMENTS) { sml_forward_tile(SML_FORWARD_PASS, 2, 1, 1, 2); }

void sml_monarch_forward_tile_f32(SML_FORWARD_ARGUMENTS, int level) {
  switch (sml_effective_vector_level(level)) {
    case 3: sml_forward_tile_avx512(SML_FORWARD_PASS); break;
    case 2: sml_forward_tile_avx2(SML_FORWARD_PASS); break;
    default: sml_forward_tile_baseline(SML_FORWARD_PASS); break;
  }
}

// MARK: - Top singular pair of a slice

/// `out[0 ..< 16·chunks] = Σ_i coefficients[i] · m[i][0 ..< 16·chunks]` over `count` rows of stride `ld`.
SML_INLINE void sml_combine_rows(
    const float *m, ptrdiff_t ld, const float *coefficients, int count, int chunks, float *out) {
  for (int c = 0; c < chunks; c++) {
    sml_f32x16 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    int i = 0;
    for (; i + 4 <= count; i += 4) {
      a0 += sml_splat16(coefficients[i]) * sml_load16(m + i * ld + c * 16);
      a1 += sml_splat16(coefficients[i + 1]) * sml_load16(m + (i + 1) * ld + c * 16);
      a2 += sml_splat16(coefficients[i + 2]) * sml_load16(m + (i + 2) * ld + c * 16);
      a3 += sml_splat16(coefficients[i + 3]) * sml_load16(m + (i + 3) * ld + c * 16);
    }
    for (; i < count; i++) a0 += sml_splat16(coefficients[i]) * sml_load16(m + i * ld + c * 16);
    sml_store16(out + c * 16, (a0 + a1) + (a2 + a3));
  }
}

SML_INLINE float sml_dot_chunks(const float *a, const float *b, int chunks) {
  sml_f32x16 sum = {0};
  for (int c = 0; c < chunks; c++) sum += sml_load16(a + c * 16) * sml_load16(b + c * 16);
  return sml_sum16(sum);
}

SML_INLINE void sml_axpy_chunks(float alpha, const float *x, float *y, int chunks) {
  for (int c = 0; c < chunks; c++) sml_store16(y + c * 16, sml_load16(y + c * 16) + sml_splat16(alpha) * sml_load16(x + c * 16));
}

/// The largest eigenvalue of the symmetric tridiagonal matrix (diagonal `a`, off-diagonal `b`, order `m`) by
/// bisection on Sturm counts, and its unit eigenvector by inverse iteration.
static double sml_tridiagonal_top(const double *a, const double *b, int m, double *y) {
  double lower = INFINITY, upper = -INFINITY;
  for (int i = 0; i < m; i++) {
    double radius = (i > 0 ? fabs(b[i - 1]) : 0) + (i < m - 1 ? fabs(b[i]) : 0);
    if (a[i] - radius < lower) lower = a[i] - radius;
    if (a[i] + radius > upper) upper = a[i] + radius;
  }
  for (int iteration = 0; iteration < 200; iteration++) {
    double middle = 0.5 * (lower + upper);
    if (middle <= lower || middle >= upper) break;
    int below = 0;
    double d = 1;
    for (int i = 0; i < m; i++) {
      d = a[i] - middle - (i > 0 ? b[i - 1] * b[i - 1] / d : 0);
      if (d == 0) d = 1e-300;
      if (d < 0) below++;
    }
    if (below == m) upper = middle; else lower = middle;
  }
  double shift = upper + fmax(fabs(upper), 1e-300) * 1e-10;
  double diagonal[SML_MONARCH_MAX_LANCZOS_STEPS], rhs[SML_MONARCH_MAX_LANCZOS_STEPS];
  for (int i = 0; i < m; i++) y[i] = 1;
  for (int sweep = 0; sweep < 3; sweep++) {
    for (int i = 0; i < m; i++) {
      diagonal[i] = a[i] - shift;
      rhs[i] = y[i];
    }
    for (int i = 1; i < m; i++) {
      if (diagonal[i - 1] == 0) diagonal[i - 1] = 1e-300;
      double factor = b[i - 1] / diagonal[i - 1];
      diagonal[i] -= factor * b[i - 1];
      rhs[i] -= factor * rhs[i - 1];
    }
    if (diagonal[m - 1] == 0) diagonal[m - 1] = 1e-300;
    y[m - 1] = rhs[m - 1] / diagonal[m - 1];
    for (int i = m - 2; i >= 0; i--) y[i] = (rhs[i] - b[i] * y[i + 1]) / diagonal[i];
    double norm = 0;
    for (int i = 0; i < m; i++) norm += y[i] * y[i];
    norm = sqrt(norm);
    for (int i = 0; i < m; i++) y[i] /= norm;
  }
  return upper;
}

/// Refines a right singular vector in double: `v` normalized, `u = A v / σ` with `σ = ‖A v‖`, and the
/// residual `‖A − σ u vᵀ‖²` of the factors. The sums may be reassociated, so they vectorize.
SML_INLINE double sml_refine_pair(const float *a, int lda, int rows, int cols, double *u, double *v, double *error2) {
  _Pragma("clang fp reassociate(on)")
  double vv = 0;
  for (int j = 0; j < cols; j++) vv += v[j] * v[j];
  vv = sqrt(vv);
  for (int j = 0; j < cols; j++) v[j] /= vv;
  double sigma2 = 0, error = 0;
  for (int i = 0; i < rows; i++) {
    const float *row = a + (ptrdiff_t)i * lda;
    double sum = 0;
    for (int j = 0; j < cols; j++) sum += row[j] * v[j];
    u[i] = sum;
    sigma2 += sum * sum;
    for (int j = 0; j < cols; j++) {
      double residual = row[j] - sum * v[j];
      error += residual * residual;
    }
  }
  *error2 = error;
  double sigma = sqrt(sigma2);
  if (sigma > 0)
    for (int i = 0; i < rows; i++) u[i] /= sigma;
  return sigma;
}

SML_INLINE int sml_round16(int n) { return (n + 15) / 16 * 16; }

size_t sml_monarch_top_singular_workspace(int rows, int cols, int steps) {
  size_t ra = (size_t)sml_round16(rows), ca = (size_t)sml_round16(cols);
  return rows * ca + cols * ra + (size_t)(steps + 1) * ca + 2 * ra;
}

SML_INLINE double sml_top_singular(
    const float *w, ptrdiff_t row_stride, int rows, int cols, int steps, float *workspace, double *u, double *v,
    double *norm2, double *error2) {
  const int ra = sml_round16(rows), ca = sml_round16(cols), rchunks = ra / 16, cchunks = ca / 16;
  float *a = workspace;                      // rows × ca, zero-padded columns
  float *at = a + (ptrdiff_t)rows * ca;      // cols × ra, zero-padded columns
  float *basis = at + (ptrdiff_t)cols * ra;  // steps × ca Lanczos vectors
  float *z = basis + (ptrdiff_t)steps * ca;  // ca
  float *t = z + ca;                         // ra
  float *column = t + ra;                    // ra
  double norm = 0;
  for (int i = 0; i < rows; i++) {
    for (int j = 0; j < cols; j++) {
      float value = w[i * row_stride + j];
      a[(ptrdiff_t)i * ca + j] = value;
      at[(ptrdiff_t)j * ra + i] = value;
      norm += (double)value * value;
    }
    for (int j = cols; j < ca; j++) a[(ptrdiff_t)i * ca + j] = 0;
  }
  for (int j = 0; j < cols; j++)
    for (int i = rows; i < ra; i++) at[(ptrdiff_t)j * ra + i] = 0;
  *norm2 = norm;
  for (int i = 0; i < rows; i++) u[i] = 0;
  for (int j = 0; j < cols; j++) v[j] = 0;
  if (!(norm > 0) || !isfinite(norm)) {
    *error2 = norm;
    return 0;
  }
  // Start from AᵀA e_i for the column i of largest norm: Aᵀ a_i.
  int start = 0;
  float best = -1;
  for (int j = 0; j < cols; j++) {
    float squared = sml_dot_chunks(at + (ptrdiff_t)j * ra, at + (ptrdiff_t)j * ra, rchunks);
    if (squared > best) best = squared, start = j;
  }
  memcpy(column, at + (ptrdiff_t)start * ra, sizeof(float) * ra);
  sml_combine_rows(a, ca, column, rows, cchunks, z);
  double alpha[SML_MONARCH_MAX_LANCZOS_STEPS], beta[SML_MONARCH_MAX_LANCZOS_STEPS], y[SML_MONARCH_MAX_LANCZOS_STEPS];
  int m = 0;
  float length = sqrtf(sml_dot_chunks(z, z, cchunks));
  if (length > 0) {
    for (int e = 0; e < ca; e++) basis[e] = z[e] / length;
    for (int j = 0; j < steps; j++) {
      const float *qj = basis + (ptrdiff_t)j * ca;
      sml_combine_rows(at, ra, qj, cols, rchunks, t);  // t = A q_j
      sml_combine_rows(a, ca, t, rows, cchunks, z);    // z = Aᵀ A q_j
      alpha[j] = sml_dot_chunks(z, qj, cchunks);
      m = j + 1;
      // Full reorthogonalization, twice, keeps the basis orthonormal in single precision.
      for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i <= j; i++)
          sml_axpy_chunks(-sml_dot_chunks(z, basis + (ptrdiff_t)i * ca, cchunks), basis + (ptrdiff_t)i * ca, z, cchunks);
      double next = sqrt((double)sml_dot_chunks(z, z, cchunks));
      if (j == steps - 1 || next <= 1e-6 * fabs(alpha[0])) break;
      beta[j] = next;
      for (int e = 0; e < ca; e++) basis[(ptrdiff_t)(j + 1) * ca + e] = (float)(z[e] / next);
    }
  }
  if (m == 0) {
    v[start] = 1;
  } else {
    sml_tridiagonal_top(alpha, beta, m, y);
    for (int j = 0; j < cols; j++) {
      double sum = 0;
      for (int i = 0; i < m; i++) sum += y[i] * basis[(ptrdiff_t)i * ca + j];
      v[j] = sum;
    }
  }
  return sml_refine_pair(a, ca, rows, cols, u, v, error2);
}

#define SML_TOP_SINGULAR_ARGUMENTS                                                                              \
  const float *w, ptrdiff_t row_stride, int rows, int cols, int steps, float *workspace, double *u, double *v, \
      double *norm2, double *error2
#define SML_TOP_SINGULAR_PASS w, row_stride, rows, cols, steps, workspace, u, v, norm2, error2

SML_AVX512 static double sml_top_singular_avx512(SML_TOP_SINGULAR_ARGUMENTS) {
  return sml_top_singular(SML_TOP_SINGULAR_PASS);
}
SML_AVX2 static double sml_top_singular_avx2(SML_TOP_SINGULAR_ARGUMENTS) {
  return sml_top_singular(SML_TOP_SINGULAR_PASS);
}
static double sml_top_singular_baseline(SML_TOP_SINGULAR_ARGUMENTS) { return sml_top_singular(SML_TOP_SINGULAR_PASS); }

double sml_monarch_top_singular_f32(SML_TOP_SINGULAR_ARGUMENTS, int level) {
  if (steps > SML_MONARCH_MAX_LANCZOS_STEPS) steps = SML_MONARCH_MAX_LANCZOS_STEPS;
  if (steps < 1) steps = 1;
  switch (sml_effective_vector_level(level)) {
    case 3: return sml_top_singular_avx512(SML_TOP_SINGULAR_PASS);
    case 2: return sml_top_singular_avx2(SML_TOP_SINGULAR_PASS);
    default: return sml_top_singular_baseline(SML_TOP_SINGULAR_PASS);
  }
}
