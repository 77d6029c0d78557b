import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { AppError, ErrorCode } from './errors';
import type { Principal } from './auth/principal';

/**
 * Trusted documents (docs/auth.md#trusted-documents): with TRUSTED_DOCUMENTS_MANIFEST set, a
 * player token may run only the operations of that manifest, the persisted-documents file that
 * GraphQL Code Generator's client preset emits for a frontend's own operations (hash -> document).
 * Servers and admins may still send any document. The manifest's documents may be sent by hash
 * alone (Apollo's persisted-queries link: extensions.persistedQuery.sha256Hash), so a frontend
 * need not send its query text at all.
 */
export interface TrustedDocuments {
  /** Documents by the hex SHA-256 of their text (the manifest's "sha256:" prefix dropped). */
  readonly byHash: ReadonlyMap<string, string>;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Reads the manifest; a malformed one, or a hash that is not its document's, stops the start. */
export function loadTrustedDocuments(file: string | undefined): TrustedDocuments | undefined {
  if (!file) return undefined;
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest))
    throw new Error(`TRUSTED_DOCUMENTS_MANIFEST: ${file} is not a JSON object of hash -> document`);
  const byHash = new Map<string, string>();
  for (const [key, document] of Object.entries(manifest)) {
    const hash = key.replace(/^sha256:/, '');
    if (typeof document !== 'string' || sha256(document) !== hash)
      throw new Error(
        `TRUSTED_DOCUMENTS_MANIFEST: the entry ${key} of ${file} is not the SHA-256 of its document`,
      );
    byHash.set(hash, document);
  }
  return { byHash };
}

export const operationNotTrusted = () =>
  new AppError(
    ErrorCode.OPERATION_NOT_TRUSTED,
    "This operation is not one of the gateway's trusted documents; player tokens may run only those.",
    { http: { status: 400 } },
  );

const mustBeTrusted = (trusted: TrustedDocuments | undefined, principal: Principal | undefined) =>
  trusted !== undefined && principal?.role === 'player';

/**
 * Apollo's persisted-queries option: off without a manifest; with one, a read-only store of its
 * documents (a document sent with its hash is checked against the hash by Apollo, never stored:
 * no client can fill the store).
 */
export function persistedQueriesOption(trusted: TrustedDocuments | undefined) {
  if (!trusted) return false as const;
  const cache = {
    // Apollo prefixes its keys ("apq:<hash>").
    get: async (key: string) => trusted.byHash.get(key.replace(/^apq:/, '')),
    set: async () => undefined,
    delete: async () => undefined,
  };
  return { cache, ttl: null };
}

/** Refuses, over HTTP, a player's operation whose document is not in the manifest. */
export function trustedDocumentsPlugin(
  trusted: TrustedDocuments | undefined,
): ApolloServerPlugin<BaseContext & { principal?: Principal }> {
  return {
    async requestDidStart() {
      return {
        // After Apollo resolved the text (sent, or looked up by hash) and before it runs.
        async didResolveOperation({ source, contextValue }) {
          if (
            mustBeTrusted(trusted, contextValue.principal) &&
            !trusted!.byHash.has(sha256(source))
          )
            throw operationNotTrusted();
        },
      };
    },
  };
}

interface WsPayload {
  query?: string | null;
  extensions?: Record<string, unknown> | null;
}

/**
 * The same rule on the websocket (graphql-ws onSubscribe): a manifest hash in
 * extensions.persistedQuery runs the manifest's document; otherwise a player's text must be one.
 * Answers the payload to run, or the refusal.
 */
export function admitWsDocument<P extends WsPayload>(
  trusted: TrustedDocuments | undefined,
  principal: Principal | undefined,
  payload: P,
): P | AppError {
  if (!trusted) return payload;
  const persisted = payload.extensions?.persistedQuery as { sha256Hash?: unknown } | undefined;
  const hash = typeof persisted?.sha256Hash === 'string' ? persisted.sha256Hash : undefined;
  const known = hash === undefined ? undefined : trusted.byHash.get(hash);
  if (known !== undefined) return { ...payload, query: known };
  if (!mustBeTrusted(trusted, principal)) return payload;
  return trusted.byHash.has(sha256(payload.query ?? '')) ? payload : operationNotTrusted();
}
