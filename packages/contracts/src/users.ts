/**
 * The events the users subgraph publishes: owned by users (subgraphs/users), which alone
 * changes them; read by whoever keeps a projection of accounts. A change a consumer cannot read is a new version, never an edit
 * (docs/events.md).
 */
import { z } from 'zod';
import { defineEvent } from '@bazaar/events';
import { id, instant } from './primitives';

/** Account events; keyed by user id. */
export const USERS_TOPIC = 'bazaar.users';

const role = z.enum(['BUYER', 'SELLER', 'ADMIN']);

/** A new account exists. Consumers keep what they need of it (e.g. display names) as a projection. */
export const UserRegistered = defineEvent({
  type: 'UserRegistered',
  version: 1,
  topic: USERS_TOPIC,
  data: z.object({ userId: id, displayName: z.string(), roles: z.array(role), registeredAt: instant }),
});

/** A user's roles changed (became a seller, or an admin changed them). */
export const UserRoleChanged = defineEvent({
  type: 'UserRoleChanged',
  version: 1,
  topic: USERS_TOPIC,
  data: z.object({
    userId: id,
    roles: z.array(role),
    previousRoles: z.array(role),
    /** Who made the change: the user themself, or an admin. */
    changedBy: id,
  }),
});
