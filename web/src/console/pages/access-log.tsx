// "Akses Dokumen" (auditors, admins): every view or download of a resident's document — who,
// which file, when, from which address, for what — written before the bytes left the server.

import { useEffect, useState } from "preact/hooks";
import { ApiError, gql, messageOf } from "../../api/client";
import { ErrorSummary, type FieldErrors, TextInput } from "../../components/fields";
import { usePageTitle } from "../../components/layout";
import { formatDateTime } from "../../lib/format";
import { Actor, DateRangeFields, dayEnd, dayStart, FilterSelect } from "../audit";
import { graphql } from "../gql";
import type { AccessLogFilter, DocumentAccessPageQuery } from "../gql/graphql";
import { RequireStaff } from "../layout";
import "../admin.css";

const DocumentAccessPage = graphql(`
  query DocumentAccessPage($filter: AccessLogFilter, $after: String) {
    documentAccessLog(filter: $filter, first: 50, after: $after) {
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        accessId
        fileId
        viewerKind
        viewerId
        viewerRole
        viewerName
        viewerUsername
        purpose
        clientAddress
        viewedAt
      }
    }
  }
`);

type Access = DocumentAccessPageQuery["documentAccessLog"]["nodes"][number];

/** The purposes the server records (commands::file_access::purpose). */
const PURPOSE_LABELS: Record<string, string> = {
  verification: "Pemeriksaan oleh petugas",
  "legacy-verification": "Pemeriksaan dokumen layanan lama oleh petugas",
  owner: "Dibuka pemiliknya (penduduk)",
  "legacy-access": "Dokumen layanan lama dibuka penduduk",
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Filters {
  fileId: string;
  viewerId: string;
  purpose: string;
  from: string;
  to: string;
}

const EMPTY: Filters = { fileId: "", viewerId: "", purpose: "", from: "", to: "" };

const LABELS: Record<keyof Filters, string> = {
  fileId: "ID dokumen",
  viewerId: "ID pembaca",
  purpose: "Keperluan",
  from: "Dari tanggal",
  to: "Sampai tanggal",
};

/** The id in a `/files/{id}` address, or the text as typed. */
function fileIdOf(text: string): string {
  const trimmed = text.trim();
  return /\/files\/([^/?#]+)/.exec(trimmed)?.[1] ?? trimmed;
}

function toFilter(f: Filters): AccessLogFilter {
  return {
    ...(f.fileId.trim() ? { fileId: fileIdOf(f.fileId) } : {}),
    ...(f.viewerId.trim() ? { viewerId: f.viewerId.trim() } : {}),
    ...(f.purpose ? { purpose: f.purpose } : {}),
    ...(f.from ? { from: dayStart(f.from) } : {}),
    ...(f.to ? { to: dayEnd(f.to) } : {}),
  };
}

export function AccessLog() {
  usePageTitle("Akses Dokumen");
  return (
    <RequireStaff area="history">
      <AccessLogPage />
    </RequireStaff>
  );
}

function AccessLogPage() {
  const [form, setForm] = useState<Filters>(EMPTY);
  const [applied, setApplied] = useState<AccessLogFilter>({});
  const [rows, setRows] = useState<Access[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [message, setMessage] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const set = (name: keyof Filters) => (value: string) => setForm((before) => ({ ...before, [name]: value }));

  const fetchPage = async (filter: AccessLogFilter, after: string | null) => {
    setBusy(true);
    try {
      const page = (await gql(DocumentAccessPage, { filter, after })).documentAccessLog;
      setRows((before) => (after ? [...(before ?? []), ...page.nodes] : page.nodes));
      setNext(page.pageInfo.hasNextPage ? (page.pageInfo.endCursor ?? null) : null);
      setApplied(filter);
      setErrors({});
      setMessage(undefined);
    } catch (failure) {
      const range = failure instanceof ApiError && failure.code === "INVALID_RANGE";
      setErrors(range ? { to: messageOf(failure) } : {});
      setMessage(range ? undefined : messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    void fetchPage({}, null);
  }, []);

  const submit = (event: Event) => {
    event.preventDefault();
    if (busy) return;
    const problems: FieldErrors = {};
    if (form.fileId.trim() && !UUID.test(fileIdOf(form.fileId)))
      problems.fileId = "ID dokumen berupa UUID, atau tempel alamat /files/… dokumennya.";
    if (form.viewerId.trim() && !UUID.test(form.viewerId.trim()))
      problems.viewerId = "ID pembaca berupa UUID; salin dari kolom Pembaca.";
    if (form.from && form.to && form.from > form.to) problems.to = "Tanggal akhir harus sesudah tanggal awal.";
    setErrors(problems);
    setMessage(undefined);
    if (Object.keys(problems).length) return;
    void fetchPage(toFilter(form), null);
  };

  /** Narrows the log to one document or one reader, from a row. */
  const narrow = (changes: Partial<Filters>) => {
    const filters = { ...EMPTY, ...changes };
    setForm(filters);
    void fetchPage(toFilter(filters), null);
  };

  return (
    <>
      <h1>Akses Dokumen</h1>
      <p>
        Setiap kali dokumen pribadi penduduk (foto KTP-el, KK, selfie, dokumen pengajuan) dibuka atau diunduh, server
        mencatat siapa, kapan, dari alamat mana dan untuk keperluan apa, sebelum berkasnya dikirim. Catatan ini tidak
        dapat diubah. Yang terlama di atas.
      </p>
      <ErrorSummary message={message} errors={errors} order={Object.keys(LABELS)} labels={LABELS} />
      <form class="filter-form" onSubmit={submit} noValidate>
        <div class="filter-grid">
          <TextInput
            name="fileId"
            label={LABELS.fileId}
            hint="UUID, atau alamat /files/… dokumennya."
            optional
            autocomplete="off"
            maxLength={200}
            value={form.fileId}
            onValue={set("fileId")}
            error={errors.fileId}
          />
          <TextInput
            name="viewerId"
            label={LABELS.viewerId}
            hint="ID petugas atau akun penduduk."
            optional
            autocomplete="off"
            maxLength={36}
            value={form.viewerId}
            onValue={set("viewerId")}
            error={errors.viewerId}
          />
          <FilterSelect
            name="purpose"
            label={LABELS.purpose}
            all="Semua keperluan"
            options={PURPOSE_LABELS}
            value={form.purpose}
            onValue={set("purpose")}
            error={errors.purpose}
          />
          <DateRangeFields from={form.from} to={form.to} labels={LABELS} errors={errors} set={set} />
        </div>
        <div class="actions">
          <button type="submit" class="button" disabled={busy}>
            Tampilkan
          </button>
          <button type="button" class="button secondary" disabled={busy} onClick={() => narrow({})}>
            Hapus saringan
          </button>
        </div>
      </form>
      <p class="small muted" aria-live="polite">
        {rows === null ? "Memuat…" : `${rows.length} akses ditampilkan${next ? "; ada lagi" : ""}.`}
      </p>
      {rows && rows.length === 0 ? <p>Tidak ada akses yang cocok dengan saringan ini.</p> : null}
      {rows?.length ? (
        <table class="data-table">
          <caption class="visually-hidden">Akses dokumen, yang terlama di atas</caption>
          <thead>
            <tr>
              <th scope="col">Waktu</th>
              <th scope="col">Pembaca</th>
              <th scope="col">Dokumen</th>
              <th scope="col">Keperluan</th>
              <th scope="col">Alamat</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.accessId} data-file={row.fileId}>
                <td>{formatDateTime(row.viewedAt)}</td>
                <td>
                  <Actor id={row.viewerId} role={row.viewerRole} name={row.viewerName} username={row.viewerUsername} />
                  <button
                    type="button"
                    class="link-button small"
                    aria-label={`Hanya pembaca ini (${row.viewerId})`}
                    onClick={() => narrow({ viewerId: row.viewerId })}
                  >
                    Hanya pembaca ini
                  </button>
                </td>
                <td>
                  <code class="small block">{row.fileId}</code>
                  <button
                    type="button"
                    class="link-button small"
                    aria-label={`Hanya dokumen ini (${row.fileId})`}
                    onClick={() => narrow({ fileId: row.fileId })}
                  >
                    Hanya dokumen ini
                  </button>
                </td>
                <td>{PURPOSE_LABELS[row.purpose] ?? row.purpose}</td>
                <td>{row.clientAddress ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {next ? (
        <button type="button" class="button secondary" disabled={busy} onClick={() => void fetchPage(applied, next)}>
          {busy ? "Memuat…" : "Muat berikutnya"}
        </button>
      ) : null}
    </>
  );
}
