/**
 * How the images of an archive map to classes and splits, from their paths alone:
 *
 *   [wrapper/...]<class>/<image>                       one folder per class; test split held out
 *   [wrapper/...](train|test|val|validation)/<class>/<image>   given split (val joins train; without
 *                                                              test/, the test split is held out)
 *
 * Folders shared by every image (the usual single top folder of an archive) are skipped. Classes
 * are the folder names in sorted (code unit) order, as torchvision's ImageFolder sorts them.
 */
import { malformed } from './dataset-errors.js';

export interface LabelledPath {
  path: string;
  classIndex: number;
}

export interface FolderLayout {
  classNames: string[];
  /** In dataset order: by class, then by path. */
  train: LabelledPath[];
  /** Null when the archive has no train/test folders. */
  test: LabelledPath[] | null;
}

const SPLIT_FOLDERS: Record<string, 'train' | 'test'> = { train: 'train', test: 'test', val: 'train', validation: 'train' };

export function layOutImageFolder(file: string, paths: string[]): FolderLayout {
  if (paths.length === 0) throw malformed({ file }, 'contains no PNG or JPEG images');
  const folders = paths.map((p) => p.split('/').slice(0, -1));
  const minDepth = Math.min(...folders.map((f) => f.length));
  if (minDepth === 0) {
    const loose = paths[folders.findIndex((f) => f.length === 0)];
    throw malformed({ file, entry: loose }, 'is not inside a class folder; put the images of each class in a folder named after the class');
  }
  const shared = sharedPrefixLength(folders, minDepth - 1);
  const relative = folders.map((f) => f.slice(shared));
  const splitNames = new Set(relative.map((r) => r[0].toLowerCase()));
  const isSplit = relative.every((r) => r.length === 2) && [...splitNames].every((s) => s in SPLIT_FOLDERS) && splitNames.has('train');
  if (!isSplit) {
    const deep = relative.findIndex((r) => r.length !== 1);
    if (deep >= 0) {
      throw malformed(
        { file, entry: paths[deep] },
        'is not directly inside a class folder; expected <class>/<image>, or train/<class>/<image> and test/<class>/<image>',
      );
    }
  }
  const classOf = relative.map((r) => (isSplit ? r[1] : r[0]));
  const classNames = [...new Set(classOf)].sort(compareCodeUnits);
  const index = new Map(classNames.map((name, i) => [name, i]));
  const train: LabelledPath[] = [];
  const test: LabelledPath[] = [];
  paths.forEach((path, i) => {
    const target = isSplit && SPLIT_FOLDERS[relative[i][0].toLowerCase()] === 'test' ? test : train;
    target.push({ path, classIndex: index.get(classOf[i]) as number });
  });
  const trained = new Set(train.map((p) => p.classIndex));
  const untrained = classNames.find((_, c) => !trained.has(c));
  if (untrained !== undefined) throw malformed({ file }, `class "${untrained}" has test images but no training images`);
  const order = (a: LabelledPath, b: LabelledPath) => a.classIndex - b.classIndex || compareCodeUnits(a.path, b.path);
  return { classNames, train: train.sort(order), test: test.length > 0 ? test.sort(order) : null };
}

function sharedPrefixLength(folders: string[][], max: number): number {
  let length = 0;
  while (length < max && folders.every((f) => f[length] === folders[0][length])) length++;
  return length;
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
