import { SMTPServer } from 'smtp-server';

export interface Mail {
  readonly to: readonly string[];
  readonly raw: string;
  /** The raw message with quoted-printable soft line breaks undone. */
  readonly text: string;
}

/** A real SMTP server in the test process, keeping every mail it receives. */
export interface Mailbox {
  readonly url: string;
  readonly mails: Mail[];
  /** Waits for a mail to this address that matches, newer than the `after`-th mail. */
  next(to: string, options?: { after?: number; timeoutMs?: number }): Promise<Mail>;
  close(): Promise<void>;
}

export async function startMailbox(): Promise<Mailbox> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw, text: raw.replace(/=\r?\n/g, '') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    async next(to, options = {}) {
      const deadline = Date.now() + (options.timeoutMs ?? 5000);
      for (;;) {
        const found = mails.slice(options.after ?? 0).find((m) => m.to.includes(to));
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`No mail to ${to} within the timeout.`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The 6-digit code in a mail Vigil sent. */
export function codeIn(mail: Mail): string {
  const match = /is (\d{6})\./.exec(mail.text);
  if (!match) throw new Error('No code in the mail.');
  return match[1] as string;
}
