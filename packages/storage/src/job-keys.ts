/**
 * Where a job's and a dataset's objects live. The worker writes these and the API reads them, so the
 * layout is defined once, here.
 */
export const jobKeys = (jobId: string) => {
  const root = `jobs/${jobId}/`;
  return {
    /** Everything the job stored (deleting a job deletes this prefix). */
    root,
    checkpointPrefix: `${root}checkpoints/`,
    /** Zero-padded so that listing order is epoch order. */
    checkpoint: (epoch: number) => `${root}checkpoints/epoch-${String(epoch).padStart(5, '0')}.ckpt`,
    /** The exported model's files: model.json, weight shards, manifest.json. */
    modelPrefix: `${root}model/`,
    modelFile: (path: string) => `${root}model/${path}`,
    /** The same files as one .tar.gz, served by GET /v1/jobs/{id}/model. */
    modelBundle: `${root}model.tar.gz`,
    evaluation: `${root}evaluation.json`,
  };
};

/** Parses the epoch back out of a checkpoint key; null when the key is not a checkpoint. */
export function checkpointEpochOf(key: string): number | null {
  const match = /\/checkpoints\/epoch-(\d+)\.ckpt$/.exec(key);
  return match ? Number(match[1]) : null;
}

export const datasetKeys = (datasetId: string) => {
  const root = `datasets/${datasetId}/`;
  return {
    root,
    /** One uploaded file (an IDX file, a CIFAR batch, an archive) under its part name. */
    file: (name: string) => `${root}files/${name}`,
    filesPrefix: `${root}files/`,
  };
};
