/** A stream of balance changes, as the subscription service hands them to graphql-ws. */
interface ChangeSource<TArgs extends unknown[], TChange extends { entry: { createdAt: Date } }> {
  balanceChanged(...args: TArgs): Promise<AsyncIterableIterator<TChange>>;
}

/**
 * Times every balance change a subscription delivers: from its transaction's timestamp (taken
 * inside the transaction, just before it commits; PostgreSQL's clock) to the moment graphql-ws
 * takes it from the stream (this process's clock). Changes that were already in the ledger when
 * the subscription began (an afterSequence replay) are history, not notifications, and are not
 * timed. The service is instrumented from outside, by wrapping its streams, so the subscription
 * module needs no knowledge of metrics.
 */
export function instrumentNotificationLag<
  TArgs extends unknown[],
  TChange extends { entry: { createdAt: Date } },
>(service: ChangeSource<TArgs, TChange>, observeSeconds: (seconds: number) => void): void {
  const open = service.balanceChanged.bind(service);
  service.balanceChanged = async (...args: TArgs) => {
    const subscribedAtMs = Date.now();
    const stream = await open(...args);
    const next = stream.next.bind(stream);
    stream.next = async (...nextArgs: [] | [unknown]) => {
      const result = await next(...nextArgs);
      if (!result.done) {
        const committedAtMs = result.value.entry.createdAt.getTime();
        if (committedAtMs >= subscribedAtMs) observeSeconds((Date.now() - committedAtMs) / 1000);
      }
      return result;
    };
    return stream;
  };
}
