// "Layanan Lama": a resident asks on WhatsApp for the documents of the old portal. The officer
// looks the NIK up, sees what the old account held, and lets the resident's verified account
// see those documents for 24 hours.

import { useState } from "preact/hooks";
import { ApiError, gql, messageOf } from "../../api/client";
import { ErrorSummary, type FieldErrors, TextInput } from "../../components/fields";
import { usePageTitle } from "../../components/layout";
import { formatDateTime } from "../../lib/format";
import { graphql } from "../gql";
import type { LegacyAccountLookupQuery } from "../gql/graphql";
import { RequireStaff } from "../layout";
import { WhatsappButton } from "../whatsapp";
import "../admin.css";
import { Alert } from "../../components/alert";

const LegacyAccountLookup = graphql(`
  query LegacyAccountLookup($nik: String!) {
    legacyAccount(nik: $nik) {
      id
      nikMasked
      fullName
      importedAt
      documentTitles
    }
  }
`);

/** The grant by NIK: the server finds the old account and the resident's active account itself. */
const GrantLegacyAccessByNik = graphql(`
  mutation GrantLegacyAccessByNik($nik: String!) {
    grantLegacyAccessByNik(nik: $nik) {
      until
      whatsappLink
    }
  }
`);

type LegacyAccount = NonNullable<LegacyAccountLookupQuery["legacyAccount"]>;

export function LegacyAccess() {
  usePageTitle("Layanan Lama");
  return (
    <RequireStaff area="verification">
      <LegacyPage />
    </RequireStaff>
  );
}

function LegacyPage() {
  const [nik, setNik] = useState("");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [message, setMessage] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  // The NIK looked up and what was found (`null`: no old account for it).
  const [found, setFound] = useState<{ nik: string; account: LegacyAccount | null } | null>(null);

  const lookUp = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    const digits = nik.replace(/\s/g, "");
    if (!/^\d{16}$/.test(digits)) {
      setErrors({ nik: "NIK terdiri dari 16 angka." });
      setMessage(undefined);
      return;
    }
    setBusy(true);
    setErrors({});
    setMessage(undefined);
    try {
      const reply = await gql(LegacyAccountLookup, { nik: digits });
      setFound({ nik: digits, account: reply.legacyAccount ?? null });
    } catch (failure) {
      setFound(null);
      // A malformed NIK is the server's to judge (checksum, region): its message goes beside the field.
      if (failure instanceof ApiError && failure.code.startsWith("NIK_")) setErrors({ nik: failure.message });
      else setMessage(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h1>Layanan Lama</h1>
      <p>
        Penduduk yang dulu memakai portal lama dapat meminta dokumennya. Masukkan NIK-nya untuk melihat akun lama. Akses
        diberikan ke akun baru penduduk yang sudah diverifikasi, selama 24 jam.
      </p>
      <div class="narrow">
        <ErrorSummary message={message} errors={errors} order={["nik"]} labels={{ nik: "NIK" }} />
        <form onSubmit={lookUp} noValidate>
          <TextInput
            name="nik"
            label="NIK"
            hint="16 angka, seperti di KTP-el."
            inputMode="numeric"
            autocomplete="off"
            maxLength={20}
            value={nik}
            onValue={setNik}
            error={errors.nik}
          />
          <button type="submit" class="button" disabled={busy}>
            {busy ? "Mencari…" : "Cari akun lama"}
          </button>
        </form>
      </div>
      <section class="legacy-result" aria-live="polite">
        {found ? (
          found.account ? (
            <LegacyDetail key={found.account.id} nik={found.nik} account={found.account} />
          ) : (
            <p class="notice">Tidak ada akun layanan lama untuk NIK ini.</p>
          )
        ) : null}
      </section>
    </>
  );
}

function LegacyDetail({ nik, account }: { nik: string; account: LegacyAccount }) {
  const [granted, setGranted] = useState<{ until: string; whatsappLink?: string | null } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const grant = async () => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      setGranted((await gql(GrantLegacyAccessByNik, { nik })).grantLegacyAccessByNik);
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="card">
      <h2>{account.fullName}</h2>
      <dl class="facts">
        <dt>NIK</dt>
        <dd>{account.nikMasked}</dd>
        <dt>Diimpor dari portal lama</dt>
        <dd>{formatDateTime(account.importedAt)}</dd>
      </dl>
      <h3>Dokumen ({account.documentTitles.length})</h3>
      {account.documentTitles.length ? (
        <ul>
          {account.documentTitles.map((title, index) => (
            // Titles may repeat ("KK", "KK"): the position keeps them apart.
            <li key={`${index}-${title}`}>{title}</li>
          ))}
        </ul>
      ) : (
        <p>Akun lama ini tidak memiliki dokumen.</p>
      )}
      <Alert message={error} />
      {granted ? (
        <div class="notice success" role="status">
          <p>
            Akses diberikan. Penduduk dapat mengunduh dokumen ini di Beranda akunnya sampai{" "}
            <strong>{formatDateTime(granted.until)}</strong>.
          </p>
          <p>
            <WhatsappButton link={granted.whatsappLink} label="Kabari via WhatsApp" />
          </p>
        </div>
      ) : (
        <>
          <p class="small">
            Penduduk harus sudah punya akun baru yang aktif dengan NIK yang sama. Dokumen dapat diunduh dari Beranda
            akunnya selama 24 jam sejak akses diberikan.
          </p>
          <button type="button" class="button" disabled={busy} onClick={() => void grant()}>
            Beri akses 24 jam
          </button>
        </>
      )}
    </div>
  );
}
