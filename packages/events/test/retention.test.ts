import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { baseServiceConfig, ConfigError, loadConfig } from '@bazaar/service';
import { createTestDatabase, type TestDatabase } from '@bazaar/testing';
import { assertRetentionWindow, REDELIVERY_WINDOW_MS, startEventRetention } from '../src';

const silent = { info() {}, warn() {}, error() {} };
const DAY_MS = 24 * 3_600_000;

describe('event retention', () => {
  let database: TestDatabase;
  let db: pg.Pool;

  beforeAll(async () => {
    database = await createTestDatabase(inject('postgresAdminUrl'), 'books');
    db = new pg.Pool({ connectionString: database.url, max: 2 });
  });

  afterAll(async () => {
    await db?.end();
    await database?.drop();
  });

  async function outboxRow(ageDays: number, published: boolean): Promise<string> {
    const id = randomUUID();
    await db.query(
      `INSERT INTO outbox_events (id, topic, key, type, envelope, created_at, published_at)
       VALUES ($1::uuid, 'bazaar.catalog', $1::text, 'Test', '{}', now() - make_interval(days => $2::int), CASE WHEN $3::boolean THEN now() - make_interval(days => $2::int) END)`,
      [id, ageDays, published],
    );
    return id;
  }

  async function processedRow(ageDays: number): Promise<string> {
    const id = randomUUID();
    await db.query(`INSERT INTO processed_events (consumer, event_id, processed_at) VALUES ('books', $1, now() - make_interval(days => $2::int))`, [id, ageDays]);
    return id;
  }

  const remaining = async (table: 'outbox_events' | 'processed_events', column: 'id' | 'event_id', ids: string[]) =>
    (await db.query<{ id: string }>(`SELECT ${column}::text AS id FROM ${table} WHERE ${column} = ANY($1::uuid[])`, [ids])).rows.map((row) => row.id).sort();

  it('deletes published outbox rows and processed ids past the window, and nothing else', async () => {
    const oldPublished = await outboxRow(10, true);
    const oldUnpublished = await outboxRow(10, false);
    const recentPublished = await outboxRow(1, true);
    const oldProcessed = await processedRow(10);
    const recentProcessed = await processedRow(1);

    const retention = startEventRetention({ connectionString: database.url, logger: silent, retentionMs: 7 * DAY_MS });
    try {
      const result = await retention.prune();
      expect(result.outboxEvents).toBeGreaterThanOrEqual(1);
      expect(result.processedEvents).toBeGreaterThanOrEqual(1);
      console.log(`retention pruned ${result.outboxEvents} outbox row(s) and ${result.processedEvents} processed id(s) older than 7 days`);
    } finally {
      await retention.stop();
    }
    expect(await remaining('outbox_events', 'id', [oldPublished, oldUnpublished, recentPublished])).toEqual([oldUnpublished, recentPublished].sort());
    expect(await remaining('processed_events', 'event_id', [oldProcessed, recentProcessed])).toEqual([recentProcessed]);
  });

  it('refuses a window shorter than the redelivery window, in code and in the service configuration', () => {
    expect(() => assertRetentionWindow(REDELIVERY_WINDOW_MS)).toThrow(/longer than the redelivery window/);
    expect(() => startEventRetention({ connectionString: database.url, logger: silent, retentionMs: 60_000 })).toThrow(/redelivery window/);
    expect(() => loadConfig(baseServiceConfig, { EVENT_RETENTION_HOURS: '0' })).toThrow(ConfigError);
    expect(loadConfig(baseServiceConfig, {}).EVENT_RETENTION_HOURS).toBe(168);
    expect(loadConfig(baseServiceConfig, {}).EVENT_RETENTION_HOURS * 3_600_000).toBeGreaterThan(REDELIVERY_WINDOW_MS);
  });
});
