// The crypto provider of the Deno daemon: the native one (Deno's node:crypto), except for a
// group Deno's node:crypto lacks. Deno 2.9's createECDH refuses secp521r1 ("invalid curve"), so
// ECP_521 (group 21) goes to the portable provider when, and only when, native cannot do it.
import { nativeProvider as native } from "../crypto/native.ts";
import { portableProvider as portable } from "../crypto/portable.ts";
import type { CryptoProvider } from "../crypto/provider.ts";

const works = (g: number) => {
  try {
    native.dhGenerate(g);
    return true;
  } catch {
    return false;
  }
};
const fallback = new Set([21].filter((g) => !works(g)));
const pick = (g: number) => (fallback.has(g) ? portable : native);

export const provider: CryptoProvider = {
  ...native,
  dhGenerate: (g) => pick(g).dhGenerate(g),
  dhPublic: (g, priv) => pick(g).dhPublic(g, priv),
  dhShared: (g, priv, pub) => pick(g).dhShared(g, priv, pub),
};
export const portableGroups = [...fallback];
