# One template for all six processes and the migration job:
#   docker build --build-arg SERVICE=users --build-arg PORT=3001 --target service -t shop-users .
#   docker build --target migrate -t shop-migrate .
ARG NODE_IMAGE=node:24-slim

# The whole workspace, installed and built (pnpm build bundles each process to <dir>/dist/main.js).
FROM ${NODE_IMAGE} AS workspace
RUN npm install -g pnpm@10.34.8
WORKDIR /repo
COPY . .
RUN pnpm install --frozen-lockfile && pnpm build

# One-shot job: applies prisma/migrations (same table as `prisma migrate deploy`), then exits.
FROM workspace AS migrate
USER node
CMD ["pnpm", "db:migrate"]

# Production dependencies of one process, flat (hoisted) so the bundle finds every package.
FROM workspace AS deploy
ARG SERVICE
RUN test -n "$SERVICE" \
  && pnpm --filter "@shop/${SERVICE}" deploy --prod --legacy --config.node-linker=hoisted /out \
  && cp supergraph.graphql /out/supergraph.graphql

FROM ${NODE_IMAGE} AS service
ARG PORT
ENV NODE_ENV=production \
    SUPERGRAPH_PATH=/app/supergraph.graphql \
    HEALTH_PORT=${PORT}
WORKDIR /app
COPY --from=deploy --chown=node:node /out /app
USER node
EXPOSE ${PORT}
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=5 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.HEALTH_PORT}/health/ready`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--enable-source-maps", "dist/main.js"]
