// The one hex formatter of the user-mode Linux and the host-kernel model's messages (crash reports, faults, logs).

/** `0x` and the value in lower-case hex, zero-padded to `digits`; a negative value is read as its 32-bit pattern. */
export function hex(value: number, digits = 1): string {
  return '0x' + (value < 0 ? value >>> 0 : value).toString(16).padStart(digits, '0');
}
