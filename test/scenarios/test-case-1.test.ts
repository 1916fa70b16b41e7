import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Machine } from '../../emulator/machine/machine';
import { vfioIsolation, vfioTestCase1 } from '../../scenarios/vfio-test-case-1';
import { guidePlatform } from '../support/platform';

test('Test Case 1 on 2c0a0000.dma', () => {
  const lines: string[] = [];
  const r = vfioTestCase1(new Machine(guidePlatform()), (l) => lines.push(l));
  assert.equal(r.pass, true, lines.join('\n'));
  console.log(lines.join('\n'));
});

test('isolation on 2c0a0000.dma', () => {
  const lines: string[] = [];
  const r = vfioIsolation(new Machine(guidePlatform()), (l) => lines.push(l));
  assert.equal(r.pass, true, lines.join('\n'));
  console.log(lines.join('\n'));
});
