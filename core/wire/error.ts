// The one error record of the last failed decode or encode (codes and fields in abi.ts).
// Errors are values: nothing in the codec throws, asserts or aborts.
export let errCode: i32 = 0;
export let errKind: i32 = 0;
export let errPtype: i32 = 0;
export let errField: i32 = 0;
export let errOffset: i32 = 0;
export let errValue: u32 = 0;
export let errLimit: u32 = 0;
export let errNotify: i32 = 0;

// The notify to answer with depends on the version being decoded.
export let curVersion: i32 = 2;
export function setVersion(v: i32): void {
  curVersion = v;
}

// v2: INVALID_SYNTAX (7); v1: PAYLOAD-MALFORMED (16)
@inline export function malformedNotify(): i32 {
  return curVersion == 2 ? 7 : 16;
}

export function clearError(): void {
  errCode = 0;
  errKind = 0;
  errPtype = 0;
  errField = 0;
  errOffset = 0;
  errValue = 0;
  errLimit = 0;
  errNotify = 0;
}

export function failWith(code: i32, kind: i32, ptype: i32, field: i32, offset: i32, value: u32, limit: u32, notify: i32): i32 {
  errCode = code;
  errKind = kind;
  errPtype = ptype;
  errField = field;
  errOffset = offset;
  errValue = value;
  errLimit = limit;
  errNotify = notify;
  return -1;
}

// The common case: a malformed structure, answered with INVALID_SYNTAX / PAYLOAD-MALFORMED.
export function fail(code: i32, kind: i32, ptype: i32, field: i32, offset: i32, value: u32, limit: u32): i32 {
  return failWith(code, kind, ptype, field, offset, value, limit, malformedNotify());
}
