/** Splits a Server-Sent Events text stream into messages (the parsing part of a browser's EventSource). */
export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

export class SseParser {
  private buffer = '';
  private current: { id?: string; event?: string; data?: string } = {};

  /** `onComment` hears the comment lines (heartbeats), trimmed; without it they are dropped. */
  constructor(private readonly onComment: (comment: string) => void = () => {}) {}

  /** Feeds text; returns the messages it completed. */
  push(text: string): SseMessage[] {
    this.buffer += text;
    const messages: SseMessage[] = [];
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline).replace(/\r$/, '');
      this.buffer = this.buffer.slice(newline + 1);
      if (line === '') {
        if (this.current.data !== undefined)
          messages.push({ id: this.current.id, event: this.current.event ?? 'message', data: this.current.data });
        this.current = {};
      } else if (line.startsWith(':')) {
        this.onComment(line.slice(1).trim());
      } else {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') this.current.data = this.current.data === undefined ? value : `${this.current.data}\n${value}`;
        else if (field === 'id') this.current.id = value;
        else if (field === 'event') this.current.event = value;
      }
    }
    return messages;
  }
}
