#pragma once
// Hot numeric kernels in C, compiled for baseline x86-64 and, per function, for AVX2+FMA and AVX-512
// (`__attribute__((target(...)))`), with the variant chosen at run time from the processor's features.
// This keeps the package buildable as a dependency (no global compiler flags) while the kernels that
// dominate run times use the full vector width of the machine.
#include <stddef.h>

/// Tells the C allocator (glibc) to keep freed memory and serve buffers up to 32 MiB from its heap, so that
/// benchmark runs do not pay page faults that depend on what ran before them; a no-op elsewhere.
void sml_keep_freed_memory(void);

/// Keeps `p` and what it points to alive for the optimizer: the benchmark black hole.
static inline void sml_barrier(const void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }

/// The widest vector extension the kernels may use on this processor: 0 baseline, 2 AVX2+FMA, 3 AVX-512F.
///
/// Every kernel that has vector variants takes a trailing `int level`: the widest variant to run, lowered to
/// this level. Production code passes `sml_cpu_vector_level()`; tests pass 0, 2 and 3 to exercise each variant.
/// No state is kept between calls, so concurrent callers never affect each other's choice.
int sml_cpu_vector_level(void);

// MARK: - Softmax family (softmax.c)
//
// Every kernel has a float (`_f`) and a double (`_d`) version and works on one contiguous row of `n` elements.
// "Invalid" rows hold a NaN or `+inf`; "empty" rows are all `-inf`. The trailing `level` is the widest vector
// level to use (see `sml_cpu_vector_level`), lowered to what the processor has.

/// `out[i] = e^{x[i]}` with ≤ 2 ulp error (float) for normal results: exactly 0 for `-inf` and below the
/// subnormal range, `+inf` above the overflow limit, NaN for NaN. `out` may equal `x`.
void sml_exp_f(const float *x, float *out, size_t n, int level);
/// `out[i] = e^{x[i]}` in double precision; see `sml_exp_f`.
void sml_exp_d(const double *x, double *out, size_t n, int level);

/// The largest element of the row; sets `*invalid` to 1 when the row holds a NaN or `+inf`, else 0.
float sml_row_max_f(const float *x, size_t n, int *invalid, int level);
/// The largest element of the row; see `sml_row_max_f`.
double sml_row_max_d(const double *x, size_t n, int *invalid, int level);

/// Writes `out[i] = e^{(x[i] − shift)·scale}` and returns their sum.
float sml_exp_sum_f(const float *x, float *out, size_t n, float shift, float scale, int level);
/// Writes `out[i] = e^{(x[i] − shift)·scale}` and returns their sum.
double sml_exp_sum_d(const double *x, double *out, size_t n, double shift, double scale, int level);

/// Multiplies every element by `factor`.
void sml_scale_f(float *x, size_t n, float factor, int level);
/// Multiplies every element by `factor`.
void sml_scale_d(double *x, size_t n, double factor, int level);

/// The sum of the elements.
float sml_sum_f(const float *x, size_t n, int level);
/// The sum of the elements.
double sml_sum_d(const double *x, size_t n, int level);

/// The inner product `Σ a[i]·b[i]`.
float sml_dot_f(const float *a, const float *b, size_t n, int level);
/// The inner product `Σ a[i]·b[i]`.
double sml_dot_d(const double *a, const double *b, size_t n, int level);

/// Softmax of the row at inverse temperature `1/T`: NaN for an invalid row, zeros for an empty one.
/// Three passes (maximum, exponentials and their sum, scaling), the last two on cached data.
void sml_softmax_row_f(const float *x, float *out, size_t n, float inverse_temperature, int level);
/// Softmax of the row; see `sml_softmax_row_f`.
void sml_softmax_row_d(const double *x, double *out, size_t n, double inverse_temperature, int level);

/// Log-softmax of the row, `(x − max)/T − log Σ e^{(x − max)/T}`: NaN for an invalid row, `-inf` for an empty one.
void sml_log_softmax_row_f(const float *x, float *out, size_t n, float inverse_temperature, int level);
/// Log-softmax of the row; see `sml_log_softmax_row_f`.
void sml_log_softmax_row_d(const double *x, double *out, size_t n, double inverse_temperature, int level);

/// The log-softmax vector–Jacobian product `(u − e^{log_p}·Σu)·factor`, 0 where `log_p` is `-inf`.
void sml_log_softmax_backward_row_f(const float *log_p, const float *u, float *out, size_t n, float factor, int level);
/// The log-softmax vector–Jacobian product; see `sml_log_softmax_backward_row_f`.
void sml_log_softmax_backward_row_d(
  const double *log_p, const double *u, double *out, size_t n, double factor, int level);

// MARK: - Sparse simplex projections (sparse_simplex.c)
//
// The row kernels take the same trailing `level` as the softmax family; the thresholds are scalar code.

/// The sparsemax threshold `τ` with `Σ[z − τ]₊ = 1` of `count` values (Michelot's algorithm, expected linear
/// time). Reorders `z`.
double sml_sparsemax_threshold(double *z, size_t count);

/// The 1.5-entmax threshold `τ` with `Σ[z − τ]₊² = 1` of `count` values `z ≤ 0` whose maximum is 0, given a
/// lower bound `lower` of `τ` at or above every value left out of `z` (−1 when none are): Newton steps from
/// `lower` (they stay below the threshold) until the closed form `μ − √(1/k − σ²)` on `S = {z > τ}` is
/// consistent with `S`, which makes it exact. Reorders `z`.
double sml_entmax15_threshold(double *z, size_t count, double lower);

/// Sparsemax of the row: `[x − τ]₊`; NaN for an invalid row, zeros for an empty one. `workspace` holds `n`
/// doubles.
void sml_sparsemax_row_f(const float *x, float *out, size_t n, double *workspace, int level);
/// Sparsemax of the row; see `sml_sparsemax_row_f`.
void sml_sparsemax_row_d(const double *x, double *out, size_t n, double *workspace, int level);

/// 1.5-entmax of the row: `[(x − max)/2 − τ]₊²`; NaN for an invalid row, zeros for an empty one. `workspace`
/// holds `n` doubles.
void sml_entmax15_row_f(const float *x, float *out, size_t n, double *workspace, int level);
/// 1.5-entmax of the row; see `sml_entmax15_row_f`.
void sml_entmax15_row_d(const double *x, double *out, size_t n, double *workspace, int level);

// MARK: - Entmax-family backward (simplex_backward.c)
//
// The trailing `level` is as in the softmax family.

/// The weights `g` of the entmax-family backward, derived from the forward output `p`.
typedef enum {
  /// `g = p` (softmax), or weights computed beforehand and passed as `p`.
  SML_WEIGHTS_AS_GIVEN = 0,
  /// `g = 1` where `p > 0`, else 0 (sparsemax).
  SML_WEIGHTS_SUPPORT = 1,
  /// `g = √p` (1.5-entmax).
  SML_WEIGHTS_SQUARE_ROOT = 2,
} sml_backward_weights;

/// The entmax-family vector–Jacobian product `g ⊙ (v − ⟨g, v⟩/Σg)·factor`, zeros when `Σg` is not positive.
/// `out` may equal `p`.
void sml_simplex_backward_row_f(
  const float *p, const float *v, float *out, size_t n, float factor, sml_backward_weights weights, int level);
/// The entmax-family vector–Jacobian product; see `sml_simplex_backward_row_f`.
void sml_simplex_backward_row_d(
  const double *p, const double *v, double *out, size_t n, double factor, sml_backward_weights weights, int level);

// MARK: - GELU (gelu.c)
//
// Row kernels on `n` contiguous floats, with the trailing `level` of the softmax family. The exact form computes
// `Φ(x)` with each tail evaluated directly (no `1 + erf` cancellation) and is within a few ulp of the correctly
// rounded result for every float; the tanh form is GPT-2's `x·½(1 + tanh(√(2/π)·(x + 0.044715·x³)))`. The
// backward kernels recompute `Φ` from the stored input, which costs less than storing it (one pass, no extra
// buffer), and write `dx = dy·GELU′(x)`, or add it to `dx` when `accumulate` is nonzero.

/// `out[i] = x[i]·Φ(x[i])`, the exact GELU. `out` may equal `x`.
void sml_gelu_f(const float *x, float *out, size_t n, int level);
/// `dx[i] = dy[i]·(Φ(x[i]) + x[i]·φ(x[i]))` (`+=` when `accumulate`).
void sml_gelu_backward_f(const float *x, const float *dy, float *dx, size_t n, int accumulate, int level);
/// `out[i] = x[i]·σ(2u)`, `u = √(2/π)·(x + 0.044715·x³)`: the tanh-form GELU. `out` may equal `x`.
void sml_gelu_tanh_f(const float *x, float *out, size_t n, int level);
/// `dx[i] = dy[i]·` the derivative of the tanh form at `x[i]` (`+=` when `accumulate`).
void sml_gelu_tanh_backward_f(const float *x, const float *dy, float *dx, size_t n, int accumulate, int level);

// MARK: - Optimizer updates (adamw.c)

/// The factors of one AdamW step of one parameter group (see `sml_adamw_update_f`).
typedef struct {
  /// `1 − lr·wd`, the decoupled weight decay.
  float decay;
  /// `1 − β₁`.
  float one_minus_beta1;
  /// `β₂`.
  float beta2;
  /// `1 − β₂`.
  float one_minus_beta2;
  /// `lr / (1 − β₁ᵗ)`.
  float step_size;
  /// `√(1 − β₂ᵗ)`.
  float correction;
  /// `ε`, added outside the square root.
  float epsilon;
} sml_adamw_coefficients;

/// One AdamW step over `n` parameters `p` with gradients `g`, first moments `m` and second moments `v`, all
/// updated in place, each operation rounded separately (no fused multiply-add) so every level gives the same bits:
/// ```
/// p ← p·decay
/// m ← m + (1 − β₁)·(g − m)
/// v ← β₂·v + ((1 − β₂)·g)·g
/// p ← p − step·(m / (√v / correction + ε))
/// ```
/// `coefficients` holds the step's factors, each already rounded to float.
void sml_adamw_update_f(
  float *p, const float *g, float *m, float *v, size_t n, sml_adamw_coefficients coefficients, int level);

// MARK: - Monarch block products (monarch_gemm.c)

/// `C[i·ldc + j] = (accumulate ? C[i·ldc + j] : 0) + Σ_t A[i·ars + t·acs] · B[t·ldb + j]` for `i < m`,
/// `j < n`, `t < depth`: a single-precision GEMM whose left operand has arbitrary strides (plain `ars = lda,
/// acs = 1`, transposed `ars = 1, acs = lda`, or a permuted gather) and whose right operand and result are
/// row-major with unit column stride.
///
/// Register blocks broadcast one element of `A` into 16-float runs of `B` (6 rows × 64 columns on AVX-512,
/// 6 × 16 on AVX2+FMA, 2 × 16 on the baseline); the depth is blocked by 256 and the rows by 96 so that a column
/// panel of `B` stays in L1. Any `m`, `n`, `depth` work: leftover rows form one smaller block and the last
/// `n mod 16` columns run on a zero-padded copy of their panel. `C` must not overlap `A` or `B`; without
/// `accumulate` its previous contents (even NaN) are ignored, and `depth == 0` writes zeros.
///
/// - Parameter level: The widest vector level to use (see `sml_cpu_vector_level`); lowered to what the
///   processor has.
/// - Complexity: O(m·n·depth) multiply-adds, O(1) extra memory (a 16 KB panel on the stack for the tail).
void sml_monarch_gemm_f32(
    int m, int n, int depth, const float *a, ptrdiff_t ars, ptrdiff_t acs, const float *b, ptrdiff_t ldb, float *c,
    ptrdiff_t ldc, int accumulate, int level);

/// `C[i·ldc + j] = Σ_t A[i·lda + t] · B[j·ldb + t]` for `i < m`, `j < n`, `t < depth`: the product `A·Bᵀ` of two
/// row-major operands as dot products over contiguous runs, for a few rows of `A` (the forward multiply at
/// batch 1 on factors as stored, with no transposed copy).
///
/// Four rows of `B` at a time are dotted with every row of `A` (two at a time on AVX-512), so `B` is read from
/// memory once; the last `depth mod 16` terms are added one by one. `C` is overwritten (`depth == 0` writes zeros).
///
/// - Complexity: O(m·n·depth) multiply-adds, no extra memory.
void sml_monarch_gemm_nt_f32(
    int m, int n, int depth, const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc,
    int level);

/// The first step of the transposed Monarch multiply for `l` a multiple of 16, with no permutation copies:
/// `h[b·ldh + rr·l + ll] = Σ_ss w2[ll][ss][rr] · u[b·ldu + ss·l + ll]` for `b < rows`, `rr < r`, `ll < l`, with
/// `w2p` the lane-packed second factor of ``sml_monarch_forward_tile_f32`` (`w2p[ll / 16][ss][rr][ll % 16]`).
/// 16 consecutive `ll` are contiguous in both `u` and `h`, so each term is an elementwise product of two 16-float
/// runs, and `h` comes out in the first factor's order (`kk·q + qq`).
///
/// - Complexity: O(rows·l·s·r) multiply-adds, no extra memory.
void sml_monarch_transposed_lanes_f32(
    const float *u, ptrdiff_t ldu, int rows, const float *w2p, int l, int s, int r, float *h, ptrdiff_t ldh,
    int level);

/// `dst[j·ldd + i] = src[i·lds + j]` for `i < rows`, `j < cols`: a transposed copy in 8 × 8 blocks of vector
/// shuffles (the rest element by element), for the Monarch permutations and factor transposes. The two
/// matrices must not overlap.
///
/// - Complexity: O(rows·cols).
void sml_transpose_f32(int rows, int cols, const float *src, ptrdiff_t lds, float *dst, ptrdiff_t ldd, int level);

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
///   - w1t, w2p: The packed factors, `k·p·q` and `s·r·l` floats; 64-byte aligned for whole-line loads (any
///     alignment gives the same result).
///   - h: Scratch for the middle activation, `k·q·rows` floats; 64-byte aligned as the factors.
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

// MARK: - State-space kernels (cauchy.c)

/// The S4 generating function `K̂(ω)` of one channel at the nodes `τ = tan(θ/2)`, `ω = e^{−iθ}` (Cauchy sums
/// over the stored modes and the Woodbury combination of rank 1 or 2).
///
/// With `1 − ω = iτ·(1 + ω)` and `1/(1 + ω) = ½(1 + iτ)`, each mode's denominator divided by `(1 + ω)²` is
/// `D' = (q − τ²) − i·pτ`, so one real `|D'|² = (q − τ²)² + p²τ²` serves the conjugate pair, and for the
/// `S = (rank + 1)²` sums `k = row·(rank + 1) + column` (rows C̃, P̃*; columns B̃, P̃)
///
/// `P_k = Σ_i (iτ·a_ik − b_ik)·conj(D'_i)/|D'_i|²`, then
/// `K̂ = ½(1 + iτ)·(P_0 − P_1·P_2/(2 + P_3))` for rank 1 and `½(1 + iτ)·(P_00 − p_01·(2I + P_11)⁻¹·p_10)`
/// for rank 2. At `τ = ∞` (ω = −1) `K̂ = ½·Σ_i a_i0`.
///
/// - Parameters:
///   - tau: The nodes `τ`, `nodes` of them (`+∞` allowed for the last one only).
///   - terms: Per mode `2 + 4S` doubles: `q, p², b_0 … b_{S−1}, a_0·p … a_{S−1}·p, a_0 … a_{S−1},
///     b_0·p … b_{S−1}·p` (the step already folded in).
///   - modes: The stored modes.
///   - rank: 1 or 2.
///   - spectrum: `nodes` complex outputs, real and imaginary parts interleaved.
///   - level: The widest vector level to use (see `sml_cpu_vector_level`); lowered to what the processor has.
/// - Complexity: O(nodes·modes·S).
void sml_s4_generating_function(
    const double *tau, ptrdiff_t nodes, const double *terms, ptrdiff_t modes, int rank, double *spectrum,
    int level);

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
