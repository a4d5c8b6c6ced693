#!/usr/bin/env node
// ipsec: the Libreswan-style front end. `ipsec auto --add|--up|--down|--delete NAME` and
// `ipsec whack ARGS` talk to pluto over its control socket.
import { runWhack } from "./whack.ts";

const [sub, ...rest] = process.argv.slice(2);
if (sub === "auto") runWhack(["auto", ...rest]);
else if (sub === "whack") runWhack(rest);
else {
  console.error("usage: ipsec auto --add|--up|--down|--delete|--route|--unroute NAME | ipsec whack ARGS");
  process.exit(2);
}
