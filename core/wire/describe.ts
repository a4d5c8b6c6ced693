// What each node kind's fields mean, for hosts that print or build tapes. Returned as JSON:
// {"fields":[[name, registry],...],"a":name|null,"b":name|null}. A registry of 0 means a plain
// number; REG_BY_* ones depend on a sibling or parent (see abi.ts).
import {
  K_V2_HDR, K_V2_CHAIN, K_V2_UNKNOWN, K_V2_SA, K_V2_PROP, K_V2_XFORM, K_ATTR, K_V2_KE, K_V2_ID,
  K_V2_CERT, K_V2_AUTH, K_V2_NONCE, K_V2_NOTIFY, K_V2_DELETE, K_V2_VID, K_V2_TSP, K_V2_TS, K_V2_SK,
  K_V2_CP, K_V2_CPATTR, K_V2_EAP, K_V2_SKF,
  K_V1_HDR, K_V1_CHAIN, K_V1_ENC, K_V1_SA, K_V1_PROP, K_V1_XFORM, K_V1_DATA, K_V1_ID, K_V1_CERT,
  K_V1_NOTIFY, K_V1_DELETE, K_V1_NATOA, K_V1_FRAG,
} from "../abi";

export function describeKind(k: i32): string {
  switch (k) {
    case K_V2_HDR: return '{"fields":[["next_payload",2],["major",0],["minor",0],["exchange",1],["flags",0],["message_id",0]],"a":"spi_i","b":"spi_r"}';
    case K_V2_CHAIN: return '{"fields":[["next_payload",2]],"a":null,"b":null}';
    case K_V2_UNKNOWN: return '{"fields":[["critical",0]],"a":"data","b":null}';
    case K_V2_SA: return '{"fields":[["critical",0]],"a":null,"b":null}';
    case K_V2_PROP: return '{"fields":[["number",0],["protocol",16]],"a":"spi","b":null}';
    case K_V2_XFORM: return '{"fields":[["type",4],["id",100]],"a":null,"b":null}';
    case K_ATTR: return '{"fields":[["type",102],["tv",0],["value",103]],"a":"value","b":null}';
    case K_V2_KE: return '{"fields":[["critical",0],["group",8]],"a":"data","b":null}';
    case K_V2_ID: return '{"fields":[["critical",0],["type",10]],"a":"data","b":null}';
    case K_V2_CERT: return '{"fields":[["critical",0],["encoding",13]],"a":"data","b":null}';
    case K_V2_AUTH: return '{"fields":[["critical",0],["method",11]],"a":"data","b":null}';
    case K_V2_NONCE: return '{"fields":[["critical",0]],"a":"data","b":null}';
    case K_V2_NOTIFY: return '{"fields":[["critical",0],["protocol",16],["type",3]],"a":"spi","b":"data"}';
    case K_V2_DELETE: return '{"fields":[["critical",0],["protocol",16],["spi_size",0]],"a":"spis","b":null}';
    case K_V2_VID: return '{"fields":[["critical",0]],"a":"data","b":null}';
    case K_V2_TSP: return '{"fields":[["critical",0]],"a":null,"b":null}';
    case K_V2_TS: return '{"fields":[["type",12],["ip_protocol",41],["start_port",0],["end_port",0]],"a":"start","b":"end"}';
    case K_V2_SK: return '{"fields":[["critical",0],["next_payload",2]],"a":"data","b":null}';
    case K_V2_CP: return '{"fields":[["critical",0],["cfg_type",14]],"a":null,"b":null}';
    case K_V2_CPATTR: return '{"fields":[["type",15]],"a":"value","b":null}';
    case K_V2_EAP: return '{"fields":[["critical",0],["code",39],["identifier",0]],"a":"data","b":null}';
    case K_V2_SKF: return '{"fields":[["critical",0],["next_payload",2],["fragment_number",0],["total_fragments",0]],"a":"data","b":null}';
    case K_V1_HDR: return '{"fields":[["next_payload",19],["major",0],["minor",0],["exchange",18],["flags",0],["message_id",0]],"a":"icookie","b":"rcookie"}';
    case K_V1_CHAIN: return '{"fields":[["next_payload",19],["padding",0]],"a":null,"b":null}';
    case K_V1_ENC: return '{"fields":[],"a":"ciphertext","b":null}';
    case K_V1_SA: return '{"fields":[["doi",21],["situation",22]],"a":"data","b":null}';
    case K_V1_PROP: return '{"fields":[["number",0],["protocol",23]],"a":"spi","b":null}';
    case K_V1_XFORM: return '{"fields":[["number",0],["id",101]],"a":null,"b":null}';
    case K_V1_DATA: return '{"fields":[],"a":"data","b":null}';
    case K_V1_ID: return '{"fields":[["type",37],["protocol",41],["port",0]],"a":"data","b":null}';
    case K_V1_CERT: return '{"fields":[["encoding",38]],"a":"data","b":null}';
    case K_V1_NOTIFY: return '{"fields":[["doi",21],["protocol",23],["type",20]],"a":"spi","b":"data"}';
    case K_V1_DELETE: return '{"fields":[["doi",21],["protocol",23],["spi_size",0]],"a":"spis","b":null}';
    case K_V1_NATOA: return '{"fields":[["type",37]],"a":"address","b":null}';
    case K_V1_FRAG: return '{"fields":[["fragment_id",0],["fragment_number",0],["flags",0]],"a":"data","b":null}';
  }
  return "";
}
