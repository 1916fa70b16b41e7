// Devicetree in the language server. Placeholder until the devicetree engine (server/dts) is merged: the
// language is registered and answers every request, with no diagnostics of its own yet.
import type { DocumentContext, LanguageSupport } from './language';
import type { CompileDevicetreeResponse } from './requests';

export interface DevicetreeSupport extends LanguageSupport {
  compile(ctx: DocumentContext): CompileDevicetreeResponse;
  decompile(bytes: Uint8Array): { text: string };
}

export function createDevicetreeSupport(): DevicetreeSupport {
  return {
    diagnostics: () => [],
    compile: () => ({ errors: 1, dtb: '', messages: ['the devicetree compiler is not available in this build'] }),
    decompile: () => ({ text: '// the devicetree decompiler is not available in this build\n' }),
  };
}
