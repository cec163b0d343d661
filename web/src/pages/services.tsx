// "Pilihan Layanan": every service of the catalogue with what it needs, to choose one.

import { useEffect, useState } from "preact/hooks";
import { gql, messageOf } from "../api/client";
import { Alert } from "../components/alert";
import { RequireResident, usePageTitle } from "../components/layout";
import { graphql } from "../gql";
import type { ServicesQuery } from "../gql/graphql";

const Services = graphql(`
  query Services {
    services {
      code
      name
      description
      outcome
      documents {
        code
        label
        required
        requiredForAge {
          minYears
          maxYears
        }
      }
    }
  }
`);

export { ServicesPage as Services };

function ServicesPage() {
  usePageTitle("Pilihan Layanan");
  return (
    <RequireResident>
      <ServiceList />
    </RequireResident>
  );
}

function ServiceList() {
  const [services, setServices] = useState<ServicesQuery["services"] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    gql(Services)
      .then((reply) => setServices(reply.services))
      .catch((failure) => setError(messageOf(failure)));
  }, []);
  return (
    <>
      <h1>Pilihan Layanan</h1>
      <p>Pilih layanan yang Anda butuhkan. Siapkan foto dokumen pendukung yang tercantum.</p>
      <Alert message={error} />
      {services === null && !error ? <p class="loading">Memuat layanan…</p> : null}
      <ul class="service-list">
        {services?.map((service) => (
          <li key={service.code} class="card">
            <h2>{service.name}</h2>
            <p>{service.description}</p>
            <p class="small">
              {service.outcome === "PICKUP"
                ? "Hasil: kartu diambil di tempat yang ditentukan."
                : "Hasil: dokumen PDF yang dapat diunduh (atau dicetak di kecamatan/Dinas)."}
            </p>
            <details>
              <summary>Dokumen yang diperlukan</summary>
              <ul>
                {service.documents.map((document) => (
                  <li key={document.code}>
                    {document.label}
                    {document.required
                      ? ""
                      : document.requiredForAge
                        ? ` (wajib untuk umur ${document.requiredForAge.minYears}–${document.requiredForAge.maxYears} tahun)`
                        : " (tidak wajib)"}
                  </li>
                ))}
              </ul>
            </details>
            <a class="button" href={`/layanan/${service.code}`}>
              Ajukan {service.name}
            </a>
          </li>
        ))}
      </ul>
    </>
  );
}
