-- The accelerator class a job needs (resources.accelerator of its spec): any worker, GPU workers only,
-- or CPU workers only. The scheduler offers a worker only the jobs of its class.
CREATE TYPE "JobAccelerator" AS ENUM ('any', 'gpu', 'cpu');

ALTER TABLE "jobs" ADD COLUMN "accelerator" "JobAccelerator" NOT NULL DEFAULT 'any';

-- A job retried after a transient failure is not chosen before its backoff ends.
ALTER TABLE "jobs" ADD COLUMN "not_before" TIMESTAMPTZ(3);

-- The scheduler's scan: queued jobs of some classes in submission order, and each tenant's latest start.
CREATE INDEX "jobs_status_accelerator_created_at_idx" ON "jobs"("status", "accelerator", "created_at");
CREATE INDEX "jobs_tenant_id_started_at_idx" ON "jobs"("tenant_id", "started_at");
