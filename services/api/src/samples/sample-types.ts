/** Sample test images of a dataset (GET /v1/jobs/{id}/samples, GET /v1/datasets/{id}/samples). */
export interface SampleSet {
  split: 'test';
  inputShape: [number, number, number];
  classNames: string[];
  /** By class, then by position in the test split. */
  samples: Array<{
    /** Position in the test split. */
    index: number;
    label: number;
    /** height x width x channels bytes (0-255, HWC order), base64. */
    pixels: string;
  }>;
}

export type SampleRequest =
  | { kind: 'builtin'; name: string; perClass: number; maxClasses: number }
  | {
      kind: 'files';
      name: string;
      format: string | null;
      files: Array<{ name: string; path: string }>;
      perClass: number;
      /** Only classes below this are shown. */
      maxClasses: number;
      /** The dataset's imageSize, channels and testFraction, as its jobs read it. */
      readOptions: { imageSize?: [number, number]; channels?: 1 | 3; testFraction?: number };
      /** MAX_IMAGE_PIXELS and MAX_ARCHIVE_PIXELS. */
      limits: { maxImagePixels: number; maxArchivePixels: number };
    };
