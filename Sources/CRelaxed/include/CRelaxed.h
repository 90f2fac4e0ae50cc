#pragma once
// Arithmetic that the compiler may reassociate and contract, so that reductions written with it vectorize.
// Results depend on vector width; reference paths in tests use strict arithmetic and tolerances.
#define SML_RELAXED _Pragma("clang fp reassociate(on) contract(fast)")

static inline __attribute__((always_inline)) float sml_add_f(float a, float b) { SML_RELAXED return a + b; }
static inline __attribute__((always_inline)) float sml_mul_f(float a, float b) { SML_RELAXED return a * b; }
static inline __attribute__((always_inline)) double sml_add_d(double a, double b) { SML_RELAXED return a + b; }
static inline __attribute__((always_inline)) double sml_mul_d(double a, double b) { SML_RELAXED return a * b; }

/// Keeps `p` and what it points to alive for the optimizer: the benchmark black hole.
static inline void sml_barrier(const void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }
