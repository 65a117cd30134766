#!/usr/bin/env node
// The package-broker command. The TypeScript sources are compiled into dist/ by `npm run build`
// (run automatically by `npm ci` through the prepare script).
import { runCli } from "../dist/cli/run-cli.js";

process.exitCode = await runCli(process.argv);
