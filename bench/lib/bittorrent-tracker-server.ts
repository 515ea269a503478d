/**
 * Launcher for the reference tracker of bench/tracker.ts: webtorrent's
 * `bittorrent-tracker` Server with HTTP and UDP on one port of 127.0.0.1 (and
 * its UDP6 socket on ::1), WebSocket off. Prints "listening on <port>" when
 * every socket is bound; exits on SIGTERM.
 *
 * Usage: node bench/lib/bittorrent-tracker-server.ts <port>
 */

interface TrackerServer {
  listen(
    port: number,
    hostname: { http: string; udp: string; udp6: string },
    onListening: () => void,
  ): void;
  close(done: () => void): void;
  on(event: "error" | "warning", listener: (err: Error) => void): void;
}

type ServerClass = new (opts: Record<string, unknown>) => TrackerServer;

// The package ships no type declarations: import by a computed name and give
// the one class used here its shape.
const moduleName: string = "bittorrent-tracker";
const { Server } = (await import(moduleName)) as { Server: ServerClass };

const port = Number.parseInt(process.argv[2] ?? "", 10);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  process.stderr.write("usage: bittorrent-tracker-server.ts <port>\n");
  process.exit(2);
}

const server = new Server({ http: true, udp: true, ws: false, stats: true, trustProxy: false });
server.on("error", (err) => process.stderr.write(`error: ${err.message}\n`));
// Warnings are per-request complaints (bad query, unknown torrent): not fatal.
server.on("warning", () => {});
server.listen(port, { http: "127.0.0.1", udp: "127.0.0.1", udp6: "::1" }, () => {
  process.stdout.write(`listening on ${port}\n`);
});

const shutdown = (): void => server.close(() => process.exit(0));
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
