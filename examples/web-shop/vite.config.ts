import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * `npm run web` serves the shop on http://localhost:5173 and talks to the router at VITE_ROUTER_URL
 * (default http://localhost:4000/graphql), another origin: the router's CORS allows any local port
 * in development.
 */
export default defineConfig({
  plugins: [react()],
  server: { port: 5173, strictPort: false },
  // Pre-bundled on start, so a page never reloads mid-session because a dependency was discovered late.
  optimizeDeps: {
    include: ['react', 'react-dom/client', 'react/jsx-runtime', 'react/jsx-dev-runtime', '@apollo/client', '@apollo/client/react', '@apollo/client/link/context', '@apollo/client/utilities', 'graphql', 'rxjs'],
  },
});
