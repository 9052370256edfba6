// What the store can refuse, as plain error classes; http/errors.ts maps each to a status.

/** The writer's queue is full: retry later. */
export class StoreOverloaded extends Error {
  constructor() {
    super('too many writes are waiting to be stored; retry later');
  }
}

/** The store is shutting down and takes no more writes. */
export class StoreClosed extends Error {
  constructor() {
    super('the collector is shutting down');
  }
}

/** Another process held the database's write lock for too long. */
export class StoreBusy extends Error {
  constructor() {
    super('the database is busy; retry later');
  }
}

/** A domain refusal that names the field at fault; http/errors.ts gives it its status (404, 400, 409). */
export class Refused extends Error {
  constructor(
    readonly kind: 'not_found' | 'invalid' | 'conflict',
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}
