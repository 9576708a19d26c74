import { useMutation, useQuery } from '@apollo/client/react';
import { MyNotificationsDocument, MyWishlistDocument, RemoveFromWishlistDocument } from '@bazaar/example-client';
import { formatDate, formatMoney } from '../format';
import { href } from '../route';

/** The wishlist with its price alerts: a seller's price below a target price shows up as a notification. */
export function WishlistPage() {
  const wishlist = useQuery(MyWishlistDocument, { fetchPolicy: 'cache-and-network' });
  const notifications = useQuery(MyNotificationsDocument, { fetchPolicy: 'cache-and-network' });
  const [remove] = useMutation(RemoveFromWishlistDocument, { refetchQueries: [MyWishlistDocument] });
  const items = wishlist.data?.me?.wishlist?.items;
  const alerts = notifications.data?.me?.notifications;
  return (
    <div className="two-columns">
      <section aria-labelledby="wishlist-heading">
        <h1 id="wishlist-heading">Wishlist</h1>
        {items?.totalCount === 0 && <p>Nothing yet: add books from their page.</p>}
        <ul className="wishlist">
          {items?.edges.map(({ node }) => (
            <li key={node.id}>
              <a href={href.book(node.book.id)}>{node.book.title}</a>
              <span className="muted">
                {' '}
                now {node.book.lowestPrice ? formatMoney(node.book.lowestPrice) : 'not on sale'}
                {node.targetPrice && <> · alert below {formatMoney(node.targetPrice)}</>}
              </span>{' '}
              <button type="button" className="link" onClick={() => void remove({ variables: { bookId: node.book.id } })}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="alerts-heading">
        <h2 id="alerts-heading">Price alerts {alerts ? `(${alerts.unreadCount} unread)` : ''}</h2>
        <ul>
          {alerts?.edges.map(({ node }) => (
            <li key={node.id}>
              {node.message} <span className="muted">{formatDate(node.createdAt)}</span>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
