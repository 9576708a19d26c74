import { useMutation, useQuery } from '@apollo/client/react';
import { MyCartDocument, OrderTrackingDocument, PayOrderDocument, PlaceOrderDocument, type ShippingAddressInput } from '@bazaar/example-client';
import { type FormEvent, useState } from 'react';
import { errorMessage, formatMoney, formatTotals, humanize } from '../format';
import { href } from '../route';

/** The test provider's cards (docs/checkout.md): only tok_visa succeeds. */
const TEST_CARDS = [
  { token: 'tok_visa', label: 'Visa (succeeds)' },
  { token: 'tok_chargeDeclined', label: 'Declined card' },
  { token: 'tok_insufficientFunds', label: 'Insufficient funds' },
];
/** Statuses after which the saga no longer changes the order by itself. */
const SETTLED = ['PAID', 'PARTIALLY_SHIPPED', 'SHIPPED', 'DELIVERED', 'CANCELLED', 'REJECTED', 'EXPIRED', 'REFUNDED'];

const field = (name: keyof ShippingAddressInput, label: string, autoComplete: string) => ({ name, label, autoComplete });
const ADDRESS_FIELDS = [
  field('name', 'Full name', 'name'),
  field('line1', 'Street and number', 'address-line1'),
  field('postalCode', 'Postal code', 'postal-code'),
  field('city', 'City', 'address-level2'),
  field('country', 'Country (2 letters)', 'country'),
];

export function CheckoutPage() {
  const { data } = useQuery(MyCartDocument);
  const cart = data?.me?.cart;
  const [orderId, setOrderId] = useState<string | null>(null);
  // One key per checkout attempt: a double click or a retry after a network error places one order.
  const [idempotencyKey] = useState(() => crypto.randomUUID());
  const [place, placing] = useMutation(PlaceOrderDocument);

  if (orderId) return <Payment orderId={orderId} />;
  if (!cart) return <p aria-live="polite">Loading…</p>;
  if (cart.items.length === 0) return <p>Your cart is empty.</p>;

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const value = (name: keyof ShippingAddressInput) => String(form.get(name) ?? '');
    const shippingAddress = { name: value('name'), line1: value('line1'), postalCode: value('postalCode'), city: value('city'), country: value('country') };
    const items = cart.items.map((item) => ({ listingId: item.listing.id, quantity: item.quantity }));
    void place({ variables: { input: { items, shippingAddress }, idempotencyKey } })
      .then((result) => setOrderId(result.data?.placeOrder.order.id ?? null))
      .catch(() => undefined);
  };
  return (
    <section aria-labelledby="checkout-heading">
      <h1 id="checkout-heading">Checkout</h1>
      <p>
        {cart.itemCount} items, {formatTotals(cart.subtotal)}
      </p>
      <form className="stacked" onSubmit={submit} aria-label="Shipping address">
        {ADDRESS_FIELDS.map(({ name, label, autoComplete }) => (
          <label key={name}>
            {label} <input name={name} required autoComplete={autoComplete} />
          </label>
        ))}
        <button type="submit" disabled={placing.loading}>
          Place order
        </button>
        {placing.error && <p role="alert">{placing.error.message}</p>}
      </form>
    </section>
  );
}

/** Pays the order and follows its status live while the saga runs (stock reservation, payment). */
function Payment({ orderId }: { orderId: string }) {
  const [card, setCard] = useState('tok_visa');
  const [failure, setFailure] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const tracking = useQuery(OrderTrackingDocument, { variables: { id: orderId }, pollInterval: 1000 });
  const [pay, paying] = useMutation(PayOrderDocument);
  const order = tracking.data?.order;
  if (order && SETTLED.includes(order.status)) tracking.stopPolling();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFailure(null);
    pay({ variables: { input: { orderId, paymentMethodToken: card, idempotencyKey: `${orderId}-${card}-${attempt}` } } })
      .then((result) => {
        const payment = result.data?.payOrder.payment;
        if (payment?.status === 'FAILED') setFailure(payment.failureReason ?? 'The payment failed.');
        setAttempt(attempt + 1);
        tracking.startPolling(1000);
      })
      .catch((error: unknown) => setFailure(errorMessage(error)));
  };
  return (
    <section aria-labelledby="pay-heading">
      <h1 id="pay-heading">Payment</h1>
      <p>
        Order status: <strong data-testid="order-status" aria-live="polite">{order ? humanize(order.status) : '…'}</strong>
        {order && <> · total {formatMoney(order.total)}</>}
      </p>
      {order?.status === 'AWAITING_PAYMENT' && (
        <form className="inline-form" onSubmit={submit} aria-label="Pay">
          <label>
            Test card{' '}
            <select value={card} onChange={(event) => setCard(event.target.value)}>
              {TEST_CARDS.map(({ token, label }) => (
                <option key={token} value={token}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={paying.loading}>
            Pay now
          </button>
        </form>
      )}
      {order?.status === 'PENDING' && <p>Reserving your copies…</p>}
      {failure && <p role="alert">{failure}</p>}
      {order && SETTLED.includes(order.status) && (
        <p>
          <a href={href.order(orderId)}>Track this order</a>
        </p>
      )}
    </section>
  );
}
