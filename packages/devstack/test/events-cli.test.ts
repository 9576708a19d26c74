import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnvelope } from '@bazaar/events';
import { OrderAwaitingPayment } from '@bazaar/contracts/orders';
import { eventually, startTestStack, type TestStack } from '@bazaar/testing';
import { REPO_ROOT } from '@bazaar/topology';

/** `npm run events -- dead-letters | replay | discard` against a running payments service's database. */
let stack: TestStack;
let db: pg.Pool;

beforeAll(async () => {
  stack = await startTestStack({ subgraphs: ['users', 'payments'] });
  db = new pg.Pool({ connectionString: stack.databases.payments!.url, max: 2 });
});
afterAll(async () => {
  await db?.end();
  await stack?.stop();
});

const run = async (...args: string[]) => {
  const { stdout } = await promisify(execFile)(path.join(REPO_ROOT, 'node_modules/.bin/tsx'), [path.join(REPO_ROOT, 'packages/devstack/src/events-cli.ts'), ...args], {
    env: { ...process.env, PAYMENTS_DATABASE_URL: stack.databases.payments!.url },
  });
  return stdout;
};

/** Parks an event in payments' dead-letter table, as its consumer would have. */
async function park(payload: string, type: string | null, key: string) {
  const id = randomUUID();
  await db.query(
    `INSERT INTO dead_letter_events (id, consumer, event_id, type, topic, key, payload, reason, attempts) VALUES ($1, 'payments', $2, $3, 'bazaar.orders', $4, $5, 'handler failed 10 times over 300 s: boom', 10)`,
    [id, type ? (JSON.parse(payload) as { id: string }).id : null, type, key, payload],
  );
  return id;
}

describe('the dead-letter commands', () => {
  it('lists parked events, replays one so it is applied once, and discards the rest', async () => {
    const orderId = randomUUID();
    const envelope = createEnvelope(OrderAwaitingPayment, {
      source: 'orders',
      key: orderId,
      data: { orderId, buyerId: randomUUID(), total: { amount: 1500, currency: 'EUR' }, expiresAt: new Date(Date.now() + 60_000).toISOString() },
    });
    const parked = await park(JSON.stringify(envelope), 'OrderAwaitingPayment', orderId);
    const junk = await park('{not json', null, 'junk');

    const listed = await run('dead-letters', '--service', 'payments');
    expect(listed).toContain(`${parked}  payments/payments  OrderAwaitingPayment  key=${orderId}  attempts=10`);
    expect(listed).toContain(`${junk}  payments/payments  (not an event)`);
    expect(listed).toContain('2 dead letter(s).');

    expect(await run('replay', parked, '--service', 'payments')).toContain('1 dead letter(s) replayed.');
    // Back on its topic through payments' own outbox; its consumer applies it.
    const applied = await eventually(async () => (await db.query('SELECT amount::int AS amount FROM payable_orders WHERE id = $1', [orderId])).rows, (rows) => rows.length === 1);
    expect(applied).toEqual([{ amount: 1500 }]);
    const processed = await db.query('SELECT count(*)::int AS n FROM processed_events WHERE event_id = $1', [envelope.id]);
    expect(processed.rows[0].n).toBe(1);

    const replayAll = await run('replay', '--all', '--service', 'payments');
    expect(replayAll).toContain(`1 not replayable (not an event; discard them): ${junk}`);
    expect(await run('discard', '--all', '--service', 'payments')).toContain('1 dead letter(s) discarded.');
    expect(await run('dead-letters', '--service', 'payments')).toContain('No dead letters.');
  }, 180_000);
});
