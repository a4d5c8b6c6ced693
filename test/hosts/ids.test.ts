// Identities from ipsec.conf through the daemon: rightid=%any (and leftid=%any on the peer's
// end) on templates and permanent connections, Libreswan's DN wildcards, uniqueids=.
import { describe, expect, test } from "vitest";
import type { Daemon } from "../../hosts/daemon.ts";
import { daemonPair } from "./daemon-pair.ts";

const WEST = "192.0.2.1";
const EAST = "192.0.2.2";
const SECRETS = `%any %any : PSK "identities from the configuration"\n`;
const pair = (west: string, east: string) => daemonPair({ west: `config setup\n\tlisten=${WEST}\n${west}`, east }, SECRETS, [WEST, EAST]);
const status = async (d: Daemon) => (await d.whack({ cmd: "status" })).text ?? "";
const json = async (d: Daemon) => (await d.whack({ cmd: "status", json: true })).data as { states: { state: string; peerId: string; conn: string }[]; conns: { kind: string; remoteId: string }[] };
const westConn = (id: string) => `conn c\n\tleft=${WEST}\n\tleftid=${id}\n\tright=${EAST}\n\trightid=@east.test\n\tauthby=secret\n\tauto=add\n`;

describe("rightid=%any from ipsec.conf", () => {
  for (const [what, right] of [["a template (right=%any)", "%any"], ["a permanent connection (right=<address>)", WEST]] as const) {
    test(`${what} loads and takes the peer's ID`, async () => {
      // east names the peer as left (leftid=%any on the remote side)
      const east = `config setup\n\tlisten=${EAST}\nconn c\n\tleft=${right}\n\tleftid=%any\n\tright=${EAST}\n\trightid=@east.test\n\tauthby=secret\n\tauto=add\n`;
      const { daemons, settle } = pair(westConn("@west.test"), east);
      expect(await daemons.west.start()).toEqual(['added connection "c"']);
      expect(await daemons.east.start()).toEqual(['added connection "c"']);
      await daemons.west.whack({ cmd: "initiate", name: "c", async: true });
      await settle();
      const st = await json(daemons.east);
      expect(st.states.map((s) => [s.state, s.peerId])).toEqual([["ESTABLISHED_IKE_SA", "@west.test"]]);
      expect(st.conns[0].remoteId).toBe("%any");
      expect(await status(daemons.west)).toMatch(/ESTABLISHED_CHILD_SA/);
    });
  }
});

describe("DN IDs from ipsec.conf", () => {
  test('rightid="C=CH, O=Example, CN=*" takes a peer whose leftid is a DN under it, and not one outside', async () => {
    const east = `config setup\n\tlisten=${EAST}\nconn c\n\tleft=${EAST}\n\tleftid=@east.test\n\tright=%any\n\trightid="C=CH, O=Example, CN=*"\n\tauthby=secret\n\tauto=add\n`;
    for (const [id, ok] of [['"CN=alice, O=Example, C=CH"', true], ['"C=CH, O=Elsewhere, CN=alice"', false]] as const) {
      const { daemons, logs, settle } = pair(westConn(id), east);
      await daemons.west.start();
      await daemons.east.start();
      await daemons.west.whack({ cmd: "initiate", name: "c", async: true });
      await settle();
      const st = await json(daemons.east);
      if (ok) expect(st.states.map((s) => s.peerId)).toEqual(["CN=alice, O=Example, C=CH"]);
      else {
        expect(st.states).toEqual([]);
        expect(logs.east.join("\n")).toMatch(/the initiator's identity ID_DER_ASN1_DN 'C=CH, O=Elsewhere, CN=alice' does not match the connection's (?:left|right)id=C=CH, O=Example, CN=\*: AUTHENTICATION_FAILED/);
      }
    }
  });

  test("a DN that atodn would refuse is refused at load, saying why", async () => {
    const east = `config setup\n\tlisten=${EAST}\nconn c\n\tleft=${EAST}\n\tright=%any\n\trightid="C=CH, XY=z"\n\tauthby=secret\n\tauto=add\n`;
    const { daemons } = pair(westConn("@west.test"), east);
    expect(await daemons.east.start()).toEqual([`"c": rightid=C=CH, XY=z: not a DN: unknown attribute 'XY' (known: ND, UID, DC, CN, S, SN, serialNumber, C, L, ST, O, OU, T, D, N, G, I, ID, E, Email, emailAddress, UN, unstructuredName, TCGID)`]);
  });
});

describe("uniqueids= from config setup", () => {
  for (const [u, left] of [["yes", 1], ["no", 2]] as const) {
    test(`uniqueids=${u}: a second IKE SA of the same peer ID leaves ${left} on the responder`, async () => {
      const east = `config setup\n\tlisten=${EAST}\n\tuniqueids=${u}\nconn c\n\tleft=${EAST}\n\tleftid=@east.test\n\tright=${WEST}\n\trightid=@west.test\n\tauthby=secret\n\tauto=add\n`;
      const { daemons, settle } = pair(westConn("@west.test"), east);
      await daemons.west.start();
      await daemons.east.start();
      await daemons.west.whack({ cmd: "initiate", name: "c", async: true });
      await settle();
      await daemons.west.whack({ cmd: "initiate", name: "c", async: true });
      await settle();
      expect((await json(daemons.east)).states.filter((s) => s.state === "ESTABLISHED_IKE_SA")).toHaveLength(left);
    });
  }
});
