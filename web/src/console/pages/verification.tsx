// "Admin Verifikasi Akun": the accounts waiting, oldest first with their wait in working hours;
// a search by NIK, name or phone; the registered data beside the documents; approve, or reject
// with a reason; and a WhatsApp message for the resident either way.

import { useEffect, useMemo, useState } from "preact/hooks";
import { gql, messageOf } from "../../api/client";
import { Alert } from "../../components/alert";
import { usePageTitle } from "../../components/layout";
import { formatDateTime } from "../../lib/format";
import { DocumentViewer } from "../components/viewer";
import { graphql } from "../gql";
import type { FindResidentsQuery, VerificationQueueQuery } from "../gql/graphql";
import { RequireStaff } from "../layout";
import { staff } from "../session";
import { WhatsappButton } from "../whatsapp";

const VerificationQueue = graphql(`
  query VerificationQueue {
    accountVerificationQueue(first: 100) {
      totalCount
      nodes {
        accountId
        nikMasked
        fullName
        phone
        email
        registeredAt
        waitingWorkingHours
        documents {
          kind
          identityUrl
          familyCardUrl
          selfieUrl
        }
      }
    }
  }
`);

const FindResidents = graphql(`
  query FindResidents($query: String!) {
    findResidents(query: $query) {
      matchedBy
      hasMore
      residents {
        accountId
        nikMasked
        fullName
        phone
        status
        awaitingVerification
        awaitingPasswordReset
        erasureRequested
      }
    }
  }
`);

const ACCOUNT_STATUS: Record<string, string> = {
  UNREGISTERED: "belum terdaftar",
  AWAITING_VERIFICATION: "menunggu verifikasi",
  ACTIVE: "aktif",
  REJECTED: "ditolak",
  ERASED: "data dihapus",
};

const RequestErasure = graphql(`
  mutation RequestErasure($accountId: ID!, $reason: String!) {
    requestErasure(accountId: $accountId, reason: $reason)
  }
`);

const ApproveErasure = graphql(`
  mutation ApproveErasure($accountId: ID!) {
    approveErasure(accountId: $accountId) {
      keysDestroyed
      filesErased
    }
  }
`);

const ApproveAccount = graphql(`
  mutation ApproveAccount($accountId: ID!) {
    approveAccount(accountId: $accountId) {
      whatsappLink
    }
  }
`);

const RejectAccount = graphql(`
  mutation RejectAccount($accountId: ID!, $reason: String!) {
    rejectAccount(accountId: $accountId, reason: $reason) {
      whatsappLink
    }
  }
`);

type Item = VerificationQueueQuery["accountVerificationQueue"]["nodes"][number];

interface Outcome {
  item: Item;
  approved: boolean;
  /** The server's prefilled message to the resident (absent without a number). */
  link: string | null;
}

export function Verification() {
  usePageTitle("Verifikasi Akun");
  return (
    <RequireStaff area="verification">
      <VerificationPage />
    </RequireStaff>
  );
}

function VerificationPage() {
  const [items, setItems] = useState<Item[] | null>(null);
  const [total, setTotal] = useState(0);
  const [search, setSearch] = useState("");
  const [selected, setSelected] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const load = async () => {
    try {
      const reply = await gql(VerificationQueue);
      setItems(reply.accountVerificationQueue.nodes);
      setTotal(reply.accountVerificationQueue.totalCount);
      setError(null);
    } catch (failure) {
      setError(messageOf(failure));
    }
  };
  useEffect(() => {
    void load();
  }, []);
  // The search asks the server (the NIK is only ever matched whole, through its keyed hash;
  // every look-up is in the audit log), then shows the waiting entries it found.
  const [found, setFound] = useState<FindResidentsQuery["findResidents"] | null>(null);
  const [searching, setSearching] = useState(false);
  const runSearch = async (event: Event) => {
    event.preventDefault();
    if (!search.trim()) {
      setFound(null);
      return;
    }
    setSearching(true);
    try {
      setFound((await gql(FindResidents, { query: search.trim() })).findResidents);
      setError(null);
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setSearching(false);
    }
  };
  const shown = useMemo(() => {
    if (!found) return items ?? [];
    const ids = new Set(found.residents.map((r) => r.accountId));
    return (items ?? []).filter((item) => ids.has(item.accountId));
  }, [items, found]);
  const current = shown.find((item) => item.accountId === selected) ?? null;

  return (
    <>
      <h1>Verifikasi Akun</h1>
      <p>
        {total} akun menunggu, yang terlama di atas. Waktu tunggu dihitung dalam jam kerja kantor. Cocokkan data dengan
        foto KTP-el, KK dan selfie sebelum menyetujui.
      </p>
      <Alert message={error} />
      {outcome ? <OutcomeNotice outcome={outcome} onClose={() => setOutcome(null)} /> : null}
      <div class="split">
        <section aria-labelledby="queue-title" class="split-list">
          <h2 id="queue-title" class="visually-hidden">
            Daftar tunggu
          </h2>
          <form onSubmit={runSearch}>
            <label for="search">Cari NIK, nama atau nomor HP</label>
            <input
              id="search"
              type="search"
              value={search}
              placeholder="Contoh: 6106015205900001"
              aria-describedby="search-hint"
              onInput={(event) => setSearch(event.currentTarget.value)}
            />
            <p id="search-hint" class="muted">
              Nama: ketik awal kata-kata nama, urutan bebas, mis. «siti ami».
            </p>
            <div class="actions">
              <button type="submit" class="button small" disabled={searching}>
                Cari
              </button>
              {found ? (
                <button
                  type="button"
                  class="button secondary small"
                  onClick={() => {
                    setSearch("");
                    setFound(null);
                  }}
                >
                  Tampilkan semua
                </button>
              ) : null}
            </div>
          </form>
          {found ? <SearchResult found={found} /> : null}
          <p class="small muted" aria-live="polite">
            {items ? `${shown.length} dari ${items.length} akun yang menunggu ditampilkan.` : "Memuat…"}
          </p>
          <ul class="record-list">
            {shown.map((item) => (
              <li key={item.accountId}>
                <button
                  type="button"
                  class={item.accountId === selected ? "record selected" : "record"}
                  aria-pressed={item.accountId === selected}
                  onClick={() => setSelected(item.accountId)}
                >
                  <strong>{item.fullName}</strong>
                  <span>
                    NIK {item.nikMasked} · {item.phone}
                  </span>
                  <span class="small">
                    Menunggu {item.waitingWorkingHours.toLocaleString("id-ID", { maximumFractionDigits: 1 })} jam kerja
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </section>
        <section class="split-detail" aria-live="polite">
          {current ? (
            <Detail
              key={current.accountId}
              item={current}
              onDone={async (done) => {
                setOutcome(done);
                setSelected(null);
                await load();
              }}
            />
          ) : (
            <p class="muted">Pilih akun di daftar untuk melihat data dan dokumennya.</p>
          )}
        </section>
      </div>
    </>
  );
}

function Detail({ item, onDone }: { item: Item; onDone: (outcome: Outcome) => Promise<void> }) {
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const act = async (approved: boolean) => {
    if (busy) return;
    if (!approved && !reason.trim()) {
      setError("Tulis alasan penolakan; penduduk akan membacanya.");
      return;
    }
    setBusy(true);
    try {
      const link = approved
        ? (await gql(ApproveAccount, { accountId: item.accountId })).approveAccount.whatsappLink
        : (await gql(RejectAccount, { accountId: item.accountId, reason: reason.trim() })).rejectAccount.whatsappLink;
      await onDone({ item, approved, link: link ?? null });
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };
  const documents = [
    { label: item.documents.kind === "KTP_EL" ? "KTP-el" : "Surat kehilangan", url: item.documents.identityUrl },
    { label: "Kartu Keluarga", url: item.documents.familyCardUrl },
    { label: "Selfie", url: item.documents.selfieUrl },
  ];
  return (
    <>
      <h2>{item.fullName}</h2>
      <dl class="facts">
        <dt>NIK</dt>
        <dd>{item.nikMasked}</dd>
        <dt>Nomor HP/WhatsApp</dt>
        <dd>{item.phone}</dd>
        <dt>E-mail</dt>
        <dd>{item.email ?? "—"}</dd>
        <dt>Mendaftar</dt>
        <dd>{formatDateTime(item.registeredAt)}</dd>
      </dl>
      <DocumentViewer documents={documents} pair={[0, 2]} />
      <Alert message={error} />
      <div class="actions">
        <button type="button" class="button" disabled={busy} onClick={() => void act(true)}>
          Setujui akun
        </button>
      </div>
      <div class="field">
        <label for="reject-reason">Alasan penolakan</label>
        <textarea
          id="reject-reason"
          rows={3}
          maxLength={500}
          value={reason}
          onInput={(event) => setReason(event.currentTarget.value)}
        />
      </div>
      <button type="button" class="button secondary" disabled={busy} onClick={() => void act(false)}>
        Tolak dengan alasan
      </button>
    </>
  );
}

function OutcomeNotice({ outcome, onClose }: { outcome: Outcome; onClose: () => void }) {
  const { item, approved, link } = outcome;
  return (
    <div class={approved ? "notice success" : "notice warning"} role="status">
      <p>
        {approved ? "Akun disetujui" : "Pendaftaran ditolak"}: <strong>{item.fullName}</strong>.
      </p>
      <p>
        <WhatsappButton link={link} label="Hubungi via WhatsApp" />{" "}
        <button type="button" class="link-button" onClick={onClose}>
          Tutup
        </button>
      </p>
    </div>
  );
}

/** What the look-up found, including accounts that do not wait here (already active, rejected). */
function SearchResult({ found }: { found: FindResidentsQuery["findResidents"] }) {
  const by = { NIK: "NIK", PHONE: "nomor HP", NAME: "nama" }[found.matchedBy];
  if (!found.residents.length) return <p class="notice">Tidak ada akun dengan {by} tersebut.</p>;
  return (
    <div class="notice">
      <p>
        Ditemukan menurut {by}
        {found.hasMore ? " (masih ada lagi: ketik lebih lengkap)" : ""}:
      </p>
      <ul>
        {found.residents.map((r) => (
          <li key={r.accountId}>
            {r.fullName} · NIK {r.nikMasked} · akun {ACCOUNT_STATUS[r.status] ?? r.status}
            {r.awaitingPasswordReset ? " · menunggu reset kata sandi" : ""}
            {r.erasureRequested ? " · penghapusan data diajukan, menunggu persetujuan" : ""}
            {r.status !== "ERASED" && r.status !== "UNREGISTERED" ? (
              <Erasure accountId={r.accountId} name={r.fullName} requested={r.erasureRequested} />
            ) : null}
          </li>
        ))}
      </ul>
    </div>
  );
}

/**
 * Erasure of a resident's personal data (UU PDP): any officer files it with a reason; another
 * supervisor approves it, which cannot be undone. The server enforces both rules; the page says
 * what it answered.
 */
function Erasure({ accountId, name, requested }: { accountId: string; name: string; requested: boolean }) {
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const supervisor = staff.value?.role === "SUPERVISOR";
  const field = `erasure-reason-${accountId}`;
  const run = async (action: () => Promise<string>) => {
    setBusy(true);
    setError(null);
    try {
      setDone(await action());
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <details class="erasure">
      <summary>Hapus data pribadi (UU PDP)</summary>
      <Alert message={error} />
      {done ? (
        <p class="notice success" role="status">
          {done}
        </p>
      ) : null}
      {requested ? null : (
        <div class="field">
          <label for={field}>Alasan penghapusan</label>
          <textarea
            id={field}
            rows={2}
            maxLength={500}
            value={reason}
            onInput={(event) => setReason(event.currentTarget.value)}
          />
        </div>
      )}
      <div class="actions">
        {requested ? null : (
          <button
            type="button"
            class="button secondary"
            disabled={busy}
            onClick={() =>
              void run(async () => {
                await gql(RequestErasure, { accountId, reason });
                return `Penghapusan data ${name} diajukan. Menunggu persetujuan supervisor lain.`;
              })
            }
          >
            Ajukan penghapusan
          </button>
        )}
        {supervisor && requested ? (
          <button
            type="button"
            class="button danger"
            disabled={busy}
            onClick={() =>
              void run(async () => {
                if (!window.confirm(`Hapus data pribadi ${name} untuk selamanya? Ini tidak dapat dibatalkan.`)) {
                  return "Penghapusan tidak disetujui.";
                }
                const outcome = await gql(ApproveErasure, { accountId });
                const { filesErased } = outcome.approveErasure;
                return `Data pribadi dihapus: kunci dimusnahkan, ${filesErased} berkas dihapus.`;
              })
            }
          >
            Setujui penghapusan
          </button>
        ) : null}
      </div>
    </details>
  );
}
