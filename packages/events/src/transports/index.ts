import type { EventTransport } from '../transport';
import { createKafkaTransport } from './kafka';
import { createPostgresTransport } from './postgres';

export { createKafkaTransport, EVENT_ID_HEADER, EventHandlerError, type KafkaTransportOptions } from './kafka';
export { createPostgresTransport, queueName, type PostgresEventTransport, type PostgresTransportOptions } from './postgres';

export interface TransportConfig {
  EVENT_TRANSPORT: 'kafka' | 'postgres';
  /** Comma-separated host:port list; required for kafka. */
  KAFKA_BROKERS?: string;
  /** The broker database shared by all services; required for postgres. */
  EVENTS_DATABASE_URL?: string;
}

/** The transport the configuration asks for; throws at startup, not at first publish, when a setting is missing. */
export function createTransport(config: TransportConfig, clientId: string): EventTransport {
  // The type says kafka | postgres, but config usually comes from the environment unchecked.
  const kind: string = config.EVENT_TRANSPORT;
  switch (kind) {
    case 'kafka': {
      const brokers = (config.KAFKA_BROKERS ?? '')
        .split(',')
        .map((broker) => broker.trim())
        .filter((broker) => broker !== '');
      if (brokers.length === 0) {
        throw new Error('EVENT_TRANSPORT=kafka needs KAFKA_BROKERS (comma-separated host:port list, e.g. kafka:9092)');
      }
      return createKafkaTransport({ brokers, clientId });
    }
    case 'postgres': {
      const connectionString = config.EVENTS_DATABASE_URL?.trim();
      if (!connectionString) {
        throw new Error('EVENT_TRANSPORT=postgres needs EVENTS_DATABASE_URL (postgres:// URL of the shared broker database)');
      }
      return createPostgresTransport({ connectionString, applicationName: `bazaar-events:${clientId}` });
    }
    default:
      throw new Error(`EVENT_TRANSPORT must be "kafka" or "postgres", got ${JSON.stringify(kind)}`);
  }
}
