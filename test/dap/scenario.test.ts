// A launch configuration with `scenario` runs the seed's VFIO test in the session: steps on the console, PASS or
// FAIL as the exit code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import { join } from 'node:path';
import { client, launchToEnd, root } from './support';

async function runScenario(args: Record<string, unknown>, configure?: (dc: DebugClient) => Promise<void>): Promise<{ output: string; exitCode: number }> {
  const dc = await client();
  try {
    let output = '';
    dc.on('output', (e: DebugProtocol.OutputEvent) => (output += e.body.output));
    const exited = dc.waitForEvent('exited') as Promise<DebugProtocol.ExitedEvent>;
    await launchToEnd(dc, args, configure && (() => configure(dc)));
    return { output, exitCode: (await exited).body.exitCode };
  } finally {
    await dc.stop();
  }
}

test('the VFIO Test Case 1 scenario runs to PASS inside a debug session, with the editor\'s breakpoints set', async () => {
  const { output, exitCode } = await runScenario({ scenario: 'vfio-test-case-1' }, async (dc) => {
    const lines = await dc.setBreakpointsRequest({ source: { path: join(root, 'examples', 'pl330', 'memcpy.pl330') }, breakpoints: [{ line: 13 }] });
    assert.equal(lines.body.breakpoints[0].verified, false);
    await dc.setExceptionBreakpointsRequest({ filters: ['dmasev'] });
  });
  assert.equal(exitCode, 0);
  assert.match(output, /VFIO_IOMMU_MAP_DMA/);
  assert.match(output, /\nPASS\n$/);
});

test('a scenario on a platform whose DMAC is not behind an SMMU fails with exit code 1', async () => {
  const { output, exitCode } = await runScenario({ scenario: 'vfio-test-case-1', platform: join(root, 'examples', 'platforms', 'zynq7000-dma330.dts') });
  assert.equal(exitCode, 1);
  assert.match(output, /FAIL/);
});
