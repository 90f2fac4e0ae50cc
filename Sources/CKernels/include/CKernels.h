#pragma once
// Hot numeric kernels in C, compiled for baseline x86-64 and, per function, for AVX2+FMA and AVX-512
// (`__attribute__((target(...)))`), with the variant chosen at run time from the processor's features.
// This keeps the package buildable as a dependency (no global compiler flags) while the kernels that
// dominate run times use the full vector width of the machine.
#include <stddef.h>

/// The widest vector extension the kernels may use on this processor: 0 baseline, 2 AVX2+FMA, 3 AVX-512F.
int sml_cpu_vector_level(void);
