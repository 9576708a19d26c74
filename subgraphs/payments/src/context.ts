import type DataLoader from 'dataloader';
import type { RequestContext } from '@bazaar/service';
import type { Payments } from './domain/payments';
import type { Payment, PaymentTransaction } from './generated/prisma/client';

export interface PaymentsContext extends RequestContext {
  payments: Payments;
  /** The payment shown as Order.payment, per order id, in one query per request. */
  paymentByOrder: DataLoader<string, Payment | null>;
  /** A payment's transactions, oldest first, in one query per request. */
  transactionsByPayment: DataLoader<string, PaymentTransaction[]>;
}
