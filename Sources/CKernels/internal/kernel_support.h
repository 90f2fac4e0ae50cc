#pragma once
// Shared machinery of the kernels: generic vector types, run-time dispatch between instruction-set variants,
// and the vectorized exponentials. Everything here is `static inline`, so each target-specific variant of a
// kernel gets its own copy compiled for its instruction set.
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "CKernels.h"
#include "vector_level.h"

#define SML_INLINE static inline __attribute__((always_inline))

// Wide vectors only pass between always-inline helpers, which never have a calling convention of their own.
#pragma clang diagnostic ignored "-Wpsabi"

/// 16 floats or 8 doubles: one AVX-512 register, two AVX2 registers or four SSE registers.
typedef float sml_vf __attribute__((ext_vector_type(16)));
typedef int sml_vfi __attribute__((ext_vector_type(16)));
typedef double sml_vd __attribute__((ext_vector_type(8)));
typedef long sml_vdi __attribute__((ext_vector_type(8)));
/// Lane masks packed one bit per lane (an AVX-512 mask register, or a movemask on narrower sets).
typedef _Bool sml_vfb __attribute__((ext_vector_type(16)));
typedef _Bool sml_vdb __attribute__((ext_vector_type(8)));

// MARK: - Run-time dispatch

#define SML_CAT(a, b) SML_CAT_(a, b)
#define SML_CAT_(a, b) a##b
/// The inline body behind the exported kernel `name` of the current element type.
#define SML_BODY(name) SML_CAT(SML_NAME(name), _body)

/// The parameter list `params` without its parentheses.
#define SML_UNPAREN(...) __VA_ARGS__

#if defined(__x86_64__)
/// Defines the exported kernel `name` from its inline body `name_body`: a baseline, an AVX2+FMA and an
/// AVX-512 copy, chosen per call by the trailing `int level` argument that the exported kernel adds to
/// `params` (lowered to what the processor supports by `sml_effective_vector_level`).
#define SML_DISPATCH(ret, name, params, args) SML_DISPATCH_(ret, name, params, args)
#define SML_DISPATCH_(ret, name, params, args)                                                  \
  static ret SML_CAT(name, _baseline) params { return SML_CAT(name, _body) args; }              \
  __attribute__((target("avx2,fma"))) static ret SML_CAT(name, _avx2) params {                  \
    return SML_CAT(name, _body) args;                                                           \
  }                                                                                             \
  __attribute__((target("avx512f,avx512dq"))) static ret SML_CAT(name, _avx512) params {        \
    return SML_CAT(name, _body) args;                                                           \
  }                                                                                             \
  ret name(SML_UNPAREN params, int level) {                                                     \
    switch (sml_effective_vector_level(level)) {                                                \
    case 3: return SML_CAT(name, _avx512) args;                                                 \
    case 2: return SML_CAT(name, _avx2) args;                                                   \
    default: return SML_CAT(name, _baseline) args;                                              \
    }                                                                                           \
  }
#else
#define SML_DISPATCH(ret, name, params, args) SML_DISPATCH_(ret, name, params, args)
#define SML_DISPATCH_(ret, name, params, args) \
  ret name(SML_UNPAREN params, int level) {    \
    (void)level;                               \
    return SML_CAT(name, _body) args;          \
  }
#endif

// MARK: - Lane selection

/// `mask ? a : b` lane by lane (a mask lane is all ones or all zeros, as comparisons produce).
SML_INLINE sml_vf sml_select_vf(sml_vfi mask, sml_vf a, sml_vf b) {
  return (sml_vf)((mask & (sml_vfi)a) | (~mask & (sml_vfi)b));
}

/// `mask ? a : b` lane by lane for doubles.
SML_INLINE sml_vd sml_select_vd(sml_vdi mask, sml_vd a, sml_vd b) {
  return (sml_vd)((mask & (sml_vdi)a) | (~mask & (sml_vdi)b));
}

// MARK: - Exponentials

/// `e^x` for 16 floats: Cody–Waite reduction `x = k·ln 2 + r` (|r| ≤ ln 2 / 2), the Cephes minimax polynomial
/// for `e^r`, and `2^k` applied as two exact power-of-two factors so that gradual underflow comes out right.
/// `-inf` and anything below -104 give exactly 0, anything above ln(FLT_MAX) gives +inf, NaN stays NaN.
SML_INLINE sml_vf sml_exp_vf(sml_vf x) {
  const float lowest = -104.0f, highest = 88.72283935546875f;
  sml_vf c = sml_select_vf(x < lowest, (sml_vf)lowest, x);
  c = sml_select_vf(c > highest, (sml_vf)highest, c);
  const sml_vf magic = 12582912.0f;  // 1.5·2^23: adding it rounds to an integer in the low mantissa bits
  sml_vf shifted = c * 1.44269504088896341f + magic;
  sml_vf k = shifted - magic;
  sml_vf r = c - k * 0.693359375f;
  r = r - k * -2.12194440e-4f;
  sml_vf p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  sml_vf y = p * (r * r) + r + 1.0f;
  sml_vfi n = (sml_vfi)shifted - 0x4B400000;
  sml_vfi half = n >> 1;
  y = y * (sml_vf)((half + 127) << 23) * (sml_vf)((n - half + 127) << 23);
  y = sml_select_vf(x < lowest, (sml_vf)0.0f, y);
  return sml_select_vf(x > highest, (sml_vf)INFINITY, y);
}

/// `e^x` for 8 doubles: the same reduction with a two-part ln 2 and the degree-13 Taylor polynomial of `e^r`
/// (truncation below 10⁻¹⁷ on |r| ≤ ln 2 / 2). Below -746 gives 0, above ln(DBL_MAX) +inf, NaN stays NaN.
SML_INLINE sml_vd sml_exp_vd(sml_vd x) {
  const double lowest = -746.0, highest = 709.782712893383973;
  sml_vd c = sml_select_vd(x < lowest, (sml_vd)lowest, x);
  c = sml_select_vd(c > highest, (sml_vd)highest, c);
  const sml_vd magic = 6755399441055744.0;  // 1.5·2^52
  sml_vd shifted = c * 1.4426950408889634074 + magic;
  sml_vd k = shifted - magic;
  sml_vd r = c - k * 6.93145751953125e-1;
  r = r - k * 1.42860682030941723212e-6;
  sml_vd p = 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  sml_vd y = p * (r * r) + r + 1.0;
  sml_vdi n = (sml_vdi)shifted - 0x4338000000000000L;
  sml_vdi half = n >> 1;
  y = y * (sml_vd)((half + 1023) << 52) * (sml_vd)((n - half + 1023) << 52);
  y = sml_select_vd(x < lowest, (sml_vd)0.0, y);
  return sml_select_vd(x > highest, (sml_vd)INFINITY, y);
}
