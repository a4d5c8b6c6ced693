// The spoofed flood of `npm run bench -- flood`: IKE_SA_INIT requests (one real request with a
// new SPIi each time) from many source addresses at a steady rate, for a while; counts what
// comes back: COOKIE requests, other answers. Prints one JSON line when done or sent SIGTERM.
//   node flood-sender.js REQUEST_HEX TARGET RATE SECONDS SRC...
import dgram from "node:dgram";

const [hex, target, rateArg, secondsArg, ...sources] = process.argv.slice(2);
const req = Buffer.from(hex!, "hex");
const rate = Number(rateArg);
const seconds = Number(secondsArg);
let sent = 0;
let cookies = 0;
let answers = 0;
let sendErrors = 0;
const sockets = sources.map((src) => {
  const s = dgram.createSocket("udp4");
  s.on("message", (m) => {
    // the first payload a Notify (41) whose type is COOKIE (16390): the responder asks for a cookie
    if (m.length >= 36 && m[16] === 41 && m.readUInt16BE(34) === 16390) cookies++;
    else answers++;
  });
  s.on("error", () => sendErrors++);
  s.bind(500, src);
  return s;
});

const t0 = performance.now();
const report = () => console.log(JSON.stringify({ sent, cookies, answers, sendErrors, seconds: (performance.now() - t0) / 1000 }));
process.on("SIGTERM", () => {
  report();
  process.exit(0);
});
let spi = 1;
const tick = () => {
  const t = (performance.now() - t0) / 1000;
  if (t >= seconds) {
    setTimeout(() => {
      report();
      for (const s of sockets) s.close();
    }, 500);
    return;
  }
  // catch up with the rate, a burst per millisecond at most
  for (let due = Math.floor(t * rate); sent < due;) {
    const b = Buffer.from(req);
    b.writeUInt32BE(spi++ >>> 0, 0);
    b.writeUInt32BE(process.pid, 4);
    sockets[sent % sockets.length]!.send(b, 500, target!);
    sent++;
  }
  setTimeout(tick, 1);
};
tick();
