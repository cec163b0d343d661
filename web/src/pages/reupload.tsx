// "Upload ulang dokumen" (the manual's "Klik Disini"): a new file for each document the officer
// asked for, with the officer's reason; once all are answered the request is back in the queue.

import { useEffect, useState } from "preact/hooks";
import { useLocation, useRoute } from "preact-iso";
import { ApiError, gql, messageOf } from "../api/client";
import { ErrorSummary, type FieldErrors, fieldErrorsOf } from "../components/fields";
import { RequireResident, usePageTitle } from "../components/layout";
import { FileSlot, useUploads } from "../components/uploads";
import { graphql } from "../gql";
import type { StatusEntryFragment } from "../gql/graphql";
import { MyRequests } from "./board";

const ReuploadDocuments = graphql(`
  mutation ReuploadDocuments($requestId: ID!, $documents: [DocumentUploadInput!]!) {
    reuploadDocuments(requestId: $requestId, documents: $documents)
  }
`);

export function Reupload() {
  usePageTitle("Upload Ulang Dokumen");
  return (
    <RequireResident>
      <ReuploadPage />
    </RequireResident>
  );
}

function ReuploadPage() {
  const { params } = useRoute();
  const { route } = useLocation();
  const [entry, setEntry] = useState<StatusEntryFragment | null | undefined>(undefined);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [message, setMessage] = useState<string | undefined>();
  const [sending, setSending] = useState(false);
  const [done, setDone] = useState(false);
  const uploads = useUploads(
    () => undefined,
    () => true,
  );
  useEffect(() => {
    gql(MyRequests)
      .then((reply) => setEntry(reply.myRequests.nodes.find((e) => e.requestId === params.id) ?? null))
      .catch((failure) => setMessage(messageOf(failure)));
  }, [params.id]);

  if (entry === undefined) return message ? <p role="alert">{message}</p> : <p class="loading">Memuat…</p>;
  const open = entry?.status === "AWAITING_REUPLOAD" ? entry.reuploadItems.filter((item) => !item.answered) : [];
  if (!entry || (!open.length && !done)) {
    return (
      <>
        <h1>Upload ulang dokumen</h1>
        <p>Tidak ada dokumen yang perlu diunggah ulang untuk pengajuan ini.</p>
        <p>
          <a href="/beranda">Kembali ke Beranda</a>
        </p>
      </>
    );
  }
  if (done) {
    return (
      <section class="notice success" aria-labelledby="done-title">
        <h1 id="done-title">Dokumen terkirim</h1>
        <p>
          Terima kasih. Pengajuan {entry.serviceName} No. {entry.number} kami proses kembali.
        </p>
        <button type="button" class="button" onClick={() => route("/beranda")}>
          OK
        </button>
      </section>
    );
  }
  const key = (code: string) => `documents.${code}`;
  const labels = Object.fromEntries(open.map((item) => [key(item.documentCode), item.label]));

  const submit = async (event: Event) => {
    event.preventDefault();
    if (sending) return;
    await uploads.settled();
    const missing: FieldErrors = {};
    for (const item of open) {
      if (!uploads.slot(key(item.documentCode)).file) missing[key(item.documentCode)] = "Pilih berkas baru.";
    }
    setErrors(missing);
    if (Object.keys(missing).length) {
      setMessage("Pilih berkas baru untuk setiap dokumen yang diminta.");
      return;
    }
    setSending(true);
    setMessage(undefined);
    try {
      const ids = await uploads.uploadAll();
      await gql(ReuploadDocuments, {
        requestId: entry.requestId,
        documents: open.map((item) => ({ code: item.documentCode, uploadId: ids[key(item.documentCode)] ?? "" })),
      });
      setDone(true);
    } catch (error) {
      if (error instanceof ApiError) {
        for (const problem of error.fields) {
          if (problem.code === "UPLOAD_NOT_USABLE") uploads.invalidate(problem.field, problem.message);
        }
        setErrors(fieldErrorsOf(error.fields));
      }
      setMessage(messageOf(error));
    } finally {
      setSending(false);
    }
  };

  return (
    <>
      <h1>Upload ulang dokumen</h1>
      <p>
        Pengajuan <strong>{entry.serviceName}</strong> No. {entry.number}. Petugas meminta dokumen berikut diunggah
        ulang. Pengajuan akan diproses kembali setelah semua dokumen terkirim.
      </p>
      <ErrorSummary message={message} errors={errors} order={Object.keys(labels)} labels={labels} />
      <form onSubmit={submit} noValidate>
        {open.map((item) => (
          <FileSlot
            key={item.documentCode}
            uploads={uploads}
            name={key(item.documentCode)}
            label={item.label}
            hint={`Alasan petugas: ${item.reason}`}
            error={errors[key(item.documentCode)]}
          />
        ))}
        <button type="submit" class="button" disabled={sending}>
          {sending ? "Mengirim…" : "Kirim dokumen"}
        </button>
      </form>
    </>
  );
}
