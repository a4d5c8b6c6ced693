// AssemblyScript test entry for core/names (built by test/names/names.test.ts). Each export
// writes the UTF-8 of one name into a static buffer and returns its length in bytes.
import {
  nameOf,
  transformIdName,
  v1TransformIdName,
  v1AttrValueName,
  namesSelfCheck,
} from "../../core/names/index";

const BUF_CAP: i32 = 1024;
const BUF: usize = memory.data(BUF_CAP);

// Names are ASCII; at most 3 bytes per UTF-16 unit keeps even a non-ASCII name in BUF.
function put(s: string): usize {
  const units = min(s.length, BUF_CAP / 3);
  return String.UTF8.encodeUnsafe(changetype<usize>(s), units, BUF, false);
}

export function buffer(): usize {
  return BUF;
}
export function name(reg: i32, v: i32): usize {
  return put(nameOf(reg, v));
}
export function xformName(transformType: i32, id: i32): usize {
  return put(transformIdName(transformType, id));
}
export function v1XformName(protocol: i32, id: i32): usize {
  return put(v1TransformIdName(protocol, id));
}
export function v1AttrName(phase: i32, attrType: i32, value: i32): usize {
  return put(v1AttrValueName(phase, attrType, value));
}
export function selfCheck(): i32 {
  return namesSelfCheck();
}
