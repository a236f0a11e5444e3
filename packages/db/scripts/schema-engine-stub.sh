#!/bin/sh
# Stands in for Prisma's schema engine, which the CLI would otherwise download before `generate`.
# `generate` never runs it; commands that do (migrate) fail loudly instead of going to the network.
echo "trainyard: Prisma's schema engine is not installed; migrations are applied by packages/db (migrate.ts)" >&2
exit 1
