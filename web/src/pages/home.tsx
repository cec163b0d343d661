// The public home: what the service is, how it works (the manual's steps), links to register,
// sign in and get help, and the manual's five questions and answers.

import { usePageTitle } from "../components/layout";
import { resident } from "../lib/session";

const FAQ: { question: string; answer: string[] }[] = [
  {
    question:
      "Pada layanan lama saya sudah pernah membuat akun, apakah pada layanan yang baru saya harus membuat akun lagi?",
    answer: [
      "Iya, untuk bisa menggunakan layanan yang baru anda diwajibkan untuk melakukan pendaftaran akun baru.",
      "Mengapa demikian? Sebagai antisipasi keamanan data akun pada layanan lama, semua akun pada layanan lama yang telah di daftarkan telah kami nonaktifkan.",
    ],
  },
  {
    question:
      "Pada layanan lama ada dokumen yang belum saya ambil, apakah yang harus saya lakukan untuk mendapatkan akses layanan lama?",
    answer: [
      "Silahkan menghubungi admin Verifikasi Akun dan buktikan bahwa anda adalah pemilik akun tersebut sehingga akses pada layanan lama bisa didapatkan kembali selama 1x24 Jam. Segera lakukan screenshot pada dokumen yang akan diambil sebelum masa waktu akun aktif habis.",
      "Setelah akses diberikan, dokumen layanan lama tampil di Beranda Anda.",
    ],
  },
  {
    question:
      "Lupa Password pada layanan baru apakah yang harus saya lakukan untuk mendapatkan akses akun saya kembali?",
    answer: [
      "Silahkan menghubungi admin Verifikasi Akun dan buktikan bahwa anda adalah pemilik akun tersebut dengan mengirim data-data: NIK, Nama Lengkap, Foto KTP, Foto Kartu Keluarga, dan Foto selfie diri tegak tampak depan. Admin akan memverifikasi data yang anda kirim.",
      "Data dan foto tersebut dapat Anda kirim langsung melalui halaman Lupa Kata Sandi.",
    ],
  },
  {
    question: "Berapa lama pengajuan saya baru diproses?",
    answer: [
      "Paling lambat dalam kurun waktu 1x24 jam di hari dan jam kerja kantor, terkecuali ada gangguan pada jaringan komunikasi data yang kami gunakan sehingga tidak terhubung ke data center di Dukcapil Kementerian Dalam Negeri.",
    ],
  },
  {
    question: "Apa yang harus saya lakukan jika pengajuan saya pada kolom layanan tampil tombol upload ulang dokumen?",
    answer: [
      "Silahkan klik tombol pada tulisan Klik Disini dan upload dokumen baru sesuai keterangan yang diminta pada tombol upload yang telah disediakan. Pengajuan akan kami proses kembali jika dokumen yang diminta sudah di upload ulang.",
    ],
  },
];

export function Home() {
  usePageTitle("Beranda");
  const signedIn = Boolean(resident.value);
  return (
    <>
      <section class="hero">
        <h1>Layanan Online Dinas Dukcapil Kabupaten Kapuas Hulu</h1>
        <p>
          Ajukan akta kelahiran, kartu keluarga, KTP-el, KIA, surat pindah dan dokumen kependudukan lainnya dari rumah.
          Pantau status pengajuan, unggah ulang dokumen bila diminta, lalu unduh dokumen yang sudah selesai.
        </p>
        <div class="actions">
          {signedIn ? (
            <a class="button" href="/beranda">
              Ke Beranda Status Pengajuan
            </a>
          ) : (
            <>
              <a class="button" href="/daftar">
                Pendaftaran Akun Baru
              </a>
              <a class="button secondary" href="/masuk">
                Masuk (Login)
              </a>
            </>
          )}
        </div>
      </section>

      <section aria-labelledby="alur">
        <h2 id="alur">Alur layanan</h2>
        <ol class="steps">
          <li>
            <strong>Daftar akun</strong> dengan NIK KTP-el, nama lengkap, nomor HP/WhatsApp aktif, e-mail jika ada, kata
            sandi, serta foto KTP-el (atau surat keterangan kehilangan dari kepolisian), Kartu Keluarga dan foto selfie.
          </li>
          <li>
            <strong>Hubungi Admin Verifikasi Akun</strong> melalui WhatsApp. Admin mencocokkan identitas Anda sebelum
            akses login diberikan.
          </li>
          <li>
            <strong>Masuk</strong> dengan NIK dan kata sandi, lalu <strong>pilih layanan</strong> dan isi data yang
            diminta beserta foto dokumen pendukung.
          </li>
          <li>
            <strong>Pantau status</strong> pada kolom Layanan di Beranda. Dokumen yang selesai dapat diunduh pada kolom
            Download; KTP-el dan KIA diambil di tempat yang tertera.
          </li>
        </ol>
        <p>
          Pengajuan diproses paling lambat 1x24 jam pada hari dan jam kerja: Senin–Jumat pukul 08.00–16.00 WIB. Ada
          pertanyaan? Lihat <a href="/kontak">Kontak Bantuan</a>.
        </p>
      </section>

      <section aria-labelledby="faq">
        <h2 id="faq">Pertanyaan yang sering diajukan</h2>
        {FAQ.map((item, index) => (
          <details class="faq" key={item.question} open={index === 0}>
            <summary>{item.question}</summary>
            {item.answer.map((paragraph) => (
              <p key={paragraph}>{paragraph}</p>
            ))}
            {index === 2 ? (
              <p>
                <a href="/lupa-kata-sandi">Buka halaman Lupa Kata Sandi</a>
              </p>
            ) : null}
          </details>
        ))}
      </section>
    </>
  );
}
