/**
 * Opens a job's training data in the child process: a builtin dataset, or an uploaded one downloaded
 * from storage into a temporary folder and read by the CNN package's readers.
 */
import { rm } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Dataset } from '@trainyard/cnn/types';
import { openBuiltinDataset, openDataset, type DatasetFormat } from '@trainyard/cnn/data';
import { createScratchDir, type Storage } from '@trainyard/storage';
import type { DatasetSource } from './child-protocol.js';

export interface OpenedDataset {
  dataset: Dataset;
  /** Removes the downloaded files. */
  cleanup(): Promise<void>;
}

export async function openJobDataset(source: DatasetSource, storage: Storage, tempDir: string): Promise<OpenedDataset> {
  if (source.kind === 'builtin') {
    const { imageSize, channels } = source.read;
    const dataset = await openBuiltinDataset(source.name, {
      ...(source.name === 'fashion-mnist' ? { dir: source.fashionMnistDir } : {}),
      ...(imageSize ? { imageSize } : {}),
      ...(channels ? { channels } : {}),
    });
    return { dataset, cleanup: async () => {} };
  }
  const folder = await createScratchDir(tempDir, `dataset-${source.datasetId}`);
  try {
    const files = [];
    for (const [index, file] of source.files.entries()) {
      // Local names are ours (index + part): a client's file name never becomes a path.
      const path = join(folder, `${index}-${file.part}`);
      await pipeline(await storage.get(file.key), createWriteStream(path));
      files.push({ name: file.name, path });
    }
    const dataset = await openDataset(
      { files, format: (source.format ?? undefined) as DatasetFormat | undefined },
      { name: source.name, ...source.read, limits: source.pixelLimits },
    );
    return { dataset, cleanup: () => rm(folder, { recursive: true, force: true }) };
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    throw error;
  }
}
