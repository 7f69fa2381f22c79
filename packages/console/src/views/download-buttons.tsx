import { useState } from 'preact/hooks';
import type { Api } from '../api';
import { apiParams } from '../query';
import { collectDownload, saveFile } from '../download';

export function DownloadButtons({ api, params }: { api: Api; params: URLSearchParams }) {
  const [status, setStatus] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function download(format: 'csv' | 'ndjson') {
    setBusy(true);
    setStatus('Preparing…');
    try {
      const r = await collectDownload(api, apiParams(params), format, (n) => setStatus(`${n.toLocaleString('en-US')} events…`));
      saveFile(`trailscope-events.${format}`, r.parts, format === 'csv' ? 'text/csv' : 'application/x-ndjson');
      setStatus(`${r.count.toLocaleString('en-US')} events downloaded${r.truncated ? ' (stopped at the limit; use trailscope export for more)' : ''}`);
    } catch (err) {
      setStatus(`Download failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setBusy(false);
    }
  }
  return (
    <div class="downloads">
      <button type="button" disabled={busy} onClick={() => void download('csv')}>
        Download CSV
      </button>
      <button type="button" disabled={busy} onClick={() => void download('ndjson')}>
        Download NDJSON
      </button>
      {status && <span class="status" data-testid="download-status">{status}</span>}
    </div>
  );
}
