// A kernel launch given a file that is no ARM kernel fails with the error `dmalab boot` gives, naming the file; a
// kernel that slides into zeroed RAM stops its CPU with the address instead of running on for hours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { NOT_KERNELS, syntheticImage } from '../support/synthetic-kernels';
import { client, launch, programFile } from './support';

test("a 'kernel' that is no ARM kernel is one launch error naming the file and what it is", async () => {
  for (const [name, { bytes, found }] of Object.entries(NOT_KERNELS)) {
    const kernel = programFile(name, bytes);
    const dc = await client();
    try {
      await dc.initializeRequest({ adapterID: 'dmalab', pathFormat: 'path' });
      const error = await dc.launch({ kernel } as DebugProtocol.LaunchRequestArguments).then(() => 'launched', (e: Error) => e.message);
      assert.ok(error.startsWith(`'kernel': ${kernel}: `), error);
      assert.match(error, found, name);
    } finally {
      await dc.stop();
    }
  }
});

test('a kernel sliding through zeroed RAM stops its CPU with the address (an exception stop), not at a time limit', async () => {
  const dc = await client();
  try {
    // An Image without kallsyms tables: its one symbol from a System.map.
    const symbols = programFile('System.map', '80008000 T stext\n');
    const { stop, frame } = await launch(dc, { kernel: programFile('slide.img', syntheticImage([])), symbols, cpus: 1 });
    assert.equal(stop.body.reason, 'exception');
    assert.match(stop.body.text ?? '', /^cpu0 is executing zeroed memory at pc=0x8[0-9a-f]{7}: a page of 0x00000000 words \(andeq r0, r0, r0\) ran before it/);
    assert.equal(frame.instructionPointerReference, /pc=(0x[0-9a-f]{8})/.exec(stop.body.text!)![1]);
  } finally {
    await dc.stop();
  }
});
