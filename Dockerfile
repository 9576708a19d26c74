# syntax=docker/dockerfile:1
#
# One image for every Book Bazaar service: the subgraphs, the router and the one-shot jobs
# (migrations, dev keys). docker-compose.yml picks what a container runs with `command`, e.g.
#   node --import tsx subgraphs/users/src/main.ts
#   node --import tsx router/src/main.ts
#   npm run db:migrate
# Services run TypeScript directly through tsx; there is no build step.

ARG NODE_IMAGE=node:20-slim

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
COPY packages/contracts/package.json packages/contracts/
COPY packages/database/package.json packages/database/
COPY packages/demo/package.json packages/demo/
COPY packages/devstack/package.json packages/devstack/
COPY packages/events/package.json packages/events/
COPY packages/service/package.json packages/service/
COPY packages/testing/package.json packages/testing/
COPY packages/topology/package.json packages/topology/
COPY examples/client/package.json examples/client/
COPY examples/web-shop/package.json examples/web-shop/
COPY router/package.json router/
COPY subgraphs/books/package.json subgraphs/books/
COPY subgraphs/cart/package.json subgraphs/cart/
COPY subgraphs/orders/package.json subgraphs/orders/
COPY subgraphs/payments/package.json subgraphs/payments/
COPY subgraphs/reviews/package.json subgraphs/reviews/
COPY subgraphs/users/package.json subgraphs/users/
COPY subgraphs/wishlist/package.json subgraphs/wishlist/

# --ignore-scripts: the root postinstall (generation) needs the sources, which are not here yet,
# and nothing else needs its install script at run time (Prisma's native engines are not used:
# migrations run through the WebAssembly schema engine, see docs/decisions/offline-migrations.md).
RUN npm ci --ignore-scripts

COPY . .
# Prisma clients and GraphQL resolver types (each workspace's `generate`, which sets
# PRISMA_SCHEMA_ENGINE_BINARY=/bin/true itself).
RUN npm run generate

# ---------------------------------------------------------------------------------------------
# runtime: sources, generated code and node_modules; no compiler output, no tests, no docs.
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false \
    TURBO_TELEMETRY_DISABLED=1 \
    CHECKPOINT_DISABLE=1

# Owned by root and read-only for the service user; only the keys volume is writable.
# supergraph.config.yaml: the topology every service reads at start (packages/topology).
COPY --from=deps /app/package.json /app/package-lock.json /app/tsconfig.base.json /app/supergraph.config.yaml ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=deps /app/packages ./packages
COPY --from=deps /app/subgraphs ./subgraphs
COPY --from=deps /app/router ./router
COPY --from=deps /app/schema ./schema
COPY --from=deps /app/deploy/docker ./deploy/docker

# Mount point of the dev-only signing key volume (a named volume copies this ownership).
RUN mkdir -p /var/lib/bazaar/keys && chown node:node /var/lib/bazaar/keys

USER node
ENTRYPOINT ["/bin/sh", "/app/deploy/docker/entrypoint.sh"]
CMD ["node", "--import", "tsx", "router/src/main.ts"]
