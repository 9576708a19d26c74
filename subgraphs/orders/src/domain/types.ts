import type { Fulfilment, Order, OrderLine, OrderStatusChange } from '../generated/prisma/client';

/** An order with everything resolvers read, loaded at once. */
export type OrderRecord = Order & { lines: OrderLine[]; history: OrderStatusChange[]; fulfilments: Fulfilment[] };

/**
 * An order as one viewer may see it: all of it (its buyer, admins), or only one seller's part
 * (`sellerId` set: their lines and fulfilment, no total).
 */
export interface OrderModel {
  record: OrderRecord;
  sellerId: string | null;
}

export interface StockRejectionModel {
  listingId: string;
  reason: 'NOT_FOUND' | 'NOT_ACTIVE' | 'INSUFFICIENT_STOCK' | 'MIXED_CURRENCIES' | 'OWN_LISTING';
  available: number;
}

/**
 * Entities other subgraphs resolve: orders only knows their ids.
 * @mapper
 */
export interface EntityReference {
  id: string;
}
