import type { ModuleContext } from '../context';
import type { ReversalService } from './reversal.service';

/** What the reversal resolver reads from the context: only the service it calls. */
export type ReversalContext = ModuleContext<{ reversals: ReversalService }, object>;
