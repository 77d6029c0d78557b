import type { Duplex } from 'node:stream';

/** A refusal of the websocket upgrade itself, answered as a plain HTTP response. */
export interface UpgradeRefusal {
  status: number;
  message: string;
}

export function refuseUpgrade(socket: Duplex, refusal: UpgradeRefusal): void {
  const body = refusal.message;
  socket.end(
    `HTTP/1.1 ${refusal.status} ${httpStatusText(refusal.status)}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function httpStatusText(status: number): string {
  return (
    { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' }[
      status
    ] ?? 'Error'
  );
}

/** A close reason may carry at most 123 bytes. */
export function closeReason(message: string): string {
  return Buffer.byteLength(message) <= 123 ? message : `${message.slice(0, 110)}...`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
