import { createEnvelope, type Envelope, type EventDefinition } from './envelope';
import type { SqlRunner } from './sql';

export interface PendingEvent<Data> {
  definition: EventDefinition<string, Data>;
  /** The aggregate the event is about; its partition key. */
  key: string;
  data: Data;
  traceparent?: string;
}

export interface Outbox {
  /**
   * Records events in the caller's transaction, so they exist if and only if the change they
   * describe was committed. The relay publishes them afterwards.
   */
  add<Data>(tx: SqlRunner, event: PendingEvent<Data>): Promise<Envelope<Data>>;
}

export function createOutbox(source: string): Outbox {
  return {
    async add(tx, event) {
      const envelope = createEnvelope(event.definition, {
        source,
        key: event.key,
        data: event.data,
        ...(event.traceparent ? { traceparent: event.traceparent } : {}),
      });
      await tx.$executeRaw`
        INSERT INTO outbox_events (id, topic, key, type, envelope)
        VALUES (${envelope.id}::uuid, ${event.definition.topic}, ${envelope.key}, ${envelope.type}, ${JSON.stringify(envelope)}::jsonb)`;
      return envelope;
    },
  };
}
