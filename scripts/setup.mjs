// Idempotent set-up run before `npm test` (`setup.mjs test`) and `npm run demo` (`setup.mjs demo`) on any machine,
// fresh or not: npm dependencies, the Debian packages the tests use as references (see .ci/apt-packages.txt), then
// Debian's kernels, busybox and the out-of-tree modules the test cases boot, built once and cached in .cache/guest/
// (Test Case 1 boots Debian's 6.12 host kernel, Test Case 2 its 6.1 kernel as a guest).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const purpose = process.argv[2] ?? 'test';

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) {
    console.error(`setup: '${cmd} ${args.join(' ')}' failed with status ${r.status}`);
    process.exit(1);
  }
}

if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) {
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

if (purpose === 'test' || purpose === 'demo') {
  const wanted = readFileSync(join(root, '.ci', 'apt-packages.txt'), 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
  const missing = wanted.filter((p) => spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' }).stdout?.includes('install ok installed') !== true);
  // The guest kernels, their headers and busybox are armhf packages (examples/guest/): apt needs that architecture
  // and its package lists, fetched once.
  const armhfEnabled = spawnSync('dpkg', ['--print-foreign-architectures'], { encoding: 'utf8' }).stdout?.split('\n').includes('armhf');
  const armhfListed = armhfEnabled && spawnSync('apt-cache', ['show', 'busybox-static:armhf'], { stdio: 'ignore' }).status === 0;
  if (missing.length > 0 || !armhfListed) {
    if (process.getuid?.() !== 0) {
      if (missing.length > 0) {
        console.error(`setup: missing Debian packages (install them as root): ${missing.join(' ')}`);
        process.exit(1);
      }
      console.error("setup: apt has no armhf packages (run 'dpkg --add-architecture armhf && apt-get update' as root): the tests that boot Debian's kernels will be skipped");
    } else {
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      if (!armhfEnabled) run('dpkg', ['--add-architecture', 'armhf']);
      if (missing.length > 0) {
        run('apt-get', ['update', '-qq'], { env });
        run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
      } else if (spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env }).status !== 0) {
        console.error("setup: 'apt-get update' failed: the tests that boot Debian's kernels will be skipped");
      }
    }
  }
  // Debian's 6.12 kernels, the out-of-tree modules and the test cases' initramfs images (built once, then cached in
  // .cache/guest/6.12/). Without them only the tests that boot those kernels are affected, and say why.
  const guest = spawnSync(join(root, 'examples', 'guest', 'initramfs.sh'), { stdio: 'inherit', cwd: root });
  if (guest.status !== 0) {
    console.error(`setup: examples/guest/initramfs.sh failed (status ${guest.status}): the tests that boot Debian's kernels will ${guest.status === 2 ? 'be skipped' : 'fail'}`);
  }
  // Debian's 6.1 armmp-lpae kernel (its Image taken out of the zImage) and a busybox initramfs, in .cache/guest/boot/:
  // what `dmalab boot` boots in the tests.
  const boot = spawnSync(join(root, 'examples', 'guest', 'fetch.sh'), { stdio: ['ignore', 'ignore', 'inherit'], cwd: root });
  if (boot.status !== 0) console.error(`setup: examples/guest/fetch.sh failed (status ${boot.status}): the Debian boot test will be skipped`);
  // dmatest.ko and dma_outside.ko for that kernel, and the initramfs of Test Case 2's guest (dmalab boot --passthrough).
  else {
    const modules = spawnSync(join(root, 'examples', 'guest', 'build-dmatest-6.1.sh'), { stdio: 'inherit', cwd: root });
    if (modules.status !== 0) console.error(`setup: examples/guest/build-dmatest-6.1.sh failed (status ${modules.status}): the passthrough guest test will be skipped`);
  }
}
