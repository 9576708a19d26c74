/*
 * One event hop, publish -> handler running in another process (bench/hop-consumer.ts), timed for
 * each transport: `npm run bench:hops`. Postgres: pg-boss on a throw-away embedded Postgres; Kafka:
 * librdkafka's mock cluster (skipped, saying so, where it cannot be built).
 * Options: --hops 200 (sequential: each waits for the previous one's delivery)
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { findFreePort, startEmbeddedPostgres } from '@bazaar/database';
import { kafkaMockAvailable, startKafkaMock } from '@bazaar/events/kafka-mock';
import { createKafkaTransport, createPostgresTransport } from '@bazaar/events/transports';
import type { EventTransport } from '@bazaar/events';
import { logLevel } from 'kafkajs';
import pg from 'pg';
import { recordFigure } from './figures';
import { percentiles } from './router-client';

const { values } = parseArgs({ options: { hops: { type: 'string', default: '200' } } });
const hops = Number(values.hops);
const TOPIC = 'bench.hops';

async function measure(kind: string, publisher: EventTransport, consumerArgs: string[]): Promise<void> {
  const transport = consumerArgs[0]!;
  const consumer = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./hop-consumer.ts', import.meta.url)), ...consumerArgs], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const arrived = new Map<string, () => void>();
  let subscribed: () => void = () => {};
  const ready = new Promise<void>((resolve) => (subscribed = resolve));
  createInterface({ input: consumer.stdout! }).on('line', (line) => (line === 'subscribed' ? subscribed() : arrived.get(line)?.()));
  try {
    await ready;
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
    console.log(`[bench] ${kind}: event hop publish -> handler in another process over ${latencies.length} hops: p50 ${p50} ms, p95 ${p95} ms, max ${max} ms`);
    recordFigure(`hop.${transport}.p50`, p50);
    recordFigure(`hop.${transport}.p95`, p95);
  } finally {
    const exited = new Promise((resolve) => consumer.once('exit', resolve));
    consumer.disconnect();
    await exited;
  }
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
  await publisher.registerGroup('bench', [TOPIC]);
  try {
    await measure('postgres (pg-boss)', publisher, ['postgres', url]);
  } finally {
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
  const publisher = createKafkaTransport({ brokers: mock.brokers, logLevel: logLevel.NOTHING, clientId: 'bench-publisher' });
  try {
    await measure('kafka (librdkafka mock broker)', publisher, ['kafka', mock.brokers.join(',')]);
  } finally {
    await publisher.close();
    await mock.stop();
  }
}
