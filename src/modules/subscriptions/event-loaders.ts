/**
 * DataLoaders for subscription events. A subscription's context lives as long as the
 * subscription, so per-context loaders would cache every transaction it ever delivered; these
 * live for one turn of the event loop instead. All subscriptions woken by the same change resolve
 * their fields within that turn, so they share one batch (one asset and one transaction lookup
 * for a change watched by 1,000 dashboards), and nothing is cached longer than that.
 */
export function eventScopedLoaders<TLoaders>(create: () => TLoaders): { current(): TLoaders } {
  let current: TLoaders | undefined;
  return {
    current() {
      if (!current) {
        current = create();
        setImmediate(() => {
          current = undefined;
        });
      }
      return current;
    },
  };
}
