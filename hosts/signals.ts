// Signals, for both daemons: SIGHUP (reread), SIGTERM and SIGINT (shut down), whenever they
// come: during start-up, a reread or a shutdown. Each is logged when it comes and handled one
// at a time, in the order they came, after whatever the daemon was doing then (start-up is the
// first thing handled). Once a shutdown is asked for, later signals are logged and change
// nothing. The host installs its listeners before anything slow (loading a large ipsec.conf),
// so that no signal meets the runtime's default action (for SIGHUP: death, without a word).
import type { Daemon } from "./daemon.ts";

export type SignalName = "SIGHUP" | "SIGTERM" | "SIGINT";

export interface SignalActions {
  reread(): Promise<string>; // the line to log
  stop(): Promise<void>;
}

export class Signals {
  private chain: Promise<void> = Promise.resolve();
  private phase: "starting" | "running" | "stopping" = "starting";

  constructor(private readonly log: (line: string) => void, private readonly actions: SignalActions) {}

  // Start-up, as the first thing handled: signals that come meanwhile wait for it.
  starting(startUp: Promise<void>): void {
    this.chain = this.then(() => startUp.then(() => {
      if (this.phase === "starting") this.phase = "running";
    }));
  }

  // A shutdown not asked for by a signal (whack --shutdown): later signals change nothing.
  stopping(): void {
    this.phase = "stopping";
  }

  deliver(sig: SignalName): void {
    const during = this.phase === "starting" ? " during start-up" : "";
    if (this.phase === "stopping") {
      this.log(`pluto: received ${sig} while shutting down: ignored`);
      return;
    }
    if (sig === "SIGHUP") {
      this.log(`pluto: received SIGHUP${during}: rereading the configuration and secrets${during ? " once started" : ""}`);
      // (a shutdown asked for after this SIGHUP waits for its reread)
      // (the daemon logs what the reread did to each connection; this is its summary)
      this.chain = this.then(async () => this.log(`pluto: SIGHUP: ${(await this.actions.reread()).split("\n")[0]}`));
      return;
    }
    this.phase = "stopping";
    this.log(`pluto: received ${sig}${during}: shutting down${during ? " once started" : ""}`);
    this.chain = this.then(() => this.actions.stop());
  }

  private then(f: () => Promise<void> | void): Promise<void> {
    return this.chain.then(f).catch((e) => this.log(`pluto: handling a signal failed: ${(e as Error).message}`));
  }
}

// What both daemons do first: listen for the three signals (`listen` is the runtime's call),
// reread through the daemon and stop through `stop` when they come (both looked up only then,
// after start-up), and log what is being read. Returns the Signals and the call that ends
// start-up.
export function listenForSignals(log: (line: string) => void, listen: (sig: SignalName, f: () => void) => void,
  daemon: () => Daemon, stop: () => Promise<void>, reading: string): { signals: Signals; started: () => void } {
  const signals = new Signals(log, {
    reread: () => daemon().whack({ cmd: "rereadall" }).then((r) => (r.ok ? r.text! : r.error!)),
    stop,
  });
  for (const sig of ["SIGHUP", "SIGTERM", "SIGINT"] as const) listen(sig, () => signals.deliver(sig));
  let started!: () => void;
  signals.starting(new Promise<void>((res) => (started = res)));
  log(reading);
  return { signals, started };
}
