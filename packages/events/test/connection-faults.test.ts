import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { surviveConnectionLoss } from '@bazaar/service';
import { createTestDatabase, pgTransaction, type TestDatabase } from '@bazaar/testing';
import { createOutbox, startOutboxRelay, type EventTransport, type TransportMessage } from '../src';
import { UserRegistered } from './test-events';

const silent = { info() {}, warn() {}, error() {} };

/**
 * The database drops the relay's connections (pg_terminate_backend, as a failover or an admin
 * does) while the relay is in the middle of publishing. A `pg` client that emits 'error' with no
 * listener throws it as an uncaught exception, which killed the books process (issue #20).
 */
describe('outbox relay when the database terminates its connections', () => {
  let database: TestDatabase;
  let admin: pg.Pool;
  const uncaught: unknown[] = [];
  const recordUncaught = (error: unknown) => uncaught.push(error);

  beforeAll(async () => {
    database = await createTestDatabase(inject('postgresAdminUrl'), 'users');
    admin = new pg.Pool({ connectionString: inject('postgresAdminUrl'), max: 1 });
    process.on('uncaughtException', recordUncaught);
  });

  afterAll(async () => {
    process.off('uncaughtException', recordUncaught);
    await admin?.end();
    await database?.drop();
  });

  afterEach(() => expect(uncaught).toEqual([]));

  const register = (producer: pg.Pool, userId: string) =>
    pgTransaction(producer, (tx) =>
      createOutbox('users').add(tx, {
        definition: UserRegistered,
        key: userId,
        data: { userId, displayName: 'Reader', roles: ['BUYER'], registeredAt: new Date().toISOString() },
      }),
    );

  /** Terminates every connection to the test database but the caller's own (the relay's pool and its LISTEN client). */
  const terminateConnections = async () =>
    Number(
      (
        await admin.query<{ count: string }>(
          'SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [database.name],
        )
      ).rows[0]?.count,
    );

  it('keeps the process up and publishes everything once the connection is back', async () => {
    const published = new Set<string>();
    let terminations = 0;
    let terminated = 0;
    // A real broker would be slow here; this one holds the first two publishes until the database
    // has dropped the relay's connections, so the relay's transaction is open when it happens.
    const transport: EventTransport = {
      kind: 'postgres',
      async publish(messages: readonly TransportMessage[]) {
        if (terminations < 2) {
          terminations++;
          terminated += await terminateConnections();
        }
        for (const message of messages) published.add(message.id);
      },
      subscribe: () => Promise.reject(new Error('not used')),
      close: async () => {},
    };
    // The producer is not under test: its events are written before the relay starts, so no
    // termination can catch one of its transactions halfway (a checked-out `pg` client has no
    // error listener of the pool's; under load that race failed this test with an uncaught 57P01).
    const producer = surviveConnectionLoss(new pg.Pool({ connectionString: database.url, max: 2 }));
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await register(producer, randomUUID())).id);
    const relay = startOutboxRelay({ connectionString: database.url, transport, logger: silent, pollIntervalMs: 100, maxBackoffMs: 500 });
    try {
      await vi.waitFor(
        async () => {
          const { rows } = await producer.query<{ pending: string }>('SELECT count(*) AS pending FROM outbox_events WHERE published_at IS NULL');
          expect(Number(rows[0]?.pending)).toBe(0);
        },
        { timeout: 30_000, interval: 100 },
      );
      expect(terminated).toBeGreaterThan(0);
      expect(ids.filter((id) => !published.has(id))).toEqual([]);
      console.log(`relay connections terminated while publishing: ${terminated} (2 rounds); uncaught errors: ${uncaught.length}; events published afterwards: ${ids.length}/${ids.length}`);
    } finally {
      await relay.stop();
      await producer.end();
    }
  });
});
