// Single and double precision arithmetic, conversions and libm, printed with stdio.
#include <math.h>
#include <stdio.h>
#include <stdint.h>

static volatile double vd[] = {0.1, -2.5, 3.14159265358979, 1e-300, 1e300, 0.0, -0.0, 123456.789};
static volatile float vf[] = {0.1f, -2.5f, 3.1415927f, 1e-30f, 1e30f, 0.0f, 7.25f, 65504.0f};

int main(void) {
  double sum = 0;
  float fsum = 0;
  for (int i = 0; i < 8; i++) {
    for (int j = 0; j < 8; j++) {
      double a = vd[i], b = vd[j];
      sum += a * b - a / (b == 0 ? 1 : b) + (a < b) - (a >= b) * 0.5;
      float x = vf[i], y = vf[j];
      fsum += x * y + x / (y == 0 ? 1 : y) - (x > y);
      fsum = fsum * 0.999f + fmaf(x, 1e-3f, y) * 1e-6f;
    }
  }
  printf("sum %.17g fsum %.9g\n", sum, (double)fsum);
  for (int i = 0; i < 8; i++) {
    double a = vd[i];
    printf("%g %e %.3f %d %u %lld %d\n", a, a, a, (int)a, (unsigned)(a < 0 ? -a : a), (long long)a, (int)(float)a);
  }
  printf("sqrt %.15g %.7g\n", sqrt(2.0), (double)sqrtf(3.0f));
  printf("libm %.12g %.12g %.12g %.12g %.12g\n", sin(1.0), cos(2.0), exp(1.5), log(10.0), pow(2.0, 0.5));
  printf("atan2 %.12g floor %g ceil %g round %g trunc %g\n", atan2(1.0, -1.0), floor(-2.5), ceil(-2.5), round(2.5), trunc(-2.7));
  printf("inf %g nan %d isinf %d\n", 1.0 / vd[5], isnan(vd[5] / vd[5]), isinf(-1.0 / vd[5]));
  printf("conv %d %u %d %f %f\n", (int)-3.99, (unsigned)3.99e9, (int)1e10, (double)(int32_t)-123456789, (double)4000000000u);
  printf("float %f %f %f\n", (double)(float)1e-40, (double)(vf[2] * vf[2]), (double)(-vf[1] / 3));
  float fa[16];
  for (int i = 0; i < 16; i++) fa[i] = (float)i / 3.0f;
  float dot = 0;
  for (int i = 0; i < 16; i++) dot += fa[i] * fa[15 - i];
  printf("dot %.6f\n", (double)dot);
  printf("cmp %d %d %d %d\n", vd[0] < vd[1], vd[1] <= vd[1], vd[2] > 3.0, vf[0] == 0.1f);
  return 0;
}
