import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const OPERATIONS_DIR = fileURLToPath(new URL('../../schema/operations/', import.meta.url));
const ASSET_PREFIX = '/explorer/';

/** A file inside an installed package, past its exports map (which does not list the UMD builds). */
const packageFile = (name: string, path: string) => join(dirname(require.resolve(`${name}/package.json`)), path);

/**
 * GraphiQL's self-contained build and the React it runs on, served from node_modules: the explorer
 * needs nothing from a CDN, so it works on a train and behind a firewall. GraphiQL 3 is the last line
 * published as one browser file (with its fonts inlined), which is why React 18 is pinned here.
 */
const ASSETS: Record<string, { file: string; type: string }> = {
  'react.js': { file: packageFile('react', 'umd/react.production.min.js'), type: 'text/javascript' },
  'react-dom.js': { file: packageFile('react-dom', 'umd/react-dom.production.min.js'), type: 'text/javascript' },
  'graphiql.js': { file: packageFile('graphiql', 'graphiql.min.js'), type: 'text/javascript' },
  'graphiql.css': { file: packageFile('graphiql', 'graphiql.min.css'), type: 'text/css' },
};

interface SavedTab {
  query: string;
  variables?: string;
  headers?: string;
}

/** Prefilled so the header is one paste away; an empty Authorization is not forwarded, so queries still run. */
const AUTHORIZATION_TEMPLATE = JSON.stringify({ Authorization: '' }, null, 2);

function operation(file: string): string | undefined {
  const path = `${OPERATIONS_DIR}${file}`;
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

/** The saved operations: the storefront search first, then how to get and use a token. */
function savedTabs(): SavedTab[] {
  const tabs: SavedTab[] = [];
  const search = operation('storefront/search-books.graphql');
  if (search) {
    tabs.push({ query: search, variables: JSON.stringify({ filter: { query: 'harry poter' }, first: 5 }, null, 2), headers: AUTHORIZATION_TEMPLATE });
  }
  const logIn = operation('account/log-in.graphql');
  if (logIn) {
    const variables = { input: { email: 'buyer@demo.bookbazaar.dev', password: 'demo-buyer-password' } };
    tabs.push({ query: logIn, variables: JSON.stringify(variables, null, 2), headers: AUTHORIZATION_TEMPLATE });
  }
  const me = operation('account/me.graphql');
  if (me) {
    const hint = '# Paste session.accessToken from LogIn into Headers: {"Authorization": "Bearer <accessToken>"}\n';
    tabs.push({ query: hint + me, headers: AUTHORIZATION_TEMPLATE });
  }
  return tabs;
}

/** JSON inside a <script> element: `<` escaped so no string can close the element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

function page(endpointPath: string, tabs: SavedTab[]): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Book Bazaar explorer</title>
  <link rel="stylesheet" href="${ASSET_PREFIX}graphiql.css">
  <style>
    html, body { height: 100%; margin: 0; }
    body { display: flex; flex-direction: column; font-family: system-ui, sans-serif; }
    header { display: flex; gap: 1rem; align-items: center; padding: .4rem 1rem; font-size: .9rem; border-bottom: 1px solid #ddd; }
    header strong { margin-right: auto; }
    #explorer { flex: 1; min-height: 0; }
  </style>
</head>
<body>
  <header>
    <strong>Book Bazaar graph</strong>
    <span>Endpoint: <code id="endpoint"></code></span>
    <a id="sandbox" rel="noopener" target="_blank">Open in Apollo Sandbox (needs internet)</a>
  </header>
  <main id="explorer" aria-label="GraphiQL explorer"></main>
  <script src="${ASSET_PREFIX}react.js"></script>
  <script src="${ASSET_PREFIX}react-dom.js"></script>
  <script src="${ASSET_PREFIX}graphiql.js"></script>
  <script>
    const tabs = ${scriptJson(tabs)};
    // The endpoint on the host the browser used, so the page works through any port mapping.
    const endpoint = new URL(${scriptJson(endpointPath)}, location.href).href;
    document.getElementById('endpoint').textContent = endpoint;
    document.getElementById('sandbox').href = 'https://studio.apollographql.com/sandbox/explorer?endpoint=' + encodeURIComponent(endpoint);
    ReactDOM.createRoot(document.getElementById('explorer')).render(
      React.createElement(GraphiQL, {
        fetcher: GraphiQL.createFetcher({ url: endpoint }),
        defaultTabs: tabs,
        defaultHeaders: ${scriptJson(AUTHORIZATION_TEMPLATE)},
        defaultEditorToolsVisibility: 'headers',
        isHeadersEditorEnabled: true,
        shouldPersistHeaders: false,
        // The docs explorer open beside the editor (plugins are named by their title in this build).
        visiblePlugin: 'Documentation Explorer',
      }),
    );
  </script>
</body>
</html>`;
}

function wantsHtml(request: IncomingMessage, url: URL): boolean {
  return request.method === 'GET' && (request.headers.accept ?? '').includes('text/html') && !url.searchParams.has('query');
}

export interface Explorer {
  /** Serves the explorer page to a browser opening the endpoint, and its assets; returns false for anything else. */
  handle(request: IncomingMessage, response: ServerResponse, url: URL): boolean;
}

/** GraphiQL for development: the saved operations, a header editor with Authorization, the docs explorer. */
export function createExplorer(options: { endpointPath: string }): Explorer {
  const tabs = savedTabs();
  return {
    handle(request, response, url) {
      if (url.pathname.startsWith(ASSET_PREFIX) && request.method === 'GET') {
        const asset = ASSETS[url.pathname.slice(ASSET_PREFIX.length)];
        if (!asset) return false;
        response.writeHead(200, { 'content-type': `${asset.type}; charset=utf-8`, 'cache-control': 'public, max-age=3600' });
        response.end(readFileSync(asset.file));
        return true;
      }
      if ((url.pathname !== options.endpointPath && url.pathname !== '/') || !wantsHtml(request, url)) return false;
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      response.end(page(options.endpointPath, tabs));
      return true;
    },
  };
}
