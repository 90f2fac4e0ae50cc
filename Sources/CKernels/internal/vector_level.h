#pragma once
// The one rule every kernel entry point uses to turn its `level` argument into the variant it runs.

/// The level a kernel actually runs: the requested one (0 baseline, 2 AVX2+FMA, 3 AVX-512), lowered to what the
/// processor supports (`sml_cpu_vector_level()`).
int sml_effective_vector_level(int requested);
