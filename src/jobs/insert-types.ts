/** Insert shapes derived from row types: nullable, defaulted and generated keys are optional. */

/** The keys of `TRow` whose type admits `null` (including `unknown` payloads). */
export type NullableKeys<TRow> = { [K in keyof TRow]-?: null extends TRow[K] ? K : never }[keyof TRow]

/** Keys a caller may leave out on insert: ids, timestamps and the defaulted keys. */
export type OptionalKeys<TRow, TDefaulted extends keyof TRow> =
  | Extract<keyof TRow, 'id' | 'createdAt' | 'updatedAt'>
  | NullableKeys<TRow>
  | TDefaulted

/** What `create` takes for a row type: required keys are non-null ones without a default. */
export type InsertOf<TRow, TDefaulted extends keyof TRow = never> = Omit<TRow, OptionalKeys<TRow, TDefaulted>> &
  Partial<Pick<TRow, OptionalKeys<TRow, TDefaulted>>>
