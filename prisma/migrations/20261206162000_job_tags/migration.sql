-- Tags: string keys and values a tenant sets on its jobs (at submit, merged by PATCH /v1/jobs/{id}).
-- GET /v1/jobs?tag=k:v filters with containment (tags @> '{"k":"v"}'), which the GIN index answers.
ALTER TABLE "jobs" ADD COLUMN "tags" JSONB NOT NULL DEFAULT '{}';
CREATE INDEX "jobs_tags_idx" ON "jobs" USING GIN ("tags" jsonb_path_ops);

-- GET /v1/jobs?architecture=...: newest first within one architecture.
CREATE INDEX "jobs_tenant_id_architecture_created_at_id_idx" ON "jobs" ("tenant_id", "architecture", "created_at" DESC, "id" DESC);

-- Each job's metrics of its last recorded epoch, one row per metric name, so that GET /v1/jobs can
-- filter on a metric (min, max) and page through jobs sorted by it with an index, whichever metric
-- it is. Written with the epoch's metrics row (packages/db MetricsRepository), in the same transaction.
CREATE TABLE "job_final_metrics" (
    "job_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "job_final_metrics_pkey" PRIMARY KEY ("job_id", "name")
);
CREATE INDEX "job_final_metrics_tenant_id_name_value_job_id_idx" ON "job_final_metrics" ("tenant_id", "name", "value", "job_id");
ALTER TABLE "job_final_metrics" ADD CONSTRAINT "job_final_metrics_job_id_fkey"
    FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The jobs that already have metrics.
INSERT INTO "job_final_metrics" ("job_id", "tenant_id", "name", "value")
SELECT latest.job_id, jobs.tenant_id, metric.name, metric.value
FROM (SELECT DISTINCT ON (job_id) * FROM epoch_metrics ORDER BY job_id, epoch DESC) AS latest
JOIN jobs ON jobs.id = latest.job_id
CROSS JOIN LATERAL (VALUES ('trainLoss', latest.train_loss), ('trainAccuracy', latest.train_accuracy),
                           ('validationLoss', latest.validation_loss), ('validationAccuracy', latest.validation_accuracy),
                           ('learningRate', latest.learning_rate), ('seconds', latest.seconds),
                           ('imagesPerSecond', latest.images_per_second)) AS metric(name, value)
WHERE metric.value IS NOT NULL;
