/**
 * Debian's firefox-esr driven over WebDriver BiDi (the W3C protocol Firefox
 * serves on --remote-debugging-port), with Node's own WebSocket: enough of
 * it for the web UI's Firefox test (issue 17: "works in current Chromium and
 * Firefox"). playwright-core cannot drive firefox-esr (README, Web UI), so
 * this speaks the protocol itself: session.new, browsingContext.navigate,
 * script.evaluate, input.performActions, and the network and log events.
 *
 * Network safety: the profile sends every request but loopback's to a proxy
 * at a closed loopback port (Firefox never proxies localhost), turns off
 * DNS over HTTPS, and turns off the services Firefox calls home to
 * (telemetry, remote settings, safe browsing, captive portal, updates), so
 * the browser reaches 127.0.0.1 and nothing else.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const FIREFOX = "/usr/bin/firefox-esr";

/** Bounds: how long the browser may take to start, and any one command. */
export const BIDI_LIMITS = { startMs: 30_000, commandMs: 30_000 } as const;

/** Loopback only: see the header. Port 9 (discard) has no listener here. */
const PREFS: Record<string, string | number | boolean> = {
  "network.proxy.type": 1,
  "network.proxy.http": "127.0.0.1",
  "network.proxy.http_port": 9,
  "network.proxy.ssl": "127.0.0.1",
  "network.proxy.ssl_port": 9,
  "network.proxy.share_proxy_settings": true,
  "network.proxy.allow_hijacking_localhost": false,
  "network.trr.mode": 5,
  "network.dns.disablePrefetch": true,
  "network.prefetch-next": false,
  "network.http.speculative-parallel-limit": 0,
  "network.captive-portal-service.enabled": false,
  "network.connectivity-service.enabled": false,
  "services.settings.server": "http://127.0.0.1:9/",
  "toolkit.telemetry.enabled": false,
  "toolkit.telemetry.server": "",
  "datareporting.healthreport.uploadEnabled": false,
  "datareporting.policy.dataSubmissionEnabled": false,
  "app.normandy.enabled": false,
  "app.update.auto": false,
  "app.update.enabled": false,
  "browser.safebrowsing.malware.enabled": false,
  "browser.safebrowsing.phishing.enabled": false,
  "browser.safebrowsing.downloads.enabled": false,
  "browser.safebrowsing.provider.mozilla.updateURL": "",
  "browser.shell.checkDefaultBrowser": false,
  "browser.startup.page": 0,
  "browser.startup.homepage_override.mstone": "ignore",
  "browser.newtabpage.enabled": false,
  "browser.aboutwelcome.enabled": false,
  "browser.search.update": false,
  "browser.topsites.contile.enabled": false,
  "extensions.update.enabled": false,
  "extensions.getAddons.cache.enabled": false,
  "extensions.blocklist.enabled": false,
  "media.gmp-manager.url": "",
  "geo.provider.network.url": "",
  "remote.active-protocols": 1,
};

interface Pending {
  resolve: (value: Record<string, unknown>) => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class BidiError extends Error {}

/** One Firefox and its BiDi session, with one browsing context (the page). */
export class Firefox {
  readonly #child: ChildProcess;
  readonly #profile: string;
  readonly #socket: WebSocket;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners = new Set<(method: string, params: Record<string, unknown>) => void>();
  #nextId = 1;
  context = "";

  private constructor(child: ChildProcess, profile: string, socket: WebSocket) {
    this.#child = child;
    this.#profile = profile;
    this.#socket = socket;
    socket.addEventListener("message", (e) => this.#receive(String(e.data)));
  }

  static async launch(): Promise<Firefox> {
    const profile = await mkdtemp(join(tmpdir(), "shoal-firefox-"));
    const prefs = Object.entries(PREFS)
      .map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});`)
      .join("\n");
    await writeFile(join(profile, "user.js"), `${prefs}\n`);
    const child = spawn(
      FIREFOX,
      ["--headless", "--no-remote", "--profile", profile, "--remote-debugging-port", "0"],
      {
        stdio: ["ignore", "ignore", "pipe"],
        env: { ...process.env, MOZ_CRASHREPORTER_DISABLE: "1" },
      },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let text = "";
        const timer = setTimeout(
          () => reject(new BidiError(`firefox-esr did not start in ${BIDI_LIMITS.startMs} ms`)),
          BIDI_LIMITS.startMs,
        );
        child.stderr!.on("data", (chunk: Buffer) => {
          text = (text + chunk.toString()).slice(-4096);
          const m = /WebDriver BiDi listening on (ws:\/\/\S+)/.exec(text);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
        child.once("exit", (code) => {
          clearTimeout(timer);
          reject(new BidiError(`firefox-esr exited (${code}) before listening`));
        });
      });
      child.stderr!.resume();
      const socket = new WebSocket(`${url}/session`);
      await new Promise((resolve, reject) => {
        socket.addEventListener("open", resolve, { once: true });
        socket.addEventListener("error", () => reject(new BidiError("BiDi socket failed")), {
          once: true,
        });
      });
      const firefox = new Firefox(child, profile, socket);
      await firefox.send("session.new", { capabilities: { alwaysMatch: {} } });
      const tree = (await firefox.send("browsingContext.getTree", {})) as {
        contexts: { context: string }[];
      };
      firefox.context = tree.contexts[0]!.context;
      return firefox;
    } catch (err) {
      child.kill();
      await rm(profile, { recursive: true, force: true });
      throw err;
    }
  }

  /** One command; its result, or BidiError with the browser's message. */
  send(method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new BidiError(`${method}: no answer in ${BIDI_LIMITS.commandMs} ms`));
      }, BIDI_LIMITS.commandMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.#socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Calls `listener` with every event the session is subscribed to. */
  on(listener: (method: string, params: Record<string, unknown>) => void): void {
    this.#listeners.add(listener);
  }

  async subscribe(events: string[]): Promise<void> {
    await this.send("session.subscribe", { events });
  }

  async navigate(url: string): Promise<void> {
    await this.send("browsingContext.navigate", { context: this.context, url, wait: "complete" });
  }

  /** An expression's value in the page (awaited when a promise), as JSON. */
  async evaluate<T>(expression: string): Promise<T> {
    const reply = (await this.send("script.evaluate", {
      expression: `(async () => JSON.stringify(await (${expression})))()`,
      target: { context: this.context },
      awaitPromise: true,
    })) as {
      type: string;
      result?: { value?: string };
      exceptionDetails?: { text?: string };
    };
    if (reply.type !== "success") {
      throw new BidiError(`evaluate: ${reply.exceptionDetails?.text ?? "an exception"}`);
    }
    const text = reply.result?.value;
    return (text === undefined ? undefined : JSON.parse(text)) as T;
  }

  /** Waits (polling every 100 ms, up to `timeoutMs`) for an expression to be truthy. */
  async waitFor(expression: string, what: string, timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (await this.evaluate<boolean>(`Boolean(${expression})`)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new BidiError(`waited ${timeoutMs} ms for ${what}`);
  }

  /** The element a CSS selector finds, as BiDi's shared reference. */
  async #element(selector: string): Promise<{ sharedId: string }> {
    const reply = (await this.send("script.evaluate", {
      expression: `document.querySelector(${JSON.stringify(selector)})`,
      target: { context: this.context },
      awaitPromise: false,
    })) as { result?: { type: string; sharedId?: string } };
    if (reply.result?.type !== "node" || !reply.result.sharedId) {
      throw new BidiError(`no element ${selector}`);
    }
    return { sharedId: reply.result.sharedId };
  }

  /** A click on the element's centre, as the mouse does it (input.performActions). */
  async click(selector: string): Promise<void> {
    const element = await this.#element(selector);
    await this.send("input.performActions", {
      context: this.context,
      actions: [
        {
          type: "pointer",
          id: "mouse",
          actions: [
            { type: "pointerMove", x: 0, y: 0, origin: { type: "element", element } },
            { type: "pointerDown", button: 0 },
            { type: "pointerUp", button: 0 },
          ],
        },
      ],
    });
  }

  /** Clicks the element, then types `text` key by key (\uE007 is Enter). */
  async type(selector: string, text: string): Promise<void> {
    await this.click(selector);
    const keys = [...text].flatMap((value) => [
      { type: "keyDown", value },
      { type: "keyUp", value },
    ]);
    await this.send("input.performActions", {
      context: this.context,
      actions: [{ type: "key", id: "keyboard", actions: keys }],
    });
  }

  async close(): Promise<void> {
    try {
      await this.send("browser.close", {});
    } catch {
      // Closing: the socket may go before the answer.
    }
    this.#socket.close();
    if (this.#child.exitCode === null) {
      const exited = new Promise((r) => this.#child.once("exit", r));
      const timer = setTimeout(() => this.#child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(this.#profile, { recursive: true, force: true });
  }

  #receive(text: string): void {
    let message: {
      id?: number;
      type?: string;
      method?: string;
      params?: unknown;
      result?: unknown;
    };
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message.type === "event" && message.method) {
      for (const l of this.#listeners) l(message.method, message.params as Record<string, unknown>);
      return;
    }
    const pending = message.id === undefined ? undefined : this.#pending.get(message.id);
    if (!pending) return;
    this.#pending.delete(message.id!);
    clearTimeout(pending.timer);
    if (message.type === "success") pending.resolve(message.result as Record<string, unknown>);
    else {
      const m = message as { error?: string; message?: string };
      pending.reject(new BidiError(`${m.error ?? "error"}: ${m.message ?? ""}`));
    }
  }
}
