import { useMutation } from '@apollo/client/react';
import { LogInDocument, SignUpDocument } from '@bazaar/example-client';
import { type FormEvent, useState } from 'react';
import { href, navigate } from '../route';
import { useAccount } from '../shop';

/** Log in or sign up; either merges the guest cart into the account's and goes back to the cart. */
export function AccountPage() {
  const { user, signedIn } = useAccount();
  const [logIn, loggingIn] = useMutation(LogInDocument);
  const [signUp, signingUp] = useMutation(SignUpDocument);
  const [failure, setFailure] = useState<string | null>(null);

  if (user) {
    return (
      <section>
        <h1>Hello, {user.displayName}</h1>
        <p>
          Signed in as {user.email}. <a href={href.storefront()}>Browse the shop</a>
        </p>
      </section>
    );
  }

  const submit = (kind: 'logIn' | 'signUp') => async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setFailure(null);
    const form = new FormData(event.currentTarget);
    const value = (name: string) => String(form.get(name) ?? '');
    try {
      const payload =
        kind === 'logIn'
          ? (await logIn({ variables: { input: { email: value('email'), password: value('password') } } })).data?.logIn
          : (await signUp({ variables: { input: { email: value('email'), password: value('password'), displayName: value('displayName') } } })).data?.signUp;
      if (!payload) return;
      await signedIn(payload.user, payload.session);
      navigate(href.page('cart'));
    } catch (error) {
      setFailure(error instanceof Error ? error.message : String(error));
    }
  };

  return (
    <div className="two-columns">
      <section aria-labelledby="login-heading">
        <h1 id="login-heading">Log in</h1>
        <form className="stacked" onSubmit={(event) => void submit('logIn')(event)} aria-label="Log in">
          <label>
            Email <input name="email" type="email" required autoComplete="email" />
          </label>
          <label>
            Password <input name="password" type="password" required autoComplete="current-password" />
          </label>
          <button type="submit" disabled={loggingIn.loading}>
            Log in
          </button>
        </form>
        <p className="muted">Demo: buyer@demo.bookbazaar.dev / demo-buyer-password</p>
      </section>
      <section aria-labelledby="signup-heading">
        <h2 id="signup-heading">New here? Sign up</h2>
        <form className="stacked" onSubmit={(event) => void submit('signUp')(event)} aria-label="Sign up">
          <label>
            Name <input name="displayName" required autoComplete="name" />
          </label>
          <label>
            Email <input name="email" type="email" required autoComplete="email" />
          </label>
          <label>
            Password (12 characters or more) <input name="password" type="password" required minLength={12} autoComplete="new-password" />
          </label>
          <button type="submit" disabled={signingUp.loading}>
            Sign up
          </button>
        </form>
      </section>
      {failure && <p role="alert">{failure}</p>}
    </div>
  );
}
