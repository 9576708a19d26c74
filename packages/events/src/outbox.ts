import { ridesWithCommit } from '@bazaar/service';
import { currentTraceparent, inSpan, SERVICE_ATTRIBUTE, SpanKind } from '@bazaar/telemetry';
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
  /** The same for many events of one type in one statement (bulk loads such as demo data). */
  addMany<Data>(
    tx: SqlRunner,
    definition: EventDefinition<string, Data>,
    events: ReadonlyArray<{ key: string; data: Data }>,
  ): Promise<number>;
}

/** The statement's text as a tagged template's strings, to be run with an event's five values. */
const INSERT_OUTBOX_ROW = ((strings: TemplateStringsArray, ..._placeholders: unknown[]) => strings)`
  INSERT INTO outbox_events (id, topic, key, type, envelope) VALUES (${0}::uuid, ${0}, ${0}, ${0}, ${0}::jsonb)`;

export function createOutbox(source: string): Outbox {
  return {
    add(tx, event) {
      // The row remembers the trace of the change that wrote it; relay and consumers continue it.
      return inSpan(`outbox ${event.definition.type}`, { kind: SpanKind.PRODUCER, attributes: { [SERVICE_ATTRIBUTE]: source, 'messaging.destination.name': event.definition.topic } }, async () => {
        const traceparent = event.traceparent ?? currentTraceparent();
        const envelope = createEnvelope(event.definition, { source, key: event.key, data: event.data, ...(traceparent ? { traceparent } : {}) });
        const row = [envelope.id, event.definition.topic, envelope.key, envelope.type, JSON.stringify(envelope)];
        // In a lean transaction the row goes with the COMMIT (a round trip fewer per event).
        if (ridesWithCommit(tx)) tx.$executeWithCommit(INSERT_OUTBOX_ROW, ...row);
        else await tx.$executeRaw(INSERT_OUTBOX_ROW, ...row);
        return envelope;
      });
    },
    async addMany(tx, definition, events) {
      if (events.length === 0) return 0;
      const envelopes = events.map(({ key, data }) => createEnvelope(definition, { source, key, data }));
      return tx.$executeRaw`
        INSERT INTO outbox_events (id, topic, key, type, envelope)
        SELECT event.id, ${definition.topic}, event.key, ${definition.type}, event.envelope
          FROM unnest(${envelopes.map(({ id }) => id)}::uuid[], ${envelopes.map(({ key }) => key)}::text[],
                      ${envelopes.map((envelope) => JSON.stringify(envelope))}::jsonb[]) AS event(id, key, envelope)`;
    },
  };
}
