#!/usr/bin/env node
// ikedump: print the IKE messages of a pcap/pcapng capture as a tshark -V style tree, or as
// one JSON document. The work is hosts/dump.ts (shared with the Deno host); this file only
// parses arguments, reads files and sets the exit code.
import { versionLine } from "./version.ts";
import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";
import { loadWire } from "./corefile.ts";
import { dumpCapture } from "../dump.ts";

const USAGE = "usage: ikedump FILE [--keys KEYFILE] [--json]";

const HELP = `${USAGE}

Prints every IKEv2 and IKEv1 message of a capture (pcap or pcapng; UDP 500 and 4500, either
direction) as a tree in the style of \`tshark -V\`: the header, every payload and every field,
names with their numbers. On port 4500, ESP packets and NAT keepalives get one line each.
A packet that does not decode is reported as "Frame N: malformed: why" and the rest go on.

Options:
  --json           one JSON document instead of text: {"file", "messages": [{"frame", "time",
                   "src", "sport", "dst", "dport", "port4500", and "ike" (the decoded tree),
                   "esp" {"spi", "seq"}, "keepalive" or "error" {"code", "notify", "offset",
                   "message"}}], "summary", "capture_errors"}
  --keys KEYFILE   a Wireshark-style key table: ikev2_decryption_table lines
                   SPIi,SPIr,SK_ei,SK_er,"encryption alg",SK_ai,SK_ar,"integrity alg"
                   (ikev1_decryption_table lines "icookie,key" are read too). Bad lines are
                   reported with their line number. Decrypts SK and SKF payloads (fragments
                   reassembled) with AES-CBC + HMAC-SHA1/SHA2, AES-GCM and ChaCha20-Poly1305
                   and prints what is inside; an ICV that does not verify is reported.
                   With ikev1_decryption_table lines, IKEv1 messages with the E flag are
                   decrypted (DES, 3DES, AES-CBC) along each ISAKMP SA's IV chain (RFC 2409
                   Appendix B), which needs the capture's phase-1 SA and KE payloads; IKEv1
                   fragments (payload 132) are reassembled and shown as the whole message.
  -h, --help       this text
  --version        the version

A summary goes to stderr ("ikedump: N IKE messages, M malformed, K ESP").
Exit status: 0 when the capture was read (even with malformed packets), 1 when it or the key
file cannot be read, 2 on a usage error.`;

function fail(code: number, msg: string): never {
  process.stderr.write(`ikedump: ${msg}\n`);
  process.exit(code);
}

function main(): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      options: {
        keys: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean" },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    fail(2, `${(e as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP + "\n");
    return 0;
  }
  if (values.version) {
    process.stdout.write(versionLine("ikedump") + "\n");
    return 0;
  }
  if (positionals.length !== 1) fail(2, `${positionals.length ? "one capture file at a time" : "no capture file given"}\n${USAGE}`);
  const file = positionals[0];

  let capture: Uint8Array;
  try {
    capture = readFileSync(file);
  } catch (e) {
    fail(1, `cannot read ${file}: ${(e as Error).message}`);
  }
  let keys: string | undefined;
  if (values.keys !== undefined) {
    try {
      keys = readFileSync(values.keys, "utf8");
    } catch (e) {
      fail(1, `cannot read key table ${values.keys}: ${(e as Error).message}`);
    }
  }
  let wire;
  try {
    wire = loadWire();
  } catch (e) {
    fail(1, `cannot load the core: ${(e as Error).message}`);
  }

  const r = dumpCapture(wire, capture, { json: values.json, keys, file });
  if (r.fatal !== undefined) fail(1, `${file}: ${r.fatal}`);
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e; // `ikedump x | head` is fine
  });
  process.stdout.write(r.text);
  for (const w of r.warnings) process.stderr.write(`ikedump: ${w}\n`);
  process.stderr.write(r.summary + "\n");
  return 0;
}

process.exitCode = main();
