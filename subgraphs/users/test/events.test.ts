import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventConsumer, type Envelope, type EventTransport } from '@bazaar/events';
import { UserRegistered, UserRoleChanged } from '@bazaar/contracts/users';
import { createTransport } from '@bazaar/events/transports';
import { createEmptyDatabase, eventually, pgTransaction, startTestStack, type PgSqlRunner, type TestDatabase, type TestStack } from '@bazaar/testing';
import { inject } from 'vitest';

/**
 * users is the first real producer: its mutations write UserRegistered / UserRoleChanged to its
 * outbox in the mutation's transaction, the relay publishes them, and a consumer in another
 * database (standing in for a second service) applies them once.
 */
let stack: TestStack;
let transport: EventTransport;
let consumerDb: TestDatabase;
let consumerPool: pg.Pool;
let consumer: EventConsumer<PgSqlRunner>;
const received: Envelope[] = [];

beforeAll(async () => {
  stack = await startTestStack({ subgraphs: ['users'] });
  consumerDb = await createEmptyDatabase(inject('postgresAdminUrl'), 'listener');
  consumerPool = new pg.Pool({ connectionString: consumerDb.url });
  await consumerPool.query(`
    CREATE TABLE processed_events (consumer text, event_id uuid, processed_at timestamptz DEFAULT now(), PRIMARY KEY (consumer, event_id));
    CREATE TABLE dead_letter_events (id uuid PRIMARY KEY, consumer text, event_id text, type text, topic text,
      key text, payload text, reason text, attempts int, created_at timestamptz DEFAULT now());
    CREATE TABLE known_users (user_id text PRIMARY KEY, display_name text, roles text[]);`);
  transport = createTransport({ EVENT_TRANSPORT: 'postgres', EVENTS_DATABASE_URL: stack.eventsDatabase.url }, 'users-events-test');
  consumer = new EventConsumer<PgSqlRunner>({
    consumer: `directory-${randomUUID().slice(0, 8)}`,
    transport,
    logger: { info() {}, warn() {}, error() {} },
    transaction: (work) => pgTransaction(consumerPool, work),
  })
    .on(UserRegistered, async (event, tx) => {
      received.push(event);
      await tx.$executeRaw`INSERT INTO known_users (user_id, display_name, roles) VALUES (${event.data.userId}, ${event.data.displayName}, ${event.data.roles})`;
    })
    .on(UserRoleChanged, async (event, tx) => {
      received.push(event);
      await tx.$executeRaw`UPDATE known_users SET roles = ${event.data.roles} WHERE user_id = ${event.data.userId}`;
    });
  await consumer.start();
});

afterAll(async () => {
  await consumer?.stop();
  await transport?.close();
  await consumerPool?.end();
  await consumerDb?.drop();
  await stack?.stop();
});

const knownUser = async (userId: string) =>
  (await consumerPool.query<{ display_name: string; roles: string[] }>('SELECT display_name, roles FROM known_users WHERE user_id = $1', [userId])).rows[0];

describe('users publishes through its outbox', () => {
  it('announces a sign-up, and a role change, to another service', async () => {
    const { signUp } = await stack.client.data<{ signUp: { user: { id: string }; session: { accessToken: string } } }>(
      `mutation { signUp(input: { email: "events-${Date.now()}@example.com", password: "a long password", displayName: "Evie" }) {
        user { id } session { accessToken } } }`,
    );
    const userId = signUp.user.id;
    expect(await eventually(() => knownUser(userId), Boolean)).toEqual({ display_name: 'Evie', roles: ['BUYER'] });

    await stack.client.withToken(signUp.session.accessToken).data(`mutation { becomeSeller { user { id } } }`);
    expect(await eventually(() => knownUser(userId), (user) => user?.roles.includes('SELLER') ?? false)).toEqual({
      display_name: 'Evie',
      roles: ['BUYER', 'SELLER'],
    });
    const roleChange = received.find((event) => event.type === 'UserRoleChanged' && event.key === userId);
    expect(roleChange).toMatchObject({ source: 'users', version: 1, data: { previousRoles: ['BUYER'], changedBy: userId } });

    // Becoming a seller twice changes nothing and announces nothing.
    await stack.client.withToken(signUp.session.accessToken).data(`mutation { becomeSeller { user { id } } }`);
    const outbox = new pg.Pool({ connectionString: stack.databases.users!.url });
    try {
      const { rows } = await outbox.query('SELECT type FROM outbox_events WHERE key = $1 ORDER BY position', [userId]);
      expect(rows.map((row) => row.type)).toEqual(['UserRegistered', 'UserRoleChanged']);
    } finally {
      await outbox.end();
    }
  });

  it('writes no event when the mutation fails', async () => {
    const email = `dup-events-${Date.now()}@example.com`;
    const signUp = `mutation($email: String!) { signUp(input: { email: $email, password: "a long password", displayName: "Dup" }) { user { id } } }`;
    await stack.client.data(signUp, { email });
    expect(await stack.client.errorCodes(signUp, { email })).toEqual(['CONFLICT']);
    const outbox = new pg.Pool({ connectionString: stack.databases.users!.url });
    try {
      const { rows } = await outbox.query(`SELECT count(*) FROM outbox_events WHERE envelope->'data'->>'displayName' = 'Dup'`);
      expect(Number(rows[0].count)).toBe(1);
    } finally {
      await outbox.end();
    }
  });
});
