// Integer arithmetic the compiler turns into most data-processing, multiply, divide and shift forms.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static volatile uint32_t seed = 12345;

static uint32_t next(void) {
  seed = seed * 1103515245u + 12345u;
  return seed;
}

__attribute__((noinline)) static int classify(int x) {
  switch (x & 15) {
    case 0: return 7; case 1: return 3; case 2: return 11; case 3: return 19; case 4: return 23;
    case 5: return 29; case 6: return 31; case 7: return 37; case 8: return 41; case 9: return 43;
    case 10: return 47; case 11: return 53; default: return -1;
  }
}

__attribute__((noinline)) static int64_t fib(int n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(void) {
  uint32_t h = 0;
  int64_t acc64 = 0;
  uint64_t u64 = 1;
  for (int i = 0; i < 2000; i++) {
    uint32_t a = next(), b = next() | 1;
    int32_t sa = (int32_t)a, sb = (int32_t)b;
    h ^= a / b + a % b;
    h = (h << 5) | (h >> 27);
    h += (uint32_t)(sa / (sb >> 8 | 1)) ^ (uint32_t)(sa % (sb >> 12 | 1));
    h += (uint32_t)__builtin_clz(a | 1) + (uint32_t)__builtin_ctz(b) + (uint32_t)__builtin_popcount(a);
    h ^= (uint32_t)((uint64_t)a * b >> 32);
    h ^= (uint32_t)(((int64_t)sa * sb) >> 29);
    acc64 += (int64_t)sa * 3 - (int64_t)sb / 7;
    u64 = u64 * 6364136223846793005ull + a;
    h += (uint32_t)(u64 / (b | 0x10000)) + (uint32_t)(u64 % 1000003u);
    h += (uint32_t)classify((int)a);
    h ^= (a >> (b & 31)) + (uint32_t)(sa >> (b & 15)) + (a << (b & 7));
    h += (a & 0xff) * (b >> 24) + (uint16_t)a * (int16_t)b;
    h ^= __builtin_bswap32(a) ^ (uint32_t)__builtin_bswap16((uint16_t)b);
    h += a > b ? 1 : 2;
    h += sa < sb ? 3 : 5;
    if ((a ^ b) & 0x100) h = ~h;
  }
  printf("hash %08x\n", h);
  printf("acc64 %lld u64 %llu\n", (long long)acc64, (unsigned long long)u64);
  printf("fib %lld\n", (long long)fib(24));
  printf("div %d %d %u %u\n", -7 / 2, -7 % 2, 0xfffffff0u / 3u, 0xfffffff0u % 3u);
  long long big = 0x123456789abcdefLL;
  printf("64 %lld %lld %llx\n", big / -12345, big % 98765, (unsigned long long)big >> 13);
  char *end;
  printf("strtol %ld %lu\n", strtol("-123456", &end, 10), strtoul("0xdeadbeef", &end, 16));
  printf("abs %d labs %ld\n", abs(-42), labs(-100000L));
  return (int)(h & 0x3f);
}
