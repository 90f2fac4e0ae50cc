// S4 generating function: Cauchy sums over the modes of one channel at a block of eight roots of unity, then
// the Woodbury combination, on 8-lane double vectors. One always-inline body per rank, instantiated for
// AVX-512 (one zmm per vector), AVX2+FMA and baseline x86-64, chosen at run time.
#include "CKernels.h"

#include <string.h>

typedef double sml_f64x8 __attribute__((vector_size(64)));

#define SML_INLINE static inline __attribute__((always_inline))
#define SML_AVX512 __attribute__((target("avx512f,avx512dq")))
#define SML_AVX2 __attribute__((target("avx2,fma")))

/// The level actually used: the requested one, lowered to what the processor supports.
static int sml_cauchy_level(int level) {
  int supported = sml_cpu_vector_level();
  return level < supported ? level : supported;
}

/// A vector with every lane `x` (a macro: returning a vector from a function changes the ABI between levels).
/// Listing the lanes lets the compiler broadcast straight from memory; `{0} + x` would add `+0.0` first,
/// which is not an identity for `−0.0`.
#define SML_SPLAT8(x) ((sml_f64x8){(x), (x), (x), (x), (x), (x), (x), (x)})

/// Complex vectors: real and imaginary lanes side by side.
typedef struct {
  sml_f64x8 re, im;
} sml_c64x8;

SML_INLINE sml_c64x8 sml_cmul(sml_c64x8 x, sml_c64x8 y) {
  return (sml_c64x8){x.re * y.re - x.im * y.im, x.re * y.im + x.im * y.re};
}

SML_INLINE sml_c64x8 sml_cdiv(sml_c64x8 x, sml_c64x8 y) {
  sml_f64x8 inverse = 1.0 / (y.re * y.re + y.im * y.im);
  return (sml_c64x8){(x.re * y.re + x.im * y.im) * inverse, (x.im * y.re - x.re * y.im) * inverse};
}

SML_INLINE sml_c64x8 sml_csub(sml_c64x8 x, sml_c64x8 y) { return (sml_c64x8){x.re - y.re, x.im - y.im}; }

SML_INLINE sml_c64x8 sml_cadd_real(sml_c64x8 x, double y) { return (sml_c64x8){x.re + y, x.im}; }

/// Eight nodes `m = 1 − ω` starting at `first`; lanes past `nodes` get `m = 0` (their results are dropped).
SML_INLINE sml_c64x8 sml_cauchy_nodes(const double *m_re, const double *m_im, ptrdiff_t first, ptrdiff_t nodes) {
  sml_c64x8 m = {{0}, {0}};
  ptrdiff_t count = nodes - first < 8 ? nodes - first : 8;
  memcpy(&m.re, m_re + first, (size_t)count * sizeof(double));
  memcpy(&m.im, m_im + first, (size_t)count * sizeof(double));
  return m;
}

/// The generating function of one channel of rank `R` (`S = (R + 1)²` sums) at every node.
SML_INLINE void sml_s4_generating(
    const double *m_re, const double *m_im, ptrdiff_t nodes, const double *terms, ptrdiff_t modes, double *spectrum,
    const int R) {
  enum { MAX_SUMS = 9 };
  const int S = (R + 1) * (R + 1);
  const int stride = 2 + 2 * S;
  for (ptrdiff_t first = 0; first < nodes; first += 8) {
    sml_c64x8 m = sml_cauchy_nodes(m_re, m_im, first, nodes);
    sml_c64x8 t = {2.0 - m.re, -m.im};
    sml_c64x8 mm = sml_cmul(m, m), mt = sml_cmul(m, t), tt = sml_cmul(t, t);
    // Σ a/D and Σ b/D per sum, as real and imaginary lanes.
    sml_f64x8 a_re[MAX_SUMS], a_im[MAX_SUMS], b_re[MAX_SUMS], b_im[MAX_SUMS];
    for (int k = 0; k < S; k++) a_re[k] = a_im[k] = b_re[k] = b_im[k] = (sml_f64x8){0};
    for (ptrdiff_t i = 0; i < modes; i++) {
      const double *term = terms + i * stride;
      sml_f64x8 p = SML_SPLAT8(term[0]), q = SML_SPLAT8(term[1]);
      sml_f64x8 d_re = mm.re - p * mt.re + q * tt.re;
      sml_f64x8 d_im = mm.im - p * mt.im + q * tt.im;
      sml_f64x8 inverse = 1.0 / (d_re * d_re + d_im * d_im);
      sml_f64x8 r_re = d_re * inverse, r_im = d_im * inverse;  // 1/D = r_re − i·r_im
      for (int k = 0; k < S; k++) {
        sml_f64x8 a = SML_SPLAT8(term[2 + k]), b = SML_SPLAT8(term[2 + S + k]);
        a_re[k] += a * r_re;
        a_im[k] -= a * r_im;
        b_re[k] += b * r_re;
        b_im[k] -= b * r_im;
      }
    }
    sml_c64x8 sums[MAX_SUMS];
    for (int k = 0; k < S; k++) {
      sums[k] = sml_csub(sml_cmul(m, (sml_c64x8){a_re[k], a_im[k]}), sml_cmul(t, (sml_c64x8){b_re[k], b_im[k]}));
    }
    sml_c64x8 half = {0.5 * t.re, 0.5 * t.im};
    sml_c64x8 value;
    if (R == 1) {
      sml_c64x8 correction = sml_cdiv(
          sml_cmul(sml_cmul(sums[1], half), sums[2]), sml_cadd_real(sml_cmul(half, sums[3]), 1.0));
      value = sml_csub(sums[0], correction);
    } else {
      // (I + ½t·K₁₁) x = ½t·k₁₀ by Cramer's rule, then K̂ = k₀₀ − k₀₁·x.
      sml_c64x8 m00 = sml_cadd_real(sml_cmul(half, sums[4]), 1.0), m01 = sml_cmul(half, sums[5]);
      sml_c64x8 m10 = sml_cmul(half, sums[7]), m11 = sml_cadd_real(sml_cmul(half, sums[8]), 1.0);
      sml_c64x8 r0 = sml_cmul(half, sums[3]), r1 = sml_cmul(half, sums[6]);
      sml_c64x8 determinant = sml_csub(sml_cmul(m00, m11), sml_cmul(m01, m10));
      sml_c64x8 x0 = sml_cdiv(sml_csub(sml_cmul(r0, m11), sml_cmul(m01, r1)), determinant);
      sml_c64x8 x1 = sml_cdiv(sml_csub(sml_cmul(m00, r1), sml_cmul(m10, r0)), determinant);
      value = sml_csub(sml_csub(sums[0], sml_cmul(sums[1], x0)), sml_cmul(sums[2], x1));
    }
    ptrdiff_t count = nodes - first < 8 ? nodes - first : 8;
    for (ptrdiff_t j = 0; j < count; j++) {
      spectrum[2 * (first + j)] = value.re[j];
      spectrum[2 * (first + j) + 1] = value.im[j];
    }
  }
}

#define SML_S4_ARGUMENTS                                                                                     \
  const double *m_re, const double *m_im, ptrdiff_t nodes, const double *terms, ptrdiff_t modes, int rank, \
      double *spectrum
#define SML_S4_PASS(R) sml_s4_generating(m_re, m_im, nodes, terms, modes, spectrum, R)

SML_AVX512 static void sml_s4_generating_avx512(SML_S4_ARGUMENTS) {
  if (rank == 1) SML_S4_PASS(1); else SML_S4_PASS(2);
}
SML_AVX2 static void sml_s4_generating_avx2(SML_S4_ARGUMENTS) {
  if (rank == 1) SML_S4_PASS(1); else SML_S4_PASS(2);
}
static void sml_s4_generating_baseline(SML_S4_ARGUMENTS) {
  if (rank == 1) SML_S4_PASS(1); else SML_S4_PASS(2);
}

void sml_s4_generating_function(SML_S4_ARGUMENTS, int level) {
  switch (sml_cauchy_level(level)) {
    case 3: sml_s4_generating_avx512(m_re, m_im, nodes, terms, modes, rank, spectrum); break;
    case 2: sml_s4_generating_avx2(m_re, m_im, nodes, terms, modes, rank, spectrum); break;
    default: sml_s4_generating_baseline(m_re, m_im, nodes, terms, modes, rank, spectrum); break;
  }
}
