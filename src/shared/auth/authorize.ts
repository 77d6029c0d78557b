import { AppError, ErrorCode } from '../errors';
import type { Principal } from '../context';

/**
 * The authorization rules, one function per kind of access. Players read only their own wallets
 * and move no money; game servers move money and read everything; admins do everything.
 */
const forbidden = (message: string) => new AppError(ErrorCode.FORBIDDEN, message);

export function assertCanReadUser(principal: Principal, userId: string): void {
  if (principal.role === 'player' && principal.subject !== userId) {
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
