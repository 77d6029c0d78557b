/**
 * A value hung off an owner object (a gateway's Services) rather than being a field of it, so
 * that a part wired after the services (the event feed and its webhooks) needs no field in the
 * composition root's Services type. Several gateways in one process (the tests) each have their
 * own; a read before the attach is a wiring bug, so it throws.
 */
export function createAttachment<T>(what: string) {
  const attached = new WeakMap<object, T>();
  return {
    attach(owner: object, value: T): void {
      attached.set(owner, value);
    },
    of(ctx: { services: object }): T {
      const value = attached.get(ctx.services);
      if (value === undefined)
        throw new Error(`invariant: ${what} was not attached to this gateway (startEventFeed)`);
      return value;
    },
  };
}
