import type DataLoader from 'dataloader';
import type { RequestContext } from '@bazaar/service';
import type { Orders } from './domain/orders';
import type { OrderRecord } from './domain/types';

export interface OrdersContext extends RequestContext {
  orders: Orders;
  /** Every order a request asks for by id (entity references included), in one round of queries. */
  ordersById: DataLoader<string, OrderRecord | null>;
}
