import type { Api, QueryParams } from './api';

export type DownloadFormat = 'csv' | 'ndjson';

const TYPES: Record<DownloadFormat, string> = { csv: 'text/csv', ndjson: 'application/x-ndjson' };

/**
 * The query's events through `GET /v1/export` (the server's export: every matching event, oldest first, CSV as
 * CloudTrail's Event history writes it or the raw records one per line), read as the server streams it and handed
 * to the browser as a file once complete. A stream the server cuts (a failure after the first byte) rejects, so a
 * truncated export is never saved as if it were whole.
 */
export async function downloadExport(api: Api, params: QueryParams, format: DownloadFormat, onProgress: (bytes: number) => void): Promise<{ name: string; bytes: number }> {
  const res = await api.exportEvents(params, format);
  const reader = (res.body as ReadableStream<Uint8Array<ArrayBuffer>> | null)?.getReader();
  const chunks: Array<Uint8Array<ArrayBuffer>> = [];
  let bytes = 0;
  if (reader) {
    for (;;) {
      let step: ReadableStreamReadResult<Uint8Array<ArrayBuffer>>;
      try {
        step = await reader.read();
      } catch {
        throw new Error(`the export stopped after ${bytes.toLocaleString('en-US')} bytes; nothing was saved`);
      }
      if (step.done) break;
      chunks.push(step.value);
      bytes += step.value.byteLength;
      onProgress(bytes);
    }
  }
  const name = `trailscope-events.${format}`;
  saveFile(name, chunks, TYPES[format]);
  return { name, bytes };
}

export function saveFile(name: string, parts: BlobPart[], type: string): void {
  const url = URL.createObjectURL(new Blob(parts, { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
