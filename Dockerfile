# syntax=docker/dockerfile:1
#
# Book Bazaar images, built from one file:
#   runtime  every service, compiled ahead of time; docker-compose.yml picks one with `command`:
#              node subgraphs/users/src/main.js      node router/src/main.js
#            Production dependencies only (traced by scripts/build-runtime.ts): no TypeScript, tsx,
#            turbo, Prisma CLI or embedded Postgres. Non-root, with a HEALTHCHECK.
#   migrate  the one-shot migration job (`npm run db:migrate`): it needs the workspace and Prisma's
#            WebAssembly schema engine, so it keeps the full install.
# test/runtime-image.test.ts builds the runtime folder with the same command, checks its size and
# runs a compiled service from it. Development and tests keep running TypeScript through tsx.

# A maintained LTS line (Node 20 reached end of life in April 2026); the code also runs on Node 20.
ARG NODE_IMAGE=node:24-slim

# ---------------------------------------------------------------------------------------------
# deps: the whole workspace installed from the lock, then Prisma clients and resolver types.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV TURBO_TELEMETRY_DISABLED=1 \
    CHECKPOINT_DISABLE=1 \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

# Manifests first, so the install layer is reused until a dependency changes.
# Every workspace's package.json must be listed here (test/compose.test.ts checks it).
COPY package.json package-lock.json ./
COPY packages/bootstrap/package.json packages/bootstrap/
COPY packages/contracts/package.json packages/contracts/
COPY packages/database/package.json packages/database/
COPY packages/demo/package.json packages/demo/
COPY packages/devstack/package.json packages/devstack/
COPY packages/events/package.json packages/events/
COPY packages/service/package.json packages/service/
COPY packages/telemetry/package.json packages/telemetry/
COPY packages/testing/package.json packages/testing/
COPY packages/topology/package.json packages/topology/
COPY examples/client/package.json examples/client/
COPY examples/web-shop/package.json examples/web-shop/
COPY router/package.json router/
COPY bench/package.json bench/
COPY subgraphs/books/package.json subgraphs/books/
COPY subgraphs/cart/package.json subgraphs/cart/
COPY subgraphs/orders/package.json subgraphs/orders/
COPY subgraphs/payments/package.json subgraphs/payments/
COPY subgraphs/reviews/package.json subgraphs/reviews/
COPY subgraphs/users/package.json subgraphs/users/
COPY subgraphs/wishlist/package.json subgraphs/wishlist/

# --ignore-scripts: the root postinstall (generation) needs the sources, which are not here yet.
# esbuild's own install script only picks its platform binary, which npm already installed.
RUN npm ci --ignore-scripts

COPY . .
# Prisma clients and GraphQL resolver types (each workspace's `generate`, which sets
# PRISMA_SCHEMA_ENGINE_BINARY=/bin/true itself).
RUN npm run generate

# ---------------------------------------------------------------------------------------------
# build: every service bundled (workspace packages and Prisma clients inside), plus the traced
# node_modules files the bundles load, into /app/dist/runtime.
FROM deps AS build
RUN npm run build:runtime -- /app/dist/runtime

# ---------------------------------------------------------------------------------------------
# migrate: the migration job (docker-compose `migrate`, the Kubernetes migration Jobs).
FROM deps AS migrate
ENV NODE_ENV=production
USER node
CMD ["npm", "run", "db:migrate"]

# ---------------------------------------------------------------------------------------------
# runtime: compiled services and their production dependencies only.
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    NPM_CONFIG_UPDATE_NOTIFIER=false

# Owned by root and read-only for the service user; only the keys volume is writable.
COPY --from=build /app/dist/runtime ./
COPY deploy/docker/healthcheck.js ./deploy/docker/healthcheck.js

# Mount point of the dev-only signing key volume (a named volume copies this ownership).
RUN mkdir -p /var/lib/bazaar/keys && chown node:node /var/lib/bazaar/keys

USER node
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["node", "/app/deploy/docker/healthcheck.js"]
ENTRYPOINT ["/bin/sh", "/app/deploy/docker/entrypoint.sh"]
CMD ["node", "router/src/main.js"]
