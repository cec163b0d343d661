// "Pemberitahuan Gagal": messages to residents that could not be delivered (the gateway refused
// the number, or every attempt failed), newest first, with the last error; a supervisor sends
// one again once the cause is fixed (a corrected gateway setting, a number that works again).

import { useEffect, useState } from "preact/hooks";
import { gql, messageOf } from "../../api/client";
import { Alert } from "../../components/alert";
import { usePageTitle } from "../../components/layout";
import { formatDateTime } from "../../lib/format";
import { graphql } from "../gql";
import type { NotificationDeadLettersQuery } from "../gql/graphql";
import { RequireStaff } from "../layout";
import "../admin.css";

const NotificationDeadLetters = graphql(`
  query NotificationDeadLetters {
    notificationDeadLetters(first: 100) {
      nodes {
        id
        channel
        template
        recipient
        attempts
        reason
        lastError
        createdAt
        deadAt
      }
    }
  }
`);

const RetryNotification = graphql(`
  mutation RetryNotification($id: ID!) {
    retryNotification(id: $id)
  }
`);

type Letter = NotificationDeadLettersQuery["notificationDeadLetters"]["nodes"][number];

/** The messages' names as officers say them. */
const TEMPLATE_LABELS: Record<string, string> = {
  account_approved: "Akun diverifikasi",
  account_rejected: "Akun ditolak",
  reset_code: "Kode reset kata sandi",
  reupload_demanded: "Upload ulang dokumen",
  request_completed: "Dokumen selesai",
  ready_for_pickup: "Siap diambil",
  request_rejected: "Pengajuan ditolak",
  legacy_access_granted: "Akses layanan lama",
};

const REASON_LABELS: Record<string, string> = {
  REFUSED: "Ditolak penerima (nomor/alamat tidak valid)",
  ATTEMPTS: "Gagal berulang kali",
  UNREADABLE: "Kode tidak dapat dibuka (kunci berubah)",
};

export function NotificationFailures() {
  usePageTitle("Pemberitahuan Gagal");
  return (
    <RequireStaff area="notifications">
      <FailuresPage />
    </RequireStaff>
  );
}

function FailuresPage() {
  const [letters, setLetters] = useState<Letter[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const load = async () => {
    try {
      setLetters((await gql(NotificationDeadLetters)).notificationDeadLetters.nodes);
      setError(null);
    } catch (failure) {
      setError(messageOf(failure));
    }
  };
  useEffect(() => {
    void load();
  }, []);
  const retry = async (letter: Letter) => {
    setError(null);
    try {
      const queued = (await gql(RetryNotification, { id: letter.id })).retryNotification;
      setDone(
        queued ? `Pemberitahuan ke ${letter.recipient} dikirim ulang.` : "Pemberitahuan itu sudah dikirim ulang.",
      );
      await load();
    } catch (failure) {
      setError(messageOf(failure));
    }
  };
  return (
    <>
      <h1>Pemberitahuan Gagal</h1>
      <p>
        Pesan WhatsApp dan e-mail kepada penduduk yang tidak dapat dikirim, terbaru di atas. Perbaiki penyebabnya
        (misalnya pengaturan gateway), lalu tekan <strong>Kirim ulang</strong>.
      </p>
      <Alert message={error} />
      {done ? (
        <p class="notice success" role="status">
          {done}
        </p>
      ) : null}
      {letters === null ? <p class="loading">Memuat…</p> : null}
      {letters?.length === 0 ? <p>Tidak ada pemberitahuan yang gagal.</p> : null}
      {letters?.length ? (
        <table class="data-table">
          <caption>{letters.length} pemberitahuan gagal</caption>
          <thead>
            <tr>
              <th scope="col">Pesan</th>
              <th scope="col">Penerima</th>
              <th scope="col">Sebab</th>
              <th scope="col">Waktu</th>
              <th scope="col">Tindakan</th>
            </tr>
          </thead>
          <tbody>
            {letters.map((letter) => (
              <tr key={letter.id}>
                <td>{TEMPLATE_LABELS[letter.template] ?? letter.template}</td>
                <td>
                  {letter.channel === "WHATSAPP" ? "WhatsApp" : "E-mail"} {letter.recipient}
                </td>
                <td>
                  {REASON_LABELS[letter.reason ?? ""] ?? letter.reason}
                  {letter.lastError ? <span class="small muted"> — {letter.lastError}</span> : null}
                  <span class="small"> ({letter.attempts} kali dicoba)</span>
                </td>
                <td>{letter.deadAt ? formatDateTime(letter.deadAt) : formatDateTime(letter.createdAt)}</td>
                <td>
                  <button type="button" class="small" onClick={() => void retry(letter)}>
                    Kirim ulang<span class="visually-hidden"> pemberitahuan ke {letter.recipient}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}
