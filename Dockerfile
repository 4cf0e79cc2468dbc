# One template for all six processes and the migration job:
#   docker build --build-arg SERVICE=users --build-arg PORT=3001 --target service -t shop-users .
#   docker build --target migrate -t shop-migrate .
ARG NODE_IMAGE=node:24-slim

# The whole workspace, installed and built (pnpm build bundles each process, with its npm
# dependencies, to <dir>/dist/main.js).
# Every image this file builds, build stages included, carries shop.image, so `pnpm deploy:smoke` can
# remove the ones a later build leaves untagged, and nobody else's (scripts/deploy-smoke.sh).
FROM ${NODE_IMAGE} AS workspace
LABEL shop.image=workspace
RUN npm install -g pnpm@10.34.8
WORKDIR /repo
COPY . .
RUN pnpm install --frozen-lockfile && pnpm build

# The migration job's files only: the migration script bundled (esbuild), the WebAssembly schema
# engine it loads, and prisma/ (schema and migrations). No source tree, no toolchain, no pnpm.
FROM workspace AS migrate-files
RUN pnpm exec esbuild scripts/db-migrate.ts --bundle --platform=node --format=esm \
      --outfile=/migrate/scripts/db-migrate.mjs --external:@prisma/schema-engine-wasm \
      --banner:js="import{createRequire as __createRequire}from'node:module';const require=__createRequire(import.meta.url);" \
  && mkdir -p /migrate/node_modules/@prisma \
  && cp -rL node_modules/@prisma/schema-engine-wasm /migrate/node_modules/@prisma/ \
  && cp -r prisma /migrate/prisma

# One-shot job: applies prisma/migrations (same table as `prisma migrate deploy`), then exits.
FROM ${NODE_IMAGE} AS migrate
LABEL shop.image=migrate
WORKDIR /migrate
COPY --from=migrate-files --chown=node:node /migrate /migrate
USER node
CMD ["node", "scripts/db-migrate.mjs"]

# One process's files: only what its bundles load (the process, and its operator commands in
# dist/ops.js) or read, taken from the workspace's install above, so the lockfile's versions
# (scripts/image-files.ts), and the supergraph.
FROM workspace AS process-files
ARG SERVICE
RUN test -n "$SERVICE" \
  && pnpm exec tsx scripts/image-files.ts "$SERVICE" /out \
  && cp supergraph.graphql /out/supergraph.graphql

FROM ${NODE_IMAGE} AS service
LABEL shop.image=service
ARG PORT
ENV NODE_ENV=production \
    SUPERGRAPH_PATH=/app/supergraph.graphql \
    HEALTH_PORT=${PORT}
WORKDIR /app
COPY --from=process-files --chown=node:node /out /app
USER node
EXPOSE ${PORT}
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=5 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.HEALTH_PORT}/health/ready`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--enable-source-maps", "dist/main.js"]
