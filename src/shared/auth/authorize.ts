import { AppError, ErrorCode } from '../errors';
import { clientIdOf, type Principal } from './principal';

/**
 * The authorization rules, one function per kind of access. Players read only their own wallets
 * and move no money; game servers move money and read everything; admins do everything, asset
 * management included. The services call these first thing, so HTTP and websockets (and any
 * future transport) apply the same rules; resolvers stay free of them.
 */
const forbidden = (message: string) => new AppError(ErrorCode.FORBIDDEN, message);

/** True when the principal may read this user's wallets, ledger and transactions. */
export function canReadUser(principal: Principal, userId: string): boolean {
  return principal.role !== 'player' || principal.subject === userId;
}

export function assertCanReadUser(principal: Principal, userId: string): void {
  if (!canReadUser(principal, userId)) {
    throw forbidden('Players may only read their own wallets.');
  }
}

export function assertCanMoveMoney(principal: Principal): void {
  if (principal.role !== 'server' && principal.role !== 'admin') {
    throw forbidden('Only game servers and admins may move money.');
  }
}

export function assertAdmin(principal: Principal): void {
  if (principal.role !== 'admin') throw forbidden('Only admins may manage assets.');
}

/**
 * Holds and transactions belong to the client that made them: only that client, or an admin,
 * may capture or release the hold, or reverse the transaction.
 */
export function assertOwnsOrAdmin(
  principal: Principal,
  ownerClientId: string,
  message: string,
): void {
  if (principal.role !== 'admin' && clientIdOf(principal) !== ownerClientId)
    throw forbidden(message);
}
