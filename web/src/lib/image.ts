// Phone photos are shrunk in the browser before they travel: a 12-megapixel photo of a KTP is
// 3–6 MB, far beyond what a weak link carries in reasonable time, while 1600 pixels on the long
// side keep every printed character of a KTP-el or a Kartu Keluarga readable. The server still
// checks and re-encodes whatever arrives.

/** Longest side of a photo as sent. */
export const MAX_SIDE = 1600;
/** JPEG quality of a shrunk photo. */
export const QUALITY = 0.85;
/** Photos already this small (and within MAX_SIDE) travel as they are. */
const SMALL_ENOUGH = 600 * 1024;

/** What will be sent for a chosen file, and under which name. */
export interface Prepared {
  blob: Blob;
  name: string;
  width?: number;
  height?: number;
}

/** Shrinks a JPEG or PNG photo to at most MAX_SIDE pixels as JPEG; other files pass unchanged. */
export async function prepare(file: File): Promise<Prepared> {
  if (!/^image\/(jpeg|png|webp|heic|heif)$/.test(file.type)) return { blob: file, name: file.name };
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    // A format this browser cannot decode: let the server judge it.
    return { blob: file, name: file.name };
  }
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  if (scale === 1 && file.size <= SMALL_ENOUGH && file.type !== "image/heic" && file.type !== "image/heif") {
    const size = { width: bitmap.width, height: bitmap.height };
    bitmap.close();
    return { blob: file, name: file.name, ...size };
  }
  const width = Math.round(bitmap.width * scale);
  const height = Math.round(bitmap.height * scale);
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  if (!context) {
    bitmap.close();
    return { blob: file, name: file.name };
  }
  context.fillStyle = "#fff";
  context.fillRect(0, 0, width, height);
  context.imageSmoothingQuality = "high";
  context.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
  if (!blob) return { blob: file, name: file.name };
  return { blob, name: `${file.name.replace(/\.[^.]*$/, "")}.jpg`, width, height };
}
