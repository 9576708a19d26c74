/**
 * EventTransport over Kafka (kafkajs 2), for docker-compose and production.
 *
 * Guarantees:
 * - publish: resolves once every partition leader has the messages with acks from all in-sync
 *   replicas (acks -1). Publish calls on one transport are sent one after another, in call order,
 *   with one request in flight per broker, so a retried request never overtakes a later one.
 *   A send that times out may still have been appended; its retry then appends the messages again
 *   (no idempotent producer, see below): consumers see duplicates, never gaps or reordered first
 *   deliveries of one key.
 * - subscribe: one kafkajs consumer (one group member) per subscription; a partition, and so a key,
 *   belongs to one member at a time and its messages are handled in offset order (a fetched run of
 *   them through the subscriber's handleBatch, up to `maxBatchSize` at once, else one at a time),
 *   while up to `partitionsConsumedConcurrently` partitions are handled side by side.
 *   An offset is committed only after `handle` resolved. A rejection makes kafkajs fetch the same
 *   offset again after the retry backoff, before anything later of that partition. A member that
 *   dies, stops or misses its session timeout hands its partitions to the group's other members,
 *   which resume from the last committed offset (at-least-once).
 * - A new group starts from the earliest retained offset, so messages published before a group's
 *   first subscription are delivered to it.
 */
import { retrying } from '@bazaar/service';
import { subscriptionRegistry } from './subscriptions';
import { Kafka, Partitioners, logLevel as LogLevel, type Admin, type Consumer, type EachBatchPayload, type KafkaMessage, type Producer, type RetryOptions } from 'kafkajs';
import type { EventTransport, SubscribeOptions, Subscription, TransportMessage } from '../transport';

/** Header carrying the envelope id, so consumers and tools need not parse the value for it. */
export const EVENT_ID_HEADER = 'event-id';
/** The event type, so a group skips the types it ignores without parsing them. */
const EVENT_TYPE_HEADER = 'event-type';

export interface KafkaTransportOptions {
  brokers: string[];
  clientId: string;
  /** kafkajs log level; default WARN (handler failures and connection errors are logged at ERROR). */
  logLevel?: LogLevel;
  /**
   * Producer, consumer and connection retries. The default backs off from 250 ms to 3 s over 20
   * retries, so a send blocks through roughly 50 s of broker outage and resumes within 3 s of the
   * broker's return; it is also the redelivery backoff after a handler rejection.
   */
  retry?: RetryOptions;
  connectionTimeout?: number;
  requestTimeout?: number;
  /** A member that neither heartbeats nor finishes a message within this is replaced (default 30 s). */
  sessionTimeout?: number;
  heartbeatInterval?: number;
  rebalanceTimeout?: number;
  /** Partitions one member handles side by side, each still in offset order (default 8). */
  partitionsConsumedConcurrently?: number;
  /** Most messages of a partition handed to a subscriber's handleBatch at once (default 50). */
  maxBatchSize?: number;
  /** Fetch long-poll; bounds how long stop()/close() wait for an idle fetch (default 100 ms). */
  maxWaitTimeInMs?: number;
  /**
   * How long Subscription.stop() waits for a running handler before abandoning it, as a crash
   * would: its offset stays uncommitted so the message goes to the next owner of the partition.
   * Default 5 s.
   */
  stopGraceMs?: number;
  logger?: Pick<Console, 'error'>;
}

const DEFAULT_RETRY: RetryOptions = { initialRetryTime: 250, maxRetryTime: 3_000, retries: 20 };

/**
 * kafkajs gives up on a consumer for good after a TypeError/RangeError/... thrown by eachMessage,
 * and a handler bug must not kill the subscription: every handler failure is wrapped in this, which
 * kafkajs treats as retriable (re-fetch the same offset after backoff, restart the consumer when the
 * retries run out).
 */
export class EventHandlerError extends Error {
  override readonly name = 'EventHandlerError';
  readonly retriable = true;
}

export function createKafkaTransport(options: KafkaTransportOptions): EventTransport {
  if (options.brokers.length === 0) throw new Error('createKafkaTransport: brokers must not be empty');
  const retry = options.retry ?? DEFAULT_RETRY;
  const logger = options.logger ?? console;
  const stopGraceMs = options.stopGraceMs ?? 5_000;

  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: options.logLevel ?? LogLevel.WARN,
    connectionTimeout: options.connectionTimeout ?? 3_000,
    requestTimeout: options.requestTimeout ?? 30_000,
    retry,
  });

  const producer: Producer = kafka.producer({
    // Not idempotent: librdkafka's mock cluster (our test broker) cannot serve it, and the
    // consumers de-duplicate by envelope id anyway. Ordering under retries comes from
    // maxInFlightRequests: 1 instead.
    idempotent: false,
    maxInFlightRequests: 1,
    // Topics are created by ops/compose (tests: by the mock); a typo must not create a topic.
    allowAutoTopicCreation: false,
    // murmur2 like the Java client, so other clients agree on key -> partition.
    createPartitioner: Partitioners.DefaultPartitioner,
    retry,
  });

  let producerConnected: Promise<void> | undefined;
  // Only for lag readings (the metrics scrape), connected on first use.
  let admin: Admin | undefined;
  let adminConnected: Promise<void> | undefined;
  const connectProducer = (): Promise<void> => {
    producerConnected ??= producer.connect().catch((error: unknown) => {
      producerConnected = undefined; // let the next publish try again
      throw error;
    });
    return producerConnected;
  };

  // One publish at a time: two concurrent sends could be retried in either order.
  let publishTail: Promise<unknown> = Promise.resolve();
  const subscriptions = subscriptionRegistry();
  let closed = false;

  async function send(messages: readonly TransportMessage[]): Promise<void> {
    await connectProducer();
    const byTopic = new Map<string, TransportMessage[]>();
    for (const message of messages) {
      const list = byTopic.get(message.topic) ?? [];
      list.push(message);
      byTopic.set(message.topic, list);
    }
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, list]) => ({
        topic,
        messages: list.map((m) => ({ key: m.key, value: m.value, headers: { [EVENT_ID_HEADER]: m.id, ...(m.type ? { [EVENT_TYPE_HEADER]: m.type } : {}) } })),
      })),
    });
  }

  return {
    kind: 'kafka',

    publish(messages) {
      if (closed) return Promise.reject(new Error('kafka transport is closed'));
      if (messages.length === 0) return Promise.resolve();
      const run = publishTail.then(() => send(messages));
      publishTail = run.catch(() => undefined);
      return run;
    },

    async subscribe(subscribeOptions) {
      if (closed) throw new Error('kafka transport is closed');
      const subscription = await subscribeConsumer(kafka, subscribeOptions, options, retry, stopGraceMs, logger);
      return subscriptions.track(subscription);
    },

    async lag(group, topics) {
      admin ??= kafka.admin({ retry: { retries: 1 } });
      adminConnected ??= admin.connect().catch((error: unknown) => {
        adminConnected = undefined;
        throw error;
      });
      await adminConnected;
      let behind = 0;
      for (const { topic, partitions } of await admin.fetchOffsets({ groupId: group, topics: [...topics] })) {
        const ends = new Map((await admin.fetchTopicOffsets(topic)).map(({ partition, high }) => [partition, Number(high)]));
        // A partition the group never committed on counts from its start (-1): all of it is waiting.
        for (const { partition, offset } of partitions) behind += Math.max(0, (ends.get(partition) ?? 0) - Math.max(0, Number(offset)));
      }
      return behind;
    },

    async close() {
      if (closed) return;
      closed = true;
      await subscriptions.stopAll();
      await publishTail;
      await adminConnected?.then(() => admin?.disconnect()).catch(() => {});
      await producer.disconnect();
    },
  };
}

async function subscribeConsumer(
  kafka: Kafka,
  { group, topics, handle, handleBatch, joinInBackground }: SubscribeOptions,
  options: KafkaTransportOptions,
  retry: RetryOptions,
  stopGraceMs: number,
  logger: Pick<Console, 'error'>,
): Promise<Subscription> {
  // Rejected when stop() gives up waiting for a running handler: eachMessage then fails without
  // resolving the offset, exactly as if the process had died mid-handle.
  let abandon: (reason: Error) => void = () => {};
  const abandoned = new Promise<never>((_, reject) => {
    abandon = reject;
  });
  abandoned.catch(() => {});

  let stopped = false;
  let isJoined = false;
  let current: Consumer | undefined;
  let restartTimer: NodeJS.Timeout | undefined;

  /** Runs a handler to its end, or until stop() abandons it; any failure becomes retriable for kafkajs. */
  const settle = async (work: () => Promise<void>, what: string): Promise<void> => {
    const handled = Promise.resolve().then(work);
    try {
      await Promise.race([handled, abandoned]);
    } catch (error) {
      handled.catch(() => {}); // an abandoned handler may still fail later; nobody listens then
      throw new EventHandlerError(`handler failed for ${what}`, { cause: error });
    }
  };

  const maxBatchSize = options.maxBatchSize ?? 50;
  /**
   * A partition's fetched messages, in offset order: in chunks through handleBatch (one
   * transaction each), or one by one when there is no handleBatch or a chunk is refused. An offset
   * is resolved only once its message is applied, so a failure resumes exactly there, as with
   * eachMessage (kafkajs commits the resolved offsets and fetches from the first unresolved one).
   */
  const eachBatch = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> => {
    const { topic } = batch;
    for (let start = 0; start < batch.messages.length; start += maxBatchSize) {
      const chunk = batch.messages.slice(start, start + maxBatchSize);
      if (!isRunning() || isStale()) return;
      if (handleBatch && chunk.length > 1) {
        const last = chunk[chunk.length - 1]!.offset;
        const applied = await settle(() => handleBatch(chunk.map((message) => toTransportMessage(topic, message))), `${topic} offsets ${chunk[0]!.offset}-${last}`).then(
          () => true,
          (error: unknown) => {
            if (stopped) throw error;
            return false;
          },
        );
        if (applied) {
          resolveOffset(last);
          await heartbeat();
          continue;
        }
      }
      for (const message of chunk) {
        if (!isRunning() || isStale()) return;
        await settle(() => handle(toTransportMessage(topic, message)), `${topic} offset ${message.offset}`);
        resolveOffset(message.offset);
        await heartbeat();
      }
    }
  };

  /** One kafkajs consumer, resolved once it has joined the group. */
  const startConsumer = async (): Promise<void> => {
    if (stopped) return;
    const consumer = kafka.consumer({
      groupId: group,
      sessionTimeout: options.sessionTimeout ?? 30_000,
      heartbeatInterval: options.heartbeatInterval ?? 3_000,
      rebalanceTimeout: options.rebalanceTimeout ?? 60_000,
      maxWaitTimeInMs: options.maxWaitTimeInMs ?? 100,
      allowAutoTopicCreation: false,
      retry,
    });
    current = consumer;
    let joinedOnce = false;
    const joined = new Promise<void>((resolve, reject) => {
      consumer.on(consumer.events.GROUP_JOIN, () => {
        joinedOnce = true;
        isJoined = true;
        resolve();
      });
      consumer.on(consumer.events.REBALANCING, () => (isJoined = false));
      consumer.on(consumer.events.CRASH, (event) => {
        if (event.payload.restart) return; // kafkajs rejoins by itself
        // kafkajs gives up on errors it deems fatal (e.g. the mock's occasional INVALID_REQUEST
        // during a join); a consumer that silently stops consuming is worse than a restart.
        if (!joinedOnce) {
          reject(event.payload.error);
          return;
        }
        logger.error(`kafka consumer of group ${group} crashed; restarting it`, event.payload.error);
        scheduleRestart();
      });
    });
    joined.catch(() => {});
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [...topics], fromBeginning: true });
      await consumer.run({ eachBatch, eachBatchAutoResolve: false, partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 8 });
      // Resolve only once this member has joined, so a caller knows it is live (and tests can
      // count on partitions being assigned).
      await joined;
      if (stopped) await consumer.disconnect(); // a restart that raced with stop()
    } catch (error) {
      await consumer.disconnect().catch(() => {});
      throw error;
    }
  };

  const startWithRetries = (): Promise<void> =>
    retrying(startConsumer, {
      retryIf: () => !stopped,
      maxAttempts: 3,
      initialDelayMs: 1_000,
      maxDelayMs: 1_000,
      onRetry: (error, attempt) => logger.error(`kafka consumer of group ${group} failed to start (attempt ${attempt}); retrying`, error),
    });

  function scheduleRestart(): void {
    if (stopped) return;
    restartTimer = setTimeout(() => {
      startWithRetries().catch((error: unknown) => {
        logger.error(`kafka consumer of group ${group} could not restart; trying again`, error);
        scheduleRestart();
      });
    }, 1_000);
  }

  if (joinInBackground) {
    void startWithRetries().catch((error: unknown) => {
      logger.error(`kafka consumer of group ${group} could not join yet; trying again`, error);
      scheduleRestart();
    });
  } else {
    await startWithRetries();
  }

  let stopping: Promise<void> | undefined;
  return {
    joined: () => isJoined && !stopped,
    stop() {
      stopping ??= (async () => {
        stopped = true;
        clearTimeout(restartTimer);
        const timer = setTimeout(() => abandon(new Error('subscription stopped before the handler finished')), stopGraceMs);
        try {
          // Waits for the running eachMessage (or its abandonment), commits resolved offsets, leaves the group.
          await current?.disconnect();
        } finally {
          clearTimeout(timer);
        }
      })();
      return stopping;
    },
  };
}

function toTransportMessage(topic: string, message: KafkaMessage): TransportMessage {
  const header = (name: string) => {
    const value = message.headers?.[name];
    return (Array.isArray(value) ? value[0] : value)?.toString();
  };
  const type = header(EVENT_TYPE_HEADER);
  return {
    topic,
    key: message.key?.toString() ?? '',
    id: header(EVENT_ID_HEADER) ?? '',
    value: message.value?.toString() ?? '',
    ...(type ? { type } : {}),
  };
}
