/** The roles a credential can carry: players read their own wallets, servers move money, admins manage. */
export type Role = 'player' | 'server' | 'admin';

/** The authenticated caller. */
export interface Principal {
  subject: string;
  role: Role;
  /** The token's `iss` claim, when it has one. */
  issuer?: string;
}

/**
 * The client an idempotency key (and the holds and transactions it made) belongs to: issuer, role
 * and subject together, so that an admin token that happens to share a server's `sub`, or a token
 * of another issuer, never replays that server's keys nor acts as the owner of its holds.
 *
 * A server token without an issuer keeps its bare subject, the form every key was recorded under
 * before issuers and roles were part of the scope; every other caller is the JSON array
 * [role, issuer, subject], which can never equal a bare subject (a server whose subject starts
 * with "[" is written as an array too).
 */
export function clientIdOf(principal: Principal): string {
  if (principal.role === 'server' && !principal.issuer && !principal.subject.startsWith('['))
    return principal.subject;
  return JSON.stringify([principal.role, principal.issuer ?? null, principal.subject]);
}
