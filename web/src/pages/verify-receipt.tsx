// "Periksa Bukti Pengajuan": where a receipt's QR code leads. Anyone (a kecamatan clerk, a
// school, the resident) learns whether the receipt is genuine, the request's status now and the
// applicant's name masked — nothing more. The code can also be typed in by hand.

import { useEffect, useState } from "preact/hooks";
import { useLocation, useRoute } from "preact-iso";
import { gql, messageOf } from "../api/client";
import { Alert } from "../components/alert";
import { TextInput } from "../components/fields";
import { usePageTitle } from "../components/layout";
import { graphql } from "../gql";
import type { VerifyReceiptQuery } from "../gql/graphql";
import { formatDate } from "../lib/format";

const Verify = graphql(`
  query VerifyReceipt($code: String!) {
    verifyReceipt(code: $code) {
      genuine
      message
      number
      serviceName
      submittedOn
      statusLabel
      applicantMasked
    }
  }
`);

type Check = VerifyReceiptQuery["verifyReceipt"];

export function VerifyReceipt() {
  usePageTitle("Periksa Bukti Pengajuan");
  const { params } = useRoute();
  const { route } = useLocation();
  const code = decodeURIComponent(params.code ?? "");
  const [typed, setTyped] = useState(code);
  const [check, setCheck] = useState<Check | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setCheck(null);
    setError(null);
    if (!code) return;
    gql(Verify, { code })
      .then((reply) => setCheck(reply.verifyReceipt))
      .catch((failure) => setError(messageOf(failure)));
  }, [code]);
  return (
    <>
      <h1>Periksa Bukti Pengajuan</h1>
      <p>
        Pindai kode QR pada bukti pengajuan, atau ketik kode verifikasinya (16 huruf dan angka, misalnya
        ABCD-EFGH-JKMN-PQRS).
      </p>
      <Alert message={error} />
      {code && !check && !error ? <p class="loading">Memeriksa…</p> : null}
      {check ? <Result check={check} /> : null}
      <form
        class="card"
        onSubmit={(event) => {
          event.preventDefault();
          const next = typed.trim();
          if (next) route(`/verifikasi/${encodeURIComponent(next)}`);
        }}
      >
        <TextInput
          name="code"
          label="Kode verifikasi"
          value={typed}
          onValue={setTyped}
          autocomplete="off"
          autocapitalize="characters"
          maxLength={40}
        />
        <button type="submit" class="button">
          Periksa
        </button>
      </form>
    </>
  );
}

function Result({ check }: { check: Check }) {
  if (!check.genuine) {
    return (
      <div class="notice warning" role="status">
        <h2>Tidak dikenal</h2>
        <p>{check.message}</p>
      </div>
    );
  }
  return (
    <div class="notice success" role="status">
      <h2>Bukti pengajuan asli</h2>
      <p>{check.message}</p>
      <dl class="facts">
        <dt>Nomor pengajuan</dt>
        <dd>{check.number}</dd>
        <dt>Layanan</dt>
        <dd>{check.serviceName}</dd>
        <dt>Tanggal pengajuan</dt>
        <dd>{check.submittedOn ? formatDate(check.submittedOn) : "—"}</dd>
        <dt>Status sekarang</dt>
        <dd>{check.statusLabel}</dd>
        <dt>Nama pemohon</dt>
        <dd>{check.applicantMasked}</dd>
      </dl>
    </div>
  );
}
