import { ApolloProvider } from '@apollo/client/react';
import { createBazaarClient } from '@bazaar/example-client';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { SessionStore } from './session';
import { StoreContext } from './shop';
import './styles.css';

const routerUrl = import.meta.env.VITE_ROUTER_URL ?? 'http://localhost:4000/graphql';
const store = new SessionStore(routerUrl);
const client = createBazaarClient({ uri: routerUrl, getAccessToken: store.accessToken, clientName: 'web-shop', clientVersion: '0.1.0' });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ApolloProvider client={client}>
      <StoreContext.Provider value={store}>
        <App />
      </StoreContext.Provider>
    </ApolloProvider>
  </StrictMode>,
);
