// "Lupa Kata Sandi": the reset requests waiting, oldest first with their wait in working hours;
// the name on the account beside the name the requester typed (a stranger rarely knows it); the
// three new photos against each other; approve to get the one-time code for WhatsApp, or reject
// with a reason.

import { useEffect, useState } from "preact/hooks";
import { gql, messageOf } from "../../api/client";
import { usePageTitle } from "../../components/layout";
import { formatDateTime } from "../../lib/format";
import { DocumentViewer } from "../components/viewer";
import { graphql } from "../gql";
import type { PasswordResetQueueQuery } from "../gql/graphql";
import { RequireStaff } from "../layout";
import { WhatsappButton } from "../whatsapp";
import "../admin.css";
import { Alert } from "../../components/alert";

const PasswordResetQueue = graphql(`
  query PasswordResetQueue {
    passwordResetQueue(first: 100) {
      totalCount
      nodes {
        accountId
        nikMasked
        registeredName
        givenName
        phone
        requestedAt
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

const ApprovePasswordReset = graphql(`
  mutation ApprovePasswordReset($accountId: ID!) {
    approvePasswordReset(accountId: $accountId) {
      code
      expiresAt
      whatsappLink
    }
  }
`);

const RejectPasswordReset = graphql(`
  mutation RejectPasswordReset($accountId: ID!, $reason: String!) {
    rejectPasswordReset(accountId: $accountId, reason: $reason) {
      whatsappLink
    }
  }
`);

type Item = PasswordResetQueueQuery["passwordResetQueue"]["nodes"][number];

type Outcome =
  | { item: Item; approved: true; code: string; expiresAt: string; link: string | null }
  | { item: Item; approved: false; link: string | null };

export function PasswordResets() {
  usePageTitle("Lupa Kata Sandi");
  return (
    <RequireStaff area="verification">
      <ResetsPage />
    </RequireStaff>
  );
}

/** Names compared as people read them: case, spaces and dots do not make two names differ. */
function sameName(a: string, b: string): boolean {
  const plain = (name: string) => name.toLowerCase().replace(/[.,']/g, "").replace(/\s+/g, " ").trim();
  return plain(a) === plain(b);
}

function hours(value: number): string {
  return value.toLocaleString("id-ID", { maximumFractionDigits: 1 });
}

function ResetsPage() {
  const [items, setItems] = useState<Item[] | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  // Decided here but maybe not yet gone from the read model: kept out of the list meanwhile.
  const [decided, setDecided] = useState<Set<string>>(new Set());
  const load = async () => {
    try {
      setItems((await gql(PasswordResetQueue)).passwordResetQueue.nodes);
      setError(null);
    } catch (failure) {
      setError(messageOf(failure));
    }
  };
  useEffect(() => {
    void load();
  }, []);
  const shown = (items ?? []).filter((item) => !decided.has(item.accountId));
  const current = shown.find((item) => item.accountId === selected) ?? null;

  return (
    <>
      <h1>Lupa Kata Sandi</h1>
      <p>
        {items ? `${shown.length} permintaan menunggu` : "Memuat…"}, yang terlama di atas. Waktu tunggu dihitung dalam
        jam kerja kantor. Cocokkan nama dan foto baru dengan data akun sebelum memberi kode reset.
      </p>
      <Alert message={error} />
      {outcome ? <OutcomeNotice outcome={outcome} onClose={() => setOutcome(null)} /> : null}
      <div class="split">
        <section aria-labelledby="resets-title" class="split-list">
          <h2 id="resets-title" class="visually-hidden">
            Daftar tunggu
          </h2>
          {items && shown.length === 0 ? <p>Tidak ada permintaan yang menunggu.</p> : null}
          <ul class="record-list">
            {shown.map((item) => (
              <li key={item.accountId}>
                <button
                  type="button"
                  class={item.accountId === selected ? "record selected" : "record"}
                  aria-pressed={item.accountId === selected}
                  onClick={() => setSelected(item.accountId)}
                >
                  <strong>{item.registeredName}</strong>
                  <span>
                    NIK {item.nikMasked} · {item.phone}
                  </span>
                  {sameName(item.registeredName, item.givenName) ? null : (
                    <span class="small name-differs">Nama di permintaan berbeda</span>
                  )}
                  <span class="small">Menunggu {hours(item.waitingWorkingHours)} jam kerja</span>
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
              onDone={(done) => {
                setOutcome(done);
                setSelected(null);
                setDecided((before) => new Set(before).add(done.item.accountId));
                void load();
              }}
            />
          ) : (
            <p class="muted">Pilih permintaan di daftar untuk melihat nama dan fotonya.</p>
          )}
        </section>
      </div>
    </>
  );
}

function Detail({ item, onDone }: { item: Item; onDone: (outcome: Outcome) => void }) {
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const same = sameName(item.registeredName, item.givenName);
  const approve = async () => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const reply = (await gql(ApprovePasswordReset, { accountId: item.accountId })).approvePasswordReset;
      onDone({ item, approved: true, code: reply.code, expiresAt: reply.expiresAt, link: reply.whatsappLink ?? null });
    } catch (failure) {
      setError(messageOf(failure));
      setBusy(false);
    }
  };
  const reject = async () => {
    if (busy) return;
    if (!reason.trim()) {
      setError("Tulis alasan penolakan; penduduk akan membacanya.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const reply = await gql(RejectPasswordReset, { accountId: item.accountId, reason: reason.trim() });
      onDone({ item, approved: false, link: reply.rejectPasswordReset.whatsappLink ?? null });
    } catch (failure) {
      setError(messageOf(failure));
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
      <h2>{item.registeredName}</h2>
      <table class="name-compare">
        <caption class="visually-hidden">Nama di akun dan nama di permintaan</caption>
        <thead>
          <tr>
            <th scope="col">Nama terdaftar di akun</th>
            <th scope="col">Nama yang ditulis di permintaan</th>
          </tr>
        </thead>
        <tbody>
          <tr class={same ? "" : "differs"}>
            <td>{item.registeredName}</td>
            <td>{item.givenName}</td>
          </tr>
        </tbody>
      </table>
      {same ? (
        <p class="small muted">Kedua nama sama.</p>
      ) : (
        <div class="notice warning" role="alert">
          <p>
            <strong>Nama berbeda.</strong> Nama yang ditulis di permintaan tidak sama dengan nama di akun. Periksa foto
            KTP-el dan KK dengan teliti; jika ragu, tolak dan minta penduduk datang ke kantor.
          </p>
        </div>
      )}
      <dl class="facts">
        <dt>NIK</dt>
        <dd>{item.nikMasked}</dd>
        <dt>Nomor HP/WhatsApp terdaftar</dt>
        <dd>{item.phone}</dd>
        <dt>Diminta</dt>
        <dd>{formatDateTime(item.requestedAt)}</dd>
      </dl>
      <DocumentViewer documents={documents} pair={[0, 2]} />
      <Alert message={error} />
      <div class="actions">
        <button type="button" class="button" disabled={busy} onClick={() => void approve()}>
          Setujui dan buat kode reset
        </button>
      </div>
      <div class="field">
        <label for="reset-reject-reason">Alasan penolakan</label>
        <textarea
          id="reset-reject-reason"
          rows={3}
          maxLength={500}
          value={reason}
          onInput={(event) => setReason(event.currentTarget.value)}
        />
      </div>
      <button type="button" class="button secondary" disabled={busy} onClick={() => void reject()}>
        Tolak dengan alasan
      </button>
    </>
  );
}

function OutcomeNotice({ outcome, onClose }: { outcome: Outcome; onClose: () => void }) {
  const { item } = outcome;
  if (outcome.approved) {
    return (
      <div class="notice success" role="status">
        <p>
          Kode reset untuk <strong>{item.registeredName}</strong> (NIK {item.nikMasked}):
        </p>
        <p class="reset-code">{outcome.code}</p>
        <p class="small">
          Berlaku sampai {formatDateTime(outcome.expiresAt)}. Kirim hanya ke nomor terdaftar ({item.phone}); kode ini
          tidak ditampilkan lagi.
        </p>
        <p>
          <WhatsappButton link={outcome.link} label="Kirim kode via WhatsApp" />{" "}
          <button type="button" class="link-button" onClick={onClose}>
            Tutup
          </button>
        </p>
      </div>
    );
  }
  return (
    <div class="notice warning" role="status">
      <p>
        Permintaan ditolak: <strong>{item.registeredName}</strong>.
      </p>
      <p>
        <WhatsappButton link={outcome.link} label="Hubungi via WhatsApp" />{" "}
        <button type="button" class="link-button" onClick={onClose}>
          Tutup
        </button>
      </p>
    </div>
  );
}
