import { logger } from '../../shared/logger';
import type { HoldService } from './holds.service';

export interface HoldExpirySweeper {
  /** Stops the timer and waits for a pass in progress, so the database can be closed after it. */
  stop(): Promise<void>;
}

/**
 * Runs `sweepExpiredHolds` every `intervalMs` in the background. Passes never overlap (the next
 * one is scheduled when the previous finishes) and a failed pass (say, the database is briefly
 * unreachable) is logged and retried at the next tick. Every replica may run one: the sweep skips
 * rows another replica has locked. The timer is unref'd so it never keeps the process alive.
 */
export function startHoldExpirySweeper(
  holds: Pick<HoldService, 'sweepExpiredHolds'>,
  intervalMs: number,
): HoldExpirySweeper {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = holds
        .sweepExpiredHolds()
        .then(() => undefined)
        .catch((err: unknown) =>
          logger.warn({ err }, 'hold expiry sweep failed; retrying at the next interval'),
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
