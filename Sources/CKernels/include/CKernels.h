#pragma once
// Hot numeric kernels in C, compiled for baseline x86-64 and, per function, for AVX2+FMA and AVX-512
// (`__attribute__((target(...)))`), with the variant chosen at run time from the processor's features.
// This keeps the package buildable as a dependency (no global compiler flags) while the kernels that
// dominate run times use the full vector width of the machine.
#include <stddef.h>

/// The widest vector extension the kernels may use on this processor: 0 baseline, 2 AVX2+FMA, 3 AVX-512F.
int sml_cpu_vector_level(void);

// MARK: - Monarch kernels (monarch.c)

/// The largest Krylov dimension that ``sml_monarch_top_singular_f32`` uses.
#define SML_MONARCH_MAX_LANCZOS_STEPS 32

/// The forward Monarch multiply `y = x Mᵀ` of one tile of batch rows, for `q = rank·l` and `r = rank·k` with
/// `l` a multiple of 16 and no padding (`in = k·p`, `out = l·s`).
///
/// Step 1 is a register-blocked small GEMM per block `kk` that broadcasts `x` and reads rows of the packed
/// `w1t[kk][pp][qq] = w1[kk][qq][pp]`; it stores the middle activation (middle index `rr·l + ll`) lane-chunk
/// major, `h[ll / 16][b][rr][ll % 16]`. Step 2 needs no permutation copies: `y[b][ss·l + ll]` over 16
/// consecutive `ll` is contiguous and equals `Σ_rr w2p[ll / 16][ss][rr][ll % 16] · h[ll / 16][b][rr][ll % 16]`,
/// with `w2p` packed from `w2[ll][ss][rr]`: a sum of elementwise products of two contiguous runs.
///
/// - Parameters:
///   - x: The first input row; rows are `ldx` floats apart.
///   - rows: The rows of the tile.
///   - w1t, w2p: The packed factors, `k·p·q` and `s·r·l` floats.
///   - h: Scratch for the middle activation, `k·q·rows` floats.
///   - y: The first output row; rows are `ldy` floats apart.
///   - level: The widest vector level to use (see `sml_cpu_vector_level`); lowered to what the processor has.
/// - Complexity: O(rows·(k·q·p + l·s·r)) multiply-adds.
void sml_monarch_forward_tile_f32(
    const float *x, ptrdiff_t ldx, int rows, const float *w1t, const float *w2p, int k, int p, int rank, int l,
    int s, float *h, float *y, ptrdiff_t ldy, int level);

/// The number of floats of scratch memory that ``sml_monarch_top_singular_f32`` needs for a slice.
size_t sml_monarch_top_singular_workspace(int rows, int cols, int steps);

/// The top singular triple of the `rows × cols` slice `A[i][j] = w[i·row_stride + j]`, by Lanczos on `AᵀA`
/// in single precision (16-lane vectors, full reorthogonalization) and a refinement in double.
///
/// - Parameters:
///   - steps: The largest Krylov dimension, at most `SML_MONARCH_MAX_LANCZOS_STEPS`.
///   - workspace: `sml_monarch_top_singular_workspace(rows, cols, steps)` floats.
///   - u, v: Receive the unit singular vectors (`rows` and `cols` doubles; zero for a zero slice).
///   - norm2: Receives `‖A‖²`, summed in double (not finite when `A` holds NaN or infinity).
///   - error2: Receives `‖A − σ u vᵀ‖²`, summed in double.
///   - level: The widest vector level to use; lowered to what the processor has.
/// - Returns: `σ = ‖A v‖`.
/// - Complexity: O(steps·rows·cols) multiply-adds.
double sml_monarch_top_singular_f32(
    const float *w, ptrdiff_t row_stride, int rows, int cols, int steps, float *workspace, double *u, double *v,
    double *norm2, double *error2, int level);
