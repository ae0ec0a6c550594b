/**
 * Generators for the job-repository properties. Every generated value carries the verdict the
 * rules of `src/jobs/column-values.ts` and the README give it (`ok`, `invalid`, or `null`, which
 * passes the checks and meets the database's NOT NULL), decided here from how it was built, not
 * by calling the code under test.
 */
import fc from 'fast-check'

/** A value and whether the repositories must take it. */
export type Verdict = 'ok' | 'invalid' | 'null'
export type Tagged<T = unknown> = { readonly value: T; readonly verdict: Verdict }

const tag = <T>(verdict: Verdict) => (value: T): Tagged<T> => ({ value, verdict })

const LONE_SURROGATE = /\p{Cs}/u
const storableLabel = (text: string) => !text.includes('\u0000') && !LONE_SURROGATE.test(text) && [...text].length <= 191

/** Strings that collide under MariaDB's default collation or `utf8mb4_bin`, and other awkward ones. */
const AWKWARD_LABELS = [
  'Order-1', 'order-1 ', 'Order-1 ', 'ORDER-1', ' Order-1', 'Órder-1', 'Orde\u0301r-1', 'ß', 'ss', 'İ', 'i', 'a', 'A', 'a ', '',
  '\t', 'x\ny', '日本語', '😀', '\uffff', '\u{10000}', '%', '_', "'", '"', '\\', 'null', '1', 'pending', 'PENDING', 'running ',
]

/** Labels every dialect stores exactly (at most 191 characters, no NUL, no lone surrogate). */
export const okLabel: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...AWKWARD_LABELS) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }).filter(storableLabel) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }).filter(storableLabel) },
  { weight: 1, arbitrary: fc.constantFrom('é'.repeat(191), '😀'.repeat(191)) },
)

/** Values a label column must refuse: NUL, lone surrogates, too long, not a string. */
const invalidLabel: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('a\u0000b', '\u0000', '\ud800', 'x\udfff', '\udbffA', 'x'.repeat(192), '😀'.repeat(192), 5, 0, true, {}, [], ['a'], 1n, Number.NaN),
  fc.string({ unit: 'binary', maxLength: 6 }).filter((text) => !storableLabel(text)),
)

/** A label for a NOT NULL column: mostly good, sometimes refused, sometimes null. */
export const taggedLabel: fc.Arbitrary<Tagged> = fc.oneof(
  { weight: 8, arbitrary: okLabel.map(tag<unknown>('ok')) },
  { weight: 3, arbitrary: invalidLabel.map(tag<unknown>('invalid')) },
  { weight: 1, arbitrary: fc.constant(null).map(tag<unknown>('null')) },
)

const nested = (depth: number): unknown => (depth === 0 ? 'bottom' : [nested(depth - 1)])
const circular: Record<string, unknown> = { name: 'loop' }
circular.self = circular
// eslint-disable-next-line no-sparse-arrays
const sparse = [1, , 3]

/** JSON data every dialect returns exactly (`-0` comes back as 0, as JSON has one zero); 31 nested arrays are MariaDB's most. */
const okPayload: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>('', '123', 'true', 'null', '"x"', '{"a":1}', '[1]', 'a\u0000b', { 'k\u0000': ['\u0000'] }, '😀', -0, 1e308, -1.5, [], {}, nested(31), Object.fromEntries([['__proto__', 1]])),
  },
  { weight: 1, arbitrary: fc.dictionary(okLabel, fc.string({ unit: 'grapheme', maxLength: 6 }), { maxKeys: 3 }) },
)

/** Values a payload must refuse: not JSON, or JSON MariaDB cannot hold. */
const invalidPayload: fc.Arbitrary<unknown> = fc.constantFrom<unknown>(
  '\ud800', { text: 'bad \udc00' }, { '\ud800': 1 }, [Number.NaN], Number.POSITIVE_INFINITY, { a: undefined }, [undefined], new Date(0), 1n, { fn: () => 1 },
  Symbol('s'), nested(32), sparse, new Map([[1, 2]]), circular, [[[{ deep: nested(29) }]]],
)

/** A payload: mostly JSON, sometimes refused, sometimes left out (undefined) or null. */
export const taggedPayload: fc.Arbitrary<Tagged> = fc.oneof(
  { weight: 8, arbitrary: okPayload.map(tag<unknown>('ok')) },
  { weight: 2, arbitrary: invalidPayload.map(tag<unknown>('invalid')) },
  { weight: 1, arbitrary: fc.constantFrom(null, undefined).map(tag<unknown>('ok')) },
)

/** A row id: one of the rows made so far (by index), or a value of the wrong type, or one that names no row. */
export type IdRef = { readonly existing: number } | { readonly raw: Tagged }

export const idRef: fc.Arbitrary<IdRef> = fc.oneof(
  { weight: 6, arbitrary: fc.nat().map((existing) => ({ existing })) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom<unknown>('1 or 1=1', '1', 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, null, undefined, {}, [1], true, 1n, { getSQL: () => '1=1' })
      .map((value) => ({ raw: { value, verdict: 'invalid' as const } })),
  },
  { weight: 1, arbitrary: fc.constantFrom(987_654_321, 0, -1, -0).map((value) => ({ raw: { value, verdict: 'ok' as const } })) },
)

// --- filters ---------------------------------------------------------------------------------

/** The kinds of the filterable workflow columns. */
export type FilterKind = 'id' | 'label' | 'status' | 'integer' | 'time'

export const WORKFLOW_FILTER_COLUMNS: Readonly<Record<string, { readonly kind: FilterKind; readonly nullable: boolean }>> = {
  id: { kind: 'id', nullable: false },
  name: { kind: 'label', nullable: false },
  status: { kind: 'status', nullable: false },
  attempts: { kind: 'integer', nullable: false },
  createdAt: { kind: 'time', nullable: false },
  updatedAt: { kind: 'time', nullable: false },
  startedAt: { kind: 'time', nullable: true },
  finishedAt: { kind: 'time', nullable: true },
  deletedAt: { kind: 'time', nullable: true },
}

/** The clock of the property stores starts here and moves one millisecond per case. */
export const CLOCK_START = 1_700_000_000_000

const STATUSES = ['pending', 'running', 'paused', 'completed', 'failed', 'cancelled'] as const

const okOperand = (kind: FilterKind): fc.Arbitrary<unknown> => {
  switch (kind) {
    case 'id':
      return fc.oneof(fc.integer({ min: -2, max: 60 }), fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, -0))
    case 'label':
      return okLabel
    case 'status':
      return fc.oneof(fc.constantFrom(...STATUSES), okLabel)
    case 'integer':
      return fc.oneof(fc.integer({ min: -2, max: 4 }), fc.constantFrom(2 ** 31 - 1, -(2 ** 31)))
    case 'time':
      return fc.oneof(fc.integer({ min: CLOCK_START - 2, max: CLOCK_START + 2_000 }), fc.constantFrom(0, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER))
  }
}

const invalidOperand = (kind: FilterKind): fc.Arbitrary<unknown> =>
  kind === 'label' || kind === 'status'
    ? invalidLabel.filter((value) => typeof value !== 'object' || value === null || Array.isArray(value))
    : fc.constantFrom<unknown>('1', 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, true, [], 1n, ...(kind === 'integer' ? [2 ** 31, -(2 ** 31) - 1] : []))

/** One field's condition as the model reads it (only for accepted filters). */
export type Condition =
  | { readonly op: 'none' }
  | { readonly op: 'isNull'; readonly isNull: boolean }
  | { readonly op: 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte'; readonly operand: unknown }
  | { readonly op: 'in' | 'notIn'; readonly list: ReadonlyArray<unknown> }

type FieldSpec = { readonly filter: unknown; readonly condition: Condition | undefined }

const COMPARISON_OPERATORS = ['ne', 'gt', 'gte', 'lt', 'lte'] as const

/** A filter and the condition the model reads from it (`undefined`: it must be refused). */
const spec = (filter: unknown, condition?: Condition): FieldSpec => ({ filter, condition })

/** A condition on a column of `kind`; `condition` is undefined when it must be refused. */
const fieldSpec = (kind: FilterKind): fc.Arbitrary<FieldSpec> => {
  const ok = okOperand(kind)
  const bad = invalidOperand(kind)
  const list = fc.array(ok, { maxLength: 4 })
  const withNullPrototype = (operand: unknown) => {
    const filter = Object.create(null) as Record<string, unknown>
    filter.gte = operand
    return spec(filter, { op: 'gte', operand })
  }
  return fc.oneof(
    { weight: 4, arbitrary: ok.map((operand) => spec(operand, { op: 'eq', operand })) },
    { weight: 1, arbitrary: fc.constant(spec(null, { op: 'isNull', isNull: true })) },
    { weight: 1, arbitrary: fc.constant(spec(undefined, { op: 'none' })) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...COMPARISON_OPERATORS), ok).map(([op, operand]) => spec({ [op]: operand }, { op, operand })) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('in' as const, 'notIn' as const), list).map(([op, items]) => spec({ [op]: items }, { op, list: items })) },
    { weight: 1, arbitrary: fc.boolean().map((isNull) => spec({ isNull }, { op: 'isNull', isNull })) },
    { weight: 1, arbitrary: ok.map(withNullPrototype) },
    // Refused: a wrong-typed value or operand, null as an operand, unknown or several operators.
    { weight: 1, arbitrary: bad.map((operand) => spec(operand)) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...COMPARISON_OPERATORS), fc.oneof(bad, fc.constant(null))).map(([op, operand]) => spec({ [op]: operand })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('in', 'notIn'), fc.oneof(fc.constantFrom<unknown>(null, 'a', 1, {}), fc.tuple(list, bad).map(([items, item]) => [...items, item])))
        .map(([op, operand]) => spec({ [op]: operand })),
    },
    { weight: 1, arbitrary: fc.constantFrom<unknown>({}, { like: 'a%' }, { ne: 1, gt: 1 }, { isNull: 'yes' }, { eq: 1 }).map((filter) => spec(filter)) },
  )
}

const PROTOTYPE_KEYS = ['toString', 'constructor', 'hasOwnProperty', 'valueOf', '__proto__', 'isPrototypeOf']
const UNKNOWN_KEYS = ['NAME', 'nope', '', 'id ', 'workflowId']
const PAYLOAD_KEYS = ['input', 'output', 'error']

type KeyedSpec = { readonly key: string; readonly spec: FieldSpec; readonly known: boolean }

const keyedSpec: fc.Arbitrary<KeyedSpec> = fc.oneof(
  {
    weight: 20,
    arbitrary: fc.constantFrom(...Object.keys(WORKFLOW_FILTER_COLUMNS)).chain((key) => fieldSpec(WORKFLOW_FILTER_COLUMNS[key]!.kind).map((spec) => ({ key, spec, known: true }))),
  },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...PROTOTYPE_KEYS, ...UNKNOWN_KEYS, ...PAYLOAD_KEYS), fieldSpec('label')).map(([key, spec]) => ({ key, spec, known: false })) },
)

/** A `where` filter and, when it must be accepted, its conditions by column. */
export type GeneratedWhere = { readonly where: unknown; readonly conditions: ReadonlyArray<readonly [string, Condition]> | undefined }

export const generatedWhere: fc.Arbitrary<GeneratedWhere> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<GeneratedWhere>({ where: undefined, conditions: [] }) },
  {
    weight: 16,
    arbitrary: fc.uniqueArray(keyedSpec, { maxLength: 2, selector: (entry) => entry.key }).map((entries) => {
      const where = Object.fromEntries(entries.map((entry) => [entry.key, entry.spec.filter]))
      const accepted = entries.every((entry) => entry.known && entry.spec.condition !== undefined)
      return { where, conditions: accepted ? entries.map((entry) => [entry.key, entry.spec.condition!] as const) : undefined }
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, [], 'name', 1, [['name', 'a']]).map((where) => ({ where, conditions: undefined })) },
)

/** An `orderBy` and, when it must be accepted, its terms (always ending with `id`, so the order is total). */
export type GeneratedOrder = { readonly orderBy: unknown; readonly terms: ReadonlyArray<readonly [string, 'asc' | 'desc']> | undefined }

const ORDER_KEYS = Object.keys(WORKFLOW_FILTER_COLUMNS).filter((key) => key !== 'id')

export const generatedOrder: fc.Arbitrary<GeneratedOrder> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<GeneratedOrder>({ orderBy: undefined, terms: undefined }) },
  {
    weight: 6,
    arbitrary: fc.tuple(fc.uniqueArray(fc.tuple(fc.constantFrom(...ORDER_KEYS), fc.constantFrom('asc' as const, 'desc' as const)), { maxLength: 2, selector: ([key]) => key }), fc.constantFrom('asc' as const, 'desc' as const)).map(([terms, idDirection]) => {
      const all = [...terms, ['id', idDirection] as const]
      return { orderBy: Object.fromEntries(all), terms: all }
    }),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>({ name: 'up' }, { input: 'asc' }, { toString: 'asc' }, { nope: 'desc' }, null, ['name'], { id: 1 }).map((orderBy) => ({ orderBy, terms: undefined })),
  },
)

/** `limit` / `offset`: left out, a non-negative integer, or a refused value. */
export const taggedPaging: fc.Arbitrary<Tagged> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined).map(tag<unknown>('ok')) },
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 12 }).map(tag<unknown>('ok')) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(1.5, '10', -1, Number.NaN, 2 ** 53, null, '0', Number.POSITIVE_INFINITY).map(tag<unknown>('invalid')) },
)

/** `includeDeleted`: left out, a boolean, or a refused value. */
export const taggedIncludeDeleted: fc.Arbitrary<Tagged> = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(undefined, true, false).map(tag<unknown>('ok')) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>('yes', 1, null).map(tag<unknown>('invalid')) },
)

/** An integer for the `attempts` column, or a refused one. */
export const taggedAttempts: fc.Arbitrary<Tagged> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -2, max: 5 }).map(tag<unknown>('ok')) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>('1', 1.5, 2 ** 31, Number.NaN).map(tag<unknown>('invalid')) },
)
