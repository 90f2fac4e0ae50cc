// S4 generating function: Cauchy sums over the modes of one channel at a block of eight roots of unity (given by
// their half-angle tangents τ), then the Woodbury combination, on 8-lane double vectors. One always-inline body per rank, instantiated for
// AVX-512 (one zmm per vector), AVX2+FMA and baseline x86-64, chosen at run time.
#include "CKernels.h"
#include "internal/vector_level.h"

#include <string.h>

typedef double sml_f64x8 __attribute__((vector_size(64)));

#define SML_INLINE static inline __attribute__((always_inline))
#define SML_AVX512 __attribute__((target("avx512f,avx512dq")))
#define SML_AVX2 __attribute__((target("avx2,fma")))

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

/// The generating function of one channel of rank `R` (`S = (R + 1)²` sums) at every node.
SML_INLINE void sml_s4_generating(
    const double *tau, ptrdiff_t nodes, const double *terms, ptrdiff_t modes, double *spectrum, const int R) {
  enum { MAX_SUMS = 9 };
  const int S = (R + 1) * (R + 1);
  const int stride = 2 + 4 * S;
  for (ptrdiff_t first = 0; first < nodes; first += 8) {
    // τ of eight nodes; lanes past `nodes` get τ = 0 (their results are dropped).
    ptrdiff_t count = nodes - first < 8 ? nodes - first : 8;
    sml_f64x8 tangent = {0};
    memcpy(&tangent, tau + first, (size_t)count * sizeof(double));
    sml_f64x8 w = tangent * tangent;
    // Per sum: Σ b·u, Σ ap·g, Σ a·u, Σ bp·g with g = 1/|D'|², u = Re D'·g.
    sml_f64x8 bu[MAX_SUMS], apg[MAX_SUMS], au[MAX_SUMS], bpg[MAX_SUMS];
    for (int k = 0; k < S; k++) bu[k] = apg[k] = au[k] = bpg[k] = (sml_f64x8){0};
    for (ptrdiff_t i = 0; i < modes; i++) {
      const double *term = terms + i * stride;
      sml_f64x8 real = SML_SPLAT8(term[0]) - w;  // Re D' = q − τ²
      sml_f64x8 g = 1.0 / (real * real + SML_SPLAT8(term[1]) * w);  // |D'|² = (q − τ²)² + p²τ²
      sml_f64x8 u = real * g;
      const double *b = term + 2, *ap = b + S, *a = ap + S, *bp = a + S;
      for (int k = 0; k < S; k++) {
        bu[k] += SML_SPLAT8(b[k]) * u;
        apg[k] += SML_SPLAT8(ap[k]) * g;
        au[k] += SML_SPLAT8(a[k]) * u;
        bpg[k] += SML_SPLAT8(bp[k]) * g;
      }
    }
    // P_k = Σ (iτa − b)·conj(D')/|D'|² = −Σ b·u − τ²·Σ ap·g + iτ·(Σ a·u − Σ bp·g).
    sml_c64x8 sums[MAX_SUMS];
    for (int k = 0; k < S; k++) sums[k] = (sml_c64x8){-bu[k] - w * apg[k], tangent * (au[k] - bpg[k])};
    sml_c64x8 value;
    if (R == 1) {
      value = sml_csub(sums[0], sml_cdiv(sml_cmul(sums[1], sums[2]), sml_cadd_real(sums[3], 2.0)));
    } else {
      // (2I + P₁₁) x = p₁₀ by Cramer's rule, then P₀₀ − p₀₁·x.
      sml_c64x8 m00 = sml_cadd_real(sums[4], 2.0), m01 = sums[5];
      sml_c64x8 m10 = sums[7], m11 = sml_cadd_real(sums[8], 2.0);
      sml_c64x8 r0 = sums[3], r1 = sums[6];
      sml_c64x8 determinant = sml_csub(sml_cmul(m00, m11), sml_cmul(m01, m10));
      sml_c64x8 x0 = sml_cdiv(sml_csub(sml_cmul(r0, m11), sml_cmul(m01, r1)), determinant);
      sml_c64x8 x1 = sml_cdiv(sml_csub(sml_cmul(m00, r1), sml_cmul(m10, r0)), determinant);
      value = sml_csub(sml_csub(sums[0], sml_cmul(sums[1], x0)), sml_cmul(sums[2], x1));
    }
    value = sml_cmul((sml_c64x8){SML_SPLAT8(0.5), 0.5 * tangent}, value);  // 1/(1 + ω) = ½(1 + iτ)
    for (ptrdiff_t j = 0; j < count; j++) {
      spectrum[2 * (first + j)] = value.re[j];
      spectrum[2 * (first + j) + 1] = value.im[j];
    }
  }
  // ω = −1 (τ = ∞, 1 + ω = 0): K̂ = ĉk₀₀ = ½·Σ_i a_i0, and the correction vanishes.
  if (nodes > 0 && __builtin_isinf(tau[nodes - 1])) {
    double sum = 0;
    for (ptrdiff_t i = 0; i < modes; i++) sum += terms[i * stride + 2 + 2 * S];
    spectrum[2 * (nodes - 1)] = 0.5 * sum;
    spectrum[2 * (nodes - 1) + 1] = 0;
  }
}

#define SML_S4_ARGUMENTS \
  const double *tau, ptrdiff_t nodes, const double *terms, ptrdiff_t modes, int rank, double *spectrum
#define SML_S4_PASS(R) sml_s4_generating(tau, nodes, terms, modes, spectrum, R)

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
  switch (sml_effective_vector_level(level)) {
    case 3: sml_s4_generating_avx512(tau, nodes, terms, modes, rank, spectrum); break;
    case 2: sml_s4_generating_avx2(tau, nodes, terms, modes, rank, spectrum); break;
    default: sml_s4_generating_baseline(tau, nodes, terms, modes, rank, spectrum); break;
  }
}
