// A stopped kernel session's garbage: a run leaves megabytes of it (checkpoints the budget thinned out, decoded code
// dropped, re-execution's scratch), and V8 collects only when the program allocates again, which a debugger waiting
// for its user does not: an idle session kept ~125 MB of it after a boot to Debian's shell. A full collection once the
// session has stayed stopped a while returns it; a run or a step before then cancels it.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** How long a session stays stopped before its garbage is collected (ms): a user stepping is not made to wait. */
const IDLE_MS = 2000;

let fullCollection: (() => void) | undefined;

/** V8's full collection (exposed to a new context: the adapter runs inside the extension host, without --expose-gc). */
function collectGarbage(): void {
  if (fullCollection === undefined) {
    setFlagsFromString('--expose-gc');
    fullCollection = runInNewContext('gc') as () => void;
  }
  fullCollection();
}

export class IdleCollection {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly collect: () => void = collectGarbage, private readonly idleMs = IDLE_MS) {}

  /** The session stopped: collect once it has stayed so for the idle time. */
  stopped(): void {
    this.cancel();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.collect();
    }, this.idleMs);
    // A pending collection never keeps the process alive.
    this.timer.unref();
  }

  /** The session runs or ends. */
  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
