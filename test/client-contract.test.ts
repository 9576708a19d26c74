import type { ApolloClient, TypedDocumentNode } from '@apollo/client';
import { CombinedGraphQLErrors } from '@apollo/client/errors';
import { Kind, type OperationDefinitionNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BecomeSellerDocument,
  createBazaarClient,
  LogInDocument,
  LogOutDocument,
  MeDocument,
  RefreshSessionDocument,
  SetUserRolesDocument,
  SignUpDocument,
  type Role,
  type SignUpMutation,
  UpdateProfileDocument,
  UserProfileDocument,
} from '@bazaar/example-client';
import { startTestStack, type TestStack } from '@bazaar/testing';
import { loadOperationFiles } from '../schema/api-schema';

/**
 * The client contract: the operations the web shop and the app send (schema/operations), typed by
 * GraphQL Code Generator, run through Apollo Client 4 and its normalised cache against the real router
 * and every subgraph.
 */
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

const PASSWORD = 'correct horse battery';
let counter = 0;
const newAccount = (displayName = 'Reader') => ({ email: `client${++counter}-${Date.now()}@example.com`, password: PASSWORD, displayName });

/** A client with its own cache, signed in as whoever's token `token()` returns. */
function client(token: () => string | undefined = () => undefined): ApolloClient {
  return createBazaarClient({ uri: stack.routerUrl, getAccessToken: token, clientName: 'contract-test' });
}

/** Runs a typed operation; a query goes to the network unless `cacheFirst`. GraphQL errors throw. */
async function run<Data, Variables extends Record<string, unknown>>(
  apollo: ApolloClient,
  document: TypedDocumentNode<Data, Variables>,
  variables?: Variables,
): Promise<Data> {
  const operation = document.definitions.find((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
  const result =
    operation?.operation === 'mutation'
      ? await apollo.mutate({ mutation: document, ...(variables ? { variables } : {}) } as ApolloClient.MutateOptions<Data, Variables>)
      : await apollo.query({ query: document, fetchPolicy: 'network-only', ...(variables ? { variables } : {}) } as ApolloClient.QueryOptions<Data, Variables>);
  if (result.error) throw result.error;
  return result.data as Data;
}

/** The error codes a failing operation gives. */
async function errorCodes(promise: Promise<unknown>): Promise<string[]> {
  try {
    await promise;
  } catch (error) {
    if (CombinedGraphQLErrors.is(error)) return error.errors.map((item) => String(item.extensions?.code));
    throw error;
  }
  return [];
}

async function signUp(displayName?: string): Promise<SignUpMutation['signUp'] & { password: string; email: string }> {
  const input = newAccount(displayName);
  const { signUp } = await run(client(), SignUpDocument, { input });
  return { ...signUp, email: input.email, password: input.password };
}

describe('the account flow through Apollo Client', () => {
  it('signs up, reads me, updates the profile in the normalised cache, refreshes and logs out', async () => {
    let token: string | undefined;
    const apollo = client(() => token);
    const input = newAccount('Ada');

    const { signUp } = await run(apollo, SignUpDocument, { input });
    expect(signUp.user).toMatchObject({ email: input.email, displayName: 'Ada', roles: ['BUYER'] });
    expect(new Date(signUp.session.accessTokenExpiresAt).getTime()).toBeGreaterThan(Date.now());
    token = signUp.session.accessToken;

    const { me } = await run(apollo, MeDocument);
    expect(me).toEqual({ __typename: 'User', ...signUp.user });
    const userKey = apollo.cache.identify({ __typename: 'User', id: signUp.user.id });
    expect(userKey).toBe(`User:${signUp.user.id}`);

    const { updateProfile } = await run(apollo, UpdateProfileDocument, { input: { displayName: '  Ada Lovelace ' } });
    expect(updateProfile.user).toEqual({ __typename: 'User', id: signUp.user.id, displayName: 'Ada Lovelace' });
    // The mutation returned the User entity: the cached `me` changed with it, no refetch needed.
    expect(apollo.readQuery({ query: MeDocument })?.me).toMatchObject({ id: signUp.user.id, displayName: 'Ada Lovelace', email: input.email });

    const { refreshSession } = await run(apollo, RefreshSessionDocument, { refreshToken: signUp.session.refreshToken });
    expect(refreshSession.user.id).toBe(signUp.user.id);
    expect(refreshSession.session.refreshToken).not.toBe(signUp.session.refreshToken);
    token = refreshSession.session.accessToken;
    expect((await run(apollo, MeDocument)).me?.displayName).toBe('Ada Lovelace');

    const { logOut } = await run(apollo, LogOutDocument, { refreshToken: refreshSession.session.refreshToken });
    expect(logOut.loggedOut).toBe(true);
    expect(await errorCodes(run(apollo, RefreshSessionDocument, { refreshToken: refreshSession.session.refreshToken }))).toEqual([
      'UNAUTHENTICATED',
    ]);
    token = undefined;
    await apollo.clearStore();
    expect((await run(apollo, MeDocument)).me).toBeNull();
  });
});

/** What every operation is run with: who sends it, its variables, and what its result must show. */
interface Fixtures {
  buyer: Awaited<ReturnType<typeof signUp>>;
  adminToken: string;
}
interface Coverage<Data, Variables> {
  document: TypedDocumentNode<Data, Variables>;
  as: (fixtures: Fixtures) => Promise<string | undefined> | string | undefined;
  variables: (fixtures: Fixtures) => Promise<Variables> | Variables;
  check: (data: Data, fixtures: Fixtures) => void;
}
const cover = <Data, Variables>(coverage: Coverage<Data, Variables>) => coverage as Coverage<unknown, Record<string, unknown>>;
const anonymous = () => undefined;
const freshBuyer = async () => (await signUp()).session.accessToken;

/** One entry per operation in schema/operations; a new operation without an entry fails this suite. */
const OPERATIONS: Record<string, Coverage<unknown, Record<string, unknown>>> = {
  SignUp: cover({
    document: SignUpDocument,
    as: anonymous,
    variables: () => ({ input: newAccount() }),
    check: ({ signUp }) => expect(signUp.user.roles).toEqual(['BUYER']),
  }),
  LogIn: cover({
    document: LogInDocument,
    as: anonymous,
    variables: ({ buyer }) => ({ input: { email: buyer.email, password: buyer.password } }),
    check: ({ logIn }, { buyer }) => expect(logIn.user.id).toBe(buyer.user.id),
  }),
  RefreshSession: cover({
    document: RefreshSessionDocument,
    as: anonymous,
    variables: async () => ({ refreshToken: (await signUp()).session.refreshToken }),
    check: ({ refreshSession }) => expect(refreshSession.session.accessToken).toBeTruthy(),
  }),
  LogOut: cover({
    document: LogOutDocument,
    as: anonymous,
    variables: async () => ({ refreshToken: (await signUp()).session.refreshToken }),
    check: ({ logOut }) => expect(logOut.loggedOut).toBe(true),
  }),
  Me: cover({
    document: MeDocument,
    as: ({ buyer }) => buyer.session.accessToken,
    variables: () => ({}),
    check: ({ me }, { buyer }) => expect(me?.id).toBe(buyer.user.id),
  }),
  UpdateProfile: cover({
    document: UpdateProfileDocument,
    as: freshBuyer,
    variables: () => ({ input: { displayName: 'Ishmael' } }),
    check: ({ updateProfile }) => expect(updateProfile.user.displayName).toBe('Ishmael'),
  }),
  BecomeSeller: cover({
    document: BecomeSellerDocument,
    as: freshBuyer,
    variables: () => ({}),
    check: ({ becomeSeller }) => expect(becomeSeller.user.roles).toEqual(['BUYER', 'SELLER']),
  }),
  SetUserRoles: cover({
    document: SetUserRolesDocument,
    as: ({ adminToken }) => adminToken,
    variables: async () => ({ input: { userId: (await signUp()).user.id, roles: ['BUYER', 'SELLER'] satisfies Role[] } }),
    check: ({ setUserRoles }) => expect(setUserRoles.user.roles).toEqual(['BUYER', 'SELLER']),
  }),
  UserProfile: cover({
    document: UserProfileDocument,
    as: anonymous,
    variables: ({ buyer }) => ({ id: buyer.user.id }),
    check: ({ user }, { buyer }) => expect(user).toMatchObject({ id: buyer.user.id, displayName: buyer.user.displayName, email: null }),
  }),
};

describe('every operation in schema/operations', () => {
  let fixtures: Fixtures;
  beforeAll(async () => {
    const buyer = await signUp('Buyer');
    const admin = await signUp('Admin');
    fixtures = { buyer, adminToken: await stack.tokens.issueAccessToken({ id: admin.user.id, roles: ['BUYER', 'ADMIN'] }) };
  });

  it('has an entry in this table (add one with variables and a check for each new operation)', () => {
    const names = loadOperationFiles().flatMap(({ operations }) => operations.map((operation) => operation.name?.value ?? ''));
    expect(names.filter((name) => !(name in OPERATIONS)), 'operations without an entry').toEqual([]);
    expect(Object.keys(OPERATIONS).filter((name) => !names.includes(name)), 'entries without an operation').toEqual([]);
  });

  it.each(Object.entries(OPERATIONS))('%s runs against the router', async (_name, coverage) => {
    const token = await coverage.as(fixtures);
    const data = await run(client(() => token), coverage.document, await coverage.variables(fixtures));
    coverage.check(data, fixtures);
  });
});
