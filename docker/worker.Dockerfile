# syntax=docker/dockerfile:1
# A CPU training worker: `trainyard start worker` with @tensorflow/tfjs-node (libtensorflow), which the
# CNN package's engine selection prefers over its wasm engine whenever it loads. Build from the root:
#   docker build -f docker/worker.Dockerfile -t trainyard-worker .
FROM node:20-bookworm-slim AS build
WORKDIR /app
# python3, make and g++ build the native addons if no prebuilt binary fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY packages/contracts/package.json packages/contracts/
COPY packages/cnn/package.json packages/cnn/
COPY packages/queue/package.json packages/queue/
COPY packages/storage/package.json packages/storage/
COPY packages/db/package.json packages/db/
COPY services/api/package.json services/api/
COPY services/worker/package.json services/worker/
COPY packages/cli/package.json packages/cli/
RUN npm ci --no-audit --no-fund
COPY . .
# tfjs-node downloads libtensorflow 2.9.1 (CPU) when it installs: it is added here, after the prune
# (which would remove it), and not in the lock file, which must install on machines without internet.
RUN node packages/db/scripts/generate-client.mjs && npx tsc -b && npm prune --omit=dev --no-audit --no-fund \
    && npm install --no-save --no-audit --no-fund @tensorflow/tfjs-node@4.22.0

FROM node:20-bookworm-slim
# Fashion-MNIST for the `fashion-mnist` builtin dataset (FASHION_MNIST_DIR's default).
RUN apt-get update && apt-get install -y --no-install-recommends dataset-fashion-mnist \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build --chown=node:node /app /app
USER node
# On SIGTERM running jobs checkpoint at the next batch and go back to the queue: give them time
# (docker stop -t / compose stop_grace_period above WORKER_SHUTDOWN_GRACE_MS).
STOPSIGNAL SIGTERM
CMD ["node", "packages/cli/dist/src/main.js", "start", "worker"]
