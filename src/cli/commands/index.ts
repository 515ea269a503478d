import type { CommandEntry } from "../command.ts";

/**
 * Every command, in the order `shoal help` lists them. A command lives in its
 * own file under commands/, is registered here, and is loaded when used.
 */
export const COMMANDS: CommandEntry[] = [
  {
    name: "create",
    summary: "make a .torrent from a file or folder",
    load: async () => (await import("./create.ts")).createCommand,
  },
  {
    name: "info",
    summary: "show what a .torrent file or magnet link holds",
    load: async () => (await import("./info.ts")).infoCommand,
  },
  {
    name: "get",
    summary: "download a torrent (and optionally keep seeding it)",
    load: async () => (await import("./get.ts")).getCommand,
  },
  {
    name: "seed",
    summary: "seed a torrent from a folder that holds its content",
    load: async () => (await import("./seed.ts")).seedCommand,
  },
  {
    name: "tracker",
    summary: "run a tracker, or list a running tracker's swarms and peers",
    load: async () => (await import("./tracker.ts")).trackerCommand,
  },
  {
    name: "publish",
    summary: "upload a .torrent to a shoal tracker's index",
    load: async () => (await import("./publish.ts")).publishCommand,
  },
  {
    name: "list",
    summary: "list the torrents a shoal tracker offers",
    load: async () => (await import("./list.ts")).listCommand,
  },
  {
    name: "dht",
    summary: "run a DHT node on its own (a bootstrap node for a LAN or a lab)",
    load: async () => (await import("./dht.ts")).dhtCommand,
  },
  {
    name: "shell",
    summary: "an interactive session: create, publish, download, watch and limit",
    load: async () => (await import("./shell.ts")).shellCommand,
  },
  {
    name: "daemon",
    summary: "run many torrents in one long-running process with an HTTP API",
    load: async () => (await import("./daemon.ts")).daemonCommand,
  },
  {
    name: "config",
    summary: "print the daemon's effective settings, or hash an API password",
    load: async () => (await import("./config.ts")).configCommand,
  },
  {
    name: "add",
    summary: "add torrents to the running daemon",
    load: async () => (await import("./daemon-client-commands.ts")).addCommand,
  },
  {
    name: "ls",
    summary: "list the daemon's torrents",
    load: async () => (await import("./daemon-client-commands.ts")).lsCommand,
  },
  {
    name: "pause",
    summary: "pause torrents of the daemon",
    load: async () => (await import("./daemon-client-commands.ts")).pauseCommand,
  },
  {
    name: "resume",
    summary: "resume torrents of the daemon",
    load: async () => (await import("./daemon-client-commands.ts")).resumeCommand,
  },
  {
    name: "rm",
    summary: "remove torrents from the daemon",
    load: async () => (await import("./daemon-client-commands.ts")).rmCommand,
  },
  {
    name: "files",
    summary: "list or select a daemon torrent's files",
    load: async () => (await import("./daemon-client-commands.ts")).filesCommand,
  },
  {
    name: "peers",
    summary: "list a daemon torrent's peers",
    load: async () => (await import("./daemon-client-commands.ts")).peersCommand,
  },
  {
    name: "limit",
    summary: "show or set the daemon's rate limits",
    load: async () => (await import("./daemon-client-commands.ts")).limitCommand,
  },
  {
    name: "demo",
    summary: "a tracker, a seeder and four leechers on loopback, with the live console",
    load: async () => (await import("./demo.ts")).demoCommand,
  },
];
