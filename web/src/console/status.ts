import type { RequestStatus } from "./gql/graphql";

/** The status names officers read (the resident's board uses the server's own labels). */
export const STATUS_LABELS: Record<RequestStatus, string> = {
  SUBMITTED: "Menunggu diproses",
  IN_REVIEW: "Sedang diproses",
  AWAITING_REUPLOAD: "Menunggu upload ulang",
  COMPLETED: "Selesai",
  READY_FOR_PICKUP: "Siap diambil",
  COLLECTED: "Sudah diambil",
  REJECTED: "Ditolak",
  CANCELLED: "Dibatalkan",
};
