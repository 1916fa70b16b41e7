// Bad input never crashes: mutated DTBs give an FdtError (or load), mutated DTS text gives diagnostics.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FdtError, parseFdt } from '../../../emulator/devicetree/fdt';
import { compileDts, loadDtb, toDtb, toDts } from '../../../server/dts/compiler';
import { preprocess } from '../../../server/dts/preprocessor';
import { Source } from '../../../server/dts/source';

const host = { readFile: () => undefined };

const SAMPLE = `/dts-v1/;
/memreserve/ 0x1000 0x100;
/ {
	#address-cells = <1>;
	#size-cells = <1>;
	compatible = "arm,vexpress";
	intc: interrupt-controller@2c001000 { compatible = "arm,cortex-a15-gic"; #interrupt-cells = <3>; interrupt-controller; reg = <0x2c001000 0x1000>; };
	dmac: dma-controller@7ff00000 {
		compatible = "arm,pl330", "arm,primecell";
		reg = <0x7ff00000 0x1000>;
		interrupt-parent = <&intc>;
		interrupts = <0 88 4>, <0 89 4>;
		#dma-cells = <1>;
		bytes = [00 01 02 ff];
		wide = /bits/ 64 <0x123456789 (1 << 40)>;
	};
	uart { dmas = <&dmac 1>, <&dmac 2>; dma-names = "tx", "rx"; path = &dmac; };
};
`;

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

test('mutated DTBs: a clean FdtError or a tree, never a crash', () => {
  const info = compileDts(new Source('s.dts', SAMPLE, '.'), { host }).info!;
  const good = toDtb(info);
  const random = rng(42);
  let rejected = 0;
  for (let i = 0; i < 3000; i++) {
    const bytes = good.slice(0, random() < 0.2 ? Math.floor(random() * good.length) : good.length);
    const flips = 1 + Math.floor(random() * 4);
    for (let k = 0; k < flips && bytes.length; k++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
    try {
      parseFdt(bytes);
    } catch (e) {
      assert.ok(e instanceof FdtError, `unexpected ${(e as Error).stack}`);
      rejected++;
    }
    const r = loadDtb(bytes, {});
    if (r.info) toDts(r.info);
  }
  assert.ok(rejected > 100);
});

test('specific malformed DTBs name the problem', () => {
  const good = toDtb(compileDts(new Source('s.dts', SAMPLE, '.'), { host }).info!);
  const withU32 = (at: number, v: number) => {
    const b = good.slice();
    new DataView(b.buffer).setUint32(at, v);
    return b;
  };
  const cases: [Uint8Array, RegExp][] = [
    [withU32(0, 0x12345678), /bad magic/],
    [good.slice(0, 20), /truncated/],
    [good.slice(0, good.length - 8), /totalsize .* exceeds/],
    [withU32(8, 0xfffff0), /structure block .* outside/],
    [withU32(12, good.length + 100), /strings block .* outside/],
    [withU32(32, 3), /not NUL-terminated|outside the 3-byte strings block/],
    [withU32(new DataView(good.buffer).getUint32(8), 7), /unknown structure token 0x7/],
  ];
  for (const [bytes, message] of cases) assert.throws(() => parseFdt(bytes), message);
});

test('mutated DTS text: diagnostics, never a crash', () => {
  const random = rng(7);
  const alphabet = '{}<>[]();=,&/"\'\\:@#-xX0123456789abc \n';
  for (let i = 0; i < 1500; i++) {
    const chars = SAMPLE.split('');
    const edits = 1 + Math.floor(random() * 5);
    for (let k = 0; k < edits; k++) {
      const at = Math.floor(random() * chars.length);
      const op = random();
      if (op < 0.33) chars.splice(at, 1);
      else if (op < 0.66) chars.splice(at, 0, alphabet[Math.floor(random() * alphabet.length)]);
      else chars[at] = alphabet[Math.floor(random() * alphabet.length)];
    }
    const text = chars.join('');
    const pre = preprocess('f.dts', text, { host, includeDirs: [] });
    const r = compileDts(new Source('f.dts', pre.text, '.', pre.map), { host });
    if (r.info) toDtb(r.info);
    for (const d of r.diagnostics) assert.ok(d.message.length > 0);
  }
});

test('runaway macros and deep includes end with an error', () => {
  const rec = preprocess('r.dts', '#define A A A A A A A A A A\n#define B A A A A A A A A A A A\n#define C B B B B B B B B B B\n#define D C C C C C C C C C C\n D D D D D D D D D D D D D D D D D D D D\n', { host, includeDirs: [] });
  assert.ok(rec.text.length > 0 || rec.diagnostics.length > 0);
  const self = { readFile: (p: string) => (p.endsWith('loop.dtsi') ? new TextEncoder().encode('#include "loop.dtsi"\n') : undefined) };
  const loop = preprocess('x.dts', '#include "loop.dtsi"\n', { host: self, includeDirs: [] });
  assert.ok(loop.diagnostics.some((d) => /nested depth/.test(d.message)));
});
