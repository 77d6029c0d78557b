import { createAttachment } from '../../shared/attachment';
import type { WebhookService } from './webhooks.service';

// The webhooks' service hangs off the gateway's Services object (see createAttachment):
// startEventFeed attaches it once per gateway.
const webhookService = createAttachment<WebhookService>('the webhook service');

export const attachWebhookService = webhookService.attach;

/** The webhooks' service of the gateway that runs this request. */
export const webhookServiceOf = webhookService.of;
