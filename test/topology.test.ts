/*
 * The topology (supergraph.config.yaml) against the code: every subgraph folder is in it, every
 * topic a service declares it consumes is one a producer publishes, and a consumer that reads an
 * undeclared topic refuses to start (its group would not exist when producers publish).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_TOPICS, EVENT_CATALOG, UserRegistered } from '@bazaar/contracts';
import { EventConsumer, type EventTransport } from '@bazaar/events';
import { CONSUMER_GROUPS, parseTopology, REPO_ROOT, SUBGRAPHS, TOPOLOGY } from '@bazaar/topology';

const silent = { info() {}, warn() {}, error() {} };

describe('supergraph.config.yaml', () => {
  it('lists every folder under subgraphs/, and only those', () => {
    const folders = readdirSync(path.join(REPO_ROOT, 'subgraphs')).sort();
    expect(SUBGRAPHS.map(({ path: folder }) => path.relative(REPO_ROOT, folder)).sort()).toEqual(folders.map((name) => `subgraphs/${name}`));
  });

  it('declares only topics some producer publishes, and every consumed topic has a group', () => {
    for (const [group, topics] of Object.entries(CONSUMER_GROUPS)) for (const topic of topics) expect(ALL_TOPICS, `${group} consumes ${topic}`).toContain(topic);
    expect(ALL_TOPICS.length).toBe(7);
    expect(EVENT_CATALOG.find('UserRegistered', 1)).toBe(UserRegistered);
  });

  it('is refused with every problem named when malformed', () => {
    const broken = structuredClone(TOPOLOGY) as unknown as { subgraphs: Record<string, { port: number }> };
    broken.subgraphs.books!.port = 4001;
    expect(() => parseTopology(JSON.stringify(broken), 'broken.yaml')).toThrow(/broken.yaml is invalid: two services share a port/);
    expect(() => parseTopology('subgraphs: { Users: { port: "x" } }', 'bad.yaml')).toThrow(/bad.yaml is invalid:[\s\S]*variables[\s\S]*subgraphs/);
  });
});

describe('a consumer', () => {
  it('refuses to start on a topic its service does not declare in the topology', async () => {
    // Refused before it touches the transport, so none is needed.
    const consumer = new EventConsumer({ consumer: 'cart', transport: {} as EventTransport, logger: silent, transaction: async () => { throw new Error('unused'); } });
    consumer.on(UserRegistered, async () => {});
    await expect(consumer.start()).rejects.toThrow(/cart consumes bazaar.users but does not declare it in .*supergraph.config.yaml/);
  });
});
