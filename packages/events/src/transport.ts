/** One message as the broker carries it: the serialised envelope under its topic and key. */
export interface TransportMessage {
  topic: string;
  /** Partition/ordering key: the aggregate id. */
  key: string;
  /** The envelope's id, for logs and de-duplication downstream. */
  id: string;
  /** The envelope as JSON. */
  value: string;
  /**
   * The envelope's event type, when the publisher knows it: a transport may then hand the message
   * only to the groups that handle the type (see SubscribeOptions.types). Without it, every group gets it.
   */
  type?: string;
}

export interface SubscribeOptions {
  /** Consumer group: each message of each topic goes to one member of every group. */
  group: string;
  topics: readonly string[];
  /**
   * The event types the group handles. A transport may leave messages of other types out of the
   * group's stream (they would only be acknowledged unread); without it the group gets every
   * message of its topics. The set a transport keeps only grows (members of two versions of a
   * service may run side by side during a deploy), see docs/events.md.
   */
  types?: readonly string[];
  /**
   * Called for each message, one at a time per key, in publication order per key. When it rejects
   * or the process dies before it resolves, the message is delivered again (at-least-once).
   */
  handle(message: TransportMessage): Promise<void>;
  /**
   * Optional: applies several messages at once (distinct keys, or one key's in order), all or
   * nothing. A transport with a backlog may hand it what it fetched together instead of calling
   * `handle` for each; when it rejects, the transport calls `handle` for each of those messages.
   */
  handleBatch?(messages: readonly TransportMessage[]): Promise<void>;
  /**
   * Resolve as soon as the subscription is registered and join the group in the background,
   * retrying until it succeeds or the subscription is stopped. A service then serves queries while
   * Kafka waits out a dead member's session timeout (30 s or more) before it lets it rejoin.
   * Nothing is missed meanwhile: the group resumes from its committed offsets.
   */
  joinInBackground?: boolean;
}

export interface Subscription {
  /** Stops receiving; messages not yet handled stay for the group's other members or the next start. */
  stop(): Promise<void>;
  /** Whether this member has joined its group and receives messages (always, where joining is immediate). */
  joined?(): boolean;
}

/** The broker, behind the smallest interface the outbox relay and the consumers need. */
export interface EventTransport {
  readonly kind: 'kafka' | 'postgres';
  /** Resolves once the broker has durably accepted every message, keeping their order per key. */
  publish(messages: readonly TransportMessage[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Messages of `topics` that `group` has not yet handled (the consumer lag metric). */
  lag?(group: string, topics: readonly string[]): Promise<number>;
  close(): Promise<void>;
}
