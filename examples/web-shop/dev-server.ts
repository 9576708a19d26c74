import { fileURLToPath } from 'node:url';
import { createServer, type ViteDevServer } from 'vite';

/**
 * The shop's Vite dev server on a free port, calling the router at `routerUrl`: what `npm run web`
 * runs, started from code for the browser tests.
 */
export async function startWebShop(options: { routerUrl: string; host?: string }): Promise<{ url: string; server: ViteDevServer }> {
  const root = fileURLToPath(new URL('.', import.meta.url));
  const server = await createServer({
    root,
    configFile: `${root}vite.config.ts`,
    logLevel: 'warn',
    clearScreen: false,
    server: { host: options.host ?? '127.0.0.1', port: 0, strictPort: false, hmr: false },
    define: { 'import.meta.env.VITE_ROUTER_URL': JSON.stringify(options.routerUrl) },
  });
  await server.listen();
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('The web shop dev server has no local URL');
  return { url, server };
}
