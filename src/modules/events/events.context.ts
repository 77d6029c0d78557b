import type { ModuleContext } from '../context';
import type { RequestLoaders } from '../loaders';

/** What the events resolvers read from the context (the event feed's services come through feedServices(ctx)). */
export type EventsContext = ModuleContext<object, Pick<RequestLoaders, 'transactionById'>>;
