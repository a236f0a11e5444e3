-- Pretrained weights uploaded by tenants (POST /v1/weights), and the job column naming them.

-- CreateTable
CREATE TABLE "weights" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "architecture" TEXT NOT NULL,
    "status" "DatasetStatus" NOT NULL DEFAULT 'uploading',
    "format" TEXT,
    "summary" JSONB,
    "storage_key" TEXT NOT NULL,
    "bytes" BIGINT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "weights_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "weights_tenant_id_created_at_id_idx" ON "weights"("tenant_id", "created_at" DESC, "id" DESC);

-- AddForeignKey
ALTER TABLE "weights" ADD CONSTRAINT "weights_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AlterTable
ALTER TABLE "jobs" ADD COLUMN "weights_id" UUID;

-- AddForeignKey
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_weights_id_fkey" FOREIGN KEY ("weights_id") REFERENCES "weights"("id") ON DELETE SET NULL ON UPDATE CASCADE;
