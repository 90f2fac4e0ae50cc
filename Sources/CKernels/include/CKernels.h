#pragma once
// Hot numeric kernels in C, compiled for baseline x86-64 and, per function, for AVX2+FMA and AVX-512
// (`__attribute__((target(...)))`), with the variant chosen at run time from the processor's features.
// This keeps the package buildable as a dependency (no global compiler flags) while the kernels that
// dominate run times use the full vector width of the machine.
#include <stddef.h>

/// The widest vector extension the kernels may use on this processor: 0 baseline, 2 AVX2+FMA, 3 AVX-512F.
int sml_cpu_vector_level(void);

// MARK: - State-space kernels (cauchy.c)

/// The S4 generating function `K̂(ω)` of one channel at the nodes `m = 1 − ω` (Cauchy sums over the stored
/// modes and the Woodbury combination of rank 1 or 2), with `t = 1 + ω = 2 − m`:
///
/// `D_i = m² − p_i·m·t + q_i·t²`, `ĉk_k = m·Σ_i a_ik/D_i − t·Σ_i b_ik/D_i` for the `S = (rank + 1)²` sums
/// `k = row·(rank + 1) + column` (rows C̃, P̃*; columns B̃, P̃), then
/// `K̂ = ĉk_0 − ĉk_1·(½t)·ĉk_2/(1 + ½t·ĉk_3)` for rank 1 and the 2 × 2 solve for rank 2.
///
/// - Parameters:
///   - m_re, m_im: The nodes `1 − ω`, `nodes` each.
///   - terms: Per mode `2 + 2S` doubles: `p, q, a_0 … a_{S−1}, b_0 … b_{S−1}` (the step already folded in).
///   - modes: The stored modes.
///   - rank: 1 or 2.
///   - spectrum: `nodes` complex outputs, real and imaginary parts interleaved.
///   - level: The widest vector level to use (see `sml_cpu_vector_level`); lowered to what the processor has.
/// - Complexity: O(nodes·modes·S).
void sml_s4_generating_function(
    const double *m_re, const double *m_im, ptrdiff_t nodes, const double *terms, ptrdiff_t modes, int rank,
    double *spectrum, int level);

/// The doubles of scratch per mode that `sml_s4d_vandermonde` needs.
#define SML_S4D_VANDERMONDE_WORKSPACE_PER_MODE 68

/// The S4D Vandermonde sum `out[l] = Re Σ_n w_n z_nˡ` for `l < length`.
///
/// The powers come by repeated multiplication (`z^j`, `j ≤ 32`, once per mode; then `z^32` from one block of
/// 32 taps to the next), so the rounding error grows like `l·ε`, as for the plain recurrence.
///
/// - Parameters:
///   - w_re, w_im: The weights w, `modes` each.
///   - z_re, z_im: The ratios z, `modes` each.
///   - out: `length` outputs.
///   - level: The widest vector level to use (see `sml_cpu_vector_level`); lowered to what the processor has.
///   - workspace: `SML_S4D_VANDERMONDE_WORKSPACE_PER_MODE · modes` doubles of scratch.
/// - Complexity: O(modes·length).
void sml_s4d_vandermonde(
    const double *w_re, const double *w_im, const double *z_re, const double *z_im, ptrdiff_t modes,
    ptrdiff_t length, double *out, double *workspace, int level);
