import { amountFromColumn, DateTime, hasRole, requireRole, viewerOrNull } from '@bazaar/service';
import type { Resolvers } from '../generated/graphql';

const money = (amount: bigint, currency: string) => ({ amount: amountFromColumn(amount), currency });

export const resolvers: Resolvers = {
  DateTime,
  Query: {
    payment: (_root, { id }, { auth, payments }) => payments.byId(auth, id),
    marketplaceCommission: (_root, _args, { auth, statements }) => statements.commissionEarned(auth),
  },
  Mutation: {
    payOrder: async (_root, { input }, { auth, payments }) => ({ payment: await payments.pay(auth, input) }),
    runPayouts: (_root, _args, { auth, payouts }) => {
      requireRole(auth, 'ADMIN');
      return payouts.run();
    },
  },
  Order: {
    __resolveReference: (reference) => ({ __typename: 'Order', id: reference.id }),
    // Only the buyer and admins see how an order was paid.
    payment: async (order, _args, { auth, paymentByOrder }) => {
      const payment = await paymentByOrder.load(order.id);
      const viewer = viewerOrNull(auth);
      return payment && (payment.buyerId === viewer?.id || hasRole(viewer, 'ADMIN')) ? payment : null;
    },
  },
  User: {
    __resolveReference: (reference) => ({ id: reference.id }),
    balance: (user, _args, { auth, statements }) => statements.balance(auth, user.id),
    ledger: (user, args, { auth, statements }) => statements.ledger(auth, user.id, args),
    payouts: (user, args, { auth, statements }) => statements.payouts(auth, user.id, args),
  },
  Payment: {
    order: (payment) => ({ __typename: 'Order', id: payment.orderId }),
    amount: (payment) => money(payment.amount, payment.currency),
    status: (payment) => payment.status as 'PENDING',
    failureCode: (payment) => payment.failureCode as 'CARD_DECLINED' | null,
    refundedAmount: (payment) => money(payment.refundedAmount, payment.currency),
    transactions: (payment, _args, { transactionsByPayment }) => transactionsByPayment.load(payment.id),
  },
  PaymentTransaction: {
    kind: (transaction) => transaction.kind as 'CAPTURE',
    amount: (transaction) => money(transaction.amount, transaction.currency),
  },
  LedgerEntry: {
    kind: (entry) => entry.transaction.kind as 'SALE',
    account: (entry) => entry.account.kind as 'PENDING',
    amount: (entry) => money(entry.amount, entry.currency),
    balanceAfter: (entry) => money(entry.balanceAfter, entry.currency),
    description: (entry) => entry.transaction.description,
    order: (entry) => (entry.orderId ? { __typename: 'Order', id: entry.orderId } : null),
    payout: (entry, _args, { payoutById }) => (entry.payoutId ? payoutById.load(entry.payoutId) : null),
  },
  Payout: {
    amount: (payout) => money(payout.amount, payout.currency),
    seller: (payout) => ({ id: payout.sellerId }),
  },
};
