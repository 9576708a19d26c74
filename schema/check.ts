import { type Change, CriticalityLevel, diff } from '@graphql-inspector/core';
import {
  getNamedType,
  type GraphQLNamedType,
  type GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  isUnionType,
} from 'graphql';

/**
 * The breaking-change check: which changes between the base API schema (main's) and the current one
 * would break a client, and which of those are intended because they went through "deprecate first".
 */
export interface SchemaChange {
  level: 'BREAKING' | 'DANGEROUS' | 'NON_BREAKING';
  /** A breaking removal of something that was already `@deprecated` in the base: the announced path. */
  intended: boolean;
  /** graphql-inspector's change type, e.g. FIELD_REMOVED. */
  type: string;
  /** Schema coordinate, e.g. `Query.user` or `Role.ADMIN`. */
  path: string;
  message: string;
  /** Why a breaking change counts as intended, e.g. the base's deprecation reason. */
  note?: string;
}

export interface SchemaCheckResult {
  changes: SchemaChange[];
  /** Breaking changes that are not intended: any of these fails the check. */
  blocking: SchemaChange[];
}

export async function checkSchemaChanges(base: GraphQLSchema, current: GraphQLSchema): Promise<SchemaCheckResult> {
  const changes = foldDescriptionsOfAdditions(await diff(base, current));
  const removedTypes = intendedTypeRemovals(base, current);
  const reported = changes.map((change): SchemaChange => {
    const level = change.criticality.level as SchemaChange['level'];
    const note = level === CriticalityLevel.Breaking ? deprecatedInBase(base, change, removedTypes) : undefined;
    return {
      level,
      intended: note !== undefined,
      type: change.type as string,
      path: change.path ?? '',
      message: change.message,
      ...(note !== undefined ? { note } : {}),
    };
  });
  return { changes: reported, blocking: reported.filter((change) => change.level === 'BREAKING' && !change.intended) };
}

/**
 * Drops "description added" changes of elements added in the same diff: the addition already says it,
 * and a new type would otherwise be listed twice per field.
 */
function foldDescriptionsOfAdditions(changes: Change[]): Change[] {
  const added = new Set(
    changes.filter(({ type }) => /_ADDED$/.test(type) && !/DESCRIPTION|DEPRECATION|DIRECTIVE/.test(type)).map(({ path }) => path),
  );
  return changes.filter(({ type, path }) => !(/DESCRIPTION_ADDED$|^TYPE_DESCRIPTION_CHANGED$/.test(type) && added.has(path)));
}

/** The deprecation note when the removed element was `@deprecated` in the base, else undefined. */
function deprecatedInBase(base: GraphQLSchema, change: Change, removedTypes: Set<string>): string | undefined {
  const [typeName = '', memberName = '', argumentName = ''] = (change.path ?? '').split('.');
  const type = base.getType(typeName);
  const reason = (deprecationReason: string | null | undefined) =>
    deprecationReason ? `deprecated in the base: "${deprecationReason}"` : undefined;
  switch (change.type) {
    case 'FIELD_REMOVED':
      return isObjectType(type) || isInterfaceType(type) ? reason(type.getFields()[memberName]?.deprecationReason) : undefined;
    case 'FIELD_ARGUMENT_REMOVED': {
      if (!isObjectType(type) && !isInterfaceType(type)) return undefined;
      const argument = type.getFields()[memberName]?.args.find(({ name }) => name === argumentName);
      return reason(argument?.deprecationReason);
    }
    case 'INPUT_FIELD_REMOVED':
      return isInputObjectType(type) ? reason(type.getFields()[memberName]?.deprecationReason) : undefined;
    case 'ENUM_VALUE_REMOVED':
      return isEnumType(type) ? reason(type.getValue(memberName)?.deprecationReason) : undefined;
    case 'TYPE_REMOVED':
      return removedTypes.has(typeName) ? 'only reachable through deprecated fields in the base' : undefined;
    default:
      return undefined;
  }
}

/**
 * Types removed together with the deprecated fields that led to them: every reference to such a type
 * in the base is a deprecated field, argument or input field, or sits in another such type.
 */
function intendedTypeRemovals(base: GraphQLSchema, current: GraphQLSchema): Set<string> {
  const userTypes = (schema: GraphQLSchema) =>
    Object.values(schema.getTypeMap()).filter((type) => !isIntrospectionType(type) && !type.name.startsWith('__'));
  const candidates = new Set(userTypes(base).map(({ name }) => name).filter((name) => !current.getType(name)));
  const references = (target: string): Array<{ from: GraphQLNamedType; deprecated: boolean }> => {
    const found: Array<{ from: GraphQLNamedType; deprecated: boolean }> = [];
    for (const type of userTypes(base)) {
      if (type.name === target) continue;
      if (isObjectType(type) || isInterfaceType(type)) {
        if (type.getInterfaces().some(({ name }) => name === target)) found.push({ from: type, deprecated: false });
        for (const field of Object.values(type.getFields())) {
          if (getNamedType(field.type).name === target) found.push({ from: type, deprecated: !!field.deprecationReason });
          for (const argument of field.args) {
            if (getNamedType(argument.type).name === target) {
              found.push({ from: type, deprecated: !!field.deprecationReason || !!argument.deprecationReason });
            }
          }
        }
      } else if (isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (getNamedType(field.type).name === target) found.push({ from: type, deprecated: !!field.deprecationReason });
        }
      } else if (isUnionType(type) && type.getTypes().some(({ name }) => name === target)) {
        found.push({ from: type, deprecated: false });
      }
    }
    return found;
  };
  // Drop candidates with a live reference until nothing changes (a type used only by removed types
  // stays intended only while those are).
  let changed = true;
  while (changed) {
    changed = false;
    for (const name of candidates) {
      const live = references(name).some(({ from, deprecated }) => !deprecated && !candidates.has(from.name));
      if (live || references(name).length === 0) {
        candidates.delete(name);
        changed = true;
      }
    }
  }
  return candidates;
}

/** One line per change, breaking ones first, for humans and CI logs. */
export function formatSchemaChanges(changes: readonly SchemaChange[]): string[] {
  const order = { BREAKING: 0, DANGEROUS: 1, NON_BREAKING: 2 } as const;
  return [...changes]
    .sort((a, b) => order[a.level] - order[b.level] || a.path.localeCompare(b.path))
    .map((change) => {
      const label = change.intended ? 'BREAKING (intended)' : change.level;
      return `  ${label.padEnd(20)} ${change.path.padEnd(36)} ${change.message.replace(/\s*\n\s*/g, ' ')}${change.note ? ` — ${change.note}` : ''}`;
    });
}
