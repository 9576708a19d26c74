import { z } from 'zod';
import { defineEvent, type EventDefinition } from './envelope';
import { TOPICS } from './topics';

const role = z.enum(['BUYER', 'SELLER', 'ADMIN']);
const id = z.string().min(1);
const instant = z.iso.datetime();

/** A new account exists. Consumers keep what they need of it (e.g. display names) as a projection. */
export const UserRegistered = defineEvent({
  type: 'UserRegistered',
  version: 1,
  topic: TOPICS.users,
  data: z.object({ userId: id, displayName: z.string(), roles: z.array(role), registeredAt: instant }),
});

/** A user's roles changed (became a seller, or an admin changed them). */
export const UserRoleChanged = defineEvent({
  type: 'UserRoleChanged',
  version: 1,
  topic: TOPICS.users,
  data: z.object({
    userId: id,
    roles: z.array(role),
    previousRoles: z.array(role),
    /** Who made the change: the user themself, or an admin. */
    changedBy: id,
  }),
});

/** Every event the marketplace publishes; a consumer looks definitions up here by type and version. */
export const EVENT_CATALOG: readonly EventDefinition[] = [UserRegistered, UserRoleChanged];

export function findEventDefinition(type: string, version: number): EventDefinition | undefined {
  return EVENT_CATALOG.find((definition) => definition.type === type && definition.version === version);
}
