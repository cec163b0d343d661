// "Kontak Bantuan": the WhatsApp numbers (a tap opens WhatsApp), the office hours, whether
// the office is open now and when it next opens, and a declared outage in plain words.

import { useEffect, useState } from "preact/hooks";
import { gql, messageOf } from "../api/client";
import { Alert } from "../components/alert";
import { usePageTitle } from "../components/layout";
import { graphql } from "../gql";
import type { ContactQuery } from "../gql/graphql";
import { formatDateTime } from "../lib/format";

const Contact = graphql(`
  query Contact {
    contactInfo {
      whatsappNumbers {
        label
        number
        link
      }
      hours {
        description
      }
      openNow
      nextOpening
      outage {
        reason
        since
      }
    }
  }
`);

export { ContactPage as Contact };

function ContactPage() {
  usePageTitle("Kontak Bantuan");
  const [info, setInfo] = useState<ContactQuery["contactInfo"] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    gql(Contact)
      .then((reply) => setInfo(reply.contactInfo))
      .catch((failure) => setError(messageOf(failure)));
  }, []);
  return (
    <>
      <h1>Kontak Bantuan</h1>
      <p>
        Hal yang perlu dikonfirmasi dapat ditanyakan ke nomor WhatsApp di bawah ini pada hari dan jam kantor. Hari libur
        dan cuti bersama kantor tutup.
      </p>
      <Alert message={error} />
      {info === null && !error ? <p class="loading">Memuat kontak…</p> : null}
      {info ? (
        <>
          {info.outage ? (
            <div class="notice warning" role="status">
              <h2>Layanan sedang terganggu</h2>
              <p>
                {info.outage.reason} (sejak {formatDateTime(info.outage.since)}). Pengajuan tetap dapat dikirim dan akan
                diproses setelah gangguan selesai; batas waktu 1x24 jam tidak berjalan selama gangguan.
              </p>
            </div>
          ) : null}
          <p class={info.openNow ? "open-now" : "closed-now"}>
            <strong>{info.openNow ? "Kantor sedang buka." : "Kantor sedang tutup."}</strong>{" "}
            {!info.openNow && info.nextOpening ? `Buka kembali ${formatDateTime(info.nextOpening)}.` : ""}
          </p>
          <h2>Jam layanan</h2>
          <p>{info.hours.description}</p>
          <h2>WhatsApp</h2>
          {info.whatsappNumbers.length ? (
            <ul class="contact-list">
              {info.whatsappNumbers.map((contact) => (
                <li key={contact.number}>
                  <a class="button whatsapp" href={contact.link} rel="noopener noreferrer" target="_blank">
                    {contact.label}: {contact.number}
                  </a>
                </li>
              ))}
            </ul>
          ) : (
            <p>Nomor WhatsApp belum tersedia. Silakan datang ke kantor Dinas Dukcapil.</p>
          )}
        </>
      ) : null}
    </>
  );
}
