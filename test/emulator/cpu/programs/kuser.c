// The kuser helpers of the vector page (0xffff0000), called at their fixed addresses as the kernel documents them,
// and the 64-bit __sync builtins, which armel's libgcc implements with __kuser_cmpxchg64 (it checks the helper
// version at start-up and aborts when it is below 5).
#include <stdint.h>
#include <stdio.h>

typedef int (*kuser_cmpxchg_t)(int oldval, int newval, volatile int *ptr);
typedef int (*kuser_cmpxchg64_t)(const int64_t *oldval, const int64_t *newval, volatile int64_t *ptr);
typedef void (*kuser_memory_barrier_t)(void);
typedef void *(*kuser_get_tls_t)(void);
#define kuser_helper_version (*(volatile int32_t *)0xffff0ffc)
#define kuser_cmpxchg64 ((kuser_cmpxchg64_t)0xffff0f60)
#define kuser_memory_barrier ((kuser_memory_barrier_t)0xffff0fa0)
#define kuser_cmpxchg ((kuser_cmpxchg_t)0xffff0fc0)
#define kuser_get_tls ((kuser_get_tls_t)0xffff0fe0)

static __thread int thread_local_word;

int main(void) {
  printf("helper version %d\n", kuser_helper_version);

  volatile int word = 10;
  int r = kuser_cmpxchg(10, 11, &word);
  printf("cmpxchg 10->11: %s, word %d\n", r == 0 ? "swapped" : "kept", word);
  r = kuser_cmpxchg(10, 12, &word);
  printf("cmpxchg 10->12: %s, word %d\n", r == 0 ? "swapped" : "kept", word);

  volatile int64_t wide = 0x100000000LL;
  int64_t expected = 0x100000000LL, desired = -2;
  r = kuser_cmpxchg64(&expected, &desired, &wide);
  printf("cmpxchg64: %s, wide %lld\n", r == 0 ? "swapped" : "kept", (long long)wide);
  expected = 0x100000000LL;  // the high word differs from wide's now, the low word does not
  wide = 0x200000000LL;
  r = kuser_cmpxchg64(&expected, &desired, &wide);
  printf("cmpxchg64 high word differs: %s, wide %llx\n", r == 0 ? "swapped" : "kept", (unsigned long long)wide);

  kuser_memory_barrier();
  // TPIDRURO points into the thread's TLS block: a __thread variable sits above it.
  uintptr_t tls = (uintptr_t)kuser_get_tls();
  uintptr_t local = (uintptr_t)&thread_local_word;
  printf("get_tls: %s\n", tls != 0 && local > tls && local - tls < 4096 ? "thread pointer below the TLS variable" : "wrong");

  static uint64_t counter = 0xfffffffeULL;
  uint64_t old = __sync_fetch_and_add(&counter, 3);
  printf("sync add 64: %llx -> %llx\n", (unsigned long long)old, (unsigned long long)counter);
  old = __sync_val_compare_and_swap(&counter, 0x100000001ULL, 0x123456789abcdefULL);
  printf("sync cas 64: %llx -> %llx\n", (unsigned long long)old, (unsigned long long)counter);
  printf("sync bool cas 64 (stale): %d\n", __sync_bool_compare_and_swap(&counter, 0x100000001ULL, 0));
  return 0;
}
