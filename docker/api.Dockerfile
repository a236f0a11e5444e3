# syntax=docker/dockerfile:1
# The Trainyard API: `trainyard start api`. Build from the repository root:
#   docker build -f docker/api.Dockerfile -t trainyard-api .
FROM node:20-bookworm-slim AS build
WORKDIR /app
# Manifests first, so that `npm ci` is cached until a dependency changes.
COPY package.json package-lock.json ./
COPY packages/contracts/package.json packages/contracts/
COPY packages/cnn/package.json packages/cnn/
COPY packages/queue/package.json packages/queue/
COPY packages/storage/package.json packages/storage/
COPY packages/db/package.json packages/db/
COPY services/api/package.json services/api/
COPY services/worker/package.json services/worker/
COPY services/cli/package.json services/cli/
COPY services/dashboard/package.json services/dashboard/
# The whole engine package: its install script builds the native addon where oneDNN is installed.
COPY packages/engine-onednn/ packages/engine-onednn/
RUN npm ci --no-audit --no-fund
COPY . .
# The Prisma client is generated offline (no schema-engine download), then everything is compiled.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0
COPY --from=build --chown=node:node /app /app
USER node
EXPOSE 3000
CMD ["node", "services/cli/dist/src/main.js", "start", "api"]
