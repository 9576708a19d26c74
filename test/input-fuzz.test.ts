import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
  type IntrospectionQuery,
} from 'graphql';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fieldResolutionCount } from '@bazaar/service';
import { signUpAs, startTestStack, type TestStack } from '@bazaar/testing';

/**
 * Every string input of the graph, found by introspecting the router (not a hand-written list),
 * gets NUL, a lone surrogate and a control character in turn. Each must be refused with
 * BAD_USER_INPUT naming that input, with no resolver run and no row written anywhere.
 */
const BAD_STRINGS = { nul: 'bad\u0000value', loneSurrogate: 'bad\ud800value', control: 'bad\u0007value' } as const;

interface StringInput {
  operation: 'query' | 'mutation';
  field: GraphQLField<unknown, unknown>;
  /** Path from the argument to the string, e.g. ['input', 'shippingAddress', 'city']. */
  path: string[];
}

/** A value of `type` that passes GraphQL's own coercion (the domain may still refuse it). */
function plausible(type: GraphQLInputType): unknown {
  const nullable = getNullableType(type);
  if (isListType(nullable)) return [plausible(nullable.ofType as GraphQLInputType)];
  if (isEnumType(nullable)) return nullable.getValues()[0]!.value;
  if (isInputObjectType(nullable)) {
    return Object.fromEntries(
      Object.values(nullable.getFields())
        .filter((field) => isNonNullType(field.type))
        .map((field) => [field.name, plausible(field.type)]),
    );
  }
  switch (nullable.name) {
    case 'Int':
    case 'Float':
      return 1;
    case 'Boolean':
      return false;
    case 'DateTime':
      return '2026-01-01T00:00:00Z';
    default:
      return 'x';
  }
}

/** Every path to a String or ID leaf under `type`, lists included. */
function stringPaths(type: GraphQLInputType, seen: Set<string> = new Set()): string[][] {
  const named = getNamedType(type);
  if (isScalarType(named)) return named.name === 'String' || named.name === 'ID' ? [[]] : [];
  if (!isInputObjectType(named) || seen.has(named.name)) return [];
  return Object.values(named.getFields()).flatMap((field) =>
    stringPaths(field.type, new Set([...seen, named.name])).map((path) => [field.name, ...path]),
  );
}

function stringInputs(schema: GraphQLSchema): StringInput[] {
  return (['query', 'mutation'] as const).flatMap((operation) => {
    const root = operation === 'query' ? schema.getQueryType() : schema.getMutationType();
    return Object.values(root?.getFields() ?? {}).flatMap((field) =>
      field.args.flatMap((argument) => stringPaths(argument.type).map((path) => ({ operation, field, path: [argument.name, ...path] }))),
    );
  });
}

/** The request that puts `bad` at `input.path` and plausible values everywhere else that is required. */
function requestFor(input: StringInput, bad: string) {
  const variables: Record<string, unknown> = {};
  for (const argument of input.field.args) {
    if (argument.name === input.path[0] || isNonNullType(argument.type)) variables[argument.name] = plausible(argument.type);
  }
  // Walk to the string, creating what is on the way (lists get one item), and place the bad value.
  let holder: Record<string, unknown> = variables;
  let type: GraphQLInputType = input.field.args.find((argument) => argument.name === input.path[0])!.type;
  input.path.forEach((key, index) => {
    const last = index === input.path.length - 1;
    if (index > 0) {
      const objectType = getNamedType(type);
      if (!isInputObjectType(objectType)) throw new Error(`not an input object at ${key}`);
      type = objectType.getFields()[key]!.type;
    }
    const isList = isListType(getNullableType(type));
    if (last) {
      holder[key] = isList ? [bad] : bad;
      return;
    }
    const existing = holder[key] ?? (isList ? [plausible(getNamedType(type) as GraphQLInputType)] : plausible(type));
    holder[key] = existing;
    holder = (Array.isArray(existing) ? existing[0] : existing) as Record<string, unknown>;
  });
  const used = input.field.args.filter((argument) => argument.name in variables);
  const declarations = used.map((argument) => `$${argument.name}: ${argument.type.toString()}`).join(', ');
  const call = used.map((argument) => `${argument.name}: $${argument.name}`).join(', ');
  const selection = isScalarType(getNamedType(input.field.type)) || isEnumType(getNamedType(input.field.type)) ? '' : ' { __typename }';
  const query = `${input.operation}${declarations ? ` Fuzz(${declarations})` : ''} { ${input.field.name}${call ? `(${call})` : ''}${selection} }`;
  return { query, variables };
}

describe('clean input: every string input of the schema', () => {
  let stack: TestStack;
  let inputs: StringInput[];
  let pools: pg.Pool[];

  beforeAll(async () => {
    stack = await startTestStack();
    const { data } = await stack.client.request<IntrospectionQuery>(getIntrospectionQuery());
    inputs = stringInputs(buildClientSchema(data!));
    pools = Object.values(stack.databases).map((database) => new pg.Pool({ connectionString: database.url, max: 1 }));
  });
  afterAll(async () => {
    await Promise.all((pools ?? []).map((pool) => pool.end()));
    await stack?.stop();
  });

  /** Rows in every table of every service's database. */
  async function rowCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const [index, pool] of pools.entries()) {
      const tables = await pool.query<{ name: string }>(
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
      );
      for (const { name } of tables.rows) {
        const { rows } = await pool.query<{ count: string }>(`SELECT count(*) FROM "${name}"`);
        counts[`${Object.keys(stack.databases)[index]}.${name}`] = Number(rows[0]!.count);
      }
    }
    return counts;
  }

  it('refuses NUL, lone surrogates and control characters with BAD_USER_INPUT naming the input; nothing runs, nothing is written', async () => {
    const { client } = await signUpAs(stack, ['BUYER', 'SELLER']);
    const rowsBefore = await rowCounts();
    const resolvedBefore = fieldResolutionCount();
    const failures: string[] = [];
    for (const input of inputs) {
      for (const [kind, bad] of Object.entries(BAD_STRINGS)) {
        const { query, variables } = requestFor(input, bad);
        const { errors } = await client.request(query, variables);
        const error = errors?.[0];
        const fields = (error?.extensions?.fields ?? []) as { field: string }[];
        const named = fields.some(({ field }) => field.replace(/\.\d+/g, '') === input.path.join('.'));
        if (error?.extensions?.code !== 'BAD_USER_INPUT' || !named) {
          failures.push(`${input.field.name}(${input.path.join('.')}) with ${kind}: ${JSON.stringify(errors ?? 'no error')}`);
        }
      }
    }
    console.log(`${inputs.length} string inputs in ${new Set(inputs.map((input) => input.field.name)).size} fields × ${Object.keys(BAD_STRINGS).length} bad strings: ${failures.length} not refused`);
    expect(failures).toEqual([]);
    expect(inputs.length).toBeGreaterThan(50);
    expect(fieldResolutionCount() - resolvedBefore).toBe(0);
    expect(await rowCounts()).toEqual(rowsBefore);
  });

  it('allows line breaks and tabs in long text, not in a single line', async () => {
    const { client } = await signUpAs(stack);
    const profile = await client.request('mutation ($name: String) { updateProfile(input: { displayName: $name }) { user { displayName } } }', {
      name: 'Ada\nLovelace',
    });
    expect(profile.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'input.displayName' }] });
    const wish = await client.request('mutation ($note: String) { addToWishlist(input: { bookId: "none", note: $note }) { item { id } } }', {
      note: 'for Ada,\n\tsigned',
    });
    // Past the input check: the domain answers about the (unknown) book, not about the note.
    expect(wish.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
