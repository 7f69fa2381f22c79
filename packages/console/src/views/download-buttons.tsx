import { useState } from 'preact/hooks';
import type { Api } from '../api';
import { exportParams } from '../query';
import { downloadExport, type DownloadFormat } from '../download';

function size(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function DownloadButtons({ api, params }: { api: Api; params: URLSearchParams }) {
  const [status, setStatus] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function download(format: DownloadFormat) {
    setBusy(true);
    setStatus('Exporting…');
    try {
      const r = await downloadExport(api, exportParams(params), format, (n) => setStatus(`${size(n)} received…`));
      setStatus(`${r.name} downloaded (${size(r.bytes)}, oldest event first)`);
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
      {status && (
        <span class="status" data-testid="download-status" data-busy={busy ? 'true' : 'false'}>
          {status}
        </span>
      )}
    </div>
  );
}
