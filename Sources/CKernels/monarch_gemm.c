// Monarch block products: one strided single-precision GEMM that every block step of the Monarch transposed
// multiply, the factor gradients and the forward on transposed factors reduces to.
//
// Symbols: sml_monarch_gemm_f32, sml_monarch_gemm_nt_f32, sml_monarch_transposed_lanes_f32 and
// sml_transpose_f32 (each dispatching to static AVX-512, AVX2+FMA and baseline copies).
//
// The kernel broadcasts one element of `A` at a time and multiplies it into whole 16-float runs of a row of
// `B`, so `A` may have any row and column strides (plain, transposed, or a strided gather such as a Monarch
// permutation) while `B` and `C` need unit column stride. It blocks the depth (`SML_GEMM_DEPTH_BLOCK`) and the
// rows (`SML_GEMM_ROW_BLOCK`) so that a 16·C-column panel of `B` stays in L1 while the rows of `A` stream from L2,
// and it handles every remainder: rows that no register block divides run as one smaller block, and the last
// `n mod 16` columns run on a zero-padded copy of their `B` panel with results copied out of a staging tile.
#include "internal/float_lanes16.h"
#include "internal/kernel_support.h"

#include <string.h>

/// The most rows of a register block.
#define SML_GEMM_MAX_ROWS 6
/// The most 16-column chunks of a register block.
#define SML_GEMM_MAX_CHUNKS 4
/// The depth handled in one pass over `C` (a 16·C-column panel of `B` is at most 16 KB per chunk).
#define SML_GEMM_DEPTH_BLOCK 256
/// The rows of `A` handled against one panel of `B` before moving to the next (96 KB of `A` at full depth).
#define SML_GEMM_ROW_BLOCK 96

/// One register block: `C[i][16c ..< 16c+16] (+)= Σ_t A[i·ars + t·acs] · B[t·ldb + 16c ...]` for `i < R`,
/// `c < C`, `t < depth`; `load` says whether `C` is read first.
SML_INLINE void sml_gemm_micro(
    int depth, const float *a, ptrdiff_t ars, ptrdiff_t acs, const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc,
    int load, const int R, const int C) {
  sml_f32x16 acc[SML_GEMM_MAX_ROWS][SML_GEMM_MAX_CHUNKS];
  for (int i = 0; i < R; i++)
    for (int j = 0; j < C; j++) acc[i][j] = load ? sml_load16(c + i * ldc + 16 * j) : (sml_f32x16){0};
  for (int t = 0; t < depth; t++) {
    sml_f32x16 w[SML_GEMM_MAX_CHUNKS];
    for (int j = 0; j < C; j++) w[j] = sml_load16(b + t * ldb + 16 * j);
    for (int i = 0; i < R; i++) {
      sml_f32x16 ai = sml_splat16(a[i * ars + t * acs]);
      for (int j = 0; j < C; j++) acc[i][j] += ai * w[j];
    }
  }
  for (int i = 0; i < R; i++)
    for (int j = 0; j < C; j++) sml_store16(c + i * ldc + 16 * j, acc[i][j]);
}

/// `sml_gemm_micro` for `count < R` rows, as one block of exactly `count` rows.
SML_INLINE void sml_gemm_micro_rows(
    int count, int depth, const float *a, ptrdiff_t ars, ptrdiff_t acs, const float *b, ptrdiff_t ldb, float *c,
    ptrdiff_t ldc, int load, const int C) {
  switch (count) {
    case 1: sml_gemm_micro(depth, a, ars, acs, b, ldb, c, ldc, load, 1, C); break;
    case 2: sml_gemm_micro(depth, a, ars, acs, b, ldb, c, ldc, load, 2, C); break;
    case 3: sml_gemm_micro(depth, a, ars, acs, b, ldb, c, ldc, load, 3, C); break;
    case 4: sml_gemm_micro(depth, a, ars, acs, b, ldb, c, ldc, load, 4, C); break;
    default: sml_gemm_micro(depth, a, ars, acs, b, ldb, c, ldc, load, 5, C); break;
  }
}

/// Rows `i0 ..< i1` of one column panel, register blocks of `R` rows (the rest as one smaller block).
SML_INLINE void sml_gemm_rows(
    int i0, int i1, int depth, const float *a, ptrdiff_t ars, ptrdiff_t acs, const float *b, ptrdiff_t ldb, float *c,
    ptrdiff_t ldc, int load, const int R, const int C) {
  int i = i0;
  for (; i + R <= i1; i += R) sml_gemm_micro(depth, a + i * ars, ars, acs, b, ldb, c + i * ldc, ldc, load, R, C);
  if (i < i1) sml_gemm_micro_rows(i1 - i, depth, a + i * ars, ars, acs, b, ldb, c + i * ldc, ldc, load, C);
}

/// The last `width < 16` columns of rows `i0 ..< i1` for depths `t0 ..< t0 + depth`: the panel of `B` is
/// copied zero-padded to 16 columns, each row of `C` goes through a 16-float staging row.
SML_INLINE void sml_gemm_tail_columns(
    int i0, int i1, int depth, const float *a, ptrdiff_t ars, ptrdiff_t acs, const float *b, ptrdiff_t ldb, float *c,
    ptrdiff_t ldc, int width, int load, const int R) {
  float panel[SML_GEMM_DEPTH_BLOCK * 16];
  float staging[SML_GEMM_MAX_ROWS * 16];
  for (int t = 0; t < depth; t++) {
    for (int j = 0; j < width; j++) panel[t * 16 + j] = b[t * ldb + j];
    for (int j = width; j < 16; j++) panel[t * 16 + j] = 0;
  }
  for (int i = i0; i < i1; i += R) {
    int rows = i1 - i < R ? i1 - i : R;
    for (int ii = 0; ii < rows; ii++)
      for (int j = 0; j < 16; j++) staging[ii * 16 + j] = load && j < width ? c[(i + ii) * ldc + j] : 0;
    if (rows == R) sml_gemm_micro(depth, a + i * ars, ars, acs, panel, 16, staging, 16, 1, R, 1);
    else sml_gemm_micro_rows(rows, depth, a + i * ars, ars, acs, panel, 16, staging, 16, 1, 1);
    for (int ii = 0; ii < rows; ii++)
      for (int j = 0; j < width; j++) c[(i + ii) * ldc + j] = staging[ii * 16 + j];
  }
}

/// The whole product with register blocks of `R` rows by `C` chunks of 16 columns.
SML_INLINE void sml_monarch_gemm_f32_body(
    int m, int n, int depth, const float *a, ptrdiff_t ars, ptrdiff_t acs, const float *b, ptrdiff_t ldb, float *c,
    ptrdiff_t ldc, int accumulate, const int R, const int C) {
  if (m <= 0 || n <= 0) return;
  if (depth <= 0) {
    if (!accumulate)
      for (int i = 0; i < m; i++) memset(c + (ptrdiff_t)i * ldc, 0, sizeof(float) * (size_t)n);
    return;
  }
  const int full = n / 16 * 16, tail = n - full;
  for (int t0 = 0; t0 < depth; t0 += SML_GEMM_DEPTH_BLOCK) {
    const int td = depth - t0 < SML_GEMM_DEPTH_BLOCK ? depth - t0 : SML_GEMM_DEPTH_BLOCK;
    const int load = accumulate || t0 > 0;
    const float *at = a + t0 * acs;
    const float *bt = b + t0 * ldb;
    for (int i0 = 0; i0 < m; i0 += SML_GEMM_ROW_BLOCK) {
      const int i1 = m - i0 < SML_GEMM_ROW_BLOCK ? m : i0 + SML_GEMM_ROW_BLOCK;
      int j = 0;
      for (; j + 16 * C <= full; j += 16 * C) sml_gemm_rows(i0, i1, td, at, ars, acs, bt + j, ldb, c + j, ldc, load, R, C);
      for (; j < full; j += 16) sml_gemm_rows(i0, i1, td, at, ars, acs, bt + j, ldb, c + j, ldc, load, R, 1);
      if (tail) sml_gemm_tail_columns(i0, i1, td, at, ars, acs, bt + full, ldb, c + full, ldc, tail, load, R);
    }
  }
}

// MARK: - Dot-product form for a few rows

/// The sum of the 16 lanes.
SML_INLINE float sml_gemm_sum(sml_f32x16 v) {
  float sum = 0;
  for (int i = 0; i < 16; i++) sum += v[i];
  return sum;
}

/// `C[i][j] = Σ_t A[i][t] · B[j][t]` for `i < R` and `j < J`: `R·J` dot products over contiguous runs.
SML_INLINE void sml_gemm_nt_micro(
    int depth, const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc, const int R,
    const int J) {
  sml_f32x16 acc[2][4];
  for (int i = 0; i < R; i++)
    for (int j = 0; j < J; j++) acc[i][j] = (sml_f32x16){0};
  const int full = depth / 16 * 16;
  for (int t = 0; t < full; t += 16) {
    sml_f32x16 av[2];
    for (int i = 0; i < R; i++) av[i] = sml_load16(a + i * lda + t);
    for (int j = 0; j < J; j++) {
      sml_f32x16 bv = sml_load16(b + j * ldb + t);
      for (int i = 0; i < R; i++) acc[i][j] += av[i] * bv;
    }
  }
  for (int i = 0; i < R; i++)
    for (int j = 0; j < J; j++) {
      float sum = sml_gemm_sum(acc[i][j]);
      for (int t = full; t < depth; t++) sum += a[i * lda + t] * b[j * ldb + t];
      c[i * ldc + j] = sum;
    }
}

/// The whole dot-product form: blocks of 4 rows of `B` (held in L1) against every row of `A`, `R` at a time.
SML_INLINE void sml_monarch_gemm_nt_f32_body(
    int m, int n, int depth, const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc,
    const int R) {
  for (int j = 0; j < n; j += 4) {
    const int J = n - j < 4 ? n - j : 4;
    for (int i = 0; i < m; i += R) {
      const float *ai = a + i * lda, *bj = b + j * ldb;
      float *cij = c + i * ldc + j;
      if (R == 2 && m - i >= 2) {
        switch (J) {
          case 4: sml_gemm_nt_micro(depth, ai, lda, bj, ldb, cij, ldc, 2, 4); break;
          case 3: sml_gemm_nt_micro(depth, ai, lda, bj, ldb, cij, ldc, 2, 3); break;
          case 2: sml_gemm_nt_micro(depth, ai, lda, bj, ldb, cij, ldc, 2, 2); break;
          default: sml_gemm_nt_micro(depth, ai, lda, bj, ldb, cij, ldc, 2, 1); break;
        }
      } else {
        for (int ii = i; ii < i + R && ii < m; ii++) {
          const float *row = a + ii * lda;
          float *out = c + ii * ldc + j;
          switch (J) {
            case 4: sml_gemm_nt_micro(depth, row, lda, bj, ldb, out, ldc, 1, 4); break;
            case 3: sml_gemm_nt_micro(depth, row, lda, bj, ldb, out, ldc, 1, 3); break;
            case 2: sml_gemm_nt_micro(depth, row, lda, bj, ldb, out, ldc, 1, 2); break;
            default: sml_gemm_nt_micro(depth, row, lda, bj, ldb, out, ldc, 1, 1); break;
          }
        }
      }
    }
  }
}

#define SML_GEMM_NT_PARAMETERS \
  int m, int n, int depth, const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc
#define SML_GEMM_NT_ARGUMENTS m, n, depth, a, lda, b, ldb, c, ldc

#if defined(__x86_64__)
__attribute__((target("avx512f,avx512dq"))) static void sml_monarch_gemm_nt_avx512(SML_GEMM_NT_PARAMETERS) {
  sml_monarch_gemm_nt_f32_body(SML_GEMM_NT_ARGUMENTS, 2);
}
__attribute__((target("avx2,fma"))) static void sml_monarch_gemm_nt_avx2(SML_GEMM_NT_PARAMETERS) {
  sml_monarch_gemm_nt_f32_body(SML_GEMM_NT_ARGUMENTS, 1);
}
#endif
static void sml_monarch_gemm_nt_baseline(SML_GEMM_NT_PARAMETERS) { sml_monarch_gemm_nt_f32_body(SML_GEMM_NT_ARGUMENTS, 1); }

void sml_monarch_gemm_nt_f32(SML_GEMM_NT_PARAMETERS, int level) {
  if (m <= 0 || n <= 0) return;
  switch (sml_effective_vector_level(level)) {
#if defined(__x86_64__)
    case 3: sml_monarch_gemm_nt_avx512(SML_GEMM_NT_ARGUMENTS); break;
    case 2: sml_monarch_gemm_nt_avx2(SML_GEMM_NT_ARGUMENTS); break;
#endif
    default: sml_monarch_gemm_nt_baseline(SML_GEMM_NT_ARGUMENTS); break;
  }
}

// MARK: - Lane-wise first step of the transposed multiply

/// Rows `b0 ..< b0+R`, middle rows `rr0 ..< rr0+J` and lanes `16c ..< 16c+16`:
/// `h[b][rr·l + 16c + lane] = Σ_ss w2p[c][ss][rr][lane] · u[b][ss·l + 16c + lane]`.
SML_INLINE void sml_lanes_micro(
    const float *u, ptrdiff_t ldu, const float *w2p, int l, int s, int r, float *h, ptrdiff_t ldh, int b0, int rr0,
    int c, const int R, const int J) {
  sml_f32x16 acc[4][4];
  for (int i = 0; i < R; i++)
    for (int j = 0; j < J; j++) acc[i][j] = (sml_f32x16){0};
  const float *wc = w2p + (ptrdiff_t)c * s * r * 16;
  for (int ss = 0; ss < s; ss++) {
    sml_f32x16 uv[4];
    for (int i = 0; i < R; i++) uv[i] = sml_load16(u + (b0 + i) * ldu + (ptrdiff_t)ss * l + 16 * c);
    for (int j = 0; j < J; j++) {
      sml_f32x16 w = sml_load16(wc + ((ptrdiff_t)ss * r + rr0 + j) * 16);
      for (int i = 0; i < R; i++) acc[i][j] += uv[i] * w;
    }
  }
  for (int i = 0; i < R; i++)
    for (int j = 0; j < J; j++) sml_store16(h + (b0 + i) * ldh + (ptrdiff_t)(rr0 + j) * l + 16 * c, acc[i][j]);
}

/// Every row and middle row of one lane chunk `c`, register blocks of `R × J` (the rest one by one).
SML_INLINE void sml_monarch_transposed_lanes_f32_body(
    const float *u, ptrdiff_t ldu, int rows, const float *w2p, int l, int s, int r, float *h, ptrdiff_t ldh,
    const int R, const int J) {
  for (int c = 0; c < l / 16; c++) {
    int b0 = 0;
    for (; b0 + R <= rows; b0 += R) {
      int rr0 = 0;
      for (; rr0 + J <= r; rr0 += J) sml_lanes_micro(u, ldu, w2p, l, s, r, h, ldh, b0, rr0, c, R, J);
      for (; rr0 < r; rr0++) sml_lanes_micro(u, ldu, w2p, l, s, r, h, ldh, b0, rr0, c, R, 1);
    }
    for (; b0 < rows; b0++) {
      int rr0 = 0;
      for (; rr0 + J <= r; rr0 += J) sml_lanes_micro(u, ldu, w2p, l, s, r, h, ldh, b0, rr0, c, 1, J);
      for (; rr0 < r; rr0++) sml_lanes_micro(u, ldu, w2p, l, s, r, h, ldh, b0, rr0, c, 1, 1);
    }
  }
}

#define SML_LANES_PARAMETERS \
  const float *u, ptrdiff_t ldu, int rows, const float *w2p, int l, int s, int r, float *h, ptrdiff_t ldh
#define SML_LANES_ARGUMENTS u, ldu, rows, w2p, l, s, r, h, ldh

#if defined(__x86_64__)
__attribute__((target("avx512f,avx512dq"))) static void sml_monarch_transposed_lanes_avx512(SML_LANES_PARAMETERS) {
  sml_monarch_transposed_lanes_f32_body(SML_LANES_ARGUMENTS, 4, 4);
}
__attribute__((target("avx2,fma"))) static void sml_monarch_transposed_lanes_avx2(SML_LANES_PARAMETERS) {
  sml_monarch_transposed_lanes_f32_body(SML_LANES_ARGUMENTS, 2, 2);
}
#endif
static void sml_monarch_transposed_lanes_baseline(SML_LANES_PARAMETERS) {
  sml_monarch_transposed_lanes_f32_body(SML_LANES_ARGUMENTS, 1, 2);
}

void sml_monarch_transposed_lanes_f32(SML_LANES_PARAMETERS, int level) {
  if (rows <= 0) return;
  switch (sml_effective_vector_level(level)) {
#if defined(__x86_64__)
    case 3: sml_monarch_transposed_lanes_avx512(SML_LANES_ARGUMENTS); break;
    case 2: sml_monarch_transposed_lanes_avx2(SML_LANES_ARGUMENTS); break;
#endif
    default: sml_monarch_transposed_lanes_baseline(SML_LANES_ARGUMENTS); break;
  }
}

// MARK: - Transposed copy

typedef float sml_v8 __attribute__((vector_size(32)));

/// The 8 × 8 block at `src` (rows `lds` apart) transposed into `dst` (rows `ldd` apart), by unpacks and
/// lane shuffles.
SML_INLINE void sml_transpose8(const float *src, ptrdiff_t lds, float *dst, ptrdiff_t ldd) {
  sml_v8 r[8], t[8], u[8];
  for (int i = 0; i < 8; i++) memcpy(&r[i], src + i * lds, sizeof(sml_v8));
  for (int i = 0; i < 8; i += 2) {
    t[i] = __builtin_shufflevector(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
    t[i + 1] = __builtin_shufflevector(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = __builtin_shufflevector(t[i], t[i + 2], 0, 1, 8, 9, 4, 5, 12, 13);
    u[i + 1] = __builtin_shufflevector(t[i], t[i + 2], 2, 3, 10, 11, 6, 7, 14, 15);
    u[i + 2] = __builtin_shufflevector(t[i + 1], t[i + 3], 0, 1, 8, 9, 4, 5, 12, 13);
    u[i + 3] = __builtin_shufflevector(t[i + 1], t[i + 3], 2, 3, 10, 11, 6, 7, 14, 15);
  }
  for (int j = 0; j < 4; j++) {
    sml_v8 low = __builtin_shufflevector(u[j], u[j + 4], 0, 1, 2, 3, 8, 9, 10, 11);
    sml_v8 high = __builtin_shufflevector(u[j], u[j + 4], 4, 5, 6, 7, 12, 13, 14, 15);
    memcpy(dst + j * ldd, &low, sizeof(sml_v8));
    memcpy(dst + (j + 4) * ldd, &high, sizeof(sml_v8));
  }
}

SML_INLINE void sml_transpose_f32_body(int rows, int cols, const float *src, ptrdiff_t lds, float *dst, ptrdiff_t ldd) {
  const int rows8 = rows / 8 * 8, cols8 = cols / 8 * 8;
  for (int i = 0; i < rows8; i += 8) {
    for (int j = 0; j < cols8; j += 8) sml_transpose8(src + i * lds + j, lds, dst + j * ldd + i, ldd);
    for (int ii = i; ii < i + 8; ii++)
      for (int j = cols8; j < cols; j++) dst[j * ldd + ii] = src[ii * lds + j];
  }
  for (int i = rows8; i < rows; i++)
    for (int j = 0; j < cols; j++) dst[j * ldd + i] = src[i * lds + j];
}

#define SML_TRANSPOSE_PARAMETERS int rows, int cols, const float *src, ptrdiff_t lds, float *dst, ptrdiff_t ldd
#define SML_TRANSPOSE_ARGUMENTS rows, cols, src, lds, dst, ldd

#if defined(__x86_64__)
__attribute__((target("avx512f,avx512dq"))) static void sml_transpose_avx512(SML_TRANSPOSE_PARAMETERS) {
  sml_transpose_f32_body(SML_TRANSPOSE_ARGUMENTS);
}
__attribute__((target("avx2,fma"))) static void sml_transpose_avx2(SML_TRANSPOSE_PARAMETERS) {
  sml_transpose_f32_body(SML_TRANSPOSE_ARGUMENTS);
}
#endif
static void sml_transpose_baseline(SML_TRANSPOSE_PARAMETERS) { sml_transpose_f32_body(SML_TRANSPOSE_ARGUMENTS); }

void sml_transpose_f32(SML_TRANSPOSE_PARAMETERS, int level) {
  if (rows <= 0 || cols <= 0) return;
  switch (sml_effective_vector_level(level)) {
#if defined(__x86_64__)
    case 3: sml_transpose_avx512(SML_TRANSPOSE_ARGUMENTS); break;
    case 2: sml_transpose_avx2(SML_TRANSPOSE_ARGUMENTS); break;
#endif
    default: sml_transpose_baseline(SML_TRANSPOSE_ARGUMENTS); break;
  }
}

// MARK: - Broadcast form

#define SML_GEMM_PARAMETERS                                                                                     \
  int m, int n, int depth, const float *a, ptrdiff_t ars, ptrdiff_t acs, const float *b, ptrdiff_t ldb, float *c, \
      ptrdiff_t ldc, int accumulate
#define SML_GEMM_ARGUMENTS m, n, depth, a, ars, acs, b, ldb, c, ldc, accumulate

#if defined(__x86_64__)
__attribute__((target("avx512f,avx512dq"))) static void sml_monarch_gemm_avx512(SML_GEMM_PARAMETERS) {
  sml_monarch_gemm_f32_body(SML_GEMM_ARGUMENTS, 6, 4);
}
__attribute__((target("avx2,fma"))) static void sml_monarch_gemm_avx2(SML_GEMM_PARAMETERS) {
  sml_monarch_gemm_f32_body(SML_GEMM_ARGUMENTS, 6, 1);
}
#endif
static void sml_monarch_gemm_baseline(SML_GEMM_PARAMETERS) { sml_monarch_gemm_f32_body(SML_GEMM_ARGUMENTS, 2, 1); }

void sml_monarch_gemm_f32(SML_GEMM_PARAMETERS, int level) {
  switch (sml_effective_vector_level(level)) {
#if defined(__x86_64__)
    case 3: sml_monarch_gemm_avx512(SML_GEMM_ARGUMENTS); break;
    case 2: sml_monarch_gemm_avx2(SML_GEMM_ARGUMENTS); break;
#endif
    default: sml_monarch_gemm_baseline(SML_GEMM_ARGUMENTS); break;
  }
}
