#!/usr/bin/env node
// Write oclif.manifest.json (what `oclif manifest` does), so that start-up does not glob and import
// every command file to find the one asked for. Built at build time, never committed: a stale
// manifest would hide new commands.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Plugin } from '@oclif/core';

const root = fileURLToPath(new URL('../', import.meta.url));
const plugin = new Plugin({ root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true });
await plugin.load();
writeFileSync(new URL('oclif.manifest.json', new URL('../', import.meta.url)), JSON.stringify(plugin.manifest, null, 2));
