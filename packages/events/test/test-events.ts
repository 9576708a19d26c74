import { z } from 'zod';
import { defineEvent } from '../src';

/** An event of the tests' own: the transport knows no domain's contracts (those live in packages/contracts). */
export const TOPICS = { users: 'test.users' } as const;

export const UserRegistered = defineEvent({
  type: 'UserRegistered',
  version: 1,
  topic: TOPICS.users,
  data: z.object({ userId: z.string().min(1), displayName: z.string(), roles: z.array(z.enum(['BUYER', 'SELLER', 'ADMIN'])), registeredAt: z.iso.datetime() }),
});
