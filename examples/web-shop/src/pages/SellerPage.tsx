import { useMutation, useQuery } from '@apollo/client/react';
import {
  BecomeSellerDocument,
  CreateBookDocument,
  CreateListingDocument,
  type ListingCondition,
  MyListingsDocument,
  PauseListingDocument,
  RestockListingDocument,
  ResumeListingDocument,
  SellerOrdersDocument,
  ShipFulfilmentDocument,
} from '@bazaar/example-client';
import { type FormEvent, useState } from 'react';
import { errorMessage, formatDate, formatMoney, humanize } from '../format';
import { useAccount, useStore } from '../shop';

const CONDITIONS: ListingCondition[] = ['NEW', 'LIKE_NEW', 'VERY_GOOD', 'GOOD', 'ACCEPTABLE'];

/** The seller dashboard: list a book, keep stock, ship the orders. */
export function SellerPage() {
  const { user, isSeller } = useAccount();
  const store = useStore();
  const [become, becoming] = useMutation(BecomeSellerDocument);
  if (!user) return <p>Log in to sell books.</p>;
  if (!isSeller) {
    return (
      <section>
        <h1>Sell on Book Bazaar</h1>
        <button type="button" disabled={becoming.loading} onClick={() => void become().then(store.refreshNow)}>
          Become a seller
        </button>
      </section>
    );
  }
  return (
    <div className="dashboard">
      <h1>Seller dashboard</h1>
      <NewListing />
      <Listings />
      <Orders />
    </div>
  );
}

function NewListing() {
  const [createBook] = useMutation(CreateBookDocument);
  const [createListing] = useMutation(CreateListingDocument, { refetchQueries: [MyListingsDocument] });
  const [message, setMessage] = useState<string | null>(null);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const value = (name: string) => String(form.get(name) ?? '').trim();
    try {
      const book = (await createBook({ variables: { input: { isbn: value('isbn'), title: value('title'), authors: value('authors').split(',').map((name) => name.trim()), language: 'en' } } })).data?.createBook.book;
      if (!book) return;
      const price = { amount: Math.round(Number(value('price')) * 100), currency: 'EUR' };
      await createListing({ variables: { input: { bookId: book.id, condition: value('condition') as ListingCondition, price, quantity: Number(value('quantity')) } } });
      setMessage(`Listed “${book.title}”.`);
      formElement.reset();
    } catch (error) {
      setMessage(errorMessage(error));
    }
  };
  return (
    <section aria-labelledby="new-listing-heading">
      <h2 id="new-listing-heading">List a new book</h2>
      <form className="grid-form" onSubmit={(event) => void submit(event)} aria-label="List a new book">
        <label>
          ISBN <input name="isbn" required />
        </label>
        <label>
          Title <input name="title" required />
        </label>
        <label>
          Authors (comma-separated) <input name="authors" required />
        </label>
        <label>
          Condition{' '}
          <select name="condition" defaultValue="GOOD">
            {CONDITIONS.map((condition) => (
              <option key={condition} value={condition}>
                {humanize(condition)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Price (EUR) <input name="price" type="number" min="0.01" step="0.01" required />
        </label>
        <label>
          Copies <input name="quantity" type="number" min="1" defaultValue="1" required />
        </label>
        <button type="submit">Create book and listing</button>
      </form>
      {message && <p role="status">{message}</p>}
    </section>
  );
}

function Listings() {
  const { data } = useQuery(MyListingsDocument, { variables: { first: 50 }, fetchPolicy: 'cache-and-network' });
  const [restock] = useMutation(RestockListingDocument);
  const [pause] = useMutation(PauseListingDocument);
  const [resume] = useMutation(ResumeListingDocument);
  const listings = data?.me?.listings;
  return (
    <section aria-labelledby="listings-heading">
      <h2 id="listings-heading">Your listings ({listings?.totalCount ?? 0})</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Book</th>
            <th scope="col">Condition</th>
            <th scope="col">Price</th>
            <th scope="col">Stock</th>
            <th scope="col">Status</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {listings?.edges.map(({ node }) => (
            <tr key={node.id}>
              <td>{node.book.title}</td>
              <td>{humanize(node.condition)}</td>
              <td>{formatMoney(node.price)}</td>
              <td>{node.quantity}</td>
              <td>{humanize(node.status)}</td>
              <td className="actions">
                <button type="button" onClick={() => void restock({ variables: { input: { id: node.id, quantity: 1 } } })} aria-label={`Add a copy of ${node.book.title}`}>
                  +1 copy
                </button>
                {node.status === 'PAUSED' ? (
                  <button type="button" onClick={() => void resume({ variables: { id: node.id } })}>
                    Resume
                  </button>
                ) : (
                  <button type="button" onClick={() => void pause({ variables: { id: node.id } })}>
                    Pause
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Orders() {
  const { user } = useAccount();
  const { data } = useQuery(SellerOrdersDocument, { fetchPolicy: 'cache-and-network', pollInterval: 5000 });
  const [ship, shipping] = useMutation(ShipFulfilmentDocument);
  const submit = (orderId: string) => (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    void ship({ variables: { orderId, carrier: String(form.get('carrier')), trackingNumber: String(form.get('trackingNumber')) } }).catch(() => undefined);
  };
  return (
    <section aria-labelledby="seller-orders-heading">
      <h2 id="seller-orders-heading">Orders to fulfil</h2>
      {shipping.error && <p role="alert">{shipping.error.message}</p>}
      <ul className="seller-orders">
        {data?.sellerOrders.edges.map(({ node }) => {
          const mine = node.fulfilments.find((fulfilment) => fulfilment.seller.id === user?.id);
          return (
            <li key={node.id} aria-label={`Order for ${node.shippingAddress.name}`}>
              <p>
                <strong>{node.shippingAddress.name}</strong>, {node.shippingAddress.city} · {formatDate(node.createdAt)} · <span className="badge">{humanize(node.status)}</span>
              </p>
              <p>{node.lines.map((line) => `${line.quantity} × ${line.book?.title ?? 'a book'}`).join(', ')}</p>
              {node.status === 'PAID' || node.status === 'PARTIALLY_SHIPPED' ? (
                mine?.status === 'PENDING' && (
                  <form className="inline-form" onSubmit={submit(node.id)} aria-label="Ship">
                    <label>
                      Carrier <input name="carrier" required defaultValue="DHL" />
                    </label>
                    <label>
                      Tracking number <input name="trackingNumber" required />
                    </label>
                    <button type="submit">Mark shipped</button>
                  </form>
                )
              ) : (
                mine?.carrier && (
                  <p className="muted">
                    {humanize(mine.status)} with {mine.carrier} {mine.trackingNumber}
                  </p>
                )
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
