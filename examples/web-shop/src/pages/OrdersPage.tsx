import { useMutation, useQuery } from '@apollo/client/react';
import { ConfirmDeliveryDocument, MyOrdersDocument, OrderTrackingDocument } from '@bazaar/example-client';
import { formatDate, formatMoney, humanize } from '../format';
import { href } from '../route';

export function OrdersPage() {
  const { data, loading, error } = useQuery(MyOrdersDocument, { fetchPolicy: 'cache-and-network' });
  const orders = data?.me?.orders;
  if (error) return <p role="alert">{error.message}</p>;
  if (loading && !orders) return <p aria-live="polite">Loading…</p>;
  if (!orders) return <p>Log in to see your orders.</p>;
  return (
    <section aria-labelledby="orders-heading">
      <h1 id="orders-heading">Your orders</h1>
      {orders.totalCount === 0 && <p>No orders yet.</p>}
      <ul className="orders">
        {orders.edges.map(({ node }) => (
          <li key={node.id}>
            <a href={href.order(node.id)}>
              {formatDate(node.createdAt)}: {node.lines.map((line) => `${line.quantity} × ${line.book?.title ?? 'a book'}`).join(', ')}
            </a>{' '}
            <span className="badge">{humanize(node.status)}</span> {formatMoney(node.total)}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Order tracking: status history, each seller's parcel, and confirming the delivery. */
export function OrderPage({ id }: { id: string }) {
  const { data, loading, error } = useQuery(OrderTrackingDocument, { variables: { id }, fetchPolicy: 'cache-and-network' });
  const [confirm, confirming] = useMutation(ConfirmDeliveryDocument);
  const order = data?.order;
  if (error) return <p role="alert">{error.message}</p>;
  if (loading && !order) return <p aria-live="polite">Loading…</p>;
  if (!order) return <p role="alert">No such order.</p>;
  const shipped = order.fulfilments.some((fulfilment) => fulfilment.status === 'SHIPPED');
  return (
    <article aria-labelledby="order-heading">
      <h1 id="order-heading">Order from {formatDate(order.createdAt)}</h1>
      <p>
        Status: <strong data-testid="order-status">{humanize(order.status)}</strong> · total {formatMoney(order.total)}
      </p>
      {order.rejectionReasons.length > 0 && (
        <ul className="problems" aria-label="Why the order was rejected">
          {order.rejectionReasons.map((rejection) => (
            <li key={rejection.listing.id}>
              {humanize(rejection.reason)} ({rejection.available} available)
            </li>
          ))}
        </ul>
      )}
      {order.paymentFailureReason && <p role="alert">Payment failed: {order.paymentFailureReason}</p>}
      <table>
        <caption className="visually-hidden">Lines</caption>
        <thead>
          <tr>
            <th scope="col">Book</th>
            <th scope="col">Seller</th>
            <th scope="col">Quantity</th>
            <th scope="col">Total</th>
          </tr>
        </thead>
        <tbody>
          {order.lines.map((line) => (
            <tr key={line.listing.id}>
              <td>
                <a href={href.book(line.book?.id ?? '')}>{line.book?.title ?? 'a book'}</a>
              </td>
              <td>{line.seller?.displayName}</td>
              <td>{line.quantity}</td>
              <td>{formatMoney(line.lineTotal)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Parcels</h2>
      <ul>
        {order.fulfilments.map((fulfilment) => (
          <li key={fulfilment.seller.id}>
            {fulfilment.seller.displayName}: {humanize(fulfilment.status)}
            {fulfilment.carrier && (
              <>
                {' '}
                · {fulfilment.carrier} {fulfilment.trackingNumber}
              </>
            )}
          </li>
        ))}
      </ul>
      {shipped && (
        <button type="button" disabled={confirming.loading} onClick={() => void confirm({ variables: { orderId: order.id } }).catch(() => undefined)}>
          I received it
        </button>
      )}
      {confirming.error && <p role="alert">{confirming.error.message}</p>}
      <h2>History</h2>
      <ol>
        {order.statusHistory.map((entry) => (
          <li key={`${entry.status}-${entry.at}`}>
            {humanize(entry.status)} · {formatDate(entry.at)}
            {entry.reason && <> · {entry.reason}</>}
          </li>
        ))}
      </ol>
    </article>
  );
}
