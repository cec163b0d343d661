import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import jpegJs from "jpeg-js";

let serial = Math.floor(Math.random() * 5000) + 1;

/**
 * A valid NIK of Kapuas Hulu (6106…), new on every call: region 61 06 01, the birth date as
 * DDMMYY (women add 40 to the day), a serial (domain/src/nik.rs has the rules).
 */
export function newNik(options: { birthDate?: string; female?: boolean } = {}): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(options.birthDate ?? "1990-05-12");
  if (!match) {
    throw new Error(`birthDate ${options.birthDate}: use YYYY-MM-DD`);
  }
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const dd = String(day + (options.female ? 40 : 0)).padStart(2, "0");
  const mm = String(month).padStart(2, "0");
  const yy = String(year % 100).padStart(2, "0");
  serial = (serial % 9999) + 1;
  return `610601${dd}${mm}${yy}${String(serial).padStart(4, "0")}`;
}

/** A deterministic pseudo-random sequence (xorshift32), so generated pictures are repeatable. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

/**
 * A real JPEG that looks like a photo to an encoder: smooth light, a few shapes, sensor noise.
 * The server decodes, checks and re-encodes photos (commands/src/files/sanitize.rs), so a
 * blank or tiny image would not stand for what residents send.
 */
export function photo(width = 800, height = 600, options: { seed?: number; quality?: number } = {}): Buffer {
  const next = random(options.seed ?? width * 31 + height);
  const data = Buffer.alloc(width * height * 4);
  const shapes = Array.from({ length: 6 }, () => ({
    x: next() * width,
    y: next() * height,
    r: (0.05 + next() * 0.2) * Math.min(width, height),
    color: [next() * 255, next() * 255, next() * 255] as const,
  }));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = 60 + (150 * x) / width;
      let g = 90 + (100 * y) / height;
      let b = 160 - (80 * (x + y)) / (width + height);
      for (const shape of shapes) {
        const dx = x - shape.x;
        const dy = y - shape.y;
        if (dx * dx + dy * dy < shape.r * shape.r) {
          [r, g, b] = shape.color;
        }
      }
      const noise = (next() - 0.5) * 24;
      const at = (y * width + x) * 4;
      data[at] = Math.max(0, Math.min(255, r + noise));
      data[at + 1] = Math.max(0, Math.min(255, g + noise));
      data[at + 2] = Math.max(0, Math.min(255, b + noise));
      data[at + 3] = 255;
    }
  }
  return Buffer.from(jpegJs.encode({ data, width, height }, options.quality ?? 85).data);
}

/**
 * A 4000 × 3000 JPEG as a phone camera takes it, for the downscaling benchmark: written once per
 * machine (encoding it takes seconds) and reused. Returns its path.
 */
export function largePhotoFile(): string {
  const dir = join(tmpdir(), "dukcapil-web-fixtures");
  const file = join(dir, "photo-4000x3000-v1.jpg");
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, photo(4000, 3000, { seed: 4000, quality: 90 }));
    renameSync(partial, file);
  }
  return file;
}

/**
 * A small valid PDF 1.4: one A4 page with `lines` of text in Helvetica, and a correct
 * cross-reference table (the server parses PDFs and holds them to an allow-list:
 * commands/src/files/pdf.rs). Text outside ASCII becomes `?`.
 */
export function pdf(lines: string[] = ["Dokumen uji Dukcapil Kapuas Hulu"]): Buffer {
  const pdfText = (text: string) => text.replace(/[^\x20-\x7e]/g, "?").replace(/[\\()]/g, (c) => `\\${c}`);
  const content = ["BT", "/F1 14 Tf", "72 770 Td", "18 TL", ...lines.map((line) => `(${pdfText(line)}) '`), "ET"].join(
    "\n",
  );
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    `<< /Length ${Buffer.byteLength(content, "latin1")} >>\nstream\n${content}\nendstream`,
  ];
  let out = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n";
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(Buffer.byteLength(out, "latin1"));
    out += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, "latin1");
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) {
    out += `${String(offset).padStart(10, "0")} 00000 n \n`;
  }
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, "latin1");
}
