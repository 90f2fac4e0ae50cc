#include "CKernels.h"
#include "internal/vector_level.h"

/// The processor's level, detected on first use. Threads that race on the first call all store the same
/// value, through relaxed atomics so that the race is well defined.
int sml_cpu_vector_level(void) {
#if defined(__x86_64__) || defined(__i386__)
  static int detected = -1;
  int level = __atomic_load_n(&detected, __ATOMIC_RELAXED);
  if (level < 0) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")) {
      level = 3;
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
      level = 2;
    } else {
      level = 0;
    }
    __atomic_store_n(&detected, level, __ATOMIC_RELAXED);
  }
  return level;
#else
  return 0;
#endif
}

int sml_effective_vector_level(int requested) {
  int supported = sml_cpu_vector_level();
  return requested < supported ? requested : supported;
}
