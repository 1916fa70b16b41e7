// Small DTS inputs covering the source language, compiled by dmalab and by Debian's dtc: the DTBs must be identical.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { dmalabDtc } from './run-cli';

const dir = mkdtempSync(join(tmpdir(), 'dmalab-dts-'));

const CASES: Record<string, string> = {
  basic: `/dts-v1/;
/ { model = "m"; #address-cells = <1>; #size-cells = <1>;
  cpus { #address-cells = <1>; #size-cells = <0>; cpu@3 { reg = <3>; }; };
  memory@80000000 { device_type = "memory"; reg = <0x80000000 0x10000000>; }; };`,
  values: `/dts-v1/;
/memreserve/ 0x1000 0x2000;
lbl: /memreserve/ (0x10 << 4) 0x10;
/ { a = "x", "y\\n\\t\\"q\\\\", "\\x41\\101\\0z"; b = [00 11 2233]; c = /bits/ 8 <1 2 0xff>; d = /bits/ 16 <0x1234 5>;
  e = /bits/ 64 <0x123456789abcdef0 1>; f = <'a' '\\n' (1 + 2 * 3) (10 / 3) (10 % 3) (~0) (-1) (!0) (1 ? 2 : 3) (0 ? 2 : 3)>;
  g = <(1 << 4 | 1) (0x10 >> 2 & 0xff ^ 1) (2 <= 3) (3 >= 4) (1 == 1) (1 != 1) (1 && 0) (0 || 5) (5 - 7)>;
  h = <0x1>, "mixed", [ab], <2>; empty; i = <>; j = l1: <1 l2: 2> l3:, "s" l4:;
  k = <0xffffffffU 10UL 010 0ULL>; };`,
  references: `/dts-v1/;
/ { user1 = <&b>; user0 = <&a &b>; path = &a; paths = &{/n@2}, "mid", &b;
  a: n@1 { reg = <1>; }; b: n@2 { reg = <2>; x = <&{/n@1}>; }; c: n@3 { phandle = <7>; }; d: n@4 { linux,phandle = <1>; q = <&d>; }; }; `,
  merges: `/dts-v1/;
/ { p1 = <1>; p2 = <2>; n1: n1 { a = <1>; b = <2>; s { z = <0>; }; }; n2 { }; };
&n1 { a = <10>; c = <3>; s { y = <1>; }; t { }; };
/ { p1 = <11>; /delete-property/ p2; n2 { new; }; };
/ { p2 = <22>; };
&{/n2} { more = "x"; };
/delete-node/ &{/n2};
/ { n2 { back; }; };
l2: &n1 { };
/ { u = <&l2>; };`,
  deletes: `/dts-v1/;
/ { a { x; /delete-property/ x; y; }; b { c { }; d { }; }; lbl: e { }; };
/ { b { /delete-node/ c; }; };
/delete-node/ &lbl;
/ { f { k = <1>; }; };
/ { f { /delete-property/ k; }; g { }; };
/ { f { k = <2>; }; };`,
  relabel: `/dts-v1/;
/ { a: n1 { }; b: n2 { c: n3 { }; }; };
&a { x = <1>; };
&c { y = <2>; };
/delete-node/ &b;
/ { z: n2 { revived; }; };
&z { w = <&a>; };
/ { b: n6 { }; };
&b { k; };
&a { m = <&b>; };
/ { q = <&z &b>; };`,
  omit: `/dts-v1/;
/ { x = <&keep>; /omit-if-no-ref/ unused { }; keep: /omit-if-no-ref/ used { }; lab: /omit-if-no-ref/ labelled { }; };`,
  escapes: `/dts-v1/;
/ { \\model = "kw"; n-0,a.b_c+d { #cells = <1>; a? = "q"; }; };`,
  names: `/dts-v1/;
/ { n { name = "n"; }; m@1 { name = "m"; reg = <1>; }; };`,
  strings: `/dts-v1/;
/ { #size-cells = <0>; size-cells = "x"; cells; ells; compatible = "a,b", "c"; };`,
  plugin: `/dts-v1/;
/plugin/;
&foo { x = <&bar>; y = <&local>; local: sub { }; };
&{/soc} { z = <&foo 1>; };
/ { fragment@7 { w = <1>; }; };`,
};

writeFileSync(join(dir, 'blob.bin'), Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 250, 251]));
writeFileSync(join(dir, 'part.dtsi'), '/ { from-include = "yes"; inc: included { v = <7>; }; };\n');
CASES.files = `/dts-v1/;
/include/ "part.dtsi"
/ { whole = /incbin/("blob.bin"); part = /incbin/("blob.bin", 2, 5); mixed = <1>, /incbin/("blob.bin", (1 + 1), 0), "s"; r = <&inc>; };`;

for (const [name, text] of Object.entries(CASES)) {
  for (const extra of [[], ['-@'], ['-H', 'both'], ['-R', '2', '-p', '16'], ['-S', '4096', '-b', '5'], ['-a', '64'], ['-H', 'legacy']]) {
    test(`dtc ${name} ${extra.join(' ')}`, async () => {
      const src = join(dir, `${name}.dts`);
      writeFileSync(src, text);
      const ref = join(dir, `${name}.ref.dtb`);
      const mine = join(dir, `${name}.mine.dtb`);
      const r = spawnSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', ...extra, '-o', ref, src], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const m = await dmalabDtc(['-q', '-I', 'dts', '-O', 'dtb', ...extra, '-o', mine, src]);
      assert.equal(m.status, 0, m.stderr);
      assert.deepEqual(readFileSync(mine), readFileSync(ref));
    });
  }
}

for (const example of ['pl330.dts', 'pl330-smmu.dts']) {
  test(`example ${example}: dmalab dtc --cpp equals cpp + dtc`, async () => {
    const src = join('examples', 'dts', example);
    const pre = spawnSync('cpp', ['-nostdinc', '-undef', '-D__DTS__', '-x', 'assembler-with-cpp', src], { encoding: 'latin1' });
    assert.equal(pre.status, 0);
    const ref = spawnSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', '-'], { input: Buffer.from(pre.stdout, 'latin1') });
    assert.equal(ref.status, 0);
    const mine = join(dir, `${example}.dtb`);
    const m = await dmalabDtc(['-q', '--cpp', '-O', 'dtb', '-o', mine, src]);
    assert.equal(m.status, 0, m.stderr);
    assert.deepEqual(readFileSync(mine), ref.stdout);
  });
}
