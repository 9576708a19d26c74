import { createOutbox, type Outbox } from './outbox';
import { startOutboxRelay, type OutboxRelay, type RelayLogger } from './relay';
import { DEFAULT_EVENT_RETENTION_HOURS, startEventRetention, type EventRetention } from './retention';
import { createTransport, type TransportConfig } from './transports';
import type { EventTransport } from './transport';
import type { PostgresEventTransport } from './transports/postgres';
import { CONSUMER_GROUPS } from '@bazaar/topology';

export interface EventBackboneConfig extends TransportConfig {
  OUTBOX_POLL_INTERVAL_MS: number;
  OUTBOX_BATCH_SIZE: number;
  /** How long published outbox rows and processed-event ids are kept (see retention.ts). */
  EVENT_RETENTION_HOURS?: number;
}

export interface EventBackbone {
  transport: EventTransport;
  outbox: Outbox;
  relay: OutboxRelay;
  retention: EventRetention;
  stop(): Promise<void>;
}

/** A service's link to the event stream: its outbox, the relay that drains it, and the transport. */
export async function startEventBackbone(options: {
  service: string;
  /** The service's own database, which holds its outbox. */
  databaseUrl: string;
  config: EventBackboneConfig;
  logger: RelayLogger;
}): Promise<EventBackbone> {
  const transport = createTransport(options.config, options.service);
  // Every consuming service's group, before this service's relay first publishes: the Postgres
  // transport keeps a group's messages only from the moment the group exists (Kafka keeps them for
  // groups that come later), so an event published before its consumer's first start would be lost.
  // The groups are the topology's (each consumer declares its topics there, see EventConsumer.start).
  if (transport.kind === 'postgres') {
    try {
      for (const [group, topics] of Object.entries(CONSUMER_GROUPS)) await (transport as PostgresEventTransport).registerGroup(group, topics);
    } catch (error) {
      await transport.close();
      throw error;
    }
  }
  const relay = startOutboxRelay({
    service: options.service,
    connectionString: options.databaseUrl,
    transport,
    logger: options.logger,
    pollIntervalMs: options.config.OUTBOX_POLL_INTERVAL_MS,
    batchSize: options.config.OUTBOX_BATCH_SIZE,
  });
  const retention = startEventRetention({
    connectionString: options.databaseUrl,
    logger: options.logger,
    retentionMs: (options.config.EVENT_RETENTION_HOURS ?? DEFAULT_EVENT_RETENTION_HOURS) * 3_600_000,
  });
  return {
    transport,
    outbox: createOutbox(options.service),
    relay,
    retention,
    async stop() {
      await retention.stop();
      await relay.stop();
      await transport.close();
    },
  };
}
