import { useMutation, useQuery } from '@apollo/client/react';
import { AddToWishlistDocument, BookPageDocument, type BookPageQuery, WriteReviewDocument } from '@bazaar/example-client';
import { type FormEvent, useState } from 'react';
import { errorMessage, formatDate, formatMoney, humanize } from '../format';
import { useAccount, useCart } from '../shop';

type Book = NonNullable<BookPageQuery['book']>;

export function BookPage({ id }: { id: string }) {
  const { data, loading, error } = useQuery(BookPageDocument, { variables: { id, listingsFirst: 50 } });
  if (loading && !data) return <p aria-live="polite">Loading…</p>;
  if (error) return <p role="alert">{error.message}</p>;
  const book = data?.book;
  if (!book) return <p role="alert">This book does not exist.</p>;
  return (
    <article className="book-page">
      <header>
        <h1>{book.title}</h1>
        {book.subtitle && <p className="subtitle">{book.subtitle}</p>}
        <p>
          by {book.authors.map((author) => author.name).join(', ')} · {book.language.toUpperCase()}
          {book.publishedYear && <> · {book.publishedYear}</>} · ISBN {book.isbn13}
        </p>
      </header>
      {book.description && <p>{book.description}</p>}
      <Offers book={book} />
      <Wishlist book={book} />
      <Ratings book={book} />
      <Reviews book={book} />
    </article>
  );
}

function Offers({ book }: { book: Book }) {
  const { addToCart } = useCart();
  const [message, setMessage] = useState<string | null>(null);
  const listings = book.listings.edges.map(({ node }) => node).filter((listing) => listing.status === 'ACTIVE');
  const add = async (listingId: string) => {
    setMessage(null);
    try {
      await addToCart(listingId, 1);
      setMessage('Added to your cart.');
    } catch (error) {
      setMessage(errorMessage(error));
    }
  };
  return (
    <section aria-labelledby="offers-heading">
      <h2 id="offers-heading">Offers ({listings.length})</h2>
      {listings.length === 0 ? (
        <p>No copies on sale right now.</p>
      ) : (
        <table className="offers">
          <thead>
            <tr>
              <th scope="col">Condition</th>
              <th scope="col">Seller</th>
              <th scope="col">In stock</th>
              <th scope="col">Price</th>
              <th scope="col">
                <span className="visually-hidden">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {listings.map((listing) => (
              <tr key={listing.id}>
                <td>{humanize(listing.condition)}</td>
                <td>{listing.seller.displayName}</td>
                <td>{listing.quantity}</td>
                <td>{formatMoney(listing.price)}</td>
                <td>
                  <button type="button" onClick={() => void add(listing.id)} aria-label={`Add to cart: ${humanize(listing.condition)} from ${listing.seller.displayName}`}>
                    Add to cart
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {message && <p role="status">{message}</p>}
    </section>
  );
}

function Wishlist({ book }: { book: Book }) {
  const { user } = useAccount();
  const [target, setTarget] = useState('');
  const [add, { error }] = useMutation(AddToWishlistDocument);
  if (!user) return null;
  if (book.inMyWishlist) return <p className="muted">In your wishlist ({book.wishlistCount} readers wish for it).</p>;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const amount = Math.round(Number(target) * 100);
    const targetPrice = target && amount > 0 ? { amount, currency: book.lowestPrice?.currency ?? 'EUR' } : undefined;
    void add({ variables: { input: { bookId: book.id, ...(targetPrice ? { targetPrice } : {}) } } }).catch(() => undefined);
  };
  return (
    <form className="inline-form" onSubmit={submit}>
      <label>
        Alert me below (optional){' '}
        <input type="number" min="0" step="0.01" inputMode="decimal" value={target} onChange={(event) => setTarget(event.target.value)} />
      </label>
      <button type="submit">Add to wishlist</button>
      {error && <span role="alert">{error.message}</span>}
    </form>
  );
}

function Ratings({ book }: { book: Book }) {
  const most = Math.max(1, ...book.ratingHistogram.map(({ count }) => count));
  return (
    <section aria-labelledby="ratings-heading">
      <h2 id="ratings-heading">
        Ratings {book.ratingCount > 0 ? `★ ${book.averageRating?.toFixed(1)} from ${book.ratingCount}` : '(none yet)'}
      </h2>
      <dl className="histogram">
        {book.ratingHistogram.map(({ stars, count }) => (
          <div key={stars}>
            <dt>{stars} ★</dt>
            <dd>
              <meter min={0} max={most} value={count} aria-label={`${count} ratings of ${stars} stars`} /> {count}
            </dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function Reviews({ book }: { book: Book }) {
  const { user } = useAccount();
  return (
    <section aria-labelledby="reviews-heading">
      <h2 id="reviews-heading">Reviews ({book.reviews.totalCount})</h2>
      {user && !book.myReview && <ReviewForm bookId={book.id} />}
      <ul className="reviews">
        {book.reviews.edges.map(({ node }) => (
          <li key={node.id}>
            <p>
              <strong>{'★'.repeat(node.rating)}</strong> <strong>{node.title}</strong>
              {node.verifiedPurchase && <span className="badge">Verified purchase</span>}
            </p>
            <p>{node.body}</p>
            <p className="muted">
              {node.author.displayName} · {formatDate(node.createdAt)}
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}

function ReviewForm({ bookId }: { bookId: string }) {
  const [rating, setRating] = useState(5);
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  const [write, { loading, error }] = useMutation(WriteReviewDocument, { refetchQueries: [BookPageDocument] });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void write({ variables: { input: { bookId, rating, title, body } } }).catch(() => undefined);
  };
  return (
    <form className="review-form" onSubmit={submit} aria-label="Write a review">
      <h3>Write a review</h3>
      <label>
        Rating{' '}
        <select value={rating} onChange={(event) => setRating(Number(event.target.value))}>
          {[5, 4, 3, 2, 1].map((stars) => (
            <option key={stars} value={stars}>
              {stars} stars
            </option>
          ))}
        </select>
      </label>
      <label>
        Title <input required maxLength={120} value={title} onChange={(event) => setTitle(event.target.value)} />
      </label>
      <label>
        Review <textarea required rows={4} value={body} onChange={(event) => setBody(event.target.value)} />
      </label>
      <button type="submit" disabled={loading}>
        Publish review
      </button>
      {error && <p role="alert">{error.message}</p>}
    </form>
  );
}
