// `npm run bench -- dh`: one key exchange's worth of DH work as the helpers do it (generate our
// key pair, then the shared secret with the peer's value) through node:crypto, with the key
// object kept from generation to the shared secret (what the daemon does) against importing
// the private key again (what it did: x25519's JWK import and ECDH.setPrivateKey each cost a
// scalar multiplication to rebuild the public value), measured in the same run.
import { nativeProvider as N, forgetKeptKeys } from "../hosts/crypto/native.ts";
import { rate, type Emit } from "./util.ts";

export function benchDh(emit: Emit): void {
  for (const [name, group] of [["x25519", 31], ["ecp256", 19], ["ecp384", 20]] as const) {
    const peer = N.dhGenerate(group).pub;
    const kept = rate(() => {
      const k = N.dhGenerate(group);
      N.dhShared(group, k.priv, peer);
    });
    const imported = rate(() => {
      const k = N.dhGenerate(group);
      forgetKeptKeys();
      N.dhShared(group, k.priv, peer);
    });
    emit(`${name}_exchanges_kept_key`, kept, "exchanges/s");
    emit(`${name}_exchanges_imported_key`, imported, "exchanges/s");
    emit(`${name}_kept_over_imported`, kept / imported, "ratio");
  }
}
