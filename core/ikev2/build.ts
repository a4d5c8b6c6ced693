// Payload builders on the tape (see message.ts for the builder itself).
import { Proposal, Xform, Ts, Id } from "../conn/conn";
import { node, end, leaf, f, a, b } from "./message";
import {
  K_V2_SA, K_V2_PROP, K_V2_XFORM, K_ATTR, K_V2_KE, K_V2_NONCE, K_V2_NOTIFY, K_V2_ID, K_V2_AUTH,
  K_V2_TSP, K_V2_TS, K_V2_DELETE,
  PT2_SA, PT2_KE, PT2_NONCE, PT2_N, PT2_AUTH, PT2_D,
} from "../abi";

function xforms(list: Array<Xform>): void {
  for (let k = 0; k < list.length; k++) {
    const x = list[k];
    const t = node(K_V2_XFORM, 0);
    f(t, 0, x.type);
    f(t, 1, x.id);
    if (x.keyBits != 0) {
      const at = leaf(K_ATTR, 0);
      f(at, 0, 14);
      f(at, 1, 1);
      f(at, 2, x.keyBits);
    }
    end();
  }
}

// SA with our proposals numbered from 1 (a request), each with the same SPI.
export function saProposals(ps: Array<Proposal>, protocol: i32, spi: Uint8Array, withDh: bool): void {
  node(K_V2_SA, PT2_SA);
  for (let i = 0; i < ps.length; i++) {
    const p = node(K_V2_PROP, 0);
    f(p, 0, i + 1);
    f(p, 1, protocol);
    a(p, spi);
    if (withDh) {
      xforms(ps[i].xforms);
    } else {
      const l = new Array<Xform>();
      for (let k = 0; k < ps[i].xforms.length; k++) if (ps[i].xforms[k].type != 4) l.push(ps[i].xforms[k]);
      xforms(l);
    }
    end();
  }
  end();
}

// SA with the one accepted proposal (a response), keeping the peer's proposal number.
export function saChosen(number: i32, protocol: i32, spi: Uint8Array, list: Array<Xform>): void {
  node(K_V2_SA, PT2_SA);
  const p = node(K_V2_PROP, 0);
  f(p, 0, number);
  f(p, 1, protocol);
  a(p, spi);
  xforms(list);
  end();
  end();
}

export function ke(group: i32, data: Uint8Array): void {
  const i = leaf(K_V2_KE, PT2_KE);
  f(i, 1, group);
  a(i, data);
}

export function nonce(n: Uint8Array): void {
  a(leaf(K_V2_NONCE, PT2_NONCE), n);
}

export function notify(type: i32, protocol: i32, spi: Uint8Array, data: Uint8Array): void {
  const i = leaf(K_V2_NOTIFY, PT2_N);
  f(i, 1, protocol);
  f(i, 2, type);
  a(i, spi);
  b(i, data);
}

export function id(ptype: i32, v: Id): void {
  const i = leaf(K_V2_ID, ptype);
  f(i, 1, v.type);
  a(i, v.data);
}

export function auth(method: i32, data: Uint8Array): void {
  const i = leaf(K_V2_AUTH, PT2_AUTH);
  f(i, 1, method);
  a(i, data);
}

export function ts(ptype: i32, list: Array<Ts>): void {
  node(K_V2_TSP, ptype);
  for (let k = 0; k < list.length; k++) {
    const t = list[k];
    const s = leaf(K_V2_TS, 0);
    f(s, 0, t.type);
    f(s, 1, t.proto);
    f(s, 2, t.sport);
    f(s, 3, t.eport);
    a(s, t.start);
    b(s, t.end);
  }
  end();
}

export function del(protocol: i32, spiSize: i32, spis: Uint8Array): void {
  const i = leaf(K_V2_DELETE, PT2_D);
  f(i, 1, protocol);
  f(i, 2, spiSize);
  a(i, spis);
}
