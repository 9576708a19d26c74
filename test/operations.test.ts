import { Kind, NoDeprecatedCustomRule, validate, visit, type DocumentNode, type FragmentDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { committedApiSchema, loadOperationFiles } from '../schema/api-schema';

/**
 * The operations the web shop and the mobile app send (schema/operations) must stay valid against the
 * API schema clients see through the router (the committed supergraph without its join__ machinery).
 */
const schema = committedApiSchema();
const allFiles = loadOperationFiles();
/** Files of operations, and files of fragments shared by several operations (e.g. cart/cart-fields.graphql). */
const files = allFiles.filter((file) => file.operations.length > 0);
const fragmentFiles = allFiles.filter((file) => file.operations.length === 0);
const fragments = new Map(
  fragmentFiles.flatMap((file) =>
    file.document.definitions.filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION),
  ).map((fragment) => [fragment.name.value, fragment]),
);

/** The operation's document with every shared fragment it spreads, directly or through another fragment. */
function withFragments(document: DocumentNode): DocumentNode {
  const needed = new Map<string, FragmentDefinitionNode>();
  const collect = (node: DocumentNode | FragmentDefinitionNode) =>
    visit(node, {
      FragmentSpread(spread) {
        const fragment = fragments.get(spread.name.value);
        if (fragment && !needed.has(fragment.name.value)) {
          needed.set(fragment.name.value, fragment);
          collect(fragment);
        }
      },
    });
  collect(document);
  return { ...document, definitions: [...document.definitions, ...needed.values()] };
}

/**
 * Deprecated fields an operation may still use while its client migrates, as `OperationName: ['Type.field']`.
 * Keep it short-lived: the field will be removed once `npm run schema:check` allows it.
 */
const ALLOWED_DEPRECATED: Record<string, string[]> = {};

const kebab = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

describe('client operations (schema/operations)', () => {
  it('exist, and are checked against the API schema, not the raw supergraph', () => {
    expect(files.length).toBeGreaterThan(0);
    expect(Object.keys(schema.getTypeMap()).filter((name) => /^(join|link)__/.test(name))).toEqual([]);
  });

  it.each(files.map((file) => [file.file, file] as const))('%s holds one named operation, named like its file', (_name, file) => {
    expect(file.operations).toHaveLength(1);
    const name = file.operations[0]!.name?.value;
    expect(name, 'operations must be named').toBeDefined();
    expect(file.file.split('/').pop()).toBe(`${kebab(name!)}.graphql`);
  });

  it.each(files.map((file) => [file.file, file] as const))('%s is valid against the API schema', (_name, file) => {
    expect(validate(schema, withFragments(file.document)).map(({ message }) => message)).toEqual([]);
  });

  it.each(fragmentFiles.map((file) => [file.file, file] as const))('%s holds fragments only, named like its file, each used', (_name, file) => {
    const names = file.document.definitions.map((definition) => (definition.kind === Kind.FRAGMENT_DEFINITION ? definition.name.value : definition.kind));
    expect(names.length).toBeGreaterThan(0);
    expect(file.file.split('/').pop()).toBe(`${kebab(names[0]!)}.graphql`);
    for (const name of names) {
      expect(files.some((operation) => operation.source.includes(`...${name}`)), `${name} is used by an operation`).toBe(true);
    }
  });

  it.each(files.map((file) => [file.file, file] as const))('%s uses no deprecated field unless allowed', (_name, file) => {
    const allowed = ALLOWED_DEPRECATED[file.operations[0]?.name?.value ?? ''] ?? [];
    const uses = validate(schema, withFragments(file.document), [NoDeprecatedCustomRule])
      .map(({ message }) => message)
      // graphql-js names the coordinate, e.g. "The field User.nickname is deprecated. Use displayName."
      .filter((message) => !allowed.some((coordinate) => message.includes(coordinate)));
    expect(uses).toEqual([]);
  });

  it('have unique operation names across all files', () => {
    const names = files.flatMap(({ operations }) => operations.map((operation) => operation.name?.value));
    expect(names.filter((name, index) => names.indexOf(name) !== index)).toEqual([]);
  });
});
