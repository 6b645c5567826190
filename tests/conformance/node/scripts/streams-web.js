// WHATWG streams: ReadableStream through TextDecoderStream and a TransformStream; Blob.
(async () => {
  const rs = new ReadableStream({ start(c) { for (const s of ['he', 'llo', ' web']) c.enqueue(new TextEncoder().encode(s)); c.close(); } });
  const up = new TransformStream({ transform(chunk, c) { c.enqueue(chunk.toUpperCase()); } });
  let out = '';
  for await (const part of rs.pipeThrough(new TextDecoderStream()).pipeThrough(up)) out += part;
  console.log(out);
  const blob = new Blob(['a', 'bc', new Uint8Array([100])]);
  console.log(blob.size, await blob.text());
  const r = new Response('{"ok":true}');
  console.log((await r.json()).ok);
})();
