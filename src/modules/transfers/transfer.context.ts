import type { ModuleContext } from '../context';
import type { TransferService } from './transfer.service';

/** What the transfers resolvers read from the context (only the services it calls). */
export type TransfersContext = ModuleContext<{ transfers: TransferService }>;
