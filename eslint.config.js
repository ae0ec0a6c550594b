// @ts-check
/**
 * ESLint: type-checked rules for every TypeScript file, and the module boundaries of design.md.
 * `src/core` imports no drizzle, no driver and no other `src` folder; dialect-neutral code
 * (`src/common*`, `src/jobs` outside its per-dialect tables) names no dialect's drizzle core;
 * `src/jobs` imports nothing above it (the dialect files, `src/database`, the entry points) and
 * no driver: the layers point down, core ← sql ← common / jobs ← dialect files ← database.
 */
import js from '@eslint/js'
import { defineConfig } from 'eslint/config'
import tseslint from 'typescript-eslint'

const DRIVER_PACKAGES = ['pg', 'mysql2', 'better-sqlite3', '@electric-sql/pglite', '@libsql/client']

/** @param {string} name a package name; the regex matches it and any of its subpaths */
const packageAndSubpaths = (name) => `^${name.replace(/[.]/g, '\\.')}(/.*)?$`

const CORE_PACKAGE_RESTRICTIONS = [
  {
    regex: '^drizzle-(orm|kit)(/.*)?$',
    message: 'src/core imports no drizzle: put SQL code in src/common* or a dialect file.',
  },
  ...DRIVER_PACKAGES.map((name) => ({
    regex: packageAndSubpaths(name),
    message: `src/core loads no database driver (${name}): drivers belong to the dialect files.`,
  })),
]

/**
 * Relative imports are plain strings to this rule, so "leaves src/core" depends on how deep the
 * importing file sits: a file `depth` folders below src/core leaves it with `depth + 1` leading `..`.
 * @param {number} depth
 */
const coreBoundaryAtDepth = (depth) => ({
  files: [`src/core/${'*/'.repeat(depth)}*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...CORE_PACKAGE_RESTRICTIONS,
          {
            regex: `^(\\.\\./){${depth}}\\.\\.(/|$)`,
            message: 'src/core imports nothing from other src folders: move the shared piece into src/core.',
          },
        ],
      },
    ],
  },
})

const DIALECT_NEUTRAL_RESTRICTION = {
  regex: '^drizzle-orm/(pg|mysql|sqlite)-core(/.*)?$',
  message:
    'Dialect-neutral code names no dialect: declarations go in src/{pg,mysql,sqlite}.ts or src/jobs/tables/, logic stays here.',
}

/**
 * `src/jobs` at `depth` folders below it: no import of the modules above it (which import it) and
 * no driver; outside `tables/`, no dialect's drizzle core either.
 * @param {number} depth
 * @param {{ dialectNeutral: boolean }} options
 */
const jobsBoundaryAtDepth = (depth, { dialectNeutral }) => ({
  files: dialectNeutral ? [`src/jobs/${'*/'.repeat(depth)}*.ts`] : ['src/jobs/tables/*.ts'],
  ignores: dialectNeutral ? ['src/jobs/tables/**'] : [],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...(dialectNeutral ? [DIALECT_NEUTRAL_RESTRICTION] : []),
          {
            regex: `^(\\.\\./){${depth + 1}}(pg|mysql|sqlite|index|jobs-entry|database|testing)(\\.js|/.*)?$`,
            message: 'src/jobs imports nothing above it (dialect files, src/database, entry points): they import src/jobs.',
          },
          {
            regex: `^(${DRIVER_PACKAGES.map((name) => name.replace(/[.]/g, '\\.')).join('|')})(/.*)?$|^drizzle-orm/(node-postgres|mysql2|better-sqlite3|libsql|pglite)(/.*)?$`,
            message: 'src/jobs loads no database driver: drivers are opened in src/database/drivers.',
          },
        ],
      },
    ],
  },
})

export default defineConfig(
  {
    ignores: ['dist/**', 'coverage/**', 'docs/**', 'node_modules/**', '.tmp/**', 'drizzle/**', 'bench/results/**'],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      // Skipped or focused tests hide failures (project rule: no skipped tests).
      'no-restricted-properties': [
        'error',
        ...['it', 'test', 'describe'].flatMap((object) =>
          ['skip', 'only', 'todo'].map((property) => ({
            object,
            property,
            message: 'No skipped or focused tests: fix the test or delete it.',
          })),
        ),
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports (house style: no default exports).' },
      ],
    },
  },
  [0, 1, 2, 3, 4].map(coreBoundaryAtDepth),
  {
    files: ['src/common.ts', 'src/common/**/*.ts', 'src/sql/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [DIALECT_NEUTRAL_RESTRICTION] }] },
  },
  [0, 1, 2].map((depth) => jobsBoundaryAtDepth(depth, { dialectNeutral: true })),
  jobsBoundaryAtDepth(1, { dialectNeutral: false }),
  {
    // Tests and the exported suites lean on vitest's loosely typed matchers and on mocks.
    files: ['tests/**/*.ts', 'src/testing/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-empty-function': 'off',
    },
  },
  {
    // Plain JavaScript (this file) is outside tsconfig.json.
    files: ['**/*.{js,mjs,cjs}'],
    extends: [tseslint.configs.disableTypeChecked],
  },
)
