import { NoDeprecatedCustomRule, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { committedApiSchema, loadOperationFiles } from '../schema/api-schema';

/**
 * The operations the web shop and the mobile app send (schema/operations) must stay valid against the
 * API schema clients see through the router (the committed supergraph without its join__ machinery).
 */
const schema = committedApiSchema();
const files = loadOperationFiles();

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
    expect(validate(schema, file.document).map(({ message }) => message)).toEqual([]);
  });

  it.each(files.map((file) => [file.file, file] as const))('%s uses no deprecated field unless allowed', (_name, file) => {
    const allowed = ALLOWED_DEPRECATED[file.operations[0]?.name?.value ?? ''] ?? [];
    const uses = validate(schema, file.document, [NoDeprecatedCustomRule])
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
