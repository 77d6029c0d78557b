// Proves the live demo page end to end in a real headless Chromium: it loads a player's wallet, shows a topup made through the API without a reload, resumes after a dropped websocket with each entry shown once, shows paid/free and the soonest expiring lot as credits arrive, and is off in production.
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { livePageEnabled } from '../../src/live/live-page';
import { sampleValue, scrape } from '../support/metrics-text';
import { useTestGateway } from '../support/use-test-gateway';
import { inputMutation } from '../support/documents';

// CHROMIUM_PATH points elsewhere (or at nothing, to see the skip).
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts');
const TOPUP = inputMutation('topup', `wallet { balance lastSequence }`);
const BONUS = inputMutation('bonus', `wallet { balance lastSequence }`);
const haveChromium = fs.existsSync(CHROMIUM);

const t = useTestGateway('live-page');

describe('the /live route', () => {
  it('serves the page with a strict content security policy, and the graphql-ws browser build', async () => {
    const base = new URL(t.url).origin;
    const page = await fetch(`${base}/live`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('/live/vendor/graphql-ws.min.js');
    const vendor = await fetch(`${base}/live/vendor/graphql-ws.min.js`);
    expect(vendor.status).toBe(200);
    expect(vendor.headers.get('content-type')).toMatch(/javascript/);
    expect(await vendor.text()).toContain('graphqlWs');
    expect((await fetch(`${base}/live/live.js`)).status).toBe(200);
    expect((await fetch(`${base}/live/../package.json`)).status).toBe(404);
  });

  it('is on outside production, off in production unless LIVE_PAGE=true', () => {
    expect(livePageEnabled({ NODE_ENV: 'development', LIVE_PAGE: undefined })).toBe(true);
    expect(livePageEnabled({ NODE_ENV: 'test', LIVE_PAGE: undefined })).toBe(true);
    expect(livePageEnabled({ NODE_ENV: 'production', LIVE_PAGE: undefined })).toBe(false);
    expect(livePageEnabled({ NODE_ENV: 'production', LIVE_PAGE: true })).toBe(true);
    expect(livePageEnabled({ NODE_ENV: 'development', LIVE_PAGE: false })).toBe(false);
  });
});

if (!haveChromium) {
  // A visible reason in the output instead of a silent pass; .ci/install-browser installs it in CI.
  console.warn(
    `SKIPPED: the live page browser test needs Chromium at ${CHROMIUM} (apt-get install -y chromium, or run .ci/install-browser).`,
  );
}
const describeInBrowser = haveChromium ? describe : describe.skip;
const browserSuiteName = haveChromium
  ? 'the live page in headless Chromium'
  : `the live page in headless Chromium (SKIPPED: ${CHROMIUM} is not installed; run .ci/install-browser)`;

describeInBrowser(browserSuiteName, () => {
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
    });
    page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  const balanceText = (asset: string) =>
    page.textContent(`#balances tr[data-asset="${asset}"] .balance`);
  const cellText = (asset: string, cell: string) =>
    page.textContent(`#balances tr[data-asset="${asset}"] .${cell}`);
  const waitForBalance = (asset: string, text: string) =>
    page.waitForFunction(
      // Runs in the page (the test's TypeScript has no DOM types, hence the cast).
      ([selector, expected]) =>
        (globalThis as any).document.querySelector(selector)?.textContent === expected,
      [`#balances tr[data-asset="${asset}"] .balance`, text] as const,
      { timeout: 15_000 },
    );
  /** The websocket and stream gauges once `done` holds of them, or as they are after 10 s. */
  const waitForGauges = async (done: (websockets?: number, streams?: number) => boolean) => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { samples } = await scrape(t.url);
      const websockets = sampleValue(samples, 'wallet_websocket_connections');
      const streams = sampleValue(samples, 'wallet_subscriptions_active');
      if (done(websockets, streams) || Date.now() > deadline) return { websockets, streams };
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const topup = async (userId: string, amount: string, key: string) => {
    const res = await t.gql(TOPUP, {
      input: { userId, asset: 'GOLD_COINS', amount, idempotencyKey: key, reference: key },
    });
    expect(res.errors).toBeUndefined();
    return res.data.topup.wallet as { balance: string; lastSequence: string };
  };

  it("shows the player's balance and entries, and a topup made through the API appears live", async () => {
    const userId = 'live-alice';
    await topup(userId, '500', 'live-first');
    await page.goto(`${new URL(t.url).origin}/live`);
    await page.fill('#token', await t.tokens.player(userId));
    await page.click('#connect');
    await page.waitForSelector('#status[data-state="live"]', { timeout: 15_000 });
    expect(await balanceText('GOLD_COINS')).toBe('500');
    // A topup is PAID; no lot has an expiry yet.
    expect(await cellText('GOLD_COINS', 'paid')).toBe('500');
    expect(await cellText('GOLD_COINS', 'free')).toBe('0');
    expect(await cellText('GOLD_COINS', 'expiring')).toBe('—');
    expect(await cellText('GOLD_COINS', 'status')).toBe('ACTIVE');
    expect(await page.textContent('#user-label')).toContain(userId);
    expect(await page.locator('#ledger tbody tr').count()).toBe(1);
    // One websocket carrying one subscription per asset, as /metrics reports them. "live" means the
    // socket is acknowledged; each stream registers only after its first read of the wallet's
    // head, and graphql-ws sends no acknowledgement per subscription, so wait for the gauge.
    const rows = await page.locator('#balances tbody tr').count();
    expect(rows).toBeGreaterThan(0);
    const gauges = await waitForGauges(
      (websockets, streams) => websockets === 1 && streams === rows,
    );
    expect(gauges).toEqual({ websockets: 1, streams: rows });

    const wallet = await topup(userId, '1250', 'live-second');
    expect(wallet.balance).toBe('1750');
    await waitForBalance('GOLD_COINS', '1,750');
    const newest = page.locator('#ledger tbody tr').first();
    expect(await newest.textContent()).toContain('+1,250');
    expect(await newest.textContent()).toContain('live-second');
    expect(await page.textContent('#balances tr[data-asset="GOLD_COINS"] .sequence')).toBe('2');

    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'live-page.png'), fullPage: true });
    expect(fs.statSync(path.join(ARTIFACTS, 'live-page.png')).size).toBeGreaterThan(1000);
  }, 60_000);

  it('resumes after a dropped websocket with afterSequence: every entry shown exactly once', async () => {
    await page.evaluate(() => (globalThis as any).walletLive.dropConnection());
    await page.waitForSelector('#status[data-state="reconnecting"]', { timeout: 5_000 });
    // Money moves while the page is disconnected (or reconnecting: either way nothing may be lost).
    await topup('live-alice', '10', 'live-gap-1');
    await topup('live-alice', '20', 'live-gap-2');
    await waitForBalance('GOLD_COINS', '1,780');
    await page.waitForSelector('#status[data-state="live"]', { timeout: 15_000 });
    const sequences = await page.$$eval('#ledger tbody tr', (rows) =>
      rows.map((row) => row.children[5]!.textContent),
    );
    expect(sequences).toEqual(['4', '3', '2', '1']);
    // And it is still live after the resume.
    await topup('live-alice', '5', 'live-after');
    await waitForBalance('GOLD_COINS', '1,785');
    expect(await page.locator('#ledger tbody tr').count()).toBe(5);
    expect(await page.isHidden('#error')).toBe(true);
    expect(consoleErrors.filter((text) => !/WebSocket|Terminated|4499/i.test(text))).toEqual([]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'live-page-resumed.png'), fullPage: true });
  }, 60_000);

  it('shows paid and free and the soonest expiring lot, live, as expiring credits arrive', async () => {
    const userId = 'live-alice';
    // Whole minutes, as the page shows expiry to the minute (UTC).
    const minute = 60_000;
    const seasonEnd = new Date(Math.ceil((Date.now() + 2 * 24 * 3600_000) / minute) * minute);
    const weekend = new Date(Math.ceil((Date.now() + 24 * 3600_000) / minute) * minute);
    const shown = (at: Date) => at.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
    const waitForCell = (cell: string, text: string) =>
      page.waitForFunction(
        ([selector, expected]) =>
          (globalThis as any).document.querySelector(selector)?.textContent === expected,
        [`#balances tr[data-asset="GOLD_COINS"] .${cell}`, text] as const,
        { timeout: 15_000 },
      );
    const bonus = await t.gql(BONUS, {
      input: {
        userId,
        asset: 'GOLD_COINS',
        amount: '300',
        idempotencyKey: 'live-season',
        expiresAt: seasonEnd.toISOString(),
      },
    });
    expect(bonus.errors).toBeUndefined();
    await waitForBalance('GOLD_COINS', '2,085');
    expect(await cellText('GOLD_COINS', 'paid')).toBe('1,785');
    expect(await cellText('GOLD_COINS', 'free')).toBe('300');
    // A change lists the expiring lots as of its delivery.
    await waitForCell('expiring', `300 FREE · ${shown(seasonEnd)}`);
    // A PAID lot expiring sooner becomes the one shown.
    const topup = await t.gql(TOPUP, {
      input: {
        userId,
        asset: 'GOLD_COINS',
        amount: '15',
        idempotencyKey: 'live-weekend',
        expiresAt: weekend.toISOString(),
      },
    });
    expect(topup.errors).toBeUndefined();
    await waitForCell('expiring', `15 PAID · ${shown(weekend)}`);
    expect(await cellText('GOLD_COINS', 'paid')).toBe('1,800');
    expect(await balanceText('GOLD_COINS')).toBe('2,100');
    expect(consoleErrors.filter((text) => !/WebSocket|Terminated|4499/i.test(text))).toEqual([]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'live-page-lots.png'), fullPage: true });
  }, 60_000);
});
