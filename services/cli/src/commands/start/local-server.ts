/** A server `trainyard start` started for itself (embedded Postgres, a private Redis). */
export interface LocalServer {
  url: string;
  stop(): Promise<void>;
}
