/**
 * What of the embedded server's own output reaches the caller's log. Everything is kept for the
 * error message of a failed start (the tail); what is forwarded is what a developer should see:
 * while the server runs, every line (the caller decides the level); once a stop was requested,
 * only warnings that matter. A fast shutdown disconnects every session with a FATAL "terminating
 * connection due to administrator command" (one per pooled connection: 6-8 lines at each
 * Ctrl-C) and narrates its steps; those are what a clean stop looks like, not news.
 */

/** The lines of a requested fast shutdown, in PostgreSQL's English messages (LC_MESSAGES=C). */
const SHUTDOWN_CHATTER: readonly RegExp[] = [
  /terminating connection due to administrator command/,
  /received (fast|smart|immediate) shutdown request/,
  /aborting any active transactions/,
  /background worker ".*" \(PID \d+\) exited with exit code 1/,
  /shutting down$/,
  /checkpoint (starting|complete)/,
  /database system is shut down/,
];

/** Severities worth forwarding during a stop (PostgreSQL's log line prefix "LEVEL:  message"). */
const SEVERE = /\b(WARNING|ERROR|FATAL|PANIC):/;

export function forwardServerLine(line: string, stopping: boolean): boolean {
  if (!stopping) return true;
  if (SHUTDOWN_CHATTER.some((pattern) => pattern.test(line))) return false;
  return SEVERE.test(line);
}

/** Splits the server's output into lines: keeps the last `tailMax`, forwards what should be. */
export function serverLog(log: (message: string) => void, tailMax: number) {
  const tail: string[] = [];
  let stopping = false;
  return {
    tail,
    onLog(text: string): void {
      for (const line of text.split('\n')) {
        if (line.trim() === '') continue;
        tail.push(line);
        if (tail.length > tailMax) tail.shift();
        if (forwardServerLine(line, stopping)) log(`[postgres] ${line}`);
      }
    },
    /** From now on the shutdown's own lines are expected: forward only severe others. */
    stopRequested(): void {
      stopping = true;
    },
  };
}
