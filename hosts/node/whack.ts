#!/usr/bin/env node
// whack: pluto's control client. `whack --status`, `whack --up --name NAME`, ... (the command
// line is in whack-cli.ts, shared with `ipsec auto|whack`). Runs whatever name it is started
// by: a node_modules/.bin symlink, npx, or this file.
import { runWhack } from "./whack-cli.ts";

runWhack(process.argv.slice(2));
