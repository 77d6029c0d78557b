import { randomBytes } from 'node:crypto';
import type { PrismaClient } from '../../../generated/prisma/client';
import type { Principal } from '../../shared/auth/principal';
import { AppError, ErrorCode, badUserInput } from '../../shared/errors';
import { limits } from '../../shared/limits';
import { parseEntityId } from '../../shared/validation';
import { eventStore } from '../events/events.store';
import type { Event } from '../events/events.types';
import { validateWebhookUrl, type SsrfPolicy } from './ssrf';
import { webhookStore } from './webhooks.store';
import type { Webhook, WebhookInput } from './webhooks.types';

/** Printable ASCII without spaces: a secret survives copy and paste into any configuration. */
const secretCharacters = /^[\x21-\x7e]+$/;

export function validateSecret(secret: string | null | undefined): string {
  if (secret === undefined || secret === null)
    return randomBytes(limits.webhookSecretGeneratedBytes).toString('base64url');
  if (
    secret.length < limits.webhookSecretLengthMin ||
    secret.length > limits.webhookSecretLengthMax
  ) {
    throw badUserInput(
      `secret must be ${limits.webhookSecretLengthMin}..${limits.webhookSecretLengthMax} characters.`,
      'secret',
    );
  }
  if (!secretCharacters.test(secret))
    throw badUserInput('secret must be printable ASCII characters without spaces.', 'secret');
  return secret;
}

function assertAdmin(principal: Principal): void {
  if (principal.role !== 'admin')
    throw new AppError(ErrorCode.FORBIDDEN, 'Only admins may manage webhooks.');
}

/** Webhook registration: admins only. Delivery is the worker's (webhook-worker.ts). */
export class WebhookService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly policy: SsrfPolicy,
  ) {}

  async create(principal: Principal, input: WebhookInput): Promise<Webhook> {
    assertAdmin(principal);
    const secret = validateSecret(input.secret);
    const url = await validateWebhookUrl(input.url, this.policy);
    // A new webhook starts at the feed's horizon: it receives every event that becomes visible from now on.
    const start = await eventStore.currentHorizon(this.prisma);
    const created = await webhookStore.insert(this.prisma, {
      url: url.toString(),
      secret,
      start,
      max: limits.webhooksMax,
    });
    if (!created)
      throw new AppError(
        ErrorCode.BAD_USER_INPUT,
        `There are already ${limits.webhooksMax} webhooks; delete one first.`,
        { field: 'url' },
      );
    // The one answer that shows the secret.
    return { ...created, secret };
  }

  async delete(principal: Principal, id: string): Promise<boolean> {
    assertAdmin(principal);
    const webhookId = parseEntityId(id, 'id');
    if (webhookId === undefined) return false;
    return webhookStore.delete(this.prisma, webhookId);
  }

  async list(principal: Principal): Promise<Webhook[]> {
    assertAdmin(principal);
    return webhookStore.list(this.prisma);
  }

  async failedEvents(principal: Principal, webhookId: string): Promise<Event[]> {
    assertAdmin(principal);
    return webhookStore.failedEvents(
      this.prisma,
      BigInt(webhookId),
      limits.webhookFailedEventsShownMax,
    );
  }
}
