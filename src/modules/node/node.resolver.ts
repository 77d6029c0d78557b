import DataLoader from 'dataloader';
import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { NodeContext } from './node.context';
import { badUserInput } from '../../shared/errors';
import { limits } from '../../shared/limits';
import { Node, type TaggedNode } from '../node.types';

// One loader per request (keyed by the request's loaders): node and nodes fields that an
// operation repeats under aliases are answered from one batch.
const perRequest = new WeakMap<object, DataLoader<string, TaggedNode | null>>();

function nodeLoader(ctx: NodeContext): DataLoader<string, TaggedNode | null> {
  let loader = perRequest.get(ctx.loaders);
  if (!loader) {
    loader = new DataLoader((ids) => ctx.services.node.nodes(ctx.principal, ctx.loaders, ids), {
      maxBatchSize: limits.nodeIdsMax,
    });
    perRequest.set(ctx.loaders, loader);
  }
  return loader;
}

@Resolver()
export class NodeResolver {
  @Query(() => Node, {
    nullable: true,
    description: "v3: any Node by its id; null when unknown or not the caller's to see.",
  })
  node(@Arg('id', () => ID) id: string, @Ctx() ctx: NodeContext): Promise<TaggedNode | null> {
    return nodeLoader(ctx).load(id);
  }

  @Query(() => [Node], {
    nullable: 'items',
    description: 'v3: the same for several ids, in their order.',
  })
  async nodes(
    @Arg('ids', () => [ID]) ids: string[],
    @Ctx() ctx: NodeContext,
  ): Promise<(TaggedNode | null)[]> {
    if (ids.length > limits.nodeIdsMax)
      throw badUserInput(`ids must hold at most ${limits.nodeIdsMax} ids.`, 'ids');
    const found = await nodeLoader(ctx).loadMany(ids);
    return found.map((node) => {
      if (node instanceof Error) throw node;
      return node;
    });
  }
}
