-- What the job trained on: { kind: 'gpu' | 'cpu', name } (the GPU adapter, the CUDA device or the CPU
-- model), written by the worker with the engine's name.
ALTER TABLE "jobs" ADD COLUMN "device" JSONB;
