// Proves the Apollo Client 4 + React example (docs/examples/apollo-react-balance-badge.tsx) runs as written: rendered with react-dom into a DOM (happy-dom) against a real gateway over HTTP and graphql-ws, the badge shows the player's balance and follows a game server's topup and spend through balanceChanged alone.
import type { Window as HappyWindow } from 'happy-dom' with { 'resolution-mode': 'import' };
import { createElement } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import WebSocket from 'ws';
import { WalletBadgeApp, createWalletClient } from '../../docs/examples/apollo-react-balance-badge';
import { waitForStreams } from '../support/subscriptions';
import { useTestGateway } from '../support/use-test-gateway';

// happy-dom ships ES modules only; jest.config.js compiles it to CommonJS for this test.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Window } = require('happy-dom') as { Window: typeof HappyWindow };

const t = useTestGateway('react_badge');

const dom = new Window({ url: 'http://localhost/' });
const globals = globalThis as Record<string, unknown>;
const saved = { window: globals.window, document: globals.document };
beforeAll(() => {
  globals.window = dom;
  globals.document = dom.document;
});
afterAll(async () => {
  globals.window = saved.window;
  globals.document = saved.document;
  await dom.happyDOM.close();
});

async function move(kind: 'topup' | 'spend', amount: string, n: number) {
  const res = await t.gql(
    `mutation($i: ${kind === 'topup' ? 'TopupInput' : 'SpendInput'}!) { ${kind}(input: $i) { wallet { balance } } }`,
    {
      i: { userId: 'badge-amy', asset: 'GOLD_COINS', amount, idempotencyKey: `badge-${kind}-${n}` },
    },
  );
  expect(res.errors).toBeUndefined();
}

async function shows(container: { textContent: string | null }, text: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (container.textContent !== text) {
    if (Date.now() > deadline)
      throw new Error(`the badge shows "${container.textContent}", expected "${text}"`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

it('the badge shows the balance and follows topups and spends through the subscription', async () => {
  await move('topup', '100', 1);
  const client = createWalletClient({
    httpUrl: t.url,
    wsUrl: t.wsUrl,
    token: await t.tokens.player('badge-amy'),
    webSocketImpl: WebSocket,
  });
  const container = dom.document.createElement('div');
  dom.document.body.appendChild(container);
  const root: Root = createRoot(container as unknown as Element);
  try {
    root.render(
      createElement(WalletBadgeApp, { client, userId: 'badge-amy', asset: 'GOLD_COINS' }),
    );
    await shows(container, '100 GOLD_COINS');
    await waitForStreams(t.gateway.services.subscriptions, 1);
    await move('topup', '50', 2);
    await shows(container, '150 GOLD_COINS');
    await move('spend', '30', 3);
    await shows(container, '120 GOLD_COINS');
  } finally {
    root.unmount();
    client.stop();
  }
  // The socket closes once the badge's subscription is gone (graphql-ws is lazy).
  await waitForStreams(t.gateway.services.subscriptions, 0).catch(() => undefined);
});
