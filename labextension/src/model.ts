/**
 * What the extension knows of each kernel that runs oci-magic, as one model: the messages of the comm
 * update it, and it says so through `changed`; the sidebar shows it for the active notebook. Nothing here
 * touches the notebook or JupyterLab: `index.ts` wires both to it.
 */

import { ISignal, Signal } from '@lumino/signaling';

import type { ISidebarState } from './sidebar';
import type { FrontendMessage, IModelInfo, IPlanInfo, IRunInfo, KernelMessage } from './tokens';

/** What the extension knows of one kernel. */
export class KernelLink {
  /** Where messages to the kernel go; null until the kernel opens the comm, and after it closes. */
  send: ((message: FrontendMessage) => void) | null = null;
  /** The kernel's oci-magic version, and the names it gives the settings the registry edits (both sent
   * with the comm's opening message: the frontend copies neither). */
  version = '';
  settingNames: Record<string, string> = {};
  model: IModelInfo | null = null;
  runs: IRunInfo[] = [];
  plans: IPlanInfo[] = [];
  running = false;
  note = '';
  /** What the last undo or keep did (the kernel's report, then the cells removed). */
  notice = '';
  /** What the extension did with the cells of undone runs, a line per run. */
  removals: string[] = [];
  undoHeld = '';
  suggestions = '';
}

/** The sidebar's state of every kernel, keyed by whatever identifies a kernel (its connection). */
export class OciModel<K extends object = object> {
  private _links = new Map<K, KernelLink>();
  private _userSettings: Record<string, unknown> = {};
  private _changed = new Signal<this, void>(this);

  /** Emitted whenever anything the sidebar shows has changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  has(kernel: K): boolean {
    return this._links.has(kernel);
  }

  link(kernel: K): KernelLink {
    let link = this._links.get(kernel);
    if (!link) {
      link = new KernelLink();
      this._links.set(kernel, link);
    }
    return link;
  }

  /** The kernel opened the comm: `opened` is its opening message's data. Says hello, and the user's
   * settings in the names the kernel gave. */
  connect(kernel: K, opened: Partial<Extract<KernelMessage, { type: 'open' }>>, send: (m: FrontendMessage) => void): void {
    const link = this.link(kernel);
    link.send = send;
    link.version = opened.version ?? '';
    link.settingNames = opened.settings ?? {};
    send({ type: 'hello' });
    const settings = this.settingsMessage(link);
    if (Object.keys(settings).length > 1) {
      send(settings);
    }
    this._changed.emit();
  }

  disconnect(kernel: K): void {
    this.link(kernel).send = null;
    this._changed.emit();
  }

  /** A restart or a dead kernel ends any run and the comm with it: no spinner may stay behind. */
  restarted(kernel: K): void {
    const link = this.link(kernel);
    link.running = false;
    link.send = null;
    link.runs = [];
    link.plans = [];
    link.model = null;
    this._changed.emit();
  }

  /** A message from the kernel about its state (the cell messages are the notebook's business). */
  received(kernel: K, message: KernelMessage): void {
    const link = this.link(kernel);
    if (message.type === 'state') {
      link.model = message.model;
      link.runs = message.runs;
      link.plans = message.plans;
      link.undoHeld = message.undo_held;
      link.suggestions = message.suggestions;
    } else if (message.type === 'run') {
      link.runs = [...link.runs.filter(run => run.id !== message.run.id), message.run];
      link.running = message.event !== 'run_finished';
      if (message.event === 'run_started') {
        link.removals = [];
      }
    } else if (message.type === 'error') {
      link.note = message.message;
    } else if (message.type === 'notice') {
      link.notice = message.message;
    }
    this._changed.emit();
  }

  /** A line saying what the notebook did: an undo's cells removed, a candidate put in its cell. */
  removed(kernel: K, line: string): void {
    this.link(kernel).removals.push(line);
    this._changed.emit();
  }

  noticed(kernel: K, line: string): void {
    this.link(kernel).notice = line;
    this._changed.emit();
  }

  /** Whether the kernel's comm is open (it has oci_magic loaded and answers). */
  isConnected(kernel: K): boolean {
    return !!this._links.get(kernel)?.send;
  }

  /** Ask the kernel (its comm, if open). Undo and keep start a fresh report of removals. */
  ask(kernel: K, message: FrontendMessage): void {
    const link = this.link(kernel);
    if (message.type === 'undo' || message.type === 'keep') {
      link.removals = [];
    }
    link.send?.(message);
  }

  /** The settings the user set in JupyterLab's settings editor, sent to every kernel in its names. */
  set userSettings(settings: Record<string, unknown>) {
    this._userSettings = { ...settings };
    for (const link of this._links.values()) {
      link.send?.(this.settingsMessage(link));
    }
  }

  settingsMessage(link: KernelLink): FrontendMessage {
    const message: FrontendMessage = { type: 'settings' };
    for (const [name, kernelName] of Object.entries(link.settingNames)) {
      if (this._userSettings[name] !== undefined) {
        message[kernelName] = this._userSettings[name];
      }
    }
    return message;
  }

  /** What the sidebar shows for the notebook at `path` whose kernel is `kernel` (with its `status`). */
  state(path: string | null, kernel: K | null, status: string): ISidebarState {
    const link = kernel ? this.link(kernel) : null;
    return {
      notebook: path,
      kernelStatus: kernel ? status : 'unknown',
      connected: !!link?.send,
      model: link?.model ?? null,
      runs: link?.runs ?? [],
      plans: link?.plans ?? [],
      running: !!link?.running,
      note: link?.note ?? '',
      notice: [link?.notice ?? '', ...(link?.removals ?? [])].filter(Boolean).join('\n'),
      undoHeld: link?.undoHeld ?? '',
      suggestions: link?.suggestions ?? ''
    };
  }
}
