// The sparse simplex projections (see CKernels.h): thresholds in double precision, row kernels for float and
// double.
#include "internal/kernel_support.h"

double sml_sparsemax_threshold(double *z, size_t count) {
  size_t size = count;
  double total = 0;
  for (size_t i = 0; i < size; i++) total += z[i];
  double tau = (total - 1) / (double)size;
  for (;;) {
    size_t kept = 0;
    total = 0;
    for (size_t i = 0; i < size; i++) {
      if (z[i] > tau) {
        z[kept++] = z[i];
        total += z[i];
      }
    }
    if (kept == size) return tau;
    size = kept;
    tau = (total - 1) / (double)size;
  }
}

double sml_entmax15_threshold(double *z, size_t count) {
  double tau = -1;
  size_t size = count;
  for (int step = 0; step < 200; step++) {
    // Keep S = {z > τ} and its moments about τ.
    size_t kept = 0;
    double first = 0, second = 0, lowest = INFINITY;
    for (size_t i = 0; i < size; i++) {
      double value = z[i];
      if (value > tau) {
        z[kept++] = value;
        double d = value - tau;
        first += d;
        second += d * d;
        if (value < lowest) lowest = value;
      }
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
