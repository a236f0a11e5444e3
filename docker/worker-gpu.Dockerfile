# syntax=docker/dockerfile:1
# A GPU training worker: @tensorflow/tfjs-node-gpu 4.22 (libtensorflow 2.9.1 GPU) on the CUDA 11.2 and
# cuDNN 8 runtime it was built for. The CNN package's engine selection picks it first when it loads
# (TRAINYARD_ENGINE=tensorflow-gpu makes that a requirement). Needs the NVIDIA container toolkit on
# the host; docker-compose.yml reserves the GPUs (profile `gpu`). Build from the root:
#   docker build -f docker/worker-gpu.Dockerfile -t trainyard-worker-gpu .
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ ca-certificates dataset-fashion-mnist \
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
RUN npm run build && npm prune --omit=dev --no-audit --no-fund
# tfjs-node-gpu from its own manifest and lockfile (docker/worker-gpu/): its install script downloads
# libtensorflow 2.9.1 (GPU), so it is never in the root lockfile. Grafted into the app's node_modules
# next to the TensorFlow.js it must share (graft-engine.mjs checks the versions are the same).
RUN cp -r docker/worker-gpu /tmp/gpu-engine && cd /tmp/gpu-engine && npm ci --no-audit --no-fund \
    && node graft-engine.mjs /tmp/gpu-engine /app && rm -rf /tmp/gpu-engine

FROM nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04
# Node 20 from the official image: its binary needs glibc 2.28 or later, and Ubuntu 20.04 has 2.31.
COPY --from=node:20-bookworm-slim /usr/local/bin/node /usr/local/bin/node
COPY --from=build /usr/share/datasets/fashion-mnist /usr/share/datasets/fashion-mnist
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --create-home node
WORKDIR /app
# TF_FORCE_GPU_ALLOW_GROWTH: libtensorflow otherwise takes nearly all GPU memory at start. The engine
# is forced: a worker that sees no CUDA device exits saying so rather than train on something else.
ENV NODE_ENV=production TRAINYARD_ENGINE=tensorflow-gpu TF_FORCE_GPU_ALLOW_GROWTH=true
COPY --from=build --chown=node:node /app /app
USER node
STOPSIGNAL SIGTERM
CMD ["node", "services/cli/dist/src/main.js", "start", "worker"]
