// One IKE SA per peer: uniqueids=yes (config setup, Libreswan's default) and INITIAL_CONTACT
// (RFC 7296 2.4), applied when a responder's IKE_AUTH completes, as pluto applies them.
//
// - uniqueids=yes: a new IKE SA authenticated with the same peer ID on the same connection (a
//   permanent one, or any instance of one template) replaces the older ones. They go with
//   their Child SAs, and a Delete goes to the old peer address, once, with no answer awaited
//   (the old peer may be gone, a crashed road warrior).
// - INITIAL_CONTACT: the peer says this is the only IKE SA between our two identities, so the
//   others it had with us are stale, whichever connection they are on; they go without a
//   Delete (the peer no longer has them). Libreswan 4.10 ignores INITIAL_CONTACT with
//   uniqueids=no (several peers may then share one ID), and so does this.
//
// Only IKE SAs established before this one's IKE_SA_INIT came are replaced: when both ends
// initiate at once (auto=start on both), each end's own IKE SA is established after the
// peer's began, and both stay.
import { Id } from "../conn/conn";
import { IkeSa, allIke, ESTABLISHED_IKE_SA } from "../sa/sa";
import { logSa, deleteIkeLocal } from "./state";
import { deleteIkeNow } from "./informational";
import { LOG_INFO, LOG_DEBUG } from "../abi";

export function replaceOlder(sa: IkeSa, initialContact: bool): void {
  const peer = sa.peerId;
  if (peer === null) return;
  if (!sa.conn.uniqueIds) {
    if (initialContact) logSa(sa, LOG_DEBUG, "ignoring INITIAL_CONTACT: uniqueids=no");
    return;
  }
  const old = new Array<IkeSa>();
  for (let i = 0; i < allIke.length; i++) {
    const o = allIke[i];
    if (o === sa || o.state != ESTABLISHED_IKE_SA || o.createdAt >= sa.beganAt || !samePeer(o, peer)) continue;
    if (initialContact ? o.conn.localId.equals(sa.conn.localId) : o.conn.base === sa.conn.base) old.push(o);
  }
  for (let i = 0; i < old.length; i++) {
    const o = old[i];
    if (o.state != ESTABLISHED_IKE_SA) continue; // gone with an earlier one (a rekey's pair)
    const who = "#" + sa.serial.toString() + " of the same peer ID " + peer.toText();
    if (initialContact) {
      logSa(sa, LOG_INFO, "INITIAL_CONTACT: deleting the peer's stale IKE SA #" + o.serial.toString() + " and its Child SAs");
      deleteIkeLocal(o, "the peer sent INITIAL_CONTACT on " + who);
    } else {
      logSa(sa, LOG_INFO, "uniqueids: replacing IKE SA #" + o.serial.toString() + " of " + o.remote.toString());
      deleteIkeNow(o, "replaced by " + who + " (uniqueids=yes)");
    }
  }
}

function samePeer(o: IkeSa, peer: Id): bool {
  const p = o.peerId;
  return p !== null && p.equals(peer);
}

// Whether another established IKE SA already joins our ID on `sa`'s connection to the peer it
// is for: then `sa` is not our initial contact, and saying so would have the peer delete the
// others (strongSwan sends INITIAL_CONTACT only when it has none; Libreswan not for a
// replacement).
export function hasContact(sa: IkeSa): bool {
  const want = sa.conn.remoteId;
  for (let i = 0; i < allIke.length; i++) {
    const o = allIke[i];
    if (o === sa || o.state != ESTABLISHED_IKE_SA || !o.conn.localId.equals(sa.conn.localId)) continue;
    if (!want.wild ? samePeer(o, want) : o.remote.sameAddr(sa.remote)) return true;
  }
  return false;
}
