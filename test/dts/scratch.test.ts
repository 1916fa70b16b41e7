import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newPreprocessCache } from '../../server/dts/preprocessor';
import { formatDiagnostic } from '../../server/dts/source';
import { compileKernelDts, corpusFiles, ensureKernelTree, referenceDir } from './corpus';
const tree = ensureKernelTree();
const files = corpusFiles(tree).filter((f) => f.includes(process.env.F ?? ''));
const cache = newPreprocessCache(); const refDir = referenceDir();
let same = 0; const t0 = Date.now();
for (const rel of files.slice(Number(process.env.S ?? 0), Number(process.env.N ?? 99999))) {
  const t = Date.now();
  const r = compileKernelDts(tree, rel, cache);
  const ref = readFileSync(join(refDir, rel + '.dtb'));
  const ok = r.dtb && Buffer.from(r.dtb).equals(ref);
  if (ok) same++;
  if (!ok || process.env.V) console.log(rel, ok ? 'OK' : 'DIFF', Date.now() - t, 'ms', r.diagnostics.filter(d=>d.severity==='error').slice(0,2).map((d) => formatDiagnostic(d, rel)).join(' | '));
}
console.log('same', same, (Date.now()-t0)+'ms');
