import { randomUUID } from 'node:crypto';
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { isTransientError } from '@bazaar/service';
import { contextFrom, inSpan, SERVICE_ATTRIBUTE, SpanKind } from '@bazaar/telemetry';
import { CONSUMER_GROUPS, TOPOLOGY_PATH } from '@bazaar/topology';
import { envelopeSchema, type Envelope, type EventDefinition } from './envelope';
import type { SqlRunner } from './sql';
import type { EventTransport, Subscription, TransportMessage } from './transport';
import { eventKey } from './registry';
import type { RelayLogger } from './relay';

export type EventHandler<Data, Tx> = (event: Envelope<Data>, tx: Tx) => Promise<void>;

/**
 * A handler's domain rejection: the event can never apply (e.g. it contradicts what this service
 * knows). Parked at once; an operator looks at it (`npm run events -- dead-letters`).
 */
export class PermanentEventError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentEventError';
  }
}

/** How failures are treated; docs/events.md ("Failure classes") explains the defaults. */
export interface FailurePolicy {
  /** Transient failures are retried in place (backoff with jitter) for this long, then handed back to the transport to redeliver. */
  transientRetryWindowMs: number;
  /** First and longest pause between those in-place retries. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** An unrecognised failure is parked only after failing this many times ... */
  maxAttempts: number;
  /** ... over at least this long (so a fault that lasts a while is ridden out, not parked). */
  parkAfterMs: number;
}

export const DEFAULT_FAILURE_POLICY: FailurePolicy = {
  transientRetryWindowMs: 10_000,
  initialBackoffMs: 50,
  maxBackoffMs: 2_000,
  maxAttempts: 10,
  parkAfterMs: 5 * 60_000,
};

export interface EventConsumerOptions<Tx extends SqlRunner> {
  /** The consuming service; names its consumer group and its rows in processed_events. */
  consumer: string;
  transport: EventTransport;
  logger: RelayLogger;
  /** Runs `work` in one database transaction of the consuming service (e.g. prisma.$transaction). */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  failurePolicy?: Partial<FailurePolicy>;
  /** Told what became of each delivery (metrics): applied, already applied, to be retried, or parked. */
  onOutcome?(type: string, outcome: 'handled' | 'duplicate' | 'retried' | 'parked'): void;
}

interface Registration<Tx> {
  definition: EventDefinition;
  handler: EventHandler<unknown, Tx>;
}

type Prepared<Tx> =
  | { kind: 'apply'; envelope: Envelope<unknown>; apply(tx: Tx): Promise<void> }
  | { kind: 'park'; envelope: Envelope<unknown> | undefined; reason: string }
  | { kind: 'ignore' };

/** A batch that must be handled message by message instead (never a failure of its own). */
class NotBatchable extends Error {
  override readonly name = 'NotBatchable';
}

/** Failures of an event seen by this process: when they began and how many. */
interface FailureRecord {
  firstAt: number;
  attempts: number;
}

/**
 * Applies events at most once each (processed_events in the effect's transaction), sorting
 * failures into classes:
 * - invalid (not JSON, bad envelope, unknown version, bad payload) or PermanentEventError: parked at once;
 * - transient (isTransientError: connection lost, serialization failure, deadlock, lock or statement
 *   timeout, pool or transaction timeout, shutdown): retried with exponential backoff and jitter,
 *   first in place, then by the transport's redelivery, for as long as it takes. Never parked;
 * - anything else: retried the same way, and parked only once it failed `maxAttempts` times over at
 *   least `parkAfterMs`.
 * While an event is retried, later events with its key wait (the transports deliver a key in order).
 */
export class EventConsumer<Tx extends SqlRunner> {
  private readonly registrations = new Map<string, Registration<Tx>>();
  /** The event types with a handler (of any version). */
  private readonly handledTypes = new Set<string>();
  private readonly failures = new Map<string, FailureRecord>();
  private readonly policy: FailurePolicy;
  private subscription: Subscription | undefined;

  constructor(private readonly options: EventConsumerOptions<Tx>) {
    this.policy = { ...DEFAULT_FAILURE_POLICY, ...options.failurePolicy };
  }

  /**
   * Registers the effect of one version of one event type (each version a consumer reads is registered
   * with its own handler). It runs in the transaction that records the event as processed.
   */
  on<Data>(definition: EventDefinition<string, Data>, handler: EventHandler<Data, Tx>): this {
    this.registrations.set(eventKey(definition.type, definition.version), { definition, handler: handler as EventHandler<unknown, Tx> });
    this.handledTypes.add(definition.type);
    return this;
  }

  /**
   * Subscribes the consumer group. Resolves once the subscription is registered; joining the group
   * goes on in the background (see `joined`), so the service can serve queries meanwhile.
   */
  async start(): Promise<void> {
    const topics = [...new Set([...this.registrations.values()].map(({ definition }) => definition.topic))];
    const declared = CONSUMER_GROUPS[this.options.consumer];
    const undeclared = declared ? topics.filter((topic) => !declared.includes(topic)) : [];
    if (undeclared.length > 0) {
      // Its group would not exist before producers publish (see CONSUMER_GROUPS): events would be lost.
      throw new Error(`${this.options.consumer} consumes ${undeclared.join(', ')} but does not declare it in ${TOPOLOGY_PATH} (consumes)`);
    }
    this.subscription = await this.options.transport.subscribe({
      group: this.options.consumer,
      topics,
      types: [...this.handledTypes],
      handle: (message) => this.handle(message),
      handleBatch: (messages) => this.handleBatch(messages),
      joinInBackground: true,
    });
  }

  /** The consumer group's name. */
  get name(): string {
    return this.options.consumer;
  }

  /** Whether this process currently receives the group's events (for readiness reports). */
  get joined(): boolean {
    return this.subscription?.joined?.() ?? this.subscription !== undefined;
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = undefined;
  }

  /**
   * Applies one delivered message at most once. Returns normally when the message is done with
   * (applied, already applied, not for us, or parked); throws when it should be delivered again
   * (a failure still being retried, or one that could not even be parked).
   */
  async handle(message: TransportMessage): Promise<void> {
    const prepared = this.prepare(message);
    if (prepared.kind !== 'apply') return prepared.kind === 'park' ? this.park(message, prepared.envelope, prepared.reason) : undefined;
    const { envelope } = prepared;
    try {
      // The handler continues the trace of the request that caused the event (its envelope's traceparent).
      await this.inConsumeSpan(message, envelope, async () => {
        const outcome = await this.retryingTransientFailures(() =>
          this.options.transaction(async (tx) => {
            if ((await this.markProcessed(tx, [envelope.id])) === 0) return 'duplicate' as const;
            await prepared.apply(tx);
            return 'handled' as const;
          }),
        );
        this.options.onOutcome?.(envelope.type, outcome);
      });
      this.failures.delete(envelope.id);
    } catch (error) {
      await this.failed(message, envelope, error);
    }
  }

  /**
   * Applies several messages of distinct keys (or one key's, in order) in one transaction: one
   * BEGIN/COMMIT and one processed_events insert instead of one each, which is what lets a
   * projection catch up with thousands of events in seconds. All or nothing: it rejects, having
   * changed nothing, when any message needs more than applying (parking, a redelivery, a failure),
   * and the transport then hands the messages to handle() one by one, where each failure gets its class.
   */
  async handleBatch(messages: readonly TransportMessage[]): Promise<void> {
    const applicable = new Map<string, Extract<Prepared<Tx>, { kind: 'apply' }> & { message: TransportMessage }>();
    for (const message of messages) {
      const prepared = this.prepare(message);
      if (prepared.kind === 'park') throw new NotBatchable(`${message.id} must be parked`);
      if (prepared.kind === 'apply' && !applicable.has(prepared.envelope.id)) applicable.set(prepared.envelope.id, { ...prepared, message });
    }
    if (applicable.size === 0) return;
    const ids = [...applicable.keys()];
    await this.options.transaction(async (tx) => {
      if ((await this.markProcessed(tx, ids)) !== ids.length) throw new NotBatchable('an event of the batch was already processed');
      for (const prepared of applicable.values()) {
        await this.inConsumeSpan(prepared.message, prepared.envelope, () => prepared.apply(tx));
      }
    });
    for (const { envelope } of applicable.values()) {
      this.failures.delete(envelope.id);
      this.options.onOutcome?.(envelope.type, 'handled');
    }
  }

  /** A consumer span continuing the trace of the request that caused the event (its envelope's traceparent). */
  private inConsumeSpan<T>(message: TransportMessage, envelope: Envelope<unknown>, work: () => Promise<T>): Promise<T> {
    return inSpan(
      `consume ${envelope.type}`,
      {
        kind: SpanKind.CONSUMER,
        parent: contextFrom({ traceparent: envelope.traceparent }),
        attributes: { [SERVICE_ATTRIBUTE]: this.options.consumer, 'messaging.destination.name': message.topic, 'messaging.message.id': envelope.id },
      },
      work,
    );
  }

  /** Records the events as processed by this consumer; returns how many were not already. */
  private markProcessed(tx: Tx, eventIds: readonly string[]): PromiseLike<number> {
    return tx.$executeRaw`
      INSERT INTO processed_events (consumer, event_id)
      SELECT ${this.options.consumer}, event_id FROM unnest(${eventIds}::uuid[]) AS event_id
      ON CONFLICT DO NOTHING`;
  }

  /** What a message means for this consumer: an effect to apply, something to park, or nothing. */
  private prepare(message: TransportMessage): Prepared<Tx> {
    // Kafka delivers every type of a topic to every group: one it does not handle costs no parse.
    if (message.type !== undefined && !this.handledTypes.has(message.type)) return { kind: 'ignore' };
    let raw: unknown;
    try {
      raw = JSON.parse(message.value);
    } catch {
      return { kind: 'park', envelope: undefined, reason: 'the message is not JSON' };
    }
    const parsed = envelopeSchema.safeParse(raw);
    if (!parsed.success) return { kind: 'park', envelope: undefined, reason: `invalid envelope: ${parsed.error.message}` };
    const envelope = parsed.data;
    const registration = this.registrations.get(eventKey(envelope.type, envelope.version));
    if (!registration) {
      if (!this.handledTypes.has(envelope.type)) return { kind: 'ignore' }; // another consumer's event on a shared topic
      return { kind: 'park', envelope, reason: `unknown version ${envelope.version} of ${envelope.type}` };
    }
    const data = registration.definition.data.safeParse(envelope.data);
    if (!data.success) return { kind: 'park', envelope, reason: `invalid ${envelope.type} payload: ${data.error.message}` };
    return { kind: 'apply', envelope, apply: (tx) => registration.handler({ ...envelope, data: data.data }, tx) };
  }

  /** Runs `work`, retrying transient failures in place (exponential backoff, decorrelated jitter) within the window. */
  private async retryingTransientFailures<T>(work: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.policy.transientRetryWindowMs;
    const policy = retry(
      handleWhen((error) => isTransientError(error) && Date.now() < deadline),
      { maxAttempts: Number.MAX_SAFE_INTEGER, backoff: new ExponentialBackoff({ initialDelay: this.policy.initialBackoffMs, maxDelay: this.policy.maxBackoffMs }) },
    );
    return policy.execute(work);
  }

  /** Decides what a failure means: park it, or throw so the transport delivers it again (with its own backoff). */
  private async failed(message: TransportMessage, envelope: Envelope<unknown>, error: unknown): Promise<void> {
    const detail = { err: error, eventId: envelope.id, type: envelope.type, consumer: this.options.consumer };
    if (error instanceof PermanentEventError) {
      this.failures.delete(envelope.id);
      return this.park(message, envelope, `rejected: ${error.message}`);
    }
    if (isTransientError(error)) {
      this.options.logger.warn(detail, 'event handler failed transiently; it will be retried until it succeeds');
      this.options.onOutcome?.(envelope.type, 'retried');
      throw error;
    }
    const record = this.failures.get(envelope.id) ?? { firstAt: Date.now(), attempts: 0 };
    record.attempts++;
    this.failures.set(envelope.id, record);
    if (record.attempts >= this.policy.maxAttempts && Date.now() - record.firstAt >= this.policy.parkAfterMs) {
      this.failures.delete(envelope.id);
      this.options.logger.error(detail, 'event handler kept failing; parking the event');
      return this.park(message, envelope, `handler failed ${record.attempts} times over ${Math.round((Date.now() - record.firstAt) / 1000)} s: ${errorMessage(error)}`, record.attempts);
    }
    this.options.logger.warn({ ...detail, attempts: record.attempts }, 'event handler failed; it will be retried');
    this.options.onOutcome?.(envelope.type, 'retried');
    throw error;
  }

  private async park(message: TransportMessage, envelope: { id: string; type: string } | undefined, reason: string, attempts = 1) {
    this.options.logger.warn({ eventId: envelope?.id ?? message.id, topic: message.topic, reason }, 'event parked in the dead-letter table');
    this.options.onOutcome?.(envelope?.type ?? 'unreadable', 'parked');
    await this.options.transaction(
      async (tx) => tx.$executeRaw`
        INSERT INTO dead_letter_events (id, consumer, event_id, type, topic, key, payload, reason, attempts)
        VALUES (${randomUUID()}::uuid, ${this.options.consumer}, ${envelope?.id ?? null}, ${envelope?.type ?? null}, ${message.topic}, ${message.key},
                ${message.value}, ${reason}, ${attempts})`,
    );
  }
}

const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * What /ready says about a service's consumers: a service is ready once its database answers (it
 * serves queries), while its consumer groups may still be joining in the background. Return this
 * from `checkReadiness` so operators see it, e.g. `{"consumerGroups":{"books":"joining"}}`.
 */
export function eventReadiness(consumers: ReadonlyArray<{ name: string; joined: boolean }>): { consumerGroups: Record<string, 'joined' | 'joining'> } {
  return { consumerGroups: Object.fromEntries(consumers.map(({ name, joined }) => [name, joined ? 'joined' : 'joining'])) };
}
