import { logger } from '../../shared/logger';

/** One expiry pass: holds past their expiry marked EXPIRED, and lots past theirs posted as EXPIRY. */
export interface ExpirySweep {
  /** Returns how many holds and lots it expired. */
  sweepExpired(): Promise<number>;
}

export interface ExpirySweeper {
  /** Stops the timer and waits for a pass in progress, so the database can be closed after it. */
  stop(): Promise<void>;
}

/**
 * Runs `sweepExpired` every `intervalMs` in the background. Passes never overlap (the next
 * one is scheduled when the previous finishes) and a failed pass (say, the database is briefly
 * unreachable) is logged and retried at the next tick. Every replica may run one: the sweep skips
 * rows another replica has locked. The timer is unref'd so it never keeps the process alive.
 */
export function startExpirySweeper(sweep: ExpirySweep, intervalMs: number): ExpirySweeper {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = sweep
        .sweepExpired()
        .then(() => undefined)
        .catch((err: unknown) =>
          logger.warn({ err }, 'expiry sweep failed; retrying at the next interval'),
        )
        .finally(() => {
          running = undefined;
          schedule();
        });
    }, intervalMs);
    timer.unref();
  };
  schedule();

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
