// The ID registers at their architected offsets (SMMUv1/v2 architecture, global register space 0), as Linux's
// arm-smmu reads them at probe: sIDR0 0x20 (translation stages, stream matching), sIDR1 0x24 (context banks, page
// size), sIDR2 0x28 (address sizes). A register map that hid one of them behind another name read 0 here, and a
// real kernel then found "no translation support".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RegisterMap } from '../../../emulator/bus/registers';
import { MMU400_CONFIG, MMU500_CONFIG } from '../../../emulator/smmu/config';
import { rig } from './helpers';

for (const config of [MMU400_CONFIG, MMU500_CONFIG]) {
  test(`${config.model}: sIDR0, sIDR1 and sIDR2 read at 0x20, 0x24 and 0x28 say what the configuration is`, () => {
    const { smmu } = rig(config);
    const id0 = smmu.read(0x20, 4), id1 = smmu.read(0x24, 4), id2 = smmu.read(0x28, 4);
    assert.equal((id0 >>> 30) & 1, config.stage1 ? 1 : 0, 'S1TS');
    assert.equal((id0 >>> 29) & 1, config.stage2 ? 1 : 0, 'S2TS');
    assert.equal((id0 >>> 28) & 1, config.nested ? 1 : 0, 'NTS');
    assert.equal((id0 >>> 27) & 1, 1, 'SMS');
    assert.equal(id0 & 0xff, config.streamMatchGroups, 'NUMSMRG');
    assert.equal(id1 & 0xff, config.contextBanks, 'NUMCB');
    assert.ok((id2 & 0xf) > 0 && ((id2 >>> 4) & 0xf) > 0, `IAS and OAS set in 0x${id2.toString(16)}`);
    assert.equal(smmu.read(0x2c, 4), 0, 'sIDR3 is reserved');
  });
}

test('a register map refuses two registers of one name (the second would hide the first from lookups by name)', () => {
  assert.throws(() => new RegisterMap([
    { name: 'ID0', offset: 0x20, access: 'ro', reset: 0, description: 'identification' },
    { name: 'ID{n}', offset: 0x2c, count: 2, access: 'ro', reset: 0, description: 'reserved' },
  ], 0x100), /two registers named ID0/);
});
