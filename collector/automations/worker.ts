// The automation worker of a collector process: runs rounds of automations (rules, deliveries to enqueue, due
// timers, the at-risk sweep) when the store says something waits, then sends due webhook deliveries and emails.
// Every step is a store call, so several collectors on one database share the work without doing it twice: a
// round is one write transaction with the cursor, and each delivery or email is leased before it is sent.
import { createTransport, type Transporter } from 'nodemailer';
import type { Store } from '../store/types.ts';
import { allowPrivate, attempt, retrySchedule, sign } from './webhooks.ts';

export interface WorkerOptions {
  /** How often the worker asks the store what waits (TOUCHPOINT_AUTOMATION_POLL_MS, 250 by default). */
  pollMs: number;
  /** Each webhook attempt's time limit (15 s; TOUCHPOINT_WEBHOOK_TIMEOUT_MS for tests). */
  timeoutMs: number;
  /** Seconds between attempts (TOUCHPOINT_WEBHOOK_SCHEDULE). */
  schedule: number[];
  allowPrivate: boolean;
  /** TOUCHPOINT_SMTP_URL (smtp://user:pass@host:port); none means email actions are unavailable. */
  smtpUrl: string | null;
  /** TOUCHPOINT_SMTP_FROM. */
  mailFrom: string;
  publicUrl: string;
  /** How often the at-risk sweep runs. */
  sweepMs?: number;
  log?: (line: string) => void;
}

export function workerOptions(env: Record<string, string | undefined>, publicUrl: string): WorkerOptions {
  const int = (name: string, fallback: number) => {
    const raw = env[name];
    if (!raw) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0)
      throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
    return n;
  };
  return {
    pollMs: int('TOUCHPOINT_AUTOMATION_POLL_MS', 250),
    timeoutMs: int('TOUCHPOINT_WEBHOOK_TIMEOUT_MS', 15_000),
    schedule: retrySchedule(env),
    allowPrivate: allowPrivate(env),
    smtpUrl: env.TOUCHPOINT_SMTP_URL || null,
    mailFrom: env.TOUCHPOINT_SMTP_FROM || 'Touchpoint <touchpoint@localhost>',
    publicUrl,
  };
}

export interface AutomationWorker {
  /** Runs a pass now instead of at the next poll. */
  kick(): void;
  /** Stops after the pass in progress (deliveries in flight finish or time out). */
  stop(): Promise<void>;
}

const SWEEP_MS = 60_000;
const PURGE_MS = 60_000;

export function startAutomationWorker(store: Store, options: WorkerOptions): AutomationWorker {
  const log = options.log ?? (() => {});
  const mailer: Transporter | null = options.smtpUrl ? createTransport(options.smtpUrl) : null;
  const sweepMs = options.sweepMs ?? SWEEP_MS;
  const leaseMs = options.timeoutMs * 2 + 1_000;
  let stopped = false;
  let running: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let again = false;
  let purgedAt = -Infinity;
  const inFlight = new Set<Promise<unknown>>();

  async function deliver(now: number) {
    const due = await store.automations.claimDeliveries(now, 20, leaseMs);
    await Promise.all(
      due.map(async (d) => {
        const timestamp = Math.floor(Date.now() / 1000);
        const headers = {
          'webhook-id': d.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': sign(d.secret, d.id, timestamp, d.payload),
          'user-agent': 'Touchpoint-Webhooks/1',
        };
        const r = await attempt(d.url, headers, d.payload, {
          timeoutMs: options.timeoutMs,
          allowPrivate: options.allowPrivate,
        });
        await store.automations.recordAttempt(d.id, { at: Date.now(), ...r }, options.schedule);
      }),
    );
    return due.length;
  }

  async function mail(now: number) {
    if (!mailer) return 0;
    const due = await store.automations.claimEmails(now, 10, leaseMs);
    for (const m of due) {
      let error: string | null = null;
      try {
        // One Message-ID per outbox entry: a resend after a crash (sent, not yet recorded) is the same message,
        // which mail systems show once.
        await mailer.sendMail({
          from: options.mailFrom,
          to: m.to,
          subject: m.subject,
          text: m.body,
          messageId: `<${m.id}@touchpoint>`,
        });
      } catch (err) {
        error = (err as Error).message.slice(0, 300);
      }
      await store.automations.recordEmail(m.id, error, Date.now());
    }
    return due.length;
  }

  async function pass() {
    // Retention: at most once a minute, beside the rounds (store.privacy.purge is a few short write jobs).
    if (Date.now() - purgedAt >= PURGE_MS) {
      purgedAt = Date.now();
      const purge: Promise<unknown> = store.privacy
        .purge(purgedAt)
        .catch((err: unknown) => !stopped && log(`privacy: ${(err as Error).message}`))
        .finally(() => inFlight.delete(purge));
      inFlight.add(purge);
    }
    for (let rounds = 0; rounds < 50 && !stopped; rounds++) {
      const now = Date.now();
      const waits = await store.automations.pending();
      let busy = false;
      if (
        waits.changes ||
        (waits.nextTimerAt !== null && waits.nextTimerAt <= now) ||
        now - waits.sweptAt >= sweepMs
      ) {
        const r = await store.automations.process({
          smtp: !!mailer,
          publicUrl: options.publicUrl,
          sweepMs,
        });
        busy = r.more;
        // What the round queued goes out now ("immediately"), not at the next poll.
        if ((r.deliveries > 0 || r.fired > 0) && sending < 3) detach(deliver(Date.now()));
      }
      // Sending runs beside the rounds, so a receiver that hangs holds up nothing but its own delivery.
      if (waits.nextDeliveryAt !== null && waits.nextDeliveryAt <= now && sending < 3) detach(deliver(now));
      if (waits.nextEmailAt !== null && waits.nextEmailAt <= now && !mailing && mailer) {
        mailing = true;
        detach(mail(now).finally(() => (mailing = false)));
      }
      if (!busy) break;
    }
  }

  let sending = 0;
  let mailing = false;
  /** Work that runs beside the rounds; when it did something, another pass follows at once. */
  function detach(work: Promise<number>) {
    sending++;
    const p = work
      .then((n) => {
        if (n > 0) api.kick();
      })
      .catch((err) => {
        if (!stopped) log(`automations: ${(err as Error).message}`);
      })
      .finally(() => {
        sending--;
        inFlight.delete(p);
      });
    inFlight.add(p);
  }

  function schedule(ms: number) {
    if (stopped || timer) return;
    timer = setTimeout(run, ms);
  }

  function run() {
    timer = null;
    if (running) {
      again = true;
      return;
    }
    const p: Promise<void> = pass()
      .catch((err) => {
        if (!stopped) log(`automations: ${(err as Error).message}`);
      })
      .finally(() => {
        running = null;
        inFlight.delete(p);
        if (again) {
          again = false;
          schedule(0);
        } else schedule(options.pollMs);
      });
    running = p;
    inFlight.add(p);
  }

  const api: AutomationWorker = {
    kick() {
      if (timer) {
        clearTimeout(timer);
        timer = null;
      }
      if (running) again = true;
      else schedule(0);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await Promise.all([...inFlight]);
      mailer?.close();
    },
  };
  schedule(0);
  return api;
}
