import { useEffect, useState } from 'preact/hooks';
import type { Api, Finding } from '../api';
import { eventHash } from '../query';

export function Findings({ api }: { api: Api }) {
  const [rows, setRows] = useState<Finding[]>();
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string>();
  const [reload, setReload] = useState(0);

  useEffect(() => {
    api.findings([['pageSize', '200']]).then(
      (p) => {
        setRows(p.findings);
        setTotal(p.total);
        setError(undefined);
      },
      (err: unknown) => setError(err instanceof Error ? err.message : String(err)),
    );
  }, [reload]);

  const [busy, setBusy] = useState<string>();

  async function set(f: Finding, status: 'acknowledged' | 'closed') {
    setBusy(f.id);
    try {
      await api.setFindingStatus(f.id, status);
      setReload((n) => n + 1);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(undefined);
    }
  }

  return (
    <section class="findings">
      <h2>Findings</h2>
      {error && <p class="error" role="alert">{error}</p>}
      {rows && <p class="total" data-testid="findings-total">{`${total.toLocaleString('en-US')} findings`}</p>}
      {rows && rows.length === 0 && <p class="empty">No findings. Detection rules are loaded with trailscope rules apply.</p>}
      {rows && rows.length > 0 && (
        <table class="events" data-testid="findings">
          <thead>
            <tr>
              <th>Last seen</th>
              <th>Level</th>
              <th>Rule</th>
              <th>Account</th>
              <th>Principal</th>
              <th>Events</th>
              <th>Status</th>
              <th>Changed by</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((f) => (
              <tr data-finding-id={f.id}>
                <td class="time">{f.lastSeen}</td>
                <td class={`level level-${f.ruleLevel}`}>{f.ruleLevel}</td>
                <td>{f.ruleTitle}</td>
                <td>{f.account ?? ''}</td>
                <td class="principal">{f.principal ?? ''}</td>
                <td>{f.eventIds[0] ? <a href={eventHash(f.eventIds[0])}>{String(f.eventCount)}</a> : String(f.eventCount)}</td>
                <td class="status-cell">{f.status}</td>
                <td class="status-by">{f.statusBy ?? ''}</td>
                <td class="actions">
                  <div>
                    {f.status === 'open' && (
                      <button type="button" disabled={busy === f.id} onClick={() => void set(f, 'acknowledged')}>
                        Acknowledge
                      </button>
                    )}
                    {f.status !== 'closed' && (
                      <button type="button" disabled={busy === f.id} onClick={() => void set(f, 'closed')}>
                        Close
                      </button>
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
