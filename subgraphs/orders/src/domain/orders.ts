import {
  badUserInput,
  CommitWaits,
  conflict,
  connectionOf,
  cursorValue,
  decodeCursor,
  encodeCursor,
  forbidden,
  hasRole,
  notFound,
  pageArgs,
  parseInput,
  requireViewer,
  type AuthState,
  type LeanReader,
  type LeanTransactions,
  type RawSql,
  type Viewer,
} from '@bazaar/service';
import { type Outbox } from '@bazaar/events';
import { OrderCancelled, OrderDelivered, OrderPlaced } from '@bazaar/contracts/orders';
import { z } from 'zod';
import type { Prisma, PrismaClient } from '../generated/prisma/client';
import { note, ORDER_STATUSES, shippingStatus, transition, UNPAID, type OrderStatus, type StatusChange } from './order-state';
import { cancelOrderInput, idempotencyKey, isOrderId, placeOrderInput, requestHash, shipFulfilmentInput } from './rules';
import { changeStatusStatement, readOrders, type StatusData } from './statements';
import type { OrderModel, OrderRecord } from './types';

export type Tx = Prisma.TransactionClient;

const WITH_EVERYTHING = {
  lines: { orderBy: { position: 'asc' } },
  history: { orderBy: [{ at: 'asc' }, { id: 'asc' }] },
  fulfilments: { orderBy: { sellerId: 'asc' } },
} as const satisfies Prisma.OrderInclude;

const NO_ORDER = 'No order with this id.';
const listArgs = z.object({ first: z.number().nullish(), after: z.string().nullish(), status: z.enum(ORDER_STATUSES).nullish() });

/** Orders are listed newest first: by id descending, ids being UUIDv7. */
const ORDER_LIST = 'orders:NEWEST';

/**
 * placeOrder requests of this process waiting for the catalog's answer on their order (see
 * Orders.place): a status change wakes the order's waiters once its transaction commits.
 */
const statusChanges = new CommitWaits();

/**
 * Moves a locked order to `to` through the state machine, appending the history entry in the same
 * statement. The UPDATE is guarded by the status it was read in, so a transition never
 * overwrites a status it did not see.
 */
export async function changeStatus(tx: RawSql, order: { id: string; status: string }, to: OrderStatus, options: { reason?: string | null; at?: Date; data?: StatusData } = {}): Promise<StatusChange> {
  const change = transition(order.status, to, options);
  const updated = await tx.$executeRaw(changeStatusStatement(order.id, order.status, change, options.data));
  if (updated !== 1) throw new Error(`order ${order.id} changed while it was locked`);
  order.status = to;
  statusChanges.moved(order.id);
  return change;
}

/** Appends a history entry that leaves the status as it is (see `note`). */
export async function addNote(tx: RawSql, order: { id: string; status: string }, reason: string): Promise<void> {
  const entry = note(order.status, reason);
  await tx.$executeRaw`
    INSERT INTO order_status_changes (id, order_id, status, at, reason) VALUES (uuidv7(), ${order.id}::uuid, ${entry.status}, ${entry.at}, ${entry.reason})`;
}

/** Locks an order's row for the rest of the transaction and reads it with everything; null when there is none. */
async function lockOrder(tx: Tx, id: string): Promise<OrderRecord | null> {
  if (!isOrderId(id)) return null;
  const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM orders WHERE id = ${id}::uuid FOR UPDATE`;
  if (locked.length === 0) return null;
  return (await readInTransaction(tx, [id]))[0] ?? null;
}

/** What the checkout saga's handlers read of an order: its lines and the fields they decide by. */
export type SagaOrder = Pick<OrderRecord, 'id' | 'buyerId' | 'status' | 'totalAmount' | 'currency' | 'paymentId' | 'expiresAt' | 'lines'>;

/**
 * lockOrder for the saga's hot handlers: the lock and the read in one statement instead of five
 * (each a round trip on the event's path, and Prisma's interpreter was a fifth of a handler's CPU).
 */
export async function lockOrderForSaga(tx: RawSql, id: string): Promise<SagaOrder | null> {
  if (!isOrderId(id)) return null;
  const [order] = await tx.$queryRaw<SagaOrder[]>`
    SELECT o.id, o.buyer_id AS "buyerId", o.status, o.total_amount AS "totalAmount", o.currency, o.payment_id AS "paymentId", o.expires_at AS "expiresAt",
           COALESCE((SELECT json_agg(json_build_object('id', l.id, 'orderId', l.order_id, 'position', l.position, 'listingId', l.listing_id,
                                                       'quantity', l.quantity, 'bookId', l.book_id, 'sellerId', l.seller_id,
                                                       'unitAmount', l.unit_amount, 'currency', l.currency) ORDER BY l.position)
                       FROM order_lines l WHERE l.order_id = o.id), '[]') AS lines
      FROM orders o WHERE o.id = ${id}::uuid
       FOR UPDATE OF o`;
  return order ?? null;
}

/**
 * Orders with everything, read inside a transaction one statement at a time: Prisma would load an
 * `include`'s relations concurrently, which one transaction's connection can only queue.
 */
async function readInTransaction(tx: Tx, ids: string[]): Promise<OrderRecord[]> {
  const orders = await tx.order.findMany({ where: { id: { in: ids } } });
  const lines = await tx.orderLine.findMany({ where: { orderId: { in: ids } }, orderBy: WITH_EVERYTHING.lines.orderBy });
  const history = await tx.orderStatusChange.findMany({ where: { orderId: { in: ids } }, orderBy: WITH_EVERYTHING.history.orderBy });
  const fulfilments = await tx.fulfilment.findMany({ where: { orderId: { in: ids } }, orderBy: WITH_EVERYTHING.fulfilments.orderBy });
  return orders.map((order) => ({
    ...order,
    lines: lines.filter(({ orderId }) => orderId === order.id),
    history: history.filter(({ orderId }) => orderId === order.id),
    fulfilments: fulfilments.filter(({ orderId }) => orderId === order.id),
  }));
}

export const cancelledLines = (order: Pick<OrderRecord, 'lines'>) => order.lines.map(({ listingId, quantity }) => ({ listingId, quantity }));

/** A line as OrderPaid and OrderDelivered carry it: priced by the catalog, so seller and price are known. */
export const pricedLineOf = ({ listingId, bookId, sellerId, quantity, unitAmount, currency }: OrderRecord['lines'][number]) => ({
  listingId,
  bookId: bookId!,
  quantity,
  ...(sellerId && { sellerId }),
  ...(unitAmount !== null && currency && { unitPrice: { amount: unitAmount, currency } }),
});

/** Orders: placing, cancelling, shipping and delivering, each in one transaction with its events. */
export class Orders {
  constructor(
    private readonly db: PrismaClient,
    private readonly reader: LeanReader,
    /** placeOrder's transaction, past Prisma (it is on every checkout's path). */
    private readonly transactions: LeanTransactions,
    private readonly outbox: Outbox,
    private readonly settings: { paymentTtlSeconds: number; stockWaitMs: number },
  ) {}

  /** Orders by id with everything resolvers need (for the request's DataLoader). */
  async byIds(ids: readonly string[]): Promise<OrderRecord[]> {
    const valid = ids.filter(isOrderId);
    if (valid.length === 0) return [];
    return readOrders(this.reader, valid);
  }

  /**
   * Places an order for the viewer. The same idempotency key with the same (normalised) request
   * returns the order it placed; with another request, CONFLICT. Concurrent requests with one key
   * meet on the unique (buyer, key) index: one inserts, the other finds its order. With
   * `awaitStock`, it answers once the catalog decided (see awaitStock).
   */
  async place(auth: AuthState, rawInput: unknown, rawKey: unknown, options: { awaitStock?: boolean } = {}): Promise<OrderRecord> {
    const viewer = requireViewer(auth);
    const key = parseInput(idempotencyKey, rawKey);
    const input = parseInput(placeOrderInput, rawInput);
    const hash = requestHash(input);
    const placedAt = new Date();
    const expiresAt = new Date(placedAt.getTime() + this.settings.paymentTtlSeconds * 1000);

    const orderId = await this.transactions(async (tx) => {
      // The order, its lines and its first history entry in one statement.
      const [inserted] = await tx.$queryRaw<{ id: string }[]>`
        WITH placed AS (
          INSERT INTO orders (id, buyer_id, status, idempotency_key, request_hash, shipping_address, created_at, updated_at, expires_at)
          VALUES (uuidv7(), ${viewer.id}, 'PENDING', ${key}, ${hash}, ${JSON.stringify(input.shippingAddress)}::jsonb, ${placedAt}, ${placedAt}, ${expiresAt})
          ON CONFLICT (buyer_id, idempotency_key) DO NOTHING
          RETURNING id),
        lines AS (
          INSERT INTO order_lines (id, order_id, position, listing_id, quantity)
          SELECT uuidv7(), placed.id, item.position - 1, item.listing_id, item.quantity
            FROM placed, unnest(${input.items.map((item) => item.listingId)}::text[], ${input.items.map((item) => item.quantity)}::int[])
                         WITH ORDINALITY AS item(listing_id, quantity, position)),
        history AS (
          INSERT INTO order_status_changes (id, order_id, status, at) SELECT uuidv7(), placed.id, 'PENDING', ${placedAt} FROM placed)
        SELECT id FROM placed`;
      if (!inserted) {
        const [existing] = await tx.$queryRaw<{ id: string; requestHash: string }[]>`
          SELECT id, request_hash AS "requestHash" FROM orders WHERE buyer_id = ${viewer.id} AND idempotency_key = ${key}`;
        if (!existing) throw new Error('an order with this idempotency key vanished');
        if (existing.requestHash !== hash) {
          throw conflict('This idempotency key was already used for a different order; use a new key for a new order.', { orderId: existing.id });
        }
        return existing.id;
      }
      await this.outbox.add(tx, {
        definition: OrderPlaced,
        key: inserted.id,
        data: {
          orderId: inserted.id,
          buyerId: viewer.id,
          lines: input.items.map(({ listingId, quantity }) => ({ listingId, quantity })),
          placedAt: placedAt.toISOString(),
          expiresAt: expiresAt.toISOString(),
        },
      });
      return inserted.id;
    });
    if (options.awaitStock) return this.awaitStock(orderId);
    return (await this.byIds([orderId]))[0]!;
  }

  /**
   * The order once it left PENDING, or as it is after `stockWaitMs`. The decision is recorded by
   * this service's StockReserved or StockRejected handler: in this process its commit wakes the
   * wait at once; one recorded by another replica is found by the looks every 100–200 ms.
   */
  private awaitStock(orderId: string): Promise<OrderRecord> {
    return statusChanges.until(orderId, {
      waitMs: this.settings.stockWaitMs,
      look: async () => (await this.byIds([orderId]))[0]!,
      settled: (order) => order.status !== 'PENDING',
    });
  }

  /**
   * The buyer (or an admin) cancels: before payment the stock is released; after payment, before
   * any shipping, books restocks and payments refunds in full (then the order becomes REFUNDED).
   */
  async cancel(auth: AuthState, rawInput: unknown): Promise<OrderRecord> {
    const viewer = requireViewer(auth);
    const input = parseInput(cancelOrderInput, rawInput);
    return this.change(input.orderId, async (tx, order) => {
      if (order.buyerId !== viewer.id && !hasRole(viewer, 'ADMIN')) throw this.invisibleTo(viewer, order);
      const status = order.status as OrderStatus;
      if (['PARTIALLY_SHIPPED', 'SHIPPED', 'DELIVERED'].includes(status)) {
        throw badUserInput('This order has already been shipped and can no longer be cancelled.', { status });
      }
      if (status !== 'PAID' && !UNPAID.includes(status)) {
        throw badUserInput(`This order is ${status} and can no longer be cancelled.`, { status });
      }
      const stockCommitted = status === 'PAID';
      const reason = input.reason || (order.buyerId === viewer.id ? 'Cancelled by the buyer.' : 'Cancelled by an admin.');
      const at = new Date();
      await changeStatus(tx, order, 'CANCELLED', { reason, at, data: { cancelledAt: at, cancellationReason: reason } });
      await this.outbox.add(tx, {
        definition: OrderCancelled,
        key: order.id,
        data: { orderId: order.id, buyerId: order.buyerId, outcome: 'CANCELLED', reason, stockCommitted, lines: cancelledLines(order), cancelledAt: at.toISOString() },
      });
    });
  }

  /** The signed-in seller ships their part of a paid order. */
  async ship(auth: AuthState, rawInput: unknown): Promise<OrderRecord> {
    const viewer = requireViewer(auth);
    const input = parseInput(shipFulfilmentInput, rawInput);
    return this.change(input.orderId, async (tx, order) => {
      const fulfilment = order.fulfilments.find(({ sellerId }) => sellerId === viewer.id);
      if (!fulfilment) throw this.invisibleTo(viewer, order);
      if (order.status !== 'PAID' && order.status !== 'PARTIALLY_SHIPPED') {
        throw badUserInput(`Only a paid order can be shipped; this one is ${order.status}.`, { status: order.status });
      }
      if (fulfilment.status !== 'PENDING') throw badUserInput('You already shipped your part of this order.', { status: order.status });
      const shippedAt = new Date();
      await tx.fulfilment.update({ where: { id: fulfilment.id }, data: { status: 'SHIPPED', carrier: input.carrier, trackingNumber: input.trackingNumber, shippedAt } });
      fulfilment.status = 'SHIPPED';
      const next = shippingStatus(order.fulfilments);
      if (next !== order.status) await changeStatus(tx, order, next, { at: shippedAt, reason: `Shipped by ${viewer.id} with ${input.carrier}.` });
      else await addNote(tx, order, `Shipped by ${viewer.id} with ${input.carrier}.`);
    });
  }

  /** The buyer confirms a shipped order arrived: DELIVERED, and OrderDelivered for reviews. */
  async confirmDelivery(auth: AuthState, orderId: string): Promise<OrderRecord> {
    const viewer = requireViewer(auth);
    return this.change(orderId, async (tx, order) => {
      if (order.buyerId !== viewer.id) throw this.invisibleTo(viewer, order);
      if (order.status !== 'SHIPPED') throw badUserInput(`Only a shipped order can be confirmed as delivered; this one is ${order.status}.`, { status: order.status });
      const deliveredAt = new Date();
      await changeStatus(tx, order, 'DELIVERED', { at: deliveredAt, data: { deliveredAt } });
      await tx.fulfilment.updateMany({ where: { orderId: order.id }, data: { status: 'DELIVERED', deliveredAt } });
      await this.outbox.add(tx, {
        definition: OrderDelivered,
        key: order.id,
        data: {
          orderId: order.id,
          buyerId: order.buyerId,
          deliveredAt: deliveredAt.toISOString(),
          lines: order.lines.map(pricedLineOf),
        },
      });
    });
  }

  /**
   * Expires unpaid orders past their expiry, skipping rows another instance (or a payment) holds:
   * EXPIRED, and OrderCancelled (EXPIRED) so books releases the stock. Returns how many expired.
   */
  async expireDue(limit = 100): Promise<number> {
    return this.db.$transaction(async (tx) => {
      const due = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM orders WHERE status IN ('PENDING', 'AWAITING_PAYMENT') AND expires_at <= now()
        ORDER BY expires_at LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
      if (due.length === 0) return 0;
      const orders = await readInTransaction(tx, due.map(({ id }) => id));
      const at = new Date();
      const reason = 'Not paid in time.';
      for (const order of orders) {
        await changeStatus(tx, order, 'EXPIRED', { at, reason, data: { cancelledAt: at, cancellationReason: reason } });
        await this.outbox.add(tx, {
          definition: OrderCancelled,
          key: order.id,
          data: { orderId: order.id, buyerId: order.buyerId, outcome: 'EXPIRED', reason, stockCommitted: false, lines: cancelledLines(order), cancelledAt: at.toISOString() },
        });
      }
      return orders.length;
    });
  }

  /** The buyer's orders, newest first. */
  ofBuyer(buyerId: string, rawArgs: unknown) {
    const args = parseInput(listArgs, rawArgs);
    return this.page({ buyerId, ...(args.status ? { status: args.status } : {}) }, args, null);
  }

  /** Orders with the seller's lines (once reserved), newest first, showing only their part. */
  ofSeller(auth: AuthState, rawArgs: unknown) {
    const viewer = requireViewer(auth);
    if (!hasRole(viewer, 'SELLER')) throw forbidden('This requires the SELLER role.');
    const args = parseInput(listArgs, rawArgs);
    return this.page({ lines: { some: { sellerId: viewer.id } }, ...(args.status ? { status: args.status } : {}) }, args, viewer.id);
  }

  /** What `viewer` may see of an order: all of it, their part as a seller, or nothing (null). */
  static viewOf(viewer: Viewer, record: OrderRecord): OrderModel | null {
    if (record.buyerId === viewer.id || hasRole(viewer, 'ADMIN')) return { record, sellerId: null };
    if (record.lines.some(({ sellerId }) => sellerId === viewer.id)) return { record, sellerId: viewer.id };
    return null;
  }

  private async page(where: Prisma.OrderWhereInput, args: { first?: number | null; after?: string | null }, sellerId: string | null) {
    const page = pageArgs(args);
    const position = decodeCursor(page.after, ORDER_LIST, [cursorValue.uuid]);
    const [rows, totalCount] = await Promise.all([
      this.db.order.findMany({
        where: { ...where, ...(position ? { id: { lt: String(position[0]) } } : {}) },
        orderBy: { id: 'desc' },
        take: page.first + 1,
        include: WITH_EVERYTHING,
      }),
      this.db.order.count({ where }),
    ]);
    const connection = connectionOf(rows, page, (record) => encodeCursor(ORDER_LIST, [record.id]), (record): OrderModel => ({ record, sellerId }));
    return { ...connection, totalCount };
  }

  /** NOT_FOUND for anyone who may not see the order (its existence is not disclosed), FORBIDDEN for those who see it but may not act. */
  private invisibleTo(viewer: Viewer, order: OrderRecord) {
    return Orders.viewOf(viewer, order) ? forbidden('Only the buyer of this order can do this.') : notFound(NO_ORDER);
  }

  /** Runs one change on a locked order in one transaction (with its events); returns the order afterwards. */
  private async change(orderId: string, work: (tx: Tx, order: OrderRecord) => Promise<void>): Promise<OrderRecord> {
    await this.db.$transaction(async (tx) => {
      const order = await lockOrder(tx, orderId);
      if (!order) throw notFound(NO_ORDER);
      await work(tx, order);
    });
    return (await this.byIds([orderId]))[0]!;
  }
}
