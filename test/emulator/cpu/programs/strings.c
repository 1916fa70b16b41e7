// glibc's string functions over many lengths and alignments, and stdio formatting.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char src[600], dst[700];

static unsigned checksum(const unsigned char *p, size_t n) {
  unsigned h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
  return h;
}

static int compare_ints(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

int main(void) {
  for (int i = 0; i < 600; i++) src[i] = (unsigned char)(i * 7 + 3);
  unsigned h = 0;
  for (int so = 0; so < 8; so++)
    for (int dof = 0; dof < 8; dof++)
      for (int n = 0; n < 300; n += 13) {
        memset(dst, 0xa5, sizeof dst);
        memcpy(dst + dof, src + so, n);
        h = h * 31 + checksum(dst, sizeof dst);
        memmove(dst + dof + 3, dst + dof, n);
        h = h * 31 + checksum(dst, sizeof dst);
        memset(dst + so, n & 0xff, n);
        h = h * 31 + checksum(dst, sizeof dst);
      }
  printf("mem %08x\n", h);
  char buf[256], other[256];
  for (int len = 0; len < 100; len += 7) {
    for (int i = 0; i < len; i++) buf[i] = (char)('a' + (i * 5) % 26);
    buf[len] = 0;
    strcpy(other, buf);
    int cmp = len > 0 ? (other[len - 1]++, strcmp(buf, other)) : strcmp(buf, other);
    printf("len %zu cmp %d ncmp %d chr %td rchr %td\n", strlen(buf), cmp > 0 ? 1 : cmp < 0 ? -1 : 0,
           strncmp(buf, other, len / 2), strchr(buf, 'k') ? strchr(buf, 'k') - buf : -1,
           strrchr(buf, 'f') ? strrchr(buf, 'f') - buf : -1);
  }
  printf("strstr %s\n", strstr("the quick brown fox jumps", "fox"));
  printf("memchr %td\n", (char *)memchr("abcdefghijklmnop", 'm', 16) - "abcdefghijklmnop");
  printf("fmt [%5d] [%-5d] [%05x] [%s] [%10.3s] [%c] [%%] [%lu]\n", 42, -42, 0xbeef, "str", "truncate", 'z', 123456789UL);
  int values[64];
  for (int i = 0; i < 64; i++) values[i] = (i * 7919) % 101 - 50;
  qsort(values, 64, sizeof(int), compare_ints);
  for (int i = 0; i < 64; i += 8) printf("%d ", values[i]);
  printf("\n");
  char *dup = strdup("duplicated string");
  printf("%s %zu\n", dup, strlen(dup));
  free(dup);
  snprintf(buf, sizeof buf, "%s-%d-%x", "snprintf", 1234, 0xabc);
  printf("%s %d\n", buf, atoi("  -9876"));
  return 0;
}
