# Walking-skeleton image: one image for all six processes, run from TypeScript sources with tsx.
# (Multi-stage, production-only dependencies and a non-root user come with the operations work.)
FROM node:24-slim
WORKDIR /app
RUN npm install -g pnpm@10.34.8
COPY . .
RUN pnpm install --frozen-lockfile
USER node
