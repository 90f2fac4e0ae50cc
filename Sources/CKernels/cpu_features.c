#include "CKernels.h"
#include "internal/vector_level.h"

int sml_cpu_vector_level(void) {
#if defined(__x86_64__) || defined(__i386__)
  static int level = -1;
  if (level < 0) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")) {
      level = 3;
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
      level = 2;
    } else {
      level = 0;
    }
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
