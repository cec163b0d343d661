// "Beranda" and its "Status Pengajuan": one row per request with the manual's "kolom Layanan"
// (status, re-upload button, pick-up notice) and "kolom Download". Changes arrive live over
// the subscription; while the socket is down the page asks every 30 seconds instead.

import { useEffect, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { gql, messageOf } from "../api/client";
import { liveConnected, subscribe } from "../api/live";
import { Alert } from "../components/alert";
import { RequireResident, usePageTitle } from "../components/layout";
import { graphql } from "../gql";
import type { StatusEntryFragment } from "../gql/graphql";
import { formatDateTime, formatTime } from "../lib/format";
import { resident, sessionEnded } from "../lib/session";

graphql(`
  fragment StatusEntry on StatusBoardEntry {
    requestId
    number
    serviceCode
    serviceName
    status
    statusLabel
    submittedAt
    updatedAt
    reuploadItems {
      documentCode
      label
      reason
      answered
    }
    downloadUrls
    pickup {
      place
      availableFrom
      message
    }
    printNote
    rejectionReason
    receiptUrl
    notice
    notifications {
      channel
      state
      label
    }
  }
`);

export const MyRequests = graphql(`
  query MyRequests {
    myRequests(first: 100) {
      nodes {
        ...StatusEntry
      }
    }
  }
`);

const MyRequestUpdates = graphql(`
  subscription MyRequestUpdates {
    myRequestUpdates {
      ...StatusEntry
    }
  }
`);

const CancelRequest = graphql(`
  mutation CancelRequest($requestId: ID!) {
    cancelRequest(requestId: $requestId)
  }
`);

const POLL_MS = 30_000;
const CANCELLABLE = new Set(["SUBMITTED", "IN_REVIEW", "AWAITING_REUPLOAD"]);

export function Board() {
  usePageTitle("Beranda");
  return (
    <RequireResident>
      <BoardPage />
    </RequireResident>
  );
}

function BoardPage() {
  const { route } = useLocation();
  const [entries, setEntries] = useState<StatusEntryFragment[] | null>(null);
  const [updatedAt, setUpdatedAt] = useState<Date | null>(null);
  const [error, setError] = useState<string | null>(null);
  const live = liveConnected.value;

  const load = async () => {
    try {
      const reply = await gql(MyRequests);
      setEntries(reply.myRequests.nodes);
      setUpdatedAt(new Date());
      setError(null);
    } catch (failure) {
      if (sessionEnded(failure)) {
        resident.value = null;
        route("/masuk?lanjut=/beranda");
      } else setError(messageOf(failure));
    }
  };

  useEffect(() => {
    void load();
    return subscribe(MyRequestUpdates, (data) => {
      const entry = data.myRequestUpdates;
      setEntries((before) => {
        const rest = (before ?? []).filter((e) => e.requestId !== entry.requestId);
        return [entry, ...rest].sort((a, b) => b.submittedAt.localeCompare(a.submittedAt));
      });
      setUpdatedAt(new Date());
    });
  }, []);

  // The fallback: while the socket is down, ask now and then; and once it is back, catch up.
  useEffect(() => {
    if (live) {
      void load();
      return undefined;
    }
    const timer = setInterval(() => void load(), POLL_MS);
    return () => clearInterval(timer);
  }, [live]);

  const me = resident.value;
  return (
    <>
      <h1>Beranda</h1>
      <p>
        Selamat datang, <strong>{me?.fullName}</strong> (NIK {me?.nikMasked}).
      </p>
      <p>
        <a class="button" href="/layanan">
          Pilih Layanan
        </a>{" "}
        <a href="/akun/pemberitahuan">Pengaturan pemberitahuan</a>
      </p>
      {me?.legacyDocuments.length ? <LegacyDocuments documents={me.legacyDocuments} /> : null}
      <section aria-labelledby="status-title">
        <h2 id="status-title">Status Pengajuan</h2>
        <p class="live-status" aria-live="polite">
          {live ? "● Status diperbarui otomatis." : "○ Sambungan langsung terputus; status diperiksa tiap 30 detik."}{" "}
          {updatedAt ? `Terakhir diperbarui ${formatTime(updatedAt)}.` : ""}
        </p>
        <Alert message={error} />
        {entries === null ? <p class="loading">Memuat pengajuan…</p> : null}
        {entries?.length === 0 ? (
          <p>
            Belum ada pengajuan. Tekan <strong>Pilih Layanan</strong> untuk membuat pengajuan pertama Anda.
          </p>
        ) : null}
        {entries?.length ? <StatusTable entries={entries} onChange={load} /> : null}
      </section>
    </>
  );
}

function StatusTable({ entries, onChange }: { entries: StatusEntryFragment[]; onChange: () => Promise<void> }) {
  return (
    <table class="status-board">
      <caption class="visually-hidden">Pengajuan Anda, terbaru di atas</caption>
      <thead>
        <tr>
          <th scope="col">Layanan</th>
          <th scope="col" class="download-column">
            Download
          </th>
        </tr>
      </thead>
      <tbody>
        {entries.map((entry) => (
          <tr key={entry.requestId} data-request={entry.number}>
            <td>
              <ServiceCell entry={entry} onChange={onChange} />
            </td>
            <td class="download-cell">
              <DownloadCell entry={entry} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ServiceCell({ entry, onChange }: { entry: StatusEntryFragment; onChange: () => Promise<void> }) {
  const [cancelError, setCancelError] = useState<string | null>(null);
  const open = entry.reuploadItems.filter((item) => !item.answered);
  return (
    <>
      <p class="service-name">{entry.serviceName}</p>
      <p class="request-number">No. {entry.number}</p>
      <p>
        <span class={`badge status-${entry.status.toLowerCase()}`}>{entry.statusLabel}</span>
      </p>
      <p class="small">Diajukan {formatDateTime(entry.submittedAt)}</p>
      {entry.receiptUrl ? (
        <p class="small">
          <a href={entry.receiptUrl} download>
            Bukti pengajuan (PDF)<span class="visually-hidden"> No. {entry.number}</span>
          </a>
        </p>
      ) : null}
      {entry.notice ? <p class="notice warning">{entry.notice}</p> : null}
      {entry.notifications.length ? (
        <ul class="small notifications" aria-label={`Pemberitahuan untuk pengajuan No. ${entry.number}`}>
          {entry.notifications.map((n) => (
            <li key={n.channel} class={`delivery-${n.state.toLowerCase()}`}>
              {n.label}
            </li>
          ))}
        </ul>
      ) : null}
      {entry.status === "AWAITING_REUPLOAD" && open.length ? (
        <div class="reupload-box">
          <p>
            <strong>Upload ulang dokumen:</strong>
          </p>
          <ul>
            {open.map((item) => (
              <li key={item.documentCode}>
                {item.label}: {item.reason}
              </li>
            ))}
          </ul>
          <a class="button small" href={`/pengajuan/${entry.requestId}/upload-ulang`}>
            Klik Disini
          </a>
        </div>
      ) : null}
      {entry.pickup ? (
        <div class="pickup-box">
          <p>
            <strong>Notifikasi pengambilan:</strong> {entry.pickup.message}
          </p>
          <p>
            Tempat: {entry.pickup.place}. Dapat diambil mulai {formatDateTime(entry.pickup.availableFrom)}.
          </p>
        </div>
      ) : null}
      {entry.rejectionReason ? <p class="rejection">Alasan penolakan: {entry.rejectionReason}</p> : null}
      {entry.printNote && entry.status === "COMPLETED" ? <p class="small">{entry.printNote}</p> : null}
      {CANCELLABLE.has(entry.status) ? (
        <p>
          <button
            type="button"
            class="link-button small"
            onClick={async () => {
              if (!window.confirm(`Batalkan pengajuan ${entry.serviceName} No. ${entry.number}?`)) return;
              try {
                await gql(CancelRequest, { requestId: entry.requestId });
                await onChange();
              } catch (error) {
                setCancelError(messageOf(error));
              }
            }}
          >
            Batalkan pengajuan
          </button>
        </p>
      ) : null}
      <Alert message={cancelError} />
    </>
  );
}

function DownloadCell({ entry }: { entry: StatusEntryFragment }) {
  if (!entry.downloadUrls.length) return <span class="small muted">—</span>;
  return (
    <ul class="downloads">
      {entry.downloadUrls.map((url, index) => (
        <li key={url}>
          {/* The server names the file (akta-kelahiran-KH-2026-000002.pdf) and, with
              ?download=1, asks the browser to save it rather than show it. */}
          <a class="button small" href={`${url}?download=1`} download>
            Unduh{entry.downloadUrls.length > 1 ? ` ${index + 1}` : ""}
            <span class="visually-hidden"> {entry.serviceName}</span>
          </a>
        </li>
      ))}
    </ul>
  );
}

function LegacyDocuments({ documents }: { documents: { title: string; url: string; availableUntil: string }[] }) {
  return (
    <section class="notice" aria-labelledby="legacy-title">
      <h2 id="legacy-title">Dokumen layanan lama</h2>
      <p>
        Akses ke dokumen layanan lama dibuka sementara. Segera unduh atau simpan dokumen Anda sebelum masa aksesnya
        habis.
      </p>
      <ul>
        {documents.map((document) => (
          <li key={document.url}>
            <a href={`${document.url}?download=1`} download>
              {document.title}
            </a>{" "}
            <span class="small">(tersedia sampai {formatDateTime(document.availableUntil)})</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
