// Atomics (LDREX/STREX), setjmp/longjmp, varargs, bit-fields, function pointers, 64-bit shifts, TLS.
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

static _Thread_local int tls_counter = 5;
static jmp_buf jump;
struct packed { unsigned a : 3, b : 7, c : 13; signed d : 9; };

static int sum(int count, ...) {
  va_list ap;
  va_start(ap, count);
  int total = 0;
  for (int i = 0; i < count; i++) total += va_arg(ap, int);
  va_end(ap);
  return total;
}

static double mean(int count, ...) {
  va_list ap;
  va_start(ap, count);
  double total = 0;
  for (int i = 0; i < count; i++) total += va_arg(ap, double);
  va_end(ap);
  return total / count;
}

__attribute__((noinline)) static void deep(int n) {
  if (n == 0) longjmp(jump, 17);
  deep(n - 1);
}

static int twice(int x) { return 2 * x; }
static int square(int x) { return x * x; }

int main(void) {
  atomic_int counter = 0;
  for (int i = 0; i < 100; i++) atomic_fetch_add(&counter, i);
  int expected = 4950;
  int swapped = atomic_compare_exchange_strong(&counter, &expected, 1);
  atomic_llong wide = 1;
  atomic_fetch_add(&wide, 0x100000000LL);
  printf("atomic %d %d %lld\n", swapped, atomic_load(&counter), (long long)atomic_load(&wide));
  int v = setjmp(jump);
  if (v == 0) deep(10);
  printf("longjmp %d\n", v);
  printf("varargs %d %.3f\n", sum(5, 1, 2, 3, 4, 5), mean(3, 1.5, 2.5, 4.0));
  struct packed p = {5, 100, 4000, -100};
  p.b += 30;
  p.d -= 7;
  printf("bitfield %u %u %u %d\n", p.a, p.b, p.c, p.d);
  int (*fns[])(int) = {twice, square};
  printf("fnptr %d %d\n", fns[0](21), fns[1](12));
  uint64_t x = 0x8000000000000001ULL;
  for (int s = 0; s < 64; s += 9) printf("%llx %lld ", (unsigned long long)(x >> s), (long long)((int64_t)x >> s));
  printf("\n");
  tls_counter += 10;
  printf("tls %d\n", tls_counter);
  return 0;
}
