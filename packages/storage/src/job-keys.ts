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
    /**
     * The checkpoint after `epoch` completed epochs and `step` batches of the next one (0 at an epoch
     * boundary). Mid-epoch checkpoints get their own key, so one never overwrites the end-of-epoch
     * checkpoint a database row may still point at. Zero-padded so that listing order is epoch order.
     */
    checkpoint: (epoch: number, step = 0) =>
      `${root}checkpoints/epoch-${String(epoch).padStart(5, '0')}${step > 0 ? `-step-${String(step).padStart(7, '0')}` : ''}.ckpt`,
    /** The exported model's files: model.json, weight shards, manifest.json. */
    modelPrefix: `${root}model/`,
    modelFile: (path: string) => `${root}model/${path}`,
    /** The same files as one .tar.gz, served by GET /v1/jobs/{id}/model. */
    modelBundle: `${root}model.tar.gz`,
    /** The model as a torchvision state_dict, served by GET /v1/jobs/{id}/model?format=safetensors. */
    modelSafetensors: `${root}model.safetensors`,
    evaluation: `${root}evaluation.json`,
    /** The job's log once it has ended, one JSON line per log line (GET /v1/jobs/{id}/logs). */
    logs: `${root}logs.jsonl`,
  };
};

/** Parses epoch and step back out of a checkpoint key; null when the key is not a checkpoint. */
export function checkpointPositionOf(key: string): { epoch: number; step: number } | null {
  const match = /\/checkpoints\/epoch-(\d+)(?:-step-(\d+))?\.ckpt$/.exec(key);
  return match ? { epoch: Number(match[1]), step: Number(match[2] ?? 0) } : null;
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

export const weightsKeys = (weightsId: string) => {
  const root = `weights/${weightsId}/`;
  return {
    root,
    /** The uploaded file as it came (torch.save zip or legacy, or safetensors). */
    file: `${root}state_dict`,
  };
};
