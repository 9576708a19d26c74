import { DateTime, requireViewer, viewerOrNull } from '@bazaar/service';
import { canSeeEmail } from '../domain/rules';
import type { Resolvers } from '../generated/graphql';
import type { SignedIn } from '../domain/accounts';
import type { UsersContext } from '../context';

/** The rest of a request that signed someone in runs as them (so the payload can show their email). */
function signIn(context: UsersContext, signedIn: SignedIn): SignedIn {
  context.auth = { kind: 'authenticated', viewer: { id: signedIn.user.id, roles: signedIn.user.roles } };
  return signedIn;
}

export const resolvers: Resolvers = {
  DateTime,
  Query: {
    me: (_root, _args, { auth, usersById }) => {
      if (auth.kind === 'anonymous') return null;
      return usersById.load(requireViewer(auth).id);
    },
    user: (_root, { id }, { usersById }) => usersById.load(id),
  },
  Mutation: {
    signUp: async (_root, { input }, context) => signIn(context, await context.accounts.signUp(input, context.clientAddress)),
    logIn: async (_root, { input }, context) => signIn(context, await context.accounts.logIn(input, context.clientAddress)),
    refreshSession: async (_root, { input }, context) =>
      signIn(context, await context.accounts.refreshSession(input.refreshToken, context.clientAddress)),
    logOut: async (_root, { input }, { accounts }) => ({ loggedOut: await accounts.logOut(input.refreshToken) }),
    updateProfile: async (_root, { input }, { auth, accounts }) => ({
      user: await accounts.updateProfile(requireViewer(auth), input),
    }),
    becomeSeller: async (_root, _args, { auth, accounts }) => ({ user: await accounts.becomeSeller(requireViewer(auth)) }),
    setUserRoles: async (_root, { input }, { auth, accounts }) => ({
      user: await accounts.setUserRoles(requireViewer(auth), input),
    }),
  },
  User: {
    __resolveReference: (reference, { usersById }) => usersById.load(reference.id),
    email: (user, _args, { auth }) => (canSeeEmail(viewerOrNull(auth), user.id) ? user.email : null),
  },
};
