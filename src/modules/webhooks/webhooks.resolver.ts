import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { WebhooksContext } from './webhooks.context';
import { Event } from '../events/events.types';
import { webhookServiceOf } from './webhook-services';
import { Webhook, WebhookInput } from './webhooks.types';

@Resolver(() => Webhook)
export class WebhookResolver {
  @Query(() => [Webhook], { description: 'v2, admins.' })
  webhooks(@Ctx() ctx: WebhooksContext): Promise<Webhook[]> {
    return webhookServiceOf(ctx).list(ctx.principal);
  }

  @Mutation(() => Webhook, { description: 'v2, admins.' })
  createWebhook(
    @Arg('input', () => WebhookInput) input: WebhookInput,
    @Ctx() ctx: WebhooksContext,
  ): Promise<Webhook> {
    return webhookServiceOf(ctx).create(ctx.principal, input);
  }

  @Mutation(() => Boolean, { description: 'v2, admins: false when there was no such webhook.' })
  deleteWebhook(@Arg('id', () => ID) id: string, @Ctx() ctx: WebhooksContext): Promise<boolean> {
    return webhookServiceOf(ctx).delete(ctx.principal, id);
  }

  @FieldResolver(() => [Event], {
    description:
      'Events this webhook gave up on after retrying them for the retry window (at least 24 hours), newest first, at most 100. Later events were delivered past them.',
  })
  failedEvents(@Root() webhook: Webhook, @Ctx() ctx: WebhooksContext): Promise<Event[]> {
    return webhookServiceOf(ctx).failedEvents(ctx.principal, webhook.id);
  }
}
