import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  valueFromAST,
  valueFromASTUntyped,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type FieldNode,
} from 'graphql';

export interface CostSettings {
  /** What a list field without a `first` argument (e.g. `Book.authors`) is assumed to hold. */
  defaultListSize: number;
}

/**
 * The cost of an operation: about how many objects it can make the servers produce. Every field
 * that returns an object costs 1; a list multiplies what is selected under it by its size — `first`
 * (variable, literal or the schema's default) on a connection field weighs its `edges`/`nodes`, the
 * length of `representations` weighs `_entities`, and any other list counts `defaultListSize`.
 * Scalars are free: they are read with their object.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
  settings: CostSettings,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;

  const variableDefaults = new Map(
    (operation.variableDefinitions ?? []).map((definition) => [
      definition.variable.name.value,
      definition.defaultValue ? valueFromASTUntyped(definition.defaultValue) : undefined,
    ]),
  );
  const variable = (name: string) => variables?.[name] ?? variableDefaults.get(name);

  const argument = (node: FieldNode, field: GraphQLField<unknown, unknown>, name: string): unknown => {
    const definition = field.args.find((arg) => arg.name === name);
    if (!definition) return undefined;
    const given = node.arguments?.find((arg) => arg.name.value === name);
    if (!given) return definition.defaultValue;
    if (given.value.kind === Kind.VARIABLE) return variable(given.value.name.value) ?? definition.defaultValue;
    return valueFromAST(given.value, definition.type, variables);
  };

  const selectionCost = (selectionSet: SelectionSetNode, type: GraphQLCompositeType, pageSize: number | undefined, seen: Set<string>): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        // A fragment cycle is refused by validation; counting it once keeps this finite meanwhile.
        if (!fragment || seen.has(fragment.name.value)) continue;
        const fragmentType = schema.getType(fragment.typeCondition.name.value);
        if (fragmentType && isCompositeType(fragmentType)) {
          total += selectionCost(fragment.selectionSet, fragmentType, pageSize, new Set([...seen, fragment.name.value]));
        }
        continue;
      }
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const fragmentType = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
        if (fragmentType && isCompositeType(fragmentType)) total += selectionCost(selection.selectionSet, fragmentType, pageSize, seen);
        continue;
      }
      if (!(isObjectType(type) || isInterfaceType(type)) || selection.name.value.startsWith('__')) continue;
      const field = type.getFields()[selection.name.value];
      if (!field || !selection.selectionSet) continue;
      const first = argument(selection, field, 'first');
      const representations = argument(selection, field, 'representations');
      const ownPageSize = typeof first === 'number' ? Math.max(first, 0) : undefined;
      let multiplier = 1;
      if (isListType(getNullableType(field.type))) {
        if (Array.isArray(representations)) multiplier = representations.length;
        else multiplier = ownPageSize ?? pageSize ?? settings.defaultListSize;
      }
      const fieldType = getNamedType(field.type);
      const childCost = isCompositeType(fieldType) ? selectionCost(selection.selectionSet, fieldType, ownPageSize, seen) : 0;
      total += multiplier * (1 + childCost);
    }
    return total;
  };

  return selectionCost(operation.selectionSet, root, undefined, new Set());
}
