// One request as the officer works it: the form values and documents, then what can be done
// with it now — claim or release, ask for documents again (each with a reason), complete with
// the signed PDF, ready for pick-up and collected, or reject with a reason.

import { useEffect, useState } from "preact/hooks";
import { useRoute } from "preact-iso";
import { ApiError, gql, messageOf } from "../../api/client";
import { Alert } from "../../components/alert";
import { usePageTitle } from "../../components/layout";
import { FileSlot, useUploads } from "../../components/uploads";
import { DocumentViewer } from "../components/viewer";
import { graphql } from "../gql";
import type { RequestDetailQuery } from "../gql/graphql";
import { RequireStaff } from "../layout";
import { staff } from "../session";
import { ClaimRequest, ReleaseRequest } from "./queue";

const RequestDetailDoc = graphql(`
  query RequestDetail($requestId: ID!) {
    serviceRequest(requestId: $requestId) {
      requestId
      number
      serviceCode
      serviceName
      applicantName
      status
      statusLabel
      claimedBy
      fields {
        name
        value
      }
      documents {
        code
        url
      }
    }
    services {
      code
      outcome
      fields {
        name
        label
      }
      documents {
        code
        label
      }
    }
  }
`);

const DemandReupload = graphql(`
  mutation DemandReupload($requestId: ID!, $items: [ReuploadItemInput!]!) {
    demandReupload(requestId: $requestId, items: $items)
  }
`);
const CompleteRequest = graphql(`
  mutation CompleteRequest($requestId: ID!, $uploadIds: [ID!]!) {
    completeRequest(requestId: $requestId, uploadIds: $uploadIds)
  }
`);
const ReadyForPickup = graphql(`
  mutation ReadyForPickup($requestId: ID!, $place: String!, $availableFrom: DateTime!) {
    markReadyForPickup(requestId: $requestId, place: $place, availableFrom: $availableFrom)
  }
`);
const Collected = graphql(`
  mutation Collected($requestId: ID!) {
    markCollected(requestId: $requestId)
  }
`);
const AssignableStaff = graphql(`
  query AssignableStaff {
    assignableStaff {
      id
      displayName
    }
  }
`);
const ReassignRequest = graphql(`
  mutation ReassignRequest($requestId: ID!, $staffId: ID!) {
    reassignRequest(requestId: $requestId, staffId: $staffId)
  }
`);
const RejectRequest = graphql(`
  mutation RejectRequest($requestId: ID!, $reason: String!) {
    rejectRequest(requestId: $requestId, reason: $reason)
  }
`);

type Details = NonNullable<RequestDetailQuery["serviceRequest"]>;
type Service = RequestDetailQuery["services"][number];

export function RequestDetail() {
  usePageTitle("Pengajuan");
  return (
    <RequireStaff area="queue">
      <DetailPage />
    </RequireStaff>
  );
}

function DetailPage() {
  const { params } = useRoute();
  const id = params.id ?? "";
  const [details, setDetails] = useState<Details | null | undefined>(undefined);
  const [service, setService] = useState<Service | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const load = async () => {
    try {
      const reply = await gql(RequestDetailDoc, { requestId: id });
      setDetails(reply.serviceRequest ?? null);
      setService(reply.services.find((s) => s.code === reply.serviceRequest?.serviceCode) ?? null);
    } catch (failure) {
      setError(messageOf(failure));
    }
  };
  useEffect(() => {
    void load();
  }, [id]);
  if (error && details === undefined) return <p role="alert">{error}</p>;
  if (details === undefined) return <p class="loading">Memuat…</p>;
  if (details === null) return <h1>Pengajuan tidak ditemukan</h1>;

  const me = staff.value?.id;
  const mine = details.claimedBy === me;
  const open = ["SUBMITTED", "IN_REVIEW", "AWAITING_REUPLOAD"].includes(details.status);
  const label = (name: string) => service?.fields.find((f) => f.name === name)?.label ?? name;
  const documentLabel = (code: string) => service?.documents.find((d) => d.code === code)?.label ?? code;
  const run = async (work: () => Promise<unknown>, done: string) => {
    setError(null);
    try {
      await work();
      setNotice(done);
      await load();
    } catch (failure) {
      // A refused form names what is wrong on its fields ("Dokumen hasil (PDF) wajib diunggah.").
      const fields = failure instanceof ApiError ? failure.fields.map((field) => field.message) : [];
      setError(fields.length ? fields.join(" ") : messageOf(failure));
    }
  };

  return (
    <>
      <p>
        <a href="/petugas/antrean">← Kembali ke antrean</a>
      </p>
      <h1>
        {details.serviceName} · {details.number}
      </h1>
      <p>
        Pemohon: <strong>{details.applicantName}</strong> · Status: <strong>{details.statusLabel}</strong> ·{" "}
        {details.claimedBy ? (mine ? "Anda yang menangani" : "Ditangani petugas lain") : "Belum ditangani"}
      </p>
      {notice ? (
        <p class="notice success" role="status">
          {notice}
        </p>
      ) : null}
      <Alert message={error} />
      <div class="actions">
        {open && !details.claimedBy ? (
          <button
            type="button"
            class="button"
            onClick={() => void run(() => gql(ClaimRequest, { requestId: id }), "Pengajuan Anda ambil.")}
          >
            Ambil (klaim)
          </button>
        ) : null}
        {open && mine ? (
          <button
            type="button"
            class="button secondary"
            onClick={() => void run(() => gql(ReleaseRequest, { requestId: id }), "Pengajuan dikembalikan ke antrean.")}
          >
            Lepaskan
          </button>
        ) : null}
      </div>
      <div class="split">
        <section class="split-list" aria-labelledby="form-title">
          <h2 id="form-title">Isian formulir</h2>
          <dl class="facts">
            {details.fields.map((field) => (
              <div key={field.name}>
                <dt>{label(field.name)}</dt>
                <dd>{field.value}</dd>
              </div>
            ))}
          </dl>
        </section>
        <section class="split-detail" aria-labelledby="docs-title">
          <h2 id="docs-title">Dokumen</h2>
          {details.documents.length ? (
            <DocumentViewer documents={details.documents.map((d) => ({ label: documentLabel(d.code), url: d.url }))} />
          ) : (
            <p>Tidak ada dokumen.</p>
          )}
        </section>
      </div>
      {open && staff.value?.role === "SUPERVISOR" ? (
        <Reassign
          current={details.claimedBy ?? null}
          onSend={(staffId, name) =>
            run(() => gql(ReassignRequest, { requestId: id, staffId }), `Pengajuan dipindahkan ke ${name}.`)
          }
        />
      ) : null}
      {mine && details.status === "IN_REVIEW" ? (
        <>
          <Reupload
            documents={details.documents.map((d) => ({ code: d.code, label: documentLabel(d.code) }))}
            onSend={(items) =>
              run(() => gql(DemandReupload, { requestId: id, items }), "Permintaan upload ulang terkirim ke penduduk.")
            }
          />
          {service?.outcome === "PICKUP" ? (
            <Pickup
              onSend={(place, from) =>
                run(
                  () => gql(ReadyForPickup, { requestId: id, place, availableFrom: from }),
                  "Penduduk diberi tahu bahwa kartu siap diambil.",
                )
              }
            />
          ) : (
            <Complete
              onSend={(uploadIds) =>
                run(
                  () => gql(CompleteRequest, { requestId: id, uploadIds }),
                  "Pengajuan selesai; dokumen dapat diunduh.",
                )
              }
            />
          )}
          <Reject onSend={(reason) => run(() => gql(RejectRequest, { requestId: id, reason }), "Pengajuan ditolak.")} />
        </>
      ) : null}
      {details.status === "READY_FOR_PICKUP" ? (
        <button
          type="button"
          class="button"
          onClick={() => void run(() => gql(Collected, { requestId: id }), "Kartu tercatat sudah diambil.")}
        >
          Tandai sudah diambil
        </button>
      ) : null}
    </>
  );
}

/** A supervisor hands the request to another officer who works the queue. */
function Reassign({
  current,
  onSend,
}: {
  current: string | null;
  onSend: (staffId: string, name: string) => Promise<void>;
}) {
  const [officers, setOfficers] = useState<{ id: string; displayName: string }[]>([]);
  const [chosen, setChosen] = useState("");
  useEffect(() => {
    gql(AssignableStaff)
      .then((reply) => setOfficers(reply.assignableStaff))
      .catch(() => setOfficers([]));
  }, []);
  const others = officers.filter((o) => o.id !== current);
  const name = others.find((o) => o.id === chosen)?.displayName ?? "";
  return (
    <fieldset class="work-step">
      <legend>Pindahkan ke petugas lain</legend>
      <div class="field">
        <label for="reassign-to">Petugas tujuan</label>
        <select id="reassign-to" value={chosen} onChange={(e) => setChosen(e.currentTarget.value)}>
          <option value="">— Pilih petugas —</option>
          {others.map((o) => (
            <option key={o.id} value={o.id}>
              {o.displayName}
            </option>
          ))}
        </select>
      </div>
      <button type="button" class="button secondary" disabled={!chosen} onClick={() => void onSend(chosen, name)}>
        Pindahkan
      </button>
    </fieldset>
  );
}

function Reupload({
  documents,
  onSend,
}: {
  documents: { code: string; label: string }[];
  onSend: (items: { documentCode: string; reason: string }[]) => Promise<void>;
}) {
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const [chosen, setChosen] = useState<Record<string, boolean>>({});
  const items = documents
    .filter((d) => chosen[d.code])
    .map((d) => ({ documentCode: d.code, reason: (reasons[d.code] ?? "").trim() }));
  return (
    <fieldset class="work-step">
      <legend>Minta upload ulang</legend>
      {documents.map((document) => (
        <div key={document.code} class="reupload-choice">
          <label class="checkbox" for={`ru-${document.code}`}>
            <input
              type="checkbox"
              id={`ru-${document.code}`}
              checked={Boolean(chosen[document.code])}
              onChange={(e) => setChosen({ ...chosen, [document.code]: e.currentTarget.checked })}
            />
            <span>{document.label}</span>
          </label>
          {chosen[document.code] ? (
            <div class="field">
              <label for={`ru-reason-${document.code}`}>Alasan untuk {document.label}</label>
              <input
                id={`ru-reason-${document.code}`}
                value={reasons[document.code] ?? ""}
                maxLength={300}
                onInput={(e) => setReasons({ ...reasons, [document.code]: e.currentTarget.value })}
              />
            </div>
          ) : null}
        </div>
      ))}
      <button
        type="button"
        class="button secondary"
        disabled={!items.length || items.some((i) => !i.reason)}
        onClick={() => void onSend(items)}
      >
        Kirim permintaan upload ulang
      </button>
    </fieldset>
  );
}

function Complete({ onSend }: { onSend: (uploadIds: string[]) => Promise<void> }) {
  const uploads = useUploads(
    () => undefined,
    () => true,
  );
  const done = uploads.slot("result");
  return (
    <fieldset class="work-step">
      <legend>Selesaikan dengan dokumen PDF</legend>
      <FileSlot uploads={uploads} name="result" label="Dokumen hasil (PDF bertanda tangan)" accept="application/pdf" />
      <button
        type="button"
        class="button"
        disabled={done.state !== "done"}
        onClick={() => void (done.uploadId ? onSend([done.uploadId]) : undefined)}
      >
        Selesaikan pengajuan
      </button>
    </fieldset>
  );
}

function Pickup({ onSend }: { onSend: (place: string, from: string) => Promise<void> }) {
  const [place, setPlace] = useState("Kantor Dinas Dukcapil Kabupaten Kapuas Hulu, Putussibau");
  const [from, setFrom] = useState("");
  return (
    <fieldset class="work-step">
      <legend>Siap diambil</legend>
      <div class="field">
        <label for="pickup-place">Tempat pengambilan</label>
        <input id="pickup-place" value={place} maxLength={200} onInput={(e) => setPlace(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for="pickup-from">Dapat diambil mulai (WIB)</label>
        <input id="pickup-from" type="datetime-local" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
      </div>
      <button
        type="button"
        class="button"
        disabled={!place.trim() || !from}
        onClick={() => void onSend(place.trim(), new Date(`${from}:00+07:00`).toISOString())}
      >
        Beri tahu penduduk
      </button>
    </fieldset>
  );
}

function Reject({ onSend }: { onSend: (reason: string) => Promise<void> }) {
  const [reason, setReason] = useState("");
  return (
    <fieldset class="work-step">
      <legend>Tolak pengajuan</legend>
      <div class="field">
        <label for="reject-reason">Alasan penolakan (dibaca penduduk)</label>
        <textarea
          id="reject-reason"
          rows={3}
          maxLength={500}
          value={reason}
          onInput={(e) => setReason(e.currentTarget.value)}
        />
      </div>
      <button
        type="button"
        class="button secondary"
        disabled={!reason.trim()}
        onClick={() => void onSend(reason.trim())}
      >
        Tolak pengajuan
      </button>
    </fieldset>
  );
}
