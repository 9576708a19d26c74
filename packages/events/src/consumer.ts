import { randomUUID } from 'node:crypto';
import { envelopeSchema, type Envelope, type EventDefinition } from './envelope';
import { findEventDefinition } from './catalog';
import type { SqlRunner } from './sql';
import type { EventTransport, Subscription, TransportMessage } from './transport';
import type { RelayLogger } from './relay';

export type EventHandler<Data, Tx> = (event: Envelope<Data>, tx: Tx) => Promise<void>;

export interface EventConsumerOptions<Tx extends SqlRunner> {
  /** The consuming service; names its consumer group and its rows in processed_events. */
  consumer: string;
  transport: EventTransport;
  logger: RelayLogger;
  /** Runs `work` in one database transaction of the consuming service (e.g. prisma.$transaction). */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /** Attempts of a failing handler before its event is parked in the dead-letter table. */
  maxAttempts?: number;
  baseBackoffMs?: number;
}

interface Registration<Tx> {
  definition: EventDefinition;
  handler: EventHandler<unknown, Tx>;
}

export class EventConsumer<Tx extends SqlRunner> {
  private readonly registrations = new Map<string, Registration<Tx>>();
  private subscription: Subscription | undefined;

  constructor(private readonly options: EventConsumerOptions<Tx>) {}

  /** Registers the effect of one event type. It runs in the transaction that records the event as processed. */
  on<Data>(definition: EventDefinition<string, Data>, handler: EventHandler<Data, Tx>): this {
    this.registrations.set(definition.type, { definition, handler: handler as EventHandler<unknown, Tx> });
    return this;
  }

  async start(): Promise<void> {
    const topics = [...new Set([...this.registrations.values()].map(({ definition }) => definition.topic))];
    this.subscription = await this.options.transport.subscribe({
      group: this.options.consumer,
      topics,
      handle: (message) => this.handle(message),
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = undefined;
  }

  /**
   * Applies one delivered message at most once. Returns normally when the message is done with
   * (applied, already applied, not for us, or parked); throws only when it could not even be
   * parked, so the transport delivers it again.
   */
  async handle(message: TransportMessage): Promise<void> {
    let raw: unknown;
    try {
      raw = JSON.parse(message.value);
    } catch {
      return this.park(message, undefined, 'the message is not JSON');
    }
    const parsed = envelopeSchema.safeParse(raw);
    if (!parsed.success) return this.park(message, undefined, `invalid envelope: ${parsed.error.message}`);
    const envelope = parsed.data;
    const registration = this.registrations.get(envelope.type);
    if (!registration) return; // another consumer's event on a shared topic
    const definition = findEventDefinition(envelope.type, envelope.version);
    if (!definition) return this.park(message, envelope, `unknown version ${envelope.version} of ${envelope.type}`);
    const data = definition.data.safeParse(envelope.data);
    if (!data.success) return this.park(message, envelope, `invalid ${envelope.type} payload: ${data.error.message}`);

    const maxAttempts = this.options.maxAttempts ?? 5;
    const baseBackoffMs = this.options.baseBackoffMs ?? 100;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.transaction(async (tx) => {
          const firstTime = await tx.$executeRaw`
            INSERT INTO processed_events (consumer, event_id) VALUES (${this.options.consumer}, ${envelope.id}::uuid)
            ON CONFLICT DO NOTHING`;
          if (firstTime === 0) return;
          await registration.handler({ ...envelope, data: data.data }, tx);
        });
        return;
      } catch (error) {
        if (attempt >= maxAttempts) {
          this.options.logger.error({ err: error, eventId: envelope.id, type: envelope.type }, 'event handler failed; parking the event');
          return this.park(message, envelope, `handler failed ${attempt} times: ${error instanceof Error ? error.message : String(error)}`, attempt);
        }
        await new Promise((resolve) => setTimeout(resolve, baseBackoffMs * 2 ** (attempt - 1)));
      }
    }
  }

  private async park(message: TransportMessage, envelope: { id: string; type: string } | undefined, reason: string, attempts = 1) {
    this.options.logger.warn({ eventId: envelope?.id ?? message.id, topic: message.topic, reason }, 'event parked in the dead-letter table');
    await this.options.transaction(
      async (tx) => tx.$executeRaw`
        INSERT INTO dead_letter_events (id, consumer, event_id, type, topic, key, payload, reason, attempts)
        VALUES (${randomUUID()}::uuid, ${this.options.consumer}, ${envelope?.id ?? null}, ${envelope?.type ?? null}, ${message.topic}, ${message.key},
                ${message.value}, ${reason}, ${attempts})`,
    );
  }
}
