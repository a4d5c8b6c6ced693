#!/usr/bin/env node
// ipsec: the Libreswan-style front end. `ipsec auto --add|--up|--down|--delete NAME`,
// `ipsec whack ARGS`, `ipsec status`, `ipsec trafficstatus` talk to pluto over its control
// socket.
import { runWhack } from "./whack-cli.ts";
import { finish, versionLine } from "./version.ts";

const USAGE = `usage: ipsec auto --add|--up|--down|--delete|--route|--unroute NAME
       ipsec whack ARGS        (whack --help)
       ipsec status | ipsec trafficstatus
       ipsec --version | --help`;

const [sub, ...rest] = process.argv.slice(2);
if (sub === "auto") runWhack(["auto", ...rest]);
else if (sub === "whack") runWhack(rest);
else if (sub === "status" || sub === "trafficstatus") runWhack([`--${sub}`, ...rest]);
else if (sub === "--version" || sub === "version") finish(versionLine("ipsec"), 0);
else if (sub === "--help" || sub === "-h" || sub === "help") finish(USAGE, 0);
else finish(USAGE, 2, process.stderr);
