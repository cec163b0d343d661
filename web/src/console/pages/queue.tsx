// The work queue: filters (service, status, overdue, mine), due times coloured by the working
// hours left, live updates from `workQueueChanged`, claim and release, and keyboard shortcuts
// for the common path (listed on screen).

import { useEffect, useRef, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { gql, messageOf } from "../../api/client";
import { liveConnected, subscribe } from "../../api/live";
import { Alert } from "../../components/alert";
import { usePageTitle } from "../../components/layout";
import { formatDateTime } from "../../lib/format";
import { graphql } from "../gql";
import type { RequestStatus, WorkQueueFilter, WorkQueuePageQuery } from "../gql/graphql";
import { RequireStaff } from "../layout";
import { staff } from "../session";

const WorkQueuePage = graphql(`
  query WorkQueuePage($filter: WorkQueueFilter) {
    workQueue(filter: $filter, first: 100) {
      counts {
        status
        label
        count
      }
      nodes {
        requestId
        number
        serviceCode
        serviceName
        applicantName
        status
        statusLabel
        claimedBy
        claimedByName
        submittedAt
        dueAt
        overdue
        workingHoursLeft
      }
    }
    services {
      code
      name
    }
  }
`);

const QueueChanged = graphql(`
  subscription QueueChanged {
    workQueueChanged {
      requestId
    }
  }
`);

export const ClaimRequest = graphql(`
  mutation ClaimRequest($requestId: ID!) {
    claimRequest(requestId: $requestId)
  }
`);

export const ReleaseRequest = graphql(`
  mutation ReleaseRequest($requestId: ID!) {
    releaseRequest(requestId: $requestId)
  }
`);

type Item = WorkQueuePageQuery["workQueue"]["nodes"][number];

/** How much time a request has left, as a colour and words. */
export function dueClass(item: { dueAt?: string | null; workingHoursLeft?: number | null; overdue: boolean }): {
  tone: string;
  text: string;
} {
  if (!item.dueAt || item.workingHoursLeft == null) return { tone: "paused", text: "Waktu dihentikan" };
  const hours = item.workingHoursLeft;
  const amount = Math.abs(hours).toLocaleString("id-ID", { maximumFractionDigits: 1 });
  if (item.overdue || hours < 0) return { tone: "late", text: `Lewat ${amount} jam kerja` };
  if (hours < 2) return { tone: "soon", text: `Sisa ${amount} jam kerja` };
  return { tone: "ok", text: `Sisa ${amount} jam kerja` };
}

export function WorkQueue() {
  usePageTitle("Antrean Pengajuan");
  return (
    <RequireStaff area="queue">
      <QueuePage />
    </RequireStaff>
  );
}

function QueuePage() {
  const { route } = useLocation();
  const [filter, setFilter] = useState<{ service: string; status: string; overdue: boolean; mine: boolean }>({
    service: "",
    status: "",
    overdue: false,
    mine: false,
  });
  const [data, setData] = useState<WorkQueuePageQuery | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [cursor, setCursor] = useState(0);
  const [updatedAt, setUpdatedAt] = useState<Date | null>(null);
  const filterRef = useRef(filter);
  filterRef.current = filter;
  const me = staff.value?.id;

  // Loads overlap (a filter change, a live change, the fallback timer): only the latest may
  // land, or an answer for an older filter could replace the current one.
  const latest = useRef(0);
  const load = async () => {
    const mine = ++latest.current;
    const f = filterRef.current;
    const variables: WorkQueueFilter = {
      ...(f.service ? { serviceCode: f.service } : {}),
      ...(f.status ? { status: f.status as RequestStatus } : {}),
      ...(f.overdue ? { overdue: true } : {}),
      ...(f.mine ? { assignedToMe: true } : {}),
    };
    try {
      const page = await gql(WorkQueuePage, { filter: variables });
      if (mine !== latest.current) return;
      setData(page);
      setUpdatedAt(new Date());
      setError(null);
    } catch (failure) {
      if (mine === latest.current) setError(messageOf(failure));
    }
  };

  useEffect(() => {
    void load();
  }, [filter]);

  useEffect(() => {
    let pending: ReturnType<typeof setTimeout> | null = null;
    const stop = subscribe(QueueChanged, () => {
      // Several changes in a burst make one reload.
      if (pending) return;
      pending = setTimeout(() => {
        pending = null;
        void load();
      }, 300);
    });
    return () => {
      stop();
      if (pending) clearTimeout(pending);
    };
  }, []);

  const live = liveConnected.value;
  useEffect(() => {
    if (live) return undefined;
    const timer = setInterval(() => void load(), 30_000);
    return () => clearInterval(timer);
  }, [live]);

  const items = data?.workQueue.nodes ?? [];
  const act = async (item: Item, claim: boolean) => {
    try {
      if (claim) await gql(ClaimRequest, { requestId: item.requestId });
      else await gql(ReleaseRequest, { requestId: item.requestId });
      await load();
    } catch (failure) {
      setError(messageOf(failure));
    }
  };

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target && /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) return;
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      const current = items[cursor];
      if (event.key === "j") setCursor((c) => Math.min(items.length - 1, c + 1));
      else if (event.key === "k") setCursor((c) => Math.max(0, c - 1));
      else if ((event.key === "o" || event.key === "Enter") && current) route(`/petugas/antrean/${current.requestId}`);
      else if (event.key === "c" && current && !current.claimedBy) void act(current, true);
      else if (event.key === "l" && current && current.claimedBy === me) void act(current, false);
      else return;
      event.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [items, cursor, me]);

  useEffect(() => {
    document.querySelector<HTMLElement>(`[data-row="${cursor}"] a`)?.focus({ preventScroll: false });
  }, [cursor]);

  return (
    <>
      <h1>Antrean Pengajuan</h1>
      <p class="small muted" aria-live="polite">
        {live ? "● Diperbarui otomatis." : "○ Sambungan langsung terputus; diperiksa tiap 30 detik."}{" "}
        {updatedAt ? `Terakhir diperbarui ${formatDateTime(updatedAt)}.` : ""}
      </p>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          Layanan
          <select value={filter.service} onChange={(e) => setFilter({ ...filter, service: e.currentTarget.value })}>
            <option value="">Semua layanan</option>
            {data?.services.map((service) => (
              <option key={service.code} value={service.code}>
                {service.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select value={filter.status} onChange={(e) => setFilter({ ...filter, status: e.currentTarget.value })}>
            <option value="">Semua yang terbuka</option>
            {data?.workQueue.counts.map((c) => (
              <option key={c.status} value={c.status}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        <label class="checkbox">
          <input
            type="checkbox"
            checked={filter.overdue}
            onChange={(e) => setFilter({ ...filter, overdue: e.currentTarget.checked })}
          />
          <span>Lewat batas waktu</span>
        </label>
        <label class="checkbox">
          <input
            type="checkbox"
            checked={filter.mine}
            onChange={(e) => setFilter({ ...filter, mine: e.currentTarget.checked })}
          />
          <span>Yang saya tangani</span>
        </label>
      </form>
      {data ? (
        <p class="counts">
          {data.workQueue.counts
            .filter((c) => c.count > 0)
            .map((c) => (
              <span key={c.status} class="count-chip">
                {c.label}: <strong>{c.count}</strong>
              </span>
            ))}
        </p>
      ) : null}
      <Alert message={error} />
      <table class="queue">
        <caption class="visually-hidden">Pengajuan menurut batas waktu</caption>
        <thead>
          <tr>
            <th scope="col">Nomor</th>
            <th scope="col">Layanan</th>
            <th scope="col">Pemohon</th>
            <th scope="col">Status</th>
            <th scope="col">Ditangani</th>
            <th scope="col">Batas waktu</th>
            <th scope="col">Tindakan</th>
          </tr>
        </thead>
        <tbody>
          {items.map((item, index) => {
            const due = dueClass(item);
            return (
              <tr
                key={item.requestId}
                data-row={index}
                data-request={item.number}
                class={index === cursor ? "cursor" : ""}
              >
                <td>
                  <a href={`/petugas/antrean/${item.requestId}`}>{item.number}</a>
                </td>
                <td>{item.serviceName}</td>
                <td>{item.applicantName}</td>
                <td>{item.statusLabel}</td>
                <td>{item.claimedByName ?? "—"}</td>
                <td>
                  <span class={`due due-${due.tone}`}>{due.text}</span>
                  {item.dueAt ? <span class="small block">{formatDateTime(item.dueAt)}</span> : null}
                </td>
                <td>
                  {!item.claimedBy ? (
                    <button type="button" class="button small" onClick={() => void act(item, true)}>
                      Ambil
                    </button>
                  ) : item.claimedBy === me ? (
                    <button type="button" class="button secondary small" onClick={() => void act(item, false)}>
                      Lepaskan
                    </button>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {data && items.length === 0 ? <p>Tidak ada pengajuan yang cocok dengan saringan ini.</p> : null}
      <aside class="shortcuts" aria-labelledby="shortcuts-title">
        <h2 id="shortcuts-title">Pintasan keyboard</h2>
        <dl>
          <dt>
            <kbd>j</kbd> / <kbd>k</kbd>
          </dt>
          <dd>pengajuan berikutnya / sebelumnya</dd>
          <dt>
            <kbd>o</kbd> atau <kbd>Enter</kbd>
          </dt>
          <dd>buka pengajuan</dd>
          <dt>
            <kbd>c</kbd>
          </dt>
          <dd>ambil (klaim) pengajuan</dd>
          <dt>
            <kbd>l</kbd>
          </dt>
          <dd>lepaskan pengajuan</dd>
        </dl>
      </aside>
    </>
  );
}
