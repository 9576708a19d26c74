import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, databaseUrl, dropDatabase } from '@bazaar/database';
import { eventually, pgTransaction, type PgSqlRunner } from '@bazaar/testing';
import {
  createEnvelope,
  createOutbox,
  EventConsumer,
  PermanentEventError,
  startOutboxRelay,
  type EventTransport,
  type TransportMessage,
} from '../src';
import { createTransport } from '../src/transports';
import { TOPICS, UserRegistered } from './test-events';
import { kafkaMockAvailable, startKafkaMock } from '../kafka-mock';


const silent = { info() {}, warn() {}, error() {} };

/**
 * The outbox, relay and idempotent consumer end to end, over each real transport. The producer and
 * consumer databases are copies of a service's migrated database (they hold the event tables).
 */
async function transportFactories(): Promise<Array<[string, () => Promise<{ transport: EventTransport; stop(): Promise<void> }>]>> {
  const adminUrl = inject('postgresAdminUrl');
  const factories: Array<[string, () => Promise<{ transport: EventTransport; stop(): Promise<void> }>]> = [
    [
      'postgres',
      async () => {
        const name = `events_${randomUUID().slice(0, 8)}`;
        await createDatabase(adminUrl, name);
        const transport = createTransport({ EVENT_TRANSPORT: 'postgres', EVENTS_DATABASE_URL: databaseUrl(adminUrl, name) }, 'outbox-test');
        return { transport, stop: async () => (await transport.close(), await dropDatabase(adminUrl, name)) };
      },
    ],
  ];
  const kafka = await kafkaMockAvailable();
  if (kafka.ok) {
    factories.push([
      'kafka',
      async () => {
        const mock = await startKafkaMock({ topics: [{ name: TOPICS.users, partitions: 3 }] });
        const transport = createTransport({ EVENT_TRANSPORT: 'kafka', KAFKA_BROKERS: mock.brokers.join(',') }, 'outbox-test');
        return { transport, stop: async () => (await transport.close(), await mock.stop()) };
      },
    ]);
  } else if (process.env.CI) {
    throw new Error(`The Kafka mock broker is required in CI: ${kafka.reason}`);
  } else {
    console.warn(`\n!!! SKIPPING the Kafka outbox tests: ${kafka.reason}\n`);
  }
  return factories;
}

describe.each(await transportFactories())('outbox → %s → idempotent consumer', (_name, makeTransport) => {
  const adminUrl = inject('postgresAdminUrl');
  const producerDb = `producer_${randomUUID().slice(0, 8)}`;
  const consumerDb = `consumer_${randomUUID().slice(0, 8)}`;
  let producer: pg.Pool;
  let consumerPool: pg.Pool;
  let broker: { transport: EventTransport; stop(): Promise<void> };
  let consumer: EventConsumer<PgSqlRunner>;
  /** Ids of the events the handler ran for (attempts included). */
  const deliveries: string[] = [];
  /** Ids of every message the transport delivered to the consumer, duplicates included. */
  const arrivals: string[] = [];

  beforeAll(async () => {
    await createDatabase(adminUrl, producerDb, { template: 'template_users' });
    await createDatabase(adminUrl, consumerDb, { template: 'template_users' });
    producer = new pg.Pool({ connectionString: databaseUrl(adminUrl, producerDb) });
    consumerPool = new pg.Pool({ connectionString: databaseUrl(adminUrl, consumerDb) });
    await consumerPool.query('CREATE TABLE welcomed (user_id text NOT NULL, event_id uuid NOT NULL)');
    broker = await makeTransport();
    const counting: EventTransport = {
      kind: broker.transport.kind,
      publish: (messages) => broker.transport.publish(messages),
      subscribe: (options) =>
        broker.transport.subscribe({
          ...options,
          handle: (message) => {
            arrivals.push(message.id);
            return options.handle(message);
          },
          // A refused batch comes again message by message (through handle): count only applied batches.
          ...(options.handleBatch && {
            handleBatch: async (messages) => {
              await options.handleBatch!(messages);
              arrivals.push(...messages.map(({ id }) => id));
            },
          }),
        }),
      close: async () => {},
    };
    consumer = new EventConsumer<PgSqlRunner>({
      consumer: `welcomer-${randomUUID().slice(0, 8)}`,
      transport: counting,
      logger: silent,
      transaction: (work) => pgTransaction(consumerPool, work),
      // Park an unrecognised failure after 3 attempts however quick; transient ones are never parked.
      failurePolicy: { maxAttempts: 3, parkAfterMs: 0, initialBackoffMs: 10, maxBackoffMs: 50, transientRetryWindowMs: 300 },
    }).on(UserRegistered, async (event, tx) => {
      deliveries.push(event.id);
      if (event.data.displayName === 'always fails') throw new Error('the handler is broken for this one');
      if (event.data.displayName === 'rejected') throw new PermanentEventError('this user can never be welcomed');
      if (event.data.displayName.startsWith('serialization failure ×')) {
        // Fails like a busy database (SQLSTATE 40001) as often as the name says, then succeeds.
        const times = Number(event.data.displayName.split('×')[1]);
        if (deliveries.filter((id) => id === event.id).length <= times) throw Object.assign(new Error('could not serialize access due to concurrent update'), { code: '40001' });
      }
      await tx.$executeRaw`INSERT INTO welcomed (user_id, event_id) VALUES (${event.data.userId}, ${event.id}::uuid)`;
    });
    await consumer.start();
  }, 60_000);

  afterAll(async () => {
    await consumer?.stop();
    await broker?.stop();
    await producer?.end();
    await consumerPool?.end();
    await dropDatabase(adminUrl, producerDb);
    await dropDatabase(adminUrl, consumerDb);
  });

  const welcomed = async (userId: string) =>
    Number((await consumerPool.query('SELECT count(*) FROM welcomed WHERE user_id = $1', [userId])).rows[0].count);

  async function register(userId: string, displayName = 'Reader') {
    return pgTransaction(producer, (tx) =>
      createOutbox('users').add(tx, {
        definition: UserRegistered,
        key: userId,
        data: { userId, displayName, roles: ['BUYER'], registeredAt: new Date().toISOString() },
      }),
    );
  }

  /** A transport that dies at the chosen moment of publishing, like a relay process killed there. */
  function crashingTransport(moment: 'before publish' | 'after publish'): EventTransport {
    return {
      ...broker.transport,
      kind: broker.transport.kind,
      subscribe: (options) => broker.transport.subscribe(options),
      async publish(messages: readonly TransportMessage[]) {
        if (moment === 'after publish') await broker.transport.publish(messages);
        throw new Error(`relay killed ${moment}`);
      },
      close: async () => {},
    };
  }

  it('delivers an event exactly once to the effect when the relay dies between commit and publish', async () => {
    const userId = randomUUID();
    await register(userId);
    const doomed = startOutboxRelay({ connectionString: databaseUrl(adminUrl, producerDb), transport: crashingTransport('before publish'), logger: silent });
    await expect(doomed.flush()).rejects.toThrow('relay killed');
    await doomed.stop();
    expect(await welcomed(userId)).toBe(0);

    const relay = startOutboxRelay({ connectionString: databaseUrl(adminUrl, producerDb), transport: broker.transport, logger: silent });
    try {
      expect(await eventually(() => welcomed(userId), (count) => count === 1)).toBe(1);
    } finally {
      await relay.stop();
    }
  });

  it('applies an event once when the relay dies after publishing and publishes it again', async () => {
    const userId = randomUUID();
    const envelope = await register(userId);
    const doomed = startOutboxRelay({ connectionString: databaseUrl(adminUrl, producerDb), transport: crashingTransport('after publish'), logger: silent });
    await expect(doomed.flush()).rejects.toThrow('relay killed');
    await doomed.stop();

    const relay = startOutboxRelay({ connectionString: databaseUrl(adminUrl, producerDb), transport: broker.transport, logger: silent });
    try {
      await relay.flush();
      const published = await producer.query('SELECT published_at FROM outbox_events WHERE id = $1', [envelope.id]);
      expect(published.rows[0].published_at).not.toBeNull();
      expect(await eventually(() => welcomed(userId), (count) => count === 1)).toBe(1);
      // Both copies arrived; the second changed nothing.
      expect(await eventually(async () => arrivals.filter((id) => id === envelope.id).length, (count) => count === 2)).toBe(2);
      expect(await welcomed(userId)).toBe(1);
      expect(deliveries.filter((id) => id === envelope.id)).toHaveLength(1);
    } finally {
      await relay.stop();
    }
  });

  it('applies the same event delivered three times once', async () => {
    const userId = randomUUID();
    const envelope = createEnvelope(UserRegistered, {
      source: 'users',
      key: userId,
      data: { userId, displayName: 'Triplicate', roles: ['BUYER'], registeredAt: new Date().toISOString() },
    });
    const message = { topic: TOPICS.users, key: userId, id: envelope.id, value: JSON.stringify(envelope) };
    await broker.transport.publish([message, message]);
    await broker.transport.publish([message]);
    expect(await eventually(async () => arrivals.filter((id) => id === envelope.id).length, (count) => count === 3)).toBe(3);
    expect(await welcomed(userId)).toBe(1);
    expect(deliveries.filter((id) => id === envelope.id)).toHaveLength(1);
    const processed = await consumerPool.query('SELECT count(*) FROM processed_events WHERE event_id = $1', [envelope.id]);
    expect(Number(processed.rows[0].count)).toBe(1);
  });

  it('parks an invalid event in the dead-letter table and goes on with the next one', async () => {
    const badKey = randomUUID();
    const invalid = { id: randomUUID(), type: 'UserRegistered', version: 1, occurredAt: new Date().toISOString(), source: 'users', key: badKey, data: { userId: badKey } };
    await broker.transport.publish([
      { topic: TOPICS.users, key: badKey, id: invalid.id, value: JSON.stringify(invalid) },
      { topic: TOPICS.users, key: badKey, id: 'not-json', value: '{oops' },
    ]);
    const goodUser = randomUUID();
    await register(goodUser);
    const relay = startOutboxRelay({ connectionString: databaseUrl(adminUrl, producerDb), transport: broker.transport, logger: silent });
    try {
      expect(await eventually(() => welcomed(goodUser), (count) => count === 1)).toBe(1);
      const parked = await eventually(
        async () => (await consumerPool.query('SELECT event_id, reason FROM dead_letter_events WHERE key = $1 ORDER BY created_at', [badKey])).rows,
        (rows) => rows.length === 2,
      );
      expect(parked.map((row) => row.reason)).toEqual([expect.stringContaining('invalid UserRegistered payload'), 'the message is not JSON']);
      expect(await welcomed(badKey)).toBe(0);
    } finally {
      await relay.stop();
    }
  });

  it('retries a transient failure (serialization failure) far beyond the attempts limit, never parks it, and applies it once', async () => {
    const userId = randomUUID();
    const envelope = await register(userId, 'serialization failure ×12');
    const relay = startOutboxRelay({ connectionString: databaseUrl(adminUrl, producerDb), transport: broker.transport, logger: silent });
    try {
      expect(await eventually(() => welcomed(userId), (count) => count === 1, 60_000)).toBe(1);
      expect(deliveries.filter((id) => id === envelope.id)).toHaveLength(13);
      const parked = await consumerPool.query('SELECT count(*) FROM dead_letter_events WHERE event_id = $1', [envelope.id]);
      expect(Number(parked.rows[0].count)).toBe(0);
    } finally {
      await relay.stop();
    }
  });

  it('parks a handler\'s domain rejection (PermanentEventError) at once', async () => {
    const userId = randomUUID();
    const envelope = await register(userId, 'rejected');
    const relay = startOutboxRelay({ connectionString: databaseUrl(adminUrl, producerDb), transport: broker.transport, logger: silent });
    try {
      const parked = await eventually(
        async () => (await consumerPool.query('SELECT reason, attempts FROM dead_letter_events WHERE event_id = $1', [envelope.id])).rows,
        (rows) => rows.length === 1,
      );
      expect(parked[0]).toMatchObject({ attempts: 1, reason: 'rejected: this user can never be welcomed' });
      expect(deliveries.filter((id) => id === envelope.id)).toHaveLength(1);
    } finally {
      await relay.stop();
    }
  });

  it('retries a failing handler, then parks the event with the error', async () => {
    const userId = randomUUID();
    const envelope = await register(userId, 'always fails');
    const relay = startOutboxRelay({ connectionString: databaseUrl(adminUrl, producerDb), transport: broker.transport, logger: silent });
    try {
      const parked = await eventually(
        async () => (await consumerPool.query('SELECT reason, attempts FROM dead_letter_events WHERE event_id = $1', [envelope.id])).rows,
        (rows) => rows.length === 1,
      );
      expect(parked[0]).toMatchObject({ attempts: 3, reason: expect.stringContaining('the handler is broken') });
      expect(deliveries.filter((id) => id === envelope.id)).toHaveLength(3);
      // Nothing of the failed attempts was kept, not even the processed mark.
      const processed = await consumerPool.query('SELECT count(*) FROM processed_events WHERE event_id = $1', [envelope.id]);
      expect(Number(processed.rows[0].count)).toBe(0);
    } finally {
      await relay.stop();
    }
  });
});

it('keeps the unpublished rows when the transport refuses them, and publishes them once it is back', async () => {
  const adminUrl = inject('postgresAdminUrl');
  const name = `outage_${randomUUID().slice(0, 8)}`;
  await createDatabase(adminUrl, name, { template: 'template_users' });
  const pool = new pg.Pool({ connectionString: databaseUrl(adminUrl, name) });
  const published: string[] = [];
  let available = false;
  const flaky: EventTransport = {
    kind: 'postgres',
    async publish(messages) {
      if (!available) throw new Error('broker unavailable');
      published.push(...messages.map((message) => message.id));
    },
    subscribe: () => Promise.reject(new Error('not used')),
    close: async () => {},
  };
  const relay = startOutboxRelay({ connectionString: databaseUrl(adminUrl, name), transport: flaky, logger: silent, pollIntervalMs: 100, maxBackoffMs: 200 });
  try {
    const ids = [];
    for (let index = 0; index < 5; index++) {
      const userId = randomUUID();
      const envelope = await pgTransaction(pool, (tx) =>
        createOutbox('users').add(tx, {
          definition: UserRegistered,
          key: userId,
          data: { userId, displayName: `R${index}`, roles: ['BUYER'], registeredAt: new Date().toISOString() },
        }),
      );
      ids.push(envelope.id);
    }
    // The relay has tried (and failed) once every row carries the broker's error.
    const pending = await eventually(
      async () => (await pool.query<{ last_error: string | null }>('SELECT attempts, last_error FROM outbox_events WHERE published_at IS NULL')).rows,
      (rows) => rows.length === 5 && rows.every((row) => row.last_error !== null),
    );
    expect(pending).toHaveLength(5);
    expect(pending[0]).toMatchObject({ last_error: 'broker unavailable' });
    available = true;
    expect(await eventually(async () => published.length, (count) => count === 5)).toBe(5);
    expect(published).toEqual(ids);
  } finally {
    await relay.stop();
    await pool.end();
    await dropDatabase(adminUrl, name);
  }
});

it('publishes a row committed without a notification on its fallback poll (a cheap look first), once', async () => {
  const adminUrl = inject('postgresAdminUrl');
  const name = `unnotified_${randomUUID().slice(0, 8)}`;
  await createDatabase(adminUrl, name, { template: 'template_users' });
  const pool = new pg.Pool({ connectionString: databaseUrl(adminUrl, name) });
  // As if the notification were lost: only the poll can find the row.
  await pool.query('ALTER TABLE outbox_events DISABLE TRIGGER outbox_events_notify');
  const published: string[] = [];
  const publishCalls: number[] = [];
  const recording: EventTransport = {
    kind: 'postgres',
    async publish(messages) {
      publishCalls.push(messages.length);
      published.push(...messages.map((message) => message.id));
    },
    subscribe: () => Promise.reject(new Error('not used')),
    close: async () => {},
  };
  const relay = startOutboxRelay({ connectionString: databaseUrl(adminUrl, name), transport: recording, logger: silent, pollIntervalMs: 100 });
  try {
    const userId = randomUUID();
    const envelope = await pgTransaction(pool, (tx) =>
      createOutbox('users').add(tx, {
        definition: UserRegistered,
        key: userId,
        data: { userId, displayName: 'Unnotified', roles: ['BUYER'], registeredAt: new Date().toISOString() },
      }),
    );
    expect(await eventually(async () => published, (ids) => ids.length === 1)).toEqual([envelope.id]);
    const isMarked = async () => (await pool.query<{ published: boolean }>('SELECT published_at IS NOT NULL AS published FROM outbox_events WHERE id = $1', [envelope.id])).rows[0]?.published;
    expect(await eventually(isMarked, (published) => published === true)).toBe(true);
    // Polls and a flush go on with nothing pending: none of them publishes (or marks) anything again.
    const marked = async () => (await pool.query<{ n: number }>('SELECT sum(attempts)::int AS n FROM outbox_events')).rows[0]!.n;
    const attemptsBefore = await marked();
    await relay.flush();
    expect(await marked()).toBe(attemptsBefore);
    expect(publishCalls).toEqual([1]);
  } finally {
    await relay.stop();
    await pool.end();
    await dropDatabase(adminUrl, name);
  }
});

it('refuses to write an event whose payload breaks its schema, so nothing is committed', async () => {
  const adminUrl = inject('postgresAdminUrl');
  const name = `invalid_${randomUUID().slice(0, 8)}`;
  await createDatabase(adminUrl, name, { template: 'template_users' });
  const pool = new pg.Pool({ connectionString: databaseUrl(adminUrl, name) });
  try {
    await expect(
      pgTransaction(pool, (tx) =>
        createOutbox('users').add(tx, {
          definition: UserRegistered,
          key: 'x',
          data: { userId: 'x', displayName: 'X', roles: ['EMPEROR'], registeredAt: 'yesterday' } as never,
        }),
      ),
    ).rejects.toThrow(/UserRegistered v1 payload is invalid/);
    expect((await pool.query('SELECT count(*) FROM outbox_events')).rows[0].count).toBe('0');
  } finally {
    await pool.end();
    await dropDatabase(adminUrl, name);
  }
});

it('writes many events of one type in one statement, each with its own valid envelope', async () => {
  const adminUrl = inject('postgresAdminUrl');
  const name = `bulk_${randomUUID().slice(0, 8)}`;
  await createDatabase(adminUrl, name, { template: 'template_users' });
  const pool = new pg.Pool({ connectionString: databaseUrl(adminUrl, name) });
  try {
    const users = Array.from({ length: 250 }, (_, index) => ({ userId: randomUUID(), displayName: `Bulk ${index}` }));
    const written = await pgTransaction(pool, (tx) =>
      createOutbox('users').addMany(
        tx,
        UserRegistered,
        users.map(({ userId, displayName }) => ({ key: userId, data: { userId, displayName, roles: ['BUYER' as const], registeredAt: new Date().toISOString() } })),
      ),
    );
    expect(written).toBe(250);
    const { rows } = await pool.query<{ id: string; key: string; topic: string; type: string; envelope: Record<string, unknown> }>(
      'SELECT id, key, topic, type, envelope FROM outbox_events ORDER BY position',
    );
    expect(rows.map((row) => row.key)).toEqual(users.map(({ userId }) => userId));
    expect(new Set(rows.map((row) => row.id)).size).toBe(250);
    for (const row of rows) {
      expect(row).toMatchObject({ topic: TOPICS.users, type: 'UserRegistered' });
      expect(row.envelope).toMatchObject({ id: row.id, key: row.key, type: 'UserRegistered', version: 1, source: 'users' });
    }
    await expect(
      pgTransaction(pool, (tx) =>
        createOutbox('users').addMany(tx, UserRegistered, [
          { key: 'k', data: { userId: 'k', displayName: 'ok', roles: ['BUYER'], registeredAt: new Date().toISOString() } },
          { key: 'k2', data: { userId: 'k2', displayName: 'bad', roles: ['KING'], registeredAt: 'soon' } as never },
        ]),
      ),
    ).rejects.toThrow(/payload is invalid/);
    expect((await pool.query('SELECT count(*) FROM outbox_events')).rows[0].count).toBe('250');
  } finally {
    await pool.end();
    await dropDatabase(adminUrl, name);
  }
});
