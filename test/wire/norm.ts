// The normalized view of one IKE message that both oracles produce: our Wasm decode
// (test/wire/ours.ts) and tshark's JSON decode (test/wire/tshark.ts). Tests compare them.
// Hex strings are lowercase without separators; addresses are in their usual text form.

export interface NormAttr {
  type: number; // attribute type without the AF bit
  value: number | string; // TV: the 16-bit value; TLV: hex of the value
}
export interface NormTransform {
  type: number; // IKEv2: transform type; IKEv1: transform number
  id: number; // transform ID
  attrs: NormAttr[];
}
export interface NormProposal {
  num: number;
  proto: number;
  spi: string;
  transforms: NormTransform[];
}
export interface NormTs {
  type: number;
  proto: number;
  sport: number;
  eport: number;
  start: string;
  end: string;
}
export interface NormPayload {
  type: number; // payload type number (IKEv2 33.., IKEv1 1..)
  length: number; // payload length field
  proposals?: NormProposal[]; // SA
  notify?: { proto: number; type: number; spi: string; data: string }; // N (IKEv1 also: doi)
  id?: { type: number; data: string; proto?: number; port?: number }; // IDi/IDr, IKEv1 ID
  ts?: NormTs[]; // TSi/TSr
  ke?: { group: number }; // IKEv2 KE
  data?: string; // Nonce, VID, HASH, NAT-D, KE (IKEv1), ... : hex of the body
  del?: { proto: number; spiSize: number; spis: string[] }; // D
  frag?: { num: number; total: number }; // SKF (IKEv1 FRAG: id/number)
}
export interface NormMsg {
  frame: number; // 1-based frame number in the capture
  version: number; // major version: 1 or 2
  exchange: number;
  msgid: number;
  flags: number;
  ispi: string;
  rspi: string;
  length: number;
  payloads: NormPayload[]; // the outer chain in wire order (not what is inside SK / E)
}
