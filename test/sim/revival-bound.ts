// How long after the last fault a connection that should be up may take to be whole again
// (core/ikev2/revival.ts): the stale IKE SA found dead (dpddelay=, then the 63.5 s of
// retransmissions), the longest revival wait (300 s), the longest gap between an attempt's
// retransmissions (32 s), and a few seconds for the exchanges themselves.
export const REVIVE_BOUND = (dpdDelayMs: number): number => dpdDelayMs + 63_500 + 300_000 + 32_000 + 10_000;
