// A real SMTP server on loopback (the smtp-server package) that keeps every message it receives, for the tests of
// automation emails.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface Mail {
  to: string[];
  /** The whole message as sent: headers and body. */
  data: string;
}

export interface SmtpSink {
  /** `smtp://127.0.0.1:PORT`, for TOUCHPOINT_SMTP_URL. */
  url: string;
  mails: Mail[];
  close(): Promise<void>;
}

export async function startSmtp(): Promise<SmtpSink> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    onData(stream, session, done) {
      let data = '';
      stream.on('data', (chunk: Buffer) => (data += chunk.toString()));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), data });
        done();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`,
    mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
