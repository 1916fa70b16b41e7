// Kernel-side helpers for ioctl arguments: copy_from_user / copy_to_user of the structures in uapi.ts.
import type { UserProcess } from '../host/process';
import { ERRNO, StructLayout, StructValues, decodeStruct, encodeStruct } from './uapi';

/** Copies the first `length` bytes of a struct from user memory; a number is -EFAULT. */
export function copyStructFromUser(proc: UserProcess, arg: number, s: StructLayout, length: number): StructValues | number {
  const bytes = proc.readMemory(arg, length);
  return bytes ? decodeStruct(s, bytes, length) : -ERRNO.EFAULT;
}

/** Copies the first `length` bytes of a struct to user memory: 0 or -EFAULT. */
export function copyStructToUser(proc: UserProcess, arg: number, s: StructLayout, values: Partial<Record<string, bigint | number>>, length: number): number {
  const image = encodeStruct(s, values, new Uint8Array(s.size), length);
  return proc.writeMemory(arg, image.subarray(0, length)) ? 0 : -ERRNO.EFAULT;
}
