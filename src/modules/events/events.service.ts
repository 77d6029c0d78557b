import type { PrismaClient } from '../../../generated/prisma/client';
import { AppError, ErrorCode, badUserInput } from '../../shared/errors';
import { decodeOpaqueCursor, encodeOpaqueCursor, malformedCursor } from '../../shared/cursor';
import type { Principal } from '../../shared/auth/principal';
import { limits } from '../../shared/limits';
import { eventStore, type FeedPosition } from './events.store';
import type { Event, EventConnection } from './events.types';

const cursorPrefix = 'f1:';
const bigintText = /^(0|[1-9][0-9]{0,18})$/;

/** Feed cursors are opaque to clients: the event's (xact, id) behind a version prefix, base64url. */
export function encodeEventCursor(position: {
  xact: string | bigint;
  id: string | bigint;
}): string {
  return encodeOpaqueCursor(cursorPrefix, `${position.xact}:${position.id}`);
}

export function decodeEventCursor(cursor: string): FeedPosition {
  const [xact, id, ...rest] = decodeOpaqueCursor(cursorPrefix, cursor).split(':');
  if (rest.length > 0 || !xact || !id || !bigintText.test(xact) || !bigintText.test(id))
    throw malformedCursor();
  const position = { xact: BigInt(xact), id: BigInt(id) };
  if (position.xact > limits.amountMax || position.id > limits.amountMax) throw malformedCursor();
  return position;
}

export function assertCanReadFeed(principal: Principal): void {
  if (principal.role !== 'server' && principal.role !== 'admin') {
    throw new AppError(
      ErrorCode.FORBIDDEN,
      'Only game servers and admins may read the event feed.',
    );
  }
}

/** The event feed: pages of committed changes in one stable order (docs/events.md). */
export class EventService {
  constructor(private readonly prisma: PrismaClient) {}

  async events(
    principal: Principal,
    args: { after?: string | null; first?: number | null },
  ): Promise<EventConnection> {
    assertCanReadFeed(principal);
    const first = args.first ?? limits.eventsPageSizeDefault;
    if (!Number.isInteger(first) || first < 1)
      throw badUserInput('first must be at least 1.', 'first');
    const pageSize = Math.min(first, limits.eventsPageSizeMax);
    const after = args.after == null ? undefined : decodeEventCursor(args.after);
    const rows = await eventStore.findPage(this.prisma, after, pageSize + 1);
    const page = rows.slice(0, pageSize);
    const edges = page.map((node) => ({ cursor: encodeEventCursor(node), node }));
    // An empty page answers the cursor it was given, so a consumer can always store endCursor.
    const endCursor = edges.at(-1)?.cursor ?? args.after ?? null;
    return { edges, pageInfo: { hasNextPage: rows.length > pageSize, endCursor } };
  }

  async byIds(ids: readonly bigint[]): Promise<Event[]> {
    return eventStore.findByIds(this.prisma, ids);
  }

  /** Feed lag in seconds (see eventStore.lagSeconds); read at each metrics scrape. */
  lagSeconds(): Promise<number> {
    return eventStore.lagSeconds(this.prisma);
  }
}
