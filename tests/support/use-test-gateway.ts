// One test gateway per test file (or describe block): started before its tests, ledger invariants checked after each test, stopped after all.
import { startTestGateway, type TestGateway } from './gateway';

type StartOptions = NonNullable<Parameters<typeof startTestGateway>[1]>;

export interface UseTestGatewayOptions extends StartOptions {
  /** Start options known only once earlier beforeAll hooks ran (a key server's port); merged over the rest. */
  optionsAtStart?: () => StartOptions;
  /**
   * Check the ledger invariants after every test (default true). Off only where the file checks
   * them itself at a later point, e.g. after its websocket clients are closed (useWsClients).
   */
  invariantsAfterEach?: boolean;
  /**
   * Runs before the gateway stops: jest runs afterAll hooks in the order they were declared, so
   * anything built on this gateway (a replica sharing its database) is stopped here, first.
   */
  beforeStop?: () => Promise<unknown>;
}

/**
 * Registers the beforeAll / afterEach / afterAll hooks that every API test file used to copy,
 * in the describe block it is called in, and returns the gateway. The returned object stands in
 * for the gateway until it has started (hooks and tests only), so tests keep writing `t.gql(...)`.
 */
export function useTestGateway(label: string, options: UseTestGatewayOptions = {}): TestGateway {
  const { invariantsAfterEach = true, beforeStop, optionsAtStart, ...startOptions } = options;
  let started: TestGateway | undefined;
  beforeAll(async () => {
    started = await startTestGateway(label, { ...startOptions, ...optionsAtStart?.() });
  });
  if (invariantsAfterEach) {
    afterEach(async () => {
      await current().assertInvariants();
    });
  }
  afterAll(async () => {
    await beforeStop?.();
    await started?.stop();
  });

  function current(): TestGateway {
    if (!started)
      throw new Error(
        `the test gateway '${label}' is not running: use it inside hooks and tests, after it started`,
      );
    return started;
  }
  return new Proxy({} as TestGateway, {
    get: (_target, property) => current()[property as keyof TestGateway],
  });
}
