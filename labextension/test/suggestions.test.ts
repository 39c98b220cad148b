import { OciInlineProvider } from '../src/suggestions';
import { FrontendMessage } from '../src/tokens';

const request = (text: string, offset: number) => ({ text, offset }) as any;
const context = { widget: {}, triggerKind: 1 } as any;

function provider(connected = true) {
  const sent: FrontendMessage[] = [];
  const link = {
    send: (_: unknown, message: FrontendMessage) => (connected ? (sent.push(message), true) : false),
    cellsAbove: () => ['import pandas as pd']
  };
  return { provider: new OciInlineProvider(link), sent };
}

async function read(stream: AsyncGenerator<{ response: any }>) {
  const seen = [];
  for await (const { response } of stream) {
    seen.push(response);
  }
  return seen;
}

test('a request sends the text around the cursor and the cells above, then streams the suggestion', async () => {
  const { provider: p, sent } = provider();
  const list = await p.fetch(request('df.head()', 3), context);
  expect(sent).toEqual([
    { type: 'complete', id: 's1', before: 'df.', after: 'head()', above: ['import pandas as pd'], max_tokens: 0 }
  ]);
  expect(list.items).toEqual([{ insertText: '', isIncomplete: true, token: 's1' }]);
  const reading = read(p.stream!('s1'));
  p.received({ type: 'suggestion', id: 's1', text: 'gro', done: false, error: '' });
  p.received({ type: 'suggestion', id: 's1', text: 'groupby', done: true, error: '' });
  const seen = await reading;
  expect(seen.map(r => [r.insertText, r.isIncomplete])).toEqual([
    ['gro', true],
    ['groupby', false]
  ]);
});

test('a newer request ends the older stream, and a kernel without the comm gets no request', async () => {
  const { provider: p } = provider();
  await p.fetch(request('x', 1), context);
  const older = read(p.stream!('s1'));
  await p.fetch(request('xy', 2), context);
  const seen = await older;
  expect(seen).toEqual([{ insertText: '', isIncomplete: false, token: 's1', error: undefined }]);
  const { provider: offline, sent } = provider(false);
  expect((await offline.fetch(request('x', 1), context)).items).toEqual([]);
  expect(sent).toEqual([]);
});

test('why there is no suggestion is shown as the error', async () => {
  const { provider: p } = provider();
  await p.fetch(request('x', 1), context);
  const reading = read(p.stream!('s1'));
  p.received({ type: 'suggestion', id: 's1', text: '', done: true, error: 'the model is loading' });
  expect((await reading)[0].error).toEqual({ message: 'the model is loading' });
});

test('on demand, only an explicit request is sent; the longest suggestion goes with it', async () => {
  const { provider: p, sent } = provider();
  p.configure({ trigger: 'on demand', maxTokens: 20 });
  expect((await p.fetch(request('x', 1), { ...context, triggerKind: 1 })).items).toEqual([]);
  expect(sent).toEqual([]);
  await p.fetch(request('x', 1), { ...context, triggerKind: 0 });
  expect(sent).toEqual([{ type: 'complete', id: 's1', before: 'x', after: '', above: ['import pandas as pd'], max_tokens: 20 }]);
});
