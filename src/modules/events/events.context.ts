import type { ModuleContext } from '../context';
import type { LedgerLoaders } from '../ledger/ledger.context';

/** What the events resolvers read from the context (the event feed's services comes through eventServiceOf(ctx)). */
export type EventsContext = ModuleContext<object, Pick<LedgerLoaders, 'transactionById'>>;
