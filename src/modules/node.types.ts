import { Field, ID, InterfaceType } from 'type-graphql';

/**
 * The type of an object answered by Query.node or Query.nodes. The services return plain objects,
 * not class instances, so the interface cannot tell the type by instanceof: NodeService tags
 * every object it answers.
 */
export const nodeTypeName = Symbol('nodeTypeName');

export type TaggedNode = object & { [nodeTypeName]: string };

@InterfaceType({
  description: 'v3: an object with a stable id, for client caches and Query.node.',
  resolveType: (value: TaggedNode) => value[nodeTypeName],
})
export abstract class Node {
  @Field(() => ID, { description: 'Opaque, unique across all types, stable.' })
  id!: string;
}
