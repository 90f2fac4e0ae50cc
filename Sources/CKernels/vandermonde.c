// S4D Vandermonde sum `out[l] = Re Σ_n w_n z_nˡ` on 8-lane double vectors: per mode, the 32 lane powers
// `z^0 … z^31` are computed once, and each block of 32 taps takes `Re(c_n · z^j) = Re c_n Re z^j − Im c_n Im z^j`
// with `c_n = w_n z_n^{l₀}` advanced by `z_n^32` from block to block: two multiply-adds per 8 (tap, mode) pairs.
// One always-inline body, instantiated for AVX-512, AVX2+FMA and baseline x86-64, chosen at run time.
#include "CKernels.h"
#include "internal/vector_level.h"

#include <string.h>

typedef double sml_vdm_f64x8 __attribute__((vector_size(64)));

#define SML_VDM_INLINE static inline __attribute__((always_inline))
#define SML_VDM_AVX512 __attribute__((target("avx512f,avx512dq")))
#define SML_VDM_AVX2 __attribute__((target("avx2,fma")))

/// Taps per block: four vectors of eight lanes.
enum { SML_VDM_BLOCK = 32 };

/// Per mode: the real and imaginary parts of `z^0 … z^31`, then `z^32`.
enum { SML_VDM_STRIDE = 2 * SML_VDM_BLOCK + 2 };
_Static_assert(SML_VDM_STRIDE + 2 == SML_S4D_VANDERMONDE_WORKSPACE_PER_MODE, "workspace size");

SML_VDM_INLINE void sml_vandermonde(
    const double *table, double *current, ptrdiff_t modes, ptrdiff_t length, double *out) {
  for (ptrdiff_t first = 0; first < length; first += SML_VDM_BLOCK) {
    sml_vdm_f64x8 sum[SML_VDM_BLOCK / 8] = {{0}};
    for (ptrdiff_t n = 0; n < modes; n++) {
      const double *powers = table + n * SML_VDM_STRIDE;
      double c_re = current[2 * n], c_im = current[2 * n + 1];
      sml_vdm_f64x8 re = {c_re, c_re, c_re, c_re, c_re, c_re, c_re, c_re};
      sml_vdm_f64x8 im = {c_im, c_im, c_im, c_im, c_im, c_im, c_im, c_im};
      for (int u = 0; u < SML_VDM_BLOCK / 8; u++) {
        sml_vdm_f64x8 p_re, p_im;
        memcpy(&p_re, powers + 8 * u, sizeof p_re);
        memcpy(&p_im, powers + SML_VDM_BLOCK + 8 * u, sizeof p_im);
        sum[u] += re * p_re - im * p_im;
      }
      double step_re = powers[2 * SML_VDM_BLOCK], step_im = powers[2 * SML_VDM_BLOCK + 1];
      current[2 * n] = c_re * step_re - c_im * step_im;
      current[2 * n + 1] = c_re * step_im + c_im * step_re;
    }
    ptrdiff_t count = length - first < SML_VDM_BLOCK ? length - first : SML_VDM_BLOCK;
    double block[SML_VDM_BLOCK];
    memcpy(block, sum, sizeof block);
    memcpy(out + first, block, (size_t)count * sizeof(double));
  }
}

#define SML_VDM_ARGUMENTS const double *table, double *current, ptrdiff_t modes, ptrdiff_t length, double *out
SML_VDM_AVX512 static void sml_vandermonde_avx512(SML_VDM_ARGUMENTS) {
  sml_vandermonde(table, current, modes, length, out);
}
SML_VDM_AVX2 static void sml_vandermonde_avx2(SML_VDM_ARGUMENTS) {
  sml_vandermonde(table, current, modes, length, out);
}
static void sml_vandermonde_baseline(SML_VDM_ARGUMENTS) { sml_vandermonde(table, current, modes, length, out); }

void sml_s4d_vandermonde(
    const double *w_re, const double *w_im, const double *z_re, const double *z_im, ptrdiff_t modes,
    ptrdiff_t length, double *out, double *workspace, int level) {
  double *table = workspace;
  double *current = table + modes * SML_VDM_STRIDE;
  for (ptrdiff_t n = 0; n < modes; n++) {
    double *powers = table + n * SML_VDM_STRIDE;
    double re = 1, im = 0;
    for (int j = 0; j <= SML_VDM_BLOCK; j++) {
      if (j < SML_VDM_BLOCK) {
        powers[j] = re;
        powers[SML_VDM_BLOCK + j] = im;
      } else {
        powers[2 * SML_VDM_BLOCK] = re;
        powers[2 * SML_VDM_BLOCK + 1] = im;
      }
      double next = re * z_re[n] - im * z_im[n];
      im = re * z_im[n] + im * z_re[n];
      re = next;
    }
    current[2 * n] = w_re[n];
    current[2 * n + 1] = w_im[n];
  }
  switch (sml_effective_vector_level(level)) {
    case 3: sml_vandermonde_avx512(table, current, modes, length, out); break;
    case 2: sml_vandermonde_avx2(table, current, modes, length, out); break;
    default: sml_vandermonde_baseline(table, current, modes, length, out); break;
  }
}
