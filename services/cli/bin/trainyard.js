#!/usr/bin/env node
// The `trainyard` command. This launcher is committed, not built, so that `npm ci` on a fresh clone
// finds it and links node_modules/.bin/trainyard before `npm run build` writes dist/ (npm skips a bin
// whose file does not exist yet, and `npx trainyard` then asks the registry).
import '../dist/src/main.js';
