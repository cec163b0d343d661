// "Pengajuan <layanan>": the form drawn from the catalogue's field definitions, a slot per
// document, a "periksa kembali" page with everything before sending, then Kirim with an
// idempotency key kept across retries, and the manual's notice "Pengajuan Berhasil Dikirim".

import { useEffect, useState } from "preact/hooks";
import { useLocation, useRoute } from "preact-iso";
import { ApiError, gql, messageOf } from "../api/client";
import { ErrorSummary, type FieldErrors, fieldErrorsOf, RadioGroup, Select, TextInput } from "../components/fields";
import { RequireResident, usePageTitle } from "../components/layout";
import { FileSlot, type Uploads, useUploads } from "../components/uploads";
import { graphql } from "../gql";
import type { ServiceFormQuery, SubmitServiceRequestMutation } from "../gql/graphql";
import { formatBytes, formatDate } from "../lib/format";
import { forgetIdempotencyKey, idempotencyKey } from "../lib/idempotency";

const ServiceFormQueryDoc = graphql(`
  query ServiceForm($code: String!) {
    service(code: $code) {
      code
      name
      description
      outcome
      fields {
        name
        label
        type
        required
        help
        maxLength
        min
        max
        options
      }
      documents {
        code
        label
        required
        requiredForAge {
          birthDateField
          minYears
          maxYears
        }
        acceptedTypes
      }
    }
  }
`);

const SubmitServiceRequest = graphql(`
  mutation SubmitServiceRequest($input: SubmitServiceRequestInput!) {
    submitServiceRequest(input: $input) {
      requestId
      number
      serviceName
      submittedAt
      message
    }
  }
`);

type Service = NonNullable<ServiceFormQuery["service"]>;
type ServiceField = Service["fields"][number];
type ServiceDocument = Service["documents"][number];

const MIME: Record<string, string> = { JPEG: "image/jpeg", PNG: "image/png", PDF: "application/pdf" };

export function ServiceForm() {
  return (
    <RequireResident>
      <ServiceFormLoader />
    </RequireResident>
  );
}

function ServiceFormLoader() {
  const { params } = useRoute();
  const code = params.code ?? "";
  const [service, setService] = useState<Service | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    gql(ServiceFormQueryDoc, { code })
      .then((reply) => setService(reply.service ?? null))
      .catch((failure) => setError(messageOf(failure)));
  }, [code]);
  usePageTitle(service ? `Pengajuan ${service.name}` : "Pengajuan");
  if (error)
    return (
      <p class="error-message" role="alert">
        {error}
      </p>
    );
  if (service === undefined) return <p class="loading">Memuat formulir…</p>;
  if (service === null)
    return (
      <>
        <h1>Layanan tidak ditemukan</h1>
        <p>
          <a href="/layanan">Kembali ke Pilihan Layanan</a>
        </p>
      </>
    );
  return <Form service={service} />;
}

const fieldKey = (field: ServiceField) => `fields.${field.name}`;
const documentKey = (document: ServiceDocument) => `documents.${document.code}`;

function Form({ service }: { service: Service }) {
  const { route } = useLocation();
  const [values, setValues] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<FieldErrors>({});
  const [message, setMessage] = useState<string | undefined>();
  const [step, setStep] = useState<"form" | "review">("form");
  const [sending, setSending] = useState(false);
  const [receipt, setReceipt] = useState<SubmitServiceRequestMutation["submitServiceRequest"] | null>(null);
  const uploads = useUploads(
    () => undefined,
    () => true,
  );
  const labels: Record<string, string> = {};
  for (const field of service.fields) labels[fieldKey(field)] = field.label;
  for (const document of service.documents) labels[documentKey(document)] = document.label;
  const order = [...service.fields.map(fieldKey), ...service.documents.map(documentKey)];

  useEffect(() => {
    window.scrollTo(0, 0);
    document.getElementById(step === "review" ? "review-title" : "form-title")?.focus();
  }, [step]);

  if (receipt) return <Receipt receipt={receipt} onOk={() => route("/beranda")} />;

  const check = (): FieldErrors => {
    const found: FieldErrors = {};
    for (const field of service.fields) {
      if (field.required && !(values[field.name] ?? "").trim()) found[fieldKey(field)] = "Wajib diisi.";
    }
    for (const document of service.documents) {
      const slot = uploads.slot(documentKey(document));
      if (document.required && !slot.file) found[documentKey(document)] = "Belum ada berkas dipilih.";
      else if (slot.state === "failed") found[documentKey(document)] = slot.error ?? "Unggahan gagal; coba lagi.";
    }
    return found;
  };

  const toReview = async (event: Event) => {
    event.preventDefault();
    await uploads.settled();
    const found = check();
    setErrors(found);
    if (Object.keys(found).length) {
      setMessage("Periksa kembali isian yang ditandai.");
      return;
    }
    setMessage(undefined);
    setStep("review");
  };

  const send = async () => {
    if (sending) return;
    setSending(true);
    setMessage(undefined);
    try {
      const ids = await uploads.uploadAll();
      const reply = await gql(SubmitServiceRequest, {
        input: {
          serviceCode: service.code,
          fields: service.fields
            .filter((field) => (values[field.name] ?? "").trim() !== "")
            .map((field) => ({ name: field.name, value: (values[field.name] ?? "").trim() })),
          documents: service.documents
            .filter((document) => ids[documentKey(document)])
            .map((document) => ({ code: document.code, uploadId: ids[documentKey(document)] ?? "" })),
          idempotencyKey: idempotencyKey(`layanan:${service.code}`),
        },
      });
      forgetIdempotencyKey(`layanan:${service.code}`);
      setReceipt(reply.submitServiceRequest);
    } catch (error) {
      if (error instanceof ApiError) {
        for (const problem of error.fields) {
          if (problem.code === "UPLOAD_NOT_USABLE") uploads.invalidate(problem.field, problem.message);
        }
        if (error.fields.length) {
          setErrors(fieldErrorsOf(error.fields));
          setStep("form");
        }
      }
      setMessage(messageOf(error));
    } finally {
      setSending(false);
    }
  };

  if (step === "review") {
    return (
      <>
        <h1 id="review-title" tabIndex={-1}>
          Periksa kembali: {service.name}
        </h1>
        <p>Pastikan data dan dokumen di bawah ini sudah benar sebelum dikirim.</p>
        <ErrorSummary message={message} errors={{}} order={[]} labels={{}} />
        <dl class="review">
          {service.fields.map((field) => (
            <div key={field.name}>
              <dt>{field.label}</dt>
              <dd>{shown(field, values[field.name] ?? "")}</dd>
            </div>
          ))}
          {service.documents.map((document) => {
            const slot = uploads.slot(documentKey(document));
            return (
              <div key={document.code}>
                <dt>{document.label}</dt>
                <dd>
                  {slot.file ? `${slot.file.name} (${formatBytes(slot.file.blob.size)})` : "—"}
                  {slot.state === "uploading" ? ` — mengunggah ${Math.round(slot.progress * 100)}%` : ""}
                  {slot.state === "done" ? " ✓" : ""}
                </dd>
              </div>
            );
          })}
        </dl>
        <div class="actions">
          <button type="button" class="button" disabled={sending} onClick={() => void send()}>
            {sending ? "Mengirim…" : "Kirim"}
          </button>
          <button type="button" class="button secondary" disabled={sending} onClick={() => setStep("form")}>
            Ubah data
          </button>
        </div>
      </>
    );
  }

  return (
    <>
      <h1 id="form-title" tabIndex={-1}>
        Pengajuan {service.name}
      </h1>
      <p>{service.description}</p>
      <ErrorSummary message={message} errors={errors} order={order} labels={labels} />
      <form onSubmit={toReview} noValidate>
        <h2>Data pengajuan</h2>
        {service.fields.map((field) => (
          <FormField
            key={field.name}
            field={field}
            value={values[field.name] ?? ""}
            error={errors[fieldKey(field)]}
            onValue={(value) => setValues((before) => ({ ...before, [field.name]: value }))}
          />
        ))}
        <h2>Dokumen pendukung</h2>
        <p class="hint">Foto diperkecil otomatis sebelum diunggah. JPEG, PNG atau PDF, paling besar 5 MB.</p>
        {service.documents.map((document) => (
          <DocumentSlot
            key={document.code}
            document={document}
            uploads={uploads}
            error={errors[documentKey(document)]}
            birthField={service.fields.find((f) => f.name === document.requiredForAge?.birthDateField)?.label}
          />
        ))}
        <button type="submit" class="button">
          Periksa kembali
        </button>
      </form>
    </>
  );
}

function shown(field: ServiceField, value: string): string {
  if (!value.trim()) return "—";
  if (field.type === "DATE" && /^\d{4}-\d{2}-\d{2}$/.test(value)) return formatDate(`${value}T12:00:00+07:00`);
  return value;
}

function FormField({
  field,
  value,
  error,
  onValue,
}: {
  field: ServiceField;
  value: string;
  error: string | undefined;
  onValue: (value: string) => void;
}) {
  const common = {
    name: fieldKey(field),
    label: field.label,
    error,
    value,
    onValue,
    optional: !field.required,
  };
  switch (field.type) {
    case "CHOICE": {
      const options = field.options.map((option) => ({ value: option, label: option }));
      const props = {
        name: common.name,
        label: field.label,
        hint: field.help ?? undefined,
        error,
        options,
        value,
        onValue,
      };
      return options.length <= 4 ? <RadioGroup {...props} /> : <Select {...props} />;
    }
    case "DATE":
      return (
        <TextInput {...common} type="date" hint={field.help ?? undefined} max={new Date().toISOString().slice(0, 10)} />
      );
    case "NIK":
    case "KK":
      return (
        <TextInput
          {...common}
          inputMode="numeric"
          maxLength={20}
          autocomplete="off"
          hint={field.help ?? `16 angka ${field.type === "KK" ? "nomor Kartu Keluarga" : "NIK"}.`}
        />
      );
    case "NUMBER":
      return (
        <TextInput
          {...common}
          inputMode="numeric"
          maxLength={6}
          hint={field.help ?? (field.min != null && field.max != null ? `Angka ${field.min}–${field.max}.` : undefined)}
        />
      );
    case "PHONE":
      return <TextInput {...common} type="tel" inputMode="tel" autocomplete="tel" hint={field.help ?? undefined} />;
    default:
      return <TextInput {...common} maxLength={field.maxLength ?? 200} hint={field.help ?? undefined} />;
  }
}

function DocumentSlot({
  document,
  uploads,
  error,
  birthField,
}: {
  document: ServiceDocument;
  uploads: Uploads;
  error: string | undefined;
  birthField: string | undefined;
}) {
  const age = document.requiredForAge;
  const hint = age
    ? `Wajib bila umur (menurut ${birthField ?? "tanggal lahir"}) ${age.minYears}–${age.maxYears} tahun.`
    : undefined;
  return (
    <FileSlot
      uploads={uploads}
      name={documentKey(document)}
      label={document.label}
      hint={hint}
      required={document.required || Boolean(age)}
      accept={document.acceptedTypes.map((type) => MIME[type] ?? "").join(",")}
      error={error}
    />
  );
}

function Receipt({
  receipt,
  onOk,
}: {
  receipt: SubmitServiceRequestMutation["submitServiceRequest"];
  onOk: () => void;
}) {
  usePageTitle("Pengajuan Berhasil Dikirim");
  useEffect(() => {
    window.scrollTo(0, 0);
    document.getElementById("receipt-title")?.focus();
  }, []);
  return (
    <section class="notice success" role="dialog" aria-labelledby="receipt-title" aria-modal="false">
      <h1 id="receipt-title" tabIndex={-1}>
        Pengajuan Berhasil Dikirim
      </h1>
      <p>{receipt.message}</p>
      <p>
        Layanan: <strong>{receipt.serviceName}</strong>
        <br />
        Nomor pengajuan: <strong class="request-number">{receipt.number}</strong>
      </p>
      <button type="button" class="button" onClick={onOk}>
        OK
      </button>
    </section>
  );
}
