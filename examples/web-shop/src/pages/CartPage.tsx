import { useMutation } from '@apollo/client/react';
import { RemoveFromCartDocument, UpdateCartItemDocument } from '@bazaar/example-client';
import { formatMoney, formatTotals, humanize } from '../format';
import { href } from '../route';
import { useAccount, useCart, useStore } from '../shop';

export function CartPage() {
  const { cart, loading } = useCart();
  const { user } = useAccount();
  const guestCartToken = useStore().guestCart();
  const token = user ? {} : guestCartToken ? { guestCartToken } : {};
  const [update] = useMutation(UpdateCartItemDocument);
  const [remove] = useMutation(RemoveFromCartDocument);

  if (loading && !cart) return <p aria-live="polite">Loading…</p>;
  if (!cart || cart.items.length === 0) {
    return (
      <section>
        <h1>Your cart</h1>
        <p>
          Your cart is empty. <a href={href.storefront()}>Find a book</a>.
        </p>
      </section>
    );
  }
  return (
    <section aria-labelledby="cart-heading">
      <h1 id="cart-heading">Your cart</h1>
      {cart.problems.length > 0 && (
        <ul className="problems" role="alert" aria-label="Problems with your cart">
          {cart.problems.map((problem) => (
            <li key={`${problem.kind}-${problem.item.id}`}>{problem.message}</li>
          ))}
        </ul>
      )}
      <ul className="cart-items">
        {cart.items.map((item) => (
          <li key={item.id}>
            <div>
              <a href={href.book(item.listing.book.id)}>{item.listing.book.title}</a>
              <p className="muted">
                {humanize(item.listing.condition)} · sold by {item.listing.seller.displayName} · {formatMoney(item.unitPrice)} each
              </p>
            </div>
            <label>
              Quantity{' '}
              <input
                type="number"
                min={1}
                max={Math.max(1, item.availableQuantity)}
                value={item.quantity}
                onChange={(event) => void update({ variables: { input: { listingId: item.listing.id, quantity: Number(event.target.value), ...token } } }).catch(() => undefined)}
              />
            </label>
            <strong>{formatMoney(item.lineTotal)}</strong>
            <button type="button" className="link" onClick={() => void remove({ variables: { input: { listingId: item.listing.id, ...token } } })}>
              Remove
            </button>
          </li>
        ))}
      </ul>
      <p className="total">
        Subtotal ({cart.itemCount} items): <strong>{formatTotals(cart.subtotal)}</strong>
      </p>
      {user ? (
        <a className="button" href={href.page('checkout')}>
          Check out
        </a>
      ) : (
        <p>
          <a href={href.page('account')}>Log in or sign up</a> to check out; your cart comes with you.
        </p>
      )}
    </section>
  );
}
