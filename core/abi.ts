// The ABI between core.wasm and its hosts: opcodes, buffer sizes, record layouts.
//
// This file is valid AssemblyScript and valid TypeScript (plain `export const X = n;` only),
// so the core and every host import the very same numbers and cannot drift apart.

export const ABI_VERSION = 1;

// ---- exported buffers (capacities in bytes) -------------------------------------------------
// IN: datagrams and plaintexts the host hands in; OUT: bytes the core encodes; TEXT: UTF-8
// strings (names, descriptors, log lines); TAPE: decoded messages as fixed-size node records.
export const IN_CAP = 131072;
export const OUT_CAP = 131072;
export const TEXT_CAP = 65536;
export const TAPE_NODES = 16384;

// ---- the tape: one decoded structure per node, in preorder ----------------------------------
// Each node is NODE_WORDS little-endian u32 words. A node's children are the nodes after it up
// to (not including) the node at index N_END. Byte ranges (A, B) are absolute pointers into the
// module's memory: into IN after a decode, anywhere the host wrote them before an encode.
export const NODE_WORDS = 16;
export const NODE_BYTES = 64;
export const N_KIND = 0; // K_* below
export const N_PTYPE = 1; // payload type number on the wire (0 for substructures)
export const N_END = 2; // index of the first node after this subtree
export const N_OFF = 3; // offset of the structure in the message (decode only)
export const N_LEN = 4; // length of the structure on the wire, header included (decode only)
export const N_APTR = 5;
export const N_ALEN = 6;
export const N_BPTR = 7;
export const N_BLEN = 8;
export const N_F0 = 9; // fields f0..f6: words 9..15
export const N_FIELDS = 7;

// ---- node kinds ------------------------------------------------------------------------------
export const K_NONE = 0;
// IKEv2 (RFC 7296 and extensions)
export const K_V2_HDR = 1; // A=SPIi B=SPIr f: np major minor exchange flags msgid
export const K_V2_CHAIN = 2; // root of a decrypted inner payload chain; f0 = first payload type
export const K_V2_UNKNOWN = 3; // f0 critical; A body
export const K_V2_SA = 4; // f0 critical; children K_V2_PROP
export const K_V2_PROP = 5; // f0 number f1 protocol; A SPI; children K_V2_XFORM
export const K_V2_XFORM = 6; // f0 type f1 id; children K_ATTR
export const K_ATTR = 7; // f0 type f1 tv(1)/tlv(0) f2 value (TV); A value (TLV)
export const K_V2_KE = 8; // f0 critical f1 group; A data
export const K_V2_ID = 9; // f0 critical f1 id type; A data (IDi 35, IDr 36)
export const K_V2_CERT = 10; // f0 critical f1 encoding; A data (CERT 37, CERTREQ 38)
export const K_V2_AUTH = 11; // f0 critical f1 method; A data
export const K_V2_NONCE = 12; // f0 critical; A nonce
export const K_V2_NOTIFY = 13; // f0 critical f1 protocol f2 type; A SPI; B data
export const K_V2_DELETE = 14; // f0 critical f1 protocol f2 SPI size; A SPIs
export const K_V2_VID = 15; // f0 critical; A data
export const K_V2_TSP = 16; // f0 critical; children K_V2_TS (TSi 44, TSr 45)
export const K_V2_TS = 17; // f0 type f1 IP protocol f2 start port f3 end port; A start B end
export const K_V2_SK = 18; // f0 critical f1 first inner payload; A IV|ciphertext|ICV
export const K_V2_CP = 19; // f0 critical f1 CFG type; children K_V2_CPATTR
export const K_V2_CPATTR = 20; // f0 attribute type; A value
export const K_V2_EAP = 21; // f0 critical f1 code f2 identifier; A type|data
export const K_V2_SKF = 22; // f0 critical f1 first inner payload f2 fragment number f3 total; A
// IKEv1 (RFC 2408, 2409, 3947)
export const K_V1_HDR = 32; // A=initiator cookie B=responder cookie f: np major minor exchange flags msgid
export const K_V1_CHAIN = 33; // root of a decrypted inner payload chain; f0 = first payload type
export const K_V1_ENC = 34; // encrypted body of a message with the E flag; A ciphertext
export const K_V1_SA = 35; // f0 DOI f1 situation; children K_V1_PROP (IPsec DOI), else A raw
export const K_V1_PROP = 36; // f0 number f1 protocol; A SPI; children K_V1_XFORM
export const K_V1_XFORM = 37; // f0 number f1 transform id; children K_ATTR
export const K_V1_DATA = 38; // A data: KE 4, HASH 8, SIG 9, NONCE 10, VID 13, NAT-D 20/130
export const K_V1_ID = 39; // f0 id type f1 protocol f2 port; A data
export const K_V1_CERT = 40; // f0 encoding; A data (CERT 6, CR 7)
export const K_V1_NOTIFY = 41; // f0 DOI f1 protocol f2 type; A SPI; B data
export const K_V1_DELETE = 42; // f0 DOI f1 protocol f2 SPI size; A SPIs
export const K_V1_NATOA = 43; // f0 id type; A address (NAT-OA 21/131)
export const K_V1_FRAG = 44; // f0 fragment id f1 fragment number f2 flags; A data (132)
export const K_MAX = 45;

// ---- payload type numbers --------------------------------------------------------------------
export const PT_NONE = 0;
export const PT2_SA = 33;
export const PT2_KE = 34;
export const PT2_IDI = 35;
export const PT2_IDR = 36;
export const PT2_CERT = 37;
export const PT2_CERTREQ = 38;
export const PT2_AUTH = 39;
export const PT2_NONCE = 40;
export const PT2_N = 41;
export const PT2_D = 42;
export const PT2_V = 43;
export const PT2_TSI = 44;
export const PT2_TSR = 45;
export const PT2_SK = 46;
export const PT2_CP = 47;
export const PT2_EAP = 48;
export const PT2_GSPM = 49;
export const PT2_SKF = 53;
export const PT2_PS = 54;
export const PT1_SA = 1;
export const PT1_P = 2;
export const PT1_T = 3;
export const PT1_KE = 4;
export const PT1_ID = 5;
export const PT1_CERT = 6;
export const PT1_CR = 7;
export const PT1_HASH = 8;
export const PT1_SIG = 9;
export const PT1_NONCE = 10;
export const PT1_N = 11;
export const PT1_D = 12;
export const PT1_VID = 13;
export const PT1_NATD = 20;
export const PT1_NATOA = 21;
export const PT1_NATD_DRAFT = 130;
export const PT1_NATOA_DRAFT = 131;
export const PT1_FRAG = 132;

// ---- decode errors ---------------------------------------------------------------------------
// A failed decode returns -1 and leaves one error record: E_* code, the kind and payload type
// being read, the field (index into the kind's descriptor, -1 for none), the offset in the
// message, the value found and the limit it broke, and the notify a responder would send.
export const E_OK = 0;
export const E_TRUNCATED = 1; // fewer bytes than the structure's fixed part
export const E_LENGTH = 2; // a length field disagrees with its container
export const E_TRAILING = 3; // bytes left over inside a container
export const E_VALUE = 4; // a field holds a value the RFC forbids
export const E_DUPLICATE = 5; // a payload that may appear once appeared again
export const E_CRITICAL = 6; // an unknown payload with the critical bit set
export const E_VERSION = 7; // unsupported major version
export const E_PAYLOAD_TYPE = 8; // unknown payload type where none may be skipped (IKEv1)
export const E_LIMIT = 9; // too many structures for the tape
export const E_ORDER = 10; // a payload where it may not stand (e.g. after SK)
export const E_ENCODE = 11; // the tape handed to the encoder is malformed
export const E_NOT_IKE = 12; // a datagram that is not IKE (ESP, keepalive) where IKE was expected

// The field index used in error records for the generic payload header.
export const FIELD_NONE = -1;
export const FIELD_NEXT_PAYLOAD = -2;
export const FIELD_LENGTH = -3;
export const FIELD_A = -4; // the A byte range
export const FIELD_B = -5; // the B byte range
export const FIELD_COUNT = -6; // a count of substructures

// ---- what a UDP datagram is (RFC 3948 section 2 and RFC 3947) ---------------------------------
export const DG_IKE = 1; // IKE message (on port 4500, after the 4-byte non-ESP marker)
export const DG_ESP = 2; // ESP in UDP (non-zero SPI in the first four bytes)
export const DG_KEEPALIVE = 3; // NAT keepalive: a single 0xFF byte
export const DG_INVALID = 4; // too short to be either
export const DECODE_PORT4500 = 1; // decode flag: the datagram came to port 4500

// ---- registries for names (core/names) -----------------------------------------------------
export const REG_EXCHANGE_V2 = 1;
export const REG_PAYLOAD_V2 = 2;
export const REG_NOTIFY_V2 = 3;
export const REG_TRANSFORM_TYPE = 4;
export const REG_ENCR = 5;
export const REG_PRF = 6;
export const REG_INTEG = 7;
export const REG_DH = 8;
export const REG_ESN = 9;
export const REG_ID_V2 = 10;
export const REG_AUTH_V2 = 11;
export const REG_TS_TYPE = 12;
export const REG_CERT = 13;
export const REG_CP_TYPE = 14;
export const REG_CP_ATTR = 15;
export const REG_PROTO_V2 = 16;
export const REG_XFORM_ATTR_V2 = 17;
export const REG_EXCHANGE_V1 = 18;
export const REG_PAYLOAD_V1 = 19;
export const REG_NOTIFY_V1 = 20;
export const REG_DOI = 21;
export const REG_SITUATION = 22;
export const REG_PROTO_V1 = 23;
export const REG_IKE_XFORM_V1 = 24; // transform IDs in a PROTO_ISAKMP proposal
export const REG_AH_XFORM_V1 = 25;
export const REG_ESP_XFORM_V1 = 26;
export const REG_IPCOMP_XFORM_V1 = 27;
export const REG_OAKLEY_ATTR = 28; // IKEv1 phase 1 attribute classes
export const REG_IPSEC_ATTR = 29; // IKEv1 phase 2 attribute classes
export const REG_OAKLEY_ENCR = 30;
export const REG_OAKLEY_HASH = 31;
export const REG_OAKLEY_AUTH = 32;
export const REG_OAKLEY_GROUP_TYPE = 33;
export const REG_OAKLEY_LIFE = 34;
export const REG_IPSEC_ENCAP = 35;
export const REG_IPSEC_AUTH = 36;
export const REG_ID_V1 = 37;
export const REG_CERT_V1 = 38;
export const REG_EAP_CODE = 39;
export const REG_EAP_TYPE = 40;
export const REG_IP_PROTO = 41;
export const REG_ERROR = 42; // the E_* codes above
export const REG_KIND = 43; // the K_* node kinds above
export const REG_MAX = 44;

// ---- events and commands (core <-> host pump) ------------------------------------------------
// The host calls an ev* export with `now` (milliseconds) and then drains pollCommand() until it
// returns CMD_NONE. Each command's bytes are in OUT (length cmdLen()), its numbers in cmdArg(i).
export const CMD_NONE = 0;
export const CMD_LOG = 1; // TEXT holds the line; arg0 = level
export const CMD_SEND = 2; // OUT holds the datagram; arg0 = peer handle
export const CMD_DEADLINE = 3; // arg0/arg1 = next deadline (ms, hi/lo); 0/0 = none
export const CMD_ARGS = 4;
// What every ev* export returns, changing nothing, while commands of an earlier event are still
// queued (core/pump.ts): drain them, then hand the event in again.
export const EV_BUSY = -2;
export const LOG_ERROR = 0;
export const LOG_INFO = 1;
export const LOG_DEBUG = 2;
// how the core was built to trap deliberately (tests of the loader's recovery)
export const SELFTEST_ABORT = 1;
export const SELFTEST_UNREACHABLE = 2;
export const SELFTEST_OOB = 3;

// Pseudo-registries in kind descriptors: the name depends on another field.
export const REG_BY_XFORM_TYPE = 100; // IKEv2 transform ID: by the transform's type
export const REG_BY_PROTOCOL = 101; // IKEv1 transform ID: by the proposal's protocol
export const REG_BY_ATTR_CONTEXT = 102; // attribute type: IKEv2, IKEv1 phase 1 or phase 2
export const REG_BY_ATTR_TYPE = 103; // attribute value: by the attribute's type

// ---- IKEv2 engine (core/ikev2) -----------------------------------------------------------------
// Endpoints cross in EP: the host fills it before evDatagram (where the datagram came from and
// to), the core fills it for CMD_SEND (where to send from and to). Layout, EP_BYTES bytes:
// local family (u8: 4|6), pad, local port (u16 LE), local address (16; IPv4 in the first 4),
// then the remote endpoint at EP_REMOTE in the same layout.
export const EP_BYTES = 40;
export const EP_REMOTE = 20;

export const CMD_HELPER = 4; // arg0 = job id, arg1 = JOB_* kind; OUT holds the request blobs
export const CMD_KERNEL = 5; // reserved for kernel operations (issue 5)

// Helper jobs: the expensive crypto a state hands to the host's helpers (pluto's crypto
// helpers). Requests and results are sequences of blobs: u32 LE length, then the bytes.
export const JOB_DH_GENERATE = 1; // [group] -> [pub, priv]
export const JOB_IKE_KEYS = 2; // [group, priv, peerPub, prf, Ni, Nr, SPIi, SPIr, encrLen, integLen, prfLen, (prfOld, SK_d_old)]
//                                 -> [SK_d, SK_ai, SK_ar, SK_ei, SK_er, SK_pi, SK_pr]
export const JOB_CHILD_KEYS = 3; // [group, priv, peerPub, prf, SK_d, Ni, Nr, encrLen, integLen] -> [KEYMAT]
export const JOB_OK = 0;
export const JOB_BAD_PEER_KE = 1; // the peer's public value failed validation
export const JOB_FAILED = 2;

// Admin operations (evAdmin): the request is in IN, a reply line in TEXT.
export const ADM_ADD_CONN = 1; // IN: a connection record (CONN_* tags)
export const ADM_INITIATE = 2; // IN: connection name
export const ADM_TERMINATE = 3; // IN: connection name
export const ADM_DELETE_CONN = 4; // IN: connection name
export const ADM_STATUS = 5; // IN: u8 1 = with keys, then optionally a connection name (it and its instances only); TEXT: JSON of connections and states
export const ADM_ADD_CONNS = 7; // IN: connection records, each behind its length (u32 LE); reply: one line per refusal
export const ADM_SA_OP = 6; // IN: op (u8: SAOP_*), serial (u32 LE)
export const ADM_INTERFACES = 8; // IN: this host's addresses, 20-byte EP records (port ignored); connections are oriented by them
export const ADM_ONDEMAND = 9; // IN: connection name; initiate for traffic (a kernel ACQUIRE): not "supposed to be up", so never revived
// IN: records as ADM_ADD_CONNS with CONN_NAME, CONN_PSK and CONN_PSK_RIGHT only: the loaded
// connection of that name and its instances take the secret of their orientation (an empty one:
// none, its negotiations fail); established SAs keep the keys they have. Reply: a count, then
// one line per record refused.
export const ADM_SET_SECRETS = 10;
export const ADM_SHUTDOWN = 16; // IN: window (u32 LE: most Deletes in flight), patience (u32 LE, ms: how long one holds its place), last (u8: 1 = delete the rest now); reply: JSON counts (core/ikev2/shutdown.ts)
export const SAOP_REKEY_CHILD = 1;
export const SAOP_REKEY_IKE = 2;
export const SAOP_DELETE_CHILD = 3;
export const SAOP_DELETE_IKE = 4;
export const SAOP_LIVENESS = 5;
export const ADM_OK = 0;
export const ADM_ERROR = 1;

// A connection record: a sequence of TLVs (tag u8, length u16 LE, value).
export const CONN_NAME = 1; // UTF-8
// The two ends as ipsec.conf names them: the core orients them into this/that by the addresses
// the host said it has (ADM_INTERFACES).
export const CONN_LEFT_EP = 2; // 20 bytes, EP layout; family 0 = %any
export const CONN_RIGHT_EP = 3;
export const CONN_LEFT_ID = 4; // ID type (u8) then data; absent: the end's address, or any ID for %any
export const CONN_RIGHT_ID = 5;
export const CONN_PSK = 6; // the pre-shared key when left is this end (never logged; empty: none)
export const CONN_IKE_PROPOSAL = 7; // one proposal: u16 LE pairs (transform type, id), keylen as type 14 after an ENCR
export const CONN_ESP_PROPOSAL = 8; // likewise
export const CONN_LEFT_TS = 9; // a subnet: type u8, proto u8, sport u16 LE, eport u16 LE, start, end; none: the end's own address
export const CONN_RIGHT_TS = 10;
export const CONN_TIMERS = 11; // u32 LE seconds: ike lifetime, child lifetime, rekey margin, rekey fuzz %, dpd delay, (unused: IKEv2 ignores dpdtimeout=, as Libreswan 4.10), retransmit base ms, retransmit limit
export const CONN_FLAGS = 12; // u32 LE: CF_* bits
export const CF_TRANSPORT = 1;
export const CF_FRAGMENTATION = 2;
export const CF_PFS = 4;
export const CF_INITIAL_CONTACT = 8;
export const CF_NARROWING = 16; // narrowing=yes: either side may settle for part of its selectors (RFC 7296 2.9)
export const CF_UNIQUEIDS = 256; // uniqueids=yes (config setup): a new IKE SA with the same peer ID replaces the old ones
export const CF_NO_REKEY = 512; // rekey=no: we never rekey or replace its SAs (the peer may), they expire, and it is not revived (Libreswan's POLICY_DONT_REKEY)
export const CONN_AUTO = 13; // u8: 0 ignore, 1 add, 2 route/ondemand, 3 start
export const CONN_FRAG_SIZE = 14; // u16 LE: largest datagram before fragmenting (default 1280)
export const CONN_PSK_RIGHT = 15; // the pre-shared key when right is this end (absent: CONN_PSK either way; empty: none)
export const CONN_LEFT_PROTOPORT = 16; // protoport=: proto u8, port wildcard u8 (17/%any), sport u16 LE, eport u16 LE
export const CONN_RIGHT_PROTOPORT = 17;
export const CONN_LEFT_VIRTUAL = 18; // subnet=vnet: (VIRT_NET) or vhost: (VIRT_HOST), | VIRT_NO for %no; u8
export const CONN_RIGHT_VIRTUAL = 19;
export const VIRT_NET = 1;
export const VIRT_HOST = 2;
export const VIRT_NO = 4; // %no: the peer's own address will do too
export const CONN_VP_INCLUDE = 20; // virtual-private: a TS (CONN_*_TS layout) a virtual subnet may lie in
export const CONN_VP_EXCLUDE = 21; // virtual-private: a TS (%v4:!...) it may not touch

// Half-open IKE SAs (core/ikev2/ddos.ts; Libreswan's ddos-mode, ddos-ike-threshold and
// max-halfopen-ike, set through setDdos).
export const DDOS_AUTO = 0; // cookies once ddos-ike-threshold half-open IKE SAs exist
export const DDOS_BUSY = 1; // cookies always
export const DDOS_UNLIMITED = 2; // cookies never
export const DDOS_IKE_THRESHOLD = 25000; // Libreswan 4.10's default
export const MAX_HALFOPEN_IKE = 50000; // Libreswan 4.10's default
export const HALF_OPEN_PER_SOURCE = 1024; // most half-open IKE SAs one peer address may hold
export const HALF_OPEN_BYTES = 16384; // what one half-open IKE SA may cost the core, at most (test/sim/flood.test.ts checks)
export const DROP_WINDOW_MS = 10000; // dropped input of one kind from one address: one line, then a count per window
// Keeping it up (Libreswan's revival): dpdaction u8 (DPD_*), keyingtries u32 LE (0: forever)
export const CONN_REVIVAL = 22;
export const DPD_HOLD = 0; // a dead peer's SAs go; the connection is revived if it is supposed to be up (and its trap stays)
export const DPD_CLEAR = 1; // the same, and its on-demand trap policies are removed (CMD_KERNEL op "unroute")
export const DPD_RESTART = 2; // every connection to that peer is brought up again
// The Configuration payload (RFC 7296 2.19; core/conn/pool.ts, core/ikev2/cp.ts). An address
// pool on an end makes the other end its server: a pool on the peer's end, we lease from it; one
// on ours (a shared ipsec.conf), we ask for an address as CFG_CLIENT does.
export const CONN_LEFT_POOL = 40; // an address pool: type u8 (7 IPv4, 8 IPv6), start, end (4 or 16 bytes each); one per family
export const CONN_RIGHT_POOL = 41;
export const CONN_LEFT_CFG = 42; // u8 CFG_* bits: modecfgclient=yes / sourceip=%config (CFG_CLIENT), modecfgserver=yes (CFG_SERVER)
export const CONN_RIGHT_CFG = 43;
export const CFG_CLIENT = 1; // this end asks for its address (CFG_REQUEST in IKE_AUTH)
export const CFG_SERVER = 2; // this end answers one
export const CONN_CFG_DNS = 44; // modecfgdns=: one address (4 or 16 bytes) per TLV, in order
export const CONN_CFG_DOMAIN = 45; // modecfgdomains=: one domain (UTF-8) per TLV, in order
