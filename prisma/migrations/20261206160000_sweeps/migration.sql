-- Hyperparameter sweeps (issue 18). A sweep plans its trials when it is created (`plan`: one object of
-- dotted spec paths to values per trial) and creates each trial, an ordinary job, only as it may
-- start; `trials_created` counts them, so a deleted trial job is never created again.
CREATE TYPE "SweepStatus" AS ENUM ('running', 'succeeded', 'failed', 'cancelled');

CREATE TABLE "sweeps" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "name" TEXT,
    "status" "SweepStatus" NOT NULL DEFAULT 'running',
    "spec" JSONB NOT NULL,
    "plan" JSONB NOT NULL,
    "trials_created" INTEGER NOT NULL DEFAULT 0,
    "error_code" TEXT,
    "error_message" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "sweeps_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "sweeps_tenant_id_created_at_id_idx" ON "sweeps"("tenant_id", "created_at" DESC, "id" DESC);
CREATE INDEX "sweeps_status_idx" ON "sweeps"("status");
ALTER TABLE "sweeps" ADD CONSTRAINT "sweeps_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A trial is a job with its sweep and its index in the plan. stop_reason: why a succeeded job ended
-- before its last epoch (early_stopping, or pruned by its sweep's ASHA searcher); null otherwise.
ALTER TABLE "jobs" ADD COLUMN "sweep_id" UUID;
ALTER TABLE "jobs" ADD COLUMN "sweep_trial" INTEGER;
ALTER TABLE "jobs" ADD COLUMN "stop_reason" TEXT;
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_sweep_id_fkey" FOREIGN KEY ("sweep_id") REFERENCES "sweeps"("id") ON DELETE SET NULL ON UPDATE CASCADE;
CREATE UNIQUE INDEX "jobs_sweep_id_sweep_trial_key" ON "jobs"("sweep_id", "sweep_trial");

-- Every ASHA decision, in the order it was made (id): the trial's metric at the rung, and the trials
-- that had reached that rung before it (competitors: [{ jobId, trial, metric }]), which the rule saw.
CREATE TABLE "sweep_decisions" (
    "id" BIGSERIAL NOT NULL,
    "sweep_id" UUID NOT NULL,
    "job_id" UUID NOT NULL,
    "trial" INTEGER NOT NULL,
    "rung" INTEGER NOT NULL,
    "metric" DOUBLE PRECISION NOT NULL,
    "continues" BOOLEAN NOT NULL,
    "competitors" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sweep_decisions_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "sweep_decisions_job_id_rung_key" ON "sweep_decisions"("job_id", "rung");
CREATE INDEX "sweep_decisions_sweep_id_rung_idx" ON "sweep_decisions"("sweep_id", "rung");
ALTER TABLE "sweep_decisions" ADD CONSTRAINT "sweep_decisions_sweep_id_fkey" FOREIGN KEY ("sweep_id") REFERENCES "sweeps"("id") ON DELETE CASCADE ON UPDATE CASCADE;
