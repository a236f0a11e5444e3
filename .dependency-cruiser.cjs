/**
 * The package graph the README's Layout section draws, enforced (`npm run check:deps`, run by CI):
 * libraries under packages/ never import a service, the contracts never import the engine, nothing
 * imports a workspace (or any package) its package.json does not declare, and there are no cycles.
 * Workspace imports are checked as written (`@trainyard/x`), so `preserveSymlinks` is on; the root
 * package.json counts too (combinedDependencies), as it holds the tools every workspace shares.
 */
const WORKSPACE = '^node_modules/@trainyard/';

module.exports = {
  forbidden: [
    {
      name: 'packages-never-import-services',
      comment: 'A library under packages/ must not depend on a service (api, worker, cli, dashboard).',
      severity: 'error',
      from: { path: '^packages/' },
      to: { path: `${WORKSPACE}(api|worker|cli|dashboard)/` },
    },
    {
      name: 'contracts-never-import-the-engine',
      comment: 'packages/contracts is read by every process, the API included: no CNN package, no TensorFlow.js.',
      severity: 'error',
      from: { path: '^packages/contracts/' },
      to: { path: [`${WORKSPACE}(cnn|engine-onednn)/`, '^node_modules/@tensorflow/'] },
    },
    {
      name: 'api-process-never-loads-tfjs',
      comment:
        "The API process never loads TensorFlow.js: only the programs it runs as child processes (services/api/src/**/*-child.ts) may import it or the CNN package's main entry; the API itself uses the tfjs-free entries (cnn/data, cnn/catalog, cnn/errors).",
      severity: 'error',
      from: { path: '^services/api/src/', pathNot: '-child\\.ts$' },
      to: {
        path: [
          '^node_modules/@tensorflow/',
          `${WORKSPACE}engine-onednn/`,
          `${WORKSPACE}cnn/dist/src/index\\.js$`,
          '^services/api/src/.*-child\\.ts$',
        ],
      },
    },
    {
      name: 'only-declared-dependencies',
      comment: "Every import of a package (a workspace included) is declared in the importing workspace's package.json.",
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'no-workspace-reaches-into-another',
      comment: 'Workspaces import each other by package name, never by a relative path into another folder.',
      severity: 'error',
      from: { path: '^(packages|services)/([^/]+)/' },
      to: { path: '^(packages|services)/([^/]+)/', pathNot: '^$1/$2/' },
    },
    {
      name: 'resolvable',
      comment: 'Workspaces resolve to their dist/ through package.json exports: run it after `npm run build`.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles at run time (a cycle through type-only imports is erased by the compiler).',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(packages|services)/[^/]+/(dist|generated|node_modules)/' },
    preserveSymlinks: true,
    combinedDependencies: true,
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
