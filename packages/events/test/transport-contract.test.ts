/**
 * One contract for every EventTransport, run against Kafka (librdkafka's mock cluster) and
 * Postgres (pg-boss on the test run's embedded Postgres).
 *
 * Speed: every subscription of the suite is started once, concurrently, in beforeAll, because the
 * mock's first join of a consumer group takes ~3 s; each case then uses its own topic and groups.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { logLevel } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { kafkaMockAvailable, startKafkaMock } from '../kafka-mock/index';
import type { EventTransport, Subscription, TransportMessage } from '../src/transport';
import { createKafkaTransport } from '../src/transports/kafka';
import { createPostgresTransport, queueName } from '../src/transports/postgres';

declare module 'vitest' {
  // Same declaration as packages/testing/src/provided.ts, without importing the whole test stack.
  export interface ProvidedContext {
    postgresAdminUrl: string;
  }
}

const TOPICS = {
  order: 'contract.order',
  share: 'contract.share',
  crash: 'contract.crash',
  reject: 'contract.reject',
  outage: 'contract.outage',
  parallel: 'contract.parallel',
  latency: 'contract.latency',
  batch: 'contract.batch',
} as const;

/** What a contract run needs from a broker. */
interface Harness {
  /** A transport as one service process would create it. */
  createTransport(clientId: string): EventTransport;
  /** Makes the broker unreachable for every transport until restoreBroker(). */
  breakBroker(): Promise<void>;
  restoreBroker(): Promise<void>;
  dispose(): Promise<void>;
}

interface Delivery {
  member: string;
  topic: string;
  key: string;
  id: string;
  seq: number;
  /** Resolved, rejected, or never finished. */
  outcome: 'ok' | 'rejected' | 'hung';
}

type Behaviour = (delivery: Delivery) => Promise<void>;

function transportContract(kind: EventTransport['kind'], setup: () => Promise<Harness>): void {
  describe(`EventTransport contract: ${kind}`, () => {
    let harness: Harness | undefined;
    const transports: EventTransport[] = [];
    let publisher: EventTransport;
    const members = new Map<string, Subscription>();
    const deliveries: Delivery[] = [];
    /** Per member, how a delivery is handled; the default resolves at once. */
    const behaviours = new Map<string, Behaviour>();
    const never = new Promise<void>(() => {});

    const transport = (clientId: string): EventTransport => {
      if (!harness) throw new Error('no harness');
      const created = harness.createTransport(clientId);
      transports.push(created);
      return created;
    };

    async function join(consumer: EventTransport, member: string, group: string, topic: string): Promise<void> {
      const subscription = await consumer.subscribe({
        group,
        topics: [topic],
        handle: async (message: TransportMessage) => {
          const body = JSON.parse(message.value) as { seq: number };
          const delivery: Delivery = { member, topic: message.topic, key: message.key, id: message.id, seq: body.seq, outcome: 'hung' };
          deliveries.push(delivery);
          await (behaviours.get(member) ?? (async () => {}))(delivery);
          delivery.outcome = 'ok';
        },
      });
      members.set(member, subscription);
    }

    /** Batches handed to the `batch` member's handleBatch: their seqs by key, and whether it accepted them. */
    const batches: { keys: string[]; seqs: number[]; accepted: boolean }[] = [];
    let refuseBatchWith: ((messages: readonly TransportMessage[]) => boolean) | undefined;

    /** A member that takes batches (all or nothing) as well as single messages. */
    async function joinWithBatches(consumer: EventTransport): Promise<void> {
      const record = (message: TransportMessage): Delivery => {
        const body = JSON.parse(message.value) as { seq: number };
        const delivery: Delivery = { member: 'batch', topic: message.topic, key: message.key, id: message.id, seq: body.seq, outcome: 'ok' };
        deliveries.push(delivery);
        return delivery;
      };
      const subscription = await consumer.subscribe({
        group: 'batch-group',
        topics: [TOPICS.batch],
        handle: async (message) => void record(message),
        handleBatch: async (messages) => {
          const refused = refuseBatchWith?.(messages) ?? false;
          batches.push({ keys: messages.map((m) => m.key), seqs: messages.map((m) => (JSON.parse(m.value) as { seq: number }).seq), accepted: !refused });
          await sleep(5);
          if (refused) throw new Error('this batch is refused: each message again on its own');
          for (const message of messages) record(message);
        },
      });
      members.set('batch', subscription);
    }

    beforeAll(async () => {
      const started = Date.now();
      harness = await setup();
      publisher = transport('contract-publisher');
      const consumer = transport('contract-consumer');
      // The crash pair lives in its own "processes", so stopping one is like losing a process.
      await Promise.all([
        join(consumer, 'order', 'order-group', TOPICS.order),
        join(consumer, 'share-1', 'share-group', TOPICS.share),
        join(transport('contract-share-2'), 'share-2', 'share-group', TOPICS.share),
        join(consumer, 'other', 'other-group', TOPICS.share),
        join(transport('contract-crash-1'), 'crash-1', 'crash-group', TOPICS.crash),
        join(transport('contract-crash-2'), 'crash-2', 'crash-group', TOPICS.crash),
        join(consumer, 'reject', 'reject-group', TOPICS.reject),
        join(consumer, 'outage', 'outage-group', TOPICS.outage),
        join(consumer, 'parallel', 'parallel-group', TOPICS.parallel),
        join(consumer, 'latency', 'latency-group', TOPICS.latency),
        joinWithBatches(consumer),
      ]);
      console.log(`[${kind}] ${members.size} subscriptions live after ${Date.now() - started} ms`);
    }, 60_000);

    afterAll(async () => {
      await Promise.allSettled(transports.map((t) => t.close()));
      await harness?.dispose();
    }, 30_000);

    const of = (predicate: (d: Delivery) => boolean): Delivery[] => deliveries.filter(predicate);

    function message(topic: string, key: string, seq: number): TransportMessage {
      return { topic, key, id: randomUUID(), value: JSON.stringify({ key, seq }) };
    }

    /** Per key, the sequence numbers in the order their handling started. */
    function seqsByKey(list: Delivery[]): Map<string, number[]> {
      const byKey = new Map<string, number[]>();
      for (const d of list) byKey.set(d.key, [...(byKey.get(d.key) ?? []), d.seq]);
      return byKey;
    }

    /** Every key's first deliveries are 0..count-1 in order: nothing lost, nothing overtaken. */
    function expectFirstDeliveriesInOrder(list: Delivery[], keys: string[], count: number): void {
      const expected = Array.from({ length: count }, (_, i) => i);
      const byKey = seqsByKey(list);
      expect([...byKey.keys()].sort()).toEqual([...keys].sort());
      for (const key of keys) {
        const firsts: number[] = [];
        for (const seq of byKey.get(key) ?? []) if (!firsts.includes(seq)) firsts.push(seq);
        expect(firsts, `${key}: first deliveries in publication order`).toEqual(expected);
      }
    }

    it('delivers every message once, in publication order per key', async () => {
      const keys = Array.from({ length: 20 }, (_, i) => `order-${i}`);
      const rounds = 5;
      // Each call carries two messages per key (order inside one call), and the calls are issued
      // without waiting for each other (order across calls on one transport).
      const batches = Array.from({ length: rounds }, (_, round) => [
        ...keys.map((key) => message(TOPICS.order, key, 2 * round)),
        ...keys.map((key) => message(TOPICS.order, key, 2 * round + 1)),
      ]);
      await Promise.all(batches.map((batch) => publisher.publish(batch)));

      const total = keys.length * rounds * 2;
      await waitFor(() => of((d) => d.member === 'order').length >= total, 15_000, 'all ordered messages');
      await sleep(300); // room for a stray duplicate to show up
      const received = of((d) => d.member === 'order');
      expect(received).toHaveLength(total);
      expect(new Set(received.map((d) => d.id)).size).toBe(total);
      for (const [key, seqs] of seqsByKey(received)) {
        expect(seqs, key).toEqual(Array.from({ length: rounds * 2 }, (_, i) => i));
      }
    });

    it('shares a group’s messages between its members and gives every group all of them', async () => {
      // The first member holds what it took until the second has had a delivery, so the second
      // gets work however late it wakes on a busy machine (a 10 ms handler alone once let the first
      // take all 60 messages before the second fetched any). 1 s at most in all: the postgres
      // harness expires a job held for 2 s, which would hand it to the other member as well.
      let holdUntil: number | undefined;
      const secondHasWork = () => deliveries.some((d) => d.member === 'share-2');
      behaviours.set('share-1', async () => {
        holdUntil ??= Date.now() + 1_000;
        while (!secondHasWork() && Date.now() < holdUntil) await sleep(10);
      });
      behaviours.set('share-2', () => sleep(10));
      const keys = Array.from({ length: 20 }, (_, i) => `share-${i}`);
      const seqs = 3;
      for (let seq = 0; seq < seqs; seq++) await publisher.publish(keys.map((key) => message(TOPICS.share, key, seq)));

      const total = keys.length * seqs;
      const shared = () => of((d) => d.member === 'share-1' || d.member === 'share-2');
      await waitFor(
        () => distinct(shared().filter((d) => d.outcome === 'ok')) >= total && distinct(of((d) => d.member === 'other' && d.outcome === 'ok')) >= total,
        15_000,
        'both groups',
      );
      await sleep(300);

      // Delivery is at least once (docs/events.md). Postgres hands a job to one member at a time, so
      // nothing repeats here; Kafka redelivers what a member handled but had not committed when a
      // rebalance took its partition (a missed heartbeat on a busy machine is enough), which the
      // consumers' processed_events absorb. Every message reaches the group either way.
      const repeated = shared().length - distinct(shared());
      if (kind === 'postgres') expect(repeated, 'each message handled by exactly one member of the group').toBe(0);
      else console.log(`[${kind}] share group: ${total} messages, ${repeated} redelivered after a rebalance`);
      expect(distinct(shared())).toBe(total);
      expect(of((d) => d.member === 'share-1').length, 'share-1 got a share').toBeGreaterThan(0);
      expect(of((d) => d.member === 'share-2').length, 'share-2 got a share').toBeGreaterThan(0);
      expectFirstDeliveriesInOrder(shared(), keys, seqs);

      const other = of((d) => d.member === 'other');
      if (kind === 'postgres') expect(other, 'another group gets every message once').toHaveLength(total);
      expect(distinct(other), 'another group gets every message').toBe(total);
      expectFirstDeliveriesInOrder(other, keys, seqs);
    });

    it('delivers a message again to another member when its handler never finished', async () => {
      let victim: string | undefined;
      const hangOnFirst: Behaviour = async (delivery) => {
        if (victim === undefined && delivery.seq === 0) {
          victim = delivery.member;
          await never; // the "process" dies here: no completion, no commit
        }
      };
      behaviours.set('crash-1', hangOnFirst);
      behaviours.set('crash-2', hangOnFirst);

      const key = 'crash-key';
      await publisher.publish([message(TOPICS.crash, key, 0), message(TOPICS.crash, key, 1)]);
      await waitFor(() => victim !== undefined, 10_000, 'the first delivery');
      const crashed = victim ?? '';
      const survivor = crashed === 'crash-1' ? 'crash-2' : 'crash-1';
      expect(of((d) => d.topic === TOPICS.crash && d.seq === 1), 'nothing of the key overtakes the stuck message').toEqual([]);

      // Stopping mid-handle abandons the handler after the grace period, as a crash would.
      const stopStarted = Date.now();
      await members.get(crashed)?.stop();
      const stopMs = Date.now() - stopStarted;

      const started = Date.now();
      await waitFor(
        () => of((d) => d.member === survivor && d.seq === 1 && d.outcome === 'ok').length > 0,
        20_000,
        'redelivery to the surviving member',
      );
      console.log(`[${kind}] crash: stop took ${stopMs} ms, redelivered after ${Date.now() - started} ms`);

      const all = of((d) => d.topic === TOPICS.crash);
      expect(all.map((d) => [d.member, d.seq, d.outcome])).toEqual([
        [crashed, 0, 'hung'],
        [survivor, 0, 'ok'],
        [survivor, 1, 'ok'],
      ]);
    });

    it('delivers a rejected message again before anything later of its key', async () => {
      const failing = new Map<string, number>();
      behaviours.set('reject', async (delivery) => {
        if (delivery.key === 'reject-a' && delivery.seq === 1) {
          const attempts = (failing.get(delivery.id) ?? 0) + 1;
          failing.set(delivery.id, attempts);
          if (attempts <= 2) {
            delivery.outcome = 'rejected';
            throw new TypeError(`handler bug #${attempts}`); // even a TypeError must not kill the subscription
          }
        }
      });

      const seqs = 4;
      const batch: TransportMessage[] = [];
      for (let seq = 0; seq < seqs; seq++) batch.push(message(TOPICS.reject, 'reject-a', seq), message(TOPICS.reject, 'reject-b', seq));
      await publisher.publish(batch);

      await waitFor(
        () => of((d) => d.member === 'reject' && d.outcome === 'ok').length >= 2 * seqs,
        20_000,
        'all messages handled successfully',
      );
      await sleep(300);

      const a = of((d) => d.member === 'reject' && d.key === 'reject-a');
      expect(a.map((d) => [d.seq, d.outcome])).toEqual([
        [0, 'ok'],
        [1, 'rejected'],
        [1, 'rejected'],
        [1, 'ok'],
        [2, 'ok'],
        [3, 'ok'],
      ]);
      expect(new Set(a.filter((d) => d.seq === 1).map((d) => d.id)).size, 'the same message again').toBe(1);
      const b = of((d) => d.member === 'reject' && d.key === 'reject-b');
      expect(b.map((d) => [d.seq, d.outcome])).toEqual([
        [0, 'ok'],
        [1, 'ok'],
        [2, 'ok'],
        [3, 'ok'],
      ]);
    });

    it('loses nothing while the broker is unreachable for a while', async () => {
      const keys = ['outage-a', 'outage-b', 'outage-c', 'outage-d'];
      let seq = 0;
      let rejections = 0;
      let resolvedWhileDown = 0;
      let down = false;
      // Like the outbox relay: a rejected publish is published again; the next one waits for it.
      const publishRound = async (): Promise<void> => {
        const batch = keys.map((key) => message(TOPICS.outage, key, seq));
        seq++;
        for (;;) {
          try {
            await publisher.publish(batch);
            if (down) resolvedWhileDown++;
            return;
          } catch {
            rejections++;
            await sleep(200);
          }
        }
      };

      for (let i = 0; i < 3; i++) await publishRound();
      await waitFor(() => of((d) => d.member === 'outage').length >= keys.length * 3, 10_000, 'messages before the outage');

      if (!harness) throw new Error('no harness');
      await harness.breakBroker();
      down = true;
      const outageStarted = Date.now();
      const during = (async () => {
        for (let i = 0; i < 4; i++) await publishRound();
      })();
      await sleep(2_000);
      expect(resolvedWhileDown, 'no publish can succeed while the broker is down').toBe(0);
      down = false;
      await harness.restoreBroker();
      await during;
      const recoveredMs = Date.now() - outageStarted - 2_000;

      const rejectionsBefore = rejections;
      for (let i = 0; i < 3; i++) await publishRound();
      expect(rejections - rejectionsBefore, 'publishing works again after the outage').toBe(0);

      await waitFor(
        () => new Set(of((d) => d.member === 'outage' && d.outcome === 'ok').map((d) => d.id)).size >= keys.length * seq,
        30_000,
        'every published message after the outage',
      );
      console.log(`[${kind}] outage: publishes resumed ${recoveredMs} ms after the broker came back, ${rejections} rejected publish(es) retried`);
      expectFirstDeliveriesInOrder(
        of((d) => d.member === 'outage'),
        keys,
        seq,
      );
    }, 60_000);

    it('handles different keys side by side while each key stays in order', async () => {
      const running = new Map<string, number>();
      let mostAtOnce = 0;
      let sameKeyOverlaps = 0;
      behaviours.set('parallel', async (delivery) => {
        const mine = (running.get(delivery.key) ?? 0) + 1;
        running.set(delivery.key, mine);
        if (mine > 1) sameKeyOverlaps++;
        mostAtOnce = Math.max(mostAtOnce, [...running.values()].reduce((sum, n) => sum + n, 0));
        await sleep(15 + Math.random() * 15);
        running.set(delivery.key, (running.get(delivery.key) ?? 1) - 1);
      });
      const keys = Array.from({ length: 12 }, (_, i) => `parallel-${i}`);
      const seqs = 6;
      const batch: TransportMessage[] = [];
      for (let seq = 0; seq < seqs; seq++) for (const key of keys) batch.push(message(TOPICS.parallel, key, seq));
      await publisher.publish(batch);

      await waitFor(() => of((d) => d.member === 'parallel' && d.outcome === 'ok').length >= keys.length * seqs, 30_000, 'every parallel message');
      console.log(`[${kind}] parallel: at most ${mostAtOnce} messages in hand at once`);
      expect(sameKeyOverlaps, 'one key never has two messages in hand').toBe(0);
      expect(mostAtOnce, 'different keys are handled side by side').toBeGreaterThan(1);
      expectFirstDeliveriesInOrder(
        of((d) => d.member === 'parallel'),
        keys,
        seqs,
      );
    });

    it('hands a backlog to handleBatch in order per key, and message by message when a batch is refused', async () => {
      const keys = Array.from({ length: 10 }, (_, i) => `batch-${i}`);
      const seqs = 20;
      // The first batch holding batch-3's seq 5 is refused: its messages come again one by one, and
      // nothing of batch-3 after seq 5 may have been applied before.
      let refusedOnce = false;
      refuseBatchWith = (messages) => {
        if (refusedOnce || !messages.some((m) => m.key === 'batch-3' && (JSON.parse(m.value) as { seq: number }).seq === 5)) return false;
        refusedOnce = true;
        return true;
      };
      const published: TransportMessage[] = [];
      for (let seq = 0; seq < seqs; seq++) for (const key of keys) published.push(message(TOPICS.batch, key, seq));
      const started = performance.now();
      await publisher.publish(published);
      await waitFor(() => new Set(of((d) => d.member === 'batch').map((d) => d.id)).size === published.length, 30_000, 'every batched message');
      const elapsed = performance.now() - started;
      const accepted = batches.filter((b) => b.accepted);
      console.log(
        `[${kind}] batches: ${published.length} messages in ${elapsed.toFixed(0)} ms (${((published.length * 1000) / elapsed).toFixed(0)}/s), ` +
          `${accepted.length} batches of up to ${Math.max(...accepted.map((b) => b.seqs.length))}, ${batches.length - accepted.length} refused`,
      );
      expect(refusedOnce, 'a batch was refused and handled one by one').toBe(true);
      expect(Math.max(...accepted.map((b) => b.seqs.length)), 'a backlog comes in batches').toBeGreaterThan(1);
      for (const batch of batches) {
        // Within a batch, one key's messages (if several) are in publication order.
        for (const key of new Set(batch.keys)) {
          const mine = batch.seqs.filter((_, i) => batch.keys[i] === key);
          expect(mine, `${key} in a batch`).toEqual([...mine].sort((a, b) => a - b));
        }
      }
      expectFirstDeliveriesInOrder(
        of((d) => d.member === 'batch'),
        keys,
        seqs,
      );
    });

    it('wakes an idle consumer when a message arrives (hop latency printed)', async () => {
      const latencies: number[] = [];
      for (let seq = 0; seq < 40; seq++) {
        const sent = performance.now();
        await publisher.publish([message(TOPICS.latency, `latency-${seq % 5}`, seq)]);
        await waitFor(() => of((d) => d.member === 'latency' && d.seq === seq && d.outcome === 'ok').length > 0, 10_000, `message ${seq}`);
        latencies.push(performance.now() - sent);
      }
      const sorted = [...latencies].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1);
      console.log(`[${kind}] hop latency publish -> handler over ${sorted.length} messages: p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms`);
      expect(of((d) => d.member === 'latency')).toHaveLength(40);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Postgres: pg-boss in a fresh database of the run's embedded Postgres.

/** A fresh broker database on the run's embedded Postgres. */
async function postgresBroker(): Promise<{ url: string; break(): Promise<void>; restore(): Promise<void>; drop(): Promise<void> }> {
  const adminUrl = inject('postgresAdminUrl');
  const database = `events_contract_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  admin.on('error', () => {});
  await admin.connect();
  const name = admin.escapeIdentifier(database);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return {
    url: url.toString(),
    async break() {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [database]);
    },
    async restore() {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    },
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

const warnings: string[] = [];
const postgresTestOptions = {
  pollingIntervalMs: 200,
  expireInSeconds: 2,
  maintenanceIntervalSeconds: 1,
  retryBackoffMs: 100,
  stopGraceMs: 300,
  logger: { warn: (line: string) => void warnings.push(line) },
};

transportContract('postgres', async () => {
  const broker = await postgresBroker();
  return {
    createTransport: (clientId) =>
      createPostgresTransport({ connectionString: broker.url, applicationName: clientId, ...postgresTestOptions }),
    breakBroker: () => broker.break(),
    restoreBroker: () => broker.restore(),
    async dispose() {
      if (warnings.length > 0) console.log(`[postgres] ${warnings.length} transport warning(s), e.g. ${warnings[0]}`);
      await broker.drop();
    },
  };
});

describe('postgres transport: registerGroup', () => {
  it('keeps messages for a group registered before its first member subscribes', async () => {
    const broker = await postgresBroker();
    const transport = createPostgresTransport({ connectionString: broker.url, ...postgresTestOptions });
    try {
      const topic = 'contract.registered';
      const message = (id: string): TransportMessage => ({ topic, key: 'k', id, value: '{}' });
      await transport.publish([message('before-registration')]); // no group yet: kept for nobody
      await transport.registerGroup('late-group', [topic]);
      await transport.publish([message('after-registration')]);

      const received: string[] = [];
      await transport.subscribe({ group: 'late-group', topics: [topic], handle: async (m) => void received.push(m.id) });
      await waitFor(() => received.length > 0, 5_000, 'the kept message');
      await sleep(300);
      expect(received).toEqual(['after-registration']);
    } finally {
      await transport.close();
      await broker.drop();
    }
  });
});

describe('postgres transport: wake-ups without the fallback poll', () => {
  it('hands a key its next message as soon as the one before is done, and wakes an idle consumer for each message', async () => {
    const broker = await postgresBroker();
    // Far beyond the test's deadlines: only notifications and finished jobs can bring messages in time.
    const transport = createPostgresTransport({ connectionString: broker.url, ...postgresTestOptions, pollingIntervalMs: 600_000 });
    const topic = 'contract.wakeups';
    try {
      const received: string[] = [];
      await transport.subscribe({
        group: 'wakeups',
        topics: [topic],
        handle: async (m) => {
          await sleep(20);
          received.push(m.id);
        },
      });
      // One key, published at once: all but the first wait for the one before, with no new notification.
      const sameKey = Array.from({ length: 6 }, (_, i): TransportMessage => ({ topic, key: 'one-key', id: `same-${i}`, value: '{}' }));
      await transport.publish(sameKey);
      await waitFor(() => received.length === sameKey.length, 20_000, 'every message of the key');
      expect(received).toEqual(sameKey.map((m) => m.id));
      // Messages one at a time to an idle consumer: each is woken by its notification.
      for (let i = 0; i < 5; i++) {
        await transport.publish([{ topic, key: `idle-${i}`, id: `idle-${i}`, value: '{}' }]);
        await waitFor(() => received.includes(`idle-${i}`), 20_000, `idle-${i}`);
      }
    } finally {
      await transport.close();
      await broker.drop();
    }
  }, 150_000);
});

describe('postgres transport: a group gets jobs only of the types it handles', () => {
  it('never makes a job of an ignored type for a group, keeps the handled ones in order, and widens with a new member’s types', async () => {
    const broker = await postgresBroker();
    const transport = createPostgresTransport({ connectionString: broker.url, ...postgresTestOptions });
    const sql = new pg.Client({ connectionString: broker.url });
    await sql.connect();
    const jobsOf = async (group: string) =>
      (await sql.query<{ event: string }>(`SELECT j.data->>'id' AS event FROM pgboss.job j WHERE j.name = $1 ORDER BY j.created_on, j.id`, [queueName(group, topic)])).rows.map(
        (r) => r.event,
      );
    const topic = 'contract.types';
    const message = (id: string, type: string, key = id.slice(0, 2)): TransportMessage => ({ topic, key, id, type, value: '{}' });
    try {
      // Registered from the topology: no member has said what it handles, so every type is kept.
      await transport.registerGroup('picky', [topic]);
      await transport.registerGroup('everything', [topic]);
      await transport.publish([message('k1-early', 'Ignored')]);
      expect(await jobsOf('picky')).toEqual(['k1-early']);

      const picky: TransportMessage[] = [];
      const everything: TransportMessage[] = [];
      await transport.subscribe({ group: 'picky', topics: [topic], types: ['Wanted'], handle: async (m) => void picky.push(m) });
      await transport.subscribe({ group: 'everything', topics: [topic], handle: async (m) => void everything.push(m) });
      const published: TransportMessage[] = [];
      for (let i = 0; i < 30; i++) published.push(message(`k${i % 3}-${String(i).padStart(2, '0')}`, i % 2 === 0 ? 'Wanted' : 'Ignored'));
      await transport.publish(published.slice(0, 10));
      await transport.publish(published.slice(10));
      // Two rows for the message without a type: it goes to every queue, as before types existed.
      await transport.publish([{ topic, key: 'k9', id: 'k9-untyped', value: '{}' }]);

      const wanted = published.filter((m) => m.type === 'Wanted').map((m) => m.id);
      const pickyJobs = await jobsOf('picky');
      expect(pickyJobs.filter((id) => id !== 'k1-early' && id !== 'k9-untyped')).toEqual(wanted);
      expect(await jobsOf('everything')).toEqual(['k1-early', ...published.map((m) => m.id), 'k9-untyped']);

      await waitFor(() => picky.length === wanted.length + 2 && everything.length === published.length + 2, 15_000, 'both groups to take their jobs');
      for (const key of ['k0', 'k1', 'k2']) {
        const inOrder = published.filter((m) => m.key === key && m.type === 'Wanted').map((m) => m.id);
        expect(picky.filter((m) => m.key === key && m.id !== 'k1-early').map((m) => m.id), key).toEqual(inOrder);
      }

      // A member of a newer version handles one more type: from its subscribe on, the group gets both.
      await transport.subscribe({ group: 'picky', topics: [topic], types: ['Added'], handle: async (m) => void picky.push(m) });
      await transport.publish([message('k5-added', 'Added'), message('k5-wanted', 'Wanted'), message('k5-ignored', 'Ignored')]);
      expect((await jobsOf('picky')).filter((id) => id.startsWith('k5'))).toEqual(['k5-added', 'k5-wanted']);
    } finally {
      await sql.end();
      await transport.close();
      await broker.drop();
    }
  }, 60_000);
});

describe('postgres transport: a consumer process that dies', () => {
  it('hands its job to another member long before the job would expire', async () => {
    const broker = await postgresBroker();
    const topic = 'contract.killed';
    const group = 'killed-group';
    // Far beyond the test's deadline: only the vanished-member sweep can bring the job back in time.
    const survivorTransport = createPostgresTransport({ connectionString: broker.url, ...postgresTestOptions, expireInSeconds: 600 });
    const victim = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/hanging-member.ts', import.meta.url)), broker.url, group, topic], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let victimOutput = '';
    victim.stdout.on('data', (chunk: Buffer) => (victimOutput += chunk.toString()));
    const victimExited = new Promise((resolve) => victim.once('exit', resolve));
    try {
      await waitFor(() => victimOutput.includes('subscribed'), 30_000, 'the victim process to subscribe');
      await survivorTransport.registerGroup(group, [topic]);
      await survivorTransport.publish([{ topic, key: 'k', id: 'the-job', value: '{}' }]);
      await waitFor(() => victimOutput.includes('handling the-job'), 10_000, 'the victim to take the job');

      const received: string[] = [];
      await survivorTransport.subscribe({ group, topics: [topic], handle: async (m) => void received.push(m.id) });
      // Past the survivor's first sweep, which looks at every active job: from then on only the
      // registered member that vanished is looked for (the next full look is a minute away).
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      victim.kill('SIGKILL');
      await victimExited;
      const killed = Date.now();
      await waitFor(() => received.length > 0, 30_000, 'redelivery to the surviving member');
      const redeliveredAfterMs = Date.now() - killed;
      console.log(`[postgres] killed consumer process: its job redelivered ${redeliveredAfterMs} ms after the kill (expiry: 600 s)`);
      expect(received).toEqual(['the-job']);
      // The sweep that finds the vanished member runs every second; the full look (every minute,
      // about 58 s after the kill here) must not be what brought the job back.
      expect(redeliveredAfterMs).toBeLessThan(30_000);
    } finally {
      victim.kill('SIGKILL');
      await survivorTransport.close();
      await broker.drop();
    }
  }, 120_000); // the victim's start through tsx alone took over 30 s on the busy machine
});

// ---------------------------------------------------------------------------------------------
// Kafka: librdkafka's mock cluster. Skipped loudly where it cannot be built, never on CI.

const availability = await kafkaMockAvailable();
if (!availability.ok && !process.env.CI) {
  console.warn(
    `\n!!!!!!!! SKIPPING the Kafka transport contract: the kafka mock broker is unavailable here !!!!!!!!\n` +
      `!!!!!!!! reason: ${availability.reason}\n` +
      `!!!!!!!! (on CI, with CI set, this suite runs and fails instead)\n`,
  );
  describe.skip('EventTransport contract: kafka (kafka mock unavailable)', () => {
    it('runs where packages/events/kafka-mock can be built', () => {});
  });
} else {
  transportContract('kafka', async () => {
    const mock = await startKafkaMock({
      topics: [
        { name: TOPICS.order, partitions: 4 },
        { name: TOPICS.share, partitions: 4 },
        // As many partitions as crash-group members: the mock cannot serve a member without
        // partitions (it waits for an assignment kafkajs never sends). The key's partition belongs
        // to one member until that member goes away.
        { name: TOPICS.crash, partitions: 2 },
        { name: TOPICS.reject, partitions: 3 },
        { name: TOPICS.outage, partitions: 3 },
        { name: TOPICS.parallel, partitions: 4 },
        { name: TOPICS.latency, partitions: 2 },
        { name: TOPICS.batch, partitions: 4 },
      ],
    });
    return {
      createTransport: (clientId) =>
        createKafkaTransport({
          brokers: mock.brokers,
          clientId,
          // Silent by default: every refused connection during the outage is logged at ERROR.
          logLevel: process.env.KAFKAJS_LOG ? logLevel.ERROR : logLevel.NOTHING,
          sessionTimeout: 6_000,
          heartbeatInterval: 500,
          rebalanceTimeout: 10_000,
          stopGraceMs: 300,
        }),
      breakBroker: () => mock.setBrokerDown(1),
      restoreBroker: () => mock.setBrokerUp(1),
      dispose: () => mock.stop(),
    };
  });
}

/** How many different messages the deliveries are. */
const distinct = (deliveries: readonly Delivery[]) => new Set(deliveries.map((d) => d.id)).size;

const waitFor = (condition: () => boolean, timeoutMs: number, what: string) =>
  // At least a minute whatever the caller says: only a failing wait ever reaches it, and a busy machine is slow.
  vi.waitFor(() => expect(condition(), what).toBe(true), { timeout: Math.max(timeoutMs, 60_000), interval: 2 });

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
