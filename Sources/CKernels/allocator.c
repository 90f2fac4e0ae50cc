// Allocator settings for benchmarks: keep freed memory in the process so that large buffers freed by one
// timed run are not returned to the kernel and faulted in again by the next.
#include "CKernels.h"

#include <limits.h>  // through <features.h>, defines __GLIBC__ on glibc systems
#if defined(__GLIBC__)
#include <malloc.h>
#endif

void sml_keep_freed_memory(void) {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, INT_MAX);
#endif
}
