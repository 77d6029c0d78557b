import { createAttachment } from '../../shared/attachment';
import type { EventService } from './events.service';

// The feed's service hangs off the gateway's Services object (see createAttachment):
// startEventFeed attaches it once per gateway.
const eventService = createAttachment<EventService>('the event feed service');

export const attachEventService = eventService.attach;

/** The event feed's service of the gateway that runs this request. */
export const eventServiceOf = eventService.of;
