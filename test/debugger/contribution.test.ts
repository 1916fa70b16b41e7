import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { join } from 'node:path';
import { SCENARIOS } from '../../scenarios/registry';
import { COMMON_LAUNCH_ATTRIBUTES, LAUNCH_ATTRIBUTES, type LaunchKind, checkAttributeNames } from '../../debugger/runtime/launch';
import { client, launch, launchToEnd, root } from './support';

const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const examples = join(root, 'examples');

test('the debugger contribution: type dmalab, breakpoints in pl330 and C files, launch attributes with descriptions', () => {
  const debuggerContribution = manifest.contributes.debuggers.find((d: { type: string }) => d.type === 'dmalab');
  assert.ok(debuggerContribution);
  assert.deepEqual(manifest.contributes.breakpoints, [{ language: 'pl330' }, { language: 'c' }]);
  const launchAttributes = debuggerContribution.configurationAttributes.launch;
  assert.equal(launchAttributes.required, undefined, "a launch needs 'program', 'scenario' or 'kernel'");
  assert.deepEqual(launchAttributes.properties.scenario.enum, Object.keys(SCENARIOS));
  for (const name of ['program', 'platform', 'scenario', 'device', 'dmac', 'channel', 'memory', 'pl330', 'stopOnEntry', 'kernel', 'dtb', 'initrd', 'append', 'cpus', 'symbols']) {
    assert.equal(typeof launchAttributes.properties[name]?.description, 'string', name);
  }
  // Every scenario is offered as a launch.json snippet.
  const snippetScenarios = debuggerContribution.configurationSnippets.map((s: { body: { scenario?: string } }) => s.body.scenario).filter(Boolean);
  assert.deepEqual([...snippetScenarios].sort(), Object.keys(SCENARIOS).sort());
});

test("the adapter's attributes by kind are package.json's launch attributes; every snippet and example uses its kind's", () => {
  const debuggerContribution = manifest.contributes.debuggers.find((d: { type: string }) => d.type === 'dmalab');
  const declared = Object.keys(debuggerContribution.configurationAttributes.launch.properties).sort();
  const known = [...new Set([...COMMON_LAUNCH_ATTRIBUTES, ...Object.values(LAUNCH_ATTRIBUTES).flatMap((k) => k.attributes)])].sort();
  assert.deepEqual(known, declared);
  const kindOf = (config: Record<string, unknown>): LaunchKind[] =>
    config.kernel ? ['kernel'] : config.scenario ? ['scenario', 'elf'] : /\.pl330\b|^\$\{file\}$/.test(String(config.program)) ? ['pl330'] : ['elf'];
  const configs: Record<string, unknown>[] = [
    ...debuggerContribution.initialConfigurations,
    ...debuggerContribution.configurationSnippets.map((snippet: { body: Record<string, unknown> }) => snippet.body),
    ...JSON.parse(readFileSync(join(examples, '.vscode', 'launch.json'), 'utf8')).configurations,
    // Its comments are whole lines (launch.json is JSON with comments).
    ...JSON.parse(readFileSync(join(examples, 'guest', 'launch.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '')).configurations,
  ];
  for (const config of configs) assert.doesNotThrow(() => checkAttributeNames(config, kindOf(config)), String(config.name));
});

test('every configuration of examples/.vscode/launch.json launches and stops on entry or runs to its end (continuing at event stops)', async () => {
  const { configurations } = JSON.parse(readFileSync(join(examples, '.vscode', 'launch.json'), 'utf8'));
  assert.ok(configurations.length > 0);
  for (const config of configurations) {
    const args = JSON.parse(JSON.stringify(config).replaceAll('${workspaceFolder}', examples));
    // A kernel needs examples/guest/fetch.sh's Debian kernel, and runs until it is stopped: it is left at its entry.
    if (args.kernel !== undefined && !existsSync(args.kernel)) continue;
    const dc = await client();
    try {
      if (args.kernel !== undefined) {
        const stop = await launch(dc, args);
        assert.equal(stop.stop.body.reason, 'entry', config.name);
        assert.equal((await dc.threadsRequest()).body.threads[0].name, 'cpu0');
      } else if (args.stopOnEntry) {
        const stop = await launch(dc, args);
        assert.equal(stop.stop.body.reason, 'entry', config.name);
        const end = dc.waitForEvent('terminated');
        await dc.continueRequest({ threadId: stop.threadId });
        await end;
      } else {
        // A scenario may stop on the default event filters (the passthrough guest's deliberate SMMU fault): continue.
        const stops: string[] = [];
        dc.on('stopped', (e: DebugProtocol.StoppedEvent) => {
          stops.push(e.body.description ?? e.body.reason);
          if (stops.length <= 4) void dc.continueRequest({ threadId: e.body.threadId! });
        });
        await launchToEnd(dc, args);
        assert.ok(stops.length <= 4, `${config.name}: stopped ${stops.length} times: ${stops.join(', ')}`);
      }
    } finally {
      await dc.stop();
    }
  }
});
