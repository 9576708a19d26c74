/*
 * One event hop, publish -> handler running in another transport (another "process"), timed for
 * each transport: `npm run bench:hops`. Postgres: pg-boss on a throw-away embedded Postgres; Kafka:
 * librdkafka's mock cluster (skipped, saying so, where it cannot be built).
 * Options: --hops 200 (sequential: each waits for the previous one's delivery)
 */
import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { findFreePort, startEmbeddedPostgres } from '@bazaar/database';
import { kafkaMockAvailable, startKafkaMock } from '@bazaar/events/kafka-mock';
import { createKafkaTransport, createPostgresTransport } from '@bazaar/events/transports';
import type { EventTransport } from '@bazaar/events';
import { logLevel } from 'kafkajs';
import pg from 'pg';
import { percentiles } from './router-client';

const { values } = parseArgs({ options: { hops: { type: 'string', default: '200' } } });
const hops = Number(values.hops);
const TOPIC = 'bench.hops';

async function measure(kind: string, publisher: EventTransport, consumer: EventTransport): Promise<void> {
  const arrived = new Map<string, () => void>();
  await consumer.subscribe({ group: 'bench', topics: [TOPIC], handle: async (message) => arrived.get(message.id)?.() });
  const latencies: number[] = [];
  for (let hop = 0; hop < hops + 10; hop++) {
    const id = randomUUID();
    const delivered = new Promise<void>((resolve) => arrived.set(id, resolve));
    const sent = performance.now();
    await publisher.publish([{ topic: TOPIC, key: `key-${hop % 8}`, id, value: '{}' }]);
    await delivered;
    if (hop >= 10) latencies.push(performance.now() - sent); // the first ten warm up connections
  }
  const { p50, p95, max } = percentiles(latencies);
  console.log(`[bench] ${kind}: event hop publish -> handler over ${latencies.length} hops: p50 ${p50} ms, p95 ${p95} ms, max ${max} ms`);
}

const dataDir = await mkdtemp(path.join(tmpdir(), 'bazaar-hops-'));
await chmod(dataDir, 0o755);
const postgres = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'pg'), port: await findFreePort() });
try {
  const admin = new pg.Client({ connectionString: postgres.adminUrl });
  await admin.connect();
  await admin.query('CREATE DATABASE bench_events');
  await admin.end();
  const url = postgres.adminUrl.replace(/\/postgres$/, '/bench_events');
  const publisher = createPostgresTransport({ connectionString: url, applicationName: 'bench-publisher' });
  const consumer = createPostgresTransport({ connectionString: url, applicationName: 'bench-consumer' });
  await publisher.registerGroup('bench', [TOPIC]);
  try {
    await measure('postgres (pg-boss)', publisher, consumer);
  } finally {
    await consumer.close();
    await publisher.close();
  }
} finally {
  await postgres.stop();
  await rm(dataDir, { recursive: true, force: true });
}

const kafka = await kafkaMockAvailable();
if (!kafka.ok) {
  console.log(`[bench] kafka: skipped, the mock broker is unavailable here (${kafka.reason})`);
} else {
  const mock = await startKafkaMock({ topics: [{ name: TOPIC, partitions: 4 }] });
  const options = { brokers: mock.brokers, logLevel: logLevel.NOTHING };
  const publisher = createKafkaTransport({ ...options, clientId: 'bench-publisher' });
  const consumer = createKafkaTransport({ ...options, clientId: 'bench-consumer' });
  try {
    await measure('kafka (librdkafka mock broker)', publisher, consumer);
  } finally {
    await consumer.close();
    await publisher.close();
    await mock.stop();
  }
}
