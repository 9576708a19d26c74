import { amountFromColumn, DateTime, hasRole, viewerOrNull } from '@bazaar/service';
import type { Resolvers } from '../generated/graphql';

const money = (amount: bigint, currency: string) => ({ amount: amountFromColumn(amount), currency });

export const resolvers: Resolvers = {
  DateTime,
  Query: {
    payment: (_root, { id }, { auth, payments }) => payments.byId(auth, id),
  },
  Mutation: {
    payOrder: async (_root, { input }, { auth, payments }) => ({ payment: await payments.pay(auth, input) }),
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
};
