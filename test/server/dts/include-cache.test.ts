// The preprocessor's shared cache replays an #include's recorded expansion, and the parser reuses the items of a
// replayed top-level include: with a cache, every run must give exactly what a run without one gives (text, map,
// diagnostics, DTB), whatever the including file changed since (macros the include reads, where it is included).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileDts, toDtb } from '../../../server/dts/compiler';
import { PreprocessCache, newPreprocessCache, preprocess } from '../../../server/dts/preprocessor';
import type { DtsDocument } from '../../../server/dts/parser';
import { FileHost, Source, formatDiagnostic } from '../../../server/dts/source';

const files = new Map<string, string>([
  ['/inc/soc.dtsi', `#include "cells.h"
/ {
	#address-cells = <1>;
	#size-cells = <1>;
	soc: bus@1000 {
		compatible = "simple-bus";
		reg = <0x1000 0x100>;
#ifdef WITH_DMA
		dma: dma-controller@1000 { reg = <DMA_BASE 0x100>; #dma-cells = <1>; };
#endif
		uart@2000 { reg = <0x2000 0x100>; clock-frequency = <FREQ>; };
	};
};
`],
  ['/inc/cells.h', `#ifndef CELLS_H
#define CELLS_H
#define DMA_BASE 0x1000
#define STR(x) #x
#undef FREQ
#define FREQ 24000000
#endif
`],
  ['/inc/pins.dtsi', `pin-a = <1>;
pin-b = <FREQ>;
`],
  ['/inc/broken.dtsi', `&soc {
	status = "okay";
`],
]);
const host: FileHost = { readFile: (path) => (files.has(path) ? Buffer.from(files.get(path)!, 'latin1') : undefined) };
const includeDirs = ['/inc'];

/** Mains that differ in what the includes see: macros set before them, an include inside a node, a broken one. */
const MAINS = [
  `/dts-v1/;\n#include "soc.dtsi"\n/ { model = "a"; };\n`,
  `/dts-v1/;\n#define WITH_DMA\n#include "soc.dtsi"\n&dma { dma-channels = <8>; };\n`,
  `/dts-v1/;\n#define FREQ 1\n#include "soc.dtsi"\n/ { model = STR(FREQ); };\n`,
  `/dts-v1/;\n#define DMA_BASE 0x2000\n#define WITH_DMA\n#include "soc.dtsi"\n`,
  `/dts-v1/;\n#include "soc.dtsi"\n/ { node { #include "pins.dtsi" }; };\n#include "cells.h"\n#undef FREQ\n/ { other { #include "pins.dtsi" }; };\n`,
  `/dts-v1/; /* a comment */ #include "soc.dtsi"\n`,
  `/dts-v1/;\n#include "soc.dtsi"\n#include "broken.dtsi"\n};\n`,
  `/dts-v1/;\n#include "soc.dtsi"\n/ { model = "a"; };\n`,
];

function run(main: string, cache: PreprocessCache | undefined): { text: string; positions: string; diagnostics: string; dtb: string; document?: DtsDocument } {
  const pre = preprocess('/board.dts', main, { host, includeDirs, defines: ['__DTS__'], cache });
  const positions: string[] = [];
  for (let offset = 0; offset < pre.text.length; offset += 7) {
    const p = pre.map.positionAt(offset);
    positions.push(`${p.file}:${p.line}:${p.col}`);
  }
  const source = new Source('/board.dts', pre.text, '/', pre.map, pre.segments);
  const result = compileDts(source, { host, includeDirs, force: true });
  const diagnostics = [...pre.diagnostics, ...result.diagnostics].map((d) => formatDiagnostic(d, '/board.dts')).join('\n');
  return { text: pre.text, positions: positions.join(' '), diagnostics, dtb: result.info ? Buffer.from(toDtb(result.info)).toString('hex') : '', document: result.document };
}

test('with a shared cache, every main gives what it gives without one, in any order and repeated', () => {
  const cache = newPreprocessCache({ replayIncludes: true });
  for (const order of [MAINS, [...MAINS].reverse(), MAINS]) {
    for (const main of order) {
      const fresh = run(main, undefined);
      const cached = run(main, cache);
      assert.equal(cached.text, fresh.text, main);
      assert.equal(cached.positions, fresh.positions, main);
      assert.equal(cached.diagnostics, fresh.diagnostics, main);
      assert.equal(cached.dtb, fresh.dtb, main);
    }
  }
});

test('an include replayed in the same macro state is parsed once; another state, or a changed file, is not replayed', () => {
  const cache = newPreprocessCache({ replayIncludes: true });
  const first = run(MAINS[0], cache);
  const again = run(MAINS[0].replace('"a"', '"b"'), cache);
  // The items of soc.dtsi are the very objects read the first time.
  assert.equal(again.document!.items[0], first.document!.items[0]);
  const withDma = run(MAINS[1], cache);
  assert.notEqual(withDma.document!.items[0], first.document!.items[0]);
  assert.match(withDma.text, /dma-controller@1000/);

  files.set('/inc/soc.dtsi', files.get('/inc/soc.dtsi')!.replace('uart@2000', 'serial@2000'));
  try {
    assert.ok(cache.delete('/inc/soc.dtsi'));
    const changed = run(MAINS[0], cache);
    assert.match(changed.text, /serial@2000/);
    assert.equal(changed.dtb, run(MAINS[0], undefined).dtb);
  } finally {
    files.set('/inc/soc.dtsi', files.get('/inc/soc.dtsi')!.replace('serial@2000', 'uart@2000'));
    cache.delete('/inc/soc.dtsi');
  }
  // A header the include reads is a dependency too.
  files.set('/inc/cells.h', files.get('/inc/cells.h')!.replace('24000000', '25000000'));
  try {
    assert.ok(cache.delete('/inc/cells.h'));
    assert.match(run(MAINS[0], cache).text, /25000000/);
  } finally {
    files.set('/inc/cells.h', files.get('/inc/cells.h')!.replace('25000000', '24000000'));
    cache.delete('/inc/cells.h');
  }
});

test('an include that is not whole top-level items (closed by its includer) is read in place', () => {
  const cache = newPreprocessCache({ replayIncludes: true });
  const fresh = run(MAINS[6], undefined);
  assert.notEqual(fresh.dtb, '', fresh.diagnostics);
  for (let k = 0; k < 2; k++) {
    const cached = run(MAINS[6], cache);
    assert.equal(cached.dtb, fresh.dtb);
    assert.equal(cached.diagnostics, fresh.diagnostics);
  }
});
