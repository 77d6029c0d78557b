// Proves tokens are minted only within the lifetime the gateway accepts, so `npm run token --ttl` fails early instead of minting a token every request would refuse.
import { mintToken } from '../../src/shared/auth/tokens';
import { limits } from '../../src/shared/limits';

const secret = 'a-secret-that-is-long-enough-for-hs256-0123';

it('refuses to mint a token longer-lived than limits.tokenLifetimeMaxSeconds; mints one of exactly that', async () => {
  await expect(
    mintToken({
      secret,
      sub: 's',
      role: 'server',
      expiresInSeconds: limits.tokenLifetimeMaxSeconds + 1,
    }),
  ).rejects.toThrow(/at most/);
  await expect(
    mintToken({
      secret,
      sub: 's',
      role: 'server',
      expiresInSeconds: limits.tokenLifetimeMaxSeconds,
    }),
  ).resolves.toMatch(/^eyJ/);
});
