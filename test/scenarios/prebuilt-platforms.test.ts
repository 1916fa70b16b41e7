// The package's platforms compiled by the build (dist/platforms, scripts/build.mjs), which commands load instead of
// compiling their platform at every start: each blob is what compiling its source gives now, without a diagnostic,
// and loading the platform's file gives that blob.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { toDtb } from '../../server/dts/compiler';
import { compileDtsText, fileHost } from '../../server/dts/compile-file';
import { bytesToText } from '../../server/dts/source';
import { DEFAULT_PLATFORM, PREBUILT_PLATFORMS, loadPlatformDtb, packageRoot } from '../../scenarios/platform';

const root = packageRoot();
const sources = join(root, 'examples', 'platforms');

test('every platform that includes no other file has a prebuilt blob, equal to compiling its source now', () => {
  const names = readdirSync(sources).filter((name) => name.endsWith('.dts'));
  const standalone = names.filter((name) => !/#\s*include|\/include\/|\/incbin\//.test(readFileSync(join(sources, name), 'latin1')));
  assert.ok(standalone.includes(DEFAULT_PLATFORM.split('/').pop()!), 'the default platform is prebuilt');
  for (const name of names) {
    const prebuilt = join(root, PREBUILT_PLATFORMS, name.replace(/\.dts$/, '.dtb'));
    assert.equal(existsSync(prebuilt), standalone.includes(name), name);
    if (!standalone.includes(name)) continue;
    const file = join(sources, name);
    const { preprocessor, result } = compileDtsText(file, bytesToText(readFileSync(file)), { host: fileHost });
    // Loading the blob reports nothing: compiling the source would not report anything either.
    assert.deepEqual([...preprocessor, ...result!.diagnostics], [], name);
    assert.deepEqual(readFileSync(prebuilt), Buffer.from(toDtb(result!.info!)), name);
    assert.deepEqual(Buffer.from(loadPlatformDtb(file)), readFileSync(prebuilt), name);
  }
});
