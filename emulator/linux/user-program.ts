// Starting an ARM Linux executable as a process: the one loader behind `dmalab run`/`run-elf`, the VFIO scenarios
// and the debugger. The program sees its workspace directory as `/`; argv[0] is its path there (its bare name at the
// root when it lies outside the workspace).
import * as path from 'node:path';
import { HostKernel } from '../host/kernel';
import type { Machine } from '../machine/machine';
import { hostKernelHooks } from './host-kernel';
import { LinuxProcess, type ProcessOptions } from './process';
import { Workspace } from './workspace';

export interface UserProgram extends Omit<ProcessOptions, 'workspace' | 'argv' | 'env'> {
  /** Host path of the executable (its bytes are `bytes`). */
  readonly path: string;
  readonly bytes: Uint8Array;
  readonly args: readonly string[];
  /** Host directory the program sees as `/`. */
  readonly workspace: string;
  /** NAME=VALUE strings. */
  readonly env: readonly string[];
}

/** The machine's bus with the host-kernel model serving /dev/vfio, sysfs and frames to the process. */
export function hostedOn(machine: Machine): Pick<ProcessOptions, 'bus' | 'frames' | 'devices' | 'timeline'> {
  return { bus: machine.bus, ...hostKernelHooks(new HostKernel(machine)) };
}

/** Loads the program into a new process (ElfError when it is no executable this CPU runs). */
export function startUserProgram(program: UserProgram): LinuxProcess {
  const workspace = new Workspace(program.workspace);
  const inside = path.relative(workspace.root, path.resolve(program.path));
  const guestPath = '/' + (inside.startsWith('..') || path.isAbsolute(inside) ? path.basename(program.path) : inside);
  const { path: _, bytes, args, ...options } = program;
  return new LinuxProcess(bytes, { ...options, workspace, argv: [guestPath, ...args] });
}
