import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/** Every event on every topic travels in this envelope, validated when published and when consumed. */
export const envelopeSchema = z.object({
  id: z.uuid(),
  type: z.string().min(1),
  version: z.number().int().positive(),
  occurredAt: z.iso.datetime({ offset: false }),
  /** The service that published it. */
  source: z.string().min(1),
  /** The aggregate id; the partition key, so one aggregate's events stay in order. */
  key: z.string().min(1),
  data: z.unknown(),
  /** W3C trace context of the request that caused it, when there was one. */
  traceparent: z.string().optional(),
});

export type Envelope<Data = unknown> = Omit<z.infer<typeof envelopeSchema>, 'data'> & { data: Data };

/** One kind of event: its name, schema version, topic and payload schema. */
export interface EventDefinition<Type extends string = string, Data = unknown> {
  type: Type;
  version: number;
  topic: string;
  data: z.ZodType<Data>;
}

export function defineEvent<Type extends string, Schema extends z.ZodType>(definition: {
  type: Type;
  version: number;
  topic: string;
  data: Schema;
}): EventDefinition<Type, z.infer<Schema>> {
  return definition as EventDefinition<Type, z.infer<Schema>>;
}

export class InvalidEventError extends Error {}

/** Builds an envelope for `data`, refusing data that does not match the event's schema. */
export function createEnvelope<Data>(
  definition: EventDefinition<string, Data>,
  options: { source: string; key: string; data: Data; traceparent?: string; occurredAt?: Date; id?: string },
): Envelope<Data> {
  const parsed = definition.data.safeParse(options.data);
  if (!parsed.success) {
    throw new InvalidEventError(`${definition.type} v${definition.version} payload is invalid: ${z.prettifyError(parsed.error)}`);
  }
  return {
    id: options.id ?? randomUUID(),
    type: definition.type,
    version: definition.version,
    occurredAt: (options.occurredAt ?? new Date()).toISOString(),
    source: options.source,
    key: options.key,
    data: parsed.data,
    ...(options.traceparent ? { traceparent: options.traceparent } : {}),
  };
}
