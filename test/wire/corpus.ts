// The IKE messages of the corpus captures in ../shared/corpus/pcap, for tests and benchmarks.
import { readFileSync, readdirSync } from "node:fs";
import { readCapture } from "../../hosts/pcap.ts";

export const DIR = new URL("../../../shared/corpus/pcap/", import.meta.url);
export const captures = readdirSync(DIR).filter((f) => f.endsWith(".pcap")).map((f) => f.replace(/\.pcap$/, ""));

export interface CorpusMessage {
  capture: string;
  frame: number;
  port4500: boolean;
  bytes: Uint8Array; // the IKE message (non-ESP marker removed)
}

export function corpusMessages(name: string): CorpusMessage[] {
  const { packets, errors } = readCapture(readFileSync(new URL(`${name}.pcap`, DIR)));
  if (errors.length) throw new Error(`${name}: ${errors.join("; ")}`);
  const out: CorpusMessage[] = [];
  for (const p of packets) {
    const port4500 = p.sport === 4500 || p.dport === 4500;
    if (!port4500 && p.sport !== 500 && p.dport !== 500) continue;
    if (port4500 && (p.payload.length < 4 || p.payload[0] | p.payload[1] | p.payload[2] | p.payload[3])) continue;
    out.push({ capture: name, frame: p.frame, port4500, bytes: port4500 ? p.payload.subarray(4) : p.payload });
  }
  return out;
}

