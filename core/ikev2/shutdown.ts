// Shutting down (SIGTERM, whack --shutdown): every IKE SA is deleted with its peer, a window of
// Deletes at a time, so that 10,000 IKE SAs neither flood the host's socket nor the peers: the
// next Delete goes as an earlier one is answered, or once an earlier one has waited `patience`
// ms (a peer that is gone must not hold up the Deletes to those that are there; its own Delete
// is still retransmitted). Whatever has no answer at the host's time bound is deleted here
// alone, which removes its Child SAs from the kernel. The host drives it (hosts/daemon.ts
// shutdown): it calls shutdownStep after each event and now and then, and at its bound once
// with `last`.
//
// From the first step on, the core starts no new IKE SA (initiateIke refuses) and answers no
// IKE_SA_INIT: nothing new is set up only to be torn down again.
import { IkeSa, allIke, ESTABLISHED_IKE_SA, IKE_SA_DELETING, IKE_SA_DEAD, X_DELETE_IKE } from "../sa/sa";
import { queueExchange, deleteIkeLocal, now } from "./state";
export let shuttingDown = false;

let todo = new Array<IkeSa>(); // the IKE SAs still to be sent a Delete, in the order they came
let next = 0;
const inFlight = new Array<IkeSa>(); // asked to go, not gone yet, and waited less than `patience`
const inFlightSince = new Array<f64>();
const askedOf = new Set<i32>(); // the serials of the IKE SAs sent a Delete
let sent = 0; // Deletes asked for
let answered = 0; // Deletes the peer answered
let unanswered = 0; // deleted without an answer (at the host's time bound)
let unansweredSent = 0; // of those, the ones that had been sent a Delete
let abandoned = 0; // not established yet: deleted without a Delete (the peer has no IKE SA to delete)

// informational.ts: the peer answered our Delete of an IKE SA.
export function deleteAnswered(): void {
  if (shuttingDown) answered++;
}

function queued(sa: IkeSa): bool {
  for (let i = 0; i < sa.queue.length; i++) if (sa.queue[i].what == X_DELETE_IKE) return true;
  return false;
}

// One step: asks for Deletes until `window` are in flight; with `last`, sends a Delete to
// each established IKE SA that has had none (when its window is free; there is no waiting for
// the answer now) and deletes everything left. Returns the counts as JSON for the host.
export function shutdownStep(window: i32, patience: f64, last: bool): string {
  if (!shuttingDown) {
    shuttingDown = true;
    todo = allIke.slice();
    next = 0;
  }
  for (let i = inFlight.length - 1; i >= 0; i--) {
    if (inFlight[i].state != IKE_SA_DEAD && now - inFlightSince[i] < patience) continue;
    inFlight.splice(i, 1);
    inFlightSince.splice(i, 1);
  }
  while (inFlight.length < window || last) {
    if (next >= todo.length) {
      if (last) break;
      // IKE SAs that came since (a peer's IKE SA rekey completing meanwhile): one more round
      todo = new Array<IkeSa>();
      next = 0;
      for (let i = 0; i < allIke.length; i++) {
        const sa = allIke[i];
        if (!asked(sa)) todo.push(sa);
      }
      if (todo.length == 0) break;
    }
    const sa = todo[next++];
    if (sa.state == IKE_SA_DEAD || asked(sa)) continue;
    if (sa.state != ESTABLISHED_IKE_SA) {
      abandoned++;
      deleteIkeLocal(sa, "shutting down before it was established");
      continue;
    }
    if (last && sa.outstanding !== null) continue; // no Delete can go now; it goes below
    queueExchange(sa, X_DELETE_IKE, 0);
    askedOf.add(sa.serial);
    sent++;
    inFlight.push(sa);
    inFlightSince.push(now);
  }
  if (last) {
    const list = allIke.slice();
    for (let i = 0; i < list.length; i++) {
      const sa = list[i];
      if (sa.state == IKE_SA_DEAD) continue;
      unanswered++;
      if (askedOf.has(sa.serial)) unansweredSent++;
      deleteIkeLocal(sa, "shutting down: no answer to the Delete in time");
    }
    inFlight.length = 0;
    inFlightSince.length = 0;
  }
  // (allIke holds no dead IKE SA: deleteIkeLocal takes it out)
  return '{"left":' + allIke.length.toString() + ',"inFlight":' + inFlight.length.toString() + ',"sent":' + sent.toString() +
    ',"answered":' + answered.toString() + ',"peerFirst":' + (sent - answered - unansweredSent).toString() + ',"unanswered":' + unanswered.toString() + ',"abandoned":' + abandoned.toString() + "}";
}

// Whether the IKE SA has been sent a Delete (by us now, or earlier by the administrator).
function asked(sa: IkeSa): bool {
  return askedOf.has(sa.serial) || sa.state == IKE_SA_DELETING || queued(sa);
}
