// A lead form: fetched by id, validated with the collector's own schema (wire.ts), sent as `Form Submitted`.
import { useEffect, useRef, useState } from 'preact/hooks';
import * as v from 'valibot';
import type { UICore } from '../core/touchpoint.d.ts';
import { EVENTS, type FormDefinition, type FormField, formValuesSchema } from '../../wire.ts';
import { getJson } from './net.ts';

const AUTO: Record<string, string> = { email: 'email', name: 'name', phone: 'tel', company: 'organization' };

function Field({
  f,
  value,
  error,
  set,
}: {
  f: FormField;
  value: string;
  error?: string;
  set(v: string): void;
}) {
  const id = `f-${f.name}`;
  const a = {
    id,
    name: f.name,
    'aria-invalid': error ? 'true' : 'false',
    'aria-describedby': error ? `${id}-e` : undefined,
    'aria-required': f.required ? 'true' : undefined,
  } as const;
  const req = f.required && <i aria-hidden="true"> *</i>;
  const err = error && (
    <span class="e" id={`${id}-e`}>
      {error}
    </span>
  );
  if (f.type === 'consent')
    return (
      <div>
        <label class="k">
          <input
            {...a}
            type="checkbox"
            checked={value === 'yes'}
            onChange={(e) => set(e.currentTarget.checked ? 'yes' : '')}
          />
          <span>
            {f.label}
            {req}
          </span>
        </label>
        {err}
      </div>
    );
  const input = (e: Event) => set((e.currentTarget as HTMLInputElement).value);
  return (
    <label>
      <span>
        {f.label}
        {req}
      </span>
      {f.type === 'message' ? (
        <textarea {...a} value={value} onInput={input} placeholder={f.placeholder} />
      ) : f.type === 'select' ? (
        <select {...a} value={value} onChange={input}>
          <option value="">Choose…</option>
          {f.options?.map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
      ) : (
        <input
          {...a}
          type={(f.type === 'email' ? 'email' : f.type === 'phone' ? 'tel' : 'text') as 'text'}
          autocomplete={AUTO[f.type]}
          value={value}
          onInput={input}
          placeholder={f.placeholder}
        />
      )}
      {err}
    </label>
  );
}

export function LeadForm({ core, id, onTitle }: { core: UICore; id: string; onTitle?: (t: string) => void }) {
  const [def, setDef] = useState<FormDefinition | 0 | null>(null);
  const [values, setValues] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [done, setDone] = useState(0);
  const [attempt, setAttempt] = useState(0);
  const ref = useRef<HTMLFormElement>(null);

  useEffect(() => {
    setDef(null);
    getJson<FormDefinition>(`${core.api}/v1/forms/${encodeURIComponent(id)}?key=${core.siteKey}`).then(
      (d) => {
        setDef(d);
        onTitle?.(d.name);
      },
      () => setDef(0),
    );
  }, [id, attempt]);

  if (def === null)
    return (
      <p class="m" role="status">
        Loading…
      </p>
    );
  if (def === 0)
    return (
      <p role="alert">
        This form could not be loaded.{' '}
        <button type="button" class="b" onClick={() => setAttempt(attempt + 1)}>
          Try again
        </button>
      </p>
    );
  if (done)
    return (
      <p class="ok" role="status">
        {def.successMessage}
      </p>
    );

  function submit(e: Event) {
    e.preventDefault();
    const d = def as FormDefinition;
    const r = v.safeParse(formValuesSchema(d), values);
    if (!r.success) {
      const errs: Record<string, string> = {};
      for (const i of r.issues) errs[String(i.path?.[0]?.key)] ||= i.message;
      setErrors(errs);
      // focus the first invalid field once it is marked
      setTimeout(() => ref.current?.querySelector<HTMLElement>('[aria-invalid=true]')?.focus());
      return;
    }
    const fields: Record<string, string> = {};
    for (const [k, x] of Object.entries(r.output)) if (x) fields[k] = x as string;
    const email = fields[d.fields.find((f) => f.type === 'email')?.name || ''];
    const name = fields[d.fields.find((f) => f.type === 'name')?.name || ''];
    core.track(EVENTS.form, {
      formId: d.id,
      formName: d.name,
      formKind: d.kind,
      fields,
      ...(email && { email }),
    });
    if (email) core.identify({ email, ...(name && { name }) });
    setErrors({});
    setDone(1);
  }

  const n = Object.keys(errors).length;
  return (
    <form ref={ref} onSubmit={submit} noValidate aria-label={def.name}>
      {def.fields.map((f) => (
        <Field
          key={f.name}
          f={f}
          value={values[f.name] || ''}
          error={errors[f.name]}
          set={(x) => setValues({ ...values, [f.name]: x })}
        />
      ))}
      <p class="s" role="alert">
        {n ? `${n} field${n > 1 ? 's need' : ' needs'} attention` : ''}
      </p>
      <button class="b" type="submit">
        {def.submitText}
      </button>
    </form>
  );
}
