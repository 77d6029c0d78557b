import type { ModuleContext } from '../context';
import type { NodeLoaders, NodeService } from './node.service';

/** What the node resolver reads from the context: its service and the loaders it shares. */
export type NodeContext = ModuleContext<{ node: NodeService }, NodeLoaders>;
