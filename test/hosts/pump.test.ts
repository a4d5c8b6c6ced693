// Events in, commands out: a datagram produces log lines in pluto's vocabulary, named from
// core/names; a malformed one is logged once with the reason and the notify it would get.
import { describe, expect, test } from "vitest";
import * as abi from "../../core/abi.ts";
import { loadCore } from "../../hosts/node/corefile.ts";
import { Pump } from "../../hosts/pump.ts";
import { corpusMessages } from "../wire/corpus.ts";

describe("event pump", () => {
  const pump = new Pump(loadCore());
  test("an IKE_SA_INIT request is logged with its payloads", () => {
    const [first] = corpusMessages("ikev2-psk-x25519-gcm");
    const cmds = pump.datagram(1000, first.bytes, 7);
    expect(cmds).toEqual([{
      op: "log", level: abi.LOG_DEBUG,
      line: "received IKEv2 IKE_SA_INIT request (message ID 0) from peer 7: SA KE Nx N(NAT_DETECTION_SOURCE_IP) N(NAT_DETECTION_DESTINATION_IP) N(IKEV2_FRAGMENTATION_SUPPORTED) N(SIGNATURE_HASH_ALGORITHMS) N(REDIRECT_SUPPORTED)",
    }]);
    expect(pump.drain()).toEqual([]);
  });
  test("IKEv1 Main Mode and an encrypted IKEv1 message", () => {
    const msgs = corpusMessages("ikev1-ss-main-psk");
    expect(pump.datagram(0, msgs[0].bytes, 1)[0]).toMatchObject({ line: expect.stringMatching(/^received IKEv1 ID_PROT \(message ID 0\) from peer 1: SA VID VID VID VID VID$/) });
    expect(pump.datagram(0, msgs[4].bytes, 1)[0]).toMatchObject({ line: expect.stringMatching(/\(encrypted\)$/) });
  });
  test("a malformed message is logged once, with the reason and the notify", () => {
    const [first] = corpusMessages("ikev2-psk-x25519-gcm");
    const bad = first.bytes.slice();
    bad[28 + 3] += 1; // SA payload length one too long
    const cmds = pump.datagram(0, bad, 3, false);
    expect(cmds).toHaveLength(1);
    expect(cmds[0]).toMatchObject({ op: "log", level: abi.LOG_INFO });
    expect((cmds[0] as { line: string }).line).toMatch(/^dropping malformed message from peer 3: .* at offset \d+: .*; would answer INVALID_SYNTAX$/);
  });
  test("ESP on port 4500 is not taken for IKE", () => {
    const cmds = pump.datagram(0, new Uint8Array([0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1, 9, 9]), 4, true);
    expect((cmds[0] as { line: string }).line).toContain("from peer 4 (port 4500)");
  });
  test("oversized datagrams are refused", () => {
    expect(pump.datagram(0, new Uint8Array(abi.IN_CAP + 1), 5)[0]).toMatchObject({ op: "log", line: expect.stringContaining("larger than the input buffer") });
  });
});
