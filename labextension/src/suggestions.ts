/**
 * Suggestions as the user types (ghost text; Tab accepts): a JupyterLab inline completion provider whose
 * text comes from the model loaded in the notebook's kernel, through the `oci_magic` comm. The request
 * carries the cell's text before and after the cursor and the code cells above it, nearest first; the
 * kernel streams `suggestion` messages back (kernel side: oci_magic/jupyter/suggestions.py). A newer
 * request supersedes an older one: the kernel stops writing it, and its stream here ends.
 *
 * When suggestions are asked for (as you type or on demand), the delay and the time limit are JupyterLab's
 * inline completer settings ("Inline Completer" in the settings editor); `enabled` there turns them off.
 */

import type {
  CompletionHandler,
  IInlineCompletionContext,
  IInlineCompletionItem,
  IInlineCompletionList,
  IInlineCompletionProvider
} from '@jupyterlab/completer';

import type { FrontendMessage, KernelMessage } from './tokens';

type Suggestion = Extract<KernelMessage, { type: 'suggestion' }>;

/** JupyterLab's InlineCompletionTriggerKind.Invoke (the LSP's value): asked for, not typed. */
const INVOKED = 0;

/** What the provider needs from the extension: the comm of the notebook a widget shows. */
export interface ISuggestionLink {
  /** Send `message` to the kernel of the notebook `widget` shows; false when its comm is not open. */
  send(widget: unknown, message: FrontendMessage): boolean;
  /** The code cells above the active cell of the notebook `widget` shows, nearest first. */
  cellsAbove(widget: unknown): string[];
}

/** One request's stream: the suggestions received and not yet read, and whoever waits for the next. */
class Pending {
  queue: Suggestion[] = [];
  wake: (() => void) | null = null;
  push(message: Suggestion): void {
    this.queue.push(message);
    this.wake?.();
  }
}

export class OciInlineProvider implements IInlineCompletionProvider {
  readonly name = 'oci-magic (local model)';
  readonly identifier = 'oci-magic';
  /** JupyterLab's settings of this provider start from these: asked as you type, a quarter second after the
   * last key, in the middle of a line too (the kernel never suggests the text that follows the cursor); a
   * suggestion's first text may take a while on a loaded CPU. */
  readonly schema = {
    properties: {
      trigger: {
        title: 'When to suggest',
        description: 'As you type, or only when asked (Alt+\\, the inline completer\'s invoke command).',
        type: 'string' as const,
        enum: ['as you type', 'on demand']
      },
      maxTokens: {
        title: 'Longest suggestion (tokens)',
        description: "At most this many tokens; 0: the kernel's OciMagics.suggestion_tokens.",
        type: 'number' as const,
        minimum: 0
      }
    },
    default: {
      enabled: true,
      debouncerDelay: 250,
      timeout: 30000,
      autoFillInMiddle: true,
      trigger: 'as you type',
      maxTokens: 0
    }
  };
  private _trigger = 'as you type';
  private _maxTokens = 0;
  private _pending = new Map<string, Pending>();
  private _count = 0;

  constructor(private _link: ISuggestionLink) {}

  configure(settings: { [property: string]: unknown }): void {
    this._trigger = typeof settings.trigger === 'string' ? settings.trigger : 'as you type';
    this._maxTokens = typeof settings.maxTokens === 'number' ? settings.maxTokens : 0;
  }

  async fetch(request: CompletionHandler.IRequest, context: IInlineCompletionContext): Promise<IInlineCompletionList> {
    if (this._trigger === 'on demand' && context.triggerKind !== INVOKED) {
      return { items: [] };
    }
    const id = `s${++this._count}`;
    const message: FrontendMessage = {
      type: 'complete',
      id,
      before: request.text.slice(0, request.offset),
      after: request.text.slice(request.offset),
      above: this._link.cellsAbove(context.widget),
      max_tokens: this._maxTokens
    };
    for (const [older, pending] of this._pending) {
      pending.push({ type: 'suggestion', id: older, text: '', done: true, error: 'superseded' });
      this._pending.delete(older); // a stream already reading it keeps it; none other will
    }
    if (!this._link.send(context.widget, message)) {
      return { items: [] };
    }
    this._pending.set(id, new Pending());
    return { items: [{ insertText: '', isIncomplete: true, token: id }] };
  }

  async *stream(token: string): AsyncGenerator<{ response: IInlineCompletionItem }> {
    const pending = this._pending.get(token);
    if (!pending) {
      return;
    }
    try {
      for (;;) {
        if (pending.queue.length === 0) {
          await new Promise<void>(resolve => (pending.wake = resolve));
          pending.wake = null;
        }
        const message = pending.queue.shift()!;
        if (message.error) {
          const error = message.error === 'superseded' ? undefined : { message: message.error };
          yield { response: { insertText: message.text, isIncomplete: false, token, error } };
          return;
        }
        yield { response: { insertText: message.text, isIncomplete: !message.done, token } };
        if (message.done) {
          return;
        }
      }
    } finally {
      this._pending.delete(token);
    }
  }

  /** A `suggestion` message from a kernel. */
  received(message: Suggestion): void {
    this._pending.get(message.id)?.push(message);
  }
}
