// A modal confirmation dialog: the native <dialog> (so the page behind is inert), Tab kept inside, Escape
// closes, and focus goes back to whatever opened it.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { ApiError } from './api.ts';
import { ErrorNotice } from './components.tsx';

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export function Dialog({
  title,
  onClose,
  children,
  describedBy,
}: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  describedBy?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    const dialog = ref.current!;
    const opener = document.activeElement as HTMLElement | null;
    dialog.showModal();
    // Focus the first field, else the first button that is not the close button.
    const first =
      dialog.querySelector<HTMLElement>('input, select, textarea') ??
      dialog.querySelector<HTMLElement>('.dialog-actions button');
    first?.focus();
    return () => {
      if (dialog.open) dialog.close();
      opener?.focus?.();
    };
  }, []);

  return (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby="dialog-title"
      aria-describedby={describedBy}
      onCancel={(e) => {
        // Escape: we close through state so the component unmounts and focus returns.
        e.preventDefault();
        close.current();
      }}
      onKeyDown={(e) => {
        if (e.key !== 'Tab') return;
        const items = [...ref.current!.querySelectorAll<HTMLElement>(FOCUSABLE)];
        if (!items.length) return;
        const first = items[0];
        const last = items[items.length - 1];
        if (e.shiftKey && document.activeElement === first) {
          e.preventDefault();
          last.focus();
        } else if (!e.shiftKey && document.activeElement === last) {
          e.preventDefault();
          first.focus();
        }
      }}
    >
      <h2 id="dialog-title">{title}</h2>
      {children}
    </dialog>
  );
}

/** A dialog holding a form: a reason (and whatever else), Cancel and a confirm button that shows progress. */
export function ConfirmDialog({
  title,
  confirmLabel,
  busy,
  error,
  onConfirm,
  onClose,
  danger,
  children,
}: {
  title: string;
  confirmLabel: string;
  busy: boolean;
  error: ApiError | null;
  onConfirm: () => void;
  onClose: () => void;
  danger?: boolean;
  children: ComponentChildren;
}) {
  return (
    <Dialog title={title} onClose={busy ? () => {} : onClose} describedBy="dialog-body">
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          if (!busy) onConfirm();
        }}
      >
        <div id="dialog-body">{children}</div>
        {error ? <ErrorNotice error={error} /> : null}
        <div class="dialog-actions">
          <button type="button" class="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button
            type="submit"
            class={`button ${danger ? 'button-danger' : 'button-primary'}`}
            disabled={busy}
            aria-busy={busy}
          >
            {busy ? 'Working…' : confirmLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
