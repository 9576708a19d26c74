import { amountFromColumn, DateTime, notFound, requireViewer, viewerOrNull } from '@bazaar/service';
import { Orders } from '../domain/orders';
import type { OrderStatus } from '../domain/order-state';
import type { OrderModel, StockRejectionModel } from '../domain/types';
import type { FulfilmentStatus, Resolvers, ShippingAddress } from '../generated/graphql';
import type { OrdersContext } from '../context';

const money = (amount: bigint | number | null, currency: string | null) => (amount === null || currency === null ? null : { amount: amountFromColumn(amount), currency });

/** An order, loaded through the request's DataLoader, as the viewer may see it (null: not at all). */
async function visibleOrder(id: string, { auth, ordersById }: OrdersContext): Promise<OrderModel | null> {
  const viewer = viewerOrNull(auth);
  const record = await ordersById.load(id);
  return viewer && record ? Orders.viewOf(viewer, record) : null;
}

export const resolvers: Resolvers = {
  DateTime,
  Query: {
    // Anonymous callers: UNAUTHENTICATED; anyone who may not see the order: NOT_FOUND, as for an unknown id.
    order: async (_root, { id }, context) => {
      requireViewer(context.auth);
      const order = await visibleOrder(id, context);
      if (!order) throw notFound('No order with this id.');
      return order;
    },
    sellerOrders: (_root, args, { auth, orders }) => orders.ofSeller(auth, args),
  },
  Mutation: {
    placeOrder: async (_root, { input, idempotencyKey, awaitStock }, { auth, orders }) => ({
      order: { record: await orders.place(auth, input, idempotencyKey, { awaitStock: awaitStock === true }), sellerId: null },
    }),
    cancelOrder: async (_root, args, { auth, orders }) => ({ order: { record: await orders.cancel(auth, args), sellerId: null } }),
    shipFulfilment: async (_root, args, { auth, orders }) => {
      const record = await orders.ship(auth, args);
      return { order: Orders.viewOf(requireViewer(auth), record)! };
    },
    confirmDelivery: async (_root, { orderId }, { auth, orders }) => ({ order: { record: await orders.confirmDelivery(auth, orderId), sellerId: null } }),
  },
  User: {
    __resolveReference: (reference) => ({ id: reference.id }),
    // Only the user themself reads their orders; for anyone else (admins included) null.
    orders: (user, args, { auth, orders }) => (viewerOrNull(auth)?.id === user.id ? orders.ofBuyer(user.id, args) : null),
  },
  Order: {
    __resolveReference: (reference, context) => visibleOrder(reference.id, context),
    id: ({ record }) => record.id,
    buyer: ({ record }) => ({ __typename: 'User', id: record.buyerId }),
    lines: ({ record, sellerId }) => (sellerId ? record.lines.filter((line) => line.sellerId === sellerId) : record.lines),
    total: ({ record, sellerId }) => (sellerId ? null : money(record.totalAmount, record.currency)),
    status: ({ record }) => record.status as OrderStatus,
    statusHistory: ({ record }) => record.history,
    fulfilments: ({ record, sellerId }) => (sellerId ? record.fulfilments.filter((fulfilment) => fulfilment.sellerId === sellerId) : record.fulfilments),
    rejectionReasons: ({ record }) => (record.rejectionReasons as StockRejectionModel[] | null) ?? [],
    paymentFailureReason: ({ record }) => (record.status === 'AWAITING_PAYMENT' ? record.paymentFailureReason : null),
    shippingAddress: ({ record }) => record.shippingAddress as unknown as ShippingAddress,
    createdAt: ({ record }) => record.createdAt,
    expiresAt: ({ record }) => record.expiresAt,
  },
  OrderLine: {
    listing: (line) => ({ __typename: 'Listing', id: line.listingId }),
    book: (line) => (line.bookId ? { __typename: 'Book', id: line.bookId } : null),
    seller: (line) => (line.sellerId ? { __typename: 'User', id: line.sellerId } : null),
    unitPrice: (line) => money(line.unitAmount, line.currency),
    lineTotal: (line) => money(line.unitAmount === null ? null : line.unitAmount * line.quantity, line.currency),
  },
  OrderStatusChange: {
    status: (change) => change.status as OrderStatus,
  },
  Fulfilment: {
    seller: (fulfilment) => ({ __typename: 'User', id: fulfilment.sellerId }),
    status: (fulfilment) => fulfilment.status as FulfilmentStatus,
  },
  StockRejection: {
    listing: (rejection) => ({ __typename: 'Listing', id: rejection.listingId }),
  },
};
