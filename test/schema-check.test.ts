import { buildSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { checkSchemaChanges } from '../schema/check';

const BASE = /* GraphQL */ `
  enum Role { BUYER SELLER MODERATOR @deprecated(reason: "Use ADMIN.") }
  type LegacyBadge { label: String! }
  type User {
    id: ID!
    displayName: String!
    nickname: String @deprecated(reason: "Use displayName.")
    badge: LegacyBadge @deprecated(reason: "Badges are gone.")
    roles: [Role!]!
  }
  type Query {
    user(id: ID!): User
    users(first: Int): [User!]!
  }
`;

const check = (current: string) => checkSchemaChanges(buildSchema(BASE), buildSchema(current));
const edit = (...replacements: Array<[string, string]>) =>
  replacements.reduce((sdl, [from, to]) => {
    if (!sdl.includes(from)) throw new Error(`not in the base: ${from}`);
    return sdl.replace(from, to);
  }, BASE);

describe('the breaking-change check', () => {
  it('passes an unchanged schema', async () => {
    expect(await check(BASE)).toEqual({ changes: [], blocking: [] });
  });

  it('passes an added field and lists it as safe', async () => {
    const { changes, blocking } = await check(edit(['roles: [Role!]!', 'roles: [Role!]!\n    bio: String']));
    expect(blocking).toEqual([]);
    expect(changes).toEqual([expect.objectContaining({ level: 'NON_BREAKING', type: 'FIELD_ADDED', path: 'User.bio', intended: false })]);
  });

  it('fails on a removed field that was not deprecated', async () => {
    const { blocking } = await check(edit(['displayName: String!\n', '']));
    expect(blocking).toEqual([expect.objectContaining({ level: 'BREAKING', type: 'FIELD_REMOVED', path: 'User.displayName' })]);
  });

  it('passes a removed field that was deprecated in the base, as an intended change', async () => {
    const { changes, blocking } = await check(edit(['nickname: String @deprecated(reason: "Use displayName.")\n', '']));
    expect(blocking).toEqual([]);
    expect(changes).toEqual([
      expect.objectContaining({ level: 'BREAKING', intended: true, path: 'User.nickname', note: expect.stringContaining('Use displayName.') }),
    ]);
  });

  it('passes a deprecated enum value removed, and a type removed with the only deprecated field using it', async () => {
    const { changes, blocking } = await check(
      edit(
        [' MODERATOR @deprecated(reason: "Use ADMIN.")', ''],
        ['type LegacyBadge { label: String! }', ''],
        ['badge: LegacyBadge @deprecated(reason: "Badges are gone.")\n', ''],
      ),
    );
    expect(blocking).toEqual([]);
    expect(changes.map(({ path, intended }) => [path, intended]).sort()).toEqual([
      ['LegacyBadge', true],
      ['Role.MODERATOR', true],
      ['User.badge', true],
    ]);
  });

  it('fails on an argument made required and on a new required argument', async () => {
    const { blocking } = await check(edit(['users(first: Int)', 'users(first: Int!, after: String!)']));
    expect(blocking.map(({ type, path }) => [type, path]).sort()).toEqual([
      ['FIELD_ARGUMENT_ADDED', 'Query.users.after'],
      ['FIELD_ARGUMENT_TYPE_CHANGED', 'Query.users.first'],
    ]);
  });

  it('fails on a removed enum value and a changed field type that were not deprecated', async () => {
    const { blocking } = await check(edit(['enum Role { BUYER SELLER', 'enum Role { BUYER'], ['user(id: ID!): User', 'user(id: ID!): User!']));
    expect(blocking.map(({ path }) => path).sort()).toEqual(['Role.SELLER']);
    // Making an output field non-null is safe for clients: only the enum value removal blocks.
  });
});
