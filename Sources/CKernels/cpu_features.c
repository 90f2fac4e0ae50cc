#include "CKernels.h"

static int level_limit = 3;

void sml_cpu_limit_vector_level(int level) { __atomic_store_n(&level_limit, level, __ATOMIC_RELAXED); }

static int detected_vector_level(void) {
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

int sml_cpu_vector_level(void) {
  int detected = detected_vector_level(), limit = __atomic_load_n(&level_limit, __ATOMIC_RELAXED);
  return detected < limit ? detected : limit;
}
