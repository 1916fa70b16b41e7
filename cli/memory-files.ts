// Files in and out of the machine's memory (`dmalab run --mem ADDR=FILE`, `--dump ADDR:LEN=FILE`), read and written
// in place in RAM: an image of hundreds of MiB costs no second copy of itself in the process.
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import type { Bus } from '../emulator/bus/bus';

/** Loads the file's bytes at the physical address; returns how many. */
export function loadFile(bus: Bus, address: number, file: string): number {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    let position = 0;
    bus.physicalInPlace(address, size, true, (bytes, offset, length) => {
      for (let end = offset + length; offset < end; ) {
        const read = readSync(fd, bytes, offset, end - offset, position);
        if (read === 0) throw new Error(`${file}: shorter than its ${size} bytes (changed while loading?)`);
        offset += read;
        position += read;
      }
    });
    return size;
  } finally {
    closeSync(fd);
  }
}

/** Writes length bytes of memory at the physical address to the file. */
export function dumpToFile(bus: Bus, address: number, length: number, file: string): void {
  const fd = openSync(file, 'w');
  try {
    bus.physicalInPlace(address, length, false, (bytes, offset, size) => {
      for (let end = offset + size; offset < end; ) offset += writeSync(fd, bytes, offset, end - offset);
    });
  } finally {
    closeSync(fd);
  }
}
