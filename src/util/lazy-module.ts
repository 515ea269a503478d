/**
 * A group of modules imported when first needed rather than with the
 * process: a daemon whose seeds have no peers and no trackers never runs
 * the swarm's code, and every module loaded at start costs start-up CPU
 * (Node reads, compiles, links and runs each) and memory.
 *
 * The importer is the caller's own `() => import("./x.ts")`, so the path
 * resolves beside the caller. Whoever needs the module synchronously
 * awaits load() once first; `module` is there from then on.
 */
export class LazyModule<M> {
  readonly #importer: () => Promise<M>;
  #module: M | undefined;
  #loading: Promise<M> | undefined;

  constructor(importer: () => Promise<M>) {
    this.#importer = importer;
  }

  /** Imports the module (once); resolves with it. */
  load(): Promise<M> {
    this.#loading ??= this.#importer().then((m) => {
      this.#module = m;
      return m;
    });
    return this.#loading;
  }

  /** The module once load() has resolved (undefined before). */
  get module(): M | undefined {
    return this.#module;
  }
}
