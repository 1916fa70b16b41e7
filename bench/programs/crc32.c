// Compute-bound benchmark: bitwise CRC-32 over 8 x 1 MiB of generated data (loads, shifts, XOR, branches).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint32_t crc32(const uint8_t *p, size_t n, uint32_t crc) {
  static uint32_t table[256];
  if (!table[1])
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
  crc = ~crc;
  for (size_t i = 0; i < n; i++) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

int main(void) {
  size_t size = 1 << 20;
  uint8_t *buf = malloc(size);
  uint32_t crc = 0, x = 1;
  for (int round = 0; round < 8; round++) {
    for (size_t i = 0; i < size; i++) {
      x ^= x << 13; x ^= x >> 17; x ^= x << 5;
      buf[i] = (uint8_t)x;
    }
    crc = crc32(buf, size, crc);
  }
  printf("crc %08x\n", crc);
  return 0;
}
