// The one way a devicetree source becomes a tree, for `dmalab dtc`, machine building and the language server: the
// kernel's rule, the C preprocessor (`cpp -undef -D__DTS__`, with the same include directories) and then the
// compiler. The preprocessor is the identity on a source without directives, so running it is always safe.
import { readFileSync, statSync } from 'node:fs';
import { CompileOptions, CompileResult, compileDts } from './compiler';
import { dirname } from './parser';
import { preprocess, type PreprocessOptions, type PreprocessResult } from './preprocessor';
import { type Diagnostic, type FileHost, Source } from './source';

/** Files of the host's file system (what /include/, /incbin/ and #include read). */
export const fileHost: FileHost = {
  readFile(path) {
    return statSync(path, { throwIfNoEntry: false })?.isFile() ? readFileSync(path) : undefined;
  },
};

/** The preprocessor as the kernel's devicetree build runs it: `__DTS__` defined, then the caller's -D macros. */
export function preprocessDts(name: string, text: string, options: PreprocessOptions): PreprocessResult {
  return preprocess(name, text, { ...options, defines: ['__DTS__', ...(options.defines ?? [])] });
}

export interface DtsCompilation {
  /** The preprocessor's diagnostics (its errors stop before compiling: `result` is then undefined). */
  readonly preprocessor: readonly Diagnostic[];
  readonly result?: CompileResult;
}

/** Preprocesses (unless `cpp` is false) and compiles DTS text. */
export function compileDtsText(name: string, text: string, options: CompileOptions & { defines?: readonly string[]; cpp?: boolean }): DtsCompilation {
  if (options.cpp === false) return { preprocessor: [], result: compileDts(new Source(name, text, dirname(name)), options) };
  const pre = preprocessDts(name, text, { host: options.host, includeDirs: options.includeDirs ?? [], defines: options.defines ?? [] });
  if (pre.diagnostics.some((d) => d.severity === 'error')) return { preprocessor: pre.diagnostics };
  return { preprocessor: pre.diagnostics, result: compileDts(new Source(name, pre.text, dirname(name), pre.map, pre.segments), options) };
}
