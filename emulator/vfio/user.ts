// Kernel-side helpers for ioctl arguments: copy_from_user / copy_to_user of the structures in uapi.ts.
import type { UserContext } from '../linux/files';
import { StructLayout, StructValues, decodeStruct, encodeStruct, offsetofend } from './uapi';
import { ERRNO } from '../linux/errno';

/** Copies the first `length` bytes of a struct from user memory; a number is -EFAULT. */
export function copyStructFromUser(proc: UserContext, arg: number, s: StructLayout, length: number): StructValues | number {
  const bytes = proc.readMemory(arg, length);
  return bytes ? decodeStruct(s, bytes, length) : -ERRNO.EFAULT;
}

/** Copies the first `length` bytes of a struct to user memory: 0 or -EFAULT. */
export function copyStructToUser(proc: UserContext, arg: number, s: StructLayout, values: Partial<Record<string, bigint | number>>, length: number): number {
  const image = encodeStruct(s, values, new Uint8Array(s.size), length);
  return proc.writeMemory(arg, image.subarray(0, length)) ? 0 : -ERRNO.EFAULT;
}

/**
 * The start of every VFIO ioctl: copy the structure up to its last mandatory field (`minsz`) from user memory and
 * refuse an `argsz` smaller than that (EINVAL). Returns the values and minsz, or -errno.
 */
export function readIoctlArg(proc: UserContext, arg: number, s: StructLayout, lastField: string): { values: StructValues; minsz: number } | number {
  const minsz = offsetofend(s, lastField);
  const values = copyStructFromUser(proc, arg, s, minsz);
  if (typeof values === 'number') return values;
  return values.argsz < BigInt(minsz) ? -ERRNO.EINVAL : { values, minsz };
}
