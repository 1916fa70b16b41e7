// Custom requests between the extension's commands and the server: one engine for the CLI, the server and the
// commands. Parameters and results are plain JSON (bytes as base64).
import { RequestType } from 'vscode-languageserver-protocol';

export interface AssembleResponse {
  readonly errors: number;
  readonly listing: string;
  /** The image from the lowest program base to the highest end. */
  readonly base: number;
  readonly image: string;
  /** A C header with one array per program. */
  readonly header: string;
}

export interface CompileDevicetreeResponse {
  readonly errors: number;
  /** The DTB, base64; empty when there are errors. */
  readonly dtb: string;
  readonly messages: readonly string[];
}

export const REQUESTS = {
  assemble: new RequestType<{ uri: string }, AssembleResponse, void>('dmalab/assemble'),
  disassemble: new RequestType<{ bytes: string; base?: number; thread?: 'manager' | 'channel' }, { text: string }, void>('dmalab/disassemble'),
  compileDevicetree: new RequestType<{ uri: string }, CompileDevicetreeResponse, void>('dmalab/compileDevicetree'),
  decompileDtb: new RequestType<{ bytes: string }, { text: string }, void>('dmalab/decompileDtb'),
} as const;
