import type DataLoader from 'dataloader';
import type { RequestContext } from '@bazaar/service';
import type { Payments } from './domain/payments';
import type { Payouts } from './domain/payouts';
import type { Statements } from './domain/statements';
import type { Payment, PaymentTransaction, Payout } from './generated/prisma/client';

export interface PaymentsContext extends RequestContext {
  payments: Payments;
  /** Balances, statements, payouts and the marketplace's commission. */
  statements: Statements;
  /** The payout run (runPayouts). */
  payouts: Payouts;
  /** The payment shown as Order.payment, per order id, in one query per request. */
  paymentByOrder: DataLoader<string, Payment | null>;
  /** A payment's transactions, oldest first, in one query per request. */
  transactionsByPayment: DataLoader<string, PaymentTransaction[]>;
  /** LedgerEntry.payout, in one query per request. */
  payoutById: DataLoader<string, Payout | null>;
}
