// Invariants checked after every simulated scenario: both sides agree on which SAs exist,
// derived identical keys for each, keep consistent message IDs, and leak nothing.
import type { IkeStatus } from "../../hosts/engine.ts";
import type { Node, Sim } from "./sim.ts";

export function established(n: Node): IkeStatus[] {
  return n.status(true).ike.filter((s) => s.state === "ESTABLISHED_IKE_SA");
}

// Returns a list of violations (empty when all hold).
export function consistency(sim: Sim, a: Node, b: Node): string[] {
  const bad: string[] = [];
  const A = a.status(true).ike;
  const B = b.status(true).ike;
  for (const s of A) {
    if (s.state !== "ESTABLISHED_IKE_SA") {
      bad.push(`${a.name} #${s.serial} left in ${s.state}`);
      continue;
    }
    const t = B.find((x) => x.spiI === s.spiI && x.spiR === s.spiR);
    if (!t) {
      bad.push(`${a.name} #${s.serial} (${s.spiI}/${s.spiR}) has no peer IKE SA on ${b.name}`);
      continue;
    }
    for (const k of ["SK_d", "SK_ai", "SK_ar", "SK_ei", "SK_er", "SK_pi", "SK_pr"] as const) {
      if (s[k] !== t[k]) bad.push(`${a.name} #${s.serial}: ${k} differs from ${b.name} #${t.serial}`);
    }
    if (s.initiator === t.initiator) bad.push(`${a.name} #${s.serial} and ${b.name} #${t.serial} both claim the same role`);
    // message IDs: with no request in flight, what one sends next is what the other expects
    if (!s.outstanding && !t.outstanding && s.queued === 0 && t.queued === 0) {
      if (s.nextRequestId !== t.expectRequestId) bad.push(`${a.name} #${s.serial} next request ${s.nextRequestId} but ${b.name} expects ${t.expectRequestId}`);
    }
    const live = (c: { state: string }) => c.state === "ESTABLISHED_CHILD_SA";
    const sc = s.children.filter(live);
    const tc = t.children.filter(live);
    for (const c of sc) {
      const d = tc.find((x) => x.spiIn === c.spiOut && x.spiOut === c.spiIn);
      if (!d) {
        bad.push(`${a.name} Child #${c.serial} (in ${c.spiIn} out ${c.spiOut}) has no peer on ${b.name}`);
        continue;
      }
      if (c.encrIn !== d.encrOut || c.encrOut !== d.encrIn || c.integIn !== d.integOut || c.integOut !== d.integIn) bad.push(`${a.name} Child #${c.serial}: keys differ from ${b.name} #${d.serial}`);
    }
    if (sc.length !== tc.length) bad.push(`${a.name} #${s.serial} has ${sc.length} Child SAs, ${b.name} #${t.serial} has ${tc.length}`);
  }
  for (const t of B) {
    if (!A.find((x) => x.spiI === t.spiI && x.spiR === t.spiR) && t.state === "ESTABLISHED_IKE_SA") bad.push(`${b.name} #${t.serial} has no peer IKE SA on ${a.name}`);
  }
  void sim;
  return bad;
}

// Nothing left: no IKE SA and no timer.
export function empty(n: Node): string[] {
  const bad: string[] = [];
  const s = n.status();
  if (s.ike.length) bad.push(`${n.name} still has ${s.ike.map((x) => `#${x.serial} ${x.state}`).join(", ")}`);
  const d = n.engine.nextDeadline();
  if (d !== 0) bad.push(`${n.name} still has a timer at ${d}`);
  return bad;
}
