import { type FormEvent, useState } from 'react';
import { AccountPage } from './pages/AccountPage';
import { BookPage } from './pages/BookPage';
import { CartPage } from './pages/CartPage';
import { CheckoutPage } from './pages/CheckoutPage';
import { OrderPage, OrdersPage } from './pages/OrdersPage';
import { SellerPage } from './pages/SellerPage';
import { StorefrontPage } from './pages/StorefrontPage';
import { WishlistPage } from './pages/WishlistPage';
import { href, navigate, type Route, useRoute } from './route';
import { useAccount, useCart } from './shop';

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'storefront':
      // A new search starts with fresh facets and sort.
      return <StorefrontPage key={route.query} query={route.query} />;
    case 'book':
      return <BookPage id={route.id} />;
    case 'cart':
      return <CartPage />;
    case 'checkout':
      return <CheckoutPage />;
    case 'orders':
      return <OrdersPage />;
    case 'order':
      return <OrderPage id={route.id} />;
    case 'wishlist':
      return <WishlistPage />;
    case 'account':
      return <AccountPage />;
    case 'seller':
      return <SellerPage />;
  }
}

function Header({ query }: { query: string }) {
  const { user, signOut, isSeller } = useAccount();
  const { cart } = useCart();
  const [search, setSearch] = useState(query);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    navigate(href.storefront(search.trim()));
  };
  return (
    <header className="site-header">
      <a className="brand" href={href.storefront()}>
        Book Bazaar
      </a>
      <form role="search" className="search" onSubmit={submit}>
        <label className="visually-hidden" htmlFor="search">
          Search books
        </label>
        <input id="search" type="search" placeholder="Title, author, ISBN…" value={search} onChange={(event) => setSearch(event.target.value)} />
        <button type="submit">Search</button>
      </form>
      <nav aria-label="Main">
        <a href={href.page('cart')}>
          Cart <span aria-label="items in cart">({cart?.itemCount ?? 0})</span>
        </a>
        {user && <a href={href.page('orders')}>Orders</a>}
        {user && <a href={href.page('wishlist')}>Wishlist</a>}
        {isSeller && <a href={href.page('seller')}>Seller dashboard</a>}
        {user ? (
          <>
            <span className="who">{user.displayName}</span>
            <button type="button" className="link" onClick={() => void signOut()}>
              Log out
            </button>
          </>
        ) : (
          <a href={href.page('account')}>Log in / Sign up</a>
        )}
      </nav>
    </header>
  );
}

export function App() {
  const route = useRoute();
  return (
    <>
      <Header query={route.page === 'storefront' ? route.query : ''} />
      <main id="content">
        <Page route={route} />
      </main>
      <footer className="site-footer">Book Bazaar demo shop · test mode payments: use the card tok_visa</footer>
    </>
  );
}
