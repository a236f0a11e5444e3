# syntax=docker/dockerfile:1
# A CPU training worker: `trainyard start worker` on the native oneDNN engine (packages/engine-onednn,
# built against Debian's libdnnl-dev), which trains at PyTorch's speed without libtensorflow.
# --build-arg TFJS_NODE=true adds @tensorflow/tfjs-node (downloads libtensorflow at build time), which
# the engine selection then prefers. Build from the root:
#   docker build -f docker/worker.Dockerfile -t trainyard-worker .
FROM node:20-bookworm-slim AS build
WORKDIR /app
# python3, make and g++ build the native addons; libdnnl-dev is oneDNN for the native engine.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ ca-certificates libdnnl-dev \
    && rm -rf /var/lib/apt/lists/*
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
# tfjs-node downloads libtensorflow 2.9.1 (CPU) when it installs: only on request, after the prune
# (which would remove it), and not in the lock file, which must install on machines without internet.
ARG TFJS_NODE=false
RUN npm run build && npm prune --omit=dev --no-audit --no-fund \
    && if [ "$TFJS_NODE" = "true" ]; then npm install --no-save --no-audit --no-fund @tensorflow/tfjs-node@4.22.0; fi

FROM node:20-bookworm-slim
# Fashion-MNIST for the `fashion-mnist` builtin dataset (FASHION_MNIST_DIR's default).
# libdnnl2: the oneDNN runtime the native engine's addon links.
RUN apt-get update && apt-get install -y --no-install-recommends dataset-fashion-mnist libdnnl2 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build --chown=node:node /app /app
USER node
# On SIGTERM running jobs checkpoint at the next batch and go back to the queue: give them time
# (docker stop -t / compose stop_grace_period above WORKER_SHUTDOWN_GRACE_MS).
STOPSIGNAL SIGTERM
CMD ["node", "services/cli/dist/src/main.js", "start", "worker"]
