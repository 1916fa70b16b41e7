// dtc's checks and -W/-E semantics against Debian's dtc: the same checks fire, at the same level, with the same
// exit status.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { CHECKS } from '../../../server/dts/checks';
import { BINDING_CHECKS, dtcCheckSwitches } from '../../../server/dts/bindings';
import { newPreprocessCache } from '../../../server/dts/preprocessor';
import { INCLUDE_PREFIXES, compileKernelDts, corpusFiles, ensureKernelTree } from '../../support/corpus';
import { dmalabDtc } from './run-cli';

const dir = mkdtempSync(join(tmpdir(), 'dmalab-dts-checks-'));

const BAD = `/dts-v1/;
/ {
	#address-cells = <1>;
	#size-cells = <1>;
	compatible = "x";
	intc: intc@1000 { compatible = "gic"; reg = <0x1000 0x100>; interrupt-controller; #interrupt-cells = <3>; };
	dmac: dma@2000 { compatible = "arm,pl330", "arm,primecell"; reg = <0x2000 0x100>; #dma-cells = <1>; interrupt-parent = <&intc>; interrupts = <0 1>; };
	smmu: iommu@3000 { reg = <0x3000 0x100 0x5>; #iommu-cells = <1 2>; };
	uart@4000 { reg = <0x4000 0x100>; dmas = <&dmac>; iommus = <&smmu 1>; dma-names = "tx", [00]; status = <1>; model = "a", "b"; };
	unit@5000 { };
	noreg { reg = <0x6000 0x10>; };
	sub { #address-cells = <1>; #size-cells = <1>; dev@0 { reg = <0 1 2>; }; };
	nodefault { child@1 { reg = <1 1 1>; }; };
	clk: clock { #clock-cells = <1>; };
	user { clocks = <&clk>, <1 2>; };
};
`;

const NAMES = `/dts-v1/;
/ { #address-cells = <1>; #size-cells = <0>; bad#name { }; a@1@2 { reg = <1>; }; };
`;

const GOOD = `/dts-v1/;
/ { #address-cells = <1>; #size-cells = <1>; compatible = "x"; model = "m"; };
`;

/** check name -> 'warning' | 'error', from dtc's or dmalab's stderr. */
function fired(stderr: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of stderr.matchAll(/(Warning|ERROR) \(([a-z0-9_]+)\)/g)) out.set(m[2], m[1] === 'ERROR' ? 'error' : 'warning');
  for (const m of stderr.matchAll(/: (warning|error): .*\[([a-z0-9_]+)\]$/gm)) out.set(m[2], m[1]);
  return out;
}

const RUNS: [string, string[]][] = [
  ['BAD', []],
  ['BAD', ['-Wno-reg_format']],
  ['BAD', ['-E', 'reg_format']],
  ['BAD', ['-Eno-reg_format', '-Wreg_format']],
  ['BAD', ['-Wno-addr_size_cells']],
  ['BAD', ['-Wno-phandle_references', '-Wno-dmas_property']],
  ['BAD', ['-Edmas_property', '-Wno-dmas_is_cell']],
  ['BAD', ['-Wnode_name_chars_strict', '-Wproperty_name_chars_strict']],
  ['BAD', ['-f']],
  ['NAMES', []],
  ['NAMES', ['-Eno-node_name_chars']],
  ['GOOD', ['-Walways_fail']],
  ['GOOD', ['-Ealways_fail']],
  ['GOOD', ['-Ealways_fail', '-Eno_always_fail']],
  ['GOOD', ['-Wnode_name_chars_strict']],
];

for (const [name, flags] of RUNS) {
  test(`checks: ${name} ${flags.join(' ')}`, async () => {
    const file = join(dir, `${name}.dts`);
    writeFileSync(file, { BAD, NAMES, GOOD }[name]!);
    const ref = spawnSync('dtc', ['-I', 'dts', '-O', 'dtb', '-o', '/dev/null', ...flags, file], { encoding: 'utf8' });
    const mine = await dmalabDtc(['-I', 'dts', '-O', 'dtb', '-o', '/dev/null', ...flags, file]);
    assert.equal(mine.status, ref.status, `${mine.stderr}\n--- dtc:\n${ref.stderr}`);
    assert.deepEqual(Object.fromEntries([...fired(mine.stderr)].sort()), Object.fromEntries([...fired(ref.stderr)].sort()), `${mine.stderr}\n--- dtc:\n${ref.stderr}`);
  });
}

test('checks on kernel trees with dtc default levels: the implemented checks fire as often as in dtc', { timeout: 10 * 60_000 }, () => {
  const tree = ensureKernelTree();
  const files = corpusFiles(tree).filter((_, i) => i % 40 === 0);
  const implemented = new Set(CHECKS.filter((c) => c.node).map((c) => c.name));
  const cache = newPreprocessCache();
  const count = (names: string[]) => {
    const m = new Map<string, number>();
    for (const n of names) if (implemented.has(n)) m.set(n, (m.get(n) ?? 0) + 1);
    return Object.fromEntries([...m].sort());
  };
  let total = 0;
  for (const rel of files) {
    const src = join(tree, rel);
    const pre = join(dir, 'pre.tmp');
    assert.equal(spawnSync('cpp', ['-nostdinc', '-I', dirname(src), '-I', INCLUDE_PREFIXES, '-undef', '-D__DTS__', '-x', 'assembler-with-cpp', '-o', pre, src]).status, 0);
    const ref = spawnSync('dtc', ['-I', 'dts', '-O', 'dtb', '-b', '0', '-i', dirname(src), '-i', INCLUDE_PREFIXES, '-o', '/dev/null', pre], { encoding: 'utf8' });
    const theirs = [...ref.stderr.matchAll(/(?:Warning|ERROR) \(([a-z0-9_]+)\)/g)].map((m) => m[1]);
    const ours = compileKernelDts(tree, rel, cache, { dtcFlags: [] }).diagnostics.map((d) => d.code);
    assert.deepEqual(count(ours), count(theirs), rel);
    total += theirs.filter((n) => implemented.has(n)).length;
  }
  console.log(`dts checks: ${files.length} kernel trees, ${total} findings of implemented checks, same counts as dtc`);
});

test("dmalab dtc's -W/-E names are one namespace: dtc's checks and the binding checks, each name once, prerequisites named", () => {
  const names = [...CHECKS, ...BINDING_CHECKS].map((c) => c.name);
  assert.deepEqual(names.filter((n, i) => names.indexOf(n) !== i), []);
  for (const c of CHECKS) for (const p of c.prereqs ?? []) assert.ok(names.includes(p), `${c.name} needs ${p}`);
  const switches = dtcCheckSwitches();
  assert.equal(switches.severity('pl330-required'), undefined, 'binding checks start off in dtc');
  assert.ok(switches.apply('pl330-required', true) && switches.apply('no-pl330-required', false));
  assert.equal(switches.severity('pl330-required'), 'error', "as dtc: -W no-X lowers X's warning, not its error");
  assert.ok(switches.isWarning('simple_bus_reg'));
  assert.ok(switches.apply('no-reg_format', false) && switches.isWarning('simple_bus_reg') === false, 'lowering a check lowers its dependants');
});
