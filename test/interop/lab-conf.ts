// Our side of the lab's one connection, "lab": west 198.51.100.0/25 (@west.lab.example) and
// east 198.51.100.128/25 (@east.lab.example) over the veth pair. One text serves a daemon on
// either end: `listen` says which address it owns, and the core orients left/right by it.
import { parseListSas, type Lab } from "./lab.ts";

export function labConf(o: { listen: string; west: string; east: string; ike: string; esp: string; extra?: string }): string {
  return `config setup
	listen=${o.listen}
conn lab
	left=${o.west}
	leftid=@west.lab.example
	leftsubnet=198.51.100.0/25
	right=${o.east}
	rightid=@east.lab.example
	rightsubnet=198.51.100.128/25
	authby=secret
	ike=${o.ike}
	esp=${o.esp}
	auto=add
${o.extra ?? ""}`;
}

export const labSecrets = (psk: string) => `@west.lab.example @east.lab.example : PSK "${psk}"\n`;

export const PSK = "interop-secret-0123456789";

// strongSwan's side of the same connection (swanctl.conf), east in the lab, as
// east.lab.example; `child` adds settings to its Child SA (lifetimes); `secrets` replaces the
// secrets section's one PSK for the pair.
export function ssConf(o: { local: string; remote: string; ike: string; esp: string; lts: string; rts: string; psk?: string; child?: string; secrets?: string }): string {
  return `connections {
  lab {
    version = 2
    local_addrs = ${o.local}
    remote_addrs = ${o.remote}
    proposals = ${o.ike}
    dpd_delay = 0
    local  { auth = psk
             id = east.lab.example }
    remote { auth = psk
             id = west.lab.example }
    children {
      net {
        local_ts = ${o.lts}
        remote_ts = ${o.rts}
        esp_proposals = ${o.esp}
        start_action = none
${o.child ?? ""}      }
    }
  }
}
secrets {
${o.secrets ?? `  ike-lab { id-a = west.lab.example
            id-b = east.lab.example
            secret = "${o.psk ?? PSK}" }`}
}
`;
}

const hex16 = (s: string) => s.padStart(16, "0");
const hex8 = (s: string) => s.padStart(8, "0");

// Both sides show the same IKE SA and Child SA (SPIs), established.
export function agree(lab: Lab): boolean {
  const ours = lab.states().filter((s) => s.state === "ESTABLISHED_IKE_SA");
  const theirs = parseListSas(lab.swanctl("--list-sas"));
  if (ours.length !== 1 || theirs.ike.length !== 1 || theirs.ike[0].state !== "ESTABLISHED") return false;
  const o = ours[0];
  if (hex16(o.spiI) !== theirs.ike[0].spiI || hex16(o.spiR) !== theirs.ike[0].spiR) return false;
  const oc = o.children.filter((c) => c.state === "ESTABLISHED_CHILD_SA");
  const tc = theirs.child.filter((c) => c.state === "INSTALLED");
  if (oc.length !== 1 || tc.length !== 1) return false;
  return hex8(oc[0].spiOut) === tc[0].spiIn && hex8(oc[0].spiIn) === tc[0].spiOut;
}
