// The sparse simplex projections (see CKernels.h): thresholds in double precision, row kernels for float and
// double.
#include "internal/kernel_support.h"

SML_INLINE float sml_next_down_f(float x) { return nextafterf(x, -INFINITY); }
SML_INLINE double sml_next_down_d(double x) { return nextafter(x, -INFINITY); }

double sml_sparsemax_threshold(double *z, size_t count) {
  size_t size = count;
  double total = 0;
  for (size_t i = 0; i < size; i++) total += z[i];
  double tau = (total - 1) / (double)size;
  for (;;) {
    size_t kept = 0;
    total = 0;
    for (size_t i = 0; i < size; i++) {  // branch-free compaction: the comparisons are unpredictable
      double value = z[i];
      int keep = value > tau;
      z[kept] = value;
      kept += keep;
      total += keep ? value : 0;
    }
    if (kept == size) return tau;
    size = kept;
    tau = (total - 1) / (double)size;
  }
}

double sml_entmax15_threshold(double *z, size_t count, double lower) {
  double tau = lower;
  size_t size = count;
  for (int step = 0; step < 200; step++) {
    // Keep S = {z > τ} and its moments about τ.
    size_t kept = 0;
    double first = 0, second = 0, lowest = INFINITY;
    for (size_t i = 0; i < size; i++) {  // branch-free compaction, as in sml_sparsemax_threshold
      double value = z[i];
      int keep = value > tau;
      double d = keep ? value - tau : 0;
      z[kept] = value;
      kept += keep;
      first += d;
      second += d * d;
      lowest = keep && value < lowest ? value : lowest;
    }
    size = kept;
    double k = (double)size, shift = first / k;
    double spread = 1 / k - (second / k - shift * shift);
    // The closed form on S is the threshold when it keeps all of S and drops everything outside (all ≤ τ).
    double exact = spread >= 0 ? tau + shift - sqrt(spread) : -INFINITY;
    if (exact >= tau && exact <= lowest) return exact;
    // Otherwise a Newton step on Σ(z − τ)₊² = 1 from the left, which stays below the threshold.
    double next = tau + (second - 1) / (2 * first);
    if (!(next > tau)) return exact > tau ? exact : tau;  // converged to rounding level
    tau = next;
  }
  return tau;
}

#include "internal/instance_float.h"
#include "internal/row_template.h"
#include "internal/sparse_simplex_template.h"
#include "internal/instance_end.h"

#include "internal/instance_double.h"
#include "internal/row_template.h"
#include "internal/sparse_simplex_template.h"
#include "internal/instance_end.h"
